/**
 * @file Unit tests for the Method of Equal Shares and its completions (engine/tally_mes.c):
 * pabulib checker's hand-checkable cases (reference/pabulib.md §1.6), small cases computed by
 * hand (the arithmetic is in the comments), and randomized comparisons with the naive reference
 * in naive_rules.h (one voter at a time, every grid point run, no certificates): the Add1 search
 * with the bounded engine (engine/mes_fast.c) and with the exact engine alone, each against the
 * naive definition, and both against each other on larger elections.
 */
#include <stdio.h>

#include "check.h"
#include "engine/mes_fast_int.h"
#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "letters_election.h"
#include "naive_rules.h"

static const char *detail(const struct pb_result *r, const char *key)
{
        for (size_t i = 0; i < r->n_details; i++)
                if (!strcmp(r->details[i].key, key))
                        return r->details[i].value;
        return "";
}

static void rule_named(struct pb_rule *r, const char *name)
{
        pb_rule_init(r);
        CHECK_INT(pb_rule_set_name(r, name), PB_OK);
        r->tie_break = PB_TIE_COST_THEN_VOTES; /* the checker's and equalshares.net's */
}

/* Plain MES (no completion): what pabulib's META "equalshares" means. */
static void rule_plain_mes(struct pb_rule *r)
{
        rule_named(r, "equalshares");
        r->completion = PB_COMPLETE_NONE;
}

/*
 * Checker case 1: budget 10, a=6 b=4 c=4; v1 ab, v2 ab, v3 ac, v4 c.
 * n = 4, beta = 5/2.  Round 1: a: 3 supporters hold 15/2 >= 6, each pays 2 <= 5/2, so rho
 * (per unit of cost-utility) = 2/6 = 1/3; b and c: 2 supporters pay 2 each, rho = 2/4 = 1/2.
 * a wins; v1 v2 v3 keep 1/2.  Round 2: b: 1/2 + 1/2 < 4; c: 1/2 + 5/2 = 3 < 4.  Outcome {a}.
 * add1: beta = floor(5/2) + 1 = 3: a as before (v1..v3 keep 1); b: 2 < 4; c: v3 pays 1 (all it
 * has), v4 pays 3: price 3, funded, spent 10.  beta = 4: a; b and c both at price 2 (rho 1/2),
 * tied on cost and votes: file order takes b; then c still affordable (2 + 4 >= 4): spent 14 > 10,
 * infeasible, so add1 keeps beta = 3: {a, c}.
 */
static void test_checker_cases(void)
{
        const int64_t costs[] = { 6, 4, 4 };
        const char *ballots[] = { "ab", "ab", "ac", "c" };
        struct pb_election *e = letters_election(10, costs, 3, ballots, 4);
        struct pb_result res;
        struct pb_rule r;
        char w[16];

        rule_plain_mes(&r);
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "a");
        CHECK_STR(detail(&res, "voter_budget"), "5/2");
        CHECK_STR(res.steps[0].measure, "2"); /* each of the 3 supporters paid 2 */
        CHECK_INT(res.steps[0].supporters, 3);
        CHECK_INT(res.projects[1].reason, PB_REASON_UNAFFORDABLE);
        /* why b and c were not funded: b's v1 v2 kept 1/2 each, c's v3 1/2 and v4 5/2 */
        CHECK_STR(res.projects[1].supporters_left, "1");
        CHECK_STR(res.projects[2].supporters_left, "3");
        CHECK_STR(res.projects[0].supporters_left, ""); /* funded: nothing to explain */
        pb_result_release(&res);

        rule_named(&r, "equalshares/add1");
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "ac");
        CHECK_STR(detail(&res, "voter_budget"), "3");
        CHECK_STR(detail(&res, "add1_steps"), "1");
        CHECK_STR(res.steps[1].measure, "3"); /* v4 paid 3, v3 its last 1 */
        CHECK_INT(res.steps[1].supporters, 2);
        /* at beta = 3, b's supporters v1 v2 kept 1 each after a: 2 < 4 (an Add1 run, whose moves
         * are deferred, is run once more in full for this) */
        CHECK_INT(res.projects[1].reason, PB_REASON_UNAFFORDABLE);
        CHECK_STR(res.projects[1].supporters_left, "2");
        pb_result_release(&res);

        /* our "equalshares" (a manifest, --rule) is MES with Add1, as equalshares.net runs it */
        rule_named(&r, "equalshares");
        CHECK_INT(r.completion, PB_COMPLETE_ADD1);
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "ac");
        pb_result_release(&res);
        /* a pabulib file's META "equalshares" is plain MES, as the checker verifies it: {a} */
        {
                struct pb_rule fr;
                struct pb_diag d;
                e->rule = "equalshares";
                CHECK_INT(pb_rule_for_election(e, &fr, &d), PB_OK);
                CHECK_INT(fr.completion, PB_COMPLETE_NONE);
                CHECK_INT(fr.tie_break, PB_TIE_COST_THEN_VOTES);
                letters_tally(e, &fr, w, &res);
                CHECK_STR(w, "a");
                pb_result_release(&res);
                e->rule = "equalshares/add1";
                CHECK_INT(pb_rule_for_election(e, &fr, &d), PB_OK);
                CHECK_INT(fr.completion, PB_COMPLETE_ADD1);
                e->rule = "equalshares-comparison";
                CHECK_INT(pb_rule_for_election(e, &fr, &d), PB_OK);
                CHECK_INT(fr.completion, PB_COMPLETE_NONE);
                CHECK(fr.comparison);
        }
        pb_election_free(e);
}

