/**
 * @file The Method of Equal Shares, exactly (Peters, Pierczyński, Skowron; pabutools'
 * method_of_equal_shares; reference/pabulib.md §3, docs/rules.md (proportional rules)).
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
 * class, and an affordability computation only counts a project's supporters per class.  A
 * round splits each class it touches by utility, the same way whatever the budgets are, so the
 * classes after a round depend only on the projects funded so far (this is what lets an
 * incremental run replay rounds per class, see mes_run()).
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

/* ---------------------------------------------------------------------------------------------- */
/* runs and their traces */

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
        for (size_t i = 0; i < r->recs_cap; i++) {
                pb_rat_release(&r->recs[i].val);
                pb_rat_release(&r->recs[i].base);
        }
        pb_free(r->picks);
        pb_free(r->funded);
        pb_free(r->tie_items);
        pb_free(r->tg);
        pb_free(r->recs);
        mes_run_init(r);
}

static pb_err run_reset(struct mes_run *r, size_t m)
{
        if (r->m != m || !r->picks) {
                struct mes_tgroup *tg = r->tg;
                size_t tg_cap = r->tg_cap;
                r->tg = NULL;
                mes_run_release(r);
                r->tg = tg;
                r->tg_cap = tg_cap;
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
        r->n_tg = 0;
        r->n_recs = 0;
        r->rounds_replayed = 0;
        return PB_OK;
}

static pb_err run_add_ties(struct mes_run *r, const uint32_t *tied, size_t n)
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
        memcpy(r->tie_items + r->n_tie_items, tied, n * sizeof(*tied));
        r->n_tie_items += n;
        return PB_OK;
}

static pb_err run_reserve_tg(struct mes_run *r, size_t n)
{
        if (r->n_tg + n > r->tg_cap) {
                size_t cap = r->tg_cap ? r->tg_cap : 256;
                struct mes_tgroup *t;
                while (cap < r->n_tg + n)
                        cap *= 2;
                t = pb_reallocarray(r->tg, cap, sizeof(*t));
                if (!t)
                        return PB_ERR_NOMEM;
                r->tg = t;
                r->tg_cap = cap;
        }
        return PB_OK;
}

