/**
 * @file The offline verifier of an audit bundle (docs/auditor.md): the files (A), the signatures,
 * keys and what the auditor expects (B), then the ballots, the log and the tally (verify_log.c).
 */
#include <sodium.h>
#include <string.h>

#include "ballots/verify_int.h"
#include "formats/pb_envelope.h"
#include "formats/pb_json.h"
#include "formats/pb_manifest.h"
#include "formats/pb_tar.h"
#include "engine/pb_alloc.h"

static void emit(struct vctx *v, const struct pb_verify_check *c)
{
        if (!c->pass)
                v->failed++;
        if (v->fn)
                v->fn(v->fn_ctx, c);
}

void verify_report(struct vctx *v, const char *id, const char *name, bool pass, uint64_t count,
                   const char *detail, int file, unsigned line, const char *field)
{
        struct pb_verify_check c = { id,    name,   pass,
                                     count, detail, file == NO_FILE ? NULL : vsrc_names[file],
                                     line,  field };

        emit(v, &c);
}

void verify_fatal(struct vctx *v, pb_err r)
{
        if (!v->fatal && (r == PB_ERR_NOMEM || r == PB_ERR_IO))
                v->fatal = r;
}

/* Read file @k whole (at most @max bytes) into v->data[k]; NULL, or why it could not be. */
static const char *load(struct vctx *v, enum file_id k, size_t max)
{
        const char *why = NULL;
        pb_err r;

        if (v->data[k])
                return NULL;
        r = vsrc_read(&v->src, k, max, &v->data[k], &v->len[k], &why);
        if (r < 0) {
                verify_fatal(v, r == PB_ERR_IO ? PB_OK : r); /* an unreadable file is a failed check */
                return r == PB_ERR_NOMEM ? "out of memory" : why;
        }
        if (vsrc_has_crlf(v->data[k], v->len[k]))
                return VERIFY_CRLF;
        return NULL;
}

/* ---- A: completeness -------------------------------------------------------------------------- */

static void check_files(struct vctx *v)
{
        char name[PB_TAR_NAME_MAX + 1];
        struct pb_verify_check c;
        const char *why = NULL;
        uint64_t n = 0;
        pb_err r = vsrc_open(&v->src, v->src.path, &why, name, sizeof(name));

        verify_fatal(v, r);
        for (int k = 0; k < F_COUNT; k++) {
                n += v->src.f[k].present;
                if (!why && !v->src.f[k].present && (k != F_CERTIFICATION || !v->o->allow_uncertified)) {
                        why = "missing";
                        snprintf(name, sizeof(name), "%s", vsrc_names[k]);
                }
        }
        /* the offending name comes from the bundle, not from the list of its files */
        memset(&c, 0, sizeof(c));
        c.id = "A1";
        c.name = "files";
        c.pass = !why;
        c.count = n;
        c.detail = why ? why : "exactly the bundle's files, each a regular file";
        c.file = why ? name : NULL;
        emit(v, &c);
}

/* ---- B: authenticity ------------------------------------------------------------------------- */

static bool trusted(const struct vctx *v, const struct pb_key_public *k, enum pb_trust_role role)
{
        for (size_t i = 0; i < v->o->n_trusted; i++)
                if (pb_key_equal(&v->o->trusted[i], k) &&
                    (!v->o->roles || v->o->roles[i] == PB_TRUST_ANY || v->o->roles[i] == role))
                        return true;
        return false;
}

/* A pbvote envelope: canonical bytes, one signature by @key over the expected type. */
static const char *open_envelope(struct vctx *v, enum file_id f, const char *type,
                                 const struct pb_key_public *key, struct pb_seal_envelope *env)
{
        const char *why = load(v, f, PB_ENVELOPE_MAX_BYTES);
        pb_err r;

        if (why)
                return why;
        r = pb_envelope_parse(v->data[f], v->len[f], 0, env, NULL);
        if (r < 0) {
                verify_fatal(v, r);
                return "not a canonical DSSE envelope (a byte was changed, added or removed)";
        }
        if (strcmp(env->payload_type, type))
                return "a signed document of another type (wrong payloadType)";
        r = pb_seal_verify(env, type, key, PB_SEAL_STRICT, NULL);
        if (r < 0) {
                verify_fatal(v, r);
                return "the signature does not verify under the expected key";
        }
        return NULL;
}

