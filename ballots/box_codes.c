/** @file Voter codes: issuing them (shown once) and their keyed hashes. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ballots/box_int.h"

#define COMPACT_LEN (PB_CODE_COMPACT_MAX + 1)

/*
 * Refuse codes for no contest of a vote of several, naming the contests (their ids, in the
 * manifest's order, space-separated, as the subject): whoever issues the codes needs their ids and
 * may have only the demo's or the city's own papers at hand.
 */
static pb_err no_contest_named(const struct pb_manifest *m, struct pb_diag *d)
{
        char ids[PB_DIAG_SUBJECT_MAX] = "";
        size_t len = 0;

        for (size_t i = 0; i < m->n_contests && len + 1 < sizeof(ids); i++) {
                int w = snprintf(ids + len, sizeof(ids) - len, "%s%s", i ? " " : "",
                                 m->contests[i].election->id);
                len = w < 0 ? len : len + (size_t)w;
        }
        pb_diag_set(d, PB_ERR_INVALID, "$.contests",
                    "this vote has several contests: name the ones the codes are for, of these");
        if (d)
                pb_diag_subject(d, ids, len < sizeof(ids) ? len : sizeof(ids) - 1);
        return PB_ERR_INVALID;
}

pb_err pb_box_contest_set(const struct pb_manifest *m, const char *const *ids, size_t n, bool need,
                          struct pb_contest_set *ret, size_t *ret_len, struct pb_diag *d)
{
        memset(ret, 0, sizeof(*ret));
        *ret_len = 0;
        if (n == 0)
                return need && m->n_contests > 1 ? no_contest_named(m, d) : PB_OK;
        for (size_t i = 0; i < n; i++) {
                long k = pb_manifest_find_contest(m, ids[i], strlen(ids[i]));
                char path[32];

                snprintf(path, sizeof(path), "$.contests[%zu]", i);
                if (k < 0)
                        return pb_diag_set(d, PB_ERR_INVALID, path, "this vote holds no such contest");
                if (pb_contest_set_has(ret, (size_t)k))
                        return pb_diag_set(d, PB_ERR_INVALID, path, "a contest named twice");
                pb_contest_set_add(ret, (size_t)k);
        }
        /* a vote of one contest in the one-contest form: stored as NULL, as before contests existed */
        *ret_len = m->has_contests ? pb_contest_set_bytes(m->n_contests) : 0;
        return PB_OK;
}

/* Store the hashes of @count new codes (inside a transaction), their compact text into @codes; the
 * codes stored so far to @progress. */
static pb_err insert_codes(struct pb_box *b, size_t count, const struct pb_contest_set *set, size_t set_len,
                           char *codes, const struct pb_progress *progress, struct pb_diag *reterr)
{
        pb_err r = PB_OK;

        for (size_t i = 0; r == PB_OK && i < count; i++) {
                uint8_t bytes[PB_CODE_BYTES], hash[PB_CODE_HASH_BYTES];
                struct pb_code code;
                sqlite3_stmt *st;
                int rc;

                randombytes_buf(bytes, sizeof(bytes));
                r = pb_code_from_bytes(bytes, sizeof(bytes), &code, reterr);
                sodium_memzero(bytes, sizeof(bytes));
                if (r < 0)
                        break;
                pb_code_hash(&code, b->pepper, hash);
                st = box_stmt(b, ST_CODE_INSERT);
                if (!st) {
                        r = box_sqlite_err(b, sqlite3_errcode(b->db), reterr);
                        pb_code_wipe(&code);
                        break;
                }
                sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
                if (set_len)
                        sqlite3_bind_blob(st, 2, set->bits, (int)set_len, SQLITE_STATIC);
                rc = sqlite3_step(st);
                sqlite3_reset(st);
                if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
                        /* 80 random bits twice: astronomically rare, but then draw again */
                        pb_code_wipe(&code);
                        i--;
                        continue;
                }
                if (rc != SQLITE_DONE) {
                        r = box_sqlite_err(b, rc, reterr);
                } else {
                        memcpy(codes + i * COMPACT_LEN, code.text, code.len + 1);
                        pb_progress_report(progress, i + 1, count, 0);
                }
                pb_code_wipe(&code);
        }
        return r;
}

pb_err pb_box_codes_issue(struct pb_box *b, size_t count, pb_box_code_fn fn, void *ctx,
                          struct pb_diag *reterr)
{
        return pb_box_codes_issue_for(b, count, NULL, 0, fn, ctx, reterr);
}

pb_err pb_box_codes_issue_for(struct pb_box *b, size_t count, const char *const *contests, size_t n,
                              pb_box_code_fn fn, void *ctx, struct pb_diag *reterr)
{
        return pb_box_codes_issue_progress(b, count, contests, n, NULL, fn, ctx, reterr);
}

pb_err pb_box_codes_issue_progress(struct pb_box *b, size_t count, const char *const *contests, size_t n,
                                   const struct pb_progress *progress, pb_box_code_fn fn, void *ctx,
                                   struct pb_diag *reterr)
{
        char *codes = NULL; /* count compact codes, COMPACT_LEN bytes each, in guarded memory */
        struct pb_contest_set set;
        enum pb_box_state s;
        size_t set_len = 0;
        pb_err r;

        if (count == 0 || count > PB_BOX_CODES_MAX)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "count",
                                   "issue 1 to " PB_STRINGIFY(PB_BOX_CODES_MAX) " codes at a time");
        r = box_need_engine(b, reterr);
        if (r < 0)
                return r;
        codes = sodium_allocarray(count, COMPACT_LEN);
        if (!codes)
                return PB_ERR_NOMEM;
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_DRAFT && s != PB_BOX_OPEN && s != PB_BOX_SUSPENDED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state",
                                "codes can be issued only before the election closes");
        /* the contests of the manifest of this transaction (a draft's may have changed) */
        if (r == PB_OK)
                r = pb_box_contest_set(b->manifest, contests, n, true, &set, &set_len, reterr);
        if (r == PB_OK)
                r = insert_codes(b, count, &set, set_len, codes, progress, reterr);
        if (r == PB_OK)
                r = box_add_count(b, CNT_CODES_ISSUED, (int64_t)count, reterr);
        if (r == PB_OK)
                r = box_commit(b, reterr);
        else
                box_rollback(b);
        if (r == PB_OK) /* the total once durable: what the progress line's time covers */
                pb_progress_report(progress, count, count, 1);
        /* shown only once they are durable: a code handed out must be a code the box knows */
        for (size_t i = 0; r == PB_OK && i < count; i++) {
                struct pb_code code;
                const char *text = codes + i * COMPACT_LEN;

                r = pb_code_parse(text, strlen(text), PB_CODE_BYTES, &code, reterr);
                if (r == PB_OK && fn)
                        r = fn(ctx, &code);
                pb_code_wipe(&code);
        }
out:
        sodium_free(codes); /* wipes the memory */
        return r;
}
