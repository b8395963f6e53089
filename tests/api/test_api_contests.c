/**
 * @file A vote of three contests over HTTP (issue 14): a city-wide contest and two districts;
 * codes for each district with the city-wide contest, casts from concurrent kiosks with one
 * ballot per contest, every refusal of a contest with its reason and field (nothing stored, the
 * code not spent), turnout by contest while open, close, tally, the result of every contest,
 * export and `pbvote verify` of the bundle.  argv[1] = the pbvote binary.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <sodium.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "ballots/pb_receipt.h"
#include "check.h"

#define THREADS 4
#define PER_THREAD 6

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1], auditor[PB_TOKEN_TEXT_LEN + 1], north_kiosk[PB_TOKEN_TEXT_LEN + 1];
static char north[THREADS * PER_THREAD / 2 + 4][32], south[THREADS * PER_THREAD / 2 + 4][32];
static int statuses[THREADS * PER_THREAD];
static char receipts[THREADS * PER_THREAD][4096];

/* city (optional: a resident may vote only in the district), north, south */
static const char manifest[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"metro\",\"title\":{\"en\":\"Metro "
        "2026\",\"pl\":\"Metro\"},"
        "\"currency\":\"EUR\",\"scale\":2,\"batch_min\":4,\"contests\":["
        "{\"id\":\"city\",\"title\":\"City-wide\",\"optional\":true,\"budget\":10000000,"
        "\"projects\":[{\"id\":\"c1\",\"name\":\"Tram\",\"cost\":6000000},"
        "{\"id\":\"c2\",\"name\":\"Library\",\"cost\":5000000},{\"id\":\"c3\",\"name\":\"Park\",\"cost\":"
        "3000000}],"
        "\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\",\"tie_break\":"
        "\"lexico\"}},"
        "{\"id\":\"north\",\"title\":\"North\",\"budget\":300000,"
        "\"projects\":[{\"id\":\"n1\",\"name\":\"Bench\",\"cost\":200000},{\"id\":\"n2\",\"name\":\"Lamp\","
        "\"cost\":"
        "100000},{\"id\":\"n3\",\"name\":\"Path\",\"cost\":150000}],"
        "\"ballot\":{\"type\":\"cumulative\",\"max_sum_points\":3},\"rule\":{\"name\":\"greedy\",\"tie_"
        "break\":"
        "\"file-order\"}},"
        "{\"id\":\"south\",\"title\":\"South\",\"budget\":500000,"
        "\"projects\":[{\"id\":\"s1\",\"name\":\"Square\",\"cost\":300000},{\"id\":\"s2\",\"name\":\"Bikes\","
        "\"cost\":250000}],"
        "\"ballot\":{\"type\":\"approval\"},\"rule\":{\"name\":\"equalshares\",\"tie_break\":\"lexico\"}}]}";

/* Voter i: even ones live in the north, odd ones in the south; every third skips the city. */
static void *caster(void *arg)
{
        long t = (long)arg;

        for (int k = 0; k < PER_THREAD; k++) {
                int i = (int)t * PER_THREAD + k;
                char body[512], city[64] = "";

                if (i % 3 != 2)
                        snprintf(city, sizeof(city), "\"city\":{\"approvals\":[%s]},",
                                 i % 2 ? "\"c2\",\"c3\"" : "\"c1\"");
                if (i % 2 == 0)
                        snprintf(
                                body, sizeof(body),
                                "{\"ballots\":{%s\"north\":{\"points\":{\"n1\":2,\"n2\":1}}},\"code\":\"%s\","
                                "\"submission_id\":\"%032x\"}",
                                city, north[i / 2], (unsigned)(i + 1));
                else
                        snprintf(body, sizeof(body),
                                 "{\"ballots\":{%s\"south\":{\"approvals\":[\"s%d\"]}},\"code\":\"%s\","
                                 "\"submission_id\":\"%032x\"}",
                                 city, 1 + i % 4 / 2, south[i / 2], (unsigned)(i + 1));
                statuses[i] = call(&fx, "POST", "/v1/elections/metro/ballots", kiosk, body, receipts[i],
                                   sizeof(receipts[i]));
        }
        return NULL;
}

static void create_and_open(void)
{
        char out[65536], path[400];
        struct pb_box *b = NULL;
        const int want = THREADS * PER_THREAD / 2 + 4;

        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        snprintf(path, sizeof(path), "%s/metro.db", fx.dir);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b) {
                CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL), PB_OK);
                CHECK_INT(pb_box_token_create(b, PB_ROLE_AUDITOR, "a", auditor, NULL, NULL), PB_OK);
                /* the north district office's kiosk: north and city-wide ballots only */
                {
                        static const char *const nc[2] = { "north", "city" }, *const bad[1] = { "west" };
                        char tmp[PB_TOKEN_TEXT_LEN + 1];
                        struct pb_diag d;
                        CHECK_INT(pb_box_token_create_for(b, PB_ROLE_KIOSK, "north office", 0, nc, 2,
                                                          north_kiosk, NULL, NULL),
                                  PB_OK);
                        CHECK_INT(pb_box_token_create_for(b, PB_ROLE_KIOSK, "x", 0, bad, 1, tmp, NULL, &d),
                                  PB_ERR_INVALID);
                        CHECK_STR(d.path, "$.contests[0]");
                        CHECK_INT(pb_box_token_create_for(b, PB_ROLE_AUDITOR, "x", 0, nc, 1, tmp, NULL, &d),
                                  PB_ERR_INVALID);
                }
                pb_box_free(b);
        }
        /* codes must name their contests, each one of the vote, once */
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin, "{\"count\":2}", out, sizeof(out)),
                  422);
        CHECK(strstr(out, "\"field\":\"$.contests\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin,
                       "{\"contests\":[\"city\",\"west\"],\"count\":2}", out, sizeof(out)),
                  422);
        CHECK(strstr(out, "\"field\":\"$.contests[1]\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin,
                       "{\"contests\":[\"north\",\"north\"],\"count\":2}", out, sizeof(out)),
                  422);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin, "{\"contests\":[],\"count\":2}",
                       out, sizeof(out)),
                  422);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin, "{\"contests\":[3],\"count\":2}",
                       out, sizeof(out)),
                  400);
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"codes_issued\":0") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"contests\":[{\"ballot\":") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin,
                       "{\"contests\":[\"city\",\"north\"],\"count\":16}", out, sizeof(out)),
                  201);
        CHECK_INT(fixture_take_codes(out, north, want), want);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/codes", fx.admin,
                       "{\"contests\":[\"south\",\"city\"],\"count\":16}", out, sizeof(out)),
                  201);
        CHECK_INT(fixture_take_codes(out, south, want), want);
}

