/** @file Exact arbitrary-precision integers and rationals (64-bit limbs, schoolbook algorithms). */
#include "engine/pb_bigint.h"

#include <string.h>

#include "engine/pb_alloc.h"

void pb_big_init(struct pb_big *a)
{
        memset(a, 0, sizeof(*a));
}

void pb_big_release(struct pb_big *a)
{
        if (!a)
                return;
        pb_free(a->d);
        pb_big_init(a);
}

/* Make room for @n limbs, keeping the value. */
static pb_err reserve(struct pb_big *a, size_t n)
{
        uint64_t *d;
        size_t cap;

        if (n <= a->cap)
                return PB_OK;
        if (n > PB_BIG_MAX_LIMBS)
                return PB_ERR_OVERFLOW;
        cap = a->cap ? a->cap : 4;
        while (cap < n)
                cap *= 2;
        if (cap > PB_BIG_MAX_LIMBS)
                cap = PB_BIG_MAX_LIMBS;
        d = pb_reallocarray(a->d, cap, sizeof(*d));
        if (!d)
                return PB_ERR_NOMEM;
        a->d = d;
        a->cap = (uint32_t)cap;
        return PB_OK;
}

pb_err pb_big_reserve(struct pb_big *a, size_t limbs)
{
        return reserve(a, limbs);
}

/* Drop leading zero limbs; zero is never negative. */
static void trim(struct pb_big *a)
{
        while (a->n && !a->d[a->n - 1])
                a->n--;
        if (!a->n)
                a->neg = false;
}

pb_err pb_big_set_u64(struct pb_big *a, uint64_t v)
{
        pb_err r = reserve(a, 1);
        if (r < 0)
                return r;
        a->d[0] = v;
        a->n = v ? 1 : 0;
        a->neg = false;
        return PB_OK;
}

