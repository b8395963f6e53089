/**
 * @file Ed25519 keys with C2SP names and key IDs (c2sp.org/signed-note): the one key model shared
 * by DSSE envelopes (pb_seal.h), signed notes and checkpoints (pb_note.h) and key files.
 *
 * A key has a name (a schema-less URL such as "pb.city.example/engine" is recommended) and a
 * 32-bit key ID, SHA-256(name || 0x0A || 0x01 || public key)[:4] read big-endian.  The ID is a
 * hint for picking a key, never a reason to trust one: verifiers always hold the full public key.
 * The engine never generates keys; the seed (PB_KEY_SEED_BYTES) is an argument.
 */
#ifndef PB_KEY_H
#define PB_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

#define PB_KEY_NAME_MAX 128      /* bytes, for pbvote's own keys (C2SP sets no limit) */
#define PB_KEY_PUBLIC_BYTES 32   /* Ed25519 public key */
#define PB_KEY_SEED_BYTES 32     /* Ed25519 seed (RFC 8032 private key) */
#define PB_KEY_SECRET_BYTES 64   /* libsodium secret key: seed || public key */
#define PB_KEY_SIG_BYTES 64      /* Ed25519 signature */
#define PB_KEY_TYPE_ED25519 0x01 /* C2SP signature type byte */
#define PB_KEY_ID_HEX_LEN 8      /* a 32-bit key ID as lowercase hex */
/** Longest verifier key text: name '+' 8 hex '+' base64(33 bytes) = name + 54. */
#define PB_KEY_VKEY_MAX (PB_KEY_NAME_MAX + 54)

/** A public key with its name.  Plain data in caller storage; nothing to release. */
struct pb_key_public {
        char name[PB_KEY_NAME_MAX + 1];  /* NUL-terminated, valid per pb_key_name_is_valid() */
        uint8_t pk[PB_KEY_PUBLIC_BYTES]; /* Ed25519 public key */
        uint32_t id;                     /* C2SP key ID of (name, pk) */
};

/**
 * A signing key.  Caller storage that holds a secret: wipe it with pb_key_secret_wipe() as soon
 * as it is no longer needed (callers should keep it in sodium_malloc() memory).
 */
struct pb_key_secret {
        struct pb_key_public pub;
        uint8_t sk[PB_KEY_SECRET_BYTES]; /* libsodium Ed25519 secret key */
};

/**
 * True if @s[0..len) is a valid C2SP key name: non-empty, valid UTF-8, no '+' and no Unicode
 * white space (the set Go's unicode.IsSpace reports, as golang.org/x/mod/sumdb/note does).
 * No length limit here; pbvote's own keys are further limited to PB_KEY_NAME_MAX bytes.
 */
bool pb_key_name_is_valid(const char *s, size_t len);

/** C2SP key ID: SHA-256(@name || 0x0A || @type || @pk)[:4], big-endian. */
uint32_t pb_key_id(const char *name, size_t name_len, uint8_t type, const uint8_t *pk, size_t pk_len);

/**
 * Fill @ret from a name and an Ed25519 public key (copied).
 * @return PB_OK, or PB_ERR_INVALID for a name that is invalid or longer than PB_KEY_NAME_MAX
 */
PB_NODISCARD pb_err pb_key_public_init(struct pb_key_public *ret, const char *name,
                                       const uint8_t pk[PB_KEY_PUBLIC_BYTES], struct pb_diag *reterr);

/**
 * Derive the key pair of @seed (RFC 8032) and name it.  @seed is only read; wiping it is the
 * caller's business.  @ret is written only on PB_OK.
 * @return PB_OK or PB_ERR_INVALID (bad name)
 */
PB_NODISCARD pb_err pb_key_secret_from_seed(struct pb_key_secret *ret, const char *name,
                                            const uint8_t seed[PB_KEY_SEED_BYTES], struct pb_diag *reterr);

/** Zero @k (sodium_memzero, which the compiler cannot drop).  Accepts NULL. */
void pb_key_secret_wipe(struct pb_key_secret *k);

/** Ed25519 signature of @msg[0..len) by @k into @ret_sig (deterministic). */
void pb_key_sign(const struct pb_key_secret *k, const uint8_t *msg, size_t len,
                 uint8_t ret_sig[PB_KEY_SIG_BYTES]);

/** True if @sig is @k's Ed25519 signature of @msg (libsodium: canonical, no small-order keys). */
bool pb_key_verify(const struct pb_key_public *k, const uint8_t *msg, size_t len,
                   const uint8_t sig[PB_KEY_SIG_BYTES]);

/** True if @a and @b are the same key: same name and same public key. */
bool pb_key_equal(const struct pb_key_public *a, const struct pb_key_public *b);

/**
 * Append the C2SP verifier key "<name>+<8 hex key ID>+<base64(0x01 || pk)>" to @out.
 * @return PB_OK, PB_ERR_NOMEM or PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_key_vkey_format(const struct pb_key_public *k, struct pb_buf *out);

/**
 * Parse a verifier key (the format above): name valid and at most PB_KEY_NAME_MAX bytes, key ID
 * exactly 8 lowercase hex digits, base64 strict and exactly 33 bytes, type byte 0x01, and the key
 * ID must be the one computed from the name and key.  @ret is written only on PB_OK.
 * @return PB_OK, PB_ERR_PARSE (malformed), PB_ERR_UNSUPPORTED (another signature type) or
 *         PB_ERR_INVALID (the key ID does not match)
 */
PB_NODISCARD pb_err pb_key_vkey_parse(const char *s, size_t len, struct pb_key_public *ret,
                                      struct pb_diag *reterr);

/** Append the DSSE key ID hint "<name>+<8 hex key ID>" to @out. */
PB_NODISCARD pb_err pb_key_keyid_format(const struct pb_key_public *k, struct pb_buf *out);

#endif
