/**
 * @file The Method of Equal Shares, exactly (Peters, Pierczyński, Skowron; pabutools'
 * method_of_equal_shares; reference/pabulib.md §3, docs/rules-proportional.md).
 *
 * Every voter starts with the per-voter budget beta.  In each round, a project p costing c is
 * affordable at price rho (per unit of utility) when its supporters can pay
 * sum_i min(b_i, rho u_i) = c; the project with the smallest such rho is funded (ties by the
 * tie-break order), each supporter paying min(b_i, rho u_i).  It stops when no project's
 * supporters hold its cost.
 *
 * Exactness.  Budgets are rationals b = B / D over one common denominator D (a big integer):
 * funding a project at rho = N / (D U) multiplies D by U (reduced), so every budget stays an
 * integer numerator.  Voters whose budgets are equal form a class: a budget is stored once per
 * class, and an affordability computation only counts a project's supporters per class.
 *
 * Laziness (as pabutools and the checker): rho of a project can only grow from round to round
 * (budgets only shrink), so each project's last computed rho is a lower bound.  Projects are
 * visited by lower bound, and the visit stops at the first bound above the best rho found; every
 * project whose rho equals the minimum is therefore computed, so ties are complete.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

enum { ST_OUT, ST_CAND, ST_DONE, ST_GONE };

#define NO_SLOT UINT32_MAX

/* ---------------------------------------------------------------------------------------------- */
/* model */

static pb_u128 gcd128(pb_u128 a, pb_u128 b)
{
        while (b) {
                pb_u128 t = a % b;
                a = b;
                b = t;
        }
        return a;
}

/* One ballot's positive utilities, as (project, utility) pairs. */
struct upair {
        uint32_t p;
        int64_t u;
};

static int cmp_upair(const void *pa, const void *pb)
{
        const struct upair *a = pa, *b = pb;
        return a->p < b->p ? -1 : a->p > b->p;
}

static int cmp_by_util(const void *pa, const void *pb)
{
        const struct upair *a = pa, *b = pb; /* here .p is a voter */
        if (a->u != b->u)
                return a->u < b->u ? -1 : 1;
        return a->p < b->p ? -1 : a->p > b->p;
}

static uint64_t hash_pairs(const struct upair *v, size_t n)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a over the pairs */
        for (size_t i = 0; i < n; i++) {
                uint64_t x = ((uint64_t)v[i].p << 32) ^ (uint64_t)v[i].u;
                for (int k = 0; k < 8; k++) {
                        h ^= (x >> (8 * k)) & 0xff;
                        h *= 1099511628211ull;
                }
        }
        return h;
}

/*
 * Voters with the same utilities for every project behave identically in every run (same
 * budget, same payments), so they are merged into one weighted voter: Łódź's 90,494 ballots are
 * 23,571 distinct ones, Wrocław's 62,529 are 1,157.
 */
pb_err mes_model_build(struct mes_model *mm, const struct pb_election *e, const struct pb_rule *rule,
                       struct pb_diag *reterr)
{
        const struct pb_ballots *b = &e->ballots;
        const size_t m = e->n_projects, n = b->n;
        struct upair *cur = NULL, *keys = NULL;
        size_t *kstart = NULL, *fill = NULL, nkeys = 0, nk_items = 0, kcap = 0, kicap = 0, hcap = 16,
               maxlen = 1;
        uint32_t *weight = NULL, *table = NULL;
        pb_err r;

