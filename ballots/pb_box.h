/**
 * @file The ballot box: one SQLite file per election (docs/ballot-box.md).
 *
 * It holds the manifest, the voter-code hashes, the ballots (cast vote records with their nonces),
 * the ballot log (an RFC 6962 tree of commitments with its signed checkpoints), the close
 * statement, the signed result and its certification, and the API tokens.  Every write is one
 * `BEGIN IMMEDIATE` transaction (retried a bounded number of times on SQLITE_BUSY); the file is in
 * WAL mode with synchronous=FULL, so a write has reached the disk when its call returns PB_OK.
 *
 * States: draft -> open <-> suspended -> closed -> tallied -> certified; never back to open
 * after close.  The manifest is signed when the election opens; the ballot log starts with a
 * signed zero checkpoint then.
 *
 * A struct pb_box is one SQLite connection: it is not thread-safe.  Use one per thread (the HTTP
 * server's writer thread owns one; readers open their own).  Several processes may open the same
 * file (SQLite's locking serialises the writers).
 *
 * Secrets: voter codes are stored only as keyed hashes (the key, the "pepper", is derived from the
 * engine key and never stored); tokens only as SHA-256 hashes.  No function here copies a code, a
 * token or ballot content into a diagnostic.
 */
#ifndef PB_BOX_H
#define PB_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballots/pb_counts.h"
#include "formats/pb_manifest.h"
#include "engine/pb_buf.h"
#include "engine/pb_code.h"
#include "engine/pb_cvr.h"
#include "engine/pb_err.h"
#include "engine/pb_progress.h"
#include "engine/pb_key.h"
#include "engine/pb_merkle.h"
#include "engine/pb_note.h"

/** SQLite application_id of a ballot box ('PBV1') and the schema version this build writes. */
#define PB_BOX_APPLICATION_ID 0x50425631
#define PB_BOX_SCHEMA_VERSION 8

/** API roles (issue 6). */
enum pb_role {
        PB_ROLE_ADMIN,
        PB_ROLE_KIOSK,
        PB_ROLE_AUDITOR,
        PB_ROLE_OFFICER, /* an election officer entering paper ballots over the API (issue 14) */
        PB_ROLE_COUNT
};
/** "admin", "kiosk", "auditor", "officer"; "?" outside the enum. */
const char *pb_role_name(enum pb_role r);
/** Parse a role name.  PB_ERR_NOT_FOUND for anything else. */
PB_NODISCARD pb_err pb_role_parse(const char *s, enum pb_role *ret);

struct pb_box;

/**
 * Create a new ballot box file at @path (which must not exist) holding @m, in state draft.
 * The file is created 0600 (its -wal and -shm get the same mode from SQLite).  Sets WAL mode,
 * the application id and the schema.  The box is made under a temporary name beside @path
 * (".NAME.new-RANDOM"), its WAL emptied into it and synced, and only then linked to @path, and the
 * folder synced: @path is a whole box or absent, also after a power loss.  On failure nothing of
 * it is left: the files it made are removed (a power loss may leave the temporary ones).
 * @param m    borrowed; its canonical form is stored
 * @param ret  [out] the open box, owned by the caller (pb_box_free); set only on PB_OK
 * @return PB_OK, PB_ERR_CONFLICT (@path exists), PB_ERR_BUSY (out of file descriptors),
 *         PB_ERR_STORAGE, PB_ERR_IO, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_create(const char *path, const struct pb_manifest *m, struct pb_box **ret,
                                  struct pb_diag *reterr);

/**
 * Remove the files of the ballot box at @path (the database, its -wal, -shm and -journal), for a
 * caller whose pb_box_create() succeeded but who cannot use the box (no handle may remain open on
 * it).  Best effort; files that do not exist are fine.  Never use it on an election that ran.
 */
void pb_box_remove(const char *path);

/**
 * Open an existing ballot box and recover (verifiability.md §9.2): quick_check, application id,
 * schema migrations, then the log's invariants (the stored tree, the leaves and the latest
 * checkpoint agree).  A box whose log does not agree with its checkpoints is refused.
 * @return PB_OK, PB_ERR_NOT_FOUND (no such file), PB_ERR_UNSUPPORTED (not a ballot box, or a newer
 *         schema), PB_ERR_INTERNAL (integrity alarm), PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_open(const char *path, struct pb_box **ret, struct pb_diag *reterr);

/** Close the database and wipe the key material.  Accepts NULL. */
void pb_box_free(struct pb_box *b);

/**
 * Copy the ballot box at @src to the new file @dst (made 0600; it must not exist) while other
 * processes may keep casting into @src: SQLite's online backup API copies the box as of one
 * moment, in one read transaction that never blocks the writer (WAL).  @src is opened read-only
 * and never written.  The copy is then opened as a box (pb_box_open) and fully checked
 * (pb_box_check), its WAL folded into it, and fsynced; on any failure @dst is removed.
 * @return PB_OK, PB_ERR_NOT_FOUND (no @src), PB_ERR_UNSUPPORTED (not a ballot box, or a newer
 *         schema), PB_ERR_CONFLICT (@dst exists), PB_ERR_IO (cannot create @dst), PB_ERR_INTERNAL
 *         (the copy fails its check), PB_ERR_BUSY, PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_backup(const char *src, const char *dst, struct pb_diag *reterr);

/** pb_box_backup() reporting to @progress (borrowed; may be NULL) the pages copied so far of the
 *  source's pages, every PB_PROGRESS_EVERY pages and once all are copied (before the check). */
