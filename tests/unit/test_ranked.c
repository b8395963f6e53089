/** @file Unit tests of the ranked-contest engine: Java emulation, fixed point, the contest
 *  model, hand-counted IRV/STV examples, and allocation failures. */
#include <string.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_ranked.h"
#include "engine/ranked_int.h"

static void test_java_random(void)
{
        struct pb_jrandom r;

        /* published values: new Random(0).nextInt(), new Random(42).nextInt() */
        pb_jrandom_init(&r, 0);
        CHECK_INT(pb_jrandom_next(&r, 32), -1155484576);
        pb_jrandom_init(&r, 42);
        CHECK_INT(pb_jrandom_next(&r, 32), -1170105035);
        /* new Random(0).nextDouble() = 0.730967787376657: floor(x * n) */
        pb_jrandom_init(&r, 0);
        CHECK_INT(pb_jrandom_pick(&r, 10), 7);
        pb_jrandom_init(&r, 0);
        CHECK_INT(pb_jrandom_pick(&r, 100), 73);
        pb_jrandom_init(&r, 0);
        CHECK_INT(pb_jrandom_pick(&r, 1), 0);
        /* nextInt(bound) stays in range, powers of two included */
        pb_jrandom_init(&r, 7);
        for (int i = 0; i < 1000; i++) {
                int32_t v = pb_jrandom_next_int(&r, i % 2 ? 16 : 7);
                CHECK(v >= 0 && v < (i % 2 ? 16 : 7));
        }
}

static void test_java_strings(void)
{
        CHECK_INT(pb_java_hash(""), 0);
        CHECK_INT(pb_java_hash("hello"), 99162322);
        CHECK_INT(pb_java_hash("Aa"), pb_java_hash("BB")); /* the classic collision: 2112 */
        CHECK_INT(pb_java_hash("Aa"), 2112);
        CHECK(pb_ranked_java_strcmp("B", "a") < 0);
        CHECK(pb_ranked_java_strcmp("abc", "abcd") < 0);
        CHECK(pb_ranked_java_strcmp("abc", "abc") == 0);
        CHECK(pb_ranked_java_strcmp("\xc3\xa9", "z") > 0); /* U+00E9 after 'z' */
        /* UTF-16 order: U+1F600 (D83D DE00) sorts before U+FFFD, unlike code point order */
        CHECK(pb_ranked_java_strcmp("\xf0\x9f\x98\x80", "\xef\xbf\xbd") < 0);
}

static void test_hashset_order(void)
{
        struct pb_ranked_contest c;
        uint32_t v[4];

        pb_ranked_contest_init(&c);
        CHECK(pb_ranked_candidate_add(&c, "c", 1, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "a", 1, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "BB", 2, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "Aa", 2, NULL) == PB_OK);
        /* "a" (97) lands in bucket 1, "c" (99) in 3; "Aa" and "BB" share bucket 2112 & 15 = 0
         * and keep their insertion order */
        v[0] = 0, v[1] = 1, v[2] = 2, v[3] = 3;
        CHECK(pb_java_hashset_order(&c, v, 4) == PB_OK);
        CHECK_INT(v[0], 2);
        CHECK_INT(v[1], 3);
        CHECK_INT(v[2], 1);
        CHECK_INT(v[3], 0);
        v[0] = 3, v[1] = 2;
        CHECK(pb_java_hashset_order(&c, v, 2) == PB_OK);
        CHECK_INT(v[0], 3);
        pb_java_sort_names(&c, v, 2);
        CHECK_INT(v[0], 3); /* "Aa" < "BB" */
        pb_ranked_contest_release(&c);
}

static void test_values(void)
{
        char buf[PB_RANKED_VALUE_STR_MAX];
        int64_t v;

        CHECK_STR(pb_ranked_format_value(172500, 4, buf), "17.25");
        CHECK_STR(pb_ranked_format_value(170000, 4, buf), "17");
        CHECK_STR(pb_ranked_format_value(3, 4, buf), "0.0003");
        CHECK_STR(pb_ranked_format_value(-5, 1, buf), "-0.5");
        CHECK_STR(pb_ranked_format_value(0, 9, buf), "0");
        CHECK_STR(pb_ranked_format_value(INT64_MAX, 0, buf), "9223372036854775807");
        CHECK(pb_ranked_parse_value("2.25", 4, 4, false, &v, NULL) == PB_OK && v == 22500);
        CHECK(pb_ranked_parse_value("7.25019", 7, 4, true, &v, NULL) == PB_OK && v == 72501);
        CHECK(pb_ranked_parse_value("7.25019", 7, 4, false, &v, NULL) == PB_ERR_INVALID);
        CHECK(pb_ranked_parse_value("x", 1, 4, false, &v, NULL) == PB_ERR_PARSE);
        CHECK(pb_ranked_parse_value("99999999999999999999", 20, 0, false, &v, NULL) == PB_ERR_OVERFLOW);
}