        memset(mm, 0, sizeof(*mm));
        mm->e = e;
        mm->n = n;
        mm->m = m;
        if (n > UINT32_MAX || m > UINT32_MAX - 1)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "ballots", "too many voters for equal shares");
        if (rule->utility == PB_UTIL_POINTS && e->vote_type == PB_VOTE_SCORING &&
            e->limits.has[PB_LIM_DEFAULT_SCORE] && e->limits.v[PB_LIM_DEFAULT_SCORE] > 0)
                return pb_diag_set(reterr, PB_ERR_INVALID, "default_score",
                                   "equal shares with points needs default_score 0 (every voter would "
                                   "support every project)");
        for (size_t i = 0; i < n; i++)
                if (pb_ballot_len(b, i) > maxlen)
                        maxlen = pb_ballot_len(b, i);
        while (hcap < 2 * n + 2)
                hcap *= 2;
        mm->sup_start = pb_calloc(m + 1, sizeof(*mm->sup_start));
        mm->uniform = pb_calloc(m ? m : 1, sizeof(*mm->uniform));
        mm->util_total = pb_calloc(m ? m : 1, sizeof(*mm->util_total));
        mm->role = pb_calloc(m ? m : 1, sizeof(*mm->role));
        mm->rank = pb_calloc(m ? m : 1, sizeof(*mm->rank));
        mm->votes = pb_calloc(m ? m : 1, sizeof(*mm->votes));
        fill = pb_calloc(m + 1, sizeof(*fill));
        cur = pb_calloc(maxlen, sizeof(*cur));
        table = pb_calloc(hcap, sizeof(*table));
        if (!mm->sup_start || !mm->uniform || !mm->util_total || !mm->role || !mm->rank || !mm->votes ||
            !fill || !cur || !table) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = pb_tally_count(e, PB_SCORE_VOTES, mm->votes, NULL);
        if (r < 0)
                goto out;
        r = pb_tie_ranks(e, rule, mm->votes, mm->rank);
        if (r < 0)
                goto out;

        /* each ballot's positive utilities, merged with identical earlier ones */
        for (size_t i = 0; i < n; i++) {
                size_t a = b->start[i], z = b->start[i + 1], len = z - a, k = 0;
                uint64_t h, slot;

                for (size_t j = a; j < z; j++) {
                        uint32_t p = b->item[j];
                        int64_t u = 0;
                        switch (rule->utility) {
                        case PB_UTIL_COST: u = e->projects[p].cost; break;
                        case PB_UTIL_APPROVAL: u = 1; break;
                        case PB_UTIL_POINTS: u = b->points ? b->points[j] : 0; break;
                        case PB_UTIL_BORDA: u = (int64_t)(len - (j - a) - 1); break;
                        case PB_UTIL_COUNT: PB_ASSERT(0);
                        }
                        cur[k].p = p;
                        cur[k].u = u;
                        k++;
                }
                qsort(cur, k, sizeof(*cur), cmp_upair);
                for (size_t j = 1; j < k; j++)
                        if (cur[j].p == cur[j - 1].p) {
                                r = pb_diag_set(reterr, PB_ERR_INVALID, "ballots",
                                                "a ballot names a project twice");
                                goto out;
                        }
                {
                        size_t kk = 0;
                        for (size_t j = 0; j < k; j++)
                                if (cur[j].u > 0)
                                        cur[kk++] = cur[j];
                        k = kk;
                }
                h = hash_pairs(cur, k);
                for (slot = h & (hcap - 1);; slot = (slot + 1) & (hcap - 1)) {
                        uint32_t v = table[slot];
                        if (!v)
                                break;
                        v--;
                        if (kstart[v + 1] - kstart[v] == k &&
                            (k == 0 || !memcmp(keys + kstart[v], cur, k * sizeof(*cur))))
                                break;
                }
                if (table[slot]) {
                        weight[table[slot] - 1]++;
                        continue;
                }
                /* a new distinct voter */
                if (nkeys + 2 > kcap) {
                        size_t nc = kcap ? 2 * kcap : 1024;
                        size_t *ns = pb_reallocarray(kstart, nc, sizeof(*ns));
                        uint32_t *nw;
                        if (!ns) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        kstart = ns;
                        nw = pb_reallocarray(weight, nc, sizeof(*nw));
                        if (!nw) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        weight = nw;
                        kcap = nc;
                        if (nkeys == 0)
                                kstart[0] = 0;
                }
                if (nk_items + k > kicap) {
                        size_t nc = kicap ? 2 * kicap : 4096;
                        struct upair *nkp;
                        while (nc < nk_items + k)
                                nc *= 2;
                        nkp = pb_reallocarray(keys, nc, sizeof(*nkp));
                        if (!nkp) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        keys = nkp;
                        kicap = nc;
                }
                if (k)
                        memcpy(keys + nk_items, cur, k * sizeof(*cur));
                nk_items += k;
                weight[nkeys] = 1;
                kstart[nkeys + 1] = nk_items;
                table[slot] = (uint32_t)nkeys + 1;
                nkeys++;
        }
        mm->nv = nkeys;
        mm->weight = weight;
        weight = NULL;

        /* supporters of each project: distinct voters by utility, then voter */
        for (size_t v = 0; v < nkeys; v++)
                for (size_t j = kstart[v]; j < kstart[v + 1]; j++)
                        mm->sup_start[keys[j].p + 1]++;
        for (size_t p = 0; p < m; p++) {
                mm->sup_start[p + 1] += mm->sup_start[p];
                fill[p] = mm->sup_start[p];
        }
        mm->sup_voter = pb_calloc(nk_items ? nk_items : 1, sizeof(*mm->sup_voter));
        mm->sup_util = pb_calloc(nk_items ? nk_items : 1, sizeof(*mm->sup_util));
        if (!mm->sup_voter || !mm->sup_util) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t v = 0; v < nkeys; v++)
                for (size_t j = kstart[v]; j < kstart[v + 1]; j++) {
                        uint32_t p = keys[j].p;
                        mm->sup_voter[fill[p]] = (uint32_t)v;
                        mm->sup_util[fill[p]] = keys[j].u;
                        fill[p]++;
                        mm->util_total[p] = mm->util_total[p] + (pb_u128)(uint64_t)keys[j].u * mm->weight[v];
                }
        for (size_t p = 0; p < m; p++) {
                size_t a = mm->sup_start[p], z = mm->sup_start[p + 1];
                bool uni = true;

                for (size_t k = a + 1; k < z; k++)
                        if (mm->sup_util[k] != mm->sup_util[a])
                                uni = false;
                mm->uniform[p] = uni;
                if (uni)
                        continue;
                /* group by utility (stable: voters stay in order within a utility) */
                {
                        struct upair *tmp = pb_calloc(z - a, sizeof(*tmp));
                        if (!tmp) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        for (size_t k = a; k < z; k++) {
                                tmp[k - a].p = mm->sup_voter[k];
                                tmp[k - a].u = mm->sup_util[k];
                        }
                        qsort(tmp, z - a, sizeof(*tmp), cmp_by_util);
                        for (size_t k = a; k < z; k++) {
                                mm->sup_voter[k] = tmp[k - a].p;
                                mm->sup_util[k] = tmp[k - a].u;
                        }
                        pb_free(tmp);
                }
        }
        for (size_t p = 0; p < m; p++) {
                const struct pb_project *pr = &e->projects[p];

                if (mm->util_total[p] == 0)
                        mm->role[p] = MES_ROLE_NONE;
                else if (pr->withdrawn && pr->cost <= e->budget)
                        mm->role[p] = MES_ROLE_WITHDRAWN;
                else if (pr->cost == 0)
                        mm->role[p] = MES_ROLE_FREE;
                else
                        mm->role[p] = MES_ROLE_CANDIDATE;
                if (mm->role[p] == MES_ROLE_CANDIDATE)
                        mm->candidate_cost = mm->candidate_cost + (pb_u128)(uint64_t)pr->cost;
        }
        r = PB_OK;