PB_NODISCARD pb_err pb_box_backup_progress(const char *src, const char *dst,
                                           const struct pb_progress *progress, struct pb_diag *reterr);

/**
 * Use @key as this election's engine key (borrowed: it must outlive @b or the next call).  The
 * first key used (to issue codes or open) is bound to the election; another key is refused
 * afterwards.  The code pepper is derived from it (docs/ballot-box.md).
 * @return PB_OK, PB_ERR_FORBIDDEN (another key is bound), PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_set_engine_key(struct pb_box *b, const struct pb_key_secret *key,
                                          struct pb_diag *reterr);

/**
 * The current state, read in a read transaction.  Like every call that reads or writes the box, it
 * first takes in what other connections (another process: the command line beside a server)
 * committed since @b last looked (PRAGMA data_version), so a handle never signs, counts or
 * publishes from a stale copy; call it before pb_box_manifest() when no other call came first.
 * @return PB_OK, PB_ERR_INTERNAL (the stored manifest no longer parses), PB_ERR_STORAGE, PB_ERR_BUSY
 */
PB_NODISCARD pb_err pb_box_state(struct pb_box *b, enum pb_box_state *ret);

/** The manifest as of @b's last transaction (borrowed, valid until the next call on @b: any of them
 *  may replace it when another connection changed it, as pb_box_set_manifest and open do). */
const struct pb_manifest *pb_box_manifest(const struct pb_box *b);

/**
 * Delete the draft election of @b, whose file is @path: its files (the database, -wal, -shm,
 * -journal) are removed while @b holds the write lock, so that no other process can open the
 * election meanwhile.  @b must then be freed; a process that had the file open keeps an unlinked
 * copy (a server notices: api.md, "Drafts").
 * @return PB_OK, PB_ERR_STATE (not a draft: an election that ran is never deleted), PB_ERR_BUSY,
 *         PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_delete(struct pb_box *b, const char *path, struct pb_diag *reterr);

/** Replace the manifest of a draft election (@m borrowed, its canonical form stored).  PB_ERR_STATE. */
PB_NODISCARD pb_err pb_box_set_manifest(struct pb_box *b, const struct pb_manifest *m,
                                        struct pb_diag *reterr);

/**
 * Open the election for voting: needs the engine key (pb_box_set_engine_key) and the finance
 * office's key @office, which signs the manifest (DSSE, the keys added to it); the engine signs the
 * zero checkpoint.  Refused unless the state is draft and no ballot exists (VVSG 1.1.3-B).
 * @return PB_OK, PB_ERR_STATE, PB_ERR_AUTH (no engine key), PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_election_open(struct pb_box *b, const struct pb_key_secret *office,
                                         struct pb_diag *reterr);
/** open -> suspended.  PB_ERR_STATE otherwise. */
PB_NODISCARD pb_err pb_box_election_suspend(struct pb_box *b, struct pb_diag *reterr);
/** suspended -> open.  PB_ERR_STATE otherwise. */
PB_NODISCARD pb_err pb_box_election_resume(struct pb_box *b, struct pb_diag *reterr);

/**
 * Close the election (from open or suspended): flush every pending ballot into the log (the final
 * batch), sign the close statement (engine key) with the final tree and the counts, forget the
 * idempotency records.  Final: nothing is accepted afterwards.  The statement names the SHA-256 of
 * the stored manifest, which must first be the one the finance office signed, under the keys it
 * names (else PB_ERR_INTERNAL: nothing is signed, and an open election is suspended).
 * @param closed_at  "YYYY-MM-DDTHH:MM:SSZ" (the engine reads no clock)
 * @return PB_OK, PB_ERR_STATE, PB_ERR_AUTH (no engine key), PB_ERR_INVALID (@closed_at),
 *         PB_ERR_INTERNAL (an invariant failed, or the manifest is not the signed one), PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_election_close(struct pb_box *b, const char *closed_at, struct pb_diag *reterr);

/** Receives each new voter code once, after the transaction storing their hashes committed. */
typedef pb_err (*pb_box_code_fn)(void *ctx, const struct pb_code *code);

#define PB_BOX_CODES_MAX 1000000 /* codes per call */

/**
 * The contests named @ids (@n, each a contest of @m, once) as a set of @m's contests; *@ret_len is
 * the bytes the box stores of it (0: none stored, NULL, every contest: @n is 0 and @m has one
 * contest, or @m is of the one-contest form).
 * @return PB_OK, PB_ERR_INVALID at "$.contests[i]" (unknown or twice) or "$.contests" (none named
 *         in a vote of several contests, when @need is true)
 */
