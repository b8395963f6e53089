/**
 * @file Unit tests for sequential Phragmén and maximin support (engine/tally_phragmen.c,
 * engine/tally_maximin.c): cases computed by hand (arithmetic in the comments) and randomized
 * comparisons with the naive definitions in naive_rules.h (per-voter loads; for maximin, the
 * optimal max load by enumerating every subset instead of max flows).
 */
#include <stdio.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "letters_election.h"
#include "naive_rules.h"

/* Run the rule @kind with lexicographic tie-breaking: as letters_tally(). */
static void tally(const struct pb_election *e, enum pb_rule_kind kind, char *out, struct pb_result *res)
{
        struct pb_rule r;

        pb_rule_init(&r);
        r.kind = kind;
        r.tie_break = PB_TIE_LEXICO;
        letters_tally(e, &r, out, res);
}

/* Count @e with @kind and check its winners (letters, in order); the result stays in @res. */
static void count_expect(const struct pb_election *e, enum pb_rule_kind kind, const char *winners,
                         struct pb_result *res)
{
        char w[16];

        tally(e, kind, w, res);
        CHECK_STR(w, winners);
}

/*
 * Budget 10; a = 4 (v1 v2), b = 3 (v3), c = 6 (v1 v2 v3), d = 1 (nobody).
 * Phragmén.  Round 1 new max loads: a (0+0+4)/2 = 2, b 3/1 = 3, c 6/3 = 2, d infinite.  a and c
 * tie at 2; lexico takes a: v1 = v2 = 2.  Round 2: b (0+3)/1 = 3, c (2+2+0+6)/3 = 10/3: b, v3 = 3.
 * Round 3: c (2+2+3+6)/3 = 13/3 is the smallest, but 6 > 10 - 7 left: the rule stops.  {a, b};
 * d fits and is not funded (pabutools' rule is not exhaustive).
 * Maximin support.  Round 1: z({a}) = 2, z({b}) = 3, z({c}) = 2, d infinite: a (tie with c).
 * Round 2, 6 left: z({a,b}) = max(2, 3, 7/3) = 3; z({a,c}) = max(2, 2, 10/3) = 10/3: b.
 * Round 3, 3 left: c (6) no longer fits; d fits, its z is infinite but it is the only one: {a,b,d}.
 */
static void test_hand_cases(void)
{
        const int64_t costs[] = { 4, 3, 6, 1 };
        const char *ballots[] = { "ac", "ac", "bc" };
        struct pb_election *e = letters_election(10, costs, 4, ballots, 3);
        struct pb_result res;

        count_expect(e, PB_RULE_PHRAGMEN, "ab", &res);
        CHECK_STR(res.steps[0].measure, "2");
        CHECK_STR(res.steps[1].measure, "3");
        CHECK_INT(res.steps[0].supporters, 2);
        CHECK_INT(res.n_ties, 1);
        CHECK_INT(res.ties[0].n, 2);
        CHECK(res.ties[0].decisive); /* c, tied with a, was not funded */
        CHECK_INT(res.projects[2].reason, PB_REASON_NO_MONEY);
        CHECK_INT(res.projects[3].reason, PB_REASON_NO_SUPPORT);
        pb_result_release(&res);

        count_expect(e, PB_RULE_MAXIMIN_SUPPORT, "abd", &res);
        CHECK_STR(res.steps[0].measure, "2");
        CHECK_STR(res.steps[1].measure, "3");
        CHECK_STR(res.steps[2].measure, "inf");
        CHECK_INT(res.projects[2].reason, PB_REASON_NO_MONEY);
        pb_result_release(&res);
        pb_election_free(e);
}

/*
 * Maximin needs the real optimum, not a fixed split (own case): budget 12; a = 6 (v1), b = 6
 * (v1 v2).  Round 1: z({a}) = 6, z({b}) = 3: b.  Round 2: z({a, b}) = max(6/1, 6/2, 12/2) = 6 (v1
 * carries a alone, and b goes to v2): a at 6.  Phragmén agrees here: after b (loads 3, 3),
 * a's new max load is (3 + 6)/1 = 9.
 */
static void test_maximin_optimum(void)
{
        const int64_t costs[] = { 6, 6 };
        const char *ballots[] = { "ab", "b" };
        struct pb_election *e = letters_election(12, costs, 2, ballots, 2);
        struct pb_result res;

        count_expect(e, PB_RULE_MAXIMIN_SUPPORT, "ba", &res);
        CHECK_STR(res.steps[1].measure, "6");
        pb_result_release(&res);
        count_expect(e, PB_RULE_PHRAGMEN, "ba", &res);
        CHECK_STR(res.steps[1].measure, "9");
        pb_result_release(&res);
        pb_election_free(e);
}

static uint64_t rs = 0x2545f4914f6cdd1dull;
static uint64_t rnd(uint64_t n)
{
        return letters_random(&rs, n);
}

static void test_random_against_naive(void)
{
        for (int trial = 0; trial < 2000; trial++) {
                struct nelection ne;
                struct pb_election *e = pb_election_new();
                struct pb_diag d;
                int64_t total = 0;

                memset(&ne, 0, sizeof(ne));
                ne.n = 1 + (int)rnd(8);
                ne.m = 1 + (int)rnd(6);
                e->vote_type = PB_VOTE_APPROVAL;
                for (int p = 0; p < ne.m; p++) {
                        char id[2] = { (char)('a' + p), 0 };
                        ne.cost[p] = 1 + (int64_t)rnd(rnd(2) ? 4 : 20);
                        ne.rank[p] = p;
                        total += ne.cost[p];
                        CHECK_INT(pb_election_add_project(e, id, 1, ne.cost[p], NULL, &d), PB_OK);
                }
                ne.budget = 1 + (int64_t)rnd((uint64_t)total + 3);
                e->budget = ne.budget;
                for (int v = 0; v < ne.n; v++) {
                        for (int p = 0; p < ne.m; p++)
                                if (rnd(2)) {
                                        ne.listed[v][p] = true;
                                        CHECK_INT(pb_ballots_add_item(e, (uint32_t)p, 0), PB_OK);
                                }
                        CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
                }
                for (int k = 0; k < 2; k++) {
                        struct noutcome o;
                        struct pb_result res;
                        char w[16];
                        bool ok;

                        if (k == 0)
                                naive_phragmen(&ne, &o);
                        else
                                naive_maximin(&ne, &o);
                        tally(e, k == 0 ? PB_RULE_PHRAGMEN : PB_RULE_MAXIMIN_SUPPORT, w, &res);
                        ok = res.n_winners == (size_t)o.n;
                        for (int i = 0; ok && i < o.n; i++)
                                ok = res.winners[i] == (uint32_t)o.pick[i];
                        CHECK(ok);
                        if (!ok)
                                fprintf(stderr, "  %s trial %d: engine %s, naive %d picks\n",
                                        k ? "maximin" : "phragmen", trial, w, o.n);
                        pb_result_release(&res);
                }
                pb_election_free(e);
        }
}

int main(void)
{
        RUN(test_hand_cases);
        RUN(test_maximin_optimum);
        RUN(test_random_against_naive);
        return check_summary("phragmen");
}
