/** @file Unit tests of the ranked-contest engine: Java emulation, fixed point, the contest
 *  model, hand-counted IRV/STV examples, and allocation failures. */
#include <string.h>

#include "check.h"
#include "oom.h"
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
        CHECK_INT(pb_ranked_candidate_add(&c, "c", 1, NULL), PB_OK);
        CHECK_INT(pb_ranked_candidate_add(&c, "a", 1, NULL), PB_OK);
        CHECK_INT(pb_ranked_candidate_add(&c, "BB", 2, NULL), PB_OK);
        CHECK_INT(pb_ranked_candidate_add(&c, "Aa", 2, NULL), PB_OK);
        /* "a" (97) lands in bucket 1, "c" (99) in 3; "Aa" and "BB" share bucket 2112 & 15 = 0
         * and keep their insertion order */
        v[0] = 0, v[1] = 1, v[2] = 2, v[3] = 3;
        CHECK_INT(pb_java_hashset_order(&c, v, 4), PB_OK);
        CHECK_INT(v[0], 2);
        CHECK_INT(v[1], 3);
        CHECK_INT(v[2], 1);
        CHECK_INT(v[3], 0);
        v[0] = 3, v[1] = 2;
        CHECK_INT(pb_java_hashset_order(&c, v, 2), PB_OK);
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
        CHECK_INT(pb_ranked_ballot_mark(&c, 2, b), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, a), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 1), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, a), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 2, b), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 4), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, b), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, a), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 1), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 2), PB_OK); /* an empty ballot */
        CHECK_INT(c.n_ballots, 3);
        CHECK_INT(c.ballots[0].count, 5);
        CHECK_INT(c.ballots[1].len, 3); /* rank 1 holding B then A: an overvote / equal ranking */
        CHECK_INT(c.tokens[c.ballots[1].off + 1], b);
        CHECK_INT(c.ballots[2].len, 0);
        CHECK_INT(c.n_total, 8);
        CHECK_INT(pb_ranked_ballot_max_rank(&c, &c.ballots[0]), 2);
        CHECK(pb_ranked_ballot_mark(&c, 0, a) == PB_ERR_LIMIT);
        CHECK(pb_ranked_ballot_mark(&c, 1, 7) == PB_ERR_INVALID);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, a), PB_OK);
        CHECK(pb_ranked_ballot_commit(&c, 0) == PB_ERR_INVALID);
        CHECK_INT(c.n_pend, 0);
        pb_ranked_contest_release(&c);
        pb_ranked_contest_release(&c); /* releasing twice is harmless */
}

/* Mark a ballot of @ranks (candidate letters 'A'.., one a rank), in precinct @p and batch @b when
 * not NULL, and commit it @count times. */
static pb_err add_sliced(struct pb_ranked_contest *c, const char *p, const char *b, int64_t count,
                         const char *ranks)
{
        unsigned i;
        pb_err r;

        for (i = 0; ranks[i]; i++)
                if ((r = pb_ranked_ballot_mark(c, i + 1, (uint32_t)(ranks[i] - 'A'))) < 0)
                        return r;
        if (p && (r = pb_ranked_ballot_slice(c, PB_RANKED_PRECINCT, p, strlen(p))) < 0)
                return r;
        if (b && (r = pb_ranked_ballot_slice(c, PB_RANKED_BATCH, b, strlen(b))) < 0)
                return r;
        return pb_ranked_ballot_commit(c, count);
}

/* A contest of one-letter candidates, one for each letter of @names. */
static pb_err sliced_contest(struct pb_ranked_contest *c, const char *names)
{
        pb_err r;

        pb_ranked_contest_init(c);
        for (; *names; names++)
                if ((r = pb_ranked_candidate_add(c, names, 1, NULL)) < 0)
                        return r;
        return PB_OK;
}

/* A: 2 x (A B), B: 1 x (B C), C: 2 x (C A) */
static pb_err irv_contest(struct pb_ranked_contest *c)
{
        pb_err r = sliced_contest(c, "ABC");

        if (r == PB_OK)
                r = add_sliced(c, NULL, NULL, 2, "AB");
        if (r == PB_OK)
                r = add_sliced(c, NULL, NULL, 1, "BC");
        if (r == PB_OK)
                r = add_sliced(c, NULL, NULL, 2, "CA");
        return r;
}