/*
 * Checker case 2: budget 2, a=b=c=1; v1 a, v2 a, v3 b.  MES: beta = 2/3; a: 4/3 >= 1, price
 * 1/2; b: 2/3 < 1; c: nobody.  MES = {a}.  Greedy by votes: a (2), b (1), c (0): a, b fit, c
 * does not (2 spent).  v3 strictly prefers greedy (1 > 0), nobody prefers MES: {a, b}.
 */
static void test_checker_comparison(void)
{
        const int64_t costs[] = { 1, 1, 1 };
        const char *ballots[] = { "a", "a", "b" };
        struct pb_election *e = letters_election(2, costs, 3, ballots, 3);
        struct pb_result res;
        struct pb_rule r;
        char w[16];

        rule_named(&r, "equalshares-comparison");
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "ab");
        CHECK_STR(detail(&res, "comparison"), "greedy");
        CHECK_STR(detail(&res, "prefer_greedy"), "1");
        CHECK_STR(detail(&res, "prefer_equal_shares"), "0");
        CHECK_INT(res.projects[2].reason, PB_REASON_NO_MONEY);
        pb_result_release(&res);
        pb_election_free(e);
}

/*
 * The three Add1 grids differ (own case).  B = 26, n = 6 (v5, v6 vote for nothing but count):
 * beta0 = 13/3.  p (16) is approved by v1 v2 v3: affordable from beta = 16/3.  q (12) by v4 v5:
 * from beta = 6.  Both together cost 28 > 26.
 *  - add1 (pabulib): 13/3 -> {}; 5 -> {} ; 6 -> {p, q} infeasible: keep beta 5, {}.
 *  - add1-unfloored: 13/3 -> {}; 16/3 -> {p} (each pays 16/3); 19/3 -> {p, q} infeasible: {p}.
 *  - add1-exhaustive: 13/3: {} not exhaustive (p fits); 16/3: {p}, q no longer fits: stop, {p}.
 */
static void test_add1_grids(void)
{
        const int64_t costs[] = { 16, 12 };
        const char *ballots[] = { "a", "a", "a", "b", "b", "", "" };
        struct pb_election *e = letters_election(26, costs, 2, ballots, 6);
        struct pb_result res;
        struct pb_rule r;
        char w[16];

        rule_named(&r, "equalshares/add1");
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "");
        CHECK_STR(detail(&res, "voter_budget"), "5");
        pb_result_release(&res);
        r.completion = PB_COMPLETE_ADD1_UNFLOORED;
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "a");
        CHECK_STR(detail(&res, "voter_budget"), "16/3");
        CHECK_STR(res.steps[0].measure, "16/3");
        pb_result_release(&res);
        r.completion = PB_COMPLETE_ADD1_EXHAUSTIVE;
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "a");
        CHECK_STR(detail(&res, "add1_steps"), "1");
        pb_result_release(&res);
        pb_election_free(e);
}

/*
 * Empty ballots count in n (own case): B = 10, a = 6 approved by v1 only, v2 empty.  beta = 5 < 6:
 * nothing funded.  (Ignoring v2 would give beta = 10 and fund a.)
 */
