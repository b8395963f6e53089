/** @file libmicrohttpd glue: limits, body collection with a cap, dispatch, access log. */
#include "api/pb_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/pb_alloc.h"

struct pb_http {
        struct MHD_Daemon *d;
        struct pb_api *api;
        FILE *log;
        uint16_t port;
};

/* Per request: MHD's connection-context pointer holds it; request_done() frees it. */
struct req {
        struct pb_buf body;
        size_t cap;        /* bytes of body we accept for this route */
        unsigned status;   /* for the access log */
        const char *route; /* static route pattern */
        char method[8];
        size_t sent;
        struct timespec t0;
};

void pb_http_config_default(struct pb_http_config *c)
{
        memset(c, 0, sizeof(*c));
        c->host = "127.0.0.1";
        c->port = 8080;
        c->threads = 2;
        c->max_connections = 512;
        c->max_per_ip = 64;
        c->timeout_s = 15;
        c->connection_memory = 32 * 1024;
}

static enum MHD_Result send_response(struct MHD_Connection *con, struct req *rq, struct pb_api_response *r)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : (char *)"",
                                               MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : "text/plain");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (r->allow[0])
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
        if (r->status == 401)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
        if (r->retry_after) {
                char ra[16];
                snprintf(ra, sizeof(ra), "%u", r->retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
        }
        if (r->content_disposition[0])
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, r->content_disposition);
        ret = MHD_queue_response(con, r->status, resp);
        MHD_destroy_response(resp);
        rq->status = r->status;
        rq->route = r->route;
        rq->sent = r->body.len;
        return ret;
}

/* A response decided before the body is read (too large, or an unknown route's body). */
static enum MHD_Result early_problem(struct MHD_Connection *con, struct req *rq, unsigned status, pb_err code,
                                     const char *why)
{
        struct pb_api_response r;
        enum MHD_Result ret;

        pb_api_response_init(&r);
        pb_api_problem(&r, status, code, why, NULL);
        ret = send_response(con, rq, &r);
        pb_api_response_release(&r);
        return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
        struct pb_http *h = cls;
        struct req *rq = *con_cls;
        struct pb_api_request q;
        struct pb_api_response r;
        enum MHD_Result ret;

        (void)version;
        if (!rq) {
                const char *cl;

                rq = pb_calloc(1, sizeof(*rq));
                if (!rq)
                        return MHD_NO;
                pb_buf_init(&rq->body, 0);
                clock_gettime(CLOCK_MONOTONIC, &rq->t0);
                snprintf(rq->method, sizeof(rq->method), "%s", method);
                rq->route = "-";
                *con_cls = rq;
                /* a route without a body still reads a small one, so that the API can name the error */
                rq->cap = pb_api_body_limit(h->api, method, url);
                if (rq->cap < 1024)
                        rq->cap = 1024;
                cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        char *end;
                        unsigned long long n = strtoull(cl, &end, 10);
                        if (*end || n > rq->cap)
                                return early_problem(con, rq, 413, PB_ERR_LIMIT, "request body too large");
                }
                return MHD_YES;
        }
        if (*upload_size) {
                if (rq->status) /* a response is already queued: discard the rest */
                        return MHD_NO;
                if (rq->body.len + *upload_size > rq->cap)
                        return MHD_NO; /* chunked upload past the cap: close the connection */
                if (pb_buf_add(&rq->body, upload, *upload_size) < 0)
                        return MHD_NO;
                *upload_size = 0;
                return MHD_YES;
        }
        if (rq->status)
                return MHD_YES; /* answered early */
        memset(&q, 0, sizeof(q));
        q.method = method;
        q.path = url;
        q.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        q.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        q.body = rq->body.data;
        q.body_len = rq->body.len;
        pb_api_response_init(&r);
        pb_api_dispatch(h->api, &q, &r);
        ret = send_response(con, rq, &r);
        pb_api_response_release(&r);
        return ret;
}

static void request_done(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct pb_http *h = cls;
        struct req *rq = *con_cls;

        (void)con;
        if (!rq)
                return;
        if (h->log) {
                /* method, route pattern (never the path: it may carry a commitment), status, bytes, ms */
                struct timespec t1;
                long ms;
                clock_gettime(CLOCK_MONOTONIC, &t1);
                ms = (long)(t1.tv_sec - rq->t0.tv_sec) * 1000 + (t1.tv_nsec - rq->t0.tv_nsec) / 1000000;
                fprintf(h->log, "%s %s %u %zu %ldms%s\n", rq->method, rq->route, rq->status, rq->sent, ms,
                        toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
                fflush(h->log);
        }
        pb_buf_release(&rq->body);
        pb_free(rq);
        *con_cls = NULL;
}

pb_err pb_http_start(struct pb_api *api, const struct pb_http_config *cfg, struct pb_http **ret,
                     struct pb_diag *reterr)
{
        struct sockaddr_in sa;
        struct pb_http *h;
        const union MHD_DaemonInfo *info;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons(cfg->port);
        if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1)
                return pb_diag_set(reterr, PB_ERR_INVALID, "listen", "not an IPv4 address");
        h = pb_calloc(1, sizeof(*h));
        if (!h)
                return PB_ERR_NOMEM;
        h->api = api;
        h->log = cfg->access_log;
        h->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, cfg->port, NULL,
                                NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
                                cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip,
                                MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory,
                                MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u, MHD_OPTION_STRICT_FOR_CLIENT, 1,
                                MHD_OPTION_NOTIFY_COMPLETED, request_done, h, MHD_OPTION_END);
        if (!h->d) {
                pb_free(h);
                return pb_diag_set(reterr, PB_ERR_IO, "listen", "cannot listen on that address and port");
        }
        info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? info->port : cfg->port;
        *ret = h;
        return PB_OK;
}

uint16_t pb_http_port(const struct pb_http *h)
{
        return h->port;
}

void pb_http_stop(struct pb_http *h)
{
        if (!h)
                return;
        MHD_stop_daemon(h->d);
        pb_free(h);
}