PB_NODISCARD pb_err pb_box_contest_set(const struct pb_manifest *m, const char *const *ids, size_t n,
                                       bool need, struct pb_contest_set *ret, size_t *ret_len,
                                       struct pb_diag *reterr);

/**
 * Issue @count new 80-bit voter codes (randombytes_buf), store their keyed hashes in one
 * transaction, then hand each code to @fn once (the only time a code exists in the clear).
 * Allowed in draft, open and suspended.  Needs the engine key.  The codes are for every contest
 * of the vote: a vote of several contests needs pb_box_codes_issue_for().
 * @return PB_OK, PB_ERR_STATE, PB_ERR_AUTH, PB_ERR_LIMIT (@count 0 or above PB_BOX_CODES_MAX),
 *         PB_ERR_INVALID (a vote of several contests), PB_ERR_STORAGE, PB_ERR_NOMEM, or @fn's error
 *         (the codes are stored all the same)
 */
PB_NODISCARD pb_err pb_box_codes_issue(struct pb_box *b, size_t count, pb_box_code_fn fn, void *ctx,
                                       struct pb_diag *reterr);

/**
 * pb_box_codes_issue() for the contests named @contests (@n ids, each once; NULL and 0: every
 * contest, allowed only for a vote of one contest): a submission with such a code carries a ballot
 * for some of them, and for each of them the manifest does not let a voter skip (docs/ballot-box.md,
 * "Contests").  The ids are looked up in the manifest of the issuing transaction.
 * @return as pb_box_codes_issue(); PB_ERR_INVALID for a contest the vote does not hold or named
 *         twice (path "$.contests[i]"), or no contest named for a vote of several (path "$.contests")
 */
PB_NODISCARD pb_err pb_box_codes_issue_for(struct pb_box *b, size_t count, const char *const *contests,
                                           size_t n, pb_box_code_fn fn, void *ctx, struct pb_diag *reterr);

/**
 * pb_box_codes_issue_for() reporting to @progress (borrowed; may be NULL) the codes stored so far
 * (of @count) inside the transaction, then @count once it committed, before @fn sees any code.
 */
PB_NODISCARD pb_err pb_box_codes_issue_progress(struct pb_box *b, size_t count, const char *const *contests,
                                                size_t n, const struct pb_progress *progress,
                                                pb_box_code_fn fn, void *ctx, struct pb_diag *reterr);

#define PB_SUBMISSION_ID_BYTES 16 /* a submission's idempotency key (hex in the API) */

/**
 * One submission: a voter code and its ballots, one per contest it votes in (project indexes of
 * that contest).  A vote of one contest may give its ballot as @items, @points, @n instead.
 */
struct pb_submission {
        const char *code; /* as typed (forgiving: case, I/L/O, dashes) */
        size_t code_len;
        bool has_submission_id;                        /* idempotency key given */
        uint8_t submission_id[PB_SUBMISSION_ID_BYTES]; /* a retry with the same id gets the same receipt */
        const uint32_t *items; /* @ballots NULL: the one contest's ballot, @n project indexes */
        const int64_t *points; /* parallel to @items for point ballots, else NULL */
        size_t n;
        const struct pb_contest_ballot *ballots; /* a ballot per contest ("ballots"), or NULL */
        size_t n_ballots;
        enum pb_channel channel; /* electronic, paper (officer entry) or imported */
        const char *kiosk;       /* the public id of the kiosk token that cast it (turnout by kiosk), or
                                  * NULL (an officer's or an import's command line) */
        const struct pb_cvr_paper *paper; /* a paper ballot entered over the API: its batch and officer,
                                           * recorded in its CVR; NULL otherwise */
        bool as_ballot; /* @ballots holds the one-contest form's "ballot" (diagnostics say $.ballot) */
        /* the ballot was refused before the box could read it (the API's reading of its JSON: an
         * unknown project, a pick twice, a malformed ballot): counted as an invalid ballot with this
         * diagnostic, like every refusal of the box, and nothing else of the submission is read */
        const struct pb_diag *refused;
};

#define PB_RECEIPT_PROMISE_MAX 1024

/**
 * A receipt: the signed promise of the batch the ballot was accepted in, where the commitment sits
 * in that batch (pb_promise_check), and a short code to look it up.
 */
struct pb_receipt {
        uint8_t commitment[PB_CVR_HASH_BYTES];
        char short_code[PB_CODE_SHORT_LEN + 1];
        char promise[PB_RECEIPT_PROMISE_MAX]; /* the signed note (pb_note.h), NUL-terminated */
        size_t promise_len;
        struct pb_promise_proof proof; /* the commitment's leaf and audit path under the promise */
};

