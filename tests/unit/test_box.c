/** @file The ballot box: states, codes, the cast batch, idempotency, the log, proofs, recovery, tokens. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "ballots/pb_bundle.h"
#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "ballots/pb_receipt.h"
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_canon.h"
#include "engine/pb_seal.h"
#include "formats/pb_tar.h"

static char dir[64];
static struct pb_key_secret engine, office, other;

static const char manifest_text[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":3,"
        "\"budget\":100,\"currency\":\"EUR\",\"id\":\"t1\",\"projects\":["
        "{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":\"b\",\"name\":\"B\"},"
        "{\"cost\":40,\"id\":\"c\",\"name\":\"C\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":\"Test\","
        "\"type\":\"pbvote.manifest/v1\"}";

static struct pb_manifest *manifest(void)
{
        struct pb_manifest *m = NULL;
        CHECK_INT(pb_manifest_parse(manifest_text, strlen(manifest_text), &m, NULL), PB_OK);
        return m;
}

static void path_of(char *out, size_t cap, const char *name)
{
        snprintf(out, cap, "%s/%s", dir, name);
}

/* The key @name from 32 bytes of @fill (the fixtures' keys and the tests' own). */
static void key(struct pb_key_secret *k, const char *name, uint8_t fill)
{
        uint8_t seed[32];
        memset(seed, fill, sizeof(seed));
        CHECK_INT(pb_key_secret_from_seed(k, name, seed, NULL), PB_OK);
}

struct codes {
        struct pb_code c[64];
        size_t n;
};

static pb_err collect(void *ctx, const struct pb_code *code)
{
        struct codes *cs = ctx;
        if (cs->n < 64)
                cs->c[cs->n++] = *code;
        return PB_OK;
}

static struct pb_submission sub(const char *code, const uint32_t *items, size_t n)
{
        struct pb_submission s;

        memset(&s, 0, sizeof(s));
        s.code = code;
        s.code_len = code ? strlen(code) : 0;
        s.items = items;
        s.n = n;
        s.channel = PB_CHANNEL_ELECTRONIC;
        return s;
}

/* sub() with a submission id: 16 bytes of @fill. */
static struct pb_submission sub_id(const char *code, const uint32_t *items, size_t n, uint8_t fill)
{
        struct pb_submission s = sub(code, items, n);

        s.has_submission_id = true;
        memset(s.submission_id, fill, 16);
        return s;
}

/* Cast @s alone: accepted, a retry of an earlier submission if @replayed; its outcome into @out. */
static void cast_check(struct pb_box *b, const struct pb_submission *s, struct pb_cast_outcome *out,
                       bool replayed)
{
        CHECK_INT(pb_box_cast(b, s, 1, out, NULL), PB_OK);
        CHECK(out->status == PB_OK && out->replayed == replayed);
}

/* Free @b and open @db again, with the engine key: what a restarted server does.  False, after a
 * failed check, when it does not open. */
static bool reopen(struct pb_box **b, const char *db)
{
        pb_box_free(*b);
        *b = NULL;
        CHECK_INT(pb_box_open(db, b, NULL), PB_OK);
        if (!*b)
                return false;
        CHECK_INT(pb_box_set_engine_key(*b, &engine, NULL), PB_OK);
        return true;
}

/* @b's turnout into @t, with these counts. */
static void check_turnout(struct pb_box *b, struct pb_turnout *t, uint64_t issued, uint64_t spent,
                          uint64_t ballots, uint64_t pending, uint64_t log_size)
{
        CHECK_INT(pb_box_turnout(b, t, NULL), PB_OK);
        CHECK_INT(t->codes_issued, issued);
        CHECK_INT(t->codes_spent, spent);
        CHECK_INT(t->ballots, ballots);
        CHECK_INT(t->pending, pending);
        CHECK_INT(t->log_size, log_size);
}

/*
 * The start of most tests: a box at @name in the test folder (its path into @db) from @m (borrowed;
 * the test manifest when NULL), with the engine key, its election opened and @n codes issued into
 * @cs (none when @n is 0; @cs may then be NULL).  NULL, after a failed check, when the box could not
 * be created; the caller frees the box.
 */
static struct pb_box *open_election(const struct pb_manifest *m, const char *name, size_t n, struct codes *cs,
                                    char *db, size_t cap)
{
        struct pb_manifest *test_m = m ? NULL : manifest();
        struct pb_box *b = NULL;

        if (cs)
                memset(cs, 0, sizeof(*cs));
        path_of(db, cap, name);
        CHECK_INT(pb_box_create(db, m ? m : test_m, &b, NULL), PB_OK);
        pb_manifest_free(test_m); /* the box stores its canonical form */
        if (!b)
                return NULL;
        CHECK_INT(pb_box_set_engine_key(b, &engine, NULL), PB_OK);
        CHECK_INT(pb_box_election_open(b, &office, NULL), PB_OK);
        if (n)
                CHECK_INT(pb_box_codes_issue(b, n, collect, cs, NULL), PB_OK);
        return b;
}

/* Cast the ballot @items (@n picks) with @code alone: it must be accepted, its outcome into @out. */
static void cast_one(struct pb_box *b, const char *code, const uint32_t *items, size_t n,
                     struct pb_cast_outcome *out)
{
        struct pb_submission s = sub(code, items, n);

        CHECK_INT(pb_box_cast(b, &s, 1, out, NULL), PB_OK);
        CHECK_INT(out->status, PB_OK);
}

/* No diagnostic of a refused submission may contain its code. */
/* The receipt's promise opens under the engine key, covers @size ballots, and its proof places the
 * receipt's commitment in that batch. */
static void check_receipt(const struct pb_receipt *rc, uint64_t size)
{
        struct pb_promise p;

        CHECK_INT(pb_promise_open(rc->promise, rc->promise_len, &engine.pub, &p, NULL), PB_OK);
        CHECK_INT(p.size, size);
        CHECK_INT(pb_promise_check(&p, rc->commitment, &rc->proof, NULL), PB_OK);
        CHECK_INT(strlen(rc->short_code), PB_CODE_SHORT_LEN);
}

static void check_no_code(const struct pb_cast_outcome *o, const char *code)
{
        CHECK(!strstr(o->diag.path, code) && !strstr(o->diag.subject, code) &&
              (!o->diag.reason || !strstr(o->diag.reason, code)));
}

/* A receipt for @rc's commitment under a promise of @election for log @origin, signed by the engine. */
static void forged_receipt(const struct pb_receipt *rc, const char *election, const char *origin,
                           const char *receipt_election, struct pb_buf *out)
{
        struct pb_promise p;
        struct pb_promise_proof proof;
        struct pb_buf note;
        struct pb_jw w;

        memset(&p, 0, sizeof(p));
        pb_buf_init(&note, 0);
        CHECK_INT(pb_promise_batch(rc->commitment, 1, &p, &proof, NULL), PB_OK);
        snprintf(p.origin, sizeof(p.origin), "%s", origin);
        snprintf(p.election, sizeof(p.election), "%s", election);
        CHECK_INT(pb_promise_sign(&p, &engine, &note, NULL), PB_OK);
        pb_buf_reset(out);
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "commitment");
        pb_jw_hex(&w, rc->commitment, 32);
        pb_jw_kv_string(&w, "election", receipt_election);
        pb_jw_kv_string(&w, "promise", note.data);
        pb_jw_kv_int(&w, "promise_index", 0);
        pb_jw_key(&w, "promise_path");
        pb_jw_array_begin(&w);
        pb_jw_array_end(&w);
        pb_jw_kv_string(&w, "short_code", rc->short_code);
        pb_jw_object_end(&w);
        CHECK_INT(pb_jw_finish(&w), PB_OK);
        pb_buf_release(&note);
}

/*
 * The fork of issue 11: a second election ("evil") created on the same server with the first
 * one's log origin made the engine key sign promises (and checkpoints) for that log that are not
 * in it.  The origin is now derived from the id: such a manifest is refused when it is created,
 * and a promise for a log that is not its election's is refused by the receipt check, whatever
 * the receipt's election says and whatever origin the voter pins.
 */