/* A new record slot (its rationals initialized once and reused). */
static pb_err run_new_rec(struct mes_run *r, struct mes_rec **ret)
{
        if (r->n_recs == r->recs_cap) {
                size_t cap = r->recs_cap ? r->recs_cap * 2 : 256;
                struct mes_rec *t = pb_reallocarray(r->recs, cap, sizeof(*t));
                if (!t)
                        return PB_ERR_NOMEM;
                r->recs = t;
                for (size_t i = r->recs_cap; i < cap; i++) {
                        pb_rat_init(&r->recs[i].val);
                        pb_rat_init(&r->recs[i].base);
                }
                r->recs_cap = cap;
        }
        *ret = &r->recs[r->n_recs++];
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* work area */

void mes_work_init(struct mes_work *w)
{
        memset(w, 0, sizeof(*w));
        pb_rat_init(&w->beta);
        pb_big_init(&w->D);
        pb_big_init(&w->ev.N);
        pb_big_init(&w->t1);
        pb_big_init(&w->t2);
        pb_big_init(&w->t3);
        pb_big_init(&w->S);
        pb_big_init(&w->cD);
        pb_big_init(&w->kept.N);
        pb_rat_init(&w->rho);
        pb_rat_init(&w->q1);
        pb_rat_init(&w->q2);
        w->cached = MES_NO_SLOT;
}

static void eval_release(struct mes_eval *e)
{
        pb_free(e->grp);
        pb_free(e->gorder);
        pb_free(e->seg);
        pb_big_release(&e->N);
}

void mes_work_release(struct mes_work *w)
{
        if (!w)
                return;
        pb_rat_release(&w->beta);
        pb_big_release(&w->D);
        pb_big_release(&w->t1);
        pb_big_release(&w->t2);
        pb_big_release(&w->t3);
        pb_big_release(&w->S);
        pb_big_release(&w->cD);
        pb_rat_release(&w->rho);
        pb_rat_release(&w->q1);
        pb_rat_release(&w->q2);
        for (uint32_t c = 0; c < w->core.sl.cap; c++)
                pb_big_release(&w->cl[c].b);
        pb_free(w->cl);
        mes_core_release(&w->core);
        if (w->lb)
                for (size_t p = 0; p < w->m; p++)
                        pb_rat_release(&w->lb[p]);
        pb_free(w->lb);
        pb_free(w->gtmp);
        pb_free(w->newcls);
        eval_release(&w->ev);
        eval_release(&w->kept);
        pb_free(w->tied);
        memset(w, 0, sizeof(*w));
        w->cached = MES_NO_SLOT;
}

/* An evaluation's arrays, for up to @maxsup groups. */
static bool eval_alloc(struct mes_eval *e, size_t maxsup)
{
        e->grp = pb_calloc(maxsup, sizeof(*e->grp));
        e->gorder = pb_calloc(maxsup, sizeof(*e->gorder));
        e->seg = pb_calloc(maxsup + 1, sizeof(*e->seg));
        return e->grp && e->gorder && e->seg;
}

/* Allocate this engine's per-model arrays, once (a work area serves one model). */
static pb_err work_alloc(struct mes_work *w)
{
        size_t m1 = w->core.mm->m ? w->core.mm->m : 1, maxgrp = w->core.max_grp;
        bool ok = eval_alloc(&w->ev, maxgrp) && eval_alloc(&w->kept, maxgrp);

        w->lb = pb_calloc(m1, sizeof(*w->lb));
        w->tied = pb_calloc(m1, sizeof(*w->tied));
        w->gtmp = pb_calloc(maxgrp, sizeof(*w->gtmp));
        w->newcls = pb_calloc(maxgrp, sizeof(*w->newcls));
        if (!ok || !w->lb || !w->tied || !w->gtmp || !w->newcls)
                return PB_ERR_NOMEM;
        w->m = w->core.mm->m;
        for (size_t p = 0; p < w->m; p++)
                pb_rat_init(&w->lb[p]);
        return PB_OK;
}

/* A class with count 0; budget and growth to be set by the caller. */
static pb_err class_new(struct mes_work *w, uint32_t *ret)
{
        uint32_t cap = w->core.sl.cap;
        struct mes_class *cl = mes_slots_take(&w->core.sl, w->cl, sizeof(*w->cl), ret);

        if (!cl)
                return PB_ERR_NOMEM;
        w->cl = cl;
        for (uint32_t k = cap; k < w->core.sl.cap; k++)
                pb_big_init(&w->cl[k].b); /* zeroed already; the call says what the records are */
        w->cl[*ret].count = 0;
        return PB_OK;
}

static void class_free(struct mes_work *w, uint32_t c)
{
        w->cl[c].count = 0;
        mes_slots_put(&w->core.sl, c);
}

static void note_size(struct mes_work *w, const struct pb_big *b)
{
        if (b->n > w->max_limbs)
                w->max_limbs = b->n;
}

/* Start a run: everyone in one class with budget beta; candidates' bounds at cost / total utility. */
static pb_err work_start(struct mes_work *w, const struct mes_model *mm, const struct pb_rat *beta,
                         struct mes_run *trace)
{
        uint32_t c0;
        bool fresh;
        pb_err r = mes_core_attach(&w->core, mm, &fresh);

        if (r == PB_OK && fresh)
                r = work_alloc(w);
        if (r < 0)
                return r;
        for (uint32_t c = 0; c < w->core.sl.n; c++)
                w->cl[c].count = 0;
        mes_core_start(&w->core);
        w->max_limbs = 1;
        w->trace = trace;
        w->moves = trace;
        w->cached = MES_NO_SLOT;
        r = pb_rat_copy(&w->beta, beta);
        if (r == PB_OK)
                r = pb_rat_reduce(&w->beta);
        if (r == PB_OK)
                r = pb_big_copy(&w->D, &w->beta.den);
        if (r == PB_OK && mm->nv) {
                r = class_new(w, &c0);
                if (r == PB_OK) {
                        r = pb_big_copy(&w->cl[c0].b, &w->beta.num);
                        w->cl[c0].count = (uint32_t)mm->n;
                        w->cl[c0].grow = GROW_ONE; /* a budget grows exactly as fast as beta at first */
                        note_size(w, &w->cl[c0].b);
                }
        }
        for (size_t i = 0; r == PB_OK && i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                r = pb_big_set_i64(&w->lb[p].num, mm->e->projects[p].cost);
                if (r == PB_OK)
                        r = pb_big_set_u128(&w->lb[p].den, mm->util_total[p]);
        }
        return r;
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
        size_t n = w->ev.n_grp;
        uint32_t *a = w->ev.gorder, *t = w->gtmp;

        for (size_t g = 0; g < n; g++)
                a[g] = (uint32_t)g;
        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n,
                               hi = lo + 2 * width < n ? lo + 2 * width : n;
                        size_t i = lo, j = mid, k = lo;
                        while (i < mid && j < hi)
                                t[k++] = cmp_groups(w, &w->ev.grp[a[j]], &w->ev.grp[a[i]]) < 0 ? a[j++]
                                                                                               : a[i++];
                        while (i < mid)
                                t[k++] = a[i++];
                        while (j < hi)
                                t[k++] = a[j++];
                }
                uint32_t *s = a;
                a = t;
                t = s;
        }
        if (a != w->ev.gorder)
                memcpy(w->ev.gorder, a, n * sizeof(*a));
}

