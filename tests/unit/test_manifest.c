/** @file The manifest: strict parsing, the canonical form, errors with paths, from every shared .pb file. */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "formats/pb_manifest.h"
#include "check.h"
#include "engine/pb_alloc.h"

/* A manifest written by hand: whitespace, members in any order, a text per language. */
static const char input[] =
        "{\n"
        "  \"type\": \"pbvote.manifest/v1\",\n"
        "  \"id\": \"city-2026\",\n"
        "  \"title\": {\"fr\": \"Budget participatif\", \"en\": \"Participatory budget\"},\n"
        "  \"currency\": \"EUR\", \"scale\": 2, \"budget\": 45000000,\n"
        "  \"projects\": [\n"
        "    {\"id\": \"p1\", \"name\": \"Trees\", \"cost\": 20000000, \"category\": \"green\"},\n"
        "    {\"id\": \"p2\", \"name\": {\"en\": \"Bikes\"}, \"cost\": 15000000,\n"
        "     \"description\": \"Racks\", \"withdrawn\": false},\n"
        "    {\"cost\": 30000000, \"name\": \"Pool\", \"id\": \"p3\"}\n"
        "  ],\n"
        "  \"ballot\": {\"type\": \"approval\", \"max_length\": 2, \"min_length\": 1},\n"
        "  \"rule\": {\"name\": \"greedy\", \"tie_break\": \"lexico\"},\n"
        "  \"period\": {\"start\": \"2026-05-20T08:00:00Z\", \"end\": \"2026-06-01T20:00:00Z\"}\n"
        "}\n";

/* Its canonical form, also written by hand (sorted members, defaults made explicit). */
static const char canonical[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":20,"
        "\"budget\":45000000,\"currency\":\"EUR\",\"id\":\"city-2026\",\"origin\":\"pbvote/city-2026/"
        "ballots\","
        "\"period\":{\"end\":\"2026-06-01T20:00:00Z\",\"start\":\"2026-05-20T08:00:00Z\"},"
        "\"projects\":[{\"category\":\"green\",\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},"
        "{\"cost\":15000000,\"description\":\"Racks\",\"id\":\"p2\",\"name\":{\"en\":\"Bikes\"}},"
        "{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}],"
        "\"rule\":{\"name\":\"greedy\",\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,"
        "\"title\":{\"en\":\"Participatory budget\",\"fr\":\"Budget "
        "participatif\"},\"type\":\"pbvote.manifest/v1\"}";

static void test_canonical(void)
{
        struct pb_manifest *m = NULL, *m2 = NULL;
        struct pb_diag d;
        struct pb_buf out, again;

        pb_buf_init(&out, 0);
        pb_buf_init(&again, 0);
        CHECK_INT(pb_manifest_parse(input, strlen(input), &m, &d), PB_OK);
        if (!m)
                return;
        CHECK_INT(pb_manifest_format(m, &out), PB_OK);
        CHECK_STR(out.data, canonical);
        CHECK_STR(m->election->title, "Participatory budget"); /* English shown where one text fits */
        CHECK_STR(m->election->projects[1].name, "Bikes");
        CHECK_INT(m->election->budget, 45000000);
        CHECK_INT(m->election->limits.v[PB_LIM_MAX_LENGTH], 2);
        CHECK(m->contests[0].rule.tie_break == PB_TIE_LEXICO);
        CHECK_INT(pb_manifest_parse(out.data, out.len, &m2, &d), PB_OK);
        if (m2) {
                CHECK_INT(pb_manifest_format(m2, &again), PB_OK);
                CHECK_STR(again.data, out.data);
        }
        pb_manifest_free(m);
        pb_manifest_free(m2);
        pb_buf_release(&out);
        pb_buf_release(&again);
}

/*
 * A manifest that names "equalshares" without a completion gets Add1 (what equalshares.net and
 * the cities run), and its canonical form says so; one that names a completion keeps it.
 * Expected rule objects written by hand.
 */
static void test_equalshares_default(void)
{
        static const char from[] = "\"rule\": {\"name\": \"greedy\", \"tie_break\": \"lexico\"}";
        static const struct {
                const char *rule, *want;
        } cases[] = {
                { "\"rule\": {\"name\": \"equalshares\", \"tie_break\": \"cost-then-votes\"}",
                  "\"rule\":{\"comparison\":false,\"completion\":\"add1\",\"name\":\"equalshares\","
                  "\"tie_break\":\"cost-then-votes\",\"utilitarian_completion\":false,\"utility\":"
                  "\"cost\"}" },
                { "\"rule\": {\"name\": \"equalshares\", \"completion\": \"none\", \"tie_break\": "
                  "\"lexico\"}",
                  "\"rule\":{\"comparison\":false,\"completion\":\"none\",\"name\":\"equalshares\","
                  "\"tie_break\":\"lexico\",\"utilitarian_completion\":false,\"utility\":\"cost\"}" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[sizeof(input) + 256];
                const char *at = strstr(input, from);
                struct pb_manifest *m = NULL;
                struct pb_diag d;
                struct pb_buf out;

                CHECK(at != NULL);
                if (!at)
                        return;
                snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - input), input, cases[i].rule,
                         at + strlen(from));
                pb_buf_init(&out, 0);
                CHECK_INT(pb_manifest_parse(buf, strlen(buf), &m, &d), PB_OK);
                if (m) {
                        CHECK_INT(pb_manifest_format(m, &out), PB_OK);
                        CHECK(out.data && strstr(out.data, cases[i].want) != NULL);
                        if (!out.data || !strstr(out.data, cases[i].want))
                                fprintf(stderr, "got %s\n", out.data ? out.data : "(null)");
                }
                pb_manifest_free(m);
                pb_buf_release(&out);
        }
}

