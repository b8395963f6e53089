/** @file Money in exact integer minor units, decimal text <-> int64, checked arithmetic. */
#ifndef PB_MONEY_H
#define PB_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_err.h"

/**
 * Amounts are int64 counts of 10^-scale currency units, where scale is fixed per election
 * (0 for whole units, 2 for cents).  pabulib budgets such as `2458488.22` are held exactly as
 * 245848822 at scale 2.  PB_MONEY_MAX_SCALE bounds the scale so that int64 still holds
 * amounts up to 9.2 * 10^12 whole units.
 */
#define PB_MONEY_MAX_SCALE 6

/** Longest text pb_money_format() writes, including the NUL. */
#define PB_MONEY_STR_MAX 32

/** Checked addition: *ret = a + b, or PB_ERR_OVERFLOW (and *ret untouched). */
PB_NODISCARD static inline pb_err pb_add_i64(int64_t a, int64_t b, int64_t *ret)
{
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return PB_ERR_OVERFLOW;
        *ret = r;
        return PB_OK;
}

/** Checked multiplication: *ret = a * b, or PB_ERR_OVERFLOW (and *ret untouched). */
PB_NODISCARD static inline pb_err pb_mul_i64(int64_t a, int64_t b, int64_t *ret)
{
        int64_t r;
        if (__builtin_mul_overflow(a, b, &r))
                return PB_ERR_OVERFLOW;
        *ret = r;
        return PB_OK;
}

/**
 * Number of significant fractional digits in the decimal text @s (trailing zeros do not count:
 * "400000.0" has 0, "2458488.22" has 2).  Does not validate; pb_decimal_parse() does.
 */
unsigned pb_decimal_scale(const char *s, size_t len);

/**
 * Parse the decimal text @s ("-12", "3.5", "2458488.22") into units of 10^-@scale.
 * Accepted: an optional '-', digits, optionally '.' and digits; at least one digit overall.
 * Rejected: '+', spaces, exponents, a ',' decimal separator, more significant fractional
 * digits than @scale (PB_ERR_INVALID: the value is not representable exactly).
 * @param scale      0..PB_MONEY_MAX_SCALE
 * @param ret        [out] set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE (reason says what), PB_ERR_OVERFLOW, PB_ERR_INVALID
 */
PB_NODISCARD pb_err pb_decimal_parse(const char *s, size_t len, unsigned scale, int64_t *ret,
                                     struct pb_diag *reterr);

/** Parse a strict decimal integer (optional '-', digits only).  PB_ERR_PARSE, PB_ERR_OVERFLOW. */
PB_NODISCARD pb_err pb_int_parse(const char *s, size_t len, int64_t *ret, struct pb_diag *reterr);

/**
 * Write @v (units of 10^-@scale) as decimal text into @buf (at least PB_MONEY_STR_MAX bytes),
 * with exactly the significant fractional digits: 245848822 at scale 2 is "2458488.22",
 * 40000000 at scale 2 is "400000".  Returns @buf.
 */
char *pb_money_format(int64_t v, unsigned scale, char buf[PB_MONEY_STR_MAX]);

/** 10^@scale for scale <= 18. */
int64_t pb_pow10(unsigned scale);

#endif
