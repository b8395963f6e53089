/** @file The libmicrohttpd daemon in front of pb_api_dispatch(). */
#ifndef PB_HTTP_H
#define PB_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "api/pb_api.h"
#include "engine/pb_err.h"

/** Connection limits (verifiability.md §6.6): libmicrohttpd's defaults are unsafe, so each is set. */
struct pb_http_config {
        const char *host;         /* IPv4 address to bind ("127.0.0.1") */
        uint16_t port;            /* 0: any free port (see pb_http_port) */
        unsigned threads;         /* polling threads (2) */
        unsigned max_connections; /* all clients together (512) */
        unsigned max_per_ip;      /* per client address (64; a reverse proxy is one address) */
        unsigned timeout_s;       /* idle connection timeout, seconds (15) */
        unsigned
                request_timeout_s; /* a whole request must arrive within this (10): slow clients are dropped */
        size_t connection_memory;  /* per-connection buffer for the request line and headers (32 KiB) */
        FILE *access_log;          /* one line per request, or NULL; never bodies, tokens or codes */
};

void pb_http_config_default(struct pb_http_config *c);

/** Content-Security-Policy of every response (docs/pages.md): the pages load scripts, styles,
 *  images and data from this server only, are never framed, and post forms nowhere else. */
#define PB_HTTP_CSP "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

struct pb_http;

/**
 * Start serving @api (borrowed: it must outlive the daemon).
 * @return PB_OK, PB_ERR_IO (cannot bind: reterr says so), PB_ERR_NOMEM, PB_ERR_INVALID (bad host)
 */
PB_NODISCARD pb_err pb_http_start(struct pb_api *api, const struct pb_http_config *cfg, struct pb_http **ret,
                                  struct pb_diag *reterr);
/** The port actually bound. */
uint16_t pb_http_port(const struct pb_http *h);
/**
 * Stop listening: new connections are refused (the kernel's backlog of ones not yet accepted is
 * reset), the open ones are served on.  The first step of a clean stop (`pbvote serve` on SIGTERM).
 */
void pb_http_quiesce(struct pb_http *h);
/**
 * Wait until no request is in progress (from its first byte read to its response sent), or
 * @timeout_ms passed.  @return true when none is.
 */
bool pb_http_drain(struct pb_http *h, unsigned timeout_ms);
/**
 * Stop and free (accepts NULL): every connection is closed, answered or not.  Waits for handlers
 * in progress.  A clean stop first quiesces, drains the requests, drains the API's writer
 * (pb_api_drain) so every queued ballot is committed and answered, and drains again.
 */
void pb_http_stop(struct pb_http *h);

#endif
