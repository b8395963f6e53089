/**
 * @file Private interface of the Method of Equal Shares engine (engine/mes.c), used by
 * tally_mes.c.  Not part of the engine's public API.
 *
 * A model holds what never changes between runs (supporters and their utilities, costs, the
 * tie-break order); a work area holds one run's state (voter budgets, grouped in classes) and is
 * reused across the many runs of an Add1 completion; a run records the outcome.
 * Ownership: each struct is caller storage with an init/release pair; the model borrows the
 * election, which must outlive it.
 */
#ifndef PB_MES_INT_H
#define PB_MES_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/pb_bigint.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"
#include "engine/pb_rule.h"

/** What MES does with a project. */
enum mes_role {
        MES_ROLE_CANDIDATE, /* supported, positive cost: competes in every round */
        MES_ROLE_FREE,      /* supported, zero cost: funded before the first round (pabutools) */
        MES_ROLE_NONE,      /* nobody gets positive utility from it: never funded */
        MES_ROLE_WITHDRAWN, /* withdrawn (sentinel cost) and affordable within the budget: excluded */
};

struct mes_model {
        const struct pb_election *e; /* borrowed */
        size_t n, m;                 /* voters (empty ballots included), projects */
        size_t nv;                   /* distinct voters (identical utilities merged) */
        uint32_t *weight;            /* nv: ballots behind each distinct voter */
        size_t *sup_start;           /* m + 1 offsets into sup_voter / sup_util */
        uint32_t *sup_voter;         /* distinct voters supporting each project (utility > 0), by utility */
        int64_t *sup_util;           /* their utilities */
        bool *uniform;               /* every supporter of the project has the same utility */
        pb_u128 *util_total;         /* sum of the supporters' utilities */
        enum mes_role *role;
        uint32_t *rank;         /* tie-break position (0 first) */
        int64_t *votes;         /* ballots naming the project */
        pb_u128 candidate_cost; /* total cost of the candidates */
        uint32_t *free_order;   /* the MES_ROLE_FREE projects in tie-break order */
        size_t n_free;          /* their number: every run funds them first, in this order */
};

/**
 * Build the model of @e for @rule's utility and tie-break.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW, PB_ERR_INVALID (a ballot names a project twice;
 *         a scoring ballot with a positive default_score, which would make everyone a supporter)
 */
PB_NODISCARD pb_err mes_model_build(struct mes_model *mm, const struct pb_election *e,
                                    const struct pb_rule *rule, struct pb_diag *reterr);
void mes_model_release(struct mes_model *mm);

/** A project's state during one run (mes_work.state, mf_work.state). */
enum mes_state {
        MES_ST_OUT,  /* not a candidate (enum mes_role) */
        MES_ST_CAND, /* competes in the coming rounds */
        MES_ST_DONE, /* funded */
        MES_ST_GONE, /* proven unaffordable for the rest of the run (budgets only shrink) */
};

/** An unused entry of a per-class slot table (mes_slots.slot). */
#define MES_NO_SLOT UINT32_MAX

/**
 * The bookkeeping of budget class indexes both engines share (engine/mes_common.c); the class
 * records themselves are each engine's own array, grown with this table by mes_slots_take().
 * Ownership: part of a work area, zeroed by its init, released by mes_slots_release().
 */
struct mes_slots {
        uint32_t n, cap; /* indexes handed out so far; entries allocated */
        uint32_t *free;  /* released indexes, reused first */
        uint32_t n_free;
        uint32_t *slot; /* cap: per class, a group index while a round groups voters, else MES_NO_SLOT */
};

/**
 * A class index for a new class: a released one when there is, else the next.  When every entry
 * is in use, @cl (the engine's class array of @size-byte records, @s->cap of them) grows with the
 * free list and the slot table; the new records are zeroed.
 * @param ret  [out] the index
 * @return @cl, or where it moved; NULL when out of memory (then @cl is still valid and unchanged)
 */
void *mes_slots_take(struct mes_slots *s, void *cl, size_t size, uint32_t *ret);

/** Give class index @c back for reuse (its class has no voters left). */
void mes_slots_put(struct mes_slots *s, uint32_t c);

