/**
 * @file What the exact engine (engine/mes.c) and the bounded one (engine/mes_fast.c) share
 * (engine/mes_int.h): the budget class indexes, the grouping of a project's supporters by class,
 * the voters' moves after a round, and the candidate list.  None of it depends on how a budget is
 * held, so one copy serves both: the two engines must group and move voters identically, since
 * each replays classes recorded by runs of its own kind and the Add1 search mixes their answers.
 */
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"

void *mes_slots_take(struct mes_slots *s, void *cl, size_t size, uint32_t *ret)
{
        if (s->n_free) {
                *ret = s->free[--s->n_free];
                return cl;
        }
        if (s->n == s->cap) {
                uint32_t cap = s->cap ? s->cap * 2 : 64;
                uint32_t *nf, *ns;
                unsigned char *ncl;
                /* the table first: its growth keeps its entries, so a failure after it is harmless */
                nf = pb_reallocarray(s->free, cap, sizeof(*nf));
                if (!nf)
                        return NULL;
                s->free = nf;
                ns = pb_reallocarray(s->slot, cap, sizeof(*ns));
                if (!ns)
                        return NULL;
                s->slot = ns;
                for (uint32_t k = s->cap; k < cap; k++)
                        s->slot[k] = MES_NO_SLOT;
                ncl = pb_reallocarray(cl, cap, size);
                if (!ncl)
                        return NULL;
                memset(ncl + (size_t)s->cap * size, 0, (size_t)(cap - s->cap) * size);
                cl = ncl;
                s->cap = cap;
        }
        *ret = s->n++;
        return cl;
}

void mes_slots_put(struct mes_slots *s, uint32_t c)
{
        s->free[s->n_free++] = c;
}

void mes_slots_clear(struct mes_slots *s)
{
        s->n = 0;
        s->n_free = 0;
}

void mes_slots_release(struct mes_slots *s)
{
        pb_free(s->free);
        pb_free(s->slot);
        memset(s, 0, sizeof(*s));
}

/* The largest number of distinct supporters of a project (at least 1). */
static size_t max_supporters(const struct mes_model *mm)
{
        size_t maxsup = 1;

        for (size_t p = 0; p < mm->m; p++) {
                size_t k = mm->sup_start[p + 1] - mm->sup_start[p];
                if (k > maxsup)
                        maxsup = k;
        }
        return maxsup;
}

pb_err mes_core_attach(struct mes_core *c, const struct mes_model *mm, bool *ret_new)
{
        size_t m1 = mm->m ? mm->m : 1;

        *ret_new = c->mm != mm;
        if (!*ret_new)
                return PB_OK;
        PB_ASSERT(c->mm == NULL);
        c->mm = mm;
        c->cls = pb_calloc(mm->nv ? mm->nv : 1, sizeof(*c->cls));
        c->state = pb_calloc(m1, sizeof(*c->state));
        c->order = pb_calloc(m1, sizeof(*c->order));
        c->max_grp = max_supporters(mm);
        return c->cls && c->state && c->order ? PB_OK : PB_ERR_NOMEM;
}

void mes_core_start(struct mes_core *c)
{
        const struct mes_model *mm = c->mm;

        mes_slots_clear(&c->sl);
        c->round = 0;
        c->synced = 0;
        if (mm->nv)
                memset(c->cls, 0, mm->nv * sizeof(*c->cls));
        c->n_order = 0;
        for (uint32_t p = 0; p < mm->m; p++) {
                c->state[p] = mm->role[p] == MES_ROLE_CANDIDATE ? MES_ST_CAND : MES_ST_OUT;
                if (c->state[p] == MES_ST_CAND)
                        c->order[c->n_order++] = p;
        }
}

void mes_core_release(struct mes_core *c)
{
        pb_free(c->cls);
        pb_free(c->state);
        pb_free(c->order);
        mes_slots_release(&c->sl);
        memset(c, 0, sizeof(*c));
}

/* The end of the run of p's supporters from @k on with the utility of supporter k: all the rest
 * when the project has one utility (every project of the bounded engine), without comparing. */
static size_t segment_end(const struct mes_model *mm, uint32_t p, size_t k)
{
        size_t z = mm->sup_start[p + 1];
        int64_t u = mm->sup_util[k];

        if (mm->uniform[p])
                return z;
        while (k < z && mm->sup_util[k] == u)
                k++;
        return k;
}

size_t mes_group_supporters(struct mes_core *c, uint32_t p, struct mes_group *grp, uint32_t *seg,
                            size_t *ret_n_seg)
{
        const struct mes_model *mm = c->mm;
        const uint32_t *cls = c->cls;
        struct mes_slots *s = &c->sl;
        size_t a = mm->sup_start[p], z = mm->sup_start[p + 1], n_grp = 0, n_seg = 0;

        for (size_t k = a; k < z;) {
                int64_t u = mm->sup_util[k];
                size_t seg_start = n_grp, e = segment_end(mm, p, k);

                for (; k < e; k++) {
                        uint32_t v = mm->sup_voter[k], cl = cls[v];
                        if (s->slot[cl] == MES_NO_SLOT) {
                                s->slot[cl] = (uint32_t)n_grp;
                                grp[n_grp].cls = cl;
                                grp[n_grp].count = 0;
                                grp[n_grp].u = u;
                                n_grp++;
                        }
                        grp[s->slot[cl]].count += mm->weight[v];
                }
                for (size_t g = seg_start; g < n_grp; g++)
                        s->slot[grp[g].cls] = MES_NO_SLOT;
                if (seg)
                        seg[n_seg++] = (uint32_t)n_grp;
        }
        if (ret_n_seg)
                *ret_n_seg = n_seg;
        return n_grp;
}

void mes_groups_from_trace(struct mes_group *grp, const struct mes_tgroup *tg, size_t n)
{
        for (size_t g = 0; g < n; g++) {
                grp[g].cls = tg[g].cls;
                grp[g].count = tg[g].count;
                grp[g].u = tg[g].u;
        }
}

void mes_move_voters(struct mes_core *c, uint32_t p, const struct mes_tgroup *tg, size_t n)
{
        const struct mes_model *mm = c->mm;
        uint32_t *cls = c->cls;
        struct mes_slots *s = &c->sl;
        size_t k = mm->sup_start[p], z = mm->sup_start[p + 1], gs = 0;

        /* groups come in utility segments, in supporter order */
        while (gs < n) {
                size_t ge = gs;
                int64_t u = tg[gs].u;
                while (ge < n && tg[ge].u == u)
                        ge++;
                for (size_t g = gs; g < ge; g++)
                        s->slot[tg[g].cls] = (uint32_t)g;
                for (size_t e = k < z ? segment_end(mm, p, k) : z; k < e; k++) {
                        uint32_t v = mm->sup_voter[k];
                        cls[v] = tg[s->slot[cls[v]]].newcls;
                }
                for (size_t g = gs; g < ge; g++)
                        s->slot[tg[g].cls] = MES_NO_SLOT;
                gs = ge;
        }
        PB_ASSERT(k == z);
}

size_t mes_keep_candidates(uint32_t *order, size_t n, const uint8_t *state)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (state[order[i]] == MES_ST_CAND)
                        order[k++] = order[i];
        return k;
}
