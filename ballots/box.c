/** @file The ballot box: creation, opening and recovery, keys, the election's states. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ballots/box_int.h"
#include "ballots/pb_docs.h"
#include "engine/pb_alloc.h"
#include "engine/pb_seal.h"
#include "engine/pb_utc.h"

static const char *const role_names[PB_ROLE_COUNT] = { "admin", "kiosk", "auditor", "officer" };

const char *pb_role_name(enum pb_role r)
{
        return (unsigned)r < PB_ROLE_COUNT ? role_names[r] : "?";
}

pb_err pb_role_parse(const char *s, enum pb_role *ret)
{
        for (int i = 0; i < PB_ROLE_COUNT; i++)
                if (!strcmp(s, role_names[i])) {
                        *ret = (enum pb_role)i;
                        return PB_OK;
                }
        return PB_ERR_NOT_FOUND;
}

pb_err box_need_engine(struct pb_box *b, struct pb_diag *d)
{
        return b->engine ? PB_OK : pb_diag_set(d, PB_ERR_AUTH, "key", "this needs the engine key");
}

void pb_box_free(struct pb_box *b)
{
        if (!b)
                return;
        for (int i = 0; i < ST_COUNT; i++)
                sqlite3_finalize(b->st[i]);
        sqlite3_close(b->db);
        pb_manifest_free(b->manifest);
        sodium_free(b->pepper);
        sodium_free(b->retry_key);
        pb_free(b);
}

/* Parse the stored manifest @text (whose SHA-256 is @sha256) into b->manifest. */
static pb_err use_manifest(struct pb_box *b, const struct pb_buf *text, const uint8_t sha256[PB_SHA256_BYTES],
                           struct pb_diag *d)
{
        struct pb_manifest *m = NULL;
        pb_err r = pb_manifest_parse(text->data, text->len, &m, d);

        if (r < 0)
                return r == PB_ERR_NOMEM ? r
                                         : pb_diag_set(d, PB_ERR_INTERNAL, "manifest",
                                                       "the stored manifest does not parse");
        pb_manifest_free(b->manifest);
        b->manifest = m;
        memcpy(b->manifest_sha256, sha256, sizeof(b->manifest_sha256));
        b->prep_gen++;
        return PB_OK;
}

/* Parse the stored manifest into b->manifest (again: open changes the parsed copy in place). */
static pb_err load_manifest(struct pb_box *b, struct pb_diag *d)
{
        uint8_t sha256[PB_SHA256_BYTES];
        struct pb_buf text;
        pb_err r;

        pb_buf_init(&text, 0);
        r = box_get_doc(b, DOC_MANIFEST, &text, d);
        if (r == PB_OK) {
                crypto_hash_sha256(sha256, (const uint8_t *)text.data, text.len);
                r = use_manifest(b, &text, sha256, d);
        }
        pb_buf_release(&text);
        return r;
}

static pb_err store_manifest(struct pb_box *b, const struct pb_manifest *m, struct pb_diag *d)
{
        struct pb_buf text;
        pb_err r;

        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        r = pb_manifest_format(m, &text);
        if (r == PB_OK)
                r = box_set_blob(b, ST_SET_MANIFEST, text.data, text.len, d);
        pb_buf_release(&text);
        return r;
}

void pb_box_remove(const char *path)
{
        static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
        char name[4200];

        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
                (void)unlink(name);
        }
}

/* Build the box for @m in the new file @path (the manifest stored, WAL mode, the schema), then
 * empty its WAL into it, synced, and close it. */
