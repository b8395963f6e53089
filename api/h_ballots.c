/**
 * @file POST /v1/elections/{id}/ballots: a kiosk's ballot submission, checked here for shape and
 * handed to the writer (group commit).  Body (docs/api.md):
 *   {"code": "...", "submission_id": "<32 hex>", "ballot": {"approvals": [ids]}}   approval, choose-1
 *                                                   {"ranking": [ids]}             ordinal
 *                                                   {"points": {id: n, ...}}       cumulative, scoring
 * or, one ballot per contest of a vote of several contests (a vote of one contest takes it too):
 *   {"code": "...", "submission_id": "<32 hex>", "ballots": {"<contest id>": {...}, ...}}
 * The ballot's rules (lengths, limits, points) and which contests the code is for are checked by
 * the ballot box, strictly.
 *
 * POST /v1/elections/{id}/paper: an officer enters a paper ballot the same way (channel paper), with
 * its "batch"; a contest's paper may be {"blank": true} or {"spoiled": true}, recorded as such.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_refusal.h"
#include "formats/pb_json_ballot.h"

static void bad(struct pb_api_ctx *c, pb_err code, const char *path, const char *why)
{
        struct pb_diag d;

        pb_diag_clear(&d);
        pb_diag_set(&d, code, path, why);
        pb_api_fail(c, code, &d);
}

/* Refuse the submission with @why (its reason, code and status), @detail when the refusal's own
 * message is not specific enough, and Retry-After @retry_after seconds when not 0. */
static void refuse(struct pb_api_ctx *c, enum pb_refusal why, const char *detail, unsigned retry_after)
{
        struct pb_diag d;

        pb_diag_clear(&d);
        pb_diag_refuse(&d, why, NULL);
        if (detail)
                d.reason = detail;
        pb_api_problem(c->resp, d.code, NULL, &d);
        c->resp->retry_after = retry_after;
}

/* The "ballot" of a vote of one contest, read as the ballot box reads CVRs (formats/json_ballot.c):
 * exactly the one member its vote type uses, known projects, each once; a @paper's may be a mark. */
static pb_err read_one(const struct pb_manifest *m, const cJSON *b, bool paper, struct pb_api_job *job,
                       struct pb_diag *d)
{
        const struct pb_election *e = m->contests[0].election;
        size_t n = 0;
        pb_err r;

        if (m->n_contests > 1) {
                pb_diag_refuse(d, PB_REFUSAL_BALLOT_MALFORMED, "$.ballot");
                d->reason = "this vote has several contests: send \"ballots\", a ballot per contest";
                return d->code;
        }
        if (paper) {
                r = pb_vote_paper_read(m, b, "$.ballot", true, &job->ballots, d);
                job->sub.ballots = job->ballots.part;
                job->sub.n_ballots = job->ballots.n;
                job->sub.as_ballot = true;
                return r;
        }
        r = pb_ballot_json_read(e, b, "$.ballot", job->ballots.items, job->ballots.points, &n, d);
        if (r < 0)
                return r;
        job->sub.items = job->ballots.items;
        job->sub.points = pb_vote_type_has_points(e->vote_type) ? job->ballots.points : NULL;
        job->sub.n = n;
        return PB_OK;
}

/* The ballot ("ballot") or ballots ("ballots", one per contest) of the body, exactly one of the two.
 * A refusal names its reason. */
static bool read_ballots(struct pb_api_ctx *c, const struct pb_manifest *m, bool paper,
                         struct pb_api_job *job)
{
        const cJSON *one = cJSON_GetObjectItemCaseSensitive(c->json, "ballot");
        const cJSON *many = cJSON_GetObjectItemCaseSensitive(c->json, "ballots");
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (pb_vote_ballots_init(&job->ballots, m) < 0) {
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                return false;
        }
        if (!one == !many) {
                bad(c, PB_ERR_PARSE, "$",
                    one ? "either \"ballot\" or \"ballots\", not both"
                        : "missing \"ballots\" (or \"ballot\" for a vote of one contest)");
                return false;
        }
        if (one)
                r = read_one(m, one, paper, job, &d);
        else if (paper)
                r = pb_vote_paper_read(m, many, "$.ballots", false, &job->ballots, &d);
        else
                r = pb_vote_ballots_read(m, many, "$.ballots", &job->ballots, &d);
        if (r < 0) {
                d.subject[0] = '\0'; /* a project id from the ballot: content, never echoed */
                if (!d.refusal) {
                        pb_api_fail(c, r, &d);
                        return false;
                }
                /* a ballot refused for its content goes to the box all the same, which counts it in
                 * the turnout's rejected.invalid_ballot as every other invalid ballot (and answers
                 * with this diagnostic); nothing is stored, the code is not spent */
                job->refused = d;
                job->sub.refused = &job->refused;
                return true;
        }
        if (many) {
                job->sub.ballots = job->ballots.part;
                job->sub.n_ballots = job->ballots.n;
        }
        return true;
}