static void test_contest(void)
{
        struct pb_ranked_contest c;
        uint32_t a, b;

        pb_ranked_contest_init(&c);
        CHECK(pb_ranked_candidate_add(&c, "A", 1, &a) == PB_OK && a == 0);
        CHECK(pb_ranked_candidate_add(&c, "B", 1, &b) == PB_OK && b == 1);
        CHECK(pb_ranked_candidate_add(&c, "", 0, NULL) == PB_ERR_INVALID);
        CHECK_INT(pb_ranked_candidate_find(&c, "B"), 1);
        CHECK_INT(pb_ranked_candidate_find(&c, "Z"), -1);
        /* marks in any order are sorted by rank; identical rankings fold */
        CHECK(pb_ranked_ballot_mark(&c, 2, b) == PB_OK && pb_ranked_ballot_mark(&c, 1, a) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 1) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, a) == PB_OK && pb_ranked_ballot_mark(&c, 2, b) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 4) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, b) == PB_OK && pb_ranked_ballot_mark(&c, 1, a) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 1) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 2) == PB_OK); /* an empty ballot */
        CHECK_INT(c.n_ballots, 3);
        CHECK_INT(c.ballots[0].count, 5);
        CHECK_INT(c.ballots[1].len, 3); /* rank 1 holding B then A: an overvote / equal ranking */
        CHECK_INT(c.tokens[c.ballots[1].off + 1], b);
        CHECK_INT(c.ballots[2].len, 0);
        CHECK_INT(c.n_total, 8);
        CHECK_INT(pb_ranked_ballot_max_rank(&c, &c.ballots[0]), 2);
        CHECK(pb_ranked_ballot_mark(&c, 0, a) == PB_ERR_LIMIT);
        CHECK(pb_ranked_ballot_mark(&c, 1, 7) == PB_ERR_INVALID);
        CHECK(pb_ranked_ballot_mark(&c, 1, a) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 0) == PB_ERR_INVALID);
        CHECK_INT(c.n_pend, 0);
        pb_ranked_contest_release(&c);
        pb_ranked_contest_release(&c); /* releasing twice is harmless */
}

/* A: 2 x (A B), B: 1 x (B C), C: 2 x (C A) */
static pb_err irv_contest(struct pb_ranked_contest *c)
{
        pb_err r;

        pb_ranked_contest_init(c);
        if ((r = pb_ranked_candidate_add(c, "A", 1, NULL)) < 0 ||
            (r = pb_ranked_candidate_add(c, "B", 1, NULL)) < 0 ||
            (r = pb_ranked_candidate_add(c, "C", 1, NULL)) < 0)
                return r;
        if ((r = pb_ranked_ballot_mark(c, 1, 0)) < 0 || (r = pb_ranked_ballot_mark(c, 2, 1)) < 0 ||
            (r = pb_ranked_ballot_commit(c, 2)) < 0)
                return r;
        if ((r = pb_ranked_ballot_mark(c, 1, 1)) < 0 || (r = pb_ranked_ballot_mark(c, 2, 2)) < 0 ||
            (r = pb_ranked_ballot_commit(c, 1)) < 0)
                return r;
        if ((r = pb_ranked_ballot_mark(c, 1, 2)) < 0 || (r = pb_ranked_ballot_mark(c, 2, 0)) < 0 ||
            (r = pb_ranked_ballot_commit(c, 2)) < 0)
                return r;
        return PB_OK;
}

