/** @file libmicrohttpd glue: limits, body collection with a cap, dispatch, access log. */
#include "api/pb_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/pb_alloc.h"

#define PB_HTTP_CLIENT_MAX 48 /* INET6_ADDRSTRLEN and some */

/*
 * Slow clients.  libmicrohttpd's timeout is per idle period, so a client sending a byte a second
 * never trips it (slowloris).  Every connection is therefore tracked, and a watchdog shuts down the
 * socket of one that has not delivered a complete request within request_timeout_s of connecting
 * or of its previous response.  Connections that are answering or waiting for the writer are exempt.
 */
struct conn {
        struct conn *prev, *next;
        int fd;
        time_t since; /* start of the current request (connect, or end of the previous response) */
        bool busy;    /* a request is being answered: the deadline does not apply */
        bool killed;
};

struct pb_http {
        struct MHD_Daemon *d;
        struct pb_api *api;
        FILE *log;
        uint16_t port;
        unsigned request_timeout_s;
        pthread_mutex_t lock; /* guards the connection list */
        struct conn head;     /* circular list sentinel */
        pthread_t watchdog;
        bool stopping;
        pthread_cond_t wake;
        unsigned active;        /* requests between their first byte and request_done (guarded by lock) */
        pthread_cond_t settled; /* signalled when active drops to 0 */
};

static time_t now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static struct conn *conn_of(struct MHD_Connection *con)
{
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return i ? i->socket_context : NULL;
}

static void set_busy(struct pb_http *h, struct MHD_Connection *con, bool busy)
{
        struct conn *c = conn_of(con);

        if (!c)
                return;
        pthread_mutex_lock(&h->lock);
        c->busy = busy;
        if (!busy)
                c->since = now_s();
        pthread_mutex_unlock(&h->lock);
}

static void notify_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
        struct pb_http *h = cls;
        struct conn *c = *socket_context;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *i =
                        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
                c = pb_calloc(1, sizeof(*c));
                if (!c)
                        return; /* untracked: it still has the idle timeout */
                c->fd = i ? i->connect_fd : -1;
                c->since = now_s();
                pthread_mutex_lock(&h->lock);
                c->next = h->head.next;
                c->prev = &h->head;
                h->head.next->prev = c;
                h->head.next = c;
                pthread_mutex_unlock(&h->lock);
                *socket_context = c;
        } else if (c) {
                pthread_mutex_lock(&h->lock);
                c->prev->next = c->next;
                c->next->prev = c->prev;
                pthread_mutex_unlock(&h->lock);
                pb_free(c);
                *socket_context = NULL;
        }
}

