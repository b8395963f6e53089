/** @file pb_api_dispatch: path, route, credentials, body, handler; every failure a problem document. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "formats/pb_json.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

uint64_t pb_api_monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What pb_api_new() made once its threads are stopped (or were never started): the elections, the
 * limits' tables, the lock, and @api itself. */
static void api_release(struct pb_api *api)
{
        pb_api_store_close(api);
        pb_api_kiosks_free(api);
        pb_api_web_free(api);
        pb_api_cors_free(api);
        pthread_rwlock_destroy(&api->elections_lock);
        pb_free(api->data_dir);
        pb_free(api);
}

pb_err pb_api_new(const struct pb_api_config *cfg, struct pb_api **ret, struct pb_diag *reterr)
{
        struct pb_api *api = pb_calloc(1, sizeof(*api));
        pb_err r;

        if (!api)
                return PB_ERR_NOMEM;
        api->limits = cfg->limits;
        api->clock_ms = cfg->clock_ms ? cfg->clock_ms : pb_api_monotonic_ms;
        api->wall_s = cfg->wall_s ? cfg->wall_s : pb_api_wall_s;
        if (!api->limits.writer_queue)
                api->limits.writer_queue = 10000;
        if (!api->limits.max_exports)
                api->limits.max_exports = 4;
        snprintf(api->version, sizeof(api->version), "%s", cfg->version ? cfg->version : "pbvote");
        api->engine = cfg->engine;
        api->office = cfg->office;
        api->max_elections = cfg->max_elections;
        api->data_dir =
                pb_strndup(cfg->data_dir ? cfg->data_dir : ".", strlen(cfg->data_dir ? cfg->data_dir : "."));
        if (!api->data_dir) {
                pb_free(api);
                return PB_ERR_NOMEM;
        }
        pthread_rwlock_init(&api->elections_lock, NULL);
        r = pb_api_kiosks_init(api);
        if (r == PB_OK)
                r = pb_api_web_init(api);
        if (r == PB_OK)
                r = pb_api_cors_init(api, cfg, reterr);
        if (r == PB_OK)
                r = pb_api_store_load(api, reterr);
        if (r == PB_OK)
                r = pb_api_writer_start(api);
        if (r == PB_OK && (r = pb_api_period_start(api)) < 0)
                pb_api_writer_stop(api);
        if (r < 0) {
                api_release(api);
                return r;
        }
        *ret = api;
        return PB_OK;
}

void pb_api_free(struct pb_api *api)
{
        if (!api)
                return;
        pb_api_period_stop(api);
        pb_api_writer_stop(api);
        api_release(api);
}

static size_t limit_for(const struct pb_api *api, enum pb_api_body b)
{
        switch (b) {
        case PB_BODY_OPTIONAL:
        case PB_BODY_BALLOT: return api->limits.max_body_ballot;
        case PB_BODY_ADMIN: return api->limits.max_body_admin;
        case PB_BODY_NONE: break;
        }
        return 0;
}

size_t pb_api_body_limit(const struct pb_api *api, const char *method, const char *path)
{
        struct pb_api_ctx c;
        char allow[32];
        const struct pb_api_route *r;

        memset(&c, 0, sizeof(c));
        r = pb_api_route_find(method, path, &c, allow);
        return r ? limit_for(api, r->body) : 0;
}

void pb_api_fail(struct pb_api_ctx *c, pb_err code, const struct pb_diag *d)
{
        pb_api_problem(c->resp, code, NULL, d);
}

void pb_api_reply_json(struct pb_api_ctx *c, unsigned status, const struct pb_buf *body)
{
        c->resp->status = status ? status : 200;
        c->resp->content_type = "application/json";
        pb_buf_reset(&c->resp->body);
        if (pb_buf_add(&c->resp->body, body->data, body->len) < 0)
                pb_api_problem(c->resp, PB_ERR_NOMEM, NULL, NULL);
}

/* Printable ASCII, starts with '/', at most 512 bytes, no empty, "." or ".." segment. */
static bool path_ok(const char *p)
{
        size_t n = strlen(p);

        if (!n || n > 512 || p[0] != '/')
                return false;
        for (size_t i = 0; i < n; i++)
                if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '\\')
                        return false;
        for (const char *s = p; *s; s++)
                if (s[0] == '/' && (s[1] == '/' || s[1] == '\0' || (s[1] == '.' && (s[2] == '/' || !s[2])) ||
                                    (s[1] == '.' && s[2] == '.' && (s[3] == '/' || !s[3]))))
                        return false;
        return true;
}

/* "application/json", optionally with "; charset=utf-8" (any case), nothing else. */
static bool json_content_type(const char *ct)
{
        static const char base[] = "application/json";
        const char *rest;

        if (!ct || strncasecmp(ct, base, sizeof(base) - 1))
                return false;
        rest = ct + sizeof(base) - 1;
        while (*rest == ' ')
                rest++;
        if (!*rest)
                return true;
        if (*rest++ != ';')
                return false;
        while (*rest == ' ')
                rest++;
        return !strcasecmp(rest, "charset=utf-8");
}

