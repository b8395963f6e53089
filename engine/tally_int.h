/** @file Private helpers shared by the rule implementations (engine/ only). */
#ifndef PB_TALLY_INT_H
#define PB_TALLY_INT_H

#include <stdint.h>

#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"
#include "engine/pb_result.h"
#include "engine/pb_rule.h"
#include "engine/pb_tally.h"

/* pb_tally_count() is public: engine/pb_tally.h */

/**
 * The tie-break as a total order: @rank[p] is p's position (0 = first) when every project is
 * ordered by @r's tie-break policy.  Rules break a tie among projects by taking the smallest
 * rank.  @votes is needed by PB_TIE_COST_THEN_VOTES.  Ties left by cost-then-votes fall back
 * to file order; seeded order falls back to id order (never reached in practice).
 */
PB_NODISCARD pb_err pb_tie_ranks(const struct pb_election *e, const struct pb_rule *r, const int64_t *votes,
                                 uint32_t *rank);

/** Rules, one file each: tally_greedy.c, ... Each fills a prepared result. */
PB_NODISCARD pb_err pb_tally_greedy(const struct pb_election *e, const struct pb_rule *rule,
                                    struct pb_result *res, struct pb_diag *reterr);

/** Method of Equal Shares with its completions (tally_mes.c). */
PB_NODISCARD pb_err pb_tally_mes(const struct pb_election *e, const struct pb_rule *rule,
                                 struct pb_result *res, struct pb_diag *reterr);

/** Sequential Phragmén (tally_phragmen.c) and maximin support (tally_maximin.c). */
PB_NODISCARD pb_err pb_tally_phragmen(const struct pb_election *e, const struct pb_rule *rule,
                                      struct pb_result *res, struct pb_diag *reterr);
PB_NODISCARD pb_err pb_tally_maximin(const struct pb_election *e, const struct pb_rule *rule,
                                     struct pb_result *res, struct pb_diag *reterr);

/** Write the exact fraction @num/@den (den > 0), reduced, as "n/d" or "n" into @buf. */
void pb_fraction_format(pb_i128 num, pb_i128 den, char *buf, size_t len);

#endif
