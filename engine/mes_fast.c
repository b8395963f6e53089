/**
 * @file The Method of Equal Shares in bounded arithmetic, for the Add1 search
 * (engine/mes_fast_int.h; docs/rules.md (proportional rules), §4 (c), "Bounded arithmetic").
 *
 * Same rule, same structure as engine/mes.c (budget classes, laziness, incremental runs,
 * certificates); what differs is the arithmetic.  A class budget is an interval [lo, hi] of
 * integers in units of 2^-F minor units that contains the exact budget.  A price per unit of
 * utility is an interval of exact fractions num / (den 2^F).  Why each step keeps the exact value
 * inside its interval:
 *
 *  - the supporters of p can pay min(b_i, x u_i) at price x; that sum grows with every budget, so
 *    the price rho (the smallest x at which they hold p's cost) computed from the high ends of
 *    the budgets is at most the exact rho, and the one from the low ends at least;
 *  - a supporter's new budget max(0, b - rho u) grows with b and falls with rho: the low end
 *    comes from the low budget and the high price, the high end from the high budget and the low
 *    price (rounded outwards to whole units of 2^-F);
 *  - the costs are exact (cost times 2^F), and a price whose two ends agree is exact.
 *
 * A decision is taken only when the intervals prove it: a project wins a round when its high end
 * is below every rival's low end (or both are the same exact price, or the projects are clones,
 * and the tie-break favours it); a project is affordable when the low ends of its supporters'
 * budgets hold its cost, unaffordable when the high ends do not.  Anything else returns
 * "unknown" and the caller asks the exact engine.  Everything stays below 2^127: budgets below
 * 2^95 (mf_usable() picks F so), ballots below 2^32, utilities below 2^63; fractions are
 * compared by 256-bit products.
 */
#include <string.h>

#include "engine/mes_fast_int.h"
#include "engine/pb_alloc.h"

enum cmp { LT, EQ, GT, UNK };

#define BITS_MAX 95 /* budgets (2^-F units) stay below 2^95 */

/* ---------------------------------------------------------------------------------------------- */
/* 256-bit helpers */

struct u256 {
        pb_u128 hi, lo;
};

static struct u256 mul128(pb_u128 a, pb_u128 b)
{
        uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
        pb_u128 p00 = (pb_u128)a0 * b0, p01 = (pb_u128)a0 * b1, p10 = (pb_u128)a1 * b0,
                p11 = (pb_u128)a1 * b1;
        pb_u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
        struct u256 r;

        r.lo = (mid << 64) | (uint64_t)p00;
        r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        return r;
}

