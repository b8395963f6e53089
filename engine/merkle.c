/** @file RFC 6962 / 9162 Merkle trees: hashing, proofs from a subtree-hash source, verification. */
#include "engine/pb_merkle.h"

#include <sodium.h>
#include <string.h>

#include "engine/pb_alloc.h"

#define HB PB_MERKLE_HASH_BYTES

/* The named sizes state libsodium's: a tree, a commitment or a document digest is one SHA-256. */
_Static_assert(PB_SHA256_BYTES == crypto_hash_sha256_BYTES, "PB_SHA256_BYTES is SHA-256's size");
_Static_assert(PB_SHA256_HEX_LEN == 2 * PB_SHA256_BYTES, "PB_SHA256_HEX_LEN is its hex length");

void pb_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t ret_hash[HB])
{
        crypto_hash_sha256_state st;
        const uint8_t prefix = 0x00;

        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, &prefix, 1);
        crypto_hash_sha256_update(&st, data, len);
        crypto_hash_sha256_final(&st, ret_hash);
}

void pb_merkle_node_hash(const uint8_t left[HB], const uint8_t right[HB], uint8_t ret_hash[HB])
{
        uint8_t buf[1 + 2 * HB];

        buf[0] = 0x01;
        memcpy(buf + 1, left, HB);
        memcpy(buf + 1 + HB, right, HB);
        crypto_hash_sha256(ret_hash, buf, sizeof(buf));
}

void pb_merkle_empty_root(uint8_t ret_hash[HB])
{
        crypto_hash_sha256(ret_hash, (const uint8_t *)"", 0);
}

static unsigned floor_log2(uint64_t n) /* n > 0 */
{
        return 63u - (unsigned)__builtin_clzll(n);
}

/* k of RFC 6962: the largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
        return (uint64_t)1 << floor_log2(n - 1);
}

/* Hash of the perfect subtree (level, index): read it, or build it from the highest level the
 * source answers.  Recursion depth <= 64. */
static pb_err perfect_hash(const struct pb_merkle_source *src, unsigned level, uint64_t index,
                           uint8_t out[HB])
{
        uint8_t l[HB], r[HB];
        pb_err e;

        if (level <= src->max_level)
                return src->subtree(src->ctx, level, index, out);
        e = perfect_hash(src, level - 1, 2 * index, l);
        if (e < 0)
                return e;
        e = perfect_hash(src, level - 1, 2 * index + 1, r);
        if (e < 0)
                return e;
        pb_merkle_node_hash(l, r, out);
        return PB_OK;
}

/*
 * MTH(D[begin:end]) for the ranges RFC 6962's recursion produces: @begin is a multiple of the
 * smallest power of two >= end - begin.  Such a range is a run of perfect subtrees of strictly
 * decreasing size (the binary digits of end - begin); its hash folds them from the right, which is
 * exactly the RFC's split at the largest power of two below the size, applied recursively.
 */
static pb_err range_hash(const struct pb_merkle_source *src, uint64_t begin, uint64_t end, uint8_t out[HB])
{
        uint8_t stack[PB_MERKLE_MAX_LEVELS][HB];
        unsigned n = 0, prev = PB_MERKLE_MAX_LEVELS;
        pb_err e;

        PB_ASSERT(begin < end);
        while (begin < end) {
                unsigned level = floor_log2(end - begin);

                PB_ASSERT((begin & (((uint64_t)1 << level) - 1)) == 0 && level < prev);
                e = perfect_hash(src, level, begin >> level, stack[n++]);
                if (e < 0)
                        return e;
                begin += (uint64_t)1 << level;
                prev = level;
        }
        for (; n > 1; n--)
                pb_merkle_node_hash(stack[n - 2], stack[n - 1], stack[n - 2]);
        memcpy(out, stack[0], HB);
        return PB_OK;
}

pb_err pb_merkle_root(const struct pb_merkle_source *src, uint64_t size, uint8_t ret_root[HB])
{
        if (size == 0) {
                pb_merkle_empty_root(ret_root);
                return PB_OK;
        }
        return range_hash(src, 0, size, ret_root);
}

/* The proofs are built top-down into @tmp, then handed out bottom-up (the RFC's order). */
static void reverse_out(uint8_t (*tmp)[HB], size_t n, uint8_t *ret_path, size_t *ret_len)
{
        size_t i;

        for (i = 0; i < n; i++)
                memcpy(ret_path + i * HB, tmp[n - 1 - i], HB);
        *ret_len = n;
}