static void check_forked_promise(const struct pb_receipt *rc)
{
        char evil[sizeof(manifest_text) + 64];
        struct pb_manifest *m = NULL;
        struct pb_receipt_info info;
        struct pb_buf json;
        struct pb_diag d;
        const char *at = strstr(manifest_text, "\"id\":\"t1\"");

        pb_buf_init(&json, 0);
        snprintf(evil, sizeof(evil), "%.*s\"id\":\"evil\",\"origin\":\"pbvote/t1/ballots\"%s",
                 (int)(at - manifest_text), manifest_text, at + strlen("\"id\":\"t1\""));
        CHECK_INT(pb_manifest_parse(evil, strlen(evil), &m, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "$.origin");
        pb_manifest_free(m);
        m = NULL;
        /* its own derived origin may be given back (a manifest read from GET round-trips) */
        snprintf(evil, sizeof(evil), "%.*s\"id\":\"evil\",\"origin\":\"pbvote/evil/ballots\"%s",
                 (int)(at - manifest_text), manifest_text, at + strlen("\"id\":\"t1\""));
        CHECK_INT(pb_manifest_parse(evil, strlen(evil), &m, &d), PB_OK);
        CHECK_STR(m ? m->origin : "", "pbvote/evil/ballots");
        pb_manifest_free(m);

        /* what the old server signed for "evil": the log of e1 */
        forged_receipt(rc, "evil", "pbvote/t1/ballots", "evil", &json);
        CHECK_INT(pb_receipt_check(json.data, json.len, &engine.pub, NULL, NULL, &info, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "promise");
        CHECK_INT(pb_receipt_check(json.data, json.len, &engine.pub, NULL, "pbvote/t1/ballots", &info, &d),
                  PB_ERR_INVALID);
        forged_receipt(rc, "evil", "pbvote/t1/ballots", "t1", &json);
        CHECK_INT(pb_receipt_check(json.data, json.len, &engine.pub, "t1", "pbvote/t1/ballots", &info, &d),
                  PB_ERR_INVALID);
        CHECK_STR(d.path, "election");
        /* the honest promise of the same commitment, for comparison, passes */
        forged_receipt(rc, "t1", "pbvote/t1/ballots", "t1", &json);
        CHECK_INT(pb_receipt_check(json.data, json.len, &engine.pub, "t1", "pbvote/t1/ballots", &info, &d),
                  PB_OK);
        pb_buf_release(&json);
}

static void test_lifecycle(void)
{
        static const uint32_t ab[2] = { 0, 1 }, c_only[1] = { 2 }, abc[3] = { 0, 1, 2 }, b_only[1] = { 1 };
        char db[128], out_s[4][PB_RECEIPT_PROMISE_MAX];
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        struct codes cs;
        struct pb_submission subs[8];
        struct pb_cast_outcome out[8];
        struct pb_turnout t;
        struct pb_diag d;
        struct pb_buf note, env;
        struct pb_checkpoint cp;
        enum pb_box_state s;
        uint8_t committed[4][32];

        memset(&cs, 0, sizeof(cs));
        pb_buf_init(&note, 0);
        pb_buf_init(&env, 0);
        path_of(db, sizeof(db), "life.db");
        CHECK_INT(pb_box_create(db, m, &b, &d), PB_OK);
        CHECK(pb_box_create(db, m, &b, &d) == PB_ERR_CONFLICT);
        if (!b)
                goto out;
        CHECK(pb_box_state(b, &s) == PB_OK && s == PB_BOX_DRAFT);
        /* nothing works without the engine key */
        CHECK(pb_box_election_open(b, &office, &d) == PB_ERR_AUTH);
        CHECK(pb_box_codes_issue(b, 3, collect, &cs, &d) == PB_ERR_AUTH);
        CHECK_INT(pb_box_set_engine_key(b, &engine, &d), PB_OK);
        CHECK(pb_box_set_engine_key(b, &other, &d) == PB_ERR_FORBIDDEN);
        CHECK_INT(pb_box_set_engine_key(b, &engine, &d), PB_OK);
        CHECK(pb_box_codes_issue(b, 0, collect, &cs, &d) == PB_ERR_LIMIT);
        CHECK_STR(d.reason, "issue 1 to 1000000 codes at a time"); /* the limit, PB_BOX_CODES_MAX */
        CHECK(pb_box_codes_issue(b, PB_BOX_CODES_MAX + 1, collect, &cs, &d) == PB_ERR_LIMIT);
        CHECK_INT(pb_box_codes_issue(b, 10, collect, &cs, &d), PB_OK);
        CHECK_INT(cs.n, 10);
        /* no casting in draft */
        subs[0] = sub(cs.c[0].text, ab, 2);
        CHECK(pb_box_cast(b, subs, 1, out, &d) == PB_ERR_STATE);
        CHECK(pb_box_checkpoint(b, &note, NULL, &d) == PB_ERR_NOT_FOUND);
        CHECK(pb_box_election_suspend(b, &d) == PB_ERR_STATE);
        CHECK_INT(pb_box_election_open(b, &office, &d), PB_OK);
        CHECK(pb_box_election_open(b, &office, &d) == PB_ERR_STATE);
        CHECK(pb_box_set_manifest(b, m, &d) == PB_ERR_STATE);
        CHECK(pb_box_manifest(b)->has_keys);
        CHECK(pb_key_equal(&pb_box_manifest(b)->office_key, &office.pub));
        /* the zero checkpoint */
        CHECK_INT(pb_box_checkpoint(b, &note, &cp, &d), PB_OK);
        CHECK_INT(cp.size, 0);
        {
                struct pb_checkpoint opened;
                uint8_t empty[32];
                pb_merkle_empty_root(empty);
                CHECK_INT(pb_checkpoint_open(note.data, note.len, &engine.pub, &opened, NULL), PB_OK);
                CHECK(opened.size == 0 && !memcmp(opened.root, empty, 32));
                CHECK_STR(opened.origin, "pbvote/t1/ballots");
        }
        /* the signed manifest verifies under the office key, not the engine key */
        CHECK_INT(pb_box_document(b, PB_BOX_DOC_MANIFEST, &env, &d), PB_OK);
        {
                struct pb_seal_envelope e;
                pb_seal_envelope_init(&e);
                CHECK_INT(pb_envelope_parse(env.data, env.len, 0, &e, NULL), PB_OK);
                CHECK_INT(pb_seal_verify(&e, PB_SEAL_TYPE_MANIFEST, &office.pub, PB_SEAL_STRICT, NULL),
                          PB_OK);
                CHECK(pb_seal_verify(&e, PB_SEAL_TYPE_MANIFEST, &engine.pub, PB_SEAL_STRICT, NULL) ==
                      PB_ERR_SIGNATURE);
                CHECK(pb_seal_verify(&e, PB_SEAL_TYPE_RESULT, &office.pub, PB_SEAL_STRICT, NULL) ==
                      PB_ERR_SIGNATURE);
                pb_seal_envelope_release(&e);
        }

        /* one batch, every outcome */
        subs[0] = sub(cs.c[0].text, ab, 2);            /* accepted */
        subs[1] = sub("0410-6105-0R3G-G28A-B", ab, 2); /* well formed, never issued */
        subs[2] = sub("0410-6105-0R3G-G28A-Y", ab, 2); /* wrong check symbol */
        subs[3] = sub(cs.c[0].text, c_only, 1);        /* the same code again: spent */
        subs[4] = sub(cs.c[1].text, abc, 3);           /* three picks, max_length 2 */
        subs[5] = sub(cs.c[2].text, c_only, 1);        /* accepted, with a submission id */
        subs[5].has_submission_id = true;
        memset(subs[5].submission_id, 7, 16);
        subs[6] = subs[5];                      /* repeated in the same batch: the same receipt */
        subs[7] = sub(cs.c[2].text, b_only, 1); /* same code and id, another ballot: the same receipt */
        subs[7].has_submission_id = true;
        memset(subs[7].submission_id, 7, 16);
        CHECK_INT(pb_box_cast(b, subs, 8, out, &d), PB_OK);
        CHECK_INT(out[0].status, PB_OK);
        CHECK(!out[0].replayed);
        CHECK_INT(out[1].status, PB_ERR_FORBIDDEN);
        CHECK_STR(out[1].diag.refusal, "code_unknown");
        CHECK_STR(out[1].diag.path, "$.code");
        CHECK_INT(out[2].status, PB_ERR_PARSE);
        CHECK_STR(out[2].diag.refusal, "code_malformed");
        CHECK_STR(out[2].diag.path, "$.code");
        CHECK_INT(out[3].status, PB_ERR_CONFLICT);
        CHECK_STR(out[3].diag.refusal, "code_spent");
        CHECK_INT(out[4].status, PB_ERR_INVALID);
        CHECK_STR(out[4].diag.path, "$.ballot.approvals");
        CHECK_STR(out[4].diag.refusal, "too_many_picks");
        CHECK_INT(out[5].status, PB_OK);
        CHECK_INT(out[6].status, PB_OK);
        CHECK(out[6].replayed);
        CHECK_INT(out[7].status, PB_OK);
        CHECK(out[7].replayed);
        /* the retries in the same batch: the same commitment, under a promise of its own, whatever
         * ballot they carry (issue 11) */
        CHECK(!memcmp(out[5].receipt.commitment, out[6].receipt.commitment, 32));
        CHECK(!memcmp(out[5].receipt.commitment, out[7].receipt.commitment, 32));
        check_receipt(&out[6].receipt, 1);
        CHECK_STR(out[7].receipt.promise, out[6].receipt.promise);
        for (int i = 0; i < 8; i++)
                if (subs[i].code)
                        check_no_code(&out[i], subs[i].code);
        /* the two ballots accepted together share one signed promise of the batch */
        check_receipt(&out[0].receipt, 2);
        check_receipt(&out[5].receipt, 2);
        CHECK_STR(out[0].receipt.promise, out[5].receipt.promise);
        CHECK(out[0].receipt.proof.index != out[5].receipt.proof.index);
        {
                struct pb_promise p;
                CHECK(pb_promise_open(out[0].receipt.promise, out[0].receipt.promise_len, &other.pub, &p,
                                      NULL) == PB_ERR_SIGNATURE);
                CHECK_INT(strlen(out[0].receipt.short_code), PB_CODE_SHORT_LEN);
                /* a receipt does not prove another ballot of the batch */
                CHECK_INT(pb_promise_open(out[0].receipt.promise, out[0].receipt.promise_len, &engine.pub, &p,
                                          NULL),
                          PB_OK);
                CHECK(pb_promise_check(&p, out[5].receipt.commitment, &out[0].receipt.proof, NULL) < 0);
        }
        memcpy(committed[0], out[0].receipt.commitment, 32);
        memcpy(committed[1], out[5].receipt.commitment, 32);
        memcpy(out_s[0], out[6].receipt.promise, sizeof(out_s[0]));
        check_turnout(b, &t, 10, 2, 2, 2, 0);
        CHECK_INT(t.by_channel[PB_CHANNEL_ELECTRONIC], 2);
        CHECK_INT(t.rejected[PB_REJECT_CODE_UNKNOWN], 1);
        CHECK_INT(t.rejected[PB_REJECT_MALFORMED_CODE], 1);
        CHECK_INT(t.rejected[PB_REJECT_CODE_SPENT], 1);
        CHECK_INT(t.rejected[PB_REJECT_INVALID_BALLOT], 1);
        CHECK_INT(t.rejected[PB_REJECT_SUBMISSION_REUSED], 0);
        {
                struct pb_box_proof p;
                CHECK_INT(pb_box_inclusion(b, committed[0], &p, &note, &d), PB_OK);
                CHECK(p.pending);
        }

        /* a later retry of the same submission: the same receipt, byte for byte, and no code spent */
        subs[0] = subs[5];
        CHECK_INT(pb_box_cast(b, subs, 1, out, &d), PB_OK);
        CHECK(out[0].status == PB_OK && out[0].replayed);
        CHECK(!strcmp(out[0].receipt.promise, out_s[0]));

        /* the third ballot reaches batch_min: the batch goes into the log */
        subs[0] = sub(cs.c[4].text, b_only, 1);
        subs[0].channel = PB_CHANNEL_PAPER;
        CHECK_INT(pb_box_cast(b, subs, 1, out, &d), PB_OK);
        CHECK_INT(out[0].status, PB_OK);
        memcpy(committed[2], out[0].receipt.commitment, 32);
        CHECK_INT(pb_box_turnout(b, &t, &d), PB_OK);
        CHECK_INT(t.log_size, 3);
        CHECK_INT(t.pending, 0);
        CHECK_INT(t.by_channel[PB_CHANNEL_PAPER], 1);
        pb_buf_reset(&note);
        CHECK_INT(pb_box_checkpoint(b, &note, &cp, &d), PB_OK);
        CHECK_INT(cp.size, 3);
        {
                /* every commitment is provably in the signed tree, sorted by commitment in its batch */
                uint64_t index[3];
                for (int i = 0; i < 3; i++) {
                        struct pb_box_proof p;
                        struct pb_buf n2;
                        struct pb_checkpoint opened;
                        uint8_t leaf[32];

                        pb_buf_init(&n2, 0);
                        CHECK_INT(pb_box_inclusion(b, committed[i], &p, &n2, &d), PB_OK);
                        CHECK(!p.pending && p.size == 3);
                        CHECK_INT(pb_checkpoint_open(n2.data, n2.len, &engine.pub, &opened, NULL), PB_OK);
                        pb_cvr_leaf_hash(committed[i], leaf);
                        CHECK_INT(pb_merkle_verify_inclusion(p.index, p.size, leaf, p.path, p.path_len,
                                                             opened.root, NULL),
                                  PB_OK);
                        leaf[0] ^= 1;
                        CHECK(pb_merkle_verify_inclusion(p.index, p.size, leaf, p.path, p.path_len,
                                                         opened.root, NULL) != PB_OK);
                        index[i] = p.index;
                        pb_buf_release(&n2);
                }
                for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++)
                                if (i != j)
                                        CHECK((memcmp(committed[i], committed[j], 32) < 0) ==
                                              (index[i] < index[j]));
        }
        {
                uint8_t unknown[32] = { 1 };
                struct pb_box_proof p;
                CHECK(pb_box_inclusion(b, unknown, &p, &note, &d) == PB_ERR_NOT_FOUND);
        }
        /* two more pending, then a consistency proof from 3 to 5 after an explicit flush */
        subs[0] = sub(cs.c[5].text, ab, 2);
        subs[1] = sub(cs.c[6].text, c_only, 1);
        CHECK_INT(pb_box_cast(b, subs, 2, out, &d), PB_OK);
        CHECK(out[0].status == PB_OK && out[1].status == PB_OK);
        memcpy(committed[3], out[0].receipt.commitment, 32);
        CHECK_INT(pb_box_flush(b, &d), PB_OK);
        {
                uint8_t path[PB_MERKLE_MAX_PROOF * 32], r5[32], r3[32];
                size_t len = 0;
                struct pb_checkpoint c5;

                memcpy(r3, cp.root, 32);
                pb_buf_reset(&note);
                CHECK_INT(pb_box_checkpoint(b, &note, &c5, &d), PB_OK);
                CHECK_INT(c5.size, 5);
                memcpy(r5, c5.root, 32);
                CHECK_INT(pb_box_consistency(b, 3, 5, path, &len, &d), PB_OK);
                CHECK_INT(pb_merkle_verify_consistency(3, 5, r3, r5, path, len, NULL), PB_OK);
                CHECK(pb_box_consistency(b, 3, 6, path, &len, &d) == PB_ERR_INVALID);
        }
        CHECK_INT(pb_box_election_suspend(b, &d), PB_OK);
        subs[0] = sub(cs.c[7].text, ab, 2);
        CHECK(pb_box_cast(b, subs, 1, out, &d) == PB_ERR_STATE);
        CHECK_INT(pb_box_election_resume(b, &d), PB_OK);
        CHECK(pb_box_cast(b, subs, 1, out, &d) == PB_OK && out[0].status == PB_OK); /* pending at close */
        CHECK_INT(pb_box_check(b, &d), PB_OK);
        CHECK(pb_box_election_close(b, "2026 June", &d) == PB_ERR_INVALID);
        CHECK_INT(pb_box_election_close(b, "2026-02-30T20:00:00Z", &d), PB_ERR_INVALID); /* no such day */
        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", &d), PB_OK);
        CHECK(pb_box_election_close(b, "2026-06-01T20:00:00Z", &d) == PB_ERR_STATE);
        CHECK(pb_box_election_resume(b, &d) == PB_ERR_STATE);
        CHECK(pb_box_election_open(b, &office, &d) == PB_ERR_STATE);
        subs[0] = sub(cs.c[8].text, ab, 2);
        CHECK(pb_box_cast(b, subs, 1, out, &d) == PB_ERR_STATE);
        CHECK(pb_box_codes_issue(b, 1, collect, &cs, &d) == PB_ERR_STATE);
        CHECK_INT(pb_box_turnout(b, &t, &d), PB_OK);
        CHECK_INT(t.state, PB_BOX_CLOSED);
        CHECK_INT(t.log_size, 6);
        CHECK_INT(t.pending, 0);
        /* the close statement: signed by the engine, the final tree and the counts */
        pb_buf_reset(&env);
        CHECK_INT(pb_box_document(b, PB_BOX_DOC_CLOSE, &env, &d), PB_OK);
        {
                struct pb_seal_envelope e;
                struct pb_doc_close c;
                pb_seal_envelope_init(&e);
                CHECK_INT(pb_envelope_parse(env.data, env.len, 0, &e, NULL), PB_OK);
                CHECK_INT(pb_seal_verify(&e, PB_SEAL_TYPE_CLOSE, &engine.pub, PB_SEAL_STRICT, NULL), PB_OK);
                CHECK_INT(pb_doc_close_parse((const char *)e.payload, e.payload_len, NULL, &c, NULL), PB_OK);
                CHECK_INT(c.log.size, 6);
                CHECK_INT(c.counts.ballots, 6);
                CHECK_INT(c.counts.codes_issued, 10);
                CHECK_STR(c.closed_at, "2026-06-01T20:00:00Z");
                pb_seal_envelope_release(&e);
        }
        /* tally: signed, deterministic; certify: office key only */
        pb_buf_reset(&env);
        {
                struct pb_buf again, cert;
                uint64_t seed = 1;
                pb_buf_init(&again, 0);
                pb_buf_init(&cert, 0);
                CHECK(pb_box_tally(b, &seed, "pbvote test", &env, &d) == PB_ERR_INVALID); /* takes no seed */
                CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &env, &d), PB_OK);
                CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &again, &d), PB_OK);
                CHECK(env.len == again.len && !memcmp(env.data, again.data, env.len));
                pb_buf_reset(&again);
                CHECK(pb_box_tally(b, NULL, "pbvote other", &again, &d) == PB_ERR_CONFLICT);
                CHECK(pb_box_certify(b, env.data, env.len, &engine, "2026-06-02T10:00:00Z", &cert, &d) ==
                      PB_ERR_FORBIDDEN);
                CHECK(pb_box_certify(b, env.data, env.len - 1, &office, "2026-06-02T10:00:00Z", &cert, &d) ==
                      PB_ERR_CONFLICT);
                /* not a real time, and a time before the close (2026-06-01T20:00:00Z) */
                CHECK_INT(pb_box_certify(b, env.data, env.len, &office, "2026-13-01T10:00:00Z", &cert, &d),
                          PB_ERR_INVALID);
                CHECK_INT(pb_box_certify(b, env.data, env.len, &office, "2026-06-01T19:59:59Z", &cert, &d),
                          PB_ERR_INVALID);
                CHECK_STR(d.reason, "a certification dated before the close");
                CHECK_INT(pb_box_certify(b, env.data, env.len, &office, "2026-06-02T10:00:00Z", &cert, &d),
                          PB_OK);
                pb_buf_reset(&cert);
                CHECK_INT(pb_box_certify(b, env.data, env.len, &office, "2026-06-02T10:00:00Z", &cert, &d),
                          PB_OK);
                pb_buf_reset(&cert);
                CHECK(pb_box_certify(b, env.data, env.len, &office, "2026-06-03T10:00:00Z", &cert, &d) ==
                      PB_ERR_CONFLICT);
                CHECK(pb_box_state(b, &s) == PB_OK && s == PB_BOX_CERTIFIED);
                pb_buf_release(&again);
                pb_buf_release(&cert);
        }
        CHECK_INT(pb_box_check(b, &d), PB_OK);
        pb_box_free(b);
        b = NULL;
        /* reopened: recovery finds everything consistent */
        CHECK_INT(pb_box_open(db, &b, &d), PB_OK);
        if (b)
                CHECK_INT(pb_box_check(b, &d), PB_OK);