/* Group p's supporters by (utility, class), in supporter order: w->ev.grp, w->ev.seg. */
static void group_supporters(struct mes_work *w, uint32_t p)
{
        w->ev.n_grp = mes_group_supporters(&w->core, p, w->ev.grp, w->ev.seg, &w->ev.n_seg);
}

/*
 * Exact affordability of a project of cost @cost from its groups (w->ev.grp): checks that they hold
 * the cost, and finds rho = N / (D U), U the utility of those who pay in full.  Also the growth
 * bound kappa: how fast rho can fall as the per-voter budget grows (the poor groups' growth over
 * U); or, when unaffordable (*ret_ok false), the deficit cost - budgets in w->ev.N (over D) and the
 * supporters' total growth in kappa.
 */
static pb_err rho_from_groups(struct mes_work *w, int64_t cost, pb_u128 U, bool *ret_ok)
{
        pb_u128 poor_grow = 0;
        pb_err r;

        w->evaluations++;
        r = pb_big_set_u64(&w->S, 0);
        for (size_t g = 0; r == PB_OK && g < w->ev.n_grp; g++)
                r = pb_big_addmul_u64(&w->S, &w->cl[w->ev.grp[g].cls].b, w->ev.grp[g].count);
        if (r == PB_OK)
                r = pb_big_mul_u64(&w->cD, &w->D, (uint64_t)cost);
        if (r < 0)
                return r;
        if (pb_big_cmp(&w->S, &w->cD) < 0) {
                pb_u128 all = 0;
                for (size_t g = 0; g < w->ev.n_grp; g++)
                        all = grow_add(all, grow_mul(w->cl[w->ev.grp[g].cls].grow, w->ev.grp[g].count));
                w->ev.kappa = all;
                *ret_ok = false;
                return pb_big_sub(&w->ev.N, &w->cD, &w->S);
        }
        r = size_scratch(w);
        if (r < 0)
                return r;
        sort_groups(w);
        /*
         * From the poorest (budget per utility) up: a group pays in full at rho = (cD - S) / (D U)
         * when rho u <= b, i.e. (cD - S) u <= B U; otherwise it gives everything it has.
         */
        r = pb_big_set_u64(&w->S, 0);
        for (size_t k = 0; r == PB_OK && k < w->ev.n_grp; k++) {
                const struct mes_group *g = &w->ev.grp[w->ev.gorder[k]];
                const struct pb_big *B = &w->cl[g->cls].b;

                r = pb_big_sub(&w->ev.N, &w->cD, &w->S);
                if (r == PB_OK)
                        r = pb_big_mul_u64(&w->t1, &w->ev.N, (uint64_t)g->u);
                if (r == PB_OK)
                        r = pb_big_mul_u128(&w->t2, B, U);
                if (r < 0)
                        return r;
                if (pb_big_cmp(&w->t1, &w->t2) <= 0) {
                        w->ev.first_rich = (uint32_t)k;
                        w->ev.U = U;
                        /* rho falls at most by the poor groups' extra money over the rich ones' utility */
                        w->ev.kappa = poor_grow ? grow_muldiv(poor_grow, 1, U) : 0;
                        *ret_ok = true;
                        r = pb_big_copy(&w->rho.num, &w->ev.N);
                        if (r == PB_OK)
                                r = pb_big_mul_u128(&w->rho.den, &w->D, U);
                        return r;
                }
                r = pb_big_addmul_u64(&w->S, B, g->count);
                poor_grow = grow_add(poor_grow, grow_mul(w->cl[g->cls].grow, g->count));
                U -= (pb_u128)g->count * (pb_u128)(uint64_t)g->u;
        }
        if (r < 0)
                return r;
        /* the supporters hold the cost, so the richest group always pays in full */
        PB_ASSERT(0);
        return PB_ERR_INTERNAL;
}

/* Record what an exact computation for p at this round proved (for incremental runs). */
static pb_err record(struct mes_work *w, uint32_t p, bool ok)
{
        struct mes_rec *rec;
        pb_err r;

        r = run_new_rec(w->trace, &rec); /* every run has a trace (work_start) */
        if (r < 0)
                return r;
        rec->round = w->core.round;
        rec->project = p;
        rec->gone = !ok;
        rec->kappa = w->ev.kappa;
        r = pb_rat_copy(&rec->base, &w->beta);
        if (r == PB_OK && ok)
                r = pb_rat_copy(&rec->val, &w->rho);
        if (r == PB_OK && !ok) {
                r = pb_big_copy(&rec->val.num, &w->ev.N);
                if (r == PB_OK)
                        r = pb_big_copy(&rec->val.den, &w->D);
        }
        return r;
}