static pb_err create_at(const char *path, const struct pb_manifest *m, bool *made, struct pb_diag *reterr)
{
        struct pb_box *b = pb_calloc(1, sizeof(*b));
        sqlite3_stmt *st = NULL;
        struct pb_buf text;
        int log = -1, done = -1, rc;
        pb_err r;

        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        if (!b)
                return PB_ERR_NOMEM;
        r = box_db_open(b, path, true, reterr);
        *made = b->created;
        if (r == PB_OK)
                r = box_db_migrate(b, reterr);
        if (r == PB_OK)
                r = pb_manifest_format(m, &text);
        if (r == PB_OK)
                r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        if (sqlite3_prepare_v2(b->db, "INSERT INTO election(id, state, manifest) VALUES (1, 'draft', ?)", -1,
                               &st, NULL) != SQLITE_OK) {
                r = box_sqlite_err(b, sqlite3_errcode(b->db), reterr);
                box_rollback(b);
                goto out;
        }
        sqlite3_bind_blob64(st, 1, text.data, text.len, SQLITE_STATIC);
        r = box_exec_stmt(b, st, reterr);
        sqlite3_finalize(st);
        if (r == PB_OK)
                r = box_commit(b, reterr);
        else
                box_rollback(b);
        if (r < 0)
                goto out;
        /* everything into the database file, synced (synchronous = FULL), the WAL emptied: the file
         * alone is the box once it has its name */
        rc = sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
        if (rc != SQLITE_OK)
                r = box_sqlite_err(b, rc, reterr);
        else if (log != 0 || done != 0)
                r = pb_diag_set(reterr, PB_ERR_BUSY, "database", "the new box's log could not be emptied");
out:
        pb_buf_release(&text);
        pb_box_free(b);
        return r;
}

pb_err pb_box_create(const char *path, const struct pb_manifest *m, struct pb_box **ret,
                     struct pb_diag *reterr)
{
        char tmp[4200], copy[4096], *slash;
        uint8_t rnd[6];
        bool made = false;
        pb_err r;

        /*
         * The box is made under a temporary name beside @path (a dot file, which a server's data
         * folder ignores) and given its name by link(), atomically, once complete and synced
         * (issue 16): a power loss while creating left a half-made file at @path that did not open
         * as a box, stopped the same creation being made again ("exists already") and made the
         * election unavailable on the server.  link() refuses an existing @path, as O_EXCL did.
         */
        if (access(path, F_OK) == 0)
                return pb_diag_set(reterr, PB_ERR_CONFLICT, NULL, "the database file exists already");
        if (strlen(path) >= sizeof(copy))
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "path too long");
        memcpy(copy, path, strlen(path) + 1);
        slash = strrchr(copy, '/');
        randombytes_buf(rnd, sizeof(rnd));
        if (slash) {
                *slash = '\0';
                snprintf(tmp, sizeof(tmp), "%s/.%s.new-%02x%02x%02x%02x%02x%02x", copy, slash + 1, rnd[0],
                         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        } else {
                snprintf(tmp, sizeof(tmp), ".%s.new-%02x%02x%02x%02x%02x%02x", copy, rnd[0], rnd[1], rnd[2],
                         rnd[3], rnd[4], rnd[5]);
        }
        r = create_at(tmp, m, &made, reterr);
        if (r == PB_OK && link(tmp, path) != 0)
                r = errno == EEXIST
                            ? pb_diag_set(reterr, PB_ERR_CONFLICT, NULL, "the database file exists already")
                            : pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot create the database file");
        if (made)
                pb_box_remove(tmp); /* the box is at @path now, or nowhere */
        if (r < 0)
                return r;
        box_sync_folder(path);
        r = pb_box_open(path, ret, reterr);
        if (r < 0)
                pb_box_remove(path); /* ours, made a moment ago: nothing was acknowledged on it */
        return r;
}

pb_err pb_box_open(const char *path, struct pb_box **ret, struct pb_diag *reterr)
{
        struct pb_box *b = pb_calloc(1, sizeof(*b));
        pb_err r;

        if (!b)
                return PB_ERR_NOMEM;
        r = box_db_open(b, path, false, reterr);
        if (r == PB_OK)
                r = box_db_migrate(b, reterr);
        if (r == PB_OK)
                r = box_begin_read(b, reterr);
        if (r == PB_OK) {
                r = load_manifest(b, reterr);
                /* recovery (verifiability.md §9.2): the stored tree, the leaf count and the latest
                 * checkpoint must agree; a commit covers all three at once, so any disagreement is
                 * damage or tampering, and the box refuses to run on it */
                if (r == PB_OK)
                        r = box_log_load(b, reterr);
                if (r == PB_OK)
                        r = box_log_invariants(b, reterr);
                box_rollback(b);
        }
        if (r == PB_OK) {
                *ret = b;
                b = NULL;
        }
        pb_box_free(b);
        return r;
}

