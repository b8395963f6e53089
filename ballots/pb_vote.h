/**
 * @file Counting a vote (DESIGN.md §3): every contest of the manifest by its own rule, into one
 * tally document.  Shared by the ballot box (the signed result), the offline verifier (the
 * recount) and `pbvote tally` of a bundle, so that the three write the same bytes.  No SQLite.
 *
 * The tally document of a vote of one contest (the one-contest form) is that contest's own
 * (docs/formats.md), byte for byte as before issue 14; a vote of the contests form has
 *   {"contests":{"<contest id>":<the contest's tally document>,...}}
 */
#ifndef PB_VOTE_H
#define PB_VOTE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/pb_json_ballot.h"
#include "formats/pb_manifest.h"
#include "engine/pb_buf.h"
#include "engine/pb_err.h"
#include "engine/pb_result.h"

/** Every contest's outcome.  Caller storage: zero it, then pb_vote_count_release() after use. */
struct pb_vote_count {
        size_t n;              /* the manifest's contests */
        struct pb_result *res; /* owned: each contest's outcome, in manifest order */
};

/** Free what @c holds and zero it.  Accepts a zeroed one. */
void pb_vote_count_release(struct pb_vote_count *c);

/**
 * Add the ballots of one CVR (@vb, read by pb_vote_cvr_parse() against @m) to the elections of
 * their contests, the ballots a count counts, under the voter id @voter_id (copied into each
 * contest's pool; NULL: none).  A paper's blank or spoiled part is not counted.  PB_ERR_NOMEM,
 * PB_ERR_LIMIT.
 */
PB_NODISCARD pb_err pb_vote_add_ballots(struct pb_manifest *m, const struct pb_vote_ballots *vb,
                                        const char *voter_id);

/**
 * Is @seed (NULL: none given) what the manifest's seeded contests committed to?  Every contest with
 * a seeded tie-break must have committed to this one seed (the city draws one), and a seed given
 * for a vote without any is refused.
 * @return PB_OK, or PB_ERR_INVALID with path "seed" and the reason
 */
PB_NODISCARD pb_err pb_vote_seed_check(const struct pb_manifest *m, const uint64_t *seed,
                                       struct pb_diag *reterr);

/** True if some contest of @m breaks ties with a seeded draw. */
bool pb_vote_is_seeded(const struct pb_manifest *m);

/**
 * Count every contest of @m with its rule (the ballots pb_vote_add_ballots() gave its elections;
 * @seed for the seeded ones, checked first) and append the tally document to @out.
 * @param ret  [out] optional: every contest's outcome (released and refilled)
 * @return PB_OK, PB_ERR_INVALID (the seed), or pb_tally_run()'s and the writer's errors
 */
PB_NODISCARD pb_err pb_vote_tally(const struct pb_manifest *m, const uint64_t *seed,
                                  const char *engine_version, struct pb_vote_count *ret, struct pb_buf *out,
                                  struct pb_diag *reterr);

#endif
