/** @file The ballot box's SQLite layer: pragmas, schema and migrations, statements, transactions. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/box_int.h"
#include "engine/pb_alloc.h"

static const char *const stmt_sql[ST_COUNT] = {
        [ST_GET_STATE] = "SELECT state FROM election WHERE id = 1",
        [ST_SET_STATE] = "UPDATE election SET state = ? WHERE id = 1",
        [ST_GET_COUNT] = "SELECT n FROM counts WHERE name = ?",
        [ST_ADD_COUNT] = "UPDATE counts SET n = n + ? WHERE name = ?",
        [ST_CODE_INSERT] = "INSERT INTO codes(hash, tag, contests) VALUES (?, zeroblob(" PB_STRINGIFY(
                BOX_RETRY_TAG_BYTES) "), ?)",
        /* schema 3: a code spent with a submission id keeps the submission's tag until close;
         * schema 7: only by a submission whose contests fit the code's (?3: NULL in a vote of one
         * contest), so a refusal for its contests leaves the code unspent in one statement */
        [ST_CODE_SPEND] = ("UPDATE codes SET spent = 1, tag = ?2 WHERE hash = ?1 AND spent = 0 AND "
                           "pbv_contests_fit(contests, ?3)"),
        [ST_CODE_GET] = "SELECT spent, tag, contests FROM codes WHERE hash = ?",
        [ST_CODES_ANY] =
                ("SELECT EXISTS (SELECT 1 FROM codes) OR EXISTS (SELECT 1 FROM tokens WHERE contests IS NOT "
                 "NULL)"),
        /* schema 2: one row per ballot; leaf is NULL while it waits for the log (docs/ballot-box.md) */
        [ST_BALLOT_INSERT] = "INSERT INTO ballots(commitment, nonce, cvr) VALUES (?, ?, ?)",
        [ST_BALLOT_INSERT_LOGGED] = "INSERT INTO ballots(commitment, leaf, nonce, cvr) VALUES (?, ?, ?, ?)",
        [ST_BALLOT_SET_LEAF] = "UPDATE ballots SET leaf = ? WHERE commitment = ? AND leaf IS NULL",
        [ST_BALLOT_LEAF] = "SELECT leaf FROM ballots WHERE commitment = ?",
        /* the commitments a short code names: a range of the primary key (two tell it is ambiguous) */
        [ST_BALLOT_BY_PREFIX] =
                "SELECT commitment FROM ballots WHERE commitment >= ? AND commitment < ? LIMIT 2",
        [ST_PENDING_LIST] = ("SELECT commitment FROM ballots INDEXED BY ballots_pending WHERE leaf IS NULL "
                             "ORDER BY commitment"),
        [ST_PENDING_ALL] = ("SELECT commitment, nonce, cvr FROM ballots INDEXED BY ballots_pending "
                            "WHERE leaf IS NULL ORDER BY commitment"),
        [ST_PENDING_COUNT] = "SELECT count(*) FROM ballots INDEXED BY ballots_pending WHERE leaf IS NULL",
        [ST_BALLOTS_BY_LEAF] = ("SELECT commitment, leaf, nonce, cvr FROM ballots INDEXED BY ballots_leaf "
                                "WHERE leaf IS NOT NULL ORDER BY leaf"),
        [ST_TREE_INSERT] = "INSERT INTO tree(level, idx, hash) VALUES (?, ?, ?)",
        [ST_TREE_GET] = "SELECT hash FROM tree WHERE level = ? AND idx = ?",
        [ST_CP_INSERT] = "INSERT INTO checkpoints(size, root, note) VALUES (?, ?, ?)",
        [ST_CP_LATEST] = "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
        [ST_CP_ALL] = "SELECT size, root, note FROM checkpoints ORDER BY size",
        [ST_IDEM_GET] = "SELECT commitment FROM idem WHERE key = ?",
        [ST_IDEM_CLEAR] = "DELETE FROM idem",
        /* schema 8: codes_legacy, the codes issued with the mod-37 check before issue 13 */
        [ST_RETRY_GET] =
                ("SELECT e.retry_key, e.state, EXISTS (SELECT 1 FROM idem), "
                 "(SELECT n FROM counts WHERE name = 'codes_legacy') FROM election AS e WHERE e.id = 1"),
        [ST_RETRY_SET] = "UPDATE election SET retry_key = ? WHERE id = 1 AND retry_key IS NULL",
        [ST_RETRY_FORGET] = "UPDATE election SET retry_key = NULL WHERE id = 1",
        [ST_TAGS_CLEAR] = "UPDATE codes SET tag = NULL WHERE tag IS NOT NULL",
        [ST_GET_DOC] = ("SELECT manifest, manifest_envelope, engine_vkey, close_envelope, result_envelope, "
                        "certification_envelope FROM election WHERE id = 1"),
        [ST_SET_MANIFEST] = "UPDATE election SET manifest = ? WHERE id = 1",
        [ST_SET_MANIFEST_ENVELOPE] = "UPDATE election SET manifest_envelope = ? WHERE id = 1",
        [ST_SET_ENGINE_VKEY] = "UPDATE election SET engine_vkey = ? WHERE id = 1",
        [ST_SET_CLOSE] = "UPDATE election SET close_envelope = ? WHERE id = 1",
        [ST_SET_RESULT] = "UPDATE election SET result_envelope = ? WHERE id = 1",
        [ST_SET_CERTIFICATION] = "UPDATE election SET certification_envelope = ? WHERE id = 1",
        [ST_TOKEN_INSERT] = "INSERT INTO tokens(hash, role, label, device, contests) VALUES (?, ?, ?, ?, ?)",
        [ST_TOKEN_GET] = "SELECT hash, role, revoked, device, locked, contests FROM tokens WHERE hash = ?",
        [ST_TOKEN_LIST] =
                "SELECT hash, role, label, revoked, device, locked, contests FROM tokens ORDER BY hash",
        /* the token updates take their value as ?1 (when they have one) and the public id as ?2 */
        [ST_TOKEN_LOCK] =
                ("UPDATE tokens SET locked = ?1 WHERE substr(hex(hash), 1, 16) = upper(?2) AND device = 1 "
                 "AND role = 'kiosk'"),
        [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE substr(hex(hash), 1, 16) = upper(?2)",
        [ST_DATA_VERSION] = "PRAGMA data_version",
        /* counters that exist only once counted (a kiosk's): made by their first addition */
        [ST_COUNT_UPSERT] =
                ("INSERT INTO counts(name, n) VALUES (?2, ?1) ON CONFLICT(name) DO UPDATE SET n = n + "
                 "excluded.n"),
        [ST_KIOSK_COUNTS] = "SELECT name, n FROM counts WHERE name GLOB 'kiosk.*' ORDER BY name",
        [ST_CVR_BY_LEAF] = "SELECT cvr FROM ballots INDEXED BY ballots_leaf WHERE leaf = ?",
};

