/** @file The ballots of a tallied vote as pabulib files (pb_box_pabulib.h); moved here from
 *  cli/export_pb.c so that the API can answer them too. */
#include "ballots/pb_box_pabulib.h"

#include <stdio.h>
#include <string.h>

#include "ballots/pb_docs.h"
#include "ballots/pb_vote.h"
#include "engine/pb_int128.h"
#include "formats/pb_envelope.h"
#include "formats/pb_format_pb.h"

/* pabulib's META name of a contest's rule ("unknown" for the rules pabulib has no name for). */
static const char *pabulib_rule(const struct pb_rule *r)
{
        switch (r->kind) {
        case PB_RULE_GREEDY: return "greedy";
        case PB_RULE_GREEDY_NO_SKIP: return "greedy-no-skip";
        case PB_RULE_GREEDY_THRESHOLD: return "greedy-threshold";
        case PB_RULE_EQUAL_SHARES:
                if (r->completion == PB_COMPLETE_NONE)
                        return r->comparison ? "equalshares-comparison" : "equalshares";
                if (r->completion == PB_COMPLETE_ADD1)
                        return r->comparison ? "equalshares/add1-comparison" : "equalshares/add1";
                return "unknown";
        default: return "unknown";
        }
}

/* "YYYY-MM-DD..." as pabulib's "DD.MM.YYYY" into @out (11 bytes). */
static void pabulib_date(const char *iso, char out[11])
{
        snprintf(out, 11, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
}

static pb_err meta(struct pb_election *e, const char *key, const char *value)
{
        return pb_election_add_meta(e, key, strlen(key), value, strlen(value));
}

/* The META pairs of contest @c, in pabulib's order; the numbers are written from the model. */
static pb_err add_meta(const struct pb_pabulib_meta *x, const struct pb_contest *c, const char *begin,
                       const char *end)
{
        struct pb_election *e = c->election;
        pb_err r = meta(e, "description", e->title);

        if (r == PB_OK)
                r = meta(e, "country", x->country);
        if (r == PB_OK)
                r = meta(e, "unit", x->unit);
        if (r == PB_OK)
                r = meta(e, "instance", x->instance);
        if (r == PB_OK)
                r = meta(e, "num_projects", "0"); /* these four: the writer states the model's */
        if (r == PB_OK)
                r = meta(e, "num_votes", "0");
        if (r == PB_OK)
                r = meta(e, "budget", "0");
        if (r == PB_OK)
                r = meta(e, "vote_type", "0");
        if (r == PB_OK)
                r = meta(e, "rule", e->rule);
        if (r == PB_OK)
                r = meta(e, "date_begin", begin);
        if (r == PB_OK)
                r = meta(e, "date_end", end);
        for (int k = 0; r == PB_OK && k < PB_LIM_COUNT; k++)
                if (e->limits.has[k])
                        r = meta(e, pb_limit_name((enum pb_limit)k), "0");
        if (r == PB_OK && e->has_threshold)
                r = meta(e, "min_project_score_threshold", "0");
        if (r == PB_OK && e->currency[0])
                r = meta(e, "currency", e->currency);
        return r;
}

/* The count into the projects' columns: votes, score (ballots with points or ranks), selected. */
static pb_err add_outcome(struct pb_contest *c, const struct pb_result *res)
{
        struct pb_election *e = c->election;
        const bool scored = pb_vote_type_has_points(e->vote_type) || e->vote_type == PB_VOTE_ORDINAL;

        for (size_t p = 0; p < e->n_projects; p++) {
                struct pb_project *pr = &e->projects[p];
                pr->has_votes = true;
                pr->declared_votes = res->projects[p].votes;
                if (scored) {
                        pb_i128 s = res->projects[p].score;
                        if (s > INT64_MAX || s < INT64_MIN)
                                return PB_ERR_OVERFLOW;
                        pr->has_score = true;
                        pr->declared_score = (int64_t)s;
                }
                pr->selected = 0;
        }
        for (size_t i = 0; i < res->n_winners; i++)
                e->projects[res->winners[i]].selected = 1;
        e->has_score_column = scored;
        e->has_selected_column = true;
        e->rule = pabulib_rule(&c->rule);
        e->has_threshold = c->rule.has_threshold;
        e->threshold = c->rule.threshold;
        return PB_OK;
}

/* pabulib lists a voter's points from highest to lowest (its checker warns otherwise), while a CVR
 * keeps them in project id order: each ballot is reordered, equal points in the order they had. */
static void points_highest_first(struct pb_election *e)
{
        struct pb_ballots *b = &e->ballots;

        for (size_t i = 0; b->points && i < b->n; i++)
                for (size_t j = b->start[i] + 1; j < b->start[i + 1]; j++)
                        for (size_t k = j; k > b->start[i] && b->points[k - 1] < b->points[k]; k--) {
                                uint32_t item = b->item[k];
                                int64_t points = b->points[k];
                                b->item[k] = b->item[k - 1];
                                b->points[k] = b->points[k - 1];
                                b->item[k - 1] = item;
                                b->points[k - 1] = points;
                        }
}

/* The dates of the vote: its period, else the day it closed (the close statement). */
static void vote_dates(struct pb_box *b, const struct pb_manifest *m, char begin[11], char end[11])
{
        struct pb_seal_envelope env;
        struct pb_doc_close close;
        struct pb_buf raw;

        if (m->period_start) {
                pabulib_date(m->period_start, begin);
                pabulib_date(m->period_end, end);
                return;
        }
        memcpy(begin, "01.01.1970", 11);
        pb_seal_envelope_init(&env);
        pb_buf_init(&raw, 0);
        if (pb_box_document(b, PB_BOX_DOC_CLOSE, &raw, NULL) == PB_OK &&
            pb_envelope_parse(raw.data, raw.len, 0, &env, NULL) == PB_OK &&
            pb_doc_close_parse((const char *)env.payload, env.payload_len, m, &close, NULL) == PB_OK)
                pabulib_date(close.closed_at, begin);
        memcpy(end, begin, 11);
        pb_seal_envelope_release(&env);
        pb_buf_release(&raw);
}

pb_err pb_box_pabulib(struct pb_box *b, const struct pb_pabulib_meta *meta, pb_pabulib_fn fn, void *ctx,
                      struct pb_diag *reterr)
{
        struct pb_vote_count count = { 0, NULL };
        struct pb_pabulib_meta x = *meta;
        struct pb_manifest *m = NULL;
        struct pb_buf tally, text;
        char begin[11], end[11];
        uint64_t seed = 0;
        bool seeded = false;
        pb_err r;

        pb_buf_init(&tally, 0);
        pb_buf_init(&text, 0);
        r = pb_box_ballots_load(b, &m, &seed, &seeded, reterr);
        /* the count the files state: the signed result's (its seed, the same engine) */
        if (r == PB_OK)
                r = pb_vote_tally(m, seeded ? &seed : NULL, x.engine, &count, &tally, reterr);
        if (r < 0)
                goto out;
        vote_dates(b, m, begin, end);
        if (!x.country)
                x.country = "unknown";
        if (!x.unit)
                x.unit = m->election->title;
        if (!x.instance)
                x.instance = end + 6; /* "DD.MM.YYYY": the year the vote ended */
        for (size_t k = 0; r == PB_OK && k < m->n_contests; k++) {
                points_highest_first(m->contests[k].election);
                r = add_outcome(&m->contests[k], &count.res[k]);
                if (r == PB_OK)
                        r = add_meta(&x, &m->contests[k], begin, end);
                text.len = 0;
                if (r == PB_OK)
                        r = pb_format_pb_write(m->contests[k].election, &text);
                if (r == PB_OK)
                        r = fn(ctx, &m->contests[k], text.data, text.len);
                else if (r == PB_ERR_OVERFLOW)
                        pb_diag_set(reterr, r, m->contests[k].election->id, "a score beyond 64 bits");
        }
out:
        pb_vote_count_release(&count);
        pb_manifest_free(m);
        pb_buf_release(&tally);
        pb_buf_release(&text);
        return r;
}
