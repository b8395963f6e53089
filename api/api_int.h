/** @file Private to api/: the server state, the per-request context, the route table, the handlers. */
#ifndef PB_API_INT_H
#define PB_API_INT_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sys/types.h>

#include "api/pb_api.h"
#include "ballots/pb_box.h"
#include "formats/pb_json_ballot.h"
#include "formats/pb_json.h"

/** A box snapshot shared by the request threads that prepare ballots with it (refcounted). */
struct pb_api_snap {
        struct pb_box_snapshot *box;
        bool final;    /* taken once the election had left draft: its manifest can no longer change */
        unsigned refs; /* under the election's snap_lock */
};

#define PB_API_REASON_MAX 160

/** One election the server serves: its ballot box and the lock every use of it takes. */
struct pb_api_election {
        char id[65];
        struct pb_box *box; /* NULL: unavailable (its box could not be opened), see below */
        /* the file served: its identity when opened, so that a file removed (or replaced) behind the
         * server's back is noticed (store.c), and when it was last looked at (ms, the API's clock) */
        dev_t dev;
        ino_t ino;
        uint64_t seen_ms;
        pb_err unavailable; /* why not, when box is NULL: its routes answer 503 with @reason */
        char reason[PB_API_REASON_MAX];
        pthread_mutex_t lock; /* the box's statements are not shareable between threads */
        /* the box's preparation inputs, for request threads (prepare ballots off the writer) */
        pthread_mutex_t snap_lock;
        struct pb_api_snap *snap; /* NULL until first needed */
        /* double entry of paper ballots (paper.c): the first entries awaiting a second officer's */
        pthread_mutex_t entry_lock;
        struct pb_api_entry *entries;
        size_t n_entries, cap_entries;
        uint64_t entries_differed; /* second entries refused because they differed */
};

/** A paper's first entry under double entry, held until another officer keys it (paper.c). */
struct pb_api_entry {
        uint8_t code_hash[PB_CODE_HASH_BYTES]; /* the paper's voter code, hashed as the box does */
        char batch[PB_CVR_BATCH_MAX + 1];
        char officer[PB_TOKEN_ID_LEN + 1]; /* who keyed it: the officer token's public id */
        struct pb_buf canon;               /* owned: what was keyed, per contest (paper.c) */
};

/** At most this many first entries held per election; beyond, 503 until second entries come. */
#define PB_API_ENTRIES_MAX 10000

/** Take a reference to a snapshot of the election taken after it left draft (a draft's manifest,
 *  so the meaning of a project index, may still change, also by another process), making one
 *  first if needed.  NULL when none can be made (*ret_err says why; PB_ERR_STATE: the election
 *  is still a draft).  Never call with el->lock held. */
struct pb_api_snap *pb_api_snap_acquire(struct pb_api_election *el, pb_err *ret_err);
void pb_api_snap_release(struct pb_api_election *el, struct pb_api_snap *s);
/** Replace the snapshot when the box's inputs changed since, or when it was taken in draft (then
 *  the box first takes in what other processes committed) (el->lock held).  A failure only leaves
 *  the older snapshot (or none) in place: a ballot prepared from it is prepared again. */
pb_err pb_api_snap_refresh(struct pb_api_election *el);
/** Drop the snapshot (at shutdown, when no request runs). */
void pb_api_snap_drop(struct pb_api_election *el);

/** A committed ballot's receipt (signed by the writer, one promise per batch), written out as
 *  JSON on the request's thread (pb_api_response_complete). */
struct pb_api_receipt {
        struct pb_receipt receipt;
        bool replayed; /* a retried submission: 200 instead of 201 */
        char election[65];
};

/** Under load the writer waits up to PB_API_WRITER_LINGER_US for this many queued ballots before
 *  it casts a smaller batch (writer.c, linger()). */
#define PB_API_WRITER_LINGER_MIN 32
#define PB_API_WRITER_LINGER_US 1000

#define PB_API_CLIENT_MAX 48 /* an IPv6 address in text, with its NUL */

