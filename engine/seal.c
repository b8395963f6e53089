/** @file DSSE: pre-authentication encoding, Ed25519 signing and verification, envelope JSON. */
#include "engine/pb_seal.h"

#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_canon.h"

void pb_seal_envelope_init(struct pb_seal_envelope *env)
{
        memset(env, 0, sizeof(*env));
}

void pb_seal_envelope_release(struct pb_seal_envelope *env)
{
        size_t i;

        if (!env)
                return;
        for (i = 0; i < env->nsigs; i++)
                pb_free(env->sigs[i].keyid);
        pb_free(env->sigs);
        pb_free(env->payload_type);
        pb_free(env->payload);
        memset(env, 0, sizeof(*env));
}

/* Undo a partial append so that failures leave @out as it was. */
static pb_err truncate_on_error(struct pb_buf *out, size_t old, pb_err r)
{
        if (r < 0) {
                out->len = old;
                if (out->data)
                        out->data[old] = '\0';
        }
        return r;
}

pb_err pb_seal_pae(const char *type, size_t type_len, const uint8_t *payload, size_t payload_len,
                   struct pb_buf *out)
{
        size_t old = out->len;
        pb_err r;

        r = pb_buf_adds(out, "DSSEv1 ");
        if (r >= 0)
                r = pb_buf_addf(out, "%zu ", type_len);
        if (r >= 0)
                r = pb_buf_add(out, type, type_len);
        if (r >= 0)
                r = pb_buf_addf(out, " %zu ", payload_len);
        if (r >= 0)
                r = pb_buf_add(out, payload, payload_len);
        return truncate_on_error(out, old, r);
}

static bool type_is_valid(const char *type, size_t len)
{
        return len > 0 && len <= PB_SEAL_TYPE_MAX && !memchr(type, '\0', len) && pb_utf8_valid(type, len);
}

/* The envelope layout, from its parts; keyids[i] may be NULL (no "keyid" member). */
static pb_err write_json(const char *type, size_t type_len, const uint8_t *payload, size_t payload_len,
                         const char *const *keyids, const uint8_t (*sigs)[PB_KEY_SIG_BYTES], size_t nsigs,
                         struct pb_buf *out)
{
        struct pb_buf b64;
        struct pb_jw w;
        size_t i;
        pb_err r;

        pb_buf_init(&b64, 0);
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        r = pb_b64_encode(&b64, payload, payload_len);
        if (r < 0)
                goto out;
        pb_jw_key(&w, "payload");
        pb_jw_stringn(&w, b64.data, b64.len);
        pb_jw_key(&w, "payloadType");
        pb_jw_stringn(&w, type, type_len);
        pb_jw_key(&w, "signatures");
        pb_jw_array_begin(&w);
        for (i = 0; i < nsigs; i++) {
                pb_buf_reset(&b64);
                r = pb_b64_encode(&b64, sigs[i], PB_KEY_SIG_BYTES);
                if (r < 0)
                        goto out;
                pb_jw_object_begin(&w);
                if (keyids[i])
                        pb_jw_kv_string(&w, "keyid", keyids[i]);
                pb_jw_key(&w, "sig");
                pb_jw_stringn(&w, b64.data, b64.len);
                pb_jw_object_end(&w);
        }
        pb_jw_array_end(&w);
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
out:
        pb_buf_release(&b64);
        return r;
}

pb_err pb_seal_sign(const char *type, const uint8_t *payload, size_t payload_len,
                    const struct pb_key_secret *const *keys, size_t nkeys, struct pb_buf *out,
                    struct pb_diag *reterr)
{
        uint8_t sigs[PB_SEAL_MAX_SIGS][PB_KEY_SIG_BYTES];
        const char *keyids[PB_SEAL_MAX_SIGS];
        struct pb_buf pae, ids[PB_SEAL_MAX_SIGS];
        size_t type_len = strlen(type), i, old = out->len;
        pb_err r = PB_OK;

