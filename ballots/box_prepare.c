/**
 * @file Preparing submissions before their cast: the code parsed and hashed, the ballot checked,
 * its CVR written, cvr_id and nonce drawn (or derived for a retry) and the commitment computed.
 * All of it needs only a few inputs of the box (election, pepper, retry key), so it can run on any
 * thread from a snapshot of them while the one writer casts (docs/ballot-box.md, "Casting").
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ballots/box_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_validate.h"

/** The immutable copy of a box's preparation inputs (pb_box_snapshot_take). */
struct pb_box_snapshot {
        struct box_prep_inputs in;
        struct pb_manifest *manifest; /* owned: in.election points into it */
        uint8_t *pepper;              /* sodium_malloc'd */
        uint8_t *retry_key;           /* sodium_malloc'd, or NULL */
};

void box_prep_inputs_of(const struct pb_box *b, struct box_prep_inputs *ret)
{
        ret->election = b->manifest->election;
        ret->pepper = b->pepper;
        ret->retry_key = b->retry_key;
        ret->legacy_idem = b->legacy_idem;
        ret->gen = b->prep_gen;
}

/* Key of the idem table that schema 1 and 2 wrote: the submission id hashed with the pepper.  Read
 * only for a box that still holds such records (legacy_idem: migrated while open). */
static void idem_key(const struct box_prep_inputs *in, const uint8_t sid[16], uint8_t ret[32])
{
        static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] = "pbv-idem-key/v1";

        crypto_generichash_blake2b_salt_personal(ret, 32, sid, 16, in->pepper, PB_CODE_KEY_BYTES, NULL,
                                                 personal);
}

/* BLAKE2b keyed with the retry key, personalised by @what, over the code hash, the submission id
 * and (for the request half of the tag) the ballot's fingerprint. */
static void retry_derive(const struct box_prep_inputs *in, const char what[16],
                         const struct pb_box_prepared *p, const uint8_t sid[16], bool with_request,
                         uint8_t *ret, size_t len)
{
        crypto_generichash_blake2b_state st;

        crypto_generichash_blake2b_init_salt_personal(&st, in->retry_key, BOX_RETRY_KEY_BYTES, len, NULL,
                                                      (const unsigned char *)what);
        crypto_generichash_blake2b_update(&st, p->code_hash, sizeof(p->code_hash));
        crypto_generichash_blake2b_update(&st, sid, 16);
        if (with_request)
                crypto_generichash_blake2b_update(&st, p->request, sizeof(p->request));
        crypto_generichash_blake2b_final(&st, ret, len);
        sodium_memzero(&st, sizeof(st));
}

/*
 * A submission with an id, in a box with a retry key (docs/ballot-box.md, "Retries"): its cvr_id
 * and nonce are derived from the key, the code and the id, so that a retry computes the same
 * commitment again without any stored link; the tag stored in the code's row tells a retry (both
 * halves equal) from the id reused for another ballot (first half equal) or another submission.
 */
static void retry_prepare(const struct box_prep_inputs *in, const uint8_t sid[16], struct pb_box_prepared *p)
{
        retry_derive(in, "pbv-retry-cvrid1", p, sid, false, p->cvr_id, sizeof(p->cvr_id));
        retry_derive(in, "pbv-retry-nonce1", p, sid, false, p->nonce, sizeof(p->nonce));
        retry_derive(in, "pbv-retry-subm01", p, sid, false, p->tag, BOX_RETRY_TAG_BYTES / 2);
        retry_derive(in, "pbv-retry-reqst1", p, sid, true, p->tag + BOX_RETRY_TAG_BYTES / 2,
                     BOX_RETRY_TAG_BYTES / 2);
        p->tagged = true;
}

/* Fill @p; a refusal leaves p->ok false with p->reject and p->diag; another error is returned. */
static pb_err prepare(const struct box_prep_inputs *in, const struct pb_submission *s,
                      struct pb_box_prepared *p)
{
        const struct pb_election *e = in->election;
        const int64_t *points = pb_vote_type_has_points(e->vote_type) ? s->points : NULL;
        static const uint8_t zero_id[PB_CVR_ID_BYTES];
        struct pb_diag *d = &p->diag;
        struct pb_code code;
        struct pb_buf cvr;
        pb_err r;

