/** @file Shared checks for the ranked-format fuzz targets: count a parsed contest under several
 *  rules and check the invariants every count must keep. */
#ifndef PB_FUZZ_RANKED_COMMON_H
#define PB_FUZZ_RANKED_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "engine/pb_buf.h"
#include "engine/pb_ranked.h"

/* Winners are distinct candidates, no more than the seats (RCTab may elect fewer). */
static inline void fuzz_check_outcome(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o,
                                      unsigned max_winners)
{
        size_t i, j;

        if (o->n_winners > max_winners)
                abort();
        for (i = 0; i < o->n_winners; i++) {
                if (o->winners[i] >= c->n_cand)
                        abort();
                for (j = 0; j < i; j++)
                        if (o->winners[i] == o->winners[j])
                                abort();
        }
}

/* The same count twice gives the same result document. */
static inline void fuzz_check_json(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o)
{
        struct pb_buf a, b;

        pb_buf_init(&a, 0);
        pb_buf_init(&b, 0);
        if (pb_ranked_result_json(c, o, "fuzz", &a) == PB_OK &&
            pb_ranked_result_json(c, o, "fuzz", &b) == PB_OK &&
            (a.len != b.len || memcmp(a.data, b.data, a.len)))
                abort();
        pb_buf_release(&a);
        pb_buf_release(&b);
}

/* Slices follow the contest-wide count: per round and kind, the slices' inactive buckets add up
 * to the contest's, and so do their tallies, except that a winner's slices add up to its
 * contest tally plus residual surplus (never less). */
static inline void fuzz_check_slices(const struct pb_ranked_result *res)
{
        size_t k, s, r, j;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                if (!res->n_slices[k])
                        continue;
                for (r = 0; r < res->n_rounds; r++) {
                        for (j = 0; j < res->n_cand; j++) {
                                int64_t sum = 0;
                                for (s = 0; s < res->n_slices[k]; s++) {
                                        if (res->slices[k][s].n_rounds != res->n_rounds ||
                                            res->slices[k][s].rounds[r].threshold != res->rounds[r].threshold)
                                                abort();
                                        sum += res->slices[k][s].rounds[r].tally[j];
                                }
                                if (sum < res->rounds[r].tally[j] ||
                                    (sum != res->rounds[r].tally[j] && r == 0))
                                        abort();
                        }
                        for (j = 0; j < PB_RANKED_INACTIVE_COUNT; j++) {
                                int64_t sum = 0;
                                for (s = 0; s < res->n_slices[k]; s++)
                                        sum += res->slices[k][s].rounds[r].inactive[j];
                                if (sum != res->rounds[r].inactive[j])
                                        abort();
                        }
                }
        }
}

/* Count @c under RCTab rules @ru and check the outcome. */
static inline void fuzz_rctab(const struct pb_ranked_contest *c, const struct pb_rctab_rules *ru)
{
        struct pb_ranked_outcome o;
        struct pb_diag d;

        pb_ranked_outcome_init(&o);
        if (pb_rctab_run(c, ru, &o, &d) == PB_OK) {
                fuzz_check_outcome(
                        c, &o, ru->mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE ? (unsigned)c->n_cand : ru->seats);
                fuzz_check_json(c, &o);
                for (size_t p = 0; p < o.n_passes; p++)
                        fuzz_check_slices(&o.passes[p]);
        }
        pb_ranked_outcome_release(&o);
}

#endif
