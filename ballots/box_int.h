/** @file The ballot box's internals, shared by ballots/box_*.c (not a public header). */
#ifndef PB_BOX_INT_H
#define PB_BOX_INT_H

#include <sqlite3.h>

#include "ballots/pb_box.h"

/** Prepared statements, kept for the life of the connection. */
enum box_stmt {
        ST_GET_STATE,
        ST_SET_STATE,
        ST_GET_COUNT,
        ST_ADD_COUNT,
        ST_CODE_INSERT,
        ST_CODE_SPEND,
        ST_CODE_GET,
        ST_BALLOT_INSERT,
        ST_BALLOT_INSERT_LOGGED,
        ST_BALLOT_SET_LEAF,
        ST_BALLOT_LEAF,
        ST_PENDING_LIST,
        ST_PENDING_ALL,
        ST_PENDING_COUNT,
        ST_BALLOTS_BY_LEAF,
        ST_TREE_INSERT,
        ST_TREE_GET,
        ST_CP_INSERT,
        ST_CP_LATEST,
        ST_CP_ALL,
        ST_IDEM_GET,
        ST_IDEM_CLEAR,
        ST_RETRY_GET,
        ST_RETRY_SET,
        ST_RETRY_FORGET,
        ST_TAGS_CLEAR,
        ST_GET_DOC,
        ST_SET_MANIFEST,
        ST_SET_MANIFEST_ENVELOPE,
        ST_SET_ENGINE_VKEY,
        ST_SET_CLOSE,
        ST_SET_RESULT,
        ST_SET_CERTIFICATION,
        ST_TOKEN_INSERT,
        ST_TOKEN_GET,
        ST_TOKEN_LIST,
        ST_TOKEN_REVOKE,
        ST_TOKEN_LOCK,
        ST_DATA_VERSION,
        ST_BALLOT_BY_PREFIX,
        ST_CODES_ANY,
        ST_COUNT_UPSERT,
        ST_KIOSK_COUNTS,
        ST_CVR_BY_LEAF,
        ST_COUNT
};

/** Named counters of the `counts` table. */
#define CNT_CODES_ISSUED "codes_issued"
#define CNT_CODES_SPENT "codes_spent"
#define CNT_CODES_LEGACY "codes_legacy" /* issued with the mod-37 check, before schema 8 */
#define CNT_PENDING "pending"
#define CNT_LOGGED "logged"
/** The prefix of the counters of ballots by kiosk token ("kiosk.<public id>"), made at its first. */
#define CNT_KIOSK_PREFIX "kiosk."
/** The counter of ballots for contest @i of a vote of the contests form ("contest.3"). */
const char *box_contest_counter(size_t i, char buf[64]);
/** The name of the counter of ballots accepted by channel @c ("channel.electronic"), or refused
 *  for reason @r ("rejected.code_spent"), into @buf (BOX_COUNTER_NAME_MAX bytes). */
#define BOX_COUNTER_NAME_MAX 64
const char *box_channel_counter(enum pb_channel c, char buf[BOX_COUNTER_NAME_MAX]);
const char *box_reject_counter(enum pb_reject r, char buf[BOX_COUNTER_NAME_MAX]);

struct pb_box {
        sqlite3 *db;
        sqlite3_stmt *st[ST_COUNT];
        struct pb_manifest *manifest;             /* the stored manifest, parsed */
        uint8_t manifest_sha256[PB_SHA256_BYTES]; /* of the stored bytes b->manifest was parsed from */
        /* PRAGMA data_version as of this connection's last transaction: it changes when another
         * connection (another process) commits, and box_begin*() then reloads what is cached here
         * (docs/ballot-box.md, "Threads and processes") */
        int64_t data_version;
        bool data_version_known;
        bool created; /* box_db_open made the file (pb_box_create removes it when it fails) */
        const struct pb_key_secret *engine; /* borrowed; NULL until pb_box_set_engine_key */
        uint8_t *pepper;                    /* sodium_malloc'd code-hash key derived from the engine key */
        /* the retry key (docs/ballot-box.md, "Retries"): random, stored from the first cast while
         * open until close; sodium_malloc'd, NULL when the box has none */
        uint8_t *retry_key;
        bool retry_loaded; /* retry_key and legacy_idem were read */
        bool legacy_idem;  /* the idem table of schema 1-2 still holds records */
        bool legacy_codes; /* codes with the mod-37 check were issued here (before schema 8) */
        uint64_t prep_gen; /* changes with manifest, pepper, retry key or a legacy flag (box_prepare.c) */
        /* the right edge of the log's tree: the roots of its perfect subtrees, largest first */
        bool frontier_valid;
        uint64_t frontier_size;
        uint8_t frontier[PB_MERKLE_MAX_LEVELS][PB_MERKLE_HASH_BYTES];
        /* the WAL (docs/ballot-box.md, "Unlinkability"): its frames since the last truncation, and
         * whether it may hold a cast transaction of fewer than batch_min ballots */
        int wal_frames;
        bool wal_small_cast;
};

