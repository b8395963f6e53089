/**
 * @file POST /v1/elections/{id}/codes/contests (docs/api.md, "Contests"), with a clock the test
 * steps: an unspent code answers the contests it is for, in the manifest's order (a vote of
 * several contests, from the web without credentials and from a kiosk; a vote of one contest: its
 * own id); refusals code_malformed 400, code_unknown 403, code_spent 409, not_open 409 for a draft,
 * 401 without credentials where the web may not vote; nothing is spent (the code casts after).
 * Failed codes count against exactly the limits of a cast: per client address from the web (a
 * good code asked for does not forget them, unlike a cast that spends it) and per device token up
 * to its lock; a lookup never spends a kiosk's cast rate.
 */
#include <cjson/cJSON.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "check.h"

static struct fixture fx;
static uint64_t now_ms = 7000000;
static unsigned sid;
static char city_north[8][32], south_only[4][32], one[4][32];

/* a well-formed code never issued, and the same with its check symbol changed (malformed), made
 * with the engine's own encoder so that they follow its code format */
static char unissued[32], mistyped[32];
#define UNISSUED unissued

static const char manifest[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"metro\",\"title\":\"Metro\",\"currency\":\"EUR\","
        "\"scale\":2,\"batch_min\":4,\"web_voting\":true,\"contests\":["
        "{\"id\":\"city\",\"title\":\"City-wide\",\"optional\":true,\"budget\":100000,"
        "\"projects\":[{\"id\":\"c1\",\"name\":\"Tram\",\"cost\":60000},{\"id\":\"c2\",\"name\":\"Park\","
        "\"cost\":30000}],\"ballot\":{\"type\":\"approval\"},\"rule\":{\"name\":\"greedy\",\"tie_break\":"
        "\"lexico\"}},"
        "{\"id\":\"north\",\"title\":\"North\",\"budget\":3000,"
        "\"projects\":[{\"id\":\"n1\",\"name\":\"Bench\",\"cost\":2000}],\"ballot\":{\"type\":\"approval\"},"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"}},"
        "{\"id\":\"south\",\"title\":\"South\",\"budget\":5000,"
        "\"projects\":[{\"id\":\"s1\",\"name\":\"Square\",\"cost\":3000}],\"ballot\":{\"type\":\"approval\"},"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"}}]}";

static uint64_t test_clock(void)
{
        return __atomic_load_n(&now_ms, __ATOMIC_SEQ_CST);
}

static void advance(uint64_t ms)
{
        __atomic_add_fetch(&now_ms, ms, __ATOMIC_SEQ_CST);
}

/* POST .../codes/contests of @election with @code (NULL: one never issued) in-process from
 * @client (NULL: over HTTP with @token). */
static int ask(const char *election, const char *token, const char *client, const char *code, char *out,
               size_t cap)
{
        char path[128], body[256];

        snprintf(path, sizeof(path), "/v1/elections/%s/codes/contests", election);
        snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code ? code : UNISSUED);
        if (!client)
                return call(&fx, "POST", path, token, body, out, cap);
        return fixture_post_from(&fx, client, path, body, out, cap, NULL);
}

/* A web cast of metro in-process from @client: a north ballot (and a city one) with @code. */
static int web_cast(const char *client, const char *code, char *out, size_t cap)
{
        char body[256];

        snprintf(body, sizeof(body),
                 "{\"ballots\":{\"city\":{\"approvals\":[\"c2\"]},\"north\":{\"approvals\":[\"n1\"]}},"
                 "\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                 code ? code : UNISSUED, ++sid);
        return fixture_post_from(&fx, client, "/v1/elections/metro/ballots", body, out, cap, NULL);
}

static void issue(const char *election, const char *body, char (*codes)[32], int n)
{
        static char out[1 << 16];
        char path[128];
        int k = 0;

        snprintf(path, sizeof(path), "/v1/elections/%s/codes", election);
        CHECK_INT(call(&fx, "POST", path, fx.admin, body, out, sizeof(out)), 201);
        k = fixture_take_codes(out, codes, n);
        CHECK_INT(k, n);
}

/* A device token (a kiosk's) of election @id, made in its box. */
static void device_token(const char *id, char out[PB_TOKEN_TEXT_LEN + 1])
{
        struct pb_box *b = NULL;
        char path[400];

        snprintf(path, sizeof(path), "%s/%s.db", fx.dir, id);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b)
                CHECK_INT(pb_box_token_create_flags(b, PB_ROLE_KIOSK, "kiosk", PB_TOKEN_DEVICE, out, NULL,
                                                    NULL),
                          PB_OK);
        pb_box_free(b);
}

