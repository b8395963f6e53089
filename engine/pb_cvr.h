/**
 * @file Cast vote records (CVRs): the canonical bytes of one accepted ballot, its commitment and
 * its ballot-log leaf (verifiability.md §4.1, docs/ballot-box.md).  Pure functions.
 *
 * CVR bytes are canonical JSON (pb_canon.h) with exactly these members:
 *   {"ballot":B,"channel":"electronic"|"paper"|"imported"|"web","cvr_id":"<hex>","election":"<id>"}
 * where B is {"approvals":[ids]} (approval and choose-1; ids in byte order), {"ranking":[ids]}
 * (ordinal; most preferred first) or {"points":{"<id>":n,...}} (cumulative and scoring).  A vote
 * of several contests (DESIGN.md §3) has one CVR per voter carrying a ballot per contest voted in:
 *   {"ballots":{"<contest id>":B,...},"channel":...,"cvr_id":...,"election":"<vote id>"}
 * (contests in byte order of their ids, as every canonical object; a contest left out is absent).
 * A paper ballot an officer entered over the API also has "batch" and "officer" (after "ballot"
 * or "ballots" and before "channel", in key order, "officer" last), and a contest's ballot may be
 * {"blank":true} or {"spoiled":true} (enum pb_mark).
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

#include <stdbool.h>
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
 * What an officer recorded for a contest of a paper ballot instead of picks: the paper is blank,
 * or spoiled (unreadable, or breaking the contest's rules).  Recorded as such, never counted.  In
 * a CVR the ballot is then {"blank":true} or {"spoiled":true}; only paper ballots have marks.
 */
enum pb_mark { PB_MARK_NONE, PB_MARK_BLANK, PB_MARK_SPOILED, PB_MARK_COUNT };

/** "blank", "spoiled"; NULL for PB_MARK_NONE or outside the enum. */
const char *pb_mark_name(enum pb_mark m);

/** One contest's ballot in the CVR of a vote of several contests. */
struct pb_cvr_part {
        const struct pb_election *contest; /* its id names the ballot in the CVR */
        const uint32_t *items;             /* @n project indexes of @contest, as for pb_cvr_format() */
        const int64_t *points;             /* parallel to @items for point ballots, NULL otherwise */
        size_t n;
        enum pb_mark mark; /* not PB_MARK_NONE: a paper's blank or spoiled part (@n 0) */
};

/** Longest paper batch label, in bytes. */
#define PB_CVR_BATCH_MAX 64

/**
 * Who entered a paper ballot, recorded in its CVR as "batch" and "officer" (the officer's token id)
 * so that an audit can set a batch's CVRs against its papers.  Either may be NULL (absent).
 */
struct pb_cvr_paper {
        const char *batch;   /* 1..PB_CVR_BATCH_MAX printable ASCII bytes without '"' and '\\' */
        const char *officer; /* the same */
};

/**
 * The CVR of any ballot: the one-contest form ("ballot", exactly one part, @vote_id its
 * election's id) when @several is false, else the form of a vote of several contests; with the
 * paper record @paper (NULL: none) and the parts' marks.  pb_cvr_format() and pb_cvr_format_vote()
 * are this without marks or a paper record.
 * @return as pb_cvr_format_vote(); PB_ERR_INVALID also for a mark on another channel than paper, a
 *         marked part with picks, or a bad batch or officer
 */
PB_NODISCARD pb_err pb_cvr_write(const char *vote_id, bool several, const struct pb_cvr_part *parts,
                                 size_t n_parts, enum pb_channel channel, const struct pb_cvr_paper *paper,
                                 const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out);

/**
 * Append the canonical CVR of a vote of several contests to @out: the ballots of @parts (any
 * order: they are written in byte order of their contest ids), under the vote's id @vote_id.
 * @return PB_OK, PB_ERR_INVALID (no part, a contest twice, a ballot pb_cvr_format() refuses),
 *         PB_ERR_NOMEM, PB_ERR_LIMIT; @out is unchanged on failure
 */
PB_NODISCARD pb_err pb_cvr_format_vote(const char *vote_id, const struct pb_cvr_part *parts, size_t n_parts,
                                       enum pb_channel channel, const uint8_t cvr_id[PB_CVR_ID_BYTES],
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