#define BOX_RETRY_KEY_BYTES 32
#define BOX_RETRY_TAG_BYTES PB_CVR_HASH_BYTES /* stored in a spent code's row: the sealed commitment */

/**
 * Read the retry key into b->retry_key, creating it (randombytes_buf) in its own transaction when
 * the election is open and has none; note whether the legacy idem table holds records.  Once per
 * handle.
 */
PB_NODISCARD pb_err box_retry_key_load(struct pb_box *b, struct pb_diag *d);
/** Forget the retry key and every code's tag (inside the close transaction). */
PB_NODISCARD pb_err box_retry_forget(struct pb_box *b, struct pb_diag *d);

/** What preparing a submission reads (borrowed from a box or a snapshot). */
struct box_prep_inputs {
        const struct pb_manifest *manifest;
        const uint8_t *pepper;
        const uint8_t *retry_key; /* or NULL */
        bool legacy_idem;
        bool legacy_codes; /* also read codes with the mod-37 check (pb_code_parse_mod37) */
        uint64_t gen;
};
/** Whether a submission's contests fit its voter code's. */
enum box_fit {
        BOX_FIT_OK,          /* every contest voted in is the code's; none the code needs is missing */
        BOX_FIT_NOT_ALLOWED, /* a ballot for a contest the code is not for */
        BOX_FIT_MISSING,     /* no ballot for a contest of the code that may not be skipped */
};

/**
 * Does a submission whose contests and non-skippable contests are @fit (two sets of @len bytes
 * each, pb_box_prepared.fit) fit a code for the contests @allowed (@alen bytes; NULL: every
 * contest)?  The cast's UPDATE asks SQLite the same (pbv_contests_fit, box_db.c).
 * @param ret_contest  optional: when it does not fit, the first contest that is not allowed (or,
 *                     when every one is, the first missing)
 */
enum box_fit box_contests_fit(const uint8_t *allowed, size_t alen, const uint8_t *fit, size_t len,
                              size_t *ret_contest);
/** The box's own inputs (valid until the next change of the box). */
void box_prep_inputs_of(const struct pb_box *b, struct box_prep_inputs *ret);
/** Prepare @s into @p (see pb_box_prepare). */
void box_prepare(const struct box_prep_inputs *in, const struct pb_submission *s, struct pb_box_prepared *p);

/** Frames after which a commit copies the WAL into the database and restarts it (or truncates it,
 *  when it may hold a small cast): 128 MiB of 4 KiB pages, the WAL's size bound, in place of
 *  SQLite's automatic checkpoint.  Under load each checkpoint stalls the writer (the pages go to
 *  the database file, then fsync); 32 MiB cost about a fifth of the writer's time. */
#define BOX_WAL_MAX_FRAMES 32768

/** The page cache for a full scan (@scanning: SQLite's 2 MB default) or for casting (64 MiB). */
void box_cache_for_scan(struct pb_box *b, bool scanning);

/** wal_checkpoint(TRUNCATE): copy the WAL into the database and empty it (best effort: a reader
 *  of an older snapshot can make it fail, and the next commit tries again). */
void box_wal_truncate(struct pb_box *b);

/** The prepared statement @s, reset and with its bindings cleared. */
sqlite3_stmt *box_stmt(struct pb_box *b, enum box_stmt s);

/** Map an SQLite result code to pb_err, filling @d with a storage diagnostic. */
pb_err box_sqlite_err(struct pb_box *b, int rc, struct pb_diag *d);

/** BEGIN IMMEDIATE with a bounded retry on SQLITE_BUSY, then box_sync().  PB_ERR_BUSY when the lock
 *  stays taken; on any failure no transaction is left open. */
PB_NODISCARD pb_err box_begin(struct pb_box *b, struct pb_diag *d);
/** BEGIN (deferred, for reads), then box_sync() (which starts the read transaction). */
PB_NODISCARD pb_err box_begin_read(struct pb_box *b, struct pb_diag *d);
/** A read transaction that scans the whole box: the scan's page cache (box_cache_for_scan()), then
 *  box_begin_read(); on failure the casting cache is back and nothing is open.  Ended by
 *  box_end_scan(). */