/* Replace the first @from in the canonical text by @to and expect @code at @path. */
struct bad_case {
        const char *from, *to;
        pb_err code;
        const char *path;
};

static const struct bad_case bad_cases[] = {
        /* the pages' members (issue 12): web voting, the project order, a picture and a link */
        { "\"batch_min\":20,", "\"batch_min\":20,\"web_voting\":1,", PB_ERR_PARSE, "$.web_voting" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"double_entry\":\"yes\",", PB_ERR_PARSE, "$.double_entry" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"order\":{\"policy\":\"random\"},", PB_ERR_INVALID,
          "$.order.policy" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"order\":{\"policy\":\"shuffled\"},", PB_ERR_INVALID,
          "$.order.seed" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"order\":{\"policy\":\"shuffled\",\"seed\":\"AB\"},",
          PB_ERR_INVALID, "$.order.seed" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"order\":{\"policy\":\"file\",\"seed\":\"ab\"},",
          PB_ERR_INVALID, "$.order.seed" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"order\":{\"policy\":\"file\",\"x\":1},", PB_ERR_PARSE,
          "$.order.x" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"image\":\"https://cdn.example/p1.jpg\",", PB_ERR_INVALID,
          "$.projects[0].image" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"image\":\"//cdn.example/p1.jpg\",", PB_ERR_INVALID,
          "$.projects[0].image" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"image\":{\"en\":\"/a.jpg\",\"pl\":\"x.jpg\"},", PB_ERR_INVALID,
          "$.projects[0].image" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"url\":\"javascript:alert(1)\",", PB_ERR_INVALID,
          "$.projects[0].url" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"url\":\"https://a.example/x y\",", PB_ERR_INVALID,
          "$.projects[0].url" },
        { "\"id\":\"p1\",", "\"id\":\"p1\",\"url\":\"\",", PB_ERR_INVALID, "$.projects[0].url" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"extra\":1,", PB_ERR_PARSE, "$.extra" },
        { "\"batch_min\":20,", "\"batch_min\":20,\"batch_min\":21,", PB_ERR_PARSE, "$.batch_min" },
        { "\"budget\":45000000", "\"budget\":4.5e7", PB_ERR_PARSE, "$.budget" },
        { "\"budget\":45000000", "\"budget\":0", PB_ERR_INVALID, "$.budget" },
        { "\"budget\":45000000", "\"Budget\":45000000", PB_ERR_PARSE, "$.Budget" },
        { "\"cost\":20000000", "\"cost\":-5", PB_ERR_INVALID, "$.projects[0].cost" },
        { "\"cost\":20000000", "\"cost\":\"200\"", PB_ERR_PARSE, "$.projects[0].cost" },
        { "\"cost\":20000000", "\"cost\":90000000", PB_ERR_INVALID, "$.projects[0].cost" },
        { "\"id\":\"p2\"", "\"id\":\"p1\"", PB_ERR_CONFLICT, "$.projects[1].id" },
        { "\"id\":\"p2\"", "\"id\":\"p,2\"", PB_ERR_INVALID, "$.projects[1].id" },
        { "\"id\":\"city-2026\"", "\"id\":\"\"", PB_ERR_INVALID, "$.id" },
        /* the log origin is derived from the id (issue 11): another election's, or any other, is refused */
        { "\"id\":\"city-2026\"", "\"id\":\"a+b\"", PB_ERR_INVALID, "$.origin" },
        { "\"origin\":\"pbvote/city-2026/ballots\"", "\"origin\":\"pbvote/city-2025/ballots\"",
          PB_ERR_INVALID, "$.origin" },
        { "\"origin\":\"pbvote/city-2026/ballots\"", "\"origin\":\"pb.city.example/pb/2026/ballots\"",
          PB_ERR_INVALID, "$.origin" },
        { "\"type\":\"approval\"", "\"type\":\"ranked\"", PB_ERR_INVALID, "$.ballot.type" },
        { "\"max_length\":2", "\"max_length\":4", PB_ERR_INVALID, "$.ballot.max_length" },
        { "\"max_length\":2,\"min_length\":1", "\"max_length\":1,\"min_length\":2", PB_ERR_INVALID,
          "$.ballot.min_length" },
        { "\"type\":\"approval\"", "\"type\":\"cumulative\"", PB_ERR_INVALID, "$.ballot.max_sum_points" },
        { "\"tie_break\":\"lexico\"", "\"tie_break\":\"seeded\"", PB_ERR_INVALID, "$.rule.seed_sha256" },
        { "\"tie_break\":\"lexico\"", "\"seed_sha256\":\"00\",\"tie_break\":\"lexico\"", PB_ERR_INVALID,
          "$.rule.seed_sha256" },
        { "\"name\":\"greedy\"", "\"name\":\"greedy-threshold\"", PB_ERR_INVALID, "$.rule.threshold" },
        { "\"name\":\"greedy\"", "\"name\":\"borda-count\"", PB_ERR_INVALID, "$.rule.name" },
        { "\"score\":\"votes\"", "\"score\":\"points\"", PB_ERR_INVALID, "$.rule.score" },
        { "\"score\":\"votes\"", "\"score\":\"votes\",\"utility\":\"cost\"", PB_ERR_INVALID, "$.rule" },
        { "\"start\":\"2026-05-20T08:00:00Z\"", "\"start\":\"2026-05-20 08:00\"", PB_ERR_PARSE,
          "$.period.start" },
        { "\"start\":\"2026-05-20T08:00:00Z\"", "\"start\":\"2026-07-20T08:00:00Z\"", PB_ERR_INVALID,
          "$.period" },
        { "\"title\":{\"en\"", "\"title\":{\"e n\"", PB_ERR_INVALID, "$.title" },
        { "\"title\":{\"en\":\"Participatory budget\",\"fr\":\"Budget participatif\"}", "\"title\":\"\"",
          PB_ERR_INVALID, "$.title" },
        { "\"title\":{\"en\":\"Participatory budget\",\"fr\":\"Budget participatif\"}", "\"title\":{}",
          PB_ERR_INVALID, "$.title" },
        { "\"type\":\"pbvote.manifest/v1\"", "\"type\":\"pbvote.manifest/v2\"", PB_ERR_UNSUPPORTED,
          "$.type" },
        { "\"currency\":\"EUR\"", "\"currency\":\"euro\"", PB_ERR_INVALID, "$.currency" },
        { "\"scale\":2", "\"scale\":7", PB_ERR_INVALID, "$.scale" },
        { "\"origin\":\"pbvote/city-2026/ballots\"", "\"origin\":\"a b\"", PB_ERR_INVALID, "$.origin" },
        { "\"batch_min\":20", "\"batch_min\":0", PB_ERR_INVALID, "$.batch_min" },
        { "\"currency\":\"EUR\",", "", PB_ERR_PARSE, "$.currency" },
        { "\"name\":\"Trees\"", "\"name\":[\"Trees\"]", PB_ERR_PARSE, "$.projects[0].name" },
        { "{\"ballot\"", "[{\"ballot\"", PB_ERR_PARSE, "$" },
        { "\"category\":\"green\"", "\"category\":\"gr\\u0000een\"", PB_ERR_PARSE, "$.projects[0].category" },
};