/* A kiosk restricted to some contests casts no ballot for another (the box checks the code's). */
static bool kiosk_allows(struct pb_api_ctx *c, const struct pb_manifest *m, const struct pb_api_job *job)
{
        const struct pb_contest_ballot *b = job->sub.ballots;
        size_t n = b ? job->sub.n_ballots : 1;
        struct pb_diag d;

        if (!c->token.restricted)
                return true;
        for (size_t i = 0; i < n; i++) {
                uint32_t k = b ? b[i].contest : 0;
                char path[PB_DIAG_PATH_MAX];

                if (pb_contest_set_has(&c->token.contests, k))
                        continue;
                snprintf(path, sizeof(path), "$.ballots[\"%s\"]", m->contests[k].election->id);
                pb_diag_clear(&d);
                pb_diag_refuse(&d, PB_REFUSAL_CONTEST_NOT_ALLOWED, b ? path : "$.ballot");
                d.reason = "this kiosk or officer token does not take ballots for this contest";
                pb_api_problem(c->resp, d.code, NULL, &d);
                return false;
        }
        return true;
}

/* A resident voting from home (no credentials, an election that allows it): the limits on failed
 * voter codes per client address and overall (api/web.c).  False when refused (answered). */
static bool web_admit(struct pb_api_ctx *c)
{
        unsigned wait = 0;

        switch (pb_api_web_admit(c->api, c->req->client, &wait)) {
        case PB_WEB_ADMIT: return true;
        case PB_WEB_BACKOFF:
                refuse(c, PB_REFUSAL_RATE_LIMITED,
                       "too many failed voter codes in a row from this address; wait", wait ? wait : 1);
                return false;
        case PB_WEB_BUSY:
                refuse(c, PB_REFUSAL_RATE_LIMITED, "too many failed voter codes from the web; wait",
                       wait ? wait : 1);
                return false;
        }
        return false;
}

/* One physical kiosk's token: its per-kiosk limits (docs/api.md, "Limits").  False when refused
 * (answered); when admitted, the kiosk's cast was taken from its bucket. */
static bool kiosk_admit(struct pb_api_ctx *c)
{
        unsigned wait = 0;

        switch (pb_api_kiosk_admit(c->api, c->el, &c->token, &wait)) {
        case PB_KIOSK_ADMIT: return true;
        case PB_KIOSK_LOCKED: refuse(c, PB_REFUSAL_KIOSK_LOCKED, NULL, 0); return false;
        case PB_KIOSK_RATE:
                refuse(c, PB_REFUSAL_RATE_LIMITED, "this kiosk casts faster than voters can",
                       wait ? wait : 1);
                return false;
        case PB_KIOSK_BACKOFF:
                refuse(c, PB_REFUSAL_RATE_LIMITED,
                       "too many failed voter codes in a row from this kiosk; wait", wait ? wait : 1);
                return false;
        case PB_KIOSK_NOMEM:
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                c->resp->retry_after = 1;
                return false;
        }
        return false;
}

bool pb_api_cast_admit(struct pb_api_ctx *c, bool device)
{
        if (c->web && !web_admit(c))
                return false;
        return !device || kiosk_admit(c);
}

/* A paper's batch, recorded in its CVR with the officer's token id (@job->paper).  False when
 * refused (answered). */
static bool read_batch(struct pb_api_ctx *c, struct pb_api_job *job)
{
        const char *batch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "batch"));
        size_t n = strlen(batch);

        for (size_t i = 0; i < n; i++)
                if (batch[i] < 0x20 || batch[i] > 0x7e || batch[i] == '"' || batch[i] == '\\')
                        n = 0;
        if (n == 0 || n > PB_CVR_BATCH_MAX) {
                bad(c, PB_ERR_PARSE, "$.batch",
                    "a batch is 1 to " PB_STRINGIFY(
                            PB_CVR_BATCH_MAX) " printable ASCII characters without '\"' or '\\\\'");
                return false;
        }
        memcpy(job->batch, batch, n + 1);
        job->paper = (struct pb_cvr_paper){ job->batch, job->token_id };
        job->sub.paper = &job->paper;
        return true;
}

/* The submission id (32 lowercase hex digits) into @job, and a code of a sane length.  False when
 * refused (answered). */
static bool read_ids(struct pb_api_ctx *c, const char *sid, const char *code, struct pb_api_job *job)
{
        struct pb_diag d;

        if (strlen(sid) != 32 || sodium_hex2bin(job->sub.submission_id, 16, sid, 32, NULL, NULL, NULL) != 0 ||
            strspn(sid, "0123456789abcdef") != 32) {
                bad(c, PB_ERR_PARSE, "$.submission_id", "expected 32 lowercase hex digits (128 random bits)");
                return false;
        }
        job->sub.has_submission_id = true;
        if (strlen(code) > 128) {
                pb_diag_clear(&d);
                pb_api_fail(c, pb_diag_refuse(&d, PB_REFUSAL_CODE_MALFORMED, "$.code"), &d);
                return false;
        }
        return true;
}

