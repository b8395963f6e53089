/** @file Casting ballots: N submissions in one transaction (group commit), receipts after COMMIT. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/box_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_refusal.h"
#include "engine/pb_validate.h"

/* The stored commitment of an earlier submission with this id (a record of schema 1 or 2), if
 * any.  Whatever the ballot of this submission: comparing the two would tell a voter's retry with
 * a guessed ballot whether the guess is the stored ballot (issue 11). */
static pb_err idem_lookup(struct pb_box *b, const struct pb_box_prepared *p, bool *found,
                          uint8_t commitment[PB_CVR_HASH_BYTES], struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_IDEM_GET);
        int rc;

        *found = false;
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_blob(st, 1, p->idem_key, sizeof(p->idem_key), SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PB_CVR_HASH_BYTES) {
                *found = true;
                memcpy(commitment, sqlite3_column_blob(st, 0), PB_CVR_HASH_BYTES);
        }
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? PB_OK : box_sqlite_err(b, rc, d);
}

/* What became of spending a code. */
enum spend {
        SPEND_OK,          /* spent now, by this submission */
        SPEND_RETRY,       /* spent earlier by this code and submission id (whatever the ballot) */
        SPEND_SPENT,       /* spent earlier by another submission */
        SPEND_UNKNOWN,     /* never issued */
        SPEND_NOT_ALLOWED, /* unspent: the submission has a ballot for a contest the code is not for */
        SPEND_MISSING,     /* unspent: no ballot for a contest of the code that may not be skipped */
};

/* Is @c the commitment of a ballot accepted earlier in this transaction (@fresh, @n_fresh) or
 * stored before? */
static pb_err ballot_exists(struct pb_box *b, const uint8_t c[PB_CVR_HASH_BYTES],
                            const struct box_fresh *fresh, size_t n_fresh, bool *ret, struct pb_diag *d)
{
        sqlite3_stmt *st;
        int rc;

        *ret = false;
        for (size_t i = 0; i < n_fresh; i++)
                if (!memcmp(fresh[i].commitment, c, PB_CVR_HASH_BYTES)) {
                        *ret = true;
                        return PB_OK;
                }
        st = box_stmt(b, ST_BALLOT_LEAF);
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_blob(st, 1, c, PB_CVR_HASH_BYTES, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        *ret = rc == SQLITE_ROW;
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? PB_OK : box_sqlite_err(b, rc, d);
}

/* An unspent code the submission did not spend: its contests do not fit the code's.  *@ret_contest
 * is the contest to name. */
static enum spend unfit(const struct pb_box_prepared *p, const void *allowed, int alen, size_t *ret_contest)
{
        enum box_fit f =
                box_contests_fit(allowed, alen > 0 ? (size_t)alen : 0, p->fit, p->fit_len, ret_contest);

        /* the UPDATE's pbv_contests_fit said no, so f is never BOX_FIT_OK here */
        return f == BOX_FIT_MISSING ? SPEND_MISSING : SPEND_NOT_ALLOWED;
}

/*
 * Spend the code, storing the submission's sealed commitment in the same row: exactly one unspent
 * row whose contests the submission fits must change.  Otherwise an unspent code was not for these
 * contests (refused, not spent); for a spent one with a submission id, the row's tag is opened with
 * this code's and id's pad (p->tag ^ p->commitment): the same code and id give the first
 * submission's commitment back, which is then a stored ballot (or one of this transaction's,
 * @fresh); another submission's tag opens to a commitment that names no ballot.  The ballot this
 * submission carries is never looked at for a spent code, so the answer cannot depend on it
 * (docs/ballot-box.md, "Retries").
 */
static pb_err spend_code(struct pb_box *b, const struct pb_box_prepared *p, const struct box_fresh *fresh,
                         size_t n_fresh, enum spend *ret, uint8_t ret_commitment[PB_CVR_HASH_BYTES],
                         size_t *ret_contest, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_CODE_SPEND);
        uint8_t first[PB_CVR_HASH_BYTES];
        bool tagged = false, exists = false;
        pb_err r;
        int rc;

        if (st) {
                sqlite3_bind_blob(st, 1, p->code_hash, sizeof(p->code_hash), SQLITE_STATIC);
                if (p->tagged)
                        sqlite3_bind_blob(st, 2, p->tag, BOX_RETRY_TAG_BYTES, SQLITE_STATIC);
                if (p->fit_len)
                        sqlite3_bind_blob(st, 3, p->fit, (int)(2 * p->fit_len), SQLITE_STATIC);
        }
        r = box_exec_stmt(b, st, d);
        if (r < 0)
                return r;
        if (sqlite3_changes(b->db) == 1) {
                *ret = SPEND_OK;
                return PB_OK;
        }
        st = box_stmt(b, ST_CODE_GET);
        if (!st)
                return box_sqlite_err(b, sqlite3_errcode(b->db), d);
        sqlite3_bind_blob(st, 1, p->code_hash, sizeof(p->code_hash), SQLITE_STATIC);
        rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? SPEND_SPENT : SPEND_UNKNOWN;
        if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0) {
                *ret = unfit(p, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), ret_contest);
                sqlite3_reset(st);
                return PB_OK;
        }
        if (rc == SQLITE_ROW && p->tagged && sqlite3_column_bytes(st, 1) == BOX_RETRY_TAG_BYTES) {
                const uint8_t *tag = sqlite3_column_blob(st, 1);
                for (size_t i = 0; i < sizeof(first); i++)
                        first[i] = (uint8_t)(tag[i] ^ p->tag[i] ^ p->commitment[i]);
                tagged = true;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return box_sqlite_err(b, rc, d);
        if (tagged)
                r = ballot_exists(b, first, fresh, n_fresh, &exists, d);
        if (r == PB_OK && exists) {
                *ret = SPEND_RETRY;
                memcpy(ret_commitment, first, sizeof(first));
        }
        sodium_memzero(first, sizeof(first));
        return r;
}

