/**
 * @file RCTab's detailed report JSON (ResultsWriter.generateSummaryJson): per round the tally,
 * threshold, inactive ballots and elected/eliminated candidates with their transfers.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_format_rctab.h"
#include "engine/pb_alloc.h"

struct kv {
        const char *key;
        int64_t value;
};

static int cmp_kv(const void *a, const void *b)
{
        return pb_ranked_java_strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

static bool add_value(cJSON *obj, const char *key, int64_t v, unsigned scale)
{
        char buf[PB_RANKED_VALUE_STR_MAX];
        return cJSON_AddStringToObject(obj, key, pb_ranked_format_value(v, scale, buf)) != NULL;
}

/* An object of decimal strings, keys in Java String order as Jackson sorts them. */
static cJSON *value_map(struct kv *kv, size_t n, unsigned scale)
{
        cJSON *o = cJSON_CreateObject();
        size_t i;

        if (!o)
                return NULL;
        qsort(kv, n, sizeof(*kv), cmp_kv);
        for (i = 0; i < n; i++)
                if (!add_value(o, kv[i].key, kv[i].value, scale)) {
                        cJSON_Delete(o);
                        return NULL;
                }
        return o;
}

struct dec_sort {
        const struct pb_ranked_contest *c;
        const struct pb_ranked_decision *d;
};

/* Add @item under @key, or free it: cJSON leaves a failed item to the caller. */
static bool attach(cJSON *obj, const char *key, cJSON *item)
{
        if (!item)
                return false;
        if (!cJSON_AddItemToObject(obj, key, item)) {
                cJSON_Delete(item);
                return false;
        }
        return true;
}

static int cmp_dec_item(const void *a, const void *b)
{
        const struct dec_sort *x = a, *y = b;

        if (x->d->elected != y->d->elected)
                return x->d->elected ? -1 : 1;
        return pb_ranked_java_strcmp(x->c->cand[x->d->cand].name, y->c->cand[y->d->cand].name);
}

static cJSON *round_json(const struct pb_ranked_contest *c, const struct pb_ranked_result *res, size_t ri,
                         struct kv *kv)
{
        const struct pb_ranked_round *rd = &res->rounds[ri];
        static const char *const inactive_keys[] = { "overvotes", "skippedRankings", "exhaustedChoices",
                                                     "repeatedRankings", "finalRoundSurplus" };
        struct dec_sort *ds = NULL;
        cJSON *o = cJSON_CreateObject(), *arr;
        size_t i, j, n;
        bool ok = o != NULL;

