/** @file A tiny test harness: CHECK() macros that never depend on NDEBUG, and a summary exit. */
#ifndef PB_TEST_CHECK_H
#define PB_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(x)                                                                                             \
        do {                                                                                                 \
                check_count++;                                                                               \
                if (!(x)) {                                                                                  \
                        check_failures++;                                                                    \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #x);                \
                }                                                                                            \
        } while (0)

#define CHECK_INT(a, b)                                                                                      \
        do {                                                                                                 \
                long long check_a_ = (long long)(a), check_b_ = (long long)(b);                              \
                check_count++;                                                                               \
                if (check_a_ != check_b_) {                                                                  \
                        check_failures++;                                                                    \
                        fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %s == %lld\n",        \
                                __FILE__, __LINE__, #a, check_a_, #b, check_b_);                             \
                }                                                                                            \
        } while (0)

#define CHECK_STR(a, b)                                                                                      \
        do {                                                                                                 \
                const char *check_a_ = (a), *check_b_ = (b);                                                 \
                check_count++;                                                                               \
                if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {                                  \
                        check_failures++;                                                                    \
                        fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n",          \
                                __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)",                      \
                                check_b_ ? check_b_ : "(null)");                                             \
                }                                                                                            \
        } while (0)

/* An unconditional failure with a message (a setup step that could not be done). */
#define CHECK_FAIL(msg)                                                                                      \
        do {                                                                                                 \
                check_count++;                                                                               \
                check_failures++;                                                                            \
                fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, (msg));                                   \
        } while (0)

/* Run a test function and report its name when it fails. */
#define RUN(fn) RUN_ARG(fn, )

/* Run a test function of one argument, @arg, and report its name when it fails. */
#define RUN_ARG(fn, arg)                                                                                     \
        do {                                                                                                 \
                int check_before_ = check_failures;                                                          \
                fn(arg);                                                                                     \
                if (check_failures != check_before_)                                                         \
                        fprintf(stderr, "FAIL %s\n", #fn);                                                   \
        } while (0)

static inline int check_summary(const char *name)
{
        fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
        return check_failures ? 1 : (check_count ? 0 : 1); /* a test that checks nothing fails */
}

#endif