/* Exact affordability of candidate p now (visits its supporters), recorded in the trace. */
static pb_err eval(struct mes_work *w, uint32_t p, bool *ret_ok)
{
        pb_err r;

        group_supporters(w, p);
        r = rho_from_groups(w, w->core.mm->e->projects[p].cost, w->core.mm->util_total[p], ret_ok);
        if (r == PB_OK)
                r = record(w, p, *ret_ok);
        return r;
}

/* Bring cls[] up to date with the rounds funded so far (incremental runs defer the moves). */
static void sync_moves(struct mes_work *w)
{
        for (; w->core.synced < w->core.round; w->core.synced++) {
                const struct mes_pick *pk =
                        &w->moves->picks[w->core.mm->n_free + w->core.synced]; /* free picks first */
                mes_move_voters(&w->core, pk->project, w->moves->tg + pk->grp_at, pk->grp_n);
        }
}

/*
 * Re-express every budget over D f, where f = U / g and g = gcd(U, utilities of the rich
 * groups), reduced further by any factor f shares with N: keeps D as small as the exact value
 * allows.  Marks each group rich or not in w->gtmp.  @ret_g receives g.
 */
static pb_err rescale_budgets(struct mes_work *w, pb_u128 *ret_g)
{
        pb_u128 g = w->ev.U, f;
        pb_err r;

        for (size_t k = 0; k < w->ev.n_grp; k++)
                w->gtmp[w->ev.gorder[k]] = k >= w->ev.first_rich; /* rich, by group */
        for (size_t k = w->ev.first_rich; k < w->ev.n_grp; k++)
                g = pb_u128_gcd(g, (pb_u128)(uint64_t)w->ev.grp[w->ev.gorder[k]].u);
        f = w->ev.U / g;
        if (!(f >> 64)) {
                /* N/h and f/h with h = gcd(N, f) */
                uint64_t rem, h, f64 = (uint64_t)f;
                r = pb_big_divmod_u64(NULL, &w->ev.N, f64, &rem);
                if (r < 0)
                        return r;
                h = (uint64_t)pb_u128_gcd(f64, rem);
                if (h > 1) {
                        r = pb_big_divmod_u64(&w->ev.N, &w->ev.N, h, &rem);
                        if (r < 0)
                                return r;
                        PB_ASSERT(rem == 0);
                        f = f64 / h;
                }
        }
        *ret_g = g;
        if (f == 1)
                return PB_OK;
        for (uint32_t c = 0; c < w->core.sl.n; c++) {
                if (!w->cl[c].count)
                        continue;
                r = pb_big_mul_u128(&w->cl[c].b, &w->cl[c].b, f);
                if (r < 0)
                        return r;
                note_size(w, &w->cl[c].b);
        }
        return pb_big_mul_u128(&w->D, &w->D, f);
}

/*
 * The groups' new budgets: B f - N (u / g) for the rich, 0 for the poor; growth bounds go up by
 * what the poor could add to the price, u poor_grow / U.  Each group moves to a class of its own
 * (whole classes stay in place), allocated in supporter order; w->newcls records where.
 */
static pb_err charge_groups(struct mes_work *w, pb_u128 g, const struct mes_tgroup *expect,
                            int64_t *ret_payers)
{
        pb_u128 poor_grow = 0;
        int64_t payers = 0;
        pb_err r;

        for (size_t k = 0; k < w->ev.first_rich; k++) {
                const struct mes_group *gr = &w->ev.grp[w->ev.gorder[k]];
                poor_grow = grow_add(poor_grow, grow_mul(w->cl[gr->cls].grow, gr->count));
        }
        for (size_t gi = 0; gi < w->ev.n_grp; gi++) {
                const struct mes_group *gr = &w->ev.grp[gi];
                bool rich = w->gtmp[gi], whole = gr->count == w->cl[gr->cls].count;
                pb_u128 grow =
                        grow_add(w->cl[gr->cls].grow, grow_muldiv(poor_grow, (uint64_t)gr->u, w->ev.U));
                uint32_t nc = gr->cls;

                if (rich || !pb_big_is_zero(&w->cl[gr->cls].b))
                        payers += gr->count;
                if (!whole) {
                        r = class_new(w, &nc);
                        if (r == PB_OK)
                                r = pb_big_copy(&w->cl[nc].b, &w->cl[gr->cls].b);
                        if (r < 0)
                                return r;
                }
                w->cl[nc].grow = grow;
                if (rich) {
                        r = pb_big_submul_u64(&w->cl[nc].b, &w->ev.N,
                                              (uint64_t)((pb_u128)(uint64_t)gr->u / g));
                        if (r < 0)
                                return r;
                        PB_ASSERT(pb_big_sign(&w->cl[nc].b) >= 0);
                } else {
                        r = pb_big_set_u64(&w->cl[nc].b, 0);
                        if (r < 0)
                                return r;
                }
                w->newcls[gi] = nc;
                if (expect)
                        PB_ASSERT(expect[gi].newcls == nc && expect[gi].cls == gr->cls);
                if (!whole) {
                        w->cl[nc].count = gr->count;
                        w->cl[gr->cls].count -= gr->count;
                        if (!w->cl[gr->cls].count)
                                class_free(w, gr->cls);
                }
        }
        *ret_payers = payers;
        return PB_OK;
}

