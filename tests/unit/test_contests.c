/**
 * @file A vote of several contests (issue 14, DESIGN.md §3): the manifest's contests form, CVRs of
 * several contests, voter codes for a set of contests, the cast and its refusals, turnout by
 * contest, the close statement, the tally of every contest and the audit bundle.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "ballots/pb_bundle.h"
#include "ballots/pb_docs.h"
#include "ballots/pb_vote.h"
#include "check.h"
#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"
#include "engine/pb_seal.h"
#include "engine/pb_tally.h"
#include "formats/pb_envelope.h"
#include "formats/pb_json_ballot.h"
#include "formats/pb_manifest.h"

static char dir[64];

/* True if @needle occurs in @p[0..n) (memmem is not in C11 or POSIX). */
static bool has(const void *p, size_t n, const char *needle)
{
        size_t k = strlen(needle);

        for (size_t i = 0; i + k <= n; i++)
                if (!memcmp((const char *)p + i, needle, k))
                        return true;
        return false;
}
static struct pb_key_secret engine, office;

/* city (optional, approval, greedy), north (cumulative, greedy by points), south (approval, equal
 * shares); project ids repeat across contests ("p1"), which must keep their ballots apart */
static const char vote_text[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"city-2026\",\"title\":{\"en\":\"City "
        "2026\",\"pl\":\"Miasto\"},"
        "\"currency\":\"EUR\",\"scale\":0,\"batch_min\":2,\"contests\":["
        "{\"id\":\"city\",\"title\":\"City-wide\",\"optional\":true,\"budget\":100,"
        "\"projects\":[{\"id\":\"p1\",\"name\":\"Park\",\"cost\":60},{\"id\":\"p2\",\"name\":\"Pool\","
        "\"cost\":50},"
        "{\"id\":\"p3\",\"name\":\"Trees\",\"cost\":40}],"
        "\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\",\"tie_break\":"
        "\"lexico\"}},"
        "{\"id\":\"north\",\"title\":{\"en\":\"North\"},\"budget\":30,"
        "\"projects\":[{\"id\":\"p1\",\"name\":\"Bench\",\"cost\":20},{\"id\":\"n2\",\"name\":\"Lamp\","
        "\"cost\":10},"
        "{\"id\":\"n3\",\"name\":\"Path\",\"cost\":15}],"
        "\"ballot\":{\"type\":\"cumulative\",\"max_sum_points\":3},"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"}},"
        "{\"id\":\"south\",\"title\":\"South\",\"budget\":50,"
        "\"projects\":[{\"id\":\"s1\",\"name\":\"Square\",\"cost\":30},{\"id\":\"s2\",\"name\":\"Bikes\","
        "\"cost\":25}],"
        "\"ballot\":{\"type\":\"approval\",\"min_length\":1},\"rule\":{\"name\":\"equalshares\",\"tie_"
        "break\":\"lexico\"}}]}";

enum { CITY, NORTH, SOUTH };

static struct pb_manifest *vote(void)
{
        struct pb_manifest *m = NULL;
        struct pb_diag d;

        pb_diag_clear(&d);
        if (pb_manifest_parse(vote_text, strlen(vote_text), &m, &d) < 0)
                fprintf(stderr, "vote manifest: %s: %s\n", d.path, d.reason);
        CHECK(m != NULL);
        return m;
}

/* The manifest @text must be refused with @code at @path. */
static void refused(const char *text, pb_err code, const char *path)
{
        struct pb_manifest *m = NULL;
        struct pb_diag d;

        pb_diag_clear(&d);
        CHECK_INT(pb_manifest_parse(text, strlen(text), &m, &d), code);
        CHECK_STR(d.path, path);
        CHECK(m == NULL);
}

/* @text with the first occurrence of @from replaced by @to, into @out. */
static const char *edit(const char *text, const char *from, const char *to, char *out, size_t cap)
{
        const char *at = strstr(text, from);

        if (!at) {
                CHECK_FAIL("edit: text not found");
                snprintf(out, cap, "%s", text);
                return out;
        }
        snprintf(out, cap, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
        return out;
}

static void test_manifest(void)
{
        struct pb_manifest *m = vote(), *again = NULL;
        struct pb_buf a, b;
        char t[sizeof(vote_text) + 256];

        pb_buf_init(&a, 0);
        pb_buf_init(&b, 0);
        if (!m)
                return;
        CHECK(m->has_contests);
        CHECK_INT(m->n_contests, 3);
        CHECK_STR(m->election->id, "city-2026");
        CHECK_STR(m->contests[NORTH].election->id, "north");
        CHECK_STR(m->contests[NORTH].election->currency, "EUR");
        CHECK_STR(m->contests[NORTH].election->title, "North");
        CHECK(m->contests[CITY].optional && !m->contests[NORTH].optional);
        CHECK_INT(m->contests[SOUTH].rule.kind, PB_RULE_EQUAL_SHARES);
        CHECK_INT(pb_manifest_find_contest(m, "south", 5), SOUTH);
        CHECK_INT(pb_manifest_find_contest(m, "sout", 4), -1);
        CHECK_INT(pb_manifest_find_contest(m, "southx", 6), -1);
        CHECK_INT(pb_manifest_max_projects(m), 3);
        /* canonical: parse(format(m)) formats to the same bytes */
        CHECK(pb_manifest_format(m, &a) == PB_OK);
        CHECK(pb_manifest_parse(a.data, a.len, &again, NULL) == PB_OK);
        if (again)
                CHECK(pb_manifest_format(again, &b) == PB_OK);
        CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
        CHECK(strstr(a.data, "\"contests\":[{\"ballot\"") != NULL);
        CHECK(strstr(a.data, "\"optional\":false") != NULL);
        /* each refused with the field named */
        refused(edit(vote_text, "\"id\":\"south\"", "\"id\":\"north\"", t, sizeof(t)), PB_ERR_INVALID,
                "$.contests[2].id");
        refused(edit(vote_text, "\"batch_min\":2,", "\"batch_min\":2,\"budget\":5,", t, sizeof(t)),
                PB_ERR_PARSE, "$.budget");
        refused(edit(vote_text, "\"contests\":[", "\"contests\":[],\"x\":[", t, sizeof(t)), PB_ERR_PARSE,
                "$.x");
        refused(edit(vote_text, "\"title\":\"South\",", "", t, sizeof(t)), PB_ERR_PARSE,
                "$.contests[2].title");
        refused(edit(vote_text, "\"cost\":25", "\"cost\":0", t, sizeof(t)), PB_ERR_INVALID,
                "$.contests[2].projects[1].cost");
        refused(edit(vote_text, "\"max_sum_points\":3", "\"max_length\":9", t, sizeof(t)), PB_ERR_INVALID,
                "$.contests[1].ballot.max_length");
        refused(edit(vote_text, "\"name\":\"equalshares\"", "\"name\":\"nope\"", t, sizeof(t)),
                PB_ERR_INVALID, "$.contests[2].rule.name");
        refused(edit(vote_text, "\"id\":\"s2\"", "\"id\":\"s1\"", t, sizeof(t)), PB_ERR_CONFLICT,
                "$.contests[2].projects[1].id");
        {
                static const char empty[] = "{\"type\":\"pbvote.manifest/v1\",\"id\":\"e\",\"title\":\"E\","
                                            "\"currency\":\"\",\"scale\":0,\"contests\":[]}";
                refused(empty, PB_ERR_INVALID, "$.contests");
        }
        pb_manifest_free(again);
        pb_manifest_free(m);
        pb_buf_release(&a);
        pb_buf_release(&b);
}

static void test_cvr(void)
{
        struct pb_manifest *m = vote();
        static const uint32_t city[2] = { 2, 0 }, north[2] = { 1, 0 };
        static const int64_t north_points[2] = { 1, 2 };
        static const char want[] =
                "{\"ballots\":{\"city\":{\"approvals\":[\"p1\",\"p3\"]},\"north\":{\"points\":{\"n2\":1,"
                "\"p1\":2}}},\"channel\":\"paper\",\"cvr_id\":\"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\","
                "\"election\":\"city-2026\"}";
        struct pb_contest_ballot parts[2] = { { NORTH, north, north_points, 2, PB_MARK_NONE },
                                              { CITY, city, NULL, 2, PB_MARK_NONE } };
        struct pb_vote_ballots vb;
        struct pb_cvr_meta meta;
        struct pb_buf out;
        uint8_t id[PB_CVR_ID_BYTES];
        char t[512];

        pb_buf_init(&out, 0);
        memset(id, 10, sizeof(id));
        if (!m)
                return;
        CHECK(pb_vote_cvr_format(m, parts, 2, PB_CHANNEL_PAPER, id, &out) == PB_OK);
        CHECK_STR(out.data, want);
        CHECK(pb_vote_ballots_init(&vb, m) == PB_OK);
        CHECK(pb_vote_cvr_parse(m, out.data, out.len, &vb, &meta, NULL) == PB_OK);
        CHECK_INT(vb.n, 2);
        CHECK_INT(meta.channel, PB_CHANNEL_PAPER);
        CHECK_INT(vb.part[0].contest, CITY);
        CHECK_INT(vb.part[1].contest, NORTH);
        CHECK(vb.part[0].points == NULL && vb.part[1].points != NULL);
        /* a contest twice, none, an unknown one: refused */
        parts[1].contest = NORTH;
        CHECK(pb_vote_cvr_format(m, parts, 2, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        CHECK(pb_vote_cvr_format(m, parts, 0, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        parts[1].contest = 7;
        CHECK(pb_vote_cvr_format(m, parts, 2, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        /* only the canonical bytes are a CVR (arguments: @t is filled before it is measured) */
        edit(want, "{\"city\":{\"approvals\":[\"p1\",\"p3\"]},", "{", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_OK);
        edit(want, "[\"p1\",\"p3\"]", "[\"p3\",\"p1\"]", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_ERR_PARSE);
        edit(want, "\"north\":", "\"west\":", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_ERR_INVALID);
        edit(want, "{\"city\":{\"approvals\":[\"p1\",\"p3\"]},\"north\":{\"points\":{\"n2\":1,\"p1\":2}}}",
             "{}", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_ERR_PARSE);
        edit(want, "city-2026", "city-2027", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_ERR_INVALID);
        /* the one-contest CVR of a vote of the contests form is not one of its CVRs */
        snprintf(t, sizeof(t),
                 "{\"ballot\":{\"approvals\":[]},\"channel\":\"paper\",\"cvr_id\":"
                 "\"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\",\"election\":\"city-2026\"}");
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) == PB_ERR_PARSE);
        pb_vote_ballots_release(&vb);
        pb_buf_release(&out);
        pb_manifest_free(m);
}

static struct pb_manifest *one(const char *id, const char *cur, int scale, int64_t budget, int64_t cost);

/* A paper ballot's CVR: the batch and officer recorded, a blank or spoiled contest as such; only
 * on the paper channel, and only the canonical bytes read back. */
static void test_cvr_paper(void)
{
        struct pb_manifest *m = vote(), *m1 = one("solo", "PLN", 0, 100, 40);
        static const uint32_t north[2] = { 1, 0 };
        static const int64_t north_points[2] = { 1, 2 };
        static const char want[] =
                "{\"ballots\":{\"city\":{\"blank\":true},\"north\":{\"points\":{\"n2\":1,\"p1\":2}}},"
                "\"batch\":\"B-7\",\"channel\":\"paper\",\"cvr_id\":\"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\","
                "\"election\":\"city-2026\",\"officer\":\"0123456789abcdef\"}";
        static const char want1[] =
                "{\"ballot\":{\"spoiled\":true},\"channel\":\"paper\",\"cvr_id\":"
                "\"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\",\"election\":\"solo\",\"officer\":\"o1\"}";
        struct pb_contest_ballot parts[2] = { { NORTH, north, north_points, 2, PB_MARK_NONE },
                                              { CITY, NULL, NULL, 0, PB_MARK_BLANK } };
        struct pb_cvr_paper paper = { "B-7", "0123456789abcdef" }, officer_only = { NULL, "o1" };
        struct pb_vote_ballots vb, vb1;
        struct pb_cvr_meta meta;
        struct pb_buf out;
        uint8_t id[PB_CVR_ID_BYTES];
        char t[512];

        pb_buf_init(&out, 0);
        memset(id, 10, sizeof(id));
        if (!m || !m1)
                goto out;
        CHECK(pb_vote_ballots_init(&vb, m) == PB_OK);
        CHECK(pb_vote_ballots_init(&vb1, m1) == PB_OK);
        CHECK(pb_vote_cvr_write(m, parts, 2, PB_CHANNEL_PAPER, &paper, id, &out) == PB_OK);
        CHECK_STR(out.data, want);
        CHECK(pb_vote_cvr_parse(m, out.data, out.len, &vb, &meta, NULL) == PB_OK);
        CHECK_STR(meta.batch, "B-7");
        CHECK_STR(meta.officer, "0123456789abcdef");
        CHECK_INT(vb.n, 2);
        CHECK_INT(vb.part[0].contest, CITY);
        CHECK_INT(vb.part[0].mark, PB_MARK_BLANK);
        CHECK_INT(vb.part[1].mark, PB_MARK_NONE);
        /* the one-contest form takes a mark too, and a record of only the officer */
        pb_buf_reset(&out);
        parts[0] = (struct pb_contest_ballot){ 0, NULL, NULL, 0, PB_MARK_SPOILED };
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_PAPER, &officer_only, id, &out) == PB_OK);
        CHECK_STR(out.data, want1);
        CHECK(pb_vote_cvr_parse(m1, out.data, out.len, &vb1, &meta, NULL) == PB_OK);
        CHECK(vb1.n == 1 && vb1.part[0].mark == PB_MARK_SPOILED);
        CHECK(meta.batch[0] == '\0');
        CHECK_STR(meta.officer, "o1");
        /* marks and records only on paper; a mark has no picks; labels are plain */
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_ELECTRONIC, NULL, id, &out) == PB_ERR_INVALID);
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_IMPORTED, NULL, id, &out) == PB_ERR_INVALID);
        parts[0].mark = PB_MARK_NONE;
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_ELECTRONIC, &officer_only, id, &out) ==
              PB_ERR_INVALID);
        parts[0] = (struct pb_contest_ballot){ 0, north, NULL, 1, PB_MARK_BLANK };
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_PAPER, NULL, id, &out) == PB_ERR_INVALID);
        parts[0] = (struct pb_contest_ballot){ 0, NULL, NULL, 0, PB_MARK_COUNT };
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_PAPER, NULL, id, &out) == PB_ERR_INVALID);
        parts[0].mark = PB_MARK_BLANK;
        paper.batch = "a\"b";
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_PAPER, &paper, id, &out) == PB_ERR_INVALID);
        paper.batch = "";
        CHECK(pb_vote_cvr_write(m1, parts, 1, PB_CHANNEL_PAPER, &paper, id, &out) == PB_ERR_INVALID);
        CHECK_STR(out.data, want1); /* unchanged by the refusals */
        /* read back: a mark on another channel, another spelling of a mark, two marks */
        edit(want, "\"paper\"", "\"electronic\"", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) < 0);
        edit(want, "{\"blank\":true}", "{\"blank\":false}", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) < 0);
        edit(want, "{\"blank\":true}", "{\"blank\":true,\"spoiled\":true}", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) < 0);
        edit(want, "\"batch\":\"B-7\",", "", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, &meta, NULL) == PB_OK);
        CHECK(meta.batch[0] == '\0');
        edit(want, "\"officer\":\"0123456789abcdef\"}", "\"officer\":\"\"}", t, sizeof(t));
        CHECK(pb_vote_cvr_parse(m, t, strlen(t), &vb, NULL, NULL) < 0);
        pb_vote_ballots_release(&vb);
        pb_vote_ballots_release(&vb1);