out:
        pb_box_free(b);
        pb_manifest_free(m);
        pb_buf_release(&note);
        pb_buf_release(&env);
}

/* Open a box, cast @n ballots (batch_min 3), return its path in @db. */
static void make_box(const char *name, int n, char *db, size_t cap)
{
        static const uint32_t a_only[1] = { 0 };
        struct codes cs;
        struct pb_cast_outcome out;
        struct pb_box *b = open_election(NULL, name, (size_t)n, &cs, db, cap);

        /* one at a time: the log takes the first three, the fourth stays pending */
        for (int i = 0; b && i < n; i++)
                cast_one(b, cs.c[i].text, a_only, 1, &out);
        pb_box_free(b);
}

static int sql(const char *db, const char *stmt)
{
        sqlite3 *h = NULL;
        int rc = sqlite3_open(db, &h);

        if (rc == SQLITE_OK)
                rc = sqlite3_exec(h, stmt, NULL, NULL, NULL);
        sqlite3_close(h);
        return rc;
}

/* Damage the log behind the box's back: opening must refuse (integrity alarm). */
/* The integer the query @q gives (-1 when it gives none). */
static long long sql_int(const char *db, const char *q)
{
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;
        long long v = -1;

        if (sqlite3_open(db, &h) == SQLITE_OK && sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
        return v;
}

static void test_recovery_refuses_damage(void)
{
        static const char *const damage[] = {
                "DELETE FROM checkpoints WHERE size = 3",
                "UPDATE tree SET hash = zeroblob(32) WHERE level = 1 AND idx = 0",
                "UPDATE counts SET n = n + 1 WHERE name = 'codes_spent'",
                "DELETE FROM ballots WHERE leaf IS NULL",        /* the pending ballot vanishes */
                "UPDATE ballots SET leaf = NULL WHERE leaf = 2", /* a logged ballot turns pending */
                "UPDATE counts SET n = 2 WHERE name = 'logged'",
        };

        for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
                char db[128], name[32];
                struct pb_box *b = NULL;
                struct pb_diag d;

                snprintf(name, sizeof(name), "damage%zu.db", i);
                make_box(name, 4, db, sizeof(db)); /* 3 logged, 1 pending */
                CHECK_INT(pb_box_open(db, &b, &d), PB_OK);
                pb_box_free(b);
                b = NULL;
                CHECK(sql(db, damage[i]) == SQLITE_OK);
                CHECK_INT(pb_box_open(db, &b, &d), PB_ERR_INTERNAL);
                CHECK(b == NULL);
                pb_box_free(b);
        }
        {
                char db[128];
                struct pb_box *b = NULL;
                struct pb_diag d;
                /* not a ballot box at all */
                path_of(db, sizeof(db), "other.db");
                CHECK(sql(db, "CREATE TABLE x(y)") == SQLITE_OK);
                CHECK_INT(pb_box_open(db, &b, &d), PB_ERR_UNSUPPORTED);
                path_of(db, sizeof(db), "missing.db");
                CHECK_INT(pb_box_open(db, &b, &d), PB_ERR_NOT_FOUND);
        }
        {
                /* a damaged CVR: opening is cheap and does not see it, the full check does */
                char db[128];
                struct pb_box *b = NULL;
                struct pb_diag d;
                make_box("cvr.db", 3, db, sizeof(db));
                CHECK(sql(db,
                          "UPDATE ballots SET cvr = replace(cvr, 'electronic', 'paper') WHERE leaf = 1") ==
                      SQLITE_OK);
                CHECK_INT(pb_box_open(db, &b, &d), PB_OK);
                if (b)
                        CHECK_INT(pb_box_check(b, &d), PB_ERR_INTERNAL);
                pb_box_free(b);
        }
}

static long long file_size(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/*
 * The WAL holds a cast transaction's spent codes beside its ballots.  One of fewer than batch_min
 * ballots (3 here) is emptied out of the WAL at the next flush; a transaction of batch_min or more
 * (a set at least as large as a log batch) may stay until the WAL reaches its size bound.
 */
static void test_wal_truncation(void)
{
        static const uint32_t a_only[1] = { 0 };
        struct pb_box *b = NULL;
        struct codes cs;
        struct pb_submission subs[8];
        struct pb_cast_outcome out[8];
        struct pb_turnout t;
        char db[128], wal[160];
        int next = 0;

        b = open_election(NULL, "wal.db", 20, &cs, db, sizeof(db));
        snprintf(wal, sizeof(wal), "%s-wal", db);
        if (!b)
                goto out;
        /* three single casts: the first two wait in the WAL, the third completes a batch and the
         * flush empties the WAL */
        for (int i = 0; i < 3; i++) {
                subs[0] = sub(cs.c[next++].text, a_only, 1);
                CHECK(pb_box_cast(b, subs, 1, out, NULL) == PB_OK && out[0].status == PB_OK);
                if (i < 2)
                        CHECK(file_size(wal) > 0);
        }
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.log_size == 3);
        CHECK_INT(file_size(wal), 0);
        /* four ballots in one transaction (a batch by themselves): the WAL keeps them */
        for (int i = 0; i < 4; i++)
                subs[i] = sub(cs.c[next++].text, a_only, 1);
        CHECK(pb_box_cast(b, subs, 4, out, NULL) == PB_OK && out[3].status == PB_OK);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.log_size == 7);
        CHECK(file_size(wal) > 0);
        /* a small transaction again: pending, then the next flush (a large batch) empties the WAL */
        subs[0] = sub(cs.c[next++].text, a_only, 1);
        CHECK(pb_box_cast(b, subs, 1, out, NULL) == PB_OK && out[0].status == PB_OK);
        for (int i = 0; i < 4; i++)
                subs[i] = sub(cs.c[next++].text, a_only, 1);
        CHECK(pb_box_cast(b, subs, 4, out, NULL) == PB_OK && out[3].status == PB_OK);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.log_size == 12);
        CHECK_INT(file_size(wal), 0);
        /* a box opened afterwards does not know what the WAL holds: its first flush empties it */
        for (int i = 0; i < 4; i++)
                subs[i] = sub(cs.c[next++].text, a_only, 1);
        CHECK(pb_box_cast(b, subs, 4, out, NULL) == PB_OK && out[3].status == PB_OK);
        CHECK(file_size(wal) > 0);
        if (!reopen(&b, db))
                goto out;
        for (int i = 0; i < 3; i++)
                subs[i] = sub(cs.c[next++].text, a_only, 1);
        CHECK(pb_box_cast(b, subs, 3, out, NULL) == PB_OK && out[2].status == PB_OK);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.log_size == 19);
        CHECK_INT(file_size(wal), 0);
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
out:
        pb_box_free(b);
}

/* Retries: the same commitment under a promise of its own, byte for byte the same at every retry,
 * also from another handle (a restarted server). */