static void test_bad(void)
{
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad_case *c = &bad_cases[i];
                const char *at = strstr(canonical, c->from);
                char text[4096];
                struct pb_manifest *m = NULL;
                struct pb_diag d;
                pb_err r;
                size_t pre;

                CHECK(at != NULL);
                if (!at)
                        continue;
                pre = (size_t)(at - canonical);
                snprintf(text, sizeof(text), "%.*s%s%s%s", (int)pre, canonical, c->to, at + strlen(c->from),
                         !strcmp(c->from, "{\"ballot\"") ? "]" : "");
                pb_diag_clear(&d);
                r = pb_manifest_parse(text, strlen(text), &m, &d);
                if (r != c->code || strcmp(d.path, c->path))
                        fprintf(stderr, "case %zu: got %s at '%s' (%s), want %s at '%s'\n", i, pb_err_name(r),
                                d.path, d.reason ? d.reason : "", pb_err_name(c->code), c->path);
                CHECK_INT(r, c->code);
                CHECK_STR(d.path, c->path);
                CHECK(m == NULL);
                pb_manifest_free(m);
        }
}

/* The pages' members (issue 12) round-trip in sorted places, and a manifest without them keeps
 * the bytes it had before they existed (test_canonical: absent, nothing is written). */
static void test_pages_members(void)
{
        static const char with[] =
                "{\"ballot\":{\"type\":\"approval\"},\"batch_min\":20,\"budget\":100,\"currency\":\"PLN\","
                "\"double_entry\":true,\"id\":\"e1\",\"order\":{\"policy\":\"shuffled\",\"seed\":"
                "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},\"origin\":\"pbvote/"
                "e1/"
                "ballots\",\"projects\":[{\"cost\":10,\"id\":\"p1\",\"image\":{\"en\":\"/media/p1-en.jpg\","
                "\"pl\":\"/media/p1.jpg\"},\"name\":\"Park\",\"url\":\"https://city.example/p1\"}],"
                "\"rule\":{\"name\":\"greedy\",\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":0,"
                "\"title\":\"T\",\"type\":\"pbvote.manifest/v1\",\"web_voting\":true}";
        static const char file_order[] =
                "{\"ballot\":{\"type\":\"approval\"},\"budget\":100,\"currency\":\"\",\"id\":\"e2\","
                "\"order\":{\"policy\":\"file\"},\"projects\":[{\"cost\":10,\"id\":\"p1\",\"name\":\"P\"}],"
                "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"},\"scale\":0,\"title\":\"T\","
                "\"type\":\"pbvote.manifest/v1\",\"web_voting\":false,\"double_entry\":false}";
        struct pb_manifest *m = NULL;
        struct pb_diag d;
        struct pb_buf out;

        pb_buf_init(&out, 0);
        CHECK_INT(pb_manifest_parse(with, strlen(with), &m, &d), PB_OK);
        if (m) {
                CHECK(m->web_voting && m->shuffled && m->double_entry);
                CHECK_STR(m->order_seed, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
                CHECK_INT(pb_manifest_format(m, &out), PB_OK);
                CHECK_STR(out.data, with);
        }
        pb_manifest_free(m);
        m = NULL;
        pb_buf_reset(&out);
        /* file order and no web voting are the defaults: written as nothing */
        CHECK_INT(pb_manifest_parse(file_order, strlen(file_order), &m, &d), PB_OK);
        if (m) {
                CHECK(!m->web_voting && !m->shuffled && !m->double_entry);
                CHECK_INT(pb_manifest_format(m, &out), PB_OK);
                CHECK(out.data && !strstr(out.data, "order") && !strstr(out.data, "web_voting") &&
                      !strstr(out.data, "double_entry"));
        }
        pb_manifest_free(m);
        pb_buf_release(&out);
}

