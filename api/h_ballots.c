/**
 * @file POST /v1/elections/{id}/ballots: a kiosk's ballot submission, checked here for shape and
 * handed to the writer (group commit).  Body (docs/api.md):
 *   {"code": "...", "submission_id": "<32 hex>", "ballot": {"approvals": [ids]}}   approval, choose-1
 *                                                   {"ranking": [ids]}             ordinal
 *                                                   {"points": {id: n, ...}}       cumulative, scoring
 * The ballot's rules (lengths, limits, points) are checked by the ballot box, strictly.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

static const struct pb_json_field body_fields[] = {
        { "ballot", PB_JSON_OBJECT, true },
        { "code", PB_JSON_STRING, true },
        { "submission_id", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static void bad(struct pb_api_ctx *c, pb_err code, const char *path, const char *why)
{
        struct pb_diag d;

        pb_diag_clear(&d);
        pb_diag_set(&d, code, path, why);
        pb_api_fail(c, code == PB_ERR_INVALID ? 422 : 400, code, &d);
}

/* The ballot object: exactly the one key its vote type uses. */
static bool read_ballot(struct pb_api_ctx *c, const struct pb_election *e, const cJSON *b,
                        struct pb_api_job *job)
{
        const bool points = pb_vote_type_has_points(e->vote_type);
        const char *key = points ? "points" : e->vote_type == PB_VOTE_ORDINAL ? "ranking" : "approvals";
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(b, key);
        char path[64];
        size_t n, i = 0;

        if (!list || cJSON_GetArraySize(b) != 1) {
                snprintf(path, sizeof(path), "$.ballot.%s", key);
                bad(c, PB_ERR_PARSE, path,
                    points ? "this election's ballots are {\"points\": {project: n}}"
                    : e->vote_type == PB_VOTE_ORDINAL
                            ? "this election's ballots are {\"ranking\": [projects]}"
                            : "this election's ballots are {\"approvals\": [projects]}");
                return false;
        }
        if (points ? !cJSON_IsObject(list) : !cJSON_IsArray(list)) {
                snprintf(path, sizeof(path), "$.ballot.%s", key);
                bad(c, PB_ERR_PARSE, path, points ? "expected an object" : "expected an array");
                return false;
        }
        n = (size_t)cJSON_GetArraySize(list);
        if (n > e->n_projects) {
                snprintf(path, sizeof(path), "$.ballot.%s", key);
                bad(c, PB_ERR_INVALID, path, "more entries than the election has projects");
                return false;
        }
        job->items = pb_calloc(n ? n : 1, sizeof(*job->items));
        job->points = points ? pb_calloc(n ? n : 1, sizeof(*job->points)) : NULL;
        if (!job->items || (points && !job->points)) {
                pb_api_fail(c, 503, PB_ERR_NOMEM, NULL);
                return false;
        }
        for (const cJSON *x = list->child; x; x = x->next, i++) {
                const char *id = points ? x->string : cJSON_GetStringValue(x);
                long p;

                if (points)
                        snprintf(path, sizeof(path), "$.ballot.points.%.40s", id);
                else
                        snprintf(path, sizeof(path), "$.ballot.%s[%zu]", key, i);
                if (!id) {
                        bad(c, PB_ERR_PARSE, path, "expected a project id");
                        return false;
                }
                p = pb_election_find_project(e, id, strlen(id));
                if (p < 0) {
                        bad(c, PB_ERR_INVALID, path, "no such project in this election");
                        return false;
                }
                if (points && !cJSON_IsNumber(x)) {
                        bad(c, PB_ERR_PARSE, path, "expected an integer");
                        return false;
                }
                job->items[i] = (uint32_t)p;
                if (points)
                        job->points[i] = pb_json_int(x);
        }
        job->sub.items = job->items;
        job->sub.points = job->points;
        job->sub.n = n;
        return true;
}