/** A ballot waiting for the writer thread. */
struct pb_api_job {
        struct pb_api_election *el;
        struct pb_submission sub;    /* its ballots and code are owned by the job */
        struct pb_box_prepared prep; /* owned: prepared on the request's thread when it could be */
        bool web;                    /* cast from the web with the voter code alone: its client */
        char client[PB_API_CLIENT_MAX];
        bool device; /* cast by a device token (per-kiosk limits): its id */
        char token_id[PB_TOKEN_ID_LEN + 1];
        char *code;
        struct pb_vote_ballots ballots;         /* owned: the ballots sub points into */
        struct pb_cvr_paper paper;              /* an officer's paper ballot: sub.paper, into the two below */
        char batch[PB_CVR_BATCH_MAX + 1];       /* its batch; its officer is token_id */
        char officers[2 * PB_TOKEN_ID_LEN + 2]; /* double entry: "<first>+<second>", the CVR's officer */
        struct pb_diag refused; /* sub.refused: the ballot's JSON refused, counted by the box */
        struct pb_api_response *resp;
        void (*done)(void *cls);
        void *done_cls;
        bool finished; /* for pb_api_dispatch's own wait */
};

/** What the credentials of a request are, beyond their roles. */
struct pb_api_token {
        bool election_token;            /* one of the election's tokens (not a server admin's) */
        char id[PB_TOKEN_ID_LEN + 1];   /* its public id */
        unsigned flags;                 /* PB_TOKEN_DEVICE, PB_TOKEN_LOCKED (as of the cached verdict) */
        bool restricted;                /* a kiosk for some contests only (pbvote token create --contest): */
        struct pb_contest_set contests; /* those contests */
};

/** Per-kiosk state of a device token (kiosk.c). */
struct pb_api_kiosk;
/** Failed voter codes of one client address that voted from the web (web.c). */
struct pb_api_web_client;

struct pb_api {
        struct pb_api_limits limits;
        uint64_t (*clock_ms)(void);
        int64_t (*wall_s)(void);      /* the voting periods' clock (period.c) */
        struct pb_api_kiosk **kiosks; /* hash table of kiosk_buckets chains, guarded by kiosks_lock */
        size_t kiosk_buckets, n_kiosks;
        pthread_mutex_t kiosks_lock;
        /* web voting's limits (web.c): failed codes per client address and overall */
        struct pb_api_web_client **web_clients; /* buckets of chained entries, guarded by web_lock */
        size_t n_web_clients;
        uint64_t web_tat; /* overall failures: when the allowance is whole again (GCRA, ms) */
        pthread_mutex_t web_lock;
        unsigned exports; /* audit bundles streaming now (limits.max_exports at most), atomic */
        char version[64];
        char *data_dir;
        char **cors_origins; /* owned copies of the allowed origins (CORS, cors.c) */
        size_t n_cors_origins;
        unsigned max_elections; /* boxes open at once at most (the open-file limit); 0: no limit */
        size_t n_open;          /* elections with an open box (under elections_lock) */
        const struct pb_key_secret *engine;
        const struct pb_key_secret *office;

        pthread_rwlock_t elections_lock; /* guards the lists below (creation adds to it) */
        struct pb_api_election **elections;
        size_t n_elections, elections_cap;
        /* elections no longer served (deleted drafts, files removed behind the server's back): kept,
         * box and all, until the server stops, since a request that found one before may still use
         * it; never listed, never found */
        struct pb_api_election **retired;
        size_t n_retired, retired_cap;

        /* the writer: one thread, a bounded queue, group commit (pb_box_cast of a batch) */
        pthread_t writer;
        pthread_mutex_t q_lock;
        pthread_cond_t q_wake, q_done;
        struct pb_api_job **queue; /* ring of limits.writer_queue entries */
        size_t q_head, q_len;
        bool stopping; /* no more submissions; the writer leaves once the queue is empty */
        bool joined;   /* the writer and the replier have left (pb_api_writer_join) */

        /* the replier: signs each committed batch's promise and answers its requests, while the
         * writer goes on with the next batch (writer.c) */
        pthread_t replier;
        pthread_mutex_t r_lock;
        pthread_cond_t r_wake, r_room;
        struct pb_api_cast *r_head, *r_tail; /* committed batches, oldest first */
        size_t r_len;
        bool r_stopping;

        /* the voting periods' ticker: once a second, opens and closes elections at their times */
        pthread_t ticker;
        pthread_mutex_t t_lock;
        pthread_cond_t t_wake;
        bool t_stopping, t_running;
};

/** What a route accepts as a body. */
enum pb_api_body {
        PB_BODY_NONE,     /* no body (an empty one is fine) */
        PB_BODY_OPTIONAL, /* optional JSON, at most limits.max_body_ballot (tally's seed) */
        PB_BODY_BALLOT,   /* JSON, at most limits.max_body_ballot */
        PB_BODY_ADMIN     /* JSON, at most limits.max_body_admin */
};