/*
 * The released migrations state blob sizes as text (CHECK (length(...) = 32)): they are never
 * edited, so they keep their literals, and a constant that changed would need a new migration.
 */
_Static_assert(PB_CODE_HASH_BYTES == 32 && PB_CVR_HASH_BYTES == 32 && BOX_RETRY_TAG_BYTES == 32 &&
                       BOX_RETRY_KEY_BYTES == 32 && PB_CONTEST_SET_BYTES == 32,
               "the released schema's CHECKs state 32 bytes: a new size needs a new migration");

/*
 * Schema migrations: migrations[v] takes a database from user_version v to v + 1.  A migration is
 * never edited once released; a change is a new entry.  Tables keyed by random values are WITHOUT
 * ROWID so that no row order records the order of arrival (VVSG 2.0 10.2.2-B): only the log's
 * leaf numbers are ordered, and that order is public and sorted within each batch.
 */
static const char *const migrations[PB_BOX_SCHEMA_VERSION] = {
        "CREATE TABLE election("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " state TEXT NOT NULL CHECK (state IN ('draft','open','suspended','closed','tallied','certified')),"
        " manifest BLOB NOT NULL,"
        " manifest_envelope BLOB,"
        " engine_vkey TEXT,"
        " close_envelope BLOB,"
        " result_envelope BLOB,"
        " certification_envelope BLOB);"
        "CREATE TABLE counts(name TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0)) WITHOUT ROWID;"
        "CREATE TABLE codes(hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
        " spent INTEGER NOT NULL DEFAULT 0 CHECK (spent IN (0, 1))) WITHOUT ROWID;"
        "CREATE TABLE pending(commitment BLOB PRIMARY KEY CHECK (length(commitment) = 32),"
        " cvr_id BLOB NOT NULL UNIQUE, nonce BLOB NOT NULL, cvr BLOB NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE ballots(commitment BLOB PRIMARY KEY CHECK (length(commitment) = 32),"
        " leaf INTEGER NOT NULL UNIQUE CHECK (leaf >= 0), cvr_id BLOB NOT NULL UNIQUE,"
        " nonce BLOB NOT NULL, cvr BLOB NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE tree(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
        " PRIMARY KEY (level, idx)) WITHOUT ROWID;"
        "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note BLOB NOT NULL);"
        "CREATE TABLE idem(key BLOB PRIMARY KEY, request BLOB NOT NULL, commitment BLOB NOT NULL) WITHOUT "
        "ROWID;"
        "CREATE TABLE tokens(hash BLOB PRIMARY KEY, role TEXT NOT NULL CHECK (role IN "
        "('admin','kiosk','auditor')),"
        " label TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))) WITHOUT ROWID;"
        "INSERT INTO counts(name, n) VALUES ('codes_issued', 0), ('codes_spent', 0), ('pending', 0),"
        " ('logged', 0), ('channel.electronic', 0), ('channel.paper', 0), ('channel.imported', 0),"
        " ('rejected.malformed_code', 0), ('rejected.code_unknown', 0), ('rejected.code_spent', 0),"
        " ('rejected.invalid_ballot', 0), ('rejected.submission_reused', 0);",

        /* 1 -> 2: one table of ballots, each row written once: with its leaf when its transaction
         * completes a batch, else with leaf NULL (pending) until a flush sets it.  The pending rows
         * are found through a partial index, the logged ones in leaf order through another.  cvr_id
         * (inside every CVR) loses its column and its unique indexes: the commitment is the key
         * that the log and the verifier use. */
        "CREATE TABLE ballots_v2(commitment BLOB PRIMARY KEY CHECK (length(commitment) = 32),"
        " leaf INTEGER CHECK (leaf >= 0), nonce BLOB NOT NULL, cvr BLOB NOT NULL) WITHOUT ROWID;"
        "INSERT INTO ballots_v2(commitment, leaf, nonce, cvr)"
        " SELECT commitment, leaf, nonce, cvr FROM ballots;"
        "INSERT INTO ballots_v2(commitment, leaf, nonce, cvr)"
        " SELECT commitment, NULL, nonce, cvr FROM pending;"
        "DROP TABLE pending;"
        "DROP TABLE ballots;"
        "ALTER TABLE ballots_v2 RENAME TO ballots;"
        "CREATE UNIQUE INDEX ballots_leaf ON ballots(leaf) WHERE leaf IS NOT NULL;"
        "CREATE INDEX ballots_pending ON ballots(commitment) WHERE leaf IS NULL;",

        /* 2 -> 3: retries without the idem table (docs/ballot-box.md, "Retries"): a random retry key
         * from the first cast until close, and a spent code's tag in the code's own row, so that a
         * cast writes one random page fewer.  idem stays for records written before the upgrade. */
        ("ALTER TABLE codes ADD COLUMN tag BLOB CHECK (tag IS NULL OR length(tag) = 32);"
         "ALTER TABLE election ADD COLUMN retry_key BLOB CHECK (retry_key IS NULL OR length(retry_key) = "
         "32);"),

        /* 3 -> 4: per-kiosk limits (docs/api.md, "Limits"): a kiosk token may be one device's, and
         * such a token locks after too many failed codes until it is unlocked */
        ("ALTER TABLE tokens ADD COLUMN device INTEGER NOT NULL DEFAULT 0 CHECK (device IN (0, 1));"
         "ALTER TABLE tokens ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1));"),

        /* 4 -> 5: a spent code's tag is its first submission's commitment, sealed (docs/ballot-box.md,
         * "Retries"; issue 11).  A tag of schemas 3 and 4 held a fingerprint of the ballot, which let
         * a retry test a guessed ballot; it cannot be turned into the new form without linking the
         * code to its ballot, so it is forgotten: a retry of a submission cast before the upgrade
         * is answered code_spent, whatever its ballot. */
        "UPDATE codes SET tag = NULL WHERE spent = 1 AND tag IS NOT NULL;",

        /* 5 -> 6: ballots cast from home with the voter code alone on pbvote's own page (issue 12,
         * docs/pages.md), counted apart from the kiosks' */
        "INSERT INTO counts(name, n) VALUES ('channel.web', 0);",

        /* 6 -> 7: votes of several contests (issue 14, docs/ballot-box.md "Contests"): a voter code
         * is issued for a set of contests (a bitmap of their indexes in the manifest, NULL: every
         * contest, which is what every code of a one-contest vote is), and a kiosk or officer token
         * may be restricted to some contests (NULL: all).  Counters of ballots by contest are added
         * when such a vote opens.  The tokens table is rebuilt for its role CHECK to take the
         * officer, who enters paper ballots over the API. */
        ("ALTER TABLE codes ADD COLUMN contests BLOB CHECK (contests IS NULL OR length(contests) BETWEEN 1 "
         "AND 32);"
         "CREATE TABLE tokens_v7(hash BLOB PRIMARY KEY, role TEXT NOT NULL CHECK (role IN "
         "('admin','kiosk','auditor','officer')),"
         " label TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),"
         " device INTEGER NOT NULL DEFAULT 0 CHECK (device IN (0, 1)),"
         " locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),"
         " contests BLOB CHECK (contests IS NULL OR length(contests) BETWEEN 1 AND 32)) WITHOUT ROWID;"
         "INSERT INTO tokens_v7(hash, role, label, revoked, device, locked)"
         " SELECT hash, role, label, revoked, device, locked FROM tokens;"
         "DROP TABLE tokens;"
         "ALTER TABLE tokens_v7 RENAME TO tokens;"),

        /* 7 -> 8: voter codes of letters and digits only (issue 13, DESIGN.md §5.4): codes issued from
         * now on carry a check symbol of the same 32 symbols.  The codes issued before carry the
         * mod-37 check, which may be one of *~$=U; they are only stored hashed, so the box records
         * how many there are, and reads such a code with its own check for as long as it has any
         * (docs/integrity.md, departure 14).  A box made now has none. */
        "INSERT INTO counts(name, n) SELECT 'codes_legacy', n FROM counts WHERE name = 'codes_issued';",
};