static void test_empty_ballots(void)
{
        const int64_t costs[] = { 6 };
        const char *ballots[] = { "a", "" };
        struct pb_election *e = letters_election(10, costs, 1, ballots, 2);
        struct pb_result res;
        struct pb_rule r;
        char w[16];

        rule_plain_mes(&r);
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "");
        CHECK_INT(res.n_voters, 2);
        CHECK_INT(res.projects[0].reason, PB_REASON_UNAFFORDABLE);
        pb_result_release(&res);
        pb_election_free(e);
}

/*
 * Points utilities (own case, cumulative ballots): B = 6, x = 4, y = 4; v1 gives x 3 and y 1,
 * v2 gives y 2.  beta = 3.  x: only v1 (3 < 4): unaffordable.  y: budget per point v2 3/2, v1 3;
 * rho = 4 / (1 + 2) = 4/3 per point: v2 pays 8/3 <= 3, v1 pays 4/3.  {y}; then x: v1 has
 * 5/3 < 4.  The step shows rho per point, 4/3.  A tie (own case, approval utility): B = 4, a = b = 2,
 * v1 a, v2 b: both at price 2, rho 2; lexico takes a, then b still affordable: both, one tie.
 */
static void test_points_and_ties(void)
{
        struct pb_election *e = pb_election_new();
        struct pb_result res;
        struct pb_diag d;
        struct pb_rule r;
        char w[16];

        e->budget = 6;
        e->vote_type = PB_VOTE_CUMULATIVE;
        CHECK_INT(pb_election_add_project(e, "x", 1, 4, NULL, &d), PB_OK);
        CHECK_INT(pb_election_add_project(e, "y", 1, 4, NULL, &d), PB_OK);
        CHECK_INT(pb_ballots_add_item(e, 0, 3), PB_OK);
        CHECK_INT(pb_ballots_add_item(e, 1, 1), PB_OK);
        CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        CHECK_INT(pb_ballots_add_item(e, 1, 2), PB_OK);
        CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        rule_plain_mes(&r);
        r.utility = PB_UTIL_POINTS;
        letters_tally(e, &r, w, &res);
        CHECK_STR(w, "y");
        CHECK_STR(res.steps[0].measure, "4/3");
        CHECK_INT(res.steps[0].supporters, 2);
        pb_result_release(&res);
        pb_election_free(e);
        {
                const int64_t costs[] = { 2, 2 };
                const char *ballots[] = { "b", "a" };
                e = letters_election(4, costs, 2, ballots, 2);
                rule_plain_mes(&r);
                r.tie_break = PB_TIE_LEXICO;
                letters_tally(e, &r, w, &res);
                CHECK_STR(w, "ab");
                CHECK_INT(res.n_ties, 1);
                CHECK_STR(res.ties[0].on, "rho");
                CHECK_INT(res.ties[0].step, 1);
                CHECK(!res.ties[0].decisive);
                pb_result_release(&res);
                pb_election_free(e);
        }
}

/* xorshift for reproducible random elections */
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
        return letters_random(&rs, n);
}

/* A random tiny election in both forms; @points: cumulative ballots with 0..3 points. */
static struct pb_election *random_election(struct nelection *ne, enum pb_utility util, bool points)
{
        struct pb_election *e = pb_election_new();
        struct pb_diag d;
        int64_t total = 0;

        memset(ne, 0, sizeof(*ne));
        ne->n = 2 + (int)rnd(9);
        ne->m = 1 + (int)rnd(6);
        e->vote_type = points ? PB_VOTE_CUMULATIVE : PB_VOTE_APPROVAL;
        for (int p = 0; p < ne->m; p++) {
                char id[2] = { (char)('a' + p), 0 };
                ne->cost[p] = 1 + (int64_t)rnd(rnd(2) ? 6 : 30);
                ne->rank[p] = p;
                total += ne->cost[p];
                CHECK_INT(pb_election_add_project(e, id, 1, ne->cost[p], NULL, &d), PB_OK);
        }
        ne->budget = 1 + (int64_t)rnd((uint64_t)total);
        e->budget = ne->budget;
        for (int v = 0; v < ne->n; v++) {
                for (int p = 0; p < ne->m; p++) {
                        int64_t pts;
                        if (rnd(5) < 2)
                                continue;
                        pts = points ? (int64_t)rnd(4) : 0;
                        ne->listed[v][p] = true;
                        ne->util[v][p] = util == PB_UTIL_COST       ? ne->cost[p]
                                         : util == PB_UTIL_APPROVAL ? 1
                                                                    : pts;
                        CHECK_INT(pb_ballots_add_item(e, (uint32_t)p, pts), PB_OK);
                }
                CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        }
        return e;
}

