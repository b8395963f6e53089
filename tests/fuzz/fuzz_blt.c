/** @file libFuzzer target: the .blt parser, then every .blt count on what it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/pb_format_blt.h"
#include "fuzz_ranked_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        pb_err r;

        pb_blt_init(&b);
        r = pb_blt_parse((const char *)data, size, &b, &d);
        if (r != PB_OK) {
                if (!d.reason) /* every rejection says why */
                        abort();
                pb_blt_release(&b);
                return 0;
        }
        if (b.contest.n_cand > 32 || b.contest.n_tokens > 400) { /* keep each run fast */
                pb_blt_release(&b);
                return 0;
        }
        pb_ranked_outcome_init(&o);
        if (pb_scottish_run(&b.contest, b.tie_order, &o, &d) == PB_OK) {
                fuzz_check_outcome(&b.contest, &o, b.contest.seats);
                fuzz_check_json(&b.contest, &o);
        }
        pb_ranked_outcome_release(&o);
        if (pb_meek_run(&b.contest, b.tie_order, size & 1 ? PB_MEEK_FIXED9 : PB_MEEK_PRF, &o, &d) == PB_OK) {
                fuzz_check_outcome(&b.contest, &o, b.contest.seats);
                fuzz_check_json(&b.contest, &o);
        }
        pb_ranked_outcome_release(&o);
        pb_rctab_rules_init(&ru);
        ru.overvote = PB_RCTAB_ALWAYS_SKIP;
        ru.max_skipped = -1;
        ru.order = b.tie_order;
        fuzz_rctab(&b.contest, &ru);
        ru.mode = PB_RCTAB_MULTI;
        ru.seats = b.contest.seats;
        ru.batch_elimination = false;
        fuzz_rctab(&b.contest, &ru);
        pb_blt_release(&b);
        return 0;
}