void pb_h_ballots(struct pb_api_ctx *c)
{
        const struct pb_election *e;
        struct pb_api_snap *snap = NULL;
        struct pb_api_job *job = NULL;
        struct pb_diag d;
        const char *code, *sid;
        size_t sid_len;
        bool async;
        pb_err r;

        pb_diag_clear(&d);
        if (c->token.election_token && (c->token.flags & PB_TOKEN_DEVICE)) {
                /* one physical kiosk's token: its per-kiosk limits (docs/api.md, "Limits") */
                unsigned wait = 0;
                switch (pb_api_kiosk_admit(c->api, c->el, &c->token, &wait)) {
                case PB_KIOSK_ADMIT: break;
                case PB_KIOSK_LOCKED:
                        pb_api_problem(
                                c->resp, 403, PB_ERR_FORBIDDEN,
                                "this kiosk is locked after too many failed voter codes; a poll worker "
                                "must have it unlocked",
                                NULL);
                        return;
                case PB_KIOSK_RATE:
                        pb_api_problem(c->resp, 429, PB_ERR_BUSY, "this kiosk casts faster than voters can",
                                       NULL);
                        c->resp->retry_after = wait ? wait : 1;
                        return;
                case PB_KIOSK_BACKOFF:
                        pb_api_problem(c->resp, 429, PB_ERR_BUSY,
                                       "too many failed voter codes in a row from this kiosk; wait", NULL);
                        c->resp->retry_after = wait ? wait : 1;
                        return;
                }
        }
        if (pb_json_check_object(c->json, body_fields, "$", &d) < 0) {
                pb_api_fail(c, 400, PB_ERR_PARSE, &d);
                return;
        }
        code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "code"));
        sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "submission_id"));
        /* the election's projects and the keys to prepare with, as an immutable snapshot: the
         * box itself belongs to whoever holds its lock (the writer, most of the time) */
        snap = pb_api_snap_acquire(c->el, &r);
        if (!snap && r == PB_ERR_STATE) {
                /* a draft: its project list may still change, so no ballot is read against it */
                pb_diag_set(&d, PB_ERR_STATE, "state",
                            "ballots are accepted only while the election is open");
                pb_api_problem(c->resp, 409, PB_ERR_STATE, NULL, &d);
                return;
        }
        if (!snap) {
                pb_api_fail(c, r == PB_ERR_AUTH ? 503 : 0, r, NULL);
                return;
        }
        e = pb_box_snapshot_election(snap->box);
        job = pb_calloc(1, sizeof(*job));
        if (!job) {
                pb_api_fail(c, 503, PB_ERR_NOMEM, NULL);
                goto out;
        }
        sid_len = strlen(sid);
        if (sid_len != 32 || sodium_hex2bin(job->sub.submission_id, 16, sid, 32, NULL, NULL, NULL) != 0 ||
            strspn(sid, "0123456789abcdef") != 32) {
                bad(c, PB_ERR_PARSE, "$.submission_id", "expected 32 lowercase hex digits (128 random bits)");
                goto out;
        }
        job->sub.has_submission_id = true;
        if (strlen(code) > 128) {
                bad(c, PB_ERR_PARSE, "$.code", "not a voter code");
                goto out;
        }
        if (!read_ballot(c, e, cJSON_GetObjectItemCaseSensitive(c->json, "ballot"), job))
                goto out;
        job->code = pb_strndup(code, strlen(code));
        if (!job->code) {
                pb_api_fail(c, 503, PB_ERR_NOMEM, NULL);
                goto out;
        }
        job->sub.code = job->code;
        job->sub.code_len = strlen(job->code);
        job->sub.channel = PB_CHANNEL_ELECTRONIC;
        /* code hash, checks, CVR and commitment here, in parallel, rather than on the one writer */
        pb_box_prepare(snap->box, &job->sub, &job->prep);
        pb_api_snap_release(c->el, snap);
        snap = NULL;
        job->el = c->el;
        job->device = c->token.election_token && (c->token.flags & PB_TOKEN_DEVICE);
        memcpy(job->token_id, c->token.id, sizeof(job->token_id));
        job->resp = c->resp;
        job->done = c->req->done;
        job->done_cls = c->req->done_cls;
        async = job->done != NULL; /* read before submitting: the writer may free the job at once */
        r = pb_api_writer_submit(c->api, job);
        if (r == PB_ERR_BUSY) {
                pb_api_fail(c, 503, PB_ERR_BUSY, NULL);
                c->resp->retry_after = 1;
                goto out;
        }
        if (async) {
                c->outcome = PB_API_PENDING; /* the writer owns the job and answers */
                return;
        }
out:
        if (snap)
                pb_api_snap_release(c->el, snap);
        pb_api_job_free(job);
}
