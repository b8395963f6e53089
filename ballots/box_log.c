/** @file The ballot log: the stored RFC 6962 tree, batches, checkpoints, proofs and invariants. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/box_int.h"
#include "formats/pb_json_ballot.h"
#include "engine/pb_alloc.h"
#include "engine/pb_code.h"

/*
 * The table `tree` holds every complete subtree hash: (level, idx) is the root of leaves
 * [idx << level, (idx + 1) << level), level 0 being the leaf hashes (golang.org/x/mod/sumdb/tlog
 * keeps the same).  Roots and proofs then cost O(log n) point reads, and nothing is rebuilt at
 * start-up.  The frontier (the roots of the perfect subtrees on the right edge, one per set bit of
 * the size) is read from the table at the start of each flush, inside its transaction.
 */

static pb_err tree_get(struct pb_box *b, unsigned level, uint64_t idx, uint8_t ret[PB_MERKLE_HASH_BYTES],
                       struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_TREE_GET);
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_int64(st, 1, level);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PB_MERKLE_HASH_BYTES) {
                memcpy(ret, sqlite3_column_blob(st, 0), PB_MERKLE_HASH_BYTES);
                sqlite3_reset(st);
                return PB_OK;
        }
        sqlite3_reset(st);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
                return pb_diag_set(d, PB_ERR_INTERNAL, "log", "a node of the stored tree is missing");
        return box_sqlite_err(b, rc, d);
}

static pb_err tree_put(struct pb_box *b, unsigned level, uint64_t idx,
                       const uint8_t hash[PB_MERKLE_HASH_BYTES], struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_TREE_INSERT);

        if (st) {
                sqlite3_bind_int64(st, 1, level);
                sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
                sqlite3_bind_blob(st, 3, hash, PB_MERKLE_HASH_BYTES, SQLITE_STATIC);
        }
        return box_exec_stmt(b, st, d);
}

static pb_err source_read(void *ctx, unsigned level, uint64_t index, uint8_t ret[PB_MERKLE_HASH_BYTES])
{
        return tree_get(ctx, level, index, ret, NULL);
}

void box_log_source(struct pb_box *b, struct pb_merkle_source *ret)
{
        ret->subtree = source_read;
        ret->ctx = b;
        ret->max_level = PB_MERKLE_MAX_LEVELS - 1;
}

pb_err box_log_load(struct pb_box *b, struct pb_diag *d)
{
        uint64_t size, offset = 0;
        pb_err r = box_get_count(b, CNT_LOGGED, &size, d);

        if (r < 0)
                return r;
        for (int level = PB_MERKLE_MAX_LEVELS - 1; level >= 0; level--) {
                if (!((size >> level) & 1))
                        continue;
                r = tree_get(b, (unsigned)level, offset >> level, b->frontier[level], d);
                if (r < 0)
                        return r;
                offset += (uint64_t)1 << level;
        }
        b->frontier_size = size;
        b->frontier_valid = true;
        return PB_OK;
}

void box_log_root(const struct pb_box *b, uint8_t ret[PB_MERKLE_HASH_BYTES])
{
        bool have = false;

        for (int level = 0; level < PB_MERKLE_MAX_LEVELS; level++) {
                if (!((b->frontier_size >> level) & 1))
                        continue;
                if (!have)
                        memcpy(ret, b->frontier[level], PB_MERKLE_HASH_BYTES);
                else
                        pb_merkle_node_hash(b->frontier[level], ret,
                                            ret); /* the larger subtree is on the left */
                have = true;
        }
        if (!have)
                pb_merkle_empty_root(ret);
}

/* Append one leaf hash: store it and every node it completes, and update the frontier. */
static pb_err append_leaf(struct pb_box *b, const uint8_t leaf[PB_MERKLE_HASH_BYTES], struct pb_diag *d)
{
        uint64_t n = b->frontier_size;
        uint8_t cur[PB_MERKLE_HASH_BYTES];
        unsigned level = 0;
        pb_err r = tree_put(b, 0, n, leaf, d);

        if (r < 0)
                return r;
        memcpy(cur, leaf, sizeof(cur));
        while ((n >> level) & 1) {
                pb_merkle_node_hash(b->frontier[level], cur, cur);
                level++;
                r = tree_put(b, level, n >> level, cur, d);
                if (r < 0)
                        return r;
        }
        memcpy(b->frontier[level], cur, sizeof(cur));
        b->frontier_size = n + 1;
        return PB_OK;
}

