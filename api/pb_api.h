/** @file The HTTP API without sockets: a request in, a response out (tests drive it in-process). */
#ifndef PB_API_H
#define PB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballots/pb_box.h"
#include "engine/pb_buf.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"

/** A route admits the roles of the ballot box (enum pb_role) as bits; 0 means anyone. */
#define PB_API_ROLE_BIT(role) (1u << (role))

/** Limits (DESIGN.md §5.2, verifiability.md §6): every one explicit. */
struct pb_api_limits {
        size_t max_body_ballot; /* bytes of a ballot submission (16 KiB) */
        size_t max_body_admin;  /* bytes of an admin request such as a manifest (1 MiB) */
        unsigned max_codes;     /* voter codes per request (100,000) */
        unsigned writer_queue;  /* ballot submissions waiting for the writer; beyond: 503 (10,000) */
        unsigned max_exports;   /* audit bundles streaming at once; beyond: 503 (4; 0: the default) */
};

/** Defaults for struct pb_api_limits. */
void pb_api_limits_default(struct pb_api_limits *l);

/** One request, as the HTTP layer or a test hands it over.  Everything is borrowed. */
struct pb_api_request {
        const char *method;        /* "GET", "POST", ... */
        const char *path;          /* the URL path, as received (no query string) */
        const char *content_type;  /* NULL when absent */
        const char *authorization; /* NULL when absent */
        const char *if_none_match; /* NULL when absent (pages' assets answer 304 to their ETag) */
        const char *client;        /* the client's address ("192.0.2.7"), or NULL: web voting's limits */
        const char *origin;        /* the Origin header, or NULL (CORS) */
        const char *cors_method;   /* Access-Control-Request-Method of a preflight, or NULL */
        const char *body;          /* NULL or body_len bytes */
        size_t body_len;
        /* A response the writer thread completes later (a ballot waiting for COMMIT) is announced by
         * pb_api_dispatch() returning PB_API_PENDING; @done(@done_cls) is then called, from the
         * writer thread, once the response is filled, and the caller then completes it
         * (pb_api_response_complete) and sends it.  NULL: dispatch waits itself. */
        void (*done)(void *done_cls);
        void *done_cls;
};

struct pb_api_receipt;

/**
 * A body produced piece by piece (the audit bundle), sent in place of a response's @body.  The
 * response owns it until the HTTP layer takes it (it then frees it when the transfer ends, however
 * it ends); pb_api_response_release() frees one never taken.
 */
struct pb_api_stream {
        void *cls;     /* NULL: no stream */
        uint64_t size; /* bytes in all (Content-Length) */
        /* copy up to @cap (at least 1) next bytes to @buf, *ret_n 0 at the end; one thread at a time */
        pb_err (*read)(void *cls, char *buf, size_t cap, size_t *ret_n);
        void (*free)(void *cls); /* called once, for a stream read or not */
};

/** A response.  Caller storage: pb_api_response_init() / pb_api_response_release(). */
struct pb_api_response {
        unsigned status;                /* HTTP status */
        const char *content_type;       /* static */
        struct pb_buf body;             /* owned */
        unsigned retry_after;           /* seconds for a Retry-After header, 0 for none */
        char allow[32];                 /* Allow header for 405 ("GET, POST"), "" for none */
        const char *route;              /* static route pattern, for the access log ("-" when none matched) */
        char content_disposition[128];  /* "" or a Content-Disposition value (exports) */
        struct pb_api_receipt *receipt; /* owned: a receipt still to write out (pb_api_response_complete) */
        struct pb_api_stream stream;    /* owned when cls is set: the body, streamed (exports) */
        /* a page or asset built into the binary (api/h_pages.c): sent instead of @body */
        const unsigned char *static_body; /* static; NULL: @body is the answer */
        size_t static_len;
        const char *cache_control; /* static; NULL: "no-store" (every API answer and page) */
        const char *etag;          /* static quoted strong ETag, or NULL */
        const char *cors_origin;   /* an allowed Origin the answer names (the API's copy), or NULL */
        bool preflight;            /* a CORS preflight answered: @allow lists the methods */
};

void pb_api_response_init(struct pb_api_response *r);
void pb_api_response_release(struct pb_api_response *r);

/**
 * Finish a response the writer left for the caller's thread: write the JSON of the receipt of a
 * ballot it committed (signed already, one promise per batch).  Nothing to do for any other
 * response.  Call it before sending; pb_api_dispatch() does when it returns PB_API_DONE.
 */
void pb_api_response_complete(struct pb_api_response *r);

