/**
 * @file Voting from home with the voter code alone (issue 12, docs/api.md "Limits"), with a clock
 * the test steps: an election whose manifest allows web voting takes a ballot without credentials,
 * counted in channel "web" (the turnout, the signed close statement and result); one that does not
 * answers 401 as before; failed voter codes slow an address down after 5 in a row (2^(n-5) s,
 * never a lock) without touching other addresses, and a good code forgets them; failed codes from
 * all addresses together are limited (600 at once, then 10 a second); kiosk tokens still cast as
 * before (channel electronic).  Over HTTP for one address, in-process for many.
 */
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "api/api_int.h"
#include "api_fixture.h"
#include "check.h"

static struct fixture fx;
static uint64_t now_ms = 5000000;
static char codes[700][32];
static int n_codes, next_code;
static unsigned sid;
static unsigned last_retry;

static uint64_t test_clock(void)
{
        return __atomic_load_n(&now_ms, __ATOMIC_SEQ_CST);
}

static void advance(uint64_t ms)
{
        __atomic_add_fetch(&now_ms, ms, __ATOMIC_SEQ_CST);
}

/* A web cast in-process from @client with @code (NULL: well-formed, never issued): its status. */
static unsigned web_cast(const char *election, const char *client, const char *code, char *out, size_t cap)
{
        char path[96], body[256];

        snprintf(path, sizeof(path), "/v1/elections/%s/ballots", election);
        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                 code ? code : "0410-6105-0R3G-G28A-B", ++sid);
        return (unsigned)fixture_post_from(&fx, client, path, body, out, cap, &last_retry);
}

static void create(const char *id, bool web)
{
        char manifest[2048], out[8192], path[128];
        size_t n;

        snprintf(manifest, sizeof(manifest), fixture_manifest, id, id);
        if (web) { /* "web_voting": true, before the closing brace */
                n = strlen(manifest);
                snprintf(manifest + n - 1, sizeof(manifest) - n + 1, ",\"web_voting\":true}");
        }
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        snprintf(path, sizeof(path), "/v1/elections/%s/open", id);
        CHECK_INT(call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out)), 200);
}

static void issue(const char *id, int count)
{
        static char out[1 << 20];
        char path[128], body[64];

        snprintf(path, sizeof(path), "/v1/elections/%s/codes", id);
        snprintf(body, sizeof(body), "{\"count\":%d}", count);
        CHECK_INT(call(&fx, "POST", path, fx.admin, body, out, sizeof(out)), 201);
        n_codes += fixture_take_codes(out, codes + n_codes, 700 - n_codes);
}

static int http_cast(const char *id, const char *token, const char *code, char *out, size_t cap)
{
        char path[128], body[256];

        snprintf(path, sizeof(path), "/v1/elections/%s/ballots", id);
        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p2\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}", code,
                 ++sid);
        return call(&fx, "POST", path, token, body, out, cap);
}

/*
 * GET .../receipts/{short_code} (issue 13): the receipt @receipt_json names is found by its short
 * code as printed and as typed (lower case, a dash), with the same proof as by its commitment; an
 * unknown short code is 404, a malformed one no route (404 as well).
 */
static void short_code_lookup(const char *receipt_json)
{
        static char out[1 << 16], by_commitment[1 << 16];
        char path[160], typed[16], want[96];
        cJSON *j = cJSON_Parse(receipt_json);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "receipt");
        const char *sc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "short_code"));
        const char *cm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "commitment"));

        CHECK(sc && cm && strlen(sc) == 10 && strlen(cm) == 64);
        if (!sc || !cm || strlen(sc) != 10)
                goto out;
        snprintf(path, sizeof(path), "/v1/elections/webv/receipts/%s", cm);
        CHECK_INT(call(&fx, "GET", path, NULL, NULL, by_commitment, sizeof(by_commitment)), 200);
        snprintf(want, sizeof(want), "\"commitment\":\"%s\"", cm);
        snprintf(typed, sizeof(typed), "%.5s-%s", sc, sc + 5);
        for (char *p = typed; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        for (int k = 0; k < 2; k++) {
                snprintf(path, sizeof(path), "/v1/elections/webv/receipts/%s", k ? typed : sc);
                CHECK_INT(call(&fx, "GET", path, NULL, NULL, out, sizeof(out)), 200);
                CHECK(strstr(out, want) != NULL);
                /* the same answer as by the commitment, with the commitment added */
                {
                        char *at = strstr(out, want);
                        char rest[1 << 16];
                        if (at) {
                                snprintf(rest, sizeof(rest), "%.*s%s", (int)(at - out), out,
                                         at + strlen(want) + 1);
                                CHECK_STR(rest, by_commitment);
                        }
                }
        }
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv/receipts/0000000000", NULL, NULL, out, sizeof(out)),
                  404);
        CHECK(strstr(out, "no ballot has this short code") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv/receipts/000000000", NULL, NULL, out, sizeof(out)),
                  404);
out:
        cJSON_Delete(j);
}

/*
 * GET /v1/elections/{id} says "legacy_codes": true only for a box that issued codes with the mod-37
 * check before issue 13 (docs/integrity.md, departure 14), so that the pages read them too: a box
 * made now has none; one whose counter says it has (as schema 7's migration writes it) does.
 */
