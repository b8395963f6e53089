/** @file The offline verifier of an audit bundle (docs/auditor.md). */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/pb_json_ballot.h"
#include "ballots/pb_counts.h"
#include "ballots/pb_bundle.h"
#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "formats/pb_json.h"
#include "formats/pb_manifest.h"
#include "engine/pb_alloc.h"
#include "engine/pb_seal.h"
#include "engine/pb_tally.h"
#include "engine/pb_validate.h"

enum file_id { F_MANIFEST, F_KEYS, F_CHECKPOINTS, F_BALLOTS, F_CLOSE, F_RESULT, F_CERTIFICATION, F_COUNT };

static const char *const file_names[F_COUNT] = {
        PB_BUNDLE_MANIFEST, PB_BUNDLE_KEYS,   PB_BUNDLE_CHECKPOINTS,   PB_BUNDLE_BALLOTS,
        PB_BUNDLE_CLOSE,    PB_BUNDLE_RESULT, PB_BUNDLE_CERTIFICATION,
};

struct cp {
        uint64_t size;
        uint8_t root[32];
};

struct vctx {
        const char *dir;
        const struct pb_verify_options *o;
        pb_verify_fn fn;
        void *fn_ctx;
        unsigned failed;
        pb_err fatal; /* the verifier itself failed (memory, I/O) */

        char *data[F_COUNT]; /* every file read whole, but ballots.jsonl: read line by line */
        size_t len[F_COUNT];
        bool present[F_COUNT]; /* a regular file */

        struct pb_manifest *m; /* from the signed manifest; its election collects the ballots */
        uint8_t manifest_sha256[32];
        bool manifest_ok, keys_ok;

        struct cp *cps;
        size_t n_cps;
        bool cps_ok;

        struct pb_seal_envelope close_env, result_env, cert_env;
        struct pb_doc_close close;
        bool close_ok;
        struct pb_doc_result result;
        bool result_ok, has_seed;
        uint64_t seed;

        struct pb_merkle_tree tree;
        uint64_t by_channel[PB_CHANNEL_COUNT];
        bool ballots_ok;
};

static void report(struct vctx *v, const char *id, const char *name, bool pass, uint64_t count,
                   const char *detail, unsigned line)
{
        struct pb_verify_check c = { id, name, pass, count, detail, line };

        if (!pass)
                v->failed++;
        if (v->fn)
                v->fn(v->fn_ctx, &c);
}

static void fatal(struct vctx *v, pb_err r)
{
        if (!v->fatal && (r == PB_ERR_NOMEM || r == PB_ERR_IO))
                v->fatal = r;
}

/* ---- A: completeness -------------------------------------------------------------------------- */

static void check_files(struct vctx *v)
{
        DIR *d = opendir(v->dir);
        struct dirent *de;
        const char *why = NULL;
        uint64_t n = 0;

        if (!d) {
                report(v, "A1", "files", false, 0, "cannot read the bundle folder", 0);
                return;
        }
        while ((de = readdir(d))) {
                int k;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                for (k = 0; k < F_COUNT && strcmp(de->d_name, file_names[k]); k++)
                        ;
                if (k == F_COUNT) {
                        why = "a file that belongs to no bundle (every byte must be covered)";
                        continue;
                }
                n++;
        }
        closedir(d);
        for (int k = 0; k < F_COUNT; k++) {
                char path[4096];
                struct stat st;
                struct pb_diag dg;
                pb_err r;

                snprintf(path, sizeof(path), "%s/%s", v->dir, file_names[k]);
                if (lstat(path, &st) < 0) {
                        if (k != F_CERTIFICATION || !v->o->allow_uncertified)
                                why = why ? why : "a file is missing";
                        continue;
                }
                if (!S_ISREG(st.st_mode)) {
                        why = why ? why : "not a regular file";
                        continue;
                }
                v->present[k] = true;
                if (k == F_BALLOTS)
                        continue; /* streamed by check_ballots: its memory is the tree, not the file */
                r = pb_file_read(path, PB_FILE_MAX, &v->data[k], &v->len[k], &dg);
                if (r < 0) {
                        fatal(v, r);
                        why = why ? why : "a file cannot be read";
                }
        }
        report(v, "A1", "files", !why, n, why ? why : "exactly the bundle's files, each readable", 0);
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
        pb_err r;

        if (!v->data[f])
                return "missing";
        r = pb_envelope_parse(v->data[f], v->len[f], 0, env, NULL);
        if (r < 0) {
                fatal(v, r);
                return "not a canonical DSSE envelope (a byte was changed, added or removed)";
        }
        if (strcmp(env->payload_type, type))
                return "a signed document of another type (wrong payloadType)";
        r = pb_seal_verify(env, type, key, PB_SEAL_STRICT, NULL);
        if (r < 0) {
                fatal(v, r);
                return "the signature does not verify under the expected key";
        }
        return NULL;
}

