/** @file Unit tests of the ranked file formats: .blt, RCTab configs, the CSV-shaped CVR readers
 *  and the detailed report writer; errors must name the line and reason. */
#include <cjson/cJSON.h>
#include <string.h>

#include "formats/format_rctab_int.h"
#include "formats/pb_format_blt.h"
#include "formats/pb_format_rctab.h"
#include "check.h"
#include "engine/pb_alloc.h"

static pb_err parse_blt(const char *text, struct pb_blt *b, struct pb_diag *d)
{
        pb_blt_init(b);
        pb_diag_clear(d);
        return pb_blt_parse(text, strlen(text), b, d);
}

static void test_blt_basic(void)
{
        struct pb_blt b;
        struct pb_diag d;
        const uint16_t *t;

        CHECK_INT(parse_blt("4 2\n-2\n3 1 2 3 0\n2 2=4 1 0\n1 2 0\n0\n\"A\" \"B\"\n\"C\"\n\"D\"\n\"T\"\n", &b,
                            &d),
                  PB_OK);
        CHECK_INT(b.contest.n_cand, 4);
        CHECK_INT(b.contest.seats, 2);
        CHECK(b.contest.cand[1].excluded);
        CHECK_STR(b.contest.cand[3].name, "D");
        CHECK_STR(b.contest.title, "T");
        /* withdrawn B removed: (A C) x3, (D A) x2 with D alone at rank 1, and an empty ballot */
        CHECK_INT(b.contest.n_ballots, 3);
        t = b.contest.tokens + b.contest.ballots[0].off;
        CHECK_INT(b.contest.ballots[0].len, 4);
        CHECK_INT(t[1], 0);
        CHECK_INT(t[2], PB_RANKED_RANK_FLAG | 2);
        CHECK_INT(t[3], 2);
        t = b.contest.tokens + b.contest.ballots[1].off;
        CHECK_INT(t[1], 3);
        CHECK_INT(t[2], PB_RANKED_RANK_FLAG | 2);
        CHECK_INT(b.contest.ballots[2].len, 0);
        CHECK_INT(b.contest.n_total, 6);
        pb_blt_release(&b);
}

static void test_blt_options(void)
{
        struct pb_blt b;
        struct pb_diag d;

        CHECK_INT(
                parse_blt(
                        "\xEF\xBB\xBF# c\r\n3 1\r\n[nick x y z] [tie z x y]\r\n[withdrawn z]\r\n(id1) x y 0 "
                        "/* a\n b */\r\n"
                        "2 y=x 0 // x\r\n0\r\n\"X  1\" \"Y\" \"Z\" \"T\" \"S\" \"C\" trailing\r\n",
                        &b, &d),
                PB_OK);
        CHECK(b.tie_order != NULL);
        CHECK_INT(b.tie_order[0], 2);
        CHECK_INT(b.tie_order[1], 0);
        CHECK(b.contest.cand[2].excluded);
        CHECK_STR(b.contest.cand[0].name, "X  1");
        CHECK_STR(b.source, "S");
        CHECK_STR(b.comment, "C");
        CHECK_INT(b.contest.n_total, 3);
        pb_blt_release(&b);
}