pb_err pb_merkle_inclusion_proof(const struct pb_merkle_source *src, uint64_t size, uint64_t index,
                                 uint8_t *ret_path, size_t *ret_len, struct pb_diag *reterr)
{
        uint8_t tmp[PB_MERKLE_MAX_PROOF][HB];
        uint64_t lo = 0, hi = size;
        size_t n = 0;
        pb_err e;

        if (index >= size)
                return pb_diag_set(reterr, PB_ERR_INVALID, "index", "leaf index is not below the tree size");
        /* PATH(m, D[lo:hi]): the sibling subtree at this level, then the path inside our side. */
        while (hi - lo > 1) {
                uint64_t k = split_point(hi - lo);

                PB_ASSERT(n < PB_MERKLE_MAX_PROOF);
                if (index < lo + k) {
                        e = range_hash(src, lo + k, hi, tmp[n++]);
                        hi = lo + k;
                } else {
                        e = range_hash(src, lo, lo + k, tmp[n++]);
                        lo += k;
                }
                if (e < 0)
                        return e;
        }
        reverse_out(tmp, n, ret_path, ret_len);
        return PB_OK;
}

pb_err pb_merkle_consistency_proof(const struct pb_merkle_source *src, uint64_t old_size, uint64_t size,
                                   uint8_t *ret_path, size_t *ret_len, struct pb_diag *reterr)
{
        uint8_t tmp[PB_MERKLE_MAX_PROOF][HB];
        uint64_t lo = 0, hi = size;
        bool whole = true; /* the b flag of SUBPROOF: D[lo:hi] is the old tree's own subtree */
        size_t n = 0;
        pb_err e = PB_OK;

        if (old_size > size)
                return pb_diag_set(reterr, PB_ERR_INVALID, "size", "old tree is larger than the new one");
        if (old_size == 0 || old_size == size) {
                *ret_len = 0;
                return PB_OK;
        }
        /* SUBPROOF(m, D[lo:hi], b) with m = old_size - lo; invariant lo < old_size < hi until the end. */
        for (;;) {
                uint64_t k;

                PB_ASSERT(n < PB_MERKLE_MAX_PROOF);
                if (old_size == hi) {
                        if (!whole)
                                e = range_hash(src, lo, hi, tmp[n++]);
                        break;
                }
                k = split_point(hi - lo);
                if (old_size <= lo + k) {
                        e = range_hash(src, lo + k, hi, tmp[n++]);
                        hi = lo + k;
                } else {
                        e = range_hash(src, lo, lo + k, tmp[n++]);
                        lo += k;
                        whole = false;
                }
                if (e < 0)
                        return e;
        }
        if (e < 0)
                return e;
        reverse_out(tmp, n, ret_path, ret_len);
        return PB_OK;
}

pb_err pb_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[HB],
                                  const uint8_t *path, size_t path_len, const uint8_t root[HB],
                                  struct pb_diag *reterr)
{
        uint64_t fn = index, sn;
        uint8_t r[HB];
        size_t i;

        if (index >= size)
                return pb_diag_set(reterr, PB_ERR_INVALID, "index", "leaf index is not below the tree size");
        if (path_len > PB_MERKLE_MAX_PROOF)
                return pb_diag_set(reterr, PB_ERR_INVALID, "path", "inclusion proof too long");
        sn = size - 1;
        memcpy(r, leaf_hash, HB);
        for (i = 0; i < path_len; i++) {
                if (sn == 0)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path", "inclusion proof too long");
                if ((fn & 1) || fn == sn) {
                        pb_merkle_node_hash(path + i * HB, r, r);
                        if (!(fn & 1))
                                while (!(fn & 1) && fn != 0) {
                                        fn >>= 1;
                                        sn >>= 1;
                                }
                } else {
                        pb_merkle_node_hash(r, path + i * HB, r);
                }
                fn >>= 1;
                sn >>= 1;
        }
        if (sn != 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path", "inclusion proof too short");
        if (sodium_memcmp(r, root, HB) != 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "root",
                                   "inclusion proof does not lead to the root");
        return PB_OK;
}

pb_err pb_merkle_verify_consistency(uint64_t old_size, uint64_t size, const uint8_t old_root[HB],
                                    const uint8_t root[HB], const uint8_t *path, size_t path_len,
                                    struct pb_diag *reterr)
{
        uint8_t fr[HB], sr[HB], empty[HB];
        uint64_t fn, sn;
        size_t i, start;