/* Record this round's paying groups in the trace, on the pick being made. */
static pb_err trace_groups(struct mes_work *w, struct mes_pick *pk)
{
        pb_err r = run_reserve_tg(w->trace, w->ev.n_grp);

        if (r < 0)
                return r;
        pk->grp_at = (uint32_t)w->trace->n_tg;
        pk->grp_n = (uint32_t)w->ev.n_grp;
        for (size_t gi = 0; gi < w->ev.n_grp; gi++) {
                struct mes_tgroup *t = &w->trace->tg[w->trace->n_tg++];
                t->cls = w->ev.grp[gi].cls;
                t->count = w->ev.grp[gi].count;
                t->u = w->ev.grp[gi].u;
                t->newcls = w->newcls[gi];
        }
        return PB_OK;
}

/*
 * Fund project p at the rho just computed for its groups (w->ev.grp in supporter order, w->ev.gorder,
 * w->ev.first_rich, w->ev.N, w->ev.U): rich groups pay rho u, poor ones everything.  The classes are the
 * same whatever the budgets.  With @expect (a reference run's groups) the new classes must be
 * the recorded ones.  The voters move now only when @move is set.
 */
static pb_err pay(struct mes_work *w, uint32_t p, bool move, const struct mes_tgroup *expect,
                  int64_t *ret_payers)
{
        struct mes_pick *pk;
        pb_u128 g;
        pb_err r;

        PB_ASSERT(w->trace != NULL); /* every run records its trace (work_start) */
        pk = &w->trace->picks[w->trace->n_picks];
        r = rescale_budgets(w, &g);
        if (r == PB_OK)
                r = charge_groups(w, g, expect, ret_payers);
        if (r == PB_OK)
                r = trace_groups(w, pk);
        if (r < 0)
                return r;
        if (move) {
                PB_ASSERT(w->core.synced == w->core.round);
                mes_move_voters(&w->core, p, w->trace->tg + pk->grp_at, pk->grp_n);
                w->core.synced = w->core.round + 1;
        }
        w->core.round++;
        return PB_OK;
}

/* Candidates in order of their lower bounds (insertion sort: the order barely changes per round). */
static pb_err sort_candidates(struct mes_work *w)
{
        pb_err r;

        w->core.n_order = mes_keep_candidates(w->core.order, w->core.n_order, w->core.state);
        for (size_t i = 1; i < w->core.n_order; i++) {
                uint32_t x = w->core.order[i];
                size_t j = i;
                while (j > 0) {
                        int c;
                        r = pb_rat_cmp(&w->lb[w->core.order[j - 1]], &w->lb[x], &w->t1, &w->t2, &c);
                        if (r < 0)
                                return r;
                        if (c < 0 || (c == 0 && w->core.mm->rank[w->core.order[j - 1]] < w->core.mm->rank[x]))
                                break;
                        w->core.order[j] = w->core.order[j - 1];
                        j--;
                }
                w->core.order[j] = x;
        }
        return PB_OK;
}

/* Exchange the current evaluation with the kept one (pointers and sizes, no copying). */
static void swap_cached(struct mes_work *w)
{
        struct mes_eval t = w->ev;

        w->ev = w->kept;
        w->kept = t;
}

static int cmp_rank_of(const struct mes_model *mm, uint32_t a, uint32_t b)
{
        return mm->rank[a] < mm->rank[b] ? -1 : mm->rank[a] > mm->rank[b];
}

/*
 * One round: the candidates with the smallest rho.  On return *ret_n tied projects are in
 * w->tied in tie-break order (0 when nothing is affordable), @best holds their rho, and the
 * winner's (w->tied[0]) evaluation is kept aside (w->cached).
 */
