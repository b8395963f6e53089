/**
 * @file kill -9 test of the cast path: a child process casts ballots in batches (group commit) and
 * reports each receipt on a pipe as soon as pb_box_cast() returns; the parent kills it with SIGKILL
 * at a random moment, again and again, then reopens the box.  Every ballot whose receipt was
 * reported must be in the box, the log must be consistent (pb_box_check: every CVR recommits,
 * every checkpoint verifies and is the root of its leaves, the counters equal the rows), and no
 * code may have cast twice.  The children retry the codes of the previous child's unreported batch
 * with the same submission ids, so a batch committed just before the kill is answered with its
 * original receipts (replayed), never with a second ballot.
 *
 * Negative control (`box-kill9 CYCLES SEED early`, registered with should_fail): the children
 * report each ballot *before* pb_box_cast() commits it, as a server answering before COMMIT would;
 * the harness must then find acknowledged ballots missing.
 *
 * `box-kill9 CYCLES SEED contests` does the same for a vote of three contests (issue 14): half the
 * codes are for the city-wide contest and the north, half for it and the south; each submission
 * carries a district ballot and, mostly, a city-wide one (which may be skipped).  After the restart
 * the counts by contest must also match the CVRs (pb_box_check) and add up: every ballot has exactly
 * one district's.
 *
 * usage: box-kill9 [CYCLES [SEED [early|contests]]]
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "box/kept_codes.h"
#include "engine/pb_alloc.h"

#define CODES 20000

static const char manifest_text[] =
        "{\"ballot\":{\"max_length\":3,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":7,"
        "\"budget\":100,\"currency\":\"\",\"id\":\"kill9\",\"projects\":["
        "{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":\"b\",\"name\":\"B\"},"
        "{\"cost\":40,\"id\":\"c\",\"name\":\"C\"},{\"cost\":30,\"id\":\"d\",\"name\":\"D\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":\"kill -9\","
        "\"type\":\"pbvote.manifest/v1\"}";

/* a city-wide contest (optional) and two districts */
static const char vote_text[] =
        "{\"batch_min\":7,\"contests\":["
        "{\"ballot\":{\"max_length\":3,\"min_length\":1,\"type\":\"approval\"},\"budget\":100,\"id\":"
        "\"city\","
        "\"optional\":true,\"projects\":[{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":\"b\","
        "\"name\":\"B\"},{\"cost\":40,\"id\":\"c\",\"name\":\"C\"},{\"cost\":30,\"id\":\"d\",\"name\":\"D\"}]"
        ","
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"City\"},"
        "{\"ballot\":{\"max_sum_points\":3,\"type\":\"cumulative\"},\"budget\":50,\"id\":\"north\","
        "\"projects\":[{\"cost\":20,\"id\":\"n1\",\"name\":\"N1\"},{\"cost\":30,\"id\":\"n2\",\"name\":"
        "\"N2\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"North\"},"
        "{\"ballot\":{\"type\":\"approval\"},\"budget\":50,\"id\":\"south\","
        "\"projects\":[{\"cost\":20,\"id\":\"s1\",\"name\":\"S1\"},{\"cost\":30,\"id\":\"s2\",\"name\":"
        "\"S2\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"South\"}],"
        "\"currency\":\"\",\"id\":\"kill9\",\"scale\":0,\"title\":\"kill "
        "-9\",\"type\":\"pbvote.manifest/v1\"}";

static bool contests; /* the vote of three contests */

/* Submission @idx of the vote of three contests: even codes are for the city and the north, odd ones
 * for the city and the south (setup interleaves them); every fifth leaves the city out. */
static void contest_ballots(size_t idx, struct pb_contest_ballot bl[2], size_t *ret_n)
{
        static const uint32_t choices[4][3] = { { 0, 1, 2 }, { 1, 3, 0 }, { 2, 0, 3 }, { 3, 2, 1 } };
        static const uint32_t n12[2] = { 0, 1 }, s2[1] = { 1 };
        static const int64_t pts[2] = { 2, 1 };
        size_t n = 0;

        if (idx % 5)
                bl[n++] = (struct pb_contest_ballot){ 0, choices[idx % 4], NULL, 1 + idx % 3, PB_MARK_NONE };
        if (idx % 2 == 0)
                bl[n++] = (struct pb_contest_ballot){ 1, n12, pts, 2, PB_MARK_NONE };
        else
                bl[n++] = (struct pb_contest_ballot){ 2, s2, NULL, 1, PB_MARK_NONE };
        *ret_n = n;
}