static void same_outcome(const struct nelection *ne, const struct noutcome *o, const struct pb_result *res,
                         const char *what, int trial)
{
        bool ok = res->n_winners == (size_t)o->n;
        for (int i = 0; ok && i < o->n; i++)
                ok = res->winners[i] == (uint32_t)o->pick[i];
        CHECK(ok);
        if (!ok) {
                fprintf(stderr, "  %s trial %d (n=%d m=%d B=%lld): engine", what, trial, ne->n, ne->m,
                        (long long)ne->budget);
                for (size_t i = 0; i < res->n_winners; i++)
                        fprintf(stderr, " %c", 'a' + (int)res->winners[i]);
                fprintf(stderr, ", naive");
                for (int i = 0; i < o->n; i++)
                        fprintf(stderr, " %c", 'a' + o->pick[i]);
                fprintf(stderr, "\n");
        }
}

/* The Add1 search called directly (engine/mes_add1.c), with or without the bounded engine: its
 * selections into @out (letters), the grid index into *ret_k. */
static void add1_direct(const struct pb_election *e, const struct pb_rule *rule, bool exact_only, char *out,
                        uint64_t *ret_k, struct mes_add1_stats *st)
{
        struct mes_model mm;
        struct mes_work w;
        struct mes_run run;
        struct pb_rat beta;
        struct pb_diag d;

        mes_work_init(&w);
        mes_run_init(&run);
        pb_rat_init(&beta);
        CHECK_INT(mes_model_build(&mm, e, rule, &d), PB_OK);
        CHECK_INT(mes_add1(&w, &mm, rule->completion, exact_only, &run, &beta, st), PB_OK);
        for (size_t i = 0; i < run.n_picks; i++)
                out[i] = (char)('a' + run.picks[i].project);
        out[run.n_picks] = 0;
        *ret_k = st->final_k;
        pb_rat_release(&beta);
        mes_run_release(&run);
        mes_work_release(&w);
        mes_model_release(&mm);
}

/* The naive outcome as letters. */
static void naive_letters(const struct noutcome *o, char *out)
{
        for (int i = 0; i < o->n; i++)
                out[i] = (char)('a' + o->pick[i]);
        out[o->n] = 0;
}

/* The engine (classes, laziness, certified jumps) against the naive definitions. */
static void test_random_against_naive(void)
{
        static const enum pb_utility utils[] = { PB_UTIL_COST, PB_UTIL_APPROVAL, PB_UTIL_POINTS };
        for (int trial = 0; trial < 3000; trial++) {
                enum pb_utility u = utils[trial % 3];
                struct nelection ne;
                struct pb_election *e = random_election(&ne, u, u == PB_UTIL_POINTS);
                struct pb_result res;
                struct noutcome o;
                struct nq beta;
                struct pb_rule r;
                char w[16];

                pb_rule_init(&r);
                r.kind = PB_RULE_EQUAL_SHARES;
                r.utility = u;
                r.tie_break = PB_TIE_LEXICO;
                letters_tally(e, &r, w, &res);
                naive_mes(&ne, nq_make(ne.budget, ne.n), &o);
                same_outcome(&ne, &o, &res, "mes", trial);
                /* the price shown for uniform utilities is what a rich supporter paid */
                if (u != PB_UTIL_POINTS && o.n && res.n_steps) {
                        char want[64];
                        struct nq pr = o.price[0];
                        if (pr.d == 1)
                                snprintf(want, sizeof(want), "%lld", (long long)pr.n);
                        else
                                snprintf(want, sizeof(want), "%lld/%lld", (long long)pr.n, (long long)pr.d);
                        CHECK_STR(res.steps[0].measure, want);
                }
                pb_result_release(&res);

                for (int c = 0; c < 3; c++) {
                        static const enum pb_completion comp[] = { PB_COMPLETE_ADD1,
                                                                   PB_COMPLETE_ADD1_UNFLOORED,
                                                                   PB_COMPLETE_ADD1_EXHAUSTIVE };
                        static const enum naive_add1 nk[] = { NA_FLOOR, NA_UNFLOORED, NA_EXHAUSTIVE };
                        r.completion = comp[c];
                        r.utilitarian_completion = trial % 5 == 0;
                        r.comparison = false;
                        letters_tally(e, &r, w, &res);
                        /* per-voter budgets beyond the total cost change nothing: 200 steps suffice */
                        naive_add1(&ne, nk[c], 200, &o, &beta);
                        if (r.utilitarian_completion)
                                naive_greedy_fill(&ne, &o);
                        same_outcome(&ne, &o, &res,
                                     c == 0   ? "add1"
                                     : c == 1 ? "add1-unfloored"
                                              : "add1-exhaustive",
                                     trial);
                        pb_result_release(&res);
                        if (!r.utilitarian_completion) {
                                /* the same search without the bounded engine: the exact one alone */
                                char got[16], want[16];
                                uint64_t k;
                                struct mes_add1_stats st;
                                add1_direct(e, &r, true, got, &k, &st);
                                naive_letters(&o, want);
                                CHECK_STR(got, want);
                                CHECK_INT(st.exact_runs, st.runs);
                        }
                }
                pb_election_free(e);
        }
}

