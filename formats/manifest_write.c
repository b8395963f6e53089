/**
 * @file The manifest's canonical form: keys sorted, no whitespace, defaults written out.  The
 * one-contest form is written exactly as before issue 14 (the same bytes for the same manifest),
 * the contests form with one object per contest.
 */
#include <string.h>

#include "formats/manifest_int.h"
#include "engine/pb_canon.h"

static void write_text(struct pb_jw *w, const struct pb_text *t)
{
        if (t->plain || !t->n) {
                pb_jw_string(w, t->plain ? t->plain : "");
                return;
        }
        pb_jw_object_begin(w);
        for (size_t i = 0; i < t->n; i++)
                pb_jw_kv_string(w, t->lang[i], t->value[i]);
        pb_jw_object_end(w);
}

static void write_ballot(struct pb_jw *w, const struct pb_election *e)
{
        const char *keys[PB_LIM_COUNT + 1];
        int64_t vals[PB_LIM_COUNT + 1];
        size_t n = 0;

        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (e->limits.has[k]) {
                        keys[n] = pb_limit_name((enum pb_limit)k);
                        vals[n++] = e->limits.v[k];
                }
        keys[n++] = "type";
        /* sort the member names (at most 10): the writer insists on byte order */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                        const char *tk = keys[j];
                        int64_t tv = vals[j];
                        keys[j] = keys[j - 1];
                        vals[j] = vals[j - 1];
                        keys[j - 1] = tk;
                        vals[j - 1] = tv;
                }
        pb_jw_object_begin(w);
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(keys[i], "type"))
                        pb_jw_kv_string(w, "type", pb_vote_type_name(e->vote_type));
                else
                        pb_jw_kv_int(w, keys[i], vals[i]);
        }
        pb_jw_object_end(w);
}

static void write_rule(struct pb_jw *w, const struct pb_contest *c)
{
        const struct pb_rule *ru = &c->rule;
        bool mes = ru->kind == PB_RULE_EQUAL_SHARES;
        bool scored = !mes && ru->kind != PB_RULE_PHRAGMEN && ru->kind != PB_RULE_MAXIMIN_SUPPORT;

        pb_jw_object_begin(w);
        if (mes) {
                pb_jw_kv_bool(w, "comparison", ru->comparison);
                pb_jw_kv_string(w, "completion", pb_completion_name(ru->completion));
        }
        pb_jw_kv_string(w, "name", pb_rule_kind_name(ru->kind));
        if (scored)
                pb_jw_kv_string(w, "score", pb_score_name(ru->score));
        if (c->has_seed_commitment) {
                pb_jw_key(w, "seed_sha256");
                pb_jw_hex(w, c->seed_sha256, sizeof(c->seed_sha256));
        }
        if (ru->has_threshold)
                pb_jw_kv_int(w, "threshold", ru->threshold);
        pb_jw_kv_string(w, "tie_break", pb_tie_break_name(ru->tie_break));
        if (mes) {
                pb_jw_kv_bool(w, "utilitarian_completion", ru->utilitarian_completion);
                pb_jw_kv_string(w, "utility", pb_utility_name(ru->utility));
        }
        pb_jw_object_end(w);
}

static void write_project(struct pb_jw *w, const struct pb_contest *c, size_t i)
{
        const struct pb_project *p = &c->election->projects[i];

        pb_jw_object_begin(w);
        if (p->category && p->category[0])
                pb_jw_kv_string(w, "category", p->category);
        pb_jw_kv_int(w, "cost", p->cost);
        if (c->descriptions && (c->descriptions[i].plain || c->descriptions[i].n)) {
                pb_jw_key(w, "description");
                write_text(w, &c->descriptions[i]);
        }
        pb_jw_kv_string(w, "id", p->id);
        if (c->images && (c->images[i].plain || c->images[i].n)) {
                pb_jw_key(w, "image");
                write_text(w, &c->images[i]);
        }
        pb_jw_key(w, "name");
        if (c->names)
                write_text(w, &c->names[i]);
        else
                pb_jw_string(w, p->name);
        if (c->urls && (c->urls[i].plain || c->urls[i].n)) {
                pb_jw_key(w, "url");
                write_text(w, &c->urls[i]);
        }
        if (p->withdrawn)
                pb_jw_kv_bool(w, "withdrawn", true);
        pb_jw_object_end(w);
}

static void write_projects(struct pb_jw *w, const struct pb_contest *c)
{
        pb_jw_key(w, "projects");
        pb_jw_array_begin(w);
        for (size_t i = 0; i < c->election->n_projects; i++)
                write_project(w, c, i);
        pb_jw_array_end(w);
}