/* RCTab's rules for a multi-winner contest of @seats seats. */
static void multi_rules(struct pb_rctab_rules *ru, unsigned seats)
{
        pb_rctab_rules_init(ru);
        ru->mode = PB_RCTAB_MULTI;
        ru->seats = seats;
}

static void test_irv(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        const struct pb_ranked_result *res;

        CHECK_INT(irv_contest(&c), PB_OK);
        pb_rctab_rules_init(&ru);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
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
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
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
        CHECK_INT(sliced_contest(&c, "ABC"), PB_OK);
        CHECK_INT(add_sliced(&c, NULL, NULL, 6, "AB"), PB_OK);
        CHECK_INT(add_sliced(&c, NULL, NULL, 2, "B"), PB_OK);
        CHECK_INT(add_sliced(&c, NULL, NULL, 1, "C"), PB_OK);
        multi_rules(&ru, 2);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
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

        CHECK_INT(irv_contest(&c), PB_OK);
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
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, 1), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 1), PB_OK);
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
        CHECK_INT(pb_ranked_candidate_add(&c, "Castor", 6, NULL), PB_OK);
        CHECK_INT(pb_ranked_candidate_add(&c, "Pollux", 6, NULL), PB_OK);
        CHECK_INT(pb_ranked_candidate_add(&c, "Helen", 5, NULL), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, 0), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 2, 1), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 4), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, 2), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 2), PB_OK);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_scottish_run(&c, NULL, &o, &d), PB_OK);
        /* quota 3: Castor elected, surplus 1 moves 4 x 0.25 to Pollux, Pollux (1) out, Helen in */
        CHECK_INT(o.passes[0].rounds[0].threshold, 300000);
        CHECK_INT(o.passes[0].rounds[1].tally[1], 100000);
        CHECK_INT(o.n_winners, 2);
        CHECK_INT(o.winners[0], 0);
        CHECK_INT(o.winners[1], 2);
        pb_ranked_outcome_release(&o);
        CHECK_INT(pb_meek_run(&c, NULL, PB_MEEK_PRF, &o, &d), PB_OK);
        CHECK_INT(o.n_winners, 2);
        pb_ranked_outcome_release(&o);
        /* an equal ranking is refused by Scottish STV, counted by Meek */
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, 1), PB_OK);
        CHECK_INT(pb_ranked_ballot_mark(&c, 1, 2), PB_OK);
        CHECK_INT(pb_ranked_ballot_commit(&c, 1), PB_OK);
        CHECK(pb_scottish_run(&c, NULL, &o, &d) == PB_ERR_UNSUPPORTED);
        CHECK_INT(pb_meek_run(&c, NULL, PB_MEEK_FIXED9, &o, &d), PB_OK);
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

        CHECK_INT(irv_contest(&c), PB_OK);
        pb_rctab_rules_init(&ru);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
        pb_buf_init(&out, 0);
        CHECK_INT(pb_ranked_result_json(&c, &o, "irv", &out), PB_OK);
        CHECK(strstr(out.data, "\"winners\":[\"C\"]") != NULL);
        CHECK(strstr(out.data, "\"budget\":1,") != NULL);
        CHECK(strstr(out.data, "\"spent\":1,") != NULL);
        CHECK(strstr(out.data, "{\"candidate\":\"B\",\"elected\":false,\"transfers\":[{\"to\":\"C\","
                               "\"votes\":\"1\"}]}") != NULL);
        pb_buf_release(&out);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

/* One run of IRV, Scottish and Meek STV on a small contest, for the allocation torture. */
static pb_err oom_runs(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        pb_err r = irv_contest(&c);

        multi_rules(&ru, 2);
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
        return r;
}

/* Every allocation failing in turn ends in PB_ERR_NOMEM, never a crash or a leak. */
static void test_oom(void)
{
        check_oom(oom_runs, 10000);
}

/* @count ballots ranking the candidates named by the letters of @ranks ("CB": C first, then B;
 * "": no ranking) in precinct @p and batch @b (NULL: none). */

/*
 * IRV by precinct and by batch, counted by hand:
 *   P1/x: 3 x A, 1 x (B A), 1 x (C B)      P2/x: 1 x A      P2/y: 3 x (B C), 2 x C, 1 x (none)
 * Contest: round 1 A 4, B 4, C 3, one undervote, threshold floor(11 / 2) + 1 = 6; C out, its
 * ballots to B (1) and exhausted (2).  Round 2: A 4, B 5, threshold floor(9 / 2) + 1 = 5: B wins.
 */