static void setup(void)
{
        char m[2048], out[4096], kiosk[PB_TOKEN_TEXT_LEN + 1];

        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        /* a draft answers nothing about codes (its contests may still change), nor takes web votes */
        CHECK_INT(ask("metro", NULL, NULL, NULL, out, sizeof(out)), 401);
        device_token("metro", kiosk);
        CHECK_INT(ask("metro", kiosk, NULL, NULL, out, sizeof(out)), 409);
        CHECK(strstr(out, "\"reason\":\"not_open\"") != NULL);
        issue("metro", "{\"count\":8,\"contests\":[\"north\",\"city\"]}", city_north, 8);
        issue("metro", "{\"count\":4,\"contests\":[\"south\"]}", south_only, 4);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/open", fx.admin, NULL, out, sizeof(out)), 200);
        snprintf(m, sizeof(m), fixture_manifest, "solo", "solo");
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, m, out, sizeof(out)), 201);
        CHECK_INT(call(&fx, "POST", "/v1/elections/solo/open", fx.admin, NULL, out, sizeof(out)), 200);
        issue("solo", "{\"count\":4}", one, 4);
}

/* The answers and refusals; nothing is spent. */
static void answers(void)
{
        char out[4096];

        CHECK_INT(ask("metro", NULL, NULL, city_north[0], out, sizeof(out)), 200);
        CHECK_STR(out, "{\"contests\":[\"city\",\"north\"]}"); /* the manifest's order */
        CHECK_INT(ask("metro", NULL, NULL, south_only[0], out, sizeof(out)), 200);
        CHECK_STR(out, "{\"contests\":[\"south\"]}");
        /* forgiving as a cast: lower case, no dashes */
        {
                char lower[32];
                size_t k = 0;
                for (const char *p = city_north[1]; *p; p++)
                        if (*p != '-')
                                lower[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
                lower[k] = '\0';
                CHECK_INT(ask("metro", NULL, NULL, lower, out, sizeof(out)), 200);
                CHECK_STR(out, "{\"contests\":[\"city\",\"north\"]}");
        }
        CHECK_INT(ask("metro", NULL, NULL, mistyped, out, sizeof(out)), 400);
        CHECK(strstr(out, "\"reason\":\"code_malformed\"") != NULL && strstr(out, "$.code") != NULL);
        CHECK_INT(ask("metro", NULL, NULL, NULL, out, sizeof(out)), 403);
        CHECK(strstr(out, "\"reason\":\"code_unknown\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes/contests", NULL, "{\"code\":1}", out,
                       sizeof(out)),
                  400);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes/contests", NULL, "{}", out, sizeof(out)), 400);
        CHECK(strstr(out, "$.code") != NULL);
        /* a vote of one contest: its own id; without web voting only a kiosk token may ask */
        CHECK_INT(ask("solo", NULL, NULL, one[0], out, sizeof(out)), 401);
        {
                char kiosk[PB_TOKEN_TEXT_LEN + 1];
                device_token("solo", kiosk);
                CHECK_INT(ask("solo", kiosk, NULL, one[0], out, sizeof(out)), 200);
                CHECK_STR(out, "{\"contests\":[\"solo\"]}");
        }
        /* nothing spent: the asked code casts, and then it is spent */
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"codes_spent\":0") != NULL);
        CHECK_INT(web_cast("192.0.2.50", city_north[0], out, sizeof(out)), 201);
        CHECK_INT(ask("metro", NULL, NULL, city_north[0], out, sizeof(out)), 409);
        CHECK(strstr(out, "\"reason\":\"code_spent\"") != NULL);
}

