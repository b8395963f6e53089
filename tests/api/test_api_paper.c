/**
 * @file Paper ballots over HTTP (issue 14): an officer enters the papers of a vote of two contests
 * with POST .../paper.  The officer role only; the batch and the officer recorded in the CVR; a
 * contest's blank or spoiled paper counted in that contest's turnout, never in its tally; the
 * refusals (no batch, a bad batch, a kiosk's token, a contest the officer is not for) storing
 * nothing and spending no code; a retry answered with the same receipt.  argv[1] = the pbvote
 * binary.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <sodium.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "ballots/pb_receipt.h"
#include "check.h"

#define N_CODES 8

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1], auditor[PB_TOKEN_TEXT_LEN + 1], officer[PB_TOKEN_TEXT_LEN + 1],
        north_officer[PB_TOKEN_TEXT_LEN + 1], officer_id[PB_TOKEN_ID_LEN + 1];
static char codes[N_CODES][32];

/* city (optional), north; greedy by votes, so the tally's votes per project show what counted */
#define CONTESTS                                                                                             \
        "\"contests\":["                                                                                     \
        "{\"id\":\"city\",\"title\":\"City-wide\",\"optional\":true,\"budget\":100,"                         \
        "\"projects\":[{\"id\":\"c1\",\"name\":\"Tram\",\"cost\":60},{\"id\":\"c2\",\"name\":\"Library\","   \
        "\"cost\":50}],"                                                                                     \
        "\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\",\"tie_break\":"   \
        "\"lexico\"}},"                                                                                      \
        "{\"id\":\"north\",\"title\":\"North\",\"budget\":30,"                                               \
        "\"projects\":[{\"id\":\"n1\",\"name\":\"Bench\",\"cost\":20},{\"id\":\"n2\",\"name\":\"Lamp\","     \
        "\"cost\":10}],"                                                                                     \
        "\"ballot\":{\"type\":\"approval\"},\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"}}]"
static const char manifest[] = "{\"type\":\"pbvote.manifest/v1\",\"id\":\"papers\",\"title\":\"Papers 2026\","
                               "\"currency\":\"EUR\",\"scale\":0,\"batch_min\":1," CONTESTS "}";
/* the same vote, its papers keyed twice */
static const char manifest_twice[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"twice\",\"title\":\"Twice\","
        "\"currency\":\"EUR\",\"scale\":0,\"batch_min\":1,\"double_entry\":true," CONTESTS "}";

/* Create the election of @text over HTTP and open its box @id.db (for the tokens the API does not
 * make): NULL, after a failed check, when it does not open.  The caller frees it. */
static struct pb_box *create_election(const char *text, const char *id)
{
        char out[65536], path[400];
        struct pb_box *b = NULL;

        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, text, out, sizeof(out)), 201);
        snprintf(path, sizeof(path), "%s/%s.db", fx.dir, id);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        return b;
}

/* Issue N_CODES codes of election @id for city and north over HTTP, into @into. */
static void issue_codes(const char *id, char (*into)[32])
{
        char out[65536], path[128];
        int n = 0;

        snprintf(path, sizeof(path), "/v1/elections/%s/codes", id);
        CHECK_INT(call(&fx, "POST", path, fx.admin, "{\"contests\":[\"city\",\"north\"],\"count\":8}", out,
                       sizeof(out)),
                  201);
        n = fixture_take_codes(out, into, N_CODES);
        CHECK_INT(n, N_CODES);
}

