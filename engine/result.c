/** @file pb_result: construction, invariants and the canonical JSON document. */
#include "engine/pb_result.h"

#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_money.h"

static const char *const reason_names[PB_REASON_COUNT] = {
        "selected",  "no_money",     "stopped",    "below_threshold",
        "withdrawn", "unaffordable", "no_support", "comparison",
};

const char *pb_reason_name(enum pb_reason r)
{
        return (unsigned)r < PB_REASON_COUNT ? reason_names[r] : "?";
}

void pb_result_init(struct pb_result *r)
{
        memset(r, 0, sizeof(*r));
        pb_rule_init(&r->rule);
}

void pb_result_release(struct pb_result *r)
{
        if (!r)
                return;
        pb_free(r->projects);
        pb_free(r->winners);
        pb_free(r->steps);
        for (size_t i = 0; i < r->n_ties; i++)
                pb_free(r->ties[i].tied);
        pb_free(r->ties);
        pb_result_init(r);
}

pb_err pb_result_prepare(struct pb_result *r, const struct pb_election *e)
{
        pb_free(r->projects);
        pb_free(r->winners);
        r->projects = pb_calloc(e->n_projects, sizeof(*r->projects));
        r->winners = pb_calloc(e->n_projects, sizeof(*r->winners));
        if (!r->projects || !r->winners)
                return PB_ERR_NOMEM;
        r->n_projects = e->n_projects;
        r->n_winners = 0;
        r->n_voters = e->ballots.n;
        r->budget = e->budget;
        r->spent = 0;
        return PB_OK;
}

pb_err pb_result_select(struct pb_result *r, const struct pb_election *e, uint32_t project,
                        int64_t supporters, const char *measure)
{
        struct pb_step *s;
        pb_err err;

        PB_ASSERT(project < r->n_projects && r->n_winners < r->n_projects);
        s = pb_grow(r->steps, &r->steps_cap, r->n_steps + 1, sizeof(*s), 16);
        if (!s)
                return PB_ERR_NOMEM;
        r->steps = s;
        err = pb_add_i64(r->spent, e->projects[project].cost, &r->spent);
        if (err < 0)
                return err;
        s = &r->steps[r->n_steps++];
        memset(s, 0, sizeof(*s));
        s->project = project;
        s->cost = e->projects[project].cost;
        s->spent = r->spent;
        s->supporters = supporters;
        if (measure) {
                size_t n = strlen(measure);
                PB_ASSERT(n < sizeof(s->measure));
                memcpy(s->measure, measure, n + 1);
        }
        r->winners[r->n_winners++] = project;
        r->projects[project].reason = PB_REASON_SELECTED;
        r->projects[project].step = (uint32_t)r->n_steps;
        return PB_OK;
}

pb_err pb_result_add_tie(struct pb_result *r, uint32_t step, const uint32_t *tied, uint32_t n, bool decisive,
                         const char *on)
{
        struct pb_tie *t;

        PB_ASSERT(n >= 2);
        t = pb_grow(r->ties, &r->ties_cap, r->n_ties + 1, sizeof(*t), 8);
        if (!t)
                return PB_ERR_NOMEM;
        r->ties = t;
        t = &r->ties[r->n_ties];
        t->tied = pb_reallocarray(NULL, n, sizeof(*t->tied));
        if (!t->tied)
                return PB_ERR_NOMEM;
        memcpy(t->tied, tied, n * sizeof(*tied));
        t->n = n;
        t->step = step;
        t->decisive = decisive;
        t->on = on;
        r->n_ties++;
        return PB_OK;
}

pb_err pb_result_add_detail(struct pb_result *r, const char *key, const char *value)
{
        struct pb_detail *d;
        size_t n = strlen(value);

        if (r->n_details == sizeof(r->details) / sizeof(r->details[0]))
                return PB_ERR_LIMIT;
        PB_ASSERT(n < sizeof(d->value));
        d = &r->details[r->n_details++];
        d->key = key;
        memcpy(d->value, value, n + 1);
        return PB_OK;
}

bool pb_result_is_consistent(const struct pb_result *r, const struct pb_election *e)
{
        int64_t sum = 0;
        size_t selected = 0;

        if (r->n_projects != e->n_projects || r->spent > r->budget || r->budget != e->budget ||
            r->n_steps != r->n_winners)
                return false;
        for (size_t i = 0; i < r->n_winners; i++) {
                uint32_t p = r->winners[i];
                if (p >= e->n_projects || e->projects[p].withdrawn || r->steps[i].project != p ||
                    r->projects[p].reason != PB_REASON_SELECTED || r->projects[p].step != i + 1)
                        return false;
                if (__builtin_add_overflow(sum, e->projects[p].cost, &sum))
                        return false;
        }
        for (size_t i = 0; i < r->n_projects; i++)
                selected += r->projects[i].reason == PB_REASON_SELECTED;
        return sum == r->spent && selected == r->n_winners;
}

/*
 * An exact integer member: a JSON number while it is one every reader holds exactly (|v| <=
 * 2^53 - 1, the canonical writer's range), otherwise its decimal digits as a string, as STYLE.md
 * §4 says.  Scores of point ballots pass 2^53 with two ballots of the largest points a manifest
 * allows; the document must still be written (docs/formats.md, "Result document").
 */
static void kv_exact(struct pb_jw *w, const char *key, pb_i128 v)
{
        char buf[PB_I128_STR_MAX];

        if (v >= -PB_JW_INT_MAX && v <= PB_JW_INT_MAX) {
                pb_jw_kv_int(w, key, (int64_t)v);
                return;
        }
        pb_i128_format(v, buf, sizeof(buf));
        pb_jw_kv_string(w, key, buf);
}