/* A ballot row without a leaf: it waits for the log. */
static pb_err store_pending(struct pb_box *b, const struct box_fresh *f, struct pb_diag *d)
{
        sqlite3_stmt *st = box_stmt(b, ST_BALLOT_INSERT);

        if (st) {
                sqlite3_bind_blob(st, 1, f->commitment, PB_CVR_HASH_BYTES, SQLITE_STATIC);
                sqlite3_bind_blob(st, 2, f->nonce, PB_CVR_NONCE_BYTES, SQLITE_STATIC);
                sqlite3_bind_blob64(st, 3, f->cvr, f->cvr_len, SQLITE_STATIC);
        }
        return box_exec_stmt(b, st, d);
}

static void refuse(struct pb_cast_outcome *o, enum pb_reject why, uint64_t rejected[PB_REJECT_COUNT])
{
        /* the refusal each counted reason is reported as; an invalid ballot keeps the check's own
         * (over_budget, too_many_picks, ...).  PB_REJECT_SUBMISSION_REUSED is no longer given
         * (schema 5): a retry gets the first receipt whatever its ballot; its counter stays in
         * the close statement. */
        static const enum pb_refusal as[PB_REJECT_COUNT] = {
                [PB_REJECT_MALFORMED_CODE] = PB_REFUSAL_CODE_MALFORMED,
                [PB_REJECT_CODE_UNKNOWN] = PB_REFUSAL_CODE_UNKNOWN,
                [PB_REJECT_CODE_SPENT] = PB_REFUSAL_CODE_SPENT,
                [PB_REJECT_INVALID_BALLOT] = PB_REFUSAL_BALLOT_MALFORMED,
        };

        rejected[why]++;
        if (!o->diag.refusal)
                pb_diag_refuse(&o->diag, as[why], why == PB_REJECT_INVALID_BALLOT ? "$.ballot" : "$.code");
        o->status = o->diag.code;
}

pb_err pb_box_receipt_signer(const struct pb_box *b, struct pb_receipt_signer *ret, struct pb_diag *reterr)
{
        if (!b->engine)
                return pb_diag_set(reterr, PB_ERR_AUTH, "key", "this needs the engine key");
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->origin, b->manifest->origin, sizeof(ret->origin));
        memcpy(ret->election, b->manifest->election->id, strlen(b->manifest->election->id) + 1);
        ret->engine = b->engine;
        return PB_OK;
}

/* Sign one promise for the @n commitments at @commitments (PB_CVR_HASH_BYTES each) and fill the receipts
 * @rcs[0..n) in the same order. */
static pb_err sign_batch(const struct pb_receipt_signer *s, const uint8_t *commitments, size_t n,
                         struct pb_receipt *const *rcs, struct pb_diag *reterr)
{
        struct pb_promise_proof *proofs = pb_calloc(n, sizeof(*proofs));
        struct pb_promise promise;
        struct pb_buf note;
        pb_err r;

