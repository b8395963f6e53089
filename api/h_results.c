/** @file After the close: count and sign, the signed result, the audit bundle as a tar archive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "ballots/pb_box_pabulib.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_money.h"

void pb_h_tally(struct pb_api_ctx *c)
{
        static const struct pb_json_field fields[] = { { "seed", PB_JSON_STRING, false },
                                                       { NULL, PB_JSON_ANY, false } };
        struct pb_buf out;
        struct pb_diag d;
        uint64_t seed = 0;
        bool has_seed = false;
        pb_err r;

        pb_diag_clear(&d);
        if (c->json) {
                const char *s;
                if (pb_json_check_object(c->json, fields, "$", &d) < 0) {
                        pb_api_fail(c, PB_ERR_PARSE, &d);
                        return;
                }
                /* the seed is text: a 64-bit value does not fit JSON's exact integers */
                s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "seed"));
                if (s) {
                        char *end;
                        errno = 0;
                        seed = strtoull(s, &end, 10);
                        if (!*s || *s == '-' || *end || errno) {
                                pb_diag_set(&d, PB_ERR_PARSE, "$.seed",
                                            "expected a decimal integer from 0 to 2^64-1");
                                pb_api_fail(c, PB_ERR_PARSE, &d);
                                return;
                        }
                        has_seed = true;
                }
        }
        pb_buf_init(&out, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_tally(c->el->box, has_seed ? &seed : NULL, c->api->version, &out, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0)
                pb_api_fail(c, r, &d);
        else
                pb_api_reply_json(c, 200, &out);
        pb_buf_release(&out);
}

void pb_h_result(struct pb_api_ctx *c)
{
        struct pb_buf result, cert, b;
        struct pb_diag d;
        struct pb_jw w;
        pb_err r, rc;

        pb_diag_clear(&d);
        pb_buf_init(&result, 0);
        pb_buf_init(&cert, 0);
        pb_buf_init(&b, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_document(c->el->box, PB_BOX_DOC_RESULT, &result, &d);
        rc = r == PB_OK ? pb_box_document(c->el->box, PB_BOX_DOC_CERTIFICATION, &cert, NULL) : r;
        pthread_mutex_unlock(&c->el->lock);
        if (r == PB_ERR_NOT_FOUND) {
                pb_diag_set(&d, PB_ERR_NOT_FOUND, "result",
                            "no result yet: the election is counted after it closes");
                pb_api_fail(c, PB_ERR_NOT_FOUND, &d);
                goto out;
        }
        if (r < 0 || (rc < 0 && rc != PB_ERR_NOT_FOUND)) {
                pb_api_fail(c, r < 0 ? r : rc, &d);
                goto out;
        }
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "certification");
        if (rc == PB_OK)
                pb_jw_raw(&w, cert.data, cert.len);
        else
                pb_jw_null(&w);
        pb_jw_key(&w, "result");
        pb_jw_raw(&w, result.data, result.len);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0)
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, 200, &b);
out:
        pb_buf_release(&result);
        pb_buf_release(&cert);
        pb_buf_release(&b);
}

/* The stream of one export: the bundle, and the slot it holds among limits.max_exports. */
struct export_stream {
        struct pb_box_export *x;
        struct pb_api *api;
};

static pb_err export_read(void *cls, char *buf, size_t cap, size_t *ret_n)
{
        struct export_stream *s = cls;
        return pb_box_export_read(s->x, buf, cap, ret_n, NULL);
}

static void export_free(void *cls)
{
        struct export_stream *s = cls;

        pb_box_export_free(s->x);
        __atomic_sub_fetch(&s->api->exports, 1, __ATOMIC_SEQ_CST);
        pb_free(s);
}

/* Take one of the export slots; false when all are taken. */
static bool export_slot_take(struct pb_api *api)
{
        unsigned n = __atomic_load_n(&api->exports, __ATOMIC_SEQ_CST);

        do {
                if (n >= api->limits.max_exports)
                        return false;
        } while (!__atomic_compare_exchange_n(&api->exports, &n, n + 1, false, __ATOMIC_SEQ_CST,
                                              __ATOMIC_SEQ_CST));
        return true;
}