pb_err box_log_checkpoint(struct pb_box *b, struct pb_diag *d)
{
        struct pb_checkpoint cp;
        struct pb_buf note;
        sqlite3_stmt *st;
        pb_err r;

        memset(&cp, 0, sizeof(cp));
        memcpy(cp.origin, b->manifest->origin, sizeof(cp.origin));
        cp.size = b->frontier_size;
        box_log_root(b, cp.root);
        pb_buf_init(&note, PB_NOTE_MAX_BYTES);
        /* signed inside the transaction that stores the leaves: the note is published only by being
         * read back after COMMIT, so no checkpoint ever covers a leaf that is not durable, and a
         * re-flush after a crash signs the same bytes (sorted batch, deterministic Ed25519) */
        r = pb_checkpoint_sign(&cp, b->engine, &note, d);
        if (r < 0)
                goto out;
        st = box_stmt(b, ST_CP_INSERT);
        if (st) {
                sqlite3_bind_int64(st, 1, (sqlite3_int64)cp.size);
                sqlite3_bind_blob(st, 2, cp.root, sizeof(cp.root), SQLITE_STATIC);
                sqlite3_bind_blob64(st, 3, note.data, note.len, SQLITE_STATIC);
        }
        r = box_exec_stmt(b, st, d);
out:
        pb_buf_release(&note);
        return r;
}

/* The commitments of the pending ballots, sorted (read whole before their rows change). */
static pb_err pending_list(struct pb_box *b, struct pb_buf *out, size_t *ret_n, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_PENDING_LIST);
        size_t n = 0;
        pb_err r = PB_OK;
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (sqlite3_column_bytes(st, 0) != PB_CVR_HASH_BYTES) {
                        r = pb_diag_set(
                                d, PB_ERR_INTERNAL, "log",
                                "a pending commitment is not " PB_STRINGIFY(PB_CVR_HASH_BYTES) " bytes");
                        break;
                }
                r = pb_buf_add(out, sqlite3_column_blob(st, 0), PB_CVR_HASH_BYTES);
                if (r < 0)
                        break;
                n++;
        }
        sqlite3_reset(st);
        if (r == PB_OK && rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, d);
        if (r == PB_OK)
                *ret_n = n;
        return r;
}

static int fresh_cmp(const void *x, const void *y)
{
        const struct box_fresh *const *a = x, *const *b = y;
        return memcmp((*a)->commitment, (*b)->commitment, PB_CVR_HASH_BYTES);
}

/* Give a pending ballot (its row exists) the next leaf. */
static pb_err log_pending(struct pb_box *b, const uint8_t commitment[PB_CVR_HASH_BYTES], struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_BALLOT_SET_LEAF);
        pb_err r;

        if (st) {
                sqlite3_bind_int64(st, 1, (sqlite3_int64)b->frontier_size);
                sqlite3_bind_blob(st, 2, commitment, PB_CVR_HASH_BYTES, SQLITE_STATIC);
        }
        r = box_exec_stmt(b, st, d);
        if (r == PB_OK && sqlite3_changes(b->db) != 1)
                r = pb_diag_set(d, PB_ERR_INTERNAL, "log", "a pending ballot vanished during the flush");
        return r;
}

/* Write a ballot of this transaction with the next leaf. */
static pb_err log_fresh(struct pb_box *b, const struct box_fresh *f, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_BALLOT_INSERT_LOGGED);

        if (st) {
                sqlite3_bind_blob(st, 1, f->commitment, PB_CVR_HASH_BYTES, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, (sqlite3_int64)b->frontier_size);
                sqlite3_bind_blob(st, 3, f->nonce, PB_CVR_NONCE_BYTES, SQLITE_STATIC);
                sqlite3_bind_blob64(st, 4, f->cvr, f->cvr_len, SQLITE_STATIC);
        }
        return box_exec_stmt(b, st, d);
}