static void setup(void)
{
        static const char *const north_only[1] = { "north" };
        char out[65536];
        struct pb_box *b = create_election(manifest, "papers");

        if (b) {
                CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL), PB_OK);
                CHECK_INT(pb_box_token_create(b, PB_ROLE_AUDITOR, "a", auditor, NULL, NULL), PB_OK);
                CHECK_INT(pb_box_token_create(b, PB_ROLE_OFFICER, "o", officer, officer_id, NULL), PB_OK);
                CHECK_INT(pb_box_token_create_for(b, PB_ROLE_OFFICER, "north desk", 0, north_only, 1,
                                                  north_officer, NULL, NULL),
                          PB_OK);
                pb_box_free(b);
        }
        CHECK_INT(call(&fx, "POST", "/v1/elections/papers/open", fx.admin, NULL, out, sizeof(out)), 200);
        issue_codes("papers", codes);
}

/* POST @route ("paper" or "ballots") with @token: {@members,"code":codes[@code],"submission_id":@sid}. */
static int enter(const char *route, const char *token, const char *members, int code, unsigned sid, char *out,
                 size_t cap)
{
        char body[1024], path[128];

        snprintf(body, sizeof(body), "{%s,\"code\":\"%s\",\"submission_id\":\"%032x\"}", members, codes[code],
                 sid);
        snprintf(path, sizeof(path), "/v1/elections/papers/%s", route);
        return call(&fx, "POST", path, token, body, out, cap);
}

/* Election "twice": officers a and b (tokens and ids), its codes. */
static char tw_a[PB_TOKEN_TEXT_LEN + 1], tw_b[PB_TOKEN_TEXT_LEN + 1], tw_north[PB_TOKEN_TEXT_LEN + 1],
        tw_a_id[PB_TOKEN_ID_LEN + 1], tw_b_id[PB_TOKEN_ID_LEN + 1];
static char tw_codes[N_CODES][32];

/* POST .../twice/paper with officer @token: {"batch":@batch,"ballots":{@ballots},"code":tw_codes[@code],...}. */
static int key_in(const char *token, const char *batch, const char *ballots, int code, unsigned sid,
                  char *out, size_t cap)
{
        char body[1024];

        snprintf(body, sizeof(body),
                 "{\"batch\":\"%s\",\"ballots\":{%s},\"code\":\"%s\",\"submission_id\":\"%032x\"}", batch,
                 ballots, code < 0 ? "0000-0000-0000-0000-0" : tw_codes[code], sid);
        return call(&fx, "POST", "/v1/elections/twice/paper", token, body, out, cap);
}

