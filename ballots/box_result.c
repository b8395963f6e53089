/** @file The signed result of a closed election, and the finance office's certification. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/box_int.h"
#include "formats/pb_json_ballot.h"
#include "ballots/pb_docs.h"
#include "ballots/pb_vote.h"
#include "formats/pb_envelope.h"
#include "engine/pb_alloc.h"
#include "engine/pb_seal.h"
#include "engine/pb_utc.h"

/* The payload of a stored envelope (column @col), parsed strictly. */
static pb_err stored_payload(struct pb_box *b, int col, struct pb_seal_envelope *env, struct pb_buf *raw,
                             struct pb_diag *d)
{
        pb_err r = box_get_doc(b, col, raw, d);

        if (r == PB_OK)
                r = pb_envelope_parse(raw->data, raw->len, 0, env, d);
        return r;
}

/* A stored envelope and the bytes it was parsed from (they share memory): stored_doc_release()
 * after stored_doc_open(), whatever it returned. */
struct stored_doc {
        struct pb_seal_envelope env;
        struct pb_buf raw;
};

static pb_err stored_doc_open(struct pb_box *b, int col, struct stored_doc *sd, struct pb_diag *d)
{
        pb_seal_envelope_init(&sd->env);
        pb_buf_init(&sd->raw, 0);
        return stored_payload(b, col, &sd->env, &sd->raw, d);
}

static void stored_doc_release(struct stored_doc *sd)
{
        pb_seal_envelope_release(&sd->env);
        pb_buf_release(&sd->raw);
}

/* A certification dated @certified_at comes at or after the stored close statement's time. */
static pb_err certified_after_close(struct pb_box *b, const char *certified_at, struct pb_diag *d)
{
        struct stored_doc sd;
        struct pb_doc_close close;
        pb_err r = stored_doc_open(b, DOC_CLOSE, &sd, d);

        if (r == PB_OK)
                r = pb_doc_close_parse((const char *)sd.env.payload, sd.env.payload_len, NULL, &close, d);
        if (r == PB_OK && strcmp(certified_at, close.closed_at) < 0)
                r = pb_diag_set(d, PB_ERR_INVALID, "certified_at", "a certification dated before the close");
        stored_doc_release(&sd);
        return r;
}

/* What load_ballots() carries from one ballot to the next. */
struct ballot_load {
        struct pb_manifest *m;
        struct pb_vote_ballots vb;
};

static pb_err load_one(void *ctx, const struct box_ballot_row *row, struct pb_diag *d)
{
        struct ballot_load *l = ctx;
        pb_err r = pb_vote_cvr_parse(l->m, row->cvr, row->cvr_len, &l->vb, NULL, NULL);

        if (r < 0 && r != PB_ERR_NOMEM)
                return pb_diag_set(d, PB_ERR_INTERNAL, "ballots", "a stored CVR does not parse");
        return r == PB_OK ? pb_vote_add_ballots(l->m, &l->vb, NULL) : r;
}

/* Add every logged ballot of the box to the contests of @m, in log order. */
static pb_err load_ballots(struct pb_box *b, struct pb_manifest *m, struct pb_diag *d)
{
        struct ballot_load l = { m, { 0 } };
        pb_err r = pb_vote_ballots_init(&l.vb, m);

        if (r == PB_OK)
                r = box_each_ballot(b, load_one, &l, d);
        pb_vote_ballots_release(&l.vb);
        return r;
}

/* The close statement and the manifest as stored, parsed (@m owned by the caller). */
static pb_err stored_close(struct pb_box *b, struct pb_seal_envelope *env, struct pb_buf *raw,
                           struct pb_buf *manifest, struct pb_doc_close *close, struct pb_manifest **m,
                           struct pb_diag *d)
{
        pb_err r = stored_payload(b, DOC_CLOSE, env, raw, d);

        if (r == PB_OK)
                r = box_get_doc(b, DOC_MANIFEST, manifest, d);
        if (r == PB_OK)
                r = pb_manifest_parse(manifest->data, manifest->len, m, d);
        if (r == PB_OK)
                r = pb_doc_close_parse((const char *)env->payload, env->payload_len, *m, close, d);
        if (r < 0 && r != PB_ERR_NOMEM)
                r = pb_diag_set(d, PB_ERR_INTERNAL, "database",
                                "the stored close statement or manifest is damaged");
        return r;
}

/* The result payload of the closed election in @b (inside a transaction). */
static pb_err result_payload(struct pb_box *b, const uint64_t *seed, const char *engine_version,
                             struct pb_buf *out, struct pb_diag *d)
{
        struct pb_manifest *m = NULL;
        struct pb_seal_envelope env;
        struct pb_buf raw, manifest, tally;
        struct pb_doc_close close;
        struct pb_doc_result doc;
        pb_err r;