out:
        pb_free(fill);
        pb_free(cur);
        pb_free(table);
        pb_free(keys);
        pb_free(kstart);
        pb_free(weight);
        if (r < 0)
                mes_model_release(mm);
        return r;
}

void mes_model_release(struct mes_model *mm)
{
        if (!mm)
                return;
        pb_free(mm->sup_start);
        pb_free(mm->sup_voter);
        pb_free(mm->sup_util);
        pb_free(mm->uniform);
        pb_free(mm->util_total);
        pb_free(mm->role);
        pb_free(mm->rank);
        pb_free(mm->votes);
        pb_free(mm->weight);
        memset(mm, 0, sizeof(*mm));
}

/* ---------------------------------------------------------------------------------------------- */
/* runs */

void mes_run_init(struct mes_run *r)
{
        memset(r, 0, sizeof(*r));
}

void mes_run_release(struct mes_run *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->m; i++) {
                pb_rat_release(&r->picks[i].rho);
                pb_rat_release(&r->picks[i].price);
        }
        pb_free(r->picks);
        pb_free(r->funded);
        pb_free(r->tie_items);
        mes_run_init(r);
}

static pb_err run_reset(struct mes_run *r, size_t m)
{
        if (r->m != m) {
                mes_run_release(r);
                r->picks = pb_calloc(m ? m : 1, sizeof(*r->picks));
                r->funded = pb_calloc(m ? m : 1, sizeof(*r->funded));
                if (!r->picks || !r->funded)
                        return PB_ERR_NOMEM;
                r->m = m;
                for (size_t i = 0; i < m; i++) {
                        pb_rat_init(&r->picks[i].rho);
                        pb_rat_init(&r->picks[i].price);
                }
        }
        memset(r->funded, 0, (m ? m : 1) * sizeof(*r->funded));
        r->n_picks = 0;
        r->spent = 0;
        r->n_tie_items = 0;
        return PB_OK;
}

