/**
 * @file A closed election is always countable (issue 11): for every ballot type and every rule,
 * a manifest at the extremes the parser accepts (amounts and points of 2^53 - 1, no point limits
 * at all) takes ballots the box would accept, and pb_tally_run() and the result document then
 * succeed, with exact per-project scores.  Everything goes through the entry points the ballot
 * box uses: pb_manifest_parse(), pb_ballot_check() in strict mode, pb_tally_run(),
 * pb_result_format_json().  Expected values are worked out by hand in the comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_manifest.h"
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "engine/pb_validate.h"

#define M 9007199254740991LL /* 2^53 - 1: the largest amount, cost, point value a manifest holds */
#define N_HEAVY 1100         /* ballots giving a project M points: 1100 M > 2^63 - 1 */

/* The four projects: p0 costs the whole budget, p1 one unit, p2 all but one, p3 about half. */
static const char projects[] = "[{\"id\":\"p0\",\"name\":\"zero\",\"cost\":9007199254740991},"
                               "{\"id\":\"p1\",\"name\":\"one\",\"cost\":1},"
                               "{\"id\":\"p2\",\"name\":\"two\",\"cost\":9007199254740990},"
                               "{\"id\":\"p3\",\"name\":\"three\",\"cost\":4503599627370495}]";

static struct pb_manifest *manifest(const char *ballot, const char *rule, pb_err *ret, struct pb_diag *d)
{
        char buf[2048];
        struct pb_manifest *m = NULL;

        snprintf(buf, sizeof(buf),
                 "{\"type\":\"pbvote.manifest/v1\",\"id\":\"x\",\"title\":\"extremes\",\"currency\":\"EUR\","
                 "\"scale\":0,\"budget\":9007199254740991,\"projects\":%s,\"ballot\":%s,\"rule\":%s}",
                 projects, ballot, rule);
        pb_diag_clear(d);
        *ret = pb_manifest_parse(buf, strlen(buf), &m, d);
        return m;
}

/* One ballot: @n project indexes and points (NULL for ballots without points). */
struct ballot {
        size_t n;
        uint32_t item[4];
        int64_t points[4];
        unsigned times; /* cast this many times */
};

/* What each ballot type casts: the largest points the manifest allows, on the same projects. */
struct kind {
        const char *name;
        const char *ballot; /* the manifest's ballot object */
        struct ballot b[3];
        size_t nb;
        const char *score_p0, *score_p1; /* the greedy score of p0 and p1 in the result document */
};

/*
 * Scores by hand (score auto: votes for approval, L..1 for ordinal, points otherwise):
 * approval: p0 approved by the 1100 + 1 first-kind ballots, p1 by all 1100 + 1 + 1 = 1102.
 * ordinal p0 > p2 > p1 > p3 (L = 4) x 1100, then p1 > p0 (L = 2): p0 = 1100 x 4 + 1 = 4401,
 *   p1 = 1100 x 2 + 2 = 2202.
 * cumulative (max_sum_points M): {p0: M} x 1100, {p1: M - 1, p3: 1}: p0 = 1100 M =
 *   9907919180215090100 (beyond int64), p1 = M - 1 = 9007199254740990.
 * scoring without limits: {p0: M, p1: -M, p2: M, p3: -M} x 1100, {p0: M}: p0 = 1101 M =
 *   9916926379469831091, p1 = -1100 M = -9907919180215090100.
 * scoring with default_score -M: {p0: M} x 1100, {p1: M}: p1 = M + 1100 (-M) = -1099 M =
 *   -9898911980960349109, p0 = 1100 M + (-M) = 1099 M = 9898911980960349109.
 */