#define PB_API_MAX_PARAMS 2
#define PB_API_PARAM_MAX 80

/** Everything one request owns while it is handled. */
struct pb_api_ctx {
        struct pb_api *api;
        const struct pb_api_request *req;
        struct pb_api_response *resp;
        char param[PB_API_MAX_PARAMS][PB_API_PARAM_MAX]; /* captured {id}, {commitment} or {short_code} */
        unsigned roles;                                  /* role bits the credentials grant */
        struct pb_api_election *el;                      /* the election of {id}, when the route has one */
        struct pb_api_token token;                       /* who the credentials are */
        cJSON *json;                                     /* parsed body, owned (deleted after) */
        bool web; /* no credentials, on a route and election that take web votes (issue 12) */
        enum pb_api_outcome outcome; /* PB_API_PENDING: a job owns resp now */
};

typedef void (*pb_api_handler)(struct pb_api_ctx *c);

struct pb_api_route {
        const char *method;
        const char *pattern; /* "/v1/elections/{id}/ballots" */
        unsigned roles;      /* PB_API_ROLE_BIT()s admitted; 0: anyone */
        enum pb_api_body body;
        pb_api_handler fn;
        const char *summary; /* one line, for docs and the route listing */
        bool web;            /* without credentials too, when the election allows web voting */
};

/** The route table (routes.c), terminated by a NULL method. */
extern const struct pb_api_route pb_api_routes[];

/** Match @method and @path; NULL when no route.  When the path matches routes with other methods
 *  only, @allow (32 bytes) lists them ("GET, POST") for a 405.  Fills @c->param. */
const struct pb_api_route *pb_api_route_find(const char *method, const char *path, struct pb_api_ctx *c,
                                             char allow[32]);

/* store.c: the elections */
/** Open every DATA_DIR/<id>.db.  One that cannot be opened (damaged, not a ballot box, another
 *  engine key, a file name that is not its id, beyond max_elections) is kept as unavailable with
 *  its reason, logged on stderr, and the others are served.  PB_ERR_IO (no folder), PB_ERR_NOMEM. */
PB_NODISCARD pb_err pb_api_store_load(struct pb_api *api, struct pb_diag *reterr);
void pb_api_store_close(struct pb_api *api);
/** The election @id, or NULL.  Valid for the API's lifetime (an election no longer served is kept
 *  until the API is freed).  An election whose file was removed or replaced since it was opened
 *  (looked at once a second at most) is retired first, and not found. */
struct pb_api_election *pb_api_store_find(struct pb_api *api, const char *id);
/** Retire every election whose file was removed or replaced (before listing them). */
void pb_api_store_sweep(struct pb_api *api);
/** Stop serving @el: off the list, kept until the API is freed (a delete, a file gone).  PB_ERR_NOMEM. */
PB_NODISCARD pb_err pb_api_store_retire(struct pb_api *api, struct pb_api_election *el);
/** DATA_DIR/<id>.db of @el into @out (4096 bytes). */
void pb_api_store_path(const struct pb_api *api, const struct pb_api_election *el, char *out, size_t cap);
/** Create DATA_DIR/<id>.db from @m (borrowed) and serve it.  PB_ERR_CONFLICT when it exists,
 *  PB_ERR_BUSY when the server holds max_elections boxes already or the process is out of file
 *  descriptors; a failed create leaves no file behind. */
PB_NODISCARD pb_err pb_api_store_create(struct pb_api *api, const struct pb_manifest *m,
                                        struct pb_api_election **ret, struct pb_diag *reterr);

/* period.c: the voting period by the server's clock */
/** time(NULL): the default of pb_api_config.wall_s. */
int64_t pb_api_wall_s(void);
/** True when the manifest's voting period refuses a ballot now (@d: period_not_started or
 *  period_over); false without a period or within it. */
bool pb_api_period_refuse(const struct pb_api *api, const struct pb_manifest *m, struct pb_diag *d);
/** Open the drafts whose period has started (when the server holds the office key) and close the
 *  open or suspended elections whose period has ended, each under its lock. */
void pb_api_period_tick(struct pb_api *api);
/** Start and stop the thread that runs pb_api_period_tick() once a second. */
PB_NODISCARD pb_err pb_api_period_start(struct pb_api *api);
void pb_api_period_stop(struct pb_api *api);

/* auth.c: credentials -> role bits (server admin tokens in DATA_DIR/admin.tokens, or the election's) */
unsigned pb_api_roles(struct pb_api *api, const char *authorization, struct pb_api_election *el,
                      struct pb_api_token *ret_token);