/* "twice"'s turnout holds @want. */
static void turnout_has(const char *want)
{
        char out[4096];

        CHECK_INT(call(&fx, "GET", "/v1/elections/twice/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, want) != NULL);
        if (!strstr(out, want))
                fprintf(stderr, "turnout %s lacks %s\n", out, want);
}

static void setup_twice(void)
{
        static const char *const north_only[1] = { "north" };
        char out[65536];
        struct pb_box *b = create_election(manifest_twice, "twice");

        if (b) {
                CHECK_INT(pb_box_token_create(b, PB_ROLE_OFFICER, "a", tw_a, tw_a_id, NULL), PB_OK);
                CHECK_INT(pb_box_token_create(b, PB_ROLE_OFFICER, "b", tw_b, tw_b_id, NULL), PB_OK);
                CHECK_INT(pb_box_token_create_for(b, PB_ROLE_OFFICER, "north", 0, north_only, 1, tw_north,
                                                  NULL, NULL),
                          PB_OK);
                pb_box_free(b);
        }
        CHECK_INT(call(&fx, "POST", "/v1/elections/twice/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "GET", "/v1/elections/twice", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"double_entry\":true") != NULL);
        issue_codes("twice", tw_codes);
        turnout_has("\"double_entry\":{\"differed\":0,\"held\":0}");
}

/* Double entry: nothing is cast until two officers key a paper alike. */
static void double_entry(void)
{
        static const char first[] = "\"city\":{\"approvals\":[\"c1\",\"c2\"]},\"north\":{\"blank\":true}";
        static const char alike[] = "\"north\":{\"blank\":true},\"city\":{\"approvals\":[\"c2\",\"c1\"]}";
        char out[4096], receipt[4096];

        /* a first entry is held: 202, nothing cast, the code not spent */
        CHECK_INT(key_in(tw_a, "B1", "\"north\":{\"approvals\":[\"n1\"]}", 0, 1, out, sizeof(out)), 202);
        CHECK_STR(out, "{\"batch\":\"B1\",\"entry\":\"first\",\"state\":\"awaiting_second_entry\"}");
        /* the same officer keys it again: replaced */
        CHECK_INT(key_in(tw_a, "B1", first, 0, 2, out, sizeof(out)), 202);
        CHECK(strstr(out, "\"entry\":\"first, replaced\"") != NULL);
        turnout_has("\"ballots\":0,");
        turnout_has("\"codes_spent\":0,\"double_entry\":{\"differed\":0,\"held\":1}");
        /* a second officer's entry that differs: refused, naming what differs; the first kept */
        CHECK_INT(key_in(tw_b, "B1", "\"city\":{\"approvals\":[\"c1\",\"c2\"]},\"north\":{\"spoiled\":true}",
                         0, 3, out, sizeof(out)),
                  409);
        CHECK(strstr(out, "\"reason\":\"entries_differ\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"north\\\"]\"") != NULL);
        CHECK_INT(key_in(tw_b, "B1", "\"city\":{\"approvals\":[\"c1\"]},\"north\":{\"blank\":true}", 0, 4,
                         out, sizeof(out)),
                  409);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"city\\\"]\"") != NULL);
        CHECK_INT(key_in(tw_b, "B1", "\"north\":{\"blank\":true}", 0, 5, out, sizeof(out)), 409);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"city\\\"]\"") != NULL);
        CHECK_INT(key_in(tw_b, "B2", first, 0, 6, out, sizeof(out)), 409);
        CHECK(strstr(out, "\"field\":\"$.batch\"") != NULL);
        turnout_has("\"ballots\":0,");
        turnout_has("\"codes_spent\":0,\"double_entry\":{\"differed\":4,\"held\":1}");
        /* alike (in another order): cast once, with both officers */
        CHECK_INT(key_in(tw_b, "B1", alike, 0, 7, receipt, sizeof(receipt)), 201);
        CHECK(strstr(receipt, "\"receipt\"") != NULL);
        turnout_has("\"ballots\":1,");
        turnout_has("\"codes_spent\":1,\"double_entry\":{\"differed\":4,\"held\":0}");
        turnout_has("\"by_contest\":{\"city\":1,\"north\":1}");
        /* a retry of the second entry gets its receipt; the first officer's entry again is a spent code */
        CHECK_INT(key_in(tw_b, "B1", alike, 0, 7, out, sizeof(out)), 200);
        CHECK_STR(out, receipt);
        CHECK_INT(key_in(tw_a, "B1", first, 0, 2, out, sizeof(out)), 409);
        CHECK(strstr(out, "\"reason\":\"code_spent\"") != NULL);
        /* an unknown code or a ballot that breaks its contest's rules is refused at once, never held */
        CHECK_INT(key_in(tw_a, "B1", "\"north\":{\"approvals\":[\"n1\"]}", -1, 8, out, sizeof(out)), 403);
        CHECK_INT(key_in(tw_a, "B1", "\"north\":{\"approvals\":[\"n9\"]}", 1, 9, out, sizeof(out)), 422);
        CHECK_INT(key_in(tw_a, "B1", "\"city\":{\"approvals\":[\"c1\"]},\"north\":{\"approvals\":[\"n1\"]}",
                         2, 10, out, sizeof(out)),
                  202);
        /* a desk's officer for the north only keys no city-wide ballot, first or second */
        CHECK_INT(key_in(tw_north, "B1",
                         "\"city\":{\"approvals\":[\"c1\"]},\"north\":{\"approvals\":[\"n1\"]}", 2, 11, out,
                         sizeof(out)),
                  403);
        CHECK(strstr(out, "\"reason\":\"contest_not_allowed\"") != NULL);
        turnout_has("\"ballots\":1,");
        turnout_has("\"double_entry\":{\"differed\":4,\"held\":1}");
        /* the north desk keys a north-only paper first, officer b second: cast */
        CHECK_INT(key_in(tw_north, "B3", "\"north\":{\"approvals\":[\"n2\"]}", 3, 12, out, sizeof(out)), 202);
        CHECK_INT(key_in(tw_b, "B3", "\"north\":{\"approvals\":[\"n2\"]}", 3, 13, out, sizeof(out)), 201);
        turnout_has("\"ballots\":2,");
        turnout_has("\"paper\":2");
}