static void test_blt_errors(void)
{
        static const struct {
                const char *text;
                unsigned line, col;
        } bad[] = {
                { "3 0\n0\n\"A\"\"B\"\"C\"\"T\"", 1, 3 },               /* no seats */
                { "3 1\n1 1 2 1 0\n0\n\"A\" \"B\" \"C\" \"T\"", 2, 7 }, /* repeated candidate */
                { "3 1\n1 1 4 0\n0\n\"A\" \"B\" \"C\" \"T\"", 2, 5 },   /* unknown candidate */
                { "3 1\n1 1 2\n0\n\"A\" \"B\" \"C\" \"T\"", 4, 1 },     /* no 0 terminator */
                { "3 1\n1 1 0\n0\n\"A\" \"B\" C \"T\"", 4, 9 },         /* unquoted name */
                { "3 1\n1 1 0\n0\n\"A\" \"B\" \"C\"\n", 5, 1 },         /* no title */
                { "3 1\n1 1 0\n0\n\"A\" \"B\"x \"C\" \"T\"", 4, 5 },    /* text after a quote */
                { "3 1\n[bogus]\n1 1 0\n0\n\"A\" \"B\" \"C\" \"T\"", 2, 1 },
                { "3 1\n/* open\n", 2, 1 },
                { "3 1\n1 1 0\n0\n\"\xff\" \"B\" \"C\" \"T\"", 4, 1 }, /* not UTF-8 */
        };
        struct pb_blt b;
        struct pb_diag d;
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CHECK(parse_blt(bad[i].text, &b, &d) < 0);
                CHECK(d.reason != NULL);
                if (bad[i].line && d.line != bad[i].line)
                        fprintf(stderr, "case %zu: line %u, expected %u (%s)\n", i, d.line, bad[i].line,
                                d.reason);
                CHECK_INT(d.line, bad[i].line);
                if (bad[i].col)
                        CHECK_INT(d.col, bad[i].col);
                pb_blt_release(&b);
        }
}

static void test_csv(void)
{
        static const char text[] = "\xEF\xBB\xBF"
                                   "a,\"b,c\",\"d\"\"e\"\r\n"
                                   "\"multi\nline\",,\n"
                                   "\n"
                                   "last,";
        struct rk_csv c;
        struct pb_diag d;

        rk_csv_init(&c, text, sizeof(text) - 1);
        CHECK_INT(rk_csv_next(&c, &d), 1);
        CHECK_INT(c.n_f, 3);
        CHECK(c.f[1].len == 3 && !memcmp(c.f[1].s, "b,c", 3));
        CHECK(c.f[2].len == 3 && !memcmp(c.f[2].s, "d\"e", 3));
        CHECK_INT(rk_csv_next(&c, &d), 1);
        CHECK_INT(c.line, 2);
        CHECK_INT(c.n_f, 3);
        CHECK(c.f[0].len == 10 && !memcmp(c.f[0].s, "multi\nline", 10));
        CHECK_INT(rk_csv_next(&c, &d), 1);
        CHECK_INT(c.line, 4);
        CHECK(c.n_f == 1 && c.f[0].len == 0);
        CHECK_INT(rk_csv_next(&c, &d), 1);
        CHECK_INT(c.n_f, 2);
        CHECK_INT(rk_csv_next(&c, &d), 0);
        rk_csv_release(&c);
        rk_csv_init(&c, "a,\"open\n", 8);
        CHECK_INT(rk_csv_next(&c, &d), PB_ERR_PARSE);
        CHECK_INT(d.line, 1);
        rk_csv_release(&c);
        rk_csv_init(&c, "\"x\"y,z\n", 7);
        CHECK_INT(rk_csv_next(&c, &d), PB_ERR_PARSE);
        rk_csv_release(&c);
}

#define CONFIG(provider, extra, rules)                                                                       \
        "{\"outputSettings\":{\"contestName\":\"t\",\"contestDate\":\"2020\"},\"cvrFileSources\":[{"         \
        "\"filePath\":\"cvr.xlsx\",\"provider\":\"" provider "\",\"firstVoteColumnIndex\":\"2\","            \
        "\"firstVoteRowIndex\":\"2\"" extra "}],\"candidates\":[{\"name\":\"A\",\"aliases\":[\"Al\"]},"      \
        "{\"name\":\"B\"},{\"name\":\"C\",\"excluded\":true}],\"rules\":{\"tiebreakMode\":"                  \
        "\"useCandidateOrder\","                                                                             \
        "\"overvoteRule\":\"exhaustImmediately\",\"winnerElectionMode\":\"singleWinnerMajority\","           \
        "\"numberOfWinners\":\"1\",\"decimalPlacesForVoteArithmetic\":\"4\",\"maxSkippedRanksAllowed\":"     \
        "\"1\","                                                                                             \
        "\"maxRankingsAllowed\":\"3\"" rules "}}"