        pb_seal_envelope_init(&env);
        pb_buf_init(&raw, 0);
        pb_buf_init(&manifest, PB_MANIFEST_MAX_BYTES);
        pb_buf_init(&tally, 0);
        memset(&doc, 0, sizeof(doc));
        if (strlen(engine_version) > PB_DOC_ENGINE_MAX) {
                r = pb_diag_set(d, PB_ERR_INVALID, "engine", "engine version too long");
                goto out;
        }
        r = stored_close(b, &env, &raw, &manifest, &close, &m, d);
        if (r == PB_OK)
                r = pb_vote_seed_check(m, seed, d);
        if (r == PB_OK)
                r = load_ballots(b, m, d);
        if (r == PB_OK)
                r = pb_vote_tally(m, seed, engine_version, NULL, &tally, d);
        if (r < 0)
                goto out;
        memcpy(doc.election, close.election, sizeof(doc.election));
        crypto_hash_sha256(doc.manifest_sha256, (const uint8_t *)manifest.data, manifest.len);
        crypto_hash_sha256(doc.close_sha256, env.payload, env.payload_len);
        doc.log = close.log;
        doc.counts = close.counts;
        doc.manifest = m;
        memcpy(doc.engine, engine_version, strlen(engine_version) + 1);
        doc.tally = tally.data;
        doc.tally_len = tally.len;
        r = pb_doc_result_format(&doc, out);
out:
        pb_manifest_free(m);
        pb_seal_envelope_release(&env);
        pb_buf_release(&raw);
        pb_buf_release(&manifest);
        pb_buf_release(&tally);
        return r;
}

/* What publish_order() keeps of each logged ballot: its cvr_id and leaf. */
struct cvr_key {
        uint8_t cvr_id[PB_CVR_ID_BYTES];
        uint64_t leaf;
};

struct key_list {
        const struct pb_manifest *m;
        struct pb_vote_ballots vb;
        struct cvr_key *k;
        size_t n, cap;
};

static pb_err key_one(void *ctx, const struct box_ballot_row *row, struct pb_diag *d)
{
        struct key_list *l = ctx;
        struct pb_cvr_meta meta;
        struct cvr_key *g;
        pb_err r = pb_vote_cvr_parse(l->m, row->cvr, row->cvr_len, &l->vb, &meta, NULL);

        if (r < 0)
                return r == PB_ERR_NOMEM
                               ? r
                               : pb_diag_set(d, PB_ERR_INTERNAL, "ballots", "a stored CVR does not parse");
        g = pb_grow(l->k, &l->cap, l->n + 1, sizeof(*l->k), 1024);
        if (!g)
                return PB_ERR_NOMEM;
        l->k = g;
        memcpy(l->k[l->n].cvr_id, meta.cvr_id, PB_CVR_ID_BYTES);
        l->k[l->n++].leaf = row->leaf;
        return PB_OK;
}

static int by_cvr_id(const void *a, const void *b)
{
        return memcmp(((const struct cvr_key *)a)->cvr_id, ((const struct cvr_key *)b)->cvr_id,
                      PB_CVR_ID_BYTES);
}

/* Every logged ballot into @m's contests in the order of its cvr_id, numbered from 1 (inside a
 * transaction). */
static pb_err load_published(struct pb_box *b, struct pb_manifest *m, struct pb_diag *d)
{
        struct key_list l = { m, { 0 }, NULL, 0, 0 };
        pb_err r = pb_vote_ballots_init(&l.vb, m);

        if (r == PB_OK)
                r = box_each_ballot(b, key_one, &l, d);
        if (r == PB_OK)
                qsort(l.k, l.n, sizeof(*l.k), by_cvr_id);
        for (size_t i = 0; r == PB_OK && i < l.n; i++) {
                sqlite3_stmt *st = box_stmt(b, ST_CVR_BY_LEAF);
                char voter[24];
                int rc;

                if (!st)
                        return box_sqlite_err(b, sqlite3_errcode(b->db), d);
                sqlite3_bind_int64(st, 1, (int64_t)l.k[i].leaf);
                rc = sqlite3_step(st);
                if (rc != SQLITE_ROW)
                        r = rc == SQLITE_DONE
                                    ? pb_diag_set(d, PB_ERR_INTERNAL, "ballots", "a leaf without its ballot")
                                    : box_sqlite_err(b, rc, d);
                else
                        r = pb_vote_cvr_parse(m, (const char *)sqlite3_column_blob(st, 0),
                                              (size_t)sqlite3_column_bytes(st, 0), &l.vb, NULL, NULL);
                snprintf(voter, sizeof(voter), "%zu", i + 1);
                if (r == PB_OK)
                        r = pb_vote_add_ballots(m, &l.vb, voter);
                sqlite3_reset(st);
        }
        pb_vote_ballots_release(&l.vb);
        pb_free(l.k);
        return r;
}