/* Every refusal stores nothing and spends no code. */
static void refusals(void)
{
        static const char ok[] = "\"ballots\":{\"north\":{\"approvals\":[\"n1\"]}}";
        char out[4096], members[512];

        /* the officer role only, on this route; the officer casts no kiosk ballot */
        snprintf(members, sizeof(members), "\"batch\":\"B1\",%s", ok);
        CHECK_INT(enter("paper", kiosk, members, 0, 1, out, sizeof(out)), 403);
        CHECK_INT(enter("paper", auditor, members, 0, 2, out, sizeof(out)), 403);
        CHECK_INT(enter("paper", NULL, members, 0, 3, out, sizeof(out)), 401);
        CHECK_INT(enter("ballots", officer, ok, 0, 4, out, sizeof(out)), 403);
        /* no batch; a batch that is empty, too long, or has a quote or a control character */
        CHECK_INT(enter("paper", officer, ok, 0, 5, out, sizeof(out)), 400);
        CHECK(strstr(out, "\"field\":\"$.batch\"") != NULL);
        {
                static const char *const bad[] = { "\"\"", "\"a\\\"b\"", "\"a\\u0001b\"", "\"a\\\\b\"", "7",
                                                   /* 65 characters: one more than PB_CVR_BATCH_MAX */
                                                   ("\"12345678901234567890123456789012345678901234567890123"
                                                    "456789012345\"") };
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        snprintf(members, sizeof(members), "\"batch\":%s,%s", bad[i], ok);
                        CHECK_INT(enter("paper", officer, members, 0, 6 + (unsigned)i, out, sizeof(out)),
                                  400);
                        CHECK(strstr(out, "\"field\":\"$.batch\"") != NULL);
                }
        }
        /* the north desk's officer enters no city-wide paper, whatever the code */
        CHECK_INT(enter("paper", north_officer,
                        "\"batch\":\"B1\",\"ballots\":{\"city\":{\"approvals\":[\"c1\"]},\"north\":{"
                        "\"blank\":true}}",
                        0, 20, out, sizeof(out)),
                  403);
        CHECK(strstr(out, "\"reason\":\"contest_not_allowed\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"city\\\"]\"") != NULL);
        /* a mark is for paper only; a mark that is not true, or beside picks */
        {
                static const char *const marks[3][2] = {
                        { "ballots", "\"ballots\":{\"north\":{\"blank\":true}}" },
                        { "paper", "\"batch\":\"B1\",\"ballots\":{\"north\":{\"blank\":false}}" },
                        { "paper",
                          "\"batch\":\"B1\",\"ballots\":{\"north\":{\"approvals\":[],\"spoiled\":true}}" },
                };
                for (unsigned i = 0; i < 3; i++) {
                        CHECK_INT(enter(marks[i][0], i ? officer : kiosk, marks[i][1], 0, 21 + i, out,
                                        sizeof(out)),
                                  400);
                        CHECK(strstr(out, "\"reason\":\"ballot_malformed\"") != NULL);
                        CHECK(strstr(out, "\"field\":\"$.ballots[\\\"north\\\"]") != NULL);
                }
        }
        CHECK_INT(call(&fx, "GET", "/v1/elections/papers/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"ballots\":0,") != NULL);
        CHECK(strstr(out, "\"codes_spent\":0") != NULL);
}