static const struct kind kinds[] = {
        { "approval",
          "{\"type\":\"approval\"}",
          { { 4, { 0, 1, 2, 3 }, { 0 }, N_HEAVY }, { 2, { 1, 0 }, { 0 }, 1 }, { 1, { 1 }, { 0 }, 1 } },
          3,
          "1101",
          "1102" },
        { "knapsack",
          "{\"type\":\"approval\",\"max_sum_cost\":9007199254740991}",
          { { 1, { 0 }, { 0 }, N_HEAVY }, { 2, { 1, 2 }, { 0 }, 1 }, { 2, { 3, 1 }, { 0 }, 1 } },
          3,
          "1100",
          "2" },
        { "choose-1",
          "{\"type\":\"choose-1\"}",
          { { 1, { 0 }, { 0 }, N_HEAVY }, { 1, { 1 }, { 0 }, 2 }, { 1, { 3 }, { 0 }, 1 } },
          3,
          "1100",
          "2" },
        { "ordinal",
          "{\"type\":\"ordinal\"}",
          { { 4, { 0, 2, 1, 3 }, { 0 }, N_HEAVY }, { 2, { 1, 0 }, { 0 }, 1 } },
          2,
          "4401",
          "2202" },
        { "cumulative",
          "{\"type\":\"cumulative\",\"max_sum_points\":9007199254740991}",
          { { 1, { 0 }, { M }, N_HEAVY }, { 2, { 1, 3 }, { M - 1, 1 }, 1 } },
          2,
          "9907919180215090100",
          "9007199254740990" },
        { "scoring",
          "{\"type\":\"scoring\"}",
          { { 4, { 0, 1, 2, 3 }, { M, -M, M, -M }, N_HEAVY }, { 1, { 0 }, { M }, 1 } },
          2,
          "9916926379469831091",
          "-9907919180215090100" },
        { "scoring-default",
          "{\"type\":\"scoring\",\"default_score\":-9007199254740991}",
          { { 1, { 0 }, { M }, N_HEAVY }, { 1, { 1 }, { M }, 1 } },
          2,
          "9898911980960349109",
          "-9898911980960349109" },
        /* default_score M: p0 = 1100 M + M = 1101 M, p1 = M + 1100 M = 1101 M */
        { "scoring-positive-default",
          "{\"type\":\"scoring\",\"default_score\":9007199254740991}",
          { { 1, { 0 }, { M }, N_HEAVY }, { 1, { 1 }, { M }, 1 } },
          2,
          "9916926379469831091",
          "9916926379469831091" },
};

static bool has_points(const struct kind *k)
{
        return !strncmp(k->name, "cumulative", 10) || !strncmp(k->name, "scoring", 7);
}

/* Cast every ballot of @k into @e as the box does: strict validation first. */
static bool cast_all(struct pb_election *e, const struct kind *k)
{
        for (size_t i = 0; i < k->nb; i++) {
                const struct ballot *b = &k->b[i];
                struct pb_diag d;

                pb_diag_clear(&d);
                if (pb_ballot_check(e, b->item, has_points(k) ? b->points : NULL, b->n, PB_CHECK_STRICT, NULL,
                                    &d) != PB_OK) {
                        fprintf(stderr, "%s: ballot %zu refused: %s: %s\n", k->name, i, d.path,
                                d.reason ? d.reason : "?");
                        return false;
                }
                for (unsigned t = 0; t < b->times; t++) {
                        for (size_t j = 0; j < b->n; j++)
                                if (pb_ballots_add_item(e, b->item[j], has_points(k) ? b->points[j] : 0) !=
                                    PB_OK)
                                        return false;
                        if (pb_ballots_end(e, NULL) != PB_OK)
                                return false;
                }
        }
        return true;
}

/* "score":<v> of project @id in the result document, as written. */
static bool doc_has_score(const char *doc, const char *id, const char *want)
{
        char pat[128];
        const char *at;

        snprintf(pat, sizeof(pat), "\"id\":\"%s\",", id);
        at = strstr(doc, pat);
        if (!at)
                return false;
        at = strstr(at, "\"score\":");
        if (!at)
                return false;
        at += 8;
        if (*at == '"')
                at++;
        return !strncmp(at, want, strlen(want)) && (at[strlen(want)] == ',' || at[strlen(want)] == '"');
}