static void check_manifest(struct vctx *v)
{
        struct pb_seal_envelope env;
        struct pb_buf again;
        const char *why = NULL;
        pb_err r;

        pb_seal_envelope_init(&env);
        pb_buf_init(&again, 0);
        if (!v->data[F_MANIFEST]) {
                why = "missing";
                goto out;
        }
        r = pb_envelope_parse(v->data[F_MANIFEST], v->len[F_MANIFEST], 0, &env, NULL);
        if (r < 0 || strcmp(env.payload_type, PB_SEAL_TYPE_MANIFEST)) {
                fatal(v, r);
                why = r < 0 ? "not a canonical DSSE envelope"
                            : "a signed document of another type (wrong payloadType)";
                goto out;
        }
        r = pb_manifest_parse((const char *)env.payload, env.payload_len, &v->m, NULL);
        if (r < 0 || !v->m->has_keys) {
                fatal(v, r);
                why = r < 0 ? "the manifest does not parse" : "the manifest names no keys";
                goto out;
        }
        r = pb_manifest_format(v->m, &again);
        if (r < 0 || again.len != env.payload_len || memcmp(again.data, env.payload, again.len)) {
                fatal(v, r);
                why = "the manifest is not in canonical form";
                goto out;
        }
        if (pb_seal_verify(&env, PB_SEAL_TYPE_MANIFEST, &v->m->office_key, PB_SEAL_STRICT, NULL) < 0) {
                why = "not signed by the finance office key the manifest names";
                goto out;
        }
        crypto_hash_sha256(v->manifest_sha256, env.payload, env.payload_len);
        v->manifest_ok = true;
out:
        report(v, "B1", "manifest signature", !why, 1, why ? why : "signed by the finance office key", 0);
        pb_seal_envelope_release(&env);
        pb_buf_release(&again);
}

