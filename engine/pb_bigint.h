/**
 * @file Exact arbitrary-precision integers and rationals for the proportional rules (engine/ only).
 *
 * Equal Shares budgets and Phragmén loads are sums of fractions whose denominators multiply
 * round after round: after 30 selections among 90,000 voters they need hundreds of bits, far
 * past 128.  These numbers are exact, never rounded.  Sizes are capped at PB_BIG_MAX_LIMBS limbs
 * (PB_ERR_OVERFLOW beyond), so hostile input cannot grow them without bound.
 *
 * Ownership: a struct pb_big owns its limb array; pb_big_init() before use, pb_big_release()
 * after.  Results may alias operands unless a function says otherwise.  Every function that may
 * allocate returns PB_OK, PB_ERR_NOMEM or PB_ERR_OVERFLOW and leaves its result unspecified (but
 * valid to release) on failure.
 */
#ifndef PB_BIGINT_H
#define PB_BIGINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_err.h"
#include "engine/pb_int128.h"

/** Largest number of 64-bit limbs a value may have (2^22 bits). */
#define PB_BIG_MAX_LIMBS 65536u

/** A signed integer: magnitude in d[0..n) (least significant limb first), d[n-1] != 0. */
struct pb_big {
        uint64_t *d;  /* owned; NULL when cap is 0 */
        uint32_t n;   /* limbs in use; 0 means zero */
        uint32_t cap; /* limbs allocated */
        bool neg;     /* sign; always false for zero */
};

void pb_big_init(struct pb_big *a);
void pb_big_release(struct pb_big *a);

PB_NODISCARD pb_err pb_big_set_u64(struct pb_big *a, uint64_t v);
PB_NODISCARD pb_err pb_big_set_i64(struct pb_big *a, int64_t v);
PB_NODISCARD pb_err pb_big_set_u128(struct pb_big *a, pb_u128 v);
PB_NODISCARD pb_err pb_big_copy(struct pb_big *dst, const struct pb_big *src);
/** Make room for @limbs limbs so that later results up to that size need no allocation. */
PB_NODISCARD pb_err pb_big_reserve(struct pb_big *a, size_t limbs);
/** Exchange two values (no allocation). */
void pb_big_swap(struct pb_big *a, struct pb_big *b);

static inline bool pb_big_is_zero(const struct pb_big *a)
{
        return a->n == 0;
}
/** -1, 0 or 1. */
static inline int pb_big_sign(const struct pb_big *a)
{
        return a->n == 0 ? 0 : a->neg ? -1 : 1;
}
/** Compare: <0, 0, >0 as a < b, a == b, a > b. */
int pb_big_cmp(const struct pb_big *a, const struct pb_big *b);
/** Compare magnitudes. */
int pb_big_cmp_abs(const struct pb_big *a, const struct pb_big *b);
/** Compare with a small non-negative value. */
int pb_big_cmp_u64(const struct pb_big *a, uint64_t v);
/** True if the value fits in a uint64_t (0 <= a < 2^64); then *ret is set. */
bool pb_big_get_u64(const struct pb_big *a, uint64_t *ret);
/** Number of significant bits of |a| (0 for zero). */
size_t pb_big_bits(const struct pb_big *a);

/** r = a + b, r = a - b. */
PB_NODISCARD pb_err pb_big_add(struct pb_big *r, const struct pb_big *a, const struct pb_big *b);
PB_NODISCARD pb_err pb_big_sub(struct pb_big *r, const struct pb_big *a, const struct pb_big *b);
/** r = a * b. */
PB_NODISCARD pb_err pb_big_mul(struct pb_big *r, const struct pb_big *a, const struct pb_big *b);
/** r = a * k. */
PB_NODISCARD pb_err pb_big_mul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k);
/** r = a * k for a 128-bit k. */
PB_NODISCARD pb_err pb_big_mul_u128(struct pb_big *r, const struct pb_big *a, pb_u128 k);
/** r += a * k (r and a must not be the same object). */
PB_NODISCARD pb_err pb_big_addmul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k);
/** r -= a * k (r and a must not be the same object). */
PB_NODISCARD pb_err pb_big_submul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k);

/**
 * q = trunc(|a| / k) with the sign of a, and the remainder of |a| (k > 0).
 * @q may be NULL (remainder only) or alias a.
 */
PB_NODISCARD pb_err pb_big_divmod_u64(struct pb_big *q, const struct pb_big *a, uint64_t k,
                                      uint64_t *ret_rem);
/**
 * Division of magnitudes: q = floor(|a| / |b|), rem = |a| mod |b| (b != 0); results are
 * non-negative.  @q or @rem may be NULL; neither may alias a, b or each other.
 */
PB_NODISCARD pb_err pb_big_divmod(struct pb_big *q, struct pb_big *rem, const struct pb_big *a,
                                  const struct pb_big *b);
/** r = gcd(|a|, |b|) (gcd(0, 0) = 0). */
PB_NODISCARD pb_err pb_big_gcd(struct pb_big *r, const struct pb_big *a, const struct pb_big *b);

/**
 * Decimal text of @a into @buf.
 * @return PB_OK, PB_ERR_LIMIT when @len is too small (buf then holds ""), PB_ERR_NOMEM.
 */
PB_NODISCARD pb_err pb_big_format(const struct pb_big *a, char *buf, size_t len);

/** An exact rational num/den, den > 0, not necessarily reduced. */
struct pb_rat {
        struct pb_big num;
        struct pb_big den;
};

void pb_rat_init(struct pb_rat *q);
void pb_rat_release(struct pb_rat *q);
PB_NODISCARD pb_err pb_rat_copy(struct pb_rat *dst, const struct pb_rat *src);
/** q = n / d (d > 0). */
PB_NODISCARD pb_err pb_rat_set_u64(struct pb_rat *q, uint64_t n, uint64_t d);

/**
 * Compare a and b exactly (cross-multiplication into the caller's scratch @t1, @t2).
 * @return PB_OK with *ret <0, 0, >0; or an allocation error.
 */
PB_NODISCARD pb_err pb_rat_cmp(const struct pb_rat *a, const struct pb_rat *b, struct pb_big *t1,
                               struct pb_big *t2, int *ret);
/** Reduce num/den to lowest terms in place. */
PB_NODISCARD pb_err pb_rat_reduce(struct pb_rat *q);

/**
 * Text of @q for an explanation: reduced "n/d" (or "n" when d = 1) when it fits in @len bytes,
 * otherwise "~" followed by a decimal rounded down to at most 20 decimals and to what fits (marked
 * inexact by the tilde; the value itself never is).  @len must be at least 32.
 */
PB_NODISCARD pb_err pb_rat_format(const struct pb_rat *q, char *buf, size_t len);

#endif
