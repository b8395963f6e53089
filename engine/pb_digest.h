/**
 * @file The size of a SHA-256 digest, named once: the hash of a signed document's payload
 * (manifest, close statement, result), of an API token, of the tie-break seed, and the hash the
 * ballot log's Merkle tree and the ballots' commitments are made of (pb_merkle.h, pb_cvr.h).
 */
#ifndef PB_DIGEST_H
#define PB_DIGEST_H

/** Bytes of a SHA-256 digest (libsodium's crypto_hash_sha256_BYTES; merkle.c checks they agree). */
#define PB_SHA256_BYTES 32
/** Hex digits of a SHA-256 digest: 2 * PB_SHA256_BYTES, a literal so that messages can state it. */
#define PB_SHA256_HEX_LEN 64

#endif
