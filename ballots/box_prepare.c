/**
 * @file Preparing submissions before their cast: the code parsed and hashed, the ballot checked,
 * its CVR written, cvr_id and nonce drawn, the commitment computed (and sealed into the retry tag).
 * All of it needs only a few inputs of the box (election, pepper, retry key), so it can run on any
 * thread from a snapshot of them while the one writer casts (docs/ballot-box.md, "Casting").
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ballots/box_int.h"
#include "formats/pb_json_ballot.h"
#include "engine/pb_alloc.h"
#include "engine/pb_refusal.h"
#include "engine/pb_validate.h"

/** The immutable copy of a box's preparation inputs (pb_box_snapshot_take). */
struct pb_box_snapshot {
        struct box_prep_inputs in;
        struct pb_manifest *manifest; /* owned: in.manifest is it */
        uint8_t *pepper;              /* sodium_malloc'd */
        uint8_t *retry_key;           /* sodium_malloc'd, or NULL */
};

void box_prep_inputs_of(const struct pb_box *b, struct box_prep_inputs *ret)
{
        ret->manifest = b->manifest;
        ret->pepper = b->pepper;
        ret->retry_key = b->retry_key;
        ret->legacy_idem = b->legacy_idem;
        ret->legacy_codes = b->legacy_codes;
        ret->gen = b->prep_gen;
}

/* Key of the idem table that schema 1 and 2 wrote: the submission id hashed with the pepper.  Read
 * only for a box that still holds such records (legacy_idem: migrated while open). */
static void idem_key(const struct box_prep_inputs *in, const uint8_t sid[PB_SUBMISSION_ID_BYTES],
                     uint8_t ret[PB_BOX_IDEM_KEY_BYTES])
{
        static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] = "pbv-idem-key/v1";

        crypto_generichash_blake2b_salt_personal(ret, PB_BOX_IDEM_KEY_BYTES, sid, PB_SUBMISSION_ID_BYTES,
                                                 in->pepper, PB_CODE_KEY_BYTES, NULL, personal);
}

/*
 * A submission with an id, in a box with a retry key (docs/ballot-box.md, "Retries"): the tag
 * stored in its code's row is its commitment sealed under a pad that only this code, this id and
 * the retry key give: BLAKE2b-256 keyed with the retry key, personalised "pbv-retry-seal01", over
 * the code hash and the id.  A retry of the same code and id opens the tag to the first
 * commitment whatever ballot it carries, so its answer cannot depend on that ballot (issue 11: a
 * voter could otherwise prove a vote by testing guessed ballots).  Each pad seals one commitment
 * only: a code is spent once.
 */
static void retry_seal(const struct box_prep_inputs *in, const uint8_t sid[PB_SUBMISSION_ID_BYTES],
                       struct pb_box_prepared *p)
{
        static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] = "pbv-retry-seal01";
        crypto_generichash_blake2b_state st;
        uint8_t pad[BOX_RETRY_TAG_BYTES];

        crypto_generichash_blake2b_init_salt_personal(&st, in->retry_key, BOX_RETRY_KEY_BYTES, sizeof(pad),
                                                      NULL, personal);
        crypto_generichash_blake2b_update(&st, p->code_hash, sizeof(p->code_hash));
        crypto_generichash_blake2b_update(&st, sid, PB_SUBMISSION_ID_BYTES);
        crypto_generichash_blake2b_final(&st, pad, sizeof(pad));
        for (size_t i = 0; i < sizeof(pad); i++)
                p->tag[i] = (uint8_t)(p->commitment[i] ^ pad[i]);
        p->tagged = true;
        sodium_memzero(&st, sizeof(st));
        sodium_memzero(pad, sizeof(pad));
}

enum box_fit box_contests_fit(const uint8_t *allowed, size_t alen, const uint8_t *fit, size_t len,
                              size_t *ret_contest)
{
        size_t missing = SIZE_MAX;

        for (size_t i = 0; i < 8 * len; i++) {
                bool a = !allowed || (i / 8 < alen && ((allowed[i / 8] >> (i % 8)) & 1u));
                bool chosen = (fit[i / 8] >> (i % 8)) & 1u, required = (fit[len + i / 8] >> (i % 8)) & 1u;

                if (chosen && !a) { /* said first: a ballot the code may not cast */
                        if (ret_contest)
                                *ret_contest = i;
                        return BOX_FIT_NOT_ALLOWED;
                }
                if (a && required && !chosen && missing == SIZE_MAX)
                        missing = i;
        }
        if (missing == SIZE_MAX)
                return BOX_FIT_OK;
        if (ret_contest)
                *ret_contest = missing;
        return BOX_FIT_MISSING;
}