static pb_err select_round(struct mes_work *w, struct pb_rat *best, size_t *ret_n)
{
        size_t nt = 0;
        pb_err r;

        r = sort_candidates(w);
        if (r < 0)
                return r;
        w->cached = MES_NO_SLOT;
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
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
                        w->core.state[p] = MES_ST_GONE; /* budgets only shrink: never affordable again */
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
                        if (c < 0 || w->cached == MES_NO_SLOT ||
                            w->core.mm->rank[p] < w->core.mm->rank[w->cached]) {
                                swap_cached(w);
                                w->cached = p;
                        }
                }
        }
        /* tie-break order (few entries) */
        for (size_t i = 1; i < nt; i++)
                for (size_t j = i; j > 0 && cmp_rank_of(w->core.mm, w->tied[j - 1], w->tied[j]) > 0; j--) {
                        uint32_t t = w->tied[j];
                        w->tied[j] = w->tied[j - 1];
                        w->tied[j - 1] = t;
                }
        *ret_n = nt;
        return PB_OK;
}

/* Fund p, whose evaluation at @rho is current (w->ev.grp...), and record it in @out. */
static pb_err fund(struct mes_work *w, struct mes_run *out, uint32_t p, const struct pb_rat *rho, bool move,
                   const struct mes_tgroup *expect)
{
        const struct mes_model *mm = w->core.mm;
        struct mes_pick *pk = &out->picks[out->n_picks];
        int64_t payers = 0;
        pb_err r;

        r = pb_rat_copy(&pk->rho, rho);
        if (r == PB_OK)
                r = pb_rat_copy(&pk->price, rho);
        if (r == PB_OK && mm->uniform[p])
                r = pb_big_mul_u64(&pk->price.num, &pk->price.num, (uint64_t)mm->sup_util[mm->sup_start[p]]);
        pk->tie_at = 0;
        pk->tie_n = 0;
        pk->grp_at = pk->grp_n = 0;
        if (r == PB_OK)
                r = pay(w, p, move, expect, &payers);
        if (r < 0)
                return r;
        pk->project = p;
        pk->payers = payers;
        w->core.state[p] = MES_ST_DONE;
        out->funded[p] = true;
        out->spent += mm->e->projects[p].cost;
        out->n_picks++;
        return PB_OK;
}

/* Projects that cost nothing but please someone are funded first, in tie-break order (pabutools). */
static pb_err fund_free(const struct mes_model *mm, struct mes_run *out)
{
        for (size_t i = 0; i < mm->n_free; i++) {
                uint32_t p = mm->free_order[i];
                struct mes_pick *pk = &out->picks[out->n_picks++];
                pb_err r;

                pk->project = p;
                pk->payers = 0;
                pk->tie_at = pk->tie_n = 0;
                pk->grp_at = pk->grp_n = 0;
                r = pb_rat_set_u64(&pk->rho, 0, 1);
                if (r == PB_OK)
                        r = pb_rat_set_u64(&pk->price, 0, 1);
                if (r < 0)
                        return r;
                out->funded[p] = true;
        }
        return PB_OK;
}

/* Full rounds from the current state until nothing is affordable. */
static pb_err run_rounds(struct mes_work *w, struct mes_run *out)
{
        struct pb_rat best;
        pb_err r = PB_OK;

        pb_rat_init(&best);
        while (r == PB_OK) {
                size_t nt;
                uint32_t p;

                r = select_round(w, &best, &nt);
                if (r < 0 || !nt)
                        break;
                p = w->tied[0];
                PB_ASSERT(w->cached == p);
                swap_cached(w); /* its evaluation, kept aside while later candidates were computed */
                w->cached = MES_NO_SLOT;
                if (nt > 1) {
                        uint32_t at = (uint32_t)out->n_tie_items;
                        struct mes_pick *pk = &out->picks[out->n_picks];
                        r = run_add_ties(out, w->tied, nt);
                        if (r == PB_OK)
                                r = fund(w, out, p, &best, true, NULL);
                        pk->tie_at = at;
                        pk->tie_n = (uint32_t)nt;
                } else {
                        r = fund(w, out, p, &best, true, NULL);
                }
        }
        pb_rat_release(&best);
        return r;
}

/* ---------------------------------------------------------------------------------------------- */
/* incremental runs */

/*
 * The lower bound a record gives at the current per-voter budget, into @ret:
 * val - (beta - base) kappa 2^-64.
 */
