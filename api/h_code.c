/**
 * @file POST /v1/elections/{id}/codes/contests: which contests a voter code is for, so that a
 * page asks a resident for the ballots of exactly those (docs/api.md, "Contests").  Body
 * {"code": "..."}; 200 {"contests": [ids, in the manifest's order]} for an issued, unspent code.
 *
 * The same callers as a cast (a kiosk token, or nobody from the web where the vote allows it) and
 * the same limits on failed voter codes (api/web.c per client address and overall; api/kiosk.c
 * per device token, up to its lock), so that asking is no better a way to guess codes than
 * casting.  Unlike a cast, a good code here does not forget the failures before it: a cast spends
 * its code, so a good code forgives once, while this code stays unspent and could otherwise be
 * asked between every two guesses.  Nothing is stored, nothing spent, and a device token's cast
 * is always given back.
 */
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"

static const struct pb_json_field lookup_fields[] = {
        { "code", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

/* Answer refusal @why (its status, reason and field). */
static void refuse(struct pb_api_ctx *c, enum pb_refusal why, const char *path)
{
        struct pb_diag d;

        pb_diag_clear(&d);
        pb_api_problem(c->resp, pb_diag_refuse(&d, why, path), NULL, &d);
}

/* 200 {"contests": [...]}: the ids of the contests in @set, in the manifest's order. */
static void reply_contests(struct pb_api_ctx *c, const struct pb_manifest *m,
                           const struct pb_contest_set *set)
{
        struct pb_buf b;
        struct pb_jw w;

        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "contests");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < m->n_contests; i++)
                if (pb_contest_set_has(set, i))
                        pb_jw_string(&w, m->contests[i].election->id);
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0)
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, 200, &b);
        pb_buf_release(&b);
}

/* A failed voter code (malformed or unknown), counted as a cast counts it. */
static void code_failed(struct pb_api_ctx *c, bool device)
{
        if (c->web)
                pb_api_web_outcome(c->api, c->req->client, true);
        if (device)
                pb_api_kiosk_code_failed(c->api, c->el, c->token.id);
}

/* Look up the code of the body in the snapshot @snap's election (answered). */
static void look_up(struct pb_api_ctx *c, struct pb_api_snap *snap, bool device)
{
        const struct pb_manifest *m = pb_box_snapshot_manifest(snap->box);
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "code"));
        uint8_t hash[PB_CODE_HASH_BYTES];
        struct pb_contest_set set;
        enum pb_code_state state;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (pb_api_period_refuse(c->api, m, &d)) {
                pb_api_problem(c->resp, d.code, NULL, &d); /* outside the voting period */
                return;
        }
        if (strlen(code) > 128) { /* as a cast: refused before any reading, not a guess */
                refuse(c, PB_REFUSAL_CODE_MALFORMED, "$.code");
                return;
        }
        r = pb_box_snapshot_code_hash(snap->box, code, strlen(code), hash, &d);
        if (r < 0) {
                if (d.refusal)
                        code_failed(c, device);
                pb_api_fail(c, r, &d);
                return;
        }
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_code_contests(c->el->box, hash, &state, &set, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0)
                pb_api_fail(c, r, &d);
        else if (state == PB_CODE_UNKNOWN)
                refuse(c, PB_REFUSAL_CODE_UNKNOWN, "$.code");
        else if (state == PB_CODE_SPENT)
                refuse(c, PB_REFUSAL_CODE_SPENT, "$.code");
        else
                reply_contests(c, m, &set);
        if (r == PB_OK && state == PB_CODE_UNKNOWN)
                code_failed(c, device);
}

void pb_h_code_contests(struct pb_api_ctx *c)
{
        bool device = c->token.election_token && (c->token.flags & PB_TOKEN_DEVICE);
        struct pb_api_snap *snap;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!pb_api_cast_admit(c, device))
                return;
        if (pb_json_check_object(c->json, lookup_fields, "$", &d) < 0) {
                pb_api_fail(c, PB_ERR_PARSE, &d);
        } else if (!(snap = pb_api_snap_acquire(c->el, &r))) {
                /* a draft (its contests may still change) is not open; no engine key: read-only */
                if (r == PB_ERR_STATE)
                        refuse(c, PB_REFUSAL_NOT_OPEN, NULL);
                else
                        pb_api_fail(c, r == PB_ERR_AUTH ? PB_ERR_BUSY : r, NULL);
        } else {
                look_up(c, snap, device);
                pb_api_snap_release(c->el, snap);
        }
        if (device) /* nothing is ever stored here: the kiosk's cast given back */
                pb_api_kiosk_refund(c->api, c->el, c->token.id);
}
