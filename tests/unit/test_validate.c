/** @file pb_ballot_check: every rule of reference/pabulib.md §1.4 in both severities, and greedy
 *  outcomes on hand-built elections (the worked example of docs/rules.md). */
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_refusal.h"
#include "engine/pb_tally.h"
#include "engine/pb_validate.h"

static struct pb_election *make(enum pb_vote_type t, const int64_t *costs, size_t n, int64_t budget)
{
        struct pb_election *e = pb_election_new();
        char id[24];

        if (!e)
                return NULL;
        e->vote_type = t;
        e->budget = budget;
        for (size_t i = 0; i < n; i++) {
                snprintf(id, sizeof(id), "p%zu", i + 1);
                if (pb_election_add_project(e, id, strlen(id), costs[i], NULL, NULL) < 0) {
                        pb_election_free(e);
                        return NULL;
                }
        }
        return e;
}

static const char *refusal; /* the last check's refusal reason, "" when none */

static pb_err chk(const struct pb_election *e, const uint32_t *it, const int64_t *pts, size_t n,
                  enum pb_check_mode m, unsigned *warn, const char **why)
{
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_ballot_check(e, it, pts, n, m, warn, &d);
        *why = d.reason ? d.reason : "";
        refusal = d.refusal ? d.refusal : "";
        return r;
}

/* @it/@pts (@n picks) is refused under @m: invalid, the reason naming @word, the refusal @code. */
static void check_refused(const struct pb_election *e, const uint32_t *it, const int64_t *pts, size_t n,
                          enum pb_check_mode m, const char *word, const char *code)
{
        unsigned w = 0;
        const char *why;

        CHECK_INT(chk(e, it, pts, n, m, &w, &why), PB_ERR_INVALID);
        CHECK(strstr(why, word) != NULL);
        CHECK_STR(refusal, code);
}

/* Set @e's ballot limit @lim to @v. */
static void set_limit(struct pb_election *e, enum pb_limit lim, int64_t v)
{
        e->limits.has[lim] = true;
        e->limits.v[lim] = v;
}

static void test_approval(void)
{
        const int64_t costs[] = { 60, 30, 50, 10 };
        struct pb_election *e = make(PB_VOTE_APPROVAL, costs, 4, 100);
        const uint32_t ok[] = { 0, 1 }, dup[] = { 0, 0 }, bad[] = { 7 }, three[] = { 0, 1, 2 };
        unsigned w = 0;
        const char *why;

        CHECK(e != NULL);
        if (!e)
                return;
        set_limit(e, PB_LIM_MAX_LENGTH, 2);
        set_limit(e, PB_LIM_MIN_LENGTH, 1);
        set_limit(e, PB_LIM_MAX_SUM_COST, 80);
        check_refused(e, ok, NULL, 0, PB_CHECK_STRICT, "min_length", "too_few_picks");
        check_refused(e, three, NULL, 3, PB_CHECK_PABULIB, "max_length", "too_many_picks");
        check_refused(e, dup, NULL, 2, PB_CHECK_PABULIB, "twice", "duplicate_pick");
        CHECK_INT(chk(e, bad, NULL, 1, PB_CHECK_PABULIB, &w, &why), PB_ERR_INVALID);
        /* 60 + 30 = 90 > max_sum_cost 80: a warning for pabulib, an error for the ballot box */
        w = 0;
        CHECK_INT(chk(e, ok, NULL, 2, PB_CHECK_PABULIB, &w, &why), PB_OK);
        CHECK_INT(w, PB_WARN_MAX_SUM_COST);
        check_refused(e, ok, NULL, 2, PB_CHECK_STRICT, "max_sum_cost", "over_budget");
        {
                const int64_t pts[] = { 1, 1 };
                CHECK_INT(chk(e, ok, pts, 2, PB_CHECK_PABULIB, &w, &why),
                          PB_ERR_INVALID); /* points on approval */
        }
        pb_election_free(e);
}