pb_err box_log_flush(struct pb_box *b, const struct box_fresh *fresh, size_t n_fresh, struct pb_diag *d)
{
        const struct box_fresh **sorted = NULL;
        struct pb_buf list;
        size_t n_old = 0, i = 0, j = 0;
        pb_err r;

        r = box_log_load(b, d);
        if (r < 0)
                return r;
        pb_buf_init(&list, 0);
        r = pending_list(b, &list, &n_old, d);
        if (r == PB_OK && n_fresh) {
                sorted = pb_calloc(n_fresh, sizeof(*sorted));
                if (!sorted)
                        r = PB_ERR_NOMEM;
                for (size_t k = 0; sorted && k < n_fresh; k++)
                        sorted[k] = &fresh[k];
                if (sorted)
                        qsort(sorted, n_fresh, sizeof(*sorted), fresh_cmp);
        }
        /* one sequence sorted by commitment (pseudo-random, so the order of arrival inside the batch
         * is lost), merged from the pending rows and this transaction's ballots */
        while (r == PB_OK && (i < n_old || j < n_fresh)) {
                const uint8_t *old = i < n_old ? (const uint8_t *)list.data + PB_CVR_HASH_BYTES * i : NULL;
                const uint8_t *commitment;
                uint8_t leaf[PB_MERKLE_HASH_BYTES];

                if (old && (j == n_fresh || memcmp(old, sorted[j]->commitment, PB_CVR_HASH_BYTES) < 0)) {
                        commitment = old;
                        r = log_pending(b, old, d);
                        i++;
                } else {
                        commitment = sorted[j]->commitment;
                        r = log_fresh(b, sorted[j], d);
                        j++;
                }
                if (r == PB_OK) {
                        pb_cvr_leaf_hash(commitment, leaf);
                        r = append_leaf(b, leaf, d);
                }
        }
        pb_free(sorted);
        pb_buf_release(&list);
        if (r < 0 || n_old + n_fresh == 0)
                return r;
        r = box_add_count(b, CNT_PENDING, -(int64_t)(n_old + n_fresh), d);
        if (r == PB_OK)
                r = box_add_count(b, CNT_LOGGED, (int64_t)(n_old + n_fresh), d);
        if (r == PB_OK)
                r = box_log_checkpoint(b, d);
        if (r == PB_OK)
                r = box_log_invariants(b, d);
        return r;
}

/* verifiability.md §9.3, from the counters, the stored tree and the latest checkpoint. */
pb_err box_log_invariants(struct pb_box *b, struct pb_diag *d)
{
        uint64_t spent, pending, logged, cp_size = 0, pending_rows = 0;
        struct pb_merkle_source src;
        uint8_t root[PB_MERKLE_HASH_BYTES], stored[PB_MERKLE_HASH_BYTES], cp_root[PB_MERKLE_HASH_BYTES];
        bool have_cp = false;
        sqlite3_stmt *st;
        pb_err r;
        int rc;

        r = box_get_count(b, CNT_CODES_SPENT, &spent, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_PENDING, &pending, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_LOGGED, &logged, d);
        if (r < 0)
                return r;
        if (spent != logged + pending)
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant",
                                   "spent codes differ from accepted ballots");
        st = box_stmt(b, ST_PENDING_COUNT);
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                pending_rows = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
                return box_sqlite_err(b, rc, d);
        if (pending_rows != pending)
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant",
                                   "the pending counter differs from the rows");
        if (!b->frontier_valid || b->frontier_size != logged) {
                r = box_log_load(b, d);
                if (r < 0)
                        return r;
        }
        box_log_root(b, root);
        box_log_source(b, &src);
        r = pb_merkle_root(&src, logged, stored);
        if (r < 0)
                return r == PB_ERR_INTERNAL || r == PB_ERR_NOT_FOUND
                               ? pb_diag_set(d, PB_ERR_INTERNAL, "invariant", "the stored tree is incomplete")
                               : r;
        if (memcmp(root, stored, sizeof(root)))
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant",
                                   "the stored tree does not agree with itself");
        st = box_stmt(b, ST_CP_LATEST);
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == PB_MERKLE_HASH_BYTES) {
                have_cp = true;
                cp_size = (uint64_t)sqlite3_column_int64(st, 0);
                memcpy(cp_root, sqlite3_column_blob(st, 1), sizeof(cp_root));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return box_sqlite_err(b, rc, d);
        if (!have_cp)
                return logged ? pb_diag_set(d, PB_ERR_INTERNAL, "invariant", "leaves without a checkpoint")
                              : PB_OK;
        if (cp_size > logged)
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant",
                                   "a checkpoint covers leaves that do not exist");
        if (cp_size < logged)
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant", "leaves beyond the latest checkpoint");
        if (memcmp(cp_root, root, sizeof(root)))
                return pb_diag_set(d, PB_ERR_INTERNAL, "invariant", "the latest checkpoint has another root");
        return PB_OK;
}

