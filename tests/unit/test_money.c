/** @file Unit tests for exact decimal money parsing and formatting. */
#include "check.h"
#include "engine/pb_money.h"

static int64_t dec(const char *s, unsigned scale, pb_err *ret_err)
{
        int64_t v = -777;
        *ret_err = pb_decimal_parse(s, strlen(s), scale, &v, NULL);
        return v;
}

/* @s at @scale is refused with @want. */
static void check_refused(const char *s, unsigned scale, pb_err want)
{
        int before = check_failures;
        pb_err e;

        dec(s, scale, &e);
        CHECK_INT(e, want);
        if (check_failures != before)
                fprintf(stderr, "  (for \"%s\" at scale %u)\n", s, scale);
}

static void test_parse(void)
{
        pb_err e;

        CHECK_INT(dec("2458488.22", 2, &e), 245848822);
        CHECK_INT(e, PB_OK);
        CHECK_INT(dec("400000.0", 0, &e), 400000); /* an insignificant zero fits scale 0 */
        CHECK_INT(e, PB_OK);
        CHECK_INT(dec("400000", 2, &e), 40000000);
        CHECK_INT(dec("0.5", 1, &e), 5);
        CHECK_INT(dec(".5", 1, &e), 5);
        CHECK_INT(e, PB_OK);
        CHECK_INT(dec("5.", 1, &e), 50);
        CHECK_INT(e, PB_OK);
        CHECK_INT(dec("-3.25", 2, &e), -325);
        check_refused("2458488.22", 1, PB_ERR_INVALID); /* not representable at scale 1 */
        check_refused("1,5", 1, PB_ERR_PARSE);
        check_refused("", 0, PB_ERR_PARSE);
        check_refused(".", 0, PB_ERR_PARSE);
        check_refused("-", 0, PB_ERR_PARSE);
        check_refused("+5", 0, PB_ERR_PARSE);
        check_refused("1e6", 0, PB_ERR_PARSE);
        check_refused(" 5", 0, PB_ERR_PARSE);
        check_refused("1.2.3", 2, PB_ERR_PARSE);
        CHECK_INT(dec("9223372036854775807", 0, &e), INT64_MAX);
        check_refused("9223372036854775808", 0, PB_ERR_OVERFLOW);
        check_refused("92233720368547759", 2, PB_ERR_OVERFLOW); /* fits as text, not once scaled */
        check_refused("99999999999999999999999999999", 0, PB_ERR_OVERFLOW);
}

static void test_int(void)
{
        int64_t v = 0;

        CHECK_INT(pb_int_parse("-9223372036854775808", 20, &v, NULL), PB_OK);
        CHECK_INT(v, INT64_MIN);
        CHECK_INT(pb_int_parse("9223372036854775807", 19, &v, NULL), PB_OK);
        CHECK_INT(v, INT64_MAX);
        CHECK_INT(pb_int_parse("9223372036854775808", 19, &v, NULL), PB_ERR_OVERFLOW);
        CHECK_INT(pb_int_parse("12a", 3, &v, NULL), PB_ERR_PARSE);
        CHECK_INT(pb_int_parse("1.0", 3, &v, NULL), PB_ERR_PARSE);
        CHECK_INT(pb_int_parse("-", 1, &v, NULL), PB_ERR_PARSE);
        CHECK_INT(pb_int_parse("", 0, &v, NULL), PB_ERR_PARSE);
}

static void test_format(void)
{
        char b[PB_MONEY_STR_MAX];

        CHECK_STR(pb_money_format(245848822, 2, b), "2458488.22");
        CHECK_STR(pb_money_format(40000000, 2, b), "400000");
        CHECK_STR(pb_money_format(40000010, 2, b), "400000.1");
        CHECK_STR(pb_money_format(5, 2, b), "0.05");
        CHECK_STR(pb_money_format(-5, 2, b), "-0.05");
        CHECK_STR(pb_money_format(0, 0, b), "0");
        CHECK_STR(pb_money_format(0, 3, b), "0");
        CHECK_STR(pb_money_format(INT64_MIN, 0, b), "-9223372036854775808");
        CHECK_STR(pb_money_format(INT64_MAX, 6, b), "9223372036854.775807");
        CHECK_INT(pb_decimal_scale("400000.0", 8), 0);
        CHECK_INT(pb_decimal_scale("2458488.22", 10), 2);
        CHECK_INT(pb_decimal_scale("12", 2), 0);
        /* round trip at every scale */
        for (unsigned s = 0; s <= PB_MONEY_MAX_SCALE; s++) {
                const int64_t vals[] = { 0, 1, -1, 10, 123456789, -987654321, INT64_MAX, INT64_MIN + 1 };
                for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                        int64_t back = 0;
                        pb_money_format(vals[i], s, b);
                        CHECK_INT(pb_decimal_parse(b, strlen(b), s, &back, NULL), PB_OK);
                        CHECK_INT(back, vals[i]);
                }
        }
}

static void test_checked(void)
{
        int64_t r = 5;

        CHECK_INT(pb_add_i64(INT64_MAX, 1, &r), PB_ERR_OVERFLOW);
        CHECK_INT(r, 5);
        CHECK_INT(pb_mul_i64(INT64_MAX / 2 + 1, 2, &r), PB_ERR_OVERFLOW);
        CHECK_INT(pb_mul_i64(-3, 4, &r), PB_OK);
        CHECK_INT(r, -12);
}

int main(void)
{
        RUN(test_parse);
        RUN(test_int);
        RUN(test_format);
        RUN(test_checked);
        return check_summary("money");
}
