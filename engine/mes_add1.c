/**
 * @file The Add1 completions of the Method of Equal Shares: the per-voter budget raised one
 * currency unit at a time until the outcome no longer fits (pabulib's add1 from floor(B/n),
 * pabutools' from B/n) or is exhaustive (pabutools' increment), decided at every point of the
 * grid without a run at every point (docs/rules.md (proportional rules), §4).
 *
 * The search walks the grid.  At a point it runs MES incrementally from the previous run; where
 * the selections did not change from the previous point, certificates prove them constant over
 * a stretch ahead (galloping 2, 4, 8, ... points, then bisecting), and the next run happens at
 * the first point they do not cover.  Runs and certificates use the bounded engine
 * (engine/mes_fast.c) when the utilities allow, and the exact one (engine/mes.c) for every
 * point the bounded one cannot decide.  The outcome reported is a fresh exact run at the
 * budget found, which must make the same selections as the search found there.
 */
#include <string.h>

#include "engine/mes_fast_int.h"
#include "engine/mes_int.h"
#include "engine/pb_alloc.h"

/* The Add1 grid: beta(0) = B/n, beta(k) = base + k step for k >= 1. */
struct grid {
        const struct pb_election *e;
        uint64_t n;          /* voters */
        uint64_t step;       /* one currency unit in minor units: 10^scale */
        bool from_floor;     /* pabulib: base = floor(B / n) (whole currency units); pabutools: base = B/n */
        uint64_t base_units; /* floor(B / (n step)) when from_floor */
};

static pb_err grid_beta(const struct grid *g, uint64_t k, struct pb_rat *ret)
{
        pb_err r;

        if (k == 0)
                return pb_rat_set_u64(ret, (uint64_t)g->e->budget, g->n);
        if (g->from_floor) {
                /* (base_units + k) step, an integer */
                r = pb_big_set_u64(&ret->num, g->base_units);
                if (r == PB_OK)
                        r = pb_big_set_u64(&ret->den, k);
                if (r == PB_OK)
                        r = pb_big_add(&ret->num, &ret->num, &ret->den);
                if (r == PB_OK)
                        r = pb_big_mul_u64(&ret->num, &ret->num, g->step);
                if (r == PB_OK)
                        r = pb_big_set_u64(&ret->den, 1);
                return r;
        }
        /* (B + k step n) / n */
        r = pb_big_set_u64(&ret->num, k);
        if (r == PB_OK)
                r = pb_big_mul_u64(&ret->num, &ret->num, g->step);
        if (r == PB_OK)
                r = pb_big_mul_u64(&ret->num, &ret->num, g->n);
        if (r == PB_OK)
                r = pb_big_set_u64(&ret->den, (uint64_t)g->e->budget);
        if (r == PB_OK)
                r = pb_big_add(&ret->num, &ret->num, &ret->den);
        if (r == PB_OK)
                r = pb_big_set_u64(&ret->den, g->n);
        return r;
}

/* The same budget for the bounded engine (callers keep k within the grid's 2^79 bound). */
static struct mf_beta grid_mf(const struct grid *g, uint64_t k)
{
        struct mf_beta b;

        if (k == 0) {
                b.num = (pb_u128)(uint64_t)g->e->budget;
                b.den = g->n;
        } else if (g->from_floor) {
                b.num = ((pb_u128)g->base_units + k) * g->step;
                b.den = 1;
        } else {
                b.num = (pb_u128)(uint64_t)g->e->budget + (pb_u128)k * g->step * g->n;
                b.den = g->n;
        }
        return b;
}

/* pabutools' exhaustiveness test: no unfunded candidate (supported, positive cost) fits what is left. */
static bool exhaustive(const struct mes_model *mm, const bool *funded, int64_t spent, int64_t budget)
{
        for (size_t p = 0; p < mm->m; p++)
                if (mm->role[p] == MES_ROLE_CANDIDATE && !funded[p] &&
                    spent + mm->e->projects[p].cost <= budget)
                        return false;
        return true;
}

/* A grid point's outcome, whichever engine found it. */
struct seq {
        uint32_t *p; /* m: the selections in order */
        bool *funded;
        size_t n;
        int64_t spent;
};

/* The search's state: the grid, both engines and their last runs, the outcomes. */
struct search {
        const struct mes_model *mm;
        struct mes_work *w; /* borrowed: the exact engine's work area */
        struct grid g;
        bool stop_exhaustive;
        bool fast; /* the bounded engine may be tried */
        unsigned fbits;
        struct mf_work fw;
        struct mf_run fa, fb;  /* fa: the bounded engine's last run (have_fast); fb scratch */
        struct mes_run ea, eb; /* ea: the exact engine's last run (have_exact); eb scratch */
        bool have_fast, have_exact;
        bool cur_fast; /* the current point was decided by the bounded engine (fa), else by ea */
        struct seq cur, next;
        struct pb_rat beta;
        struct mes_add1_stats *st;
};

static pb_err seq_alloc(struct seq *s, size_t m)
{
        s->p = pb_calloc(m ? m : 1, sizeof(*s->p));
        s->funded = pb_calloc(m ? m : 1, sizeof(*s->funded));
        return s->p && s->funded ? PB_OK : PB_ERR_NOMEM;
}

