/**
 * @file RFC 6962 / RFC 9162 Merkle tree over SHA-256: leaf and node hashes, roots, inclusion and
 * consistency proofs (generation and verification).
 *
 * Hashes: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), and the empty tree's
 * root is SHA-256("").  A tree of n leaves splits at k, the largest power of two below n.
 *
 * Proofs are generated from a *source* (struct pb_merkle_source) that answers "the hash of the
 * perfect subtree of 2^level leaves starting at leaf index << level" for levels up to
 * source.max_level; higher subtrees are computed from those.  Costs, for a tree of n leaves:
 *   - a source with every level (struct pb_merkle_tree, or a table of stored node hashes as in
 *     golang.org/x/mod/sumdb/tlog): root, inclusion and consistency proofs read O(log n) hashes
 *     and compute O(log^2 n) hashes in the worst case (O(log n) typical), whatever n is;
 *   - a leaf-only source (max_level 0, e.g. an array of leaf hashes, struct pb_merkle_array):
 *     every operation reads O(n) leaf hashes and computes O(n) node hashes, with O(log n) stack.
 * The in-memory tree keeps every complete node: about 2n hashes (64 bytes per leaf), appends in
 * amortised O(1).  Sizes are uint64_t; proofs have at most PB_MERKLE_MAX_PROOF hashes.
 */
#ifndef PB_MERKLE_H
#define PB_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_digest.h"
#include "engine/pb_err.h"

#define PB_MERKLE_HASH_BYTES PB_SHA256_BYTES /* a leaf, node or root hash */
/** Longest inclusion (64) or consistency (65) proof for any tree size below 2^64. */
#define PB_MERKLE_MAX_PROOF 66
#define PB_MERKLE_MAX_LEVELS 64

/** SHA-256(0x00 || @data[0..len)): the RFC 6962 leaf hash. */
void pb_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t ret_hash[PB_MERKLE_HASH_BYTES]);
/** SHA-256(0x01 || @left || @right): the RFC 6962 interior node hash.  @ret may alias an input. */
void pb_merkle_node_hash(const uint8_t left[PB_MERKLE_HASH_BYTES], const uint8_t right[PB_MERKLE_HASH_BYTES],
                         uint8_t ret_hash[PB_MERKLE_HASH_BYTES]);
/** SHA-256(""): the root of the empty tree (e3b0c442...b855). */
void pb_merkle_empty_root(uint8_t ret_hash[PB_MERKLE_HASH_BYTES]);

/**
 * Read the hash of the perfect subtree covering leaves [index << level, (index + 1) << level).
 * Level 0 is the leaf hash itself.  Called only for subtrees inside the tree size the operation
 * was given, and only for level <= source.max_level.  Return PB_OK or any error, which the
 * operation then returns unchanged (PB_ERR_STORAGE from a database, for instance).
 */
typedef pb_err (*pb_merkle_subtree_fn)(void *ctx, unsigned level, uint64_t index,
                                       uint8_t ret_hash[PB_MERKLE_HASH_BYTES]);

/** Where proofs get their hashes.  Plain data; @ctx is borrowed by every call. */
struct pb_merkle_source {
        pb_merkle_subtree_fn subtree; /* see pb_merkle_subtree_fn */
        void *ctx;                    /* passed to subtree */
        unsigned max_level;           /* highest level subtree answers (0 = leaves only, 63 = all) */
};

/** A leaf-only source over a caller's array of leaf hashes (borrowed, @size * PB_MERKLE_HASH_BYTES). */
struct pb_merkle_array {
        const uint8_t *hashes; /* leaf i at hashes + PB_MERKLE_HASH_BYTES * i */
        uint64_t size;         /* number of leaves; reads past it fail with PB_ERR_INTERNAL */
};

/** Make @ret_src read from @a (borrowed: @a must outlive every use of @ret_src). */
void pb_merkle_array_source(struct pb_merkle_array *a, struct pb_merkle_source *ret_src);

/**
 * Root of the first @size leaves of @src (the empty root for size 0).
 * @return PB_OK or the source's error
 */
PB_NODISCARD pb_err pb_merkle_root(const struct pb_merkle_source *src, uint64_t size,
                                   uint8_t ret_root[PB_MERKLE_HASH_BYTES]);