static void test_retry(void)
{
        static const uint32_t ab[2] = { 0, 1 };
        struct pb_box *b = NULL;
        struct pb_submission s;
        struct pb_cast_outcome out, again;
        struct codes cs;
        char db[128];

        b = open_election(NULL, "retry.db", 2, &cs, db, sizeof(db));
        if (!b)
                goto out;
        s = sub_id(cs.c[0].text, ab, 2, 7);
        cast_check(b, &s, &out, false);
        check_receipt(&out.receipt, 1);
        /* the receipt as JSON checks offline (ballots/receipt.c), and malformed ones name the field */
        {
                char json[4096], hex[65], promise_json[2048], bad[4096];
                struct pb_receipt_info info;
                struct pb_diag d;
                size_t k = 0;
                sodium_bin2hex(hex, sizeof(hex), out.receipt.commitment, 32);
                for (size_t i = 0; i < out.receipt.promise_len && k + 8 < sizeof(promise_json); i++) {
                        char ch = out.receipt.promise[i];
                        if (ch == '\n') { /* JSON-escaped; the rest (base64, the em dash) goes as is */
                                promise_json[k++] = '\\';
                                promise_json[k++] = 'n';
                        } else {
                                promise_json[k++] = ch;
                        }
                }
                promise_json[k] = '\0';
                snprintf(json, sizeof(json),
                         "{\"commitment\":\"%s\",\"election\":\"t1\",\"promise\":\"%s\",\"promise_index\":0,"
                         "\"promise_path\":[],\"short_code\":\"%s\"}",
                         hex, promise_json, out.receipt.short_code);
                CHECK_INT(pb_receipt_check(json, strlen(json), &engine.pub, NULL, NULL, &info, &d), PB_OK);
                CHECK(!memcmp(info.commitment, out.receipt.commitment, 32) && info.promise.size == 1);
                CHECK_INT(pb_receipt_check(json, strlen(json), &other.pub, NULL, NULL, &info, &d),
                          PB_ERR_SIGNATURE);
                CHECK_STR(d.path, "promise");
                CHECK_INT(pb_receipt_check(json, strlen(json), &engine.pub, NULL, "other/origin", &info, &d),
                          PB_ERR_INVALID);
                CHECK_INT(pb_receipt_check(json, strlen(json), &engine.pub, NULL, "pbvote/t1/ballots", &info,
                                           &d),
                          PB_OK);
                /* the voter's election pins the receipt: another election's receipt is refused */
                CHECK_INT(pb_receipt_check(json, strlen(json), &engine.pub, "t1", NULL, &info, &d), PB_OK);
                CHECK_STR(info.promise.election, "t1");
                CHECK_INT(pb_receipt_check(json, strlen(json), &engine.pub, "t2", NULL, &info, &d),
                          PB_ERR_INVALID);
                CHECK_STR(d.path, "election");
                check_forked_promise(&out.receipt);
                {
                        static const struct {
                                const char *from, *to, *path;
                                pb_err want;
                        } cases[] = {
                                { "\"promise_index\":0", "\"promise_index\":-1", "promise_index",
                                  PB_ERR_PARSE },
                                { "\"promise_index\":0", "\"promise_index\":\"0\"", "$.promise_index",
                                  PB_ERR_PARSE },
                                { "\"promise_path\":[]", "\"promise_path\":[\"zz\"]", "promise_path",
                                  PB_ERR_PARSE },
                                { "\"promise_path\":[]", "\"promise_path\":[1]", "promise_path",
                                  PB_ERR_PARSE },
                                { "\"election\":\"t1\",", "", "$.election", PB_ERR_PARSE },
                                { "\"election\":\"t1\",", "\"election\":\"t1\",\"extra\":1,", "$.extra",
                                  PB_ERR_PARSE },
                                { "\"commitment\":\"", "\"commitment\":\"0", "commitment", PB_ERR_PARSE },
                                /* the note's text is what is signed: a changed header fails the signature */
                                { "\"promise\":\"pbv-promise/v3", "\"promise\":\"pbv-promise/v2", "promise",
                                  PB_ERR_SIGNATURE },
                                /* the election is signed inside the promise (issue 11): another one in
                                 * the receipt's own field is refused */
                                { "\"election\":\"t1\"", "\"election\":\"t2\"", "election", PB_ERR_INVALID },
                                { "\\nt1\\n", "\\nt2\\n", "promise", PB_ERR_SIGNATURE },
                                { "\"promise_index\":0", "\"promise_index\":1", "promise_path",
                                  PB_ERR_INVALID },
                        };
                        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                                const char *at = strstr(json, cases[c].from);
                                if (!at) {
                                        CHECK_FAIL("receipt case does not apply");
                                        continue;
                                }
                                snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - json), json, cases[c].to,
                                         at + strlen(cases[c].from));
                                pb_diag_clear(&d);
                                CHECK_INT(pb_receipt_check(bad, strlen(bad), &engine.pub, NULL, NULL, &info,
                                                           &d),
                                          cases[c].want);
                                CHECK_STR(d.path, cases[c].path);
                        }
                }
                /* 13 path hashes: longer than any promise's */
                {
                        char path13[13 * 67 + 8];
                        size_t at = 0;
                        for (int h = 0; h < 13; h++)
                                at += (size_t)snprintf(path13 + at, sizeof(path13) - at, "%s\"%s\"",
                                                       h ? "," : "", hex);
                        snprintf(bad, sizeof(bad),
                                 "{\"receipt\":{\"commitment\":\"%s\",\"election\":\"t1\",\"promise\":\"%s\","
                                 "\"promise_index\":0,\"promise_path\":[%s],\"short_code\":\"%s\"}}",
                                 hex, promise_json, path13, out.receipt.short_code);
                        CHECK_INT(pb_receipt_check(bad, strlen(bad), &engine.pub, NULL, NULL, &info, &d),
                                  PB_ERR_INVALID);
                        CHECK_STR(d.path, "promise_path");
                }
        }
        /* a batch of one: the retry's promise is the first one, byte for byte */
        cast_check(b, &s, &again, true);
        CHECK_STR(again.receipt.promise, out.receipt.promise);
        CHECK_STR(again.receipt.short_code, out.receipt.short_code);

        /* the retry key is in the database: another handle (a restarted server) finds the same
         * commitment for the retry, and nothing was stored twice */
        if (!reopen(&b, db))
                goto out;
        cast_check(b, &s, &again, true);
        CHECK(!memcmp(again.receipt.commitment, out.receipt.commitment, 32));
        /* the same submission id with another code is another voter's ballot: accepted */
        s.code = cs.c[1].text;
        s.code_len = strlen(s.code);
        cast_check(b, &s, &again, false);
        CHECK(memcmp(again.receipt.commitment, out.receipt.commitment, 32) != 0);
        {
                struct pb_turnout t;
                CHECK_INT(pb_box_turnout(b, &t, NULL), PB_OK);
                CHECK_INT(t.ballots, 2);
                CHECK_INT(t.codes_spent, 2);
        }
        /* close forgets the key and every tag: no retry can be linked to its ballot afterwards */
        {
                sqlite3 *h = NULL;
                sqlite3_stmt *st = NULL;
                const char *q = "SELECT (SELECT count(*) FROM codes WHERE tag IS NOT NULL),"
                                " (SELECT count(*) FROM election WHERE retry_key IS NOT NULL)";
                CHECK(sqlite3_open(db, &h) == SQLITE_OK);
                CHECK(sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK);
                CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2 &&
                      sqlite3_column_int(st, 1) == 1);
                sqlite3_finalize(st);
                CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL), PB_OK);
                CHECK(sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK);
                CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0 &&
                      sqlite3_column_int(st, 1) == 0);
                sqlite3_finalize(st);
                sqlite3_close(h);
                CHECK_INT(pb_box_check(b, NULL), PB_OK);
        }
out:
        pb_box_free(b);
}

/* The CVR stored for @commitment (hex into @out), "" when there is none. */
static void stored_cvr(const char *db, const uint8_t commitment[32], char *out, size_t cap)
{
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;

        out[0] = '\0';
        CHECK(sqlite3_open(db, &h) == SQLITE_OK);
        CHECK(sqlite3_prepare_v2(
                      h, "SELECT hex(nonce) || ':' || CAST(cvr AS TEXT) FROM ballots WHERE commitment = ?",
                      -1, &st, NULL) == SQLITE_OK);
        sqlite3_bind_blob(st, 1, commitment, 32, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(h);
}

/*
 * Vote buying by replay (issue 11): whoever holds a voter's code and submission id must not learn
 * whether a guessed ballot is the stored one.  Retries of (code, id) with three different ballots,
 * and with the first ballot, get byte-identical receipts, from this handle and from a restarted
 * one; the stored ballot and every counter stay as they were.  Another id with the spent code is
 * code_spent whatever its ballot.
 */
static void test_retry_any_ballot(void)
{
        static const uint32_t ab[2] = { 0, 1 }, ballots[3][2] = { { 2, 0 }, { 1, 0 }, { 0, 2 } };
        static const size_t lens[3] = { 1, 1, 2 };
        struct pb_box *b = NULL;
        struct pb_submission s;
        struct pb_cast_outcome first, again[4];
        struct pb_turnout t0, t1;
        struct codes cs;
        char db[128], cvr0[4096], cvr1[4096];

        b = open_election(NULL, "replay.db", 2, &cs, db, sizeof(db));
        if (!b)
                goto out;
        s = sub_id(cs.c[0].text, ab, 2, 0x5a);
        cast_check(b, &s, &first, false);
        stored_cvr(db, first.receipt.commitment, cvr0, sizeof(cvr0));
        CHECK(cvr0[0] != '\0');
        CHECK_INT(pb_box_turnout(b, &t0, NULL), PB_OK);
        for (int round = 0; round < 2; round++) {
                for (int k = 0; k < 4; k++) {
                        s.items = k < 3 ? ballots[k] : ab;
                        s.n = k < 3 ? lens[k] : 2;
                        cast_check(b, &s, &again[k], true);
                        CHECK(!memcmp(again[k].receipt.commitment, first.receipt.commitment, 32));
                        CHECK_STR(again[k].receipt.promise, again[0].receipt.promise);
                        CHECK_STR(again[k].receipt.short_code, again[0].receipt.short_code);
                        CHECK(!memcmp(&again[k].receipt.proof, &again[0].receipt.proof,
                                      sizeof(again[0].receipt.proof)));
                }
                /* another id with the spent code: code_spent, whatever the ballot */
                s.submission_id[0] ^= 1;
                for (int k = 0; k < 4; k++) {
                        struct pb_cast_outcome o;
                        s.items = k < 3 ? ballots[k] : ab;
                        s.n = k < 3 ? lens[k] : 2;
                        CHECK_INT(pb_box_cast(b, &s, 1, &o, NULL), PB_OK);
                        CHECK_INT(o.status, PB_ERR_CONFLICT);
                        CHECK_STR(o.diag.path, "$.code");
                }
                s.submission_id[0] ^= 1;
                /* a restarted server answers the same */
                if (!reopen(&b, db))
                        goto out;
        }
        stored_cvr(db, first.receipt.commitment, cvr1, sizeof(cvr1));
        CHECK_STR(cvr1, cvr0);
        CHECK_INT(pb_box_turnout(b, &t1, NULL), PB_OK);
        CHECK_INT(t1.codes_spent, t0.codes_spent);
        CHECK_INT(t1.ballots, t0.ballots);
        CHECK_INT(t1.pending, t0.pending);
        CHECK_INT(t1.rejected[PB_REJECT_CODE_SPENT], t0.rejected[PB_REJECT_CODE_SPENT] + 8);
        CHECK_INT(t1.rejected[PB_REJECT_SUBMISSION_REUSED], 0);
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
out:
        pb_box_free(b);
}

/* The whole stream of @x, read @step bytes at a time, into @out. */
static pb_err read_stream(struct pb_box_export *x, size_t step, struct pb_buf *out)
{
        char buf[1 << 16];
        size_t n = 0;
        pb_err r;

        do {
                r = pb_box_export_read(x, buf, step < sizeof(buf) ? step : sizeof(buf), &n, NULL);
                if (r == PB_OK)
                        r = pb_buf_add(out, buf, n);
        } while (r == PB_OK && n);
        return r;
}

static unsigned mode_of(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

/*
 * The streamed export (issue 11: GET .../export built the whole archive in memory) is byte for
 * byte the ustar archive of the folder pbvote export writes, whatever the size of the reads; it
 * reads a snapshot (a certification stored meanwhile is not in it); the folder is 0700 and its
 * files 0600.  600 ballots make ballots.jsonl several chunks long.
 */
static void test_export_stream(void)
{
        static const uint32_t ballots[3][2] = { { 0, 1 }, { 2, 0 }, { 1, 0 } };
        static const size_t steps[] = { 1, 7, 511, 512, 513, 4096, 65536 };
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        struct pb_box_export *x = NULL, *snap = NULL;
        struct pb_submission subs[100];
        struct pb_cast_outcome out[100];
        struct pb_buf want, got, env, cert;
        struct pb_code *codes = NULL;
        char db[128], folder[160], file[200];
        size_t n = 0, uncertified = 0;

        pb_buf_init(&want, 0);
        pb_buf_init(&got, 0);
        pb_buf_init(&env, 0);
        pb_buf_init(&cert, 0);
        path_of(db, sizeof(db), "export.db");
        path_of(folder, sizeof(folder), "export-bundle");
        CHECK_INT(pb_box_create(db, m, &b, NULL), PB_OK);
        codes = calloc(600, sizeof(*codes));
        if (!b || !codes)
                goto out;
        CHECK_INT(pb_box_set_engine_key(b, &engine, NULL), PB_OK);
        CHECK_INT(pb_box_election_open(b, &office, NULL), PB_OK);
        CHECK(pb_box_export_new(db, "t1", &x, NULL) == PB_ERR_STATE);
        for (int k = 0; k < 12; k++) {
                struct codes cs;
                memset(&cs, 0, sizeof(cs));
                CHECK_INT(pb_box_codes_issue(b, 50, collect, &cs, NULL), PB_OK);
                for (size_t i = 0; i < cs.n; i++)
                        codes[n++] = cs.c[i];
        }
        CHECK_INT(n, 600);
        for (size_t k = 0; k + 100 <= n; k += 100) {
                for (size_t i = 0; i < 100; i++)
                        subs[i] = sub(codes[k + i].text, ballots[(k + i) % 3], (k + i) % 3 ? 1 : 2);
                CHECK_INT(pb_box_cast(b, subs, 100, out, NULL), PB_OK);
                for (size_t i = 0; i < 100; i++)
                        CHECK_INT(out[i].status, PB_OK);
        }
        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL), PB_OK);
        CHECK(pb_box_export_new(db, "t1", &x, NULL) == PB_ERR_STATE);
        CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &env, NULL), PB_OK);
        CHECK(pb_box_export_new("/nonexistent/x.db", "t1", &x, NULL) == PB_ERR_NOT_FOUND);

        /* the reference: pbvote export's folder, archived by pb_tar_dir */
        CHECK_INT(pb_box_export(b, folder, NULL), PB_OK);
        CHECK_INT(mode_of(folder), 0700);
        snprintf(file, sizeof(file), "%s/%s", folder, "ballots.jsonl");
        CHECK_INT(mode_of(file), 0600);
        snprintf(file, sizeof(file), "%s/%s", folder, "manifest.dsse.json");
        CHECK_INT(mode_of(file), 0600);
        CHECK_INT(pb_tar_dir(folder, "t1", &want, NULL), PB_OK);
        CHECK(want.len > 2 * 65536); /* ballots.jsonl: more than one chunk */
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                x = NULL;
                CHECK_INT(pb_box_export_new(db, "t1", &x, NULL), PB_OK);
                if (!x)
                        break;
                CHECK_INT(pb_box_export_size(x), want.len);
                pb_buf_reset(&got);
                CHECK_INT(read_stream(x, steps[i], &got), PB_OK);
                CHECK(got.len == want.len && !memcmp(got.data, want.data, want.len));
                pb_box_export_free(x);
        }
        /* a snapshot: opened before the certification, it does not show it */
        CHECK_INT(pb_box_export_new(db, "t1", &snap, NULL), PB_OK);
        CHECK_INT(pb_box_certify(b, env.data, env.len, &office, "2026-06-02T10:00:00Z", &cert, NULL), PB_OK);
        pb_buf_reset(&got);
        if (snap)
                CHECK_INT(read_stream(snap, 1000, &got), PB_OK);
        CHECK(got.len == want.len && !memcmp(got.data, want.data, want.len));
        /* opened after it, it has the certification, as a new folder does */
        path_of(folder, sizeof(folder), "export-certified");
        CHECK_INT(pb_box_export(b, folder, NULL), PB_OK);
        uncertified = want.len;
        pb_buf_reset(&want);
        CHECK_INT(pb_tar_dir(folder, "t1", &want, NULL), PB_OK);
        x = NULL;
        CHECK_INT(pb_box_export_new(db, "t1", &x, NULL), PB_OK);
        pb_buf_reset(&got);
        if (x)
                CHECK_INT(read_stream(x, 65536, &got), PB_OK);
        CHECK(got.len == want.len && !memcmp(got.data, want.data, want.len));
        CHECK(want.len > uncertified);
        pb_box_export_free(x);
