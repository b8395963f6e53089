/**
 * @file C2SP signed notes (c2sp.org/signed-note), transparency-log checkpoints
 * (c2sp.org/tlog-checkpoint) and pbvote's signed ballot promise.
 *
 * A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
 *   "— <key name> <base64(4-byte big-endian key ID || Ed25519 signature of the text)>\n"
 * (the dash is U+2014).  No control characters other than newline anywhere.  Verifiers ignore
 * signatures by keys they do not know (so witnesses can cosign and keys can rotate) and reject the
 * note when a known key's signature fails or when no known key signed.
 *
 * Checkpoint text:  "<origin>\n<tree size>\n<base64 root hash>\n"
 * Promise text:     "pbv-promise/v3\n<log origin>\n<election id>\n<batch size>\n<base64 root>\nby-close\n"
 * The promise is the engine's signed statement, given when a batch of ballots is accepted, that
 * their commitments will be leaves of the ballot log named by the origin (the log of the named
 * election) no later than the log's final (close) checkpoint.  Its second line is not a number,
 * so it never parses as a checkpoint.
 */
#ifndef PB_NOTE_H
#define PB_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"
#include "engine/pb_merkle.h"

#define PB_NOTE_MAX_MIB 1                                   /* a whole note, in MiB (stated in messages) */
#define PB_NOTE_MAX_BYTES ((unsigned)PB_NOTE_MAX_MIB << 20) /* a whole note */
#define PB_NOTE_MAX_SIGS 100       /* signature lines per note (the spec's floor is 16; Go's cap is 100) */
#define PB_NOTE_MAX_KEYS 64        /* trusted keys per pb_note_open() call */
#define PB_NOTE_MAX_SIG_BYTES 8192 /* decoded size of one signature line (post-quantum fits) */
#define PB_NOTE_MAX_SIGNERS 16     /* keys per pb_note_sign() call (the spec's floor for verifiers) */

/**
 * Sign @text with each of @keys and append the whole note to @out.
 * @param text  non-empty, ends with '\n', valid UTF-8, no control character other than '\n'
 * @param keys  borrowed; 1 to PB_NOTE_MAX_SIGNERS keys, lines are written in this order
 * @return PB_OK, PB_ERR_INVALID (bad text or key count), PB_ERR_NOMEM or PB_ERR_LIMIT;
 *         @out is unchanged on failure
 */
PB_NODISCARD pb_err pb_note_sign(const char *text, size_t len, const struct pb_key_secret *const *keys,
                                 size_t nkeys, struct pb_buf *out, struct pb_diag *reterr);

/**
 * Parse and verify the note @msg[0..len) against @keys.
 * @param keys          borrowed; up to PB_NOTE_MAX_KEYS trusted public keys
 * @param ret_text_len  [out] the text is @msg[0..*ret_text_len) (borrowed from @msg); set on PB_OK
 * @param ret_verified  [out] optional array of @nkeys flags: which keys signed; set on PB_OK
 * @return PB_OK when at least one of @keys signed and none of their signatures failed;
 *         PB_ERR_LIMIT (too large), PB_ERR_PARSE (malformed; reterr->line is the note's line),
 *         PB_ERR_INVALID (two of @keys share a name and key ID and one is used),
 *         PB_ERR_SIGNATURE (a known key's signature fails, or no known key signed)
 */
PB_NODISCARD pb_err pb_note_open(const char *msg, size_t len, const struct pb_key_public *keys, size_t nkeys,
                                 size_t *ret_text_len, bool *ret_verified, struct pb_diag *reterr);

#define PB_CHECKPOINT_ORIGIN_MAX 255

/** A checkpoint body: which log, how many leaves, which root.  Plain data. */
struct pb_checkpoint {
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1]; /* NUL-terminated; a valid key name (no spaces or '+') */
        uint64_t size;                             /* tree size, <= 2^63 - 1 */
        uint8_t root[PB_MERKLE_HASH_BYTES];        /* RFC 6962 root of the first @size leaves */
};

/**
 * Append the checkpoint text of @c to @out.
 * @return PB_OK, PB_ERR_INVALID (origin empty, too long, with spaces or '+'; size too large),
 *         PB_ERR_NOMEM or PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_checkpoint_format(const struct pb_checkpoint *c, struct pb_buf *out,
                                         struct pb_diag *reterr);

/**
 * Parse checkpoint text (the text of an opened note).  Exactly three lines: pbvote writes no
 * extension lines and refuses them (PB_ERR_UNSUPPORTED).  The size has no leading zeros; the root
 * is strict base64 of PB_MERKLE_HASH_BYTES.  @ret is written only on PB_OK.
 * @return PB_OK, PB_ERR_PARSE (reterr->line names the line) or PB_ERR_UNSUPPORTED
 */
PB_NODISCARD pb_err pb_checkpoint_parse(const char *text, size_t len, struct pb_checkpoint *ret,
                                        struct pb_diag *reterr);

/** Format @c and sign it with @key (a signed note), appended to @out. */
PB_NODISCARD pb_err pb_checkpoint_sign(const struct pb_checkpoint *c, const struct pb_key_secret *key,
                                       struct pb_buf *out, struct pb_diag *reterr);