        if (!type_is_valid(type, type_len))
                return pb_diag_set(
                        reterr, PB_ERR_INVALID, "payloadType",
                        "payload type must be 1-" PB_STRINGIFY(PB_SEAL_TYPE_MAX) " bytes of UTF-8");
        if (nkeys == 0 || nkeys > PB_SEAL_MAX_SIGS)
                return pb_diag_set(reterr, PB_ERR_INVALID, "signatures",
                                   "an envelope needs 1 to " PB_STRINGIFY(PB_SEAL_MAX_SIGS) " signatures");
        pb_buf_init(&pae, 0);
        for (i = 0; i < nkeys; i++)
                pb_buf_init(&ids[i], PB_SEAL_KEYID_MAX);
        r = pb_seal_pae(type, type_len, payload, payload_len, &pae);
        for (i = 0; r >= 0 && i < nkeys; i++) {
                pb_key_sign(keys[i], (const uint8_t *)pae.data, pae.len, sigs[i]);
                r = pb_key_keyid_format(&keys[i]->pub, &ids[i]);
                keyids[i] = ids[i].data;
        }
        if (r >= 0)
                r = write_json(type, type_len, payload, payload_len, keyids,
                               (const uint8_t(*)[PB_KEY_SIG_BYTES])sigs, nkeys, out);
        r = truncate_on_error(out, old, r);
        if (r < 0)
                pb_diag_set(reterr, r, NULL, "cannot write the envelope");
        pb_buf_release(&pae);
        for (i = 0; i < nkeys; i++)
                pb_buf_release(&ids[i]);
        return r;
}

pb_err pb_seal_envelope_format(const struct pb_seal_envelope *env, struct pb_buf *out)
{
        uint8_t sigs[PB_SEAL_MAX_SIGS][PB_KEY_SIG_BYTES];
        const char *keyids[PB_SEAL_MAX_SIGS];
        size_t i, old = out->len;

        if (!env->payload_type || !type_is_valid(env->payload_type, env->payload_type_len) ||
            env->nsigs == 0 || env->nsigs > PB_SEAL_MAX_SIGS || (!env->payload && env->payload_len))
                return PB_ERR_INVALID;
        for (i = 0; i < env->nsigs; i++) {
                keyids[i] = env->sigs[i].keyid;
                memcpy(sigs[i], env->sigs[i].sig, PB_KEY_SIG_BYTES);
        }
        return truncate_on_error(out, old,
                                 write_json(env->payload_type, env->payload_type_len,
                                            env->payload ? env->payload : (const uint8_t *)"",
                                            env->payload_len, keyids,
                                            (const uint8_t(*)[PB_KEY_SIG_BYTES])sigs, env->nsigs, out));
}

pb_err pb_seal_verify(const struct pb_seal_envelope *env, const char *type, const struct pb_key_public *key,
                      unsigned flags, struct pb_diag *reterr)
{
        struct pb_buf pae, hint;
        size_t i, type_len = strlen(type);
        pb_err r;

        if (!env->payload_type || env->payload_type_len != type_len ||
            memcmp(env->payload_type, type, type_len))
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "payloadType",
                                   "not the expected kind of document");
        if ((flags & PB_SEAL_SOLE_SIGNATURE) && env->nsigs != 1)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "signatures", "expected exactly one signature");
        pb_buf_init(&pae, 0);
        pb_buf_init(&hint, 0);
        r = pb_seal_pae(env->payload_type, env->payload_type_len,
                        env->payload ? env->payload : (const uint8_t *)"", env->payload_len, &pae);
        if (r >= 0)
                r = pb_key_keyid_format(key, &hint);
        if (r < 0)
                goto out;
        for (i = 0; i < env->nsigs; i++) {
                if (!pb_key_verify(key, (const uint8_t *)pae.data, pae.len, env->sigs[i].sig))
                        continue;
                if ((flags & PB_SEAL_MATCH_KEYID) &&
                    (!env->sigs[i].keyid || strcmp(env->sigs[i].keyid, hint.data) != 0))
                        r = pb_diag_set(reterr, PB_ERR_SIGNATURE, "keyid", "keyid names another key");
                goto out; /* r is PB_OK unless the keyid is not the key's */
        }
        r = pb_diag_set(reterr, PB_ERR_SIGNATURE, "signatures", "no valid signature by the expected key");
out:
        pb_buf_release(&pae);
        pb_buf_release(&hint);
        return r;
}