out:
        pb_box_export_free(snap);
        free(codes);
        pb_box_free(b);
        pb_manifest_free(m);
        pb_buf_release(&want);
        pb_buf_release(&got);
        pb_buf_release(&env);
        pb_buf_release(&cert);
}

/* A box and its -wal and -shm are the owner's only, whatever the umask (issue 11: they were 0644,
 * so any local user could read the ballots of an open election). */
static void test_file_modes(void)
{
        static const uint32_t ab[2] = { 0, 1 };
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        struct pb_cast_outcome out;
        struct codes cs;
        char db[128], file[160];
        mode_t old = umask(022);

        b = open_election(m, "modes.db", 1, &cs, db, sizeof(db));
        if (!b)
                goto out;
        cast_one(b, cs.c[0].text, ab, 2, &out);
        CHECK_INT(mode_of(db), 0600);
        snprintf(file, sizeof(file), "%s-wal", db);
        CHECK_INT(mode_of(file), 0600);
        snprintf(file, sizeof(file), "%s-shm", db);
        CHECK_INT(mode_of(file), 0600);
        /* an existing file is never taken over */
        {
                struct pb_box *again = NULL;
                CHECK(pb_box_create(db, m, &again, NULL) == PB_ERR_CONFLICT);
                pb_box_free(again);
        }
out:
        umask(old);
        pb_box_free(b);
        pb_manifest_free(m);
}

/* The compact code with the same data symbols as @c and Crockford's mod-37 check symbol: what the
 * box would have issued for the same bytes before issue 13. */
static void mod37_variant(const struct pb_code *c, char *out)
{
        static const char symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
        struct pb_code p;

        memcpy(out, c->text, c->len + 1);
        for (size_t i = 0; i < sizeof(symbols) - 1; i++) {
                out[c->len - 1] = symbols[i];
                if (pb_code_parse_mod37(out, c->len, PB_CODE_BYTES, &p, NULL) == PB_OK)
                        return;
        }
        CHECK_FAIL("no mod-37 check symbol");
}

/*
 * Issue 13: a box issues codes of letters and digits only (DESIGN.md §5.4), and a box that never
 * issued a legacy (mod-37) code reads none: the same data symbols with the old check symbol are
 * malformed there.  (The boxes of schemas 1 and 4 still take their legacy codes: the fixtures'
 * tests below cast with them.)
 */
static void test_codes_letters_and_digits(void)
{
        static const char allowed[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        static const uint32_t ab[2] = { 0, 1 };
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        struct pb_submission s;
        struct pb_cast_outcome out;
        struct codes cs;
        char db[128], legacy[PB_CODE_COMPACT_MAX + 1];

        memset(&cs, 0, sizeof(cs));
        path_of(db, sizeof(db), "letters.db");
        CHECK_INT(pb_box_create(db, m, &b, NULL), PB_OK);
        if (!b)
                goto out;
        CHECK_INT(sql_int(db, "SELECT n FROM counts WHERE name = 'codes_legacy'"), 0);
        {
                bool has_legacy = true;
                CHECK(pb_box_codes_legacy(b, &has_legacy, NULL) == PB_OK && !has_legacy);
        }
        CHECK_INT(pb_box_set_engine_key(b, &engine, NULL), PB_OK);
        CHECK_INT(pb_box_election_open(b, &office, NULL), PB_OK);
        for (int round = 0; round < 40; round++) {
                cs.n = 0;
                CHECK_INT(pb_box_codes_issue(b, 64, collect, &cs, NULL), PB_OK);
                for (size_t i = 0; i < cs.n; i++)
                        for (size_t k = 0; k < cs.c[i].len; k++)
                                CHECK(strchr(allowed, cs.c[i].text[k]) != NULL);
        }
        /* the last code's data with the mod-37 check: malformed (unless both checks agree, 1 in 32) */
        mod37_variant(&cs.c[0], legacy);
        if (strcmp(legacy, cs.c[0].text)) {
                s = sub(legacy, ab, 2);
                CHECK_INT(pb_box_cast(b, &s, 1, &out, NULL), PB_OK);
                CHECK_INT(out.status, PB_ERR_PARSE);
                CHECK_STR(out.diag.refusal, "code_malformed");
                check_no_code(&out, legacy);
        }
        s = sub(cs.c[0].text, ab, 2);
        CHECK_INT(pb_box_cast(b, &s, 1, &out, NULL), PB_OK);
        CHECK_INT(out.status, PB_OK);
out:
        pb_box_free(b);
        pb_manifest_free(m);
}

/* The SQL @q on @db (another connection, behind the box's back): did it run? */
static bool sql_run(const char *db, const char *q)
{
        sqlite3 *h = NULL;
        bool ok = sqlite3_open(db, &h) == SQLITE_OK && sqlite3_exec(h, q, NULL, NULL, NULL) == SQLITE_OK;

        sqlite3_close(h);
        return ok;
}

/*
 * Issue 13: a receipt is found by its short code (as a person types it), pending or in the log;
 * an unknown one is not found, a malformed one refused with its place, and two ballots sharing the
 * 50 bits (made here behind the box's back) are said to be ambiguous, never one of them at random.
 */
static void test_find_short(void)
{
        static const uint32_t ab[2] = { 0, 1 };
        struct pb_cast_outcome out[3];
        struct pb_box *b = NULL;
        struct pb_diag d;
        struct codes cs;
        uint8_t c[32];
        char db[128], typed[32], q[256], hex[65];

        b = open_election(NULL, "short.db", 3, &cs, db, sizeof(db));
        if (!b)
                goto out;
        for (int i = 0; i < 3; i++)
                cast_one(b, cs.c[i].text, ab, 2, &out[i]);
        CHECK_INT(pb_box_flush(b, NULL), PB_OK);
        for (int i = 0; i < 3; i++) {
                const char *sc = out[i].receipt.short_code;

                /* lower case, a dash in the middle */
                snprintf(typed, sizeof(typed), "%.5s-%s", sc, sc + 5);
                for (char *p = typed; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char)(*p - 'A' + 'a');
                memset(c, 0, sizeof(c));
                CHECK_INT(pb_box_find_short(b, typed, strlen(typed), c, &d), PB_OK);
                CHECK(!memcmp(c, out[i].receipt.commitment, 32));
        }
        CHECK_INT(pb_box_find_short(b, "0000000000", 10, c, &d), PB_ERR_NOT_FOUND);
        CHECK_STR(d.reason, "no ballot has this short code");
        CHECK_INT(pb_box_find_short(b, "00000*0000", 10, c, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 6);
        /* a second ballot with the first one's 50 bits, differing after them */
        sodium_bin2hex(hex, sizeof(hex), out[0].receipt.commitment, 32);
        hex[13] = hex[13] == '0' ? '1' : '0'; /* byte 6's low nibble: outside the 50 bits */
        snprintf(
                q, sizeof(q),
                "INSERT INTO ballots(commitment, leaf, nonce, cvr) VALUES (x'%s', NULL, zeroblob(32), x'00')",
                hex);
        CHECK(sql_run(db, q));
        CHECK_INT(pb_box_find_short(b, out[0].receipt.short_code, PB_CODE_SHORT_LEN, c, &d), PB_ERR_CONFLICT);
        CHECK_STR(d.reason,
                  "more than one ballot has this short code: look the receipt up by its commitment");
        CHECK_INT(pb_box_find_short(b, out[1].receipt.short_code, PB_CODE_SHORT_LEN, c, &d), PB_OK);
out:
        pb_box_free(b);
}

static pb_err count_tokens(void *ctx, const char *id, enum pb_role role, const char *label, bool revoked,
                           unsigned flags, const struct pb_contest_set *contests)
{
        (void)flags;
        CHECK(contests == NULL); /* a token for every contest */
        int *n = ctx;
        (void)role;
        (void)label;
        (void)revoked;
        CHECK_INT(strlen(id), PB_TOKEN_ID_LEN);
        (*n)++;
        return PB_OK;
}

static void test_tokens(void)
{
        char db[128], tok[PB_TOKEN_TEXT_LEN + 1], tok2[PB_TOKEN_TEXT_LEN + 1], id[PB_TOKEN_ID_LEN + 1];
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        enum pb_role role = PB_ROLE_COUNT;
        struct pb_diag d;
        int n = 0;

        path_of(db, sizeof(db), "tokens.db");
        CHECK_INT(pb_box_create(db, m, &b, &d), PB_OK);
        if (!b)
                goto out;
        CHECK_INT(pb_box_token_create(b, PB_ROLE_KIOSK, "kiosk 1", tok, id, &d), PB_OK);
        CHECK_INT(pb_box_token_create(b, PB_ROLE_ADMIN, NULL, tok2, NULL, &d), PB_OK);
        CHECK(pb_box_token_create(b, PB_ROLE_ADMIN, "bad\nlabel", tok2, NULL, &d) == PB_ERR_INVALID);
        CHECK(strcmp(tok, tok2) != 0);
        CHECK(pb_box_token_check(b, tok, strlen(tok), &role) == PB_OK && role == PB_ROLE_KIOSK);
        CHECK(pb_box_token_check(b, tok2, strlen(tok2), &role) == PB_OK && role == PB_ROLE_ADMIN);
        tok[5] = tok[5] == 'a' ? 'b' : 'a';
        CHECK(pb_box_token_check(b, tok, strlen(tok), &role) == PB_ERR_AUTH);
        tok[5] = tok[5] == 'a' ? 'b' : 'a';
        CHECK(pb_box_token_check(b, tok, strlen(tok) - 1, &role) == PB_ERR_AUTH);
        CHECK(pb_box_token_check(b, "", 0, &role) == PB_ERR_AUTH);
        CHECK_INT(pb_box_token_list(b, count_tokens, &n, &d), PB_OK);
        CHECK_INT(n, 2);
        CHECK_INT(pb_box_token_revoke(b, id, &d), PB_OK);
        CHECK(pb_box_token_check(b, tok, strlen(tok), &role) == PB_ERR_AUTH);
        CHECK(pb_box_token_revoke(b, "0000000000000000", &d) == PB_ERR_NOT_FOUND);
        /* the database holds no token */
        {
                sqlite3 *h = NULL;
                sqlite3_stmt *st = NULL;
                CHECK(sqlite3_open(db, &h) == SQLITE_OK);
                CHECK(sqlite3_prepare_v2(h,
                                         "SELECT count(*) FROM tokens WHERE instr(hex(hash), upper(?)) > 0",
                                         -1, &st, NULL) == SQLITE_OK);
                sqlite3_bind_text(st, 1, tok2, 16, SQLITE_STATIC);
                CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
                sqlite3_finalize(st);
                sqlite3_close(h);
        }
out:
        pb_box_free(b);
        pb_manifest_free(m);
}

/* How many spent codes hold a tag. */
static const char spent_tags[] = "SELECT count(*) FROM codes WHERE spent = 1 AND tag IS NOT NULL";

/*
 * Open a copy @name (its path into @db) of the fixture box @fixture, a box of schema @version (not
 * checked when 0) in which the query @q (when not NULL) gives @n: the opening migrates it to the
 * current schema.  NULL, after a failed check, when it cannot; the caller frees the box.
 */
static struct pb_box *open_fixture(const char *fixture, const char *name, int version, const char *q,
                                   long long n, char *db, size_t cap)
{
        struct pb_box *b = NULL;
        char cmd[512];

        path_of(db, cap, name);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", fixture, db);
        if (access(fixture, R_OK) != 0 || system(cmd) != 0) {
                CHECK_FAIL("cannot copy a schema fixture");
                fprintf(stderr, "  (%s)\n", fixture);
                return NULL;
        }
        if (version)
                CHECK_INT(sql_int(db, "PRAGMA user_version"), version);
        if (q)
                CHECK_INT(sql_int(db, q), n);
        CHECK_INT(pb_box_open(db, &b, NULL), PB_OK);
        if (b)
                CHECK_INT(sql_int(db, "PRAGMA user_version"), PB_BOX_SCHEMA_VERSION);
        return b;
}

/* A retry of a submission cast before the upgrade (@code, submission id 16 bytes of @id, here with
 * the ballot {c}): replayed with the commitment of its first ballot, @commitment_hex. */
static void check_old_retry(struct pb_box *b, const char *code, uint8_t id, const char *commitment_hex)
{
        static const uint32_t c_only[1] = { 2 };
        struct pb_submission s = sub_id(code, c_only, 1, id);
        struct pb_cast_outcome out;
        uint8_t c[32];

        CHECK(sodium_hex2bin(c, 32, commitment_hex, 64, NULL, NULL, NULL) == 0);
        cast_check(b, &s, &out, true);
        CHECK(!memcmp(out.receipt.commitment, c, 32));
}

/* Close @b's election and tally it (the result into @result); the full check passes in between. */
static void close_and_tally(struct pb_box *b, struct pb_buf *result)
{
        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL), PB_OK);
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
        pb_buf_reset(result);
        CHECK_INT(pb_box_tally(b, NULL, "pbvote test", result, NULL), PB_OK);
}