/**
 * Fill @r as an RFC 9457 problem document: `{"detail","field","reason","status","title","type"}`,
 * type `tag:pbvote.org,2026:error/<name>` with the error registry's name and status for @code, and
 * nothing else (docs/errors.md).  @d may be NULL; its path becomes "field", its refusal "reason",
 * its reason the detail (else @detail, else the registry's message).
 */
void pb_api_problem(struct pb_api_response *r, pb_err code, const char *detail, const struct pb_diag *d);

/** The API: configuration, the elections it serves, the writer thread.  Opaque. */
struct pb_api;

/** Server configuration.  Strings are borrowed for the call to pb_api_new() (copied); keys are
 *  borrowed for the API's lifetime. */
struct pb_api_config {
        struct pb_api_limits limits;
        const char *version;                /* for GET /v1/health ("pbvote 0.1.0") */
        const char *data_dir;               /* the elections: DATA_DIR/<election id>.db */
        const struct pb_key_secret *engine; /* signs receipts, checkpoints, close statements, results */
        const struct pb_key_secret *office; /* signs the manifest at open; NULL: open from the command line */
        /* ballot boxes open at once at most (3 file descriptors each: the database, its WAL and
         * shared memory), from the open-file limit; 0: no limit.  Beyond, a box is unavailable at
         * start and a create is refused (503) */
        unsigned max_elections;
        /* milliseconds of a monotonic clock, for per-kiosk limits and the token cache; NULL:
         * CLOCK_MONOTONIC (tests step a clock of their own) */
        uint64_t (*clock_ms)(void);
        /* seconds since 1970-01-01 UTC, for the manifests' voting periods (api.md, "The voting
         * period"); NULL: time(NULL) (tests step a clock of their own) */
        int64_t (*wall_s)(void);
        /* origins whose pages may call the API from a browser (CORS; docs/api.md): "https://city.example",
         * scheme and host and optional port, nothing else; copied.  None by default: the pages pbvote
         * serves itself are same-origin. */
        const char *const *cors_origins;
        size_t n_cors_origins;
};

/** True if @s can be a CORS origin: http or https, a host, an optional port, no path. */
bool pb_api_origin_is_valid(const char *s);

/**
 * Create the API: open every election of @cfg->data_dir (recovering each, pb_box_open), attach the
 * engine key, start the writer thread.  A box that cannot be opened does not stop the server: its
 * election is listed as unavailable and its routes answer 503 with the reason (also logged on
 * stderr).  libsodium must be initialised (sodium_init()) first.
 * @ret owned by the caller (pb_api_free).
 * @return PB_OK, PB_ERR_IO (no such folder), PB_ERR_INVALID (a CORS origin that is not one), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_api_new(const struct pb_api_config *cfg, struct pb_api **ret, struct pb_diag *reterr);
/** Stop the writer (answering what is queued), close every election, free @api.  Accepts NULL. */
void pb_api_free(struct pb_api *api);
/** Body limit of the route @method @path takes (0: no body allowed), so that the HTTP layer can
 *  refuse an oversized upload before reading it. */
size_t pb_api_body_limit(const struct pb_api *api, const char *method, const char *path);

/** One route as served, for docs and tests (docs/openapi.yaml must list the same). */
struct pb_api_route_info {
        const char *method;
        const char *pattern; /* "/v1/elections/{id}/ballots" */
        unsigned roles;      /* PB_API_ROLE_BIT()s admitted; 0: anyone */
        bool takes_body;     /* a JSON body (required or optional) */
        bool body_required;
        const char *summary;
};

/** The @i-th route (0-based); false past the last. */
bool pb_api_route_info(size_t i, struct pb_api_route_info *ret);

enum pb_api_outcome { PB_API_DONE, PB_API_PENDING };

/**
 * Handle one complete request: validate the path and method, authenticate, check the election's
 * state, check the content type and parse the body strictly, run the route's handler, and fill
 * @resp (never left empty: every failure is a problem document naming the offending field).
 * Thread-safe.  A ballot submission is queued for the writer thread: with @req->done set the call
 * returns PB_API_PENDING at once and @req->done runs when @resp is ready (after COMMIT) to be
 * completed (pb_api_response_complete); without it the call waits, and returns @resp complete.
 * @req and @resp must stay valid until then.  An export's body is @resp->stream (not @resp->body):
 * the caller reads it through stream.read or leaves it to pb_api_response_release().
 */
enum pb_api_outcome pb_api_dispatch(struct pb_api *api, const struct pb_api_request *req,
                                    struct pb_api_response *resp);

#endif
