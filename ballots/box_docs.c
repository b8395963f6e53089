/**
 * @file The stored signed documents checked against each other and against the box, the way the
 * offline verifier checks them in a bundle (docs/auditor.md B1, B3, B4, B5, D1, D2), so that the
 * box never signs, counts or certifies on top of documents that would fail verification (issue 11:
 * a close statement signed over a stale, keyless copy of the manifest).
 */
#include <sodium.h>
#include <string.h>

#include "ballots/box_int.h"
#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "engine/pb_seal.h"

/* What one check reads, for the next level to use. */
struct docs {
        struct pb_buf manifest;                   /* the stored manifest's bytes */
        uint8_t manifest_sha256[PB_SHA256_BYTES]; /* their SHA-256 */
        enum pb_box_state state;                  /* as stored */
        struct pb_seal_envelope close_env, result_env, cert_env;
        struct pb_doc_close close;
        struct pb_doc_result result;
};

static pb_err bad(struct pb_diag *d, const char *path, const char *why)
{
        return pb_diag_set(d, PB_ERR_INTERNAL, path, why);
}

/* The stored envelope of column @col: present, canonical, of @type, signed (only) by @key. */
static pb_err open_doc(struct pb_box *b, int col, const char *type, const struct pb_key_public *key,
                       const char *path, struct pb_seal_envelope *env, struct pb_diag *d)
{
        struct pb_buf raw;
        pb_err r;

        pb_buf_init(&raw, 0);
        r = box_get_doc(b, col, &raw, d);
        if (r == PB_ERR_NOT_FOUND)
                r = bad(d, path, "the signed document is missing");
        if (r == PB_OK) {
                r = pb_envelope_parse(raw.data, raw.len, 0, env, NULL);
                if (r < 0 && r != PB_ERR_NOMEM)
                        r = bad(d, path, "the stored signed document is not a canonical DSSE envelope");
        }
        if (r == PB_OK) {
                r = pb_seal_verify(env, type, key, PB_SEAL_STRICT, NULL);
                if (r < 0 && r != PB_ERR_NOMEM)
                        r = bad(d, path, "the signature does not verify under the key the manifest names");
        }
        pb_buf_release(&raw);
        return r;
}

/* B1 and B0: the handle's manifest is the stored one, in canonical form; once the election has left
 * draft it is the payload of the signed manifest, signed by the office key it names, and the engine
 * key it names is the one the box is bound to and signs with. */