/* The manifest envelope's payload, parsed and canonical; *@ret_field names a field it breaks. */
static const char *read_manifest(struct vctx *v, struct pb_seal_envelope *env, const char **ret_field)
{
        struct pb_buf again;
        struct pb_diag d;
        const char *why = load(v, F_MANIFEST, PB_ENVELOPE_MAX_BYTES);
        pb_err r;

        if (why)
                return why;
        r = pb_envelope_parse(v->data[F_MANIFEST], v->len[F_MANIFEST], 0, env, NULL);
        if (r < 0 || strcmp(env->payload_type, PB_SEAL_TYPE_MANIFEST)) {
                verify_fatal(v, r);
                return r < 0 ? "not a canonical DSSE envelope"
                             : "a signed document of another type (wrong payloadType)";
        }
        pb_diag_clear(&d);
        r = pb_manifest_parse((const char *)env->payload, env->payload_len, &v->m, &d);
        if (r < 0) {
                verify_fatal(v, r);
                memcpy(v->manifest_field, d.path, sizeof(v->manifest_field));
                *ret_field = v->manifest_field[0] ? v->manifest_field : NULL;
                return d.reason ? d.reason : "the manifest does not parse";
        }
        if (!v->m->has_keys)
                return "the manifest names no keys";
        pb_buf_init(&again, 0);
        r = pb_manifest_format(v->m, &again);
        if (r < 0 || again.len != env->payload_len || memcmp(again.data, env->payload, again.len))
                why = "the manifest is not in canonical form";
        verify_fatal(v, r);
        pb_buf_release(&again);
        return why;
}

static void check_manifest(struct vctx *v)
{
        struct pb_seal_envelope env;
        const char *why, *field = NULL;

        pb_seal_envelope_init(&env);
        why = read_manifest(v, &env, &field);
        if (!why && pb_seal_verify(&env, PB_SEAL_TYPE_MANIFEST, &v->m->office_key, PB_SEAL_STRICT, NULL) < 0)
                why = "not signed by the finance office key the manifest names";
        if (!why) {
                crypto_hash_sha256(v->manifest_sha256, env.payload, env.payload_len);
                v->manifest_ok = true;
        }
        verify_report(v, "B1", "manifest signature", !why, 1, why ? why : "signed by the finance office key",
                      why ? F_MANIFEST : NO_FILE, 0, field);
        pb_seal_envelope_release(&env);
}

static void check_keys(struct vctx *v)
{
        struct pb_buf want;
        const char *why = NULL;

        pb_buf_init(&want, 0);
        why = v->manifest_ok ? load(v, F_KEYS, PB_BUNDLE_KEYS_MAX) : "cannot be checked: the manifest failed";
        if (!why && pb_bundle_keys_format(&v->m->engine_key, &v->m->office_key, &want) < 0) {
                verify_fatal(v, PB_ERR_NOMEM);
                why = "out of memory";
        } else if (!why && (want.len != v->len[F_KEYS] || memcmp(want.data, v->data[F_KEYS], want.len))) {
                why = "keys.txt is not the keys the signed manifest names";
        }
        verify_report(v, "B0", "keys", !why, 2,
                      why ? why : "keys.txt is the manifest's engine and office keys", why ? F_KEYS : NO_FILE,
                      0, NULL);
        pb_buf_release(&want);
        if (why)
                return;
        if (!v->o->n_trusted) {
                verify_report(v, "B0T", "key pinning", true, 0,
                              "NOT PINNED: keys taken from the bundle; pass --trust with the published keys",
                              NO_FILE, 0, NULL);
        } else if (!trusted(v, &v->m->engine_key, PB_TRUST_ENGINE) ||
                   !trusted(v, &v->m->office_key, PB_TRUST_OFFICE)) {
                verify_report(v, "B0T", "key pinning", false, 2,
                              "a key of the bundle is not trusted for its role", F_KEYS, 0, NULL);
                return;
        } else {
                verify_report(v, "B0T", "key pinning", true, 2, "engine and office keys are the trusted ones",
                              NO_FILE, 0, NULL);
        }
        v->keys_ok = true;
}

/*
 * B1P: the bundle is of the election the auditor was asked to check.  The keys alone do not say
 * so: every election a city runs is signed with the same keys, so any of them would pass.
 */