static void legacy_flag(void)
{
        char out[8192], db[320];
        sqlite3 *h = NULL;

        CHECK_INT(call(&fx, "GET", "/v1/elections/kio", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "legacy_codes") == NULL);
        snprintf(db, sizeof(db), "%s/kio.db", fx.dir);
        CHECK(sqlite3_open(db, &h) == SQLITE_OK &&
              sqlite3_exec(h, "UPDATE counts SET n = 3 WHERE name = 'codes_legacy'", NULL, NULL, NULL) ==
                      SQLITE_OK &&
              sqlite3_changes(h) == 1);
        sqlite3_close(h);
        CHECK_INT(call(&fx, "GET", "/v1/elections/kio", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"legacy_codes\":true") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "legacy_codes") == NULL);
}

int main(void)
{
        static char out[1 << 16];
        char client[48];
        int over = 0;

        fixture_clock = test_clock;
        if (fixture_start(&fx, true) < 0)
                return 1;
        create("webv", true);
        create("kio", false);
        issue("webv", 680);
        CHECK_INT(n_codes, 680);
        legacy_flag();

        /* over HTTP, no credentials: taken in an election that allows it, 401 in one that does not */
        CHECK_INT(http_cast("webv", NULL, codes[next_code++], out, sizeof(out)), 201);
        CHECK(strstr(out, "\"short_code\"") != NULL);
        short_code_lookup(out);
        CHECK_INT(http_cast("kio", NULL, "0410-6105-0R3G-G28A-B", out, sizeof(out)), 401);
        CHECK(strstr(out, "bearer token") != NULL);
        CHECK_INT(http_cast("webv", "0000000000000000000000000000000000000000000000000000000000000000",
                            codes[next_code], out, sizeof(out)),
                  401); /* wrong credentials are still wrong: web voting is for none at all */
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"web\":1") != NULL && strstr(out, "\"electronic\":0") != NULL);

        /* one address: 5 failed codes in a row as they are, then 2^(n-5) s, never a lock */
        for (int f = 0; f < 5; f++)
                CHECK_INT(web_cast("webv", "192.0.2.1", NULL, out, sizeof(out)), 403);
        CHECK_INT(web_cast("webv", "192.0.2.1", codes[next_code], out, sizeof(out)), 429);
        CHECK(strstr(out, "\"reason\":\"rate_limited\"") != NULL);
        CHECK_INT(last_retry, 1);
        /* another address is not slowed down */
        CHECK_INT(web_cast("webv", "192.0.2.2", codes[next_code++], out, sizeof(out)), 201);
        advance(1000);
        CHECK_INT(web_cast("webv", "192.0.2.1", NULL, out, sizeof(out)), 403); /* the 6th: 2 s */
        CHECK_INT(web_cast("webv", "192.0.2.1", codes[next_code], out, sizeof(out)), 429);
        CHECK_INT(last_retry, 2);
        for (int f = 7; f <= 40; f++) { /* doubling to an hour at most; never locked */
                advance(3600 * 1000);
                CHECK_INT(web_cast("webv", "192.0.2.1", NULL, out, sizeof(out)), 403);
        }
        CHECK_INT(web_cast("webv", "192.0.2.1", codes[next_code], out, sizeof(out)), 429);
        CHECK_INT(last_retry, 3600);
        advance(3600 * 1000);
        /* a good code: the address starts afresh (5 more failures before it waits again) */
        CHECK_INT(web_cast("webv", "192.0.2.1", codes[next_code++], out, sizeof(out)), 201);
        for (int f = 0; f < 5; f++)
                CHECK_INT(web_cast("webv", "192.0.2.1", NULL, out, sizeof(out)), 403);
        CHECK_INT(web_cast("webv", "192.0.2.1", codes[next_code], out, sizeof(out)), 429);
        advance(60 * 1000); /* the overall allowance is whole again */

        /* every address together: 600 failures at once, from 600 addresses, then no web cast
         * until the allowance comes back (one failure per 100 ms); kiosks are not affected */
        for (int i = 0; i < 600; i++) {
                snprintf(client, sizeof(client), "198.51.%d.%d", i / 250, i % 250);
                CHECK_INT(web_cast("webv", client, NULL, out, sizeof(out)), 403);
        }
        over = (int)web_cast("webv", "203.0.113.9", codes[next_code], out, sizeof(out));
        CHECK_INT(over, 429);
        CHECK(strstr(out, "from the web") != NULL);
        advance(100);
        CHECK_INT(web_cast("webv", "203.0.113.9", codes[next_code++], out, sizeof(out)), 201);

        /* the turnout: web ballots apart; no code spent that was refused */
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv/turnout", NULL, NULL, out, sizeof(out)), 200);
        {
                char want[64];
                snprintf(want, sizeof(want), "\"codes_spent\":%d", next_code);
                CHECK(strstr(out, want) != NULL);
                snprintf(want, sizeof(want), "\"web\":%d", next_code);
                CHECK(strstr(out, want) != NULL);
        }
        /* the close statement and the result count them ("web" written only when there are some) */
        CHECK_INT(call(&fx, "POST", "/v1/elections/webv/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/webv/tally", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/webv/result", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"result\"") != NULL);
        fixture_stop(&fx);
        return check_summary("api-web");
}