static pb_err run_add_ties(struct mes_run *r, const uint32_t *tied, size_t n, uint32_t *ret_at)
{
        if (r->n_tie_items + n > r->tie_cap) {
                size_t cap = r->tie_cap ? r->tie_cap : 16;
                uint32_t *t;
                while (cap < r->n_tie_items + n)
                        cap *= 2;
                t = pb_reallocarray(r->tie_items, cap, sizeof(*t));
                if (!t)
                        return PB_ERR_NOMEM;
                r->tie_items = t;
                r->tie_cap = cap;
        }
        *ret_at = (uint32_t)r->n_tie_items;
        memcpy(r->tie_items + r->n_tie_items, tied, n * sizeof(*tied));
        r->n_tie_items += n;
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* work area */

void mes_work_init(struct mes_work *w)
{
        memset(w, 0, sizeof(*w));
        pb_big_init(&w->D);
        pb_big_init(&w->N);
        pb_big_init(&w->t1);
        pb_big_init(&w->t2);
        pb_big_init(&w->t3);
        pb_big_init(&w->S);
        pb_big_init(&w->cD);
        pb_big_init(&w->c_N);
        pb_rat_init(&w->rho);
        w->zero_cl = NO_SLOT;
        w->cached = NO_SLOT;
}

void mes_work_release(struct mes_work *w)
{
        if (!w)
                return;
        pb_big_release(&w->D);
        pb_big_release(&w->N);
        pb_big_release(&w->t1);
        pb_big_release(&w->t2);
        pb_big_release(&w->t3);
        pb_big_release(&w->S);
        pb_big_release(&w->cD);
        pb_big_release(&w->c_N);
        pb_rat_release(&w->rho);
        for (uint32_t c = 0; c < w->cap_cl; c++)
                pb_big_release(&w->cl[c].b);
        pb_free(w->cl);
        pb_free(w->free_cl);
        pb_free(w->slot);
        pb_free(w->cls);
        pb_free(w->state);
        if (w->lb)
                for (size_t p = 0; p < w->m; p++)
                        pb_rat_release(&w->lb[p]);
        pb_free(w->lb);
        pb_free(w->order);
        pb_free(w->grp);
        pb_free(w->gorder);
        pb_free(w->gtmp);
        pb_free(w->newcls);
        pb_free(w->seg);
        pb_free(w->c_grp);
        pb_free(w->c_gorder);
        pb_free(w->c_seg);
        pb_free(w->tied);
        memset(w, 0, sizeof(*w));
        w->zero_cl = NO_SLOT;
        w->cached = NO_SLOT;
}

/* Allocate the per-model arrays once (a work area serves one model). */
static pb_err work_attach(struct mes_work *w, const struct mes_model *mm)
{
        size_t maxsup = 1;

        if (w->mm == mm)
                return PB_OK;
        PB_ASSERT(w->mm == NULL);
        w->mm = mm;
        for (size_t p = 0; p < mm->m; p++) {
                size_t k = mm->sup_start[p + 1] - mm->sup_start[p];
                if (k > maxsup)
                        maxsup = k;
        }
        w->cls = pb_calloc(mm->nv ? mm->nv : 1, sizeof(*w->cls));
        w->state = pb_calloc(mm->m ? mm->m : 1, sizeof(*w->state));
        w->lb = pb_calloc(mm->m ? mm->m : 1, sizeof(*w->lb));
        w->order = pb_calloc(mm->m ? mm->m : 1, sizeof(*w->order));
        w->tied = pb_calloc(mm->m ? mm->m : 1, sizeof(*w->tied));
        w->grp_cap = maxsup;
        w->grp = pb_calloc(maxsup, sizeof(*w->grp));
        w->gorder = pb_calloc(maxsup, sizeof(*w->gorder));
        w->gtmp = pb_calloc(maxsup, sizeof(*w->gtmp));
        w->newcls = pb_calloc(maxsup, sizeof(*w->newcls));
        w->seg = pb_calloc(maxsup + 1, sizeof(*w->seg));
        w->c_grp = pb_calloc(maxsup, sizeof(*w->c_grp));
        w->c_gorder = pb_calloc(maxsup, sizeof(*w->c_gorder));
        w->c_seg = pb_calloc(maxsup + 1, sizeof(*w->c_seg));
        if (!w->cls || !w->state || !w->lb || !w->order || !w->tied || !w->grp || !w->gorder || !w->gtmp ||
            !w->newcls || !w->seg || !w->c_grp || !w->c_gorder || !w->c_seg)
                return PB_ERR_NOMEM;
        for (size_t p = 0; p < mm->m; p++)
                pb_rat_init(&w->lb[p]);
        w->m = mm->m;
        return PB_OK;
}

/* A class slot with count 0, budget unset. */
static pb_err class_new(struct mes_work *w, uint32_t *ret)
{
        uint32_t c;

        if (w->n_free) {
                c = w->free_cl[--w->n_free];
        } else {
                if (w->n_cl == w->cap_cl) {
                        uint32_t cap = w->cap_cl ? w->cap_cl * 2 : 64;
                        struct mes_class *ncl = pb_reallocarray(w->cl, cap, sizeof(*ncl));
                        uint32_t *nf, *ns;
                        if (!ncl)
                                return PB_ERR_NOMEM;
                        w->cl = ncl;
                        for (uint32_t k = w->cap_cl; k < cap; k++) {
                                pb_big_init(&w->cl[k].b);
                                w->cl[k].count = 0;
                        }
                        nf = pb_reallocarray(w->free_cl, cap, sizeof(*nf));
                        if (!nf)
                                return PB_ERR_NOMEM;
                        w->free_cl = nf;
                        ns = pb_reallocarray(w->slot, cap, sizeof(*ns));
                        if (!ns)
                                return PB_ERR_NOMEM;
                        w->slot = ns;
                        for (uint32_t k = w->cap_cl; k < cap; k++)
                                w->slot[k] = NO_SLOT;
                        w->cap_cl = cap;
                }
                c = w->n_cl++;
        }
        w->cl[c].count = 0;
        *ret = c;
        return PB_OK;
}

static void class_free(struct mes_work *w, uint32_t c)
{
        w->cl[c].count = 0;
        if (c == w->zero_cl)
                w->zero_cl = NO_SLOT;
        w->free_cl[w->n_free++] = c;
}

static void note_size(struct mes_work *w, const struct pb_big *b)
{
        if (b->n > w->max_limbs)
                w->max_limbs = b->n;
}

/* Start a run: everyone in one class with budget beta; candidates' bounds at cost / total utility. */
static pb_err work_start(struct mes_work *w, const struct mes_model *mm, const struct pb_rat *beta)
{
        struct pb_rat q;
        uint32_t c0;
        pb_err r;

        r = work_attach(w, mm);
        if (r < 0)
                return r;
        for (uint32_t c = 0; c < w->n_cl; c++)
                w->cl[c].count = 0;
        w->n_cl = 0;
        w->n_free = 0;
        w->zero_cl = NO_SLOT;
        w->max_limbs = 1;
        pb_rat_init(&q);
        r = pb_rat_copy(&q, beta);
        if (r == PB_OK)
                r = pb_rat_reduce(&q);
        if (r == PB_OK)
                r = pb_big_copy(&w->D, &q.den);
        if (r == PB_OK && mm->n) {
                r = class_new(w, &c0);
                if (r == PB_OK) {
                        r = pb_big_copy(&w->cl[c0].b, &q.num);
                        w->cl[c0].count = (uint32_t)mm->n;
                        note_size(w, &w->cl[c0].b);
                }
                for (size_t i = 0; i < mm->nv; i++)
                        w->cls[i] = 0;
        }
        pb_rat_release(&q);
        if (r < 0)
                return r;
        w->n_order = 0;
        for (size_t p = 0; p < mm->m; p++) {
                if (mm->role[p] != MES_ROLE_CANDIDATE) {
                        w->state[p] = ST_OUT;
                        continue;
                }
                w->state[p] = ST_CAND;
                r = pb_big_set_i64(&w->lb[p].num, mm->e->projects[p].cost);
                if (r == PB_OK)
                        r = pb_big_set_u128(&w->lb[p].den, mm->util_total[p]);
                if (r < 0)
                        return r;
                w->order[w->n_order++] = (uint32_t)p;
        }
        return PB_OK;
}

/* Scratch big enough that comparisons of budgets times utilities never allocate. */
static pb_err size_scratch(struct mes_work *w)
{
        pb_err r = pb_big_reserve(&w->t1, w->max_limbs + 3);
        if (r == PB_OK)
                r = pb_big_reserve(&w->t2, w->max_limbs + 3);
        return r;
}

/* budget(a)/ua vs budget(b)/ub, i.e. B_a ub vs B_b ua (scratch pre-sized: cannot fail). */
static int cmp_groups(struct mes_work *w, const struct mes_group *a, const struct mes_group *b)
{
        const struct pb_big *ba = &w->cl[a->cls].b, *bb = &w->cl[b->cls].b;
        pb_err r;

        if (a->u == b->u)
                return pb_big_cmp(ba, bb);
        r = pb_big_mul_u64(&w->t1, ba, (uint64_t)b->u);
        PB_ASSERT(r == PB_OK);
        r = pb_big_mul_u64(&w->t2, bb, (uint64_t)a->u);
        PB_ASSERT(r == PB_OK);
        return pb_big_cmp(&w->t1, &w->t2);
}

/* Stable merge sort of the group indexes by budget per unit of utility. */
static void sort_groups(struct mes_work *w)
{
        size_t n = w->n_grp;
        uint32_t *a = w->gorder, *t = w->gtmp;

        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n,
                               hi = lo + 2 * width < n ? lo + 2 * width : n;
                        size_t i = lo, j = mid, k = lo;
                        while (i < mid && j < hi)
                                t[k++] = cmp_groups(w, &w->grp[a[j]], &w->grp[a[i]]) < 0 ? a[j++] : a[i++];
                        while (i < mid)
                                t[k++] = a[i++];
                        while (j < hi)
                                t[k++] = a[j++];
                }
                uint32_t *s = a;
                a = t;
                t = s;
        }
        if (a != w->gorder)
                memcpy(w->gorder, a, n * sizeof(*a));
}

