/**
 * @file The coordinator's lifecycle over HTTP (issue 14): a draft corrected (PUT) and deleted
 * (DELETE); an election whose file is removed behind the server's back is no longer served and
 * its id is free again; the voting period enforced by the server's clock (a clock the test steps):
 * ballots refused before the start and after the end, a draft opened at the start (the server holds
 * the office key), an open vote closed at the end with the signed close of `POST .../close`.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <unistd.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "ballots/pb_docs.h"
#include "check.h"
#include "formats/pb_envelope.h"

static struct fixture fx;
static int64_t wall = 1780000000; /* 2026-05-28T20:26:40Z */

static int64_t test_wall(void)
{
        return __atomic_load_n(&wall, __ATOMIC_SEQ_CST);
}

static void set_wall(int64_t t)
{
        __atomic_store_n(&wall, t, __ATOMIC_SEQ_CST);
}

/* "YYYY-MM-DDTHH:MM:SSZ" of @t into @out. */
static void iso(int64_t t, char out[21])
{
        time_t tt = (time_t)t;
        struct tm tm;

        gmtime_r(&tt, &tm);
        strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The fixture's manifest for @id with @budget and, when @start < @end, a voting period. */
static void manifest_of(char *out, size_t cap, const char *id, long budget, int64_t start, int64_t end)
{
        char m[2048], period[96] = "", a[21], b[21], *at;

        snprintf(m, sizeof(m), fixture_manifest, id, id);
        if (start < end) {
                iso(start, a);
                iso(end, b);
                snprintf(period, sizeof(period), "\"period\":{\"end\":\"%s\",\"start\":\"%s\"},", b, a);
        }
        at = strstr(m, "\"budget\":45000000,");
        snprintf(out, cap, "%.*s\"budget\":%ld,%s%s", (int)(at - m), m, budget, period,
                 at + strlen("\"budget\":45000000,"));
}

static void state_is(const char *id, const char *want)
{
        char path[128], out[65536], needle[64];

        snprintf(path, sizeof(path), "/v1/elections/%s", id);
        snprintf(needle, sizeof(needle), "\"state\":\"%s\"", want);
        CHECK_INT(call(&fx, "GET", path, NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, needle) != NULL);
}

/* A draft corrected, its id kept, then deleted: gone, and the id free for a new one. */
static void test_put_delete(void)
{
        char body[4096], out[65536], path[400];

        manifest_of(body, sizeof(body), "draft1", 45000000, 0, 0);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        manifest_of(body, sizeof(body), "draft1", 50000000, 0, 0);
        CHECK_INT(call(&fx, "PUT", "/v1/elections/draft1", NULL, body, out, sizeof(out)), 401);
        CHECK_INT(call(&fx, "PUT", "/v1/elections/draft1", fx.admin, body, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"state\":\"draft\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/draft1", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"budget\":50000000") != NULL);
        /* another id in the body: refused, named */
        manifest_of(body, sizeof(body), "draft2", 50000000, 0, 0);
        CHECK_INT(call(&fx, "PUT", "/v1/elections/draft1", fx.admin, body, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"field\":\"$.id\"") != NULL);
        /* a broken manifest: refused with its field */
        CHECK_INT(call(&fx, "PUT", "/v1/elections/draft1", fx.admin, "{\"type\":\"pbvote.manifest/v1\"}", out,
                       sizeof(out)),
                  400);
        CHECK_INT(call(&fx, "DELETE", "/v1/elections/draft1", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"deleted\":true") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/draft1", NULL, NULL, out, sizeof(out)), 404);
        CHECK_INT(call(&fx, "GET", "/v1/elections", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"draft1\"") == NULL);
        snprintf(path, sizeof(path), "%s/draft1.db", fx.dir);
        CHECK(access(path, F_OK) != 0);
        manifest_of(body, sizeof(body), "draft1", 45000000, 0, 0);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        /* an election that ran is never deleted */
        CHECK_INT(call(&fx, "POST", "/v1/elections/draft1/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "DELETE", "/v1/elections/draft1", fx.admin, NULL, out, sizeof(out)), 409);
        CHECK_INT(call(&fx, "PUT", "/v1/elections/draft1", fx.admin, body, out, sizeof(out)), 409);
        state_is("draft1", "open");
}

/* A file removed behind the server's back: not served within a second, its id free again. */
static void test_removed_file(void)
{
        char body[4096], out[65536], path[400];
        int status = 0;

        manifest_of(body, sizeof(body), "gone", 45000000, 0, 0);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        CHECK_INT(call(&fx, "POST", "/v1/elections/gone/open", fx.admin, NULL, out, sizeof(out)), 200);
        snprintf(path, sizeof(path), "%s/gone.db", fx.dir);
        pb_box_remove(path);
        /* the listing looks at every file */
        CHECK_INT(call(&fx, "GET", "/v1/elections", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"gone\"") == NULL);
        for (int i = 0; i < 30 && status != 404; i++) {
                status = call(&fx, "GET", "/v1/elections/gone/turnout", NULL, NULL, out, sizeof(out));
                if (status != 404)
                        usleep(100000);
        }
        CHECK_INT(status, 404);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        state_is("gone", "draft");
        /* the same for one the listing does not see first: the create itself looks */
        pb_box_remove(path);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
}

/* Wait (a few seconds at most) for the ticker to bring @id to @want. */
static bool wait_state(const char *id, const char *want)
{
        char path[128], out[65536], needle[64];

        snprintf(path, sizeof(path), "/v1/elections/%s", id);
        snprintf(needle, sizeof(needle), "\"state\":\"%s\"", want);
        for (int i = 0; i < 50; i++) {
                if (call(&fx, "GET", path, NULL, NULL, out, sizeof(out)) == 200 && strstr(out, needle))
                        return true;
                usleep(100000);
        }
        return false;
}

static int cast(const char *id, const char *code, unsigned sid, char *out, size_t cap, const char *kiosk)
{
        char body[512], path[128];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}", code,
                 sid);
        snprintf(path, sizeof(path), "/v1/elections/%s/ballots", id);
        return call(&fx, "POST", path, kiosk, body, out, cap);
}

/* The closed_at of @id's close statement into @out. */
static void closed_at(const char *id, char out[PB_DOC_TIME_LEN + 1])
{
        char path[400];
        struct pb_box *b = NULL;
        struct pb_buf doc;
        struct pb_seal_envelope env;
        struct pb_doc_close c;

        out[0] = '\0';
        pb_buf_init(&doc, 0);
        pb_seal_envelope_init(&env);
        snprintf(path, sizeof(path), "%s/%s.db", fx.dir, id);
        if (pb_box_open(path, &b, NULL) == PB_OK &&
            pb_box_document(b, PB_BOX_DOC_CLOSE, &doc, NULL) == PB_OK &&
            pb_envelope_parse(doc.data, doc.len, 0, &env, NULL) == PB_OK &&
            pb_doc_close_parse((const char *)env.payload, env.payload_len, NULL, &c, NULL) == PB_OK)
                memcpy(out, c.closed_at, PB_DOC_TIME_LEN + 1);
        pb_box_free(b);
        pb_buf_release(&doc);
        pb_seal_envelope_release(&env);
}

/* The voting period by the server's clock. */
static void test_period(void)
{
        char body[4096], out[65536], path[400], kiosk[PB_TOKEN_TEXT_LEN + 1], codes[4][32], end[21], at[21];
        int64_t start = wall + 3600, stop = wall + 7200;
        struct pb_box *b = NULL;

        manifest_of(body, sizeof(body), "timed", 45000000, start, stop);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        snprintf(path, sizeof(path), "%s/timed.db", fx.dir);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b)
                CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL), PB_OK);
        pb_box_free(b);
        CHECK_INT(call(&fx, "POST", "/v1/elections/timed/codes", fx.admin, "{\"count\":4}", out, sizeof(out)),
                  201);
        (void)fixture_take_codes(out, codes, 4);
        /* before the start: still a draft (the ticker opens it only at the start) */
        sleep(2);
        state_is("timed", "draft");
        /* opened ahead by hand: ballots still wait for the start */
        CHECK_INT(call(&fx, "POST", "/v1/elections/timed/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(cast("timed", codes[0], 1, out, sizeof(out), kiosk), 409);
        CHECK(strstr(out, "\"reason\":\"period_not_started\"") != NULL);
        set_wall(start);
        CHECK_INT(cast("timed", codes[0], 2, out, sizeof(out), kiosk), 201);
        set_wall(stop - 1);
        CHECK_INT(cast("timed", codes[1], 3, out, sizeof(out), kiosk), 201);
        /* at the end: refused at once, and closed by the server within a second or two */
        set_wall(stop);
        CHECK_INT(cast("timed", codes[2], 4, out, sizeof(out), kiosk), 409);
        CHECK(strstr(out, "\"reason\":\"period_over\"") != NULL);
        CHECK(wait_state("timed", "closed"));
        iso(stop, end);
        closed_at("timed", at);
        CHECK_STR(at, end); /* the close states the period's end */
        CHECK_INT(call(&fx, "POST", "/v1/elections/timed/tally", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/timed/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"ballots\":2,") != NULL);
        /* a draft whose period starts is opened by the server (it holds the office key) */
        start = test_wall() + 60;
        manifest_of(body, sizeof(body), "timed2", 45000000, start, start + 60);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, body, out, sizeof(out)), 201);
        sleep(2);
        state_is("timed2", "draft");
        set_wall(start);
        CHECK(wait_state("timed2", "open"));
        set_wall(start + 60);
        CHECK(wait_state("timed2", "closed"));
}

int main(void)
{
        fixture_wall = test_wall;
        if (sodium_init() < 0 || fixture_start(&fx, true) < 0) {
                fprintf(stderr, "cannot start the server\n");
                return 1;
        }
        RUN(test_put_delete);
        RUN(test_removed_file);
        RUN(test_period);
        fixture_stop(&fx);
        return check_summary("api-coordinator");
}
