/**
 * @file The whole lifecycle over HTTP on a loopback server: create, open, issue codes, cast from
 * concurrent clients, refuse a reused code, replay a submission, check every receipt's inclusion
 * proof against the signed checkpoint, close, tally, read the result and the pabulib file, export the bundle and run
 * `pbvote verify` on it.  argv[1] = the pbvote binary.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <sodium.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "ballots/pb_receipt.h"
#include "check.h"
#include "engine/pb_cvr.h"
#include "engine/pb_merkle.h"
#include "engine/pb_note.h"

#define THREADS 8
#define PER_THREAD 6

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1], auditor[PB_TOKEN_TEXT_LEN + 1];
static char codes[THREADS * PER_THREAD + 4][32];
static char commitments[THREADS * PER_THREAD][65];
static int statuses[THREADS * PER_THREAD];
static char receipts[THREADS * PER_THREAD][4096];

static void *caster(void *arg)
{
        long t = (long)arg;

        for (int k = 0; k < PER_THREAD; k++) {
                int i = (int)t * PER_THREAD + k;
                char body[512], out[4096];
                static const char *const picks[] = { "[\"p1\"]", "[\"p2\"]", "[\"p1\",\"p2\"]",
                                                     "[\"p3\",\"p1\"]" };

                snprintf(body, sizeof(body),
                         "{\"ballot\":{\"approvals\":%s},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                         picks[i % 4], codes[i], (unsigned)(i + 1));
                statuses[i] = call(&fx, "POST", "/v1/elections/life/ballots", kiosk, body, out, sizeof(out));
                snprintf(receipts[i], sizeof(receipts[i]), "%s", out);
                if (json_str(out, "commitment", commitments[i], sizeof(commitments[i])) < 0)
                        commitments[i][0] = '\0';
        }
        return NULL;
}

/* POST a ballot of the approvals @approvals (a JSON array) with @code and submission id @sid to
 * election "life" with the kiosk token: the status, the answer into @out. */
static int cast(const char *approvals, const char *code, unsigned sid, char *out, size_t cap)
{
        char body[512];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":%s},\"code\":\"%s\",\"submission_id\":\"%032x\"}", approvals,
                 code, sid);
        return call(&fx, "POST", "/v1/elections/life/ballots", kiosk, body, out, cap);
}

static void create_and_open(void)
{
        char manifest[2048], out[65536];
        struct pb_box *b = NULL;
        char path[400];
        int n = 0;

        snprintf(manifest, sizeof(manifest), fixture_manifest, "life", "life");
        CHECK_INT(call(&fx, "POST", "/v1/elections", NULL, manifest, out, sizeof(out)), 401);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        CHECK(strstr(out, "\"state\":\"draft\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 409);
        /* kiosk and auditor tokens, as `pbvote token create --db` makes them on the server host */
        snprintf(path, sizeof(path), "%s/life.db", fx.dir);
        CHECK_INT(pb_box_open(path, &b, NULL), PB_OK);
        if (b) {
                CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL), PB_OK);
                CHECK_INT(pb_box_token_create(b, PB_ROLE_AUDITOR, "a", auditor, NULL, NULL), PB_OK);
                pb_box_free(b);
        }
        CHECK_INT(call(&fx, "POST", "/v1/elections", kiosk, manifest, out, sizeof(out)),
                  401); /* not this election's */
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/open", kiosk, NULL, out, sizeof(out)), 403);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/open", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"state\":\"open\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"signed_manifest\":{") != NULL);
        /* a count over the server's limit: the refusal states the limit (100,000 by default) */
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/codes", fx.admin, "{\"count\":100001}", out,
                       sizeof(out)),
                  422);
        CHECK(strstr(out, "from 1 to 100000") != NULL);
        CHECK(strstr(out, "\"field\":\"$.count\"") != NULL);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/codes", fx.admin, "{\"count\":52}", out, sizeof(out)),
                  201);
        n = fixture_take_codes(out, codes, THREADS * PER_THREAD + 4);
        CHECK_INT(n, THREADS * PER_THREAD + 4);
}

/* Check a receipt offline, as a voter's app would (pbvote receipt: ballots/receipt.c): its promise
 * opens under the engine key, and its index and path place its commitment in the promise's batch. */
