/** @file libFuzzer target: Dominion CvrExport JSON as RCTab reads it. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/pb_format_rctab.h"
#include "fuzz_ranked_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
        "{\"outputSettings\":{\"contestName\":\"fuzz\"},"
        "\"cvrFileSources\":[{\"filePath\":\"dir\",\"provider\":\"dominion\",\"contestId\":\"1\","
        "\"undeclaredWriteInLabel\":\"9\"}],"
        "\"candidates\":[{\"name\":\"A\",\"aliases\":[\"1\"]},{\"name\":\"B\",\"aliases\":[\"2\"]},"
        "{\"name\":\"C\",\"aliases\":[\"3\"]}],"
        "\"rules\":{\"tiebreakMode\":\"useCandidateOrder\",\"overvoteRule\":\"exhaustIfMultipleContinuing\","
        "\"winnerElectionMode\":\"singleWinnerMajority\",\"numberOfWinners\":\"1\","
        "\"decimalPlacesForVoteArithmetic\":\"4\",\"maxSkippedRanksAllowed\":\"1\",\"maxRankingsAllowed\":"
        "\"3\","
        "\"batchElimination\":true,\"continueUntilTwoCandidatesRemain\":true}}";

static const char manifest[] = "{\"List\":[{\"Description\":\"M\",\"Id\":1,\"VoteFor\":1,\"NumOfRanks\":3}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_rctab_config cfg;
        struct pb_rctab_dominion dm;
        struct pb_diag d;
        pb_err r;

        pb_rctab_config_init(&cfg);
        if (pb_rctab_config_parse(config, sizeof(config) - 1, NULL, &cfg, &d) != PB_OK ||
            pb_rctab_read_dominion_contests(&cfg.sources[0], manifest, sizeof(manifest) - 1, &dm, &d) !=
                    PB_OK)
                abort();
        r = pb_rctab_read_dominion_cvrs(&cfg, &cfg.sources[0], &dm, (const char *)data, size, &d);
        if (r == PB_OK)
                fuzz_rctab(&cfg.contest, &cfg.rules);
        else if (!d.reason && r != PB_ERR_NOMEM && r != PB_ERR_LIMIT)
                abort();
        pb_rctab_config_release(&cfg);
        return 0;
}