/*
 * The bounded engine against the exact one on elections too large for the naive reference (400): up to
 * 60 voters (repeated ballots up to 40 times), 12 projects, costs up to 10^6 or up to 10^12,
 * budgets up to the total cost, each Add1 grid, cost and approval utilities, three tie-breaks.
 * The outcomes and the grid index must agree; the bounded engine must have decided most points.
 */
static void test_fast_against_exact(void)
{
        static const enum pb_completion comp[] = { PB_COMPLETE_ADD1, PB_COMPLETE_ADD1_UNFLOORED,
                                                   PB_COMPLETE_ADD1_EXHAUSTIVE };
        static const enum pb_tie_break ties[] = { PB_TIE_LEXICO, PB_TIE_COST_THEN_VOTES, PB_TIE_FILE_ORDER };
        uint64_t fast_runs = 0, all_runs = 0;

        for (int trial = 0; trial < 400; trial++) {
                struct pb_election *e = pb_election_new();
                struct pb_diag d;
                struct pb_rule r;
                int64_t total = 0;
                int n = 1 + (int)rnd(60), m = 1 + (int)rnd(12);
                uint64_t big = rnd(3) ? 1000000 : 1000000000000ull, dens = 2 + rnd(4);

                e->vote_type = PB_VOTE_APPROVAL;
                for (int p = 0; p < m; p++) {
                        char id[3] = { (char)('a' + p), 0, 0 };
                        int64_t c = 1 + (int64_t)rnd(rnd(4) ? big : 50);
                        total += c;
                        CHECK_INT(pb_election_add_project(e, id, 1, c, NULL, &d), PB_OK);
                }
                e->budget = 1 + (int64_t)rnd((uint64_t)total);
                for (int v = 0; v < n; v++) {
                        bool pick[12];
                        int copies = 1 + (int)rnd(rnd(3) ? 2 : 40);
                        for (int p = 0; p < m; p++)
                                pick[p] = rnd(dens) == 0;
                        for (int c = 0; c < copies; c++) {
                                for (int p = 0; p < m; p++)
                                        if (pick[p])
                                                CHECK_INT(pb_ballots_add_item(e, (uint32_t)p, 0), PB_OK);
                                CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
                        }
                }
                pb_rule_init(&r);
                r.kind = PB_RULE_EQUAL_SHARES;
                r.utility = trial % 2 ? PB_UTIL_APPROVAL : PB_UTIL_COST;
                r.tie_break = ties[trial % 3];
                for (int c = 0; c < 3; c++) {
                        char fast[16], exact[16];
                        uint64_t kf, ke;
                        struct mes_add1_stats sf, se;
                        r.completion = comp[c];
                        add1_direct(e, &r, false, fast, &kf, &sf);
                        add1_direct(e, &r, true, exact, &ke, &se);
                        CHECK_STR(fast, exact);
                        CHECK_INT(kf, ke);
                        fast_runs += sf.runs - sf.exact_runs;
                        all_runs += sf.runs;
                }
                pb_election_free(e);
        }
        /* ties (equal prices) send some points to the exact engine, but most are decided fast */
        CHECK(fast_runs * 2 > all_runs);
}