/* A refusal of the submission's ballots as a whole, at @path. */
static pb_err refuse_ballots(struct pb_box_prepared *p, enum pb_refusal why, const char *path)
{
        p->reject = PB_REJECT_INVALID_BALLOT;
        return pb_diag_refuse(&p->diag, why, path);
}

/* The JSON path of contest @k's ballot in submission @s: "$.ballot" in the one-contest form, else
 * `$.ballots["<contest id>"]`. */
static const char *ballot_path(const struct pb_manifest *m, const struct pb_submission *s, uint32_t k,
                               char out[PB_DIAG_PATH_MAX])
{
        if (!s->ballots || s->as_ballot)
                return memcpy(out, "$.ballot", sizeof("$.ballot"));
        snprintf(out, PB_DIAG_PATH_MAX, "$.ballots[\"%s\"]", m->contests[k].election->id);
        return out;
}

/* The submission's ballots as parts (@one holds the one-contest form's); their shape checked: at
 * least one, known contests, each once, and the sets of pb_box_prepared.fit. */
static pb_err ballots_of(const struct pb_manifest *m, const struct pb_submission *s,
                         struct pb_contest_ballot *one, const struct pb_contest_ballot **ret, size_t *ret_n,
                         struct pb_box_prepared *p)
{
        const size_t len = m->has_contests ? pb_contest_set_bytes(m->n_contests) : 0;
        const struct pb_contest_ballot *b = s->ballots;
        size_t n = s->n_ballots;
        struct pb_contest_set chosen = { { 0 } };

        if (!b) {
                if (m->n_contests > 1)
                        return refuse_ballots(p, PB_REFUSAL_CONTEST_MISSING, "$.ballots");
                *one = (struct pb_contest_ballot){ 0, s->items, s->points, s->n, PB_MARK_NONE };
                b = one;
                n = 1;
        }
        if (n == 0)
                return refuse_ballots(p, PB_REFUSAL_CONTEST_MISSING, "$.ballots");
        for (size_t i = 0; i < n; i++) {
                if (b[i].contest >= m->n_contests)
                        return refuse_ballots(p, PB_REFUSAL_CONTEST_UNKNOWN, "$.ballots");
                if (pb_contest_set_has(&chosen, b[i].contest))
                        return refuse_ballots(p, PB_REFUSAL_BALLOT_MALFORMED, "$.ballots");
                pb_contest_set_add(&chosen, b[i].contest);
        }
        memcpy(p->fit, chosen.bits, len);
        memset(p->fit + len, 0, len);
        for (size_t k = 0; k < m->n_contests && len; k++)
                if (!m->contests[k].optional)
                        p->fit[len + k / 8] = (uint8_t)(p->fit[len + k / 8] | (1u << (k % 8)));
        p->fit_len = (uint32_t)len;
        *ret = b;
        *ret_n = n;
        return PB_OK;
}

/* Each ballot against its contest's rules (strictly; imported ballots as pabulib's checker). */
static pb_err check_ballots(const struct pb_manifest *m, const struct pb_submission *s,
                            const struct pb_contest_ballot *b, size_t n, struct pb_box_prepared *p)
{
        struct pb_diag *d = &p->diag;

        for (size_t i = 0; i < n; i++) {
                const struct pb_election *e = m->contests[b[i].contest].election;
                const int64_t *points = pb_vote_type_has_points(e->vote_type) ? b[i].points : NULL;
                char path[PB_DIAG_PATH_MAX], base[PB_DIAG_PATH_MAX];
                pb_err r;

                ballot_path(m, s, b[i].contest, base);
                if ((b[i].n && !b[i].items) || b[i].n > e->n_projects || (unsigned)b[i].mark >= PB_MARK_COUNT)
                        return refuse_ballots(p, PB_REFUSAL_BALLOT_MALFORMED, base);
                /* a paper's blank or spoiled part is recorded as such, never checked nor counted */
                if (b[i].mark != PB_MARK_NONE) {
                        if (s->channel != PB_CHANNEL_PAPER || b[i].n)
                                return refuse_ballots(p, PB_REFUSAL_BALLOT_MALFORMED, base);
                        continue;
                }
                /* imported ballots were accepted by their own process: pabulib's checker treats the
                 * sum limits as warnings, and so does the import; everything cast here is strict */
                r = pb_ballot_check(e, b[i].items, points, b[i].n,
                                    s->channel == PB_CHANNEL_IMPORTED ? PB_CHECK_PABULIB : PB_CHECK_STRICT,
                                    NULL, d);
                if (r < 0) {
                        p->reject = PB_REJECT_INVALID_BALLOT;
                        d->subject[0] = '\0'; /* a project id from the ballot: content, never echoed */
                        /* the engine's field ("vote", "points") as the member of the submitted ballot */
                        snprintf(path, sizeof(path), "%s.%s", base, pb_ballot_member(e->vote_type));
                        memcpy(d->path, path, sizeof(d->path));
                        return r == PB_ERR_OVERFLOW ? PB_ERR_INVALID : r;
                }
        }
        return PB_OK;
}