out:
        pb_buf_release(&out);
        pb_manifest_free(m);
        pb_manifest_free(m1);
}

/* Parse @text into *@v (the previous tree freed) and read it as a submission's "ballots". */
static pb_err read_ballots(const struct pb_manifest *m, const char *text, cJSON **v,
                           struct pb_vote_ballots *vb, struct pb_diag *d)
{
        cJSON_Delete(*v);
        *v = NULL;
        pb_diag_clear(d);
        CHECK(pb_json_parse(text, strlen(text), 0, v, NULL) == PB_OK);
        return pb_vote_ballots_read(m, *v, "$.ballots", vb, d);
}

/* The "ballots" member of a submission as the API reads it: paths name the contest. */
static void test_submission_json(void)
{
        struct pb_manifest *m = vote();
        struct pb_vote_ballots vb;
        struct pb_diag d;
        cJSON *v = NULL;

        if (!m)
                return;
        CHECK(pb_vote_ballots_init(&vb, m) == PB_OK);
#define READ(text) read_ballots(m, text, &v, &vb, &d)
        CHECK(READ("{\"south\":{\"approvals\":[\"s2\"]},\"city\":{\"approvals\":[]}}") == PB_OK);
        CHECK_INT(vb.n, 2);
        CHECK_INT(vb.part[0].contest, SOUTH);
        CHECK_INT(vb.part[0].items[0], 1);
        CHECK(READ("{\"west\":{\"approvals\":[]}}") == PB_ERR_INVALID);
        CHECK_STR(d.refusal, "contest_unknown");
        CHECK_STR(d.path, "$.ballots");
        CHECK(READ("{\"north\":{\"points\":{\"p9\":1}}}") == PB_ERR_INVALID);
        CHECK_STR(d.refusal, "unknown_project");
        CHECK_STR(d.path, "$.ballots[\"north\"].points");
        CHECK(READ("{\"city\":{\"approvals\":[\"p1\",\"p1\"]}}") == PB_ERR_INVALID);
        CHECK_STR(d.refusal, "duplicate_pick");
        CHECK_STR(d.path, "$.ballots[\"city\"].approvals[1]");
        CHECK(READ("{\"city\":{\"points\":{}}}") == PB_ERR_PARSE);
        CHECK_STR(d.refusal, "ballot_malformed");
        CHECK(READ("[]") == PB_ERR_PARSE);
#undef READ
        cJSON_Delete(v);
        pb_vote_ballots_release(&vb);
        pb_manifest_free(m);
}