const struct pb_manifest *pb_box_manifest(const struct pb_box *b)
{
        return b->manifest;
}

pb_err pb_box_state(struct pb_box *b, enum pb_box_state *ret)
{
        /* in a read transaction, so that what another process changed is taken in first and
         * pb_box_manifest() afterwards agrees with the state */
        pb_err r = box_begin_read(b, NULL);

        if (r < 0)
                return r;
        r = box_get_state(b, ret, NULL);
        box_rollback(b);
        return r;
}

/* Read the retry key and the legacy flags into @b (inside a transaction).  *ret_open: the election
 * is open; *ret_changed: any of them differs from what @b held. */
static pb_err retry_read(struct pb_box *b, bool *ret_open, bool *ret_changed, struct pb_diag *d)
{
        uint8_t key[BOX_RETRY_KEY_BYTES];
        sqlite3_stmt *st = box_stmt(b, ST_RETRY_GET);
        bool open = false, legacy = false, has = false, legacy_codes = false, changed;
        pb_err r = PB_OK;
        int rc;

        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const char *state = (const char *)sqlite3_column_text(st, 1);
                open = state && !strcmp(state, "open");
                legacy = sqlite3_column_int(st, 2) != 0;
                legacy_codes = sqlite3_column_int64(st, 3) > 0;
                has = sqlite3_column_bytes(st, 0) == BOX_RETRY_KEY_BYTES;
                if (has)
                        memcpy(key, sqlite3_column_blob(st, 0), BOX_RETRY_KEY_BYTES);
                rc = SQLITE_OK;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_OK)
                return box_sqlite_err(b, rc, d);
        changed = legacy != b->legacy_idem || legacy_codes != b->legacy_codes ||
                  has != (b->retry_key != NULL) ||
                  (has && sodium_memcmp(key, b->retry_key, BOX_RETRY_KEY_BYTES) != 0);
        if (has && !b->retry_key && !(b->retry_key = sodium_malloc(BOX_RETRY_KEY_BYTES)))
                r = PB_ERR_NOMEM;
        else if (has)
                memcpy(b->retry_key, key, BOX_RETRY_KEY_BYTES);
        if (!has) {
                sodium_free(b->retry_key);
                b->retry_key = NULL;
        }
        sodium_memzero(key, sizeof(key));
        b->legacy_idem = legacy;
        b->legacy_codes = legacy_codes;
        *ret_open = open;
        *ret_changed = changed;
        return r;
}

pb_err box_retry_key_load(struct pb_box *b, struct pb_diag *d)
{
        uint8_t fresh[BOX_RETRY_KEY_BYTES];
        bool open = false, changed;
        pb_err r;

        if (b->retry_loaded)
                return PB_OK;
        r = box_begin(b, d);
        if (r < 0)
                return r;
        r = retry_read(b, &open, &changed, d);
        if (r == PB_OK && !b->retry_key && open) {
                /* the first cast of the election: the key lives in the database until close */
                randombytes_buf(fresh, sizeof(fresh));
                r = box_set_blob(b, ST_RETRY_SET, fresh, sizeof(fresh), d);
                if (r == PB_OK && sqlite3_changes(b->db) == 1) {
                        b->retry_key = sodium_malloc(BOX_RETRY_KEY_BYTES);
                        if (b->retry_key)
                                memcpy(b->retry_key, fresh, sizeof(fresh));
                }
                sodium_memzero(fresh, sizeof(fresh));
        }
        if (r == PB_OK)
                r = box_commit(b, d);
        else
                box_rollback(b);
        if (r < 0) {
                sodium_free(b->retry_key);
                b->retry_key = NULL;
                return r;
        }
        b->prep_gen++; /* the key, or the legacy flag, may be new */
        if (open && !b->retry_key)
                return PB_ERR_NOMEM; /* sodium_malloc failed */
        /* before the election opens there is no key yet: look again at the next cast */
        b->retry_loaded = b->retry_key != NULL;
        return PB_OK;
}

