/** @file Bit-exact emulation of the Java library behaviour RCTab's tie-breaks depend on. */
#include <stdlib.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_int.h"

/* java.util.Random (OpenJDK): seed = (seed ^ 0x5DEECE66D) mod 2^48, then the LCG
 * seed = seed * 0x5DEECE66D + 0xB mod 2^48; next(bits) = seed >>> (48 - bits) as an int. */
#define JR_MULT 0x5DEECE66DULL
#define JR_ADD 0xBULL
#define JR_MASK ((1ULL << 48) - 1)

void pb_jrandom_init(struct pb_jrandom *r, int64_t seed)
{
        r->seed = ((uint64_t)seed ^ JR_MULT) & JR_MASK;
}

int32_t pb_jrandom_next(struct pb_jrandom *r, unsigned bits)
{
        r->seed = (r->seed * JR_MULT + JR_ADD) & JR_MASK;
        /* (int)(seed >>> (48 - bits)): keep the low 32 bits, two's complement */
        return (int32_t)(uint32_t)(r->seed >> (48 - bits));
}

int32_t pb_jrandom_next_int(struct pb_jrandom *r, int32_t bound)
{
        int32_t bits, val;

        PB_ASSERT(bound > 0);
        if ((bound & -bound) == bound) /* a power of two */
                return (int32_t)(((int64_t)bound * (int64_t)pb_jrandom_next(r, 31)) >> 31);
        do {
                bits = pb_jrandom_next(r, 31);
                val = bits % bound;
        } while ((int64_t)bits - val + (bound - 1) > INT32_MAX); /* Java: overflow to negative */
        return val;
}

/* Java computes floor(nextDouble() * n) in doubles: nextDouble() = k * 2^-53 exactly, and the
 * product k * n is rounded to 53 significant bits (round half to even) before the floor.  We do
 * the same rounding on the exact integer product, so no floating point is needed. */
uint32_t pb_jrandom_pick(struct pb_jrandom *r, uint32_t n)
{
        uint64_t k, p;
        unsigned len;

        PB_ASSERT(n > 0 && n < (1u << 11));
        k = ((uint64_t)(uint32_t)pb_jrandom_next(r, 26) << 27) + (uint64_t)(uint32_t)pb_jrandom_next(r, 27);
        p = k * n; /* < 2^64 */
        len = p ? 64u - (unsigned)__builtin_clzll(p) : 0;
        if (len > 53) {
                /* keep 53 significant bits: m * 2^sh, then floor(m * 2^sh / 2^53) = m >> (53 - sh) */
                unsigned sh = len - 53; /* <= 11 */
                uint64_t half = 1ULL << (sh - 1), rem = p & ((1ULL << sh) - 1), m = p >> sh;
                if (rem > half || (rem == half && (m & 1)))
                        m++;
                return (uint32_t)(m >> (53 - sh));
        }
        return (uint32_t)(p >> 53);
}

void pb_jrandom_shuffle(struct pb_jrandom *r, uint32_t *v, size_t n)
{
        size_t i;

        /* Collections.shuffle: for i = size..2, swap(i - 1, nextInt(i)) */
        for (i = n; i > 1; i--) {
                size_t j = (size_t)pb_jrandom_next_int(r, (int32_t)i);
                uint32_t t = v[i - 1];
                v[i - 1] = v[j];
                v[j] = t;
        }
}

/* Decode one UTF-8 sequence (already validated or not: invalid bytes map to U+FFFD). */
static uint32_t utf8_next(const unsigned char **ps)
{
        const unsigned char *s = *ps;
        uint32_t c = s[0];
        unsigned n = 0, i;

        if (c < 0x80) {
                *ps = s + 1;
                return c;
        }
        if ((c & 0xe0) == 0xc0) {
                n = 1;
                c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
                n = 2;
                c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
                n = 3;
                c &= 0x07;
        } else {
                *ps = s + 1;
                return 0xfffd;
        }
        for (i = 1; i <= n; i++) {
                if ((s[i] & 0xc0) != 0x80) {
                        *ps = s + i;
                        return 0xfffd;
                }
                c = (c << 6) | (s[i] & 0x3f);
        }
        *ps = s + n + 1;
        return c;
}

/* UTF-16 code units of code point @c into u[]; returns 1 or 2. */
static unsigned utf16_units(uint32_t c, uint16_t u[2])
{
        if (c < 0x10000) {
                u[0] = (uint16_t)c;
                return 1;
        }
        c -= 0x10000;
        u[0] = (uint16_t)(0xd800 + (c >> 10));
        u[1] = (uint16_t)(0xdc00 + (c & 0x3ff));
        return 2;
}

int pb_ranked_java_strcmp(const char *a, const char *b)
{
        const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
        uint16_t ua[2], ub[2];
        unsigned na = 0, nb = 0, ia = 0, ib = 0;

        for (;;) {
                if (ia == na) {
                        if (!*pa)
                                na = 0;
                        else
                                na = utf16_units(utf8_next(&pa), ua);
                        ia = 0;
                }
                if (ib == nb) {
                        if (!*pb)
                                nb = 0;
                        else
                                nb = utf16_units(utf8_next(&pb), ub);
                        ib = 0;
                }
                if (!na || !nb)
                        return na ? 1 : nb ? -1 : 0;
                if (ua[ia] != ub[ib])
                        return ua[ia] < ub[ib] ? -1 : 1;
                ia++;
                ib++;
        }
}

int32_t pb_java_hash(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        uint32_t h = 0;
        uint16_t u[2];

        while (*p) {
                unsigned n = utf16_units(utf8_next(&p), u), i;
                for (i = 0; i < n; i++)
                        h = 31u * h + u[i];
        }
        return (int32_t)h;
}

struct order_item {
        uint32_t bucket, pos, cand;
};

static int cmp_order_item(const void *a, const void *b)
{
        const struct order_item *x = a, *y = b;

        if (x->bucket != y->bucket)
                return x->bucket < y->bucket ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

pb_err pb_java_hashset_order(const struct pb_ranked_contest *c, uint32_t *v, size_t n)
{
        struct order_item *it;
        uint32_t cap = 16;
        size_t i;

        /* new HashSet<>(collection): capacity tableSizeFor(max(size / .75f + 1, 16)) */
        while ((size_t)cap < n * 4 / 3 + 1)
                cap <<= 1;
        it = pb_calloc(n, sizeof(*it));
        if (!it)
                return PB_ERR_NOMEM;
        for (i = 0; i < n; i++) {
                uint32_t h = (uint32_t)pb_java_hash(c->cand[v[i]].name);
                it[i].bucket = (h ^ (h >> 16)) & (cap - 1);
                it[i].pos = (uint32_t)i;
                it[i].cand = v[i];
        }
        qsort(it, n, sizeof(*it), cmp_order_item);
        for (i = 0; i < n; i++)
                v[i] = it[i].cand;
        pb_free(it);
        return PB_OK;
}

void pb_java_sort_names(const struct pb_ranked_contest *c, uint32_t *v, size_t n)
{
        size_t i, j;

        /* insertion sort: stable, and tie lists are short */
        for (i = 1; i < n; i++) {
                uint32_t x = v[i];
                for (j = i; j > 0 && pb_ranked_java_strcmp(c->cand[v[j - 1]].name, c->cand[x].name) > 0; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}
