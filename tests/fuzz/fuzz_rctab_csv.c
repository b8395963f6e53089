/**
 * @file libFuzzer target: the CSV-shaped RCTab CVR readers (ES&S rendering, generic CSV, Clear
 * Ballot), tabulating by precinct and batch.  The first input byte picks the reader and the rule
 * switches; the rest is the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_format_rctab.h"
#include "engine/pb_alloc.h"
#include "fuzz_ranked_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
        "{\"outputSettings\":{\"contestName\":\"fuzz\"},"
        "\"cvrFileSources\":[{\"filePath\":\"x\",\"provider\":\"ess\",\"contestId\":\"Mayor\","
        "\"firstVoteColumnIndex\":\"2\",\"firstVoteRowIndex\":\"2\",\"overvoteLabel\":\"overvote\","
        "\"skippedRankLabel\":\"undervote\",\"undeclaredWriteInLabel\":\"UWI\"}],"
        "\"candidates\":[{\"name\":\"A\",\"aliases\":[\"a1\"]},{\"name\":\"B\"},{\"name\":\"C\",\"excluded\":"
        "false},"
        "{\"name\":\"D\"}],"
        "\"rules\":{\"tiebreakMode\":\"random\",\"randomSeed\":\"7\",\"overvoteRule\":\"exhaustImmediately\","
        "\"winnerElectionMode\":\"singleWinnerMajority\",\"numberOfWinners\":\"1\","
        "\"decimalPlacesForVoteArithmetic\":\"4\",\"maxSkippedRanksAllowed\":\"1\",\"maxRankingsAllowed\":"
        "\"4\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_rctab_config cfg;
        struct pb_rctab_source *src;
        struct pb_diag d;
        unsigned sel;
        pb_err r;

        if (size < 1)
                return 0;
        sel = data[0];
        pb_rctab_config_init(&cfg);
        if (pb_rctab_config_parse(config, sizeof(config) - 1, NULL, &cfg, &d) != PB_OK)
                abort(); /* our own fixture */
        src = &cfg.sources[0];
        src->provider = sel % 3 == 0   ? PB_RCTAB_ESS
                        : sel % 3 == 1 ? PB_RCTAB_GENERIC_CSV
                                       : PB_RCTAB_CLEAR_BALLOT;
        if (sel & 4) {
                pb_free(src->overvote_label);
                src->overvote_label = pb_strndup("", 0);
                pb_free(src->overvote_delimiter);
                src->overvote_delimiter = pb_strndup("|", 1);
                if (!src->overvote_label || !src->overvote_delimiter)
                        goto out;
        }
        src->blank_is_uwi = (sel & 8) != 0;
        /* tabulate by precinct (column 1) and batch (column 2, also a ranking column) */
        cfg.tabulate_by[PB_RANKED_PRECINCT] = cfg.tabulate_by[PB_RANKED_BATCH] = true;
        src->slice_col[PB_RANKED_PRECINCT] = 1;
        src->slice_col[PB_RANKED_BATCH] = 2;
        switch (src->provider) {
        case PB_RCTAB_ESS: r = pb_rctab_read_ess(&cfg, src, (const char *)data + 1, size - 1, &d); break;
        case PB_RCTAB_GENERIC_CSV:
                r = pb_rctab_read_generic_csv(&cfg, src, (const char *)data + 1, size - 1, &d);
                break;
        default: r = pb_rctab_read_clear_ballot(&cfg, src, (const char *)data + 1, size - 1, &d); break;
        }
        if (r != PB_OK) {
                if (!d.reason && r != PB_ERR_NOMEM && r != PB_ERR_LIMIT)
                        abort();
                goto out;
        }
        cfg.rules.overvote = (sel & 16) ? PB_RCTAB_ALWAYS_SKIP : PB_RCTAB_EXHAUST_IMMEDIATELY;
        cfg.rules.batch_elimination = (sel & 32) != 0;
        cfg.rules.exhaust_on_duplicate = (sel & 64) != 0;
        fuzz_rctab(&cfg.contest, &cfg.rules);
        cfg.rules.mode = (sel & 128) ? PB_RCTAB_MULTI : PB_RCTAB_MULTI_PASS;
        cfg.rules.seats = 2;
        fuzz_rctab(&cfg.contest, &cfg.rules);
out:
        pb_rctab_config_release(&cfg);
        return 0;
}