pb_err pb_box_flush(struct pb_box *b, struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r = box_need_engine(b, reterr);

        if (r < 0)
                return r;
        r = box_begin(b, reterr);
        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_OPEN && s != PB_BOX_SUSPENDED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "the log takes ballots only while voting");
        if (r == PB_OK)
                r = box_log_flush(b, NULL, 0, reterr);
        return box_end_log_write(b, r, reterr);
}

pb_err pb_box_checkpoint(struct pb_box *b, struct pb_buf *note, struct pb_checkpoint *ret,
                         struct pb_diag *reterr)
{
        sqlite3_stmt *st;
        pb_err r = box_begin_read_stmt(b, ST_CP_LATEST, &st, reterr);
        int rc;

        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                r = pb_diag_set(reterr, PB_ERR_NOT_FOUND, "checkpoint",
                                "no checkpoint before the election opens");
        } else if (rc != SQLITE_ROW) {
                r = box_sqlite_err(b, rc, reterr);
        } else {
                const char *text = sqlite3_column_blob(st, 2);
                size_t len = (size_t)sqlite3_column_bytes(st, 2);
                r = pb_buf_add(note, text ? text : "", len);
                if (r == PB_OK && ret) {
                        memset(ret, 0, sizeof(*ret));
                        memcpy(ret->origin, b->manifest->origin, sizeof(ret->origin));
                        ret->size = (uint64_t)sqlite3_column_int64(st, 0);
                        memcpy(ret->root, sqlite3_column_blob(st, 1), sizeof(ret->root));
                }
        }
        sqlite3_reset(st);
        box_rollback(b);
        return r;
}

static pb_err find_leaf(struct pb_box *b, const uint8_t commitment[PB_CVR_HASH_BYTES], int64_t *ret,
                        struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_BALLOT_LEAF);
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_blob(st, 1, commitment, PB_CVR_HASH_BYTES, SQLITE_STATIC);
        rc = sqlite3_step(st);
        /* -1: no such ballot; -2: pending (no leaf yet) */
        *ret = rc != SQLITE_ROW                            ? -1
               : sqlite3_column_type(st, 0) == SQLITE_NULL ? -2
                                                           : sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
                return PB_OK;
        return box_sqlite_err(b, rc, d);
}

pb_err pb_box_find_short(struct pb_box *b, const char *short_code, size_t len, uint8_t ret[PB_CVR_HASH_BYTES],
                         struct pb_diag *reterr)
{
        uint8_t lo[PB_CODE_SHORT_PREFIX_BYTES], hi[PB_CVR_HASH_BYTES + 1];
        char canonical[PB_CODE_SHORT_LEN + 1], again[PB_CODE_SHORT_LEN + 1];
        size_t hi_len = PB_CODE_SHORT_PREFIX_BYTES, found = 0;
        sqlite3_stmt *st;
        pb_err r;
        int rc;