static void write_rule(struct pb_jw *w, const struct pb_result *r)
{
        const struct pb_rule *ru = &r->rule;
        bool mes = ru->kind == PB_RULE_EQUAL_SHARES;

        pb_jw_object_begin(w);
        if (mes) {
                pb_jw_kv_bool(w, "comparison", ru->comparison);
                pb_jw_kv_string(w, "completion", pb_completion_name(ru->completion));
        }
        pb_jw_kv_string(w, "name", pb_rule_kind_name(ru->kind));
        if (!mes && ru->kind != PB_RULE_PHRAGMEN && ru->kind != PB_RULE_MAXIMIN_SUPPORT)
                pb_jw_kv_string(w, "score", pb_score_name(r->score));
        if (ru->tie_break == PB_TIE_SEEDED) {
                /* as text: a 64-bit seed does not fit the 2^53 integer range of JSON */
                char seed[24];
                char *p = seed + sizeof(seed);
                uint64_t v = ru->seed;
                *--p = '\0';
                do {
                        *--p = (char)('0' + v % 10);
                        v /= 10;
                } while (v);
                pb_jw_kv_string(w, "seed", p);
        }
        if (ru->has_threshold)
                kv_exact(w, "threshold", ru->threshold);
        pb_jw_kv_string(w, "tie_break", pb_tie_break_name(ru->tie_break));
        if (mes) {
                /* byte order: "utilitarian_completion" < "utility" */
                pb_jw_kv_bool(w, "utilitarian_completion", ru->utilitarian_completion);
                pb_jw_kv_string(w, "utility", pb_utility_name(ru->utility));
        }
        pb_jw_object_end(w);
}

pb_err pb_result_format_json(const struct pb_result *r, const struct pb_election *e,
                             const char *engine_version, struct pb_buf *out)
{
        struct pb_jw w;
        size_t order[8], nd = r->n_details;

        PB_ASSERT(r->n_projects == e->n_projects);
        /* details sorted by key, for canonical output */
        for (size_t i = 0; i < nd; i++)
                order[i] = i;
        for (size_t i = 1; i < nd; i++)
                for (size_t j = i;
                     j > 0 && strcmp(r->details[order[j - 1]].key, r->details[order[j]].key) > 0; j--) {
                        size_t t = order[j];
                        order[j] = order[j - 1];
                        order[j - 1] = t;
                }

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_kv_int(&w, "budget", r->budget);
        pb_jw_kv_string(&w, "currency", e->currency);
        pb_jw_key(&w, "details");
        pb_jw_object_begin(&w);
        for (size_t i = 0; i < nd; i++)
                pb_jw_kv_string(&w, r->details[order[i]].key, r->details[order[i]].value);
        pb_jw_object_end(&w);
        pb_jw_kv_string(&w, "engine", engine_version);
        pb_jw_key(&w, "projects");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < e->n_projects; i++) {
                const struct pb_project *p = &e->projects[i];
                const struct pb_project_result *pr = &r->projects[i];

                pb_jw_object_begin(&w);
                pb_jw_kv_int(&w, "cost", p->cost);
                pb_jw_kv_string(&w, "id", p->id);
                pb_jw_kv_string(&w, "name", p->name);
                pb_jw_kv_string(&w, "reason", pb_reason_name(pr->reason));
                kv_exact(&w, "score", pr->score);
                pb_jw_kv_bool(&w, "selected", pr->reason == PB_REASON_SELECTED);
                pb_jw_kv_int(&w, "step", pr->step);
                if (pr->supporters_left[0])
                        pb_jw_kv_string(&w, "supporters_left", pr->supporters_left);
                pb_jw_kv_int(&w, "votes", pr->votes);
                pb_jw_object_end(&w);
        }
        pb_jw_array_end(&w);
        pb_jw_key(&w, "rule");
        write_rule(&w, r);
        pb_jw_kv_int(&w, "scale", e->scale);
        pb_jw_kv_int(&w, "spent", r->spent);
        pb_jw_key(&w, "steps");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < r->n_steps; i++) {
                const struct pb_step *s = &r->steps[i];

                pb_jw_object_begin(&w);
                pb_jw_kv_int(&w, "cost", s->cost);
                pb_jw_kv_string(&w, "measure", s->measure);
                pb_jw_kv_string(&w, "project", e->projects[s->project].id);
                pb_jw_kv_int(&w, "spent", s->spent);
                pb_jw_kv_int(&w, "supporters", s->supporters);
                pb_jw_object_end(&w);
        }
        pb_jw_array_end(&w);
        pb_jw_key(&w, "ties");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < r->n_ties; i++) {
                const struct pb_tie *t = &r->ties[i];

                pb_jw_object_begin(&w);
                pb_jw_kv_string(&w, "chosen", e->projects[t->tied[0]].id);
                pb_jw_kv_bool(&w, "decisive", t->decisive);
                pb_jw_kv_string(&w, "on", t->on);
                pb_jw_kv_int(&w, "step", t->step);
                pb_jw_key(&w, "tied");
                pb_jw_array_begin(&w);
                for (uint32_t k = 0; k < t->n; k++)
                        pb_jw_string(&w, e->projects[t->tied[k]].id);
                pb_jw_array_end(&w);
                pb_jw_object_end(&w);
        }
        pb_jw_array_end(&w);
        pb_jw_kv_int(&w, "voters", (int64_t)r->n_voters);
        pb_jw_key(&w, "winners");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < r->n_winners; i++)
                pb_jw_string(&w, e->projects[r->winners[i]].id);
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        return pb_jw_finish(&w);
}
