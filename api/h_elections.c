/** @file Elections: create from a manifest, list, read, change state, issue voter codes. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "formats/pb_manifest.h"
#include "engine/pb_canon.h"

/* "YYYY-MM-DDTHH:MM:SSZ" of the API's clock: the API layer reads the clock; the engine never does. */
static void utc_now(const struct pb_api *api, char out[21])
{
        time_t t = (time_t)api->wall_s();
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void reply_writer(struct pb_api_ctx *c, unsigned status, struct pb_buf *b, struct pb_jw *w)
{
        if (pb_jw_finish(w) < 0)
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, status, b);
        pb_buf_release(b);
}

static void reply_state(struct pb_api_ctx *c, unsigned status)
{
        enum pb_box_state st;
        struct pb_buf b;
        struct pb_jw w;
        pb_err r;

        pthread_mutex_lock(&c->el->lock);
        r = pb_box_state(c->el->box, &st);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0) {
                pb_api_fail(c, r, NULL);
                return;
        }
        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "id", c->el->id);
        pb_jw_kv_string(&w, "state", pb_box_state_name(st));
        pb_jw_object_end(&w);
        reply_writer(c, status, &b, &w);
}

/* The request's body read as a manifest (the caller frees *@ret). */
static pb_err body_manifest(const struct pb_api_ctx *c, struct pb_manifest **ret, struct pb_diag *d)
{
        struct pb_buf canon;
        pb_err r;

        pb_buf_init(&canon, 0);
        /* the manifest parser reads bytes: give it the canonical form of the strict-parsed body */
        r = pb_json_canonical(c->json, &canon);
        if (r == PB_OK)
                r = pb_manifest_parse(canon.data, canon.len, ret, d);
        pb_buf_release(&canon);
        return r;
}

void pb_h_elections_create(struct pb_api_ctx *c)
{
        struct pb_manifest *m = NULL;
        struct pb_api_election *el = NULL;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = body_manifest(c, &m, &d);
        if (r == PB_OK)
                r = pb_api_store_create(c->api, m, &el, &d);
        pb_manifest_free(m);
        if (r < 0) {
                pb_api_fail(c, r, &d);
                return;
        }
        c->el = el;
        reply_state(c, 201);
}

void pb_h_elections_list(struct pb_api_ctx *c)
{
        struct pb_api *api = c->api;
        struct pb_buf b;
        struct pb_jw w;

        pb_api_store_sweep(api); /* never list an election whose file is gone */
        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "elections");
        pb_jw_array_begin(&w);
        pthread_rwlock_rdlock(&api->elections_lock);
        for (size_t i = 0; i < api->n_elections; i++) {
                struct pb_api_election *el = api->elections[i];
                enum pb_box_state st = PB_BOX_DRAFT;
                pb_err r = PB_ERR_STORAGE;

                pb_jw_object_begin(&w);
                pb_jw_kv_string(&w, "id", el->id);
                if (!el->box) {
                        /* its box could not be opened at start (its routes answer 503) */
                        pb_jw_kv_string(&w, "reason", el->reason);
                        pb_jw_kv_string(&w, "state", "unavailable");
                        pb_jw_kv_string(&w, "title", "");
                        pb_jw_object_end(&w);
                        continue;
                }
                /* the state first: it takes in what another process changed, the manifest too */
                pthread_mutex_lock(&el->lock);
                r = pb_box_state(el->box, &st);
                pb_jw_kv_string(&w, "state", r == PB_OK ? pb_box_state_name(st) : "unavailable");
                pb_jw_kv_string(&w, "title", pb_box_manifest(el->box)->election->title);
                /* its page takes votes from home (issue 12): the start page links to it; written
                 * only then, as in the manifest */
                if (pb_box_manifest(el->box)->web_voting)
                        pb_jw_kv_bool(&w, "web_voting", true);
                pthread_mutex_unlock(&el->lock);
                pb_jw_object_end(&w);
        }
        pthread_rwlock_unlock(&api->elections_lock);
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        reply_writer(c, 200, &b, &w);
}

/* PUT /v1/elections/{id}: replace a draft's manifest (its id stays; once codes exist, its contests
 * too).  The snapshot of a draft is never used to prepare a ballot, so nothing else changes. */