pb_err pb_big_set_i64(struct pb_big *a, int64_t v)
{
        pb_err r = pb_big_set_u64(a, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
        if (r == PB_OK)
                a->neg = v < 0;
        return r;
}

pb_err pb_big_set_u128(struct pb_big *a, pb_u128 v)
{
        pb_err r = reserve(a, 2);
        if (r < 0)
                return r;
        a->d[0] = (uint64_t)v;
        a->d[1] = (uint64_t)(v >> 64);
        a->n = 2;
        a->neg = false;
        trim(a);
        return PB_OK;
}

pb_err pb_big_copy(struct pb_big *dst, const struct pb_big *src)
{
        pb_err r;

        if (dst == src)
                return PB_OK;
        r = reserve(dst, src->n);
        if (r < 0)
                return r;
        if (src->n)
                memcpy(dst->d, src->d, src->n * sizeof(*src->d));
        dst->n = src->n;
        dst->neg = src->neg;
        return PB_OK;
}

void pb_big_swap(struct pb_big *a, struct pb_big *b)
{
        struct pb_big t = *a;
        *a = *b;
        *b = t;
}

static int cmp_mag(const uint64_t *a, size_t an, const uint64_t *b, size_t bn)
{
        if (an != bn)
                return an < bn ? -1 : 1;
        for (size_t i = an; i-- > 0;)
                if (a[i] != b[i])
                        return a[i] < b[i] ? -1 : 1;
        return 0;
}

int pb_big_cmp_abs(const struct pb_big *a, const struct pb_big *b)
{
        return cmp_mag(a->d, a->n, b->d, b->n);
}

int pb_big_cmp(const struct pb_big *a, const struct pb_big *b)
{
        int sa = pb_big_sign(a), sb = pb_big_sign(b);

        if (sa != sb)
                return sa < sb ? -1 : 1;
        if (sa >= 0)
                return pb_big_cmp_abs(a, b);
        return -pb_big_cmp_abs(a, b);
}

int pb_big_cmp_u64(const struct pb_big *a, uint64_t v)
{
        if (a->neg)
                return -1;
        if (a->n > 1)
                return 1;
        if (a->n == 0)
                return v ? -1 : 0;
        return a->d[0] < v ? -1 : a->d[0] > v;
}

bool pb_big_get_u64(const struct pb_big *a, uint64_t *ret)
{
        if (a->neg || a->n > 1)
                return false;
        *ret = a->n ? a->d[0] : 0;
        return true;
}

size_t pb_big_bits(const struct pb_big *a)
{
        if (!a->n)
                return 0;
        return (size_t)a->n * 64 - (size_t)__builtin_clzll(a->d[a->n - 1]);
}

/* r = |a| + |b| (magnitudes); r may alias either. */
static pb_err add_mag(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        const struct pb_big *x = a->n >= b->n ? a : b, *y = a->n >= b->n ? b : a;
        size_t xn = x->n, yn = y->n;
        uint64_t carry = 0;
        pb_err e = reserve(r, xn + 1);

        if (e < 0)
                return e;
        /* x->d and y->d are read after the reserve: r may be x or y */
        for (size_t i = 0; i < xn; i++) {
                pb_u128 s = (pb_u128)x->d[i] + (i < yn ? y->d[i] : 0) + carry;
                r->d[i] = (uint64_t)s;
                carry = (uint64_t)(s >> 64);
        }
        r->d[xn] = carry;
        r->n = (uint32_t)(xn + 1);
        trim(r);
        return PB_OK;
}

/* r = |a| - |b| with |a| >= |b|; r may alias either. */
static pb_err sub_mag(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        size_t an = a->n, bn = b->n;
        uint64_t borrow = 0;
        pb_err e = reserve(r, an);

        if (e < 0)
                return e;
        for (size_t i = 0; i < an; i++) {
                uint64_t bi = i < bn ? b->d[i] : 0;
                uint64_t d = a->d[i] - bi - borrow;
                borrow = (a->d[i] < bi) || (a->d[i] - bi < borrow);
                r->d[i] = d;
        }
        PB_ASSERT(!borrow);
        r->n = (uint32_t)an;
        trim(r);
        return PB_OK;
}

/* r = a + (negate_b ? -b : b) */
static pb_err add_signed(struct pb_big *r, const struct pb_big *a, const struct pb_big *b, bool negate_b)
{
        bool an = a->neg, bn = b->neg != negate_b && b->n;
        pb_err e;

        if (an == bn) {
                e = add_mag(r, a, b);
                if (e == PB_OK && r->n)
                        r->neg = an;
                return e;
        }
        if (pb_big_cmp_abs(a, b) >= 0) {
                e = sub_mag(r, a, b);
                if (e == PB_OK && r->n)
                        r->neg = an;
        } else {
                e = sub_mag(r, b, a);
                if (e == PB_OK && r->n)
                        r->neg = bn;
        }
        return e;
}

pb_err pb_big_add(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        return add_signed(r, a, b, false);
}

pb_err pb_big_sub(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        return add_signed(r, a, b, true);
}

pb_err pb_big_mul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k)
{
        size_t an = a->n;
        uint64_t carry = 0;
        bool neg = a->neg;
        pb_err e;

        if (!an || !k) {
                r->n = 0;
                r->neg = false;
                return PB_OK;
        }
        e = reserve(r, an + 1);
        if (e < 0)
                return e;
        for (size_t i = 0; i < an; i++) {
                pb_u128 p = (pb_u128)a->d[i] * k + carry;
                r->d[i] = (uint64_t)p;
                carry = (uint64_t)(p >> 64);
        }
        r->d[an] = carry;
        r->n = (uint32_t)(an + 1);
        r->neg = neg;
        trim(r);
        return PB_OK;
}