/* A config with only the given rules. */
#define RULES(rules)                                                                                         \
        "{\"cvrFileSources\":[{\"filePath\":\"c.xlsx\",\"provider\":\"ess\",\"firstVoteColumnIndex\":\"2\"," \
        "\"firstVoteRowIndex\":\"2\"}],\"candidates\":[{\"name\":\"A\"},{\"name\":\"B\"},"                   \
        "{\"name\":\"C\",\"excluded\":true}],\"rules\":{" rules "}}"

static pb_err config(const char *text, struct pb_rctab_config *cfg, struct pb_diag *d)
{
        pb_rctab_config_init(cfg);
        pb_diag_clear(d);
        return pb_rctab_config_parse(text, strlen(text), "/data/case", cfg, d);
}

static void test_config(void)
{
        struct pb_rctab_config cfg;
        struct pb_diag d;

        CHECK_INT(config(CONFIG("ess", ",\"undeclaredWriteInLabel\":\"UWI\",\"overvoteLabel\":\"ov\"", ""),
                         &cfg, &d),
                  PB_OK);
        CHECK_STR(cfg.sources[0].path, "/data/case/cvr.xlsx");
        CHECK_STR(cfg.sources[0].overvote_label, "ov");
        CHECK_INT(cfg.contest.n_cand, 4); /* A B C + Undeclared Write-ins */
        CHECK_INT(cfg.uwi, 3);
        CHECK(cfg.contest.cand[3].uwi && cfg.contest.cand[2].excluded);
        CHECK_INT(pb_rctab_lookup(&cfg, "Al", 2), 0);
        CHECK_INT(pb_rctab_lookup(&cfg, "A", 1), 0);
        CHECK_INT(pb_rctab_lookup(&cfg, "Alx", 3), -1);
        CHECK_INT(cfg.max_rankings, 3);
        pb_rctab_config_release(&cfg);

        CHECK(config(CONFIG("hart", "", ""), &cfg, &d) == PB_ERR_UNSUPPORTED);
        pb_rctab_config_release(&cfg);
        /* a key given twice is refused (cJSON alone would keep the first) */
        CHECK(config(CONFIG("ess", "", ",\"tiebreakMode\":\"random\""), &cfg, &d) == PB_ERR_PARSE);
        CHECK_STR(d.path, "rules.tiebreakMode");
        pb_rctab_config_release(&cfg);
        CHECK(config(RULES("\"tiebreakMode\":\"coin\",\"overvoteRule\":\"exhaustImmediately\","
                           "\"winnerElectionMode\":\"singleWinnerMajority\""),
                     &cfg, &d) == PB_ERR_INVALID);
        CHECK_STR(d.path, "rules.tiebreakMode");
        CHECK_STR(d.subject, "coin");
        pb_rctab_config_release(&cfg);
        CHECK(config(RULES("\"tiebreakMode\":\"random\",\"overvoteRule\":\"exhaustImmediately\","
                           "\"winnerElectionMode\":\"singleWinnerMajority\""),
                     &cfg, &d) == PB_ERR_INVALID); /* random needs a seed */
        CHECK_STR(d.path, "rules.randomSeed");
        pb_rctab_config_release(&cfg);
        CHECK(config(RULES("\"tiebreakMode\":\"useCandidateOrder\",\"overvoteRule\":\"exhaustImmediately\","
                           "\"winnerElectionMode\":\"singleWinnerMajority\","
                           "\"decimalPlacesForVoteArithmetic\":\"15\""),
                     &cfg, &d) == PB_ERR_UNSUPPORTED);
        pb_rctab_config_release(&cfg);
        CHECK(config("[1,2]", &cfg, &d) == PB_ERR_PARSE);
        pb_rctab_config_release(&cfg);
        CHECK(config("{\"rules\":", &cfg, &d) == PB_ERR_PARSE);
        pb_rctab_config_release(&cfg);
        CHECK_INT(
                config(RULES("\"tiebreakMode\":\"useCandidateOrder\",\"overvoteRule\":\"exhaustImmediately\","
                             "\"winnerElectionMode\":\"bottomsUpUsingPercentageThreshold\","
                             "\"numberOfWinners\":"
                             "\"0\","
                             "\"multiSeatBottomsUpPercentageThreshold\":\"15\""),
                       &cfg, &d),
                PB_OK);
        CHECK_INT(cfg.rules.bottoms_up_fraction, 1500); /* 0.15 at 4 decimals */
        pb_rctab_config_release(&cfg);
        CHECK_INT(
                config(RULES("\"tiebreakMode\":\"useCandidateOrder\",\"overvoteRule\":\"exhaustImmediately\","
                             "\"winnerElectionMode\":\"singleWinnerMajority\",\"maxSkippedRanksAllowed\":"
                             "\"unlimited\","
                             "\"maxRankingsAllowed\":\"max\""),
                       &cfg, &d),
                PB_OK);
        CHECK_INT(cfg.rules.max_skipped, -1);
        CHECK_INT(cfg.max_rankings, 3); /* A, B, C: excluded candidates count, no write-in here */
        pb_rctab_config_release(&cfg);
}