/*
 * Exact affordability of candidate p: groups its supporters by (utility, class), checks that
 * they hold its cost, and finds rho = N / (D U), U the utility of those who pay in full.
 * *ret_ok = false when the supporters cannot pay for it at all.
 */
static pb_err eval(struct mes_work *w, uint32_t p, bool *ret_ok)
{
        const struct mes_model *mm = w->mm;
        size_t a = mm->sup_start[p], z = mm->sup_start[p + 1];
        int64_t cost = mm->e->projects[p].cost;
        pb_u128 U = mm->util_total[p];
        pb_err r;

        w->evaluations++;
        w->n_grp = 0;
        w->n_seg = 0;
        for (size_t k = a; k < z;) {
                int64_t u = mm->sup_util[k];
                size_t seg_start = w->n_grp;

                for (; k < z && mm->sup_util[k] == u; k++) {
                        uint32_t v = mm->sup_voter[k], c = w->cls[v];
                        if (w->slot[c] == NO_SLOT) {
                                w->slot[c] = (uint32_t)w->n_grp;
                                w->grp[w->n_grp].cls = c;
                                w->grp[w->n_grp].count = 0;
                                w->grp[w->n_grp].u = u;
                                w->n_grp++;
                        }
                        w->grp[w->slot[c]].count += mm->weight[v];
                }
                for (size_t g = seg_start; g < w->n_grp; g++)
                        w->slot[w->grp[g].cls] = NO_SLOT;
                w->seg[w->n_seg++] = (uint32_t)w->n_grp;
        }
        /* can the supporters pay at all? */
        r = pb_big_set_u64(&w->S, 0);
        for (size_t g = 0; r == PB_OK && g < w->n_grp; g++)
                r = pb_big_addmul_u64(&w->S, &w->cl[w->grp[g].cls].b, w->grp[g].count);
        if (r == PB_OK)
                r = pb_big_mul_u64(&w->cD, &w->D, (uint64_t)cost);
        if (r < 0)
                return r;
        if (pb_big_cmp(&w->S, &w->cD) < 0) {
                *ret_ok = false;
                return PB_OK;
        }
        r = size_scratch(w);
        if (r < 0)
                return r;
        for (size_t g = 0; g < w->n_grp; g++)
                w->gorder[g] = (uint32_t)g;
        sort_groups(w);
        /*
         * From the poorest (budget per utility) up: a group pays in full at rho = (cD - S) / (D U)
         * when rho u <= b, i.e. (cD - S) u <= B U; otherwise it gives everything it has.
         */
        r = pb_big_set_u64(&w->S, 0);
        for (size_t k = 0; r == PB_OK && k < w->n_grp; k++) {
                const struct mes_group *g = &w->grp[w->gorder[k]];
                const struct pb_big *B = &w->cl[g->cls].b;

                r = pb_big_sub(&w->N, &w->cD, &w->S);
                if (r == PB_OK)
                        r = pb_big_mul_u64(&w->t1, &w->N, (uint64_t)g->u);
                if (r == PB_OK)
                        r = pb_big_mul_u128(&w->t2, B, U);
                if (r < 0)
                        return r;
                if (pb_big_cmp(&w->t1, &w->t2) <= 0) {
                        w->first_rich = (uint32_t)k;
                        w->U = U;
                        *ret_ok = true;
                        /* rho as a standalone rational: N / (D U) */
                        r = pb_big_copy(&w->rho.num, &w->N);
                        if (r == PB_OK)
                                r = pb_big_mul_u128(&w->rho.den, &w->D, U);
                        return r;
                }
                r = pb_big_addmul_u64(&w->S, B, g->count);
                U -= (pb_u128)g->count * (pb_u128)g->u;
        }
        if (r < 0)
                return r;
        /* the supporters hold the cost, so the richest group always pays in full */
        PB_ASSERT(0);
        return PB_ERR_INTERNAL;
}

