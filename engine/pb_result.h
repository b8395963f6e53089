/** @file The outcome of a tally, with everything needed to explain and re-check it. */
#ifndef PB_RESULT_H
#define PB_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"
#include "engine/pb_rule.h"

/** Why a project ended where it did. */
enum pb_reason {
        PB_REASON_SELECTED,        /* funded */
        PB_REASON_NO_MONEY,        /* its turn came but it cost more than the money left */
        PB_REASON_STOPPED,         /* greedy-no-skip stopped at an earlier project that did not fit */
        PB_REASON_BELOW_THRESHOLD, /* its score was below the rule's threshold */
        PB_REASON_WITHDRAWN,       /* withdrawn after the vote (cost 999999999) */
        PB_REASON_UNAFFORDABLE,    /* equal shares: its supporters could not pay for it */
        PB_REASON_NO_SUPPORT,      /* nobody voted for it */
        PB_REASON_COMPARISON,      /* dropped when the comparison step chose the other outcome */
        PB_REASON_COUNT
};

/** Stable name of @r ("selected", "no_money", ...). */
const char *pb_reason_name(enum pb_reason r);

/** Longest exact value text in a step (a ratio of two 128-bit numbers, or a big decimal). */
#define PB_MEASURE_MAX 96

/** Per project, indexed like election->projects. */
struct pb_project_result {
        int64_t votes; /* ballots naming the project */
        pb_i128 score; /* the rule's score (equal to votes for approval rules); exact, may pass 2^63 */
        enum pb_reason reason;
        uint32_t step; /* 1-based selection step when selected, else 0 */
        /* equal shares, a project its supporters could not pay for: what they had left at the end
         * of the run reported, summed, exact minor units ("1421842/3913"); "" otherwise */
        char supporters_left[PB_MEASURE_MAX];
};

/** One selection, in order. */
struct pb_step {
        uint32_t project;             /* index into election->projects */
        int64_t cost;                 /* minor units */
        int64_t spent;                /* total spent after this step */
        int64_t supporters;           /* voters who supported it (equal shares: who paid) */
        char measure[PB_MEASURE_MAX]; /* the rule's value at selection, exact ("5177", "2187/31") */
};

/** A tie, and the order the tie-break put the tied projects in (the first was taken first). */
struct pb_tie {
        uint32_t step;  /* the selection step at which it was decided (0: before any) */
        uint32_t n;     /* number of tied projects, >= 2 */
        uint32_t *tied; /* owned: project indexes in tie-break order */
        bool decisive;  /* the order changed which projects were funded */
        const char *on; /* static: what they were equal on ("score", "density", "rho") */
};

/** A rule-specific figure for the explanation ("final_voter_budget" -> "315"). */
struct pb_detail {
        const char *key; /* static, snake_case */
        char value[PB_MEASURE_MAX];
};

/**
 * A tally's outcome.  Caller storage: pb_result_init() before use, pb_result_release() after;
 * the result owns every array below.
 */
struct pb_result {
        struct pb_rule rule; /* as run, defaults resolved */
        enum pb_score score; /* the score the projects[] carry */
        size_t n_voters;
        int64_t budget, spent; /* minor units */
        size_t n_projects;
        struct pb_project_result *projects;
        size_t n_winners;
        uint32_t *winners; /* project indexes in selection order */
        size_t n_steps, steps_cap;
        struct pb_step *steps;
        size_t n_ties, ties_cap;
        struct pb_tie *ties;
        size_t n_details;
        struct pb_detail details[8];
};

void pb_result_init(struct pb_result *r);
/** Free everything; @r is left as after pb_result_init().  Accepts a zeroed result. */
void pb_result_release(struct pb_result *r);
/** Size the per-project array for @e and zero it (PB_ERR_NOMEM). */
PB_NODISCARD pb_err pb_result_prepare(struct pb_result *r, const struct pb_election *e);
/** Record the selection of @project (appends a step and a winner, updates spent). */
PB_NODISCARD pb_err pb_result_select(struct pb_result *r, const struct pb_election *e, uint32_t project,
                                     int64_t supporters, const char *measure);
/** Record a tie; @tied (copied) lists @n projects in the order the tie-break chose. */
PB_NODISCARD pb_err pb_result_add_tie(struct pb_result *r, uint32_t step, const uint32_t *tied, uint32_t n,
                                      bool decisive, const char *on);
/** Add a rule-specific figure; @key static.  At most 8; PB_ERR_LIMIT beyond. */
PB_NODISCARD pb_err pb_result_add_detail(struct pb_result *r, const char *key, const char *value);

/**
 * Append the result document as canonical JSON (pb_canon.h) to @out.  Deterministic: the same
 * election and result give the same bytes.  Top level: budget, currency, details, engine,
 * projects (per project: cost, id, name, reason, score, selected, step, supporters_left when
 * set, votes), rule, scale,
 * spent, steps, ties, voters, winners (ids in selection order).  Money is in minor units, with
 * "scale" giving the number of decimals.
 * @param engine_version  e.g. "pbvote 0.1.0" (the engine does not know its build)
 */
PB_NODISCARD pb_err pb_result_format_json(const struct pb_result *r, const struct pb_election *e,
                                          const char *engine_version, struct pb_buf *out);

/**
 * Invariants every outcome must satisfy (STYLE.md §6): spent <= budget, spent equals the sum
 * of the winners' costs, no project twice, no withdrawn project, steps match winners.
 * A failure is our bug: callers PB_ASSERT on it.
 */
bool pb_result_is_consistent(const struct pb_result *r, const struct pb_election *e);

#endif
