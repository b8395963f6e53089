/**
 * @file The audit bundle (docs/auditor.md): its files, their line formats, and the offline
 * verifier `pbvote verify` runs.
 *
 * Every byte of the bundle is covered: the envelopes are canonical and signed, keys.txt must be
 * exactly the keys the signed manifest names, each checkpoint line holds one note signed by the
 * engine key and nothing else, each ballot line is the canonical line of a CVR whose recomputed
 * commitment is a leaf of the signed tree, and no other file may be present (in a folder or in
 * a tar archive of it).
 */
#ifndef PB_BUNDLE_H
#define PB_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_cvr.h"
#include "engine/pb_digest.h"
#include "engine/pb_err.h"
#include "engine/pb_result.h"
#include "engine/pb_key.h"
#include "engine/pb_note.h"
#include "formats/pb_manifest.h"

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

/** keys.txt is two verifier keys of at most PB_KEY_VKEY_MAX bytes with their roles: 1 KiB is above it. */
#define PB_BUNDLE_KEYS_MAX 1024
/**
 * The longest valid line of checkpoints.jsonl, newline included: {"note":"..."} around a note of
 * exactly one signature line (origin, size, root, a blank line, "— <key name> <base64 of 68
 * bytes>"), each byte escaped as at most two (newlines as \n).
 */
#define PB_BUNDLE_CHECKPOINT_LINE_MAX                                                                        \
        (16 + 2 * (PB_CHECKPOINT_ORIGIN_MAX + 1 + 20 + 45 + 1 + 4 + PB_KEY_NAME_MAX + 1 + 92 + 1))
/**
 * The longest valid line of ballots.jsonl for an election of @n projects, newline included: the
 * framing and two hex hashes (166 bytes, rounded up to 256) and the longest CVR with every byte
 * escaped as at most two (a canonical CVR holds printable ASCII only: its quotes become \").
 */
#define PB_BUNDLE_BALLOT_LINE_MAX(n_projects) (256 + 2 * PB_CVR_MAX_BYTES(n_projects))

/** One named check of the verifier and its verdict.  Borrowed: valid during the callback only. */
struct pb_verify_check {
        const char *id;   /* "A1", "B2", ... (docs/auditor.md) */
        const char *name; /* "files", "manifest signature", ... */
        bool pass;
        uint64_t count;     /* records checked (files, checkpoints, ballots), 0 when not applicable */
        const char *detail; /* static text: what passed, or why it failed */
        const char *file;   /* the file (or archive member) a failure is in; NULL when none.  It may
                             * be a name from the bundle: print it escaped */
        unsigned line;      /* the line of that file the failure is on, 0 when not applicable */
        const char *field;  /* a JSON path in that file ("$.origin"), NULL when not applicable */
};

/** Receives each check as it completes, in a fixed order. */
typedef void (*pb_verify_fn)(void *ctx, const struct pb_verify_check *c);

/**
 * What the verifier checked, for the auditor to compare with what the city published.
 * Borrowed: valid during the callback only.  Each part is set only when the checks it comes
 * from passed.
 */
struct pb_verify_summary {
        const struct pb_manifest *manifest;       /* the signed manifest (B1 passed), else NULL: id,
                                             * title per language, currency, scale, budget, names */
        uint8_t manifest_sha256[PB_SHA256_BYTES]; /* SHA-256 of the manifest payload (when manifest) */
        bool has_result;                          /* B4 passed: */
        uint8_t result_sha256[PB_SHA256_BYTES];   /* SHA-256 of the signed result's payload */
        bool has_ballots;                         /* C1 passed: */
        uint64_t ballots;                         /* the ballots in the log */
        bool has_tally;                           /* F1 passed: the recount, equal to the signed result: */
        const struct pb_result *results;          /* each contest's outcome (manifest order): winners as
                                             * project indexes of the contest's election, money spent
                                             * in minor units (the manifest's currency and scale) */
        size_t n_results;                         /* the manifest's contests */
        bool valid;                               /* every check passed */
};

/** Receives the summary once, after the last check. */
typedef void (*pb_verify_summary_fn)(void *ctx, const struct pb_verify_summary *s);

/** The role a trusted key is pinned for. */
enum pb_trust_role { PB_TRUST_ANY, PB_TRUST_ENGINE, PB_TRUST_OFFICE };

/** What the verifier trusts and requires.  Every pointer is borrowed; NULL means "any". */
struct pb_verify_options {
        const struct pb_key_public *trusted; /* keys published out of band (may be NULL) */
        const enum pb_trust_role *roles;     /* parallel to trusted; NULL: every key for any role */
        size_t n_trusted;                    /* 0: keys are taken from the bundle itself (reported) */
        bool allow_uncertified;              /* a bundle without certification.dsse.json may pass */
        const char *expect_election;         /* the election id the auditor was asked to check */
        const uint8_t *expect_manifest;      /* PB_SHA256_BYTES: of the published manifest payload */
        const uint8_t *expect_result;        /* PB_SHA256_BYTES: of the published result payload */
        pb_verify_summary_fn summary;        /* called with the check callback's @ctx; may be NULL */
};

/**
 * Verify the audit bundle at @path offline (docs/auditor.md lists every check): the folder
 * `pbvote export` writes, or the tar archive of it (`GET .../export`, or the folder archived
 * with one folder around the files or none).  Files, signatures and key pinning, the expected
 * election and result, every checkpoint, every CVR recommitted and the tree rebuilt, batches
 * sorted, the documents consistent with each other and the counts, and a re-tally from the CVRs
 * compared byte for byte with the signed result.  Each check is reported to @fn, then the
 * summary to o->summary.  Memory is bounded by the tree and the counts, never by a file's size:
 * lines are read one at a time and a line longer than any valid one is refused at once.
 * @param ret_failed  [out] number of failed checks
 * @return PB_OK when every check passed, PB_ERR_SIGNATURE when one failed, PB_ERR_NOMEM or
 *         PB_ERR_IO when the verifier itself could not run
 */
PB_NODISCARD pb_err pb_bundle_verify(const char *path, const struct pb_verify_options *o, pb_verify_fn fn,
                                     void *ctx, unsigned *ret_failed);

#endif