pb_err box_reload(struct pb_box *b, struct pb_diag *d)
{
        uint8_t sha256[PB_SHA256_BYTES];
        struct pb_buf text;
        bool open, changed = false;
        pb_err r;

        /* the log's frontier is read again at its next use; the WAL may now hold another
         * process's small cast (docs/ballot-box.md, "Unlinkability") */
        b->frontier_valid = false;
        b->wal_small_cast = true;
        pb_buf_init(&text, 0);
        r = box_get_doc(b, DOC_MANIFEST, &text, d);
        if (r == PB_OK) {
                crypto_hash_sha256(sha256, (const uint8_t *)text.data, text.len);
                /* open adds the keys, or a draft was replaced: parse only what changed */
                if (memcmp(sha256, b->manifest_sha256, sizeof(sha256)))
                        r = use_manifest(b, &text, sha256, d);
        }
        pb_buf_release(&text);
        if (r == PB_OK)
                r = retry_read(b, &open, &changed, d);
        if (r == PB_OK && changed)
                b->prep_gen++;
        /* without a key, the next cast looks again (and makes one once the election is open) */
        b->retry_loaded = r == PB_OK && b->retry_key != NULL;
        return r;
}

pb_err box_retry_forget(struct pb_box *b, struct pb_diag *d)
{
        pb_err r = box_exec_stmt(b, box_stmt(b, ST_RETRY_FORGET), d);

        if (r == PB_OK)
                r = box_exec_stmt(b, box_stmt(b, ST_TAGS_CLEAR), d);
        if (r == PB_OK)
                r = box_exec_stmt(b, box_stmt(b, ST_IDEM_CLEAR), d);
        sodium_free(b->retry_key);
        b->retry_key = NULL;
        b->retry_loaded = false;
        b->legacy_idem = false;
        b->prep_gen++;
        return r;
}

/* The code pepper: BLAKE2b-256 keyed with the engine key's seed, personalised, over the election id.
 * Nothing stores it; whoever holds the engine key can recompute it (docs/ballot-box.md). */
static pb_err derive_pepper(struct pb_box *b, const struct pb_key_secret *key)
{
        static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] = "pbv-code-pepper1";
        const char *id = b->manifest->election->id;

        if (!b->pepper) {
                b->pepper = sodium_malloc(PB_CODE_KEY_BYTES);
                if (!b->pepper)
                        return PB_ERR_NOMEM;
        }
        b->prep_gen++;
        crypto_generichash_blake2b_salt_personal(b->pepper, PB_CODE_KEY_BYTES, (const unsigned char *)id,
                                                 strlen(id), key->sk, PB_KEY_SEED_BYTES, NULL, personal);
        return PB_OK;
}

pb_err pb_box_set_engine_key(struct pb_box *b, const struct pb_key_secret *key, struct pb_diag *reterr)
{
        struct pb_buf bound, mine;
        pb_err r;

        pb_buf_init(&bound, 4096);
        pb_buf_init(&mine, 4096);
        r = pb_key_vkey_format(&key->pub, &mine);
        if (r < 0)
                goto out;
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        r = box_get_doc(b, DOC_ENGINE_VKEY, &bound, reterr);
        if (r == PB_ERR_NOT_FOUND) {
                r = box_set_blob(b, ST_SET_ENGINE_VKEY, mine.data, mine.len, reterr);
                if (r == PB_OK)
                        r = box_commit(b, reterr);
                else
                        box_rollback(b);
        } else {
                box_rollback(b);
                if (r == PB_OK && (bound.len != mine.len || memcmp(bound.data, mine.data, mine.len)))
                        r = pb_diag_set(reterr, PB_ERR_FORBIDDEN, "key",
                                        "this election is bound to another engine key");
        }
        if (r == PB_OK)
                r = derive_pepper(b, key);
        if (r == PB_OK)
                b->engine = key;
out:
        pb_buf_release(&bound);
        pb_buf_release(&mine);
        return r;
}