static void check_expected_election(struct vctx *v)
{
        const struct pb_verify_options *o = v->o;
        const char *why = NULL, *field = NULL;

        if (!o->expect_election && !o->expect_manifest) {
                verify_report(
                        v, "B1P", "expected election", true, 0,
                        "NOT PINNED: any election signed with these keys passes; pass --expect-manifest "
                        "(or --expect-election) with what the city published",
                        NO_FILE, 0, NULL);
                return;
        }
        if (!v->manifest_ok)
                why = "cannot be checked: the manifest failed";
        else if (o->expect_election && strcmp(o->expect_election, v->m->election->id))
                why = "the bundle is of another election (its id is not the expected one)", field = "$.id";
        else if (o->expect_manifest &&
                 sodium_memcmp(o->expect_manifest, v->manifest_sha256, sizeof(v->manifest_sha256)))
                why = "the bundle's manifest is not the expected one (SHA-256 differs)";
        verify_report(v, "B1P", "expected election", !why, 1, why ? why : "the manifest is the expected one",
                      why ? F_MANIFEST : NO_FILE, 0, field);
}

/* A signed note with exactly one signature line, by @key. */
static pb_err open_note_strict(const char *note, size_t len, const struct pb_key_public *key,
                               struct pb_checkpoint *cp)
{
        size_t text_len = 0, nl = 0;
        pb_err r = pb_note_open(note, len, key, 1, &text_len, NULL, NULL);

        if (r < 0)
                return r;
        for (size_t i = text_len; i < len; i++)
                nl += note[i] == '\n';
        if (nl != 2 || note[len - 1] != '\n')
                return PB_ERR_SIGNATURE; /* another signature line: a byte nobody's signature covers */
        return pb_checkpoint_parse(note, text_len, cp, NULL);
}

static const struct pb_json_field note_fields[] = { { "note", PB_JSON_STRING, true },
                                                    { NULL, PB_JSON_ANY, false } };

/* One line of checkpoints.jsonl: canonical {"note": ...}, signed by the engine key alone. */
static const char *checkpoint_line(struct vctx *v, const char *p, size_t n, struct pb_checkpoint *cp)
{
        const char *why = NULL, *note;
        struct pb_buf again;
        cJSON *j = NULL;
        pb_err r;

        if (n && p[n - 1] == '\r')
                return VERIFY_CRLF;
        pb_buf_init(&again, 0);
        r = pb_json_parse(p, n, 2, &j, NULL);
        if (r == PB_OK)
                r = pb_json_check_object(j, note_fields, "$", NULL);
        if (r == PB_OK) {
                note = cJSON_GetObjectItemCaseSensitive(j, "note")->valuestring;
                r = pb_bundle_checkpoint_line(note, strlen(note), &again);
                if (r == PB_OK && (again.len != n + 1 || memcmp(again.data, p, n) || again.data[n] != '\n'))
                        r = PB_ERR_PARSE;
                if (r == PB_OK && open_note_strict(note, strlen(note), &v->m->engine_key, cp) < 0)
                        why = "a checkpoint is not signed (only) by the engine key";
        }
        if (r < 0 && !why)
                why = "a line is not {\"note\": ...} in canonical form";
        verify_fatal(v, r);
        cJSON_Delete(j);
        pb_buf_release(&again);
        if (!why && strcmp(cp->origin, v->m->origin))
                why = "a checkpoint of another log (origin)";
        return why;
}

/* Append checkpoint @cp after the ones before it: sizes strictly increase from the zero checkpoint. */
static const char *add_checkpoint(struct vctx *v, const struct pb_checkpoint *cp, size_t *cap)
{
        struct cp *g;

        if (v->n_cps ? cp->size <= v->cps[v->n_cps - 1].size : cp->size != 0)
                return v->n_cps ? "checkpoint sizes do not increase (a fork, a repeat or a reordering)"
                                : "the first checkpoint is not the zero checkpoint";
        g = pb_grow(v->cps, cap, v->n_cps + 1, sizeof(*g), 64);
        if (!g) {
                verify_fatal(v, PB_ERR_NOMEM);
                return "out of memory";
        }
        v->cps = g;
        v->cps[v->n_cps].size = cp->size;
        memcpy(v->cps[v->n_cps].root, cp->root, sizeof(cp->root));
        v->n_cps++;
        return NULL;
}