static void *watchdog(void *cls)
{
        struct pb_http *h = cls;

        pthread_mutex_lock(&h->lock);
        while (!h->stopping) {
                struct timespec until;
                time_t t = now_s();

                for (struct conn *c = h->head.next; c != &h->head; c = c->next)
                        if (!c->busy && !c->killed && c->fd >= 0 &&
                            t - c->since > (time_t)h->request_timeout_s) {
                                /* MHD sees the socket fail and closes the connection itself */
                                shutdown(c->fd, SHUT_RDWR);
                                c->killed = true;
                        }
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 250 * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&h->wake, &h->lock, &until);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

/* Per request: MHD's connection-context pointer holds it; request_done() frees it. */
struct req {
        struct pb_http *http;
        struct MHD_Connection *con;
        struct pb_api_response resp; /* filled by dispatch, or later by the writer thread */
        pthread_mutex_t m;           /* orders "writer answered" against "connection suspended" */
        bool pending, ready, suspended;
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
        c->request_timeout_s = 10;
        c->connection_memory = 32 * 1024;
}

/*
 * No percent-decoding: every route is plain ASCII ([A-Za-z0-9._-] ids, hex commitments), so a '%'
 * in a path is always a trick ("%00" would truncate the path, "%2e%2e" would climb) and the path,
 * kept as sent, simply matches no route.
 */
static size_t keep_escaped(void *cls, struct MHD_Connection *con, char *s)
{
        (void)cls;
        (void)con;
        return strlen(s);
}

/* A streamed body (an export) as libmicrohttpd reads it: from the connection's thread, in order. */
struct http_stream {
        struct pb_api_stream s;
        uint64_t pos; /* bytes given so far */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct http_stream *hs = cls;
        size_t n = 0;

        if (pos != hs->pos || !max || hs->s.read(hs->s.cls, buf, max, &n) < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR; /* the client sees a short body */
        hs->pos += n;
        return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* Called by libmicrohttpd once the response is done with, whether sent whole or not. */
static void stream_free(void *cls)
{
        struct http_stream *hs = cls;

        hs->s.free(hs->s.cls);
        pb_free(hs);
}

/* The response's stream, taken over by libmicrohttpd; NULL (the stream left to @r) on failure. */
static struct MHD_Response *stream_response(struct pb_api_response *r)
{
        struct http_stream *hs = pb_calloc(1, sizeof(*hs));
        struct MHD_Response *resp;

        if (!hs)
                return NULL;
        hs->s = r->stream;
        /* 16 KiB pieces: the connection's write buffer comes out of its 32 KiB memory pool */
        resp = MHD_create_response_from_callback(r->stream.size, 16 * 1024, stream_read, hs, stream_free);
        if (!resp) {
                pb_free(hs);
                return NULL;
        }
        memset(&r->stream, 0, sizeof(r->stream));
        return resp;
}

static enum MHD_Result send_response(struct MHD_Connection *con, struct req *rq, struct pb_api_response *r)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;
        size_t sent = r->stream.cls ? (size_t)r->stream.size : r->static_body ? r->static_len : r->body.len;

        if (r->stream.cls)
                resp = stream_response(r);
        else if (r->static_body) /* a built-in page or asset (api/h_pages.c): no copy */
                resp = MHD_create_response_from_buffer(r->static_len, (void *)r->static_body,
                                                       MHD_RESPMEM_PERSISTENT);
        else
                resp = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : (char *)"",
                                                       MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : "text/plain");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                r->cache_control ? r->cache_control : "no-store");
        if (r->etag)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
        if (r->cors_origin) { /* a page of an origin the operator allows (api/cors.c) */
                MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->cors_origin);
                MHD_add_response_header(resp, "Access-Control-Expose-Headers", "Retry-After");
        }
        if (r->preflight) {
                MHD_add_response_header(resp, "Access-Control-Allow-Methods", r->allow);
                MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
                MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
        }
        /* answers differ by Origin only for the API; a shared cache must keep them apart */
        MHD_add_response_header(resp, "Vary", "Origin");
        /* the pages (docs/pages.md): no script, style or request from anywhere but this server */
        MHD_add_response_header(resp, "Content-Security-Policy", PB_HTTP_CSP);
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (r->allow[0] && !r->preflight)
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
        set_busy(rq->http, con, true);
        rq->status = r->status;
        rq->route = r->route;
        rq->sent = sent;
        return ret;
}

/* A response decided before the body is read (too large, or an unknown route's body). */
static enum MHD_Result early_problem(struct MHD_Connection *con, struct req *rq, pb_err code, const char *why)
{
        struct pb_api_response r;
        enum MHD_Result ret;

        pb_api_response_init(&r);
        pb_api_problem(&r, code, why, NULL);
        ret = send_response(con, rq, &r);
        pb_api_response_release(&r);
        return ret;
}

/* The peer's address as text (web voting's limits per address), or NULL. */
static const char *client_address(struct MHD_Connection *con, char *buf, size_t cap)
{
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = i ? i->client_addr : NULL;

        if (!sa)
                return NULL;
        if (sa->sa_family == AF_INET)
                return inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                                 (socklen_t)cap);
        if (sa->sa_family == AF_INET6)
                return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                                 (socklen_t)cap);
        return NULL;
}