/* Once codes (or kiosk tokens for some contests) exist, a draft's contests are fixed: their sets
 * are indexes into them (docs/ballot-box.md, "Contests").  Projects, budgets and rules may change. */
static pb_err same_contests_for_codes(struct pb_box *b, const struct pb_manifest *m, struct pb_diag *d)
{
        const struct pb_manifest *old = b->manifest;
        sqlite3_stmt *st = box_stmt(b, ST_CODES_ANY);
        bool same = old->has_contests == m->has_contests && old->n_contests == m->n_contests;
        int rc;

        for (size_t i = 0; same && i < m->n_contests; i++)
                same = !strcmp(old->contests[i].election->id, m->contests[i].election->id);
        if (same)
                return PB_OK;
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        rc = sqlite3_step(st);
        same = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
                return box_sqlite_err(b, rc, d);
        return same ? PB_OK
                    : pb_diag_set(d, PB_ERR_STATE, "$.contests",
                                  "voter codes (or kiosk tokens) were issued for this draft's contests: "
                                  "they can no longer change (the projects, budgets and rules can)");
}

pb_err pb_box_set_manifest(struct pb_box *b, const struct pb_manifest *m, struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r = box_begin(b, reterr);

        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_DRAFT)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "the manifest can change only in draft");
        if (r == PB_OK && strcmp(m->election->id, b->manifest->election->id))
                r = pb_diag_set(reterr, PB_ERR_INVALID, "$.id", "the election id cannot change");
        if (r == PB_OK)
                r = same_contests_for_codes(b, m, reterr);
        if (r == PB_OK)
                r = store_manifest(b, m, reterr);
        if (r == PB_OK)
                r = box_commit(b, reterr);
        else
                box_rollback(b);
        if (r == PB_OK)
                r = load_manifest(b, reterr);
        return r;
}

pb_err pb_box_delete(struct pb_box *b, const char *path, struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r = box_begin(b, reterr);

        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_DRAFT)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "only a draft can be deleted");
        /* removed under the write lock: nobody opens or changes the election in between */
        if (r == PB_OK)
                pb_box_remove(path);
        box_rollback(b);
        return r;
}

void box_alarm(struct pb_box *b)
{
        box_rollback(b);
        if (box_begin(b, NULL) == PB_OK) {
                enum pb_box_state s;
                bool suspend = box_get_state(b, &s, NULL) == PB_OK && s == PB_BOX_OPEN &&
                               box_set_state(b, PB_BOX_SUSPENDED, NULL) == PB_OK;
                /* best effort: if even this fails, the caller still gets its PB_ERR_INTERNAL */
                if (!suspend || box_commit(b, NULL) < 0)
                        box_rollback(b);
        }
}

/* The counters of ballots by contest of a vote of the contests form, from 0 (at open: the contests
 * of an open election never change). */
static pb_err add_contest_counters(struct pb_box *b, struct pb_diag *d)
{
        char name[BOX_COUNTER_NAME_MAX];
        pb_err r = PB_OK;

        for (size_t i = 0; r == PB_OK && b->manifest->has_contests && i < b->manifest->n_contests; i++) {
                sqlite3_stmt *st = NULL;
                int rc = sqlite3_prepare_v2(b->db, "INSERT OR IGNORE INTO counts(name, n) VALUES (?, 0)", -1,
                                            &st, NULL);

                if (rc == SQLITE_OK) {
                        sqlite3_bind_text(st, 1, box_contest_counter(i, name), -1, SQLITE_TRANSIENT);
                        rc = sqlite3_step(st);
                }
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE)
                        r = box_sqlite_err(b, rc, d);
        }
        return r;
}