static void check_checkpoints(struct vctx *v)
{
        const char *why = NULL;
        struct vlines l;
        size_t cap = 0;
        pb_err r;

        memset(&l, 0, sizeof(l));
        if (!v->keys_ok) {
                verify_report(v, "B2", "checkpoints", false, 0, "cannot be checked: the keys failed",
                              F_CHECKPOINTS, 0, NULL);
                return;
        }
        r = vlines_open(&v->src, F_CHECKPOINTS, PB_BUNDLE_CHECKPOINT_LINE_MAX, &l, &why);
        verify_fatal(v, r == PB_ERR_NOMEM ? r : PB_OK);
        while (!why) {
                struct pb_checkpoint cp;
                const char *p;
                size_t n;
                bool end;

                r = vlines_next(&l, &p, &n, &end, &why);
                verify_fatal(v, r == PB_ERR_IO ? r : PB_OK);
                if (r < 0 || end)
                        break;
                why = checkpoint_line(v, p, n, &cp);
                if (!why)
                        why = add_checkpoint(v, &cp, &cap);
        }
        if (!why && !v->n_cps)
                why = "empty: not even the zero checkpoint";
        if (!why) {
                uint8_t empty[PB_MERKLE_HASH_BYTES];
                pb_merkle_empty_root(empty);
                if (memcmp(v->cps[0].root, empty, sizeof(empty))) {
                        why = "the zero checkpoint does not have the empty tree's root";
                        l.line = 1;
                }
        }
        v->cps_ok = !why;
        verify_report(v, "B2", "checkpoints", !why, v->n_cps,
                      why ? why : "every checkpoint signed by the engine key, sizes increasing from 0",
                      why ? F_CHECKPOINTS : NO_FILE, why ? l.line : 0, NULL);
        vlines_close(&l);
}

static void check_close(struct vctx *v)
{
        const char *why = NULL;

        if (!v->keys_ok)
                why = "cannot be checked: the keys failed";
        else
                why = open_envelope(v, F_CLOSE, PB_SEAL_TYPE_CLOSE, &v->m->engine_key, &v->close_env);
        if (!why && pb_doc_close_parse((const char *)v->close_env.payload, v->close_env.payload_len, v->m,
                                       &v->close, NULL) < 0)
                why = "the close statement is not in its canonical form";
        if (!why && strcmp(v->close.election, v->m->election->id))
                why = "the close statement is about another election";
        if (!why && memcmp(v->close.manifest_sha256, v->manifest_sha256, sizeof(v->manifest_sha256)))
                why = "the close statement names another manifest";
        v->close_ok = !why;
        verify_report(v, "B3", "close statement", !why, 1,
                      why ? why : "signed by the engine key, this election's manifest",
                      why ? F_CLOSE : NO_FILE, 0, NULL);
}

static void check_result(struct vctx *v)
{
        const char *why = NULL;
        uint8_t close_sha[PB_SHA256_BYTES];

        if (!v->close_ok)
                why = "cannot be checked: the close statement failed";
        else
                why = open_envelope(v, F_RESULT, PB_SEAL_TYPE_RESULT, &v->m->engine_key, &v->result_env);
        if (!why && pb_doc_result_parse((const char *)v->result_env.payload, v->result_env.payload_len, v->m,
                                        &v->result, &v->seed, &v->has_seed, NULL) < 0)
                why = "the result is not in its canonical form";
        if (!why && strcmp(v->result.election, v->m->election->id))
                why = "the result is about another election";
        if (!why && memcmp(v->result.manifest_sha256, v->manifest_sha256, sizeof(v->manifest_sha256)))
                why = "the result names another manifest";
        if (!why) {
                crypto_hash_sha256(close_sha, v->close_env.payload, v->close_env.payload_len);
                if (memcmp(close_sha, v->result.close_sha256, sizeof(close_sha)))
                        why = "the result names another close statement";
        }
        if (!why)
                crypto_hash_sha256(v->result_sha256, v->result_env.payload, v->result_env.payload_len);
        v->result_ok = !why;
        verify_report(v, "B4", "result signature", !why, 1,
                      why ? why : "signed by the engine key, this manifest and close statement",
                      why ? F_RESULT : NO_FILE, 0, NULL);
}

/* B4P, when asked: the signed result is the one the city published (its payload's SHA-256). */
static void check_expected_result(struct vctx *v)
{
        const char *why = NULL;

        if (!v->o->expect_result)
                return;
        if (!v->result_ok)
                why = "cannot be checked: the result failed";
        else if (sodium_memcmp(v->o->expect_result, v->result_sha256, sizeof(v->result_sha256)))
                why = "the signed result is not the expected one (SHA-256 differs)";
        verify_report(v, "B4P", "expected result", !why, 1, why ? why : "the result is the expected one",
                      why ? F_RESULT : NO_FILE, 0, NULL);
}

