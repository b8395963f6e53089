/** @file RFC 9457 problem documents from error codes and diagnostics. */
#include <stdio.h>
#include <string.h>

#include "api/pb_api.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

void pb_api_limits_default(struct pb_api_limits *l)
{
        l->max_body_ballot = 16 * 1024;
        l->max_body_admin = 1024 * 1024;
        l->max_codes = 100000;
        l->writer_queue = 10000;
        l->max_exports = 4;
}

/* Free the response's stream, if it still has one. */
static void stream_drop(struct pb_api_response *r)
{
        if (r->stream.cls)
                r->stream.free(r->stream.cls);
        memset(&r->stream, 0, sizeof(r->stream));
}

void pb_api_response_init(struct pb_api_response *r)
{
        memset(r, 0, sizeof(*r));
        pb_buf_init(&r->body, 0);
        r->route = "-";
}

void pb_api_response_release(struct pb_api_response *r)
{
        if (!r)
                return;
        pb_buf_release(&r->body);
        pb_free(r->receipt); /* plain data: a receipt never written out */
        r->receipt = NULL;
        stream_drop(r);
}

void pb_api_problem(struct pb_api_response *r, pb_err code, const char *detail, const struct pb_diag *d)
{
        struct pb_jw w;
        char type[96];
        const char *reason = d && d->reason ? d->reason : detail;

        pb_free(r->receipt); /* a problem replaces a receipt left to write out, or a stream */
        r->receipt = NULL;
        stream_drop(r);
        r->status = (unsigned)pb_err_http_status(code);
        r->content_type = "application/problem+json";
        r->static_body = NULL;
        r->cache_control = NULL;
        r->etag = NULL;
        pb_buf_reset(&r->body);
        snprintf(type, sizeof(type), "tag:pbvote.org,2026:error/%s", pb_err_name(code));
        pb_jw_init(&w, &r->body);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "detail", reason ? reason : pb_err_message(code));
        if (d && d->path[0])
                pb_jw_kv_string(&w, "field", d->path);
        if (d && d->refusal)
                pb_jw_kv_string(&w, "reason", d->refusal);
        pb_jw_kv_int(&w, "status", r->status);
        pb_jw_kv_string(&w, "title", pb_err_message(code));
        pb_jw_kv_string(&w, "type", type);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0) {
                /* only NOMEM can get here: a minimal body still tells the client what happened */
                pb_buf_reset(&r->body);
                r->status = 503;
                if (pb_buf_adds(&r->body, "{\"status\":503,\"title\":\"out of memory\"}") < 0)
                        pb_buf_release(&r->body); /* an empty 503 then */
        }
}
