/** @file Ballots and CVRs as JSON: strict reading against an election. */
#include "formats/pb_json_ballot.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"

const struct pb_json_field pb_submission_fields[] = {
        { "ballot", PB_JSON_OBJECT, false }, { "ballots", PB_JSON_OBJECT, false },
        { "code", PB_JSON_STRING, true },    { "submission_id", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

const struct pb_json_field pb_paper_submission_fields[] = {
        { "ballot", PB_JSON_OBJECT, false },       { "ballots", PB_JSON_OBJECT, false },
        { "batch", PB_JSON_STRING, true },         { "code", PB_JSON_STRING, true },
        { "submission_id", PB_JSON_STRING, true }, { NULL, PB_JSON_ANY, false },
};

/* A ballot that is not one of this election's type: refused as ballot_malformed, with @why. */
static pb_err bad(struct pb_diag *d, pb_err code, const char *path, const char *why)
{
        pb_diag_set(d, code, path, why);
        if (d)
                d->refusal = pb_refusal_name(PB_REFUSAL_BALLOT_MALFORMED);
        return code;
}

/* The project index of string node @c, checking it is new in items[0..n). */
static pb_err project_of(const struct pb_election *e, const char *id, const uint32_t *items, size_t n,
                         const char *path, uint32_t *ret, struct pb_diag *d)
{
        long p = pb_election_find_project(e, id, strlen(id));

        if (p < 0)
                return pb_diag_refuse(d, PB_REFUSAL_UNKNOWN_PROJECT, path);
        for (size_t i = 0; i < n; i++)
                if (items[i] == (uint32_t)p)
                        return pb_diag_refuse(d, PB_REFUSAL_DUPLICATE_PICK, path);
        *ret = (uint32_t)p;
        return PB_OK;
}

pb_err pb_ballot_json_read(const struct pb_election *e, const cJSON *v, const char *path, uint32_t *items,
                           int64_t *points, size_t *ret_n, struct pb_diag *reterr)
{
        const bool with_points = pb_vote_type_has_points(e->vote_type);
        const char *want = pb_ballot_member(e->vote_type);
        const cJSON *list;
        char sub[PB_DIAG_PATH_MAX];
        size_t n = 0;
        pb_err r;

        if (!cJSON_IsObject(v))
                return bad(reterr, PB_ERR_PARSE, path, "expected a ballot object");
        list = v->child;
        if (!list || list->next || strcmp(list->string, want)) {
                snprintf(sub, sizeof(sub), "%s.%s", path, want);
                return bad(reterr, PB_ERR_PARSE, list && !list->next ? path : sub,
                           with_points ? "this election's ballots are {\"points\": {...}}"
                           : e->vote_type == PB_VOTE_ORDINAL
                                   ? "this election's ballots are {\"ranking\": [...]}"
                                   : "this election's ballots are {\"approvals\": [...]}");
        }
        if (with_points ? !cJSON_IsObject(list) : !cJSON_IsArray(list)) {
                snprintf(sub, sizeof(sub), "%s.%s", path, want);
                return bad(reterr, PB_ERR_PARSE, sub,
                           with_points ? "expected an object" : "expected an array");
        }
        for (const cJSON *c = list->child; c; c = c->next) {
                if (n >= e->n_projects) {
                        snprintf(sub, sizeof(sub), "%s.%s", path, want);
                        return pb_diag_refuse(reterr, PB_REFUSAL_TOO_MANY_PICKS, sub);
                }
                if (with_points) {
                        /* the member name is ballot content: the path says "points" and no more */
                        snprintf(sub, sizeof(sub), "%s.points", path);
                        if (!cJSON_IsNumber(c))
                                return bad(reterr, PB_ERR_PARSE, sub, "points must be integers");
                        r = project_of(e, c->string, items, n, sub, &items[n], reterr);
                        if (r < 0)
                                return r;
                        points[n] = pb_json_int(c);
                } else {
                        snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, want, n);
                        if (!cJSON_IsString(c))
                                return bad(reterr, PB_ERR_PARSE, sub, "expected a project id");
                        r = project_of(e, c->valuestring, items, n, sub, &items[n], reterr);
                        if (r < 0)
                                return r;
                }
                n++;
        }
        *ret_n = n;
        return PB_OK;
}

pb_err pb_ballot_json_parse(const struct pb_election *e, const char *buf, size_t len, uint32_t *items,
                            int64_t *points, size_t *ret_n, struct pb_diag *reterr)
{
        cJSON *v = NULL;
        pb_err r = pb_json_parse(buf, len, 4, &v, reterr);

        if (r < 0)
                return r;
        r = pb_ballot_json_read(e, v, "$", items, points, ret_n, reterr);
        cJSON_Delete(v);
        return r;
}

static const struct pb_json_field cvr_fields[] = {
        { "ballot", PB_JSON_OBJECT, true }, { "channel", PB_JSON_STRING, true },
        { "cvr_id", PB_JSON_STRING, true }, { "election", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static const struct pb_json_field cvr_vote_fields[] = {
        { "ballot", PB_JSON_OBJECT, false },  { "ballots", PB_JSON_OBJECT, false },
        { "batch", PB_JSON_STRING, false },   { "channel", PB_JSON_STRING, true },
        { "cvr_id", PB_JSON_STRING, true },   { "election", PB_JSON_STRING, true },
        { "officer", PB_JSON_STRING, false }, { NULL, PB_JSON_ANY, false },
};

/* A paper record's label (batch, officer) into @out, when the CVR has it. */
static pb_err read_label(const cJSON *v, const char *key, char out[PB_CVR_BATCH_MAX + 1], struct pb_diag *d)
{
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, key));

        out[0] = '\0';
        if (!s)
                return PB_OK;
        if (strlen(s) > PB_CVR_BATCH_MAX)
                return bad(d, PB_ERR_PARSE, key[0] == 'b' ? "$.batch" : "$.officer",
                           "longer than " PB_STRINGIFY(PB_CVR_BATCH_MAX) " bytes");
        memcpy(out, s, strlen(s) + 1);
        return PB_OK;
}

/* The members of CVR @v besides its ballots: the election (@id), the channel, the cvr_id and a
 * paper's record. */
static pb_err read_meta(const cJSON *v, const char *id, struct pb_cvr_meta *meta, struct pb_diag *d)
{
        const char *s = cJSON_GetObjectItemCaseSensitive(v, "election")->valuestring;
        size_t bin_len = 0;
        pb_err r;

        if (strcmp(s, id))
                return bad(d, PB_ERR_INVALID, "$.election", "a CVR of another election");
        s = cJSON_GetObjectItemCaseSensitive(v, "channel")->valuestring;
        if (pb_channel_parse(s, strlen(s), &meta->channel) < 0)
                return bad(d, PB_ERR_PARSE, "$.channel", "expected electronic, paper or imported");
        s = cJSON_GetObjectItemCaseSensitive(v, "cvr_id")->valuestring;
        if (strlen(s) != PB_CVR_ID_HEX_LEN ||
            sodium_hex2bin(meta->cvr_id, sizeof(meta->cvr_id), s, strlen(s), NULL, &bin_len, NULL) != 0 ||
            bin_len != PB_CVR_ID_BYTES)
                return bad(d, PB_ERR_PARSE, "$.cvr_id",
                           "expected " PB_STRINGIFY(PB_CVR_ID_HEX_LEN) " lowercase hex digits");
        r = read_label(v, "batch", meta->batch, d);
        return r == PB_OK ? read_label(v, "officer", meta->officer, d) : r;
}

/* One spelling per CVR: @again (what pbvote writes for what was read) must be @buf exactly. */
static pb_err same_bytes(pb_err r, const struct pb_buf *again, const char *buf, size_t len, struct pb_diag *d)
{
        if (r == PB_ERR_NOMEM)
                return r;
        if (r < 0 || again->len != len || memcmp(again->data, buf, len))
                return bad(d, PB_ERR_PARSE, "$", "not the canonical form of this CVR");
        return PB_OK;
}

pb_err pb_cvr_parse(const struct pb_election *e, const char *buf, size_t len, uint32_t *items,
                    int64_t *points, size_t *ret_n, struct pb_cvr_meta *ret_meta, struct pb_diag *reterr)
{
        struct pb_cvr_meta meta;
        struct pb_buf again;
        cJSON *v = NULL;
        size_t n = 0;
        pb_err r;

        pb_buf_init(&again, len + 1);
        r = pb_json_parse(buf, len, 4, &v, reterr);
        if (r == PB_OK)
                r = pb_json_check_object(v, cvr_fields, "$", reterr);
        if (r == PB_OK)
                r = read_meta(v, e->id, &meta, reterr);
        if (r == PB_OK)
                r = pb_ballot_json_read(e, cJSON_GetObjectItemCaseSensitive(v, "ballot"), "$.ballot", items,
                                        points, &n, reterr);
        if (r == PB_OK) {
                r = pb_cvr_format(e, items, pb_vote_type_has_points(e->vote_type) ? points : NULL, n,
                                  meta.channel, meta.cvr_id, &again);
                r = same_bytes(r, &again, buf, len, reterr);
        }
        if (r == PB_OK) {
                *ret_n = n;
                if (ret_meta)
                        *ret_meta = meta;
        }
        pb_buf_release(&again);
        cJSON_Delete(v);
        return r;
}

/* ---- votes of several contests ------------------------------------------------------------------ */

pb_err pb_vote_ballots_init(struct pb_vote_ballots *vb, const struct pb_manifest *m)
{
        size_t total = 0;

        memset(vb, 0, sizeof(*vb));
        for (size_t i = 0; i < m->n_contests; i++)
                total += m->contests[i].election->n_projects;
        vb->part = pb_calloc(m->n_contests, sizeof(*vb->part));
        vb->items = pb_calloc(total ? total : 1, sizeof(*vb->items));
        vb->points = pb_calloc(total ? total : 1, sizeof(*vb->points));
        if (!vb->part || !vb->items || !vb->points) {
                pb_vote_ballots_release(vb);
                return PB_ERR_NOMEM;
        }
        vb->cap = m->n_contests;
        return PB_OK;
}

void pb_vote_ballots_release(struct pb_vote_ballots *vb)
{
        pb_free(vb->part);
        pb_free(vb->items);
        pb_free(vb->points);
        memset(vb, 0, sizeof(*vb));
}

/* A paper's mark instead of a ballot: exactly {"blank":true} or {"spoiled":true}. */
static enum pb_mark mark_of(const cJSON *v)
{
        const cJSON *c = cJSON_IsObject(v) ? v->child : NULL;

        if (!c || c->next || !cJSON_IsTrue(c))
                return PB_MARK_NONE;
        for (int k = PB_MARK_BLANK; k < PB_MARK_COUNT; k++)
                if (!strcmp(c->string, pb_mark_name((enum pb_mark)k)))
                        return (enum pb_mark)k;
        return PB_MARK_NONE;
}

/* Contest @k's ballot @c (with @marks, also a mark) into the next part of @vb, its entries at
 * @vb->items + *@used. */
static pb_err read_part(const struct pb_manifest *m, uint32_t k, const cJSON *c, const char *path, bool marks,
                        struct pb_vote_ballots *vb, size_t *used, struct pb_diag *d)
{
        const struct pb_election *e = m->contests[k].election;
        struct pb_contest_ballot *part = &vb->part[vb->n];
        enum pb_mark mark = marks ? mark_of(c) : PB_MARK_NONE;
        size_t n = 0;
        pb_err r =
                mark ? PB_OK : pb_ballot_json_read(e, c, path, vb->items + *used, vb->points + *used, &n, d);

        if (r < 0)
                return r;
        part->contest = k;
        part->items = vb->items + *used;
        part->points = pb_vote_type_has_points(e->vote_type) ? vb->points + *used : NULL;
        part->n = n;
        part->mark = mark;
        *used += e->n_projects;
        vb->n++;
        return PB_OK;
}

/* The "ballots" object @v (contest id -> ballot), marks allowed with @marks. */
static pb_err read_ballots(const struct pb_manifest *m, const cJSON *v, const char *path, bool marks,
                           struct pb_vote_ballots *vb, struct pb_diag *reterr)
{
        size_t used = 0;
        pb_err r = PB_OK;

        vb->n = 0;
        if (!cJSON_IsObject(v))
                return bad(reterr, PB_ERR_PARSE, path, "expected an object of contest id -> ballot");
        for (const cJSON *c = v->child; r == PB_OK && c; c = c->next) {
                long k = pb_manifest_find_contest(m, c->string, strlen(c->string));
                char sub[PB_DIAG_PATH_MAX];

                /* strict JSON has no key twice, so no contest comes twice */
                if (k < 0 || vb->n >= vb->cap)
                        return pb_diag_refuse(reterr, PB_REFUSAL_CONTEST_UNKNOWN, path);
                snprintf(sub, sizeof(sub), "%s[\"%s\"]", path, c->string);
                r = read_part(m, (uint32_t)k, c, sub, marks, vb, &used, reterr);
        }
        return r;
}

pb_err pb_vote_ballots_read(const struct pb_manifest *m, const cJSON *v, const char *path,
                            struct pb_vote_ballots *vb, struct pb_diag *reterr)
{
        return read_ballots(m, v, path, false, vb, reterr);
}

pb_err pb_vote_paper_read(const struct pb_manifest *m, const cJSON *v, const char *path, bool one,
                          struct pb_vote_ballots *vb, struct pb_diag *reterr)
{
        size_t used = 0;

        if (!one)
                return read_ballots(m, v, path, true, vb, reterr);
        vb->n = 0;
        return read_part(m, 0, v, path, true, vb, &used, reterr);
}

pb_err pb_vote_cvr_write(const struct pb_manifest *m, const struct pb_contest_ballot *b, size_t n,
                         enum pb_channel channel, const struct pb_cvr_paper *paper,
                         const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out)
{
        struct pb_cvr_part *parts;
        pb_err r = PB_OK;

        if (n == 0 || n > m->n_contests || (!m->has_contests && (n != 1 || b[0].contest != 0)))
                return PB_ERR_INVALID;
        parts = pb_calloc(n, sizeof(*parts));
        if (!parts)
                return PB_ERR_NOMEM;
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                if (b[i].contest >= m->n_contests)
                        r = PB_ERR_INVALID;
                else
                        parts[i] = (struct pb_cvr_part){ m->contests[b[i].contest].election, b[i].items,
                                                         b[i].points, b[i].n, b[i].mark };
        }
        if (r == PB_OK)
                r = pb_cvr_write(m->election->id, m->has_contests, parts, n, channel, paper, cvr_id, out);
        pb_free(parts);
        return r;
}