static void check_certification(struct vctx *v)
{
        struct pb_doc_certification c;
        uint8_t digest[PB_SHA256_BYTES];
        const char *why = NULL;

        if (!v->src.f[F_CERTIFICATION].present && v->o->allow_uncertified) {
                verify_report(v, "B5", "certification", true, 0, "absent (allowed by --allow-uncertified)",
                              NO_FILE, 0, NULL);
                return;
        }
        if (!v->result_ok)
                why = "cannot be checked: the result failed";
        else if (!v->src.f[F_CERTIFICATION].present)
                /* the usual case before the office certifies: say how to check the rest meanwhile */
                why = "absent: the finance office has not certified this result yet (check the rest with "
                      "--allow-uncertified until it has)";
        else
                why = open_envelope(v, F_CERTIFICATION, PB_SEAL_TYPE_CERTIFICATION, &v->m->office_key,
                                    &v->cert_env);
        if (!why && pb_doc_certification_parse((const char *)v->cert_env.payload, v->cert_env.payload_len, &c,
                                               NULL) < 0)
                why = "the certification is not in its canonical form";
        if (!why && strcmp(c.election, v->m->election->id))
                why = "the certification is about another election";
        if (!why) {
                crypto_hash_sha256(digest, v->result_env.payload, v->result_env.payload_len);
                if (memcmp(digest, c.result_sha256, sizeof(digest)))
                        why = "the certification certifies another result";
                else if (strcmp(c.certified_at, v->close.closed_at) < 0)
                        why = "the certification is dated before the close";
        }
        verify_report(v, "B5", "certification", !why, 1,
                      why ? why : "signed by the finance office key, for this result",
                      why ? F_CERTIFICATION : NO_FILE, 0, NULL);
}

/* ---- the verification -------------------------------------------------------------------------- */

static void summarize(struct vctx *v, void *ctx)
{
        struct pb_verify_summary s;

        if (!v->o->summary)
                return;
        memset(&s, 0, sizeof(s));
        if (v->manifest_ok) {
                s.manifest = v->m;
                memcpy(s.manifest_sha256, v->manifest_sha256, sizeof(s.manifest_sha256));
        }
        s.has_result = v->result_ok;
        memcpy(s.result_sha256, v->result_sha256, sizeof(s.result_sha256));
        s.has_ballots = v->ballots_ok;
        s.ballots = v->tree.size;
        s.has_tally = v->tally_ok;
        if (v->tally_ok) {
                s.results = v->recount.res;
                s.n_results = v->recount.n;
        }
        s.valid = !v->failed && !v->fatal;
        v->o->summary(ctx, &s);
}

pb_err pb_bundle_verify(const char *path, const struct pb_verify_options *o, pb_verify_fn fn, void *ctx,
                        unsigned *ret_failed)
{
        static const struct pb_verify_options none;
        struct vctx v;

        memset(&v, 0, sizeof(v));
        v.src.path = path;
        v.o = o ? o : &none;
        v.fn = fn;
        v.fn_ctx = ctx;
        pb_seal_envelope_init(&v.close_env);
        pb_seal_envelope_init(&v.result_env);
        pb_seal_envelope_init(&v.cert_env);
        pb_merkle_tree_init(&v.tree);
        check_files(&v);
        check_manifest(&v);
        check_keys(&v);
        check_expected_election(&v);
        check_checkpoints(&v);
        check_close(&v);
        check_result(&v);
        check_expected_result(&v);
        check_certification(&v);
        verify_ballots(&v);
        verify_consistency(&v);
        verify_tally(&v);
        summarize(&v, ctx);
        vsrc_close(&v.src);
        for (int k = 0; k < F_COUNT; k++)
                pb_free(v.data[k]);
        pb_manifest_free(v.m);
        pb_free(v.cps);
        pb_seal_envelope_release(&v.close_env);
        pb_seal_envelope_release(&v.result_env);
        pb_seal_envelope_release(&v.cert_env);
        pb_merkle_tree_release(&v.tree);
        pb_vote_count_release(&v.recount);
        if (ret_failed)
                *ret_failed = v.failed;
        if (v.fatal)
                return v.fatal;
        return v.failed ? PB_ERR_SIGNATURE : PB_OK;
}
