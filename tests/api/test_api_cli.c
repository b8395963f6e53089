/**
 * @file Issue 11's path, exactly, with real processes: a draft created over HTTP on a running
 * `pbvote serve --data DIR`; `pbvote election open --db DIR/ID.db --key ENGINE --office-key OFFICE`
 * on the server host (the office key never reaches the server); codes, ballots, close and tally
 * over HTTP; `pbvote certify --db`; the bundle exported over HTTP must pass `pbvote verify` with
 * the keys pinned, and `pbvote election check` must agree.  The server and the command line acting
 * on one ballot box must never diverge.  Then `election check` must fail a box whose documents all
 * verify but whose bundle does not (a result re-signed with the engine key over another tally).
 * usage: test-api-cli PBVOTE
 */
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>

#include "check.h"
#include "formats/pb_envelope.h"
#include "formats/pb_keyfile.h"
#include "engine/pb_seal.h"
#include "serve_proc.h"

#define ID "city"

static struct serve_proc srv;
static char top[256], admin[80], kiosk[80];
static const char *pbvote;

static const char manifest[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":4,\"budget\":"
        "45000000,\"currency\":\"EUR\",\"id\":\"" ID "\",\"projects\":["
        "{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},{\"cost\":15000000,\"id\":\"p2\",\"name\":"
        "\"Bikes\"},{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}],\"rule\":{\"name\":\"greedy\","
        "\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,\"title\":\"City budget\","
        "\"type\":\"pbvote.manifest/v1\"}";

/* Keys as the operator makes them: the engine key in the data folder (the server's), the finance
 * office key elsewhere (offline, on the server host only while opening and certifying). */
static int setup(void)
{
        snprintf(top, sizeof(top), "%s/pbvote-api-cli-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(top))
                return -1;
        snprintf(srv.data, sizeof(srv.data), "%s/data", top);
        srv.pbvote = pbvote;
        if (mkdir(srv.data, 0700) < 0 ||
            sh("'%s' keygen --role engine --out '%s/engine.key' --no-passphrase > /dev/null 2>&1", pbvote,
               srv.data) ||
            sh("'%s' keygen --role office --out '%s/office.key' --no-passphrase > /dev/null 2>&1", pbvote,
               top) ||
            sh_line(admin, sizeof(admin), "'%s' token create --data '%s' --role admin 2>/dev/null", pbvote,
                    srv.data))
                return -1;
        /* the published keys an auditor pins */
        return sh("(printf 'engine '; cat '%s/engine.key.pub'; printf 'office '; cat '%s/office.key.pub') > "
                  "'%s/trust.txt'",
                  srv.data, top, top);
}

/* Codes over HTTP: @n of them into @codes. */
static int issue(size_t n, char codes[][40])
{
        char body[64], out[65536], *p;
        size_t k = 0;

        snprintf(body, sizeof(body), "{\"count\":%zu}", n);
        if (serve_call(&srv, "POST", "/v1/elections/" ID "/codes", admin, body, out, sizeof(out)) != 201)
                return -1;
        p = strstr(out, "["); /* {"codes":["...","..."]} */
        while (k < n && p && (p = strchr(p, '"'))) {
                char *e = strchr(p + 1, '"');
                if (!e || (size_t)(e - p - 1) >= 40)
                        return -1;
                memcpy(codes[k], p + 1, (size_t)(e - p - 1));
                codes[k][e - p - 1] = '\0';
                k++;
                p = e + 1;
        }
        return k == n ? 0 : -1;
}

static int ballot(const char *code, const char *picks, unsigned id)
{
        char body[512], out[8192];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[%s]},\"code\":\"%s\",\"submission_id\":\"%032x\"}", picks, code,
                 id);
        return serve_call(&srv, "POST", "/v1/elections/" ID "/ballots", kiosk, body, out, sizeof(out));
}