/* Papers: picks, blank and spoiled contests, the one-contest "ballot" form refused for two
 * contests; a retry; then two kiosk ballots.  The tally counts picks only. */
static void papers(void)
{
        char out[4096], again[4096], first[4096];

        /* code 0: city c1, north blank (batch B1) */
        CHECK_INT(enter("paper", officer,
                        "\"batch\":\"B1\",\"ballots\":{\"city\":{\"approvals\":[\"c1\"]},\"north\":{"
                        "\"blank\":true}}",
                        0, 100, first, sizeof(first)),
                  201);
        /* code 1: city spoiled, north n1 (batch B1) */
        CHECK_INT(enter("paper", officer,
                        "\"batch\":\"B1\",\"ballots\":{\"city\":{\"spoiled\":true},\"north\":{\"approvals\":["
                        "\"n1\"]}}",
                        1, 101, out, sizeof(out)),
                  201);
        /* code 2: north only, spoiled (the city-wide contest may be skipped), batch B-2/x */
        CHECK_INT(enter("paper", north_officer,
                        "\"batch\":\"B-2/x\",\"ballots\":{\"north\":{\"spoiled\":true}}", 2, 102, out,
                        sizeof(out)),
                  201);
        /* a retry: the same receipt, byte for byte, whatever it carries */
        CHECK_INT(enter("paper", officer, "\"batch\":\"B9\",\"ballots\":{\"north\":{\"approvals\":[\"n2\"]}}",
                        0, 100, again, sizeof(again)),
                  200);
        CHECK(strstr(first, "\"receipt\"") != NULL && !strcmp(first, again));
        /* the code is spent: another submission id is refused */
        CHECK_INT(enter("paper", officer, "\"batch\":\"B1\",\"ballots\":{\"north\":{\"approvals\":[\"n2\"]}}",
                        0, 103, out, sizeof(out)),
                  409);
        /* two kiosk ballots: city c2 + north n2, north n2 */
        CHECK_INT(enter("ballots", kiosk,
                        "\"ballots\":{\"city\":{\"approvals\":[\"c2\"]},\"north\":{\"approvals\":[\"n2\"]}}",
                        3, 104, out, sizeof(out)),
                  201);
        CHECK_INT(enter("ballots", kiosk, "\"ballots\":{\"north\":{\"approvals\":[\"n2\"]}}", 4, 105, out,
                        sizeof(out)),
                  201);
        /* turnout: blank and spoiled papers count for their contest */
        CHECK_INT(call(&fx, "GET", "/v1/elections/papers/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"ballots\":5,") != NULL);
        CHECK(strstr(out, "\"paper\":3") != NULL);
        CHECK(strstr(out, "\"electronic\":2") != NULL);
        CHECK(strstr(out, "\"by_contest\":{\"city\":3,\"north\":5}") != NULL);
        {
                char want[64]; /* each desk's papers by its officer's token id */
                snprintf(want, sizeof(want), "\"%s\":2", officer_id);
                CHECK(strstr(out, want) != NULL);
        }
}

