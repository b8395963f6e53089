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

#endif
