/** @file Checking UTC times (engine/pb_utc.h). */
#include "engine/pb_utc.h"

#include <string.h>

/* The number written at @s[0..n), all digits (checked by the caller). */
static unsigned num(const char *s, size_t n)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++)
                v = v * 10 + (unsigned)(s[i] - '0');
        return v;
}

static unsigned days_in(unsigned year, unsigned month)
{
        static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

        return month == 2 && leap ? 29 : days[month - 1];
}

bool pb_utc_is_valid(const char *s)
{
        static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
        unsigned year, month, day;

        if (!s || strlen(s) != PB_UTC_LEN)
                return false;
        for (size_t i = 0; pattern[i]; i++)
                if (pattern[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pattern[i])
                        return false;
        year = num(s, 4);
        month = num(s + 5, 2);
        day = num(s + 8, 2);
        return year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= days_in(year, month) &&
               num(s + 11, 2) < 24 && num(s + 14, 2) < 60 && num(s + 17, 2) < 60;
}
