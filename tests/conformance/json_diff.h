/** @file Semantic comparison of two parsed JSON documents, for the conformance runners. */
#ifndef PB_TEST_JSON_DIFF_H
#define PB_TEST_JSON_DIFF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * Compare @ours with @expected: objects by key (keys in @ignore[] skipped on both sides),
 * arrays element by element, strings that both hold decimal numbers numerically ("17375.0000"
 * equals "17375"), JSON numbers by value, everything else exactly.  Each difference is printed
 * to stderr with its path, at most @max_report of them.
 * @return the number of differences (0: same)
 */
size_t json_diff(const cJSON *ours, const cJSON *expected, const char *const *ignore, size_t max_report);

/** True if @s is a decimal number ("-12", "3.50"); @ret gets its canonical text. */
bool json_decimal_canon(const char *s, char *ret, size_t cap);

#endif