/** Forget the cached verdicts of @el's token @id (its flags changed). */
void pb_api_auth_forget(const struct pb_api_election *el, const char *id);

/** CLOCK_MONOTONIC in milliseconds: the API's clock unless the configuration gives one. */
uint64_t pb_api_monotonic_ms(void);

/* kiosk.c: per-kiosk limits of device tokens (docs/api.md, "Limits") */
#define PB_KIOSK_BURST 3         /* casts at once */
#define PB_KIOSK_PERIOD_MS 10000 /* then one per period */
#define PB_KIOSK_BACKOFF_AFTER 5 /* failed codes in a row before the back-off */
#define PB_KIOSK_LOCK_AT 20      /* failed codes in a row that lock the kiosk */

enum pb_kiosk_verdict {
        PB_KIOSK_ADMIT,   /* go on */
        PB_KIOSK_RATE,    /* over its cast rate: 429, Retry-After */
        PB_KIOSK_BACKOFF, /* failed codes: 429, Retry-After */
        PB_KIOSK_LOCKED,  /* locked: 403 until unlocked */
        PB_KIOSK_NOMEM,   /* no memory for its state: 503, Retry-After */
};
PB_NODISCARD pb_err pb_api_kiosks_init(struct pb_api *api);
void pb_api_kiosks_free(struct pb_api *api);
/** May this device token cast now?  Takes one cast from its bucket when it may; *ret_retry_s is the
 *  wait in seconds for PB_KIOSK_RATE and PB_KIOSK_BACKOFF. */
enum pb_kiosk_verdict pb_api_kiosk_admit(struct pb_api *api, const struct pb_api_election *el,
                                         const struct pb_api_token *t, unsigned *ret_retry_s);
/** What became of its cast: @code_failed for an unknown or malformed voter code.  True when this
 *  failure locks the kiosk (the caller stores the lock). */
bool pb_api_kiosk_outcome(struct pb_api *api, const struct pb_api_election *el, const char *id,
                          bool code_failed);

/** A failed voter code (unknown or malformed) of device token @id: counted as
 *  pb_api_kiosk_outcome() counts it, and the lock it may bring stored in the box (takes
 *  @el->lock: the caller must not hold it). */
void pb_api_kiosk_code_failed(struct pb_api *api, struct pb_api_election *el, const char *id);

/** Give back the cast a device token was admitted for when nothing was stored (a refused code
 *  or ballot): the cast rate limits ballots, and a resident's mistakes must not make the next
 *  resident wait (issue 12). */
void pb_api_kiosk_refund(struct pb_api *api, const struct pb_api_election *el, const char *id);

/* web.c: voting from home with the voter code alone (docs/api.md, "Limits", issue 12) */
#define PB_WEB_BACKOFF_AFTER 5       /* failed codes in a row from one address before it waits */
#define PB_WEB_BACKOFF_MAX_S 3600    /* the longest an address waits (no lock: addresses are shared) */
#define PB_WEB_FAILS_BURST 600       /* failed codes from all addresses at once... */
#define PB_WEB_FAIL_PERIOD_MS 100    /* ...then one per 100 ms (10 a second) */
#define PB_WEB_CLIENTS_MAX 65536     /* addresses remembered; the oldest go first */
#define PB_WEB_FORGET_MS 86400000ull /* an address's failures are forgotten after a day without one */

enum pb_web_verdict {
        PB_WEB_ADMIT,   /* go on */
        PB_WEB_BACKOFF, /* this address failed too often: 429, Retry-After */
        PB_WEB_BUSY,    /* too many failed codes from everyone: 429, Retry-After */
};
PB_NODISCARD pb_err pb_api_web_init(struct pb_api *api);
void pb_api_web_free(struct pb_api *api);
/** Does @el take votes from the web (its manifest's web_voting)?  False for a draft or a box that
 *  cannot be read. */
bool pb_api_web_allowed(struct pb_api_election *el);
/** May @client cast from the web now?  *ret_retry_s: the wait for the other verdicts. */
enum pb_web_verdict pb_api_web_admit(struct pb_api *api, const char *client, unsigned *ret_retry_s);
/** What became of @client's web cast: @code_failed for an unknown or malformed voter code. */
void pb_api_web_outcome(struct pb_api *api, const char *client, bool code_failed);