pb_err box_sqlite_err(struct pb_box *b, int rc, struct pb_diag *d)
{
        if (((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR) && b && b->db) {
                /* out of file descriptors is the process's limit, not damage: say so (issue 11) */
                int e = sqlite3_system_errno(b->db);
                if (e == EMFILE || e == ENFILE)
                        return pb_diag_set(d, PB_ERR_BUSY, "database",
                                           "too many open files (the process's open-file limit)");
        }
        switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return pb_diag_set(d, PB_ERR_BUSY, "database", "the database is locked; try again");
        case SQLITE_NOMEM: return pb_diag_set(d, PB_ERR_NOMEM, "database", "out of memory");
        case SQLITE_FULL: return pb_diag_set(d, PB_ERR_STORAGE, "database", "the disk is full");
        case SQLITE_IOERR: return pb_diag_set(d, PB_ERR_STORAGE, "database", "input/output error");
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: return pb_diag_set(d, PB_ERR_STORAGE, "database", "the database file is damaged");
        case SQLITE_READONLY: return pb_diag_set(d, PB_ERR_STORAGE, "database", "the database is read-only");
        case SQLITE_CANTOPEN: return pb_diag_set(d, PB_ERR_STORAGE, "database", "cannot open the database");
        case SQLITE_CONSTRAINT: return pb_diag_set(d, PB_ERR_INTERNAL, "database", "a constraint failed");
        default: return pb_diag_set(d, PB_ERR_STORAGE, "database", "database error");
        }
}

