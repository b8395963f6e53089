/**
 * @file Power loss and I/O faults under the ballot box (issue 16, campaigns 1 and 2), through the
 * test VFS of powerloss_vfs.h.
 *
 * A vote is a fixed list of box operations ("steps"): create, issue codes, open, cast batches of
 * ballots with submission ids (group commit, flushes into the log every 7 ballots), reopen the box
 * (SQLite checkpoints at the last close, recovers at the next open), issue codes while open,
 * suspend and resume, a wal_checkpoint(RESTART) (the WAL then overwrites itself from its start),
 * flush, close, tally.  `one` is a vote of one contest, `contests` one of three (codes for the city
 * and the north or the south, a CVR with a ballot per contest).
 *
 *   box-powerloss crash N SEED   campaign 1: N runs of a vote, each losing power at an event
 *                                (write or sync) drawn at random from a clean run's events; after the
 *                                "reboot" the box must open as it is (the real VFS), pb_box_check
 *                                must pass (every CVR recommits to its commitment: the exact bytes),
 *                                the counters agree, every ballot whose receipt was returned is in
 *                                the log, every acknowledged step's effect is there (a tally's
 *                                result byte for byte), and the interrupted step is retried and
 *                                completes (a cast batch with the same codes and submission ids:
 *                                what was committed comes back as replays, never twice).
 *   box-powerloss crash N SEED nosync   the negative control: the box's connection never syncs;
 *                                the campaign must find acknowledged ballots lost (should_fail).
 *                                A loss inside the creation may leave no box (nothing was
 *                                acknowledged): the creation is then made again as it is, and must
 *                                succeed (before the fix a half-made file at the name stopped it).
 *   box-powerloss faults [STEP|all [one|contests|both [restart]]]
 *                                campaign 2: for every step (or the one named; "export": the audit
 *                                bundle's writes and fsyncs, after the tally), its writes and syncs
 *                                are counted in a clean run; then for every write index, ENOSPC
 *                                (SQLITE_FULL) and EIO (SQLITE_IOERR_WRITE) from that write on, and
 *                                for every sync index EIO (SQLITE_IOERR_FSYNC): the step fails with
 *                                PB_ERR_STORAGE and a reason naming the disk (or succeeds, if the
 *                                fault hit only what follows its COMMIT), the same handle then passes
 *                                pb_box_check with everything acknowledged, the fault is removed and
 *                                the same handle retries the step, which completes; the box then
 *                                reopens through the real VFS and passes the checks again.  With
 *                                `restart` the handle is closed after the failure and the box
 *                                reopened before the retry (a server restarted after the error).
 *
 * The files live in /dev/shm when it exists (the shim simulates the disk; tmpfs makes the runs fast).
 * The binary is linked with -Wl,--wrap for write(), fsync() and unlink(): the export's faults, and
 * no file removed while the power is off.  Campaigns and figures: docs/reliability.md.
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ballots/box_int.h"
#include "ballots/pb_box.h"
#include "ballots/pb_bundle.h"
#include "engine/pb_alloc.h"
#include "powerloss_vfs.h"

#define MAX_CODES 400

static struct pb_key_secret engine, office;

static const char manifest_one[] =
        "{\"ballot\":{\"max_length\":3,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":7,"
        "\"budget\":100,\"currency\":\"\",\"id\":\"powerloss\",\"projects\":["
        "{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":\"b\",\"name\":\"B\"},"
        "{\"cost\":40,\"id\":\"c\",\"name\":\"C\"},{\"cost\":30,\"id\":\"d\",\"name\":\"D\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":\"power loss\","
        "\"type\":\"pbvote.manifest/v1\"}";

static const char manifest_contests[] =
        "{\"batch_min\":7,\"contests\":["
        "{\"ballot\":{\"max_length\":3,\"min_length\":1,\"type\":\"approval\"},\"budget\":100,\"id\":"
        "\"city\",\"optional\":true,\"projects\":[{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,"
        "\"id\":\"b\",\"name\":\"B\"},{\"cost\":40,\"id\":\"c\",\"name\":\"C\"},{\"cost\":30,\"id\":\"d\","
        "\"name\":\"D\"}],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"City\"},"
        "{\"ballot\":{\"max_sum_points\":3,\"type\":\"cumulative\"},\"budget\":50,\"id\":\"north\","
        "\"projects\":[{\"cost\":20,\"id\":\"n1\",\"name\":\"N1\"},{\"cost\":30,\"id\":\"n2\",\"name\":"
        "\"N2\"}],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"North\"},"
        "{\"ballot\":{\"type\":\"approval\"},\"budget\":50,\"id\":\"south\",\"projects\":[{\"cost\":20,"
        "\"id\":\"s1\",\"name\":\"S1\"},{\"cost\":30,\"id\":\"s2\",\"name\":\"S2\"}],\"rule\":{\"name\":"
        "\"greedy\",\"tie_break\":\"file-order\"},\"title\":\"South\"}],\"currency\":\"\",\"id\":"
        "\"powerloss\",\"scale\":0,\"title\":\"power loss\",\"type\":\"pbvote.manifest/v1\"}";

enum op {
        OP_CREATE,
        OP_CODES,
        OP_OPEN,
        OP_CAST,
        OP_REOPEN,
        OP_SUSPEND,
        OP_RESUME,
        OP_RESTART,
        OP_FLUSH,
        OP_CLOSE,
        OP_TALLY,
};

static const char *const op_names[] = { "create", "codes",   "open",  "cast",  "reopen", "suspend",
                                        "resume", "restart", "flush", "close", "tally" };

/* The vote: each step an operation and its size (codes to issue, ballots in a cast batch). */
static const struct step {
        enum op op;
        size_t n;
} steps[] = {
        { OP_CREATE, 0 },  { OP_CODES, 120 }, { OP_OPEN, 0 }, { OP_CAST, 12 },   { OP_CAST, 3 },
        { OP_CAST, 20 },   { OP_REOPEN, 0 },  { OP_CAST, 5 }, { OP_CODES, 40 },  { OP_CAST, 9 },
        { OP_SUSPEND, 0 }, { OP_RESUME, 0 },  { OP_CAST, 1 }, { OP_RESTART, 0 }, { OP_CAST, 16 },
        { OP_CAST, 4 },    { OP_FLUSH, 0 },   { OP_CAST, 2 }, { OP_CLOSE, 0 },   { OP_TALLY, 0 },
        { OP_REOPEN, 0 },
};
#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