static pb_err rec_bound(struct mes_work *w, const struct mes_rec *rec, struct pb_rat *ret)
{
        struct pb_rat *d = &w->q2;
        pb_err r;

        if (!rec->kappa)
                return pb_rat_copy(ret, &rec->val);
        /* d = beta - base = (bn bd' - bn' bd) / (bd bd') */
        r = pb_big_mul(&d->num, &w->beta.num, &rec->base.den);
        if (r == PB_OK)
                r = pb_big_mul(&w->t3, &rec->base.num, &w->beta.den);
        if (r == PB_OK)
                r = pb_big_sub(&d->num, &d->num, &w->t3);
        if (r == PB_OK)
                r = pb_big_mul(&d->den, &w->beta.den, &rec->base.den);
        if (r < 0)
                return r;
        PB_ASSERT(pb_big_sign(&d->num) >= 0);
        /* val - d kappa / 2^64 = (vn dd 2^64 - dn kappa vd) / (vd dd 2^64) */
        r = pb_big_mul(&ret->num, &rec->val.num, &d->den);
        if (r == PB_OK)
                r = pb_big_mul_u128(&ret->num, &ret->num, GROW_ONE);
        if (r == PB_OK)
                r = pb_big_mul_u128(&w->t3, &d->num, rec->kappa);
        if (r == PB_OK)
                r = pb_big_mul(&w->t3, &w->t3, &rec->val.den);
        if (r == PB_OK)
                r = pb_big_sub(&ret->num, &ret->num, &w->t3);
        if (r == PB_OK)
                r = pb_big_mul(&ret->den, &rec->val.den, &d->den);
        if (r == PB_OK)
                r = pb_big_mul_u128(&ret->den, &ret->den, GROW_ONE);
        return r;
}

/*
 * Take over the reference records of this round: each gives a lower bound on a project's rho at
 * the current budget (kept when better than the one we have), or proves it still unaffordable.
 * The records are copied into the new trace, so the next run can use them too.
 */
