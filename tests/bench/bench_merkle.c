/**
 * @file Benchmark: the Merkle tree at ballot-log scale (default 1,000,000 leaves; argv[1] overrides).
 * Prints append rate, root, proof generation and verification costs for the in-memory tree and
 * for a leaf-only source.  Timing only: run with `meson test --benchmark`; nothing is asserted
 * except that every proof verifies.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/pb_merkle.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t state = 88172645463325252ULL;
static uint64_t rnd(void)
{
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
}

int main(int argc, char **argv)
{
        uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000, i;
        uint8_t *leaves, root[32], root2[32], path[PB_MERKLE_MAX_PROOF * 32];
        struct pb_merkle_tree t;
        struct pb_merkle_source ts, ls;
        struct pb_merkle_array arr;
        size_t len, bytes = 0;
        const int reps = 20000;
        double t0, t1;
        int bad = 0;

        if (sodium_init() < 0 || n < 2)
                return 1;
        leaves = malloc(n * 32);
        if (!leaves)
                return 1;
        t0 = now();
        for (i = 0; i < n; i++) {
                uint8_t d[8];
                for (int k = 0; k < 8; k++)
                        d[k] = (uint8_t)(i >> (8 * k));
                pb_merkle_leaf_hash(d, sizeof(d), leaves + i * 32);
        }
        t1 = now();
        printf("leaves: %llu, leaf hashing %.0f ns/leaf\n", (unsigned long long)n,
               (t1 - t0) * 1e9 / (double)n);

        pb_merkle_tree_init(&t);
        t0 = now();
        for (i = 0; i < n; i++)
                if (pb_merkle_tree_append(&t, leaves + i * 32) != PB_OK)
                        return 1;
        t1 = now();
        for (i = 0; i < PB_MERKLE_MAX_LEVELS; i++)
                bytes += (size_t)t.levels[i].cap * 32;
        printf("tree append: %.0f ns/leaf (%.2f s total), memory %.1f MiB (%.1f bytes/leaf)\n",
               (t1 - t0) * 1e9 / (double)n, t1 - t0, (double)bytes / 1048576.0, (double)bytes / (double)n);
        pb_merkle_tree_source(&t, &ts);
        arr.hashes = leaves;
        arr.size = n;
        pb_merkle_array_source(&arr, &ls);

        t0 = now();
        for (int r = 0; r < reps; r++)
                if (pb_merkle_root(&ts, n - (uint64_t)r % 1000, root) != PB_OK)
                        return 1;
        t1 = now();
        printf("tree root (any size): %.2f us\n", (t1 - t0) * 1e6 / reps);

        t0 = now();
        for (int r = 0; r < reps; r++) {
                uint64_t size = n - rnd() % (n / 2), idx = rnd() % size;
                if (pb_merkle_inclusion_proof(&ts, size, idx, path, &len, NULL) != PB_OK)
                        return 1;
        }
        t1 = now();
        printf("tree inclusion proof: %.2f us\n", (t1 - t0) * 1e6 / reps);

        if (pb_merkle_root(&ts, n, root) != PB_OK)
                return 1;
        t0 = now();
        for (int r = 0; r < reps; r++) {
                uint64_t idx = rnd() % n;
                if (pb_merkle_inclusion_proof(&ts, n, idx, path, &len, NULL) != PB_OK)
                        return 1;
                bad += pb_merkle_verify_inclusion(idx, n, leaves + idx * 32, path, len, root, NULL) != PB_OK;
        }
        t1 = now();
        printf("tree inclusion proof + verify: %.2f us (path %zu hashes)\n", (t1 - t0) * 1e6 / reps, len);

        t0 = now();
        for (int r = 0; r < reps; r++) {
                uint64_t old = 1 + rnd() % (n - 1);
                if (pb_merkle_consistency_proof(&ts, old, n, path, &len, NULL) != PB_OK ||
                    pb_merkle_root(&ts, old, root2) != PB_OK)
                        return 1;
                bad += pb_merkle_verify_consistency(old, n, root2, root, path, len, NULL) != PB_OK;
        }
        t1 = now();
        printf("tree consistency proof + old root + verify: %.2f us\n", (t1 - t0) * 1e6 / reps);

        t0 = now();
        if (pb_merkle_root(&ls, n, root2) != PB_OK)
                return 1;
        t1 = now();
        bad += memcmp(root, root2, 32) != 0;
        printf("leaf-array root: %.3f s (%.0f ns/leaf)\n", t1 - t0, (t1 - t0) * 1e9 / (double)n);
        t0 = now();
        if (pb_merkle_inclusion_proof(&ls, n, n / 3, path, &len, NULL) != PB_OK)
                return 1;
        t1 = now();
        bad += pb_merkle_verify_inclusion(n / 3, n, leaves + (n / 3) * 32, path, len, root, NULL) != PB_OK;
        printf("leaf-array inclusion proof: %.3f s\n", t1 - t0);

        pb_merkle_tree_release(&t);
        free(leaves);
        if (bad)
                printf("%d proofs did not verify\n", bad);
        return bad != 0;
}
