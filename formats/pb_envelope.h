/**
 * @file Reading DSSE envelope JSON (the format in engine/pb_seal.h) with cJSON, strictly.
 *
 * Strict means: a JSON object with exactly the members payload, payloadType and signatures (no
 * unknown, missing, duplicated or case-variant names); each signature an object with sig and an
 * optional keyid; strings valid UTF-8 without NUL; payload and sig in standard padded canonical
 * base64; every sig exactly 64 bytes; 1 to PB_SEAL_MAX_SIGS signatures; no bytes after the value.
 * By default the text must also be byte for byte what pb_seal_envelope_format() writes (sorted
 * keys, no whitespace), so an envelope has exactly one accepted spelling and no byte of it can
 * change unnoticed.  PB_ENVELOPE_ANY_LAYOUT accepts other layouts (whitespace, member order) for
 * envelopes written by other DSSE tools.  Parsing checks form only: pb_seal_verify() checks the
 * signature.
 */
#ifndef PB_ENVELOPE_H
#define PB_ENVELOPE_H

#include <stddef.h>

#include "engine/pb_err.h"
#include "engine/pb_seal.h"

#define PB_ENVELOPE_MAX_MIB 16 /* far above any result document */
#define PB_ENVELOPE_MAX_BYTES ((size_t)PB_ENVELOPE_MAX_MIB << 20)

enum pb_envelope_flags {
        PB_ENVELOPE_ANY_LAYOUT = 1 << 0, /* accept whitespace and any member order */
};

/**
 * Parse envelope JSON @buf[0..len) (need not be NUL-terminated; it is copied) into @ret.
 * @param ret  initialised and empty (pb_seal_envelope_init()); filled only on PB_OK, when the
 *             caller owns its contents (pb_seal_envelope_release())
 * @return PB_OK, PB_ERR_LIMIT (larger than PB_ENVELOPE_MAX_BYTES), PB_ERR_PARSE (reterr->path names
 *         the member and reterr->reason says why), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_envelope_parse(const char *buf, size_t len, unsigned flags,
                                      struct pb_seal_envelope *ret, struct pb_diag *reterr);

#endif