/** Forget every class (a new run); the memory is kept. */
void mes_slots_clear(struct mes_slots *s);

/** Free the free list and the slot table (not the engine's class array). */
void mes_slots_release(struct mes_slots *s);

/**
 * The part of a work area both engines keep alike: the model it serves, each voter's class, the
 * class indexes, each project's state, the candidate list, and how far the run and the voters'
 * moves have got.  Ownership: part of a work area; mes_core_attach() allocates, mes_core_release()
 * frees.
 */
struct mes_core {
        const struct mes_model *mm; /* borrowed: a work area serves one model */
        uint32_t *cls;              /* nv: distinct voter -> class */
        struct mes_slots sl;
        uint8_t *state;  /* m: enum mes_state */
        uint32_t *order; /* candidates (sorted by lower bound by the engines) */
        size_t n_order;
        uint32_t round;  /* rounds funded so far in this run */
        uint32_t synced; /* rounds whose voter moves are applied to cls[] */
        size_t max_grp;  /* the most groups a project's supporters can form: scratch sizes */
};

/**
 * Attach @c to @mm, once: allocates cls, state and order, and sets max_grp.
 * @param ret_new  [out] false when @c already serves @mm (nothing done)
 * @return PB_OK, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err mes_core_attach(struct mes_core *c, const struct mes_model *mm, bool *ret_new);

/**
 * Start a run: no classes (the caller makes class 0), every voter in class 0, no rounds, every
 * candidate of the model in state MES_ST_CAND and in order, by index; the rest MES_ST_OUT.
 */
void mes_core_start(struct mes_core *c);

/** Free what mes_core_attach() allocated and zero @c. */
void mes_core_release(struct mes_core *c);

/** A paying group of one round: the voters of one budget class with one utility. */
struct mes_tgroup {
        uint32_t cls;    /* class before the round */
        uint32_t count;  /* ballots */
        int64_t u;       /* utility for the funded project */
        uint32_t newcls; /* class after the round (classes depend only on the sequence of selections) */
};

/** One selection. */
struct mes_pick {
        uint32_t project;
        struct pb_rat rho;   /* price per unit of utility (pabutools' affordability, exact) */
        struct pb_rat price; /* most a supporter paid: rho times her utility, for uniform utilities */
        int64_t payers;      /* supporters who paid something */
        uint32_t tie_at;     /* index into mes_run.tie_items of the tied projects, in tie-break order */
        uint32_t tie_n;      /* number of tied projects (0: no tie) */
        uint32_t grp_at;     /* its paying groups: mes_run.tg[grp_at .. grp_at + grp_n) */
        uint32_t grp_n;
};

/**
 * What one exact computation at per-voter budget @base proved about a project, valid from round
 * @round on at every per-voter budget beta' >= base whose run made the same selections before:
 * its rho is at least val - (beta' - base) kappa; or (gone) its supporters miss its cost by at
 * least val - (beta' - base) kappa.  kappa is an upper bound on how fast that quantity falls as
 * the per-voter budget grows, in units of 2^-64 (docs/rules.md (proportional rules), "incremental runs").
 */
struct mes_rec {
        uint32_t round;
        uint32_t project;
        bool gone;
        struct pb_rat val;
        struct pb_rat base;
        pb_u128 kappa;
};

/** The outcome of one run, with the trace an incremental run at a larger budget reuses. */
struct mes_run {
        size_t n_picks;
        struct mes_pick *picks; /* m entries allocated */
        bool *funded;           /* m */
        pb_i128 spent;          /* total cost of the picks */
        uint32_t *tie_items;
        size_t n_tie_items, tie_cap;
        size_t m;
        struct mes_tgroup *tg; /* paying groups of every pick */
        size_t n_tg, tg_cap;
        struct mes_rec *recs; /* in round order */
        size_t n_recs, recs_cap;
        size_t rounds_replayed; /* statistics: rounds taken over from the reference run */
};

void mes_run_init(struct mes_run *r);
void mes_run_release(struct mes_run *r);