PB_NODISCARD pb_err box_begin_scan(struct pb_box *b, struct pb_diag *d);
/** End a box_begin_scan() read: roll back, and give the casting page cache back. */
void box_end_scan(struct pb_box *b);
/** PB_OK when the election is tallied or certified (its ballots are public), else PB_ERR_STATE with
 *  @why as the reason. */
PB_NODISCARD pb_err box_need_tallied(struct pb_box *b, const char *why, struct pb_diag *d);
/** box_begin_read(), then the prepared statement @s for it in *@ret; on failure nothing is left
 *  open (and the error is SQLite's, read before the rollback). */
PB_NODISCARD pb_err box_begin_read_stmt(struct pb_box *b, enum box_stmt s, sqlite3_stmt **ret,
                                        struct pb_diag *d);
/**
 * Inside a transaction: when another connection committed since this one last looked (PRAGMA
 * data_version), reload what the box caches from the database (box_reload).  Race-free: the
 * transaction's snapshot is the one the version was read in.
 */
PB_NODISCARD pb_err box_sync(struct pb_box *b, struct pb_diag *d);
/**
 * Reload the cached state after another connection committed (inside a transaction): the manifest
 * (parsed again only if its bytes changed), the retry key and the legacy flag; the log's frontier
 * is read again at its next use, and the WAL is assumed to hold a small cast.  prep_gen changes
 * only when a preparation input did.
 */
PB_NODISCARD pb_err box_reload(struct pb_box *b, struct pb_diag *d);

/* ---- the signed documents against the stored state (box_docs.c) ---- */

/** How far box_docs_check() goes: each level checks the ones before it too. */
enum box_docs_level {
        BOX_DOCS_MANIFEST,      /* the stored manifest is the one parsed here, and the signed one once open */
        BOX_DOCS_CLOSE,         /* the close statement: engine-signed, this manifest, the log, the counts */
        BOX_DOCS_RESULT,        /* the result: engine-signed, this manifest and close statement */
        BOX_DOCS_CERTIFICATION, /* the certification: office-signed, this result */
};

/**
 * Check the stored signed documents up to @level against each other and against the box, as the
 * offline verifier checks the bundle (docs/auditor.md B1, B3, B4, B5, D1, D2), inside a
 * transaction.  What the box signs next is then built on documents that verify.
 * @return PB_OK, PB_ERR_INTERNAL (@d says which document disagrees with what), PB_ERR_STORAGE,
 *         PB_ERR_NOMEM
 */
PB_NODISCARD pb_err box_docs_check(struct pb_box *b, enum box_docs_level level, struct pb_diag *d);
/** COMMIT.  On failure the transaction is rolled back and nothing was stored.  Afterwards, a WAL of
 *  BOX_WAL_MAX_FRAMES or more is truncated. */
PB_NODISCARD pb_err box_commit(struct pb_box *b, struct pb_diag *d);
/** ROLLBACK if a transaction is open; forgets cached log state. */
void box_rollback(struct pb_box *b);
/**
 * End a write transaction that appended to the ballot log (a flush, the close), whose work so far
 * ended in @r: commit when @r is PB_OK, else roll back; after a commit the WAL is emptied (the
 * batch is durable and the next reader starts small); PB_ERR_INTERNAL, an integrity alarm,
 * suspends the election (box_alarm()).
 * @return the outcome: @r, or the commit's error
 */
PB_NODISCARD pb_err box_end_log_write(struct pb_box *b, pb_err r, struct pb_diag *d);

/** Step a statement that returns no row (SQLITE_DONE expected). */
PB_NODISCARD pb_err box_exec_stmt(struct pb_box *b, sqlite3_stmt *st, struct pb_diag *d);

PB_NODISCARD pb_err box_get_state(struct pb_box *b, enum pb_box_state *ret, struct pb_diag *d);
PB_NODISCARD pb_err box_set_state(struct pb_box *b, enum pb_box_state s, struct pb_diag *d);
PB_NODISCARD pb_err box_get_count(struct pb_box *b, const char *name, uint64_t *ret, struct pb_diag *d);
PB_NODISCARD pb_err box_add_count(struct pb_box *b, const char *name, int64_t delta, struct pb_diag *d);

/** Column @col (0 manifest .. 5 certification_envelope, see ST_GET_DOC) appended to @out; NOT_FOUND if NULL. */
PB_NODISCARD pb_err box_get_doc(struct pb_box *b, int col, struct pb_buf *out, struct pb_diag *d);
#define DOC_MANIFEST 0
#define DOC_MANIFEST_ENVELOPE 1
#define DOC_ENGINE_VKEY 2
#define DOC_CLOSE 3
#define DOC_RESULT 4
#define DOC_CERTIFICATION 5

