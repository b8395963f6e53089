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

bool pb_turnout_same_counts(const struct pb_turnout *a, const struct pb_turnout *b)
{
        bool same = a->ballots == b->ballots && a->codes_issued == b->codes_issued &&
                    a->codes_spent == b->codes_spent && a->n_contests == b->n_contests;

        for (int i = 0; i < PB_CHANNEL_COUNT; i++)
                same = same && a->by_channel[i] == b->by_channel[i];
        for (int i = 0; i < PB_REJECT_COUNT; i++)
                same = same && a->rejected[i] == b->rejected[i];
        for (uint32_t i = 0; same && i < a->n_contests; i++)
                same = a->by_contest[i] == b->by_contest[i];
        return same;
}