        /* keys in sorted order: inactiveBallots, round, tally, tallyResults, threshold */
        n = 0;
        for (i = 0; i < PB_RANKED_FINAL_SURPLUS + 1; i++) {
                if (i == PB_RANKED_FINAL_SURPLUS && !(res->surplus_rule && ri + 1 == res->n_rounds))
                        continue;
                kv[n].key = inactive_keys[i];
                kv[n++].value = rd->inactive[i];
        }
        ok = ok && attach(o, "inactiveBallots", value_map(kv, n, res->scale));
        ok = ok && cJSON_AddNumberToObject(o, "round", (double)(ri + 1));
        n = 0;
        for (i = 0; i < c->n_cand; i++)
                if (rd->present[i]) {
                        kv[n].key = c->cand[i].name;
                        kv[n++].value = rd->tally[i];
                }
        ok = ok && attach(o, "tally", value_map(kv, n, res->scale));
        arr = ok ? cJSON_AddArrayToObject(o, "tallyResults") : NULL;
        ok = ok && arr;
        if (ok && rd->n_dec) {
                ds = pb_calloc(rd->n_dec, sizeof(*ds));
                ok = ds != NULL;
        }
        for (i = 0; ok && i < rd->n_dec; i++) {
                ds[i].c = c;
                ds[i].d = &rd->dec[i];
        }
        if (ok && rd->n_dec)
                qsort(ds, rd->n_dec, sizeof(*ds), cmp_dec_item);
        for (i = 0; ok && i < rd->n_dec; i++) {
                const struct pb_ranked_decision *d = ds[i].d;
                cJSON *a;

                if (d->surplus_only) /* RCTab lists a winner once, in the round of election */
                        continue;
                a = cJSON_CreateObject();

                ok = a && cJSON_AddItemToArray(arr, a);
                if (a && !ok)
                        cJSON_Delete(a);
                ok = ok &&
                     cJSON_AddStringToObject(a, d->elected ? "elected" : "eliminated", c->cand[d->cand].name);
                n = 0;
                for (j = 0; j < c->n_cand + PB_RANKED_TARGETS_EXTRA; j++) {
                        if (!d->transfers[j])
                                continue;
                        kv[n].key = j < c->n_cand                             ? c->cand[j].name
                                    : j == c->n_cand + PB_RANKED_TO_EXHAUSTED ? "exhausted"
                                                                              : "residual surplus";
                        kv[n++].value = d->transfers[j];
                }
                ok = ok && attach(a, "transfers", value_map(kv, n, res->scale));
        }
        ok = ok && add_value(o, "threshold", rd->threshold, res->scale);
        pb_free(ds);
        if (!ok) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

static cJSON *report_json(const struct pb_ranked_contest *c, const struct pb_ranked_result *res,
                          const struct pb_rctab_meta *meta)
{
        cJSON *o = cJSON_CreateObject(), *cfg, *results, *sum;
        struct kv *kv =
                pb_calloc(c->n_cand + PB_RANKED_TARGETS_EXTRA + PB_RANKED_INACTIVE_COUNT, sizeof(*kv));
        char buf[PB_RANKED_VALUE_STR_MAX];
        size_t i;
        bool ok = o && kv;

        cfg = ok ? cJSON_AddObjectToObject(o, "config") : NULL;
        ok = ok && cfg;
        /* a slice report names its slice: "batch" sorts first, "precinct" last */
        if (meta->slice_id && meta->slice_kind == PB_RANKED_BATCH)
                ok = ok && cJSON_AddStringToObject(cfg, "batch", meta->slice_id);
        ok = ok && cJSON_AddStringToObject(cfg, "contest", meta->contest ? meta->contest : "");
        ok = ok && cJSON_AddStringToObject(cfg, "date", meta->date ? meta->date : "");
        ok = ok && cJSON_AddStringToObject(cfg, "generatedBy", "pbvote");
        ok = ok && cJSON_AddStringToObject(cfg, "jurisdiction", meta->jurisdiction ? meta->jurisdiction : "");
        ok = ok && cJSON_AddStringToObject(cfg, "office", meta->office ? meta->office : "");
        if (meta->slice_id && meta->slice_kind == PB_RANKED_PRECINCT)
                ok = ok && cJSON_AddStringToObject(cfg, "precinct", meta->slice_id);
        ok = ok && cJSON_AddStringToObject(o, "jsonFormatVersion", "1");
        results = ok ? cJSON_AddArrayToObject(o, "results") : NULL;
        ok = ok && results;
        for (i = 0; ok && i < res->n_rounds; i++) {
                cJSON *r = round_json(c, res, i, kv);
                ok = r && cJSON_AddItemToArray(results, r);
                if (r && !ok)
                        cJSON_Delete(r);
        }
        sum = ok ? cJSON_AddObjectToObject(o, "summary") : NULL;
        ok = ok && sum;
        ok = ok && add_value(sum, "finalThreshold", res->final_threshold, res->scale);
        ok = ok && cJSON_AddNumberToObject(sum, "numCandidates", (double)c->n_cand);
        ok = ok && cJSON_AddNumberToObject(sum, "numWinners", (double)res->seats);
        ok = ok && cJSON_AddStringToObject(sum, "totalNumBallots",
                                           pb_ranked_format_value(res->total_ballots, 0, buf));
        if (ok && res->n_rounds) {
                /* ballots with no ranking at all, counted in round 1 where each is worth one vote */
                int64_t one = 1, under;
                unsigned k;
                for (k = 0; k < res->scale; k++)
                        one *= 10;
                under = res->rounds[0].inactive[PB_RANKED_UNDERVOTES] / one;
                ok = cJSON_AddNumberToObject(sum, "undervotes", (double)under) != NULL;
        }
        pb_free(kv);
        if (!ok) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* The result a report shows for pass @p: the pass, or one of its slices. */
static const struct pb_ranked_result *shown(const struct pb_ranked_outcome *o, size_t p,
                                            const struct pb_rctab_meta *meta, size_t slice)
{
        const struct pb_ranked_result *res = &o->passes[p];

        if (!meta->slice_id)
                return res;
        if (slice >= res->n_slices[meta->slice_kind])
                return NULL;
        return &res->slices[meta->slice_kind][slice];
}

static pb_err write_report(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o,
                           const struct pb_rctab_meta *meta, bool multi_pass, size_t slice,
                           struct pb_buf *out)
{
        const struct pb_ranked_result *res;
        cJSON *root = NULL;
        char *text = NULL;
        size_t i;
        pb_err r = PB_ERR_NOMEM;

        if (multi_pass) {
                root = cJSON_CreateArray();
                for (i = 0; root && i < o->n_passes; i++) {
                        cJSON *rep;
                        res = shown(o, i, meta, slice);
                        if (!res) {
                                r = PB_ERR_INVALID;
                                goto out;
                        }
                        rep = report_json(c, res, meta);
                        if (!rep || !cJSON_AddItemToArray(root, rep)) {
                                cJSON_Delete(rep);
                                goto out;
                        }
                }
        } else if (o->n_passes) {
                res = shown(o, 0, meta, slice);
                if (!res) {
                        r = PB_ERR_INVALID;
                        goto out;
                }
                root = report_json(c, res, meta);
        }
        if (!root)
                goto out;
        text = cJSON_Print(root);
        if (!text)
                goto out;
        r = pb_buf_adds(out, text);
        if (r >= 0)
                r = pb_buf_addc(out, '\n');
out:
        if (text)
                cJSON_free(text);
        cJSON_Delete(root);
        return r;
}

pb_err pb_rctab_report_write(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o,
                             const struct pb_rctab_meta *meta, bool multi_pass, struct pb_buf *out)
{
        struct pb_rctab_meta m = *meta;

        m.slice_id = NULL;
        return write_report(c, o, &m, multi_pass, 0, out);
}

pb_err pb_rctab_slice_report_write(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o,
                                   const struct pb_rctab_meta *meta, bool multi_pass,
                                   enum pb_ranked_slice_kind kind, size_t slice, struct pb_buf *out)
{
        struct pb_rctab_meta m = *meta;

        if ((unsigned)kind >= PB_RANKED_SLICE_KINDS || slice >= c->slices[kind].n)
                return PB_ERR_INVALID;
        m.slice_kind = kind;
        m.slice_id = c->slices[kind].names[slice];
        return write_report(c, o, &m, multi_pass, slice, out);
}

void pb_rctab_meta_init(struct pb_rctab_meta *m, const struct pb_rctab_config *cfg)
{
        memset(m, 0, sizeof(*m));
        m->contest = cfg->contest_name;
        m->date = cfg->date;
        m->jurisdiction = cfg->jurisdiction;
        m->office = cfg->office;
        m->slice_kind = PB_RANKED_PRECINCT;
        m->slice_id = NULL;
}