/* r = |a| * |b| into fresh storage; r must not alias. */
static pb_err mul_mag(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        size_t an = a->n, bn = b->n;
        pb_err e;

        if (!an || !bn) {
                r->n = 0;
                r->neg = false;
                return PB_OK;
        }
        e = reserve(r, an + bn);
        if (e < 0)
                return e;
        memset(r->d, 0, (an + bn) * sizeof(*r->d));
        for (size_t i = 0; i < an; i++) {
                uint64_t carry = 0, ai = a->d[i];
                if (!ai)
                        continue;
                for (size_t j = 0; j < bn; j++) {
                        pb_u128 p = (pb_u128)ai * b->d[j] + r->d[i + j] + carry;
                        r->d[i + j] = (uint64_t)p;
                        carry = (uint64_t)(p >> 64);
                }
                r->d[i + bn] = carry;
        }
        r->n = (uint32_t)(an + bn);
        r->neg = false;
        trim(r);
        return PB_OK;
}

pb_err pb_big_mul(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        bool neg = a->neg != b->neg;
        pb_err e;

        if (r == a || r == b) {
                struct pb_big t;
                pb_big_init(&t);
                e = mul_mag(&t, a, b);
                if (e == PB_OK) {
                        pb_big_swap(r, &t);
                        if (r->n)
                                r->neg = neg;
                }
                pb_big_release(&t);
                return e;
        }
        e = mul_mag(r, a, b);
        if (e == PB_OK && r->n)
                r->neg = neg;
        return e;
}

pb_err pb_big_mul_u128(struct pb_big *r, const struct pb_big *a, pb_u128 k)
{
        struct pb_big t;
        pb_err e;

        if (!(k >> 64))
                return pb_big_mul_u64(r, a, (uint64_t)k);
        pb_big_init(&t);
        e = pb_big_set_u128(&t, k);
        if (e == PB_OK)
                e = pb_big_mul(r, a, &t);
        pb_big_release(&t);
        return e;
}

/* |r| += |a| * k, both non-negative. */
pb_err pb_big_addmul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k)
{
        size_t an = a->n, rn = r->n, n;
        uint64_t carry = 0;
        pb_err e;

        PB_ASSERT(r != a && !r->neg && !a->neg);
        if (!an || !k)
                return PB_OK;
        n = (an > rn ? an : rn) + 1;
        e = reserve(r, n);
        if (e < 0)
                return e;
        for (size_t i = rn; i < n; i++)
                r->d[i] = 0;
        for (size_t i = 0; i < n; i++) {
                pb_u128 p = (i < an ? (pb_u128)a->d[i] * k : 0) + r->d[i] + carry;
                r->d[i] = (uint64_t)p;
                carry = (uint64_t)(p >> 64);
        }
        PB_ASSERT(!carry);
        r->n = (uint32_t)n;
        trim(r);
        return PB_OK;
}

pb_err pb_big_submul_u64(struct pb_big *r, const struct pb_big *a, uint64_t k)
{
        struct pb_big t;
        pb_err e;

        PB_ASSERT(r != a);
        pb_big_init(&t);
        e = pb_big_mul_u64(&t, a, k);
        if (e == PB_OK)
                e = pb_big_sub(r, r, &t);
        pb_big_release(&t);
        return e;
}

pb_err pb_big_divmod_u64(struct pb_big *q, const struct pb_big *a, uint64_t k, uint64_t *ret_rem)
{
        size_t an = a->n;
        bool neg = a->neg;
        pb_u128 rem = 0;
        pb_err e;

        PB_ASSERT(k > 0);
        if (q) {
                e = reserve(q, an);
                if (e < 0)
                        return e;
        }
        for (size_t i = an; i-- > 0;) {
                pb_u128 cur = (rem << 64) | a->d[i];
                if (q)
                        q->d[i] = (uint64_t)(cur / k);
                rem = cur % k;
        }
        if (q) {
                q->n = (uint32_t)an;
                q->neg = neg;
                trim(q);
        }
        if (ret_rem)
                *ret_rem = (uint64_t)rem;
        return PB_OK;
}