static void test_ess(void)
{
        struct pb_rctab_config cfg;
        struct pb_diag d;
        const char *cvr;

        CHECK_INT(config(CONFIG("ess",
                                ",\"undeclaredWriteInLabel\":\"UWI\",\"overvoteLabel\":\"ov\","
                                "\"skippedRankLabel\":\"skip\"",
                                ""),
                         &cfg, &d),
                  PB_OK);
        cvr = "id,r1,r2,r3,r4\n1, A ,skip,B,C\n2,ov,UWI,,\n3,Al,A,B,A\n\n";
        CHECK_INT(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_INT(cfg.contest.n_total, 4);
        CHECK_INT(cfg.contest.n_ballots, 4);
        /* row 1: A at 1, B at 3 (rank 4 is beyond maxRankingsAllowed and never read) */
        CHECK_INT(cfg.contest.ballots[0].len, 4);
        CHECK_INT(cfg.contest.tokens[cfg.contest.ballots[1].off + 1], PB_RANKED_OVERVOTE);
        CHECK_INT(cfg.contest.tokens[cfg.contest.ballots[1].off + 3], 3);
        CHECK_INT(cfg.contest.ballots[3].len, 0);
        cvr = "id,r1\n1,A\n2,Zed\n";
        CHECK(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_INVALID);
        CHECK_INT(d.line, 3);
        CHECK_INT(d.col, 2);
        CHECK_STR(d.subject, "Zed");
        CHECK_STR(d.reason, "unrecognized candidate");
        pb_rctab_config_release(&cfg);

        /* the overvote delimiter splits a cell into an overvote */
        CHECK_INT(config(CONFIG("ess", ",\"overvoteDelimiter\":\"|\"", ""), &cfg, &d), PB_OK);
        cvr = "id,r1,r2\n1,A|B,C\n";
        CHECK_INT(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_INT(cfg.contest.ballots[0].len, 5);
        cvr = "id,r1,r2\n1,A| ,C\n";
        CHECK(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_INVALID);
        CHECK_INT(d.line, 2);
        pb_rctab_config_release(&cfg);
}

static void test_generic_and_clear_ballot(void)
{
        struct pb_rctab_config cfg;
        struct pb_diag d;
        const char *cvr;

        CHECK_INT(config(CONFIG("genericCsv", ",\"undeclaredWriteInLabel\":\"W\"", ""), &cfg, &d), PB_OK);
        cvr = "id,A,B,W,Nobody\n1,1,2,,\n2,,1,1,\n\n3,2,,1,\n";
        CHECK_INT(pb_rctab_read_generic_csv(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_INT(cfg.contest.n_total, 3);
        cvr = "id,A,B\n1,1,x\n";
        CHECK(pb_rctab_read_generic_csv(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_PARSE);
        CHECK_INT(d.line, 2);
        CHECK_INT(d.col, 3);
        cvr = "id,A,B\n1,1,4\n";
        CHECK(pb_rctab_read_generic_csv(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_INVALID);
        CHECK_STR(d.path, "maxRankingsAllowed");
        cvr = "id,A,Nobody\n1,2,1\n";
        CHECK(pb_rctab_read_generic_csv(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_INVALID);
        CHECK_INT(d.col, 3);
        pb_rctab_config_release(&cfg);

        CHECK_INT(config(CONFIG("clearBallot", ",\"contestId\":\"Mayor, City\"", ""), &cfg, &d), PB_OK);
        cvr = "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,"
              "ScanComputerName,"
              "Status,Remade,\"Choice_1_1:Mayor, City:1:1:A:D\",\"Choice_2_1:Mayor, City:1:1:B:R\","
              "\"Choice_1_2:Mayor, City:2:1:A:D\",Choice_9_1:Other:1:1:Q:X\n"
              "1,1,1,1,1,1,p,s,0,0,0,1,1,1\n2,1,2,2,1,1,p,s,0,0,0,0,0,0\n";
        CHECK_INT(pb_rctab_read_clear_ballot(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_INT(cfg.contest.n_total, 2);
        CHECK_INT(cfg.contest.ballots[0].len, 4);
        cvr = "a,b,c,d,e,f,g,h,i,j,Choice_1_1:Mayor, City:1\n";
        CHECK(pb_rctab_read_clear_ballot(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d) == PB_ERR_PARSE);
        pb_rctab_config_release(&cfg);
}

static void test_report(void)
{
        static const char *cvr = "id,r1,r2\n1,A,B\n2,A,B\n3,B,A\n";
        struct pb_rctab_config cfg;
        struct pb_ranked_outcome o;
        struct pb_rctab_meta meta = { "t", "2020", NULL, NULL, PB_RANKED_PRECINCT, NULL };
        struct pb_diag d;
        struct pb_buf out;
        cJSON *j, *r0;

        CHECK_INT(config(CONFIG("ess", "", ""), &cfg, &d), PB_OK);
        CHECK_INT(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d), PB_OK);
        pb_buf_init(&out, 0);
        CHECK_INT(pb_rctab_report_write(&cfg.contest, &o, &meta, false, &out), PB_OK);
        j = cJSON_Parse(out.data);
        CHECK(j != NULL);
        r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "tally"), "A")->valuestring, "2");
        CHECK_STR(cJSON_GetObjectItem(r0, "threshold")->valuestring, "2");
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "inactiveBallots"), "finalRoundSurplus") == NULL);
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "totalNumBallots")->valuestring,
                  "3");
        CHECK_STR(
                cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r0, "tallyResults"), 0), "elected")
                        ->valuestring,
                "A");
        /* keys in sorted order, as RCTab writes them */
        CHECK(strstr(out.data, "\"config\"") < strstr(out.data, "\"jsonFormatVersion\""));
        cJSON_Delete(j);
        pb_buf_release(&out);
        pb_ranked_outcome_release(&o);
        pb_rctab_config_release(&cfg);
}