static pb_err apply_records(struct mes_work *w, const struct mes_run *ref, size_t *ri, uint32_t round)
{
        pb_err r;

        while (*ri < ref->n_recs && ref->recs[*ri].round <= round) {
                const struct mes_rec *rec = &ref->recs[(*ri)++];
                uint32_t p = rec->project;
                struct mes_rec *cp;
                int c;

                r = run_new_rec(w->trace, &cp);
                if (r < 0)
                        return r;
                cp->round = rec->round;
                cp->project = p;
                cp->gone = rec->gone;
                cp->kappa = rec->kappa;
                r = pb_rat_copy(&cp->val, &rec->val);
                if (r == PB_OK)
                        r = pb_rat_copy(&cp->base, &rec->base);
                if (r < 0)
                        return r;
                if (w->core.state[p] != MES_ST_CAND)
                        continue;
                r = rec_bound(w, rec, &w->q1);
                if (r < 0)
                        return r;
                if (rec->gone) {
                        /* still missing money at this budget: unaffordable for the rest of the run */
                        if (pb_big_sign(&w->q1.num) > 0)
                                w->core.state[p] = MES_ST_GONE;
                        continue;
                }
                r = pb_rat_cmp(&w->q1, &w->lb[p], &w->t1, &w->t2, &c);
                if (r == PB_OK && c > 0)
                        r = pb_rat_copy(&w->lb[p], &w->q1);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

/*
 * Is project j, whose rho at this budget is @rho_j, still the round's winner?  Every other
 * candidate must have rho above it (or equal and later in the tie-break order): proven by its
 * lower bound when possible, else by an exact computation (which needs the voters' classes).
 * *ret_ok false: some project may win instead; the caller falls back to full rounds.
 */
static pb_err still_wins(struct mes_work *w, uint32_t j, const struct pb_rat *rho_j, bool *ret_ok)
{
        const struct mes_model *mm = w->core.mm;
        pb_err r;

        *ret_ok = false;
        r = sort_candidates(w);
        for (size_t i = 0; r == PB_OK && i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                bool ok;
                int c;

                if (p == j)
                        continue;
                r = pb_rat_cmp(&w->lb[p], rho_j, &w->t1, &w->t2, &c);
                if (r < 0)
                        return r;
                if (c > 0)
                        break; /* sorted: every later bound clears it too */
                if (c == 0 && mm->rank[p] > mm->rank[j])
                        continue;
                sync_moves(w);
                r = eval(w, p, &ok);
                if (r < 0)
                        return r;
                if (!ok) {
                        w->core.state[p] = MES_ST_GONE;
                        continue;
                }
                r = pb_rat_copy(&w->lb[p], &w->rho);
                if (r == PB_OK)
                        r = pb_rat_cmp(&w->rho, rho_j, &w->t1, &w->t2, &c);
                if (r < 0)
                        return r;
                if (c < 0 || (c == 0 && mm->rank[p] < mm->rank[j]))
                        return PB_OK;
        }
        if (r == PB_OK)
                *ret_ok = true;
        return r;
}

/* At the end of the reference selections: is everything left still unaffordable? */
static pb_err nothing_left(struct mes_work *w, bool *ret_ok)
{
        *ret_ok = false;
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                bool ok;
                pb_err r;
                if (w->core.state[p] != MES_ST_CAND)
                        continue;
                sync_moves(w);
                r = eval(w, p, &ok);
                if (r < 0)
                        return r;
                if (ok)
                        return pb_rat_copy(&w->lb[p], &w->rho);
                w->core.state[p] = MES_ST_GONE;
        }
        *ret_ok = true;
        return PB_OK;
}

/*
 * Replay @ref's rounds while they provably remain the MES rounds at this budget, per class; from
 * the first round that may differ, continue with full rounds.  In @certify mode (the Add1 jump,
 * mes_certify) each round must also beat @ref's own rho at its smaller budget, nothing is run
 * beyond the replay, and *ret_ok says whether every round and the end were proven.
 */
static pb_err replay(struct mes_work *w, const struct mes_model *mm, const struct mes_run *ref,
                     struct mes_run *out, bool certify, bool *ret_ok)
{
        size_t nf = out->n_picks, ri = 0; /* free picks are identical */
        struct pb_rat rho_j;
        bool ok = true;
        pb_err r = PB_OK;

        pb_rat_init(&rho_j);
        *ret_ok = false;
        w->moves = out; /* the replayed rounds' groups are copied into out as they are funded */
        for (size_t t = nf; t < ref->n_picks; t++) {
                const struct mes_pick *rp = &ref->picks[t];
                uint32_t j = rp->project;

                r = apply_records(w, ref, &ri, w->core.round);
                if (r < 0)
                        goto out;
                /* j's rho at this budget, from its recorded groups (the classes are the same) */
                w->ev.n_grp = rp->grp_n;
                mes_groups_from_trace(w->ev.grp, ref->tg + rp->grp_at, rp->grp_n);
                r = rho_from_groups(w, mm->e->projects[j].cost, mm->util_total[j], &ok);
                if (r < 0)
                        goto out;
                PB_ASSERT(ok); /* more budget never makes a funded project unaffordable */
                r = pb_rat_copy(&rho_j, &w->rho);
                if (r < 0)
                        goto out;
                swap_cached(w); /* other evaluations may follow */
                r = still_wins(w, j, certify ? &rp->rho : &rho_j, &ok);
                if (r < 0)
                        goto out;
                if (!ok)
                        break;
                swap_cached(w);
                r = fund(w, out, j, &rho_j, false, ref->tg + rp->grp_at);
                if (r < 0)
                        goto out;
                out->rounds_replayed++;
        }
        if (ok) {
                /* every recorded round replayed: is nothing else affordable at the end either? */
                r = apply_records(w, ref, &ri, w->core.round);
                if (r == PB_OK)
                        r = nothing_left(w, &ok);
                if (r < 0)
                        goto out;
        }
        if (certify || ok) {
                *ret_ok = ok;
                goto out;
        }
        /* from here the selections may differ: full rounds, with the bounds gathered so far */
        sync_moves(w);
        r = run_rounds(w, out);
        *ret_ok = true;
out:
        pb_rat_release(&rho_j);
        return r;
}

pb_err mes_run(struct mes_work *w, const struct mes_model *mm, const struct pb_rat *beta,
               const struct mes_run *ref, struct mes_run *out)
{
        pb_err r;

        PB_ASSERT(ref != out);
        r = run_reset(out, mm->m);
        if (r == PB_OK)
                r = work_start(w, mm, beta, out);
        if (r == PB_OK)
                r = fund_free(mm, out);
        if (r < 0)
                return r;
        if (ref) {
                bool done;
                return replay(w, mm, ref, out, false, &done);
        }
        return run_rounds(w, out);
}

pb_err mes_certify(struct mes_work *w, const struct mes_model *mm, const struct mes_run *ref,
                   const struct pb_rat *beta_hi, struct mes_run *scratch, bool *ret_ok)
{
        pb_err r;

        *ret_ok = false;
        r = run_reset(scratch, mm->m);
        if (r == PB_OK)
                r = work_start(w, mm, beta_hi, scratch);
        if (r == PB_OK)
                r = fund_free(mm, scratch);
        if (r == PB_OK)
                r = replay(w, mm, ref, scratch, true, ret_ok);
        return r;
}

pb_err mes_supporters_left(struct mes_work *w, uint32_t p, struct pb_rat *out)
{
        const struct mes_model *mm = w->core.mm;
        pb_err r;

        PB_ASSERT(mm != NULL && p < mm->m);
        sync_moves(w);
        r = pb_big_set_u64(&out->num, 0);
        for (size_t k = mm->sup_start[p]; r == PB_OK && k < mm->sup_start[p + 1]; k++) {
                uint32_t v = mm->sup_voter[k];
                r = pb_big_addmul_u64(&out->num, &w->cl[w->core.cls[v]].b, mm->weight[v]);
        }
        if (r == PB_OK)
                r = pb_big_copy(&out->den, &w->D);
        return r == PB_OK ? pb_rat_reduce(out) : r;
}
