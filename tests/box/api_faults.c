/**
 * @file ENOSPC and EIO under the HTTP server (issue 16, campaign 2 over the API): the server runs in
 * this process (tests/api/api_fixture.h) on a ballot box opened through the test VFS of
 * powerloss_vfs.h.  For code issuing (POST .../codes) and casting (POST .../ballots) every write
 * index of one request (counted in clean requests first) fails with SQLITE_FULL and with
 * SQLITE_IOERR_WRITE, and every sync index with SQLITE_IOERR_FSYNC; close and tally run once per
 * election, so the index goes up from 1 until the request completes: election "flt" for the writes,
 * "flt2" (no ballots) for the syncs.  Each failing request must get a 5xx
 * problem with a reason (a ballot: 503 "nothing was stored, try again"; an administrator's request:
 * the storage error), and the same request once the fault is gone must succeed on the same running
 * server, with no restart.  At the end the box, opened through the real VFS, passes pb_box_check
 * and holds every ballot whose receipt was returned.
 *
 * usage: box-api-faults
 */
#include "api_fixture.h"
#include "ballots/box_int.h"
#include "ballots/pb_box.h"
#include "check.h"
#include "powerloss_vfs.h"

#define MAX_ACKS 600
#define N_CODES 600

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1];
static char codes[N_CODES][PB_CODE_COMPACT_MAX + 1];
static size_t n_codes, next_code;
static uint8_t acks[MAX_ACKS][32];
static size_t n_acks;
static unsigned cases, failed_5xx, succeeded, unreached;

/* Election "flt", open, with a kiosk token, made through the shim; the server then serves it. */
static int serve_box(void)
{
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        char manifest[2048], path[400];
        int ok;

        fixture_halt(&fx);
        for (int e = 0; e < 2; e++) {
                const char *id = e ? "flt2" : "flt";
                snprintf(manifest, sizeof(manifest), fixture_manifest, id, id);
                snprintf(path, sizeof(path), "%s/%s.db", fx.dir, id);
                ok = pb_manifest_parse(manifest, strlen(manifest), &m, NULL) == PB_OK &&
                     pb_box_create(path, m, &b, NULL) == PB_OK &&
                     pb_box_set_engine_key(b, &fx.engine, NULL) == PB_OK &&
                     pb_box_election_open(b, &fx.office, NULL) == PB_OK &&
                     (e || pb_box_token_create(b, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL) == PB_OK);
                pb_box_free(b);
                b = NULL;
                pb_manifest_free(m);
                m = NULL;
                if (!ok)
                        return -1;
        }
        return fixture_serve(&fx, 30, 10);
}

/* POST .../codes for 10 codes: the status; the codes are kept when it is 201. */
static int post_codes(char *out, size_t cap)
{
        int st = call(&fx, "POST", "/v1/elections/flt/codes", fx.admin, "{\"count\":10}", out, cap);
        const char *p = out;
        char code[64];

        while (st == 201 && (p = strstr(p, "\"codes\":[")) != NULL) {
                p += 9;
                while (*p == '"' && n_codes < N_CODES) {
                        const char *e = strchr(p + 1, '"');
                        if (!e || (size_t)(e - p - 1) >= sizeof(code))
                                break;
                        memcpy(codes[n_codes], p + 1, (size_t)(e - p - 1));
                        codes[n_codes++][e - p - 1] = '\0';
                        p = e + 1;
                        if (*p == ',')
                                p++;
                }
        }
        return st;
}

/* POST a ballot with code @i (submission id @i): the status; a 200's commitment is kept. */
static int post_ballot(size_t i, char *out, size_t cap)
{
        char body[256], hex[65];
        size_t len = 0;
        int st;

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p%zu\"]},\"code\":\"%s\",\"submission_id\":\"%032zx\"}",
                 1 + i % 3, codes[i], i + 1);
        st = call(&fx, "POST", "/v1/elections/flt/ballots", kiosk, body, out, cap);
        if (st / 100 == 2 && n_acks < MAX_ACKS && json_str(out, "commitment", hex, sizeof(hex)) == 0 &&
            sodium_hex2bin(acks[n_acks], 32, hex, 64, NULL, &len, NULL) == 0 && len == 32)
                n_acks++;
        return st;
}