/**
 * RFC 6962 §2.1.1 PATH(index, D[size]): the audit path of leaf @index, lowest level first.
 * @param ret_path [out] caller storage for PB_MERKLE_MAX_PROOF hashes (PB_MERKLE_MAX_PROOF *
 *                 PB_MERKLE_HASH_BYTES bytes); hash i is at ret_path + PB_MERKLE_HASH_BYTES * i
 * @param ret_len  [out] number of hashes written; set only on PB_OK
 * @return PB_OK, PB_ERR_INVALID (@index >= @size) or the source's error
 */
PB_NODISCARD pb_err pb_merkle_inclusion_proof(const struct pb_merkle_source *src, uint64_t size,
                                              uint64_t index, uint8_t *ret_path, size_t *ret_len,
                                              struct pb_diag *reterr);

/**
 * RFC 6962 §2.1.2 PROOF(old_size, D[size]): proves the tree of @old_size leaves is a prefix of the
 * tree of @size leaves.  Empty when @old_size is 0 or equals @size.
 * @return PB_OK, PB_ERR_INVALID (@old_size > @size) or the source's error
 */
PB_NODISCARD pb_err pb_merkle_consistency_proof(const struct pb_merkle_source *src, uint64_t old_size,
                                                uint64_t size, uint8_t *ret_path, size_t *ret_len,
                                                struct pb_diag *reterr);

/**
 * RFC 9162 §2.1.3.2: does @path prove that @leaf_hash is leaf @index of the tree of @size leaves
 * whose root is @root?  @path holds @path_len hashes of PB_MERKLE_HASH_BYTES, lowest level first; it must
 * have exactly the right length.
 * @return PB_OK, PB_ERR_INVALID (@index >= @size, path too long) or PB_ERR_SIGNATURE (does not verify)
 */
PB_NODISCARD pb_err pb_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                               const uint8_t leaf_hash[PB_MERKLE_HASH_BYTES],
                                               const uint8_t *path, size_t path_len,
                                               const uint8_t root[PB_MERKLE_HASH_BYTES],
                                               struct pb_diag *reterr);

/**
 * RFC 9162 §2.1.4.2: does @path prove the tree (@old_size, @old_root) is a prefix of (@size, @root)?
 * Edge cases as transparency-dev/merkle: equal sizes need an empty path and equal roots; a larger
 * old size fails; a non-trivial proof may not be empty.  One stricter rule: for @old_size 0 the
 * path must be empty *and* @old_root must be the empty-tree root.
 * @return PB_OK, PB_ERR_INVALID (impossible sizes or path length) or PB_ERR_SIGNATURE
 */
PB_NODISCARD pb_err pb_merkle_verify_consistency(uint64_t old_size, uint64_t size,
                                                 const uint8_t old_root[PB_MERKLE_HASH_BYTES],
                                                 const uint8_t root[PB_MERKLE_HASH_BYTES],
                                                 const uint8_t *path, size_t path_len,
                                                 struct pb_diag *reterr);

/** One level of a pb_merkle_tree: the hashes of its complete subtrees, left to right. */
struct pb_merkle_level {
        uint8_t *hashes; /* owned; count * PB_MERKLE_HASH_BYTES bytes used */
        uint64_t count;  /* == tree size >> level */
        size_t cap;      /* hashes allocated */
};

/**
 * An append-only in-memory tree that keeps every complete subtree hash (about 2n hashes), so that
 * roots and proofs for any size up to the current one cost O(log n).  Caller storage:
 * pb_merkle_tree_init() before use, pb_merkle_tree_release() after.
 */
struct pb_merkle_tree {
        uint64_t size; /* leaves appended */
        struct pb_merkle_level levels[PB_MERKLE_MAX_LEVELS];
};

void pb_merkle_tree_init(struct pb_merkle_tree *t);
/** Free every level; @t is left empty and reusable.  Accepts a zeroed tree. */
void pb_merkle_tree_release(struct pb_merkle_tree *t);

/**
 * Append one leaf hash (copied), computing the nodes it completes.
 * @return PB_OK, PB_ERR_NOMEM (the tree is then unchanged) or PB_ERR_LIMIT (2^62 leaves)
 */
PB_NODISCARD pb_err pb_merkle_tree_append(struct pb_merkle_tree *t,
                                          const uint8_t leaf_hash[PB_MERKLE_HASH_BYTES]);

/** Make @ret_src read from @t (borrowed); it answers every level, for sizes up to t->size. */
void pb_merkle_tree_source(struct pb_merkle_tree *t, struct pb_merkle_source *ret_src);

#endif
