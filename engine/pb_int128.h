/** @file 128-bit integers for exact intermediate products (GCC and clang, every 64-bit target). */
#ifndef PB_INT128_H
#define PB_INT128_H

/* __extension__ keeps -Wpedantic quiet: __int128 is a GNU extension both compilers support. */
__extension__ typedef __int128 pb_i128;
__extension__ typedef unsigned __int128 pb_u128;

#include <stddef.h>

/** Room for any pb_i128 in decimal, sign and NUL included. */
#define PB_I128_STR_MAX 41

/** Write @v in decimal into @buf (at least PB_I128_STR_MAX bytes, or enough for @v). */
void pb_i128_format(pb_i128 v, char *buf, size_t len);

/** gcd(@a, @b) by Euclid's algorithm (gcd(0, 0) = 0): every exact fraction the engine reduces. */
static inline pb_u128 pb_u128_gcd(pb_u128 a, pb_u128 b)
{
        while (b) {
                pb_u128 t = a % b;
                a = b;
                b = t;
        }
        return a;
}

/** gcd(|@a|, |@b|) (gcd(0, 0) = 0); always non-negative, whatever the signs. */
static inline pb_u128 pb_i128_gcd(pb_i128 a, pb_i128 b)
{
        return pb_u128_gcd(a < 0 ? -(pb_u128)a : (pb_u128)a, b < 0 ? -(pb_u128)b : (pb_u128)b);
}

#endif