/*
 * The audit bundle, streamed (issue 11): the archive is read from the box piece by piece while
 * the client reads it, through a read-only connection of its own in one read transaction (a
 * consistent snapshot; the election's lock is never taken), so the server's memory does not grow
 * with the bundle or with slow readers.  Each export holds one of limits.max_exports slots until
 * its transfer ends; beyond, 503 with Retry-After.
 */
void pb_h_export(struct pb_api_ctx *c)
{
        struct export_stream *s = NULL;
        char path[4200];
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!export_slot_take(c->api)) {
                pb_api_problem(c->resp, PB_ERR_BUSY, "too many exports at once; retry later", NULL);
                c->resp->retry_after = 10;
                return;
        }
        s = pb_calloc(1, sizeof(*s));
        if (!s) {
                __atomic_sub_fetch(&c->api->exports, 1, __ATOMIC_SEQ_CST);
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                return;
        }
        s->api = c->api;
        /* DATA_DIR/<id>.db: the file the store opened this election from (api/store.c) */
        snprintf(path, sizeof(path), "%s/%s.db", c->api->data_dir, c->el->id);
        r = pb_box_export_new(path, c->el->id, &s->x, &d);
        if (r < 0) {
                export_free(s);
                pb_api_fail(c, r, &d);
                return;
        }
        c->resp->status = 200;
        c->resp->content_type = "application/x-tar";
        snprintf(c->resp->content_disposition, sizeof(c->resp->content_disposition),
                 "attachment; filename=\"%s-bundle.tar\"", c->el->id);
        c->resp->stream.cls = s;
        c->resp->stream.size = pb_box_export_size(s->x);
        c->resp->stream.read = export_read;
        c->resp->stream.free = export_free;
}

/* The file of one contest, picked from the walk over every contest's. */
struct pabulib_pick {
        const char *contest;
        struct pb_buf *out;
};

static pb_err pick_contest(void *ctx, const struct pb_contest *contest, const char *pb, size_t len)
{
        struct pabulib_pick *p = ctx;

        if (strcmp(contest->election->id, p->contest))
                return PB_OK;
        return pb_buf_add(p->out, pb, len);
}

/* Is @id a contest of @m (the one-contest form: the election's own id)? */
static bool has_contest(const struct pb_manifest *m, const char *id)
{
        for (size_t k = 0; k < m->n_contests; k++)
                if (!strcmp(m->contests[k].election->id, id))
                        return true;
        return false;
}

/*
 * The ballots of one contest as a pabulib file, for anyone once the vote is counted (issue 13):
 * what `pbvote export --pb` writes, with META country "unknown", unit the vote's title and
 * instance the year it ended.  Each answer loads and recounts the ballots, so it takes one of the
 * export slots (limits.max_exports; beyond, 503 with Retry-After) and the election's lock.
 */
void pb_h_pabulib(struct pb_api_ctx *c)
{
        const struct pb_pabulib_meta meta = { NULL, NULL, NULL, c->api->version };
        struct pabulib_pick pick = { c->param[1], NULL };
        struct pb_buf out;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        pb_buf_init(&out, 0);
        pick.out = &out;
        if (!export_slot_take(c->api)) {
                pb_api_problem(c->resp, PB_ERR_BUSY, "too many exports at once; retry later", NULL);
                c->resp->retry_after = 10;
                return;
        }
        pthread_mutex_lock(&c->el->lock);
        if (!has_contest(pb_box_manifest(c->el->box), pick.contest))
                r = pb_diag_set(&d, PB_ERR_NOT_FOUND, "contest", "no contest of this id in this vote");
        else
                r = pb_box_pabulib(c->el->box, &meta, pick_contest, &pick, &d);
        pthread_mutex_unlock(&c->el->lock);
        __atomic_sub_fetch(&c->api->exports, 1, __ATOMIC_SEQ_CST);
        if (r < 0) {
                pb_api_fail(c, r, &d);
        } else {
                pb_api_reply_json(c, 200, &out);
                c->resp->content_type = "text/plain; charset=utf-8";
                snprintf(c->resp->content_disposition, sizeof(c->resp->content_disposition),
                         "attachment; filename=\"%s.pb\"", pick.contest);
        }
        pb_buf_release(&out);
}