        r = pb_code_short_parse(short_code, len, canonical, lo, reterr);
        if (r < 0)
                return r;
        /* hi: the next 50-bit prefix (lo + 2^6 in its last byte, carried); past the last one, a blob
         * above every 32-byte commitment */
        memcpy(hi, lo, sizeof(lo));
        {
                unsigned carry = 0x40;
                for (size_t i = PB_CODE_SHORT_PREFIX_BYTES; carry && i-- > 0;) {
                        carry += hi[i];
                        hi[i] = (uint8_t)carry;
                        carry >>= 8;
                }
                if (carry) {
                        memset(hi, 0xff, sizeof(hi));
                        hi_len = sizeof(hi);
                }
        }
        r = box_begin_read_stmt(b, ST_BALLOT_BY_PREFIX, &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_blob(st, 1, lo, (int)sizeof(lo), SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, hi, (int)hi_len, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if (sqlite3_column_bytes(st, 0) == PB_CVR_HASH_BYTES && found++ == 0)
                        memcpy(ret, sqlite3_column_blob(st, 0), PB_CVR_HASH_BYTES);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, reterr);
        else if (!found)
                r = pb_diag_set(reterr, PB_ERR_NOT_FOUND, "short_code", "no ballot has this short code");
        else if (found > 1)
                r = pb_diag_set(
                        reterr, PB_ERR_CONFLICT, "short_code",
                        "more than one ballot has this short code: look the receipt up by its commitment");
        if (r == PB_OK) {
                pb_code_short(ret, again);
                PB_ASSERT(!strcmp(again, canonical)); /* the range holds exactly this prefix */
        }
        box_rollback(b);
        return r;
}

pb_err pb_box_inclusion(struct pb_box *b, const uint8_t commitment[PB_CVR_HASH_BYTES],
                        struct pb_box_proof *ret, struct pb_buf *checkpoint, struct pb_diag *reterr)
{
        struct pb_merkle_source src;
        struct pb_box_proof p;
        sqlite3_stmt *st;
        int64_t leaf;
        pb_err r;
        int rc;

        memset(&p, 0, sizeof(p));
        r = box_begin_read(b, reterr);
        if (r < 0)
                return r;
        r = find_leaf(b, commitment, &leaf, reterr);
        if (r < 0)
                goto out;
        if (leaf == -2) {
                p.pending = true;
                goto out;
        }
        if (leaf < 0) {
                r = pb_diag_set(reterr, PB_ERR_NOT_FOUND, "commitment", "no ballot has this commitment");
                goto out;
        }
        st = box_stmt(b, ST_CP_LATEST);
        if (!st) {
                r = box_sqlite_err(b, sqlite3_errcode(b->db), reterr);
                goto out;
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                r = rc == SQLITE_DONE
                            ? pb_diag_set(reterr, PB_ERR_INTERNAL, "log", "a leaf without a checkpoint")
                            : box_sqlite_err(b, rc, reterr);
                goto out;
        }
        p.size = (uint64_t)sqlite3_column_int64(st, 0);
        r = pb_buf_add(checkpoint, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
        sqlite3_reset(st);
        if (r < 0)
                goto out;
        p.index = (uint64_t)leaf;
        box_log_source(b, &src);
        r = pb_merkle_inclusion_proof(&src, p.size, p.index, p.path, &p.path_len, reterr);
out:
        box_rollback(b);
        if (r == PB_OK)
                *ret = p;
        return r;
}

pb_err pb_box_consistency(struct pb_box *b, uint64_t old_size, uint64_t size, uint8_t *ret_path,
                          size_t *ret_len, struct pb_diag *reterr)
{
        struct pb_merkle_source src;
        uint64_t logged;
        pb_err r = box_begin_read(b, reterr);

        if (r < 0)
                return r;
        r = box_get_count(b, CNT_LOGGED, &logged, reterr);
        if (r == PB_OK && (size > logged || old_size > size))
                r = pb_diag_set(reterr, PB_ERR_INVALID, "size", "sizes beyond the log");
        if (r == PB_OK) {
                box_log_source(b, &src);
                r = pb_merkle_consistency_proof(&src, old_size, size, ret_path, ret_len, reterr);
        }
        box_rollback(b);
        return r;
}

/* ---- the full check ---------------------------------------------------------------------------- */

static pb_err count_rows(struct pb_box *b, const char *sql, uint64_t *ret, struct pb_diag *d)
{
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? PB_OK : box_sqlite_err(b, rc, d);
}

static pb_err mismatch(struct pb_diag *d, const char *what)
{
        return pb_diag_set(d, PB_ERR_INTERNAL, "check", what);
}

pb_err box_ballot_next(struct pb_box *b, sqlite3_stmt *st, struct box_ballot_row *row, bool *ret_done,
                       struct pb_diag *d)
{
        int rc = sqlite3_step(st);

