/** @file The allocation hooks and their failure injector. */
#include "engine/pb_alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Test-only state (the engine has no other globals): -1 = never fail.  Atomic, because every
 * thread of the server allocates: a plain counter would be a data race (ThreadSanitizer). */
static atomic_long fail_after = -1;
static atomic_long counter;

static int should_fail(void)
{
        long left;

        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
        left = atomic_load_explicit(&fail_after, memory_order_relaxed);
        while (left > 0) {
                /* one failure after @left more successes, whichever thread allocates */
                if (atomic_compare_exchange_weak_explicit(&fail_after, &left, left - 1, memory_order_relaxed,
                                                          memory_order_relaxed))
                        return 0;
        }
        return left == 0;
}

void pb_alloc_fail_after(long n)
{
        atomic_store(&fail_after, n);
        atomic_store(&counter, 0);
}

long pb_alloc_count(void)
{
        return atomic_load(&counter);
}

void *pb_malloc(size_t n)
{
        if (should_fail())
                return NULL;
        return malloc(n ? n : 1);
}

void *pb_calloc(size_t n, size_t size)
{
        if (size && n > SIZE_MAX / size)
                return NULL;
        if (should_fail())
                return NULL;
        return calloc(n ? n : 1, size ? size : 1);
}

void *pb_realloc(void *p, size_t n)
{
        if (should_fail())
                return NULL;
        return realloc(p, n ? n : 1);
}

void *pb_reallocarray(void *p, size_t n, size_t size)
{
        if (size && n > SIZE_MAX / size)
                return NULL;
        return pb_realloc(p, n * size);
}

void *pb_grow(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
        size_t ncap = *cap ? *cap : (first ? first : 1);

        /* A NULL array is allocated even for a need of 0 (at least @first entries): returning the
         * NULL would make "nothing to do" look like "out of memory" to every caller. */
        if (p && need <= *cap)
                return p;
        while (ncap < need)
                ncap = ncap > SIZE_MAX / 4 ? need : ncap * 2;
        p = pb_reallocarray(p, ncap, elem);
        if (p)
                *cap = ncap;
        return p;
}

void pb_free(void *p)
{
        free(p);
}

char *pb_strndup(const char *s, size_t len)
{
        char *r;

        if (len == SIZE_MAX)
                return NULL;
        r = pb_malloc(len + 1);
        if (!r)
                return NULL;
        memcpy(r, s, len);
        r[len] = '\0';
        return r;
}