struct codes {
        char text[16][72];
        size_t n;
};

static pb_err collect(void *ctx, const struct pb_code *code)
{
        struct codes *cs = ctx;

        if (cs->n < 16)
                snprintf(cs->text[cs->n++], sizeof(cs->text[0]), "%s", code->text);
        return PB_OK;
}

/* A submission of @code with the @n ballots @b. */
static struct pb_submission sub(const char *code, const struct pb_contest_ballot *b, size_t n)
{
        struct pb_submission s;

        memset(&s, 0, sizeof(s));
        s.code = code;
        s.code_len = strlen(code);
        s.ballots = b;
        s.n_ballots = n;
        s.channel = PB_CHANNEL_ELECTRONIC;
        return s;
}

/* Cast @s alone; its outcome. */
static struct pb_cast_outcome cast1(struct pb_box *b, struct pb_submission s)
{
        struct pb_cast_outcome o;

        memset(&o, 0, sizeof(o));
        CHECK(pb_box_cast(b, &s, 1, &o, NULL) == PB_OK);
        return o;
}

static void path_of(char *out, size_t cap, const char *name)
{
        snprintf(out, cap, "%s/%s", dir, name);
}

/* Codes: a vote of several contests needs its contests named, each a contest of the vote, once. */
static void test_codes(struct pb_box *b, struct codes *north, struct codes *south)
{
        static const char *const bad[2][2] = { { "city", "west" }, { "north", "north" } };
        static const char *const cn[2] = { "north", "city" }, *const cs[2] = { "city", "south" };
        struct pb_diag d;
        struct codes none = { .n = 0 };

        CHECK_INT(pb_box_codes_issue(b, 1, collect, &none, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "$.contests");
        CHECK_STR(d.subject, "city north south"); /* the refusal names the contests to choose from */
        CHECK_INT(pb_box_codes_issue_for(b, 1, bad[0], 2, collect, &none, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "$.contests[1]");
        CHECK_INT(pb_box_codes_issue_for(b, 1, bad[1], 2, collect, &none, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "$.contests[1]");
        CHECK_INT(none.n, 0);
        CHECK(pb_box_codes_issue_for(b, 8, cn, 2, collect, north, NULL) == PB_OK);
        CHECK(pb_box_codes_issue_for(b, 4, cs, 2, collect, south, NULL) == PB_OK);
}

/* Once codes exist, a draft's contests are fixed; its projects may still change. */
static void test_draft_contests_fixed(struct pb_box *b)
{
        struct pb_manifest *m = NULL;
        struct pb_diag d;
        char t[sizeof(vote_text) + 64];

        edit(vote_text, "\"id\":\"south\"", "\"id\":\"east\"", t, sizeof(t));
        CHECK(pb_manifest_parse(t, strlen(t), &m, NULL) == PB_OK);
        CHECK_INT(pb_box_set_manifest(b, m, &d), PB_ERR_STATE);
        CHECK_STR(d.path, "$.contests");
        pb_manifest_free(m);
        m = NULL;
        edit(vote_text, "\"cost\":25", "\"cost\":26", t, sizeof(t));
        CHECK(pb_manifest_parse(t, strlen(t), &m, NULL) == PB_OK);
        CHECK(pb_box_set_manifest(b, m, NULL) == PB_OK);
        pb_manifest_free(m);
}

/* Every refusal of issue 14's "Bad input": a reason, a field path, nothing stored, the code unspent. */
static void test_refusals(struct pb_box *b, const struct codes *north, const char *other_vote_code)
{
        static const uint32_t p1[1] = { 0 }, s1[1] = { 0 }, p1p2p3[3] = { 0, 1, 2 };
        static const int64_t three[1] = { 3 }, four[1] = { 4 };
        struct pb_contest_ballot city = { CITY, p1, NULL, 1, PB_MARK_NONE },
                                 nb = { NORTH, p1, three, 1, PB_MARK_NONE },
                                 sb = { SOUTH, s1, NULL, 1, PB_MARK_NONE };
        struct pb_contest_ballot two[2], over[2];
        struct pb_cast_outcome o;
        struct pb_turnout before, after;
        struct pb_submission s;

        CHECK(pb_box_turnout(b, &before, NULL) == PB_OK);
        /* missing: a code for {city, north} without north (city may be skipped, north may not) */
        o = cast1(b, sub(north->text[0], &city, 1));
        CHECK_STR(o.diag.refusal, "contest_missing");
        CHECK_STR(o.diag.path, "$.ballots[\"north\"]");
        CHECK_INT(o.status, PB_ERR_INVALID);
        /* not allowed: a ballot for south with a code for {city, north} */
        two[0] = nb;
        two[1] = sb;
        o = cast1(b, sub(north->text[0], two, 2));
        CHECK_STR(o.diag.refusal, "contest_not_allowed");
        CHECK_STR(o.diag.path, "$.ballots[\"south\"]");
        CHECK_INT(o.status, PB_ERR_FORBIDDEN);
        /* unknown: a contest index the vote does not hold */
        two[1] = (struct pb_contest_ballot){ 9, s1, NULL, 1, PB_MARK_NONE };
        o = cast1(b, sub(north->text[0], two, 2));
        CHECK_STR(o.diag.refusal, "contest_unknown");
        CHECK_STR(o.diag.path, "$.ballots");
        /* no ballot at all, and the one-contest form in a vote of several */
        o = cast1(b, sub(north->text[0], two, 0));
        CHECK_STR(o.diag.refusal, "contest_missing");
        s = sub(north->text[0], NULL, 0);
        s.items = p1;
        s.n = 1;
        o = cast1(b, s);
        CHECK_STR(o.diag.refusal, "contest_missing");
        CHECK_STR(o.diag.path, "$.ballots");
        /* a contest twice */
        two[0] = nb;
        two[1] = nb;
        o = cast1(b, sub(north->text[0], two, 2));
        CHECK_STR(o.diag.refusal, "ballot_malformed");
        /* a ballot that breaks its own contest's rules: the contest's path */
        over[0] = city;
        over[1] = (struct pb_contest_ballot){ NORTH, p1, four, 1, PB_MARK_NONE };
        o = cast1(b, sub(north->text[0], over, 2));
        CHECK_STR(o.diag.refusal, "too_many_points");
        CHECK_STR(o.diag.path, "$.ballots[\"north\"].points");
        over[1] = nb;
        over[0] = (struct pb_contest_ballot){ CITY, p1p2p3, NULL, 3, PB_MARK_NONE };
        o = cast1(b, sub(north->text[0], over, 2));
        CHECK_STR(o.diag.refusal, "too_many_picks");
        CHECK_STR(o.diag.path, "$.ballots[\"city\"].approvals");
        /* a blank or spoiled mark is a paper's, never an electronic ballot's */
        two[0] = city;
        two[1] = (struct pb_contest_ballot){ NORTH, NULL, NULL, 0, PB_MARK_BLANK };
        o = cast1(b, sub(north->text[0], two, 2));
        CHECK_STR(o.diag.refusal, "ballot_malformed");
        CHECK_STR(o.diag.path, "$.ballots[\"north\"]");
        s = sub(north->text[0], two, 2);
        s.channel = PB_CHANNEL_PAPER;
        two[1].n = 1; /* a mark with picks */
        two[1].items = p1;
        o = cast1(b, s);
        CHECK_STR(o.diag.refusal, "ballot_malformed");
        /* a code of another vote: unknown here */
        two[0] = city;
        two[1] = nb;
        o = cast1(b, sub(other_vote_code, two, 2));
        CHECK_STR(o.diag.refusal, "code_unknown");
        /* nothing was stored and no code spent */
        CHECK(pb_box_turnout(b, &after, NULL) == PB_OK);
        CHECK_INT(after.ballots, before.ballots);
        CHECK_INT(after.codes_spent, before.codes_spent);
        for (int i = 0; i < 3; i++)
                CHECK_INT(after.by_contest[i], before.by_contest[i]);
        /* the refused code still votes */
        o = cast1(b, sub(north->text[0], two, 2));
        CHECK_INT(o.status, PB_OK);
}

/* Casts: codes for {city, north} and {city, south}; city left out by some.  @want counts ballots. */
static void cast_some(struct pb_box *b, const struct codes *north, const struct codes *south,
                      uint64_t want[3])
{
        static const uint32_t ab[2] = { 0, 1 }, c[1] = { 2 }, n2n3[2] = { 1, 2 }, s12[2] = { 0, 1 },
                              s2[1] = { 1 };
        static const int64_t pts[2] = { 2, 1 };
        struct pb_contest_ballot bl[2];
        struct pb_cast_outcome o, retry;
        struct pb_submission s;

        for (size_t i = 1; i < 6; i++) {
                bl[0] = (struct pb_contest_ballot){ NORTH, n2n3, pts, 2, PB_MARK_NONE };
                bl[1] = (struct pb_contest_ballot){ CITY, i % 2 ? ab : c, NULL, i % 2 ? 2 : 1, PB_MARK_NONE };
                s = sub(north->text[i], bl, i == 5 ? 1 : 2); /* the last leaves city out */
                s.has_submission_id = true;
                memset(s.submission_id, (int)i, 16);
                o = cast1(b, s);
                CHECK_INT(o.status, PB_OK);
                want[NORTH]++;
                want[CITY] += i == 5 ? 0 : 1;
                /* a retry with other contests gets the first commitment: never its ballots */
                bl[0] = (struct pb_contest_ballot){ SOUTH, s2, NULL, 1, PB_MARK_NONE };
                s.n_ballots = 1;
                retry = cast1(b, s);
                CHECK(retry.status == PB_OK && retry.replayed);
                CHECK(!memcmp(retry.receipt.commitment, o.receipt.commitment, 32));
        }
        for (size_t i = 0; i < 3; i++) {
                bl[0] = (struct pb_contest_ballot){ SOUTH, i ? s2 : s12, NULL, i ? 1 : 2, PB_MARK_NONE };
                bl[1] = (struct pb_contest_ballot){ CITY, ab, NULL, 2, PB_MARK_NONE };
                o = cast1(b, sub(south->text[i], bl, 2));
                CHECK_INT(o.status, PB_OK);
                want[SOUTH]++;
                want[CITY]++;
        }
        /* a paper an officer entered: its south ballot blank, recorded and counted as a paper for
         * south (turnout) but not in south's tally */
        {
                static const struct pb_cvr_paper paper = { "ward-3/1", "0011223344556677" };
                bl[0] = (struct pb_contest_ballot){ SOUTH, NULL, NULL, 0, PB_MARK_BLANK };
                bl[1] = (struct pb_contest_ballot){ CITY, c, NULL, 1, PB_MARK_NONE };
                s = sub(south->text[3], bl, 2);
                s.channel = PB_CHANNEL_PAPER;
                s.paper = &paper;
                o = cast1(b, s);
                CHECK_INT(o.status, PB_OK);
                want[SOUTH]++;
                want[CITY]++;
        }
}

/* Count contest @k of @m alone from @cvrs (its own election): the winners a tally must give it. */
static void check_contest_alone(const struct pb_manifest *signed_m, const struct pb_vote_count *count)
{
        for (size_t k = 0; k < signed_m->n_contests; k++) {
                const struct pb_contest *c = &signed_m->contests[k];
                struct pb_result res;

                pb_result_init(&res);
                CHECK(pb_tally_run(c->election, &c->rule, &res, NULL) == PB_OK);
                CHECK_INT(res.n_winners, count->res[k].n_winners);
                for (size_t i = 0; i < res.n_winners && i < count->res[k].n_winners; i++)
                        CHECK_INT(res.winners[i], count->res[k].winners[i]);
                CHECK_INT(res.spent, count->res[k].spent);
                pb_result_release(&res);
        }
}

/* The close statement counts by contest; the result holds every contest's tally; both verify. */
static void check_documents(struct pb_box *b, const uint64_t want[3])
{
        const struct pb_manifest *m = pb_box_manifest(b);
        struct pb_seal_envelope env;
        struct pb_doc_close close;
        struct pb_doc_result res;
        struct pb_buf doc;

        pb_buf_init(&doc, 0);
        pb_seal_envelope_init(&env);
        CHECK(pb_box_document(b, PB_BOX_DOC_CLOSE, &doc, NULL) == PB_OK);
        CHECK(pb_envelope_parse(doc.data, doc.len, 0, &env, NULL) == PB_OK);
        CHECK(pb_doc_close_parse((const char *)env.payload, env.payload_len, m, &close, NULL) == PB_OK);
        CHECK_INT(close.counts.n_contests, 3);
        for (int i = 0; i < 3; i++)
                CHECK_INT(close.counts.by_contest[i], want[i]);
        /* in byte order of the contest ids, after by_channel */
        CHECK(has(env.payload, env.payload_len, "\"by_contest\":{\"city\":"));
        /* without the manifest the counts are read as the document names them (pbvote certify) */
        CHECK(pb_doc_close_parse((const char *)env.payload, env.payload_len, NULL, &close, NULL) == PB_OK);
        CHECK_INT(close.counts.n_contests, 3);
        pb_buf_reset(&doc);
        pb_seal_envelope_release(&env);
        pb_seal_envelope_init(&env);
        CHECK(pb_box_document(b, PB_BOX_DOC_RESULT, &doc, NULL) == PB_OK);
        CHECK(pb_envelope_parse(doc.data, doc.len, 0, &env, NULL) == PB_OK);
        CHECK(pb_doc_result_parse((const char *)env.payload, env.payload_len, m, &res, NULL, NULL, NULL) ==
              PB_OK);
        CHECK(res.tally_len > 14 && !strncmp(res.tally, "{\"contests\":{\"city\":{", 21));
        CHECK(has(res.tally, res.tally_len, "\"north\":{") && has(res.tally, res.tally_len, "\"south\":{"));
        pb_seal_envelope_release(&env);
        pb_buf_release(&doc);
}

struct verified {
        size_t contests;
        bool valid;
};

static void summary(void *ctx, const struct pb_verify_summary *s)
{
        struct verified *v = ctx;

        v->contests = s->has_tally ? s->n_results : 0;
        v->valid = s->valid;
}

/* The whole lifecycle of a vote of three contests in the ballot box. */
static void test_box_lifecycle(void)
{
        struct pb_manifest *m = vote(), *other_m = NULL;
        struct pb_box *b = NULL, *other = NULL;
        struct codes north = { .n = 0 }, south = { .n = 0 }, foreign = { .n = 0 };
        struct pb_turnout t;
        struct pb_buf out;
        struct pb_verify_options o;
        struct verified v = { 0, false };
        uint64_t want[3] = { 0, 0, 0 };
        char db[128], db2[128], bundle[128];
        unsigned failed = 99;

        pb_buf_init(&out, 0);
        path_of(db, sizeof(db), "vote.db");
        path_of(db2, sizeof(db2), "other.db");
        path_of(bundle, sizeof(bundle), "bundle");
        if (!m)
                return;
        CHECK(pb_box_create(db, m, &b, NULL) == PB_OK);
        if (!b)
                goto out;
        CHECK(pb_box_set_engine_key(b, &engine, NULL) == PB_OK);
        test_codes(b, &north, &south);
        test_draft_contests_fixed(b);
        /* another vote with the same contests, on the same engine key: its codes are unknown here */
        {
                char text[sizeof(vote_text) + 16];
                edit(vote_text, "\"id\":\"city-2026\"", "\"id\":\"town-2026\"", text, sizeof(text));
                CHECK(pb_manifest_parse(text, strlen(text), &other_m, NULL) == PB_OK);
                CHECK(other_m && pb_box_create(db2, other_m, &other, NULL) == PB_OK);
                if (other) {
                        static const char *const cn[2] = { "city", "north" };
                        CHECK(pb_box_set_engine_key(other, &engine, NULL) == PB_OK);
                        CHECK(pb_box_codes_issue_for(other, 1, cn, 2, collect, &foreign, NULL) == PB_OK);
                }
        }
        CHECK(pb_box_election_open(b, &office, NULL) == PB_OK);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK);
        CHECK_INT(t.n_contests, 3);
        CHECK_INT(t.by_contest[CITY] + t.by_contest[NORTH] + t.by_contest[SOUTH], 0);
        if (foreign.n)
                test_refusals(b, &north, foreign.text[0]);
        want[CITY]++; /* the cast at the end of test_refusals: city and north */
        want[NORTH]++;
        cast_some(b, &north, &south, want);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK);
        for (int i = 0; i < 3; i++)
                CHECK_INT(t.by_contest[i], want[i]);
        CHECK_INT(t.ballots, 10);
        CHECK_INT(t.codes_spent, 10);
        CHECK(pb_box_check(b, NULL) == PB_OK);
        CHECK(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL) == PB_OK);
        CHECK(pb_box_tally(b, NULL, "pbvote test", &out, NULL) == PB_OK);
        check_documents(b, want);
        CHECK(pb_box_check(b, NULL) == PB_OK);
        CHECK(pb_box_export(b, bundle, NULL) == PB_OK);
        memset(&o, 0, sizeof(o));
        o.allow_uncertified = true;
        o.summary = summary;
        CHECK_INT(pb_bundle_verify(bundle, &o, NULL, &v, &failed), PB_OK);
        CHECK_INT(failed, 0);
        CHECK(v.valid);
        CHECK_INT(v.contests, 3);
out:
        pb_box_free(b);
        pb_box_free(other);
        pb_manifest_free(m);
        pb_manifest_free(other_m);
        pb_buf_release(&out);
}