sqlite3_stmt *box_stmt(struct pb_box *b, enum box_stmt s)
{
        if (!b->st[s]) {
                if (sqlite3_prepare_v3(b->db, stmt_sql[s], -1, SQLITE_PREPARE_PERSISTENT, &b->st[s], NULL) !=
                    SQLITE_OK)
                        return NULL;
        } else {
                sqlite3_reset(b->st[s]);
                sqlite3_clear_bindings(b->st[s]);
        }
        return b->st[s];
}

pb_err box_exec_stmt(struct pb_box *b, sqlite3_stmt *st, struct pb_diag *d)
{
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return box_sqlite_err(b, rc, d);
        return PB_OK;
}

static pb_err exec_sql(struct pb_box *b, const char *sql, struct pb_diag *d)
{
        int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? PB_OK : box_sqlite_err(b, rc, d);
}

/* BEGIN IMMEDIATE takes the write lock at once: a writer never has to upgrade a read lock (which
 * can deadlock).  busy_timeout waits up to 5 s inside SQLite; on top of that we retry a few times
 * so that a burst of admin commands does not fail the cast path. */
pb_err box_begin(struct pb_box *b, struct pb_diag *d)
{
        int rc = SQLITE_BUSY;
        pb_err r;

        for (int attempt = 0; attempt < 3 && (rc & 0xff) == SQLITE_BUSY; attempt++)
                rc = sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return box_sqlite_err(b, rc, d);
        r = box_sync(b, d);
        if (r < 0)
                box_rollback(b);
        return r;
}

