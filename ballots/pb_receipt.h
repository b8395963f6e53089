/**
 * @file Checking a voter's receipt offline (docs/integrity.md §3.2): the JSON the server or
 * `pbvote cast` returned, against the pinned engine key; and, later, the commitment's inclusion
 * proof in the ballot log (GET .../receipts/{commitment}) against the same key.  Pure: JSON text
 * in, a verdict out.
 */
#ifndef PB_RECEIPT_H
#define PB_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_cvr.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"
#include "engine/pb_note.h"

/** What a checked receipt says.  Plain data. */
struct pb_receipt_info {
        uint8_t commitment[PB_CVR_HASH_BYTES];
        struct pb_promise promise;    /* origin, election, batch size, root */
        uint64_t index;               /* the commitment's leaf in the promise's batch */
        char election[PB_ID_MAX + 1]; /* the receipt's, equal to the promise's once checked */
        char short_code[16];
};

/**
 * Check a receipt: @json is {"receipt": {...}} as the HTTP API answers, or the inner object as
 * `pbvote cast` prints it.  Its promise must open under @engine; its `election` must be the
 * election id the promise signs, and the promise's log origin the one derived from that id
 * (pb_origin_derive); the promise must be for @election and @origin when they are not NULL; its
 * path must place its commitment in the promise's batch, and its short code must be the
 * commitment's.
 * @param election  the election id the voter expects (NULL: any)
 * @param origin    the ballot log origin the voter expects (NULL: any)
 * @return PB_OK; PB_ERR_PARSE (not a receipt, or a promise of an older version: reterr->path names
 *         the field); PB_ERR_SIGNATURE (the promise is not signed by @engine, or the path does not
 *         lead to its root); PB_ERR_INVALID (a receipt election that is not the signed one, a log
 *         that is not the election's, another election or origin than expected, a short code that
 *         does not match, an impossible path)
 */
PB_NODISCARD pb_err pb_receipt_check(const char *json, size_t len, const struct pb_key_public *engine,
                                     const char *election, const char *origin, struct pb_receipt_info *ret,
                                     struct pb_diag *reterr);

/** What a checked inclusion proof says. */
struct pb_receipt_inclusion {
        bool pending;   /* accepted, not yet in the log: nothing else is set */
        uint64_t index; /* the commitment's leaf in the log */
        uint64_t size;  /* of the signed checkpoint */
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1];
};

/**
 * Check the answer of GET .../receipts/{commitment} (@json) for @commitment: the checkpoint opens
 * under @engine and names @origin (when not NULL), and the proof places the commitment's log leaf
 * (pb_cvr_leaf_hash) at its index in the checkpoint's tree.  {"pending":true} is PB_OK with
 * ret->pending.
 * @return as pb_receipt_check()
 */
PB_NODISCARD pb_err pb_receipt_check_inclusion(const char *json, size_t len,
                                               const uint8_t commitment[PB_CVR_HASH_BYTES],
                                               const struct pb_key_public *engine, const char *origin,
                                               struct pb_receipt_inclusion *ret, struct pb_diag *reterr);

#endif