/** What became of one submission. */
struct pb_cast_outcome {
        pb_err status;       /* PB_OK (accepted), PB_ERR_PARSE (malformed code), PB_ERR_NOT_FOUND (unknown
                         * code), PB_ERR_CONFLICT (spent code), PB_ERR_INVALID (the ballot breaks the
                         * rules) */
        bool replayed;       /* PB_OK for a retried submission (its code and submission id, whatever
                              * ballot it carries): the first one's commitment, under a promise of its
                              * own (the batch it came with is not kept) */
        struct pb_diag diag; /* why, when refused (never the code or the ballot's content) */
        struct pb_receipt receipt; /* when accepted */
};

#define PB_BOX_BATCH_MAX 4096 /* submissions per pb_box_cast() call */

/**
 * Cast @n submissions in ONE transaction (group commit): each is validated (strictly; imported
 * ballots as pabulib's checker does), its code spent and its ballot stored, or it is refused on
 * its own (out[i].status).  Refusals are counted by reason.  When the pending ballots reach the
 * manifest's batch_min they are appended to the log in the same transaction (sorted by
 * commitment) and a checkpoint is signed.  After COMMIT returned, one promise is signed for all the
 * ballots the call accepted (pb_promise_batch), and one for each retried submission alone.
 * Needs the engine key; the state must be open.
 * @param out  [out] @n outcomes, filled when the call returns PB_OK
 * @return PB_OK (the transaction committed; see each outcome: an accepted ballot whose promise
 *         could not be signed has PB_ERR_NOMEM, and a retry gets it), PB_ERR_STATE (not open:
 *         nothing was done), PB_ERR_AUTH, PB_ERR_LIMIT (@n above PB_BOX_BATCH_MAX), PB_ERR_BUSY
 *         (the database is locked, or another process changed the box's inputs meanwhile) or
 *         PB_ERR_STORAGE (nothing was stored: no receipt may be given), PB_ERR_INTERNAL (an
 *         invariant failed: the election is suspended), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_cast(struct pb_box *b, const struct pb_submission *subs, size_t n,
                                struct pb_cast_outcome *out, struct pb_diag *reterr);

#define PB_BOX_IDEM_KEY_BYTES 32 /* BLAKE2b-256 of a submission id: the key of the legacy idem table */

/**
 * A submission prepared ahead of its cast (pb_box_prepare): everything about it that needs no
 * database.  Owned by the caller: pb_box_prepared_release() wipes it and frees the CVR.
 */
struct pb_box_prepared {
        bool prepared;         /* filled by pb_box_prepare */
        uint64_t gen;          /* the box inputs it was prepared from (pb_box_gen) */
        pb_err status;         /* PB_OK, or PB_ERR_NOMEM / PB_ERR_LIMIT (the cast then fails) */
        bool ok;               /* passed the code-syntax and ballot checks */
        enum pb_reject reject; /* when !ok, with @diag */
        struct pb_diag diag;
        uint8_t code_hash[PB_CODE_HASH_BYTES];
        uint8_t idem_key
                [PB_BOX_IDEM_KEY_BYTES]; /* when it has an id and the box legacy idempotency records */
        uint8_t tag[PB_CVR_HASH_BYTES]; /* when it has an id and the box a retry key: the sealed commitment */
        bool tagged;
        /* the contests voted in and those that may not be skipped (a vote of the contests form),
         * pb_contest_set_bytes() each: the code's own set must fit them (docs/ballot-box.md) */
        uint8_t fit[2 * PB_CONTEST_SET_BYTES];
        uint32_t fit_len; /* bytes used of fit: 0 for the one-contest form */
        uint8_t cvr_id[PB_CVR_ID_BYTES];
        uint8_t nonce[PB_CVR_NONCE_BYTES];
        uint8_t commitment[PB_CVR_HASH_BYTES];
        uint8_t *cvr; /* owned: the canonical CVR */
        size_t cvr_len, cvr_cap;
};

/** A box's preparation inputs (election, code pepper, retry key), copied: immutable. */
struct pb_box_snapshot;

/**
 * Copy what preparing submissions needs out of @b (loading the retry key first).  The snapshot
 * does not refer to @b: any thread may use it while @b works on.  Free with pb_box_snapshot_free.
 * @return PB_OK, PB_ERR_AUTH (no engine key), PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_snapshot_take(struct pb_box *b, struct pb_box_snapshot **ret,
                                         struct pb_diag *reterr);
void pb_box_snapshot_free(struct pb_box_snapshot *s);
/** The snapshot's manifest (owned by the snapshot): its contests, whether residents may vote from the web. */
const struct pb_manifest *pb_box_snapshot_manifest(const struct pb_box_snapshot *s);
/** The generation of the inputs a snapshot holds, and the box's current one: equal while the
 *  snapshot is up to date (a prepared submission of an older one is prepared again at its cast). */
uint64_t pb_box_snapshot_gen(const struct pb_box_snapshot *s);
uint64_t pb_box_gen(const struct pb_box *b);

/** Prepare @s from @snap into @ret (refusals are recorded in @ret, never returned).  Thread-safe:
 *  @snap is only read.  @s's code is read, never copied into @ret. */
void pb_box_prepare(const struct pb_box_snapshot *snap, const struct pb_submission *s,
                    struct pb_box_prepared *ret);