        if ((unsigned)s->channel >= PB_CHANNEL_COUNT || (s->n && !s->items) || s->n > e->n_projects) {
                p->reject = PB_REJECT_INVALID_BALLOT;
                return pb_diag_set(d, PB_ERR_INVALID, "$.ballot", "not a ballot");
        }
        r = pb_code_parse(s->code ? s->code : "", s->code ? s->code_len : 0, PB_CODE_BYTES, &code, d);
        if (r < 0) {
                p->reject = PB_REJECT_MALFORMED_CODE;
                memcpy(d->path, "$.code", sizeof("$.code"));
                return r == PB_ERR_INVALID ? PB_ERR_PARSE : r;
        }
        pb_code_hash(&code, in->pepper, p->code_hash);
        pb_code_wipe(&code);
        /* imported ballots were accepted by their own process: pabulib's checker treats the sum
         * limits as warnings, and so does the import; everything cast here is checked strictly */
        r = pb_ballot_check(e, s->items, points, s->n,
                            s->channel == PB_CHANNEL_IMPORTED ? PB_CHECK_PABULIB : PB_CHECK_STRICT, NULL, d);
        if (r < 0) {
                char path[64];
                p->reject = PB_REJECT_INVALID_BALLOT;
                d->subject[0] = '\0'; /* a project id from the ballot: content, never echoed */
                snprintf(path, sizeof(path), "$.ballot.%.54s", d->path);
                memcpy(d->path, path, sizeof(d->path));
                return r == PB_ERR_OVERFLOW ? PB_ERR_INVALID : r;
        }
        /* the request fingerprint for idempotency: the ballot and channel, never the code */
        pb_buf_init(&cvr, 0);
        r = pb_cvr_format(e, s->items, points, s->n, s->channel, zero_id, &cvr);
        if (r < 0)
                goto out;
        crypto_hash_sha256(p->request, (const uint8_t *)cvr.data, cvr.len);
        sodium_memzero(cvr.data, cvr.len);
        cvr.len = 0;
        if (s->has_submission_id && in->legacy_idem)
                idem_key(in, s->submission_id, p->idem_key);
        if (s->has_submission_id && in->retry_key) {
                retry_prepare(in, s->submission_id, p);
        } else {
                randombytes_buf(p->cvr_id, sizeof(p->cvr_id));
                randombytes_buf(p->nonce, sizeof(p->nonce));
        }
        r = pb_cvr_format(e, s->items, points, s->n, s->channel, p->cvr_id, &cvr);
        if (r == PB_OK)
                r = pb_cvr_commitment(e->id, p->nonce, (const uint8_t *)cvr.data, cvr.len, p->commitment);
out:
        if (r < 0) {
                if (cvr.data)
                        sodium_memzero(cvr.data, cvr.cap);
                pb_buf_release(&cvr);
                return r;
        }
        p->cvr = (uint8_t *)cvr.data; /* the buffer is handed over; released by pb_box_prepared_release */
        p->cvr_cap = cvr.cap;
        p->cvr_len = cvr.len;
        p->ok = true;
        return PB_OK;
}

void box_prepare(const struct box_prep_inputs *in, const struct pb_submission *s, struct pb_box_prepared *p)
{
        pb_err r;

        memset(p, 0, sizeof(*p));
        pb_diag_clear(&p->diag);
        p->gen = in->gen;
        r = prepare(in, s, p);
        /* a refusal is the ballot's own outcome; a lack of memory fails the whole cast */
        p->status = r == PB_ERR_NOMEM || r == PB_ERR_LIMIT ? r : PB_OK;
        p->prepared = true;
}

void pb_box_prepare(const struct pb_box_snapshot *snap, const struct pb_submission *s,
                    struct pb_box_prepared *ret)
{
        box_prepare(&snap->in, s, ret);
}

void pb_box_prepared_release(struct pb_box_prepared *p)
{
        if (!p)
                return;
        if (p->cvr) {
                sodium_memzero(p->cvr, p->cvr_cap);
                pb_free(p->cvr);
        }
        sodium_memzero(p, sizeof(*p));
}

pb_err pb_box_snapshot_take(struct pb_box *b, struct pb_box_snapshot **ret, struct pb_diag *reterr)
{
        struct pb_box_snapshot *s;
        struct pb_buf text;
        pb_err r;

        r = box_need_engine(b, reterr);
        if (r == PB_OK)
                r = box_retry_key_load(b, reterr);
        if (r < 0)
                return r;
        s = pb_calloc(1, sizeof(*s));
        if (!s)
                return PB_ERR_NOMEM;
        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        r = pb_manifest_format(b->manifest, &text);
        if (r == PB_OK)
                r = pb_manifest_parse(text.data, text.len, &s->manifest, reterr);
        pb_buf_release(&text);
        if (r == PB_OK && !(s->pepper = sodium_malloc(PB_CODE_KEY_BYTES)))
                r = PB_ERR_NOMEM;
        if (r == PB_OK && b->retry_key && !(s->retry_key = sodium_malloc(BOX_RETRY_KEY_BYTES)))
                r = PB_ERR_NOMEM;
        if (r < 0) {
                pb_box_snapshot_free(s);
                return r;
        }
        memcpy(s->pepper, b->pepper, PB_CODE_KEY_BYTES);
        if (b->retry_key)
                memcpy(s->retry_key, b->retry_key, BOX_RETRY_KEY_BYTES);
        s->in.election = s->manifest->election;
        s->in.pepper = s->pepper;
        s->in.retry_key = s->retry_key;
        s->in.legacy_idem = b->legacy_idem;
        s->in.gen = b->prep_gen;
        *ret = s;
        return PB_OK;
}

void pb_box_snapshot_free(struct pb_box_snapshot *s)
{
        if (!s)
                return;
        pb_manifest_free(s->manifest);
        sodium_free(s->pepper);
        sodium_free(s->retry_key);
        pb_free(s);
}

const struct pb_election *pb_box_snapshot_election(const struct pb_box_snapshot *s)
{
        return s->in.election;
}

uint64_t pb_box_snapshot_gen(const struct pb_box_snapshot *s)
{
        return s->in.gen;
}

uint64_t pb_box_gen(const struct pb_box *b)
{
        return b->prep_gen;
}