static pb_err check_manifest(struct pb_box *b, struct docs *x, struct pb_diag *d)
{
        const struct pb_manifest *m = b->manifest;
        struct pb_seal_envelope env;
        struct pb_buf again, raw, bound, named;
        pb_err r;

        pb_seal_envelope_init(&env);
        pb_buf_init(&again, 0);
        pb_buf_init(&raw, 0);
        pb_buf_init(&bound, 0);
        pb_buf_init(&named, 0);
        r = box_get_doc(b, DOC_MANIFEST, &x->manifest, d);
        if (r == PB_OK)
                r = box_get_state(b, &x->state, d);
        if (r == PB_OK)
                r = pb_manifest_format(m, &again);
        if (r < 0)
                goto out;
        crypto_hash_sha256(x->manifest_sha256, (const uint8_t *)x->manifest.data, x->manifest.len);
        if (memcmp(x->manifest_sha256, b->manifest_sha256, sizeof(x->manifest_sha256)) ||
            again.len != x->manifest.len || memcmp(again.data, x->manifest.data, again.len)) {
                r = bad(d, "manifest", "the manifest in use is not the stored one, in canonical form");
                goto out;
        }
        r = box_get_doc(b, DOC_MANIFEST_ENVELOPE, &raw, d);
        if (r == PB_ERR_NOT_FOUND) {
                r = x->state == PB_BOX_DRAFT && !m->has_keys
                            ? PB_OK
                            : bad(d, "manifest", "the election has left draft without a signed manifest");
                goto out;
        }
        if (r < 0)
                goto out;
        if (x->state == PB_BOX_DRAFT) {
                r = bad(d, "manifest", "an election in draft has a signed manifest");
                goto out;
        }
        r = pb_envelope_parse(raw.data, raw.len, 0, &env, NULL);
        if (r < 0) {
                r = r == PB_ERR_NOMEM ? r
                                      : bad(d, "manifest", "the signed manifest is not a canonical envelope");
                goto out;
        }
        if (strcmp(env.payload_type, PB_SEAL_TYPE_MANIFEST) || env.payload_len != x->manifest.len ||
            memcmp(env.payload, x->manifest.data, x->manifest.len)) {
                r = bad(d, "manifest", "the stored manifest is not the one the finance office signed");
                goto out;
        }
        if (!m->has_keys) {
                r = bad(d, "manifest", "the signed manifest names no keys");
                goto out;
        }
        r = pb_seal_verify(&env, PB_SEAL_TYPE_MANIFEST, &m->office_key, PB_SEAL_STRICT, NULL);
        if (r < 0) {
                r = r == PB_ERR_NOMEM
                            ? r
                            : bad(d, "manifest", "not signed by the finance office key the manifest names");
                goto out;
        }
        r = box_get_doc(b, DOC_ENGINE_VKEY, &bound, d);
        if (r == PB_OK)
                r = pb_key_vkey_format(&m->engine_key, &named);
        if (r == PB_ERR_NOT_FOUND ||
            (r == PB_OK && (bound.len != named.len || memcmp(bound.data, named.data, named.len))))
                r = bad(d, "key", "the box is bound to another engine key than the signed manifest names");
        else if (r == PB_OK && b->engine && !pb_key_equal(&b->engine->pub, &m->engine_key))
                r = bad(d, "key", "the engine key in use is not the one the signed manifest names");
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&again);
        pb_buf_release(&raw);
        pb_buf_release(&bound);
        pb_buf_release(&named);
        return r;
}

static bool same_log(const struct pb_doc_log *a, const struct pb_doc_log *b)
{
        return !strcmp(a->origin, b->origin) && a->size == b->size &&
               !memcmp(a->root, b->root, sizeof(a->root));
}

/* B3, D1, D2: the close statement, signed by the engine key, about this election and manifest,
 * stating the log as stored (its latest checkpoint) and the counters as they are. */
static pb_err check_close(struct pb_box *b, struct docs *x, struct pb_diag *d)
{
        const struct pb_manifest *m = b->manifest;
        struct pb_doc_log log;
        struct pb_turnout t;
        pb_err r = open_doc(b, DOC_CLOSE, PB_SEAL_TYPE_CLOSE, &m->engine_key, "close", &x->close_env, d);

        if (r < 0)
                return r;
        r = pb_doc_close_parse((const char *)x->close_env.payload, x->close_env.payload_len, m, &x->close,
                               NULL);
        if (r < 0)
                return r == PB_ERR_NOMEM
                               ? r
                               : bad(d, "close", "the close statement is not in its canonical form");
        if (strcmp(x->close.election, m->election->id))
                return bad(d, "close", "the close statement is about another election");
        if (memcmp(x->close.manifest_sha256, x->manifest_sha256, sizeof(x->manifest_sha256)))
                return bad(d, "close", "the close statement names another manifest");
        /* the stored tree, its latest checkpoint and the counters agree (O(log n)) */
        r = box_log_invariants(b, d);
        if (r == PB_OK)
                r = box_counts(b, &t, d);
        if (r < 0)
                return r;
        memset(&log, 0, sizeof(log));
        memcpy(log.origin, m->origin, sizeof(log.origin));
        box_log_root(b, log.root);
        log.size = b->frontier_size;
        if (!same_log(&x->close.log, &log))
                return bad(d, "close", "the close statement's tree is not the ballot log");
        if (t.pending || !pb_turnout_same_counts(&x->close.counts, &t))
                return bad(d, "close", "the close statement's counts are not the box's");
        return PB_OK;
}