/* A submission @ballots (the member's value) with code @code: its status, the answer in @out. */
static int submit(const char *ballots, const char *code, unsigned sid, char *out, size_t cap)
{
        char body[1024];

        snprintf(body, sizeof(body), "{%s,\"code\":\"%s\",\"submission_id\":\"%032x\"}", ballots, code, sid);
        return call(&fx, "POST", "/v1/elections/metro/ballots", kiosk, body, out, cap);
}

/* Issue 14's "Bad input": each refused with a reason and a field path, nothing stored, the code not
 * spent. */
static void refusals(void)
{
        const char *code = north[THREADS * PER_THREAD / 2];
        char out[4096], before[4096], after[4096];

        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/turnout", NULL, NULL, before, sizeof(before)), 200);
        /* a contest the code does not allow */
        CHECK_INT(submit("\"ballots\":{\"north\":{\"points\":{\"n1\":1}},\"south\":{\"approvals\":[]}}", code,
                         900, out, sizeof(out)),
                  403);
        CHECK(strstr(out, "\"reason\":\"contest_not_allowed\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"south\\\"]\"") != NULL);
        /* a missing contest the code is for and may not be skipped */
        CHECK_INT(submit("\"ballots\":{\"city\":{\"approvals\":[\"c1\"]}}", code, 901, out, sizeof(out)),
                  422);
        CHECK(strstr(out, "\"reason\":\"contest_missing\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"north\\\"]\"") != NULL);
        /* a contest the vote does not hold */
        CHECK_INT(submit("\"ballots\":{\"west\":{\"approvals\":[]}}", code, 902, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"reason\":\"contest_unknown\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots\"") != NULL);
        /* a ballot that breaks its contest's rules: the contest's field */
        CHECK_INT(submit("\"ballots\":{\"north\":{\"points\":{\"n1\":4}}}", code, 903, out, sizeof(out)),
                  422);
        CHECK(strstr(out, "\"reason\":\"too_many_points\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"north\\\"].points\"") != NULL);
        CHECK_INT(submit("\"ballots\":{\"north\":{\"points\":{\"s1\":1}}}", code, 904, out, sizeof(out)),
                  422);
        CHECK(strstr(out, "\"reason\":\"unknown_project\"") != NULL);
        /* the one-contest form, and both forms at once */
        CHECK_INT(submit("\"ballot\":{\"approvals\":[\"c1\"]}", code, 905, out, sizeof(out)), 400);
        CHECK(strstr(out, "\"reason\":\"ballot_malformed\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballot\"") != NULL);
        CHECK_INT(submit("\"ballot\":{\"approvals\":[]},\"ballots\":{}", code, 906, out, sizeof(out)), 400);
        CHECK_INT(submit("\"ballots\":{}", code, 907, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"reason\":\"contest_missing\"") != NULL);
        /* a code of another vote (the demo's shape: well formed, never issued here) */
        CHECK_INT(submit("\"ballots\":{\"north\":{\"points\":{\"n1\":1}}}", "0000-0000-0000-0000-0", 908, out,
                         sizeof(out)) /
                          100,
                  4);
        /* nothing stored, nothing spent, the refusals counted */
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/turnout", NULL, NULL, after, sizeof(after)), 200);
        CHECK(strstr(after, "\"ballots\":0,") != NULL);
        CHECK(strstr(after, "\"codes_spent\":0") != NULL);
        CHECK(strstr(after, "\"by_contest\":{\"city\":0,\"north\":0,\"south\":0}") != NULL);
        /* the north office's kiosk takes no south ballot, whatever the code */
        {
                char body[512];
                snprintf(
                        body, sizeof(body),
                        "{\"ballots\":{\"south\":{\"approvals\":[\"s1\"]}},\"code\":\"%s\",\"submission_id\":"
                        "\"%032x\"}",
                        south[THREADS * PER_THREAD / 2], 910u);
                CHECK_INT(
                        call(&fx, "POST", "/v1/elections/metro/ballots", north_kiosk, body, out, sizeof(out)),
                        403);
                CHECK(strstr(out, "\"reason\":\"contest_not_allowed\"") != NULL);
                CHECK(strstr(out, "\"field\":\"$.ballots[\\\"south\\\"]\"") != NULL);
                CHECK(strstr(out, "kiosk") != NULL);
        }
        /* the refused code still votes, at the north office's kiosk */
        {
                char body[512];
                snprintf(body, sizeof(body),
                         "{\"ballots\":{\"north\":{\"points\":{\"n3\":3}}},\"code\":\"%s\",\"submission_id\":"
                         "\"%032x\"}",
                         code, 909u);
                CHECK_INT(
                        call(&fx, "POST", "/v1/elections/metro/ballots", north_kiosk, body, out, sizeof(out)),
                        201);
        }
}

