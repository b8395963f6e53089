/**
 * @file DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1.0.0) with Ed25519.
 *
 * A signature covers PAE(payloadType, payload) =
 *   "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload
 * where LEN is the decimal byte length.  The payload type is authenticated, so a signature made
 * for one kind of document can never verify as another.  The payload bytes are signed as they
 * are: nothing is canonicalised before verification.
 *
 * Envelope JSON (written by the canonical writer, pb_canon.h, so keys are sorted):
 *   {"payload":"<base64>","payloadType":"<type>","signatures":[{"keyid":"<hint>","sig":"<base64>"}]}
 * base64 is standard and padded (RFC 4648 §4).  keyid is "<key name>+<8 hex C2SP key ID>", a hint
 * only.  Parsing envelope JSON needs cJSON and lives in formats/pb_envelope.h.
 */
#ifndef PB_SEAL_H
#define PB_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"

/** pbvote's payload types: one per kind of signed document (docs/integrity.md). */
#define PB_SEAL_TYPE_MANIFEST "application/vnd.pbvote.manifest+json;v=1"
#define PB_SEAL_TYPE_CLOSE "application/vnd.pbvote.close+json;v=1"
#define PB_SEAL_TYPE_RESULT "application/vnd.pbvote.result+json;v=1"
#define PB_SEAL_TYPE_CERTIFICATION "application/vnd.pbvote.certification+json;v=1"
#define PB_SEAL_TYPE_KEYS "application/vnd.pbvote.keys+json;v=1"

#define PB_SEAL_TYPE_MAX 256  /* bytes of a payload type */
#define PB_SEAL_KEYID_MAX 256 /* bytes of a keyid hint */
#define PB_SEAL_MAX_SIGS 16   /* signatures per envelope */

/** One signature of an envelope. */
struct pb_seal_sig {
        char *keyid;                   /* owned, NUL-terminated; NULL when the envelope has none */
        uint8_t sig[PB_KEY_SIG_BYTES]; /* Ed25519 signature */
};

/**
 * A decoded envelope.  Caller storage: pb_seal_envelope_init() before use,
 * pb_seal_envelope_release() after; every pointer inside is owned by the envelope.
 */
struct pb_seal_envelope {
        char *payload_type; /* NUL-terminated UTF-8, no NUL inside */
        size_t payload_type_len;
        uint8_t *payload; /* payload_len bytes (never NULL once filled, even when empty) */
        size_t payload_len;
        struct pb_seal_sig *sigs;
        size_t nsigs;
};

void pb_seal_envelope_init(struct pb_seal_envelope *env);
/** Free everything; @env is left initialised and empty.  Accepts a zeroed envelope. */
void pb_seal_envelope_release(struct pb_seal_envelope *env);

/**
 * Append PAE(@type, @payload) to @out.
 * @return PB_OK, PB_ERR_NOMEM or PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_seal_pae(const char *type, size_t type_len, const uint8_t *payload, size_t payload_len,
                                struct pb_buf *out);

/**
 * Sign @payload as @type with each of @keys and append the envelope JSON to @out.
 * @param type   payload type: non-empty UTF-8 without NUL, at most PB_SEAL_TYPE_MAX bytes
 * @param keys   borrowed; 1 to PB_SEAL_MAX_SIGS keys, signatures are written in this order
 * @return PB_OK, PB_ERR_INVALID (bad type or key count), PB_ERR_NOMEM or PB_ERR_LIMIT;
 *         @out is unchanged on failure
 */
PB_NODISCARD pb_err pb_seal_sign(const char *type, const uint8_t *payload, size_t payload_len,
                                 const struct pb_key_secret *const *keys, size_t nkeys, struct pb_buf *out,
                                 struct pb_diag *reterr);

/**
 * Write @env as canonical envelope JSON (the layout above), appended to @out.  Parsers use it to
 * check that an envelope is byte for byte the one pbvote would write.
 * @return PB_OK, PB_ERR_INVALID (a field the format cannot hold), PB_ERR_NOMEM or PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_seal_envelope_format(const struct pb_seal_envelope *env, struct pb_buf *out);

/** Flags for pb_seal_verify(). */
enum pb_seal_verify_flags {
        PB_SEAL_SOLE_SIGNATURE = 1 << 0, /* the envelope must carry exactly one signature */
        PB_SEAL_MATCH_KEYID = 1 << 1,    /* the verifying signature's keyid must be @key's own hint */
        PB_SEAL_STRICT = PB_SEAL_SOLE_SIGNATURE | PB_SEAL_MATCH_KEYID, /* pbvote's own documents */
};

/**
 * Check that @env is a document of type @type signed by @key.
 *
 * The type must equal @type exactly (case-sensitive, no prefix matching).  Some signature must
 * verify under @key over PAE(type, payload); signatures that do not are ignored (they may belong
 * to other keys), as DSSE's multi-signature rule says.  keyid never selects or trusts a key.
 * With PB_SEAL_MATCH_KEYID the verifying signature must carry @key's own hint
 * ("<name>+<8 hex key ID>"), so that no unsigned byte of a pbvote envelope can change unnoticed;
 * with PB_SEAL_SOLE_SIGNATURE the envelope must have exactly one signature.  pbvote's verifier
 * uses PB_SEAL_STRICT on its own documents; 0 gives plain DSSE semantics.
 * @return PB_OK, PB_ERR_SIGNATURE (wrong type, no valid signature by @key, keyid mismatch) or
 *         PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_seal_verify(const struct pb_seal_envelope *env, const char *type,
                                   const struct pb_key_public *key, unsigned flags, struct pb_diag *reterr);

#endif
