/** @file The deterministic JSON writer used for every document pbvote signs or prints. */
#ifndef PB_CANON_H
#define PB_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

/**
 * Output is a subset of RFC 8785 (JCS): no whitespace, object keys in strictly increasing byte
 * order (the writer refuses keys out of order, so a document cannot be written two ways),
 * keys printable ASCII, strings valid UTF-8 written raw except for the escapes JCS requires,
 * integers only and within +-(2^53 - 1) so that every JSON reader gets the same value.  Errors
 * are sticky (BearSSL's style): after the first one every call is a no-op and pb_jw_finish()
 * returns it.
 */
#define PB_JW_MAX_DEPTH 32
#define PB_JW_INT_BITS 53                /* integers within +-(2^PB_JW_INT_BITS - 1) */
#define PB_JW_INT_MAX 9007199254740991LL /* 2^53 - 1 (canon.c checks it against PB_JW_INT_BITS) */
#define PB_JW_INT_DIGITS 16              /* decimal digits of PB_JW_INT_MAX */

struct pb_jw_level {
        char kind;       /* '{' or '[' */
        bool first;      /* no member written yet */
        bool want_value; /* inside an object: a key was written, its value is due */
        size_t key_off;  /* last key, as bytes of out->data (objects only) */
        size_t key_len;
};

/** Writer state in caller storage; it owns nothing. */
struct pb_jw {
        struct pb_buf *out; /* borrowed: the text is appended here */
        pb_err err;         /* first error, sticky */
        unsigned depth;
        bool done; /* a complete top-level value has been written */
        struct pb_jw_level stack[PB_JW_MAX_DEPTH];
};

/** Start writing one JSON value to the end of @out (borrowed for the writer's lifetime). */
void pb_jw_init(struct pb_jw *w, struct pb_buf *out);
void pb_jw_object_begin(struct pb_jw *w);
void pb_jw_object_end(struct pb_jw *w);
void pb_jw_array_begin(struct pb_jw *w);
void pb_jw_array_end(struct pb_jw *w);
/** An object key; must sort after the previous key of the same object (else PB_ERR_INTERNAL). */
void pb_jw_key(struct pb_jw *w, const char *key);
/** A string value from a NUL-terminated string (invalid UTF-8: PB_ERR_INVALID). */
void pb_jw_string(struct pb_jw *w, const char *s);
/** A string value from @len bytes (which may not contain NUL: PB_ERR_INVALID). */
void pb_jw_stringn(struct pb_jw *w, const char *s, size_t len);
/** An integer value; |v| > 2^53 - 1 gives PB_ERR_OVERFLOW. */
void pb_jw_int(struct pb_jw *w, int64_t v);
void pb_jw_bool(struct pb_jw *w, bool v);
void pb_jw_null(struct pb_jw *w);
/**
 * Insert @len bytes of JSON text as one value.  The caller guarantees they are one complete value
 * written by this writer (a stored canonical document); the writer only checks that they look like
 * JSON (no NUL, valid UTF-8, start with '{' or '[').  PB_ERR_INVALID otherwise.
 */
void pb_jw_raw(struct pb_jw *w, const char *json, size_t len);
/** Lowercase hex string of @len bytes. */
void pb_jw_hex(struct pb_jw *w, const uint8_t *p, size_t len);
/** Shorthands: key then value. */
void pb_jw_kv_string(struct pb_jw *w, const char *key, const char *s);
void pb_jw_kv_int(struct pb_jw *w, const char *key, int64_t v);
void pb_jw_kv_bool(struct pb_jw *w, const char *key, bool v);

/**
 * Check that exactly one complete value was written.
 * @return the first error (PB_ERR_NOMEM, PB_ERR_LIMIT from the buffer, PB_ERR_INVALID for bad
 *         text, PB_ERR_OVERFLOW, PB_ERR_INTERNAL for misuse such as unsorted keys) or PB_OK.
 */
PB_NODISCARD pb_err pb_jw_finish(struct pb_jw *w);

/** True if @s[0..len) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool pb_utf8_valid(const char *s, size_t len);

#endif
