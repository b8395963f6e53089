/** @file Counting a PB election with a rule. */
#ifndef PB_TALLY_H
#define PB_TALLY_H

#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"
#include "engine/pb_result.h"
#include "engine/pb_rule.h"

/**
 * Count @e's ballots with @rule.  Deterministic: the same election and rule give the same
 * result, byte for byte once formatted, on every build.  Exact integer arithmetic only.
 * @param e          borrowed; should have passed pb_election_check()
 * @param rule       borrowed; checked with pb_rule_check() first
 * @param ret_result [out] caller storage, pb_result_init()ed; filled only on PB_OK (on failure
 *                   it is released back to the initial state)
 * Every election pb_election_check() and pb_rule_check() accept is countable: sums are exact
 * (128-bit or big integers).  The exact rationals of the proportional rules grow by at most
 * 96 bits a round and stop at PB_BIG_MAX_LIMBS (2^22 bits): PB_ERR_OVERFLOW is possible only
 * past about 40,000 funded projects, never for a manifest (10,000 projects at most; docs/rules.md,
 * "Exact sums").
 * @return PB_OK, PB_ERR_INVALID (rule does not fit the election), PB_ERR_NOMEM, PB_ERR_LIMIT
 *         (more than 2^32 - 1 ballots), PB_ERR_OVERFLOW (above), PB_ERR_UNSUPPORTED (a rule this
 *         build does not count)
 */
PB_NODISCARD pb_err pb_tally_run(const struct pb_election *e, const struct pb_rule *rule,
                                 struct pb_result *ret_result, struct pb_diag *reterr);

/**
 * Per-project counts: @votes[p] = ballots naming p; @score[p] = the score of kind @s (either
 * array may be NULL).  Arrays have e->n_projects entries.  Scores are 128-bit: a sum of up to
 * 2^32 points of up to 2^63 each never overflows (a manifest's points reach 2^53, and two ballots
 * already pass the 2^53 a JSON number holds; docs/rules.md, "Exact sums").
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT (more ballots than the engine holds, 2^32 - 1)
 */
PB_NODISCARD pb_err pb_tally_count(const struct pb_election *e, enum pb_score s, int64_t *votes,
                                   pb_i128 *score);

#endif