static void sid_of(size_t idx, uint8_t sid[16])
{
        crypto_generichash(sid, 16, (const uint8_t *)&idx, sizeof(idx), NULL, 0);
}

/* The child: cast codes from @start on, in batches of 1..40, report "idx hex\n" per receipt. */
static bool early; /* the negative control: report before COMMIT */

static void child(const char *db, size_t start, int fd, unsigned seed)
{
        static const uint32_t choices[4][3] = { { 0, 1, 2 }, { 1, 3, 0 }, { 2, 0, 3 }, { 3, 2, 1 } };
        static struct pb_contest_ballot bl[40][2];
        struct pb_submission subs[40];
        struct pb_cast_outcome out[40];
        struct pb_box *b = NULL;
        size_t i = start;

        srand(seed);
        if (pb_box_open(db, &b, NULL) < 0 || pb_box_set_engine_key(b, &engine, NULL) < 0)
                _exit(3);
        while (i < n_codes) {
                size_t n = 1 + (size_t)rand() % 40;

                if (n > n_codes - i)
                        n = n_codes - i;
                for (size_t k = 0; k < n; k++) {
                        memset(&subs[k], 0, sizeof(subs[k]));
                        subs[k].code = codes[i + k];
                        subs[k].code_len = strlen(codes[i + k]);
                        subs[k].has_submission_id = true;
                        sid_of(i + k, subs[k].submission_id);
                        subs[k].items = choices[(i + k) % 4];
                        subs[k].n = 1 + (i + k) % 3;
                        subs[k].channel = PB_CHANNEL_ELECTRONIC;
                        if (contests) {
                                contest_ballots(i + k, bl[k], &subs[k].n_ballots);
                                subs[k].ballots = bl[k];
                        }
                }
                for (size_t k = 0; early && k < n; k++) {
                        char line[64];
                        int len = snprintf(line, sizeof(line), "%zu early\n", i + k);
                        if (write(fd, line, (size_t)len) != len)
                                _exit(5);
                }
                if (pb_box_cast(b, subs, n, out, NULL) < 0)
                        _exit(4);
                if (early) {
                        i += n;
                        continue;
                }
                for (size_t k = 0; k < n; k++) {
                        char line[128], hex[65];
                        int len;

                        if (out[k].status != PB_OK)
                                len = snprintf(line, sizeof(line), "%zu refused %d\n", i + k, out[k].status);
                        else {
                                sodium_bin2hex(hex, sizeof(hex), out[k].receipt.commitment, 32);
                                len = snprintf(line, sizeof(line), "%zu %s %d\n", i + k, hex,
                                               out[k].replayed);
                        }
                        if (write(fd, line, (size_t)len) != len)
                                _exit(5);
                }
                i += n;
        }
        pb_box_free(b);
        _exit(0);
}

static uint64_t t_ballots_of(struct pb_box *b)
{
        struct pb_turnout t;
        return pb_box_turnout(b, &t, NULL) == PB_OK ? t.ballots : 0;
}

struct ack {
        bool acked;
        uint8_t commitment[32];
};

/* codes[0..CODES/2) north's, then the south's: interleaved, so that casting in order takes both. */
static int interleave(void)
{
        char(*mixed)[PB_CODE_COMPACT_MAX + 1] = calloc(CODES, sizeof(*mixed));

        if (!mixed)
                return -1;
        for (size_t i = 0; i < CODES; i++)
                memcpy(mixed[i], codes[i % 2 ? CODES / 2 + i / 2 : i / 2], sizeof(mixed[i]));
        memcpy(codes, mixed, CODES * sizeof(*mixed));
        free(mixed);
        return 0;
}