static void check_keys(struct vctx *v)
{
        struct pb_buf want;
        const char *why = NULL;

        pb_buf_init(&want, 0);
        if (!v->manifest_ok)
                why = "cannot be checked: the manifest failed";
        else if (!v->data[F_KEYS])
                why = "missing";
        else if (pb_bundle_keys_format(&v->m->engine_key, &v->m->office_key, &want) < 0) {
                fatal(v, PB_ERR_NOMEM);
                why = "out of memory";
        } else if (want.len != v->len[F_KEYS] || memcmp(want.data, v->data[F_KEYS], want.len))
                why = "keys.txt is not the keys the signed manifest names";
        report(v, "B0", "keys", !why, 2, why ? why : "keys.txt is the manifest's engine and office keys", 0);
        pb_buf_release(&want);
        if (why)
                return;
        if (!v->o->n_trusted) {
                report(v, "B0T", "key pinning", true, 0,
                       "NOT PINNED: keys taken from the bundle; pass --trust with the published keys", 0);
        } else if (!trusted(v, &v->m->engine_key, PB_TRUST_ENGINE) ||
                   !trusted(v, &v->m->office_key, PB_TRUST_OFFICE)) {
                report(v, "B0T", "key pinning", false, 2, "a key of the bundle is not trusted for its role",
                       0);
                return;
        } else {
                report(v, "B0T", "key pinning", true, 2, "engine and office keys are the trusted ones", 0);
        }
        v->keys_ok = true;
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

static void check_checkpoints(struct vctx *v)
{
        const char *p = v->data[F_CHECKPOINTS], *end = p ? p + v->len[F_CHECKPOINTS] : NULL;
        const char *why = NULL;
        unsigned line = 0;
        size_t cap = 0;

        if (!v->keys_ok) {
                report(v, "B2", "checkpoints", false, 0, "cannot be checked: the keys failed", 0);
                return;
        }
        if (!p || !v->len[F_CHECKPOINTS] || end[-1] != '\n')
                why = "missing, empty, or the last line is cut";
        while (!why && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = (size_t)(nl - p);
                struct pb_checkpoint cp;
                struct pb_buf again;
                cJSON *j = NULL;
                const char *note;
                pb_err r;

                line++;
                pb_buf_init(&again, 0);
                r = pb_json_parse(p, n, 2, &j, NULL);
                if (r == PB_OK)
                        r = pb_json_check_object(j, note_fields, "$", NULL);
                if (r == PB_OK) {
                        note = cJSON_GetObjectItemCaseSensitive(j, "note")->valuestring;
                        r = pb_bundle_checkpoint_line(note, strlen(note), &again);
                        if (r == PB_OK && (again.len != n + 1 || memcmp(again.data, p, n + 1)))
                                r = PB_ERR_PARSE;
                        if (r == PB_OK && open_note_strict(note, strlen(note), &v->m->engine_key, &cp) < 0)
                                why = "a checkpoint is not signed (only) by the engine key";
                } else {
                        why = "a line is not {\"note\": ...} in canonical form";
                }
                if (r == PB_ERR_PARSE && !why)
                        why = "a line is not {\"note\": ...} in canonical form";
                fatal(v, r);
                cJSON_Delete(j);
                pb_buf_release(&again);
                if (why)
                        break;
                if (strcmp(cp.origin, v->m->origin)) {
                        why = "a checkpoint of another log (origin)";
                        break;
                }
                if (v->n_cps ? cp.size <= v->cps[v->n_cps - 1].size : cp.size != 0) {
                        why = v->n_cps ? "checkpoint sizes do not increase (a fork, a repeat or a reordering)"
                                       : "the first checkpoint is not the zero checkpoint";
                        break;
                }
                {
                        struct cp *g = pb_grow(v->cps, &cap, v->n_cps + 1, sizeof(*g), 64);
                        if (!g) {
                                fatal(v, PB_ERR_NOMEM);
                                why = "out of memory";
                                break;
                        }
                        v->cps = g;
                        v->cps[v->n_cps].size = cp.size;
                        memcpy(v->cps[v->n_cps].root, cp.root, 32);
                        v->n_cps++;
                }
                p = nl + 1;
        }
        if (!why && v->n_cps) {
                uint8_t empty[32];
                pb_merkle_empty_root(empty);
                if (memcmp(v->cps[0].root, empty, 32))
                        why = "the zero checkpoint does not have the empty tree's root";
        }
        v->cps_ok = !why;
        report(v, "B2", "checkpoints", !why, v->n_cps,
               why ? why : "every checkpoint signed by the engine key, sizes increasing from 0",
               why ? line : 0);
}

static void check_close(struct vctx *v)
{
        const char *why = NULL;

        if (!v->keys_ok)
                why = "cannot be checked: the keys failed";
        else
                why = open_envelope(v, F_CLOSE, PB_SEAL_TYPE_CLOSE, &v->m->engine_key, &v->close_env);
        if (!why && pb_doc_close_parse((const char *)v->close_env.payload, v->close_env.payload_len,
                                       &v->close, NULL) < 0)
                why = "the close statement is not in its canonical form";
        if (!why && strcmp(v->close.election, v->m->election->id))
                why = "the close statement is about another election";
        if (!why && memcmp(v->close.manifest_sha256, v->manifest_sha256, 32))
                why = "the close statement names another manifest";
        v->close_ok = !why;
        report(v, "B3", "close statement", !why, 1,
               why ? why : "signed by the engine key, this election's manifest", 0);
}

static void check_result(struct vctx *v)
{
        const char *why = NULL;
        uint8_t close_sha[32];

        if (!v->close_ok)
                why = "cannot be checked: the close statement failed";
        else
                why = open_envelope(v, F_RESULT, PB_SEAL_TYPE_RESULT, &v->m->engine_key, &v->result_env);
        if (!why && pb_doc_result_parse((const char *)v->result_env.payload, v->result_env.payload_len,
                                        &v->result, &v->seed, &v->has_seed, NULL) < 0)
                why = "the result is not in its canonical form";
        if (!why && strcmp(v->result.election, v->m->election->id))
                why = "the result is about another election";
        if (!why && memcmp(v->result.manifest_sha256, v->manifest_sha256, 32))
                why = "the result names another manifest";
        if (!why) {
                crypto_hash_sha256(close_sha, v->close_env.payload, v->close_env.payload_len);
                if (memcmp(close_sha, v->result.close_sha256, 32))
                        why = "the result names another close statement";
        }
        v->result_ok = !why;
        report(v, "B4", "result signature", !why, 1,
               why ? why : "signed by the engine key, this manifest and close statement", 0);
}

static void check_certification(struct vctx *v)
{
        struct pb_doc_certification c;
        uint8_t digest[32];
        const char *why = NULL;

        if (!v->data[F_CERTIFICATION] && v->o->allow_uncertified) {
                report(v, "B5", "certification", true, 0, "absent (allowed by --allow-uncertified)", 0);
                return;
        }
        if (!v->result_ok)
                why = "cannot be checked: the result failed";
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
                if (memcmp(digest, c.result_sha256, 32))
                        why = "the certification certifies another result";
        }
        report(v, "B5", "certification", !why, 1,
               why ? why : "signed by the finance office key, for this result", 0);
}

