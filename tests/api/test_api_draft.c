/**
 * @file A draft changed and opened behind the server's back (another connection, as another process
 * would): the server, which had looked at the draft (a ballot sent too early), must read the next
 * ballot's project ids against the manifest that was opened, not against its copy of the draft.
 * Here the new manifest lists the same projects in another order, so a stale copy would store a
 * vote for p1 as a vote for p3.
 */
#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "ballots/pb_docs.h"
#include "check.h"
#include "formats/pb_envelope.h"

static struct fixture fx;

/* Election "late", its projects in the order @projects. */
static const char late_fmt[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":4,\"budget\":"
        "45000000,\"currency\":\"EUR\",\"id\":\"late\",\"projects\":[%s],\"rule\":{\"name\":\"greedy\","
        "\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,\"title\":\"Late\","
        "\"type\":\"pbvote.manifest/v1\"}";
#define P1 "{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"}"
#define P2 "{\"cost\":15000000,\"id\":\"p2\",\"name\":\"Bikes\"}"
#define P3 "{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}"

static void manifest_text(char *out, size_t cap, const char *projects)
{
        snprintf(out, cap, late_fmt, projects);
}

static struct pb_manifest *reordered(void)
{
        char text[2048];
        struct pb_manifest *m = NULL;

        manifest_text(text, sizeof(text), P3 "," P2 "," P1);
        return pb_manifest_parse(text, strlen(text), &m, NULL) == PB_OK ? m : NULL;
}

/* The votes p1 and p3 got in the stored result, read through a connection of its own. */
static void votes(const char *db, long *ret_p1, long *ret_p3)
{
        struct pb_box *b = NULL;
        struct pb_buf env;
        struct pb_seal_envelope e;
        struct pb_doc_result doc;
        char tally[8192];

        *ret_p1 = *ret_p3 = -1;
        pb_buf_init(&env, 0);
        pb_seal_envelope_init(&e);
        if (pb_box_open(db, &b, NULL) == PB_OK &&
            pb_box_document(b, PB_BOX_DOC_RESULT, &env, NULL) == PB_OK &&
            pb_envelope_parse(env.data, env.len, 0, &e, NULL) == PB_OK &&
            pb_doc_result_parse((const char *)e.payload, e.payload_len, NULL, &doc, NULL, NULL, NULL) ==
                    PB_OK &&
            doc.tally_len < sizeof(tally)) {
                const char *p;
                memcpy(tally, doc.tally, doc.tally_len);
                tally[doc.tally_len] = '\0';
                p = strstr(tally, "\"id\":\"p1\"");
                p = p ? strstr(p, "\"votes\":") : NULL;
                *ret_p1 = p ? atol(p + 8) : -1;
                p = strstr(tally, "\"id\":\"p3\"");
                p = p ? strstr(p, "\"votes\":") : NULL;
                *ret_p3 = p ? atol(p + 8) : -1;
        }
        pb_seal_envelope_release(&e);
        pb_buf_release(&env);
        pb_box_free(b);
}

static void opened_elsewhere(void)
{
        char out[65536], manifest[2048], db[400], code[40], body[512];
        char kiosk[PB_TOKEN_TEXT_LEN + 1];
        struct pb_manifest *m = reordered();
        struct pb_box *other = NULL;
        long p1 = -1, p3 = -1;
        const char *c;

        CHECK(m != NULL);
        manifest_text(manifest, sizeof(manifest), P1 "," P2 "," P3);
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        CHECK_INT(call(&fx, "POST", "/v1/elections/late/codes", fx.admin, "{\"count\":1}", out, sizeof(out)),
                  201);
        c = strstr(out, "[\"");
        CHECK(c && strlen(c) > 10);
        snprintf(code, sizeof(code), "%.*s", c ? (int)strcspn(c + 2, "\"") : 0, c ? c + 2 : "");
        snprintf(db, sizeof(db), "%s/late.db", fx.dir);
        /* the other connection: a kiosk token, then the draft replaced and opened */
        CHECK(pb_box_open(db, &other, NULL) == PB_OK);
        CHECK(other && pb_box_token_create(other, PB_ROLE_KIOSK, "k", kiosk, NULL, NULL) == PB_OK);
        /* too early: refused, after the server looked at the draft */
        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}", code,
                 1);
        CHECK_INT(call(&fx, "POST", "/v1/elections/late/ballots", kiosk, body, out, sizeof(out)), 409);
        CHECK(other && m && pb_box_set_engine_key(other, &fx.engine, NULL) == PB_OK);
        CHECK(other && m && pb_box_set_manifest(other, m, NULL) == PB_OK);
        CHECK(other && pb_box_election_open(other, &fx.office, NULL) == PB_OK);
        pb_box_free(other);
        /* a vote for p1 is a vote for p1 */
        CHECK_INT(call(&fx, "POST", "/v1/elections/late/ballots", kiosk, body, out, sizeof(out)), 201);
        CHECK_INT(call(&fx, "POST", "/v1/elections/late/close", fx.admin, NULL, out, sizeof(out)), 200);
        CHECK_INT(call(&fx, "POST", "/v1/elections/late/tally", fx.admin, NULL, out, sizeof(out)), 200);
        votes(db, &p1, &p3);
        CHECK_INT(p1, 1);
        CHECK_INT(p3, 0);
        pb_manifest_free(m);
}

int main(void)
{
        if (fixture_start(&fx, false) < 0)
                return 1;
        RUN(opened_elsewhere);
        fixture_stop(&fx);
        return check_summary("api-draft");
}