/* A submission of a kiosk or a resident (electronic, web), or of an officer (@paper). */
static void cast(struct pb_api_ctx *c, bool paper)
{
        const struct pb_manifest *m;
        struct pb_api_snap *snap = NULL;
        struct pb_api_job *job = NULL;
        struct pb_diag d;
        const char *code, *sid;
        bool async, device = c->token.election_token && (c->token.flags & PB_TOKEN_DEVICE);
        pb_err r;

        pb_diag_clear(&d);
        if (!pb_api_cast_admit(c, device))
                return;
        if (pb_json_check_object(c->json, paper ? pb_paper_submission_fields : pb_submission_fields, "$",
                                 &d) < 0) {
                pb_api_fail(c, PB_ERR_PARSE, &d);
                goto out;
        }
        code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "code"));
        sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "submission_id"));
        /* the election's projects and the keys to prepare with, as an immutable snapshot: the
         * box itself belongs to whoever holds its lock (the writer, most of the time) */
        snap = pb_api_snap_acquire(c->el, &r);
        if (!snap && r == PB_ERR_STATE) {
                /* a draft: its project list may still change, so no ballot is read against it; the
                 * same answer as the writer's for an election that is not open */
                pb_api_problem(c->resp, pb_diag_refuse(&d, PB_REFUSAL_NOT_OPEN, NULL), NULL, &d);
                goto out;
        }
        if (!snap) {
                pb_api_fail(c, r == PB_ERR_AUTH ? PB_ERR_BUSY : r, NULL); /* no engine key: read-only */
                goto out;
        }
        m = pb_box_snapshot_manifest(snap->box);
        if (pb_api_period_refuse(c->api, m, &d)) {
                /* outside the manifest's voting period, by the server's clock: nothing stored */
                pb_api_problem(c->resp, d.code, NULL, &d);
                goto out;
        }
        job = pb_calloc(1, sizeof(*job));
        if (!job) {
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                goto out;
        }
        if (!read_ids(c, sid, code, job))
                goto out;
        memcpy(job->token_id, c->token.id, sizeof(job->token_id));
        if (!read_ballots(c, m, paper, job) ||
            (!job->sub.refused && (!kiosk_allows(c, m, job) || (paper && !read_batch(c, job)))))
                goto out;
        job->code = pb_strndup(code, strlen(code));
        if (!job->code) {
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                goto out;
        }
        job->sub.code = job->code;
        job->sub.code_len = strlen(job->code);
        /* from home on pbvote's own page, or from a kiosk or a frontend with a kiosk token */
        job->sub.channel = paper ? PB_CHANNEL_PAPER : c->web ? PB_CHANNEL_WEB : PB_CHANNEL_ELECTRONIC;
        /* code hash, checks, CVR and commitment here, in parallel, rather than on the one writer */
        pb_box_prepare(snap->box, &job->sub, &job->prep);
        if (paper && pb_api_paper_double(c, m, job) == PB_API_ENTRY_ANSWERED)
                goto out; /* double entry: a first entry held, or the two differ (m is the snapshot's) */
        if (job->paper.officer == job->officers) {
                /* two entries agreed: the CVR names both officers, so it is written again */
                pb_box_prepared_release(&job->prep);
                pb_box_prepare(snap->box, &job->sub, &job->prep);
        }
        pb_api_snap_release(c->el, snap);
        snap = NULL;
        job->el = c->el;
        job->device = device;
        job->web = c->web;
        snprintf(job->client, sizeof(job->client), "%s", c->req->client ? c->req->client : "");
        /* counted by kiosk (turnout): the token's public id, as `pbvote token list` shows it */
        job->sub.kiosk = c->token.election_token ? job->token_id : NULL;
        job->resp = c->resp;
        job->done = c->req->done;
        job->done_cls = c->req->done_cls;
        async = job->done != NULL; /* read before submitting: the writer may free the job at once */
        r = pb_api_writer_submit(c->api, job);
        if (r == PB_ERR_BUSY) {
                refuse(c, PB_REFUSAL_BUSY, NULL, 1); /* the writer's queue is full */
                goto out;
        }
        if (async) {
                c->outcome = PB_API_PENDING; /* the writer owns the job and answers */
                return;
        }
        if (r == PB_OK)
                device = false; /* cast (dispatch waited for it): the writer counted it */
out:
        if (device) /* refused before the writer: nothing stored, the cast given back (issue 12) */
                pb_api_kiosk_refund(c->api, c->el, c->token.id);
        if (snap)
                pb_api_snap_release(c->el, snap);
        pb_api_job_free(job);
}

void pb_h_ballots(struct pb_api_ctx *c)
{
        cast(c, false);
}

void pb_h_paper(struct pb_api_ctx *c)
{
        cast(c, true);
}