static void seq_from_fast(struct seq *s, const struct mf_run *r, size_t m)
{
        s->n = r->n_picks;
        for (size_t i = 0; i < r->n_picks; i++)
                s->p[i] = r->picks[i].project;
        memcpy(s->funded, r->funded, m * sizeof(*s->funded));
        s->spent = r->spent;
}

static void seq_from_exact(struct seq *s, const struct mes_run *r, size_t m)
{
        s->n = r->n_picks;
        for (size_t i = 0; i < r->n_picks; i++)
                s->p[i] = r->picks[i].project;
        memcpy(s->funded, r->funded, m * sizeof(*s->funded));
        s->spent = (int64_t)r->spent;
}

static bool seq_same(const struct seq *a, const struct seq *b)
{
        return a->n == b->n && !memcmp(a->p, b->p, a->n * sizeof(*a->p));
}

static void search_release(struct search *s)
{
        mf_work_release(&s->fw);
        mf_run_release(&s->fa);
        mf_run_release(&s->fb);
        mes_run_release(&s->ea);
        mes_run_release(&s->eb);
        pb_free(s->cur.p);
        pb_free(s->cur.funded);
        pb_free(s->next.p);
        pb_free(s->next.funded);
        pb_rat_release(&s->beta);
}

/* The grid of @completion, its last useful point *ret_cap, and whether the bounded engine fits. */
static pb_err search_init(struct search *s, struct mes_work *w, const struct mes_model *mm,
                          enum pb_completion completion, bool exact_only, struct mes_add1_stats *st,
                          uint64_t *ret_cap)
{
        const struct pb_election *e = mm->e;
        pb_u128 cap = mm->candidate_cost, beta_max;

        memset(s, 0, sizeof(*s));
        s->mm = mm;
        s->w = w;
        s->st = st;
        mf_work_init(&s->fw);
        mf_run_init(&s->fa);
        mf_run_init(&s->fb);
        mes_run_init(&s->ea);
        mes_run_init(&s->eb);
        pb_rat_init(&s->beta);
        s->g.e = e;
        s->g.n = mm->n;
        s->g.step = 1;
        for (unsigned i = 0; i < e->scale; i++)
                s->g.step *= 10;
        s->g.from_floor = completion == PB_COMPLETE_ADD1;
        s->g.base_units = (uint64_t)e->budget / s->g.n / s->g.step;
        s->stop_exhaustive = completion == PB_COMPLETE_ADD1_EXHAUSTIVE;
        /*
         * From a per-voter budget of sum(candidate costs) on, every voter alone can pay for
         * everything, so every candidate is funded at every larger budget: nothing changes after.
         */
        cap = cap / s->g.step + 1;
        *ret_cap = cap > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)cap;
        beta_max = (pb_u128)(uint64_t)e->budget / s->g.n + 1 + ((pb_u128)*ret_cap + 1) * s->g.step;
        s->fast = !exact_only && (*ret_cap >> 62) == 0 && mf_usable(mm, beta_max, &s->fbits);
        return seq_alloc(&s->cur, mm->m) == PB_OK && seq_alloc(&s->next, mm->m) == PB_OK ? PB_OK
                                                                                         : PB_ERR_NOMEM;
}

/* MES at grid point k into s->next: the bounded engine from its last run, else the exact one
 * from its last run; that engine's run becomes its last (fa or ea). */
static pb_err point(struct search *s, uint64_t k, bool *ret_fast)
{
        pb_err r;

        *ret_fast = false;
        if (s->fast) {
                struct mf_beta b = grid_mf(&s->g, k);
                struct mf_run t;
                r = mf_run(&s->fw, s->mm, s->fbits, &b, s->have_fast ? &s->fa : NULL, &s->fb, ret_fast);
                if (r < 0)
                        return r;
                s->st->runs++;
                if (*ret_fast) {
                        t = s->fa;
                        s->fa = s->fb;
                        s->fb = t;
                        s->have_fast = true;
                        seq_from_fast(&s->next, &s->fa, s->mm->m);
                        return PB_OK;
                }
        }
        r = grid_beta(&s->g, k, &s->beta);
        if (r == PB_OK)
                r = mes_run(s->w, s->mm, &s->beta, s->have_exact ? &s->ea : NULL, &s->eb);
        if (r < 0)
                return r;
        s->st->runs++;
        s->st->exact_runs++;
        {
                struct mes_run t = s->ea;
                s->ea = s->eb;
                s->eb = t;
        }
        s->have_exact = true;
        seq_from_exact(&s->next, &s->ea, s->mm->m);
        return PB_OK;
}

/* Is the current point's outcome (at grid k) proven for every point up to grid k + K? */
static pb_err certify(struct search *s, uint64_t k, uint64_t K, bool *ret_ok)
{
        pb_err r;

        s->st->probes++;
        if (s->cur_fast) {
                struct mf_beta b = grid_mf(&s->g, k + K);
                return mf_certify(&s->fw, s->mm, s->fbits, &s->fa, &b, &s->fb, ret_ok);
        }
        s->st->exact_probes++;
        r = grid_beta(&s->g, k + K, &s->beta);
        if (r == PB_OK)
                r = mes_certify(s->w, s->mm, &s->ea, &s->beta, &s->eb, ret_ok);
        return r;
}