pb_err pb_box_election_open(struct pb_box *b, const struct pb_key_secret *office, struct pb_diag *reterr)
{
        const struct pb_key_secret *keys[1] = { office };
        struct pb_buf payload, env;
        enum pb_box_state s;
        uint64_t n;
        pb_err r;

        pb_buf_init(&payload, PB_MANIFEST_MAX_BYTES);
        pb_buf_init(&env, 0);
        r = box_need_engine(b, reterr);
        if (r < 0)
                goto out;
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        r = load_manifest(b, reterr); /* the stored draft, whoever wrote it last */
        if (r == PB_OK)
                r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_DRAFT)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", "only a draft election can open");
        /* VVSG 1.1.3-B: voting starts from zero */
        if (r == PB_OK)
                r = box_get_count(b, CNT_CODES_SPENT, &n, reterr);
        if (r == PB_OK && n)
                r = pb_diag_set(reterr, PB_ERR_INTERNAL, "codes", "spent codes exist before opening");
        if (r == PB_OK)
                r = box_get_count(b, CNT_LOGGED, &n, reterr);
        if (r == PB_OK && n)
                r = pb_diag_set(reterr, PB_ERR_INTERNAL, "log", "the ballot log is not empty before opening");
        if (r == PB_OK)
                r = box_get_count(b, CNT_PENDING, &n, reterr);
        if (r == PB_OK && n)
                r = pb_diag_set(reterr, PB_ERR_INTERNAL, "ballots", "ballots exist before opening");
        if (r < 0)
                goto fail;
        b->manifest->has_keys = true;
        b->manifest->engine_key = b->engine->pub;
        b->manifest->office_key = office->pub;
        r = pb_manifest_format(b->manifest, &payload);
        if (r == PB_OK)
                r = pb_seal_sign(PB_SEAL_TYPE_MANIFEST, (const uint8_t *)payload.data, payload.len, keys, 1,
                                 &env, reterr);
        if (r == PB_OK)
                r = box_set_blob(b, ST_SET_MANIFEST, payload.data, payload.len, reterr);
        if (r == PB_OK)
                r = box_set_blob(b, ST_SET_MANIFEST_ENVELOPE, env.data, env.len, reterr);
        if (r == PB_OK)
                r = add_contest_counters(b, reterr);
        if (r == PB_OK)
                r = box_log_load(b, reterr);
        if (r == PB_OK)
                r = box_log_checkpoint(b, reterr); /* the zero checkpoint */
        if (r == PB_OK)
                r = box_set_state(b, PB_BOX_OPEN, reterr);
        if (r < 0)
                goto fail;
        r = box_commit(b, reterr);
        if (r == PB_OK)
                r = load_manifest(b, reterr);
        else if (load_manifest(b, NULL) < 0)
                r = PB_ERR_INTERNAL;
        goto out;
fail:
        box_rollback(b);
        if (load_manifest(b, NULL) < 0 && r != PB_ERR_NOMEM)
                r = PB_ERR_INTERNAL;
out:
        pb_buf_release(&payload);
        pb_buf_release(&env);
        return r;
}

static pb_err transition(struct pb_box *b, enum pb_box_state from, enum pb_box_state to, const char *why,
                         struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r = box_begin(b, reterr);

        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != from)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state", why);
        if (r == PB_OK)
                r = box_set_state(b, to, reterr);
        if (r == PB_OK)
                return box_commit(b, reterr);
        box_rollback(b);
        return r;
}

pb_err pb_box_election_suspend(struct pb_box *b, struct pb_diag *reterr)
{
        return transition(b, PB_BOX_OPEN, PB_BOX_SUSPENDED, "only an open election can be suspended", reterr);
}

pb_err pb_box_election_resume(struct pb_box *b, struct pb_diag *reterr)
{
        return transition(b, PB_BOX_SUSPENDED, PB_BOX_OPEN, "only a suspended election can resume", reterr);
}