/* ---- C and E: the ballots and the log -------------------------------------------------------- */

static const struct pb_json_field ballot_fields[] = {
        { "commitment", PB_JSON_STRING, true },
        { "cvr", PB_JSON_STRING, true },
        { "nonce", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static bool hex_to(const char *s, uint8_t *out, size_t n)
{
        size_t got = 0;
        return strlen(s) == 2 * n && sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

/* One line of ballots.jsonl: canonical, recommits, a valid CVR; its ballot joins the election. */
static const char *check_ballot_line(struct vctx *v, const char *p, size_t n, uint32_t *items,
                                     int64_t *points, uint8_t commitment[32])
{
        struct pb_election *e = v->m->election;
        uint8_t nonce[32], again_c[32];
        struct pb_cvr_meta meta;
        struct pb_buf again;
        const char *why = NULL, *cvr;
        cJSON *j = NULL;
        size_t k = 0;
        pb_err r;

        pb_buf_init(&again, 0);
        r = pb_json_parse(p, n, 2, &j, NULL);
        if (r == PB_OK)
                r = pb_json_check_object(j, ballot_fields, "$", NULL);
        if (r < 0) {
                fatal(v, r);
                why = "a line is not {commitment, cvr, nonce}";
                goto out;
        }
        cvr = cJSON_GetObjectItemCaseSensitive(j, "cvr")->valuestring;
        if (!hex_to(cJSON_GetObjectItemCaseSensitive(j, "commitment")->valuestring, commitment, 32) ||
            !hex_to(cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring, nonce, 32)) {
                why = "a commitment or nonce is not hex of 32 bytes";
                goto out;
        }
        r = pb_bundle_ballot_line(commitment, nonce, cvr, strlen(cvr), &again);
        if (r < 0 || again.len != n + 1 || memcmp(again.data, p, n + 1)) {
                fatal(v, r);
                why = "a line is not in canonical form";
                goto out;
        }
        r = pb_cvr_commitment(e->id, nonce, (const uint8_t *)cvr, strlen(cvr), again_c);
        if (r < 0 || memcmp(again_c, commitment, 32)) {
                why = "a CVR does not match its commitment (changed ballot or nonce)";
                goto out;
        }
        r = pb_cvr_parse(e, cvr, strlen(cvr), items, points, &k, &meta, NULL);
        if (r < 0) {
                fatal(v, r);
                why = "a CVR is not a canonical CVR of this election";
                goto out;
        }
        r = pb_ballot_check(e, items, pb_vote_type_has_points(e->vote_type) ? points : NULL, k,
                            meta.channel == PB_CHANNEL_IMPORTED ? PB_CHECK_PABULIB : PB_CHECK_STRICT, NULL,
                            NULL);
        if (r < 0) {
                why = "a ballot breaks the election's rules";
                goto out;
        }
        v->by_channel[meta.channel]++;
        for (size_t i = 0; r == PB_OK && i < k; i++)
                r = pb_ballots_add_item(e, items[i], points[i]);
        if (r == PB_OK)
                r = pb_ballots_end(e, NULL);
        if (r < 0) {
                fatal(v, r);
                why = "out of memory";
        }
out:
        cJSON_Delete(j);
        pb_buf_release(&again);
        return why;
}

static int cmp32(const void *a, const void *b)
{
        return memcmp(a, b, 32);
}

static void check_ballots(struct vctx *v)
{
        char path[4096], *buf = NULL;
        size_t buf_cap = 0;
        FILE *f = NULL;
        uint32_t *items = NULL;
        int64_t *points = NULL;
        uint8_t *commits = NULL; /* every commitment, 32 bytes each, in log order */
        size_t n = 0, cap = 0, next_cp = 1;
        const char *why = NULL, *why_c = NULL;
        unsigned line = 0;

        if (!v->cps_ok || !v->manifest_ok) {
                report(v, "C1", "ballots", false, 0,
                       "cannot be checked: the manifest or the checkpoints failed", 0);
                report(v, "C2", "tree", false, 0, "cannot be checked", 0);
                report(v, "C3", "batches sorted", false, 0, "cannot be checked", 0);
                return;
        }
        items = pb_calloc(v->m->election->n_projects, sizeof(*items));
        points = pb_calloc(v->m->election->n_projects, sizeof(*points));
        snprintf(path, sizeof(path), "%s/%s", v->dir, file_names[F_BALLOTS]);
        if (!items || !points) {
                fatal(v, PB_ERR_NOMEM);
                why = "out of memory";
        } else if (!v->present[F_BALLOTS] || !(f = fopen(path, "rb"))) {
                why = "missing or unreadable";
        }
        while (!why) {
                ssize_t got = getline(&buf, &buf_cap, f);
                uint8_t c[32], leaf[32];
                uint8_t *g;

                if (got < 0) {
                        if (ferror(f)) {
                                fatal(v, PB_ERR_IO);
                                why = "cannot be read";
                        }
                        break; /* the end */
                }
                line++;
                if (buf[got - 1] != '\n' || memchr(buf, '\0', (size_t)got)) {
                        why = buf[got - 1] != '\n' ? "the last line is cut" : "a line holds a NUL byte";
                        break;
                }
                why = check_ballot_line(v, buf, (size_t)got - 1, items, points, c);
                if (why)
                        break;
                pb_cvr_leaf_hash(c, leaf);
                g = pb_grow(commits, &cap, n + 1, 32, 1024);
                if (!g || pb_merkle_tree_append(&v->tree, leaf) < 0) {
                        fatal(v, PB_ERR_NOMEM);
                        why = "out of memory";
                        break;
                }
                commits = g;
                memcpy(commits + 32 * n, c, 32);
                n++;
        }
        if (f)
                fclose(f);
        free(buf); /* getline's buffer */
        if (!why) {
                /* commitments are unique: a duplicated CVR would count twice */
                uint8_t *sorted = pb_reallocarray(NULL, n ? n : 1, 32);
                if (!sorted) {
                        fatal(v, PB_ERR_NOMEM);
                        why = "out of memory";
                } else {
                        memcpy(sorted, commits, 32 * n);
                        qsort(sorted, n, 32, cmp32);
                        for (size_t i = 1; i < n && !why; i++)
                                if (!memcmp(sorted + 32 * (i - 1), sorted + 32 * i, 32))
                                        why = "the same commitment twice (a duplicated ballot)";
                        pb_free(sorted);
                }
        }
        v->ballots_ok = !why;
        report(v, "C1", "ballots", !why, n,
               why ? why : "every line canonical, every CVR valid and recommitted, no duplicate",
               why ? line : 0);
        if (why) {
                report(v, "C2", "tree", false, 0, "cannot be checked: the ballots failed", 0);
                report(v, "C3", "batches sorted", false, 0, "cannot be checked: the ballots failed", 0);
                goto out;
        }
        /* C2: each checkpoint's root is the root of its first `size` leaves; the last covers all */
        {
                struct pb_merkle_source src;
                pb_merkle_tree_source(&v->tree, &src);
                for (size_t i = 0; i < v->n_cps && !why_c; i++) {
                        uint8_t root[32];
                        if (v->cps[i].size > n)
                                why_c = "a checkpoint covers more leaves than there are ballots (a dropped "
                                        "ballot)";
                        else if (pb_merkle_root(&src, v->cps[i].size, root) < 0 ||
                                 memcmp(root, v->cps[i].root, 32))
                                why_c = "a checkpoint's root is not the root of the ballots' leaves";
                }
                if (!why_c && (!v->n_cps || v->cps[v->n_cps - 1].size != n))
                        why_c = "ballots beyond the last checkpoint (an added ballot)";
        }
        report(v, "C2", "tree", !why_c, v->n_cps,
               why_c ? why_c
                     : "every checkpoint is the root of the recomputed tree; the last covers every ballot",
               0);
        /* C3: inside each batch (between two checkpoints) the leaves are sorted by commitment */
        why_c = NULL;
        for (size_t i = 1; i < n && !why_c; i++) {
                while (next_cp < v->n_cps && v->cps[next_cp].size <= i)
                        next_cp++;
                /* i is the first leaf of a batch when a checkpoint ends right before it */
                if (v->cps[next_cp - 1].size == i)
                        continue;
                if (memcmp(commits + 32 * (i - 1), commits + 32 * i, 32) >= 0)
                        why_c = "a batch is not sorted by commitment (arrival order, or a reordered ballot)";
        }
        report(v, "C3", "batches sorted", !why_c, n, why_c ? why_c : "every batch is sorted by commitment",
               0);
out:
        pb_free(items);
        pb_free(points);
        pb_free(commits);
}

/* ---- D: cross-document consistency ----------------------------------------------------------- */

static bool same_log(const struct pb_doc_log *a, const struct pb_doc_log *b)
{
        return !strcmp(a->origin, b->origin) && a->size == b->size && !memcmp(a->root, b->root, 32);
}

static bool same_counts(const struct pb_turnout *a, const struct pb_turnout *b)
{
        bool same = a->ballots == b->ballots && a->codes_issued == b->codes_issued &&
                    a->codes_spent == b->codes_spent;

        for (int i = 0; i < PB_CHANNEL_COUNT; i++)
                same = same && a->by_channel[i] == b->by_channel[i];
        for (int i = 0; i < PB_REJECT_COUNT; i++)
                same = same && a->rejected[i] == b->rejected[i];
        return same;
}

static void check_consistency(struct vctx *v)
{
        const struct pb_turnout *c = &v->close.counts;
        const char *why = NULL;
        uint64_t n = v->tree.size, sum = 0;

        if (!v->close_ok || !v->ballots_ok || !v->cps_ok) {
                report(v, "D1", "close = log", false, 0, "cannot be checked", 0);
                report(v, "D2", "counts", false, 0, "cannot be checked", 0);
                return;
        }
        if (strcmp(v->close.log.origin, v->m->origin) || v->close.log.size != v->cps[v->n_cps - 1].size ||
            memcmp(v->close.log.root, v->cps[v->n_cps - 1].root, 32))
                why = "the close statement's tree is not the final checkpoint";
        else if (v->result_ok && (!same_log(&v->result.log, &v->close.log) ||
                                  !same_counts(&v->result.counts, &v->close.counts)))
                why = "the result's tree or counts are not the close statement's";
        report(v, "D1", "close = log", !why, 1,
               why ? why : "close statement, final checkpoint and result name one tree", 0);
        why = NULL;
        for (int i = 0; i < PB_CHANNEL_COUNT; i++) {
                sum += c->by_channel[i];
                if (c->by_channel[i] != v->by_channel[i])
                        why = "ballots by channel differ from the CVRs";
        }
        if (c->ballots != n || sum != n)
                why = "the ballot count is not the number of ballots in the log";
        else if (c->codes_spent != n)
                why = "spent codes differ from ballots";
        else if (c->codes_spent > c->codes_issued)
                why = "more codes spent than issued";
        report(v, "D2", "counts", !why, n,
               why ? why : "ballots = leaves = CVRs = spent codes <= issued codes", 0);
}

/* ---- F: the tally ------------------------------------------------------------------------------ */

static void check_tally(struct vctx *v)
{
        struct pb_result res;
        struct pb_buf tally, payload;
        struct pb_doc_result doc;
        struct pb_rule rule;
        const char *why = NULL;
        pb_err r;

        pb_result_init(&res);
        pb_buf_init(&tally, 0);
        pb_buf_init(&payload, 0);
        if (!v->result_ok || !v->ballots_ok) {
                report(v, "F2", "tie-break seed", false, 0, "cannot be checked", 0);
                report(v, "F1", "re-tally", false, 0, "cannot be checked: the result or the ballots failed",
                       0);
                goto out;
        }
        rule = v->m->rule;
        if (v->m->has_seed_commitment) {
                uint8_t c[32];
                pb_manifest_seed_commitment(v->seed, c);
                if (!v->has_seed || memcmp(c, v->m->seed_sha256, 32))
                        why = "the result's seed does not match the manifest's commitment";
                rule.seed = v->seed;
        } else if (v->has_seed) {
                why = "a seed in the result, but the manifest's rule has none";
        }
        report(v, "F2", "tie-break seed", !why, v->m->has_seed_commitment,
               why                         ? why
               : v->m->has_seed_commitment ? "the seed matches the manifest's commitment"
                                           : "no seeded draw",
               0);
        if (why) {
                report(v, "F1", "re-tally", false, 0, "cannot be checked: the seed failed", 0);
                goto out;
        }
        r = pb_tally_run(v->m->election, &rule, &res, NULL);
        if (r == PB_OK)
                r = pb_result_format_json(&res, v->m->election, v->result.engine, &tally);
        if (r < 0) {
                fatal(v, r);
                report(v, "F1", "re-tally", false, 0,
                       r == PB_ERR_UNSUPPORTED ? "this verifier cannot count the manifest's rule"
                                               : "the recount failed",
                       0);
                goto out;
        }
        doc = v->result;
        doc.tally = tally.data;
        doc.tally_len = tally.len;
        r = pb_doc_result_format(&doc, &payload);
        if (r < 0) {
                fatal(v, r);
                why = "out of memory";
        } else if (tally.len != v->result.tally_len || memcmp(tally.data, v->result.tally, tally.len))
                why = "the recount from the CVRs differs from the signed result (tallies, ties, winners or "
                      "money)";
        else if (payload.len != v->result_env.payload_len ||
                 memcmp(payload.data, v->result_env.payload, payload.len))
                why = "the result document differs from the one rebuilt from the bundle";
        report(v, "F1", "re-tally", !why, v->m->election->ballots.n,
               why ? why : "the recount from the CVRs gives the signed result, byte for byte", 0);
out:
        pb_result_release(&res);
        pb_buf_release(&tally);
        pb_buf_release(&payload);
}

pb_err pb_bundle_verify(const char *dir, const struct pb_verify_options *o, pb_verify_fn fn, void *ctx,
                        unsigned *ret_failed)
{
        static const struct pb_verify_options none = { NULL, NULL, 0, false };
        struct vctx v;

        memset(&v, 0, sizeof(v));
        v.dir = dir;
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
        check_checkpoints(&v);
        check_close(&v);
        check_result(&v);
        check_certification(&v);
        check_ballots(&v);
        check_consistency(&v);
        check_tally(&v);
        for (int k = 0; k < F_COUNT; k++)
                pb_free(v.data[k]);
        pb_manifest_free(v.m);
        pb_free(v.cps);
        pb_seal_envelope_release(&v.close_env);
        pb_seal_envelope_release(&v.result_env);
        pb_seal_envelope_release(&v.cert_env);
        pb_merkle_tree_release(&v.tree);
        if (ret_failed)
                *ret_failed = v.failed;
        if (v.fatal)
                return v.fatal;
        return v.failed ? PB_ERR_SIGNATURE : PB_OK;
}
