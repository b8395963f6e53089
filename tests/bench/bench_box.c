/**
 * @file Benchmark: durable cast throughput of the ballot box (WAL, synchronous=FULL), one ballot per
 * transaction and group commits of 16 to 1024, with the log appended in batches of batch_min; the
 * raw SQLite commit rate beside it; inclusion proofs from the stored tree.  Timing only (meson test
 * --benchmark); figures in docs/performance.md, "Ballot box performance".
 *
 * With CONTESTS 2 the vote has two contests (a city-wide one and a district, issue 14): every code
 * is for both, every submission carries a ballot for each, as one CVR; CONTESTS 1 is the vote of
 * one contest of before.  docs/performance.md compares the two.
 *
 * usage: bench-box [BALLOTS_PER_RUN [BATCH_MIN [CONTESTS]]]
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "box/kept_codes.h"
#include "engine/pb_alloc.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char manifest_fmt[] =
        "{\"ballot\":{\"max_length\":5,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":%u,"
        "\"budget\":1000,\"currency\":\"\",\"id\":\"bench\",\"projects\":["
        "{\"cost\":100,\"id\":\"p1\",\"name\":\"\"},{\"cost\":200,\"id\":\"p2\",\"name\":\"\"},"
        "{\"cost\":300,\"id\":\"p3\",\"name\":\"\"},{\"cost\":400,\"id\":\"p4\",\"name\":\"\"},"
        "{\"cost\":500,\"id\":\"p5\",\"name\":\"\"},{\"cost\":600,\"id\":\"p6\",\"name\":\"\"},"
        "{\"cost\":700,\"id\":\"p7\",\"name\":\"\"},{\"cost\":800,\"id\":\"p8\",\"name\":\"\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":\"bench\","
        "\"type\":\"pbvote.manifest/v1\"}";

/* the same projects twice: a city-wide contest and a district */
static const char two_fmt[] =
        "{\"batch_min\":%u,\"contests\":["
        "{\"ballot\":{\"max_length\":5,\"min_length\":1,\"type\":\"approval\"},\"budget\":1000,\"id\":"
        "\"city\","
        "\"projects\":[%s],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"city\"},"
        "{\"ballot\":{\"max_length\":5,\"min_length\":1,\"type\":\"approval\"},\"budget\":1000,\"id\":"
        "\"district\",\"projects\":[%s],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},"
        "\"title\":\"district\"}],"
        "\"currency\":\"\",\"id\":\"bench\",\"scale\":0,\"title\":\"bench\",\"type\":\"pbvote.manifest/v1\"}";
static const char two_projects[] =
        "{\"cost\":100,\"id\":\"p1\",\"name\":\"\"},{\"cost\":200,\"id\":\"p2\",\"name\":\"\"},"
        "{\"cost\":300,\"id\":\"p3\",\"name\":\"\"},{\"cost\":400,\"id\":\"p4\",\"name\":\"\"},"
        "{\"cost\":500,\"id\":\"p5\",\"name\":\"\"},{\"cost\":600,\"id\":\"p6\",\"name\":\"\"},"
        "{\"cost\":700,\"id\":\"p7\",\"name\":\"\"},{\"cost\":800,\"id\":\"p8\",\"name\":\"\"}";

static unsigned n_contests = 1; /* 1: the vote of one contest; 2: a city-wide contest and a district */

/* The box for a run: created, opened, with @n codes (for both contests when there are two). */
static pb_err make_box(const char *db, size_t n, unsigned batch_min, struct pb_manifest **m,
                       struct pb_box **b)
{
        static const char *const both[2] = { "city", "district" };
        char text[4096];

        if (n_contests == 2)
                snprintf(text, sizeof(text), two_fmt, batch_min, two_projects, two_projects);
        else
                snprintf(text, sizeof(text), manifest_fmt, batch_min);
        if (pb_manifest_parse(text, strlen(text), m, NULL) < 0 || pb_box_create(db, *m, b, NULL) < 0 ||
            pb_box_set_engine_key(*b, &engine, NULL) < 0 || pb_box_election_open(*b, &office, NULL) < 0)
                return PB_ERR_INTERNAL;
        return pb_box_codes_issue_for(*b, n, n_contests == 2 ? both : NULL, n_contests == 2 ? 2 : 0, keep,
                                      NULL, NULL);
}