struct ack {
        bool acked;
        uint8_t commitment[PB_CVR_HASH_BYTES];
};

/* One vote's state, kept by the "voters" across power losses: what they were told. */
struct vote {
        bool contests;
        char db[256];
        struct pb_box *b;
        char codes[MAX_CODES][PB_CODE_COMPACT_MAX + 1];
        unsigned char district[MAX_CODES]; /* contests: 0 north, 1 south */
        size_t n_codes, next;              /* codes handed out; the next one to cast */
        struct ack acks[MAX_CODES];
        size_t n_acked, replayed;
        bool created, opened, closed, tallied; /* acknowledged */
        struct pb_buf result;                  /* the acknowledged result's bytes */
        int issuing_district;
};

static int failures;
static unsigned creates_redone; /* crashes in a creation that left no box that opens */

#define FAIL(...)                                                                                            \
        do {                                                                                                 \
                fprintf(stderr, "powerloss: " __VA_ARGS__);                                                  \
                fputc('\n', stderr);                                                                         \
                failures++;                                                                                  \
        } while (0)

static const char *reason(const struct pb_diag *d)
{
        return d->reason ? d->reason : "(no reason)";
}

static pb_err keep_code(void *ctx, const struct pb_code *c)
{
        struct vote *v = ctx;

        if (v->n_codes >= MAX_CODES)
                return PB_ERR_LIMIT;
        memcpy(v->codes[v->n_codes], c->text, c->len + 1);
        v->district[v->n_codes++] = (unsigned char)v->issuing_district;
        return PB_OK;
}

static pb_err do_codes(struct vote *v, size_t n, struct pb_diag *d)
{
        static const char *const north[2] = { "city", "north" }, *const south[2] = { "city", "south" };
        pb_err r;

        if (!v->contests)
                return pb_box_codes_issue(v->b, n, keep_code, v, d);
        v->issuing_district = 0;
        r = pb_box_codes_issue_for(v->b, n / 2, north, 2, keep_code, v, d);
        if (r < 0)
                return r;
        v->issuing_district = 1;
        return pb_box_codes_issue_for(v->b, n - n / 2, south, 2, keep_code, v, d);
}

static void submission_of(struct vote *v, size_t i, struct pb_submission *s, struct pb_contest_ballot bl[2])
{
        static const uint32_t choices[4][3] = { { 0, 1, 2 }, { 1, 3, 0 }, { 2, 0, 3 }, { 3, 2, 1 } };
        static const uint32_t n12[2] = { 0, 1 }, s2[1] = { 1 };
        static const int64_t pts[2] = { 2, 1 };

        memset(s, 0, sizeof(*s));
        s->code = v->codes[i];
        s->code_len = strlen(v->codes[i]);
        s->has_submission_id = true;
        crypto_generichash(s->submission_id, sizeof(s->submission_id), (const uint8_t *)&i, sizeof(i), NULL,
                           0);
        s->channel = PB_CHANNEL_ELECTRONIC;
        if (!v->contests) {
                s->items = choices[i % 4];
                s->n = 1 + i % 3;
                return;
        }
        s->n_ballots = 0;
        if (i % 5)
                bl[s->n_ballots++] =
                        (struct pb_contest_ballot){ 0, choices[i % 4], NULL, 1 + i % 3, PB_MARK_NONE };
        if (v->district[i] == 0)
                bl[s->n_ballots++] = (struct pb_contest_ballot){ 1, n12, pts, 2, PB_MARK_NONE };
        else
                bl[s->n_ballots++] = (struct pb_contest_ballot){ 2, s2, NULL, 1, PB_MARK_NONE };
        s->ballots = bl;
}

/* Cast codes [next, next + n): PB_OK only with every outcome accepted (a retry: replayed). */
static pb_err do_cast(struct vote *v, size_t n, struct pb_diag *d)
{
        static struct pb_submission subs[32];
        static struct pb_contest_ballot bl[32][2];
        static struct pb_cast_outcome out[32];
        pb_err r;

        if (n > v->n_codes - v->next)
                n = v->n_codes - v->next;
        if (n == 0)
                return PB_OK;
        for (size_t k = 0; k < n; k++)
                submission_of(v, v->next + k, &subs[k], bl[k]);
        r = pb_box_cast(v->b, subs, n, out, d);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                struct ack *a = &v->acks[v->next + k];

                if (out[k].status != PB_OK) {
                        FAIL("code %zu refused after a power loss or fault: %s", v->next + k,
                             reason(&out[k].diag));
                        continue;
                }
                if (a->acked && !out[k].replayed)
                        FAIL("code %zu accepted twice", v->next + k);
                if (a->acked && memcmp(a->commitment, out[k].receipt.commitment, PB_CVR_HASH_BYTES))
                        FAIL("code %zu: a retry's commitment differs from the acknowledged one", v->next + k);
                if (!a->acked)
                        v->n_acked++;
                v->replayed += out[k].replayed;
                a->acked = true;
                memcpy(a->commitment, out[k].receipt.commitment, PB_CVR_HASH_BYTES);
        }
        v->next += n;
        return PB_OK;
}