        if (!proofs)
                return PB_ERR_NOMEM;
        memset(&promise, 0, sizeof(promise));
        memcpy(promise.origin, s->origin, sizeof(promise.origin));
        memcpy(promise.election, s->election, sizeof(promise.election));
        pb_buf_init(&note, PB_RECEIPT_PROMISE_MAX - 1);
        r = pb_promise_batch(commitments, n, &promise, proofs, reterr);
        if (r == PB_OK)
                r = pb_promise_sign(&promise, s->engine, &note, reterr);
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                struct pb_receipt *rc = rcs[i];
                memcpy(rc->promise, note.data, note.len + 1);
                rc->promise_len = note.len;
                rc->proof = proofs[i];
                pb_code_short(rc->commitment, rc->short_code);
        }
        pb_buf_release(&note);
        pb_free(proofs);
        return r;
}

/*
 * The receipts of a committed cast: one promise for every ballot accepted now (a group commit costs
 * one signature), and one for each retried submission alone (the batch it first came with is not
 * kept, so its first receipt cannot be rebuilt; its commitment is the same).  An outcome whose
 * promise could not be signed becomes PB_ERR_NOMEM: the ballot is stored, and a retry gets one.
 */
void pb_receipts_sign(const struct pb_receipt_signer *s, struct pb_cast_outcome *out, size_t n)
{
        uint8_t *commitments = pb_reallocarray(NULL, n, PB_CVR_HASH_BYTES);
        struct pb_receipt **rcs = pb_calloc(n, sizeof(*rcs));
        size_t k = 0;
        pb_err r = commitments && rcs ? PB_OK : PB_ERR_NOMEM;

        for (size_t i = 0; r == PB_OK && i < n; i++)
                if (out[i].status == PB_OK && !out[i].replayed) {
                        memcpy(commitments + k * PB_CVR_HASH_BYTES, out[i].receipt.commitment,
                               PB_CVR_HASH_BYTES);
                        rcs[k++] = &out[i].receipt;
                }
        if (r == PB_OK && k)
                r = sign_batch(s, commitments, k, rcs, NULL);
        for (size_t i = 0; i < n; i++) {
                struct pb_cast_outcome *o = &out[i];
                pb_err ri = r;
                if (o->status != PB_OK)
                        continue;
                if (o->replayed) {
                        struct pb_receipt *one = &o->receipt;
                        ri = sign_batch(s, o->receipt.commitment, 1, &one, NULL);
                }
                if (ri < 0) {
                        o->status = PB_ERR_NOMEM;
                        o->replayed = false;
                        pb_diag_set(&o->diag, PB_ERR_NOMEM, "receipt",
                                    "the ballot is stored but its receipt could not be signed; retry");
                }
        }
        pb_free(commitments);
        pb_free(rcs);
}

/* One call of cast(): its submissions' preparations and what became of them. */
struct cast_batch {
        const struct pb_submission *subs;
        size_t n;
        struct pb_cast_outcome *out;
        struct pb_box_prepared *own;   /* the submissions prepared here */
        struct pb_box_prepared **prep; /* each submission's: the caller's or own */
        struct box_fresh *fresh;       /* the accepted ballots, rows written after the loop */
        struct box_prep_inputs in;
        uint64_t rejected[PB_REJECT_COUNT], accepted[PB_CHANNEL_COUNT], total;
        uint64_t by_contest[PB_MANIFEST_MAX_CONTESTS]; /* accepted ballots per contest */
};

static void batch_release(struct cast_batch *c)
{
        for (size_t i = 0; c->own && i < c->n; i++)
                pb_box_prepared_release(&c->own[i]);
        pb_free(c->own);
        pb_free(c->prep);
        pb_free(c->fresh);
}

/* Every submission prepared from the box's current inputs: the caller's preparation when it was
 * made from them, else one made here.  A refused one keeps its diagnostic in its outcome. */