/* The rules every ballot type is counted with (those that do not fit a type are refused at create). */
static const char *const rules[] = {
        "{\"name\":\"greedy\",\"tie_break\":\"file-order\"}",
        "{\"name\":\"greedy\",\"score\":\"votes\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"greedy-no-skip\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"greedy-threshold\",\"threshold\":9007199254740991,\"tie_break\":\"lexico\"}",
        "{\"name\":\"greedy-threshold\",\"threshold\":-9007199254740991,\"tie_break\":\"cost-then-votes\"}",
        "{\"name\":\"greedy-ratio\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"completion\":\"none\",\"tie_break\":\"cost-then-votes\"}",
        "{\"name\":\"equalshares\",\"tie_break\":\"cost-then-votes\"}",
        "{\"name\":\"equalshares\",\"completion\":\"add1-exhaustive\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"completion\":\"add1-unfloored\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"completion\":\"add1\",\"utilitarian_completion\":true,\"tie_break\":"
        "\"lexico\"}",
        "{\"name\":\"equalshares\",\"completion\":\"add1\",\"comparison\":true,\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"utility\":\"approval\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"utility\":\"approval\",\"completion\":\"none\",\"tie_break\":"
        "\"lexico\"}",
        "{\"name\":\"equalshares\",\"utility\":\"points\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"equalshares\",\"utility\":\"points\",\"completion\":\"add1-exhaustive\",\"tie_break\":"
        "\"lexico\"}",
        "{\"name\":\"equalshares\",\"utility\":\"borda\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"phragmen\",\"tie_break\":\"lexico\"}",
        "{\"name\":\"maximin-support\",\"tie_break\":\"lexico\"}",
};

/* Must the manifest parser accept this rule for this ballot type?  (Rules that need approval
 * ballots, points or ranks are refused for other types, with the rule's field named.) */
static bool fits(const struct kind *k, const char *rule)
{
        bool approval =
                !strcmp(k->name, "approval") || !strcmp(k->name, "knapsack") || !strcmp(k->name, "choose-1");

        if (strstr(rule, "phragmen") || strstr(rule, "maximin"))
                return approval;
        if (strstr(rule, "\"points\""))
                /* equal shares cannot count points when unlisted projects get a positive score */
                return has_points(k) && strcmp(k->name, "scoring-positive-default");
        if (strstr(rule, "\"borda\""))
                return !strcmp(k->name, "ordinal");
        return true;
}

static void test_every_type_and_rule(void)
{
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
                for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
                        struct pb_diag d;
                        pb_err err;
                        struct pb_manifest *m = manifest(kinds[k].ballot, rules[r], &err, &d);
                        struct pb_result res;
                        struct pb_buf doc;

                        if (!fits(&kinds[k], rules[r])) {
                                CHECK(err != PB_OK);
                                CHECK(!strncmp(d.path, "$.rule", 6));
                                pb_manifest_free(m);
                                continue;
                        }
                        CHECK_INT(err, PB_OK);
                        if (!m) {
                                fprintf(stderr, "%s x %s: manifest refused: %s: %s\n", kinds[k].name,
                                        rules[r], d.path, d.reason ? d.reason : "?");
                                continue;
                        }
                        CHECK(cast_all(m->election, &kinds[k]));
                        pb_result_init(&res);
                        pb_buf_init(&doc, 0);
                        pb_diag_clear(&d);
                        err = pb_tally_run(m->election, &m->contests[0].rule, &res, &d);
                        CHECK_INT(err, PB_OK);
                        if (err == PB_OK)
                                err = pb_result_format_json(&res, m->election, "test", &doc);
                        CHECK_INT(err, PB_OK);
                        if (err != PB_OK) {
                                fprintf(stderr, "%s x %s: %s: %s: %s\n", kinds[k].name, rules[r],
                                        pb_err_name(err), d.path, d.reason ? d.reason : "?");
                        } else if (strstr(rules[r], "greedy\"") && !strstr(rules[r], "votes")) {
                                /* greedy with the automatic score shows the exact sums */
                                CHECK(doc_has_score(doc.data, "p0", kinds[k].score_p0));
                                CHECK(doc_has_score(doc.data, "p1", kinds[k].score_p1));
                                if (!doc_has_score(doc.data, "p0", kinds[k].score_p0) ||
                                    !doc_has_score(doc.data, "p1", kinds[k].score_p1))
                                        fprintf(stderr, "%s: %s\n", kinds[k].name, doc.data);
                        }
                        pb_buf_release(&doc);
                        pb_result_release(&res);
                        pb_manifest_free(m);
                }
        }
}

/*
 * Greedy by the exact sums, by hand.  Cumulative: p0 scores 1100 M, p1 M - 1, p3 1, p2 0;
 * p0 costs the whole budget: funded alone, nothing else fits.  Scoring: p0 1101 M, p2 1100 M,
 * p3 and p1 -1100 M; p0 funded, then nothing fits.  With the ratio (score per unit of cost):
 * cumulative p1 = (M - 1) / 1 is far above p0 = 1100 M / M = 1100: p1 first, then p3
 * (1 / ((M-1)/2), positive, fits), then p0 no longer fits, p2 (0 per cost) fits?  Spent so far
 * 1 + (M-1)/2 = (M+1)/2; p2 costs M - 1 > M - (M+1)/2: no.  Winners p1, p3.
 */