pb_err box_begin_read(struct pb_box *b, struct pb_diag *d)
{
        pb_err r = exec_sql(b, "BEGIN", d);

        if (r == PB_OK)
                r = box_sync(b, d);
        if (r < 0)
                box_rollback(b);
        return r;
}

pb_err box_begin_scan(struct pb_box *b, struct pb_diag *d)
{
        pb_err r;

        box_cache_for_scan(b, true); /* every page is read once */
        r = box_begin_read(b, d);
        if (r < 0)
                box_cache_for_scan(b, false);
        return r;
}

void box_end_scan(struct pb_box *b)
{
        box_rollback(b);
        box_cache_for_scan(b, false);
}

pb_err box_need_tallied(struct pb_box *b, const char *why, struct pb_diag *d)
{
        enum pb_box_state s;
        pb_err r = box_get_state(b, &s, d);

        if (r == PB_OK && s != PB_BOX_TALLIED && s != PB_BOX_CERTIFIED)
                r = pb_diag_set(d, PB_ERR_STATE, "state", why);
        return r;
}

pb_err box_begin_read_stmt(struct pb_box *b, enum box_stmt s, sqlite3_stmt **ret, struct pb_diag *d)
{
        pb_err r = box_begin_read(b, d);

        if (r < 0)
                return r;
        *ret = box_stmt(b, s);
        if (*ret)
                return PB_OK;
        r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
        box_rollback(b);
        return r;
}

/*
 * PRAGMA data_version is per connection and changes only when another connection commits (this
 * one's own commits leave it alone), so an unchanged value proves that nothing cached here is
 * stale.  Read inside the transaction, it describes the snapshot the transaction reads: a commit
 * by another process after this point is seen at the next transaction, never half-way.  It costs
 * one step of a prepared statement per transaction (docs/ballot-box.md, "Threads and processes").
 */
pb_err box_sync(struct pb_box *b, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_DATA_VERSION);
        sqlite3_int64 v;
        bool changed;
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return box_sqlite_err(b, rc, d);
        }
        v = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        changed = b->data_version_known && v != b->data_version;
        /* nothing is cached before the manifest is loaded (create, open); a failed reload leaves
         * the old version, so the next transaction tries again */
        if (changed && b->manifest) {
                pb_err r = box_reload(b, d);
                if (r < 0)
                        return r;
        }
        b->data_version = v;
        b->data_version_known = true;
        return PB_OK;
}

static void box_wal_restart(struct pb_box *b);