static void cast_concurrently(void)
{
        pthread_t th[THREADS];
        char out[4096];
        int city = 0;

        for (long t = 0; t < THREADS; t++)
                pthread_create(&th[t], NULL, caster, (void *)t);
        for (int t = 0; t < THREADS; t++)
                pthread_join(th[t], NULL);
        for (int i = 0; i < THREADS * PER_THREAD; i++) {
                struct pb_receipt_info info;
                CHECK_INT(statuses[i], 201);
                CHECK_INT(pb_receipt_check(receipts[i], strlen(receipts[i]), &fx.engine.pub, "metro", NULL,
                                           &info, NULL),
                          PB_OK);
                city += i % 3 != 2;
        }
        /* counts only, by contest: the refusals' one north ballot, then 12 north, 12 south */
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/turnout", NULL, NULL, out, sizeof(out)), 200);
        {
                char want[128];
                snprintf(want, sizeof(want), "\"by_contest\":{\"city\":%d,\"north\":%d,\"south\":%d}", city,
                         THREADS * PER_THREAD / 2 + 1, THREADS * PER_THREAD / 2);
                CHECK(strstr(out, want) != NULL);
        }
        CHECK(strstr(out, "\"c1\"") == NULL && strstr(out, "\"n1\"") == NULL);
        /* the counts reconcile: by channel and by kiosk to the ballots (every ballot here came
         * through a kiosk token: the general one and the north office's) */
        {
                cJSON *j = cJSON_Parse(out), *x;
                double ballots = j ? cJSON_GetObjectItem(j, "ballots")->valuedouble : -1, kiosks = 0,
                       channels = 0;
                int n_kiosks = 0;

                for (x = j ? cJSON_GetObjectItem(j, "by_kiosk")->child : NULL; x; x = x->next, n_kiosks++)
                        kiosks += x->valuedouble;
                for (x = j ? cJSON_GetObjectItem(j, "by_channel")->child : NULL; x; x = x->next)
                        channels += x->valuedouble;
                CHECK_INT(n_kiosks, 2);
                CHECK_INT((long long)kiosks, (long long)ballots);
                CHECK_INT((long long)channels, (long long)ballots);
                CHECK_INT((long long)ballots, THREADS * PER_THREAD + 1);
                cJSON_Delete(j);
        }
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/tally", fx.admin, NULL, out, sizeof(out)), 409);
}