/**
 * Open a signed checkpoint: pb_note_open() with the one trusted @key, then pb_checkpoint_parse().
 * Other signatures (witness cosignatures) are ignored.
 */
PB_NODISCARD pb_err pb_checkpoint_open(const char *msg, size_t len, const struct pb_key_public *key,
                                       struct pb_checkpoint *ret, struct pb_diag *reterr);

/**
 * The ballot log's origin of election @election_id, derived, never chosen (docs/integrity.md §3.1):
 * "pbvote/" + the id with ' ', '+' and '%' written as "%20", "%2B", "%25" + "/ballots".  The
 * mapping is one-to-one, so elections with distinct ids (every election of a server, hence every
 * election one engine key signs for) have distinct logs, and anyone holding the id can recompute
 * it.  @ret is written only on PB_OK.
 * @param election_id  1..PB_ID_MAX bytes of printable ASCII
 * @return PB_OK or PB_ERR_INVALID (the id is empty, too long, or not printable ASCII)
 */
PB_NODISCARD pb_err pb_origin_derive(const char *election_id, char ret[PB_CHECKPOINT_ORIGIN_MAX + 1]);

#define PB_PROMISE_HEADER "pbv-promise/v3"
#define PB_PROMISE_DEADLINE "by-close"
#define PB_PROMISE_BATCH_MAX 4096 /* commitments under one promise */
#define PB_PROMISE_PATH_MAX 12    /* hashes in the audit path of a batch of PB_PROMISE_BATCH_MAX */

/**
 * A ballot promise (docs/integrity.md §3.2): the ballot log (origin) will include, by close, every
 * commitment of a batch accepted together.  The batch is the RFC 6962 tree of @size leaves, the
 * log's own leaf hashes (pb_cvr_leaf_hash) of the commitments in ascending order; @root is its
 * root.  A receipt carries the promise, its commitment and the audit path (pb_promise_proof), so one
 * signature covers a whole group commit.  Plain data.
 */
struct pb_promise {
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1]; /* the ballot log's checkpoint origin */
        char election[PB_ID_MAX + 1];              /* the election id (printable ASCII), signed with it */
        uint64_t size;                             /* commitments in the batch, 1..PB_PROMISE_BATCH_MAX */
        uint8_t root[PB_MERKLE_HASH_BYTES];        /* root of their tree */
};

/** Where one commitment sits in a promise's tree.  Plain data. */
struct pb_promise_proof {
        uint64_t index;  /* its leaf, 0..size-1 (the rank of the commitment in the batch) */
        size_t path_len; /* hashes in @path, lowest level first */
        uint8_t path[PB_PROMISE_PATH_MAX][PB_MERKLE_HASH_BYTES];
};

/** Append the promise text of @p to @out.  Errors as pb_checkpoint_format(); PB_ERR_INVALID for a
 *  size out of range or an election id that is empty, too long or not printable ASCII. */
PB_NODISCARD pb_err pb_promise_format(const struct pb_promise *p, struct pb_buf *out, struct pb_diag *reterr);

/**
 * Parse promise text: exactly the six lines (header, origin, election id, size, base64 root,
 * deadline).  Older versions (pbv-promise/v1, v2: no election id) are refused.
 * @ret is written only on PB_OK.
 * @return PB_OK or PB_ERR_PARSE (reterr->line names the line)
 */
PB_NODISCARD pb_err pb_promise_parse(const char *text, size_t len, struct pb_promise *ret,
                                     struct pb_diag *reterr);

/** Format @p and sign it with @key, appended to @out. */
PB_NODISCARD pb_err pb_promise_sign(const struct pb_promise *p, const struct pb_key_secret *key,
                                    struct pb_buf *out, struct pb_diag *reterr);

/** Open a signed promise with the one trusted @key and parse it. */
PB_NODISCARD pb_err pb_promise_open(const char *msg, size_t len, const struct pb_key_public *key,
                                    struct pb_promise *ret, struct pb_diag *reterr);

/**
 * The promise of a batch: fills @ret's size and root (not its origin or election) for the @n commitments at
 * @commitments (PB_CVR_HASH_BYTES each, distinct, in any order) and, for each commitment i, @ret_proofs[i].
 * Allocates only temporaries.
 * @return PB_OK, PB_ERR_LIMIT (@n is 0 or above PB_PROMISE_BATCH_MAX), PB_ERR_INVALID (a commitment
 *         appears twice), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_promise_batch(const uint8_t *commitments, size_t n, struct pb_promise *ret,
                                     struct pb_promise_proof *ret_proofs, struct pb_diag *reterr);

/**
 * Does @proof show that @commitment is in the batch of @p (a promise already opened with
 * pb_promise_open)?
 * @return PB_OK, PB_ERR_INVALID (index or path length impossible for the size) or PB_ERR_SIGNATURE
 *         (the path does not lead to the root)
 */
PB_NODISCARD pb_err pb_promise_check(const struct pb_promise *p,
                                     const uint8_t commitment[PB_MERKLE_HASH_BYTES],
                                     const struct pb_promise_proof *proof, struct pb_diag *reterr);

#endif