static int cmp256(struct u256 a, struct u256 b)
{
        if (a.hi != b.hi)
                return a.hi < b.hi ? -1 : 1;
        return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static unsigned bitlen128(pb_u128 a)
{
        unsigned n = 0;
        while (a) {
                a >>= 1;
                n++;
        }
        return n;
}

static unsigned bitlen256(struct u256 a)
{
        return a.hi ? 128 + bitlen128(a.hi) : bitlen128(a.lo);
}

/* a b, when bitlen(a) + bitlen(b) <= 256 (checked by the caller). */
static struct u256 mul256(struct u256 a, pb_u128 b)
{
        struct u256 r = mul128(a.lo, b), t = mul128(a.hi, b);

        r.hi += t.lo;
        return r;
}

/* ceil(a / d) for 0 < d < 2^64. */
static struct u256 divceil256(struct u256 a, uint64_t d)
{
        uint64_t limb[4] = { (uint64_t)(a.hi >> 64), (uint64_t)a.hi, (uint64_t)(a.lo >> 64), (uint64_t)a.lo };
        pb_u128 rem = 0;
        struct u256 q;

        for (int i = 0; i < 4; i++) {
                pb_u128 cur = (rem << 64) | limb[i];
                limb[i] = (uint64_t)(cur / d);
                rem = cur % d;
        }
        q.hi = ((pb_u128)limb[0] << 64) | limb[1];
        q.lo = ((pb_u128)limb[2] << 64) | limb[3];
        if (rem && ++q.lo == 0)
                q.hi++;
        return q;
}

/* a num / a den vs b num / b den. */
static int cmp_q(struct mf_q a, struct mf_q b)
{
        return cmp256(mul128(a.num, b.den), mul128(b.num, a.den));
}

/* ---------------------------------------------------------------------------------------------- */
/* runs and their traces */

void mf_run_init(struct mf_run *r)
{
        memset(r, 0, sizeof(*r));
}

void mf_run_release(struct mf_run *r)
{
        if (!r)
                return;
        pb_free(r->picks);
        pb_free(r->funded);
        pb_free(r->tg);
        pb_free(r->tpoor);
        pb_free(r->recs);
        mf_run_init(r);
}

static pb_err run_reset(struct mf_run *r, size_t m)
{
        if (r->m != m || !r->picks) {
                pb_free(r->picks);
                pb_free(r->funded);
                r->picks = pb_calloc(m ? m : 1, sizeof(*r->picks));
                r->funded = pb_calloc(m ? m : 1, sizeof(*r->funded));
                r->m = m;
                if (!r->picks || !r->funded)
                        return PB_ERR_NOMEM;
        }
        memset(r->funded, 0, (m ? m : 1) * sizeof(*r->funded));
        r->n_picks = 0;
        r->spent = 0;
        r->n_tg = 0;
        r->n_recs = 0;
        r->rounds_replayed = 0;
        return PB_OK;
}

static pb_err run_reserve_tg(struct mf_run *r, size_t n)
{
        struct mes_tgroup *t = pb_grow(r->tg, &r->tg_cap, r->n_tg + n, sizeof(*t), 256);
        uint8_t *h;

        if (!t)
                return PB_ERR_NOMEM;
        r->tg = t;
        h = pb_grow(r->tpoor, &r->tpoor_cap, r->n_tg + n, sizeof(*h), 256);
        if (!h)
                return PB_ERR_NOMEM;
        r->tpoor = h;
        return PB_OK;
}

/* Append a copy of @rec to the run's records. */
static pb_err run_add_rec(struct mf_run *r, const struct mf_rec *rec)
{
        struct mf_rec *t = pb_grow(r->recs, &r->recs_cap, r->n_recs + 1, sizeof(*t), 256);

        if (!t)
                return PB_ERR_NOMEM;
        r->recs = t;
        r->recs[r->n_recs++] = *rec;
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* work area */

void mf_work_init(struct mf_work *w)
{
        memset(w, 0, sizeof(*w));
        w->cached = MES_NO_SLOT;
}

static void eval_release(struct mf_eval *e)
{
        pb_free(e->grp);
        pb_free(e->poor);
}

void mf_work_release(struct mf_work *w)
{
        if (!w)
                return;
        mes_core_release(&w->core);
        pb_free(w->cl);
        pb_free(w->lb);
        pb_free(w->clone);
        pb_free(w->idx);
        pb_free(w->key);
        eval_release(&w->ev);
        eval_release(&w->kept);
        mf_work_init(w);
}

/* Projects with the same cost and the same supporters (same utilities): their prices are equal
 * in every round in which neither is funded, so a tie between them is known without arithmetic. */
static void find_clones(struct mf_work *w)
{
        const struct mes_model *mm = w->core.mm;

        for (uint32_t p = 0; p < mm->m; p++) {
                size_t a = mm->sup_start[p], n = mm->sup_start[p + 1] - a;
                w->clone[p] = p;
                for (uint32_t q = 0; q < p && w->clone[p] == p; q++) {
                        size_t b = mm->sup_start[q];
                        if (w->clone[q] == q && mm->e->projects[q].cost == mm->e->projects[p].cost &&
                            mm->sup_start[q + 1] - b == n &&
                            !memcmp(mm->sup_voter + a, mm->sup_voter + b, n * sizeof(*mm->sup_voter)) &&
                            !memcmp(mm->sup_util + a, mm->sup_util + b, n * sizeof(*mm->sup_util)))
                                w->clone[p] = q;
                }
        }
}

/* An evaluation's arrays, for up to @maxsup groups. */
static bool eval_alloc(struct mf_eval *e, size_t maxsup)
{
        e->grp = pb_calloc(maxsup, sizeof(*e->grp));
        e->poor = pb_calloc(maxsup, sizeof(*e->poor));
        return e->grp && e->poor;
}

/* Allocate this engine's per-model arrays, once (a work area serves one model). */
static pb_err work_alloc(struct mf_work *w)
{
        size_t m1 = w->core.mm->m ? w->core.mm->m : 1, maxgrp = w->core.max_grp;
        bool ok = eval_alloc(&w->ev, maxgrp) && eval_alloc(&w->kept, maxgrp);

        w->clone = pb_calloc(m1, sizeof(*w->clone));
        w->lb = pb_calloc(m1, sizeof(*w->lb));
        w->idx = pb_calloc(maxgrp, sizeof(*w->idx));
        w->key = pb_calloc(maxgrp, sizeof(*w->key));
        if (!ok || !w->lb || !w->clone || !w->idx || !w->key)
                return PB_ERR_NOMEM;
        w->m = w->core.mm->m;
        find_clones(w);
        return PB_OK;
}

static pb_err class_new(struct mf_work *w, uint32_t *ret)
{
        struct mf_class *cl = mes_slots_take(&w->core.sl, w->cl, sizeof(*w->cl), ret);

        if (!cl)
                return PB_ERR_NOMEM;
        w->cl = cl;
        w->cl[*ret].count = 0;
        return PB_OK;
}

static void class_free(struct mf_work *w, uint32_t c)
{
        w->cl[c].count = 0;
        mes_slots_put(&w->core.sl, c);
}

/* The utility of p's supporters (one value: mf_usable() checked it). */
static uint64_t util_of(const struct mes_model *mm, uint32_t p)
{
        return (uint64_t)mm->sup_util[mm->sup_start[p]];
}

/* Start a run: everyone in one class with budget beta (floor and ceiling in units of 2^-F);
 * the candidates' bounds at cost / total utility (every supporter paying in full), exact. */
static pb_err work_start(struct mf_work *w, const struct mes_model *mm, unsigned fbits,
                         const struct mf_beta *beta, struct mf_run *trace)
{
        uint32_t c0;
        pb_u128 q, rem;
        bool fresh;
        pb_err r = mes_core_attach(&w->core, mm, &fresh);

        if (r == PB_OK && fresh)
                r = work_alloc(w);
        if (r < 0)
                return r;
        PB_ASSERT(beta->den > 0 && beta->den < ((uint64_t)1 << 32));
        w->fbits = fbits;
        w->beta = *beta;
        mes_core_start(&w->core);
        w->trace = trace;
        w->moves = trace;
        w->cached = MES_NO_SLOT;
        if (mm->nv) {
                r = class_new(w, &c0);
                if (r < 0)
                        return r;
                q = beta->num / beta->den;
                rem = beta->num % beta->den;
                w->cl[c0].lo = (q << fbits) + (rem << fbits) / beta->den;
                w->cl[c0].hi = w->cl[c0].lo + ((rem << fbits) % beta->den != 0);
                w->cl[c0].count = (uint32_t)mm->n;
                w->cl[c0].grow = GROW_ONE;
        }
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                w->lb[p].lo.num = (pb_u128)(uint64_t)mm->e->projects[p].cost << fbits;
                w->lb[p].lo.den = mm->util_total[p];
        }
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* one project's price */

/* Group p's supporters by class, in supporter order (one utility: one segment). */
static void group_supporters(struct mf_work *w, uint32_t p)
{
        w->ev.n_grp = mes_group_supporters(&w->core, p, w->ev.grp, NULL, NULL);
}

/*
 * The price per supporter x (2^-F units) at which the groups, with budgets w->key[], hold @cost:
 * the smallest x with sum cnt min(b, x) >= cost.  A selection, not a sort (expected linear
 * time): a pivot's x-test tells which side of it pays in full.  Returns x = *ret_n / *ret_rich
 * and sets bit @mark of w->ev.poor[] for the groups that pay less than x (all they have).
 * The groups must hold the cost (sum cnt b >= cost).
 */
static void water_level(struct mf_work *w, pb_u128 cost, uint8_t mark, pb_u128 *ret_n, pb_u128 *ret_rich)
{
        size_t lo = 0, hi = w->ev.n_grp;
        pb_u128 poor_sum = 0, rich = 0;

        for (size_t g = 0; g < w->ev.n_grp; g++)
                w->idx[g] = (uint32_t)g;
        while (lo < hi) {
                pb_u128 piv = w->key[w->idx[lo + (hi - lo) / 2]], below = 0, upper = 0;
                size_t a = lo, b = lo, z = hi;
                /* three-way partition of idx[lo, hi): [lo, a) < piv, [a, b) == piv, [z, hi) > piv */
                while (b < z) {
                        uint32_t g = w->idx[b], t;
                        if (w->key[g] < piv) {
                                t = w->idx[a];
                                w->idx[a++] = g;
                                w->idx[b++] = t;
                        } else if (w->key[g] > piv) {
                                t = w->idx[--z];
                                w->idx[z] = g;
                                w->idx[b] = t;
                        } else {
                                b++;
                        }
                }
                for (size_t i = lo; i < a; i++)
                        below += w->key[w->idx[i]] * w->ev.grp[w->idx[i]].count;
                for (size_t i = a; i < hi; i++)
                        upper += w->ev.grp[w->idx[i]].count;
                if (poor_sum + below + (upper + rich) * piv >= cost) {
                        rich += upper; /* x <= piv: the pivot's groups and those above pay in full */
                        hi = a;
                } else {
                        poor_sum += below; /* x > piv: the pivot's groups and those below pay all */
                        for (size_t i = a; i < b; i++)
                                poor_sum += piv * w->ev.grp[w->idx[i]].count;
                        lo = b;
                }
        }
        for (size_t i = 0; i < lo; i++)
                w->ev.poor[w->idx[i]] |= mark;
        *ret_n = cost - poor_sum;
        *ret_rich = rich;
}

/*
 * The split of a water level proven directly: the groups marked @hint in w->ev.poor pay all they
 * have, the others the same price x = (cost - their sum) / their voters, and each group's budget
 * (high ends when @hi) is on its side of x.  On success the marks are copied to bit @mark.
 * Usually true for the split found with the other ends of the budgets, or by the reference run.
 */
static bool split_holds(struct mf_work *w, pb_u128 cost, bool hi, uint8_t hint, uint8_t mark, pb_u128 *ret_n,
                        pb_u128 *ret_rich)
{
        pb_u128 sum = 0, rich = 0, n;

        for (size_t g = 0; g < w->ev.n_grp; g++) {
                const struct mf_class *c = &w->cl[w->ev.grp[g].cls];
                if (w->ev.poor[g] & hint)
                        sum += (hi ? c->hi : c->lo) * w->ev.grp[g].count;
                else
                        rich += w->ev.grp[g].count;
        }
        if (!rich || sum >= cost)
                return false;
        n = cost - sum;
        for (size_t g = 0; g < w->ev.n_grp; g++) {
                const struct mf_class *c = &w->cl[w->ev.grp[g].cls];
                bool poor = (w->ev.poor[g] & hint) != 0;
                if (((hi ? c->hi : c->lo) * rich < n) != poor)
                        return false;
        }
        for (size_t g = 0; g < w->ev.n_grp; g++)
                w->ev.poor[g] = (uint8_t)((w->ev.poor[g] & ~mark) | ((w->ev.poor[g] & hint) ? mark : 0));
        *ret_n = n;
        *ret_rich = rich;
        return true;
}

/* The water level with the high (@hi) or low ends of the budgets: from the hint when it holds,
 * else by selection. */
static void level(struct mf_work *w, pb_u128 cost, bool hi, uint8_t hint, uint8_t mark, pb_u128 *ret_n,
                  pb_u128 *ret_rich)
{
        if (hint && split_holds(w, cost, hi, hint, mark, ret_n, ret_rich))
                return;
        for (size_t g = 0; g < w->ev.n_grp; g++) {
                w->ev.poor[g] &= (uint8_t)~mark;
                w->key[g] = hi ? w->cl[w->ev.grp[g].cls].hi : w->cl[w->ev.grp[g].cls].lo;
        }
        water_level(w, cost, mark, ret_n, ret_rich);
}

/* Both ends' splits from the hints (bit 1: poor with the high budgets, bit 2: with the low ones),
 * checked in one pass; false when either does not hold. */
static bool hinted_levels(struct mf_work *w, pb_u128 cost, pb_u128 sum_hi, pb_u128 rich_hi, pb_u128 sum_lo,
                          pb_u128 rich_lo)
{
        pb_u128 n_hi, n_lo;

        if (!rich_hi || !rich_lo || sum_hi >= cost || sum_lo >= cost)
                return false;
        n_lo = cost - sum_hi; /* the high budgets give the low price */
        n_hi = cost - sum_lo;
        for (size_t g = 0; g < w->ev.n_grp; g++) {
                const struct mf_class *c = &w->cl[w->ev.grp[g].cls];
                if ((c->hi * rich_hi < n_lo) != ((w->ev.poor[g] & 1) != 0) ||
                    (c->lo * rich_lo < n_hi) != ((w->ev.poor[g] & 2) != 0))
                        return false;
        }
        w->ev.n_lo = n_lo;
        w->ev.rich_lo = rich_hi;
        w->ev.n_hi = n_hi;
        w->ev.rich_hi = rich_lo;
        return true;
}

/*
 * p's price from its groups (w->ev.grp): affordability from the sums of the low and high budgets,
 * then the price interval (high budgets give its low end, low budgets its high end), kappa (as
 * mes.c: the poor groups' growth over the rich utility, every group poor at either end counted),
 * or when unaffordable the deficit and the supporters' total growth.  @hinted: w->ev.poor holds the
 * split a reference run found (bits 1 and 2), tried first.  false: affordability undecided.
 */
static bool price(struct mf_work *w, uint32_t p, bool hinted)
{
        const struct mes_model *mm = w->core.mm;
        const pb_u128 cost = (pb_u128)(uint64_t)mm->e->projects[p].cost << w->fbits;
        const uint64_t u = util_of(mm, p);
        pb_u128 s_lo = 0, s_hi = 0, grow = 0, rich, h_sum_hi = 0, h_sum_lo = 0, h_rich_hi = 0, h_rich_lo = 0;

        w->evaluations++;
        w->groups += w->ev.n_grp;
        for (size_t g = 0; g < w->ev.n_grp; g++) {
                const struct mf_class *c = &w->cl[w->ev.grp[g].cls];
                pb_u128 lo = c->lo * w->ev.grp[g].count, hi = c->hi * w->ev.grp[g].count;
                s_lo += lo;
                s_hi += hi;
                if (!hinted) {
                        w->ev.poor[g] = 0;
                        continue;
                }
                if (w->ev.poor[g] & 1)
                        h_sum_hi += hi;
                else
                        h_rich_hi += w->ev.grp[g].count;
                if (w->ev.poor[g] & 2)
                        h_sum_lo += lo;
                else
                        h_rich_lo += w->ev.grp[g].count;
        }
        w->gone = s_hi < cost;
        if (w->gone) {
                for (size_t g = 0; g < w->ev.n_grp; g++)
                        grow = grow_add(grow, grow_mul(w->cl[w->ev.grp[g].cls].grow, w->ev.grp[g].count));
                w->deficit = cost - s_hi;
                w->ev.kappa = grow;
                return true;
        }
        if (s_lo < cost)
                return false;
        if (!hinted || !hinted_levels(w, cost, h_sum_hi, h_rich_hi, h_sum_lo, h_rich_lo)) {
                level(w, cost, true, hinted ? 1 : 0, 1, &w->ev.n_lo, &w->ev.rich_lo);
                level(w, cost, false, 1, 2, &w->ev.n_hi, &w->ev.rich_hi);
        }
        w->ev.rho.lo.num = w->ev.n_lo;
        w->ev.rho.lo.den = w->ev.rich_lo * u;
        w->ev.rho.hi.num = w->ev.n_hi;
        w->ev.rho.hi.den = w->ev.rich_hi * u;
        for (size_t g = 0; g < w->ev.n_grp; g++)
                if (w->ev.poor[g])
                        grow = grow_add(grow, grow_mul(w->cl[w->ev.grp[g].cls].grow, w->ev.grp[g].count));
        rich = (w->ev.rich_lo < w->ev.rich_hi ? w->ev.rich_lo : w->ev.rich_hi) * u;
        w->ev.kappa = grow ? grow_muldiv(grow, 1, rich) : 0;
        return true;
}

/* Record what an evaluation proved, for later incremental runs (as mes.c's record()). */
static pb_err record(struct mf_work *w, uint32_t p)
{
        struct mf_rec rec = { .round = w->core.round,
                              .project = p,
                              .gone = w->gone,
                              .val = w->ev.rho.lo,
                              .base = w->beta,
                              .kappa = w->ev.kappa };

        if (w->gone)
                rec.val = (struct mf_q){ .num = w->deficit, .den = 1 };
        return run_add_rec(w->trace, &rec);
}

/* Evaluate candidate p now (visits its supporters); false when it could not be decided. */
static pb_err eval(struct mf_work *w, uint32_t p, bool *ret_known)
{
        group_supporters(w, p);
        *ret_known = price(w, p, false);
        return *ret_known ? record(w, p) : PB_OK;
}

/* Compare the evaluations of a and b (same round): proven order, proven equality, or unknown. */
static enum cmp cmp_rho(const struct mf_work *w, uint32_t a, const struct mf_rho *ra, uint32_t b,
                        const struct mf_rho *rb)
{
        if (w->clone[a] == w->clone[b])
                return EQ; /* same cost, same supporters, neither funded yet: the same price */
        if (cmp_q(ra->hi, rb->lo) < 0)
                return LT;
        if (cmp_q(ra->lo, rb->hi) > 0)
                return GT;
        if (!cmp_q(ra->lo, ra->hi) && !cmp_q(rb->lo, rb->hi) && !cmp_q(ra->lo, rb->lo))
                return EQ; /* both exact and equal */
        return UNK;
}

/* ---------------------------------------------------------------------------------------------- */
/* funding */

/* Bring cls[] up to date with the rounds funded so far (incremental runs defer the moves). */
static void sync_moves(struct mf_work *w)
{
        for (; w->core.synced < w->core.round; w->core.synced++) {
                const struct mf_pick *pk =
                        &w->moves->picks[w->core.mm->n_free + w->core.synced]; /* free picks first */
                mes_move_voters(&w->core, pk->project, w->moves->tg + pk->grp_at, pk->grp_n);
        }
}

/* A class's budget after paying the price per supporter, known to lie in [p_lo, p_hi]:
 * max(0, b - price), the low end from the low budget and the high price. */
static void charge(const struct mf_class *from, struct mf_class *to, pb_u128 p_lo, pb_u128 p_hi)
{
        to->lo = from->lo > p_hi ? from->lo - p_hi : 0;
        to->hi = from->hi > p_lo ? from->hi - p_lo : 0;
}

/*
 * Fund p at the evaluation in w (groups in supporter order): every group moves to a class of its
 * own (a whole class stays in place), allocated in supporter order, with its budget charged and
 * its growth bound raised as mes.c does.  @expect: a reference run's groups (the new classes
 * must be the recorded ones).  The groups are recorded in the trace, on the pick being made.
 */
static pb_err pay(struct mf_work *w, uint32_t p, const struct mes_tgroup *expect, struct mf_pick *pk)
{
        const uint64_t u = util_of(w->core.mm, p);
        const pb_u128 rich = (w->ev.rich_lo < w->ev.rich_hi ? w->ev.rich_lo : w->ev.rich_hi) * u;
        /* the price per supporter, rounded outwards to whole units of 2^-F */
        const pb_u128 p_lo = w->ev.n_lo / w->ev.rich_lo,
                      p_hi = w->ev.n_hi / w->ev.rich_hi + (w->ev.n_hi % w->ev.rich_hi != 0);
        pb_u128 poor_grow = 0, extra;
        pb_err r = run_reserve_tg(w->trace, w->ev.n_grp);

        if (r < 0)
                return r;
        for (size_t g = 0; g < w->ev.n_grp; g++)
                if (w->ev.poor[g])
                        poor_grow = grow_add(poor_grow,
                                             grow_mul(w->cl[w->ev.grp[g].cls].grow, w->ev.grp[g].count));
        extra = grow_muldiv(poor_grow, u, rich); /* what the poor could add to the price, per voter */
        pk->grp_at = (uint32_t)w->trace->n_tg;
        pk->grp_n = (uint32_t)w->ev.n_grp;
        for (size_t g = 0; g < w->ev.n_grp; g++) {
                const struct mes_group *gr = &w->ev.grp[g];
                struct mes_tgroup *t = &w->trace->tg[w->trace->n_tg++];
                bool whole = gr->count == w->cl[gr->cls].count;
                uint32_t nc = gr->cls;
                if (!whole) {
                        r = class_new(w, &nc);
                        if (r < 0)
                                return r;
                }
                charge(&w->cl[gr->cls], &w->cl[nc], p_lo, p_hi);
                w->cl[nc].grow = grow_add(w->cl[gr->cls].grow, extra);
                if (expect)
                        PB_ASSERT(expect[g].newcls == nc && expect[g].cls == gr->cls);
                if (!whole) {
                        w->cl[nc].count = gr->count;
                        w->cl[gr->cls].count -= gr->count;
                        if (!w->cl[gr->cls].count)
                                class_free(w, gr->cls);
                }
                t->cls = gr->cls;
                t->count = gr->count;
                t->u = gr->u;
                t->newcls = nc;
                w->trace->tpoor[t - w->trace->tg] = w->ev.poor[g];
        }
        return PB_OK;
}

static void fund(struct mf_work *w, struct mf_run *out, uint32_t p)
{
        w->core.state[p] = MES_ST_DONE;
        out->funded[p] = true;
        out->spent += w->core.mm->e->projects[p].cost;
        out->n_picks++;
}

/* Fund p at the evaluation in w; the voters move now when @move, else later (sync_moves). */
static pb_err fund_eval(struct mf_work *w, struct mf_run *out, uint32_t p, bool move,
                        const struct mes_tgroup *expect)
{
        struct mf_pick *pk = &out->picks[out->n_picks];
        pb_err r;

        pk->project = p;
        pk->rho = w->ev.rho;
        r = pay(w, p, expect, pk);
        if (r < 0)
                return r;
        if (move) {
                PB_ASSERT(w->core.synced == w->core.round);
                mes_move_voters(&w->core, p, out->tg + pk->grp_at, pk->grp_n);
                w->core.synced = w->core.round + 1;
        }
        w->core.round++;
        fund(w, out, p);
        return PB_OK;
}

/* Projects that cost nothing but please someone are funded first, in tie-break order (as mes.c). */
static void fund_free(const struct mes_model *mm, struct mf_run *out)
{
        for (size_t i = 0; i < mm->n_free; i++) {
                struct mf_pick *pk = &out->picks[out->n_picks++];
                memset(pk, 0, sizeof(*pk));
                pk->project = mm->free_order[i];
                out->funded[pk->project] = true;
        }
}

/* ---------------------------------------------------------------------------------------------- */
/* full rounds */

/* Exchange the current evaluation with the kept one (pointers and sizes, no copying). */
static void swap_cached(struct mf_work *w)
{
        struct mf_eval t = w->ev;

        w->ev = w->kept;
        w->kept = t;
}

/* lb[a] before lb[b]: smaller bound, then the tie-break. */
static bool before(const struct mf_work *w, uint32_t a, uint32_t b)
{
        int c = cmp_q(w->lb[a].lo, w->lb[b].lo);
        return c < 0 || (c == 0 && w->core.mm->rank[a] < w->core.mm->rank[b]);
}

/* Candidates by lower bound (insertion sort: the order barely changes from round to round). */
static void sort_candidates(struct mf_work *w)
{
        w->core.n_order = mes_keep_candidates(w->core.order, w->core.n_order, w->core.state);
        for (size_t i = 1; i < w->core.n_order; i++) {
                uint32_t x = w->core.order[i];
                size_t j = i;
                for (; j > 0 && before(w, x, w->core.order[j - 1]); j--)
                        w->core.order[j] = w->core.order[j - 1];
                w->core.order[j] = x;
        }
}

/* Can a candidate whose bound is @lb (rank of @p) no longer beat @best at price up to @hi? */
static bool beaten(const struct mf_work *w, uint32_t p, const struct mf_q *lb, uint32_t best,
                   const struct mf_q *hi)
{
        int c = cmp_q(*lb, *hi);
        return c > 0 || (c == 0 && w->core.mm->rank[p] > w->core.mm->rank[best]);
}

/*
 * One round: the winner into *ret_best (UINT32_MAX when nothing is affordable), its evaluation
 * kept aside (w->cached).  Candidates are visited by lower bound, and the visit stops at the
 * first that can no longer beat the best found (as mes.c).  *ret_known false: undecided.
 */
static pb_err select_round(struct mf_work *w, uint32_t *ret_best, bool *ret_known)
{
        uint32_t best = MES_NO_SLOT;
        pb_err r = PB_OK;

        *ret_best = MES_NO_SLOT;
        sort_candidates(w);
        *ret_known = true;
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                enum cmp c = LT;
                if (best != MES_NO_SLOT && beaten(w, p, &w->lb[p].lo, best, &w->kept.rho.hi))
                        break;
                r = eval(w, p, ret_known);
                if (r < 0 || !*ret_known)
                        return r;
                if (w->gone) {
                        w->core.state[p] = MES_ST_GONE; /* budgets only shrink: never affordable again */
                        continue;
                }
                w->lb[p].lo = w->ev.rho.lo;
                if (best != MES_NO_SLOT)
                        c = cmp_rho(w, p, &w->ev.rho, best, &w->kept.rho);
                if (c == UNK) {
                        *ret_known = false;
                        return PB_OK;
                }
                if (c == LT || (c == EQ && w->core.mm->rank[p] < w->core.mm->rank[best])) {
                        best = p;
                        swap_cached(w);
                }
        }
        *ret_best = best;
        return r;
}

/* Full rounds from the current state until nothing is affordable. */
static pb_err run_rounds(struct mf_work *w, struct mf_run *out, bool *ret_known)
{
        for (;;) {
                uint32_t best = MES_NO_SLOT;
                pb_err r = select_round(w, &best, ret_known);
                if (r < 0 || !*ret_known || best == MES_NO_SLOT)
                        return r;
                swap_cached(w);
                r = fund_eval(w, out, best, true, NULL);
                if (r < 0)
                        return r;
        }
}

/* ---------------------------------------------------------------------------------------------- */
/* incremental runs */

/*
 * A record's bound at the current per-voter budget: val - (beta - base) kappa 2^-64, rounded
 * down, as a fraction over val.den 2^F (0 when it says nothing).  The subtracted part is
 * (X / (d1 d2)) kappa den 2^F / 2^64 with X / (d1 d2) = beta - base, rounded up, in 256 bits;
 * past 2^127 it is larger than val anyway.
 */
static struct mf_q rec_bound(const struct mf_work *w, const struct mf_rec *rec)
{
        struct mf_q b = rec->val;
        struct u256 x = mul128(w->beta.num, rec->base.den), y = mul128(rec->base.num, w->beta.den);

        PB_ASSERT(cmp256(x, y) >= 0); /* records are only used at larger budgets */
        if (!rec->kappa || !cmp256(x, y))
                return b;
        x.hi -= y.hi + (x.lo < y.lo);
        x.lo -= y.lo;
        if (bitlen256(x) + bitlen128(rec->kappa) > 255)
                goto none;
        x = mul256(x, rec->kappa);
        if (bitlen256(x) + bitlen128(rec->val.den) > 255)
                goto none;
        x = mul256(x, rec->val.den);
        x = divceil256(divceil256(x, w->beta.den), rec->base.den);
        x = divceil256(x, (uint64_t)1 << (64 - w->fbits)); /* F <= 64 */
        if (x.hi || x.lo >= b.num)
                goto none;
        b.num -= x.lo;
        return b;
none:
        b.num = 0;
        return b;
}

/* Take over the reference's records of this round (copied into the trace), as mes.c. */
static pb_err apply_records(struct mf_work *w, const struct mf_run *ref, size_t *ri, uint32_t round)
{
        while (*ri < ref->n_recs && ref->recs[*ri].round <= round) {
                const struct mf_rec *rec = &ref->recs[(*ri)++];
                uint32_t p = rec->project;
                struct mf_q b;
                pb_err r = run_add_rec(w->trace, rec);

                if (r < 0)
                        return r;
                if (w->core.state[p] != MES_ST_CAND)
                        continue;
                b = rec_bound(w, rec);
                if (rec->gone) {
                        if (b.num > 0)
                                w->core.state[p] = MES_ST_GONE; /* still missing money at this budget */
                } else if (cmp_q(b, w->lb[p].lo) > 0) {
                        w->lb[p].lo = b;
                }
        }
        return PB_OK;
}

/* Result of a proof step: proven, disproven (the caller goes on with full rounds), undecided. */
enum proof { PROVEN, REFUTED, UNDECIDED };

/*
 * Is j, at price @rho_j, still the round's winner?  Every other candidate must be proven above it
 * (or equal and later in the tie-break): by its bound, else by evaluating it (as mes.c).
 */
static pb_err still_wins(struct mf_work *w, uint32_t j, const struct mf_rho *rho_j, enum proof *ret)
{
        *ret = UNDECIDED;
        sort_candidates(w);
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                enum cmp c;
                bool known;
                pb_err r;
                if (p == j)
                        continue;
                if (beaten(w, p, &w->lb[p].lo, j, &rho_j->hi)) {
                        if (cmp_q(w->lb[p].lo, rho_j->hi) > 0)
                                break; /* sorted: every later bound clears it too */
                        continue;
                }
                sync_moves(w);
                r = eval(w, p, &known);
                if (r < 0 || !known)
                        return r;
                if (w->gone) {
                        w->core.state[p] = MES_ST_GONE;
                        continue;
                }
                w->lb[p].lo = w->ev.rho.lo;
                c = cmp_rho(w, p, &w->ev.rho, j, rho_j);
                if (c == UNK)
                        return PB_OK;
                if (c == LT || (c == EQ && w->core.mm->rank[p] < w->core.mm->rank[j])) {
                        *ret = REFUTED;
                        return PB_OK;
                }
        }
        *ret = PROVEN;
        return PB_OK;
}