/* The box at @db, open, with CODES codes: for every contest, or half for the city and the north and
 * half for the city and the south. */
static int setup(const char *db, struct pb_box **b)
{
        static const char *const north[2] = { "city", "north" }, *const south[2] = { "city", "south" };
        const char *text = contests ? vote_text : manifest_text;
        struct pb_manifest *m = NULL;
        int rc = -1;

        if (pb_manifest_parse(text, strlen(text), &m, NULL) < 0 || pb_box_create(db, m, b, NULL) < 0 ||
            pb_box_set_engine_key(*b, &engine, NULL) < 0 || pb_box_election_open(*b, &office, NULL) < 0)
                goto out;
        if (!contests)
                rc = pb_box_codes_issue(*b, CODES, keep, NULL, NULL) < 0 ? -1 : 0;
        else if (pb_box_codes_issue_for(*b, CODES / 2, north, 2, keep, NULL, NULL) == PB_OK &&
                 pb_box_codes_issue_for(*b, CODES / 2, south, 2, keep, NULL, NULL) == PB_OK)
                rc = interleave();
out:
        pb_manifest_free(m);
        return rc;
}

/* The counts by contest of a vote of three contests add up: one district per ballot. */
static int check_contest_counts(const struct pb_turnout *t)
{
        if (!contests)
                return 0;
        fprintf(stderr, "kill9: by contest: city %llu, north %llu, south %llu\n",
                (unsigned long long)t->by_contest[0], (unsigned long long)t->by_contest[1],
                (unsigned long long)t->by_contest[2]);
        if (t->n_contests == 3 && t->by_contest[1] + t->by_contest[2] == t->ballots && t->by_contest[1] &&
            t->by_contest[2] && t->by_contest[0] <= t->ballots && t->by_contest[0] * 5 >= t->ballots * 3)
                return 0;
        fprintf(stderr, "kill9: the counts by contest do not add up\n");
        return 1;
}

