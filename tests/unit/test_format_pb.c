/** @file The .pb reader and writer: edge cases from reference/pabulib.md §1, round trips, and
 *  every shared pabulib file (argv[1] = the shared pabulib folder). */
#include <dirent.h>
#include <stdlib.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_buf.h"

static struct pb_election *parse(const char *text, pb_err *ret_err, struct pb_diag *d)
{
        struct pb_election *e = NULL;

        pb_diag_clear(d);
        *ret_err = pb_format_pb_parse(text, strlen(text), &e, NULL, d);
        return e;
}

/* @text parsed: it must parse.  NULL (a failed check) when it does not; the caller frees it. */
static struct pb_election *parse_ok(const char *text)
{
        struct pb_diag d;
        pb_err e;
        struct pb_election *el = parse(text, &e, &d);

        CHECK_INT(e, PB_OK);
        return el;
}

#define HEAD(vote_type, extra_meta)                                                                          \
        "META\nkey;value\ndescription;test\ncountry;Poland\nunit;Test\ninstance;2024\nnum_projects;3\n"      \
        "num_votes;2\nbudget;100\nvote_type;" vote_type                                                      \
        "\nrule;greedy\ndate_begin;2024\ndate_end;2024\n" extra_meta

static void test_quoting(void)
{
        /* doubled quotes and ';' inside a quoted name (Wrocław 2017), a stray quote in an unquoted
         * field (Częstochowa 2020), CRLF line ends, a quoted line break */
        const char *text = HEAD("approval", "") "PROJECTS\r\nproject_id;cost;name\r\n"
                                                "1;50;\"\"\"Konikowo\"\" - plac; ETAP II\"\r\n"
                                                "2;30;Konkurs \" NA NAJ\r\n"
                                                "3;20;\"two\nlines\"\r\n"
                                                "VOTES\r\nvoter_id;vote\r\nv1;1,2\r\nv2;3\r\n";
        struct pb_election *el = parse_ok(text);

        if (!el)
                return;
        CHECK_STR(el->projects[0].name, "\"Konikowo\" - plac; ETAP II");
        CHECK_STR(el->projects[1].name, "Konkurs \" NA NAJ");
        CHECK_STR(el->projects[2].name, "two\nlines");
        CHECK_INT(el->ballots.n, 2);
        CHECK_INT(pb_ballot_len(&el->ballots, 0), 2);
        CHECK_INT(el->ballots.item[2], 2);
        pb_election_free(el);
}

static void test_money_and_sentinel(void)
{
        const char *text = HEAD(
                "ordinal", "min_length;1\n") "PROJECTS\nproject_id;cost;votes;score;selected\n"
                                             "BO.OM.97/24;40.5;2;3;1\nc1;999999999;1;2;0\nx;59.25;0;0;3\n"
                                             "VOTES\nvoter_id;vote\nv1;BO.OM.97/24,c1\nv2;BO.OM.97/24\n";
        struct pb_election *el = parse_ok(text);

        if (!el)
                return;
        CHECK_INT(el->scale, 2);
        CHECK_INT(el->budget, 10000);
        CHECK_INT(el->projects[0].cost, 4050);
        CHECK_INT(el->projects[2].cost, 5925);
        CHECK(el->projects[1].withdrawn);
        CHECK(!el->projects[0].withdrawn);
        CHECK_INT(el->projects[0].selected, 1);
        CHECK_INT(el->projects[2].selected, 3);
        CHECK_INT(el->projects[0].declared_score, 3);
        CHECK_INT(pb_election_find_project(el, "c1", 2), 1);
        CHECK_INT(pb_election_find_project(el, "c", 1), -1);
        pb_election_free(el);
}

static void test_bom_none_blank(void)
{
        const char *text = "\xef\xbb\xbf" HEAD(
                "cumulative",
                "max_sum_points;5\n") "PROJECTS\nproject_id;cost;name\n1;10;None\n2;20;NONE\n3;30;x\n\n"
                                      "VOTES\nvoter_id;vote;points;age\nv1;1,2;3,2;none\nv2;3;5;31\n";
        struct pb_election *el = parse_ok(text);

        if (!el)
                return;
        CHECK_STR(el->projects[0].name, "");
        CHECK_STR(el->projects[2].name, "x");
        CHECK_INT(el->ballots.points[1], 2);
        CHECK_INT(el->ballots.n_extra, 1);
        CHECK(el->ballots.extra[0] == NULL);
        CHECK_STR(el->ballots.extra[1], "31");
        pb_election_free(el);
}

