/** @file libFuzzer target: RCTab contest configs (JSON), then a small count under their rules. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/pb_format_rctab.h"
#include "fuzz_ranked_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_rctab_config cfg;
        struct pb_diag d;
        uint32_t i;
        pb_err r;

        pb_rctab_config_init(&cfg);
        r = pb_rctab_config_parse((const char *)data, size, "/nonexistent", &cfg, &d);
        if (r != PB_OK) {
                if (!d.reason && r != PB_ERR_NOMEM)
                        abort();
                pb_rctab_config_release(&cfg);
                return 0;
        }
        if (cfg.contest.n_cand <= 64 && cfg.rules.seats <= 64) {
                /* a few ballots over the configured candidates, counted under the configured rules */
                for (i = 0; i < 7; i++) {
                        uint32_t a = i % (uint32_t)cfg.contest.n_cand,
                                 b = (i * 5 + 1) % (uint32_t)cfg.contest.n_cand;
                        if (pb_ranked_ballot_mark(&cfg.contest, 1, a) != PB_OK ||
                            (a != b && pb_ranked_ballot_mark(&cfg.contest, 2 + (i & 1), b) != PB_OK) ||
                            pb_ranked_ballot_commit(&cfg.contest, 1 + i) != PB_OK)
                                break;
                }
                fuzz_rctab(&cfg.contest, &cfg.rules);
        }
        pb_rctab_config_release(&cfg);
        return 0;
}
