/**
 * @file Unit tests for the RFC 6962 Merkle tree: the published CT vectors (transparency-dev/merkle
 * proof/verify_test.go, reference/verifiability.md §10.1), a straight transcription of the RFC's
 * recursive definitions as an independent oracle, exhaustive and random proofs, bit flips.
 */
#include <sodium.h>
#include <stdlib.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_merkle.h"

typedef uint8_t hash_t[PB_MERKLE_HASH_BYTES];
#define P(x) ((uint8_t *)(x)) /* an array of hashes as the flat byte pointer the API takes */

static void unhex(const char *s, uint8_t *out, size_t n)
{
        size_t len;

        CHECK(sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) == 0 && len == n);
}

static bool eq_hex(const uint8_t *h, const char *hex)
{
        hash_t want;

        unhex(hex, want, 32);
        return memcmp(h, want, 32) == 0;
}

/* ---- the RFC 6962 §2.1 definitions, transcribed literally (the oracle) ---- */

static uint64_t ref_k(uint64_t n) /* the largest power of two smaller than n */
{
        uint64_t k = 1;

        while (k * 2 < n)
                k *= 2;
        return k;
}

static void ref_mth(hash_t *d, uint64_t n, uint8_t *out)
{
        hash_t l, r;
        uint64_t k;

        if (n == 0) {
                crypto_hash_sha256(out, (const uint8_t *)"", 0);
                return;
        }
        if (n == 1) {
                memcpy(out, d[0], 32);
                return;
        }
        k = ref_k(n);
        ref_mth(d, k, l);
        ref_mth(d + k, n - k, r);
        pb_merkle_node_hash(l, r, out);
}

static void ref_path(uint64_t m, hash_t *d, uint64_t n, hash_t *out, size_t *len)
{
        uint64_t k;

        if (n <= 1)
                return;
        k = ref_k(n);
        if (m < k) {
                ref_path(m, d, k, out, len);
                ref_mth(d + k, n - k, out[(*len)++]);
        } else {
                ref_path(m - k, d + k, n - k, out, len);
                ref_mth(d, k, out[(*len)++]);
        }
}

static void ref_subproof(uint64_t m, hash_t *d, uint64_t n, bool b, hash_t *out, size_t *len)
{
        uint64_t k;

        if (m == n) {
                if (!b)
                        ref_mth(d, n, out[(*len)++]);
                return;
        }
        k = ref_k(n);
        if (m <= k) {
                ref_subproof(m, d, k, b, out, len);
                ref_mth(d + k, n - k, out[(*len)++]);
        } else {
                ref_subproof(m - k, d + k, n - k, false, out, len);
                ref_mth(d, k, out[(*len)++]);
        }
}

/* ---- fixtures ---- */

static const char *const leaf_hex[8] = {
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"
};
static const char *const root_hex[9] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static hash_t rfc_leaves[8];

static void make_rfc_leaves(void)
{
        for (int i = 0; i < 8; i++) {
                uint8_t data[16];
                size_t n = strlen(leaf_hex[i]) / 2;

                unhex(leaf_hex[i], data, n);
                pb_merkle_leaf_hash(data, n, rfc_leaves[i]);
        }
}

/* A leaf-only source over an array and a full tree holding the same leaves. */
struct both {
        struct pb_merkle_array arr;
        struct pb_merkle_source leaf_src, tree_src;
        struct pb_merkle_tree tree;
};

static void both_init(struct both *b, hash_t *leaves, uint64_t n)
{
        b->arr.hashes = leaves[0];
        b->arr.size = n;
        pb_merkle_array_source(&b->arr, &b->leaf_src);
        pb_merkle_tree_init(&b->tree);
        for (uint64_t i = 0; i < n; i++)
                CHECK_INT(pb_merkle_tree_append(&b->tree, leaves[i]), PB_OK);
        pb_merkle_tree_source(&b->tree, &b->tree_src);
}