/** Set a text/blob column through one of the ST_SET_* statements. */
PB_NODISCARD pb_err box_set_blob(struct pb_box *b, enum box_stmt s, const void *p, size_t len,
                                 struct pb_diag *d);

/**
 * Tests only (tests/box/powerloss_vfs.c, issue 16): open every later box connection through the
 * registered SQLite VFS @name (NULL: SQLite's default).  Not in the public API: no program sets it,
 * so the pbvote binary uses the default VFS and does not depend on the test's.
 */
void box_test_set_vfs(const char *name);
/** The VFS box connections are opened with (NULL: the default). */
const char *box_vfs(void);

/** fsync the folder holding @path, so that a newly created file's directory entry is durable
 *  (best effort). */
void box_sync_folder(const char *path);

/** Open the SQLite connection with the pragmas of verifiability.md §9.1. */
PB_NODISCARD pb_err box_db_open(struct pb_box *b, const char *path, bool create, struct pb_diag *d);
/** Create or migrate the schema to PB_BOX_SCHEMA_VERSION (in one transaction). */
PB_NODISCARD pb_err box_db_migrate(struct pb_box *b, struct pb_diag *d);

/* ---- the log (box_log.c) ---- */

/** Load the frontier of the stored tree (when not cached). */
PB_NODISCARD pb_err box_log_load(struct pb_box *b, struct pb_diag *d);
/** A Merkle source over the stored tree (every level). */
void box_log_source(struct pb_box *b, struct pb_merkle_source *ret);
/** The root of the whole current tree (from the frontier). */
void box_log_root(const struct pb_box *b, uint8_t ret[PB_MERKLE_HASH_BYTES]);
/** Sign and store a checkpoint of the current tree (inside a write transaction). */
PB_NODISCARD pb_err box_log_checkpoint(struct pb_box *b, struct pb_diag *d);
/** A ballot accepted in the current transaction whose row is not written yet (all borrowed). */
struct box_fresh {
        const uint8_t *commitment; /* PB_CVR_HASH_BYTES */
        const uint8_t *nonce;      /* PB_CVR_NONCE_BYTES */
        const uint8_t *cvr;
        size_t cvr_len;
};

/**
 * Move every pending ballot, and the @n_fresh ballots of the current transaction (already counted
 * as pending, rows not yet written: they are written once, with their leaf), into the log sorted
 * by commitment, and sign the new checkpoint (inside a write transaction).
 */
PB_NODISCARD pb_err box_log_flush(struct pb_box *b, const struct box_fresh *fresh, size_t n_fresh,
                                  struct pb_diag *d);
/** One logged ballot row, as a scan in log order reads it (all borrowed until the next step). */
struct box_ballot_row {
        const uint8_t *commitment; /* PB_CVR_HASH_BYTES */
        uint64_t leaf;             /* its index in the log */
        const uint8_t *nonce;      /* PB_CVR_NONCE_BYTES */
        const char *cvr;           /* the canonical CVR text */
        size_t cvr_len;
};

/**
 * The next row of a scan of the logged ballots in log order (@st from box_stmt(b,
 * ST_BALLOTS_BY_LEAF)): *ret_done at the end.  A row whose commitment or nonce has the wrong size
 * is PB_ERR_INTERNAL ("a damaged ballot row").  The caller resets @st.
 */
PB_NODISCARD pb_err box_ballot_next(struct pb_box *b, sqlite3_stmt *st, struct box_ballot_row *row,
                                    bool *ret_done, struct pb_diag *d);

/** Called for each logged ballot by box_each_ballot(); a failure stops the scan and is returned. */
typedef pb_err (*box_ballot_fn)(void *ctx, const struct box_ballot_row *row, struct pb_diag *d);

/** Call @fn for every logged ballot, in log order (inside a transaction). */
PB_NODISCARD pb_err box_each_ballot(struct pb_box *b, box_ballot_fn fn, void *ctx, struct pb_diag *d);

/** The invariants of verifiability.md §9.3 from the counters and the stored tree. */
PB_NODISCARD pb_err box_log_invariants(struct pb_box *b, struct pb_diag *d);

/** Suspend the election after an integrity alarm (its own transaction; best effort). */
void box_alarm(struct pb_box *b);

/** Check that the engine key is set.  PB_ERR_AUTH otherwise. */
PB_NODISCARD pb_err box_need_engine(struct pb_box *b, struct pb_diag *d);

/** The counters (inside a transaction). */
PB_NODISCARD pb_err box_counts(struct pb_box *b, struct pb_turnout *ret, struct pb_diag *d);

#endif