/* Knuth's algorithm D (TAOCP 4.3.1) on 64-bit limbs: |a| = q |b| + rem. */
pb_err pb_big_divmod(struct pb_big *q, struct pb_big *rem, const struct pb_big *a, const struct pb_big *b)
{
        size_t m, n = b->n;
        uint64_t *un = NULL, *vn = NULL;
        unsigned s;
        pb_err e = PB_OK;

        PB_ASSERT(n > 0 && q != rem && (!q || (q != a && q != b)) && (!rem || (rem != a && rem != b)));
        if (pb_big_cmp_abs(a, b) < 0) {
                if (rem) {
                        e = pb_big_copy(rem, a);
                        rem->neg = false;
                }
                if (e == PB_OK && q)
                        e = pb_big_set_u64(q, 0);
                return e;
        }
        if (n == 1) {
                uint64_t r;
                e = pb_big_divmod_u64(q, a, b->d[0], &r);
                if (e == PB_OK && q)
                        q->neg = false;
                if (e == PB_OK && rem)
                        e = pb_big_set_u64(rem, r);
                return e;
        }
        m = a->n - n;
        un = pb_calloc(a->n + 1, sizeof(*un));
        vn = pb_calloc(n, sizeof(*vn));
        if (!un || !vn) {
                e = PB_ERR_NOMEM;
                goto out;
        }
        if (q) {
                e = reserve(q, m + 1);
                if (e < 0)
                        goto out;
        }
        s = (unsigned)__builtin_clzll(b->d[n - 1]);
        for (size_t i = n - 1; i > 0; i--)
                vn[i] = (b->d[i] << s) | (s ? b->d[i - 1] >> (64 - s) : 0);
        vn[0] = b->d[0] << s;
        un[a->n] = s ? a->d[a->n - 1] >> (64 - s) : 0;
        for (size_t i = a->n - 1; i > 0; i--)
                un[i] = (a->d[i] << s) | (s ? a->d[i - 1] >> (64 - s) : 0);
        un[0] = a->d[0] << s;
        for (size_t j = m + 1; j-- > 0;) {
                pb_u128 num = ((pb_u128)un[j + n] << 64) | un[j + n - 1];
                pb_u128 qhat = num / vn[n - 1], rhat = num % vn[n - 1];
                pb_i128 t, borrow = 0;

                while (qhat >> 64 || qhat * vn[n - 2] > ((rhat << 64) | un[j + n - 2])) {
                        qhat--;
                        rhat += vn[n - 1];
                        if (rhat >> 64)
                                break;
                }
                for (size_t i = 0; i < n; i++) {
                        pb_u128 p = qhat * vn[i];
                        t = (pb_i128)un[i + j] - borrow - (pb_i128)(uint64_t)p;
                        un[i + j] = (uint64_t)t;
                        borrow = (pb_i128)(p >> 64) - (t >> 64);
                }
                t = (pb_i128)un[j + n] - borrow;
                un[j + n] = (uint64_t)t;
                if (t < 0) {
                        /* qhat was one too large: add the divisor back */
                        pb_u128 c = 0;
                        qhat--;
                        for (size_t i = 0; i < n; i++) {
                                pb_u128 sum = (pb_u128)un[i + j] + vn[i] + c;
                                un[i + j] = (uint64_t)sum;
                                c = sum >> 64;
                        }
                        un[j + n] += (uint64_t)c;
                }
                if (q)
                        q->d[j] = (uint64_t)qhat;
        }
        if (q) {
                q->n = (uint32_t)(m + 1);
                q->neg = false;
                trim(q);
        }
        if (rem) {
                e = reserve(rem, n);
                if (e < 0)
                        goto out;
                for (size_t i = 0; i < n; i++)
                        rem->d[i] = (un[i] >> s) | (s ? un[i + 1] << (64 - s) : 0);
                rem->n = (uint32_t)n;
                rem->neg = false;
                trim(rem);
        }
out:
        pb_free(un);
        pb_free(vn);
        return e;
}