/*
 * Fund p at the rho eval() just computed for it (w->N, w->U, groups): rich groups pay rho u,
 * poor ones everything.  The denominator grows by f = U / gcd(U, utilities of the payers), reduced
 * further by any factor it shares with N.
 */
static pb_err pay(struct mes_work *w, uint32_t p, int64_t *ret_payers)
{
        const struct mes_model *mm = w->mm;
        pb_u128 g = w->U, f;
        int64_t payers = 0;
        pb_err r = PB_OK;

        for (size_t k = w->first_rich; k < w->n_grp; k++)
                g = gcd128(g, (pb_u128)w->grp[w->gorder[k]].u);
        f = w->U / g;
        if (!(f >> 64)) {
                /* N/h and f/h with h = gcd(N, f): keeps D as small as the exact value allows */
                uint64_t rem, h, f64 = (uint64_t)f;
                r = pb_big_divmod_u64(NULL, &w->N, f64, &rem);
                if (r < 0)
                        return r;
                h = (uint64_t)gcd128(f64, rem);
                if (h > 1) {
                        r = pb_big_divmod_u64(&w->N, &w->N, h, &rem);
                        if (r < 0)
                                return r;
                        PB_ASSERT(rem == 0);
                        f = f64 / h;
                }
        }
        /* every budget is re-expressed over D f */
        if (f != 1) {
                for (uint32_t c = 0; c < w->n_cl; c++) {
                        if (!w->cl[c].count)
                                continue;
                        r = pb_big_mul_u128(&w->cl[c].b, &w->cl[c].b, f);
                        if (r < 0)
                                return r;
                        note_size(w, &w->cl[c].b);
                }
                r = pb_big_mul_u128(&w->D, &w->D, f);
                if (r < 0)
                        return r;
        }
        /* new budgets of the paying groups: B f - N (u / g) for the rich, 0 for the poor */
        for (size_t k = 0; k < w->n_grp; k++) {
                const struct mes_group *gr = &w->grp[w->gorder[k]];
                bool rich = k >= w->first_rich, whole = gr->count == w->cl[gr->cls].count;
                uint32_t nc;

                if (rich || !pb_big_is_zero(&w->cl[gr->cls].b))
                        payers += gr->count;
                if (whole) {
                        nc = gr->cls;
                } else if (!rich) {
                        if (w->zero_cl == NO_SLOT) {
                                r = class_new(w, &w->zero_cl);
                                if (r == PB_OK)
                                        r = pb_big_set_u64(&w->cl[w->zero_cl].b, 0);
                                if (r < 0)
                                        return r;
                        }
                        nc = w->zero_cl;
                } else {
                        r = class_new(w, &nc);
                        if (r == PB_OK)
                                r = pb_big_copy(&w->cl[nc].b, &w->cl[gr->cls].b);
                        if (r < 0)
                                return r;
                }
                if (rich) {
                        r = pb_big_submul_u64(&w->cl[nc].b, &w->N, (uint64_t)((pb_u128)gr->u / g));
                        if (r < 0)
                                return r;
                        PB_ASSERT(pb_big_sign(&w->cl[nc].b) >= 0);
                } else if (whole) {
                        r = pb_big_set_u64(&w->cl[nc].b, 0);
                        if (r < 0)
                                return r;
                }
                w->newcls[w->gorder[k]] = nc;
        }
        /* move the voters of split classes, segment by segment as eval() grouped them */
        {
                size_t k = mm->sup_start[p], z = mm->sup_start[p + 1], gs = 0;
                for (size_t s = 0; s < w->n_seg; s++) {
                        size_t ge = w->seg[s];
                        for (size_t gi = gs; gi < ge; gi++)
                                w->slot[w->grp[gi].cls] = (uint32_t)gi;
                        for (; k < z && (s + 1 == w->n_seg || mm->sup_util[k] == w->grp[gs].u); k++) {
                                uint32_t v = mm->sup_voter[k];
                                w->cls[v] = w->newcls[w->slot[w->cls[v]]];
                        }
                        for (size_t gi = gs; gi < ge; gi++)
                                w->slot[w->grp[gi].cls] = NO_SLOT;
                        gs = ge;
                }
                PB_ASSERT(k == z);
        }
        for (size_t gi = 0; gi < w->n_grp; gi++) {
                uint32_t old = w->grp[gi].cls, nc = w->newcls[gi];
                if (nc == old)
                        continue;
                w->cl[nc].count += w->grp[gi].count;
                w->cl[old].count -= w->grp[gi].count;
                if (!w->cl[old].count)
                        class_free(w, old);
        }
        *ret_payers = payers;
        return PB_OK;
}