/* Called by the writer thread once rq->resp is filled. */
static void answered(void *cls)
{
        struct req *rq = cls;

        struct MHD_Connection *con;
        bool resume;

        /* Resume only after unlocking: once resumed, MHD may finish the request and free @rq at once.
         * A suspended connection is left alone by MHD, so @rq lives until the resume. */
        pthread_mutex_lock(&rq->m);
        rq->ready = true;
        resume = rq->suspended;
        con = rq->con;
        pthread_mutex_unlock(&rq->m);
        if (resume)
                MHD_resume_connection(con);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
        struct pb_http *h = cls;
        struct req *rq = *con_cls;
        struct pb_api_request q;
        char client[PB_HTTP_CLIENT_MAX];

        (void)version;
        if (!rq) {
                const char *cl;

                rq = pb_calloc(1, sizeof(*rq));
                if (!rq)
                        return MHD_NO;
                pb_buf_init(&rq->body, 0);
                pb_api_response_init(&rq->resp);
                pthread_mutex_init(&rq->m, NULL);
                rq->con = con;
                rq->http = h;
                clock_gettime(CLOCK_MONOTONIC, &rq->t0);
                snprintf(rq->method, sizeof(rq->method), "%s", method);
                rq->route = "-";
                *con_cls = rq;
                pthread_mutex_lock(&h->lock);
                h->active++;
                pthread_mutex_unlock(&h->lock);
                /* a route without a body still reads a small one, so that the API can name the error */
                rq->cap = pb_api_body_limit(h->api, method, url);
                if (rq->cap < 1024)
                        rq->cap = 1024;
                cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        char *end;
                        unsigned long long n = strtoull(cl, &end, 10);
                        if (*end || n > rq->cap)
                                return early_problem(con, rq, PB_ERR_LIMIT, "request body too large");
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
                return MHD_YES; /* answered already */
        if (rq->pending) {
                /* resumed: the writer filled the response after COMMIT; write the receipt here */
                pb_api_response_complete(&rq->resp);
                return send_response(con, rq, &rq->resp);
        }
        memset(&q, 0, sizeof(q));
        q.method = method;
        q.path = url;
        q.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        q.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        q.if_none_match = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        q.client = client_address(con, client, sizeof(client));
        q.origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
        q.cors_method = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Access-Control-Request-Method");
        q.body = rq->body.data;
        q.body_len = rq->body.len;
        q.done = answered;
        q.done_cls = rq;
        /* the request is whole: from here the deadline for slow clients does not apply, also while
         * a long synchronous route runs (the tally of 100,000 ballots took longer than the request
         * timeout, and the watchdog shut the socket before the answer: docs/reliability.md) */
        set_busy(h, con, true);
        if (pb_api_dispatch(h->api, &q, &rq->resp) == PB_API_DONE) {
                set_busy(h, con, false); /* answered now: a stop waits for busy connections only */
                return send_response(con, rq, &rq->resp);
        }
        /* the writer answers later: suspend, unless it has answered already (it can be that fast) */
        pthread_mutex_lock(&rq->m);
        rq->pending = true;
        if (!rq->ready) {
                rq->suspended = true;
                MHD_suspend_connection(con);
                pthread_mutex_unlock(&rq->m);
                return MHD_YES;
        }
        pthread_mutex_unlock(&rq->m);
        pb_api_response_complete(&rq->resp);
        return send_response(con, rq, &rq->resp);
}

static void request_done(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct pb_http *h = cls;
        struct req *rq = *con_cls;

        set_busy(h, con, false); /* the next request's deadline starts now */
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
        pb_api_response_release(&rq->resp);
        pthread_mutex_destroy(&rq->m);
        pb_free(rq);
        *con_cls = NULL;
        pthread_mutex_lock(&h->lock);
        if (!--h->active)
                pthread_cond_broadcast(&h->settled);
        pthread_mutex_unlock(&h->lock);
}

static void stop_watchdog(struct pb_http *h)
{
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->watchdog, NULL);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->wake);
        pthread_cond_destroy(&h->settled);
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
        h->request_timeout_s = cfg->request_timeout_s ? cfg->request_timeout_s : 10;
        h->head.next = h->head.prev = &h->head;
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->wake, NULL);
        pthread_cond_init(&h->settled, NULL);
        if (pthread_create(&h->watchdog, NULL, watchdog, h) != 0) {
                pthread_mutex_destroy(&h->lock);
                pthread_cond_destroy(&h->wake);
                pthread_cond_destroy(&h->settled);
                pb_free(h);
                return pb_diag_set(reterr, PB_ERR_NOMEM, "listen", "cannot start the watchdog thread");
        }
        h->d = MHD_start_daemon(
                /* MHD_USE_ITC: pb_http_quiesce() needs it in this threading mode */
                MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, cfg->port, NULL, NULL,
                handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
                cfg->threads, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory,
                MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u, MHD_OPTION_STRICT_FOR_CLIENT, 1,
                MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_NOTIFY_COMPLETED, request_done,
                h, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, h, MHD_OPTION_END);
        if (!h->d) {
                stop_watchdog(h);
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

void pb_http_quiesce(struct pb_http *h)
{
        MHD_socket s = MHD_quiesce_daemon(h->d);

        if (s != MHD_INVALID_SOCKET)
                close(s); /* ours once quiesced */
}

bool pb_http_drain(struct pb_http *h, unsigned timeout_ms)
{
        struct timespec until;
        bool idle;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&h->lock);
        while (h->active && pthread_cond_timedwait(&h->settled, &h->lock, &until) == 0)
                ;
        idle = !h->active;
        pthread_mutex_unlock(&h->lock);
        return idle;
}

void pb_http_stop(struct pb_http *h)
{
        if (!h)
                return;
        MHD_stop_daemon(h->d);
        stop_watchdog(h);
        pb_free(h);
}