void pb_h_election_put(struct pb_api_ctx *c)
{
        struct pb_manifest *m = NULL;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = body_manifest(c, &m, &d);
        if (r == PB_OK && strcmp(m->election->id, c->el->id))
                r = pb_diag_set(&d, PB_ERR_INVALID, "$.id", "the manifest's id is not this election's");
        if (r == PB_OK) {
                pthread_mutex_lock(&c->el->lock);
                r = pb_box_set_manifest(c->el->box, m, &d);
                pthread_mutex_unlock(&c->el->lock);
        }
        pb_manifest_free(m);
        if (r < 0) {
                pb_api_fail(c, r, &d);
                return;
        }
        reply_state(c, 200);
}

/* DELETE /v1/elections/{id}: a draft's files removed, the election no longer served. */
void pb_h_election_delete(struct pb_api_ctx *c)
{
        struct pb_buf b;
        struct pb_jw w;
        struct pb_diag d;
        char path[4096];
        pb_err r;

        pb_diag_clear(&d);
        pb_api_store_path(c->api, c->el, path, sizeof(path));
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_delete(c->el->box, path, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r == PB_OK)
                r = pb_api_store_retire(c->api, c->el);
        if (r < 0) {
                pb_api_fail(c, r, &d);
                return;
        }
        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_kv_bool(&w, "deleted", true);
        pb_jw_kv_string(&w, "id", c->el->id);
        pb_jw_object_end(&w);
        reply_writer(c, 200, &b, &w);
}

void pb_h_election_get(struct pb_api_ctx *c)
{
        struct pb_buf b, manifest, signed_doc;
        enum pb_box_state st = PB_BOX_DRAFT;
        bool legacy_codes = false;
        struct pb_jw w;
        pb_err r, rs;

        pb_buf_init(&b, 0);
        pb_buf_init(&manifest, 0);
        pb_buf_init(&signed_doc, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_state(c->el->box, &st);
        if (r == PB_OK)
                r = pb_manifest_format(pb_box_manifest(c->el->box), &manifest);
        if (r == PB_OK)
                r = pb_box_codes_legacy(c->el->box, &legacy_codes, NULL);
        rs = r == PB_OK ? pb_box_document(c->el->box, PB_BOX_DOC_MANIFEST, &signed_doc, NULL) : r;
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0 || (rs < 0 && rs != PB_ERR_NOT_FOUND)) {
                pb_api_fail(c, r < 0 ? r : rs, NULL);
                goto out;
        }
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "id", c->el->id);
        /* only where true: the pages then also read the mod-37 check of codes issued before issue 13 */
        if (legacy_codes)
                pb_jw_kv_bool(&w, "legacy_codes", true);
        pb_jw_key(&w, "manifest");
        pb_jw_raw(&w, manifest.data, manifest.len);
        pb_jw_key(&w, "signed_manifest");
        if (rs == PB_OK)
                pb_jw_raw(&w, signed_doc.data, signed_doc.len);
        else
                pb_jw_null(&w);
        pb_jw_kv_string(&w, "state", pb_box_state_name(st));
        pb_jw_object_end(&w);
        reply_writer(c, 200, &b, &w);
out:
        pb_buf_release(&b);
        pb_buf_release(&manifest);
        pb_buf_release(&signed_doc);
}

enum transition { T_OPEN, T_SUSPEND, T_RESUME, T_CLOSE };

static void transition(struct pb_api_ctx *c, enum transition t)
{
        struct pb_diag d;
        char now[21];
        pb_err r;

        pb_diag_clear(&d);
        if (t == T_OPEN && !c->api->office) {
                /* not the admin's fault (403 said "not allowed for this role"): this server was started
                 * without the office key, as docs/api.md advises for a real election */
                pb_diag_set(&d, PB_ERR_UNSUPPORTED, "office_key",
                            "this server holds no finance-office key: open on the server host with `pbvote "
                            "election open --db DB --key ENGINE.key --office-key OFFICE.key`");
                pb_api_fail(c, PB_ERR_UNSUPPORTED, &d);
                return;
        }
        utc_now(c->api, now);
        pthread_mutex_lock(&c->el->lock);
        switch (t) {
        case T_OPEN: r = pb_box_election_open(c->el->box, c->api->office, &d); break;
        case T_SUSPEND: r = pb_box_election_suspend(c->el->box, &d); break;
        case T_RESUME: r = pb_box_election_resume(c->el->box, &d); break;
        case T_CLOSE: r = pb_box_election_close(c->el->box, now, &d); break;
        }
        (void)pb_api_snap_refresh(c->el); /* the keys or the state changed: ballots prepare anew */
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0) {
                pb_api_fail(c, r, &d);
                return;
        }
        reply_state(c, 200);
}