/*
 * Read the submission's code.  A box that issued codes before issue 13 (legacy_codes) also reads
 * their mod-37 check (docs/integrity.md, departure 14): the hash lookup at the cast decides, as for
 * every code; only the typing check is weaker there (a mistyped code of today's passes the old
 * check once in 37 and is then refused as unknown rather than malformed).
 */
static pb_err parse_code(const struct box_prep_inputs *in, const struct pb_submission *s, struct pb_code *ret,
                         struct pb_diag *d)
{
        const char *text = s->code ? s->code : "";
        size_t len = s->code ? s->code_len : 0;
        struct pb_diag legacy;
        pb_err r = pb_code_parse(text, len, PB_CODE_BYTES, ret, d);

        if (r == PB_OK || !in->legacy_codes || (r != PB_ERR_INVALID && r != PB_ERR_PARSE))
                return r;
        pb_diag_clear(&legacy);
        switch (pb_code_parse_mod37(text, len, PB_CODE_BYTES, ret, &legacy)) {
        case PB_OK: pb_diag_clear(d); return PB_OK;
        case PB_ERR_INVALID:
                /* read as a legacy code, only its check failed: a *~$=U was no bad character */
                if (d)
                        *d = legacy;
                return PB_ERR_INVALID;
        default: return r;
        }
}

/* The code parsed and hashed into p->code_hash; a malformed one is refused. */
static pb_err hash_code(const struct box_prep_inputs *in, const struct pb_submission *s,
                        struct pb_box_prepared *p)
{
        struct pb_diag *d = &p->diag;
        struct pb_code code;
        pb_err r = parse_code(in, s, &code, d);

        if (r < 0) {
                p->reject = PB_REJECT_MALFORMED_CODE;
                if (r != PB_ERR_INVALID && r != PB_ERR_PARSE)
                        return r;
                /* the parser's reason (a bad character, length, check symbol), refused as malformed */
                r = pb_diag_at(d, pb_refusal_code(PB_REFUSAL_CODE_MALFORMED), 0, 0, "$.code", d->reason);
                d->refusal = pb_refusal_name(PB_REFUSAL_CODE_MALFORMED);
                return r;
        }
        pb_code_hash(&code, in->pepper, p->code_hash);
        pb_code_wipe(&code);
        return PB_OK;
}

pb_err pb_box_snapshot_code_hash(const struct pb_box_snapshot *snap, const char *code, size_t len,
                                 uint8_t ret_hash[PB_CODE_HASH_BYTES], struct pb_diag *reterr)
{
        struct pb_submission s = { .code = code, .code_len = len };
        struct pb_box_prepared p;
        pb_err r;

        memset(&p, 0, sizeof(p));
        pb_diag_clear(&p.diag);
        r = hash_code(&snap->in, &s, &p);
        if (r == PB_OK)
                memcpy(ret_hash, p.code_hash, PB_CODE_HASH_BYTES);
        else if (reterr)
                *reterr = p.diag;
        sodium_memzero(p.code_hash, sizeof(p.code_hash));
        return r;
}

/* The CVR, the randomness and the commitment (sealed into the retry tag). */
static pb_err commit(const struct box_prep_inputs *in, const struct pb_submission *s,
                     const struct pb_contest_ballot *b, size_t n, struct pb_box_prepared *p)
{
        const struct pb_manifest *m = in->manifest;
        struct pb_buf cvr;
        pb_err r;

        if (s->has_submission_id && in->legacy_idem)
                idem_key(in, s->submission_id, p->idem_key);
        /* random, also for a submission with an id: a retry finds its commitment through the
         * code's sealed tag, never by computing it again */
        randombytes_buf(p->cvr_id, sizeof(p->cvr_id));
        randombytes_buf(p->nonce, sizeof(p->nonce));
        pb_buf_init(&cvr, 0);
        r = pb_vote_cvr_write(m, b, n, s->channel, s->paper, p->cvr_id, &cvr);
        if (r == PB_OK)
                r = pb_cvr_commitment(m->election->id, p->nonce, (const uint8_t *)cvr.data, cvr.len,
                                      p->commitment);
        if (r == PB_OK && s->has_submission_id && in->retry_key)
                retry_seal(in, s->submission_id, p);
        if (r < 0) {
                if (cvr.data)
                        sodium_memzero(cvr.data, cvr.cap);
                pb_buf_release(&cvr);
                return r;
        }
        p->cvr = (uint8_t *)cvr.data; /* the buffer is handed over; released by pb_box_prepared_release */
        p->cvr_cap = cvr.cap;
        p->cvr_len = cvr.len;
        return PB_OK;
}