/* Every contest of a vote counted on its own gives the outcome pb_vote_tally gives it. */
static void test_tally_per_contest(void)
{
        struct pb_manifest *m = vote();
        static const uint32_t ab[2] = { 0, 1 }, c[1] = { 2 }, n[2] = { 1, 2 }, s[2] = { 0, 1 };
        static const int64_t pts[2] = { 1, 2 };
        struct pb_vote_count count = { 0, NULL };
        struct pb_vote_ballots vb;
        struct pb_buf doc;

        pb_buf_init(&doc, 0);
        if (!m)
                return;
        CHECK(pb_vote_ballots_init(&vb, m) == PB_OK);
        for (int i = 0; i < 7; i++) {
                vb.n = 0;
                vb.part[vb.n++] =
                        (struct pb_contest_ballot){ CITY, i % 3 ? ab : c, NULL, i % 3 ? 2 : 1, PB_MARK_NONE };
                if (i % 2)
                        vb.part[vb.n++] = (struct pb_contest_ballot){ NORTH, n, pts, 2, PB_MARK_NONE };
                else
                        vb.part[vb.n++] = (struct pb_contest_ballot){ SOUTH, s, NULL, (size_t)(1 + i % 2),
                                                                      PB_MARK_NONE };
                CHECK(pb_vote_add_ballots(m, &vb, NULL) == PB_OK);
        }
        CHECK(pb_vote_tally(m, NULL, "pbvote test", &count, &doc, NULL) == PB_OK);
        CHECK_INT(count.n, 3);
        CHECK_INT(m->contests[CITY].election->ballots.n, 7);
        CHECK_INT(m->contests[NORTH].election->ballots.n, 3);
        CHECK_INT(m->contests[SOUTH].election->ballots.n, 4);
        /* a paper's blank and spoiled parts are not counted */
        vb.n = 0;
        vb.part[vb.n++] = (struct pb_contest_ballot){ CITY, NULL, NULL, 0, PB_MARK_BLANK };
        vb.part[vb.n++] = (struct pb_contest_ballot){ SOUTH, NULL, NULL, 0, PB_MARK_SPOILED };
        CHECK(pb_vote_add_ballots(m, &vb, NULL) == PB_OK);
        CHECK_INT(m->contests[CITY].election->ballots.n, 7);
        CHECK_INT(m->contests[SOUTH].election->ballots.n, 4);
        if (count.n == 3)
                check_contest_alone(m, &count);
        /* a seed for a vote without a seeded contest is refused */
        {
                uint64_t seed = 7;
                struct pb_diag d;
                CHECK_INT(pb_vote_tally(m, &seed, "pbvote test", NULL, &doc, &d), PB_ERR_INVALID);
                CHECK_STR(d.path, "seed");
        }
        pb_vote_count_release(&count);
        pb_vote_ballots_release(&vb);
        pb_buf_release(&doc);
        pb_manifest_free(m);
}

