/** @file libFuzzer target: NIST CDF JSON CVRs as RCTab reads them. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/pb_format_rctab.h"
#include "fuzz_ranked_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
        "{\"outputSettings\":{\"contestName\":\"fuzz\"},"
        "\"cvrFileSources\":[{\"filePath\":\"x.json\",\"provider\":\"cdf\",\"contestId\":\"Mayor\","
        "\"overvoteLabel\":\"overvote\",\"undeclaredWriteInLabel\":\"UWI\"}],"
        "\"candidates\":[{\"name\":\"A\",\"aliases\":[\"Alice\"]},{\"name\":\"B\"},{\"name\":\"C\"}],"
        "\"rules\":{\"tiebreakMode\":\"previousRoundCountsThenRandom\",\"randomSeed\":\"3\","
        "\"overvoteRule\":\"alwaysSkipToNextRank\",\"winnerElectionMode\":\"singleWinnerMajority\","
        "\"numberOfWinners\":\"1\",\"decimalPlacesForVoteArithmetic\":\"4\",\"maxSkippedRanksAllowed\":"
        "\"unlimited\","
        "\"maxRankingsAllowed\":\"max\",\"exhaustOnDuplicateCandidate\":true}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_rctab_config cfg;
        struct pb_diag d;
        pb_err r;

        pb_rctab_config_init(&cfg);
        if (pb_rctab_config_parse(config, sizeof(config) - 1, NULL, &cfg, &d) != PB_OK)
                abort();
        r = pb_rctab_read_cdf(&cfg, &cfg.sources[0], (const char *)data, size, &d);
        if (r == PB_OK) {
                fuzz_rctab(&cfg.contest, &cfg.rules);
                cfg.rules.mode = PB_RCTAB_MULTI_ONE_PER_ROUND;
                cfg.rules.seats = 2;
                cfg.rules.non_integer_threshold = true;
                fuzz_rctab(&cfg.contest, &cfg.rules);
        } else if (!d.reason && r != PB_ERR_NOMEM && r != PB_ERR_LIMIT) {
                abort();
        }
        pb_rctab_config_release(&cfg);
        return 0;
}