/* A config tabulating by @by ("Precinct", "Batch" or both as JSON members) over one source. */
#define SLICE_CONFIG(provider, by, extra)                                                                    \
        "{\"outputSettings\":{\"contestName\":\"t\"" by "},\"cvrFileSources\":[{\"filePath\":\"c.csv\","     \
        "\"provider\":\"" provider "\",\"firstVoteColumnIndex\":\"4\",\"firstVoteRowIndex\":\"2\"" extra     \
        "}],\"candidates\":[{\"name\":\"A\"},{\"name\":\"B\"}],\"rules\":{\"tiebreakMode\":"                 \
        "\"useCandidateOrder\",\"overvoteRule\":\"exhaustImmediately\",\"winnerElectionMode\":"              \
        "\"singleWinnerMajority\",\"numberOfWinners\":\"1\",\"maxRankingsAllowed\":\"2\"}}"
#define BOTH ",\"tabulateByPrecinct\":true,\"tabulateByBatch\":true"
#define COLUMNS ",\"precinctColumnIndex\":\"2\",\"batchColumnIndex\":\"3\""

static void test_slices(void)
{
        static const char *ids[] = { "a_b", "\xf0\x9f\x98\x80", "a b", "x.y-Z_9", "\xc3\xa9", "a/b" };
        struct pb_rctab_config cfg;
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_meta meta;
        struct pb_diag d;
        struct pb_buf out;
        const char *cvr;
        char **stems = NULL;
        cJSON *j;
        size_t i;

        /* generic CSV: the precinct and batch columns, blank cells giving RCTab's "no ... id" */
        CHECK_INT(config(SLICE_CONFIG("genericCsv", BOTH, COLUMNS), &cfg, &d), PB_OK);
        CHECK(cfg.tabulate_by[PB_RANKED_PRECINCT] && cfg.tabulate_by[PB_RANKED_BATCH]);
        CHECK_INT(cfg.sources[0].slice_col[PB_RANKED_PRECINCT], 2);
        cvr = "id,precinct,batch,A,B\n1,p 1,b1,1,2\n2, ,b1,2,1\n3,p 1,,1,\n4,p 1,b1,1,2\n";
        CHECK_INT(pb_rctab_read_generic_csv(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_INT(cfg.contest.n_ballots, 3); /* rows 1 and 4: same ranking, same slices */
        CHECK_INT(cfg.contest.slices[PB_RANKED_PRECINCT].n, 2);
        CHECK_STR(cfg.contest.slices[PB_RANKED_PRECINCT].names[0], "p 1");
        CHECK_STR(cfg.contest.slices[PB_RANKED_PRECINCT].names[1], PB_RCTAB_CSV_NO_PRECINCT);
        CHECK_STR(cfg.contest.slices[PB_RANKED_BATCH].names[1], PB_RCTAB_CSV_NO_BATCH);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d), PB_OK);
        pb_rctab_meta_init(&meta, &cfg);
        pb_buf_init(&out, 0);
        CHECK_INT(pb_rctab_slice_report_write(&cfg.contest, &o, &meta, false, PB_RANKED_PRECINCT, 0, &out),
                  PB_OK);
        j = cJSON_Parse(out.data);
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "precinct")->valuestring, "p 1");
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "batch") == NULL);
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "totalNumBallots")->valuestring,
                  "3");
        CHECK_STR(cJSON_GetObjectItem(
                          cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0),
                                              "tally"),
                          "A")
                          ->valuestring,
                  "3");
        cJSON_Delete(j);
        pb_buf_reset(&out);
        CHECK_INT(pb_rctab_slice_report_write(&cfg.contest, &o, &meta, false, PB_RANKED_BATCH, 1, &out),
                  PB_OK);
        CHECK(strstr(out.data, "\"batch\":\t\"no batch id\"") != NULL);
        CHECK(pb_rctab_slice_report_write(&cfg.contest, &o, &meta, false, PB_RANKED_BATCH, 2, &out) ==
              PB_ERR_INVALID);
        /* the contest-wide report names no slice */
        pb_buf_reset(&out);
        CHECK_INT(pb_rctab_report_write(&cfg.contest, &o, &meta, false, &out), PB_OK);
        CHECK(strstr(out.data, "\"precinct\"") == NULL);
        pb_buf_release(&out);
        CHECK_INT(pb_rctab_slice_stems(&cfg.contest, PB_RANKED_PRECINCT, &stems), PB_OK);
        CHECK_STR(stems[0], "p_1_precinct");
        CHECK_STR(stems[1], "no_precinct_id_precinct");
        pb_rctab_slice_stems_free(stems, 2);
        pb_ranked_outcome_release(&o);
        pb_rctab_config_release(&cfg);

        /* ES&S: a blank precinct cell is RCTab's "missing_precinct_id" */
        CHECK_INT(
                config(SLICE_CONFIG("ess", ",\"tabulateByPrecinct\":true", ",\"precinctColumnIndex\":\"2\""),
                       &cfg, &d),
                PB_OK);
        cvr = "id,precinct,x,r1,r2\n1,,,A,B\n2,P-9,,B,\n";
        CHECK_INT(pb_rctab_read_ess(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d), PB_OK);
        CHECK_STR(cfg.contest.slices[PB_RANKED_PRECINCT].names[0], PB_RCTAB_ESS_NO_PRECINCT);
        CHECK_STR(cfg.contest.slices[PB_RANKED_PRECINCT].names[1], "P-9");
        CHECK_INT(cfg.contest.slices[PB_RANKED_BATCH].n, 0);
        pb_rctab_config_release(&cfg);

        /* every source needs the column; other providers' slices are not read */
        CHECK(config(SLICE_CONFIG("ess", ",\"tabulateByBatch\":true", ",\"precinctColumnIndex\":\"2\""), &cfg,
                     &d) == PB_ERR_INVALID);
        CHECK_STR(d.path, "cvrFileSources.batchColumnIndex");
        pb_rctab_config_release(&cfg);
        CHECK(config(SLICE_CONFIG("cdf", ",\"tabulateByPrecinct\":true", COLUMNS), &cfg, &d) ==
              PB_ERR_UNSUPPORTED);
        CHECK_STR(d.path, "outputSettings.tabulateByPrecinct");
        pb_rctab_config_release(&cfg);
        CHECK(config(SLICE_CONFIG("ess", ",\"tabulateByPrecinct\":\"yes\"", COLUMNS), &cfg, &d) ==
              PB_ERR_PARSE);
        pb_rctab_config_release(&cfg);

        /* file name stems: ResultsWriter's character rule, then _2, _3 in Java order of the ids */
        pb_ranked_contest_init(&c);
        for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                CHECK_INT(pb_ranked_ballot_slice(&c, PB_RANKED_PRECINCT, ids[i], strlen(ids[i])), PB_OK);
        CHECK_INT(pb_rctab_slice_stems(&c, PB_RANKED_PRECINCT, &stems), PB_OK);
        CHECK_STR(stems[2], "a_b_precinct");   /* "a b" sorts first */
        CHECK_STR(stems[5], "a_b_precinct_2"); /* then "a/b" */
        CHECK_STR(stems[0], "a_b_precinct_3"); /* then "a_b" */
        CHECK_STR(stems[3], "x.y-Z_9_precinct");
        CHECK_STR(stems[4], "__precinct");   /* U+00E9: one code point, one '_' */
        CHECK_STR(stems[1], "__precinct_2"); /* U+1F600 sorts after it in UTF-16 order */
        pb_rctab_slice_stems_free(stems, sizeof(ids) / sizeof(ids[0]));
        CHECK_INT(pb_rctab_slice_stems(&c, PB_RANKED_BATCH, &stems), PB_OK); /* none */
        pb_rctab_slice_stems_free(stems, 0);
        CHECK_STR(pb_rctab_slice_folder(PB_RANKED_BATCH), "Tabulate by Batch");
        pb_ranked_contest_release(&c);
}