static void test_irv(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        const struct pb_ranked_result *res;

        CHECK(irv_contest(&c) == PB_OK);
        pb_rctab_rules_init(&ru);
        pb_ranked_outcome_init(&o);
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_OK);
        CHECK_INT(o.n_passes, 1);
        res = &o.passes[0];
        /* round 1: A 2, B 1, C 2, threshold floor(5 / 2) + 1 = 3; B out, its ballot to C */
        CHECK_INT(res->n_rounds, 2);
        CHECK_INT(res->rounds[0].threshold, 30000);
        CHECK_INT(res->rounds[0].tally[1], 10000);
        CHECK_INT(res->rounds[0].n_dec, 1);
        CHECK_INT(res->rounds[0].dec[0].cand, 1);
        CHECK(!res->rounds[0].dec[0].elected);
        CHECK_INT(res->rounds[0].dec[0].transfers[2], 10000);
        /* round 2: C 3 >= 3 */
        CHECK_INT(res->rounds[1].tally[2], 30000);
        CHECK(!res->rounds[1].present[1]);
        CHECK_INT(o.n_winners, 1);
        CHECK_INT(o.winners[0], 2);
        pb_ranked_outcome_release(&o);
        /* no tie arises, so the tie-break mode changes nothing */
        ru.tiebreak = PB_RCTAB_TIE_RANDOM;
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_OK);
        CHECK_INT(o.winners[0], 2);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

static void test_stv_fractional(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        const struct pb_ranked_result *res;

        /* 6 x (A B), 2 x (B), 1 x (C); 2 seats, 4 decimals */
        pb_ranked_contest_init(&c);
        CHECK(pb_ranked_candidate_add(&c, "A", 1, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "B", 1, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "C", 1, NULL) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, 0) == PB_OK && pb_ranked_ballot_mark(&c, 2, 1) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 6) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, 1) == PB_OK && pb_ranked_ballot_commit(&c, 2) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, 2) == PB_OK && pb_ranked_ballot_commit(&c, 1) == PB_OK);
        pb_rctab_rules_init(&ru);
        ru.mode = PB_RCTAB_MULTI;
        ru.seats = 2;
        pb_ranked_outcome_init(&o);
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_OK);
        res = &o.passes[0];
        /* threshold floor(9 / 3) + 1 = 4; A elected with 6: fraction trunc4(2 / 6) = 0.3333,
         * each of A's 6 ballots moves 0.3333 to B (1.9998) and leaves 0.6667 (4.0002 in all,
         * 0.0002 residual surplus, A pinned at 4) */
        CHECK_INT(res->rounds[0].threshold, 40000);
        CHECK(res->rounds[0].dec[0].elected && res->rounds[0].dec[0].cand == 0);
        CHECK_INT(res->rounds[0].dec[0].transfers[1], 19998);
        CHECK_INT(res->rounds[0].dec[0].transfers[3 + PB_RANKED_TO_RESIDUAL], 2);
        CHECK_INT(res->rounds[1].tally[0], 40000);
        CHECK_INT(res->rounds[1].tally[1], 39998);
        CHECK_INT(res->rounds[1].residual, 2);
        /* round 2: C out (exhausted); round 3: B the only continuing candidate for the last seat;
         * round 4 shows the final surplus */
        CHECK_INT(res->n_rounds, 4);
        CHECK_INT(res->rounds[2].inactive[PB_RANKED_EXHAUSTED], 10000);
        CHECK(res->rounds[2].dec[0].elected && res->rounds[2].dec[0].cand == 1);
        CHECK_INT(o.n_winners, 2);
        CHECK(res->surplus_rule);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

static void test_rules_errors(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;

        CHECK(irv_contest(&c) == PB_OK);
        pb_ranked_outcome_init(&o);
        pb_rctab_rules_init(&ru);
        ru.scale = 12;
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_ERR_UNSUPPORTED);
        pb_rctab_rules_init(&ru);
        ru.seats = 0;
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_ERR_INVALID);
        /* the operator is asked, but nobody answers */
        pb_rctab_rules_init(&ru);
        ru.tiebreak = PB_RCTAB_TIE_ASK;
        CHECK(pb_ranked_ballot_mark(&c, 1, 1) == PB_OK && pb_ranked_ballot_commit(&c, 1) == PB_OK);
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_ERR_INVALID);
        CHECK(d.reason != NULL);
        CHECK_INT(o.n_passes, 0);
        pb_ranked_contest_release(&c);
}

