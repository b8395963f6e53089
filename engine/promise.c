/**
 * @file Batch promises: one signed promise covers every commitment of a group commit, through an
 * RFC 6962 tree of their log leaf hashes in ascending order of commitment, and each receipt carries
 * its audit path (docs/integrity.md §3.2).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_cvr.h"
#include "engine/pb_note.h"

static int by_commitment(const void *a, const void *b)
{
        return memcmp(a, b, PB_MERKLE_HASH_BYTES);
}

pb_err pb_promise_batch(const uint8_t *commitments, size_t n, struct pb_promise *ret,
                        struct pb_promise_proof *ret_proofs, struct pb_diag *reterr)
{
        const size_t h = PB_MERKLE_HASH_BYTES;
        struct pb_merkle_tree tree;
        struct pb_merkle_source src;
        uint8_t *sorted;
        pb_err r = PB_OK;

        if (n < 1 || n > PB_PROMISE_BATCH_MAX)
                return pb_diag_set(
                        reterr, PB_ERR_LIMIT, "batch",
                        "a promise covers 1 to " PB_STRINGIFY(PB_PROMISE_BATCH_MAX) " commitments");
        sorted = pb_malloc(n * h);
        if (!sorted)
                return PB_ERR_NOMEM;
        memcpy(sorted, commitments, n * h);
        qsort(sorted, n, h, by_commitment);
        pb_merkle_tree_init(&tree);
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                uint8_t leaf[PB_MERKLE_HASH_BYTES];
                if (i && !memcmp(sorted + (i - 1) * h, sorted + i * h, h))
                        r = pb_diag_set(reterr, PB_ERR_INVALID, "batch", "a commitment appears twice");
                pb_cvr_leaf_hash(sorted + i * h, leaf);
                if (r == PB_OK)
                        r = pb_merkle_tree_append(&tree, leaf);
        }
        pb_merkle_tree_source(&tree, &src);
        if (r == PB_OK) {
                ret->size = n;
                r = pb_merkle_root(&src, n, ret->root);
        }
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                /* the rank of commitment i among the sorted ones (distinct, so bsearch finds it) */
                const uint8_t *at = bsearch(commitments + i * h, sorted, n, h, by_commitment);
                struct pb_promise_proof *p = &ret_proofs[i];
                uint8_t path[PB_MERKLE_MAX_PROOF * PB_MERKLE_HASH_BYTES];

                PB_ASSERT(at != NULL);
                p->index = (uint64_t)(at - sorted) / h;
                r = pb_merkle_inclusion_proof(&src, n, p->index, path, &p->path_len, reterr);
                if (r == PB_OK) {
                        PB_ASSERT(p->path_len <= PB_PROMISE_PATH_MAX);
                        memcpy(p->path, path, p->path_len * h);
                }
        }
        pb_merkle_tree_release(&tree);
        pb_free(sorted);
        return r;
}

pb_err pb_promise_check(const struct pb_promise *p, const uint8_t commitment[PB_MERKLE_HASH_BYTES],
                        const struct pb_promise_proof *proof, struct pb_diag *reterr)
{
        uint8_t leaf[PB_MERKLE_HASH_BYTES];

        if (proof->path_len > PB_PROMISE_PATH_MAX)
                return pb_diag_set(reterr, PB_ERR_INVALID, "path", "longer than any promise's path");
        pb_cvr_leaf_hash(commitment, leaf);
        return pb_merkle_verify_inclusion(proof->index, p->size, leaf, &proof->path[0][0], proof->path_len,
                                          p->root, reterr);
}
