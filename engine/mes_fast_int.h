/**
 * @file Private interface of the Method of Equal Shares in bounded arithmetic (engine/mes_fast.c),
 * used by the Add1 completions in tally_mes.c.  Not part of the engine's public API.
 *
 * The exact engine (engine/mes.c) keeps every budget as an exact rational over a common
 * denominator that grows each round: exact, but its big integers make a run cost milliseconds on
 * a city's ballots, and Add1 needs a decision at each of up to 10^5 per-voter budgets.  This
 * engine runs the same rule with every budget held as an interval of fixed-point numbers (128-bit
 * integers in units of 2^-F minor units) that is proven to contain the exact value, and every
 * price as an interval of exact fractions.  Each decision (which project wins a round, whether a
 * project is affordable, whether a group of voters pays in full) is taken only when the
 * intervals prove it; otherwise the run answers "unknown" and the caller asks the exact engine.
 * So an answer of this engine is the exact outcome, never an approximation (docs/rules.md,
 * §4 (c), "Bounded arithmetic").
 *
 * Runs, incremental runs and certificates follow mes.c step by step (budget classes, laziness,
 * the records and their growth bounds); only the arithmetic differs.  Only projects whose
 * supporters all have one utility are handled (cost and approval utilities: every Add1 rule of
 * pabulib and pabutools); mf_usable() says when.
 * Ownership: caller storage with init/release pairs; the work area borrows the model.
 */
#ifndef PB_MES_FAST_INT_H
#define PB_MES_FAST_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/mes_int.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"

/** A per-voter budget: num / den minor units (den >= 1). */
struct mf_beta {
        pb_u128 num;
        uint64_t den;
};

/** A price per unit of utility, exactly: num / (den 2^F) (num < 2^127, 0 < den < 2^96). */
struct mf_q {
        pb_u128 num;
        pb_u128 den;
};

/** What is known of a price per unit of utility: lo <= rho <= hi. */
struct mf_rho {
        struct mf_q lo;
        struct mf_q hi;
};

/** A record for incremental runs (struct mes_rec in bounded form). */
struct mf_rec {
        uint32_t round;
        uint32_t project;
        bool gone;           /* val: the deficit (2^-F minor units) instead of a price */
        struct mf_q val;     /* a lower bound at base: price, or deficit in num (den 1) */
        struct mf_beta base; /* the per-voter budget of the run that made it */
        pb_u128 kappa;       /* how fast it may fall per unit of per-voter budget, 2^-64 units */
};

/** One selection: the project and the price interval it won with. */
struct mf_pick {
        uint32_t project;
        struct mf_rho rho;
        uint32_t grp_at, grp_n; /* its paying groups: mf_run.tg[grp_at .. grp_at + grp_n) */
};

/** The outcome of one run and its trace. */
struct mf_run {
        size_t n_picks;
        struct mf_pick *picks; /* m */
        bool *funded;          /* m */
        int64_t spent;
        size_t m;
        struct mes_tgroup *tg;
        uint8_t *tpoor; /* per entry of tg: which ends found the group poor (a hint for replays) */
        size_t n_tg, tg_cap, tpoor_cap;
        struct mf_rec *recs;
        size_t n_recs, recs_cap;
        size_t rounds_replayed; /* statistics */
};

/** A budget class: voters with the same history, hence the same budget, in [lo, hi] 2^-F units. */
struct mf_class {
        pb_u128 lo, hi;
        pb_u128 grow; /* bound on d(budget)/d(per-voter budget), 2^-64 units, rounded up */
        uint32_t count;
};

/** One candidate's evaluation in bounded form (struct mes_eval): its groups and price interval. */
struct mf_eval {
        struct mes_group *grp;
        uint8_t *poor; /* per group: 1 poor with high budgets, 2 poor with low ones */
        size_t n_grp;
        struct mf_rho rho;
        pb_u128 rich_lo, rich_hi; /* voters paying in full with low / high budgets */
        pb_u128 n_lo, n_hi;       /* cost left for them (2^-F units) */
        pb_u128 kappa;
};

/** One run's state and scratch, reused across runs (struct mes_work in bounded form). */
struct mf_work {
        struct mes_core core;
        unsigned fbits; /* F: budgets are counted in units of 2^-F minor units */
        struct mf_beta beta;
        size_t m;
        struct mf_class *cl; /* core.sl.cap */
        struct mf_rho *lb;   /* m: lower bounds (lo) from earlier rounds */
        uint32_t *clone;     /* m: projects with the same cost and supporters share an id */
        /* the evaluation in progress */
        uint32_t *idx;       /* core.max_grp */
        pb_u128 *key;        /* core.max_grp */
        struct mf_eval ev;   /* the evaluation just made */
        struct mf_eval kept; /* the best of the round so far */
        bool gone;
        pb_u128 deficit; /* when gone: a lower bound on cost - budgets (2^-F units) */
        uint32_t cached;
        struct mf_run *trace;
        const struct mf_run *moves;
        uint64_t evaluations; /* statistics: prices computed */
        uint64_t groups;      /* statistics: groups visited by them */
};

void mf_run_init(struct mf_run *r);
void mf_run_release(struct mf_run *r);
void mf_work_init(struct mf_work *w);
void mf_work_release(struct mf_work *w);

/**
 * Can this engine count @mm at per-voter budgets up to @beta_max (minor units)?  Every candidate
 * must have one utility among its supporters, and the budgets must leave at least 16 fractional
 * bits in 95.  *ret_fbits: the F to use.
 */
bool mf_usable(const struct mes_model *mm, pb_u128 beta_max, unsigned *ret_fbits);

/**
 * MES at per-voter budget @beta, as mes_run() (incremental from @ref, a run of this engine at a
 * smaller budget, when given).  *ret_known false: some decision could not be proven in bounded
 * arithmetic; @out is then meaningless and the exact engine must decide.
 * @return PB_OK, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err mf_run(struct mf_work *w, const struct mes_model *mm, unsigned fbits,
                           const struct mf_beta *beta, const struct mf_run *ref, struct mf_run *out,
                           bool *ret_known);

/**
 * The Add1 certificate, as mes_certify(): is @ref's outcome (at a smaller budget) the MES outcome
 * for every per-voter budget up to @beta_hi?  *ret_ok false means "not proven".
 * @return PB_OK, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err mf_certify(struct mf_work *w, const struct mes_model *mm, unsigned fbits,
                               const struct mf_run *ref, const struct mf_beta *beta_hi,
                               struct mf_run *scratch, bool *ret_ok);

#endif