        *ret_done = rc != SQLITE_ROW;
        if (rc == SQLITE_DONE)
                return PB_OK;
        if (rc != SQLITE_ROW)
                return box_sqlite_err(b, rc, d);
        if (sqlite3_column_bytes(st, 0) != PB_CVR_HASH_BYTES ||
            sqlite3_column_bytes(st, 2) != PB_CVR_NONCE_BYTES)
                return pb_diag_set(d, PB_ERR_INTERNAL, "database", "a damaged ballot row");
        row->commitment = sqlite3_column_blob(st, 0);
        row->leaf = (uint64_t)sqlite3_column_int64(st, 1);
        row->nonce = sqlite3_column_blob(st, 2);
        row->cvr = sqlite3_column_blob(st, 3);
        row->cvr_len = (size_t)sqlite3_column_bytes(st, 3);
        return PB_OK;
}

pb_err box_each_ballot(struct pb_box *b, box_ballot_fn fn, void *ctx, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_BALLOTS_BY_LEAF);
        struct box_ballot_row row = { 0 }; /* gcc 12 -O3 cannot see that fn() only reads a filled row */
        bool done = false;
        pb_err r = PB_OK;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while (r == PB_OK && !done) {
                r = box_ballot_next(b, st, &row, &done, d);
                if (r == PB_OK && !done)
                        r = fn(ctx, &row, d);
        }
        sqlite3_reset(st);
        return r;
}

/* What the CVRs say, counted by pb_box_check() against the counters. */
struct cvr_counts {
        uint64_t by_channel[PB_CHANNEL_COUNT];
        uint64_t by_contest[PB_MANIFEST_MAX_CONTESTS];
        uint64_t pending;
};

/* One stored CVR of the box's vote: it recommits to @commitment and parses; counted into @k. */
static pb_err check_cvr(struct pb_box *b, const uint8_t *nonce, const char *cvr, size_t len,
                        const uint8_t commitment[PB_CVR_HASH_BYTES], struct pb_vote_ballots *vb,
                        struct cvr_counts *k, struct pb_diag *d)
{
        uint8_t again[PB_CVR_HASH_BYTES];
        struct pb_cvr_meta meta;
        pb_err r = pb_cvr_commitment(b->manifest->election->id, nonce, (const uint8_t *)cvr, len, again);

        if (r == PB_OK && memcmp(again, commitment, sizeof(again)))
                return mismatch(d, "a CVR does not match its commitment");
        if (r == PB_OK)
                r = pb_vote_cvr_parse(b->manifest, cvr, len, vb, &meta, NULL);
        if (r < 0 && r != PB_ERR_NOMEM)
                return mismatch(d, "a stored CVR does not parse");
        if (r < 0)
                return r;
        k->by_channel[meta.channel]++;
        for (size_t i = 0; i < vb->n; i++)
                k->by_contest[vb->part[i].contest]++;
        return PB_OK;
}

/* What check_ballots() carries from one ballot to the next. */
struct ballot_check {
        struct pb_box *b;
        struct pb_merkle_tree *t;
        struct cvr_counts *counts;
        struct pb_vote_ballots vb;
        uint64_t expect; /* the next leaf index */
};

static pb_err check_one(void *ctx, const struct box_ballot_row *row, struct pb_diag *d)
{
        struct ballot_check *k = ctx;
        uint8_t leaf[PB_MERKLE_HASH_BYTES], stored[PB_MERKLE_HASH_BYTES];
        pb_err r;

        if (row->leaf != k->expect)
                return mismatch(d, "ballot rows are not a numbered sequence of leaves");
        r = check_cvr(k->b, row->nonce, row->cvr, row->cvr_len, row->commitment, &k->vb, k->counts, d);
        if (r < 0)
                return r;
        pb_cvr_leaf_hash(row->commitment, leaf);
        r = tree_get(k->b, 0, k->expect, stored, d);
        if (r == PB_OK && memcmp(leaf, stored, sizeof(leaf)))
                r = mismatch(d, "a stored leaf is not its ballot's leaf hash");
        if (r == PB_OK)
                r = pb_merkle_tree_append(k->t, leaf);
        k->expect++;
        return r;
}

/* Every stored ballot: its CVR parses and recommits, its leaf is the next one, the tree over them. */
static pb_err check_ballots(struct pb_box *b, struct pb_merkle_tree *t, struct cvr_counts *counts,
                            struct pb_diag *d)
{
        struct ballot_check k = { b, t, counts, { 0 }, 0 };
        pb_err r = pb_vote_ballots_init(&k.vb, b->manifest);