/* At the end of the reference's selections: is everything left unaffordable? */
static pb_err nothing_left(struct mf_work *w, enum proof *ret)
{
        *ret = UNDECIDED;
        for (size_t i = 0; i < w->core.n_order; i++) {
                uint32_t p = w->core.order[i];
                bool known;
                pb_err r;
                if (w->core.state[p] != MES_ST_CAND)
                        continue;
                sync_moves(w);
                r = eval(w, p, &known);
                if (r < 0 || !known)
                        return r;
                if (!w->gone) {
                        w->lb[p].lo = w->ev.rho.lo;
                        *ret = REFUTED;
                        return PB_OK;
                }
                w->core.state[p] = MES_ST_GONE;
        }
        *ret = PROVEN;
        return PB_OK;
}

/* The reference's round @rp at this budget: j's price from its recorded groups. */
static bool replay_price(struct mf_work *w, const struct mf_run *ref, const struct mf_pick *rp)
{
        w->ev.n_grp = rp->grp_n;
        mes_groups_from_trace(w->ev.grp, ref->tg + rp->grp_at, rp->grp_n);
        memcpy(w->ev.poor, ref->tpoor + rp->grp_at, rp->grp_n * sizeof(*w->ev.poor));
        if (!price(w, rp->project, true))
                return false;
        PB_ASSERT(!w->gone); /* more budget never makes a funded project unaffordable */
        return true;
}