/* Candidates in order of their lower bounds (insertion sort: the order barely changes per round). */
static pb_err sort_candidates(struct mes_work *w)
{
        size_t k = 0;
        pb_err r;

        for (size_t i = 0; i < w->n_order; i++)
                if (w->state[w->order[i]] == ST_CAND)
                        w->order[k++] = w->order[i];
        w->n_order = k;
        for (size_t i = 1; i < w->n_order; i++) {
                uint32_t x = w->order[i];
                size_t j = i;
                while (j > 0) {
                        int c;
                        r = pb_rat_cmp(&w->lb[w->order[j - 1]], &w->lb[x], &w->t1, &w->t2, &c);
                        if (r < 0)
                                return r;
                        if (c < 0 || (c == 0 && w->mm->rank[w->order[j - 1]] < w->mm->rank[x]))
                                break;
                        w->order[j] = w->order[j - 1];
                        j--;
                }
                w->order[j] = x;
        }
        return PB_OK;
}

/* Exchange the current evaluation with the kept one (pointer swaps, no copying). */
static void swap_cached(struct mes_work *w)
{
        struct mes_group *g = w->grp;
        uint32_t *o = w->gorder, *sg = w->seg, fr = w->first_rich;
        size_t ng = w->n_grp, ns = w->n_seg;
        pb_u128 U = w->U;

        w->grp = w->c_grp;
        w->gorder = w->c_gorder;
        w->seg = w->c_seg;
        w->n_grp = w->c_n_grp;
        w->n_seg = w->c_n_seg;
        w->first_rich = w->c_first_rich;
        w->U = w->c_U;
        w->c_grp = g;
        w->c_gorder = o;
        w->c_seg = sg;
        w->c_n_grp = ng;
        w->c_n_seg = ns;
        w->c_first_rich = fr;
        w->c_U = U;
        pb_big_swap(&w->N, &w->c_N);
}

static int cmp_rank_of(const struct mes_model *mm, uint32_t a, uint32_t b)
{
        return mm->rank[a] < mm->rank[b] ? -1 : mm->rank[a] > mm->rank[b];
}

/*
 * One round: the candidates with the smallest rho.  On return *ret_n tied projects are in
 * w->tied in tie-break order (0 when nothing is affordable) and w->rho... is not kept; the winner
 * is w->tied[0].
 */
static pb_err select_round(struct mes_work *w, struct pb_rat *best, size_t *ret_n)
{
        size_t nt = 0;
        pb_err r;

        r = sort_candidates(w);
        if (r < 0)
                return r;
        w->cached = NO_SLOT;
        for (size_t i = 0; i < w->n_order; i++) {
                uint32_t p = w->order[i];
                bool ok;
                int c;

                if (nt) {
                        r = pb_rat_cmp(&w->lb[p], best, &w->t1, &w->t2, &c);
                        if (r < 0)
                                return r;
                        if (c > 0)
                                break; /* every later bound is larger still */
                }
                r = eval(w, p, &ok);
                if (r < 0)
                        return r;
                if (!ok) {
                        w->state[p] = ST_GONE; /* budgets only shrink: never affordable again */
                        continue;
                }
                r = pb_rat_copy(&w->lb[p], &w->rho);
                if (r < 0)
                        return r;
                if (!nt) {
                        c = -1;
                } else {
                        r = pb_rat_cmp(&w->rho, best, &w->t1, &w->t2, &c);
                        if (r < 0)
                                return r;
                }
                if (c < 0) {
                        r = pb_rat_copy(best, &w->rho);
                        if (r < 0)
                                return r;
                        nt = 0;
                }
                if (c <= 0) {
                        w->tied[nt++] = p;
                        /* keep the evaluation of the tie-break's favourite: it is funded next */
                        if (c < 0 || w->cached == NO_SLOT || w->mm->rank[p] < w->mm->rank[w->cached]) {
                                swap_cached(w);
                                w->cached = p;
                        }
                }
        }
        /* tie-break order (few entries) */
        for (size_t i = 1; i < nt; i++)
                for (size_t j = i; j > 0 && cmp_rank_of(w->mm, w->tied[j - 1], w->tied[j]) > 0; j--) {
                        uint32_t t = w->tied[j];
                        w->tied[j] = w->tied[j - 1];
                        w->tied[j - 1] = t;
                }
        *ret_n = nt;
        return PB_OK;
}