void pb_box_prepared_release(struct pb_box_prepared *p);

/**
 * pb_box_cast() without the promises, of submissions some of which were prepared already: each
 * accepted outcome carries its commitment (and `replayed`); promise, proof and short code are left
 * empty.  For a server that signs on another thread, so that its one writer goes on to the next
 * batch: once this returned PB_OK (so after COMMIT), sign the outcomes with pb_receipts_sign().
 * @preps NULL, or @preps[i] NULL or a pb_box_prepare() of @subs[i]; one prepared from inputs older
 * than the box's is prepared again here (in place).  The caller keeps owning @preps.  Same errors
 * and transaction as pb_box_cast().
 */
PB_NODISCARD pb_err pb_box_cast_prepared(struct pb_box *b, const struct pb_submission *subs,
                                         struct pb_box_prepared *const *preps, size_t n,
                                         struct pb_cast_outcome *out, struct pb_diag *reterr);

/**
 * Whether the code of a prepared submission (@p->ok) is issued and not yet spent, read in a read
 * transaction of its own; nothing is written.  A paper's first entry under double entry is held
 * only for such a code (api.md, "Paper ballots").
 * @return PB_OK with *@ret_unspent, or a storage error
 */
PB_NODISCARD pb_err pb_box_code_unspent(struct pb_box *b, const struct pb_box_prepared *p, bool *ret_unspent,
                                        struct pb_diag *reterr);

/** What a voter code is, as its ballot's cast would find it (pb_box_code_contests). */
enum pb_code_state {
        PB_CODE_UNKNOWN, /* never issued */
        PB_CODE_SPENT,   /* issued, and a ballot was cast with it */
        PB_CODE_UNSPENT, /* issued, not spent: *ret_contests says for which contests */
};

/**
 * Parse voter code @code (@len bytes, forgiving as a cast is) and hash it with @snap's pepper into
 * @ret_hash, as pb_box_prepare() does.  Thread-safe: @snap is only read; the code is not kept.
 * @return PB_OK; PB_ERR_PARSE or PB_ERR_INVALID for a malformed code (@reterr: why, at "$.code")
 */
PB_NODISCARD pb_err pb_box_snapshot_code_hash(const struct pb_box_snapshot *snap, const char *code,
                                              size_t len, uint8_t ret_hash[PB_CODE_HASH_BYTES],
                                              struct pb_diag *reterr);

/**
 * What the code hashed to @hash (pb_box_snapshot_code_hash) is in @b: unknown, spent, or unspent
 * and for which contests (@ret_contests: every contest of the vote for a code stored without a set,
 * as a code of a vote of one contest).  One read transaction; nothing is written, nothing spent.
 * @return PB_OK with *@ret_state; a refusal not_open (PB_ERR_STATE) when the vote is not open; a
 *         storage error
 */
PB_NODISCARD pb_err pb_box_code_contests(struct pb_box *b, const uint8_t hash[PB_CODE_HASH_BYTES],
                                         enum pb_code_state *ret_state, struct pb_contest_set *ret_contests,
                                         struct pb_diag *reterr);

/** What signing promises needs, copied out of a box: any thread may then sign with it. */
struct pb_receipt_signer {
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1]; /* the ballot log's origin */
        char election[PB_ID_MAX + 1];              /* the election id, signed in every promise */
        const struct pb_key_secret *engine;        /* borrowed: the box's engine key */
};

/** Fill @ret for the box's log and engine key.  PB_ERR_AUTH without the engine key. */
PB_NODISCARD pb_err pb_box_receipt_signer(const struct pb_box *b, struct pb_receipt_signer *ret,
                                          struct pb_diag *reterr);

/**
 * Sign the receipts of the @n outcomes of one pb_box_cast_prepared() call: one promise for every
 * ballot accepted in it, one for each retried submission alone (see pb_box_cast()).  An outcome
 * whose promise could not be signed becomes PB_ERR_NOMEM (stored; a retry gets a receipt).
 * Thread-safe (@s is only read); deterministic.
 */
void pb_receipts_sign(const struct pb_receipt_signer *s, struct pb_cast_outcome *out, size_t n);

/**
 * Append every pending ballot to the log now (a timer in the server, or an operator), even below
 * batch_min.  Nothing to do is PB_OK.  Needs the engine key.
 */
PB_NODISCARD pb_err pb_box_flush(struct pb_box *b, struct pb_diag *reterr);

/**
 * Did this box issue voter codes with the mod-37 check symbol, before issue 13 (schema 8)?  It
 * reads them for as long as it exists (docs/integrity.md, departure 14), and the pages' own code
 * check must too.  One read transaction; PB_ERR_STORAGE.  @ret is set only on PB_OK.
 */
PB_NODISCARD pb_err pb_box_codes_legacy(struct pb_box *b, bool *ret, struct pb_diag *reterr);

/** Read the counts (one read transaction).  PB_ERR_STORAGE. */
PB_NODISCARD pb_err pb_box_turnout(struct pb_box *b, struct pb_turnout *ret, struct pb_diag *reterr);

