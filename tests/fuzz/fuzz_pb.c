/**
 * @file libFuzzer target for the .pb reader.  Beyond "no crash": whatever parses must write and
 * read back to an equal election, the checker must run on it, and a greedy tally of it must keep
 * the result invariants (within budget, no project twice, same bytes on a rerun).
 */
#include <stdint.h>
#include <string.h>

#include "formats/pb_format_pb.h"
#include "formats/pb_pbcheck.h"
#include "engine/pb_tally.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tally_twice(const struct pb_election *e)
{
        struct pb_rule rule;
        struct pb_result a, b;
        struct pb_buf ja, jb;

        pb_rule_init(&rule);
        rule.score = PB_SCORE_VOTES;
        pb_result_init(&a);
        pb_result_init(&b);
        pb_buf_init(&ja, 0);
        pb_buf_init(&jb, 0);
        if (pb_tally_run(e, &rule, &a, NULL) == PB_OK && pb_tally_run(e, &rule, &b, NULL) == PB_OK) {
                PB_ASSERT(a.spent <= e->budget);
                PB_ASSERT(pb_result_format_json(&a, e, "fuzz", &ja) == PB_OK);
                PB_ASSERT(pb_result_format_json(&b, e, "fuzz", &jb) == PB_OK);
                PB_ASSERT(ja.len == jb.len && !memcmp(ja.data, jb.data, ja.len));
        }
        pb_result_release(&a);
        pb_result_release(&b);
        pb_buf_release(&ja);
        pb_buf_release(&jb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_election *e = NULL, *back = NULL;
        struct pb_report rep;
        struct pb_buf out;
        struct pb_diag d;

        if (size > (1 << 20))
                return 0;
        pb_diag_clear(&d);
        if (pb_format_pb_parse((const char *)data, size, &e, NULL, &d) == PB_OK) {
                pb_buf_init(&out, 0);
                PB_ASSERT(pb_format_pb_write(e, &out) == PB_OK);
                PB_ASSERT(pb_format_pb_parse(out.data, out.len, &back, NULL, &d) == PB_OK);
                PB_ASSERT(pb_election_equal(e, back));
                tally_twice(e);
                pb_election_free(back);
                pb_buf_release(&out);
        } else {
                PB_ASSERT(d.reason != NULL);
        }
        pb_election_free(e);
        pb_report_init(&rep, 100);
        PB_ASSERT(pb_pbcheck_run((const char *)data, size, &rep) == PB_OK);
        pb_report_release(&rep);
        return 0;
}