static void test_points(void)
{
        const int64_t costs[] = { 60, 30, 50 };
        struct pb_election *e = make(PB_VOTE_CUMULATIVE, costs, 3, 100);
        const uint32_t it[] = { 0, 1 };
        const int64_t good[] = { 3, 2 }, neg[] = { 3, -1 }, big[] = { 9, 1 }, up[] = { 1, 3 };
        unsigned w = 0;
        const char *why;

        CHECK(e != NULL);
        if (!e)
                return;
        set_limit(e, PB_LIM_MAX_SUM_POINTS, 5);
        set_limit(e, PB_LIM_MAX_POINTS, 4);
        CHECK_INT(chk(e, it, good, 2, PB_CHECK_STRICT, &w, &why), PB_OK);
        CHECK_STR(refusal, "");
        check_refused(e, it, neg, 2, PB_CHECK_PABULIB, "negative", "negative_points");
        check_refused(e, it, big, 2, PB_CHECK_PABULIB, "max_points", "points_above_max");
        CHECK_INT(chk(e, it, NULL, 2, PB_CHECK_PABULIB, &w, &why), PB_ERR_INVALID);
        w = 0;
        CHECK_INT(chk(e, it, up, 2, PB_CHECK_PABULIB, &w, &why), PB_OK);
        CHECK_INT(w, PB_WARN_POINTS_ORDER);
        e->limits.v[PB_LIM_MAX_SUM_POINTS] = 4;
        w = 0;
        CHECK_INT(chk(e, it, good, 2, PB_CHECK_PABULIB, &w, &why), PB_OK);
        CHECK_INT(w, PB_WARN_MAX_SUM_POINTS);
        CHECK_INT(chk(e, it, good, 2, PB_CHECK_STRICT, &w, &why), PB_ERR_INVALID);
        pb_election_free(e);
}

