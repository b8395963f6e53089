/**
 * @file Per-kiosk limits on a real server (docs/api.md, "Limits"), with a clock the test steps: a
 * device token casts a burst of 3 and then one per 10 s (429 with Retry-After, the code not spent);
 * a web frontend's kiosk token is not limited; failed voter codes slow a device down after 5 in a
 * row (2^(n-5) s) and lock it at 20, in the box, until it is unlocked; a good code resets the count.
 * A cast that stores nothing (a refused code or ballot) does not count against the cast rate: one
 * resident's typing mistakes never make the next one wait (issue 12).
 */
#include <cjson/cJSON.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "check.h"

static struct fixture fx;
static uint64_t now_ms = 1000000;
static char codes[64][32];
static int next_code;
static unsigned sid;
#define N_MANY 400
#define PB_KIOSK_BACKOFF_AFTER_TEST 5 /* failed codes in a row before the back-off (api_int.h) */
static char many[N_MANY][PB_TOKEN_TEXT_LEN + 1];

static uint64_t test_clock(void)
{
        return __atomic_load_n(&now_ms, __ATOMIC_SEQ_CST);
}

static void advance(uint64_t ms)
{
        __atomic_add_fetch(&now_ms, ms, __ATOMIC_SEQ_CST);
}

/* Cast with @token: the code @code (NULL: a well-formed code never issued).  The status. */
static int cast(const char *token, const char *code, char *out, size_t cap)
{
        char body[256];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                 code ? code : "0410-6105-0R3G-G28A-B", ++sid);
        return call(&fx, "POST", "/v1/elections/kio/ballots", token, body, out, cap);
}

struct flags_of {
        const char *id;
        unsigned flags;
};

static pb_err each_token(void *ctx, const char *id, enum pb_role role, const char *label, bool revoked,
                         unsigned flags, const struct pb_contest_set *contests)
{
        struct flags_of *c = ctx;

        (void)contests;

        (void)role;
        (void)label;
        (void)revoked;
        if (!strcmp(id, c->id))
                c->flags = flags;
        return PB_OK;
}

/* The token's flags as the box stores them, through a connection of its own (as the CLI's). */
static unsigned token_flags(const char *id)
{
        struct flags_of c = { id, 0 };
        struct pb_box *b = NULL;
        char path[400];

        snprintf(path, sizeof(path), "%s/kio.db", fx.dir);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b)
                CHECK_INT(pb_box_token_list(b, each_token, &c, NULL), PB_OK);
        pb_box_free(b);
        return c.flags;
}