static void test_meek_scottish_small(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_diag d;

        /* 42.blt-like: Castor 4 first preferences (then Pollux), Helen 2; 2 seats */
        pb_ranked_contest_init(&c);
        c.seats = 2;
        CHECK(pb_ranked_candidate_add(&c, "Castor", 6, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "Pollux", 6, NULL) == PB_OK);
        CHECK(pb_ranked_candidate_add(&c, "Helen", 5, NULL) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, 0) == PB_OK && pb_ranked_ballot_mark(&c, 2, 1) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 4) == PB_OK);
        CHECK(pb_ranked_ballot_mark(&c, 1, 2) == PB_OK && pb_ranked_ballot_commit(&c, 2) == PB_OK);
        pb_ranked_outcome_init(&o);
        CHECK(pb_scottish_run(&c, NULL, &o, &d) == PB_OK);
        /* quota 3: Castor elected, surplus 1 moves 4 x 0.25 to Pollux, Pollux (1) out, Helen in */
        CHECK_INT(o.passes[0].rounds[0].threshold, 300000);
        CHECK_INT(o.passes[0].rounds[1].tally[1], 100000);
        CHECK_INT(o.n_winners, 2);
        CHECK_INT(o.winners[0], 0);
        CHECK_INT(o.winners[1], 2);
        pb_ranked_outcome_release(&o);
        CHECK(pb_meek_run(&c, NULL, PB_MEEK_PRF, &o, &d) == PB_OK);
        CHECK_INT(o.n_winners, 2);
        pb_ranked_outcome_release(&o);
        /* an equal ranking is refused by Scottish STV, counted by Meek */
        CHECK(pb_ranked_ballot_mark(&c, 1, 1) == PB_OK && pb_ranked_ballot_mark(&c, 1, 2) == PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 1) == PB_OK);
        CHECK(pb_scottish_run(&c, NULL, &o, &d) == PB_ERR_UNSUPPORTED);
        CHECK(pb_meek_run(&c, NULL, PB_MEEK_FIXED9, &o, &d) == PB_OK);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

static void test_json_doc(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        struct pb_buf out;

        CHECK(irv_contest(&c) == PB_OK);
        pb_rctab_rules_init(&ru);
        pb_ranked_outcome_init(&o);
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_OK);
        pb_buf_init(&out, 0);
        CHECK(pb_ranked_result_json(&c, &o, "irv", &out) == PB_OK);
        CHECK(strstr(out.data, "\"winners\":[\"C\"]") != NULL);
        CHECK(strstr(out.data, "\"budget\":1,") != NULL);
        CHECK(strstr(out.data, "\"spent\":1,") != NULL);
        CHECK(strstr(out.data, "{\"candidate\":\"B\",\"elected\":false,\"transfers\":[{\"to\":\"C\","
                               "\"votes\":\"1\"}]}") != NULL);
        pb_buf_release(&out);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

/* Every allocation failing in turn ends in PB_ERR_NOMEM, never a crash or a leak. */
static void test_oom(void)
{
        long n;
        int ok = 0;

        for (n = 0; n < 10000 && !ok; n++) {
                struct pb_ranked_contest c;
                struct pb_ranked_outcome o;
                struct pb_rctab_rules ru;
                struct pb_diag d;
                pb_err r;

                pb_alloc_fail_after(n);
                r = irv_contest(&c);
                pb_rctab_rules_init(&ru);
                ru.mode = PB_RCTAB_MULTI;
                ru.seats = 2;
                pb_ranked_outcome_init(&o);
                if (r == PB_OK)
                        r = pb_rctab_run(&c, &ru, &o, &d);
                pb_ranked_outcome_release(&o);
                c.seats = 2;
                if (r == PB_OK)
                        r = pb_scottish_run(&c, NULL, &o, &d);
                pb_ranked_outcome_release(&o);
                if (r == PB_OK)
                        r = pb_meek_run(&c, NULL, PB_MEEK_PRF, &o, &d);
                pb_ranked_outcome_release(&o);
                pb_ranked_contest_release(&c);
                pb_alloc_fail_after(-1);
                CHECK(r == PB_OK || r == PB_ERR_NOMEM);
                ok = r == PB_OK;
        }
        CHECK(ok);
}

int main(void)
{
        RUN(test_java_random);
        RUN(test_java_strings);
        RUN(test_hashset_order);
        RUN(test_values);
        RUN(test_contest);
        RUN(test_irv);
        RUN(test_stv_fractional);
        RUN(test_rules_errors);
        RUN(test_meek_scottish_small);
        RUN(test_json_doc);
        RUN(test_oom);
        return check_summary("ranked");
}
