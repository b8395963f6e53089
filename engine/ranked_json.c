/** @file The pbvote result document of a ranked count (canonical JSON). */
#include "engine/pb_canon.h"
#include "engine/ranked_int.h"

static void value(struct pb_jw *w, int64_t v, unsigned scale)
{
        char buf[PB_RANKED_VALUE_STR_MAX];
        pb_jw_string(w, pb_ranked_format_value(v, scale, buf));
}

static void name(struct pb_jw *w, const struct pb_ranked_contest *c, uint32_t i)
{
        pb_jw_string(w, c->cand[i].name);
}

static void round_doc(struct pb_jw *w, const struct pb_ranked_contest *c, const struct pb_ranked_result *res,
                      size_t ri)
{
        static const char *const keys[] = { "exhausted", "final_round_surplus", "overvotes", "repeated",
                                            "skipped",   "undervotes" };
        static const enum pb_ranked_inactive which[] = { PB_RANKED_EXHAUSTED, PB_RANKED_FINAL_SURPLUS,
                                                         PB_RANKED_OVERVOTES, PB_RANKED_REPEATED,
                                                         PB_RANKED_SKIPPED,   PB_RANKED_UNDERVOTES };
        const struct pb_ranked_round *rd = &res->rounds[ri];
        size_t i, j;

        pb_jw_object_begin(w);
        pb_jw_key(w, "decisions");
        pb_jw_array_begin(w);
        for (i = 0; i < rd->n_dec; i++) {
                const struct pb_ranked_decision *d = &rd->dec[i];
                pb_jw_object_begin(w);
                pb_jw_key(w, "candidate");
                name(w, c, d->cand);
                pb_jw_kv_bool(w, "elected", d->elected);
                pb_jw_key(w, "transfers");
                pb_jw_array_begin(w);
                for (j = 0; j < c->n_cand + PB_RANKED_TARGETS_EXTRA; j++) {
                        if (!d->transfers[j])
                                continue;
                        pb_jw_object_begin(w);
                        pb_jw_key(w, "to");
                        if (j < c->n_cand)
                                name(w, c, (uint32_t)j);
                        else
                                pb_jw_string(w, j == c->n_cand + PB_RANKED_TO_EXHAUSTED ? "exhausted"
                                                                                        : "residual surplus");
                        pb_jw_key(w, "votes");
                        value(w, d->transfers[j], res->scale);
                        pb_jw_object_end(w);
                }
                pb_jw_array_end(w);
                pb_jw_object_end(w);
        }
        pb_jw_array_end(w);
        pb_jw_key(w, "inactive");
        pb_jw_object_begin(w);
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                pb_jw_key(w, keys[i]);
                value(w, rd->inactive[which[i]], res->scale);
        }
        pb_jw_object_end(w);
        pb_jw_kv_int(w, "round", (int64_t)ri + 1);
        pb_jw_key(w, "tally");
        pb_jw_array_begin(w);
        for (i = 0; i < c->n_cand; i++) {
                if (!rd->present[i])
                        continue;
                pb_jw_object_begin(w);
                pb_jw_key(w, "candidate");
                name(w, c, (uint32_t)i);
                pb_jw_key(w, "votes");
                value(w, rd->tally[i], res->scale);
                pb_jw_object_end(w);
        }
        pb_jw_array_end(w);
        pb_jw_key(w, "threshold");
        value(w, rd->threshold, res->scale);
        pb_jw_object_end(w);
}

static void pass_doc(struct pb_jw *w, const struct pb_ranked_contest *c, const struct pb_ranked_result *res)
{
        size_t i;

        pb_jw_object_begin(w);
        pb_jw_key(w, "rounds");
        pb_jw_array_begin(w);
        for (i = 0; i < res->n_rounds; i++)
                round_doc(w, c, res, i);
        pb_jw_array_end(w);
        pb_jw_kv_int(w, "seats", res->seats);
        pb_jw_key(w, "ties");
        pb_jw_array_begin(w);
        for (i = 0; i < res->n_ties; i++) {
                const struct pb_ranked_tie *t = &res->ties[i];
                pb_jw_object_begin(w);
                pb_jw_key(w, "chosen");
                name(w, c, t->chosen);
                pb_jw_kv_bool(w, "for_winner", t->for_winner);
                pb_jw_kv_string(w, "method", t->method);
                pb_jw_kv_int(w, "round", t->round);
                pb_jw_kv_int(w, "tied", t->n_tied);
                pb_jw_object_end(w);
        }
        pb_jw_array_end(w);
        pb_jw_kv_int(w, "total_ballots", res->total_ballots);
        pb_jw_key(w, "winners");
        pb_jw_array_begin(w);
        for (i = 0; i < res->n_winners; i++)
                name(w, c, res->winners[i]);
        pb_jw_array_end(w);
        pb_jw_object_end(w);
}

pb_err pb_ranked_result_json(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o,
                             const char *rule, struct pb_buf *out)
{
        struct pb_jw w;
        size_t i;
        int64_t seats = 0;

        for (i = 0; i < o->n_passes; i++)
                seats += o->passes[i].seats;
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        /* a ranked contest is a PB vote where every candidate costs 1 and the budget is the seats */
        pb_jw_kv_int(&w, "budget", seats);
        pb_jw_key(&w, "candidates");
        pb_jw_array_begin(&w);
        for (i = 0; i < c->n_cand; i++)
                name(&w, c, (uint32_t)i);
        pb_jw_array_end(&w);
        pb_jw_key(&w, "passes");
        pb_jw_array_begin(&w);
        for (i = 0; i < o->n_passes; i++)
                pass_doc(&w, c, &o->passes[i]);
        pb_jw_array_end(&w);
        pb_jw_kv_string(&w, "rule", rule);
        pb_jw_kv_int(&w, "scale", o->n_passes ? o->passes[0].scale : 0);
        pb_jw_kv_int(&w, "spent", (int64_t)o->n_winners);
        pb_jw_kv_string(&w, "title", c->title ? c->title : "");
        pb_jw_key(&w, "winners");
        pb_jw_array_begin(&w);
        for (i = 0; i < o->n_winners; i++)
                name(&w, c, o->winners[i]);
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        return pb_jw_finish(&w);
}