static pb_err batch_prepare(struct pb_box *b, struct cast_batch *c, struct pb_box_prepared *const *given)
{
        c->own = pb_calloc(c->n, sizeof(*c->own));
        c->prep = pb_calloc(c->n, sizeof(*c->prep));
        c->fresh = pb_calloc(c->n, sizeof(*c->fresh));
        if (!c->own || !c->prep || !c->fresh)
                return PB_ERR_NOMEM;
        box_prep_inputs_of(b, &c->in);
        for (size_t i = 0; i < c->n; i++) {
                struct pb_box_prepared *p = given && given[i] ? given[i] : &c->own[i];

                memset(&c->out[i], 0, sizeof(c->out[i]));
                if (!p->prepared || p->gen != c->in.gen) {
                        /* not prepared, or from inputs that changed since (a snapshot taken before
                         * the retry key existed, or before the election opened) */
                        pb_box_prepared_release(p);
                        box_prepare(&c->in, &c->subs[i], p);
                }
                c->prep[i] = p;
                if (p->status < 0)
                        return p->status;
                if (!p->ok)
                        c->out[i].diag = p->diag;
        }
        return PB_OK;
}

/* Submission @i inside the transaction: refused, a retry answered with its first commitment, or
 * its code spent and its ballot accepted (written after the loop). */
static pb_err admit(struct pb_box *b, struct cast_batch *c, size_t i, struct pb_diag *reterr)
{
        const struct pb_box_prepared *p = c->prep[i];
        struct pb_cast_outcome *o = &c->out[i];
        enum spend spend = SPEND_UNKNOWN;
        size_t contest = 0;
        bool found = false;
        pb_err r;

        if (!p->ok) {
                refuse(o, p->reject, c->rejected);
                return PB_OK;
        }
        if (c->subs[i].has_submission_id && b->legacy_idem) {
                /* a submission from before schema 3, retried after the upgrade: its record answers
                 * first, as it did then */
                r = idem_lookup(b, p, &found, o->receipt.commitment, reterr);
                if (r < 0 || found) {
                        o->status = PB_OK;
                        o->replayed = found;
                        return r;
                }
        }
        r = spend_code(b, p, c->fresh, (size_t)c->total, &spend, o->receipt.commitment, &contest, reterr);
        if (r < 0)
                return r;
        if (spend == SPEND_RETRY) {
                /* the first submission's commitment, opened from the code's tag */
                o->status = PB_OK;
                o->replayed = true;
                return PB_OK;
        }
        if (spend == SPEND_NOT_ALLOWED || spend == SPEND_MISSING) {
                /* the code stays unspent: the voter may cast again with the right contests */
                char path[PB_DIAG_PATH_MAX];
                snprintf(path, sizeof(path), "$.ballots[\"%s\"]",
                         contest < b->manifest->n_contests ? b->manifest->contests[contest].election->id
                                                           : "");
                pb_diag_refuse(&o->diag,
                               spend == SPEND_MISSING ? PB_REFUSAL_CONTEST_MISSING
                                                      : PB_REFUSAL_CONTEST_NOT_ALLOWED,
                               path);
                refuse(o, PB_REJECT_INVALID_BALLOT, c->rejected);
                return PB_OK;
        }
        if (spend != SPEND_OK) {
                refuse(o, spend == SPEND_SPENT ? PB_REJECT_CODE_SPENT : PB_REJECT_CODE_UNKNOWN, c->rejected);
                return PB_OK;
        }
        c->fresh[c->total] = (struct box_fresh){ p->commitment, p->nonce, p->cvr, p->cvr_len };
        o->status = PB_OK;
        memcpy(o->receipt.commitment, p->commitment, PB_CVR_HASH_BYTES);
        c->accepted[c->subs[i].channel]++;
        for (uint32_t k = 0; k < 8 * p->fit_len; k++)
                if ((p->fit[k / 8] >> (k % 8)) & 1u)
                        c->by_contest[k]++;
        c->total++;
        return PB_OK;
}

