/** @file Strict JSON input: cJSON behind a validator that closes cJSON's gaps (verifiability.md §5.3). */
#ifndef PB_JSON_H
#define PB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

/* cJSON stays inside ballots/ and api/: no cJSON type appears in engine/ headers. */
#include <cjson/cJSON.h>

/** Deepest nesting any pbvote document needs (manifest: object > projects > project > name). */
#define PB_JSON_MAX_DEPTH 16

/**
 * Parse @buf[0..len) as one JSON value, strictly:
 * - valid UTF-8, no NUL byte, no `\u0000` escape (cJSON would truncate the string there), no
 *   lone surrogate escape;
 * - numbers are integers written canonically (no fraction, exponent, leading zero or `-0`) and
 *   within ±(2^53 − 1), so that every reader agrees on their value;
 * - no duplicate key in any object (cJSON keeps both), and every key printable ASCII without `"`
 *   or `\` (what the canonical writer writes: pb_json_canonical() of any tree read here succeeds;
 *   reported at the object's path);
 * - nesting at most @max_depth (0: PB_JSON_MAX_DEPTH); nothing but whitespace after the value.
 * @param ret  [out] the tree, owned by the caller (cJSON_Delete); set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE or PB_ERR_LIMIT with reterr->path ("$.projects[2].cost") and reason,
 *         PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_json_parse(const char *buf, size_t len, unsigned max_depth, cJSON **ret,
                                  struct pb_diag *reterr);

/**
 * Append the canonical form of @v (pb_canon.h rules: sorted keys, no whitespace, integers only)
 * to @out.  Strict-parsed trees always have one.  PB_ERR_OVERFLOW for a number that is not an
 * integer within ±(2^53 − 1).
 */
PB_NODISCARD pb_err pb_json_canonical(const cJSON *v, struct pb_buf *out);

/**
 * True if @buf[0..len) is exactly the canonical form of the tree it parses to: the round-trip
 * rule for kiosk input (one byte sequence per meaning: no whitespace variants, key orders, -0, 01).
 */
bool pb_json_is_canonical(const char *buf, size_t len, const cJSON *v);

/** What a field of an object may hold. */
enum pb_json_type { PB_JSON_STRING, PB_JSON_INT, PB_JSON_BOOL, PB_JSON_OBJECT, PB_JSON_ARRAY, PB_JSON_ANY };

/** One known key of an object (a spec table row, as Taler's GNUNET_JSON_Specification). */
struct pb_json_field {
        const char *name;
        enum pb_json_type type;
        bool required;
};

/**
 * Check that object @obj has only the keys in @fields (terminated by a NULL name), each of its
 * type, and every required one.  @path names @obj in diagnostics ("$.ballot").
 * @return PB_OK or PB_ERR_PARSE (unknown key, wrong type, missing key), path naming the field
 */
PB_NODISCARD pb_err pb_json_check_object(const cJSON *obj, const struct pb_json_field *fields,
                                         const char *path, struct pb_diag *reterr);

/** The integer value of a strict-parsed number node (exact: |v| <= 2^53 - 1). */
int64_t pb_json_int(const cJSON *n);

#endif
