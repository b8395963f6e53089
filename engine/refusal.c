/** @file The table of refusals (engine/pb_refusal.h). */
#include "engine/pb_refusal.h"

static const struct {
        const char *name;
        pb_err code;
        const char *message;
} table[PB_REFUSAL_COUNT] = {
        [PB_REFUSAL_CODE_MALFORMED] = { "code_malformed", PB_ERR_PARSE, "not a voter code" },
        [PB_REFUSAL_CODE_UNKNOWN] = { "code_unknown", PB_ERR_FORBIDDEN, "unknown voter code" },
        [PB_REFUSAL_CODE_SPENT] = { "code_spent", PB_ERR_CONFLICT, "this voter code has already been used" },
        [PB_REFUSAL_NOT_OPEN] = { "not_open", PB_ERR_STATE, "the election is not open for voting" },
        [PB_REFUSAL_BALLOT_MALFORMED] = { "ballot_malformed", PB_ERR_PARSE, "not a ballot of this election" },
        [PB_REFUSAL_UNKNOWN_PROJECT] = { "unknown_project", PB_ERR_INVALID, "unknown project" },
        [PB_REFUSAL_DUPLICATE_PICK] = { "duplicate_pick", PB_ERR_INVALID, "project listed twice" },
        [PB_REFUSAL_TOO_FEW_PICKS] = { "too_few_picks", PB_ERR_INVALID, "fewer projects than min_length" },
        [PB_REFUSAL_TOO_MANY_PICKS] = { "too_many_picks", PB_ERR_INVALID, "more projects than max_length" },
        [PB_REFUSAL_NOT_ONE_PICK] = { "not_one_pick", PB_ERR_INVALID,
                                      "choose-1 ballots name exactly one project" },
        [PB_REFUSAL_OVER_BUDGET] = { "over_budget", PB_ERR_INVALID, "picks cost more than max_sum_cost" },
        [PB_REFUSAL_UNDER_MIN_COST] = { "under_min_cost", PB_ERR_INVALID,
                                        "picks cost less than min_sum_cost" },
        [PB_REFUSAL_POINTS_MISSING] = { "points_missing", PB_ERR_INVALID, "point ballots need points" },
        [PB_REFUSAL_POINTS_NOT_ALLOWED] = { "points_not_allowed", PB_ERR_INVALID,
                                            "only cumulative and scoring ballots carry points" },
        [PB_REFUSAL_NEGATIVE_POINTS] = { "negative_points", PB_ERR_INVALID, "negative points" },
        [PB_REFUSAL_POINTS_BELOW_MIN] = { "points_below_min", PB_ERR_INVALID,
                                          "fewer points than min_points" },
        [PB_REFUSAL_POINTS_ABOVE_MAX] = { "points_above_max", PB_ERR_INVALID, "more points than max_points" },
        [PB_REFUSAL_TOO_FEW_POINTS] = { "too_few_points", PB_ERR_INVALID,
                                        "fewer points in total than min_sum_points" },
        [PB_REFUSAL_TOO_MANY_POINTS] = { "too_many_points", PB_ERR_INVALID,
                                         "more points in total than max_sum_points" },
        [PB_REFUSAL_BUSY] = { "busy", PB_ERR_BUSY, "the server is busy: nothing was stored, try again" },
        [PB_REFUSAL_RATE_LIMITED] = { "rate_limited", PB_ERR_RATE,
                                      "this kiosk is over its limits: nothing was stored, try again later" },
        [PB_REFUSAL_KIOSK_LOCKED] = { "kiosk_locked", PB_ERR_FORBIDDEN,
                                      "this kiosk is locked after too many failed voter codes; a poll worker "
                                      "must have it unlocked" },
        [PB_REFUSAL_CONTEST_UNKNOWN] = { "contest_unknown", PB_ERR_INVALID,
                                         "this vote holds no such contest" },
        [PB_REFUSAL_CONTEST_NOT_ALLOWED] = { "contest_not_allowed", PB_ERR_FORBIDDEN,
                                             "this voter code (or kiosk) is not for this contest" },
        [PB_REFUSAL_CONTEST_MISSING] = { "contest_missing", PB_ERR_INVALID,
                                         "a ballot is needed for every contest of this voter code that "
                                         "may not be skipped" },
        [PB_REFUSAL_PERIOD_NOT_STARTED] = { "period_not_started", PB_ERR_STATE,
                                            "voting has not started: the voting period opens later" },
        [PB_REFUSAL_PERIOD_OVER] = { "period_over", PB_ERR_STATE,
                                     "voting is over: the voting period has ended" },
        [PB_REFUSAL_ENTRIES_DIFFER] = { "entries_differ", PB_ERR_STATE,
                                        "the two officers' entries of this paper differ: nothing is cast "
                                        "until they agree" },
};

const char *pb_refusal_name(enum pb_refusal r)
{
        return (unsigned)r < PB_REFUSAL_COUNT ? table[r].name : "?";
}

const char *pb_refusal_message(enum pb_refusal r)
{
        return (unsigned)r < PB_REFUSAL_COUNT ? table[r].message : "refused";
}

pb_err pb_refusal_code(enum pb_refusal r)
{
        return (unsigned)r < PB_REFUSAL_COUNT ? table[r].code : PB_ERR_INTERNAL;
}

pb_err pb_diag_refuse(struct pb_diag *d, enum pb_refusal r, const char *path)
{
        pb_err code = pb_diag_set(d, pb_refusal_code(r), path, pb_refusal_message(r));

        if (d)
                d->refusal = pb_refusal_name(r);
        return code;
}