/* Cast @n ballots in transactions of @group; returns ballots per second. */
static double run(const char *dir, size_t n, size_t group, unsigned batch_min, double *ret_p50_ms)
{
        static const uint32_t choice[5] = { 0, 2, 4, 6, 7 };
        static struct pb_contest_ballot parts[1024][2];
        char db[256];
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_submission *subs = calloc(group, sizeof(*subs));
        struct pb_cast_outcome *out = calloc(group, sizeof(*out));
        double *lat = calloc(n / group + 1, sizeof(*lat)), t0, rate = 0;
        size_t runs = 0;

        snprintf(db, sizeof(db), "%s/g%zu-b%u.db", dir, group, batch_min);
        n_codes = 0;
        if (!subs || !out || !lat || make_box(db, n, batch_min, &m, &b) < 0)
                goto out;
        t0 = now();
        for (size_t i = 0; i < n; i += group) {
                size_t k = n - i < group ? n - i : group;
                double s = now();

                for (size_t j = 0; j < k; j++) {
                        memset(&subs[j], 0, sizeof(subs[j]));
                        subs[j].code = codes[i + j];
                        subs[j].code_len = strlen(codes[i + j]);
                        subs[j].has_submission_id = true;
                        randombytes_buf(subs[j].submission_id, 16);
                        subs[j].items = choice;
                        subs[j].n = 1 + (i + j) % 5;
                        subs[j].channel = PB_CHANNEL_ELECTRONIC;
                        if (n_contests == 2) {
                                /* the district ballot as long as the city-wide one, other picks */
                                parts[j][0] = (struct pb_contest_ballot){ 0, choice, NULL, subs[j].n,
                                                                          PB_MARK_NONE };
                                parts[j][1] = (struct pb_contest_ballot){ 1, choice + 5 - subs[j].n, NULL,
                                                                          subs[j].n, PB_MARK_NONE };
                                subs[j].ballots = parts[j];
                                subs[j].n_ballots = 2;
                        }
                }
                if (pb_box_cast(b, subs, k, out, NULL) < 0) {
                        fprintf(stderr, "cast failed\n");
                        goto out;
                }
                for (size_t j = 0; j < k; j++)
                        if (out[j].status != PB_OK) {
                                fprintf(stderr, "a ballot was refused\n");
                                goto out;
                        }
                lat[runs++] = (now() - s) * 1000;
        }
        rate = (double)n / (now() - t0);
        /* median commit latency (insertion sort would be slow for many runs: a partial selection) */
        for (size_t i = 0; i <= runs / 2; i++)
                for (size_t j = i + 1; j < runs; j++)
                        if (lat[j] < lat[i]) {
                                double t = lat[i];
                                lat[i] = lat[j];
                                lat[j] = t;
                        }
        *ret_p50_ms = runs ? lat[runs / 2] : 0;
        if (group == 256) {
                /* proofs from the stored tree */
                struct pb_turnout t;
                double p0 = now();
                int proofs = 0;
                if (pb_box_turnout(b, &t, NULL) == PB_OK && t.log_size) {
                        for (size_t i = 0; i < 2000; i++) {
                                uint8_t path[PB_MERKLE_MAX_PROOF * 32];
                                size_t len;
                                if (pb_box_consistency(b, t.log_size / 2, t.log_size, path, &len, NULL) ==
                                    PB_OK)
                                        proofs++;
                        }
                        printf("  consistency proofs from the stored tree (size %llu): %.1f us each\n",
                               (unsigned long long)t.log_size, (now() - p0) * 1e6 / proofs);
                }
        }
out:
        pb_box_free(b);
        pb_manifest_free(m);
        free(subs);
        free(out);
        free(lat);
        return rate;
}

/* The raw SQLite group-commit rate on the same disk: one 100-byte row per ballot, same pragmas. */
static double raw_sqlite(const char *dir, size_t n, size_t group)
{
        char db[256];
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;
        uint8_t row[100];
        double t0, rate = 0;

        snprintf(db, sizeof(db), "%s/raw%zu.db", dir, group);
        if (sqlite3_open(db, &h) != SQLITE_OK ||
            sqlite3_exec(h,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(k BLOB PRIMARY "
                         "KEY, v BLOB) WITHOUT ROWID",
                         NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(h, "INSERT INTO t VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
                goto out;
        t0 = now();
        for (size_t i = 0; i < n; i += group) {
                sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
                for (size_t j = 0; j < group && i + j < n; j++) {
                        randombytes_buf(row, sizeof(row));
                        sqlite3_bind_blob(st, 1, row, 32, SQLITE_STATIC);
                        sqlite3_bind_blob(st, 2, row + 32, 68, SQLITE_STATIC);
                        sqlite3_step(st);
                        sqlite3_reset(st);
                }
                sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
        }
        rate = (double)n / (now() - t0);
out:
        sqlite3_finalize(st);
        sqlite3_close(h);
        return rate;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        unsigned batch_min = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 20;
        n_contests = argc > 3 && !strcmp(argv[3], "2") ? 2 : 1;
        static const size_t groups[] = { 1, 16, 64, 256, 1024 };
        char dir[] = "/tmp/pbvote-bench-box-XXXXXX", cmd[128];
        uint8_t seed[32];

        if (sodium_init() < 0 || !mkdtemp(dir))
                return 1;
        memset(seed, 1, 32);
        if (pb_key_secret_from_seed(&engine, "bench/engine", seed, NULL) < 0)
                return 1;
        memset(seed, 2, 32);
        if (pb_key_secret_from_seed(&office, "bench/office", seed, NULL) < 0)
                return 1;
        codes = calloc(n, sizeof(*codes));
        if (!codes)
                return 1;
        printf("durable casts (WAL, synchronous=FULL), %zu ballots per run, log batch_min %u, %u contest%s "
               "per "
               "ballot, in %s\n",
               n, batch_min, n_contests, n_contests > 1 ? "s" : "", dir);
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
                size_t runs = groups[g] == 1 && n > 3000 ? 3000 : n; /* single commits are slow */
                double p50 = 0, rate = run(dir, runs, groups[g], batch_min, &p50);
                double raw = raw_sqlite(dir, runs, groups[g]);
                printf("  %4zu per transaction: %8.0f ballots/s (median commit %.2f ms); raw SQLite rows: "
                       "%8.0f/s\n",
                       groups[g], rate, p50, raw);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        free(codes);
        return 0;
}
