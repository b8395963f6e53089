/** @file xorshift64*, the seeded generator of the tests and benchmarks that want reproducible
 *  pseudo-random data (a failure, or a benchmark's input, is the same at every run). */
#ifndef PB_TEST_XORSHIFT_H
#define PB_TEST_XORSHIFT_H

#include <stdint.h>

/* The next value of the generator whose state is @state (seeded by the caller, never 0). */
static inline uint64_t xorshift64star(uint64_t *state)
{
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        return *state * 2685821657736338717ULL;
}

#endif
