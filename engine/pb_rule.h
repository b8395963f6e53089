/** @file Counting rules and their parameters: names, parsing, defaults for an election. */
#ifndef PB_RULE_H
#define PB_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/pb_election.h"
#include "engine/pb_err.h"

/** Rule families (docs/rules.md specifies each). */
enum pb_rule_kind {
        PB_RULE_GREEDY,           /* "greedy": by score, skip what no longer fits */
        PB_RULE_GREEDY_NO_SKIP,   /* "greedy-no-skip": stop at the first project that does not fit */
        PB_RULE_GREEDY_THRESHOLD, /* "greedy-threshold": only projects scoring >= the threshold */
        PB_RULE_GREEDY_RATIO,     /* "greedy-ratio": score per unit of cost, skip what does not fit */
        PB_RULE_EQUAL_SHARES,     /* "equalshares": Method of Equal Shares (completion below) */
        PB_RULE_PHRAGMEN,         /* "phragmen": sequential Phragmén */
        PB_RULE_MAXIMIN_SUPPORT,  /* "maximin-support" */
        PB_RULE_KIND_COUNT
};

/** What a project's score is: the quantity greedy rules rank by. */
enum pb_score {
        PB_SCORE_AUTO,   /* points or ranks where ballots carry them, else votes (see pb_rule_resolve) */
        PB_SCORE_VOTES,  /* number of ballots naming the project (approvals) */
        PB_SCORE_POINTS, /* sum of points (cumulative; scoring adds default_score for unlisted) */
        PB_SCORE_BORDA,  /* ordinal, a ballot of length L gives L, L-1, ..., 1 (pabulib, Kraków) */
        PB_SCORE_BORDA0, /* ordinal, L-1, ..., 0 (pabutools' Additive_Borda_Sat) */
        PB_SCORE_COUNT
};

/** How ties are broken (DESIGN.md §4); always recorded in the result. */
enum pb_tie_break {
        PB_TIE_FILE_ORDER,      /* earlier in the project list first (pabulib's checker for greedy) */
        PB_TIE_LEXICO,          /* smallest id as a byte string first (pabutools) */
        PB_TIE_COST_THEN_VOTES, /* lower cost, then more votes, then file order (equalshares.net) */
        PB_TIE_SEEDED,          /* BLAKE2b(seed, id) order: a published seed, a reproducible draw */
        PB_TIE_COUNT
};

/** Method of Equal Shares: what a voter gets from a funded project she supports. */
enum pb_utility {
        PB_UTIL_COST,     /* the project's cost (pabulib, equalshares.net; pabutools Cost_Sat) */
        PB_UTIL_APPROVAL, /* 1 (pabutools Cardinality_Sat) */
        PB_UTIL_POINTS,   /* the points she gave it */
        PB_UTIL_BORDA,    /* her Borda score for it (L-1, ..., 0 as pabutools) */
        PB_UTIL_COUNT
};

/** Method of Equal Shares: how the per-voter budget is raised when MES leaves money unspent. */
enum pb_completion {
        PB_COMPLETE_NONE,            /* plain MES, per-voter budget B/n */
        PB_COMPLETE_ADD1,            /* pabulib "add1": from floor(B/n), +1 until the outcome no longer fits;
                                       * keep the last that fits */
        PB_COMPLETE_ADD1_EXHAUSTIVE, /* pabutools' increment: from B/n, +1 until the outcome is exhaustive
                                       * (or infeasible: then the previous one) */
        PB_COMPLETE_ADD1_UNFLOORED,  /* pabutools' exhaustion_by_budget_increase(step n, no exhaustive stop):
                                       * from B/n (not floored), +1 until the outcome no longer fits; keep
                                       * the last that fits (at most B steps) */
        PB_COMPLETION_COUNT
};

/** A rule with every parameter that changes its outcome.  Plain data; copy freely. */
struct pb_rule {
        enum pb_rule_kind kind;
        enum pb_score score; /* greedy family */
        enum pb_tie_break tie_break;
        uint64_t seed;                 /* PB_TIE_SEEDED */
        bool has_threshold;            /* greedy-threshold (and any greedy when set) */
        int64_t threshold;             /* minimum score to be eligible */
        enum pb_utility utility;       /* equal shares */
        enum pb_completion completion; /* equal shares */
        bool utilitarian_completion;   /* equal shares: then greedy by votes with what is left */
        bool comparison;               /* equal shares: "-comparison" (Wieliczka) */
};

/** True for the greedy family (greedy, greedy-no-skip, greedy-threshold, greedy-ratio). */
bool pb_rule_is_greedy(enum pb_rule_kind k);

/** Names, for documents and options.  "?" outside the enums. */
const char *pb_rule_kind_name(enum pb_rule_kind k);
const char *pb_score_name(enum pb_score s);
const char *pb_tie_break_name(enum pb_tie_break t);
const char *pb_utility_name(enum pb_utility u);
const char *pb_completion_name(enum pb_completion c);

/** Parse the names above.  PB_ERR_NOT_FOUND for an unknown name; *ret untouched then. */
PB_NODISCARD pb_err pb_score_parse(const char *s, enum pb_score *ret);
PB_NODISCARD pb_err pb_tie_break_parse(const char *s, enum pb_tie_break *ret);
PB_NODISCARD pb_err pb_utility_parse(const char *s, enum pb_utility *ret);
PB_NODISCARD pb_err pb_completion_parse(const char *s, enum pb_completion *ret);

/** A rule with its defaults: greedy, automatic score, file-order ties, MES cost/no completion. */
void pb_rule_init(struct pb_rule *r);

/**
 * Set @r from a rule name: ours ("greedy", "greedy-ratio", "equalshares", "phragmen",
 * "maximin-support") or pabulib's META vocabulary ("greedy-exclusive" and "greedy-custom" are
 * counted as greedy, as pabulib's checker does; "equalshares/add1", "equalshares-comparison",
 * "equalshares/add1-comparison").  Our "equalshares" implies the Add1 completion (what
 * equalshares.net and the cities run); "equalshares-comparison" implies none, as in pabulib.
 * Parameters not implied by the name are left as they are.
 * @return PB_OK, or PB_ERR_NOT_FOUND (unknown name), PB_ERR_UNSUPPORTED ("unknown": the file
 *         does not say which rule the city used)
 */
PB_NODISCARD pb_err pb_rule_set_name(struct pb_rule *r, const char *name);

/**
 * The rule an election names, with the defaults its source implies: for a pabulib file,
 * counted exactly as pabulib's checker counts it (file-order ties for greedy, cost-then-votes
 * for equal shares, the META threshold under every greedy rule when the file names one, the
 * score column's meaning, and META "equalshares" as plain MES without completion).
 */
PB_NODISCARD pb_err pb_rule_for_election(const struct pb_election *e, struct pb_rule *ret,
                                         struct pb_diag *reterr);

/**
 * Resolve PB_SCORE_AUTO for @e: points for point ballots, L..1 for ordinal ballots, votes for
 * approval and choose-1.  pabulib's checker ranks by the file's score column when there is one
 * and by votes otherwise; for a .pb file without a score column AUTO therefore means votes.
 */
enum pb_score pb_rule_score(const struct pb_rule *r, const struct pb_election *e);

/**
 * Check that @r can count @e: the score fits the ballot type (no points on approval ballots),
 * a threshold rule has a threshold, equal shares utilities fit the ballots.
 * @return PB_OK or PB_ERR_INVALID naming the parameter
 */
PB_NODISCARD pb_err pb_rule_check(const struct pb_rule *r, const struct pb_election *e,
                                  struct pb_diag *reterr);

#endif