static void test_slices_irv(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        const struct pb_ranked_result *res, *p1, *p2, *bx, *by;
        size_t k, s, r, j;

        CHECK_INT(sliced_contest(&c, "ABC"), PB_OK);
        CHECK_INT(add_sliced(&c, "P1", "x", 3, "A"), PB_OK);
        CHECK_INT(add_sliced(&c, "P1", "x", 1, "BA"), PB_OK);
        CHECK_INT(add_sliced(&c, "P1", "x", 1, "CB"), PB_OK);
        CHECK_INT(add_sliced(&c, "P2", "x", 1, "A"), PB_OK);
        CHECK_INT(add_sliced(&c, "P2", "y", 3, "BC"), PB_OK);
        CHECK_INT(add_sliced(&c, "P2", "y", 1, "C"), PB_OK);
        CHECK_INT(add_sliced(&c, "P2", "y", 1, "C"), PB_OK);
        CHECK_INT(add_sliced(&c, "P2", "y", 1, ""), PB_OK);
        /* identical rankings fold within a slice only: "A" in P1 and in P2 stay apart */
        CHECK_INT(c.n_ballots, 7);
        CHECK_INT(c.slices[PB_RANKED_PRECINCT].n, 2);
        CHECK_STR(c.slices[PB_RANKED_PRECINCT].names[1], "P2");
        CHECK_INT(c.slices[PB_RANKED_BATCH].n, 2);
        CHECK_INT(c.ballots[5].count, 2); /* the two "C" ballots of P2/y */
        CHECK_INT(c.ballots[5].slice[PB_RANKED_PRECINCT], 2);
        CHECK_INT(c.ballots[5].slice[PB_RANKED_BATCH], 2);

        pb_rctab_rules_init(&ru);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
        res = &o.passes[0];
        CHECK_INT(res->n_rounds, 2);
        CHECK_INT(res->rounds[0].threshold, 60000);
        CHECK_INT(res->rounds[1].threshold, 50000);
        CHECK_INT(res->rounds[0].dec[0].transfers[1], 10000);
        CHECK_INT(res->rounds[0].dec[0].transfers[3 + PB_RANKED_TO_EXHAUSTED], 20000);
        CHECK_INT(res->n_slices[PB_RANKED_PRECINCT], 2);
        CHECK_INT(res->n_slices[PB_RANKED_BATCH], 2);
        p1 = &res->slices[PB_RANKED_PRECINCT][0];
        p2 = &res->slices[PB_RANKED_PRECINCT][1];
        bx = &res->slices[PB_RANKED_BATCH][0];
        by = &res->slices[PB_RANKED_BATCH][1];

        /* P1: A 3, B 1, C 1; C's ballot goes to B; round 2 A 3, B 2 */
        CHECK_INT(p1->total_ballots, 5);
        CHECK_INT(p1->n_rounds, 2);
        CHECK_INT(p1->rounds[0].tally[0], 30000);
        CHECK_INT(p1->rounds[0].tally[1], 10000);
        CHECK_INT(p1->rounds[0].tally[2], 10000);
        CHECK_INT(p1->rounds[0].threshold, 60000); /* the contest-wide threshold */
        CHECK_INT(p1->rounds[0].n_dec, 1);
        CHECK(!p1->rounds[0].dec[0].elected && p1->rounds[0].dec[0].cand == 2);
        CHECK_INT(p1->rounds[0].dec[0].transfers[1], 10000);
        CHECK_INT(p1->rounds[0].dec[0].transfers[3 + PB_RANKED_TO_EXHAUSTED], 0);
        CHECK_INT(p1->rounds[1].tally[1], 20000);
        CHECK(!p1->rounds[1].present[2]);
        CHECK_INT(p1->rounds[1].threshold, 50000);
        CHECK(p1->rounds[1].n_dec == 1 && p1->rounds[1].dec[0].elected && p1->rounds[1].dec[0].cand == 1);
        CHECK_INT(p1->rounds[1].inactive[PB_RANKED_EXHAUSTED], 0);
        CHECK_INT(p1->n_winners, 1);

        /* P2: A 1, B 3, C 2 and the undervote; C's two ballots exhaust */
        CHECK_INT(p2->total_ballots, 7);
        CHECK_INT(p2->rounds[0].tally[0], 10000);
        CHECK_INT(p2->rounds[0].tally[1], 30000);
        CHECK_INT(p2->rounds[0].tally[2], 20000);
        CHECK_INT(p2->rounds[0].inactive[PB_RANKED_UNDERVOTES], 10000);
        CHECK_INT(p2->rounds[0].dec[0].transfers[1], 0);
        CHECK_INT(p2->rounds[0].dec[0].transfers[3 + PB_RANKED_TO_EXHAUSTED], 20000);
        CHECK_INT(p2->rounds[1].tally[1], 30000);
        CHECK_INT(p2->rounds[1].inactive[PB_RANKED_EXHAUSTED], 20000);

        /* batch x: A 4, B 1, C 1 then A 4, B 2; batch y: A 0 (listed), B 3, C 2 then B 3 */
        CHECK_INT(bx->total_ballots, 6);
        CHECK_INT(bx->rounds[0].tally[0], 40000);
        CHECK_INT(bx->rounds[1].tally[1], 20000);
        CHECK_INT(by->total_ballots, 6);
        CHECK(by->rounds[0].present[0]);
        CHECK_INT(by->rounds[0].tally[0], 0);
        CHECK_INT(by->rounds[1].tally[1], 30000);
        CHECK_INT(by->rounds[1].inactive[PB_RANKED_EXHAUSTED], 20000);

        /* the slices of each kind add up to the contest, round by round */
        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (r = 0; r < res->n_rounds; r++) {
                        for (j = 0; j < c.n_cand; j++) {
                                int64_t sum = 0;
                                for (s = 0; s < res->n_slices[k]; s++)
                                        sum += res->slices[k][s].rounds[r].tally[j];
                                CHECK_INT(sum, res->rounds[r].tally[j]);
                        }
                        for (j = 0; j < PB_RANKED_INACTIVE_COUNT; j++) {
                                int64_t sum = 0;
                                for (s = 0; s < res->n_slices[k]; s++)
                                        sum += res->slices[k][s].rounds[r].inactive[j];
                                CHECK_INT(sum, res->rounds[r].inactive[j]);
                        }
                }
        pb_ranked_outcome_release(&o);

        /* once a contest has precincts, every ballot needs one */
        CHECK_INT(add_sliced(&c, NULL, "x", 1, "A"), PB_OK);
        CHECK(pb_rctab_run(&c, &ru, &o, &d) == PB_ERR_INVALID);
        CHECK_INT(o.n_passes, 0);
        CHECK(pb_ranked_ballot_slice(&c, PB_RANKED_PRECINCT, "", 0) == PB_ERR_INVALID);
        CHECK(pb_ranked_ballot_slice(&c, PB_RANKED_SLICE_KINDS, "P1", 2) == PB_ERR_INVALID);
        CHECK(pb_ranked_ballot_slice(&c, PB_RANKED_BATCH, "a\0b", 3) == PB_ERR_INVALID);
        pb_ranked_contest_release(&c);
}

