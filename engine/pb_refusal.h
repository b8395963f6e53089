/**
 * @file Why a ballot or a voter code is refused: one table of stable, machine-readable reasons
 * (DESIGN.md §5.2, docs/errors.md), each with its error code and an English message.  The ballot
 * checks, the ballot box and the HTTP API all take their refusals from here, so a frontend can
 * show each one in the resident's language by its name.
 */
#ifndef PB_REFUSAL_H
#define PB_REFUSAL_H

#include "engine/pb_err.h"

/** The reasons.  Their names are part of the API contract (docs/errors.md): never rename one. */
enum pb_refusal {
        PB_REFUSAL_CODE_MALFORMED,      /* not a voter code: a bad character, length or check symbol */
        PB_REFUSAL_CODE_UNKNOWN,        /* a well-formed code that was never issued */
        PB_REFUSAL_CODE_SPENT,          /* the code has already cast a ballot */
        PB_REFUSAL_NOT_OPEN,            /* the election does not take ballots now */
        PB_REFUSAL_BALLOT_MALFORMED,    /* not a ballot of this election's type */
        PB_REFUSAL_UNKNOWN_PROJECT,     /* a pick that is not one of the election's projects */
        PB_REFUSAL_DUPLICATE_PICK,      /* a project picked twice */
        PB_REFUSAL_TOO_FEW_PICKS,       /* fewer projects than min_length */
        PB_REFUSAL_TOO_MANY_PICKS,      /* more projects than max_length (or than the election has) */
        PB_REFUSAL_NOT_ONE_PICK,        /* a choose-1 ballot without exactly one project */
        PB_REFUSAL_OVER_BUDGET,         /* the picks cost more than max_sum_cost */
        PB_REFUSAL_UNDER_MIN_COST,      /* the picks cost less than min_sum_cost */
        PB_REFUSAL_POINTS_MISSING,      /* a point ballot without points */
        PB_REFUSAL_POINTS_NOT_ALLOWED,  /* points on a ballot type that has none */
        PB_REFUSAL_NEGATIVE_POINTS,     /* negative cumulative points */
        PB_REFUSAL_POINTS_BELOW_MIN,    /* a project given fewer points than min_points */
        PB_REFUSAL_POINTS_ABOVE_MAX,    /* a project given more points than max_points */
        PB_REFUSAL_TOO_FEW_POINTS,      /* fewer points in all than min_sum_points */
        PB_REFUSAL_TOO_MANY_POINTS,     /* more points in all than max_sum_points */
        PB_REFUSAL_BUSY,                /* the server cannot take the ballot now; nothing was stored */
        PB_REFUSAL_RATE_LIMITED,        /* a kiosk over its per-kiosk limits; nothing was stored */
        PB_REFUSAL_KIOSK_LOCKED,        /* a kiosk locked after too many failed voter codes */
        PB_REFUSAL_CONTEST_UNKNOWN,     /* a ballot for a contest the vote does not hold */
        PB_REFUSAL_CONTEST_NOT_ALLOWED, /* a ballot for a contest the voter code (or kiosk) is not for */
        PB_REFUSAL_CONTEST_MISSING,     /* no ballot for a contest the code is for and may not be skipped */
        PB_REFUSAL_PERIOD_NOT_STARTED,  /* before the start of the manifest's voting period */
        PB_REFUSAL_PERIOD_OVER,         /* after the end of the manifest's voting period */
        PB_REFUSAL_ENTRIES_DIFFER,      /* a paper keyed twice: the second officer's entry differs */
        PB_REFUSAL_COUNT
};

/** The stable name ("over_budget"); "?" outside the enum. */
const char *pb_refusal_name(enum pb_refusal r);
/** One line of English (static storage). */
const char *pb_refusal_message(enum pb_refusal r);
/** The error code a refusal is reported with (its HTTP status is pb_err_http_status() of it). */
pb_err pb_refusal_code(enum pb_refusal r);

/**
 * Fill @d (if not NULL) with refusal @r at field @path: its code, its message as the reason and
 * its name as d->refusal.  @return the refusal's code, so callers write `return pb_diag_refuse(...)`.
 */
pb_err pb_diag_refuse(struct pb_diag *d, enum pb_refusal r, const char *path);

#endif