const char *box_channel_counter(enum pb_channel c, char buf[BOX_COUNTER_NAME_MAX])
{
        snprintf(buf, BOX_COUNTER_NAME_MAX, "channel.%s", pb_channel_name(c));
        return buf;
}

const char *box_contest_counter(size_t i, char buf[BOX_COUNTER_NAME_MAX])
{
        snprintf(buf, BOX_COUNTER_NAME_MAX, "contest.%zu", i);
        return buf;
}

const char *box_reject_counter(enum pb_reject r, char buf[BOX_COUNTER_NAME_MAX])
{
        snprintf(buf, BOX_COUNTER_NAME_MAX, "rejected.%s", pb_reject_name(r));
        return buf;
}

pb_err box_counts(struct pb_box *b, struct pb_turnout *t, struct pb_diag *d)
{
        char name[BOX_COUNTER_NAME_MAX];
        uint64_t logged = 0;
        pb_err r;

        memset(t, 0, sizeof(*t));
        r = box_get_state(b, &t->state, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_CODES_ISSUED, &t->codes_issued, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_CODES_SPENT, &t->codes_spent, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_PENDING, &t->pending, d);
        if (r == PB_OK)
                r = box_get_count(b, CNT_LOGGED, &logged, d);
        for (int i = 0; r == PB_OK && i < PB_CHANNEL_COUNT; i++)
                r = box_get_count(b, box_channel_counter((enum pb_channel)i, name), &t->by_channel[i], d);
        for (int i = 0; r == PB_OK && i < PB_REJECT_COUNT; i++)
                r = box_get_count(b, box_reject_counter((enum pb_reject)i, name), &t->rejected[i], d);
        /* by contest once open (the counters are made at open; a draft's contests may change) */
        if (b->manifest->has_contests && t->state != PB_BOX_DRAFT) {
                t->n_contests = (uint32_t)b->manifest->n_contests;
                for (uint32_t i = 0; r == PB_OK && i < t->n_contests; i++)
                        r = box_get_count(b, box_contest_counter(i, name), &t->by_contest[i], d);
        }
        t->log_size = logged;
        t->ballots = logged + t->pending;
        return r;
}

pb_err pb_box_turnout(struct pb_box *b, struct pb_turnout *ret, struct pb_diag *reterr)
{
        struct pb_turnout t;
        pb_err r = box_begin_read(b, reterr);

        if (r < 0)
                return r;
        r = box_counts(b, &t, reterr);
        box_rollback(b);
        if (r == PB_OK)
                *ret = t;
        return r;
}

pb_err pb_box_codes_legacy(struct pb_box *b, bool *ret, struct pb_diag *reterr)
{
        uint64_t n = 0;
        pb_err r = box_begin_read(b, reterr);

        if (r < 0)
                return r;
        r = box_get_count(b, CNT_CODES_LEGACY, &n, reterr);
        box_rollback(b);
        if (r == PB_OK)
                *ret = n > 0;
        return r;
}

pb_err pb_box_turnout_kiosks(struct pb_box *b, struct pb_turnout *ret, pb_box_kiosk_fn fn, void *ctx,
                             struct pb_diag *reterr)
{
        struct pb_turnout *t = pb_calloc(1, sizeof(*t));
        sqlite3_stmt *st = NULL;
        pb_err r = t ? box_begin_read(b, reterr) : PB_ERR_NOMEM;
        int rc = SQLITE_DONE;

        if (r < 0) {
                pb_free(t);
                return r;
        }
        r = box_counts(b, t, reterr);
        if (r == PB_OK && !(st = box_stmt(b, ST_KIOSK_COUNTS)))
                if (!st)
                        r = box_sqlite_err(b, sqlite3_errcode(b->db), reterr);
        while (r == PB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *name = (const char *)sqlite3_column_text(st, 0);
                r = fn(ctx, name + strlen(CNT_KIOSK_PREFIX), (uint64_t)sqlite3_column_int64(st, 1));
        }
        if (st)
                sqlite3_reset(st);
        if (r == PB_OK && rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, reterr);
        box_rollback(b);
        if (r == PB_OK)
                *ret = *t;
        pb_free(t);
        return r;
}