static bool check_promise(const char *body, struct pb_promise *ret)
{
        struct pb_receipt_info info;
        pb_err r = pb_receipt_check(body, strlen(body), &fx.engine.pub, NULL, NULL, &info, NULL);

        CHECK_INT(r, PB_OK);
        *ret = info.promise;
        return r == PB_OK;
}

/* The turnout's count of invalid ballots (rejected.invalid_ballot), or -1. */
static int invalid_ballots(void)
{
        char out[4096];
        cJSON *j, *n;
        int v = -1;

        if (call(&fx, "GET", "/v1/elections/life/turnout", NULL, NULL, out, sizeof(out)) != 200)
                return -1;
        j = cJSON_Parse(out);
        n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "rejected"),
                                             "invalid_ballot");
        if (cJSON_IsNumber(n))
                v = n->valueint;
        cJSON_Delete(j);
        return v;
}

static void cast_concurrently(void)
{
        pthread_t th[THREADS];
        char out[4096], body[512], first[4096];
        int invalid;

        for (long t = 0; t < THREADS; t++)
                pthread_create(&th[t], NULL, caster, (void *)t);
        for (int t = 0; t < THREADS; t++)
                pthread_join(th[t], NULL);
        for (int i = 0; i < THREADS * PER_THREAD; i++) {
                CHECK_INT(statuses[i], 201);
                CHECK_INT(strlen(commitments[i]), 64);
        }
        /* every receipt checks offline; ballots answered together share one promise, whose batch
         * holds at least the receipts that name it */
        {
                static struct pb_promise promises[THREADS * PER_THREAD];
                bool ok[THREADS * PER_THREAD];
                for (int i = 0; i < THREADS * PER_THREAD; i++)
                        ok[i] = check_promise(receipts[i], &promises[i]);
                for (int i = 0; i < THREADS * PER_THREAD; i++) {
                        uint64_t naming = 0;
                        for (int k = 0; k < THREADS * PER_THREAD; k++)
                                naming += ok[k] && !memcmp(promises[i].root, promises[k].root, 32);
                        CHECK(ok[i] && promises[i].size >= 1 && naming <= promises[i].size);
                }
        }
        /* the same submission again: the same commitment as a 200, under a promise of its own,
         * and every later retry gets those bytes again */
        CHECK_INT(cast("[\"p1\"]", codes[0], 1u, first, sizeof(first)), 200);
        CHECK(strstr(first, commitments[0]) != NULL);
        {
                struct pb_promise one;
                CHECK(check_promise(first, &one) && one.size == 1);
        }
        CHECK_INT(cast("[\"p1\"]", codes[0], 1u, out, sizeof(out)), 200);
        CHECK_STR(out, first);
        /* the same code and submission id with other ballots: the same bytes, so a retry cannot
         * tell whether a guessed ballot is the stored one (issue 11, vote buying by replay) */
        {
                static const char *const others[3] = { "[\"p2\"]", "[\"p3\"]", "[\"p1\",\"p2\"]" };
                for (int k = 0; k < 3; k++) {
                        CHECK_INT(cast(others[k], codes[0], 1u, out, sizeof(out)), 200);
                        CHECK_STR(out, first);
                }
        }
        /* a spent code with a new submission: 409 */
        CHECK_INT(cast("[\"p2\"]", codes[1], 999u, out, sizeof(out)), 409);
        CHECK(strstr(out, "\"status\":409") != NULL);
        CHECK(strstr(out, "\"reason\":\"code_spent\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.code\"") != NULL);
        /* an unknown code, a ballot over max_length, a project that does not exist, an admin token */
        CHECK(cast("[\"p2\"]", "0000-0000-0000-0000-0", 1000u, out, sizeof(out)) / 100 == 4);
        CHECK(strstr(out, "\"reason\":\"code_malformed\"") != NULL ||
              strstr(out, "\"reason\":\"code_unknown\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.code\"") != NULL);
        CHECK_INT(cast("[\"p1\",\"p2\",\"p3\"]", codes[THREADS * PER_THREAD], 1001u, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"reason\":\"too_many_picks\"") != NULL);
        CHECK(strstr(out, "\"field\":\"$.ballot.approvals\"") != NULL);
        invalid = invalid_ballots();
        CHECK_INT(cast("[\"p9\"]", codes[THREADS * PER_THREAD], 1002u, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"field\":\"$.ballot.approvals[0]\"") != NULL);
        CHECK(strstr(out, "\"reason\":\"unknown_project\"") != NULL);
        CHECK_INT(cast("[\"p1\",\"p1\"]", codes[THREADS * PER_THREAD], 1003u, out, sizeof(out)), 422);
        CHECK(strstr(out, "\"reason\":\"duplicate_pick\"") != NULL);
        /* refused while reading the ballot's JSON, and counted as the box's own refusals are */
        CHECK_INT(invalid_ballots(), invalid + 2);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/ballots", fx.admin, body, out, sizeof(out)), 403);
        /* no partial results while open; counts only */
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/tally", fx.admin, NULL, out, sizeof(out)), 409);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/result", NULL, NULL, out, sizeof(out)), 404);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/pabulib/life", NULL, NULL, out, sizeof(out)), 409);
        CHECK(strstr(out, "error/wrong_state\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/turnout", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"ballots\":48") != NULL);
        CHECK(strstr(out, "\"codes_spent\":48") != NULL);
        CHECK(strstr(out, "\"p1\"") == NULL);
}