struct bad_case {
        const char *text;
        pb_err code;
        unsigned line;
        const char *reason_part;
};

static void test_errors(void)
{
        static const struct bad_case cases[] = {
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;"
                                       "vote\nv1;1,9\nv2;1\n",
                  PB_ERR_INVALID, 21, "not in PROJECTS" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;"
                                       "vote\nv1;1,1\nv2;1\n",
                  PB_ERR_INVALID, 21, "listed twice" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n1;20\n3;30\nVOTES\nvoter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_CONFLICT, 17, "duplicate project id" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;-20\n3;30\nVOTES\nvoter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_INVALID, 17, "must be positive" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;2x0\n3;30\nVOTES\nvoter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_PARSE, 17, "not a decimal number" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;99999999999999999999999\n3;30\nVOTES\n"
                           "voter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_OVERFLOW, 17, "too large" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;vote\nv1;1\nv1;2\n",
                  PB_ERR_CONFLICT, 22, "voter id given twice" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;vote\nv1;1\n",
                  PB_ERR_INVALID, 8, "num_votes differs" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;20\nVOTES\nvoter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_INVALID, 7, "num_projects differs" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\n", PB_ERR_PARSE, 0,
                  "truncated" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;vote\nv1;\"1\n",
                  PB_ERR_PARSE, 21, "not closed" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10;x\n", PB_ERR_PARSE, 16,
                  "more fields" },
                { HEAD("cumulative",
                       "max_sum_points;3\n") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\n"
                                             "voter_id;vote;points\nv1;1,2;1,x\nv2;1;1\n",
                  PB_ERR_PARSE, 22, "not an integer" },
                { HEAD("cumulative",
                       "max_sum_points;3\n") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\n"
                                             "voter_id;vote;points\nv1;1,2;1\nv2;1;1\n",
                  PB_ERR_INVALID, 22, "different lengths" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;30\nVOTES\nvoter_id;"
                                       "vote\nv1;1\nv2;1,\xff\n",
                  PB_ERR_PARSE, 22, "invalid UTF-8" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;1\0"
                                       "0\n",
                  PB_ERR_PARSE, 16, "NUL byte" },
                { "hello;world\n", PB_ERR_PARSE, 1, "before the META" },
                { "", PB_ERR_PARSE, 0, "empty file" },
                { HEAD("approval", "") "VOTES\nvoter_id;vote\n", PB_ERR_PARSE, 14, "section missing" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\nMETA\nkey;value\n", PB_ERR_PARSE, 17,
                  "out of order" },
                { HEAD("approval", "") "PROJECTS\ncost;project_id\n", PB_ERR_PARSE, 15,
                  "must start with project_id" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost;cost\n", PB_ERR_PARSE, 15, "named twice" },
                { HEAD("ranked", "") "PROJECTS\nproject_id;cost\n", PB_ERR_INVALID, 10, "unknown vote_type" },
                { HEAD("approval",
                       "") "PROJECTS\nproject_id;cost\n1;10\n2;20\n3;300\nVOTES\nvoter_id;vote\nv1;1\nv2;1\n",
                  PB_ERR_INVALID, 18, "exceeds the budget" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;10\n2;20,5\n3;30\nVOTES\nvoter_id;"
                                       "vote\nv1;1\nv2;1\n",
                  PB_ERR_PARSE, 17, "comma" },
                { HEAD("approval", "") "PROJECTS\nproject_id;cost;selected\n1;10;4\n", PB_ERR_INVALID, 16,
                  "selected must be" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pb_diag d;
                pb_err e;
                /* the NUL case needs its true length */
                size_t len = strlen(cases[i].text);
                struct pb_election *el = NULL;

                if (strstr(cases[i].reason_part, "NUL"))
                        len += 3;
                pb_diag_clear(&d);
                e = pb_format_pb_parse(cases[i].text, len, &el, NULL, &d);
                CHECK_INT(e, cases[i].code);
                CHECK(el == NULL);
                if (cases[i].line)
                        CHECK_INT(d.line, cases[i].line);
                CHECK(d.reason && strstr(d.reason, cases[i].reason_part));
                if (e != cases[i].code || (cases[i].line && d.line != cases[i].line) || !d.reason ||
                    !strstr(d.reason, cases[i].reason_part))
                        fprintf(stderr, "  case %zu: got %s line %u reason '%s'\n", i, pb_err_name(e), d.line,
                                d.reason ? d.reason : "");
                pb_election_free(el);
        }
}

/* read -> write -> read gives the same election; write again gives the same bytes */
static void round_trip(const char *name, const char *data, size_t len)
{
        struct pb_election *a = NULL, *b = NULL;
        struct pb_buf w1, w2;
        struct pb_diag d;

        pb_buf_init(&w1, 0);
        pb_buf_init(&w2, 0);
        pb_diag_clear(&d);
        CHECK_INT(pb_format_pb_parse(data, len, &a, NULL, &d), PB_OK);
        if (!a) {
                fprintf(stderr, "  %s: line %u: %s\n", name, d.line, d.reason ? d.reason : "");
                goto out;
        }
        CHECK_INT(pb_format_pb_write(a, &w1), PB_OK);
        CHECK_INT(pb_format_pb_parse(w1.data, w1.len, &b, NULL, &d), PB_OK);
        if (!b) {
                fprintf(stderr, "  %s rewritten: line %u: %s\n", name, d.line, d.reason ? d.reason : "");
                goto out;
        }
        CHECK(pb_election_equal(a, b));
        if (!pb_election_equal(a, b))
                fprintf(stderr, "  %s: round trip changed the election\n", name);
        CHECK_INT(pb_format_pb_write(b, &w2), PB_OK);
        CHECK(w1.len == w2.len && !memcmp(w1.data, w2.data, w1.len));
out:
        pb_election_free(a);
        pb_election_free(b);
        pb_buf_release(&w1);
        pb_buf_release(&w2);
}

/* every prefix of a small real file is refused cleanly (or, cut at a line end, parsed) */
static void truncations(const char *data, size_t len)
{
        size_t step = len / 200 + 1;

        for (size_t cut = 0; cut < len; cut += step) {
                struct pb_election *e = NULL;
                struct pb_diag d;
                pb_err r;

                pb_diag_clear(&d);
                r = pb_format_pb_parse(data, cut, &e, NULL, &d);
                CHECK(r == PB_OK || (r < 0 && d.reason != NULL && e == NULL));
                pb_election_free(e);
        }
}

static void test_shared_files(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;
        int n = 0;

        CHECK(dh != NULL);
        if (!dh)
                return;
        while ((de = readdir(dh))) {
                char path[4096];
                char *data;
                size_t len, l = strlen(de->d_name);
                struct pb_diag d;

                if (l < 4 || strcmp(de->d_name + l - 3, ".pb"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0) {
                        CHECK(0);
                        continue;
                }
                round_trip(de->d_name, data, len);
                if (len < 30000)
                        truncations(data, len);
                pb_free(data);
                n++;
        }
        closedir(dh);
        CHECK(n >= 26); /* the shared set has 26 files; fewer means the data is missing */
}

/* Fail every allocation in turn (curl's torture): each failure must come back as NOMEM with
 * nothing leaked (ASan checks), and the first run with enough memory must succeed. */
static void test_oom(void)
{
        const char *text =
                HEAD("cumulative",
                     "max_sum_points;5\n") "PROJECTS\nproject_id;cost;name;district\n1;10;\"a;b\";x\n2;20;b;"
                                           "y\n3;30;c;z\n"
                                           "VOTES\nvoter_id;vote;points;age\nv1;1,2;3,2;40\nv2;3;5;31\n";
        long n;

        for (n = 0; n < 10000; n++) {
                struct pb_election *e = NULL;
                struct pb_report rep;
                pb_err r;

                pb_alloc_fail_after(n);
                r = pb_format_pb_parse(text, strlen(text), &e, NULL, NULL);
                pb_alloc_fail_after(-1);
                if (r == PB_OK) {
                        pb_election_free(e);
                        break;
                }
                CHECK_INT(r, PB_ERR_NOMEM);
                CHECK(e == NULL);
                /* the collecting mode too */
                pb_report_init(&rep, 10);
                pb_alloc_fail_after(n);
                r = pb_format_pb_parse(text, strlen(text), &e, &rep, NULL);
                pb_alloc_fail_after(-1);
                CHECK(r == PB_OK || r == PB_ERR_NOMEM);
                pb_election_free(e);
                e = NULL;
                pb_report_release(&rep);
        }
        CHECK(n > 5 && n < 10000);
}

/* Out of memory at every allocation of a file large enough that each growing array grows more
 * than once (70 projects, 1,100 ballots with points, voter ids and an extra column). */
static void test_oom_growth(void)
{
        struct pb_buf t;
        long n;
        bool ok = true;

        pb_buf_init(&t, 0);
        ok &= pb_buf_addf(&t, "META\nkey;value\ndescription;test\ncountry;Poland\nunit;Test\ninstance;2024\n"
                              "num_projects;70\nnum_votes;1100\nbudget;100000\nvote_type;cumulative\n"
                              "max_sum_points;5\nrule;greedy\nPROJECTS\nproject_id;cost\n") == PB_OK;
        for (int i = 1; i <= 70; i++)
                ok &= pb_buf_addf(&t, "%d;%d\n", i, 10 * i) == PB_OK;
        ok &= pb_buf_addf(&t, "VOTES\nvoter_id;vote;points;age\n") == PB_OK;
        for (int i = 0; i < 1100; i++)
                ok &= pb_buf_addf(&t, "v%d;%d,%d;3,2;%d\n", i, i % 70 + 1, (i + 1) % 70 + 1, 18 + i % 60) ==
                      PB_OK;
        CHECK(ok);
        for (n = 0; ok && n < 10000; n++) {
                struct pb_election *e = NULL;
                pb_err r;

                pb_alloc_fail_after(n);
                r = pb_format_pb_parse(t.data, t.len, &e, NULL, NULL);
                pb_alloc_fail_after(-1);
                if (r == PB_OK) {
                        CHECK_INT(e->n_projects, 70);
                        CHECK_INT(e->ballots.n, 1100);
                        CHECK_INT(e->ballots.n_items, 2200);
                        CHECK_INT(e->ballots.points[2199], 2);
                        CHECK_STR(e->ballots.voter_id[1099], "v1099");
                        CHECK_STR(e->ballots.extra[1099], "37"); /* 18 + 1099 % 60 */
                        pb_election_free(e);
                        break;
                }
                CHECK_INT(r, PB_ERR_NOMEM);
                CHECK(e == NULL);
        }
        CHECK(n > 10 && n < 10000);
        pb_buf_release(&t);
}

/*
 * The lenient read of the tally (docs/formats.md, "Lenient reading"): a project repeated in an
 * approval vote is kept once, whitespace around cells and list items is dropped, each kind
 * counted with its first place; the strict read refuses the same text at its first problem; a
 * repeat on an ordinal ballot stays an error.  Lines: 14 PROJECTS, 16 p1, 17 p2, 21 v1, 22 v2.
 */
static void test_lenient(void)
{
        const char *text = HEAD("approval", "") "PROJECTS\nproject_id;cost\n1;60\n2; 30\n3;50\n"
                                                "VOTES\nvoter_id;vote\nv1;1,1,2\nv2;2 ,1,2,2\n";
        struct pb_pb_tolerance tol;
        struct pb_election *e = NULL;
        struct pb_diag d;
        pb_err err;

        pb_diag_clear(&d);
        CHECK_INT(pb_format_pb_parse_lenient(text, strlen(text), &e, &tol, &d), PB_OK);
        if (e) {
                CHECK_INT(e->ballots.n, 2);
                CHECK_INT(pb_ballot_len(&e->ballots, 0), 2); /* 1, 2 */
                CHECK_INT(pb_ballot_len(&e->ballots, 1), 2); /* 2, 1 */
                CHECK_INT(e->projects[1].cost, 30);
                CHECK_INT(e->projects[0].repeats, 1);
                CHECK_INT(e->projects[1].repeats, 2);
        }
        CHECK_INT(tol.count[PB_PB_TOL_REPEAT], 3);
        CHECK_INT(tol.first[PB_PB_TOL_REPEAT].line, 21);
        CHECK_STR(tol.first[PB_PB_TOL_REPEAT].subject, "1");
        CHECK_INT(tol.count[PB_PB_TOL_CELL_SPACE], 1);
        CHECK_INT(tol.first[PB_PB_TOL_CELL_SPACE].line, 17);
        CHECK_INT(tol.count[PB_PB_TOL_LIST_SPACE], 1);
        CHECK_INT(tol.first[PB_PB_TOL_LIST_SPACE].line, 22);
        CHECK_STR(pb_pb_tolerated_type(PB_PB_TOL_REPEAT), "vote with duplicated projects");
        pb_election_free(e);

        e = parse(text, &err, &d);
        CHECK_INT(err, PB_ERR_PARSE);
        CHECK_INT(d.line, 17);
        CHECK(e == NULL);

        text = HEAD("ordinal", "") "PROJECTS\nproject_id;cost\n1;60\n2;30\n3;50\n"
                                   "VOTES\nvoter_id;vote\nv1;1,2,1\nv2;2\n";
        e = NULL;
        CHECK_INT(pb_format_pb_parse_lenient(text, strlen(text), &e, &tol, &d), PB_ERR_INVALID);
        CHECK_INT(d.line, 21);
        CHECK(e == NULL);
        CHECK_INT(tol.count[PB_PB_TOL_REPEAT], 0);
}

struct seen_progress {
        uint64_t calls, last_done, last_total, bad;
};

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
        struct seen_progress *sp = ctx;

        sp->bad += done <= sp->last_done; /* counts only go up */
        sp->calls++;
        sp->last_done = done;
        sp->last_total = total;
}

/*
 * The parse's progress (issue 17: `pbvote tally FILE.pb` on a terminal): 10,000 VOTES rows are
 * reported at 4,096 and 8,192 of META's num_votes, then 10,000 once the file is checked; in the
 * strict and the lenient read alike; a file that fails reports no total.
 */
static void test_progress(void)
{
        struct seen_progress sp;
        struct pb_progress p = { count_progress, &sp };
        struct pb_pb_tolerance tol;
        struct pb_election *e = NULL;
        struct pb_diag d;
        struct pb_buf t;
        pb_err err = PB_OK;

        pb_buf_init(&t, 0);
        for (int pass = 0; pass < 3; pass++) {
                pb_buf_release(&t);
                pb_buf_init(&t, 0);
                err = pb_buf_adds(&t, "META\nkey;value\ndescription;test\ncountry;Poland\nunit;Test\n"
                                      "instance;2024\nnum_projects;2\nbudget;100\nvote_type;approval\n"
                                      "rule;greedy\ndate_begin;2024\ndate_end;2024\n");
                /* the third file says one ballot more than it holds: refused, no total reported */
                err = err ? err : pb_buf_addf(&t, "num_votes;%d\n", pass == 2 ? 10001 : 10000);
                err = err ? err
                          : pb_buf_adds(&t, "PROJECTS\nproject_id;cost\n1;60\n2;30\nVOTES\nvoter_id;vote\n");
                for (int i = 0; err == PB_OK && i < 10000; i++)
                        err = pb_buf_addf(&t, "v%d;%d\n", i, i % 2 + 1);
                CHECK_INT(err, PB_OK);
                memset(&sp, 0, sizeof(sp));
                pb_diag_clear(&d);
                e = NULL;
                err = pb_format_pb_parse_progress(t.data, t.len, &e, pass == 1 ? &tol : NULL, &p, &d);
                CHECK_INT(err, pass == 2 ? PB_ERR_INVALID : PB_OK);
                CHECK_INT(sp.calls, pass == 2 ? 2 : 3);
                CHECK_INT(sp.last_done, pass == 2 ? 8192 : 10000);
                CHECK_INT(sp.last_total, pass == 2 ? 10001 : 10000);
                CHECK_INT(sp.bad, 0);
                if (e)
                        CHECK_INT(e->ballots.n, 10000);
                pb_election_free(e);
        }
        /* no progress asked: the same parse */
        CHECK_INT(pb_format_pb_parse_progress(t.data, t.len, &e, NULL, NULL, &d), PB_ERR_INVALID);
        pb_buf_release(&t);
}

int main(int argc, char **argv)
{
        RUN(test_quoting);
        RUN(test_money_and_sentinel);
        RUN(test_bom_none_blank);
        RUN(test_errors);
        RUN(test_lenient);
        RUN(test_progress);
        RUN(test_oom);
        RUN(test_oom_growth);
        if (argc > 1)
                test_shared_files(argv[1]);
        else
                CHECK(argc > 1); /* usage: test-format-pb SHARED_PABULIB_DIR */
        return check_summary("format_pb");
}