        if (r == PB_OK)
                r = box_each_ballot(b, check_one, &k, d);
        pb_vote_ballots_release(&k.vb);
        return r;
}

/* Every pending ballot (no leaf yet): its CVR recommits and parses; counted into @k. */
static pb_err check_pending(struct pb_box *b, struct cvr_counts *k, struct pb_diag *d)
{
        struct pb_vote_ballots vb;
        sqlite3_stmt *st;
        pb_err r = pb_vote_ballots_init(&vb, b->manifest);
        int rc = SQLITE_DONE;

        st = r == PB_OK ? box_stmt(b, ST_PENDING_ALL) : NULL;
        if (r == PB_OK && !st)
                r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while (r == PB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (sqlite3_column_bytes(st, 1) != PB_CVR_NONCE_BYTES ||
                    sqlite3_column_bytes(st, 0) != PB_CVR_HASH_BYTES) {
                        r = mismatch(d, "a pending ballot's nonce is not " PB_STRINGIFY(
                                                PB_CVR_NONCE_BYTES) " bytes or its commitment "
                                                                    "not " PB_STRINGIFY(PB_CVR_HASH_BYTES));
                        break;
                }
                r = check_cvr(b, sqlite3_column_blob(st, 1), sqlite3_column_blob(st, 2),
                              (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_blob(st, 0), &vb, k, d);
                k->pending += r == PB_OK;
        }
        if (st)
                sqlite3_reset(st);
        if (st && r == PB_OK && rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, d);
        pb_vote_ballots_release(&vb);
        return r;
}

/* The counters by channel, by contest and pending against what the CVRs say. */
static pb_err check_counters(const struct pb_turnout *c, const struct cvr_counts *k, struct pb_diag *d)
{
        for (int i = 0; i < PB_CHANNEL_COUNT; i++)
                if (k->by_channel[i] != c->by_channel[i])
                        return mismatch(d, "the channel counters differ from the CVRs");
        for (uint32_t i = 0; i < c->n_contests; i++)
                if (k->by_contest[i] != c->by_contest[i])
                        return mismatch(d, "the contest counters differ from the CVRs");
        if (k->pending != c->pending)
                return mismatch(d, "the pending counter differs from the ballots without a leaf");
        return PB_OK;
}

/* Every stored node equals the recomputed one, and there is no other. */
static pb_err check_nodes(struct pb_box *b, const struct pb_merkle_tree *t, struct pb_diag *d)
{
        sqlite3_stmt *st;
        uint64_t rows = 0, want = 0;
        pb_err r = PB_OK;
        int rc;

        if (sqlite3_prepare_v2(b->db, "SELECT level, idx, hash FROM tree", -1, &st, NULL) != SQLITE_OK)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t level = sqlite3_column_int64(st, 0), idx = sqlite3_column_int64(st, 1);

                if (level < 0 || level >= PB_MERKLE_MAX_LEVELS || idx < 0 ||
                    (uint64_t)idx >= t->levels[level].count ||
                    sqlite3_column_bytes(st, 2) != PB_MERKLE_HASH_BYTES ||
                    memcmp(sqlite3_column_blob(st, 2),
                           t->levels[level].hashes + PB_MERKLE_HASH_BYTES * (uint64_t)idx,
                           PB_MERKLE_HASH_BYTES)) {
                        r = mismatch(d, "a stored tree node is wrong");
                        break;
                }
                rows++;
        }
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (rc != SQLITE_DONE)
                return box_sqlite_err(b, rc, d);
        for (int l = 0; l < PB_MERKLE_MAX_LEVELS; l++)
                want += t->levels[l].count;
        return rows == want ? PB_OK : mismatch(d, "stored tree nodes are missing");
}

/* Every checkpoint: signed by the engine key, for this origin, with the root of its size. */
static pb_err check_checkpoints(struct pb_box *b, struct pb_merkle_tree *t, struct pb_diag *d)
{
        const struct pb_manifest *m = b->manifest;
        struct pb_merkle_source src;
        sqlite3_stmt *st = box_stmt(b, ST_CP_ALL);
        int64_t last = -1;
        pb_err r = PB_OK;
        int rc = SQLITE_DONE;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        pb_merkle_tree_source(t, &src);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct pb_checkpoint cp;
                uint8_t root[PB_MERKLE_HASH_BYTES];
                int64_t size = sqlite3_column_int64(st, 0);

                if (!m->has_keys) {
                        r = mismatch(d, "checkpoints before the election opened");
                        break;
                }
                r = pb_checkpoint_open(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                       &m->engine_key, &cp, NULL);
                if (r < 0 || strcmp(cp.origin, m->origin) || cp.size != (uint64_t)size || size <= last ||
                    (uint64_t)size > t->size || sqlite3_column_bytes(st, 1) != PB_MERKLE_HASH_BYTES ||
                    memcmp(sqlite3_column_blob(st, 1), cp.root, sizeof(cp.root))) {
                        r = mismatch(d, "a stored checkpoint does not verify");
                        break;
                }
                r = pb_merkle_root(&src, cp.size, root);
                if (r == PB_OK && memcmp(root, cp.root, sizeof(root)))
                        r = mismatch(d, "a checkpoint's root is not the root of its leaves");
                if (r < 0)
                        break;
                last = size;
        }
        sqlite3_reset(st);
        if (r < 0)
                return r;
        if (rc != SQLITE_DONE)
                return box_sqlite_err(b, rc, d);
        if (m->has_keys && (last < 0 || (uint64_t)last != t->size))
                return mismatch(d, "the latest checkpoint does not cover the whole log");
        return PB_OK;
}