static void close_tally_export(const char *pbvote)
{
        char out[65536];

        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/metro/tally", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/metro/result", NULL, NULL, out, sizeof(out)), 200);
        {
                /* every contest's outcome is in the signed result */
                cJSON *j = cJSON_Parse(out), *env = j ? cJSON_GetObjectItem(j, "result") : NULL;
                const char *p64 = env ? cJSON_GetStringValue(cJSON_GetObjectItem(env, "payload")) : NULL;
                static unsigned char payload[65536];
                size_t n = 0;

                CHECK(p64 && sodium_base642bin(payload, sizeof(payload) - 1, p64, strlen(p64), NULL, &n, NULL,
                                               sodium_base64_VARIANT_ORIGINAL) == 0);
                payload[n] = '\0';
                CHECK(strstr((char *)payload, "\"tally\":{\"contests\":{\"city\":{") != NULL);
                CHECK(strstr((char *)payload, "\"north\":{") && strstr((char *)payload, "\"south\":{"));
                CHECK(strstr((char *)payload, "\"by_contest\":{\"city\":") != NULL);
                cJSON_Delete(j);
        }
        CHECK(fixture_export(&fx, "metro", auditor, "bundle.tar"));
        CHECK_INT(fixture_sh(&fx, "cat verify.out",
                             "'%s' verify bundle.tar --allow-uncertified --expect-election metro > "
                             "verify.out 2>&1 "
                             "&& grep -c '^contest: ' verify.out | grep -qx 3 && "
                             "grep -q '^contest:   \"north\" \"North\"' verify.out",
                             pbvote),
                  0);
}

int main(int argc, char **argv)
{
        static char pbvote[PATH_MAX];

        if (fixture_start_with_pbvote(&fx, argc, argv, pbvote, "test-api-contests") < 0)
                return 1;
        RUN(create_and_open);
        RUN(refusals);
        RUN(cast_concurrently);
        close_tally_export(pbvote);
        fixture_stop(&fx);
        return check_summary("api-contests");
}
