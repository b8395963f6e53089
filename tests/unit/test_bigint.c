/** @file Unit tests for the exact big integers and rationals (engine/pb_bigint.h). */
#include <stdlib.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_bigint.h"
#include "xorshift.h"

/* Deterministic pseudo-random limbs (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
        return xorshift64star(&rng_state);
}

static void set_random(struct pb_big *a, unsigned limbs)
{
        CHECK_INT(pb_big_set_u64(a, 0), PB_OK);
        for (unsigned i = 0; i < limbs; i++) {
                struct pb_big t;
                pb_big_init(&t);
                CHECK_INT(pb_big_set_u64(&t, rnd() >> (i == 0 ? rnd() % 64 : 0)), PB_OK);
                CHECK_INT(pb_big_mul_u128(a, a, (pb_u128)1 << 64), PB_OK);
                CHECK_INT(pb_big_add(a, a, &t), PB_OK);
                pb_big_release(&t);
        }
}

static void test_format(void)
{
        struct pb_big a;
        char buf[128];

        pb_big_init(&a);
        CHECK_INT(pb_big_set_u64(&a, 1), PB_OK);
        for (int i = 0; i < 200; i++)
                CHECK_INT(pb_big_mul_u64(&a, &a, 2), PB_OK);
        CHECK_INT(pb_big_format(&a, buf, sizeof(buf)), PB_OK);
        /* 2^200, from Python's integers (an independent implementation) */
        CHECK_STR(buf, "1606938044258990275541962092341162602522202993782792835301376");
        CHECK_INT(pb_big_set_u64(&a, 1), PB_OK);
        for (int i = 0; i < 150; i++)
                CHECK_INT(pb_big_mul_u64(&a, &a, 3), PB_OK);
        CHECK_INT(pb_big_format(&a, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "369988485035126972924700782451696644186473100389722973815184405301748249");
        CHECK_INT(pb_big_format(&a, buf, 20), PB_ERR_LIMIT);
        CHECK_INT(pb_big_set_i64(&a, -1234567890123456789ll), PB_OK);
        CHECK_INT(pb_big_format(&a, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "-1234567890123456789");
        CHECK_INT(pb_big_set_u64(&a, 10000000000000000000ull), PB_OK);
        CHECK_INT(pb_big_format(&a, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "10000000000000000000");
        CHECK_INT(pb_big_set_u64(&a, 0), PB_OK);
        CHECK_INT(pb_big_format(&a, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "0");
        pb_big_release(&a);
}

static void test_signed(void)
{
        struct pb_big a, b, c;

        pb_big_init(&a);
        pb_big_init(&b);
        pb_big_init(&c);
        CHECK_INT(pb_big_set_i64(&a, 5), PB_OK);
        CHECK_INT(pb_big_set_i64(&b, 7), PB_OK);
        CHECK_INT(pb_big_sub(&c, &a, &b), PB_OK);
        CHECK_INT(pb_big_sign(&c), -1);
        CHECK_INT(pb_big_cmp_u64(&c, 0), -1);
        CHECK_INT(pb_big_add(&c, &c, &b), PB_OK); /* -2 + 7 */
        CHECK_INT(pb_big_cmp(&c, &a), 0);
        CHECK_INT(pb_big_sub(&c, &c, &c), PB_OK);
        CHECK(pb_big_is_zero(&c) && !c.neg);
        CHECK_INT(pb_big_set_i64(&a, -3), PB_OK);
        CHECK_INT(pb_big_mul(&c, &a, &b), PB_OK);
        CHECK_INT(pb_big_set_i64(&b, -21), PB_OK);
        CHECK_INT(pb_big_cmp(&c, &b), 0);
        CHECK_INT(pb_big_mul(&c, &c, &c), PB_OK); /* aliasing */
        CHECK_INT(pb_big_cmp_u64(&c, 441), 0);
        pb_big_release(&a);
        pb_big_release(&b);
        pb_big_release(&c);
}

/* q b + r = a, 0 <= r < b, over many sizes (algorithm D's corner cases need many trials). */
static void test_divmod(void)
{
        struct pb_big a, b, q, r, t;

        pb_big_init(&a);
        pb_big_init(&b);
        pb_big_init(&q);
        pb_big_init(&r);
        pb_big_init(&t);
        for (int trial = 0; trial < 1000; trial++) {
                unsigned la = 1 + (unsigned)(rnd() % 9), lb = 1 + (unsigned)(rnd() % 5);
                set_random(&a, la);
                set_random(&b, lb);
                if (trial % 7 == 0) /* divisor with a top limb of all ones, dividend a multiple */
                        CHECK_INT(pb_big_mul(&a, &a, &b), PB_OK);
                if (pb_big_is_zero(&b))
                        continue;
                CHECK_INT(pb_big_divmod(&q, &r, &a, &b), PB_OK);
                CHECK(pb_big_cmp(&r, &b) < 0 && pb_big_sign(&r) >= 0);
                CHECK_INT(pb_big_mul(&t, &q, &b), PB_OK);
                CHECK_INT(pb_big_add(&t, &t, &r), PB_OK);
                CHECK_INT(pb_big_cmp(&t, &a), 0);
        }
        pb_big_release(&a);
        pb_big_release(&b);
        pb_big_release(&q);
        pb_big_release(&r);
        pb_big_release(&t);
}

static void test_gcd_and_rat(void)
{
        struct pb_big a, b, g, t;
        struct pb_rat x, y;
        char buf[64];
        int c;

        pb_big_init(&a);
        pb_big_init(&b);
        pb_big_init(&g);
        pb_big_init(&t);
        pb_rat_init(&x);
        pb_rat_init(&y);
        for (int trial = 0; trial < 300; trial++) {
                set_random(&g, 1 + (unsigned)(rnd() % 3));
                if (pb_big_is_zero(&g))
                        CHECK_INT(pb_big_set_u64(&g, 1), PB_OK);
                set_random(&a, 1 + (unsigned)(rnd() % 4));
                set_random(&b, 1 + (unsigned)(rnd() % 4));
                CHECK_INT(pb_big_mul(&a, &a, &g), PB_OK);
                CHECK_INT(pb_big_mul(&b, &b, &g), PB_OK);
                CHECK_INT(pb_big_gcd(&t, &a, &b), PB_OK);
                /* g divides the gcd, and the gcd divides both */
                CHECK_INT(pb_big_divmod(&x.num, &x.den, &t, &g), PB_OK);
                CHECK(pb_big_is_zero(&x.den));
                CHECK_INT(pb_big_divmod(&x.num, &x.den, &a, &t), PB_OK);
                CHECK(pb_big_is_zero(&x.den));
        }
        CHECK_INT(pb_rat_set_u64(&x, 1000000, 6586), PB_OK);
        CHECK_INT(pb_rat_format(&x, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "500000/3293");
        CHECK_INT(pb_rat_set_u64(&y, 151, 1), PB_OK);
        CHECK_INT(pb_rat_cmp(&x, &y, &a, &b, &c), PB_OK);
        CHECK(c > 0); /* 151.83 > 151 */
        CHECK_INT(pb_rat_set_u64(&y, 151838, 1000), PB_OK);
        CHECK_INT(pb_rat_cmp(&x, &y, &a, &b, &c), PB_OK);
        CHECK(c < 0);
        CHECK_INT(pb_rat_set_u64(&y, 12, 4), PB_OK);
        CHECK_INT(pb_rat_format(&y, buf, sizeof(buf)), PB_OK);
        CHECK_STR(buf, "3");
        /* a fraction too long for the buffer is shown as a marked decimal approximation */
        CHECK_INT(pb_big_set_u64(&x.num, 1), PB_OK);
        CHECK_INT(pb_big_set_u64(&x.den, 3), PB_OK);
        for (int i = 0; i < 30; i++)
                CHECK_INT(pb_big_mul_u64(&x.den, &x.den, 7), PB_OK);
        CHECK_INT(pb_big_mul_u64(&x.num, &x.den, 2), PB_OK);
        CHECK_INT(pb_big_set_u64(&t, 1), PB_OK);
        CHECK_INT(pb_big_add(&x.num, &x.num, &t), PB_OK); /* 2 + 1/(3*7^30) */
        CHECK_INT(pb_rat_format(&x, buf, 32), PB_OK);
        /* 1/(3*7^30) = 1.477...e-26: the first 20 decimals are zeros */
        CHECK_STR(buf, "~2.00000000000000000000");
        pb_big_release(&a);
        pb_big_release(&b);
        pb_big_release(&g);
        pb_big_release(&t);
        pb_rat_release(&x);
        pb_rat_release(&y);
}

static void test_limits(void)
{
        struct pb_big a, b;

        pb_big_init(&a);
        pb_big_init(&b);
        CHECK_INT(pb_big_reserve(&a, PB_BIG_MAX_LIMBS + 1), PB_ERR_OVERFLOW);
        /* a product past the cap fails with an error before any work, it never grows unbounded */
        CHECK_INT(pb_big_reserve(&a, PB_BIG_MAX_LIMBS / 2 + 8), PB_OK);
        for (uint32_t i = 0; i < PB_BIG_MAX_LIMBS / 2 + 8; i++)
                a.d[i] = ~0ull;
        a.n = PB_BIG_MAX_LIMBS / 2 + 8;
        CHECK_INT(pb_big_mul(&b, &a, &a), PB_ERR_OVERFLOW);
        CHECK_INT(pb_big_mul(&a, &a, &a), PB_ERR_OVERFLOW);
        pb_big_release(&a);
        pb_big_release(&b);
        /* allocation failures are reported */
        pb_big_init(&a);
        pb_alloc_fail_after(0);
        CHECK_INT(pb_big_set_u64(&a, 1), PB_ERR_NOMEM);
        pb_alloc_fail_after(-1);
        pb_big_release(&a);
}

int main(void)
{
        RUN(test_format);
        RUN(test_signed);
        RUN(test_divmod);
        RUN(test_gcd_and_rat);
        RUN(test_limits);
        return check_summary("bigint");
}
