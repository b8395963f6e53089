/**
 * @file Ed25519 key files, one per role, the 32-byte seed sealed under a passphrase.
 *
 * A key file is seven lines of text (docs/integrity.md has the grammar):
 *   pbvote-secret-key/v1
 *   role: engine                                    (or office)
 *   public: <C2SP verifier key: name+keyid+base64>
 *   kdf: argon2id13 ops=<opslimit> mem=<memlimit bytes>
 *   salt: <base64, 16 bytes>
 *   nonce: <base64, 24 bytes>
 *   sealed-seed: <base64, 48 bytes>
 * The key-encryption key is crypto_pwhash(Argon2id13) of the passphrase; the seed is sealed with
 * XChaCha20-Poly1305 whose associated data is every byte of the file before the sealed-seed line,
 * so no header field (role, name, key, KDF limits, salt) can change without decryption failing.
 * After decryption the public key derived from the seed must equal the one in the header.
 *
 * The unencrypted variant (only with PB_KEYFILE_UNENCRYPTED, for tests and demos) says so in the
 * file itself: "kdf: none", a warning line, the raw seed, and a BLAKE2b-256 check of everything
 * before it (which catches damage, not an attacker: anyone who can write the file owns the key).
 *
 * Files are created mode 0600 and never overwritten; loading refuses symbolic links and files
 * that group or others can read.  Secrets are wiped (sodium_memzero / sodium_free) after use.
 */
#ifndef PB_KEYFILE_H
#define PB_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"

enum pb_key_role {
        PB_KEY_ROLE_ENGINE, /* the engine: checkpoints, promises, close statements, results */
        PB_KEY_ROLE_OFFICE, /* the finance office: manifests, certifications */
        PB_KEY_ROLE_COUNT
};

/** "engine" or "office"; NULL for a value outside the enum. */
const char *pb_key_role_name(enum pb_key_role role);
/** Parse a role name.  @return PB_OK or PB_ERR_INVALID */
PB_NODISCARD pb_err pb_key_role_parse(const char *s, enum pb_key_role *ret);

/** Argon2id limits.  Presets are libsodium's (1.0.18): INTERACTIVE 2 / 64 MiB, MODERATE 3 / 256 MiB
 *  (the default: about 0.5 s on the test machine), SENSITIVE 4 / 1 GiB (offline keys). */
struct pb_keyfile_kdf {
        uint64_t opslimit; /* Argon2 passes, PB_KEYFILE_OPS_MIN..PB_KEYFILE_OPS_MAX */
        uint64_t memlimit; /* bytes, a multiple of 1024, PB_KEYFILE_MEM_MIN..PB_KEYFILE_MEM_MAX */
};
#define PB_KEYFILE_OPS_MIN 1
#define PB_KEYFILE_OPS_MAX 16
#define PB_KEYFILE_MEM_MIN ((uint64_t)8 << 10)
#define PB_KEYFILE_MEM_MAX ((uint64_t)1 << 30)
/** The first line of every secret key file (a tool that finds it where a public key belongs can say so). */
#define PB_KEYFILE_MAGIC "pbvote-secret-key/v1"
#define PB_KEYFILE_PASS_MAX 1024 /* passphrase bytes */
#define PB_KEYFILE_MAX_KIB 4     /* a key file, in KiB (stated in messages) */
#define PB_KEYFILE_MAX_BYTES (PB_KEYFILE_MAX_KIB * 1024)
#define PB_KEYFILE_SALT_BYTES 16
#define PB_KEYFILE_NONCE_BYTES 24

/** Fill @ret with a named preset: "interactive", "moderate" or "sensitive".  PB_ERR_INVALID otherwise. */
PB_NODISCARD pb_err pb_keyfile_kdf_preset(const char *name, struct pb_keyfile_kdf *ret);

/** What a key file says about itself; readable without the passphrase.  Plain data. */
struct pb_keyfile_info {
        enum pb_key_role role;
        struct pb_key_public pub;  /* name, public key, key ID */
        bool encrypted;            /* false: "kdf: none" */
        struct pb_keyfile_kdf kdf; /* zero when not encrypted */
};

