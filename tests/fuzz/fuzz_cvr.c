/** @file libFuzzer target for the ballot and CVR readers against fixed elections (approval,
 *  ordinal, cumulative): no crash, every refusal says why, and an accepted CVR is exactly what
 *  pb_cvr_format writes for what was read. */
#include <stdint.h>
#include <string.h>

#include "formats/pb_json_ballot.h"
#include "engine/pb_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pb_election *make(enum pb_vote_type t)
{
        static const char *const ids[] = { "a", "b", "c", "p03", "BO.OM.97/24" };
        struct pb_election *e = pb_election_new();

        PB_ASSERT(e != NULL);
        e->vote_type = t;
        e->id = pb_election_str(e, "e1", 2);
        for (size_t i = 0; i < 5; i++)
                PB_ASSERT(pb_election_add_project(e, ids[i], strlen(ids[i]), 10, NULL, NULL) == PB_OK);
        return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum pb_vote_type types[] = { PB_VOTE_APPROVAL, PB_VOTE_ORDINAL, PB_VOTE_CUMULATIVE };

        if (size > (1 << 14))
                return 0;
        for (size_t t = 0; t < 3; t++) {
                struct pb_election *e = make(types[t]);
                uint32_t items[5];
                int64_t points[5];
                struct pb_cvr_meta meta;
                struct pb_diag d;
                size_t n = 0;

                pb_diag_clear(&d);
                if (pb_ballot_json_parse(e, (const char *)data, size, items, points, &n, &d) == PB_OK)
                        PB_ASSERT(n <= 5);
                else
                        PB_ASSERT(d.reason != NULL);
                pb_diag_clear(&d);
                if (pb_cvr_parse(e, (const char *)data, size, items, points, &n, &meta, &d) == PB_OK) {
                        struct pb_buf again;
                        pb_buf_init(&again, 0);
                        PB_ASSERT(pb_cvr_format(e, items, types[t] == PB_VOTE_CUMULATIVE ? points : NULL, n,
                                                meta.channel, meta.cvr_id, &again) == PB_OK);
                        PB_ASSERT(again.len == size && !memcmp(again.data, data, size));
                        pb_buf_release(&again);
                } else {
                        PB_ASSERT(d.reason != NULL);
                }
                pb_election_free(e);
        }
        return 0;
}