/* writer.c */
PB_NODISCARD pb_err pb_api_writer_start(struct pb_api *api);
/* Stop taking ballots, cast and answer the queued ones, join the writer and the replier (once). */
void pb_api_writer_join(struct pb_api *api);
void pb_api_writer_stop(struct pb_api *api);
/** Queue @job; PB_ERR_BUSY when the queue is full (the caller answers 503 with Retry-After). */
PB_NODISCARD pb_err pb_api_writer_submit(struct pb_api *api, struct pb_api_job *job);
void pb_api_job_free(struct pb_api_job *job);

/* cors.c: other origins' pages calling the API (docs/api.md, "CORS") */
PB_NODISCARD pb_err pb_api_cors_init(struct pb_api *api, const struct pb_api_config *cfg,
                                     struct pb_diag *reterr);
void pb_api_cors_free(struct pb_api *api);
/** Answer a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): true when
 *  @req is one (answered); else name an allowed Origin in @resp (Access-Control-Allow-Origin). */
bool pb_api_cors(struct pb_api *api, const struct pb_api_request *req, struct pb_api_response *resp);

/* h_pages.c: the pages and their assets (every path outside /v1/) */
/** Answer @req when its path is a page's (anything outside /v1/): true when it did. */
bool pb_api_pages(const struct pb_api_request *req, struct pb_api_response *resp);
struct pb_web_asset;
/** The built-in asset at @path ("/js/app.js"), or NULL. */
const struct pb_web_asset *pb_web_find(const char *path);

/* replies */
void pb_api_reply_json(struct pb_api_ctx *c, unsigned status, const struct pb_buf *body);
/** A problem for error @code with @d (pb_api_problem()). */
void pb_api_fail(struct pb_api_ctx *c, pb_err code, const struct pb_diag *d);

/* handlers (h_*.c) */
void pb_h_health(struct pb_api_ctx *c);
void pb_h_elections_create(struct pb_api_ctx *c);
void pb_h_elections_list(struct pb_api_ctx *c);
void pb_h_election_get(struct pb_api_ctx *c);
void pb_h_election_put(struct pb_api_ctx *c);
void pb_h_election_delete(struct pb_api_ctx *c);
void pb_h_election_open(struct pb_api_ctx *c);
void pb_h_election_suspend(struct pb_api_ctx *c);
void pb_h_election_resume(struct pb_api_ctx *c);
void pb_h_election_close(struct pb_api_ctx *c);
void pb_h_codes(struct pb_api_ctx *c);
void pb_h_ballots(struct pb_api_ctx *c);
void pb_h_code_contests(struct pb_api_ctx *c);
/** The limits a submission passes before anything is read (docs/api.md, "Limits"): failed voter
 *  codes per client address and overall from the web (@c->web), and a @device token's per-kiosk
 *  limits, which take one cast from its bucket (give it back with pb_api_kiosk_refund() when
 *  nothing is stored).  False when refused: the refusal is answered. */
bool pb_api_cast_admit(struct pb_api_ctx *c, bool device);
void pb_h_paper(struct pb_api_ctx *c);

/** What the paper route does with an officer's prepared entry (paper.c). */
enum pb_api_entry_step {
        PB_API_ENTRY_CAST,     /* cast it (a vote without double entry, or two entries alike) */
        PB_API_ENTRY_ANSWERED, /* held as a first entry (202), or refused: answered */
};
/** Double entry of @job, an officer's paper of vote @m, prepared (job->prep) from the box's snapshot:
 *  see paper.c.  When both entries agree, job->paper.officer names both officers. */
enum pb_api_entry_step pb_api_paper_double(struct pb_api_ctx *c, const struct pb_manifest *m,
                                           struct pb_api_job *job);
/** The first entries held and the second entries refused as different, for turnout. */
void pb_api_paper_counts(struct pb_api_election *el, uint64_t *ret_held, uint64_t *ret_differed);
/** Free the held entries (when the election is freed). */
void pb_api_paper_free(struct pb_api_election *el);
void pb_h_receipt(struct pb_api_ctx *c);
void pb_h_receipt_short(struct pb_api_ctx *c);
void pb_h_checkpoint(struct pb_api_ctx *c);
void pb_h_turnout(struct pb_api_ctx *c);
void pb_h_tally(struct pb_api_ctx *c);
void pb_h_result(struct pb_api_ctx *c);
void pb_h_export(struct pb_api_ctx *c);
/** GET .../pabulib/{contest}: the ballots of a contest as a pabulib file, once counted. */
void pb_h_pabulib(struct pb_api_ctx *c);

#endif