/* A failed request's answer: a 5xx problem that says why. */
static void check_failure(int st, const char *out, const char *what, const char *want)
{
        cases++;
        if (st == 200 || st == 201) {
                succeeded++; /* the fault hit only what follows COMMIT */
                return;
        }
        failed_5xx++;
        if (st < 500 || !strstr(out, "\"detail\"") ||
            (*want ? !strstr(out, want)
                   : !strstr(out, "disk is full") && !strstr(out, "input/output error"))) {
                fprintf(stderr, "%s: %d %s\n", what, st, out);
                CHECK(false);
        }
}

/* The writes and syncs of @n clean runs of @fn, at most. */
static void count_clean(int (*fn)(char *, size_t), int n, uint64_t *w, uint64_t *s)
{
        static char out[65536];

        *w = *s = 0;
        for (int k = 0; k < n; k++) {
                struct plv_stats a = plv_stats(), b;
                CHECK(fn(out, sizeof(out)) / 100 == 2);
                b = plv_stats();
                if (b.writes - a.writes > *w)
                        *w = b.writes - a.writes;
                if (b.syncs - a.syncs > *s)
                        *s = b.syncs - a.syncs;
        }
}

static int cast_next(char *out, size_t cap)
{
        return post_ballot(next_code++, out, cap);
}

/* @fn with a fault from its @idx-th write (or sync) on, then again without it. */
static void fault_then_retry(int (*fn)(char *, size_t), enum plv_fault kind, uint64_t idx, const char *want,
                             const char *what)
{
        static char out[65536];
        struct plv_stats s = plv_stats();
        size_t before = next_code;
        int st;

        /* a request may write less than the largest clean one (a cast that completes no batch of
         * the log): the next request then tries the same index, up to a batch of them */
        for (int attempt = 0;; attempt++) {
                s = plv_stats();
                before = next_code;
                plv_arm_fault(kind, (kind == PLV_FAULT_EIO_FSYNC ? s.syncs : s.writes) + idx);
                st = fn(out, sizeof(out));
                plv_disarm();
                if (plv_stats().faults != s.faults)
                        break;
                CHECK(st / 100 == 2);
                if (attempt == 8) {
                        unreached++;
                        return;
                }
        }
        check_failure(st, out, what, want);
        if (st / 100 == 2)
                return;
        next_code = before; /* the same code and submission id again */
        st = fn(out, sizeof(out));
        if (st / 100 != 2) {
                fprintf(stderr, "%s: the retry without the fault: %d %s\n", what, st, out);
                CHECK(false);
        }
}

static void enumerate(int (*fn)(char *, size_t), const char *name, const char *want)
{
        uint64_t w, s;
        char what[96];
        unsigned before = cases;

        count_clean(fn, 4, &w, &s);
        for (uint64_t i = 1; i <= w; i++) {
                snprintf(what, sizeof(what), "%s, ENOSPC at write %llu", name, (unsigned long long)i);
                fault_then_retry(fn, PLV_FAULT_FULL, i, want, what);
                snprintf(what, sizeof(what), "%s, EIO at write %llu", name, (unsigned long long)i);
                fault_then_retry(fn, PLV_FAULT_EIO_WRITE, i, want, what);
        }
        for (uint64_t i = 1; i <= s; i++) {
                snprintf(what, sizeof(what), "%s, EIO at sync %llu", name, (unsigned long long)i);
                fault_then_retry(fn, PLV_FAULT_EIO_FSYNC, i, want, what);
        }
        fprintf(stderr, "api-faults: %s: %llu writes, %llu syncs at most per request: %u cases\n", name,
                (unsigned long long)w, (unsigned long long)s, cases - before);
}

/* Close or tally of election @id, which runs once: the fault index goes up until the request
 * completes without meeting the fault.  @syncs: EIO at each sync; else ENOSPC and EIO at each write. */
