/** @file A fast non-cryptographic hash for in-memory tables (ids, voter ids). */
#ifndef PB_HASH_H
#define PB_HASH_H

#include <stddef.h>
#include <stdint.h>

/**
 * FNV-1a over @len bytes of @s.  For hash tables only: an adversary who picks colliding ids makes a
 * lookup slower, never wrong (every table compares the full key).  Never use it where integrity
 * matters: that is libsodium's job (pb_merkle.h, pb_seal.h).
 */
static inline uint64_t pb_hash_fnv1a(const char *s, size_t len)
{
        uint64_t h = 14695981039346656037ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h;
}

#endif
