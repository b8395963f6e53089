/** @file A manifest for the election of a pabulib .pb file (pbvote import, election create --pb). */
#include <stdio.h>
#include <string.h>

#include "formats/manifest_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

static pb_err copy_str(struct pb_election *e, const char *s, const char **ret)
{
        const char *c = pb_election_str(e, s ? s : "", s ? strlen(s) : 0);

        if (!c)
                return PB_ERR_NOMEM;
        *ret = c;
        return PB_OK;
}

pb_err pb_manifest_from_pb(const struct pb_election *pb, const char *id, const struct pb_rule *rule,
                           struct pb_manifest **ret, struct pb_diag *reterr)
{
        struct pb_manifest *m = NULL;
        struct pb_contest *c;
        struct pb_election *e;
        struct pb_rule ru;
        pb_err r;

        if (!pb_manifest_id_is_valid(id, strlen(id)))
                return pb_diag_set(reterr, PB_ERR_INVALID, "id", PB_MANIFEST_ID_RULE);
        if (rule) {
                ru = *rule;
        } else {
                r = pb_rule_for_election(pb, &ru, reterr);
                if (r < 0)
                        return r;
        }
        /* resolve the score the way the file implies it (a .pb file without a score column ranks by
         * votes), so the manifest's election, which has no META, counts exactly the same */
        ru.score = pb_rule_score(&ru, pb);
        m = pb_manifest_new();
        if (!m)
                return PB_ERR_NOMEM;
        e = m->election;
        c = &m->contests[0];
        r = copy_str(e, id, &e->id);
        if (r == PB_OK)
                r = copy_str(e, pb->title[0] ? pb->title : id, &m->title.plain);
        if (r == PB_OK)
                r = copy_str(e, pb->currency, &e->currency);
        if (r < 0)
                goto out;
        if (e->currency[0] && (strlen(e->currency) != 3 || e->currency[0] < 'A' || e->currency[0] > 'Z'))
                e->currency = ""; /* not an ISO 4217 code: leave it out rather than refuse the file */
        e->title = m->title.plain;
        e->scale = pb->scale;
        e->budget = pb->budget;
        e->vote_type = pb->vote_type;
        e->limits = pb->limits;
        c->names = pb_calloc(pb->n_projects, sizeof(*c->names));
        c->descriptions = pb_calloc(pb->n_projects, sizeof(*c->descriptions));
        if (!c->names || !c->descriptions) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        c->projects_cap = pb->n_projects;
        for (size_t i = 0; i < pb->n_projects; i++) {
                const struct pb_project *src = &pb->projects[i];
                struct pb_project *dst;
                size_t idx;

                if (!pb_manifest_id_is_valid(src->id, strlen(src->id))) {
                        r = pb_diag_set(reterr, PB_ERR_INVALID, "projects.id",
                                        "project id not allowed in a manifest (printable ASCII only)");
                        pb_diag_subject(reterr, src->id, strlen(src->id));
                        goto out;
                }
                r = pb_election_add_project(e, src->id, strlen(src->id), src->cost, &idx, reterr);
                if (r < 0)
                        goto out;
                dst = &e->projects[idx];
                r = copy_str(e, src->name, &c->names[idx].plain);
                if (r == PB_OK && src->category && src->category[0])
                        r = copy_str(e, src->category, &dst->category);
                if (r < 0)
                        goto out;
                dst->name = c->names[idx].plain;
                dst->withdrawn = src->withdrawn;
        }
        r = pb_origin_derive(id, m->origin);
        PB_ASSERT(r == PB_OK); /* every valid id (checked above) names a ballot log */
        c->rule = ru;
        if (ru.tie_break == PB_TIE_SEEDED) {
                c->has_seed_commitment = true;
                pb_manifest_seed_commitment(ru.seed, c->seed_sha256);
        }
        r = pb_election_check(e, reterr);
        if (r == PB_OK)
                r = pb_rule_check(&c->rule, e, reterr);
        if (r < 0)
                goto out;
        *ret = m;
        m = NULL;
out:
        pb_manifest_free(m);
        return r;
}

/* Multiply every amount of money of @e by @factor (a power of ten: the vote's scale over @e's). */
static pb_err rescale(struct pb_election *e, int64_t factor, unsigned scale, struct pb_diag *d)
{
        bool ok = !__builtin_mul_overflow(e->budget, factor, &e->budget);

        for (size_t i = 0; ok && i < e->n_projects; i++)
                ok = !__builtin_mul_overflow(e->projects[i].cost, factor, &e->projects[i].cost);
        for (int k = 0; ok && k < PB_LIM_COUNT; k++)
                if (e->limits.has[k] && pb_limit_is_money((enum pb_limit)k))
                        ok = !__builtin_mul_overflow(e->limits.v[k], factor, &e->limits.v[k]);
        e->scale = scale;
        return ok ? PB_OK
                  : pb_diag_set(d, PB_ERR_OVERFLOW, "budget",
                                "an amount does not fit at the vote's decimals");
}