/** Budget classes: voters with the same budget (= b / D). */
struct mes_class {
        struct pb_big b;
        uint32_t count; /* voters (ballots, not distinct voters); 0 marks a free slot */
        pb_u128 grow;   /* bound on d(budget)/d(per-voter budget), in units of 2^-64, rounded up */
};

struct mes_group {
        uint32_t cls;
        uint32_t count;
        int64_t u;
};

/**
 * Group p's supporters by (utility, class), in supporter order: the exact and the bounded engine
 * visit voters the same way, which is what lets either replay the other's classes.  The slot
 * table of @c is scratch, left all MES_NO_SLOT.
 * @param grp  [out] the groups (room for c->max_grp)
 * @param seg  [out] optional: the end of each run of groups with one utility (room for as many
 *             entries as groups), their number in *ret_n_seg
 * @return the number of groups
 */
size_t mes_group_supporters(struct mes_core *c, uint32_t p, struct mes_group *grp, uint32_t *seg,
                            size_t *ret_n_seg);

/** A round's recorded paying groups @tg (@n of them) as groups to price again, into @grp. */
void mes_groups_from_trace(struct mes_group *grp, const struct mes_tgroup *tg, size_t n);

/**
 * Move the supporters of @p to the classes their paying groups @tg (@n, one round's, in
 * supporter order) went to: c->cls is updated, the slot table used as scratch.
 */
void mes_move_voters(struct mes_core *c, uint32_t p, const struct mes_tgroup *tg, size_t n);

/**
 * Keep only the projects of @order (@n entries) still in state MES_ST_CAND, in order.
 * @return how many are kept
 */
size_t mes_keep_candidates(uint32_t *order, size_t n, const uint8_t *state);

/**
 * One candidate's exact evaluation: its paying groups and the price they give.  A work area keeps
 * the current one and the round's best so far, and swaps them (no copying).
 */
struct mes_eval {
        struct mes_group *grp;
        uint32_t *gorder; /* groups by budget per unit of utility */
        uint32_t *seg;    /* segment ends (groups of equal utility) */
        size_t n_grp, n_seg;
        uint32_t first_rich; /* position in gorder of the first group that pays in full */
        struct pb_big N;     /* rho = N / (D * U); when unaffordable, the deficit over D */
        pb_u128 U;
        pb_u128 kappa; /* bound on the fall of rho (or of the deficit) per unit budget */
};

/** One run's state and scratch, reused across runs. */
struct mes_work {
        struct mes_core core;
        struct pb_rat beta;      /* the per-voter budget of the current run */
        struct pb_big D;         /* common denominator of the budgets */
        size_t m;                /* projects of the attached model (lb[] entries to release) */
        struct mes_class *cl;    /* core.sl.cap */
        struct pb_rat *lb;       /* m: lower bound on each candidate's rho this round */
        uint32_t *gtmp, *newcls; /* core.max_grp: sort scratch; each group's class after the round */
        struct mes_eval ev;      /* the evaluation just made */
        struct mes_eval kept;    /* the best candidate's so far this round */
        size_t max_limbs;        /* largest class budget, for scratch sizing */
        uint32_t cached;         /* project whose evaluation is kept, MES_NO_SLOT when none */
        struct pb_big t1, t2, t3, S, cD;
        struct pb_rat rho, q1, q2;
        uint32_t *tied;
        struct mes_run *trace;       /* where evaluations and groups are recorded, or NULL */
        const struct mes_run *moves; /* run whose groups give the moves of unsynced rounds */
        uint64_t evaluations;        /* statistics: exact affordability computations */
};

void mes_work_init(struct mes_work *w);
void mes_work_release(struct mes_work *w);

/**
 * Run MES with per-voter budget @beta (a positive rational, in the election's minor units).
 * With @ref, a run at a smaller per-voter budget, the run is incremental: as long as @ref's
 * selections provably remain the MES selections at @beta (each round is checked with the
 * bounds @ref recorded, or an exact computation where they do not suffice), they are replayed
 * per budget class, without visiting voters; from the first round that may differ it continues
 * as a full run.  The outcome is the same either way.
 * @param out  [out] the outcome and its trace (overwritten; must not be @ref)
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW (numbers past PB_BIG_MAX_LIMBS)
 */