/* Fund project p (whose rho eval() computed last) and record it in @out. */
static pb_err fund(struct mes_work *w, struct mes_run *out, uint32_t p)
{
        const struct mes_model *mm = w->mm;
        struct mes_pick *pk = &out->picks[out->n_picks];
        int64_t payers = 0;
        pb_err r;

        r = pb_rat_copy(&pk->rho, &w->rho);
        if (r == PB_OK)
                r = pb_rat_copy(&pk->price, &w->rho);
        if (r == PB_OK && mm->uniform[p])
                r = pb_big_mul_u64(&pk->price.num, &pk->price.num, (uint64_t)mm->sup_util[mm->sup_start[p]]);
        if (r == PB_OK)
                r = pay(w, p, &payers);
        if (r < 0)
                return r;
        pk->project = p;
        pk->payers = payers;
        pk->tie_at = 0;
        pk->tie_n = 0;
        w->state[p] = ST_DONE;
        out->funded[p] = true;
        out->spent += mm->e->projects[p].cost;
        out->n_picks++;
        return PB_OK;
}

/* Projects that cost nothing but please someone are funded first, in tie-break order (pabutools). */
static pb_err fund_free(const struct mes_model *mm, struct mes_run *out)
{
        for (uint32_t pos = 0; pos < mm->m; pos++)
                for (uint32_t p = 0; p < mm->m; p++) {
                        struct mes_pick *pk;
                        pb_err r;
                        if (mm->rank[p] != pos || mm->role[p] != MES_ROLE_FREE)
                                continue;
                        pk = &out->picks[out->n_picks++];
                        pk->project = p;
                        pk->payers = 0;
                        pk->tie_at = pk->tie_n = 0;
                        r = pb_rat_set_u64(&pk->rho, 0, 1);
                        if (r == PB_OK)
                                r = pb_rat_set_u64(&pk->price, 0, 1);
                        if (r < 0)
                                return r;
                        out->funded[p] = true;
                }
        return PB_OK;
}

pb_err mes_run(struct mes_work *w, const struct mes_model *mm, const struct pb_rat *beta, struct mes_run *out)
{
        struct pb_rat best;
        pb_err r;

        pb_rat_init(&best);
        r = run_reset(out, mm->m);
        if (r == PB_OK)
                r = work_start(w, mm, beta);
        if (r == PB_OK)
                r = fund_free(mm, out);
        while (r == PB_OK) {
                size_t nt;
                uint32_t p;

                r = select_round(w, &best, &nt);
                if (r < 0 || !nt)
                        break;
                p = w->tied[0];
                PB_ASSERT(w->cached == p);
                swap_cached(w); /* its evaluation, kept aside while later candidates were computed */
                w->cached = NO_SLOT;
                r = pb_rat_copy(&w->rho, &best);
                if (r < 0)
                        break;
                if (nt > 1) {
                        struct mes_pick *pk = &out->picks[out->n_picks];
                        r = run_add_ties(out, w->tied, nt, &pk->tie_at);
                        if (r < 0)
                                break;
                        r = fund(w, out, p);
                        pk->tie_at = (uint32_t)(out->n_tie_items - nt);
                        pk->tie_n = (uint32_t)nt;
                } else {
                        r = fund(w, out, p);
                }
        }
        pb_rat_release(&best);
        return r;
}

pb_err mes_certify(struct mes_work *w, const struct mes_model *mm, const struct mes_run *ref,
                   const struct pb_rat *beta_hi, bool *ret_ok)
{
        pb_err r;

        *ret_ok = false;
        r = work_start(w, mm, beta_hi);
        for (size_t t = 0; r == PB_OK && t < ref->n_picks; t++) {
                const struct mes_pick *pk = &ref->picks[t];
                uint32_t j = pk->project;
                int64_t payers;
                bool ok;

                if (mm->role[j] != MES_ROLE_CANDIDATE)
                        continue; /* free projects: funded up front in both runs */
                r = sort_candidates(w);
                for (size_t i = 0; r == PB_OK && i < w->n_order; i++) {
                        uint32_t p = w->order[i];
                        int c;

                        if (p == j)
                                continue;
                        r = pb_rat_cmp(&w->lb[p], &pk->rho, &w->t1, &w->t2, &c);
                        if (r < 0)
                                break;
                        if (c > 0)
                                break; /* this bound and every later one clear the threshold */
                        if (c == 0 && mm->rank[p] > mm->rank[j])
                                continue;
                        r = eval(w, p, &ok);
                        if (r < 0)
                                break;
                        if (!ok) {
                                w->state[p] = ST_GONE;
                                continue;
                        }
                        r = pb_rat_copy(&w->lb[p], &w->rho);
                        if (r == PB_OK)
                                r = pb_rat_cmp(&w->rho, &pk->rho, &w->t1, &w->t2, &c);
                        if (r < 0)
                                break;
                        if (c < 0 || (c == 0 && mm->rank[p] < mm->rank[j]))
                                return PB_OK; /* p could undercut j somewhere in the interval */
                }
                if (r < 0)
                        break;
                r = eval(w, j, &ok);
                if (r < 0)
                        break;
                PB_ASSERT(ok); /* more budget never makes a funded project unaffordable */
                r = pay(w, j, &payers);
                w->state[j] = ST_DONE;
        }
        if (r < 0)
                return r;
        /* and at the end nothing else may be affordable */
        for (size_t i = 0; i < w->n_order; i++) {
                uint32_t p = w->order[i];
                bool ok;
                if (w->state[p] != ST_CAND)
                        continue;
                r = eval(w, p, &ok);
                if (r < 0)
                        return r;
                if (ok)
                        return PB_OK;
                w->state[p] = ST_GONE;
        }
        *ret_ok = true;
        return PB_OK;
}