/** Receives the ballots cast by one kiosk token (its public id). */
typedef pb_err (*pb_box_kiosk_fn)(void *ctx, const char *kiosk, uint64_t ballots);

/**
 * pb_box_turnout() and, in the same read transaction (so the two reconcile), the ballots accepted
 * from each kiosk token (pb_submission.kiosk) to @fn, in byte order of the ids: turnout by kiosk,
 * counts only.  Ballots cast without a kiosk (pbvote cast, pbvote import) are in no kiosk's count.
 * @fn's error stops it and is returned; @ret is filled only on PB_OK.
 */
PB_NODISCARD pb_err pb_box_turnout_kiosks(struct pb_box *b, struct pb_turnout *ret, pb_box_kiosk_fn fn,
                                          void *ctx, struct pb_diag *reterr);

/** Append the latest signed checkpoint (a note) to @note.  @ret optional.  PB_ERR_NOT_FOUND in draft. */
PB_NODISCARD pb_err pb_box_checkpoint(struct pb_box *b, struct pb_buf *note, struct pb_checkpoint *ret,
                                      struct pb_diag *reterr);

/** An inclusion proof of a commitment in the log, against the latest checkpoint. */
struct pb_box_proof {
        bool pending;   /* accepted but not in the log yet: no proof (the promise covers it) */
        uint64_t index; /* leaf index */
        uint64_t size;  /* tree size of the checkpoint the proof is for */
        uint8_t path[PB_MERKLE_MAX_PROOF * PB_MERKLE_HASH_BYTES];
        size_t path_len; /* hashes in path */
};

/**
 * Prove that @commitment is in the log: @ret and, appended to @checkpoint, the signed checkpoint
 * it verifies against (pb_merkle_verify_inclusion with pb_cvr_leaf_hash(commitment)).
 * @return PB_OK (ret->pending says whether there is a proof yet), PB_ERR_NOT_FOUND, PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_inclusion(struct pb_box *b, const uint8_t commitment[PB_CVR_HASH_BYTES],
                                     struct pb_box_proof *ret, struct pb_buf *checkpoint,
                                     struct pb_diag *reterr);

/**
 * The commitment of the one ballot whose receipt has the short code @short_code[0..len) (as a
 * person typed it: pb_code_short_parse()), accepted whether pending or in the log, into @ret.  One
 * read transaction.
 * @return PB_OK, PB_ERR_PARSE (not a short code), PB_ERR_NOT_FOUND, PB_ERR_CONFLICT (two ballots
 *         share its 50 bits: look the receipt up by commitment), PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_find_short(struct pb_box *b, const char *short_code, size_t len,
                                      uint8_t ret[PB_CVR_HASH_BYTES], struct pb_diag *reterr);

/**
 * RFC 6962 consistency proof between two checkpoint sizes (@old_size <= @size <= log size).
 * @param ret_path  PB_MERKLE_MAX_PROOF * PB_MERKLE_HASH_BYTES bytes of caller storage
 */
PB_NODISCARD pb_err pb_box_consistency(struct pb_box *b, uint64_t old_size, uint64_t size, uint8_t *ret_path,
                                       size_t *ret_len, struct pb_diag *reterr);

/**
 * Count a closed election with the manifest's rule and sign the result (DSSE, engine key); store
 * it (state tallied) and append the envelope to @out.  A seeded tie-break needs the @seed whose
 * commitment the manifest holds.  Tallying an election already tallied gives the stored result if
 * it is the same, byte for byte, and PB_ERR_CONFLICT otherwise.  Nothing is counted unless the
 * stored manifest is the signed one and the close statement verifies, names it and states the
 * ballot log and the counts as they are (box_docs_check; else PB_ERR_INTERNAL naming the document).
 * @param engine_version  written into the result ("pbvote 0.1.0")
 * @return PB_OK, PB_ERR_STATE (not closed), PB_ERR_AUTH, PB_ERR_INVALID (seed missing or wrong),
 *         PB_ERR_UNSUPPORTED (a rule this build does not count), PB_ERR_CONFLICT, PB_ERR_INTERNAL
 *         (inconsistent documents), PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_tally(struct pb_box *b, const uint64_t *seed, const char *engine_version,
                                 struct pb_buf *out, struct pb_diag *reterr);

/**
 * Certify the stored result: @result must be the stored result envelope's payload type and
 * payload, in any JSON layout of the envelope (a pretty-printed copy is the same result); the
 * finance office's @office key (the manifest's office key) signs a certification naming the
 * result's SHA-256; it is stored (state certified) and appended to @out.  Refused unless the stored
 * manifest, close statement and result verify and name each other (PB_ERR_INTERNAL).
 * @param certified_at  "YYYY-MM-DDTHH:MM:SSZ"
 * @return PB_OK, PB_ERR_STATE (not tallied), PB_ERR_CONFLICT (another result, or already certified
 *         differently), PB_ERR_FORBIDDEN (not the manifest's office key), PB_ERR_INTERNAL
 *         (inconsistent documents), PB_ERR_STORAGE
 */