/* The web's limit per address: failed lookups and failed casts are the same failures. */
static void web_limits(void)
{
        char out[4096];

        for (int f = 0; f < 3; f++)
                CHECK_INT(ask("metro", NULL, "192.0.2.7", NULL, out, sizeof(out)), 403);
        CHECK_INT(web_cast("192.0.2.7", NULL, out, sizeof(out)), 403);
        /* a good code asked for does not forget the failures (it stays unspent: asking it between
         * guesses would otherwise lift the limit) */
        CHECK_INT(ask("metro", NULL, "192.0.2.7", city_north[2], out, sizeof(out)), 200);
        CHECK_INT(ask("metro", NULL, "192.0.2.7", mistyped, out, sizeof(out)), 400); /* the 5th */
        CHECK_INT(ask("metro", NULL, "192.0.2.7", city_north[2], out, sizeof(out)), 429);
        CHECK(strstr(out, "\"reason\":\"rate_limited\"") != NULL);
        CHECK_INT(web_cast("192.0.2.7", city_north[2], out, sizeof(out)), 429);
        CHECK_INT(ask("metro", NULL, "192.0.2.8", city_north[2], out, sizeof(out)),
                  200); /* another address */
        advance(1000);
        /* a cast spends its code: that good code forgives the failures, as before */
        CHECK_INT(web_cast("192.0.2.7", city_north[2], out, sizeof(out)), 201);
        for (int f = 0; f < 5; f++)
                CHECK_INT(ask("metro", NULL, "192.0.2.7", NULL, out, sizeof(out)), 403);
        CHECK_INT(ask("metro", NULL, "192.0.2.7", NULL, out, sizeof(out)), 429);
        advance(60 * 1000);
}

/* A kiosk's device token: lookups never spend its cast rate; failed ones lock it at 20. */
static void kiosk_limits(void)
{
        char kiosk[PB_TOKEN_TEXT_LEN + 1], out[4096], body[256];

        snprintf(body, sizeof(body),
                 "{\"ballots\":{\"north\":{\"approvals\":[\"n1\"]}},\"code\":\"%s\","
                 "\"submission_id\":\"00000000000000000000000000000abc\"}",
                 unissued);
        device_token("metro", kiosk);
        for (int i = 0; i < 10; i++) /* more than the burst of 3 casts */
                CHECK_INT(ask("metro", kiosk, NULL, city_north[3], out, sizeof(out)), 200);
        for (int f = 1; f <= 20; f++) {
                advance(5 * 3600 * 1000); /* past every back-off (2^14 s at most here) */
                CHECK_INT(ask("metro", kiosk, NULL, NULL, out, sizeof(out)), 403);
                if (f == 5) { /* the back-off of a cast's failed codes */
                        CHECK_INT(ask("metro", kiosk, NULL, city_north[3], out, sizeof(out)), 429);
                        CHECK(strstr(out, "from this kiosk") != NULL);
                        advance(1000);
                        CHECK_INT(ask("metro", kiosk, NULL, city_north[3], out, sizeof(out)), 200);
                }
        }
        advance(5 * 3600 * 1000);
        CHECK_INT(ask("metro", kiosk, NULL, city_north[3], out, sizeof(out)), 403);
        CHECK(strstr(out, "\"reason\":\"kiosk_locked\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/ballots", kiosk, body, out, sizeof(out)), 403);
        CHECK(strstr(out, "\"reason\":\"kiosk_locked\"") != NULL);
}

static void make_codes(void)
{
        uint8_t bytes[PB_CODE_BYTES];
        struct pb_code c;
        size_t last;

        memset(bytes, 0x5a, sizeof(bytes));
        CHECK_INT(pb_code_from_bytes(bytes, sizeof(bytes), &c, NULL), PB_OK);
        CHECK(pb_code_print(&c, unissued, sizeof(unissued)) > 0);
        snprintf(mistyped, sizeof(mistyped), "%s", unissued);
        last = strlen(mistyped) - 1;
        mistyped[last] = mistyped[last] == '2' ? '3' : '2';
}

int main(void)
{
        fixture_clock = test_clock;
        make_codes();
        if (fixture_start(&fx, true) < 0)
                return 1;
        setup();
        answers();
        web_limits();
        kiosk_limits();
        fixture_stop(&fx);
        return check_summary("api-code-contests");
}
