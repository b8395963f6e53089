/** @file pb_tally_run: check, dispatch to the rule, check the outcome's invariants. */
#include "engine/pb_tally.h"

#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

/*
 * Scores are sums over ballots of one item each (points up to 2^63 in magnitude, Borda ranks),
 * plus default_score for each ballot that does not list a scoring project: at most 2^32 items
 * (pb_ballots_add_item's limit) and 2^32 ballots of 2^63 give |score| < 2^96, so 128 bits hold
 * every score exactly.  The ballot count is checked, not assumed.
 */
pb_err pb_tally_count(const struct pb_election *e, enum pb_score s, int64_t *votes, pb_i128 *score)
{
        const struct pb_ballots *b = &e->ballots;
        int64_t *v = votes;
        bool own = false;

        if (b->n > UINT32_MAX)
                return PB_ERR_LIMIT;
        if (!v) {
                v = pb_calloc(e->n_projects, sizeof(*v));
                if (!v)
                        return PB_ERR_NOMEM;
                own = true;
        }
        memset(v, 0, e->n_projects * sizeof(*v));
        if (score)
                memset(score, 0, e->n_projects * sizeof(*score));
        for (size_t i = 0; i < b->n; i++) {
                size_t a = b->start[i], z = b->start[i + 1], len = z - a;

                for (size_t k = a; k < z; k++) {
                        uint32_t p = b->item[k];
                        int64_t add = 0;

                        v[p]++;
                        if (!score)
                                continue;
                        switch (s) {
                        case PB_SCORE_AUTO:
                        case PB_SCORE_VOTES: add = 1; break;
                        case PB_SCORE_POINTS: add = b->points ? b->points[k] : 0; break;
                        case PB_SCORE_BORDA: add = (int64_t)(len - (k - a)); break;
                        case PB_SCORE_BORDA0: add = (int64_t)(len - (k - a) - 1); break;
                        case PB_SCORE_COUNT: PB_ASSERT(0);
                        }
                        score[p] += add; /* |score| < 2^96: see above */
                }
        }
        if (score && s == PB_SCORE_POINTS && e->vote_type == PB_VOTE_SCORING &&
            e->limits.has[PB_LIM_DEFAULT_SCORE]) {
                /* scoring ballots give default_score to every project they do not list */
                for (size_t p = 0; p < e->n_projects; p++)
                        score[p] += (pb_i128)((int64_t)b->n - v[p]) * e->limits.v[PB_LIM_DEFAULT_SCORE];
        }
        if (own)
                pb_free(v);
        return PB_OK;
}

void pb_i128_format(pb_i128 v, char *buf, size_t len)
{
        char tmp[48];
        size_t i = sizeof(tmp);
        pb_u128 u = v < 0 ? (pb_u128)0 - (pb_u128)v : (pb_u128)v;

        tmp[--i] = '\0';
        do {
                tmp[--i] = (char)('0' + (int)(u % 10));
                u /= 10;
        } while (u);
        if (v < 0)
                tmp[--i] = '-';
        PB_ASSERT(sizeof(tmp) - i <= len);
        memcpy(buf, tmp + i, sizeof(tmp) - i);
}

void pb_fraction_format(pb_i128 num, pb_i128 den, char *buf, size_t len)
{
        pb_i128 g;
        size_t n;

        PB_ASSERT(den > 0);
        g = (pb_i128)pb_i128_gcd(num, den);
        if (g > 1) {
                num /= g;
                den /= g;
        }
        pb_i128_format(num, buf, len);
        if (den == 1)
                return;
        n = strlen(buf);
        PB_ASSERT(n + 1 < len);
        buf[n] = '/';
        pb_i128_format(den, buf + n + 1, len - n - 1);
}

pb_err pb_tally_run(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *ret_result,
                    struct pb_diag *reterr)
{
        struct pb_result res;
        pb_err r;

        r = pb_rule_check(rule, e, reterr);
        if (r < 0)
                return r;
        pb_result_init(&res);
        res.rule = *rule;
        res.score = pb_rule_score(rule, e);
        r = pb_result_prepare(&res, e);
        if (r < 0)
                goto out;
        switch (rule->kind) {
        case PB_RULE_GREEDY:
        case PB_RULE_GREEDY_NO_SKIP:
        case PB_RULE_GREEDY_THRESHOLD:
        case PB_RULE_GREEDY_RATIO: r = pb_tally_greedy(e, rule, &res, reterr); break;
        case PB_RULE_EQUAL_SHARES: r = pb_tally_mes(e, rule, &res, reterr); break;
        case PB_RULE_PHRAGMEN: r = pb_tally_phragmen(e, rule, &res, reterr); break;
        case PB_RULE_MAXIMIN_SUPPORT: r = pb_tally_maximin(e, rule, &res, reterr); break;
        default:
                r = pb_diag_set(reterr, PB_ERR_UNSUPPORTED, "rule", "this build does not count this rule");
                break;
        }
        if (r < 0)
                goto out;
        PB_ASSERT(pb_result_is_consistent(&res, e));
        pb_result_release(ret_result);
        *ret_result = res;
        pb_result_init(&res);
out:
        pb_result_release(&res);
        return r;
}