/* lo / 2^F <= num / den <= hi / 2^F, exactly. */
static bool encloses(pb_u128 lo, pb_u128 hi, unsigned fbits, const struct pb_big *num,
                     const struct pb_big *den)
{
        struct pb_big a, b;
        bool ok = true;

        pb_big_init(&a);
        pb_big_init(&b);
        /* lo den <= num 2^F <= hi den */
        CHECK_INT(pb_big_mul_u128(&a, den, lo), PB_OK);
        CHECK_INT(pb_big_mul_u128(&b, num, (pb_u128)1 << fbits), PB_OK);
        ok &= pb_big_cmp(&a, &b) <= 0;
        CHECK_INT(pb_big_mul_u128(&a, den, hi), PB_OK);
        ok &= pb_big_cmp(&b, &a) <= 0;
        pb_big_release(&a);
        pb_big_release(&b);
        return ok;
}

/* q.num / (q.den 2^F) vs the exact rho: *(lo) <= rho or rho <= q (hi). */
static bool q_bounds(const struct mf_q *q, bool lo, unsigned fbits, const struct pb_rat *rho)
{
        struct pb_big a, b;
        int c;

        pb_big_init(&a);
        pb_big_init(&b);
        /* q.num rho.den vs rho.num q.den 2^F */
        CHECK_INT(pb_big_mul_u128(&a, &rho->den, q->num), PB_OK);
        CHECK_INT(pb_big_mul_u128(&b, &rho->num, q->den), PB_OK);
        CHECK_INT(pb_big_mul_u128(&b, &b, (pb_u128)1 << fbits), PB_OK);
        c = pb_big_cmp(&a, &b);
        pb_big_release(&a);
        pb_big_release(&b);
        return lo ? c <= 0 : c >= 0;
}

/*
 * The bounded engine's invariant, checked against the exact engine at the same per-voter budget
 * (white box: both allocate budget classes in the same order, so class c is the same voters in
 * both): every class's exact budget lies in its interval, every winner's exact price in its
 * price interval, and the selections agree whenever the bounded engine decided.
 */
static void test_fast_encloses_exact(void)
{
        int decided = 0;

        for (int trial = 0; trial < 1500; trial++) {
                struct nelection ne;
                enum pb_utility u = trial % 2 ? PB_UTIL_APPROVAL : PB_UTIL_COST;
                struct pb_election *e = random_election(&ne, u, false);
                struct mes_model mm;
                struct mes_work w;
                struct mf_work fw;
                struct mes_run run;
                struct mf_run fr;
                struct pb_rat beta;
                struct mf_beta fb;
                struct pb_rule r;
                struct pb_diag d;
                unsigned fbits;
                bool known;

                pb_rule_init(&r);
                r.kind = PB_RULE_EQUAL_SHARES;
                r.utility = u;
                r.tie_break = PB_TIE_LEXICO;
                CHECK_INT(mes_model_build(&mm, e, &r, &d), PB_OK);
                /* beta: B/n, or an integer above it */
                fb.num = (pb_u128)(uint64_t)e->budget + (trial % 3 ? 0 : (pb_u128)rnd(40) * mm.n);
                fb.den = mm.n;
                mes_work_init(&w);
                mf_work_init(&fw);
                mes_run_init(&run);
                mf_run_init(&fr);
                pb_rat_init(&beta);
                CHECK_INT(pb_rat_set_u64(&beta, (uint64_t)fb.num, fb.den), PB_OK);
                CHECK(mf_usable(&mm, fb.num / fb.den + 1, &fbits));
                CHECK_INT(mes_run(&w, &mm, &beta, NULL, &run), PB_OK);
                CHECK_INT(mf_run(&fw, &mm, fbits, &fb, NULL, &fr, &known), PB_OK);
                if (known) {
                        bool ok = fr.n_picks == run.n_picks;
                        decided++;
                        for (size_t i = 0; ok && i < run.n_picks; i++) {
                                ok = fr.picks[i].project == run.picks[i].project;
                                if (ok && run.picks[i].grp_n) {
                                        ok = q_bounds(&fr.picks[i].rho.lo, true, fbits, &run.picks[i].rho) &&
                                             q_bounds(&fr.picks[i].rho.hi, false, fbits, &run.picks[i].rho);
                                }
                        }
                        CHECK(ok);
                        for (uint32_t c = 0; ok && c < w.core.sl.n; c++)
                                if (w.cl[c].count) {
                                        CHECK(c < fw.core.sl.n && fw.cl[c].count == w.cl[c].count);
                                        CHECK(encloses(fw.cl[c].lo, fw.cl[c].hi, fbits, &w.cl[c].b, &w.D));
                                }
                }
                pb_rat_release(&beta);
                mes_run_release(&run);
                mf_run_release(&fr);
                mes_work_release(&w);
                mf_work_release(&fw);
                mes_model_release(&mm);
                pb_election_free(e);
        }
        CHECK(decided > 1000);
}