PB_NODISCARD pb_err mes_run(struct mes_work *w, const struct mes_model *mm, const struct pb_rat *beta,
                            const struct mes_run *ref, struct mes_run *out);

/**
 * Certificate for the Add1 jump: is the outcome of @ref (run at per-voter budget beta) the MES
 * outcome for every per-voter budget in [beta, @beta_hi]?  Replays @ref's selections at
 * @beta_hi and checks that at every round no other project's rho at @beta_hi undercuts the rho
 * @ref selected with at beta, and that nothing else is affordable at the end.  Sound because
 * budgets, for a fixed sequence of selections, grow with the per-voter budget, so every rho
 * shrinks (docs/rules.md (proportional rules)).  The replay is per class, with @ref's bounds, like an
 * incremental run.  *ret_ok false means "not certified", not "different".
 * @param scratch  a run used as work space (overwritten)
 */
PB_NODISCARD pb_err mes_certify(struct mes_work *w, const struct mes_model *mm, const struct mes_run *ref,
                                const struct pb_rat *beta_hi, struct mes_run *scratch, bool *ret_ok);

/**
 * What the supporters of project @p have left after the run last made in @w, summed: exact, in
 * minor units, into @out.  @w must hold a full run (mes_run without a reference): an incremental
 * run defers voter moves to rounds it never made.  Used to say why a project was not funded.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW
 */
PB_NODISCARD pb_err mes_supporters_left(struct mes_work *w, uint32_t p, struct pb_rat *out);

/** What an Add1 search did (statistics for tests and benchmarks; not part of any result). */
struct mes_add1_stats {
        uint64_t final_k;      /* grid index of the reported outcome */
        uint64_t runs;         /* grid points run, by either engine */
        uint64_t exact_runs;   /* of which by the exact engine */
        uint64_t probes;       /* certificates tried */
        uint64_t exact_probes; /* of which by the exact engine */
        uint64_t evaluations;  /* prices computed by the bounded engine */
        uint64_t groups;       /* budget classes visited by those computations */
};

/**
 * The Add1 completions (engine/mes_add1.c): raise the per-voter budget along @completion's grid
 * until its stopping rule, decided exactly at every grid point; on return @final holds a fresh
 * exact run at the budget reported, and @beta that budget.
 * @param exact_only  never use the bounded engine (engine/mes_fast.c): tests compare both ways
 * @param st          [out] what the search did
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW (numbers past PB_BIG_MAX_LIMBS)
 */
PB_NODISCARD pb_err mes_add1(struct mes_work *w, const struct mes_model *mm, enum pb_completion completion,
                             bool exact_only, struct mes_run *final, struct pb_rat *beta,
                             struct mes_add1_stats *st);

/* Growth bounds (budget growth per unit of per-voter budget, and the kappa of a record) are
 * fixed-point numbers in units of 2^-64, rounded up and saturating: a larger bound is still a
 * bound.  Shared by the exact engine (mes.c) and the bounded one (mes_fast.c). */
#define GROW_ONE ((pb_u128)1 << 64)
#define GROW_MAX ((pb_u128)1 << 120)

static inline pb_u128 grow_add(pb_u128 a, pb_u128 b)
{
        return a >= GROW_MAX || b >= GROW_MAX - a ? GROW_MAX : a + b;
}

static inline pb_u128 grow_mul(pb_u128 a, uint64_t k)
{
        if (k && a > GROW_MAX / k)
                return GROW_MAX;
        return a * k;
}

/* ceil(a k / d), saturating. */
static inline pb_u128 grow_muldiv(pb_u128 a, uint64_t k, pb_u128 d)
{
        pb_u128 q = a / d, r = a % d, hi, lo;

        /* a k / d = q k + r k / d, and r < d */
        hi = grow_mul(q, k);
        if (hi >= GROW_MAX)
                return GROW_MAX;
        if (k && r > (~(pb_u128)0) / k)
                return GROW_MAX; /* r k would overflow: d is huge, give up precision safely */
        lo = r * k;
        return grow_add(hi, lo / d + (lo % d != 0));
}

#endif