pb_err pb_big_gcd(struct pb_big *r, const struct pb_big *a, const struct pb_big *b)
{
        struct pb_big x, y, t;
        pb_err e;

        /* Euclid with algorithm D: each step at least halves the smaller operand's size class */
        pb_big_init(&x);
        pb_big_init(&y);
        pb_big_init(&t);
        e = pb_big_copy(&x, a);
        if (e == PB_OK)
                e = pb_big_copy(&y, b);
        x.neg = y.neg = false;
        while (e == PB_OK && y.n) {
                uint64_t small;
                if (pb_big_get_u64(&y, &small)) {
                        /* finish in machine words */
                        uint64_t xr;
                        e = pb_big_divmod_u64(NULL, &x, small, &xr);
                        while (e == PB_OK && xr) {
                                uint64_t tt = small % xr;
                                small = xr;
                                xr = tt;
                        }
                        if (e == PB_OK)
                                e = pb_big_set_u64(&x, small);
                        break;
                }
                e = pb_big_divmod(NULL, &t, &x, &y);
                if (e == PB_OK) {
                        pb_big_swap(&x, &y);
                        pb_big_swap(&y, &t);
                }
        }
        if (e == PB_OK)
                e = pb_big_copy(r, &x);
        pb_big_release(&x);
        pb_big_release(&y);
        pb_big_release(&t);
        return e;
}

pb_err pb_big_format(const struct pb_big *a, char *buf, size_t len)
{
        /* 10^19 is the largest power of ten below 2^64: peel 19 digits at a time */
        const uint64_t chunk = 10000000000000000000ull;
        struct pb_big t;
        size_t pos = 0, total;
        char *rev = NULL;
        pb_err e = PB_OK;

        PB_ASSERT(len > 0);
        buf[0] = '\0';
        if (!a->n) {
                if (len < 2)
                        return PB_ERR_LIMIT;
                buf[0] = '0';
                buf[1] = '\0';
                return PB_OK;
        }
        /* upper bound on digits: bits * log10(2) < bits * 0.30103 <= bits * 31 / 100 + 1 */
        total = pb_big_bits(a) * 31 / 100 + 2 + (a->neg ? 1 : 0);
        rev = pb_malloc(total + 20);
        if (!rev)
                return PB_ERR_NOMEM;
        pb_big_init(&t);
        e = pb_big_copy(&t, a);
        t.neg = false;
        while (e == PB_OK && t.n) {
                uint64_t r;
                e = pb_big_divmod_u64(&t, &t, chunk, &r);
                if (e < 0)
                        break;
                for (int k = 0; k < 19 && (t.n || r); k++) {
                        rev[pos++] = (char)('0' + (int)(r % 10));
                        r /= 10;
                }
        }
        if (e == PB_OK) {
                size_t k = 0;
                if (pos + (a->neg ? 1 : 0) + 1 > len) {
                        e = PB_ERR_LIMIT;
                        goto out;
                }
                if (a->neg)
                        buf[k++] = '-';
                while (pos)
                        buf[k++] = rev[--pos];
                buf[k] = '\0';
        }
out:
        pb_big_release(&t);
        pb_free(rev);
        return e;
}

void pb_rat_init(struct pb_rat *q)
{
        pb_big_init(&q->num);
        pb_big_init(&q->den);
}

void pb_rat_release(struct pb_rat *q)
{
        if (!q)
                return;
        pb_big_release(&q->num);
        pb_big_release(&q->den);
}

pb_err pb_rat_copy(struct pb_rat *dst, const struct pb_rat *src)
{
        pb_err e = pb_big_copy(&dst->num, &src->num);
        return e < 0 ? e : pb_big_copy(&dst->den, &src->den);
}

pb_err pb_rat_set_u64(struct pb_rat *q, uint64_t n, uint64_t d)
{
        pb_err e;

        PB_ASSERT(d > 0);
        e = pb_big_set_u64(&q->num, n);
        return e < 0 ? e : pb_big_set_u64(&q->den, d);
}

