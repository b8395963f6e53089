/** @file Allocation hooks for every layer, with a fault-injection switch for OOM tests. */
#ifndef PB_ALLOC_H
#define PB_ALLOC_H

#include <stddef.h>

/** malloc(); NULL on failure (or when an injected failure is due).  pb_malloc(0) returns a
 *  unique pointer, never NULL on success. */
void *pb_malloc(size_t n);
/** calloc() with an overflow check on @n * @size.  pb_calloc(0, x) and pb_calloc(x, 0) return a
 *  unique pointer, never NULL on success, like pb_malloc(0). */
void *pb_calloc(size_t n, size_t size);
/** realloc(); on failure @p is untouched and still owned by the caller.  A size of 0 keeps a
 *  unique pointer of its own (never frees @p nor returns NULL on success). */
void *pb_realloc(void *p, size_t n);
/** reallocarray(): realloc to @n * @size bytes, NULL on overflow; 0 bytes as pb_realloc(). */
void *pb_reallocarray(void *p, size_t n, size_t size);
/**
 * Grow an array: make @p (of @elem-byte entries, *@cap allocated) hold at least @need entries,
 * doubling from @first.  Returns the array, possibly moved, and updates *@cap; on failure
 * returns NULL and leaves @p and *@cap as they were.  Returns @p unchanged when it is not NULL
 * and big enough.  A NULL @p is always allocated (at least @first entries, even for a @need of
 * 0), so NULL means out of memory and nothing else.
 */
void *pb_grow(void *p, size_t *cap, size_t need, size_t elem, size_t first);
/** free(); accepts NULL. */
void pb_free(void *p);
/** A heap copy of the first @len bytes of @s plus a NUL.  Owned by the caller (pb_free). */
char *pb_strndup(const char *s, size_t len);

/**
 * Test hook (curl's torture mode, SQLite's OOM tests): after @n more successful allocations,
 * every allocation fails until this is called again.  @n < 0 switches injection off (the
 * default).  Not thread-safe; tests only.
 */
void pb_alloc_fail_after(long n);
/** Number of allocations made since the last pb_alloc_fail_after() call. */
long pb_alloc_count(void);

#endif