static void test_choose1_and_election(void)
{
        const int64_t costs[] = { 60, 30 };
        struct pb_election *e = make(PB_VOTE_CHOOSE1, costs, 2, 100);
        const uint32_t two[] = { 0, 1 };
        unsigned w;
        const char *why;
        struct pb_diag d;

        CHECK(e != NULL);
        if (!e)
                return;
        CHECK_INT(chk(e, two, NULL, 2, PB_CHECK_PABULIB, &w, &why), PB_ERR_INVALID);
        CHECK_STR(refusal, "not_one_pick");
        CHECK_INT(chk(e, two, NULL, 1, PB_CHECK_PABULIB, &w, &why), PB_OK);
        CHECK_INT(pb_election_check(e, &d), PB_OK);
        e->projects[1].cost = 0;
        CHECK_INT(pb_election_check(e, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "projects[1].cost");
        CHECK_INT(d.item, 2); /* the same project as a number: 1-based */
        e->projects[1].cost = 300;
        CHECK_INT(pb_election_check(e, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "projects[1].cost");
        CHECK_INT(d.item, 2);
        e->projects[1].withdrawn = true; /* the withdrawn marker may exceed the budget */
        CHECK_INT(pb_election_check(e, &d), PB_OK);
        e->vote_type = PB_VOTE_CUMULATIVE;
        CHECK_INT(pb_election_check(e, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "max_sum_points");
        CHECK_INT(d.item, 0); /* not a project's fault */
        CHECK_INT(pb_election_add_project(e, "p1", 2, 5, NULL, &d), PB_ERR_CONFLICT);
        CHECK_INT(pb_election_add_project(e, "a;b", 3, 5, NULL, &d), PB_ERR_PARSE);
        CHECK_INT(pb_election_add_project(e, "", 0, 5, NULL, &d), PB_ERR_PARSE);
        pb_election_free(e);
}

/* docs/rules.md's worked example: budget 100; p1 60 (3 votes), p2 50 (2), p3 30 (1) */
static void greedy_case(enum pb_rule_kind kind, bool threshold, const char *want)
{
        const int64_t costs[] = { 60, 50, 30 };
        struct pb_election *e = make(PB_VOTE_APPROVAL, costs, 3, 100);
        const uint32_t ballots[][3] = { { 0, 1, 2 }, { 0, 1, 9 }, { 0, 9, 9 } };
        struct pb_rule rule;
        struct pb_result res;
        char got[32] = "";

        CHECK(e != NULL);
        if (!e)
                return;
        for (int b = 0; b < 3; b++) {
                for (int k = 0; k < 3 && ballots[b][k] != 9; k++)
                        CHECK_INT(pb_ballots_add_item(e, ballots[b][k], 0), PB_OK);
                CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        }
        pb_rule_init(&rule);
        rule.kind = kind;
        rule.has_threshold = threshold;
        rule.threshold = 2;
        pb_result_init(&res);
        CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
        for (size_t i = 0; i < res.n_winners; i++)
                strcat(got, e->projects[res.winners[i]].id);
        CHECK_STR(got, want);
        CHECK_INT(res.projects[0].votes, 3);
        CHECK_INT(res.projects[2].votes, 1);
        if (kind == PB_RULE_GREEDY_NO_SKIP)
                CHECK_INT(res.projects[2].reason, PB_REASON_STOPPED);
        if (threshold)
                CHECK_INT(res.projects[2].reason, PB_REASON_BELOW_THRESHOLD);
        pb_result_release(&res);
        pb_election_free(e);
}

static void test_greedy_example(void)
{
        greedy_case(PB_RULE_GREEDY, false, "p1p3");
        greedy_case(PB_RULE_GREEDY_NO_SKIP, false, "p1");
        greedy_case(PB_RULE_GREEDY_THRESHOLD, true, "p1");
        greedy_case(PB_RULE_GREEDY_RATIO, false, "p1p3");
}

/* Ties: two projects with equal votes; each policy puts a different one first. */
static void test_tie_policies(void)
{
        const int64_t costs[] = { 70, 40, 70 }; /* "p1" and "p3" tie on 1 vote; only one fits */
        struct pb_election *e = make(PB_VOTE_APPROVAL, costs, 3, 100);
        struct pb_rule rule;
        struct pb_result res;

        CHECK(e != NULL);
        if (!e)
                return;
        CHECK_INT(pb_ballots_add_item(e, 2, 0), PB_OK);
        CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        CHECK_INT(pb_ballots_add_item(e, 0, 0), PB_OK);
        CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        pb_rule_init(&rule);
        rule.score = PB_SCORE_VOTES;
        pb_result_init(&res);
        /* file order: p1 first, then p2 (0 votes, 40 > 30 left) does not fit */
        CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
        CHECK_INT(res.winners[0], 0);
        CHECK_INT(res.n_ties, 1);
        CHECK(res.ties[0].decisive);
        CHECK_INT(res.ties[0].tied[0], 0);
        CHECK_INT(res.ties[0].tied[1], 2);
        /* cost-then-votes cannot separate them (same cost and votes): file order again */
        rule.tie_break = PB_TIE_COST_THEN_VOTES;
        CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
        CHECK_INT(res.winners[0], 0);
        /* a lower cost wins under cost-then-votes */
        e->projects[2].cost = 60;
        CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
        CHECK_INT(res.winners[0], 2);
        /* seeded: the same seed, the same draw; the draw is recorded */
        rule.tie_break = PB_TIE_SEEDED;
        rule.seed = 7;
        CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
        {
                uint32_t first = res.winners[0];
                CHECK_INT(pb_tally_run(e, &rule, &res, NULL), PB_OK);
                CHECK_INT(res.winners[0], first);
        }
        pb_result_release(&res);
        pb_election_free(e);
}

/* The refusal table: every reason named, names unique, each with a code whose HTTP status is a
 * client error or 503/429 (never 200 or 500). */
static void test_refusal_table(void)
{
        for (int i = 0; i < PB_REFUSAL_COUNT; i++) {
                int st = pb_err_http_status(pb_refusal_code((enum pb_refusal)i));
                CHECK(strcmp(pb_refusal_name((enum pb_refusal)i), "?") != 0);
                CHECK(st >= 400 && st != 500);
                for (int j = i + 1; j < PB_REFUSAL_COUNT; j++)
                        CHECK(strcmp(pb_refusal_name((enum pb_refusal)i),
                                     pb_refusal_name((enum pb_refusal)j)));
        }
        CHECK_STR(pb_refusal_name(PB_REFUSAL_COUNT), "?");
        CHECK_INT(pb_err_http_status(pb_refusal_code(PB_REFUSAL_RATE_LIMITED)), 429);
        CHECK_INT(pb_err_http_status(pb_refusal_code(PB_REFUSAL_CODE_UNKNOWN)), 403);
}

int main(void)
{
        RUN(test_refusal_table);
        RUN(test_approval);
        RUN(test_points);
        RUN(test_choose1_and_election);
        RUN(test_greedy_example);
        RUN(test_tie_policies);
        return check_summary("validate");
}