pb_err box_end_log_write(struct pb_box *b, pb_err r, struct pb_diag *d)
{
        if (r == PB_OK)
                r = box_commit(b, d);
        else
                box_rollback(b);
        if (r == PB_OK)
                box_wal_truncate(b);
        if (r == PB_ERR_INTERNAL)
                box_alarm(b);
        return r;
}

pb_err box_commit(struct pb_box *b, struct pb_diag *d)
{
        int rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);

        if (rc != SQLITE_OK) {
                pb_err r = box_sqlite_err(b, rc, d);
                box_rollback(b);
                return r;
        }
        if (b->wal_frames >= BOX_WAL_MAX_FRAMES) {
                if (b->wal_small_cast)
                        box_wal_truncate(b);
                else
                        box_wal_restart(b);
        }
        return PB_OK;
}

/* wal_checkpoint(RESTART): copy the WAL into the database and start writing it again from its
 * first frame, over the old ones, without shrinking the file.  Only when every frame in it is of
 * transactions of batch_min ballots or more (docs/ballot-box.md, "Unlinkability"): overwriting
 * in place makes each commit's fdatasync about half as slow as appending to an emptied file. */
static void box_wal_restart(struct pb_box *b)
{
        if (sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL) == SQLITE_OK)
                b->wal_frames = 0;
}

void box_cache_for_scan(struct pb_box *b, bool scanning)
{
        /* casting touches random pages of codes and ballots: up to 64 MiB of them (allocated as
         * used), where SQLite's 2 MiB default re-read most from the OS.  A full scan (the check at
         * open, tally, export, pb_box_check) reads each page once: the default, and the big cache's
         * pages are freed, else the scan alone grows the process by 64 MiB */
        (void)sqlite3_exec(b->db, scanning ? "PRAGMA cache_size = -2000" : "PRAGMA cache_size = -65536", NULL,
                           NULL, NULL);
}

void box_wal_truncate(struct pb_box *b)
{
        if (sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK) {
                b->wal_frames = 0;
                b->wal_small_cast = false;
        }
}

/* Called by SQLite after each commit with the WAL's frame count.  Installing it turns SQLite's
 * automatic checkpoint off: box_commit() and the flushes truncate the WAL instead. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
        struct pb_box *b = ctx;

        (void)db;
        (void)name;
        b->wal_frames = frames;
        return SQLITE_OK;
}

void box_rollback(struct pb_box *b)
{
        if (!sqlite3_get_autocommit(b->db))
                sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        b->frontier_valid = false;
}

pb_err box_get_state(struct pb_box *b, enum pb_box_state *ret, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_GET_STATE);
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const char *s = (const char *)sqlite3_column_text(st, 0);
                for (int i = 0; s && i < PB_BOX_STATE_COUNT; i++)
                        if (!strcmp(s, pb_box_state_name((enum pb_box_state)i))) {
                                *ret = (enum pb_box_state)i;
                                sqlite3_reset(st);
                                return PB_OK;
                        }
                sqlite3_reset(st);
                return pb_diag_set(d, PB_ERR_INTERNAL, "database", "unknown election state");
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? pb_diag_set(d, PB_ERR_INTERNAL, "database", "no election row")
                                 : box_sqlite_err(b, rc, d);
}

pb_err box_set_state(struct pb_box *b, enum pb_box_state s, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_SET_STATE);

        if (st)
                sqlite3_bind_text(st, 1, pb_box_state_name(s), -1, SQLITE_STATIC);
        return box_exec_stmt(b, st, d);
}

pb_err box_get_count(struct pb_box *b, const char *name, uint64_t *ret, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_GET_COUNT);
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = (uint64_t)sqlite3_column_int64(st, 0);
                sqlite3_reset(st);
                return PB_OK;
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? pb_diag_set(d, PB_ERR_INTERNAL, "database", "missing counter")
                                 : box_sqlite_err(b, rc, d);
}

pb_err box_add_count(struct pb_box *b, const char *name, int64_t delta, struct pb_diag *d)
{
        sqlite3_stmt *st;
        pb_err r;

        if (delta == 0)
                return PB_OK;
        st = box_stmt(b, ST_ADD_COUNT);
        if (st) {
                sqlite3_bind_int64(st, 1, delta);
                sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        }
        r = box_exec_stmt(b, st, d);
        if (r == PB_OK && sqlite3_changes(b->db) != 1)
                return pb_diag_set(d, PB_ERR_INTERNAL, "database", "missing counter");
        return r;
}

pb_err box_get_doc(struct pb_box *b, int col, struct pb_buf *out, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_GET_DOC);
        pb_err r;
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return box_sqlite_err(b, rc, d);
        }
        if (sqlite3_column_type(st, col) == SQLITE_NULL) {
                sqlite3_reset(st);
                return PB_ERR_NOT_FOUND;
        }
        {
                const void *p = sqlite3_column_blob(st, col);
                int n = sqlite3_column_bytes(st, col);
                r = pb_buf_add(out, p ? p : "", (size_t)n);
        }
        sqlite3_reset(st);
        return r;
}

pb_err box_set_blob(struct pb_box *b, enum box_stmt s, const void *p, size_t len, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, s);

        if (st)
                sqlite3_bind_blob64(st, 1, p, len, SQLITE_STATIC);
        return box_exec_stmt(b, st, d);
}

void box_sync_folder(const char *path)
{
        char copy[4096];
        int fd;

        if (strlen(path) >= sizeof(copy))
                return;
        memcpy(copy, path, strlen(path) + 1);
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
        }
}

/*
 * pbv_contests_fit(allowed, fit): may a submission whose contests and non-skippable contests are
 * @fit (pb_box_prepared.fit: two sets of equal length) spend a code for the contests @allowed (NULL:
 * every contest)?  A NULL @fit (a vote of one contest) always fits.  The cast's UPDATE asks it, so
 * that a submission refused for its contests never spends its code (box_cast.c).
 */
