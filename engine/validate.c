/** @file pb_ballot_check: pabulib's ballot rules (reference/pabulib.md §1.4), two severities. */
#include "engine/pb_validate.h"

#include <string.h>

#include "engine/pb_int128.h"
#include "engine/pb_refusal.h"

static pb_err bad(struct pb_diag *d, const char *path, enum pb_refusal why, const struct pb_election *e,
                  long project)
{
        pb_err r = pb_diag_refuse(d, why, path);

        if (project >= 0)
                pb_diag_subject(d, e->projects[project].id, strlen(e->projects[project].id));
        return r;
}

/* A soft limit: an error in strict mode, a warning flag otherwise. */
static pb_err soft(enum pb_check_mode mode, unsigned *warn, unsigned flag, struct pb_diag *d,
                   const char *path, enum pb_refusal why)
{
        if (mode == PB_CHECK_STRICT)
                return pb_diag_refuse(d, why, path);
        *warn |= flag;
        return PB_OK;
}

pb_err pb_ballot_check(const struct pb_election *e, const uint32_t *items, const int64_t *points, size_t n,
                       enum pb_check_mode mode, unsigned *ret_warnings, struct pb_diag *reterr)
{
        const struct pb_limits *l = &e->limits;
        const bool with_points = pb_vote_type_has_points(e->vote_type);
        unsigned warn = 0;
        /* exact: a ballot of 10,000 projects of cost or points 2^53 sums past 2^63 (no overflow
         * may refuse a valid ballot, nor hide which limit an invalid one breaks) */
        pb_i128 sum_cost = 0, sum_points = 0;
        pb_err r;

        if (with_points && n && !points)
                return bad(reterr, "points", PB_REFUSAL_POINTS_MISSING, e, -1);
        if (!with_points && points)
                return bad(reterr, "points", PB_REFUSAL_POINTS_NOT_ALLOWED, e, -1);
        if (e->vote_type == PB_VOTE_CHOOSE1 && n != 1)
                return bad(reterr, "vote", PB_REFUSAL_NOT_ONE_PICK, e, -1);
        if (l->has[PB_LIM_MIN_LENGTH] && (int64_t)n < l->v[PB_LIM_MIN_LENGTH])
                return bad(reterr, "vote", PB_REFUSAL_TOO_FEW_PICKS, e, -1);
        if (l->has[PB_LIM_MAX_LENGTH] && (int64_t)n > l->v[PB_LIM_MAX_LENGTH])
                return bad(reterr, "vote", PB_REFUSAL_TOO_MANY_PICKS, e, -1);
        for (size_t i = 0; i < n; i++) {
                if (items[i] >= e->n_projects)
                        return bad(reterr, "vote", PB_REFUSAL_UNKNOWN_PROJECT, e, -1);
                /* quadratic, but ballots are short (max_length) and this avoids an allocation */
                for (size_t j = 0; j < i; j++)
                        if (items[j] == items[i])
                                return bad(reterr, "vote", PB_REFUSAL_DUPLICATE_PICK, e, items[i]);
                sum_cost += e->projects[items[i]].cost;
                if (!with_points)
                        continue;
                if (e->vote_type == PB_VOTE_CUMULATIVE && points[i] < 0)
                        return bad(reterr, "points", PB_REFUSAL_NEGATIVE_POINTS, e, items[i]);
                if (l->has[PB_LIM_MIN_POINTS] && points[i] < l->v[PB_LIM_MIN_POINTS])
                        return bad(reterr, "points", PB_REFUSAL_POINTS_BELOW_MIN, e, items[i]);
                if (l->has[PB_LIM_MAX_POINTS] && points[i] > l->v[PB_LIM_MAX_POINTS])
                        return bad(reterr, "points", PB_REFUSAL_POINTS_ABOVE_MAX, e, items[i]);
                sum_points += points[i];
                if (e->vote_type == PB_VOTE_CUMULATIVE && i && points[i] > points[i - 1])
                        warn |= PB_WARN_POINTS_ORDER;
        }
        if (e->vote_type == PB_VOTE_APPROVAL || e->vote_type == PB_VOTE_CHOOSE1) {
                if (l->has[PB_LIM_MIN_SUM_COST] && sum_cost < l->v[PB_LIM_MIN_SUM_COST]) {
                        r = soft(mode, &warn, PB_WARN_MIN_SUM_COST, reterr, "vote",
                                 PB_REFUSAL_UNDER_MIN_COST);
                        if (r < 0)
                                return r;
                }
                if (l->has[PB_LIM_MAX_SUM_COST] && sum_cost > l->v[PB_LIM_MAX_SUM_COST]) {
                        r = soft(mode, &warn, PB_WARN_MAX_SUM_COST, reterr, "vote", PB_REFUSAL_OVER_BUDGET);
                        if (r < 0)
                                return r;
                }
        }
        if (with_points) {
                if (l->has[PB_LIM_MIN_SUM_POINTS] && sum_points < l->v[PB_LIM_MIN_SUM_POINTS]) {
                        r = soft(mode, &warn, PB_WARN_MIN_SUM_POINTS, reterr, "points",
                                 PB_REFUSAL_TOO_FEW_POINTS);
                        if (r < 0)
                                return r;
                }
                if (l->has[PB_LIM_MAX_SUM_POINTS] && sum_points > l->v[PB_LIM_MAX_SUM_POINTS]) {
                        r = soft(mode, &warn, PB_WARN_MAX_SUM_POINTS, reterr, "points",
                                 PB_REFUSAL_TOO_MANY_POINTS);
                        if (r < 0)
                                return r;
                }
        }
        if (ret_warnings)
                *ret_warnings = warn;
        return PB_OK;
}