/*
 * Replay @ref's rounds while they provably remain the MES rounds at this budget; then (unless
 * @certify) go on with full rounds.  In @certify mode every round must also beat @ref's own price
 * at its smaller budget and nothing else may be affordable at the end (as mes.c's replay()).
 * *ret: PROVEN (certify: certified; else: the run is complete), otherwise not proven.
 */
static pb_err replay(struct mf_work *w, const struct mf_run *ref, struct mf_run *out, bool certify,
                     enum proof *ret)
{
        size_t ri = 0;
        enum proof ok = PROVEN;
        pb_err r = PB_OK;

        w->moves = out;
        for (size_t t = out->n_picks; ok == PROVEN && t < ref->n_picks; t++) {
                const struct mf_pick *rp = &ref->picks[t];
                struct mf_rho rho_j;
                r = apply_records(w, ref, &ri, w->core.round);
                if (r < 0)
                        return r;
                if (!replay_price(w, ref, rp)) {
                        ok = UNDECIDED;
                        break;
                }
                rho_j = w->ev.rho;
                swap_cached(w);
                r = still_wins(w, rp->project, certify ? &rp->rho : &rho_j, &ok);
                if (r < 0)
                        return r;
                if (ok != PROVEN)
                        break;
                swap_cached(w);
                r = fund_eval(w, out, rp->project, false, ref->tg + rp->grp_at);
                if (r < 0)
                        return r;
                out->rounds_replayed++;
        }
        if (ok == PROVEN) {
                r = apply_records(w, ref, &ri, w->core.round);
                if (r == PB_OK)
                        r = nothing_left(w, &ok);
        }
        *ret = ok;
        if (r < 0 || certify || ok != REFUTED)
                return r;
        /* from here the selections may differ: full rounds, with the bounds gathered so far */
        sync_moves(w);
        {
                bool known;
                r = run_rounds(w, out, &known);
                *ret = known ? PROVEN : UNDECIDED;
        }
        return r;
}