/* What the tests know of a fixture box of schema 5 or 6: one contest, six codes, four ballots cast,
 * the first with 16 bytes 0x50 as its submission id. */
struct one_contest_box {
        const char *engine;           /* the engine key's name (from 32 bytes of 0x06) */
        const char *first_code;       /* the code of the first ballot */
        const char *first_commitment; /* its commitment, in hex */
        const char *unused[2];        /* the two codes not spent */
};

/*
 * The box @b of fixture @x after its upgrade: it has one contest and passes the full check; with
 * the engine key, a retry of the first submission gets its first commitment, the two unused codes
 * cast {a,b} and {c}, and the close keeps the signed manifest byte for byte.  The engine key into
 * @e (@b borrows it: it must outlive @b), the turnout before the close into @t.
 */
static void check_one_contest_goes_on(struct pb_box *b, const struct one_contest_box *x,
                                      struct pb_key_secret *e, struct pb_turnout *t)
{
        static const uint32_t ab[2] = { 0, 1 }, c_only[1] = { 2 };
        struct pb_cast_outcome out;
        struct pb_buf before, after;

        pb_buf_init(&before, 0);
        pb_buf_init(&after, 0);
        key(e, x->engine, 6);
        CHECK(!pb_box_manifest(b)->has_contests && pb_box_manifest(b)->n_contests == 1);
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
        CHECK_INT(pb_box_document(b, PB_BOX_DOC_MANIFEST, &before, NULL), PB_OK);
        CHECK_INT(pb_box_set_engine_key(b, e, NULL), PB_OK);
        check_old_retry(b, x->first_code, 0x50, x->first_commitment);
        cast_one(b, x->unused[0], ab, 2, &out);
        cast_one(b, x->unused[1], c_only, 1, &out);
        CHECK_INT(pb_box_turnout(b, t, NULL), PB_OK);
        CHECK_INT(t->codes_spent, 6);
        CHECK_INT(t->ballots, 6);
        CHECK_INT(t->n_contests, 0);
        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL), PB_OK);
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
        CHECK_INT(pb_box_document(b, PB_BOX_DOC_MANIFEST, &after, NULL), PB_OK);
        CHECK(before.len == after.len && !memcmp(before.data, after.data, after.len));
        pb_buf_release(&before);
        pb_buf_release(&after);
}

/*
 * A ballot box written by schema 1 (tests/box/box-v1.db, made with pbvote at commit 7d9e518 through
 * the public API: election "v1", engine key "v1test/engine" from 32 bytes of 0x01, office key
 * "v1test/office" from 0x02; 12 codes; 7 ballots cast one by one with batch_min 3, the first four
 * with submission ids of 16 bytes 0x10 + i; so 6 logged in two batches and 1 pending).  Opening it
 * migrates it; everything stored before must still be there and work: the full check, the counts,
 * proofs, the pending ballot, a retry's receipt byte for byte, casting, close, tally.
 */
static void test_schema1_migrates(const char *fixture)
{
        static const char *const logged_hex[6] = {
                "a865511694dcbfc3f08f9ded44c845b6ec94f7bf44da6f56c5d1d898c0ce383a",
                "e23778919e29366bac109f1b46b917e5c6cfe8036ea669264b62a412e7597a9c",
                "af111fe5a76210b15d58fc0ab6f040d5835d9d6f7617f3d7cd3a2edd971be925",
                "2915d6e75e45ffee20daa5c760dc9fa5ff8b5d6518d428d055a02b739cc959be",
                "e9862a279fe122851d6de379f64b58e0bb4a017371f289837dfa75e8bc4d0ac8",
                "23bd102adc0684ff0970cd96bfaa513f373e4c7424b42c23187608f0cf476231",
        };
        static const char pending_hex[] = "1c8d72265dcd29d0f51d60767ee5f75451548ab1261f281685e5d867bd886ed6";
        static const char *const unused[5] = { "72833Y3Y4EMAVEGYK", "0WNAZ7CW380K5S6MA", "V1XCMBZ67J9T6Y7SX",
                                               "3DCJN3KZJKAGV0YHK", "F035YNG3VF7X67P26" };
        /* the commitment of the first ballot's receipt (its pbv-promise/v1 note, made by schema 1) */
        static const char promise0_commitment[] = "qGVRFpTcv8Pwj53tRMhFtuyU979E2m9WxdHYmMDOODo=";
        static const uint32_t ab[2] = { 0, 1 }, c_only[1] = { 2 };
        struct pb_key_secret e1, o1;
        char db[128];
        struct pb_box *b = NULL;
        struct pb_turnout t;
        struct pb_submission s;
        struct pb_cast_outcome out;
        struct pb_buf note;
        struct pb_diag d;
        uint8_t c[32];

        pb_buf_init(&note, 0);
        key(&e1, "v1test/engine", 1);
        key(&o1, "v1test/office", 2);
        b = open_fixture(fixture, "schema1.db", 0, NULL, 0, db, sizeof(db));
        if (!b)
                goto out;
        CHECK_INT(pb_box_check(b, &d), PB_OK);
        CHECK_INT(pb_box_set_engine_key(b, &e1, &d), PB_OK);
        check_turnout(b, &t, 12, 7, 7, 1, 6);
        for (int i = 0; i < 6; i++) {
                struct pb_box_proof p;
                struct pb_checkpoint opened;
                uint8_t leaf[32];

                CHECK(sodium_hex2bin(c, 32, logged_hex[i], 64, NULL, NULL, NULL) == 0);
                pb_buf_reset(&note);
                CHECK_INT(pb_box_inclusion(b, c, &p, &note, &d), PB_OK);
                CHECK(!p.pending && p.size == 6 && p.index < 6);
                CHECK_INT(pb_checkpoint_open(note.data, note.len, &e1.pub, &opened, NULL), PB_OK);
                pb_cvr_leaf_hash(c, leaf);
                CHECK_INT(pb_merkle_verify_inclusion(p.index, p.size, leaf, p.path, p.path_len, opened.root,
                                                     NULL),
                          PB_OK);
        }
        {
                struct pb_box_proof p;
                CHECK(sodium_hex2bin(c, 32, pending_hex, 64, NULL, NULL, NULL) == 0);
                CHECK_INT(pb_box_inclusion(b, c, &p, &note, &d), PB_OK);
                CHECK(p.pending);
        }
        /* the first ballot's retry: its schema-1 idempotency record gives the same receipt */
        memset(&s, 0, sizeof(s));
        s.code = unused[0]; /* the record is found first: this code is not spent (it casts below) */
        s.code_len = strlen(s.code);
        s.has_submission_id = true;
        memset(s.submission_id, 0x10, 16);
        s.items = ab;
        s.n = 2;
        s.channel = PB_CHANNEL_ELECTRONIC;
        cast_check(b, &s, &out, true);
        /* the same commitment as the schema-1 receipt, now under a promise of its own */
        CHECK_INT(pb_b64_decode_exact(promise0_commitment, strlen(promise0_commitment), c, 32), PB_OK);
        CHECK(!memcmp(out.receipt.commitment, c, 32));
        {
                struct pb_promise p;
                CHECK_INT(pb_promise_open(out.receipt.promise, out.receipt.promise_len, &e1.pub, &p, NULL),
                          PB_OK);
                CHECK(p.size == 1 && pb_promise_check(&p, c, &out.receipt.proof, NULL) == PB_OK);
        }
        /* casting goes on: the pending ballot and two new ones make the third batch */
        for (int i = 0; i < 5; i++)
                cast_one(b, unused[i], c_only, 1, &out);
        CHECK_INT(pb_box_turnout(b, &t, &d), PB_OK);
        CHECK_INT(t.log_size, 12);
        CHECK_INT(t.pending, 0);
        close_and_tally(b, &note);
out:
        pb_box_free(b);
        pb_buf_release(&note);
        (void)o1;
}

/*
 * A ballot box written by schema 4 (tests/box/box-v4.db, made with pbvote at commit b7c9a54
 * through the public API: election "v4", engine key "v4test/engine" from 32 bytes of 0x04, office
 * key "v4test/office" from 0x05; 8 codes; batch_min 3; four ballots cast one by one: {a,b} with
 * submission id 16 bytes 0x40, {c} with 0x41, {b} without an id, {a} with 0x43; so 3 logged and 1
 * pending, open).  Its spent codes' tags held a fingerprint of their ballot, which a retry could
 * test (issue 11): the migration forgets them, so such a retry is code_spent whatever its ballot,
 * and casting, retries of new submissions, close and tally go on.
 */