static void test_hashes_and_roots(void)
{
        struct both b;
        hash_t root, h;

        make_rfc_leaves();
        /* a leaf hash is SHA-256(0x00 || data): leaf 0 is the empty string */
        CHECK(eq_hex(rfc_leaves[0], "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
        pb_merkle_empty_root(h);
        CHECK(eq_hex(h, root_hex[0]));
        both_init(&b, rfc_leaves, 8);
        for (uint64_t n = 0; n <= 8; n++) {
                CHECK_INT(pb_merkle_root(&b.leaf_src, n, root), PB_OK);
                CHECK(eq_hex(root, root_hex[n]));
                CHECK_INT(pb_merkle_root(&b.tree_src, n, root), PB_OK);
                CHECK(eq_hex(root, root_hex[n]));
        }
        /* a tree read past its size is our bug, reported, not a crash */
        CHECK_INT(pb_merkle_root(&b.tree_src, 9, root), PB_ERR_INTERNAL);
        CHECK_INT(pb_merkle_root(&b.leaf_src, 9, root), PB_ERR_INTERNAL);
        pb_merkle_tree_release(&b.tree);
}

struct vec {
        uint64_t a, b; /* inclusion: index, size; consistency: old size, size */
        size_t n;
        const char *h[4];
};

/* transparency-dev/merkle proof/verify_test.go (leaf numbers there are 1-based) */
static const struct vec inclusion_vecs[] = {
        { 0,
          8,
          3,
          { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
        { 5,
          8,
          3,
          { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
        { 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
        { 1,
          5,
          3,
          { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
        { 0, 1, 0, { NULL } },
};

static const struct vec consistency_vecs[] = {
        { 1,
          8,
          3,
          { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
        { 6,
          8,
          3,
          { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
        { 2,
          5,
          2,
          { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
        { 6,
          7,
          3,
          { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
        /* verifiability.md §10.1 */
        { 2,
          8,
          2,
          { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
        { 3,
          7,
          4,
          { "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e" } },
        { 1, 1, 0, { NULL } },
};

static void vec_path(const struct vec *v, hash_t *out)
{
        for (size_t i = 0; i < v->n; i++)
                unhex(v->h[i], out[i], 32);
}

static const char *const some_hash = "abacaba000000000000000000000000000000000000000000060061e00123456";

/* transparency-dev's corruptInclusionProof probes: every one must fail. */
static void inclusion_probes(uint64_t idx, uint64_t size, hash_t *path, size_t n, const uint8_t *root,
                             const uint8_t *leaf)
{
        hash_t p[PB_MERKLE_MAX_PROOF + 2], other, empty;
        uint8_t lh[32];

        unhex(some_hash, other, 32);
        pb_merkle_empty_root(empty);
        CHECK(pb_merkle_verify_inclusion(idx - 1, size, leaf, P(path), n, root, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx + 1, size, leaf, P(path), n, root, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx ^ 2, size, leaf, P(path), n, root, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx, size * 2, leaf, P(path), n, root, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx, size / 2, leaf, P(path), n, root, NULL) != PB_OK);
        memcpy(lh, leaf, 32);
        lh[31] ^= 1;
        CHECK(pb_merkle_verify_inclusion(idx, size, lh, P(path), n, root, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(path), n, empty, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(path), n, other, NULL) != PB_OK);
        /* trailing and preceding garbage */
        memcpy(p, path, n * 32);
        memcpy(p[n], root, 32);
        CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(p), n + 1, root, NULL) != PB_OK);
        memcpy(p[0], root, 32);
        memcpy(p + 1, path, n * 32);
        CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(p), n + 1, root, NULL) != PB_OK);
        for (size_t i = 0; i < n; i++) { /* one flipped bit anywhere */
                memcpy(p, path, n * 32);
                p[i][0] ^= 8;
                CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(p), n, root, NULL) != PB_OK);
        }
        if (n > 0)
                CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(path), n - 1, root, NULL) != PB_OK);
        if (n > 1) {
                memcpy(p[0], path[0], 32);
                memcpy(p[1], other, 32);
                memcpy(p + 2, path + 1, (n - 1) * 32);
                CHECK(pb_merkle_verify_inclusion(idx, size, leaf, P(p), n + 1, root, NULL) != PB_OK);
        }
}

static void consistency_probes(uint64_t m, uint64_t size, hash_t *path, size_t n, const uint8_t *r1,
                               const uint8_t *r2)
{
        hash_t p[PB_MERKLE_MAX_PROOF + 2], wrong;

        memset(wrong, 0x55, 32);
        CHECK(pb_merkle_verify_consistency(m - 1, size, r1, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m + 1, size, r1, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m ^ 2, size, r1, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size * 2, r1, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size / 2, r1, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size, wrong, r2, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size, r1, wrong, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size, r2, r1, P(path), n, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(path), 0, NULL) != PB_OK);
        memcpy(p, path, n * 32);
        memcpy(p[n], r1, 32);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n + 1, NULL) != PB_OK);
        memcpy(p[n], r2, 32);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n + 1, NULL) != PB_OK);
        memcpy(p + 1, path, n * 32);
        memcpy(p[0], r1, 32);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n + 1, NULL) != PB_OK);
        memcpy(p[0], r2, 32);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n + 1, NULL) != PB_OK);
        memcpy(p[0], path[0], 32);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n + 1, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(path), n - 1, NULL) != PB_OK);
        for (size_t i = 0; i < n; i++) {
                memcpy(p, path, n * 32);
                p[i][0] ^= 16;
                CHECK(pb_merkle_verify_consistency(m, size, r1, r2, P(p), n, NULL) != PB_OK);
        }
}

static void test_vectors(void)
{
        struct both b;
        hash_t want[4], got[PB_MERKLE_MAX_PROOF], r1, r2;
        size_t n;

        make_rfc_leaves();
        both_init(&b, rfc_leaves, 8);
        for (size_t i = 0; i < sizeof(inclusion_vecs) / sizeof(inclusion_vecs[0]); i++) {
                const struct vec *v = &inclusion_vecs[i];

                vec_path(v, want);
                unhex(root_hex[v->b], r1, 32);
                CHECK_INT(pb_merkle_verify_inclusion(v->a, v->b, rfc_leaves[v->a], P(want), v->n, r1, NULL),
                          PB_OK);
                for (int s = 0; s < 2; s++) {
                        n = 99;
                        CHECK_INT(pb_merkle_inclusion_proof(s ? &b.tree_src : &b.leaf_src, v->b, v->a, P(got),
                                                            &n, NULL),
                                  PB_OK);
                        CHECK_INT(n, v->n);
                        CHECK(n == v->n && memcmp(got, want, n * 32) == 0);
                }
                if (v->n)
                        inclusion_probes(v->a, v->b, want, v->n, r1, rfc_leaves[v->a]);
        }
        for (size_t i = 0; i < sizeof(consistency_vecs) / sizeof(consistency_vecs[0]); i++) {
                const struct vec *v = &consistency_vecs[i];

                vec_path(v, want);
                unhex(root_hex[v->a], r1, 32);
                unhex(root_hex[v->b], r2, 32);
                CHECK_INT(pb_merkle_verify_consistency(v->a, v->b, r1, r2, P(want), v->n, NULL), PB_OK);
                for (int s = 0; s < 2; s++) {
                        n = 99;
                        CHECK_INT(pb_merkle_consistency_proof(s ? &b.tree_src : &b.leaf_src, v->a, v->b,
                                                              P(got), &n, NULL),
                                  PB_OK);
                        CHECK_INT(n, v->n);
                        CHECK(n == v->n && memcmp(got, want, n * 32) == 0);
                }
                if (v->n)
                        consistency_probes(v->a, v->b, want, v->n, r1, r2);
        }
        pb_merkle_tree_release(&b.tree);
}

/* transparency-dev's TestVerifyConsistency / TestVerifyInclusion edge cases. */
static void test_edge_cases(void)
{
        hash_t a, b2, empty, some, p[1];
        struct pb_diag d;

        memset(a, 1, 32);
        memset(b2, 2, 32);
        pb_merkle_empty_root(empty);
        unhex(some_hash, some, 32);
        memcpy(p[0], empty, 32);
        CHECK(pb_merkle_verify_consistency(0, 0, a, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(1, 1, a, b2, NULL, 0, NULL) != PB_OK);
        CHECK_INT(pb_merkle_verify_consistency(1, 1, b2, b2, NULL, 0, NULL), PB_OK);
        CHECK_INT(pb_merkle_verify_consistency(0, 0, empty, empty, NULL, 0, NULL), PB_OK);
        CHECK_INT(pb_merkle_verify_consistency(0, 1, empty, b2, NULL, 0, NULL), PB_OK);
        /* stricter than transparency-dev, which accepts any old root for size 0 */
        CHECK_INT(pb_merkle_verify_consistency(0, 1, a, b2, NULL, 0, &d), PB_ERR_SIGNATURE);
        CHECK(pb_merkle_verify_consistency(1, 0, a, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(2, 1, a, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(1, 2, a, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(0, 0, empty, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(1, 1, empty, b2, NULL, 0, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(0, 0, empty, empty, P(p), 1, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(0, 1, empty, empty, P(p), 1, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(1, 1, empty, empty, P(p), 1, NULL) != PB_OK);
        CHECK(pb_merkle_verify_consistency(1, 2, a, b2, P(p), PB_MERKLE_MAX_PROOF + 1, NULL) ==
              PB_ERR_INVALID);
        /* inclusion with impossible positions */
        CHECK(pb_merkle_verify_inclusion(0, 0, some, NULL, 0, empty, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(1, 0, some, NULL, 0, empty, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(2, 1, some, NULL, 0, empty, NULL) != PB_OK);
        CHECK(pb_merkle_verify_inclusion(0, 1, some, NULL, 0, empty, NULL) != PB_OK);
        CHECK_INT(pb_merkle_verify_inclusion(0, 1, some, NULL, 0, some, NULL),
                  PB_OK); /* root of 1 = its leaf */
        /* proof generation refuses what cannot exist */
        {
                struct pb_merkle_tree t;
                struct pb_merkle_source src;
                hash_t out[PB_MERKLE_MAX_PROOF];
                size_t n = 77;

                pb_merkle_tree_init(&t);
                pb_merkle_tree_source(&t, &src);
                CHECK_INT(pb_merkle_inclusion_proof(&src, 0, 0, P(out), &n, &d), PB_ERR_INVALID);
                CHECK_INT(n, 77); /* untouched on failure */
                CHECK_INT(pb_merkle_consistency_proof(&src, 3, 2, P(out), &n, &d), PB_ERR_INVALID);
                CHECK_INT(pb_merkle_consistency_proof(&src, 0, 5, P(out), &n, &d),
                          PB_OK); /* trivially empty */
                CHECK_INT(n, 0);
                pb_merkle_tree_release(&t);
        }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) /* xorshift64*: reproducible runs */
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

static void check_pair(struct both *b, hash_t *leaves, uint64_t m, uint64_t n, bool flips)
{
        hash_t ref[PB_MERKLE_MAX_PROOF], got[PB_MERKLE_MAX_PROOF], got2[PB_MERKLE_MAX_PROOF], r1, r2, bad;
        size_t rn = 0, gn = 0, gn2 = 0;

        ref_mth(leaves, m, r1);
        ref_mth(leaves, n, r2);
        if (m < n) { /* inclusion of leaf m in the tree of n */
                ref_path(m, leaves, n, ref, &rn);
                CHECK_INT(pb_merkle_inclusion_proof(&b->tree_src, n, m, P(got), &gn, NULL), PB_OK);
                CHECK_INT(pb_merkle_inclusion_proof(&b->leaf_src, n, m, P(got2), &gn2, NULL), PB_OK);
                CHECK(gn == rn && gn2 == rn && !memcmp(got, ref, rn * 32) && !memcmp(got2, ref, rn * 32));
                CHECK_INT(pb_merkle_verify_inclusion(m, n, leaves[m], P(got), gn, r2, NULL), PB_OK);
                if (flips) {
                        for (size_t i = 0; i < gn; i++) {
                                unsigned bit = (unsigned)(rnd() % 256);
                                got[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                                CHECK(pb_merkle_verify_inclusion(m, n, leaves[m], P(got), gn, r2, NULL) !=
                                      PB_OK);
                                got[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                        }
                        memcpy(bad, leaves[m], 32);
                        bad[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
                        CHECK(pb_merkle_verify_inclusion(m, n, bad, P(got), gn, r2, NULL) != PB_OK);
                        memcpy(bad, r2, 32);
                        bad[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
                        CHECK(pb_merkle_verify_inclusion(m, n, leaves[m], P(got), gn, bad, NULL) != PB_OK);
                }
        }
        rn = 0;
        if (m > 0 && m < n)
                ref_subproof(m, leaves, n, true, ref, &rn);
        CHECK_INT(pb_merkle_consistency_proof(&b->tree_src, m, n, P(got), &gn, NULL), PB_OK);
        CHECK_INT(pb_merkle_consistency_proof(&b->leaf_src, m, n, P(got2), &gn2, NULL), PB_OK);
        CHECK(gn == rn && gn2 == rn && !memcmp(got, ref, rn * 32) && !memcmp(got2, ref, rn * 32));
        CHECK_INT(pb_merkle_verify_consistency(m, n, r1, r2, P(got), gn, NULL), PB_OK);
        if (flips) {
                for (size_t i = 0; i < gn; i++) {
                        unsigned bit = (unsigned)(rnd() % 256);
                        got[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                        CHECK(pb_merkle_verify_consistency(m, n, r1, r2, P(got), gn, NULL) != PB_OK);
                        got[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                }
                memcpy(bad, r1, 32);
                bad[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
                CHECK(pb_merkle_verify_consistency(m, n, bad, r2, P(got), gn, NULL) != PB_OK);
                if (m > 0 || n == 0) { /* the empty tree is a prefix of every tree: r2 is not checked */
                        memcpy(bad, r2, 32);
                        bad[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
                        CHECK(pb_merkle_verify_consistency(m, n, r1, bad, P(got), gn, NULL) != PB_OK);
                }
        }
}

#define BIG 400

static void test_exhaustive_and_random(void)
{
        static hash_t leaves[BIG];
        struct both b;
        hash_t r_ref, r_tree, r_leaf;

        for (uint32_t i = 0; i < BIG; i++) {
                uint8_t data[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
                pb_merkle_leaf_hash(data, sizeof(data), leaves[i]);
        }
        both_init(&b, leaves, BIG);
        for (uint64_t n = 0; n <= BIG; n++) {
                ref_mth(leaves, n, r_ref);
                CHECK_INT(pb_merkle_root(&b.tree_src, n, r_tree), PB_OK);
                CHECK_INT(pb_merkle_root(&b.leaf_src, n, r_leaf), PB_OK);
                CHECK(!memcmp(r_ref, r_tree, 32) && !memcmp(r_ref, r_leaf, 32));
        }
        /* every (m, n) with n <= 70, a bit flipped in every proof element */
        for (uint64_t n = 0; n <= 70; n++)
                for (uint64_t m = 0; m <= n; m++)
                        check_pair(&b, leaves, m, n, true);
        /* random pairs up to 400 leaves */
        for (int i = 0; i < 3000; i++) {
                uint64_t n = rnd() % (BIG + 1), m = n ? rnd() % (n + 1) : 0;
                check_pair(&b, leaves, m, n, i % 3 == 0);
        }
        pb_merkle_tree_release(&b.tree);
}

static pb_err failing_source(void *ctx, unsigned level, uint64_t index, uint8_t ret_hash[32])
{
        (void)ctx;
        (void)level;
        (void)index;
        (void)ret_hash;
        return PB_ERR_STORAGE;
}

static void test_failures(void)
{
        struct pb_merkle_source src = { failing_source, NULL, 63 };
        struct pb_merkle_tree t;
        hash_t h, out[PB_MERKLE_MAX_PROOF], root_before, root_after;
        size_t n;
        struct pb_merkle_source ts;

        /* a source's error comes back unchanged */
        CHECK_INT(pb_merkle_root(&src, 5, h), PB_ERR_STORAGE);
        CHECK_INT(pb_merkle_inclusion_proof(&src, 5, 1, P(out), &n, NULL), PB_ERR_STORAGE);
        CHECK_INT(pb_merkle_consistency_proof(&src, 3, 5, P(out), &n, NULL), PB_ERR_STORAGE);
        /* a failed append leaves the tree as it was */
        pb_merkle_tree_init(&t);
        pb_merkle_tree_source(&t, &ts);
        memset(h, 7, 32);
        for (int i = 0; i < 15; i++)
                CHECK_INT(pb_merkle_tree_append(&t, h), PB_OK);
        CHECK_INT(pb_merkle_root(&ts, 15, root_before), PB_OK);
        for (long k = 0; k < 10; k++) {
                pb_err e;

                pb_alloc_fail_after(k);
                e = pb_merkle_tree_append(&t, h); /* the 16th leaf completes 4 levels */
                pb_alloc_fail_after(-1);
                if (e == PB_OK) {
                        CHECK_INT(t.size, 16);
                        break;
                }
                CHECK_INT(e, PB_ERR_NOMEM);
                CHECK_INT(t.size, 15);
                CHECK_INT(pb_merkle_root(&ts, 15, root_after), PB_OK);
                CHECK(!memcmp(root_before, root_after, 32));
        }
        CHECK_INT(t.size, 16);
        pb_merkle_tree_release(&t);
        pb_merkle_tree_release(&t); /* release twice is harmless */
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_hashes_and_roots);
        RUN(test_vectors);
        RUN(test_edge_cases);
        RUN(test_exhaustive_and_random);
        RUN(test_failures);
        return check_summary("merkle");
}