/* The close statement's payload (docs/ballot-box.md). */
static pb_err close_payload(struct pb_box *b, const char *closed_at, const struct pb_turnout *t,
                            struct pb_buf *out)
{
        struct pb_doc_close c;

        memset(&c, 0, sizeof(c));
        /* the stored manifest's bytes, which box_docs_check() found to be the signed ones */
        memcpy(c.manifest_sha256, b->manifest_sha256, sizeof(c.manifest_sha256));
        memcpy(c.election, b->manifest->election->id, strlen(b->manifest->election->id) + 1);
        memcpy(c.log.origin, b->manifest->origin, sizeof(c.log.origin));
        box_log_root(b, c.log.root);
        c.log.size = b->frontier_size;
        memcpy(c.closed_at, closed_at, PB_DOC_TIME_LEN + 1);
        c.counts = *t;
        c.manifest = b->manifest;
        return pb_doc_close_format(&c, out);
}

pb_err pb_box_election_close(struct pb_box *b, const char *closed_at, struct pb_diag *reterr)
{
        const struct pb_key_secret *keys[1];
        struct pb_buf payload, env;
        struct pb_turnout t;
        enum pb_box_state s;
        pb_err r;

        pb_buf_init(&payload, 0);
        pb_buf_init(&env, 0);
        if (!pb_utc_is_valid(closed_at))
                return pb_diag_set(reterr, PB_ERR_INVALID, "closed_at",
                                   "expected a real UTC time, YYYY-MM-DDTHH:MM:SSZ");
        r = box_need_engine(b, reterr);
        if (r < 0)
                return r;
        keys[0] = b->engine;
        r = box_begin(b, reterr);
        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_OPEN && s != PB_BOX_SUSPENDED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state",
                                "only an open or suspended election can close");
        /* never sign a close statement over a manifest other than the signed one (issue 11) */
        if (r == PB_OK)
                r = box_docs_check(b, BOX_DOCS_MANIFEST, reterr);
        if (r == PB_OK)
                r = box_log_load(b, reterr);
        if (r == PB_OK)
                r = box_log_flush(b, NULL, 0, reterr); /* the final batch, however small */
        if (r == PB_OK)
                r = box_log_invariants(b, reterr);
        if (r == PB_OK)
                r = box_counts(b, &t, reterr);
        if (r == PB_OK)
                r = close_payload(b, closed_at, &t, &payload);
        if (r == PB_OK)
                r = pb_seal_sign(PB_SEAL_TYPE_CLOSE, (const uint8_t *)payload.data, payload.len, keys, 1,
                                 &env, reterr);
        if (r == PB_OK)
                r = box_set_blob(b, ST_SET_CLOSE, env.data, env.len, reterr);
        /* what lets a retry find its commitment again has no use once nothing more can be cast */
        if (r == PB_OK)
                r = box_retry_forget(b, reterr);
        if (r == PB_OK)
                r = box_set_state(b, PB_BOX_CLOSED, reterr);
        r = box_end_log_write(b, r, reterr);
        pb_buf_release(&payload);
        pb_buf_release(&env);
        return r;
}

pb_err pb_box_document(struct pb_box *b, enum pb_box_doc doc, struct pb_buf *out, struct pb_diag *reterr)
{
        static const int cols[] = { DOC_MANIFEST_ENVELOPE, DOC_CLOSE, DOC_RESULT, DOC_CERTIFICATION };
        pb_err r;

        if ((unsigned)doc >= sizeof(cols) / sizeof(cols[0]))
                return PB_ERR_INVALID;
        r = box_begin_read(b, reterr);
        if (r < 0)
                return r;
        r = box_get_doc(b, cols[doc], out, reterr);
        box_rollback(b);
        return r;
}