/*
 * STV (2 seats, 4 decimals) by precinct, counted by hand:
 *   S1: 4 x (A C), 1 x B        S2: 2 x (A D), 2 x (B C)
 * Threshold floor(9 / 3) + 1 = 4.  Round 1: A 6 elected, fraction trunc4(2 / 6) = 0.3333: each
 * A ballot moves on with 0.3333 and leaves 0.6667.  Round 2: C 1.3332 (S1), D 0.6666 (S2), A
 * keeps 4.0002, shown as 4 with 0.0002 residual surplus contest-wide; in the slices A shows
 * what their ballots kept, 2.6668 (S1) and 1.3334 (S2), and no residual surplus.  D goes out
 * (exhausted), then C (exhausted), then B fills the last seat; one more round shows the surplus.
 */
static void test_slices_stv(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        const struct pb_ranked_result *res, *s1, *s2;
        size_t r;

        CHECK_INT(sliced_contest(&c, "ABCD"), PB_OK);
        CHECK_INT(add_sliced(&c, "S1", NULL, 4, "AC"), PB_OK);
        CHECK_INT(add_sliced(&c, "S1", NULL, 1, "B"), PB_OK);
        CHECK_INT(add_sliced(&c, "S2", NULL, 2, "AD"), PB_OK);
        CHECK_INT(add_sliced(&c, "S2", NULL, 2, "BC"), PB_OK);
        multi_rules(&ru, 2);
        pb_ranked_outcome_init(&o);
        CHECK_INT(pb_rctab_run(&c, &ru, &o, &d), PB_OK);
        res = &o.passes[0];
        CHECK_INT(res->n_slices[PB_RANKED_BATCH], 0);
        s1 = &res->slices[PB_RANKED_PRECINCT][0];
        s2 = &res->slices[PB_RANKED_PRECINCT][1];
        CHECK_INT(res->n_rounds, 5);
        CHECK_INT(s1->n_rounds, 5);
        CHECK_INT(res->rounds[0].dec[0].transfers[2], 13332);
        CHECK_INT(res->rounds[0].dec[0].transfers[3], 6666);
        CHECK_INT(res->rounds[0].dec[0].transfers[4 + PB_RANKED_TO_RESIDUAL], 2);
        CHECK_INT(res->rounds[1].tally[0], 40000);

        CHECK_INT(s1->total_ballots, 5);
        CHECK_INT(s1->rounds[0].tally[0], 40000);
        CHECK(s1->rounds[0].present[3]); /* D listed with 0 */
        CHECK(s1->rounds[0].dec[0].elected && s1->rounds[0].dec[0].cand == 0);
        CHECK_INT(s1->rounds[0].dec[0].transfers[2], 13332);
        CHECK_INT(s1->rounds[0].dec[0].transfers[3], 0);
        CHECK_INT(s1->rounds[0].dec[0].transfers[4 + PB_RANKED_TO_RESIDUAL], 0);
        CHECK_INT(s2->rounds[0].dec[0].transfers[3], 6666);
        CHECK_INT(s2->rounds[0].dec[0].transfers[4 + PB_RANKED_TO_RESIDUAL], 0);
        /* the winner's slice tallies are what its slice ballots kept, in every later round */
        for (r = 1; r < 5; r++) {
                CHECK(s1->rounds[r].present[0]);
                CHECK_INT(s1->rounds[r].tally[0], 26668);
                CHECK_INT(s2->rounds[r].tally[0], 13334);
                CHECK_INT(s1->rounds[r].threshold, 40000);
                CHECK_INT(s1->rounds[r].residual, 0);
        }
        CHECK_INT(s1->rounds[1].tally[2], 13332);
        CHECK_INT(s2->rounds[1].tally[3], 6666);
        /* round 2: D out, S2's 0.6666 exhausts; round 3: C out, S1's 1.3332 exhausts */
        CHECK(!s2->rounds[1].dec[0].elected && s2->rounds[1].dec[0].cand == 3);
        CHECK_INT(s2->rounds[1].dec[0].transfers[4 + PB_RANKED_TO_EXHAUSTED], 6666);
        CHECK_INT(s2->rounds[2].inactive[PB_RANKED_EXHAUSTED], 6666);
        CHECK_INT(s1->rounds[3].inactive[PB_RANKED_EXHAUSTED], 13332);
        CHECK_INT(s2->rounds[3].inactive[PB_RANKED_EXHAUSTED], 6666);
        /* round 4: B (1 in S1, 2 in S2) fills the last seat below the threshold: nothing moves */
        CHECK(s1->rounds[3].dec[0].elected && s1->rounds[3].dec[0].cand == 1);
        CHECK_INT(s1->rounds[4].tally[1], 10000);
        CHECK_INT(s2->rounds[4].tally[1], 20000);
        CHECK_INT(s1->final_threshold, 40000);
        CHECK_INT(s1->n_winners, 2);
        CHECK(s1->surplus_rule);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
}

/* One sliced count of four batches in two precincts, for the allocation torture. */
static pb_err oom_sliced(void)
{
        struct pb_ranked_contest c;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        pb_err r = sliced_contest(&c, "ABCD");

        if (r == PB_OK)
                r = add_sliced(&c, "S1", "b1", 4, "AC");
        if (r == PB_OK)
                r = add_sliced(&c, "S2", "b1", 2, "AD");
        if (r == PB_OK)
                r = add_sliced(&c, "S2", "b2", 3, "BC");
        multi_rules(&ru, 2);
        pb_ranked_outcome_init(&o);
        if (r == PB_OK)
                r = pb_rctab_run(&c, &ru, &o, &d);
        pb_ranked_outcome_release(&o);
        pb_ranked_contest_release(&c);
        return r;
}

/* Every allocation failing in turn while slicing ends in PB_ERR_NOMEM, never a crash or a leak. */
static void test_slices_oom(void)
{
        check_oom(oom_sliced, 10000);
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
        RUN(test_slices_irv);
        RUN(test_slices_stv);
        RUN(test_slices_oom);
        return check_summary("ranked");
}
