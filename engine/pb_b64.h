/** @file Standard base64 (RFC 4648 §4, padded) for signed documents: one spelling per byte string. */
#ifndef PB_B64_H
#define PB_B64_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

/** Characters needed for @n bytes (without a NUL). */
#define PB_B64_LEN(n) ((((n) + 2) / 3) * 4)

/**
 * Append the standard, padded base64 of @p[0..len) to @out.
 * @return PB_OK, PB_ERR_LIMIT (buffer cap) or PB_ERR_NOMEM; @out is unchanged on failure.
 */
PB_NODISCARD pb_err pb_b64_encode(struct pb_buf *out, const uint8_t *p, size_t len);

/**
 * Strict decode of @s[0..len): standard alphabet only (no URL-safe '-' '_'), '=' padding
 * required, no whitespace or other bytes, and canonical (the unused low bits of the last symbol
 * are zero), so every byte string has exactly one accepted spelling.
 * @param out      [out] @cap bytes of caller storage
 * @param ret_len  [out] decoded length; set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE (not canonical base64) or PB_ERR_LIMIT (decodes to more than @cap)
 */
PB_NODISCARD pb_err pb_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *ret_len);

/** As pb_b64_decode(), and the result must be exactly @want bytes (else PB_ERR_PARSE). */
PB_NODISCARD pb_err pb_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t want);

#endif