pb_err pb_rat_cmp(const struct pb_rat *a, const struct pb_rat *b, struct pb_big *t1, struct pb_big *t2,
                  int *ret)
{
        pb_err e;

        /* denominators are positive: a.num * b.den vs b.num * a.den */
        e = pb_big_mul(t1, &a->num, &b->den);
        if (e == PB_OK)
                e = pb_big_mul(t2, &b->num, &a->den);
        if (e == PB_OK)
                *ret = pb_big_cmp(t1, t2);
        return e;
}

pb_err pb_rat_reduce(struct pb_rat *q)
{
        struct pb_big g, t;
        pb_err e;

        pb_big_init(&g);
        pb_big_init(&t);
        e = pb_big_gcd(&g, &q->num, &q->den);
        if (e == PB_OK && pb_big_cmp_u64(&g, 1) > 0) {
                bool neg = q->num.neg;
                e = pb_big_divmod(&t, NULL, &q->num, &g);
                if (e == PB_OK) {
                        pb_big_swap(&t, &q->num);
                        if (q->num.n)
                                q->num.neg = neg;
                        e = pb_big_divmod(&t, NULL, &q->den, &g);
                }
                if (e == PB_OK)
                        pb_big_swap(&t, &q->den);
        }
        pb_big_release(&g);
        pb_big_release(&t);
        return e;
}

/* "~" + floor(q) + "." + as many fractional digits as fit (q >= 0 assumed by callers; sign kept). */
static pb_err format_approx(const struct pb_rat *q, char *buf, size_t len)
{
        struct pb_big ip, rem, next;
        size_t k;
        pb_err e;

        pb_big_init(&ip);
        pb_big_init(&rem);
        pb_big_init(&next);
        buf[0] = '~';
        e = pb_big_divmod(&ip, &rem, &q->num, &q->den);
        if (e == PB_OK) {
                if (q->num.neg && ip.n)
                        ip.neg = true;
                e = pb_big_format(&ip, buf + 1, len - 1);
        }
        if (e == PB_ERR_LIMIT) {
                /* not even the integer part fits: say so rather than truncate silently */
                memcpy(buf, "~huge", 6);
                e = PB_OK;
                goto out;
        }
        if (e < 0)
                goto out;
        k = strlen(buf);
        if (k + 2 < len && rem.n) {
                /* at most 20 decimals: enough to tell values apart, short enough to read */
                size_t stop = k + 1 + 20 < len - 1 ? k + 1 + 20 : len - 1;
                buf[k++] = '.';
                while (e == PB_OK && k < stop && rem.n) {
                        struct pb_big digit;
                        uint64_t dv = 0;
                        pb_big_init(&digit);
                        e = pb_big_mul_u64(&rem, &rem, 10);
                        if (e == PB_OK)
                                e = pb_big_divmod(&digit, &next, &rem, &q->den);
                        if (e == PB_OK) {
                                pb_big_swap(&next, &rem);
                                (void)pb_big_get_u64(&digit, &dv);
                                buf[k++] = (char)('0' + (int)dv);
                        }
                        pb_big_release(&digit);
                }
                buf[k] = '\0';
        }
out:
        pb_big_release(&ip);
        pb_big_release(&rem);
        pb_big_release(&next);
        return e;
}

pb_err pb_rat_format(const struct pb_rat *q, char *buf, size_t len)
{
        struct pb_rat r;
        size_t n;
        pb_err e;

        PB_ASSERT(len >= 32 && pb_big_sign(&q->den) > 0);
        pb_rat_init(&r);
        e = pb_rat_copy(&r, q);
        if (e == PB_OK)
                e = pb_rat_reduce(&r);
        if (e < 0)
                goto out;
        e = pb_big_format(&r.num, buf, len);
        if (e == PB_OK && pb_big_cmp_u64(&r.den, 1) != 0) {
                n = strlen(buf);
                if (n + 2 < len) {
                        buf[n] = '/';
                        e = pb_big_format(&r.den, buf + n + 1, len - n - 1);
                } else {
                        e = PB_ERR_LIMIT;
                }
        }
        if (e == PB_ERR_LIMIT)
                e = format_approx(&r, buf, len);
out:
        pb_rat_release(&r);
        return e;
}
