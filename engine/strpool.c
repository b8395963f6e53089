/** @file The string pool: big chunks, bump allocation, one free per chunk. */
#include "engine/pb_strpool.h"

#include <stdint.h>
#include <string.h>

#include "engine/pb_alloc.h"

#define CHUNK_MIN ((size_t)64 * 1024)

struct pb_strpool_chunk {
        struct pb_strpool_chunk *next;
        size_t used, cap;
        char data[];
};

void pb_strpool_init(struct pb_strpool *p)
{
        p->head = NULL;
        p->bytes = 0;
}

void pb_strpool_release(struct pb_strpool *p)
{
        struct pb_strpool_chunk *c, *next;

        if (!p)
                return;
        for (c = p->head; c; c = next) {
                next = c->next;
                pb_free(c);
        }
        p->head = NULL;
        p->bytes = 0;
}

const char *pb_strpool_add(struct pb_strpool *p, const char *s, size_t len)
{
        struct pb_strpool_chunk *c = p->head;
        char *dst;

        if (len >= SIZE_MAX / 2)
                return NULL;
        if (!c || c->cap - c->used < len + 1) {
                size_t cap = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;

                c = pb_malloc(sizeof(*c) + cap);
                if (!c)
                        return NULL;
                c->used = 0;
                c->cap = cap;
                c->next = p->head;
                p->head = c;
        }
        dst = c->data + c->used;
        if (len)
                memcpy(dst, s, len);
        dst[len] = '\0';
        c->used += len + 1;
        p->bytes += len;
        return dst;
}