/* B4, D1: the result, signed by the engine key, naming this manifest and close statement, with
 * the close statement's tree and counts. */
static pb_err check_result(struct pb_box *b, struct docs *x, struct pb_diag *d)
{
        const struct pb_manifest *m = b->manifest;
        uint8_t digest[PB_SHA256_BYTES];
        pb_err r = open_doc(b, DOC_RESULT, PB_SEAL_TYPE_RESULT, &m->engine_key, "result", &x->result_env, d);

        if (r < 0)
                return r;
        r = pb_doc_result_parse((const char *)x->result_env.payload, x->result_env.payload_len, m, &x->result,
                                NULL, NULL, NULL);
        if (r < 0)
                return r == PB_ERR_NOMEM ? r : bad(d, "result", "the result is not in its canonical form");
        if (strcmp(x->result.election, m->election->id))
                return bad(d, "result", "the result is about another election");
        if (memcmp(x->result.manifest_sha256, x->manifest_sha256, sizeof(x->manifest_sha256)))
                return bad(d, "result", "the result names another manifest");
        crypto_hash_sha256(digest, x->close_env.payload, x->close_env.payload_len);
        if (memcmp(digest, x->result.close_sha256, sizeof(digest)))
                return bad(d, "result", "the result names another close statement");
        if (!same_log(&x->result.log, &x->close.log) ||
            !pb_turnout_same_counts(&x->result.counts, &x->close.counts))
                return bad(d, "result", "the result's tree or counts are not the close statement's");
        return PB_OK;
}

/* B5: the certification, signed by the office key, of this result. */
static pb_err check_certification(struct pb_box *b, struct docs *x, struct pb_diag *d)
{
        const struct pb_manifest *m = b->manifest;
        struct pb_doc_certification c;
        uint8_t digest[PB_SHA256_BYTES];
        pb_err r = open_doc(b, DOC_CERTIFICATION, PB_SEAL_TYPE_CERTIFICATION, &m->office_key, "certification",
                            &x->cert_env, d);

        if (r < 0)
                return r;
        r = pb_doc_certification_parse((const char *)x->cert_env.payload, x->cert_env.payload_len, &c, NULL);
        if (r < 0)
                return r == PB_ERR_NOMEM
                               ? r
                               : bad(d, "certification", "the certification is not in its canonical form");
        if (strcmp(c.election, m->election->id))
                return bad(d, "certification", "the certification is about another election");
        crypto_hash_sha256(digest, x->result_env.payload, x->result_env.payload_len);
        if (memcmp(digest, c.result_sha256, sizeof(digest)))
                return bad(d, "certification", "the certification certifies another result");
        return PB_OK;
}

pb_err box_docs_check(struct pb_box *b, enum box_docs_level level, struct pb_diag *d)
{
        struct docs x;
        pb_err r;

        memset(&x, 0, sizeof(x));
        pb_buf_init(&x.manifest, 0);
        pb_seal_envelope_init(&x.close_env);
        pb_seal_envelope_init(&x.result_env);
        pb_seal_envelope_init(&x.cert_env);
        r = check_manifest(b, &x, d);
        if (r == PB_OK && level >= BOX_DOCS_CLOSE)
                r = check_close(b, &x, d);
        if (r == PB_OK && level >= BOX_DOCS_RESULT)
                r = check_result(b, &x, d);
        if (r == PB_OK && level >= BOX_DOCS_CERTIFICATION)
                r = check_certification(b, &x, d);
        pb_buf_release(&x.manifest);
        pb_seal_envelope_release(&x.close_env);
        pb_seal_envelope_release(&x.result_env);
        pb_seal_envelope_release(&x.cert_env);
        return r;
}