/* Every receipt: proven in the log (checked offline against the signed checkpoint) or pending. */
static void check_receipts(bool all_logged)
{
        int proven = 0;

        for (int i = 0; i < THREADS * PER_THREAD; i++) {
                char path[256], out[16384], note[2048];
                uint8_t commitment[32], leaf[32], proof[PB_MERKLE_MAX_PROOF * 32];
                struct pb_checkpoint cp;
                cJSON *j, *p;
                size_t np = 0;

                snprintf(path, sizeof(path), "/v1/elections/life/receipts/%.64s", commitments[i]);
                CHECK_INT(call(&fx, "GET", path, NULL, NULL, out, sizeof(out)), 200);
                j = cJSON_Parse(out);
                if (!j) {
                        CHECK(0);
                        continue;
                }
                /* as a voter's tool would: pbvote receipt RECEIPT --proof ANSWER (ballots/receipt.c) */
                {
                        struct pb_receipt_info info;
                        struct pb_receipt_inclusion inc;
                        struct pb_key_public other = fx.engine.pub;
                        CHECK_INT(pb_receipt_check(receipts[i], strlen(receipts[i]), &fx.engine.pub, NULL,
                                                   NULL, &info, NULL),
                                  PB_OK);
                        CHECK_INT(pb_receipt_check_inclusion(out, strlen(out), info.commitment,
                                                             &fx.engine.pub, info.promise.origin, &inc, NULL),
                                  PB_OK);
                        CHECK(inc.pending == cJSON_IsTrue(cJSON_GetObjectItem(j, "pending")));
                        other.pk[0] ^= 1; /* the same key name and ID, another key */
                        CHECK_INT(pb_receipt_check(receipts[i], strlen(receipts[i]), &other, NULL, NULL,
                                                   &info, NULL),
                                  PB_ERR_SIGNATURE);
                        if (!inc.pending) {
                                uint8_t another[32];
                                memcpy(another, info.commitment, 32);
                                another[31] ^= 1;
                                CHECK(pb_receipt_check_inclusion(out, strlen(out), another, &fx.engine.pub,
                                                                 NULL, &inc, NULL) < 0);
                        }
                }
                if (cJSON_IsTrue(cJSON_GetObjectItem(j, "pending"))) {
                        CHECK(!all_logged);
                        cJSON_Delete(j);
                        continue;
                }
                snprintf(note, sizeof(note), "%s",
                         cJSON_GetStringValue(cJSON_GetObjectItem(j, "checkpoint")));
                CHECK_INT(pb_checkpoint_open(note, strlen(note), &fx.engine.pub, &cp, NULL), PB_OK);
                for (p = cJSON_GetObjectItem(j, "proof")->child; p && np < PB_MERKLE_MAX_PROOF;
                     p = p->next, np++)
                        CHECK_INT(sodium_hex2bin(proof + 32 * np, 32, p->valuestring, 64, NULL, NULL, NULL),
                                  0);
                CHECK_INT(sodium_hex2bin(commitment, 32, commitments[i], 64, NULL, NULL, NULL), 0);
                pb_cvr_leaf_hash(commitment, leaf);
                CHECK_INT((int64_t)cJSON_GetObjectItem(j, "size")->valuedouble, (int64_t)cp.size);
                CHECK_INT(pb_merkle_verify_inclusion((uint64_t)cJSON_GetObjectItem(j, "index")->valuedouble,
                                                     cp.size, leaf, proof, np, cp.root, NULL),
                          PB_OK);
                /* a forged commitment is not proven */
                leaf[0] ^= 1;
                CHECK(pb_merkle_verify_inclusion((uint64_t)cJSON_GetObjectItem(j, "index")->valuedouble,
                                                 cp.size, leaf, proof, np, cp.root, NULL) != PB_OK);
                proven++;
                cJSON_Delete(j);
        }
        CHECK(proven > 0);
}