/* What an out-of-memory pass reads its CVR with, and what it makes of the outcome. */
typedef pb_err (*oom_read_fn)(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                              const char *data, size_t len, struct pb_diag *d);
typedef pb_err (*oom_write_fn)(struct pb_rctab_config *cfg, const struct pb_ranked_outcome *o,
                               struct pb_buf *out);

/*
 * The path from the config @text and the CVR @cvr (read with @read) to the outcome and what @write
 * makes of it, with each allocation failing in turn until a pass runs through: every failure must
 * be an allocation failure (cJSON reports its own as parse errors).
 */
static void check_oom(const char *text, const char *cvr, oom_read_fn read, oom_write_fn write)
{
        cJSON_Hooks hooks = { pb_malloc, pb_free };
        long n;
        int ok = 0;

        cJSON_InitHooks(&hooks);
        for (n = 0; n < 20000 && !ok; n++) {
                struct pb_rctab_config cfg;
                struct pb_ranked_outcome o;
                struct pb_diag d;
                struct pb_buf out;
                pb_err r;

                pb_rctab_config_init(&cfg);
                pb_ranked_outcome_init(&o);
                pb_buf_init(&out, 0);
                pb_alloc_fail_after(n);
                r = pb_rctab_config_parse(text, strlen(text), NULL, &cfg, &d);
                if (r == PB_OK)
                        r = read(&cfg, &cfg.sources[0], cvr, strlen(cvr), &d);
                if (r == PB_OK)
                        r = pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d);
                if (r == PB_OK)
                        r = write(&cfg, &o, &out);
                pb_alloc_fail_after(-1);
                CHECK(r == PB_OK || r == PB_ERR_NOMEM || r == PB_ERR_PARSE);
                ok = r == PB_OK;
                pb_buf_release(&out);
                pb_ranked_outcome_release(&o);
                pb_rctab_config_release(&cfg);
        }
        CHECK(ok);
        cJSON_InitHooks(NULL);
}