int main(void)
{
        char manifest[2048], out[65536], path[400];
        char device[PB_TOKEN_TEXT_LEN + 1], device2[PB_TOKEN_TEXT_LEN + 1], device3[PB_TOKEN_TEXT_LEN + 1];
        char device4[PB_TOKEN_TEXT_LEN + 1];
        char frontend[PB_TOKEN_TEXT_LEN + 1], id2[PB_TOKEN_ID_LEN + 1];
        struct pb_box *b = NULL;
        int n = 0;

        fixture_clock = test_clock;
        if (fixture_start(&fx, true) < 0)
                return 1;
        snprintf(manifest, sizeof(manifest), fixture_manifest, "kio", "kio");
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        snprintf(path, sizeof(path), "%s/kio.db", fx.dir);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (!b)
                goto out;
        CHECK_INT(
                pb_box_token_create_flags(b, PB_ROLE_KIOSK, "library 1", PB_TOKEN_DEVICE, device, NULL, NULL),
                PB_OK);
        CHECK_INT(
                pb_box_token_create_flags(b, PB_ROLE_KIOSK, "library 2", PB_TOKEN_DEVICE, device2, id2, NULL),
                PB_OK);
        CHECK_INT(pb_box_token_create_flags(b, PB_ROLE_KIOSK, "library 3", PB_TOKEN_DEVICE, device3, NULL,
                                            NULL),
                  PB_OK);
        CHECK_INT(pb_box_token_create_flags(b, PB_ROLE_KIOSK, "library 4", PB_TOKEN_DEVICE, device4, NULL,
                                            NULL),
                  PB_OK);
        CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "web", frontend, NULL, NULL), PB_OK);
        /* only a kiosk token can be a device's */
        CHECK_INT(pb_box_token_create_flags(b, PB_ROLE_AUDITOR, "x", PB_TOKEN_DEVICE, out, NULL, NULL),
                  PB_ERR_INVALID);
        pb_box_free(b);
        b = NULL;
        CHECK_INT(call(&fx, "POST", "/v1/elections/kio/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/kio/codes", fx.admin, "{\"count\":64}", out, sizeof(out)),
                  201);
        n = fixture_take_codes(out, codes, 64);
        CHECK_INT(n, 64);

        /* a device: a burst of 3, then one per 10 s; the refused code is not spent */
        for (int i = 0; i < 3; i++)
                CHECK_INT(cast(device, codes[next_code++], out, sizeof(out)), 201);
        CHECK_INT(cast(device, codes[next_code], out, sizeof(out)), 429);
        CHECK_INT(http_last_retry_after, 10);
        CHECK(strstr(out, "faster than voters") != NULL);
        advance(9000);
        CHECK_INT(cast(device, codes[next_code], out, sizeof(out)), 429);
        CHECK_INT(http_last_retry_after, 1);
        advance(1000);
        CHECK_INT(cast(device, codes[next_code++], out, sizeof(out)), 201);
        CHECK_INT(cast(device, codes[next_code], out, sizeof(out)), 429);

        /* a web frontend's kiosk token: no per-kiosk limits */
        for (int i = 0; i < 10; i++)
                CHECK_INT(cast(frontend, codes[next_code++], out, sizeof(out)), 201);

        /* failed codes: 5 in a row are answered as they are; then 2^(n-5) s of back-off */
        for (int f = 1; f <= 5; f++) {
                advance(10000); /* the bucket is never what stops it here */
                CHECK_INT(cast(device2, NULL, out, sizeof(out)), 403);
        }
        CHECK_INT(cast(device2, codes[next_code], out, sizeof(out)), 429); /* even a good code */
        CHECK_INT(http_last_retry_after, 1);
        CHECK(strstr(out, "failed voter codes") != NULL);
        for (int f = 6; f <= 19; f++) {
                uint64_t backoff = 1000ull << (f - 1 - 5);
                advance(backoff > 10000 ? backoff : 10000);
                CHECK_INT(cast(device2, NULL, out, sizeof(out)), 403);
                CHECK_INT(cast(device2, NULL, out, sizeof(out)), 429); /* at once: still waiting */
                CHECK_INT(http_last_retry_after, (unsigned)(1u << (f - 5)));
        }
        CHECK_INT(token_flags(id2), PB_TOKEN_DEVICE);
        /* the 20th locks it, in the box: even a good code is refused, with or without waiting */
        advance(1000ull << 14);
        CHECK_INT(cast(device2, NULL, out, sizeof(out)), 403);
        CHECK_INT(token_flags(id2), PB_TOKEN_DEVICE | PB_TOKEN_LOCKED);
        CHECK_INT(cast(device2, codes[next_code], out, sizeof(out)), 403);
        CHECK(strstr(out, "locked") != NULL);
        advance(1000ull << 20);
        CHECK_INT(cast(device2, codes[next_code], out, sizeof(out)), 403);
        /* a poll worker has it unlocked (pbvote token unlock): within the token cache's 10 s it casts,
         * and its count starts again */
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b)
                CHECK_INT(pb_box_token_set_locked(b, id2, false, NULL), PB_OK);
        pb_box_free(b);
        b = NULL;
        CHECK_INT(token_flags(id2), PB_TOKEN_DEVICE);
        advance(11000);
        CHECK_INT(cast(device2, codes[next_code++], out, sizeof(out)), 201);
        advance(10000);
        CHECK_INT(cast(device2, NULL, out, sizeof(out)), 403);
        advance(10000);
        CHECK_INT(cast(device2, codes[next_code++], out, sizeof(out)), 201);

        /* a good code resets the count: 4 failures, a vote, 4 failures: never a back-off */
        for (int round = 0; round < 2; round++) {
                for (int f = 0; f < 4; f++) {
                        advance(10000);
                        CHECK_INT(cast(device3, NULL, out, sizeof(out)), 403);
                }
                advance(10000);
                CHECK_INT(cast(device3, codes[next_code++], out, sizeof(out)), 201);
        }
        /* issue 12: a resident mistypes a code three times (the page catches typing mistakes; these
         * are well-formed codes never issued) and sends a ballot that breaks a rule; nothing is
         * stored, so nothing of the cast rate is spent: the next resident votes at once, three
         * times in a row, as a fresh kiosk would.  Before, the three failures spent the burst and
         * the next resident waited 10 s (429). */
        for (int f = 0; f < 3; f++)
                CHECK_INT(cast(device4, NULL, out, sizeof(out)), 403);
        {
                char body[256];
                snprintf(body, sizeof(body),
                         "{\"ballot\":{\"approvals\":[\"p1\",\"p2\",\"p3\"]},\"code\":\"%s\","
                         "\"submission_id\":\"%032x\"}",
                         codes[next_code], ++sid);
                CHECK_INT(call(&fx, "POST", "/v1/elections/kio/ballots", device4, body, out, sizeof(out)),
                          422);
        }
        for (int i = 0; i < 3; i++)
                CHECK_INT(cast(device4, codes[next_code++], out, sizeof(out)), 201);
        CHECK_INT(cast(device4, codes[next_code], out, sizeof(out)), 429); /* the rate still holds */

        /* every kiosk keeps its own count, however many there are (issue 11: in a table of 4,096
         * slots, two of 144 device tokens shared one and reset each other's failures).  N_MANY
         * kiosks fail 5 codes each, in turns; then each one is in its back-off.  With 400 of them,
         * a table of 4,096 slots has a shared slot but for a chance of about 3e-9. */
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        for (int i = 0; b && i < N_MANY; i++)
                CHECK_INT(pb_box_token_create_flags(b, PB_ROLE_KIOSK, "many", PB_TOKEN_DEVICE, many[i], NULL,
                                                    NULL),
                          PB_OK);
        pb_box_free(b);
        b = NULL;
        for (int round = 0; round < PB_KIOSK_BACKOFF_AFTER_TEST; round++) {
                advance(10000);
                for (int i = 0; i < N_MANY; i++)
                        CHECK_INT(cast(many[i], NULL, out, sizeof(out)), 403);
        }
        {
                int in_backoff = 0;
                for (int i = 0; i < N_MANY; i++)
                        in_backoff += cast(many[i], codes[next_code], out, sizeof(out)) == 429 &&
                                      strstr(out, "failed voter codes") != NULL;
                CHECK_INT(in_backoff, N_MANY);
        }

        /* nothing above spent a code it did not accept */
        CHECK_INT(call(&fx, "GET", "/v1/elections/kio/turnout", NULL, NULL, out, sizeof(out)), 200);
        {
                char want[64];
                snprintf(want, sizeof(want), "\"codes_spent\":%d", next_code);
                CHECK(strstr(out, want) != NULL);
        }
out:
        fixture_stop(&fx);
        return check_summary("api-kiosk");
}