/* Fill @p; a refusal leaves p->ok false with p->reject and p->diag; another error is returned. */
static pb_err prepare(const struct box_prep_inputs *in, const struct pb_submission *s,
                      struct pb_box_prepared *p)
{
        const struct pb_contest_ballot *b = NULL;
        struct pb_contest_ballot one;
        size_t n = 0;
        pb_err r;

        if (s->refused) {
                p->reject = PB_REJECT_INVALID_BALLOT;
                p->diag = *s->refused;
                return PB_OK; /* p->ok stays false: the refusal is the ballot's outcome */
        }
        if ((unsigned)s->channel >= PB_CHANNEL_COUNT)
                return refuse_ballots(p, PB_REFUSAL_BALLOT_MALFORMED, s->ballots ? "$.ballots" : "$.ballot");
        r = ballots_of(in->manifest, s, &one, &b, &n, p);
        if (r == PB_OK)
                r = hash_code(in, s, p);
        if (r == PB_OK)
                r = check_ballots(in->manifest, s, b, n, p);
        if (r == PB_OK)
                r = commit(in, s, b, n, p);
        if (r == PB_OK)
                p->ok = true;
        return r;
}

void box_prepare(const struct box_prep_inputs *in, const struct pb_submission *s, struct pb_box_prepared *p)
{
        pb_err r;

        memset(p, 0, sizeof(*p));
        pb_diag_clear(&p->diag);
        p->gen = in->gen;
        r = prepare(in, s, p);
        /* a refusal is the ballot's own outcome; a lack of memory fails the whole cast */
        p->status = r == PB_ERR_NOMEM || r == PB_ERR_LIMIT ? r : PB_OK;
        p->prepared = true;
}

void pb_box_prepare(const struct pb_box_snapshot *snap, const struct pb_submission *s,
                    struct pb_box_prepared *ret)
{
        box_prepare(&snap->in, s, ret);
}

void pb_box_prepared_release(struct pb_box_prepared *p)
{
        if (!p)
                return;
        if (p->cvr) {
                sodium_memzero(p->cvr, p->cvr_cap);
                pb_free(p->cvr);
        }
        sodium_memzero(p, sizeof(*p));
}

pb_err pb_box_snapshot_take(struct pb_box *b, struct pb_box_snapshot **ret, struct pb_diag *reterr)
{
        struct pb_box_snapshot *s;
        struct pb_buf text;
        pb_err r;

        r = box_need_engine(b, reterr);
        if (r == PB_OK)
                r = box_retry_key_load(b, reterr);
        if (r < 0)
                return r;
        s = pb_calloc(1, sizeof(*s));
        if (!s)
                return PB_ERR_NOMEM;
        pb_buf_init(&text, PB_MANIFEST_MAX_BYTES);
        r = pb_manifest_format(b->manifest, &text);
        if (r == PB_OK)
                r = pb_manifest_parse(text.data, text.len, &s->manifest, reterr);
        pb_buf_release(&text);
        if (r == PB_OK && !(s->pepper = sodium_malloc(PB_CODE_KEY_BYTES)))
                r = PB_ERR_NOMEM;
        if (r == PB_OK && b->retry_key && !(s->retry_key = sodium_malloc(BOX_RETRY_KEY_BYTES)))
                r = PB_ERR_NOMEM;
        if (r < 0) {
                pb_box_snapshot_free(s);
                return r;
        }
        memcpy(s->pepper, b->pepper, PB_CODE_KEY_BYTES);
        if (b->retry_key)
                memcpy(s->retry_key, b->retry_key, BOX_RETRY_KEY_BYTES);
        s->in.manifest = s->manifest;
        s->in.pepper = s->pepper;
        s->in.retry_key = s->retry_key;
        s->in.legacy_idem = b->legacy_idem;
        s->in.legacy_codes = b->legacy_codes;
        s->in.gen = b->prep_gen;
        *ret = s;
        return PB_OK;
}

void pb_box_snapshot_free(struct pb_box_snapshot *s)
{
        if (!s)
                return;
        pb_manifest_free(s->manifest);
        sodium_free(s->pepper);
        sodium_free(s->retry_key);
        pb_free(s);
}

const struct pb_manifest *pb_box_snapshot_manifest(const struct pb_box_snapshot *s)
{
        return s->in.manifest;
}

uint64_t pb_box_snapshot_gen(const struct pb_box_snapshot *s)
{
        return s->in.gen;
}

uint64_t pb_box_gen(const struct pb_box *b)
{
        return b->prep_gen;
}