void pb_h_election_open(struct pb_api_ctx *c)
{
        transition(c, T_OPEN);
}

void pb_h_election_suspend(struct pb_api_ctx *c)
{
        transition(c, T_SUSPEND);
}

void pb_h_election_resume(struct pb_api_ctx *c)
{
        transition(c, T_RESUME);
}

void pb_h_election_close(struct pb_api_ctx *c)
{
        transition(c, T_CLOSE);
}

static pb_err add_code(void *ctx, const struct pb_code *code)
{
        struct pb_jw *w = ctx;
        char printed[PB_CODE_PRINT_MAX + 1];

        pb_code_print(code, printed, sizeof(printed));
        pb_jw_string(w, printed);
        sodium_memzero(printed, sizeof(printed));
        return w->err;
}

/* The contests of a POST .../codes body (an array of contest ids), borrowed from the body. */
static bool contest_ids(struct pb_api_ctx *c, const char **ids, size_t *ret_n)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->json, "contests");
        struct pb_diag d;
        size_t n = 0;

        pb_diag_clear(&d);
        *ret_n = 0;
        if (!v)
                return true;
        for (const cJSON *x = v->child; x; x = x->next, n++) {
                char path[32];

                snprintf(path, sizeof(path), "$.contests[%zu]", n);
                if (n >= PB_MANIFEST_MAX_CONTESTS) {
                        pb_api_fail(c,
                                    pb_diag_set(&d, PB_ERR_LIMIT, "$.contests",
                                                "more contests than a vote holds"),
                                    &d);
                        return false;
                }
                if (!cJSON_IsString(x)) {
                        pb_api_fail(c, pb_diag_set(&d, PB_ERR_PARSE, path, "expected a contest id"), &d);
                        return false;
                }
                ids[n] = x->valuestring;
        }
        if (n == 0) {
                pb_api_fail(
                        c,
                        pb_diag_set(&d, PB_ERR_INVALID, "$.contests", "codes are for at least one contest"),
                        &d);
                return false;
        }
        *ret_n = n;
        return true;
}

void pb_h_codes(struct pb_api_ctx *c)
{
        static const struct pb_json_field fields[] = { { "count", PB_JSON_INT, true },
                                                       { "contests", PB_JSON_ARRAY, false },
                                                       { NULL, PB_JSON_ANY, false } };
        const char *ids[PB_MANIFEST_MAX_CONTESTS];
        struct pb_buf b;
        struct pb_jw w;
        struct pb_diag d;
        size_t n_ids = 0;
        int64_t n;
        pb_err r;

        pb_diag_clear(&d);
        if (pb_json_check_object(c->json, fields, "$", &d) < 0) {
                pb_api_fail(c, PB_ERR_PARSE, &d);
                return;
        }
        n = pb_json_int(cJSON_GetObjectItemCaseSensitive(c->json, "count"));
        if (n < 1 || n > (int64_t)c->api->limits.max_codes) {
                char why[96]; /* the limit is the server's setting: the detail states it */

                snprintf(why, sizeof(why), "count must be from 1 to %zu, this server's limit per request",
                         (size_t)c->api->limits.max_codes);
                pb_diag_set(&d, PB_ERR_INVALID, "$.count", NULL);
                pb_api_problem(c->resp, PB_ERR_INVALID, why, &d);
                return;
        }
        if (!contest_ids(c, ids, &n_ids))
                return;
        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "codes");
        pb_jw_array_begin(&w);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_codes_issue_for(c->el->box, (size_t)n, ids, n_ids, add_code, &w, &d);
        pthread_mutex_unlock(&c->el->lock);
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        if (r < 0) {
                /* codes stored but not shown are simply never used: they cannot vote without being known */
                sodium_memzero(b.data, b.len);
                pb_buf_release(&b);
                pb_api_fail(c, r, &d);
                return;
        }
        reply_writer(c, 201, &b, &w);
        /* the codes now exist only in the response, which the HTTP layer copies and frees */
}
