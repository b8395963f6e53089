/** @file Validating one ballot against its election's ballot type and limits. */
#ifndef PB_VALIDATE_H
#define PB_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_election.h"
#include "engine/pb_err.h"

/** How strict: the same rules, different severities for the soft limits. */
enum pb_check_mode {
        PB_CHECK_PABULIB, /* as pabulib's checker: sum-of-cost and sum-of-points limits are warnings */
        PB_CHECK_STRICT   /* as the ballot box: every limit is an error */
};

/** Soft-limit findings in PB_CHECK_PABULIB mode (bit flags). */
enum pb_ballot_warning {
        PB_WARN_MIN_SUM_COST = 1 << 0,   /* picks cost less than min_sum_cost */
        PB_WARN_MAX_SUM_COST = 1 << 1,   /* picks cost more than max_sum_cost */
        PB_WARN_MIN_SUM_POINTS = 1 << 2, /* fewer points than min_sum_points */
        PB_WARN_MAX_SUM_POINTS = 1 << 3, /* more points than max_sum_points */
        PB_WARN_POINTS_ORDER = 1 << 4    /* cumulative points not listed in non-increasing order */
};

/**
 * Check one ballot: @n entries, project indexes @items (in ballot order) and, for point
 * ballots, @points parallel to them (NULL otherwise).
 *
 * Errors (both modes): an index out of range, a project listed twice, fewer than min_length or
 * more than max_length projects, choose-1 with other than one project, points missing for a
 * point ballot or given for another type, negative cumulative points, points outside
 * [min_points, max_points].  In PB_CHECK_STRICT mode the sum limits are errors too; in
 * PB_CHECK_PABULIB mode they are returned as warnings in @ret_warnings (may be NULL).
 *
 * @param reterr  path names the field ("vote", "points") and subject the project id
 * The sums of costs and points are exact (128-bit): no ballot is refused for its size.
 * @return PB_OK or PB_ERR_INVALID
 */
PB_NODISCARD pb_err pb_ballot_check(const struct pb_election *e, const uint32_t *items, const int64_t *points,
                                    size_t n, enum pb_check_mode mode, unsigned *ret_warnings,
                                    struct pb_diag *reterr);

#endif