static int by_kiosk(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add @n to the counter of kiosk @id (made at its first ballot). */
static pb_err add_kiosk_count(struct pb_box *b, const char *id, int64_t n, struct pb_diag *d)
{
        char name[BOX_COUNTER_NAME_MAX];
        sqlite3_stmt *st = box_stmt(b, ST_COUNT_UPSERT);

        snprintf(name, sizeof(name), CNT_KIOSK_PREFIX "%.32s", id);
        if (st) {
                sqlite3_bind_int64(st, 1, n);
                sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        }
        return box_exec_stmt(b, st, d);
}

/* The accepted ballots counted by the kiosk that cast them: sorted by id, one update per kiosk. */
static pb_err count_kiosks(struct pb_box *b, struct cast_batch *c, struct pb_diag *reterr)
{
        const char **ids = pb_calloc(c->n ? c->n : 1, sizeof(*ids));
        size_t n = 0;
        pb_err r = ids ? PB_OK : PB_ERR_NOMEM;

        for (size_t i = 0; r == PB_OK && i < c->n; i++)
                if (c->out[i].status == PB_OK && !c->out[i].replayed && c->subs[i].kiosk)
                        ids[n++] = c->subs[i].kiosk;
        qsort(ids, n, sizeof(*ids), by_kiosk);
        for (size_t i = 0, run = 1; r == PB_OK && i < n; i++, run++)
                if (i + 1 == n || strcmp(ids[i], ids[i + 1])) {
                        r = add_kiosk_count(b, ids[i], (int64_t)run, reterr);
                        run = 0;
                }
        pb_free(ids);
        return r;
}

/* The counters, then the accepted ballots: into the log at once when they complete a batch of
 * batch_min, else as pending rows.  *ret_flushed says which. */
static pb_err store(struct pb_box *b, struct cast_batch *c, bool *ret_flushed, struct pb_diag *reterr)
{
        char name[BOX_COUNTER_NAME_MAX];
        uint64_t pending;
        pb_err r = box_add_count(b, CNT_CODES_SPENT, (int64_t)c->total, reterr);

        if (r == PB_OK)
                r = box_add_count(b, CNT_PENDING, (int64_t)c->total, reterr);
        for (int k = 0; r == PB_OK && k < PB_CHANNEL_COUNT; k++)
                r = box_add_count(b, box_channel_counter((enum pb_channel)k, name), (int64_t)c->accepted[k],
                                  reterr);
        for (int k = 0; r == PB_OK && k < PB_REJECT_COUNT; k++)
                r = box_add_count(b, box_reject_counter((enum pb_reject)k, name), (int64_t)c->rejected[k],
                                  reterr);
        for (size_t k = 0; r == PB_OK && b->manifest->has_contests && k < b->manifest->n_contests; k++)
                r = box_add_count(b, box_contest_counter(k, name), (int64_t)c->by_contest[k], reterr);
        if (r == PB_OK)
                r = count_kiosks(b, c, reterr);
        if (r == PB_OK)
                r = box_get_count(b, CNT_PENDING, &pending, reterr);
        *ret_flushed = r == PB_OK && c->total && pending >= b->manifest->batch_min;
        if (*ret_flushed) /* this transaction's ballots are written once, with their leaf */
                return box_log_flush(b, c->fresh, (size_t)c->total, reterr);
        for (size_t k = 0; r == PB_OK && k < c->total; k++)
                r = store_pending(b, &c->fresh[k], reterr);
        return r;
}

/* One transaction: the state checked, every submission admitted, the counters and ballots
 * stored, committed. */
static pb_err cast_txn(struct pb_box *b, struct cast_batch *c, bool *ret_flushed, struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r = box_begin(b, reterr);

        if (r < 0)
                return r;
        if (b->prep_gen != c->in.gen) {
                /* another process changed an input of the preparations (box_sync) since they were
                 * made: nothing is stored, and a retry prepares from the new inputs */
                box_rollback(b);
                return pb_diag_set(reterr, PB_ERR_BUSY, "database",
                                   "the ballot box changed during the cast; retry");
        }
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_OPEN)
                r = pb_diag_refuse(reterr, PB_REFUSAL_NOT_OPEN, NULL);
        for (size_t i = 0; r == PB_OK && i < c->n; i++)
                r = admit(b, c, i, reterr);
        if (r == PB_OK)
                r = store(b, c, ret_flushed, reterr);
        if (r < 0) {
                box_rollback(b);
                if (r == PB_ERR_INTERNAL)
                        box_alarm(b);
                return r;
        }
        return box_commit(b, reterr);
}