static void contests_fit_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        const uint8_t *allowed = sqlite3_value_blob(argv[0]), *fit = sqlite3_value_blob(argv[1]);
        int alen = sqlite3_value_bytes(argv[0]), flen = sqlite3_value_bytes(argv[1]);

        (void)argc;
        if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
                sqlite3_result_int(ctx, 1);
                return;
        }
        if (flen <= 0 || flen % 2) {
                sqlite3_result_int(ctx, 0);
                return;
        }
        if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
                allowed = NULL;
        sqlite3_result_int(ctx, box_contests_fit(allowed, alen > 0 ? (size_t)alen : 0, fit, (size_t)flen / 2,
                                                 NULL) == BOX_FIT_OK);
}

static const char *test_vfs; /* box_test_set_vfs: a test's power-loss shim, else NULL */

void box_test_set_vfs(const char *name)
{
        test_vfs = name;
}

const char *box_vfs(void)
{
        return test_vfs;
}

pb_err box_db_open(struct pb_box *b, const char *path, bool create, struct pb_diag *d)
{
        /* verifiability.md §9.1; journal_mode=WAL is persistent and set at creation */
        static const char pragmas[] = "PRAGMA synchronous = FULL;"
                                      "PRAGMA busy_timeout = 5000;"
                                      "PRAGMA foreign_keys = ON;"
                                      "PRAGMA secure_delete = ON;"
                                      "PRAGMA trusted_schema = OFF;"
                                      "PRAGMA cell_size_check = ON;"
                                      /* a transaction's pages reach the WAL only at COMMIT, all
                                       * together in page order (docs/ballot-box.md, Unlinkability) */
                                      "PRAGMA cache_spill = OFF;";
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
        struct stat st;
        pb_err r;
        int rc;

        if (create) {
                /* the ballots of an open election: the owner's only (issue 11: a box made 0644 let
                 * any local user read them).  SQLite gives the -wal and -shm files the mode of the
                 * database file, so the empty file is made here, 0600, and SQLite fills it */
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && (errno == EMFILE || errno == ENFILE))
                        return pb_diag_set(d, PB_ERR_BUSY, NULL,
                                           "too many open files (the process's open-file limit)");
                if (fd < 0)
                        return errno == EEXIST
                                       ? pb_diag_set(d, PB_ERR_CONFLICT, NULL,
                                                     "the database file exists already")
                                       : pb_diag_set(d, PB_ERR_IO, NULL, "cannot create the database file");
                close(fd);
                b->created = true; /* from here on a failed create removes the files */
        } else if (stat(path, &st) != 0) {
                return pb_diag_set(d, PB_ERR_NOT_FOUND, NULL, "no such database file");
        }
        rc = sqlite3_open_v2(path, &b->db, flags, test_vfs);
        if (rc != SQLITE_OK)
                return box_sqlite_err(b, rc, d);
        sqlite3_extended_result_codes(b->db, 1);
        rc = sqlite3_create_function_v2(b->db, "pbv_contests_fit", 2,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                        contests_fit_fn, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return box_sqlite_err(b, rc, d);
        sqlite3_db_config(b->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(b->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        r = exec_sql(b, pragmas, d);
        if (r < 0)
                return r;
        if (create) {
                char buf[64];
                r = exec_sql(b, "PRAGMA journal_mode = WAL", d);
                if (r == PB_OK) {
                        snprintf(buf, sizeof(buf), "PRAGMA application_id = %d", PB_BOX_APPLICATION_ID);
                        r = exec_sql(b, buf, d);
                }
                if (r < 0)
                        return r;
        } else {
                sqlite3_stmt *q = NULL;
                rc = sqlite3_prepare_v2(b->db, "PRAGMA application_id", -1, &q, NULL);
                if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
                    sqlite3_column_int(q, 0) != PB_BOX_APPLICATION_ID) {
                        sqlite3_finalize(q);
                        return pb_diag_set(d, PB_ERR_UNSUPPORTED, NULL, "not a pbvote ballot box");
                }
                sqlite3_finalize(q);
                if (rc != SQLITE_OK)
                        return box_sqlite_err(b, rc, d);
                /* a cheap structural check at every start (full integrity_check in pb_box_check),
                 * with SQLite's default cache: the 64 MiB one is set after it */
                rc = sqlite3_prepare_v2(b->db, "PRAGMA quick_check", -1, &q, NULL);
                if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
                        const char *s = (const char *)sqlite3_column_text(q, 0);
                        if (!s || strcmp(s, "ok")) {
                                sqlite3_finalize(q);
                                return pb_diag_set(d, PB_ERR_STORAGE, NULL,
                                                   "quick_check: the database is damaged");
                        }
                }
                sqlite3_finalize(q);
                if (rc != SQLITE_OK)
                        return box_sqlite_err(b, rc, d);
        }
        {
                /* keep the WAL file between connections: no file creation during voting */
                int persist = 1;
                sqlite3_file_control(b->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        }
        /* what an earlier process left in the WAL is unknown: the first flush truncates it */
        b->wal_small_cast = true;
        sqlite3_wal_hook(b->db, wal_hook, b);
        box_cache_for_scan(b, false); /* the check above ran with SQLite's small default */
        if (create)
                box_sync_folder(path);
        return PB_OK;
}

pb_err box_db_migrate(struct pb_box *b, struct pb_diag *d)
{
        sqlite3_stmt *q = NULL;
        int version = -1;
        char buf[64];
        pb_err r;

        r = box_begin(b, d);
        if (r < 0)
                return r;
        if (sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
                version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (version < 0) {
                r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
                goto fail;
        }
        if (version > PB_BOX_SCHEMA_VERSION) {
                r = pb_diag_set(d, PB_ERR_UNSUPPORTED, NULL, "the ballot box was written by a newer pbvote");
                goto fail;
        }
        for (int v = version; v < PB_BOX_SCHEMA_VERSION; v++) {
                r = exec_sql(b, migrations[v], d);
                if (r < 0)
                        goto fail;
        }
        if (version != PB_BOX_SCHEMA_VERSION) {
                snprintf(buf, sizeof(buf), "PRAGMA user_version = %d", PB_BOX_SCHEMA_VERSION);
                r = exec_sql(b, buf, d);
                if (r < 0)
                        goto fail;
        }
        return box_commit(b, d);
fail:
        box_rollback(b);
        return r;
}