/* One contest of the contests form: ballot, budget, id, optional, projects, rule, title. */
static void write_contest(struct pb_jw *w, const struct pb_contest *c)
{
        pb_jw_object_begin(w);
        pb_jw_key(w, "ballot");
        write_ballot(w, c->election);
        pb_jw_kv_int(w, "budget", c->election->budget);
        pb_jw_kv_string(w, "id", c->election->id);
        pb_jw_kv_bool(w, "optional", c->optional);
        write_projects(w, c);
        pb_jw_key(w, "rule");
        write_rule(w, c);
        pb_jw_key(w, "title");
        write_text(w, &c->title);
        pb_jw_object_end(w);
}

static void write_vkey(struct pb_jw *w, const char *role, const struct pb_key_public *k, struct pb_buf *tmp)
{
        pb_buf_reset(tmp);
        if (pb_key_vkey_format(k, tmp) < 0) {
                pb_jw_key(w, role);
                pb_jw_int(w, INT64_MAX); /* makes the writer fail (overflow): out of memory */
                return;
        }
        pb_jw_kv_string(w, role, tmp->data);
}

/* The members from "id" to "period", shared by both forms ("order" only when shuffled: file order,
 * the default, is written as no "order", so older manifests keep their bytes). */
static void write_middle(struct pb_jw *w, const struct pb_manifest *m, struct pb_buf *tmp)
{
        pb_jw_kv_string(w, "id", m->election->id);
        if (m->has_keys) {
                pb_jw_key(w, "keys");
                pb_jw_object_begin(w);
                write_vkey(w, "engine", &m->engine_key, tmp);
                write_vkey(w, "office", &m->office_key, tmp);
                pb_jw_object_end(w);
        }
        if (m->shuffled) {
                pb_jw_key(w, "order");
                pb_jw_object_begin(w);
                pb_jw_kv_string(w, "policy", "shuffled");
                pb_jw_kv_string(w, "seed", m->order_seed);
                pb_jw_object_end(w);
        }
        pb_jw_kv_string(w, "origin", m->origin);
        if (m->period_start) {
                pb_jw_key(w, "period");
                pb_jw_object_begin(w);
                pb_jw_kv_string(w, "end", m->period_end);
                pb_jw_kv_string(w, "start", m->period_start);
                pb_jw_object_end(w);
        }
}

/* Written only when set, so every manifest signed before keeps its bytes. */
static void write_double_entry(struct pb_jw *w, const struct pb_manifest *m)
{
        if (m->double_entry)
                pb_jw_kv_bool(w, "double_entry", true);
}

/* The one-contest form, byte for byte as before contests existed. */
static void write_one(struct pb_jw *w, const struct pb_manifest *m, struct pb_buf *tmp)
{
        const struct pb_contest *c = &m->contests[0];
        const struct pb_election *e = m->election;

        pb_jw_key(w, "ballot");
        write_ballot(w, e);
        pb_jw_kv_int(w, "batch_min", m->batch_min);
        pb_jw_kv_int(w, "budget", e->budget);
        pb_jw_kv_string(w, "currency", e->currency);
        write_double_entry(w, m);
        write_middle(w, m, tmp);
        write_projects(w, c);
        pb_jw_key(w, "rule");
        write_rule(w, c);
}

static void write_many(struct pb_jw *w, const struct pb_manifest *m, struct pb_buf *tmp)
{
        pb_jw_kv_int(w, "batch_min", m->batch_min);
        pb_jw_key(w, "contests");
        pb_jw_array_begin(w);
        for (size_t i = 0; i < m->n_contests; i++)
                write_contest(w, &m->contests[i]);
        pb_jw_array_end(w);
        pb_jw_kv_string(w, "currency", m->election->currency);
        write_double_entry(w, m);
        write_middle(w, m, tmp);
}

pb_err pb_manifest_format(const struct pb_manifest *m, struct pb_buf *out)
{
        const size_t old_len = out->len;
        struct pb_buf tmp;
        struct pb_jw w;
        pb_err r;

        pb_buf_init(&tmp, 4096);
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        if (m->has_contests)
                write_many(&w, m, &tmp);
        else
                write_one(&w, m, &tmp);
        pb_jw_kv_int(&w, "scale", m->election->scale);
        pb_jw_key(&w, "title");
        write_text(&w, &m->title);
        pb_jw_kv_string(&w, "type", PB_MANIFEST_TYPE);
        if (m->web_voting) /* written only when allowed, so older manifests keep their bytes */
                pb_jw_kv_bool(&w, "web_voting", true);
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
        pb_buf_release(&tmp);
        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}