PB_NODISCARD pb_err pb_box_certify(struct pb_box *b, const char *result, size_t result_len,
                                   const struct pb_key_secret *office, const char *certified_at,
                                   struct pb_buf *out, struct pb_diag *reterr);

/**
 * The ballots of a tallied vote for publication (`pbvote export --pb`): a freshly parsed copy of the
 * manifest whose contests' elections hold every logged ballot, each CVR under one voter id ("1",
 * "2", ...) shared by its ballots for several contests.  The CVRs are numbered and listed in the
 * order of their cvr_id (random, inside the CVR only), never in the order of the log: a voter's
 * receipt names a commitment and a leaf, and must not name a line of a published file.
 * @param ret       [out] owned by the caller (pb_manifest_free); set only on PB_OK
 * @param ret_seed  [out] the seed of the signed result's tie-break, when *@ret_has_seed
 * @return PB_OK, PB_ERR_STATE (not tallied), PB_ERR_INTERNAL (a stored CVR or document does not
 *         parse), PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_ballots_load(struct pb_box *b, struct pb_manifest **ret, uint64_t *ret_seed,
                                        bool *ret_has_seed, struct pb_diag *reterr);

/** The stored signed documents (any may be absent: PB_ERR_NOT_FOUND).  Appended to @out. */
enum pb_box_doc { PB_BOX_DOC_MANIFEST, PB_BOX_DOC_CLOSE, PB_BOX_DOC_RESULT, PB_BOX_DOC_CERTIFICATION };
PB_NODISCARD pb_err pb_box_document(struct pb_box *b, enum pb_box_doc doc, struct pb_buf *out,
                                    struct pb_diag *reterr);

/**
 * Write the audit bundle (docs/auditor.md) into the folder @dir, which must not exist.  Allowed
 * once the election is tallied.  The folder is created 0700 and every file 0600 (they hold every
 * CVR with its nonce), each written to a temporary name, synced and renamed.  When it fails after
 * creating the folder (a full disk, an I/O error) it removes what it wrote and the folder, so the
 * same call can be made again.
 * @return PB_OK, PB_ERR_STATE, PB_ERR_CONFLICT (@dir exists), PB_ERR_IO, PB_ERR_STORAGE, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_export(struct pb_box *b, const char *dir, struct pb_diag *reterr);
/** pb_box_export() reporting the ballots written (of the log's size) to @progress (borrowed; may be NULL). */
PB_NODISCARD pb_err pb_box_export_progress(struct pb_box *b, const char *dir,
                                           const struct pb_progress *progress, struct pb_diag *reterr);

/** The audit bundle as a ustar archive read piece by piece (the HTTP export). */
struct pb_box_export;

/**
 * Open the audit bundle of the ballot box file @path as a stream: byte for byte the archive
 * pb_tar_dir(@prefix) makes of the folder pb_box_export() writes (members @prefix/<file> in name
 * order).  It reads through a read-only SQLite connection of its own, in one read transaction
 * held until pb_box_export_free(): a consistent snapshot, whatever is written meanwhile, and no
 * use of any struct pb_box (no lock to take).  Its memory does not grow with the ballots: the
 * signed documents, a buffer of about 64 KiB and SQLite's 2 MB page cache.  The files' sizes are
 * computed here, in one pass over the checkpoints and the ballots, so the length is known before
 * the first byte.
 * @param path    a ballot box of this schema version (a server's boxes are: it opened them)
 * @param prefix  1..PB_ID_MAX bytes (copied)
 * @param ret     [out] owned by the caller (pb_box_export_free); set only on PB_OK
 * @return PB_OK, PB_ERR_NOT_FOUND (no such file), PB_ERR_UNSUPPORTED (not a ballot box, or another
 *         schema version), PB_ERR_STATE (not tallied), PB_ERR_LIMIT (a file of 8 GiB or more),
 *         PB_ERR_STORAGE, PB_ERR_BUSY, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_box_export_new(const char *path, const char *prefix, struct pb_box_export **ret,
                                      struct pb_diag *reterr);
/** The archive's length in bytes. */
uint64_t pb_box_export_size(const struct pb_box_export *x);
/**
 * Copy the next bytes of the archive, up to @cap (at least 1), to @buf; *@ret_n is 0 at the end.
 * One thread at a time.  After a failure every later call fails.
 * @return PB_OK, PB_ERR_STORAGE, PB_ERR_NOMEM, PB_ERR_INTERNAL (the snapshot did not hold)
 */
PB_NODISCARD pb_err pb_box_export_read(struct pb_box_export *x, char *buf, size_t cap, size_t *ret_n,
                                       struct pb_diag *reterr);
/** Close the stream's connection and free it.  Accepts NULL. */
void pb_box_export_free(struct pb_box_export *x);