static void the_path(void)
{
        char out[65536], codes[6][40];
        int st;

        /* a draft, over HTTP, on the running server */
        CHECK_INT(serve_call(&srv, "POST", "/v1/elections", admin, manifest, out, sizeof(out)), 201);
        CHECK_INT(issue(6, codes), 0);
        CHECK_INT(sh_line(kiosk, sizeof(kiosk),
                          "'%s' token create --db '%s/" ID ".db' --role kiosk 2>/dev/null", pbvote, srv.data),
                  0);
        /* a kiosk too early: refused, and the server holds a snapshot of the draft from now on */
        CHECK_INT(ballot(codes[0], "\"p1\"", 1), 409);
        /* this server holds no office key: it says so and how to open, not that the admin may not */
        CHECK_INT(serve_call(&srv, "POST", "/v1/elections/" ID "/open", admin, NULL, out, sizeof(out)), 400);
        CHECK(strstr(out, "\"type\":\"https://pbvote.org/errors/unsupported\"") != NULL ||
              strstr(out, "unsupported") != NULL);
        CHECK(strstr(out, "pbvote election open") != NULL);
        CHECK(strstr(out, "for this role") == NULL);
        /* opened on the server host by the command line, with the engine and the office key */
        st = sh("'%s' election open --db '%s/" ID ".db' --key '%s/engine.key' --office-key '%s/office.key' "
                "> '%s/open.out' 2>&1",
                pbvote, srv.data, srv.data, top, top);
        CHECK_INT(st, 0);
        /* the server publishes the signed manifest and its keys at once */
        CHECK_INT(serve_call(&srv, "GET", "/v1/elections/" ID, NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"state\":\"open\"") != NULL);
        CHECK(strstr(out, "\"signed_manifest\":null") == NULL);
        CHECK(strstr(out, "\"keys\":{\"engine\":\"pbvote-engine+") != NULL);
        /* ballots, close and tally over HTTP */
        CHECK_INT(ballot(codes[0], "\"p1\"", 1), 201);
        CHECK_INT(ballot(codes[1], "\"p1\",\"p2\"", 2), 201);
        CHECK_INT(ballot(codes[2], "\"p3\"", 3), 201);
        CHECK_INT(ballot(codes[3], "\"p2\"", 4), 201);
        CHECK_INT(ballot(codes[4], "\"p2\",\"p3\"", 5), 201);
        CHECK_INT(ballot(codes[4], "\"p2\",\"p3\"", 5), 200); /* a retry: the same commitment */
        CHECK_INT(serve_call(&srv, "POST", "/v1/elections/" ID "/close", admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(serve_call(&srv, "POST", "/v1/elections/" ID "/tally", admin, NULL, out, sizeof(out)), 200);
        {
                char path[600];
                FILE *f;
                snprintf(path, sizeof(path), "%s/result.json", top);
                f = fopen(path, "w");
                if (f) {
                        fputs(out, f);
                        fclose(f);
                }
        }
        /* certified by the finance office with the command line */
        CHECK_INT(sh("'%s' certify '%s/result.json' --key '%s/office.key' --db '%s/" ID ".db' --out "
                     "'%s/certification.json' > '%s/certify.out' 2>&1",
                     pbvote, top, top, srv.data, top, top),
                  0);
        CHECK_INT(serve_call(&srv, "GET", "/v1/elections/" ID "/result", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"certification\":null") == NULL);
        /* exported over HTTP: the bundle verifies, with the published keys pinned */
        {
                char tar[600];
                snprintf(tar, sizeof(tar), "%s/bundle.tar", top);
                CHECK_INT(serve_download(&srv, "/v1/elections/" ID "/export", admin, tar), 200);
        }
        st = sh("cd '%s' && tar xf bundle.tar && '%s' verify " ID " --trust trust.txt > verify.out 2>&1", top,
                pbvote);
        CHECK_INT(st, 0);
        {
                char path[600];
                snprintf(path, sizeof(path), "%s/verify.out", top);
                CHECK(file_has(path, "VALID: every check passed"));
                if (st)
                        sh("cat '%s' >&2", path);
        }
        /* and the box's own check agrees */
        st = sh("'%s' election check --db '%s/" ID ".db' > '%s/check.out' 2>&1", pbvote, srv.data, top);
        CHECK_INT(st, 0);
        if (st)
                sh("cat '%s/check.out' >&2", top);
}

/* The stored result, its tally changed (the winners in another order) and signed again with the
 * engine key; the certification gone, the state back to tallied: every signature verifies and
 * every document names the others, only a re-count shows it. */
static int forge_result(const char *db)
{
        struct pb_seal_envelope env;
        struct pb_key_secret engine;
        const struct pb_key_secret *keys[1] = { &engine };
        struct pb_buf payload, signed_doc;
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;
        char key[600];
        char *at;
        int rc = -1;

        pb_seal_envelope_init(&env);
        pb_buf_init(&payload, 0);
        pb_buf_init(&signed_doc, 0);
        snprintf(key, sizeof(key), "%s/engine.key", srv.data);
        if (pb_keyfile_load(key, NULL, 0, NULL, &engine, NULL) < 0 || sqlite3_open(db, &h) != SQLITE_OK ||
            sqlite3_prepare_v2(h, "SELECT result_envelope FROM election", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW ||
            pb_envelope_parse(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, &env,
                              NULL) < 0 ||
            pb_buf_add(&payload, env.payload, env.payload_len) < 0 || pb_buf_addc(&payload, '\0') < 0)
                goto out;
        at = strstr(payload.data, "\"winners\":[\"p2\",\"p1\"]");
        if (!at)
                goto out;
        memcpy(at, "\"winners\":[\"p1\",\"p2\"]", strlen("\"winners\":[\"p1\",\"p2\"]"));
        if (pb_seal_sign(PB_SEAL_TYPE_RESULT, (const uint8_t *)payload.data, payload.len - 1, keys, 1,
                         &signed_doc, NULL) < 0)
                goto out;
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(h,
                               "UPDATE election SET result_envelope = ?, certification_envelope = NULL, "
                               "state = 'tallied'",
                               -1, &st, NULL) != SQLITE_OK)
                goto out;
        sqlite3_bind_blob(st, 1, signed_doc.data, (int)signed_doc.len, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
        sqlite3_finalize(st);
        sqlite3_close(h);
        pb_key_secret_wipe(&engine);
        pb_seal_envelope_release(&env);
        pb_buf_release(&payload);
        pb_buf_release(&signed_doc);
        return rc;
}

/* `election check` runs what `pbvote verify` runs: the forged result passes every document check
 * of the box and fails the re-tally of the exported bundle. */
static void check_is_verify(void)
{
        char db[600], out[600];
        int st;

        snprintf(db, sizeof(db), "%s/" ID ".db", srv.data);
        snprintf(out, sizeof(out), "%s/check-forged.out", top);
        CHECK_INT(forge_result(db), 0);
        st = sh("'%s' election check --db '%s' > '%s' 2>&1", pbvote, db, out);
        CHECK_INT(st, 1);
        CHECK(file_has(out,
                       "ok: the ballot log, the checkpoints, the counters and the signed documents agree"));
        CHECK(file_has(out, "FAIL F1   re-tally"));
        CHECK(file_has(out, "the exported bundle fails 1 check of pbvote verify"));
        if (st != 1)
                sh("cat '%s' >&2", out);
        /* the scratch bundle is gone */
        CHECK_INT(sh("ls -a '%s' | grep -q pbvote-check", srv.data), 1);
}

int main(int argc, char **argv)
{
        static char bin[PATH_MAX];

        if (argc < 2 || !realpath(argv[1], bin) || sodium_init() < 0) {
                fprintf(stderr, "usage: test-api-cli PBVOTE\n");
                return 2;
        }
        pbvote = bin;
        if (setup() < 0 || serve_start(&srv, 0, 0, NULL) < 0) {
                fprintf(stderr, "cannot set up %s or start the server\n", top);
                return 1;
        }
        RUN(the_path);
        serve_stop(&srv);
        RUN(check_is_verify);
        if (!check_failures)
                sh("rm -rf '%s'", top);
        else
                fprintf(stderr, "kept %s\n", top);
        return check_summary("api-cli");
}