enum pb_keyfile_flags {
        PB_KEYFILE_UNENCRYPTED = 1 << 0, /* write the seed in the clear (tests and demos only) */
};

/**
 * Write the key file text for @seed (deterministic given @salt and @nonce) to @out.
 * @param name        the key's C2SP name (pb_key_name_is_valid, at most PB_KEY_NAME_MAX bytes)
 * @param pass        the passphrase (1..PB_KEYFILE_PASS_MAX bytes); must be NULL exactly when
 *                    @flags has PB_KEYFILE_UNENCRYPTED
 * @param kdf, salt, nonce  ignored when unencrypted
 * @return PB_OK, PB_ERR_INVALID (role, name, passphrase or limits), PB_ERR_NOMEM (also when
 *         Argon2 cannot get its memory); @out is unchanged on failure
 */
PB_NODISCARD pb_err pb_keyfile_format(enum pb_key_role role, const char *name,
                                      const uint8_t seed[PB_KEY_SEED_BYTES], const char *pass,
                                      size_t pass_len, const struct pb_keyfile_kdf *kdf,
                                      const uint8_t salt[PB_KEYFILE_SALT_BYTES],
                                      const uint8_t nonce[PB_KEYFILE_NONCE_BYTES], unsigned flags,
                                      struct pb_buf *out, struct pb_diag *reterr);

/**
 * Read the header of key file text @buf[0..len) without decrypting anything.  Strict: the exact
 * lines above, canonical numbers and base64, the KDF limits in range, the key ID matching.
 * @return PB_OK, PB_ERR_LIMIT, PB_ERR_PARSE (reterr->line names the line),
 *         PB_ERR_SIGNATURE (unencrypted file whose check line does not match)
 */
PB_NODISCARD pb_err pb_keyfile_parse(const char *buf, size_t len, struct pb_keyfile_info *ret,
                                     struct pb_diag *reterr);

/**
 * Parse and unlock key file text: derive the key-encryption key, open the sealed seed, derive the
 * key pair and check it against the header.
 * @param pass      ignored for unencrypted files; NULL for an encrypted one gives PB_ERR_AUTH
 * @param ret_info  [out] optional
 * @param ret_key   [out] the signing key; caller wipes it (pb_key_secret_wipe); set only on PB_OK
 * @return PB_OK, the errors of pb_keyfile_parse(), PB_ERR_AUTH (wrong passphrase or altered
 *         file: the two cannot be told apart), PB_ERR_SIGNATURE (the seed does not give the header's
 *         public key), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_keyfile_unlock(const char *buf, size_t len, const char *pass, size_t pass_len,
                                      struct pb_keyfile_info *ret_info, struct pb_key_secret *ret_key,
                                      struct pb_diag *reterr);

/**
 * Generate a key (randombytes_buf: seed, salt, nonce) and write its key file to @path, mode 0600,
 * atomically and never over an existing file.
 * @param ret_info  [out] optional: the new key's public description
 * @return PB_OK, PB_ERR_CONFLICT (@path exists), PB_ERR_IO, and the errors of pb_keyfile_format()
 */
PB_NODISCARD pb_err pb_keyfile_create(const char *path, enum pb_key_role role, const char *name,
                                      const char *pass, size_t pass_len, const struct pb_keyfile_kdf *kdf,
                                      unsigned flags, struct pb_keyfile_info *ret_info,
                                      struct pb_diag *reterr);

/**
 * Read @path (no symbolic link, a regular file that group and others cannot read) and parse its
 * header.  No passphrase needed: this is how the public key is exported.
 * @return PB_OK, PB_ERR_IO, PB_ERR_FORBIDDEN (permissions), and the errors of pb_keyfile_parse()
 */
PB_NODISCARD pb_err pb_keyfile_read_info(const char *path, struct pb_keyfile_info *ret,
                                         struct pb_diag *reterr);

/** Read @path as pb_keyfile_read_info() does and unlock it (pb_keyfile_unlock()). */
PB_NODISCARD pb_err pb_keyfile_load(const char *path, const char *pass, size_t pass_len,
                                    struct pb_keyfile_info *ret_info, struct pb_key_secret *ret_key,
                                    struct pb_diag *reterr);

#endif