static void test_greedy_by_hand(void)
{
        static const struct {
                size_t kind;
                const char *rule, *winners;
        } cases[] = {
                { 4, "{\"name\":\"greedy\",\"tie_break\":\"lexico\"}", "p0" },
                { 5, "{\"name\":\"greedy\",\"tie_break\":\"lexico\"}", "p0" },
                { 4, "{\"name\":\"greedy-ratio\",\"tie_break\":\"lexico\"}", "p1p3" },
                /* below p0's 1100 M no project qualifies on scoring but p0 and p2 (1100 M) */
                { 5,
                  "{\"name\":\"greedy-threshold\",\"threshold\":9007199254740991,\"tie_break\":\"lexico\"}",
                  "p0" },
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct pb_diag d;
                pb_err err;
                struct pb_manifest *m = manifest(kinds[cases[c].kind].ballot, cases[c].rule, &err, &d);
                struct pb_result res;
                char w[64] = "";

                CHECK_INT(err, PB_OK);
                if (!m)
                        continue;
                CHECK(cast_all(m->election, &kinds[cases[c].kind]));
                pb_result_init(&res);
                CHECK_INT(pb_tally_run(m->election, &m->contests[0].rule, &res, &d), PB_OK);
                for (size_t i = 0; i < res.n_winners; i++)
                        strncat(w, m->election->projects[res.winners[i]].id, sizeof(w) - strlen(w) - 1);
                CHECK_STR(w, cases[c].winners);
                pb_result_release(&res);
                pb_manifest_free(m);
        }
}

/* With @lim set to @v, the ballot @items/@points (@n picks) is refused, saying @reason. */
static void check_over_limit(struct pb_election *e, enum pb_limit lim, int64_t v, const uint32_t *items,
                             const int64_t *points, size_t n, const char *reason)
{
        struct pb_diag d;

        e->limits.has[lim] = true;
        e->limits.v[lim] = v;
        pb_diag_clear(&d);
        CHECK_INT(pb_ballot_check(e, items, points, n, PB_CHECK_STRICT, NULL, &d), PB_ERR_INVALID);
        CHECK_STR(d.reason, reason);
}

/*
 * A ballot's own sums: 1100 projects of cost M approved at once cost 1100 M > 2^63 - 1.  Without
 * a cost limit the ballot is valid; with max_sum_cost M it is refused for exceeding it (not for
 * an overflow).  The same for 1100 scores of M without and with max_sum_points.
 */
static void test_ballot_sums(void)
{
        enum { NP = 1100 };
        struct pb_election *e = pb_election_new();
        uint32_t *items = pb_calloc(NP, sizeof(*items));
        int64_t *points = pb_calloc(NP, sizeof(*points));
        struct pb_diag d;

        CHECK(e && items && points);
        if (!e || !items || !points)
                goto out;
        e->budget = M;
        for (uint32_t i = 0; i < NP; i++) {
                char id[16];
                snprintf(id, sizeof(id), "p%u", i);
                CHECK_INT(pb_election_add_project(e, id, strlen(id), M, NULL, &d), PB_OK);
                items[i] = i;
                points[i] = M;
        }
        e->vote_type = PB_VOTE_APPROVAL;
        CHECK_INT(pb_ballot_check(e, items, NULL, NP, PB_CHECK_STRICT, NULL, &d), PB_OK);
        check_over_limit(e, PB_LIM_MAX_SUM_COST, M, items, NULL, NP, "picks cost more than max_sum_cost");
        e->vote_type = PB_VOTE_SCORING;
        e->limits.has[PB_LIM_MAX_SUM_COST] = false;
        CHECK_INT(pb_ballot_check(e, items, points, NP, PB_CHECK_STRICT, NULL, &d), PB_OK);
        check_over_limit(e, PB_LIM_MAX_SUM_POINTS, M, items, points, NP,
                         "more points in total than max_sum_points");
out:
        pb_free(items);
        pb_free(points);
        pb_election_free(e);
}

int main(void)
{
        RUN(test_every_type_and_rule);
        RUN(test_greedy_by_hand);
        RUN(test_ballot_sums);
        return check_summary("extremes");
}