/* The tie-break seed of the stored result, if it has one. */
static pb_err stored_seed(struct pb_box *b, const struct pb_manifest *m, uint64_t *seed, bool *has,
                          struct pb_diag *d)
{
        struct stored_doc sd;
        struct pb_doc_result res;
        pb_err r = stored_doc_open(b, DOC_RESULT, &sd, d);

        if (r == PB_OK)
                r = pb_doc_result_parse((const char *)sd.env.payload, sd.env.payload_len, m, &res, seed, has,
                                        d);
        stored_doc_release(&sd);
        return r;
}

pb_err pb_box_ballots_load(struct pb_box *b, struct pb_manifest **ret, uint64_t *ret_seed, bool *ret_has_seed,
                           struct pb_diag *reterr)
{
        struct pb_manifest *m = NULL;
        struct pb_buf text;
        pb_err r = box_begin_scan(b, reterr);

        if (r < 0)
                return r;
        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        r = box_need_tallied(b, "the ballots are published only once the vote is tallied", reterr);
        if (r == PB_OK)
                r = box_get_doc(b, DOC_MANIFEST, &text, reterr);
        if (r == PB_OK && pb_manifest_parse(text.data, text.len, &m, NULL) < 0)
                r = pb_diag_set(reterr, PB_ERR_INTERNAL, "manifest", "the stored manifest does not parse");
        if (r == PB_OK)
                r = stored_seed(b, m, ret_seed, ret_has_seed, reterr);
        if (r == PB_OK)
                r = load_published(b, m, reterr);
        box_end_scan(b);
        pb_buf_release(&text);
        if (r == PB_OK) {
                *ret = m;
                m = NULL;
        }
        pb_manifest_free(m);
        return r;
}

pb_err pb_box_tally(struct pb_box *b, const uint64_t *seed, const char *engine_version, struct pb_buf *out,
                    struct pb_diag *reterr)
{
        const struct pb_key_secret *keys[1];
        struct pb_buf payload, env, stored;
        enum pb_box_state s;
        pb_err r;

        r = box_need_engine(b, reterr);
        if (r < 0)
                return r;
        keys[0] = b->engine;
        pb_buf_init(&payload, 0);
        pb_buf_init(&env, 0);
        pb_buf_init(&stored, 0);
        box_cache_for_scan(b, true); /* every ballot is read once */
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_CLOSED && s != PB_BOX_TALLIED && s != PB_BOX_CERTIFIED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "only a closed election can be tallied");
        /* count only on top of a close statement that verifies, over the signed manifest (issue 11) */
        if (r == PB_OK)
                r = box_docs_check(b, BOX_DOCS_CLOSE, reterr);
        if (r == PB_OK)
                r = result_payload(b, seed, engine_version, &payload, reterr);
        if (r == PB_OK)
                r = pb_seal_sign(PB_SEAL_TYPE_RESULT, (const uint8_t *)payload.data, payload.len, keys, 1,
                                 &env, reterr);
        if (r == PB_OK && s == PB_BOX_CLOSED) {
                r = box_set_blob(b, ST_SET_RESULT, env.data, env.len, reterr);
                if (r == PB_OK)
                        r = box_set_state(b, PB_BOX_TALLIED, reterr);
                if (r == PB_OK)
                        r = box_commit(b, reterr);
        } else if (r == PB_OK) {
                /* tallied before: the same count gives the same bytes (Ed25519 is deterministic) */
                r = box_get_doc(b, DOC_RESULT, &stored, reterr);
                if (r == PB_OK && (stored.len != env.len || memcmp(stored.data, env.data, env.len)))
                        r = pb_diag_set(reterr, PB_ERR_CONFLICT, "result",
                                        "a different result is stored (another engine version or seed?)");
        }
        if (!sqlite3_get_autocommit(b->db))
                box_rollback(b);
        if (r == PB_OK)
                r = pb_buf_add(out, env.data, env.len);
        box_cache_for_scan(b, false);
out:
        pb_buf_release(&payload);
        pb_buf_release(&env);
        pb_buf_release(&stored);
        return r;
}

