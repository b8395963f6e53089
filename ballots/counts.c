/** @file Names of the election's states and of the refusal reasons (ballots/pb_counts.h). */
#include "ballots/pb_counts.h"

static const char *const state_names[PB_BOX_STATE_COUNT] = {
        "draft", "open", "suspended", "closed", "tallied", "certified",
};
static const char *const reject_names[PB_REJECT_COUNT] = {
        "malformed_code", "code_unknown", "code_spent", "invalid_ballot", "submission_reused",
};

const char *pb_box_state_name(enum pb_box_state s)
{
        return (unsigned)s < PB_BOX_STATE_COUNT ? state_names[s] : "?";
}

const char *pb_reject_name(enum pb_reject r)
{
        return (unsigned)r < PB_REJECT_COUNT ? reject_names[r] : "?";
}
