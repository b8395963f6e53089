/**
 * @file The greedy family: greedy, greedy-no-skip, greedy-threshold, greedy-ratio
 * (reference/pabulib.md §1.5, docs/rules.md).
 *
 * Projects are ordered by score (or by score per unit of cost for greedy-ratio), highest first,
 * ties by the rule's tie-break; each in turn is funded if it fits the money left.  greedy skips
 * one that does not fit and goes on; greedy-no-skip stops there.  Withdrawn projects (pabulib's
 * 999999999 cost) are never eligible, and with a threshold neither is a project scoring below it.
 * Projects with a score of zero are eligible: they are funded if money is left (pabulib's checker
 * and pabutools both do so).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_money.h"
#include "engine/tally_int.h"

struct entry {
        uint32_t project;
        uint32_t rank; /* tie-break position */
        pb_i128 score; /* exact, |score| < 2^96 (pb_tally_count) */
        int64_t cost;
        bool ratio; /* order by score / cost */
};

/* floor(s / c) and s - floor(s / c) c, for c > 0: the remainder is in [0, c). */
static void floor_div(pb_i128 s, int64_t c, pb_i128 *q, pb_i128 *rem)
{
        *q = s / c;
        *rem = s % c;
        if (*rem < 0) {
                *q -= 1;
                *rem += c;
        }
}

/*
 * a.score / a.cost vs b.score / b.cost, exactly.  The cross products would need 96 + 63 bits,
 * so compare the integer parts first, then the fractional parts, whose cross products are
 * below 2^126.
 */
static int cmp_ratio(const struct entry *a, const struct entry *b)
{
        pb_i128 qa, ra, qb, rb, l, r;

        floor_div(a->score, a->cost, &qa, &ra);
        floor_div(b->score, b->cost, &qb, &rb);
        if (qa != qb)
                return qa > qb ? -1 : 1;
        l = ra * b->cost;
        r = rb * a->cost;
        return l > r ? -1 : l < r;
}

/* Compare the ordering keys only (no tie-break): <0 if a comes first. */
static int cmp_key(const struct entry *a, const struct entry *b)
{
        if (a->ratio)
                return cmp_ratio(a, b);
        return a->score > b->score ? -1 : a->score < b->score;
}

static int cmp_entry(const void *pa, const void *pb)
{
        const struct entry *a = pa, *b = pb;
        int c = cmp_key(a, b);

        if (c)
                return c;
        return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/*
 * Record every group of equally ranked projects that contains a funded one: the tie-break put
 * them in this order.  It was decisive when some member was funded and another was not.
 */
static pb_err record_ties(struct pb_result *res, const struct entry *v, size_t n, bool ratio)
{
        uint32_t *tied = NULL;
        pb_err r = PB_OK;

        if (n < 2)
                return PB_OK;
        tied = pb_calloc(n, sizeof(*tied));
        if (!tied)
                return PB_ERR_NOMEM;
        for (size_t i = 0, j; i < n; i = j) {
                uint32_t step = 0, k = 0;
                bool some_in = false, some_out = false;

                for (j = i + 1; j < n && cmp_key(&v[i], &v[j]) == 0; j++)
                        ;
                if (j - i < 2)
                        continue;
                for (size_t t = i; t < j; t++) {
                        const struct pb_project_result *pr = &res->projects[v[t].project];
                        bool in = pr->reason == PB_REASON_SELECTED;

                        some_in |= in;
                        some_out |= !in;
                        if (in && (!step || pr->step < step))
                                step = pr->step;
                        tied[k++] = v[t].project;
                }
                if (!some_in)
                        continue;
                r = pb_result_add_tie(res, step, tied, k, some_out, ratio ? "score per cost" : "score");
                if (r < 0)
                        break;
        }
        pb_free(tied);
        return r;
}

pb_err pb_tally_greedy(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                       struct pb_diag *reterr)
{
        const size_t m = e->n_projects;
        int64_t *votes = NULL, left = e->budget;
        pb_i128 *score = NULL;
        uint32_t *rank = NULL;
        struct entry *v = NULL;
        const bool ratio = rule->kind == PB_RULE_GREEDY_RATIO;
        const bool no_skip = rule->kind == PB_RULE_GREEDY_NO_SKIP;
        bool stopped = false;
        size_t n = 0;
        pb_err r;

        votes = pb_calloc(m, sizeof(*votes));
        score = pb_calloc(m, sizeof(*score));
        rank = pb_calloc(m, sizeof(*rank));
        v = pb_calloc(m, sizeof(*v));
        if (!votes || !score || !rank || !v) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = pb_tally_count(e, res->score, votes, score);
        if (r < 0) {
                pb_diag_set(reterr, r, "ballots", "more ballots than the engine counts (2^32 - 1)");
                goto out;
        }
        r = pb_tie_ranks(e, rule, votes, rank);
        if (r < 0)
                goto out;
        for (size_t p = 0; p < m; p++) {
                res->projects[p].votes = votes[p];
                res->projects[p].score = score[p];
                if (e->projects[p].withdrawn) {
                        res->projects[p].reason = PB_REASON_WITHDRAWN;
                        continue;
                }
                if (rule->has_threshold && score[p] < rule->threshold) {
                        res->projects[p].reason = PB_REASON_BELOW_THRESHOLD;
                        continue;
                }
                v[n].project = (uint32_t)p;
                v[n].rank = rank[p];
                v[n].score = score[p];
                v[n].cost = e->projects[p].cost;
                v[n].ratio = ratio;
                n++;
        }
        qsort(v, n, sizeof(*v), cmp_entry);
        for (size_t i = 0; i < n; i++) {
                uint32_t p = v[i].project;
                char measure[PB_MEASURE_MAX];

                if (stopped) {
                        res->projects[p].reason = PB_REASON_STOPPED;
                        continue;
                }
                if (v[i].cost > left) {
                        res->projects[p].reason = PB_REASON_NO_MONEY;
                        stopped = no_skip;
                        continue;
                }
                if (ratio)
                        pb_fraction_format(v[i].score, v[i].cost, measure, sizeof(measure));
                else
                        pb_i128_format(v[i].score, measure, sizeof(measure));
                r = pb_result_select(res, e, p, votes[p], measure);
                if (r < 0)
                        goto out;
                left -= v[i].cost;
        }
        r = record_ties(res, v, n, ratio);
out:
        pb_free(votes);
        pb_free(score);
        pb_free(rank);
        pb_free(v);
        return r;
}