static void test_seed(void)
{
        uint8_t c[32];
        char h[65];

        /* SHA-256("pbv/tie-seed/v1\0" "12345"), computed with Python's hashlib */
        pb_manifest_seed_commitment(12345, c);
        sodium_bin2hex(h, sizeof(h), c, 32);
        CHECK_STR(h, "3b7a3410132c0e69a23b64f895067a64a043090d39aea0ee7cb6ffff69afe77e");
}

static void test_oom(void)
{
        bool done = false;

        for (long n = 0; n < 2000 && !done; n++) {
                struct pb_manifest *m = NULL;
                pb_err r;

                pb_alloc_fail_after(n);
                r = pb_manifest_parse(input, strlen(input), &m, NULL);
                pb_alloc_fail_after(-1);
                CHECK(r == PB_OK || r == PB_ERR_NOMEM);
                done = r == PB_OK;
                pb_manifest_free(m);
        }
        CHECK(done);
}

/* Every shared pabulib file: a manifest that keeps its definition and round-trips. */
static void test_shared(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;
        int files = 0;

        CHECK(dh != NULL);
        if (!dh)
                return;
        while ((de = readdir(dh))) {
                char path[4096];
                struct pb_election *e = NULL;
                struct pb_manifest *m = NULL, *m2 = NULL;
                struct pb_rule greedy;
                struct pb_buf a, b;
                struct pb_diag d;
                char *data = NULL;
                size_t len = 0, n = strlen(de->d_name);
                pb_err r;

                if (n < 4 || strcmp(de->d_name + n - 3, ".pb"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                pb_buf_init(&a, 0);
                pb_buf_init(&b, 0);
                CHECK_INT(pb_file_read(path, PB_PB_MAX_BYTES, &data, &len, &d), PB_OK);
                CHECK_INT(pb_format_pb_parse(data, len, &e, NULL, &d), PB_OK);
                pb_rule_init(&greedy);
                r = pb_manifest_from_pb(e, "test-id", NULL, &m, &d);
                if (r == PB_ERR_UNSUPPORTED) /* META rule "unknown": the operator must choose */
                        r = pb_manifest_from_pb(e, "test-id", &greedy, &m, &d);
                if (r != PB_OK)
                        fprintf(stderr, "%s: %s %s\n", de->d_name, d.path, d.reason ? d.reason : "");
                CHECK_INT(r, PB_OK);
                if (m) {
                        CHECK_INT(pb_manifest_format(m, &a), PB_OK);
                        CHECK_INT(pb_manifest_parse(a.data, a.len, &m2, &d), PB_OK);
                        if (m2) {
                                CHECK_INT(pb_manifest_format(m2, &b), PB_OK);
                                CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
                                CHECK_INT(m2->election->n_projects, e->n_projects);
                                CHECK_INT(m2->election->budget, e->budget);
                                CHECK(m2->contests[0].rule.score == pb_rule_score(&m->contests[0].rule, e));
                                for (size_t i = 0; i < e->n_projects; i++) {
                                        CHECK_STR(m2->election->projects[i].id, e->projects[i].id);
                                        CHECK_INT(m2->election->projects[i].cost, e->projects[i].cost);
                                        CHECK(m2->election->projects[i].withdrawn ==
                                              e->projects[i].withdrawn);
                                }
                        }
                }
                pb_manifest_free(m);
                pb_manifest_free(m2);
                pb_election_free(e);
                pb_free(data);
                pb_buf_release(&a);
                pb_buf_release(&b);
                files++;
        }
        closedir(dh);
        CHECK(files >= 20);
}

int main(int argc, char **argv)
{
        if (sodium_init() < 0 || argc < 2) {
                fprintf(stderr, "usage: test-manifest PABULIB_DIR\n");
                return 1;
        }
        RUN(test_canonical);
        RUN(test_equalshares_default);
        RUN(test_bad);
        RUN(test_seed);
        RUN(test_pages_members);
        RUN(test_oom);
        test_shared(argv[1]);
        return check_summary("manifest");
}