int main(int argc, char **argv)
{
        int cycles = argc > 1 ? atoi(argv[1]) : 60;
        unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 20260601u;
        size_t claimed = 0;
        char dir[] = "/tmp/pbvote-kill9-XXXXXX", db[128], cmd[160];
        struct ack *acks;
        struct pb_box *b = NULL;
        size_t next = 0, n_acked = 0, replayed = 0, kills = 0, max_seen = 0;
        int failures = 0;
        uint8_t s1[32], s2[32];

        early = argc > 3 && !strcmp(argv[3], "early");
        contests = argc > 3 && !strcmp(argv[3], "contests");
        if (sodium_init() < 0 || !mkdtemp(dir))
                return 1;
        memset(s1, 1, 32);
        memset(s2, 2, 32);
        codes = calloc(CODES, sizeof(*codes));
        acks = calloc(CODES, sizeof(*acks));
        if (!codes || !acks || pb_key_secret_from_seed(&engine, "pb.test/engine", s1, NULL) < 0 ||
            pb_key_secret_from_seed(&office, "pb.test/office", s2, NULL) < 0)
                return 1;
        snprintf(db, sizeof(db), "%s/kill9.db", dir);
        if (setup(db, &b) < 0) {
                fprintf(stderr, "setup failed\n");
                return 1;
        }
        pb_box_free(b);
        b = NULL;
        srand(seed);
        fprintf(stderr, "kill9: %d cycles, seed %u, box %s\n", cycles, seed, db);
        for (int c = 0; c < cycles && next < n_codes; c++) {
                int fds[2], status;
                pid_t pid;
                FILE *in;
                char line[160];
                struct timespec ts;
                long ms = 5 + rand() % 150;

                if (pipe(fds) < 0)
                        return 1;
                pid = fork();
                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        close(fds[0]);
                        child(db, next, fds[1], seed + (unsigned)c);
                }
                close(fds[1]);
                ts.tv_sec = ms / 1000;
                ts.tv_nsec = (ms % 1000) * 1000000L;
                nanosleep(&ts, NULL);
                kill(pid, SIGKILL);
                kills++;
                in = fdopen(fds[0], "r");
                while (in && fgets(line, sizeof(line), in)) {
                        size_t idx = strtoul(line, NULL, 10);
                        char *sp = strchr(line, ' ');
                        char hex[65];
                        int rep = 0;
                        size_t bl = 0;

                        if (!sp || idx >= n_codes)
                                continue;
                        if (!strncmp(sp + 1, "early", 5)) {
                                if (!acks[idx].acked)
                                        claimed++;
                                acks[idx].acked = true; /* "acknowledged", but without a commitment */
                                if (idx + 1 > max_seen)
                                        max_seen = idx + 1;
                                continue;
                        }
                        if (idx + 1 > max_seen)
                                max_seen = idx + 1;
                        if (!strncmp(sp + 1, "refused", 7)) {
                                /* a refusal is fine only for a code nobody saw accepted; it may not
                                 * happen to a code whose ballot was reported (that would be a double spend) */
                                fprintf(stderr, "kill9: code %zu refused: %s", idx, sp + 9);
                                failures++;
                                continue;
                        }
                        if (sscanf(sp + 1, "%64s %d", hex, &rep) != 2 ||
                            sodium_hex2bin(acks[idx].commitment, 32, hex, 64, NULL, &bl, NULL) != 0)
                                continue;
                        if (acks[idx].acked && rep != 1) {
                                fprintf(stderr, "kill9: code %zu accepted twice without replay\n", idx);
                                failures++;
                        }
                        if (!acks[idx].acked)
                                n_acked++;
                        acks[idx].acked = true;
                        replayed += rep == 1;
                }
                if (in)
                        fclose(in);
                waitpid(pid, &status, 0);
                if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "kill9: child exited with %d\n", WEXITSTATUS(status));
                        failures++;
                }
                /* the next child retries everything after the last reported receipt: a batch committed
                 * but unreported comes back as replays */
                next = max_seen;
        }
        /* restart: recovery, then every acknowledged ballot must be there */
        {
                struct pb_turnout t;
                struct pb_diag d;
                size_t missing = 0;

                pb_diag_clear(&d);
                if (pb_box_open(db, &b, &d) < 0) {
                        fprintf(stderr, "kill9: reopening failed: %s\n", d.reason ? d.reason : "?");
                        return 1;
                }
                if (pb_box_check(b, &d) < 0) {
                        fprintf(stderr, "kill9: the log is inconsistent: %s\n", d.reason ? d.reason : "?");
                        failures++;
                }
                if (early && t_ballots_of(b) < claimed) {
                        fprintf(stderr,
                                "kill9: %zu ballots acknowledged before COMMIT, fewer in the box: lost\n",
                                claimed);
                        failures++;
                }
                for (size_t i = 0; !early && i < n_codes; i++) {
                        struct pb_box_proof p;
                        struct pb_buf note;

                        if (!acks[i].acked)
                                continue;
                        pb_buf_init(&note, 0);
                        if (pb_box_inclusion(b, acks[i].commitment, &p, &note, NULL) < 0)
                                missing++;
                        pb_buf_release(&note);
                }
                if (pb_box_turnout(b, &t, &d) < 0)
                        return 1;
                fprintf(stderr,
                        "kill9: %zu kills, %zu acknowledged ballots (%zu replayed receipts), %llu in the box "
                        "(%llu logged, %llu pending), %llu codes spent, %zu acknowledged ballots missing\n",
                        kills, n_acked, replayed, (unsigned long long)t.ballots,
                        (unsigned long long)t.log_size, (unsigned long long)t.pending,
                        (unsigned long long)t.codes_spent, missing);
                if (missing || t.ballots < n_acked || t.codes_spent != t.ballots)
                        failures++;
                failures += check_contest_counts(&t);
                if (!early && n_acked < 200) {
                        fprintf(stderr, "kill9: too few acknowledged ballots for a meaningful test\n");
                        failures++;
                }
                pb_box_free(b);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "kill9: could not remove %s\n", dir);
        free(codes);
        free(acks);
        fprintf(stderr, "kill9: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
