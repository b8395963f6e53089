/** @file Counting a PB election with a rule. */
#ifndef PB_TALLY_H
#define PB_TALLY_H

#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_result.h"
#include "engine/pb_rule.h"

/**
 * Count @e's ballots with @rule.  Deterministic: the same election and rule give the same
 * result, byte for byte once formatted, on every build.  Exact integer arithmetic only.
 * @param e          borrowed; should have passed pb_election_check()
 * @param rule       borrowed; checked with pb_rule_check() first
 * @param ret_result [out] caller storage, pb_result_init()ed; filled only on PB_OK (on failure
 *                   it is released back to the initial state)
 * @return PB_OK, PB_ERR_INVALID (rule does not fit the election), PB_ERR_OVERFLOW,
 *         PB_ERR_NOMEM, PB_ERR_UNSUPPORTED (a rule this build does not count)
 */
PB_NODISCARD pb_err pb_tally_run(const struct pb_election *e, const struct pb_rule *rule,
                                 struct pb_result *ret_result, struct pb_diag *reterr);

/**
 * Per-project counts: @votes[p] = ballots naming p; @score[p] = the score of kind @s (either
 * array may be NULL).  Arrays have e->n_projects entries.  PB_ERR_OVERFLOW if a sum overflows.
 */
PB_NODISCARD pb_err pb_tally_count(const struct pb_election *e, enum pb_score s, int64_t *votes,
                                   int64_t *score);

#endif