static size_t skip_json_space(const char *b, size_t i, size_t n)
{
        while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
                i++;
        return i;
}

/*
 * An action that takes no body (open, suspend, resume, close) accepts the empty JSON object as
 * well: clients that always send a JSON body send "{}", which asks for nothing (issue 11).
 */
static bool empty_action_body(const struct pb_api_route *r, const struct pb_api_request *req)
{
        const char *b = req->body;
        size_t i, n = req->body_len;

        if (strcmp(r->method, "POST") || !json_content_type(req->content_type) || !b)
                return false;
        i = skip_json_space(b, 0, n);
        if (i >= n || b[i++] != '{')
                return false;
        i = skip_json_space(b, i, n);
        if (i >= n || b[i++] != '}')
                return false;
        return skip_json_space(b, i, n) == n;
}

enum pb_api_outcome pb_api_dispatch(struct pb_api *api, const struct pb_api_request *req,
                                    struct pb_api_response *resp)
{
        const struct pb_api_route *r;
        struct pb_api_ctx c;
        struct pb_diag d;

        memset(&c, 0, sizeof(c));
        c.api = api;
        c.req = req;
        c.resp = resp;
        c.outcome = PB_API_DONE;
        pb_diag_clear(&d);
        if (pb_api_pages(req, resp))
                return PB_API_DONE; /* a page or an asset: everything outside /v1/ */
        if (!req->method || !req->path || !path_ok(req->path)) {
                pb_api_problem(resp, PB_ERR_NOT_FOUND, "no such resource", NULL);
                return PB_API_DONE;
        }
        if (pb_api_cors(api, req, resp))
                return PB_API_DONE; /* a preflight of another origin's page */
        r = pb_api_route_find(req->method, req->path, &c, resp->allow);
        if (!r) {
                if (resp->allow[0])
                        pb_api_problem(resp, PB_ERR_METHOD, "method not allowed on this resource", NULL);
                else
                        pb_api_problem(resp, PB_ERR_NOT_FOUND, "no such resource", NULL);
                return PB_API_DONE;
        }
        resp->route = r->pattern;
        if (strstr(r->pattern, "{id}")) {
                c.el = pb_api_store_find(api, c.param[0]);
                if (!c.el) {
                        pb_diag_set(&d, PB_ERR_NOT_FOUND, "id", "no such election");
                        pb_api_problem(resp, PB_ERR_NOT_FOUND, NULL, &d);
                        return PB_API_DONE;
                }
                if (!c.el->box) {
                        /* its box could not be opened at start: say why, serve the others */
                        pb_api_problem(resp, PB_ERR_UNAVAILABLE, c.el->reason, NULL);
                        return PB_API_DONE;
                }
        }
        if (r->roles) {
                c.roles = pb_api_roles(api, req->authorization, c.el, &c.token);
                /* a resident voting from home: no credentials, if the election allows it */
                c.web = !c.roles && !req->authorization && r->web && pb_api_web_allowed(c.el);
                if (!c.roles && !c.web) {
                        pb_api_problem(resp, PB_ERR_AUTH, "missing or unknown bearer token", NULL);
                        return PB_API_DONE;
                }
                if (!c.web && !(c.roles & r->roles)) {
                        pb_api_problem(resp, PB_ERR_FORBIDDEN, "this token's role may not do this", NULL);
                        return PB_API_DONE;
                }
        }
        if (r->body == PB_BODY_NONE || (r->body == PB_BODY_OPTIONAL && !req->body_len)) {
                if (req->body_len && !empty_action_body(r, req)) {
                        pb_api_problem(resp, PB_ERR_PARSE,
                                       "this resource takes no request body (or the empty object {})", NULL);
                        return PB_API_DONE;
                }
        } else {
                if (!json_content_type(req->content_type)) {
                        pb_api_problem(resp, PB_ERR_MEDIA_TYPE, "the body must be application/json", NULL);
                        return PB_API_DONE;
                }
                if (req->body_len > limit_for(api, r->body)) {
                        pb_api_problem(resp, PB_ERR_LIMIT, "request body too large", NULL);
                        return PB_API_DONE;
                }
                if (pb_json_parse(req->body ? req->body : "", req->body_len, 0, &c.json, &d) < 0) {
                        pb_api_problem(resp, d.code ? d.code : PB_ERR_PARSE, NULL, &d);
                        return PB_API_DONE;
                }
        }
        r->fn(&c);
        cJSON_Delete(c.json);
        if (c.outcome == PB_API_DONE)
                pb_api_response_complete(resp); /* a ballot this call waited for: write its receipt */
        return c.outcome;
}

void pb_h_health(struct pb_api_ctx *c)
{
        struct pb_buf b;
        struct pb_jw w;

        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "status", "ok");
        pb_jw_kv_string(&w, "version", c->api->version);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0)
                pb_api_problem(c->resp, PB_ERR_NOMEM, NULL, NULL);
        else
                pb_api_reply_json(c, 200, &b);
        pb_buf_release(&b);
}