pb_err pb_vote_cvr_format(const struct pb_manifest *m, const struct pb_contest_ballot *b, size_t n,
                          enum pb_channel channel, const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out)
{
        return pb_vote_cvr_write(m, b, n, channel, NULL, cvr_id, out);
}

/* The ballots of CVR @v: "ballots" in the contests form, else "ballot" (marks only on paper). */
static pb_err read_cvr_ballots(const struct pb_manifest *m, const cJSON *v, const struct pb_cvr_meta *meta,
                               struct pb_vote_ballots *vb, struct pb_diag *d)
{
        const cJSON *one = cJSON_GetObjectItemCaseSensitive(v, "ballot"),
                    *many = cJSON_GetObjectItemCaseSensitive(v, "ballots");
        bool marks = meta->channel == PB_CHANNEL_PAPER;
        size_t used = 0;

        if (m->has_contests ? !many || one : !one || many)
                return bad(d, PB_ERR_PARSE, "$",
                           m->has_contests ? "expected \"ballots\"" : "expected \"ballot\"");
        if (many)
                return read_ballots(m, many, "$.ballots", marks, vb, d);
        vb->n = 0;
        return read_part(m, 0, one, "$.ballot", marks, vb, &used, d);
}

pb_err pb_vote_cvr_parse(const struct pb_manifest *m, const char *buf, size_t len, struct pb_vote_ballots *vb,
                         struct pb_cvr_meta *ret_meta, struct pb_diag *reterr)
{
        struct pb_cvr_paper paper = { NULL, NULL };
        struct pb_cvr_meta meta;
        struct pb_buf again;
        cJSON *v = NULL;
        pb_err r;

        vb->n = 0;
        memset(&meta, 0, sizeof(meta));
        pb_buf_init(&again, len + 1);
        r = pb_json_parse(buf, len, 5, &v, reterr);
        if (r == PB_OK)
                r = pb_json_check_object(v, cvr_vote_fields, "$", reterr);
        if (r == PB_OK)
                r = read_meta(v, m->election->id, &meta, reterr);
        if (r == PB_OK)
                r = read_cvr_ballots(m, v, &meta, vb, reterr);
        if (r == PB_OK) {
                paper.batch = meta.batch[0] ? meta.batch : NULL;
                paper.officer = meta.officer[0] ? meta.officer : NULL;
                r = pb_vote_cvr_write(m, vb->part, vb->n, meta.channel,
                                      paper.batch || paper.officer ? &paper : NULL, meta.cvr_id, &again);
                r = same_bytes(r, &again, buf, len, reterr);
        }
        if (r == PB_OK && ret_meta)
                *ret_meta = meta;
        pb_buf_release(&again);
        cJSON_Delete(v);
        return r;
}