/* The signed documents an election in state @s has. */
static enum box_docs_level docs_level(enum pb_box_state s)
{
        switch (s) {
        case PB_BOX_CLOSED: return BOX_DOCS_CLOSE;
        case PB_BOX_TALLIED: return BOX_DOCS_RESULT;
        case PB_BOX_CERTIFIED: return BOX_DOCS_CERTIFICATION;
        default: return BOX_DOCS_MANIFEST;
        }
}

pb_err pb_box_check(struct pb_box *b, struct pb_diag *reterr)
{
        struct cvr_counts *k = pb_calloc(1, sizeof(*k));
        struct pb_merkle_tree t;
        struct pb_turnout c;
        sqlite3_stmt *st;
        uint64_t n;
        pb_err r;

        if (!k)
                return PB_ERR_NOMEM;
        pb_merkle_tree_init(&t);
        r = box_begin_scan(b, reterr);
        if (r < 0) {
                pb_free(k);
                return r;
        }
        if (sqlite3_prepare_v2(b->db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok"))
                        r = mismatch(reterr, "integrity_check: the database is damaged");
                sqlite3_finalize(st);
        }
        if (r == PB_OK)
                r = box_counts(b, &c, reterr);
        if (r == PB_OK)
                r = check_ballots(b, &t, k, reterr);
        if (r == PB_OK && t.size != c.log_size)
                r = mismatch(reterr, "the leaf counter differs from the ballots");
        if (r == PB_OK)
                r = check_nodes(b, &t, reterr);
        if (r == PB_OK)
                r = check_checkpoints(b, &t, reterr);
        if (r == PB_OK)
                r = check_pending(b, k, reterr); /* pending ballots count by channel and contest too */
        if (r == PB_OK)
                r = check_counters(&c, k, reterr);
        if (r == PB_OK)
                r = count_rows(b, "SELECT count(*) FROM ballots", &n, reterr);
        if (r == PB_OK && n != c.log_size + c.pending)
                r = mismatch(reterr, "ballot rows are neither logged nor pending");
        if (r == PB_OK)
                r = count_rows(b, "SELECT count(*) FROM codes WHERE spent = 1", &n, reterr);
        if (r == PB_OK && n != c.codes_spent)
                r = mismatch(reterr, "the spent-code counter differs from the codes");
        if (r == PB_OK && c.codes_spent != c.ballots)
                r = mismatch(reterr, "spent codes differ from accepted ballots");
        if (r == PB_OK)
                r = count_rows(b, "SELECT count(*) FROM codes", &n, reterr);
        if (r == PB_OK && n != c.codes_issued)
                r = mismatch(reterr, "the issued-code counter differs from the codes");
        /* the signed documents of the state, as the verifier checks them (issue 11: a box whose
         * bundle fails verification must not pass its check) */
        if (r == PB_OK)
                r = box_docs_check(b, docs_level(c.state), reterr);
        box_end_scan(b);
        pb_merkle_tree_release(&t);
        pb_free(k);
        return r;
}
