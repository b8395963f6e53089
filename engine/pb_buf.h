/** @file A growable byte buffer with a hard size cap (curl's dynbuf), always NUL-terminated. */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_err.h"

/**
 * Caller-provided storage: pb_buf_init() before use, pb_buf_release() after.  @data is owned by
 * the buffer until pb_buf_steal().  After any failed append the buffer keeps its old contents.
 */
struct pb_buf {
        char *data; /* NUL-terminated when non-NULL; may hold NUL bytes before len */
        size_t len; /* bytes used, excluding the terminating NUL */
        size_t cap; /* bytes allocated */
        size_t max; /* appends past this many bytes fail with PB_ERR_LIMIT */
};

/** Initialise an empty buffer that may grow to @max bytes (0 means SIZE_MAX / 2). */
void pb_buf_init(struct pb_buf *b, size_t max);
/** Free the storage; leaves @b empty but still usable with the same cap. Accepts a zeroed @b. */
void pb_buf_release(struct pb_buf *b);
/** Forget the contents, keep the storage. */
void pb_buf_reset(struct pb_buf *b);
/** Cut the contents back to their first @len bytes (@len <= b->len): what a writer that failed
 *  half-way through its appends gives back, so that its caller's buffer is as it was. */
void pb_buf_truncate(struct pb_buf *b, size_t len);
/** Make room for @more bytes.  PB_ERR_LIMIT past max, PB_ERR_NOMEM. */
PB_NODISCARD pb_err pb_buf_reserve(struct pb_buf *b, size_t more);
/** Append @len bytes of @p. */
PB_NODISCARD pb_err pb_buf_add(struct pb_buf *b, const void *p, size_t len);
/** Append a NUL-terminated string. */
PB_NODISCARD pb_err pb_buf_adds(struct pb_buf *b, const char *s);
/** Append one byte. */
PB_NODISCARD pb_err pb_buf_addc(struct pb_buf *b, char c);
/** Append printf-style text. */
PB_NODISCARD pb_err pb_buf_addf(struct pb_buf *b, const char *fmt, ...) PB_PRINTF(2, 3);
/** Append a signed decimal integer. */
PB_NODISCARD pb_err pb_buf_add_i64(struct pb_buf *b, int64_t v);
/** Append @len bytes as lowercase hex. */
PB_NODISCARD pb_err pb_buf_add_hex(struct pb_buf *b, const uint8_t *p, size_t len);
/**
 * Hand the contents to the caller: returns the data (owned by the caller, free with pb_free)
 * and its length in @ret_len (may be NULL); @b is left empty.  Returns an allocated empty
 * string for an empty buffer, NULL only on OOM.
 */
char *pb_buf_steal(struct pb_buf *b, size_t *ret_len);

#endif