static void test_schema4_migrates(const char *fixture)
{
        static const char first_code[] = "21XKZ8X867MT3YH0T";
        static const char first_commitment[] =
                "ac821fc46ec2510126cd17b63bbb1215eeb2fd40438387f5d5627699b76b16ea";
        static const char *const unused[4] = { "Z099FPYHQFMRCXGKE", "6EFSJR48R2Y28DFS0", "2KA5YYKPRNND57KP6",
                                               "7DJ1ZZR317T1ZPAJU" };
        static const uint32_t ab[2] = { 0, 1 }, c_only[1] = { 2 };
        struct pb_key_secret e4;
        struct pb_box *b = NULL;
        struct pb_submission s;
        struct pb_cast_outcome out, retry;
        struct pb_turnout t;
        struct pb_buf note;
        char db[128];
        uint8_t c[32];

        pb_buf_init(&note, 0);
        key(&e4, "v4test/engine", 4);
        b = open_fixture(fixture, "schema4.db", 0, spent_tags, 3, db, sizeof(db));
        if (!b)
                goto out;
        CHECK_INT(sql_int(db, spent_tags), 0);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM codes WHERE spent = 0 AND tag = zeroblob(32)"), 4);
        /* its 8 codes were issued with the mod-37 check (one of them ends in U): the box keeps reading
         * them (issue 13, integrity.md departure 14) */
        CHECK_INT(sql_int(db, "SELECT n FROM counts WHERE name = 'codes_legacy'"), 8);
        {
                bool legacy = false;
                CHECK(pb_box_codes_legacy(b, &legacy, NULL) == PB_OK && legacy);
        }
        CHECK_INT(pb_box_check(b, NULL), PB_OK);
        CHECK_INT(pb_box_set_engine_key(b, &e4, NULL), PB_OK);
        CHECK(sodium_hex2bin(c, 32, first_commitment, 64, NULL, NULL, NULL) == 0);
        {
                struct pb_box_proof p;
                CHECK_INT(pb_box_inclusion(b, c, &p, &note, NULL), PB_OK);
        }
        /* the first submission retried after the upgrade: code_spent with its own ballot as with
         * another, nothing spent or stored */
        s = sub_id(first_code, ab, 2, 0x40);
        CHECK_INT(pb_box_cast(b, &s, 1, &out, NULL), PB_OK);
        CHECK_INT(out.status, PB_ERR_CONFLICT);
        s.items = c_only;
        s.n = 1;
        CHECK_INT(pb_box_cast(b, &s, 1, &retry, NULL), PB_OK);
        CHECK_INT(retry.status, PB_ERR_CONFLICT);
        CHECK_STR(retry.diag.path, out.diag.path);
        CHECK_STR(retry.diag.reason, out.diag.reason);
        CHECK_INT(pb_box_turnout(b, &t, NULL), PB_OK);
        CHECK_INT(t.codes_spent, 4);
        CHECK_INT(t.ballots, 4);
        /* a new submission with an id, and its retry with another ballot: the first receipt */
        s = sub_id(unused[0], ab, 2, 0x44);
        cast_check(b, &s, &out, false);
        s.items = c_only;
        s.n = 1;
        cast_check(b, &s, &retry, true);
        CHECK(!memcmp(retry.receipt.commitment, out.receipt.commitment, 32));
        /* a mistyped legacy code: malformed, and said to be mistyped (not a bad character) */
        s = sub("7DJ1-ZZR3-17T1-ZPAJ-~", c_only, 1);
        CHECK_INT(pb_box_cast(b, &s, 1, &out, NULL), PB_OK);
        CHECK_INT(out.status, PB_ERR_PARSE);
        CHECK_STR(out.diag.refusal, "code_malformed");
        CHECK_STR(out.diag.reason, "check character does not match: a character was mistyped");
        for (int i = 1; i < 4; i++)
                cast_one(b, unused[i], c_only, 1, &out);
        CHECK_INT(pb_box_turnout(b, &t, NULL), PB_OK);
        CHECK_INT(t.codes_spent, 8);
        CHECK_INT(t.log_size, 6);
        close_and_tally(b, &note);
out:
        pb_box_free(b);
        pb_buf_release(&note);
}

static void check_bundle_verifies(struct pb_box *b, const char *name);

/*
 * A ballot box written by schema 5, the schema before votes of several contests (tests/box/
 * box-v5.db, made with pbvote at commit c83d806 through the public API: election "v5", engine key
 * "v5test/engine" from 32 bytes of 0x06, office key "v5test/office" from 0x07; 6 codes; a device
 * kiosk token "v5 kiosk"; batch_min 3; four ballots cast one by one: {a,b} with submission id
 * 16 bytes 0x50, {c} with 0x51, {b} without an id, {a} with 0x53; so 3 logged and 1 pending,
 * open).  Schema 7 gives codes and tokens a set of contests (NULL: every contest, what every code
 * of a one-contest vote is): the box opens, its manifest keeps its bytes and signature, a retry
 * of a submission cast before the upgrade gets its first commitment, and casting, close, tally
 * and the audit bundle work as before, with the documents of before (no counts by contest).
 */
static void test_schema5_migrates(const char *fixture)
{
        static const struct one_contest_box v5 = {
                "v5test/engine",
                "XEXX4YT54P5TRTG5K",
                "bc12e1172caee82507a658e4cb6a473de823277089f0be0c0b4eeb1432af8ec9",
                { "Z2H6CC71BC3KYPV95", "M36P4RNXRB7054PKM" }
        };
        struct pb_key_secret e;
        struct pb_box *b = NULL;
        struct pb_turnout t;
        struct pb_buf note;
        struct pb_seal_envelope env;
        struct pb_doc_close close;
        char db[128];

        pb_buf_init(&note, 0);
        pb_seal_envelope_init(&env);
        b = open_fixture(fixture, "schema5.db", 5, spent_tags, 3, db, sizeof(db));
        if (!b)
                goto out;
        CHECK_INT(sql_int(db, "SELECT count(*) FROM codes WHERE contests IS NULL"), 6);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM tokens WHERE contests IS NULL AND device = 1"), 1);
        CHECK_INT(sql_int(db, spent_tags), 3);
        /* a retry of a submission of schema 5: its commitment, sealed in the code's tag, opens */
        check_one_contest_goes_on(b, &v5, &e, &t);
        pb_buf_reset(&note);
        CHECK_INT(pb_box_document(b, PB_BOX_DOC_CLOSE, &note, NULL), PB_OK);
        CHECK_INT(pb_envelope_parse(note.data, note.len, 0, &env, NULL), PB_OK);
        CHECK_INT(pb_doc_close_parse((const char *)env.payload, env.payload_len, NULL, &close, NULL), PB_OK);
        CHECK_INT(close.counts.n_contests, 0); /* no counts by contest: the document of before */
        pb_buf_reset(&note);
        CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &note, NULL), PB_OK);
        check_bundle_verifies(b, "schema5-bundle");
out:
        pb_seal_envelope_release(&env);
        pb_box_free(b);
        pb_buf_release(&note);
}

/*
 * A ballot box written by schema 6, the schema of main before votes of several contests, with a
 * ballot cast from home (tests/box/box-v6.db, made at commit 61875f9 through the public API, as
 * box-v5.db: election "v6" with "web_voting", engine key "v6test/engine" from 32 bytes of 0x06,
 * office key "v6test/office" from 0x07; 6 codes; a device kiosk token "v6 kiosk", an auditor token
 * and a revoked admin token; batch_min 3; four ballots cast one by one: {a,b} with submission id 16
 * bytes 0x50, {c} with 0x51, {b} without an id, {a} from the web with 0x53; so 3 logged and 1
 * pending, open).  Schema 7 adds the codes' and tokens' sets of contests and the officer role (the
 * tokens table rebuilt): the box opens with every token's role, device flag and revocation kept and
 * every code and token for every contest, its manifest keeps its bytes, a retry of a submission
 * cast before the upgrade gets its first commitment, the web ballot stays counted as web, and
 * casting, close, tally and the audit bundle work as before.
 */
static void test_schema6_migrates(const char *fixture)
{
        static const struct one_contest_box v6 = {
                "v6test/engine",
                "ADCFHY0HPJSY7PQDU",
                "cd2395255d324064106fe00cc0c6d88800720671419f4dfc50064a225df566a5",
                { "MJHX2JZZKX8TA0H4P", "5F98YGTQ373TM0WJ3" }
        };
        struct pb_key_secret e;
        struct pb_box *b = NULL;
        struct pb_turnout t;
        struct pb_buf note;
        char db[128];

        pb_buf_init(&note, 0);
        b = open_fixture(fixture, "schema6.db", 6, NULL, 0, db, sizeof(db));
        if (!b)
                goto out;
        CHECK_INT(sql_int(db, "SELECT count(*) FROM codes WHERE contests IS NULL"), 6);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM tokens WHERE contests IS NULL"), 3);
        CHECK_INT(sql_int(db,
                          "SELECT count(*) FROM tokens WHERE role = 'kiosk' AND device = 1 AND revoked = 0"),
                  1);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM tokens WHERE role = 'auditor' AND revoked = 0"), 1);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM tokens WHERE role = 'admin' AND revoked = 1"), 1);
        check_one_contest_goes_on(b, &v6, &e, &t);
        CHECK_INT(t.by_channel[PB_CHANNEL_WEB], 1);
        CHECK_INT(t.by_channel[PB_CHANNEL_ELECTRONIC], 5);
        CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &note, NULL), PB_OK);
        check_bundle_verifies(b, "schema6-bundle");
out:
        pb_box_free(b);
        pb_buf_release(&note);
}

/* Verify the bundle of @b (tallied) exported to @name: every check must pass. */
static void check_bundle_verifies(struct pb_box *b, const char *name)
{
        struct pb_verify_options o;
        char out[128];
        unsigned failed = 0;

        memset(&o, 0, sizeof(o));
        o.allow_uncertified = true;
        path_of(out, sizeof(out), name);
        CHECK_INT(pb_box_export(b, out, NULL), PB_OK);
        CHECK_INT(pb_bundle_verify(out, &o, NULL, NULL, &failed), PB_OK);
        CHECK_INT(failed, 0);
}

/* An election closed without a ballot: its bundle holds none and verifies (the verifier's
 * duplicate check used to memcpy() from the NULL array of no commitments: UBSan stops on it). */
static void test_empty_election_verifies(void)
{
        struct pb_box *b = NULL;
        struct pb_buf env;
        char db[128];

        pb_buf_init(&env, 0);
        b = open_election(NULL, "no-ballots.db", 0, NULL, db, sizeof(db));
        if (!b)
                goto out;
        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL), PB_OK);
        CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &env, NULL), PB_OK);
        check_bundle_verifies(b, "no-ballots-bundle");
out:
        pb_box_free(b);
        pb_buf_release(&env);
}

/*
 * Issue 11: a server holds one handle on the box while the command line opens the election with
 * another.  The server's handle must take in every change committed elsewhere before it uses what
 * it caches: the manifest it publishes and closes over is the signed one (with its keys), and the
 * bundle it exports verifies.
 */
static void test_two_handles(void)
{
        static const uint32_t a_only[1] = { 0 }, b_only[1] = { 1 };
        struct pb_manifest *m = manifest();
        struct pb_box *server = NULL, *cli = NULL;
        struct pb_submission subs[4];
        struct pb_cast_outcome out[4];
        struct pb_buf env, cert;
        struct codes cs;
        enum pb_box_state s;
        char db[128];

        memset(&cs, 0, sizeof(cs));
        pb_buf_init(&env, 0);
        pb_buf_init(&cert, 0);
        path_of(db, sizeof(db), "two.db");
        CHECK_INT(pb_box_create(db, m, &server, NULL), PB_OK);
        if (!server)
                goto out;
        CHECK_INT(pb_box_set_engine_key(server, &engine, NULL), PB_OK);
        CHECK_INT(pb_box_codes_issue(server, 4, collect, &cs, NULL), PB_OK);
        CHECK(!pb_box_manifest(server)->has_keys);
        /* the command line opens it: the office key never reaches the server */
        CHECK_INT(pb_box_open(db, &cli, NULL), PB_OK);
        CHECK(cli && pb_box_set_engine_key(cli, &engine, NULL) == PB_OK);
        CHECK(cli && pb_box_election_open(cli, &office, NULL) == PB_OK);
        pb_box_free(cli);
        cli = NULL;
        /* the server sees the state and the signed manifest's keys at its next look */
        CHECK(pb_box_state(server, &s) == PB_OK && s == PB_BOX_OPEN);
        CHECK(pb_box_manifest(server)->has_keys);
        CHECK(pb_key_equal(&pb_box_manifest(server)->office_key, &office.pub));
        for (int i = 0; i < 4; i++)
                subs[i] = sub(cs.c[i].text, i % 2 ? b_only : a_only, 1);
        CHECK(pb_box_cast(server, subs, 4, out, NULL) == PB_OK && out[3].status == PB_OK);
        CHECK_INT(pb_box_election_close(server, "2026-06-01T20:00:00Z", NULL), PB_OK);
        CHECK_INT(pb_box_tally(server, NULL, "pbvote test", &env, NULL), PB_OK);
        /* certified by the command line again, exported by the server */
        CHECK_INT(pb_box_open(db, &cli, NULL), PB_OK);
        CHECK(cli &&
              pb_box_certify(cli, env.data, env.len, &office, "2026-06-02T10:00:00Z", &cert, NULL) == PB_OK);
        pb_box_free(cli);
        cli = NULL;
        check_bundle_verifies(server, "two-bundle");
        CHECK_INT(pb_box_check(server, NULL), PB_OK);
out:
        pb_box_free(server);
        pb_manifest_free(m);
        pb_buf_release(&env);
        pb_buf_release(&cert);
}

/*
 * A cast whose submissions were prepared from inputs another process changed before its
 * transaction began (here the retry key, rewritten behind the handle's back) stores nothing and
 * says so: a ballot stored with the old key's nonce would not be found again by its retry.
 */