/* The vote's currency (the parts' one, or "") and scale (the largest). */
static pb_err money_of(struct pb_manifest *const *parts, size_t n, const char **ret_currency,
                       unsigned *ret_scale, struct pb_diag *d)
{
        const char *currency = "";
        unsigned scale = 0;

        for (size_t i = 0; i < n; i++) {
                const struct pb_election *e = parts[i]->election;
                if (e->currency[0] && currency[0] && strcmp(e->currency, currency))
                        return pb_diag_set(d, PB_ERR_INVALID, "currency",
                                           "the contests name different currencies");
                if (e->currency[0])
                        currency = e->currency;
                if (e->scale > scale)
                        scale = e->scale;
        }
        *ret_currency = currency;
        *ret_scale = scale;
        return PB_OK;
}

/* Part @p's one contest into @c (its election, rule, texts; its title becomes the contest's). */
static pb_err take_contest(struct pb_manifest *p, struct pb_contest *c, const char *currency, unsigned scale,
                           struct pb_diag *d)
{
        struct pb_election *e = p->election;
        int64_t factor = 1;
        pb_err r = PB_OK;

        *c = p->contests[0];
        memset(&p->contests[0], 0, sizeof(p->contests[0]));
        c->title = p->title;
        memset(&p->title, 0, sizeof(p->title));
        p->election = NULL; /* the contest owns it now */
        c->optional = true;
        for (unsigned s = e->scale; s < scale; s++)
                factor *= 10;
        if (factor > 1)
                r = rescale(e, factor, scale, d);
        if (r == PB_OK)
                r = copy_str(e, currency, &e->currency);
        return r;
}

/* The vote @m of the parts, not yet checked: identity, then each part's contest. */
static pb_err join_into(struct pb_manifest *m, struct pb_manifest **parts, size_t n, const char *title,
                        struct pb_diag *d)
{
        const char *currency = "";
        unsigned scale = 0;
        pb_err r = money_of(parts, n, &currency, &scale, d);

        if (r == PB_OK)
                r = copy_str(m->election, title, &m->title.plain);
        if (r == PB_OK)
                r = copy_str(m->election, currency, &m->election->currency);
        if (r < 0)
                return r;
        m->election->title = m->title.plain;
        m->election->scale = scale;
        m->has_contests = true;
        m->n_contests = 0;
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                const char *id = parts[i]->election->id;
                if (pb_manifest_find_contest(m, id, strlen(id)) >= 0)
                        return pb_diag_set(d, PB_ERR_INVALID, "contests.id", "two contests with one id");
                m->n_contests++; /* counted first: a failure frees what it took */
                r = take_contest(parts[i], &m->contests[i], currency, scale, d);
                manifest_index_contest(m, i);
        }
        return r;
}

pb_err pb_manifest_join(struct pb_manifest **parts, size_t n, const char *id, const char *title,
                        struct pb_manifest **ret, struct pb_diag *reterr)
{
        struct pb_manifest *m = NULL;
        struct pb_buf text;
        pb_err r = PB_OK;

        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        if (n == 0 || n > PB_MANIFEST_MAX_CONTESTS)
                r = pb_diag_set(reterr, n ? PB_ERR_LIMIT : PB_ERR_INVALID, "contests",
                                "a vote holds 1 to " PB_STRINGIFY(PB_MANIFEST_MAX_CONTESTS) " contests");
        else if (!pb_manifest_id_is_valid(id, strlen(id)))
                r = pb_diag_set(reterr, PB_ERR_INVALID, "id", PB_MANIFEST_ID_RULE);
        if (r == PB_OK && !(m = pb_manifest_new()))
                r = PB_ERR_NOMEM;
        if (r == PB_OK) {
                pb_free(m->contests);
                pb_free(m->by_id);
                m->n_contests = 0;
                m->contests = pb_calloc(n, sizeof(*m->contests));
                m->by_id = pb_calloc(n, sizeof(*m->by_id));
                r = m->contests && m->by_id ? copy_str(m->election, id, &m->election->id) : PB_ERR_NOMEM;
        }
        if (r == PB_OK)
                r = join_into(m, parts, n, title, reterr);
        if (r == PB_OK)
                r = pb_origin_derive(id, m->origin);
        /* the canonical form parsed again: every check a manifest passes, and one spelling */
        if (r == PB_OK)
                r = pb_manifest_format(m, &text);
        if (r == PB_OK)
                r = pb_manifest_parse(text.data, text.len, ret, reterr);
        pb_manifest_free(m);
        for (size_t i = 0; i < n; i++) {
                pb_manifest_free(parts[i]);
                parts[i] = NULL;
        }
        pb_buf_release(&text);
        return r;
}