static void once(const char *id, const char *op, bool syncs)
{
        static char out[65536];
        unsigned before = cases;
        char path[128], name[64];

        snprintf(path, sizeof(path), "/v1/elections/%s/%s", id, op);
        snprintf(name, sizeof(name), "POST %s (%s)", op, syncs ? "syncs" : "writes");
        for (uint64_t i = 1;; i++) {
                for (int k = 0; k < (syncs ? 1 : 2); k++) {
                        enum plv_fault kind = syncs ? PLV_FAULT_EIO_FSYNC
                                              : k   ? PLV_FAULT_EIO_WRITE
                                                    : PLV_FAULT_FULL;
                        struct plv_stats s = plv_stats();
                        char what[96];
                        int st;

                        plv_arm_fault(kind, (syncs ? s.syncs : s.writes) + i);
                        st = call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out));
                        plv_disarm();
                        if (st == 200 && plv_stats().faults == s.faults) {
                                fprintf(stderr, "api-faults: %s: %llu %s, %u cases\n", name,
                                        (unsigned long long)(i - 1), syncs ? "syncs" : "writes",
                                        cases - before);
                                return; /* past its last write (sync): it completed */
                        }
                        snprintf(what, sizeof(what), "%s, %s at %llu", name,
                                 k       ? "EIO"
                                 : syncs ? "EIO"
                                         : "ENOSPC",
                                 (unsigned long long)i);
                        check_failure(st, out, what, "");
                        if (st == 200) {
                                fprintf(stderr, "api-faults: %s completed at %s (the fault after COMMIT)\n",
                                        name, what);
                                return;
                        }
                }
        }
}

int main(void)
{
        static char out[65536];
        struct pb_box *b = NULL;
        char path[400];

        CHECK(plv_register() == SQLITE_OK);
        box_test_set_vfs(PLV_NAME);
        plv_reset();
        if (fixture_start(&fx, true) < 0 || serve_box() < 0) {
                fprintf(stderr, "api-faults: cannot start\n");
                return 1;
        }
        enumerate(post_codes, "POST codes", "");
        CHECK(n_codes >= 40);
        while (n_codes + 10 <= N_CODES && post_codes(out, sizeof(out)) == 201)
                ; /* codes enough for every cast below, retries included */
        CHECK(n_codes + 10 > N_CODES);
        enumerate(cast_next, "POST ballots", "nothing was stored");
        once("flt", "close", false);
        once("flt", "tally", false);
        once("flt2", "close", true);
        once("flt2", "tally", true);
        CHECK_INT(call(&fx, "GET", "/v1/elections/flt/result", NULL, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/flt2/result", NULL, NULL, out, sizeof(out)), 200);
        pb_http_stop(fx.http);
        pb_api_free(fx.api);
        fx.http = NULL;
        fx.api = NULL;
        /* the files, through the real VFS: whole, with every acknowledged ballot */
        box_test_set_vfs(NULL);
        snprintf(path, sizeof(path), "%s/flt.db", fx.dir);
        CHECK(pb_box_open(path, &b, NULL) == PB_OK);
        if (b) {
                struct pb_turnout t;
                size_t missing = 0;
                CHECK(pb_box_check(b, NULL) == PB_OK);
                CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.ballots == n_acks && t.codes_spent == n_acks);
                for (size_t i = 0; i < n_acks; i++) {
                        struct pb_box_proof p;
                        struct pb_buf note;
                        pb_buf_init(&note, 0);
                        missing += pb_box_inclusion(b, acks[i], &p, &note, NULL) != PB_OK;
                        pb_buf_release(&note);
                }
                CHECK_INT(missing, 0);
                pb_box_free(b);
        }
        fprintf(stderr,
                "api-faults: %u fault cases: %u answered 5xx with a reason, %u completed (the fault after "
                "COMMIT); %u indexes no request reached; %zu acknowledged ballots checked\n",
                cases, failed_5xx, succeeded, unreached, n_acks);
        CHECK(unreached == 0);
        fx.http = NULL;
        {
                char cmd[400];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", fx.dir);
        }
        return check_summary("api-faults");
}
