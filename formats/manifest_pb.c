/** @file A manifest for the election of a pabulib .pb file (pbvote import, election create --pb). */
#include <stdio.h>
#include <string.h>

#include "formats/pb_manifest.h"
#include "engine/pb_alloc.h"

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
        m->names = pb_calloc(pb->n_projects, sizeof(*m->names));
        m->descriptions = pb_calloc(pb->n_projects, sizeof(*m->descriptions));
        if (!m->names || !m->descriptions) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        m->projects_cap = pb->n_projects;
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
                r = copy_str(e, src->name, &m->names[idx].plain);
                if (r == PB_OK && src->category && src->category[0])
                        r = copy_str(e, src->category, &dst->category);
                if (r < 0)
                        goto out;
                dst->name = m->names[idx].plain;
                dst->withdrawn = src->withdrawn;
        }
        r = pb_origin_derive(id, m->origin);
        PB_ASSERT(r == PB_OK); /* every valid id (checked above) names a ballot log */
        m->rule = ru;
        if (ru.tie_break == PB_TIE_SEEDED) {
                m->has_seed_commitment = true;
                pb_manifest_seed_commitment(ru.seed, m->seed_sha256);
        }
        r = pb_election_check(e, reterr);
        if (r == PB_OK)
                r = pb_rule_check(&m->rule, e, reterr);
        if (r < 0)
                goto out;
        *ret = m;
        m = NULL;
out:
        pb_manifest_free(m);
        return r;
}
