/** @file Exact decimal parsing and formatting for amounts in minor units. */
#include "engine/pb_money.h"

#include <string.h>

int64_t pb_pow10(unsigned scale)
{
        int64_t p = 1;

        PB_ASSERT(scale <= 18);
        while (scale--)
                p *= 10;
        return p;
}

unsigned pb_decimal_scale(const char *s, size_t len)
{
        const char *dot = memchr(s, '.', len);
        size_t n;

        if (!dot)
                return 0;
        n = len - (size_t)(dot - s) - 1;
        while (n && dot[n] == '0')
                n--;
        return n > 255 ? 255 : (unsigned)n;
}

pb_err pb_decimal_parse(const char *s, size_t len, unsigned scale, int64_t *ret, struct pb_diag *reterr)
{
        size_t i = 0;
        bool neg = false, digits = false;
        int64_t v = 0;
        unsigned frac = 0;

        PB_ASSERT(scale <= PB_MONEY_MAX_SCALE);
        if (len && s[0] == '-') {
                neg = true;
                i = 1;
        }
        for (; i < len && s[i] != '.'; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return pb_diag_set(reterr, PB_ERR_PARSE, NULL,
                                           s[i] == ',' ? "comma used as decimal separator; use a point"
                                                       : "not a decimal number");
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
                digits = true;
        }
        if (i < len) { /* at the '.' */
                for (i++; i < len; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return pb_diag_set(reterr, PB_ERR_PARSE, NULL, "not a decimal number");
                        digits = true;
                        if (frac == scale) {
                                if (s[i] != '0')
                                        return pb_diag_set(reterr, PB_ERR_INVALID, NULL,
                                                           "more decimal places than the amount's scale");
                                continue;
                        }
                        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
                                return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
                        frac++;
                }
        }
        if (!digits)
                return pb_diag_set(reterr, PB_ERR_PARSE, NULL, len ? "not a decimal number" : "empty number");
        for (; frac < scale; frac++)
                if (__builtin_mul_overflow(v, 10, &v))
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
        *ret = neg ? -v : v;
        return PB_OK;
}

pb_err pb_int_parse(const char *s, size_t len, int64_t *ret, struct pb_diag *reterr)
{
        size_t i = 0;
        bool neg = false;
        int64_t v = 0;

        if (len && s[0] == '-') {
                neg = true;
                i = 1;
        }
        if (i == len)
                return pb_diag_set(reterr, PB_ERR_PARSE, NULL, len ? "not an integer" : "empty number");
        for (; i < len; i++) {
                int d;

                if (s[i] < '0' || s[i] > '9')
                        return pb_diag_set(reterr, PB_ERR_PARSE, NULL, "not an integer");
                d = s[i] - '0';
                /* accumulate negatively so that INT64_MIN parses */
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, d, &v))
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
        }
        if (!neg) {
                if (v == INT64_MIN)
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
                v = -v;
        }
        *ret = v;
        return PB_OK;
}

char *pb_money_format(int64_t v, unsigned scale, char buf[PB_MONEY_STR_MAX])
{
        char tmp[PB_MONEY_STR_MAX];
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        size_t i = sizeof(tmp), o = 0;
        unsigned k;

        PB_ASSERT(scale <= PB_MONEY_MAX_SCALE);
        tmp[--i] = '\0';
        for (k = 0; k < scale; k++) {
                tmp[--i] = (char)('0' + u % 10);
                u /= 10;
        }
        if (scale)
                tmp[--i] = '.';
        do {
                tmp[--i] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                buf[o++] = '-';
        memcpy(buf + o, tmp + i, sizeof(tmp) - i);
        if (scale) { /* drop insignificant fractional zeros, and the point if bare */
                size_t n = strlen(buf);
                while (buf[n - 1] == '0')
                        buf[--n] = '\0';
                if (buf[n - 1] == '.')
                        buf[n - 1] = '\0';
        }
        return buf;
}