        if (old_size > size)
                return pb_diag_set(reterr, PB_ERR_INVALID, "size", "old tree is larger than the new one");
        if (path_len > PB_MERKLE_MAX_PROOF)
                return pb_diag_set(reterr, PB_ERR_INVALID, "path", "consistency proof too long");
        if (old_size == size) {
                if (path_len)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path",
                                           "equal tree sizes need an empty consistency proof");
                if (sodium_memcmp(old_root, root, HB) != 0)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "root", "two roots for one tree size");
                return PB_OK;
        }
        if (old_size == 0) {
                if (path_len)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path",
                                           "an empty old tree needs an empty consistency proof");
                pb_merkle_empty_root(empty);
                if (sodium_memcmp(old_root, empty, HB) != 0)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "root",
                                           "root of the empty tree is wrong");
                return PB_OK;
        }
        if (path_len == 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path", "consistency proof is empty");
        /* RFC 9162 §2.1.4.2.  When old_size is a power of two the old root is the first node. */
        start = 0;
        if ((old_size & (old_size - 1)) == 0) {
                memcpy(fr, old_root, HB);
                start = 0;
        } else {
                memcpy(fr, path, HB);
                start = 1;
        }
        memcpy(sr, fr, HB);
        fn = old_size - 1;
        sn = size - 1;
        while (fn & 1) {
                fn >>= 1;
                sn >>= 1;
        }
        for (i = start; i < path_len; i++) {
                if (sn == 0)
                        return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path", "consistency proof too long");
                if ((fn & 1) || fn == sn) {
                        pb_merkle_node_hash(path + i * HB, fr, fr);
                        pb_merkle_node_hash(path + i * HB, sr, sr);
                        if (!(fn & 1))
                                while (!(fn & 1) && fn != 0) {
                                        fn >>= 1;
                                        sn >>= 1;
                                }
                } else {
                        pb_merkle_node_hash(sr, path + i * HB, sr);
                }
                fn >>= 1;
                sn >>= 1;
        }
        if (sn != 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "path", "consistency proof too short");
        if (sodium_memcmp(fr, old_root, HB) != 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "old root",
                                   "proof does not lead to the old root");
        if (sodium_memcmp(sr, root, HB) != 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "root", "proof does not lead to the new root");
        return PB_OK;
}

/* ---- leaf arrays ---- */

static pb_err array_read(void *ctx, unsigned level, uint64_t index, uint8_t ret_hash[HB])
{
        const struct pb_merkle_array *a = ctx;

        if (level != 0 || index >= a->size)
                return PB_ERR_INTERNAL;
        memcpy(ret_hash, a->hashes + (size_t)index * HB, HB);
        return PB_OK;
}

void pb_merkle_array_source(struct pb_merkle_array *a, struct pb_merkle_source *ret_src)
{
        ret_src->subtree = array_read;
        ret_src->ctx = a;
        ret_src->max_level = 0;
}

/* ---- in-memory tree ---- */

void pb_merkle_tree_init(struct pb_merkle_tree *t)
{
        memset(t, 0, sizeof(*t));
}

void pb_merkle_tree_release(struct pb_merkle_tree *t)
{
        unsigned i;

        if (!t)
                return;
        for (i = 0; i < PB_MERKLE_MAX_LEVELS; i++)
                pb_free(t->levels[i].hashes);
        memset(t, 0, sizeof(*t));
}

static pb_err level_reserve(struct pb_merkle_level *l, uint64_t need)
{
        uint8_t *p;

        if (need > SIZE_MAX / HB) /* more hashes than memory holds (a 32-bit build) */
                return PB_ERR_NOMEM;
        p = pb_grow(l->hashes, &l->cap, (size_t)need, HB, 16);
        if (!p)
                return PB_ERR_NOMEM;
        l->hashes = p;
        return PB_OK;
}

pb_err pb_merkle_tree_append(struct pb_merkle_tree *t, const uint8_t leaf_hash[HB])
{
        uint64_t s;
        unsigned top, l;
        pb_err e;

        if (t->size >= (uint64_t)1 << 62)
                return PB_ERR_LIMIT;
        s = t->size + 1;
        /* Level l gains a node exactly when s is a multiple of 2^l.  Reserve everything first so
         * that a failed allocation leaves the tree as it was. */
        top = (unsigned)__builtin_ctzll(s);
        for (l = 0; l <= top; l++) {
                e = level_reserve(&t->levels[l], t->levels[l].count + 1);
                if (e < 0)
                        return e;
        }
        memcpy(t->levels[0].hashes + (size_t)t->levels[0].count * HB, leaf_hash, HB);
        t->levels[0].count++;
        for (l = 1; l <= top; l++) {
                struct pb_merkle_level *below = &t->levels[l - 1], *here = &t->levels[l];
                const uint8_t *pair = below->hashes + (size_t)(below->count - 2) * HB;

                pb_merkle_node_hash(pair, pair + HB, here->hashes + (size_t)here->count * HB);
                here->count++;
        }
        t->size = s;
        return PB_OK;
}

static pb_err tree_read(void *ctx, unsigned level, uint64_t index, uint8_t ret_hash[HB])
{
        const struct pb_merkle_tree *t = ctx;

        if (level >= PB_MERKLE_MAX_LEVELS || index >= t->levels[level].count)
                return PB_ERR_INTERNAL;
        memcpy(ret_hash, t->levels[level].hashes + (size_t)index * HB, HB);
        return PB_OK;
}

void pb_merkle_tree_source(struct pb_merkle_tree *t, struct pb_merkle_source *ret_src)
{
        ret_src->subtree = tree_read;
        ret_src->ctx = t;
        ret_src->max_level = PB_MERKLE_MAX_LEVELS - 1;
}
