/** @file UTC times as manifests and signed documents write them: "YYYY-MM-DDTHH:MM:SSZ". */
#ifndef PB_UTC_H
#define PB_UTC_H

#include <stdbool.h>

#define PB_UTC_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ" */

/**
 * True when @s is exactly "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339 in UTC, to the second) and names a real
 * time: a year from 1970 to 9999, a month 01-12, a day that month has (Gregorian leap years), an
 * hour 00-23, a minute and a second 00-59.  Such strings compare in time order with strcmp().
 * NULL is not valid.
 */
bool pb_utc_is_valid(const char *s);

#endif
