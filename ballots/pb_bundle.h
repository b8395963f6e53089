/**
 * @file The audit bundle (docs/auditor.md): its files, their line formats, and the offline
 * verifier `pbvote verify` runs.
 *
 * Every byte of the bundle is covered: the envelopes are canonical and signed, keys.txt must be
 * exactly the keys the signed manifest names, each checkpoint line holds one note signed by the
 * engine key and nothing else, each ballot line is the canonical line of a CVR whose recomputed
 * commitment is a leaf of the signed tree, and no other file may be present.
 */
#ifndef PB_BUNDLE_H
#define PB_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_cvr.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"

#define PB_BUNDLE_MANIFEST "manifest.dsse.json"
#define PB_BUNDLE_KEYS "keys.txt"
#define PB_BUNDLE_CHECKPOINTS "checkpoints.jsonl"
#define PB_BUNDLE_BALLOTS "ballots.jsonl"
#define PB_BUNDLE_CLOSE "close.dsse.json"
#define PB_BUNDLE_RESULT "result.dsse.json"
#define PB_BUNDLE_CERTIFICATION "certification.dsse.json"

/** Append keys.txt: "engine <vkey>\noffice <vkey>\n". */
PB_NODISCARD pb_err pb_bundle_keys_format(const struct pb_key_public *engine,
                                          const struct pb_key_public *office, struct pb_buf *out);

/** Append one line of checkpoints.jsonl: {"note":"<the signed note>"} and a newline. */
PB_NODISCARD pb_err pb_bundle_checkpoint_line(const char *note, size_t len, struct pb_buf *out);

/** Append one line of ballots.jsonl: {"commitment":"<hex>","cvr":"<CVR text>","nonce":"<hex>"} and a newline. */
PB_NODISCARD pb_err pb_bundle_ballot_line(const uint8_t commitment[PB_CVR_HASH_BYTES],
                                          const uint8_t nonce[PB_CVR_NONCE_BYTES], const char *cvr,
                                          size_t cvr_len, struct pb_buf *out);

/** One named check of the verifier and its verdict. */
struct pb_verify_check {
        const char *id;   /* "A1", "B2", ... (docs/auditor.md) */
        const char *name; /* "files", "manifest signature", ... */
        bool pass;
        uint64_t count;     /* records checked (files, checkpoints, ballots), 0 when not applicable */
        const char *detail; /* static text: what passed, or why it failed */
        unsigned line;      /* the line of the file the failure is on, 0 when not applicable */
};

/** Receives each check as it completes, in a fixed order. */
typedef void (*pb_verify_fn)(void *ctx, const struct pb_verify_check *c);

/** The role a trusted key is pinned for. */
enum pb_trust_role { PB_TRUST_ANY, PB_TRUST_ENGINE, PB_TRUST_OFFICE };

/** What the verifier trusts and requires. */
struct pb_verify_options {
        const struct pb_key_public *trusted; /* keys published out of band (may be NULL) */
        const enum pb_trust_role *roles;     /* parallel to trusted; NULL: every key for any role */
        size_t n_trusted;                    /* 0: keys are taken from the bundle itself (reported) */
        bool allow_uncertified;              /* a bundle without certification.dsse.json may pass */
};

/**
 * Verify the audit bundle in folder @dir offline (docs/auditor.md lists every check): files,
 * signatures and key pinning, every checkpoint, every CVR recommitted and the tree rebuilt,
 * batches sorted, the documents consistent with each other and the counts, and a re-tally from
 * the CVRs compared byte for byte with the signed result.  Each check is reported to @fn.
 * @param ret_failed  [out] number of failed checks
 * @return PB_OK when every check passed, PB_ERR_SIGNATURE when one failed, PB_ERR_NOMEM or
 *         PB_ERR_IO when the verifier itself could not run
 */
PB_NODISCARD pb_err pb_bundle_verify(const char *dir, const struct pb_verify_options *o, pb_verify_fn fn,
                                     void *ctx, unsigned *ret_failed);

#endif