/*
 * Is @result[0..len) the stored result @stored, however its JSON was laid out (issue 13: a
 * pretty-printed copy)?  What is certified is the payload the engine signed, so the payload type
 * and payload bytes must be the stored ones; the signatures need not be copied exactly, as the
 * stored envelope's were checked (box_docs_check) and it is that payload the certification names.
 */
static pb_err same_payload(const struct pb_seal_envelope *stored, const char *result, size_t len,
                           struct pb_diag *d)
{
        struct pb_seal_envelope given;
        pb_err r;

        pb_seal_envelope_init(&given);
        r = pb_envelope_parse(result, len, PB_ENVELOPE_ANY_LAYOUT, &given, NULL);
        if (r == PB_ERR_NOMEM)
                return r;
        if (r == PB_OK &&
            (strcmp(given.payload_type, stored->payload_type) || given.payload_len != stored->payload_len ||
             memcmp(given.payload, stored->payload, given.payload_len)))
                r = PB_ERR_CONFLICT;
        pb_seal_envelope_release(&given);
        return r == PB_OK
                       ? PB_OK
                       : pb_diag_set(d, PB_ERR_CONFLICT, "result", "not the result stored for this election");
}

pb_err pb_box_certify(struct pb_box *b, const char *result, size_t result_len,
                      const struct pb_key_secret *office, const char *certified_at, struct pb_buf *out,
                      struct pb_diag *reterr)
{
        const struct pb_key_secret *keys[1] = { office };
        struct pb_doc_certification c;
        struct pb_seal_envelope env;
        struct pb_buf stored, payload, signed_doc;
        enum pb_box_state s;
        pb_err r;

        if (!pb_utc_is_valid(certified_at))
                return pb_diag_set(reterr, PB_ERR_INVALID, "certified_at",
                                   "expected a real UTC time, YYYY-MM-DDTHH:MM:SSZ");
        memset(&c, 0, sizeof(c));
        pb_seal_envelope_init(&env);
        pb_buf_init(&stored, 0);
        pb_buf_init(&payload, 0);
        pb_buf_init(&signed_doc, 0);
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_TALLIED && s != PB_BOX_CERTIFIED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "only a tallied election can be certified");
        /* the office certifies only a result that verifies, over the manifest it signed (issue 11) */
        if (r == PB_OK)
                r = box_docs_check(b, BOX_DOCS_RESULT, reterr);
        if (r == PB_OK)
                r = certified_after_close(b, certified_at, reterr);
        if (r == PB_OK && (!b->manifest->has_keys || !pb_key_equal(&office->pub, &b->manifest->office_key)))
                r = pb_diag_set(reterr, PB_ERR_FORBIDDEN, "key",
                                "not the finance office key named in the manifest");
        if (r == PB_OK)
                r = box_get_doc(b, DOC_RESULT, &stored, reterr);
        if (r == PB_OK)
                r = pb_envelope_parse(stored.data, stored.len, 0, &env, reterr);
        if (r == PB_OK)
                r = same_payload(&env, result, result_len, reterr);
        if (r < 0)
                goto fail;
        memcpy(c.election, b->manifest->election->id, strlen(b->manifest->election->id) + 1);
        crypto_hash_sha256(c.result_sha256, env.payload, env.payload_len);
        memcpy(c.certified_at, certified_at, PB_DOC_TIME_LEN + 1);
        r = pb_doc_certification_format(&c, &payload);
        if (r == PB_OK)
                r = pb_seal_sign(PB_SEAL_TYPE_CERTIFICATION, (const uint8_t *)payload.data, payload.len, keys,
                                 1, &signed_doc, reterr);
        if (r < 0)
                goto fail;
        if (s == PB_BOX_CERTIFIED) {
                pb_buf_reset(&stored);
                r = box_get_doc(b, DOC_CERTIFICATION, &stored, reterr);
                if (r == PB_OK &&
                    (stored.len != signed_doc.len || memcmp(stored.data, signed_doc.data, stored.len)))
                        r = pb_diag_set(reterr, PB_ERR_CONFLICT, "certification",
                                        "the election is certified already");
                box_rollback(b);
        } else {
                r = box_set_blob(b, ST_SET_CERTIFICATION, signed_doc.data, signed_doc.len, reterr);
                if (r == PB_OK)
                        r = box_set_state(b, PB_BOX_CERTIFIED, reterr);
                if (r == PB_OK)
                        r = box_commit(b, reterr);
                else
                        box_rollback(b);
        }
        if (r == PB_OK)
                r = pb_buf_add(out, signed_doc.data, signed_doc.len);
        goto out;
fail:
        box_rollback(b);
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&stored);
        pb_buf_release(&payload);
        pb_buf_release(&signed_doc);
        return r;
}