/**
 * Full check of the stored log (slow: O(ballots)): every CVR parses and recommits to its
 * commitment, leaves are the commitments' leaf hashes, the stored tree is the tree of the leaves,
 * every checkpoint verifies and matches, the counters equal the rows; and the signed documents the
 * state has (manifest, close statement, result, certification) verify under the manifest's keys
 * and name each other, the log and the counts, as the offline verifier checks them.  For audits
 * and tests; `pbvote election check` also verifies the exported bundle once there is a result.
 * @return PB_OK or PB_ERR_INTERNAL naming what disagrees
 */
PB_NODISCARD pb_err pb_box_check(struct pb_box *b, struct pb_diag *reterr);

#define PB_TOKEN_BYTES 32     /* random bytes of an API token (an election's or an administrator's) */
#define PB_TOKEN_TEXT_LEN 64  /* a token as lowercase hex: 2 * PB_TOKEN_BYTES (box_token.c checks) */
#define PB_TOKEN_ID_LEN 16    /* a token's public id: the first 8 bytes of its hash, as hex */
#define PB_TOKEN_LABEL_MAX 64 /* bytes of a token's label */

/** Token flags. */
#define PB_TOKEN_DEVICE 1u /* the token of one physical kiosk: per-kiosk limits apply (docs/api.md) */
#define PB_TOKEN_LOCKED 2u /* a device token locked after too many failed codes, until unlocked */

/**
 * Create an API token for @role: PB_TOKEN_BYTES random bytes, returned once in @ret_token (hex,
 * NUL-terminated); only its SHA-256 is stored, with @label (optional, at most PB_TOKEN_LABEL_MAX
 * printable bytes).
 * @param ret_id  [out] optional: the token's public id (hex, NUL-terminated), for list and revoke
 */
PB_NODISCARD pb_err pb_box_token_create(struct pb_box *b, enum pb_role role, const char *label,
                                        char ret_token[PB_TOKEN_TEXT_LEN + 1],
                                        char ret_id[PB_TOKEN_ID_LEN + 1], struct pb_diag *reterr);

/** pb_box_token_create() with @flags (PB_TOKEN_DEVICE, only for the kiosk role). */
PB_NODISCARD pb_err pb_box_token_create_flags(struct pb_box *b, enum pb_role role, const char *label,
                                              unsigned flags, char ret_token[PB_TOKEN_TEXT_LEN + 1],
                                              char ret_id[PB_TOKEN_ID_LEN + 1], struct pb_diag *reterr);

/**
 * pb_box_token_create_flags() for a kiosk that takes ballots only for the contests named @contests
 * (@n ids of the manifest's contests, each once; 0: every contest, as any other token): the server
 * refuses its submissions with a ballot for another contest (contest_not_allowed).
 * @return as pb_box_token_create_flags(); PB_ERR_INVALID (path "$.contests[i]") for a contest the
 *         vote does not hold or named twice, or contests for another role than kiosk
 */
PB_NODISCARD pb_err pb_box_token_create_for(struct pb_box *b, enum pb_role role, const char *label,
                                            unsigned flags, const char *const *contests, size_t n,
                                            char ret_token[PB_TOKEN_TEXT_LEN + 1],
                                            char ret_id[PB_TOKEN_ID_LEN + 1], struct pb_diag *reterr);

/** What a valid token is. */
struct pb_token_info {
        enum pb_role role;
        char id[PB_TOKEN_ID_LEN + 1];   /* its public id */
        unsigned flags;                 /* PB_TOKEN_DEVICE, PB_TOKEN_LOCKED */
        bool restricted;                /* a kiosk for some contests only: */
        struct pb_contest_set contests; /* those contests (by index in the manifest) */
};

/**
 * Check a presented token (constant-time comparison of hashes).
 * @return PB_OK with @ret_role, or PB_ERR_AUTH (unknown, malformed or revoked: not told apart)
 */
PB_NODISCARD pb_err pb_box_token_check(struct pb_box *b, const char *token, size_t len,
                                       enum pb_role *ret_role);

/** pb_box_token_check() that also says which token it is and its flags. */
PB_NODISCARD pb_err pb_box_token_lookup(struct pb_box *b, const char *token, size_t len,
                                        struct pb_token_info *ret);

/** Receives each token's public description (@contests: NULL, or the contests a restricted kiosk
 *  is for; borrowed for the call). */
typedef pb_err (*pb_box_token_fn)(void *ctx, const char *id, enum pb_role role, const char *label,
                                  bool revoked, unsigned flags, const struct pb_contest_set *contests);

/** List the tokens (never the tokens themselves). */
PB_NODISCARD pb_err pb_box_token_list(struct pb_box *b, pb_box_token_fn fn, void *ctx,
                                      struct pb_diag *reterr);

/** Lock or unlock the device token whose public id is @id.  PB_ERR_NOT_FOUND (no such device
 *  token). */
PB_NODISCARD pb_err pb_box_token_set_locked(struct pb_box *b, const char *id, bool locked,
                                            struct pb_diag *reterr);

/** Revoke the token whose public id is @id.  PB_ERR_NOT_FOUND. */
PB_NODISCARD pb_err pb_box_token_revoke(struct pb_box *b, const char *id, struct pb_diag *reterr);

#endif