static pb_err cast(struct pb_box *b, const struct pb_submission *subs, struct pb_box_prepared *const *given,
                   size_t n, struct pb_cast_outcome *out, bool sign, struct pb_diag *reterr)
{
        struct cast_batch c = { .subs = subs, .n = n, .out = out };
        bool flushed = false;
        pb_err r;

        if (n > PB_BOX_BATCH_MAX)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "batch",
                                   "more than " PB_STRINGIFY(PB_BOX_BATCH_MAX) " submissions in one batch");
        r = box_need_engine(b, reterr);
        if (r == PB_OK)
                r = box_retry_key_load(b, reterr);
        if (r == PB_OK)
                r = batch_prepare(b, &c, given);
        if (r == PB_OK)
                r = cast_txn(b, &c, &flushed, reterr);
        if (r < 0) {
                for (size_t i = 0; i < n; i++) {
                        /* nothing may be read as accepted when the call failed */
                        out[i].status = r;
                        out[i].replayed = false;
                }
                batch_release(&c);
                return r;
        }
        /* the WAL now holds this transaction's frames: its spent codes beside its ballots (set to set:
         * frames are written in page order).  A set smaller than a log batch is emptied out of the WAL
         * at the next flush (this one, if it flushed); larger ones when the WAL reaches its bound. */
        if (c.total && c.total < b->manifest->batch_min)
                b->wal_small_cast = true;
        /* durable now: only from here on may a receipt exist */
        if (sign) {
                struct pb_receipt_signer signer;
                pb_err k = pb_box_receipt_signer(b, &signer, NULL);
                PB_ASSERT(k == PB_OK); /* the engine key was checked before the transaction */
                pb_receipts_sign(&signer, out, n);
        }
        if (flushed && b->wal_small_cast)
                box_wal_truncate(b);
        batch_release(&c);
        return PB_OK;
}

pb_err pb_box_cast(struct pb_box *b, const struct pb_submission *subs, size_t n, struct pb_cast_outcome *out,
                   struct pb_diag *reterr)
{
        return cast(b, subs, NULL, n, out, true, reterr);
}

pb_err pb_box_cast_prepared(struct pb_box *b, const struct pb_submission *subs,
                            struct pb_box_prepared *const *preps, size_t n, struct pb_cast_outcome *out,
                            struct pb_diag *reterr)
{
        return cast(b, subs, preps, n, out, false, reterr);
}

pb_err pb_box_code_unspent(struct pb_box *b, const struct pb_box_prepared *p, bool *ret_unspent,
                           struct pb_diag *reterr)
{
        sqlite3_stmt *st;
        pb_err r = box_begin_read_stmt(b, ST_CODE_GET, &st, reterr);
        int rc;

        *ret_unspent = false;
        if (r < 0)
                return r;
        sqlite3_bind_blob(st, 1, p->code_hash, sizeof(p->code_hash), SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret_unspent = sqlite3_column_int(st, 0) == 0;
        else if (rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, reterr);
        sqlite3_reset(st);
        box_rollback(b);
        return r;
}

/* The contests of a code row's set (@blob, @len bytes; NULL: every contest of the vote). */
static void code_set(const struct pb_box *b, const void *blob, int len, struct pb_contest_set *ret)
{
        size_t n = b->manifest->n_contests;

        memset(ret, 0, sizeof(*ret));
        if (!blob) {
                for (size_t i = 0; i < n; i++)
                        pb_contest_set_add(ret, i);
                return;
        }
        memcpy(ret->bits, blob, len > 0 && (size_t)len < sizeof(ret->bits) ? (size_t)len : sizeof(ret->bits));
}

pb_err pb_box_code_contests(struct pb_box *b, const uint8_t hash[PB_CODE_HASH_BYTES],
                            enum pb_code_state *ret_state, struct pb_contest_set *ret_contests,
                            struct pb_diag *reterr)
{
        enum pb_box_state s;
        sqlite3_stmt *st;
        pb_err r = box_begin_read(b, reterr);
        int rc;

        *ret_state = PB_CODE_UNKNOWN;
        memset(ret_contests, 0, sizeof(*ret_contests));
        if (r < 0)
                return r;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_OPEN)
                r = pb_diag_refuse(reterr, PB_REFUSAL_NOT_OPEN, NULL);
        st = r == PB_OK ? box_stmt(b, ST_CODE_GET) : NULL;
        if (r == PB_OK && !st)
                r = box_sqlite_err(b, sqlite3_errcode(b->db), reterr);
        if (r < 0) {
                box_rollback(b);
                return r;
        }
        sqlite3_bind_blob(st, 1, hash, PB_CODE_HASH_BYTES, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0) {
                *ret_state = PB_CODE_SPENT;
        } else if (rc == SQLITE_ROW) {
                *ret_state = PB_CODE_UNSPENT;
                code_set(b, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), ret_contests);
        } else if (rc != SQLITE_DONE) {
                r = box_sqlite_err(b, rc, reterr);
        }
        sqlite3_reset(st);
        box_rollback(b);
        return r;
}