/* The signed result's payload (the DSSE envelope's, decoded) into @payload. */
static void result_payload(char *payload, size_t cap)
{
        static char out[65536];
        cJSON *j, *env;
        const char *p64;
        size_t n = 0;

        payload[0] = '\0';
        CHECK_INT(call(&fx, "GET", "/v1/elections/papers/result", NULL, NULL, out, sizeof(out)), 200);
        j = cJSON_Parse(out);
        env = j ? cJSON_GetObjectItem(j, "result") : NULL;
        p64 = env ? cJSON_GetStringValue(cJSON_GetObjectItem(env, "payload")) : NULL;
        CHECK(p64 && sodium_base642bin((unsigned char *)payload, cap - 1, p64, strlen(p64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL) == 0);
        payload[n] = '\0';
        cJSON_Delete(j);
}

/* The bundle of election @id from GET .../export into DIR/@id.tar. */
static void close_tally_verify(const char *pbvote)
{
        static char payload[65536];
        char out[65536];

        CHECK_INT(call(&fx, "POST", "/v1/elections/papers/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/papers/tally", fx.admin, NULL, out, sizeof(out)), 200);
        result_payload(payload, sizeof(payload));
        /* picks only: city c1 (a paper) and c2 (a kiosk); north n1 (a paper) and n2 (two kiosks); the
         * blank and spoiled parts are in by_contest, never a vote */
        CHECK(strstr(payload, "\"by_contest\":{\"city\":3,\"north\":5}") != NULL);
        CHECK(strstr(payload, "\"paper\":3") != NULL);
        CHECK(strstr(payload,
                     "\"id\":\"c1\",\"name\":\"Tram\",\"reason\":\"selected\",\"score\":1,\"selected\":"
                     "true,\"step\":1,\"votes\":1}") != NULL);
        CHECK(strstr(payload, "\"voters\":2,\"winners\":[\"c1\"]") != NULL);
        CHECK(strstr(payload, "\"id\":\"n1\",\"name\":\"Bench\",\"reason\":\"selected\",\"score\":1,") !=
              NULL);
        CHECK(strstr(payload, "\"id\":\"n2\",\"name\":\"Lamp\",\"reason\":\"selected\",\"score\":2,") !=
              NULL);
        CHECK(strstr(payload, "\"voters\":3,\"winners\":[\"n2\",\"n1\"]") != NULL);
        CHECK(fixture_export(&fx, "papers", auditor, "papers.tar"));
        /* the batch and the officer in the papers' CVRs; the bundle verifies and re-counts */
        CHECK_INT(fixture_sh(&fx, "cat verify.out; grep -h paper all | head -5",
                             "mkdir -p x && tar -xf papers.tar -C x && cat $(find x -type f) > all && "
                             "grep -cF 'batch\\\":\\\"B1\\\"' all | grep -qx 2 && grep -qF "
                             "'batch\\\":\\\"B-2/x\\\"' all && "
                             "grep -cF 'officer\\\":\\\"%s\\\"' all | grep -qx 2 && grep -qF "
                             "'blank\\\":true' all && "
                             "grep -qF 'spoiled\\\":true' all && "
                             "'%s' verify papers.tar --allow-uncertified --expect-election papers > "
                             "verify.out 2>&1",
                             officer_id, pbvote),
                  0);
}

/* "twice": the agreed papers' CVRs name both officers; the bundle verifies. */
static void twice_verify(const char *pbvote)
{
        char out[65536];

        CHECK_INT(call(&fx, "POST", "/v1/elections/twice/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/twice/tally", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK(fixture_export(&fx, "twice", fx.admin, "twice.tar"));
        CHECK_INT(fixture_sh(&fx, "cat verify2.out; grep -h paper all2",
                             "mkdir -p y && tar -xf twice.tar -C y && cat $(find y -type f) > all2 && "
                             "grep -cF 'officer\\\":\\\"%s+%s\\\"' all2 | grep -qx 1 && "
                             "grep -c '\"cvr\"' all2 | grep -qx 2 && "
                             "'%s' verify twice.tar --allow-uncertified --expect-election twice > "
                             "verify2.out 2>&1",
                             tw_a_id, tw_b_id, pbvote),
                  0);
}

int main(int argc, char **argv)
{
        static char pbvote[PATH_MAX];

        if (fixture_start_with_pbvote(&fx, argc, argv, pbvote, "test-api-paper") < 0)
                return 1;
        RUN(setup);
        RUN(refusals);
        RUN(papers);
        close_tally_verify(pbvote);
        RUN(setup_twice);
        RUN(double_entry);
        twice_verify(pbvote);
        fixture_stop(&fx);
        return check_summary("api-paper");
}