/* ---------------------------------------------------------------------------------------------- */

bool mf_usable(const struct mes_model *mm, pb_u128 beta_max, unsigned *ret_fbits)
{
        unsigned bits = bitlen128(beta_max + 1);

        for (size_t p = 0; p < mm->m; p++)
                if (mm->role[p] == MES_ROLE_CANDIDATE && !mm->uniform[p])
                        return false;
        if (bits + 16 > BITS_MAX)
                return false;
        *ret_fbits = BITS_MAX - bits > 64 ? 64 : BITS_MAX - bits;
        return true;
}

static pb_err start(struct mf_work *w, const struct mes_model *mm, unsigned fbits, const struct mf_beta *beta,
                    struct mf_run *out)
{
        pb_err r = run_reset(out, mm->m);

        if (r == PB_OK)
                r = work_start(w, mm, fbits, beta, out);
        if (r == PB_OK)
                fund_free(mm, out);
        return r;
}

pb_err mf_run(struct mf_work *w, const struct mes_model *mm, unsigned fbits, const struct mf_beta *beta,
              const struct mf_run *ref, struct mf_run *out, bool *ret_known)
{
        enum proof ok = PROVEN;
        pb_err r;

        PB_ASSERT(ref != out);
        *ret_known = false;
        r = start(w, mm, fbits, beta, out);
        if (r < 0)
                return r;
        if (ref)
                r = replay(w, ref, out, false, &ok);
        else
                r = run_rounds(w, out, ret_known);
        if (ref)
                *ret_known = ok == PROVEN;
        return r;
}

pb_err mf_certify(struct mf_work *w, const struct mes_model *mm, unsigned fbits, const struct mf_run *ref,
                  const struct mf_beta *beta_hi, struct mf_run *scratch, bool *ret_ok)
{
        enum proof ok = UNDECIDED;
        pb_err r = start(w, mm, fbits, beta_hi, scratch);

        *ret_ok = false;
        if (r == PB_OK)
                r = replay(w, ref, scratch, true, &ok);
        *ret_ok = r == PB_OK && ok == PROVEN;
        return r;
}