/* A one-contest manifest of id @id, currency @cur and scale @scale (budget 100 units, one project). */
static struct pb_manifest *one(const char *id, const char *cur, int scale, int64_t budget, int64_t cost)
{
        char t[1024];
        struct pb_manifest *m = NULL;

        snprintf(t, sizeof(t),
                 "{\"ballot\":{\"type\":\"approval\"},\"budget\":%lld,\"currency\":\"%s\",\"id\":\"%s\","
                 "\"projects\":[{\"cost\":%lld,\"id\":\"p\",\"name\":\"P\"}],\"rule\":{\"name\":\"greedy\","
                 "\"tie_break\":\"lexico\"},\"scale\":%d,\"title\":\"%s\",\"type\":\"pbvote.manifest/v1\"}",
                 (long long)budget, cur, id, (long long)cost, scale, id);
        CHECK(pb_manifest_parse(t, strlen(t), &m, NULL) == PB_OK);
        return m;
}

/* A city's files made one vote: the largest scale, the one currency, each contest optional. */
static void test_join(void)
{
        struct pb_manifest *parts[3], *m = NULL;
        struct pb_diag d;

        parts[0] = one("city", "PLN", 0, 100, 40);
        parts[1] = one("dab", "", 2, 5050, 1025);
        CHECK_INT(pb_manifest_join(parts, 2, "katowice", "Katowice 2021", &m, NULL), PB_OK);
        CHECK(parts[0] == NULL && parts[1] == NULL);
        if (m) {
                CHECK(m->has_contests && m->n_contests == 2);
                CHECK_INT(m->election->scale, 2);
                CHECK_STR(m->election->currency, "PLN");
                CHECK_STR(m->contests[1].election->currency, "PLN");
                CHECK_INT(m->contests[0].election->budget, 10000);
                CHECK_INT(m->contests[0].election->projects[0].cost, 4000);
                CHECK_INT(m->contests[1].election->budget, 5050);
                CHECK(m->contests[0].optional && m->contests[1].optional);
                CHECK_STR(m->contests[0].election->title, "city");
        }
        pb_manifest_free(m);
        m = NULL;
        parts[0] = one("a", "PLN", 0, 100, 40);
        parts[1] = one("b", "EUR", 0, 100, 40);
        CHECK_INT(pb_manifest_join(parts, 2, "v", "V", &m, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "currency");
        parts[0] = one("a", "PLN", 0, 100, 40);
        parts[1] = one("b", "PLN", 0, 100, 40);
        parts[2] = one("a", "PLN", 0, 100, 40);
        CHECK_INT(pb_manifest_join(parts, 3, "v", "V", &m, &d), PB_ERR_INVALID);
        CHECK(m == NULL && parts[2] == NULL);
        parts[0] = one("a", "PLN", 0, PB_JW_INT_MAX / 10, 40);
        parts[1] = one("b", "PLN", 6, 100, 40);
        CHECK_INT(pb_manifest_join(parts, 2, "v", "V", &m, &d), PB_ERR_OVERFLOW);
}

int main(void)
{
        uint8_t seed[32];
        char cmd[128];

        if (sodium_init() < 0)
                return 1;
        snprintf(dir, sizeof(dir), "/tmp/pbvote-test-contests-XXXXXX");
        if (!mkdtemp(dir))
                return 1;
        memset(seed, 1, sizeof(seed));
        CHECK(pb_key_secret_from_seed(&engine, "pb.test/engine", seed, NULL) == PB_OK);
        memset(seed, 2, sizeof(seed));
        CHECK(pb_key_secret_from_seed(&office, "pb.test/office", seed, NULL) == PB_OK);
        RUN(test_manifest);
        RUN(test_cvr);
        RUN(test_cvr_paper);
        RUN(test_submission_json);
        RUN(test_tally_per_contest);
        RUN(test_join);
        RUN(test_box_lifecycle);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return check_summary("contests");
}