static pb_err write_report(struct pb_rctab_config *cfg, const struct pb_ranked_outcome *o, struct pb_buf *out)
{
        struct pb_rctab_meta meta = { "t", NULL, NULL, NULL, PB_RANKED_PRECINCT, NULL };

        return pb_rctab_report_write(&cfg->contest, o, &meta, false, out);
}

/* The whole path, config to report, with each allocation failing in turn. */
static void test_oom(void)
{
        static const char *cvr = "id,r1,r2,r3\n1,A,B,\n2,B,Al,UWI\n3,UWI,,B\n";

        check_oom(CONFIG("ess", ",\"undeclaredWriteInLabel\":\"UWI\"", ",\"batchElimination\":true"), cvr,
                  pb_rctab_read_ess, write_report);
}

/* A batch's report and the precincts' stems. */
static pb_err write_slices(struct pb_rctab_config *cfg, const struct pb_ranked_outcome *o, struct pb_buf *out)
{
        struct pb_rctab_meta meta;
        char **stems = NULL;
        pb_err r;

        pb_rctab_meta_init(&meta, cfg);
        r = pb_rctab_slice_report_write(&cfg->contest, o, &meta, false, PB_RANKED_BATCH, 1, out);
        if (r == PB_OK)
                r = pb_rctab_slice_stems(&cfg->contest, PB_RANKED_PRECINCT, &stems);
        pb_rctab_slice_stems_free(stems, r == PB_OK ? cfg->contest.slices[PB_RANKED_PRECINCT].n : 0);
        return r;
}

/* Slices from config to stems and reports, with each allocation failing in turn. */
static void test_slices_oom(void)
{
        static const char *cvr = "id,precinct,batch,A,B\n1,p1,b1,1,2\n2,,b1,2,1\n3,p2,,1,\n";

        check_oom(SLICE_CONFIG("genericCsv", BOTH, COLUMNS), cvr, pb_rctab_read_generic_csv, write_slices);
}

int main(void)
{
        RUN(test_blt_basic);
        RUN(test_blt_options);
        RUN(test_blt_errors);
        RUN(test_csv);
        RUN(test_config);
        RUN(test_ess);
        RUN(test_generic_and_clear_ballot);
        RUN(test_report);
        RUN(test_slices);
        RUN(test_oom);
        RUN(test_slices_oom);
        return check_summary("ranked_formats");
}