/* The negative control (`crash N SEED nosync`): the box's connection never syncs, as a box without
 * synchronous = FULL would; the campaign must then find acknowledged ballots lost. */
static bool control_nosync;

static void maybe_nosync(struct vote *v)
{
        if (control_nosync && v->b)
                (void)sqlite3_exec(v->b->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
}

static pb_err open_box(struct vote *v, struct pb_diag *d)
{
        pb_err r = pb_box_open(v->db, &v->b, d);

        if (r == PB_OK)
                r = pb_box_set_engine_key(v->b, &engine, d);
        maybe_nosync(v);
        return r;
}

/* A step that may have completed before the power went: done if the state says so. */
static pb_err state_is(struct vote *v, enum pb_box_state want, pb_err r)
{
        enum pb_box_state s;

        if (r == PB_ERR_STATE && pb_box_state(v->b, &s) == PB_OK && s == want)
                return PB_OK;
        return r;
}

static pb_err run_step(struct vote *v, const struct step *s, struct pb_diag *d)
{
        struct pb_manifest *m = NULL;
        struct pb_buf env;
        pb_err r;

        switch (s->op) {
        case OP_CREATE: {
                /* create, then bind the engine key (its own transaction): a retry after the second
                 * failed binds the key only */
                const char *text = v->contests ? manifest_contests : manifest_one;
                if (!v->b) {
                        r = pb_manifest_parse(text, strlen(text), &m, d);
                        if (r == PB_OK)
                                r = pb_box_create(v->db, m, &v->b, d);
                        pb_manifest_free(m);
                        if (r < 0)
                                return r;
                        v->created = true;
                        maybe_nosync(v);
                }
                return pb_box_set_engine_key(v->b, &engine, d);
        }
        case OP_CODES: return do_codes(v, s->n, d);
        case OP_OPEN:
                r = state_is(v, PB_BOX_OPEN, pb_box_election_open(v->b, &office, d));
                v->opened |= r == PB_OK;
                return r;
        case OP_CAST: return do_cast(v, s->n, d);
        case OP_REOPEN:
                pb_box_free(v->b);
                v->b = NULL;
                if (plv_stats().crashed)
                        return PB_ERR_STORAGE;
                return open_box(v, d);
        case OP_SUSPEND: return state_is(v, PB_BOX_SUSPENDED, pb_box_election_suspend(v->b, d));
        case OP_RESUME: return state_is(v, PB_BOX_OPEN, pb_box_election_resume(v->b, d));
        case OP_RESTART: {
                int rc = sqlite3_wal_checkpoint_v2(v->b->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
                return rc == SQLITE_OK ? PB_OK : box_sqlite_err(v->b, rc, d);
        }
        case OP_FLUSH: return pb_box_flush(v->b, d);
        case OP_CLOSE:
                r = state_is(v, PB_BOX_CLOSED, pb_box_election_close(v->b, "2026-06-01T20:00:00Z", d));
                v->closed |= r == PB_OK;
                return r;
        case OP_TALLY:
                pb_buf_init(&env, 0);
                r = pb_box_tally(v->b, NULL, "pbvote powerloss", &env, d);
                if (r == PB_OK && v->tallied &&
                    (env.len != v->result.len || memcmp(env.data, v->result.data, env.len)))
                        FAIL("a second tally gave other bytes");
                if (r == PB_OK && !v->tallied) {
                        v->tallied = true;
                        r = pb_buf_add(&v->result, env.data, env.len);
                }
                pb_buf_release(&env);
                return r;
        }
        return PB_ERR_INTERNAL;
}

/* Everything the voters and officials were told holds in the box @b. */
static void check_box(struct vote *v, struct pb_box *b, const char *when)
{
        struct pb_turnout t;
        struct pb_diag d;
        enum pb_box_state st;
        size_t missing = 0;

        pb_diag_clear(&d);
        if (pb_box_check(b, &d) < 0)
                FAIL("%s: pb_box_check: %s", when, reason(&d));
        if (pb_box_turnout(b, &t, &d) < 0) {
                FAIL("%s: turnout: %s", when, reason(&d));
                return;
        }
        if (t.codes_spent != t.ballots || t.ballots < v->n_acked || t.log_size + t.pending != t.ballots ||
            t.codes_issued < v->n_codes)
                FAIL("%s: counters: %llu issued (%zu handed out), %llu spent, %llu ballots (%zu "
                     "acknowledged), "
                     "%llu logged, %llu pending",
                     when, (unsigned long long)t.codes_issued, v->n_codes, (unsigned long long)t.codes_spent,
                     (unsigned long long)t.ballots, v->n_acked, (unsigned long long)t.log_size,
                     (unsigned long long)t.pending);
        if (v->contests && t.n_contests == 3 && t.by_contest[1] + t.by_contest[2] != t.ballots)
                FAIL("%s: the districts' counts do not add up to the ballots", when);
        for (size_t i = 0; i < v->n_codes; i++) {
                struct pb_box_proof p;
                struct pb_buf note;

                if (!v->acks[i].acked)
                        continue;
                pb_buf_init(&note, 0);
                if (pb_box_inclusion(b, v->acks[i].commitment, &p, &note, NULL) != PB_OK)
                        missing++;
                pb_buf_release(&note);
        }
        if (missing)
                FAIL("%s: %zu acknowledged ballots missing", when, missing);
        if (pb_box_state(b, &st) != PB_OK)
                FAIL("%s: no state", when);
        else if ((v->opened && st == PB_BOX_DRAFT) || (v->closed && st < PB_BOX_CLOSED) ||
                 (v->tallied && st < PB_BOX_TALLIED))
                FAIL("%s: the state went back to %s", when, pb_box_state_name(st));
        if (v->tallied) {
                struct pb_buf res;
                pb_buf_init(&res, 0);
                if (pb_box_document(b, PB_BOX_DOC_RESULT, &res, NULL) != PB_OK || res.len != v->result.len ||
                    memcmp(res.data, v->result.data, res.len))
                        FAIL("%s: the acknowledged result is not the stored one", when);
                pb_buf_release(&res);
        }
}

/* After the power came back: the box opens as it is, through the real VFS, and holds what was
 * acknowledged.  *@redo_create: the crash interrupted the creation and left a file that is no box. */
static void reboot_and_check(struct vote *v, bool *redo_create)
{
        struct pb_box *b = NULL;
        struct pb_diag d;

        *redo_create = false;
        pb_box_free(v->b);
        v->b = NULL;
        plv_reset();
        box_test_set_vfs(NULL);
        pb_diag_clear(&d);
        if (pb_box_open(v->db, &b, &d) != PB_OK) {
                if (!v->created) {
                        /* never acknowledged: the creation is simply made again, and nothing it left
                         * may stop that (before the fix, a half-made file at the path did) */
                        *redo_create = true;
                        creates_redone++;
                } else {
                        FAIL("the box does not open after the power loss: %s", reason(&d));
                }
        } else {
                v->created = true; /* a creation that went far enough: the box opens and passes */
                check_box(v, b, "after the power loss");
        }
        pb_box_free(b);
        box_test_set_vfs(PLV_NAME);
}

static void vote_init(struct vote *v, const char *dir, bool contests, unsigned run)
{
        memset(v, 0, sizeof(*v));
        v->contests = contests;
        snprintf(v->db, sizeof(v->db), "%s/run%u.db", dir, run);
        pb_buf_init(&v->result, 0);
}

static void vote_free(struct vote *v)
{
        pb_box_free(v->b);
        v->b = NULL;
        plv_reset(); /* a power loss armed past the vote's end may have come at this last close */
        pb_box_remove(v->db);
        pb_buf_release(&v->result);
}

/* Campaign 1: a vote that loses power at event @crash_at (0: never); the steps from the crash on
 * are retried after the reboot.  Returns the step the power went in, or -1 (no crash). */
static int vote_with_crash(struct vote *v, uint64_t crash_at, uint64_t seed, uint64_t *ret_events)
{
        int crashed_in = -1;

        plv_reset();
        plv_arm_crash(crash_at, seed);
        for (size_t i = 0; i < N_STEPS && failures < 20;) {
                struct pb_diag d;
                pb_err r;
                bool redo = false;

                if (!v->b && i > 0 && open_box(v, &d) != PB_OK) {
                        FAIL("%s %zu: the box does not open through the shim: %s", op_names[steps[i].op], i,
                             reason(&d));
                        return crashed_in;
                }
                pb_diag_clear(&d);
                r = run_step(v, &steps[i], &d);
                if (plv_stats().crashed) {
                        crashed_in = (int)i;
                        reboot_and_check(v, &redo);
                        if (redo)
                                i = 0;
                        else if (r == PB_OK || steps[i].op == OP_CREATE)
                                i++; /* acknowledged before the power went (its fsync was done), or a
                                      * creation that got far enough for the box to open */
                        continue;
                }
                if (r != PB_OK) {
                        FAIL("%s (step %zu) failed without a fault: %s", op_names[steps[i].op], i,
                             reason(&d));
                        return crashed_in;
                }
                i++;
        }
        if (ret_events)
                *ret_events = plv_stats().events;
        return crashed_in;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int campaign_crash(const char *dir, unsigned n, uint64_t seed)
{
        uint64_t events[2];
        unsigned by_step[N_STEPS] = { 0 }, done = 0, misses = 0;
        size_t acked = 0, replayed = 0;
        double t0 = now();

        rng_state = seed;
        for (int c = 0; c < 2; c++) { /* a clean run of each vote: its events */
                struct vote *v = calloc(1, sizeof(*v));
                if (!v)
                        return 1;
                vote_init(v, dir, c == 1, 0);
                vote_with_crash(v, 0, 0, &events[c]);
                check_box(v, v->b, "the clean run");
                vote_free(v);
                free(v);
                fprintf(stderr, "powerloss: the clean %s vote: %llu writes and syncs\n",
                        c ? "contests" : "one", (unsigned long long)events[c]);
        }
        while (done < n && failures < 20) {
                struct vote *v = calloc(1, sizeof(*v));
                bool contests = rng() & 1;
                uint64_t at = 1 + rng() % events[contests], vseed = rng();
                int in;

                if (!v)
                        return 1;
                vote_init(v, dir, contests, done + 1);
                in = vote_with_crash(v, at, vseed, NULL);
                if (failures)
                        fprintf(stderr, "powerloss: run %u (%s, crash at event %llu, seed %llu)\n", done + 1,
                                contests ? "contests" : "one", (unsigned long long)at,
                                (unsigned long long)vseed);
                if (in < 0) {
                        misses++; /* the run had fewer events than the clean one: draw again */
                } else {
                        done++;
                        by_step[in]++;
                        if (v->b)
                                check_box(v, v->b, "the end of the vote");
                        if (!v->tallied)
                                FAIL("run %u: the vote did not reach its tally", done);
                        acked += v->n_acked;
                        replayed += v->replayed;
                }
                vote_free(v);
                free(v);
        }
        fprintf(stderr,
                "powerloss: %u power losses (%u draws past the end), %zu acknowledged ballots checked, "
                "%zu receipts replayed after a reboot, %.1f s\n",
                done, misses, acked, replayed, now() - t0);
        for (size_t i = 0; i < N_STEPS; i++)
                fprintf(stderr, "powerloss:   step %2zu %-8s %u\n", i, op_names[steps[i].op], by_step[i]);
        fprintf(stderr,
                "powerloss: of the %u losses during a creation, %u left no box that opens (the "
                "creation made again)\n",
                by_step[0], creates_redone);
        fprintf(stderr, "powerloss: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}

/* ---- campaign 2 ---- */

struct fault_totals {
        unsigned cases, failed_storage, succeeded, unreached;
        /* restarts after a failed step that found more ballots than were acknowledged: the failed
         * COMMIT's frames were in the WAL all the same (an fsync that failed after the write) */
        unsigned unacked_back;
};

/* Run the vote's steps before @k without faults; the box is left open on step @k's threshold. */
static bool vote_prefix(struct vote *v, size_t k)
{
        plv_reset();
        for (size_t i = 0; i < k; i++) {
                struct pb_diag d;
                pb_diag_clear(&d);
                if (!v->b && i > 0 && open_box(v, &d) != PB_OK)
                        return false;
                if (run_step(v, &steps[i], &d) != PB_OK) {
                        FAIL("prefix step %zu (%s): %s", i, op_names[steps[i].op], reason(&d));
                        return false;
                }
        }
        if (!v->b && k > 0) {
                struct pb_diag d;
                if (open_box(v, &d) != PB_OK)
                        return false;
        }
        return true;
}

/* One case: step @k with @kind from its @idx-th write (or sync) on. */
struct turnout_peek {
        uint64_t ballots;
};

/* The ballots of the closed box at v->db, through the real VFS. */
static bool peek_ballots(struct vote *v, struct turnout_peek *ret)
{
        struct pb_box *b = NULL;
        struct pb_turnout t;
        bool ok;

        box_test_set_vfs(NULL);
        ok = pb_box_open(v->db, &b, NULL) == PB_OK && pb_box_turnout(b, &t, NULL) == PB_OK;
        if (ok)
                ret->ballots = t.ballots;
        pb_box_free(b);
        box_test_set_vfs(PLV_NAME);
        return ok;
}

/* One case: step @k with @kind from its @idx-th write (or sync) on; @restart: the handle is closed
 * and the box reopened after the failure, before the retry (a server restarted after the error). */
static void fault_case(const char *dir, bool contests, size_t k, enum plv_fault kind, uint64_t idx,
                       bool restart, struct fault_totals *tot)
{
        struct vote *v = calloc(1, sizeof(*v));
        struct plv_stats before;
        struct pb_diag d;
        pb_err r;
        char when[128];

        if (!v)
                abort();
        vote_init(v, dir, contests, 0);
        if (!vote_prefix(v, k))
                goto out;
        before = plv_stats();
        plv_arm_fault(kind, (kind == PLV_FAULT_EIO_FSYNC ? before.syncs : before.writes) + idx);
        snprintf(when, sizeof(when), "%s (step %zu), %s at %s %llu", op_names[steps[k].op], k,
                 kind == PLV_FAULT_FULL ? "ENOSPC" : "EIO", kind == PLV_FAULT_EIO_FSYNC ? "sync" : "write",
                 (unsigned long long)idx);
        pb_diag_clear(&d);
        r = run_step(v, &steps[k], &d);
        tot->cases++;
        if (plv_stats().faults == 0) {
                tot->unreached++; /* this run wrote less than the clean one */
        } else if (r == PB_OK) {
                tot->succeeded++; /* the fault hit only what follows COMMIT (a best-effort checkpoint) */
        } else if (r == PB_ERR_STORAGE && d.reason &&
                   (strstr(d.reason, "disk is full") || strstr(d.reason, "input/output error"))) {
                tot->failed_storage++;
        } else {
                FAIL("%s: returned %d, %s", when, r, reason(&d));
        }
        plv_disarm();
        if (restart && v->b && r != PB_OK) {
                /* the process restarts before retrying: the box opens from the files as they are */
                struct turnout_peek t;
                pb_box_free(v->b);
                v->b = NULL;
                if (peek_ballots(v, &t) && t.ballots > v->n_acked)
                        tot->unacked_back++;
        }
        if (!v->b && (steps[k].op != OP_CREATE || v->created)) { /* a reopen that failed, or a restart */
                if (open_box(v, &d) != PB_OK) {
                        FAIL("%s: the box does not open once the fault is gone: %s", when, reason(&d));
                        goto out;
                }
        }
        if (v->b)
                check_box(v, v->b, when);
        if (r != PB_OK) { /* the same handle retries, now that the disk is back */
                pb_diag_clear(&d);
                r = run_step(v, &steps[k], &d);
                if (r != PB_OK)
                        FAIL("%s: the retry failed: %s", when, reason(&d));
                else
                        check_box(v, v->b, when);
        }
        /* and the files, reopened through the real VFS, hold it all */
        pb_box_free(v->b);
        v->b = NULL;
        box_test_set_vfs(NULL);
        if (pb_box_open(v->db, &v->b, &d) != PB_OK) {
                FAIL("%s: the box does not reopen: %s", when, reason(&d));
        } else {
                check_box(v, v->b, when);
        }
        box_test_set_vfs(PLV_NAME);
out:
        vote_free(v);
        free(v);
}

/* ---- the export: its files are written with write() and fsync(), not through SQLite ---- */

/*
 * The executable is linked with -Wl,--wrap=write,--wrap=fsync: every call of write() and fsync()
 * in pbvote's own code (the box's static library: the export, the folder sync at create) comes
 * here; SQLite's (a shared library) does not.  While counting, the @fail_write-th write (or the
 * @fail_sync-th fsync) and every later one fails with @err (EIO for fsync).
 */
ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __wrap_write(int fd, const void *p, size_t n);
int __real_fsync(int fd);
int __wrap_fsync(int fd);

static struct {
        bool counting;
        uint64_t writes, syncs;
        uint64_t fail_write, fail_sync; /* 0: never */
        int err;
} xw;

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
        if (xw.counting && ++xw.writes >= xw.fail_write && xw.fail_write) {
                errno = xw.err;
                return -1;
        }
        return __real_write(fd, p, n);
}

int __wrap_fsync(int fd)
{
        if (xw.counting && ++xw.syncs >= xw.fail_sync && xw.fail_sync) {
                errno = EIO;
                return -1;
        }
        return __real_fsync(fd);
}

/* A machine without power removes no file: pb_box_create's clean-up of a failed creation (it
 * unlinks what it made) does not happen when the power went during the creation. */
int __real_unlink(const char *path);
int __wrap_unlink(const char *path);

int __wrap_unlink(const char *path)
{
        if (plv_stats().crashed) {
                errno = EIO;
                return -1;
        }
        return __real_unlink(path);
}

static bool read_all(const char *path, struct pb_buf *out)
{
        FILE *f = fopen(path, "rb");
        char buf[8192];
        size_t n;
        bool ok = f != NULL;

        while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
                ok = pb_buf_add(out, buf, n) == PB_OK;
        if (f)
                fclose(f);
        return ok;
}

/* Remove the folder @dir and the files in it. */
static void remove_bundle(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;

        while (d && (e = readdir(d))) {
                char p[600];
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
                unlink(p);
        }
        if (d)
                closedir(d);
        rmdir(dir);
}

/* Does the folder @b hold exactly the files of @a, byte for byte?  (Then @b is removed.) */
static bool same_bundle(const char *a, const char *b)
{
        DIR *d = opendir(b);
        struct dirent *e;
        size_t na = 0, nb = 0;
        bool same = d != NULL;

        while (d && (e = readdir(d))) {
                char pa[600], pbp[600];
                struct pb_buf x, y;

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                nb++;
                snprintf(pa, sizeof(pa), "%s/%s", a, e->d_name);
                snprintf(pbp, sizeof(pbp), "%s/%s", b, e->d_name);
                pb_buf_init(&x, 0);
                pb_buf_init(&y, 0);
                if (!read_all(pa, &x) || !read_all(pbp, &y) || x.len != y.len ||
                    memcmp(x.data, y.data, x.len))
                        same = false;
                pb_buf_release(&x);
                pb_buf_release(&y);
        }
        if (d)
                closedir(d);
        remove_bundle(b);
        d = opendir(a);
        while (d && (e = readdir(d)))
                na += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        if (d)
                closedir(d);
        return same && na == nb;
}

/* One export with its @i-th write (ENOSPC, or EIO when @eio) or, past the @w writes, its (i-w)-th
 * fsync failing: PB_ERR_IO with a reason, no folder left, and the retry gives the clean bytes. */
static void export_case(struct vote *v, const char *clean, const char *out, uint64_t i, uint64_t w, bool eio,
                        struct fault_totals *tot)
{
        struct pb_diag d;
        struct stat st;
        char when[96];
        pb_err r;

        snprintf(when, sizeof(when), "export, %s at %s %llu", eio ? "EIO" : "ENOSPC",
                 i <= w ? "write" : "fsync", (unsigned long long)(i <= w ? i : i - w));
        memset(&xw, 0, sizeof(xw));
        xw.counting = true;
        if (i <= w)
                xw.fail_write = i;
        else
                xw.fail_sync = i - w;
        xw.err = eio ? EIO : ENOSPC;
        pb_diag_clear(&d);
        r = pb_box_export(v->b, out, &d);
        xw.counting = false;
        tot->cases++;
        if (r == PB_OK) {
                tot->succeeded++; /* the folder's own fsync is best effort */
                remove_bundle(out);
                return;
        }
        if (r == PB_ERR_IO && d.reason)
                tot->failed_storage++;
        else
                FAIL("%s: returned %d, %s", when, r, reason(&d));
        if (stat(out, &st) == 0) {
                FAIL("%s: the failed export left the folder behind", when);
                remove_bundle(out);
        }
        check_box(v, v->b, when);
        if (pb_box_export(v->b, out, &d) != PB_OK)
                FAIL("%s: the retry failed: %s", when, reason(&d));
        else if (!same_bundle(clean, out))
                FAIL("%s: the retry's files are not the clean export's", when);
}

/* ENOSPC and EIO at every write, EIO at every fsync, of the export of a tallied vote. */
static void export_faults(const char *dir, bool contests, struct fault_totals *tot)
{
        struct vote *v = calloc(1, sizeof(*v));
        char clean[300], out[300];
        unsigned before = tot->cases;
        struct pb_diag d;
        uint64_t w, s;

        if (!v)
                abort();
        vote_init(v, dir, contests, 0);
        if (!vote_prefix(v, N_STEPS))
                goto out;
        snprintf(clean, sizeof(clean), "%s/bundle-clean", dir);
        snprintf(out, sizeof(out), "%s/bundle", dir);
        memset(&xw, 0, sizeof(xw));
        xw.counting = true;
        pb_diag_clear(&d);
        if (pb_box_export(v->b, clean, &d) != PB_OK) {
                xw.counting = false;
                FAIL("the clean export failed: %s", reason(&d));
                goto out;
        }
        xw.counting = false;
        w = xw.writes;
        s = xw.syncs;
        for (uint64_t i = 1; i <= w + s; i++) {
                export_case(v, clean, out, i, w, true, tot);
                if (i <= w)
                        export_case(v, clean, out, i, w, false, tot);
        }
        fprintf(stderr, "powerloss: %s vote, the export: %llu writes %llu fsyncs: %u cases\n",
                contests ? "contests" : "one", (unsigned long long)w, (unsigned long long)s,
                tot->cases - before);
        remove_bundle(clean);
out:
        vote_free(v);
        free(v);
}

static int campaign_faults(const char *dir, const char *only, const char *votes, bool restart)
{
        struct fault_totals tot = { 0 };
        double t0 = now();

        for (int c = 0; c < 2; c++) {
                if ((c == 0 && !strcmp(votes, "contests")) || (c == 1 && !strcmp(votes, "one")))
                        continue;
                for (size_t k = 0; k < N_STEPS && failures < 20; k++) {
                        struct vote *v;
                        struct plv_stats a, b;
                        struct pb_diag d;
                        unsigned before = tot.cases;

                        if (strcmp(only, "all") && strcmp(only, op_names[steps[k].op]))
                                continue;
                        /* count the step's writes and syncs in a clean run */
                        v = calloc(1, sizeof(*v));
                        if (!v)
                                return 1;
                        vote_init(v, dir, c == 1, 0);
                        if (!vote_prefix(v, k)) {
                                vote_free(v);
                                free(v);
                                return 1;
                        }
                        a = plv_stats();
                        if (run_step(v, &steps[k], &d) != PB_OK)
                                FAIL("clean %s failed: %s", op_names[steps[k].op], reason(&d));
                        b = plv_stats();
                        vote_free(v);
                        free(v);
                        for (uint64_t w = 1; w <= b.writes - a.writes; w++) {
                                fault_case(dir, c == 1, k, PLV_FAULT_FULL, w, restart, &tot);
                                fault_case(dir, c == 1, k, PLV_FAULT_EIO_WRITE, w, restart, &tot);
                        }
                        for (uint64_t s = 1; s <= b.syncs - a.syncs; s++)
                                fault_case(dir, c == 1, k, PLV_FAULT_EIO_FSYNC, s, restart, &tot);
                        fprintf(stderr,
                                "powerloss: %s vote, step %2zu %-8s %3llu writes %2llu syncs: %u cases\n",
                                c ? "contests" : "one", k, op_names[steps[k].op],
                                (unsigned long long)(b.writes - a.writes),
                                (unsigned long long)(b.syncs - a.syncs), tot.cases - before);
                }
        }
        for (int c = 0; c < 2 && (!strcmp(only, "all") || !strcmp(only, "export")); c++)
                if (!((c == 0 && !strcmp(votes, "contests")) || (c == 1 && !strcmp(votes, "one"))))
                        export_faults(dir, c == 1, &tot);
        fprintf(stderr,
                "powerloss: %u fault cases: %u failed with PB_ERR_STORAGE (PB_ERR_IO for the export), "
                "%u succeeded (fault after COMMIT), "
                "%u not reached, %.1f s\n",
                tot.cases, tot.failed_storage, tot.succeeded, tot.unreached, now() - t0);
        if (restart)
                fprintf(stderr,
                        "powerloss: restarts after a failure that found an unacknowledged ballot: %u\n",
                        tot.unacked_back);
        fprintf(stderr, "powerloss: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}

/* ---- a real full disk (tests/box/fullfs.sh: @dir is a tmpfs of its own, 1 MiB) ---- */

/* Fill the file system of @dir with DIR/ballast until it is full.  The bytes written. */
static size_t fill(const char *dir)
{
        static char block[4096];
        char path[300];
        size_t n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/ballast", dir);
        f = fopen(path, "ab");
        if (!f)
                return 0;
        setvbuf(f, NULL, _IONBF, 0);
        while (fwrite(block, 1, sizeof(block), f) == sizeof(block))
                n += sizeof(block);
        while (fwrite(block, 1, 1, f) == 1) /* the last partial block */
                n++;
        fclose(f);
        return n;
}

static void unfill(const char *dir)
{
        char path[300];

        snprintf(path, sizeof(path), "%s/ballast", dir);
        unlink(path);
}

/* Each step of the one-contest vote with the disk full: it completes (its pages fit where the WAL
 * already had room) or fails with "the disk is full", the same handle passes the checks, and once
 * the ballast is deleted the same handle retries it and it completes.  Then the export. */
static int campaign_fullfs(const char *dir)
{
        struct vote *v = calloc(1, sizeof(*v));
        unsigned fit = 0, full = 0;
        char out[300];
        struct pb_diag d;
        struct stat st;
        pb_err r;

        if (!v)
                return 1;
        box_test_set_vfs(NULL); /* the real VFS and a real file system */
        vote_init(v, dir, false, 0);
        for (size_t k = 0; k < N_STEPS && failures < 20; k++) {
                if (!v->b && k > 0 && open_box(v, &d) != PB_OK)
                        FAIL("%s (step %zu): the box does not open: %s", op_names[steps[k].op], k,
                             reason(&d));
                if (fill(dir) == 0 && k == 0)
                        FAIL("could not fill %s", dir);
                pb_diag_clear(&d);
                r = run_step(v, &steps[k], &d);
                if (r == PB_OK) {
                        fit++;
                } else if (r == PB_ERR_STORAGE && d.reason && strstr(d.reason, "disk is full")) {
                        full++;
                        if (v->b)
                                check_box(v, v->b, "the disk full");
                } else {
                        FAIL("%s (step %zu) on a full disk: %d %s", op_names[steps[k].op], k, r, reason(&d));
                }
                unfill(dir);
                if (r != PB_OK) {
                        if (!v->b && k > 0 && steps[k].op != OP_REOPEN && open_box(v, &d) != PB_OK)
                                FAIL("%s (step %zu): no box once the space is back: %s",
                                     op_names[steps[k].op], k, reason(&d));
                        pb_diag_clear(&d);
                        if (run_step(v, &steps[k], &d) != PB_OK)
                                FAIL("%s (step %zu): the retry with space failed: %s", op_names[steps[k].op],
                                     k, reason(&d));
                }
                if (v->b)
                        check_box(v, v->b, "after the disk was full");
        }
        /* the export onto the full disk, then with space */
        snprintf(out, sizeof(out), "%s/bundle", dir);
        fill(dir);
        pb_diag_clear(&d);
        r = v->b ? pb_box_export(v->b, out, &d) : PB_ERR_STATE;
        unfill(dir);
        if (r == PB_OK) {
                fit++;
        } else if (r == PB_ERR_IO && stat(out, &st) != 0) {
                full++;
                if (pb_box_export(v->b, out, &d) != PB_OK)
                        FAIL("export: the retry with space failed: %s", reason(&d));
        } else {
                FAIL("export on a full disk: %d %s (its folder %s)", r, reason(&d),
                     stat(out, &st) == 0 ? "left behind" : "removed");
        }
        remove_bundle(out);
        pb_box_free(v->b);
        v->b = NULL;
        if (pb_box_open(v->db, &v->b, &d) != PB_OK)
                FAIL("the box does not reopen: %s", reason(&d));
        else
                check_box(v, v->b, "reopened");
        fprintf(stderr,
                "powerloss: a real full disk: %u steps and the export failed with 'the disk is full' and "
                "completed once space was back, %u completed on the full disk; %zu acknowledged ballots\n",
                full, fit, v->n_acked);
        vote_free(v);
        free(v);
        fprintf(stderr, "powerloss: %s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
        char dir[64];
        uint8_t s1[32], s2[32];
        int rc;

        if (argc == 3 && !strcmp(argv[1], "fullfs")) { /* tests/box/fullfs.sh */
                memset(s1, 1, 32);
                memset(s2, 2, 32);
                if (sodium_init() < 0 || pb_key_secret_from_seed(&engine, "pb.test/engine", s1, NULL) < 0 ||
                    pb_key_secret_from_seed(&office, "pb.test/office", s2, NULL) < 0)
                        return 1;
                return campaign_fullfs(argv[2]);
        }
        if (argc < 2 || (strcmp(argv[1], "crash") && strcmp(argv[1], "faults"))) {
                fprintf(stderr, "usage: box-powerloss crash N SEED [nosync] | faults [STEP|all "
                                "[one|contests|both [restart]]] | fullfs DIR\n");
                return 2;
        }
        memset(s1, 1, 32);
        memset(s2, 2, 32);
        if (sodium_init() < 0 || plv_register() != SQLITE_OK ||
            pb_key_secret_from_seed(&engine, "pb.test/engine", s1, NULL) < 0 ||
            pb_key_secret_from_seed(&office, "pb.test/office", s2, NULL) < 0)
                return 1;
        snprintf(dir, sizeof(dir), "%s/pbvote-powerloss-XXXXXX",
                 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
        if (!mkdtemp(dir))
                return 1;
        box_test_set_vfs(PLV_NAME);
        control_nosync = argc > 4 && !strcmp(argv[4], "nosync");
        if (!strcmp(argv[1], "crash"))
                rc = campaign_crash(dir, argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100,
                                    argc > 3 ? strtoull(argv[3], NULL, 10) : 20261207u);
        else
                rc = campaign_faults(dir, argc > 2 ? argv[2] : "all", argc > 3 ? argv[3] : "both",
                                     argc > 4 && !strcmp(argv[4], "restart"));
        /* what interrupted creations leave: their temporary files (.NAME.new-*), which nothing reads */
        remove_bundle(dir);
        if (access(dir, F_OK) == 0)
                fprintf(stderr, "powerloss: could not remove %s\n", dir);
        return rc;
}