/*
 * Allocation failures (curl's torture, SQLite's OOM tests): fail the 1st, 2nd, ... allocation of
 * a tally until it succeeds; every failure must be PB_ERR_NOMEM, never a crash or (under ASan) a
 * leak, and the final success must give the normal outcome.
 */
static void test_allocation_failures(void)
{
        const int64_t costs[] = { 6, 4, 4, 3 };
        const char *ballots[] = { "ab", "ab", "acd", "c", "d", "" };
        struct pb_election *e = letters_election(12, costs, 4, ballots, 6);
        static const struct {
                const char *name;
                enum pb_completion c;
                bool util, cmp;
        } cases[] = {
                { "equalshares", PB_COMPLETE_NONE, false, false },
                { "equalshares", PB_COMPLETE_ADD1, false, true },
                { "equalshares", PB_COMPLETE_ADD1_EXHAUSTIVE, true, false },
                { "phragmen", PB_COMPLETE_NONE, false, false },
                { "maximin-support", PB_COMPLETE_NONE, false, false },
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct pb_rule r;
                struct pb_result want;
                struct pb_diag d;
                char w[16];
                pb_err err = PB_ERR_NOMEM;

                rule_named(&r, cases[c].name);
                r.completion = cases[c].c;
                r.utilitarian_completion = cases[c].util;
                r.comparison = cases[c].cmp;
                letters_tally(e, &r, w, &want);
                for (long n = 0; err == PB_ERR_NOMEM && n < 100000; n++) {
                        struct pb_result res;
                        pb_result_init(&res);
                        pb_alloc_fail_after(n);
                        err = pb_tally_run(e, &r, &res, &d);
                        pb_alloc_fail_after(-1);
                        CHECK(err == PB_OK || err == PB_ERR_NOMEM);
                        if (err == PB_OK) {
                                CHECK_INT(res.n_winners, want.n_winners);
                                CHECK_INT(res.spent, want.spent);
                        }
                        pb_result_release(&res);
                }
                CHECK_INT(err, PB_OK);
                pb_result_release(&want);
        }
        pb_election_free(e);
}

/* The class indexes both engines share (engine/mes_common.c): released indexes come back first,
 * growth keeps the records and zeroes the new ones, and every slot starts empty. */
static void test_slots(void)
{
        struct mes_slots sl;
        uint64_t *cl = NULL, *ncl;
        uint32_t c = 0;

        memset(&sl, 0, sizeof(sl));
        for (uint32_t i = 0; i < 65; i++) {
                ncl = mes_slots_take(&sl, cl, sizeof(*cl), &c);
                CHECK(ncl != NULL);
                if (!ncl)
                        break;
                cl = ncl;
                CHECK_INT(c, i);
                CHECK_INT(cl[c], 0);
                cl[c] = 1000 + c;
        }
        CHECK_INT(sl.cap, 128);
        CHECK_INT(cl[63], 1063); /* kept across the growth at 64 */
        CHECK(sl.slot[0] == MES_NO_SLOT && sl.slot[127] == MES_NO_SLOT);
        mes_slots_put(&sl, 7);
        mes_slots_put(&sl, 3);
        CHECK(mes_slots_take(&sl, cl, sizeof(*cl), &c) == cl);
        CHECK_INT(c, 3);
        CHECK(mes_slots_take(&sl, cl, sizeof(*cl), &c) == cl);
        CHECK_INT(c, 7);
        CHECK(mes_slots_take(&sl, cl, sizeof(*cl), &c) == cl);
        CHECK_INT(c, 65);
        mes_slots_clear(&sl);
        CHECK(mes_slots_take(&sl, cl, sizeof(*cl), &c) == cl);
        CHECK_INT(c, 0);
        mes_slots_release(&sl);
        pb_free(cl);
}

int main(void)
{
        RUN(test_slots);
        RUN(test_allocation_failures);
        RUN(test_checker_cases);
        RUN(test_checker_comparison);
        RUN(test_add1_grids);
        RUN(test_empty_ballots);
        RUN(test_points_and_ties);
        RUN(test_random_against_naive);
        RUN(test_fast_against_exact);
        RUN(test_fast_encloses_exact);
        return check_summary("mes");
}
