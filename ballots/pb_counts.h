/**
 * @file The counts a ballot box reports and its signed documents state: the election's states,
 * why a submission was refused, and the turnout.  Shared by the box, the documents and the
 * offline verifier, which needs these types but not the box (it never links SQLite).
 */
#ifndef PB_COUNTS_H
#define PB_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/pb_manifest.h"
#include "engine/pb_cvr.h"

enum pb_box_state {
        PB_BOX_DRAFT,     /* the manifest can change; codes can be issued */
        PB_BOX_OPEN,      /* ballots are accepted */
        PB_BOX_SUSPENDED, /* voting paused (overnight, or after an integrity alarm) */
        PB_BOX_CLOSED,    /* final: the close statement is signed; nothing is accepted */
        PB_BOX_TALLIED,   /* the signed result is stored */
        PB_BOX_CERTIFIED, /* the finance office's certification is stored */
        PB_BOX_STATE_COUNT
};

/** "draft", "open", ...; "?" outside the enum. */
const char *pb_box_state_name(enum pb_box_state s);

/** Why a submission was refused (counted, never with its content). */
enum pb_reject {
        PB_REJECT_MALFORMED_CODE,    /* not a voter code (bad character, length, check symbol) */
        PB_REJECT_CODE_UNKNOWN,      /* a well-formed code that was never issued */
        PB_REJECT_CODE_SPENT,        /* the code has already cast a ballot (HTTP 409) */
        PB_REJECT_INVALID_BALLOT,    /* the ballot breaks the election's rules */
        PB_REJECT_SUBMISSION_REUSED, /* not given since box schema 5 (kept: the counts' shape) */
        PB_REJECT_COUNT
};

/** "malformed_code", "code_unknown", ...; "?" outside the enum. */
const char *pb_reject_name(enum pb_reject r);

/** Counts that never reveal partial results. */
struct pb_turnout {
        enum pb_box_state state;
        uint64_t codes_issued, codes_spent;
        uint64_t ballots;                      /* accepted (logged + pending) */
        uint64_t pending;                      /* accepted, not yet in the log */
        uint64_t by_channel[PB_CHANNEL_COUNT]; /* accepted, by channel */
        uint64_t rejected[PB_REJECT_COUNT];
        uint64_t log_size; /* leaves in the log = size of the latest checkpoint */
        /* a vote of the contests form: accepted ballots that carry a ballot for each contest
         * (manifest order); 0 contests for the one-contest form, whose documents keep their shape */
        uint32_t n_contests;
        uint64_t by_contest[PB_MANIFEST_MAX_CONTESTS];
};

/** True if @a and @b hold the same signed counts (what a close statement and a result state:
 *  ballots, by channel, by contest, codes issued and spent, refusals). */
bool pb_turnout_same_counts(const struct pb_turnout *a, const struct pb_turnout *b);

#endif