static void test_cast_sees_other_process(void)
{
        static const uint32_t a_only[1] = { 0 };
        struct pb_box *b = NULL;
        struct pb_submission s;
        struct pb_cast_outcome out;
        struct pb_turnout t;
        struct pb_diag d;
        struct codes cs;
        char db[128];

        b = open_election(NULL, "other-process.db", 3, &cs, db, sizeof(db));
        if (!b)
                goto out;
        s = sub_id(cs.c[0].text, a_only, 1, 1);
        cast_check(b, &s, &out, false);
        CHECK(sql(db, "UPDATE election SET retry_key = randomblob(32)") == SQLITE_OK);
        s = sub_id(cs.c[1].text, a_only, 1, 2);
        CHECK_INT(pb_box_cast(b, &s, 1, &out, &d), PB_ERR_BUSY);
        CHECK(pb_box_turnout(b, &t, NULL) == PB_OK && t.ballots == 1 && t.codes_spent == 1);
        /* the next cast prepares from the key now stored, and a retry of it finds its commitment */
        cast_check(b, &s, &out, false);
        {
                struct pb_cast_outcome again;
                cast_check(b, &s, &again, true);
                CHECK(!memcmp(again.receipt.commitment, out.receipt.commitment, 32));
        }
out:
        pb_box_free(b);
}

/* Box @name from the test manifest titled @title: opened, three ballots, closed; tallied if @tally. */
static void make_closed(const char *name, const char *title, bool tally, char *db, size_t cap,
                        struct pb_buf *result)
{
        static const uint32_t a_only[1] = { 0 };
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_submission subs[3];
        struct pb_cast_outcome out[3];
        struct codes cs;
        char text[sizeof(manifest_text) + 64];
        const char *at = strstr(manifest_text, "\"title\":\"Test\"");

        /* the test manifest with another title: the same election, another manifest */
        snprintf(text, sizeof(text), "%.*s\"title\":\"%s\"%s", (int)(at - manifest_text), manifest_text,
                 title, at + strlen("\"title\":\"Test\""));
        CHECK_INT(pb_manifest_parse(text, strlen(text), &m, NULL), PB_OK);
        b = open_election(m, name, 3, &cs, db, cap);
        for (int i = 0; i < 3; i++)
                subs[i] = sub(cs.c[i].text, a_only, 1);
        CHECK(b && pb_box_cast(b, subs, 3, out, NULL) == PB_OK);
        CHECK(b && pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL) == PB_OK);
        if (b && tally)
                CHECK_INT(pb_box_tally(b, NULL, "pbvote test", result, NULL), PB_OK);
        pb_box_free(b);
        pb_manifest_free(m);
}

/* Take column @col of election @from's box into box @db (a document signed by the same key for
 * another manifest: what a stale copy of the manifest made the server sign in issue 11). */
static int graft(const char *db, const char *from, const char *col)
{
        char q[512];

        snprintf(q, sizeof(q),
                 "ATTACH '%s' AS o; UPDATE main.election SET %s = (SELECT %s FROM o.election WHERE id = 1);"
                 "DETACH o;",
                 from, col, col);
        return sql(db, q);
}

/* Close, tally and certify refuse to sign on top of documents that would not verify, and the full
 * check finds each such box, naming the document. */
static void test_inconsistent_documents(void)
{
        char a[128], elsewhere[128];
        struct pb_buf result, other_result, cert;
        struct pb_box *b = NULL;
        enum pb_box_state s;
        struct pb_diag d;

        pb_buf_init(&result, 0);
        pb_buf_init(&other_result, 0);
        pb_buf_init(&cert, 0);
        make_closed("doc-other.db", "Another title", true, elsewhere, sizeof(elsewhere), &other_result);
        /* a close statement naming another manifest: nothing is counted */
        make_closed("doc-close.db", "Test", false, a, sizeof(a), &result);
        CHECK(graft(a, elsewhere, "close_envelope") == SQLITE_OK);
        CHECK_INT(pb_box_open(a, &b, NULL), PB_OK);
        CHECK(b && pb_box_set_engine_key(b, &engine, NULL) == PB_OK);
        if (b) {
                CHECK_INT(pb_box_tally(b, NULL, "pbvote test", &result, &d), PB_ERR_INTERNAL);
                CHECK_STR(d.reason, "the close statement names another manifest");
                CHECK(pb_box_state(b, &s) == PB_OK && s == PB_BOX_CLOSED);
                CHECK_INT(pb_box_check(b, &d), PB_ERR_INTERNAL);
                CHECK_STR(d.path, "close");
        }
        pb_box_free(b);
        b = NULL;
        /* a result naming another manifest and close statement: the office certifies nothing */
        pb_buf_reset(&result);
        make_closed("doc-result.db", "Test", true, a, sizeof(a), &result);
        CHECK(graft(a, elsewhere, "result_envelope") == SQLITE_OK);
        CHECK_INT(pb_box_open(a, &b, NULL), PB_OK);
        if (b) {
                CHECK_INT(pb_box_certify(b, other_result.data, other_result.len, &office,
                                         "2026-06-02T10:00:00Z", &cert, &d),
                          PB_ERR_INTERNAL);
                CHECK_STR(d.reason, "the result names another manifest");
                CHECK_INT(pb_box_check(b, &d), PB_ERR_INTERNAL);
                CHECK_STR(d.path, "result");
        }
        pb_box_free(b);
        b = NULL;
        /* the stored manifest is not the signed one: the close signs nothing and voting stops */
        {
                static const uint32_t a_only[1] = { 0 };
                struct pb_submission sb;
                struct pb_cast_outcome out;
                struct codes cs;

                b = open_election(NULL, "doc-manifest.db", 1, &cs, a, sizeof(a));
                sb = sub(cs.c[0].text, a_only, 1);
                CHECK(b && pb_box_cast(b, &sb, 1, &out, NULL) == PB_OK);
                CHECK(graft(a, elsewhere, "manifest") == SQLITE_OK);
                if (b) {
                        CHECK_INT(pb_box_check(b, &d), PB_ERR_INTERNAL);
                        CHECK_STR(d.reason, "the stored manifest is not the one the finance office signed");
                        CHECK_INT(pb_box_election_close(b, "2026-06-01T20:00:00Z", &d), PB_ERR_INTERNAL);
                        CHECK_STR(d.reason, "the stored manifest is not the one the finance office signed");
                        CHECK(pb_box_state(b, &s) == PB_OK && s == PB_BOX_SUSPENDED);
                        CHECK(pb_box_document(b, PB_BOX_DOC_CLOSE, &cert, NULL) == PB_ERR_NOT_FOUND);
                }
        }
        pb_box_free(b);
        pb_buf_release(&result);
        pb_buf_release(&other_result);
        pb_buf_release(&cert);
}

static bool exists(const char *path, const char *suffix)
{
        char name[200];
        struct stat st;

        snprintf(name, sizeof(name), "%s%s", path, suffix);
        return lstat(name, &st) == 0;
}

/*
 * Issue 11: out of file descriptors, a create failed halfway and left a 4 KiB file that stopped the
 * server at its next start.  With one, two, ... descriptors left, a create either works or fails
 * saying why (PB_ERR_BUSY) and leaves no file behind.
 */
static void test_create_out_of_files(void)
{
        struct pb_manifest *m = manifest();
        struct rlimit old, rl;
        int lowest = dup(0), failed = 0, made = 0;

        if (lowest < 0 || getrlimit(RLIMIT_NOFILE, &old) < 0) {
                CHECK_FAIL("no descriptor to start from");
                goto out;
        }
        close(lowest);
        for (int k = 0; k < 8; k++) {
                struct pb_box *b = NULL;
                struct pb_diag d;
                char db[128], name[32];
                pb_err r;

                snprintf(name, sizeof(name), "nofile%d.db", k);
                path_of(db, sizeof(db), name);
                rl.rlim_cur = (rlim_t)(lowest + k);
                rl.rlim_max = old.rlim_max;
                CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
                r = pb_box_create(db, m, &b, &d);
                CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
                if (r == PB_OK) {
                        made++;
                        CHECK(exists(db, "") && exists(db, "-wal"));
                        CHECK_INT(pb_box_set_engine_key(b, &engine, NULL), PB_OK);
                        CHECK_INT(pb_box_election_open(b, &office, NULL), PB_OK);
                } else {
                        failed++;
                        CHECK_INT(r, PB_ERR_BUSY);
                        CHECK_STR(d.reason, "too many open files (the process's open-file limit)");
                        CHECK(!exists(db, "") && !exists(db, "-wal") && !exists(db, "-shm") &&
                              !exists(db, "-journal"));
                }
                pb_box_free(b);
        }
        CHECK(failed >= 2); /* no descriptor at all, and one: the file, then its WAL */
        CHECK(made > 0);
out:
        pb_manifest_free(m);
}

struct backup_seen {
        struct pb_box *other; /* another connection to the source, writing between two steps */
        uint64_t calls, last, total, not_up;
        bool wrote;
};

static void backup_step_seen(void *ctx, uint64_t done, uint64_t total)
{
        struct backup_seen *s = ctx;

        s->not_up += done <= s->last; /* a restarted copy reports its first pages again */
        s->calls++;
        s->last = done;
        s->total = total;
        if (!s->wrote && done < total) {
                s->wrote = true;
                CHECK_INT(pb_box_codes_issue(s->other, 50, NULL, NULL, NULL), PB_OK);
        }
}

/*
 * A backup in steps while another connection writes (issue 17: the progress of `pbvote backup`):
 * a box of more than PB_PROGRESS_EVERY pages (250,000 codes) is copied PB_PROGRESS_EVERY pages at
 * a time inside one read transaction; 50 codes committed through another connection after the
 * first step neither restart the copy (the pages reported only go up, to the source's count) nor
 * are in it (the copy is the box as of its start), and the copy passes its full check.
 */
static void test_backup_in_steps(void)
{
        struct backup_seen seen;
        struct pb_progress p = { backup_step_seen, &seen };
        struct pb_manifest *m = manifest();
        struct pb_box *b = NULL;
        char db[512], copy[512];

        memset(&seen, 0, sizeof(seen));
        path_of(db, sizeof(db), "steps.db");
        path_of(copy, sizeof(copy), "steps-copy.db");
        CHECK_INT(pb_box_create(db, m, &b, NULL), PB_OK);
        CHECK(b && pb_box_set_engine_key(b, &engine, NULL) == PB_OK);
        CHECK_INT(pb_box_codes_issue(b, 250000, NULL, NULL, NULL), PB_OK);
        seen.other = b;
        CHECK_INT(pb_box_backup_progress(db, copy, &p, NULL), PB_OK);
        CHECK(seen.calls >= 2);
        CHECK(seen.total > PB_PROGRESS_EVERY);
        CHECK_INT(seen.last, seen.total);
        CHECK_INT(seen.not_up, 0);
        CHECK(seen.wrote);
        CHECK_INT(sql_int(db, "SELECT count(*) FROM codes"), 250050);
        CHECK_INT(sql_int(copy, "SELECT count(*) FROM codes"), 250000);
        pb_box_free(b);
        pb_manifest_free(m);
}

int main(int argc, char **argv)
{
        char cmd[128];

        if (sodium_init() < 0)
                return 1;
        snprintf(dir, sizeof(dir), "/tmp/pbvote-test-box-XXXXXX");
        if (!mkdtemp(dir))
                return 1;
        key(&engine, "pb.test/engine", 1);
        key(&office, "pb.test/office", 2);
        key(&other, "pb.test/engine", 3);
        RUN(test_lifecycle);
        RUN(test_recovery_refuses_damage);
        RUN(test_tokens);
        RUN(test_wal_truncation);
        RUN(test_retry);
        RUN(test_retry_any_ballot);
        RUN(test_export_stream);
        RUN(test_file_modes);
        RUN(test_codes_letters_and_digits);
        RUN(test_find_short);
        RUN(test_two_handles);
        RUN(test_empty_election_verifies);
        RUN(test_cast_sees_other_process);
        RUN(test_inconsistent_documents);
        RUN(test_create_out_of_files);
        RUN(test_backup_in_steps);
        if (argc < 5) {
                fprintf(stderr,
                        "usage: test-box SCHEMA1_FIXTURE SCHEMA4_FIXTURE SCHEMA5_FIXTURE SCHEMA6_FIXTURE\n");
                return 1;
        }
        RUN_ARG(test_schema1_migrates, argv[1]);
        RUN_ARG(test_schema4_migrates, argv[2]);
        RUN_ARG(test_schema5_migrates, argv[3]);
        RUN_ARG(test_schema6_migrates, argv[4]);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return check_summary("box");
}