/*
 * Carry the current outcome (at grid k) as far as certificates prove it, up to grid @end.  A
 * certificate that succeeds has replayed the run at its budget with every decision proven, so
 * that replay becomes the reference for the next one.  The step halves after a failure and
 * doubles after a success, but after the first failure only after CHAIN_CALM successes in a row:
 * a certificate is only sufficient, and its reach (how far ahead it still proves the order)
 * changes slowly along a stretch, so doubling straight back past it fails again (on the 10^9
 * stand-in of Budapest 2024 this takes 2,562 certificates down to 1,945).  Which steps are tried
 * only changes the cost: every point is proven by the link that covers it.
 * *ret: the last grid point proven.
 */
#define CHAIN_CALM 3
static pb_err chain(struct search *s, uint64_t k, uint64_t end, uint64_t *ret)
{
        uint64_t step = 1;
        int streak = 0, need = 1;

        while (k < end && step) {
                bool ok;
                pb_err r;
                if (step > end - k)
                        step = end - k;
                r = certify(s, k, step, &ok);
                if (r < 0)
                        return r;
                if (!ok) {
                        step /= 2;
                        streak = 0;
                        need = CHAIN_CALM;
                        continue;
                }
                if (s->cur_fast) {
                        struct mf_run t = s->fa;
                        s->fa = s->fb;
                        s->fb = t;
                } else {
                        struct mes_run t = s->ea;
                        s->ea = s->eb;
                        s->eb = t;
                }
                k += step;
                if (++streak >= need) {
                        step = step > UINT64_MAX / 4 ? step : 2 * step;
                        streak = 0;
                }
        }
        *ret = k;
        return PB_OK;
}

/* Take s->next as the current point's outcome. */
static void accept(struct search *s, bool fast)
{
        struct seq t = s->cur;

        s->cur = s->next;
        s->next = t;
        s->cur_fast = fast;
}

/* Walk the grid; *ret_good: the last point whose outcome fits (the one to report). */
static pb_err walk(struct search *s, uint64_t k_cap, uint64_t k_bound, uint64_t *ret_good)
{
        const int64_t budget = s->mm->e->budget;
        uint64_t good = 0;
        bool fast;
        pb_err r = point(s, 0, &fast);

        if (r < 0)
                return r;
        accept(s, fast);
        if (s->stop_exhaustive && exhaustive(s->mm, s->cur.funded, s->cur.spent, budget))
                goto out;
        for (uint64_t k = 1; k <= k_bound; k = good + 1) {
                uint64_t end = k_bound < k_cap ? k_bound : k_cap;
                bool same;
                r = point(s, k, &fast);
                if (r < 0)
                        return r;
                if (s->next.spent > budget)
                        break; /* infeasible: keep the previous outcome */
                same = seq_same(&s->cur, &s->next);
                accept(s, fast);
                good = k;
                if (s->stop_exhaustive && exhaustive(s->mm, s->cur.funded, s->cur.spent, budget))
                        break;
                if (k >= k_cap)
                        break; /* every candidate funded, and it fits */
                /*
                 * Probe ahead only inside a stretch of unchanged selections: where they change at
                 * (almost) every step, as on Łódź, a failing certificate would cost a run for nothing.
                 */
                if (same) {
                        r = chain(s, k, end, &good);
                        if (r < 0)
                                return r;
                }
                if (good >= k_cap)
                        break;
        }
out:
        *ret_good = good;
        return PB_OK;
}

pb_err mes_add1(struct mes_work *w, const struct mes_model *mm, enum pb_completion completion,
                bool exact_only, struct mes_run *final, struct pb_rat *beta, struct mes_add1_stats *st)
{
        struct search s;
        uint64_t k_cap, k_bound = UINT64_MAX, good = 0;
        pb_err r = search_init(&s, w, mm, completion, exact_only, st, &k_cap);

        memset(st, 0, sizeof(*st));
        if (completion == PB_COMPLETE_ADD1_UNFLOORED)
                k_bound = (uint64_t)mm->e->budget / s.g.step; /* pabutools' budget_bound, B (n + 1) */
        if (r == PB_OK)
                r = walk(&s, k_cap, k_bound, &good);
        /* a fresh exact run at the budget found: its prices, payers and every tie are what is shown */
        if (r == PB_OK)
                r = grid_beta(&s.g, good, beta);
        if (r == PB_OK)
                r = mes_run(w, mm, beta, NULL, final);
        if (r == PB_OK) {
                seq_from_exact(&s.next, final, mm->m);
                PB_ASSERT(seq_same(&s.cur, &s.next)); /* the search and the exact run agree */
        }
        st->final_k = good;
        st->evaluations = s.fw.evaluations;
        st->groups = s.fw.groups;
        search_release(&s);
        return r;
}
