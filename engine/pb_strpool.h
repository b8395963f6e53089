/** @file An append-only pool of NUL-terminated strings with stable addresses. */
#ifndef PB_STRPOOL_H
#define PB_STRPOOL_H

#include <stddef.h>

#include "engine/pb_err.h"

struct pb_strpool_chunk;

/**
 * Strings added to a pool live until pb_strpool_release(): their addresses never move, so
 * models hand out `const char *` into the pool (borrowed for the pool's lifetime).  One chunk
 * allocation serves thousands of short strings, which keeps parsing a million voter ids fast.
 */
struct pb_strpool {
        struct pb_strpool_chunk *head; /* newest chunk first */
        size_t bytes;                  /* total string bytes stored, for statistics */
};

void pb_strpool_init(struct pb_strpool *p);
/** Free every string of @p; @p is left empty and reusable.  Accepts a zeroed pool. */
void pb_strpool_release(struct pb_strpool *p);
/**
 * Copy @len bytes of @s (plus a NUL) into the pool.
 * @return the copy (borrowed from @p), or NULL when out of memory.
 */
const char *pb_strpool_add(struct pb_strpool *p, const char *s, size_t len);

#endif
