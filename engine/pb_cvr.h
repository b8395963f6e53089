/**
 * @file Cast vote records (CVRs): the canonical bytes of one accepted ballot, its commitment and
 * its ballot-log leaf (verifiability.md §4.1, docs/ballot-box.md).  Pure functions.
 *
 * CVR bytes are canonical JSON (pb_canon.h) with exactly these members:
 *   {"ballot":B,"channel":"electronic"|"paper"|"imported"|"web","cvr_id":"<hex>","election":"<id>"}
 * where B is {"approvals":[ids]} (approval and choose-1; ids in byte order), {"ranking":[ids]}
 * (ordinal; most preferred first) or {"points":{"<id>":n,...}} (cumulative and scoring).
 *
 *   commitment = SHA-256("pbv/commit/v1\0" || u8 len(election id) || election id || nonce || cvr)
 *   leaf input = "pbv/leaf/v1\0" || commitment
 *   leaf hash  = SHA-256(0x00 || leaf input)            (RFC 6962, pb_merkle_leaf_hash)
 *
 * cvr_id is PB_CVR_ID_BYTES as lowercase hex, the nonce PB_CVR_NONCE_BYTES, a commitment
 * PB_CVR_HASH_BYTES.  Every field before the CVR has a fixed or stated length, so the concatenation is unambiguous.
 * The nonce is secret (never on a receipt), which makes the commitment hiding; the hash makes it
 * binding.  The randomness (cvr_id, nonce) is an argument: the engine draws none.
 */
#ifndef PB_CVR_H
#define PB_CVR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_digest.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_merkle.h"

#define PB_CVR_ID_BYTES 16
#define PB_CVR_ID_HEX_LEN 32 /* the cvr_id as lowercase hex: 2 * PB_CVR_ID_BYTES (cvr.c checks) */
#define PB_CVR_NONCE_BYTES 32
#define PB_CVR_HASH_BYTES PB_SHA256_BYTES /* a commitment */
#define PB_CVR_COMMIT_TAG "pbv/commit/v1" /* hashed with its terminating NUL (14 bytes) */
#define PB_CVR_LEAF_TAG "pbv/leaf/v1"     /* hashed with its terminating NUL (12 bytes) */
#define PB_CVR_LEAF_INPUT_BYTES (sizeof(PB_CVR_LEAF_TAG) + PB_CVR_HASH_BYTES)
/** Longest CVR: every project listed with the largest points, plus the fixed members. */
#define PB_CVR_MAX_BYTES(n_projects) (256 + (size_t)(n_projects) * (PB_ID_MAX * 2 + 32))

/** How a ballot reached the box; recorded in its CVR (and counted in the result). */
enum pb_channel {
        PB_CHANNEL_ELECTRONIC, /* cast by a voter at a kiosk, or through a frontend with a kiosk token */
        PB_CHANNEL_PAPER,      /* a paper ballot entered by an officer */
        PB_CHANNEL_IMPORTED,   /* a historic ballot imported from a file (pbvote import) */
        PB_CHANNEL_WEB,        /* cast from home with the voter code alone, on pbvote's own page (issue 12) */
        PB_CHANNEL_COUNT
};

/** "electronic", "paper", "imported", "web"; "?" outside the enum. */
const char *pb_channel_name(enum pb_channel c);
/** Parse a channel name.  PB_ERR_NOT_FOUND for anything else (*ret untouched). */
PB_NODISCARD pb_err pb_channel_parse(const char *s, size_t len, enum pb_channel *ret);

/**
 * Append the canonical CVR of one ballot of @e to @out.
 * @param items   @n project indexes of @e (ballot order; for approval ballots any order: they are
 *                written in id byte order), each < e->n_projects and distinct
 * @param points  parallel to @items for point ballots, NULL otherwise
 * @return PB_OK, PB_ERR_INVALID (index out of range, points missing or unexpected, a duplicate),
 *         PB_ERR_NOMEM, PB_ERR_LIMIT (from @out); @out is unchanged on failure
 */
PB_NODISCARD pb_err pb_cvr_format(const struct pb_election *e, const uint32_t *items, const int64_t *points,
                                  size_t n, enum pb_channel channel, const uint8_t cvr_id[PB_CVR_ID_BYTES],
                                  struct pb_buf *out);

/**
 * The commitment to CVR bytes @cvr[0..len) of election @election_id (1..PB_ID_MAX bytes; anything
 * else gives PB_ERR_INVALID) with @nonce.
 */
PB_NODISCARD pb_err pb_cvr_commitment(const char *election_id, const uint8_t nonce[PB_CVR_NONCE_BYTES],
                                      const uint8_t *cvr, size_t len,
                                      uint8_t ret_commitment[PB_CVR_HASH_BYTES]);

/** The leaf input of a commitment ("pbv/leaf/v1\0" || commitment), PB_CVR_LEAF_INPUT_BYTES bytes. */
void pb_cvr_leaf_input(const uint8_t commitment[PB_CVR_HASH_BYTES], uint8_t ret[PB_CVR_LEAF_INPUT_BYTES]);

/** The RFC 6962 leaf hash of a commitment: SHA-256(0x00 || leaf input). */
void pb_cvr_leaf_hash(const uint8_t commitment[PB_CVR_HASH_BYTES], uint8_t ret_hash[PB_MERKLE_HASH_BYTES]);

#endif
