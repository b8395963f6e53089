/** @file Ballots and CVRs as JSON: strict reading against an election. */
#include "formats/pb_json_ballot.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"

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

pb_err pb_cvr_parse(const struct pb_election *e, const char *buf, size_t len, uint32_t *items,
                    int64_t *points, size_t *ret_n, struct pb_cvr_meta *ret_meta, struct pb_diag *reterr)
{
        struct pb_cvr_meta meta;
        struct pb_buf again;
        cJSON *v = NULL;
        const char *s;
        size_t n = 0, bin_len = 0;
        pb_err r;

        pb_buf_init(&again, len + 1);
        r = pb_json_parse(buf, len, 4, &v, reterr);
        if (r < 0)
                goto out;
        r = pb_json_check_object(v, cvr_fields, "$", reterr);
        if (r < 0)
                goto out;
        s = cJSON_GetObjectItemCaseSensitive(v, "election")->valuestring;
        if (strcmp(s, e->id)) {
                r = bad(reterr, PB_ERR_INVALID, "$.election", "a CVR of another election");
                goto out;
        }
        s = cJSON_GetObjectItemCaseSensitive(v, "channel")->valuestring;
        if (pb_channel_parse(s, strlen(s), &meta.channel) < 0) {
                r = bad(reterr, PB_ERR_PARSE, "$.channel", "expected electronic, paper or imported");
                goto out;
        }
        s = cJSON_GetObjectItemCaseSensitive(v, "cvr_id")->valuestring;
        if (strlen(s) != PB_CVR_ID_HEX_LEN ||
            sodium_hex2bin(meta.cvr_id, sizeof(meta.cvr_id), s, strlen(s), NULL, &bin_len, NULL) != 0 ||
            bin_len != PB_CVR_ID_BYTES) {
                r = bad(reterr, PB_ERR_PARSE, "$.cvr_id",
                        "expected " PB_STRINGIFY(PB_CVR_ID_HEX_LEN) " lowercase hex digits");
                goto out;
        }
        r = pb_ballot_json_read(e, cJSON_GetObjectItemCaseSensitive(v, "ballot"), "$.ballot", items, points,
                                &n, reterr);
        if (r < 0)
                goto out;
        /* one spelling per CVR: exactly the bytes pbvote writes for what was read */
        r = pb_cvr_format(e, items, pb_vote_type_has_points(e->vote_type) ? points : NULL, n, meta.channel,
                          meta.cvr_id, &again);
        if (r == PB_ERR_NOMEM)
                goto out;
        if (r < 0 || again.len != len || memcmp(again.data, buf, len)) {
                r = bad(reterr, PB_ERR_PARSE, "$", "not the canonical form of this CVR");
                goto out;
        }
        *ret_n = n;
        if (ret_meta)
                *ret_meta = meta;
out:
        pb_buf_release(&again);
        cJSON_Delete(v);
        return r;
}