/*
 * Once counted, anyone gets the ballots as a pabulib file (issue 13): pabulib's checker passes it
 * (it recounts the file to its selected projects), and it is byte for byte what `pbvote export
 * --pb` writes with the same META; a contest that is not the vote's is 404.
 */
static void pabulib_file(const char *pbvote)
{
        char out[65536], cmd[16384];
        FILE *f;

        CHECK_INT(call(&fx, "GET", "/v1/elections/life/pabulib/nope", NULL, NULL, out, sizeof(out)), 404);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/pabulib/life", NULL, NULL, out, sizeof(out)), 200);
        CHECK(!strncmp(out, "META\n", 5) && strstr(out, "\nvote_type;approval\n") &&
              strstr(out, "\nnum_votes;48\n"));
        snprintf(cmd, sizeof(cmd), "%s/api.pb", fx.dir);
        f = fopen(cmd, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(out, f);
        fclose(f);
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && '%s' check api.pb >check.out 2>&1 && '%s' export --db life.db --pb cli "
                 "--instance \"$(sed -n 's/^instance;//p' api.pb)\" 2>/dev/null && cmp api.pb cli/life.pb",
                 fx.dir, pbvote, pbvote);
        CHECK_INT(system(cmd), 0);
}

static void close_tally_export(const char *pbvote)
{
        char out[65536];

        CHECK_INT(call(&fx, "POST", "/v1/elections/life/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/close", fx.admin, NULL, out, sizeof(out)), 409);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/open", fx.admin, NULL, out, sizeof(out)), 409);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/ballots", kiosk,
                       "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"X\",\"submission_id\":"
                       "\"0000000000000000000000000000abcd\"}",
                       out, sizeof(out)),
                  409);
        CHECK(strstr(out, "\"reason\":\"not_open\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/export", auditor, NULL, out, sizeof(out)),
                  409); /* not tallied */
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/pabulib/life", NULL, NULL, out, sizeof(out)), 409);
        CHECK_INT(call(&fx, "POST", "/v1/elections/life/tally", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"payloadType\":\"application/vnd.pbvote.result+json;v=1\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/result", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"certification\":null") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/life/export", kiosk, NULL, out, sizeof(out)), 403);
        pabulib_file(pbvote);
        /* the tar archive: fetched raw, written out, unpacked, verified offline */
        CHECK(fixture_export(&fx, "life", auditor, "bundle.tar"));
        CHECK_INT(fixture_sh(&fx, "cat verify.out",
                             "tar xf bundle.tar && '%s' verify life --allow-uncertified > verify.out 2>&1",
                             pbvote),
                  0);
        /* not certified yet: without the flag, B5 fails and says how to check the rest meanwhile */
        CHECK_INT(fixture_sh(&fx, "cat unc.out",
                             "'%s' verify life > unc.out 2>&1; test $? = 1 && "
                             "grep -q 'B5.*not certified this result yet.*--allow-uncertified' unc.out",
                             pbvote),
                  0);
}

int main(int argc, char **argv)
{
        static char pbvote[PATH_MAX];

        if (fixture_start_with_pbvote(&fx, argc, argv, pbvote, "test-api-lifecycle") < 0)
                return 1;
        RUN(create_and_open);
        RUN(cast_concurrently);
        check_receipts(false);
        close_tally_export(pbvote);
        check_receipts(true);
        fixture_stop(&fx);
        return check_summary("api-lifecycle");
}
