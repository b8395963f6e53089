/**
 * @file The verifier against tampering: an honest election is exported; each case copies the bundle,
 * changes it one way (some with the attacker holding the engine or office key and re-signing), and
 * pbvote's verifier must fail with the named check.  Honest bundles of several random elections
 * must all pass (no false alarm).
 *
 * usage: box-tamper [HONEST_ELECTIONS]
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "ballots/pb_bundle.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "formats/pb_tar.h"
#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_seal.h"

static struct pb_key_secret engine, office, mallory, mallory_office, engine_saved;
static char top[64];
static int failures;

#define FAIL(...)                                                                                            \
        do {                                                                                                 \
                fprintf(stderr, __VA_ARGS__);                                                                \
                failures++;                                                                                  \
        } while (0)

static const char manifest_fmt[] =
        "{\"ballot\":{\"max_length\":3,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":7,"
        "\"budget\":100,\"currency\":\"EUR\",\"id\":\"%s\",\"projects\":["
        "{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":\"b\",\"name\":\"B\"},"
        "{\"cost\":40,\"id\":\"c\",\"name\":\"C\"},{\"cost\":30,\"id\":\"d\",\"name\":\"D\"},"
        "{\"cost\":20,\"id\":\"e\",\"name\":\"E\"}],"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":\"Tamper\","
        "\"type\":\"pbvote.manifest/v1\"}";

struct codes {
        char c[200][PB_CODE_COMPACT_MAX + 1];
        size_t n;
};

static pb_err keep(void *ctx, const struct pb_code *c)
{
        struct codes *cs = ctx;
        memcpy(cs->c[cs->n++], c->text, c->len + 1);
        return PB_OK;
}

/* An honest election: @n random ballots, closed, tallied, certified, exported to @out. */
static int honest(const char *id, int n, unsigned seed, const char *out)
{
        char text[2048], db[256];
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct codes *cs = calloc(1, sizeof(*cs));
        struct pb_buf result, cert;
        int ok = -1;

        pb_buf_init(&result, 0);
        pb_buf_init(&cert, 0);
        snprintf(text, sizeof(text), manifest_fmt, id);
        snprintf(db, sizeof(db), "%s/%s.db", top, id);
        srand(seed);
        if (!cs || pb_manifest_parse(text, strlen(text), &m, NULL) < 0 ||
            pb_box_create(db, m, &b, NULL) < 0 || pb_box_set_engine_key(b, &engine, NULL) < 0 ||
            pb_box_election_open(b, &office, NULL) < 0 ||
            pb_box_codes_issue(b, (size_t)n + 5, keep, cs, NULL) < 0)
                goto out;
        for (int i = 0; i < n;) {
                struct pb_submission subs[8];
                struct pb_cast_outcome outc[8];
                uint32_t items[8][3];
                int k = 1 + rand() % 8;

                if (k > n - i)
                        k = n - i;
                for (int j = 0; j < k; j++) {
                        size_t len = 1 + (size_t)(rand() % 3);
                        uint32_t first = (uint32_t)(rand() % 5);
                        for (size_t t = 0; t < len; t++)
                                items[j][t] = (first + (uint32_t)t * 2) % 5;
                        memset(&subs[j], 0, sizeof(subs[j]));
                        subs[j].code = cs->c[i + j];
                        subs[j].code_len = strlen(cs->c[i + j]);
                        subs[j].items = items[j];
                        subs[j].n = len;
                        subs[j].channel = rand() % 4 ? PB_CHANNEL_ELECTRONIC : PB_CHANNEL_PAPER;
                }
                if (pb_box_cast(b, subs, (size_t)k, outc, NULL) < 0)
                        goto out;
                for (int j = 0; j < k; j++)
                        if (outc[j].status != PB_OK)
                                goto out;
                i += k;
        }
        if (pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL) < 0 ||
            pb_box_tally(b, NULL, "pbvote test", &result, NULL) < 0 ||
            pb_box_certify(b, result.data, result.len, &office, "2026-06-02T10:00:00Z", &cert, NULL) < 0 ||
            pb_box_export(b, out, NULL) < 0)
                goto out;
        ok = 0;
out:
        pb_box_free(b);
        pb_manifest_free(m);
        pb_buf_release(&result);
        pb_buf_release(&cert);
        free(cs);
        return ok;
}

/* ---- file helpers ---- */

static char *slurp(const char *dir, const char *name, size_t *len)
{
        char path[512], *data = NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (pb_file_read(path, PB_FILE_MAX, &data, len, NULL) < 0)
                return NULL;
        return data;
}

static void spit(const char *dir, const char *name, const char *data, size_t len)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (pb_file_write_atomic(path, data, len, NULL) < 0)
                FAIL("cannot write %s\n", path);
}

static void copy_bundle(const char *from, const char *to)
{
        DIR *d = opendir(from);
        struct dirent *de;

        mkdir(to, 0755);
        while (d && (de = readdir(d))) {
                size_t len;
                char *data;
                if (de->d_name[0] == '.')
                        continue;
                data = slurp(from, de->d_name, &len);
                if (data)
                        spit(to, de->d_name, data, len);
                pb_free(data);
        }
        if (d)
                closedir(d);
}

/* Replace the first @from in file @name by @to. */
static bool replace_in(const char *dir, const char *name, const char *from, const char *to)
{
        size_t len;
        char *data = slurp(dir, name, &len), *at;
        struct pb_buf out;
        bool found = false;

        if (!data)
                return false;
        at = strstr(data, from);
        pb_buf_init(&out, 0);
        if (at) {
                found = pb_buf_add(&out, data, (size_t)(at - data)) == PB_OK &&
                        pb_buf_adds(&out, to) == PB_OK && pb_buf_adds(&out, at + strlen(from)) == PB_OK;
                if (found)
                        spit(dir, name, out.data, out.len);
        }
        pb_buf_release(&out);
        pb_free(data);
        return found;
}

/* Envelope @name with @from replaced by @to in its payload (@from NULL: the payload unchanged), signed
 * again with @key over @type (NULL: its own type), or with @key NULL keeping its old signature. */
static bool rewrite(const char *dir, const char *name, const char *from, const char *to,
                    const struct pb_key_secret *key, const char *type)
{
        const struct pb_key_secret *keys[1] = { key };
        struct pb_seal_envelope env;
        struct pb_buf payload, p2, out;
        size_t len;
        char *data = slurp(dir, name, &len), *at = NULL;
        bool ok = false;

        pb_seal_envelope_init(&env);
        pb_buf_init(&payload, 0);
        pb_buf_init(&p2, 0);
        pb_buf_init(&out, 0);
        if (!data || pb_envelope_parse(data, len, 0, &env, NULL) != PB_OK ||
            pb_buf_add(&payload, env.payload, env.payload_len) != PB_OK)
                goto out;
        if (from && !(at = strstr(payload.data, from)))
                goto out;
        if (at)
                ok = pb_buf_add(&p2, payload.data, (size_t)(at - payload.data)) == PB_OK &&
                     pb_buf_adds(&p2, to) == PB_OK && pb_buf_adds(&p2, at + strlen(from)) == PB_OK;
        else
                ok = pb_buf_add(&p2, payload.data, payload.len) == PB_OK;
        if (ok && key) {
                ok = pb_seal_sign(type ? type : env.payload_type, (const uint8_t *)p2.data, p2.len, keys, 1,
                                  &out, NULL) == PB_OK;
        } else if (ok) {
                uint8_t *np = pb_malloc(p2.len);

                ok = np != NULL;
                if (ok) {
                        memcpy(np, p2.data, p2.len);
                        pb_free(env.payload);
                        env.payload = np;
                        env.payload_len = p2.len;
                        ok = pb_seal_envelope_format(&env, &out) == PB_OK;
                }
        }
        if (ok)
                spit(dir, name, out.data, out.len);
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&payload);
        pb_buf_release(&p2);
        pb_buf_release(&out);
        pb_free(data);
        return ok;
}

/* Change the payload of envelope @name (replace @from by @to) and sign it again with @key. */
static bool resign(const char *dir, const char *name, const char *from, const char *to,
                   const struct pb_key_secret *key, const char *type)
{
        return rewrite(dir, name, from, to, key, type);
}

/* Lines of a .jsonl file: remove line @i, duplicate it, or swap two. */
enum line_op { DROP, DUP, SWAP };

static bool lines(const char *dir, const char *name, enum line_op op, size_t i, size_t j)
{
        size_t len, n = 0, starts[4096];
        char *data = slurp(dir, name, &len);
        struct pb_buf out;
        bool ok = false;

        if (!data)
                return false;
        for (size_t p = 0; p < len && n < 4095; p++)
                if (p == 0 || data[p - 1] == '\n')
                        starts[n++] = p;
        starts[n] = len;
        pb_buf_init(&out, 0);
        if (i < n && j < n) {
                for (size_t k = 0; k < n; k++) {
                        size_t src = k;
                        if (op == DROP && k == i)
                                continue;
                        if (op == SWAP)
                                src = k == i ? j : k == j ? i : k;
                        if (pb_buf_add(&out, data + starts[src], starts[src + 1] - starts[src]) < 0)
                                goto out;
                        if (op == DUP && k == i &&
                            pb_buf_add(&out, data + starts[k], starts[k + 1] - starts[k]) < 0)
                                goto out;
                }
                spit(dir, name, out.data, out.len);
                ok = true;
        }
out:
        pb_buf_release(&out);
        pb_free(data);
        return ok;
}

/* Rewrite ballot line @i with the CVR changed (replace @from by @to) and its commitment recomputed. */
static bool rewrite_ballot(const char *dir, size_t i, const char *from, const char *to)
{
        size_t len, line = 0;
        char *data = slurp(dir, PB_BUNDLE_BALLOTS, &len), *p, *end;
        struct pb_buf out;
        bool ok = false;

        if (!data)
                return false;
        pb_buf_init(&out, 0);
        for (p = data; p < data + len; p = end + 1, line++) {
                char cvr[2048], nonce_hex[65], *c0, *c1, *at;
                uint8_t nonce[32], commitment[32];
                size_t got;

                end = memchr(p, '\n', (size_t)(data + len - p));
                if (line != i) {
                        if (pb_buf_add(&out, p, (size_t)(end - p) + 1) < 0)
                                goto out;
                        continue;
                }
                /* {"commitment":"..","cvr":"<escaped>","nonce":".."}: the CVR has only \" escapes */
                c0 = strstr(p, "\"cvr\":\"") + 7;
                c1 = strstr(c0, "\",\"nonce\":\"");
                memcpy(nonce_hex, c1 + 11, 64);
                nonce_hex[64] = '\0';
                got = 0;
                for (char *s = c0; s < c1; s++)
                        if (*s != '\\')
                                cvr[got++] = *s;
                cvr[got] = '\0';
                at = strstr(cvr, from ? from : "\"approvals\":[");
                if (!at)
                        goto out;
                {
                        char again[2048];
                        if (from) {
                                snprintf(again, sizeof(again), "%.*s%s%s", (int)(at - cvr), cvr, to,
                                         at + strlen(from));
                        } else {
                                /* set the approvals to @to */
                                char *close = strchr(at, ']');
                                snprintf(again, sizeof(again), "%.*s\"approvals\":[%s%s", (int)(at - cvr),
                                         cvr, to, close);
                        }
                        sodium_hex2bin(nonce, 32, nonce_hex, 64, NULL, &got, NULL);
                        if (pb_cvr_commitment("good", nonce, (const uint8_t *)again, strlen(again),
                                              commitment) < 0 ||
                            pb_bundle_ballot_line(commitment, nonce, again, strlen(again), &out) < 0)
                                goto out;
                }
                ok = true;
        }
        if (ok)
                spit(dir, PB_BUNDLE_BALLOTS, out.data, out.len);
out:
        pb_buf_release(&out);
        pb_free(data);
        return ok;
}

static bool set_approvals(const char *dir, size_t i, const char *ids)
{
        return rewrite_ballot(dir, i, NULL, ids);
}

static void remove_file(const char *dir, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        unlink(path);
}

static char engine_vkey[256], office_vkey[256], mallory_vkey[256];

static void vkey_of(const struct pb_key_public *k, char out[256])
{
        struct pb_buf b;
        pb_buf_init(&b, 0);
        if (pb_key_vkey_format(k, &b) == PB_OK)
                snprintf(out, 256, "%s", b.data);
        pb_buf_release(&b);
}

static bool copy_file(const char *from_dir, const char *from, const char *to_dir, const char *to)
{
        size_t l;
        char *c = slurp(from_dir, from, &l);
        if (c)
                spit(to_dir, to, c, l);
        pb_free(c);
        return c != NULL;
}

static bool truncate_file(const char *dir, const char *name, size_t cut)
{
        size_t l;
        char *c = slurp(dir, name, &l);
        if (c && l > cut)
                spit(dir, name, c, l - cut);
        pb_free(c);
        return c != NULL && l > cut;
}

/* Overwrite the byte at @at with @byte (a NUL inside a line, say). */
static bool poke(const char *dir, const char *name, size_t at, char byte)
{
        size_t l;
        char *c = slurp(dir, name, &l);
        bool ok = c && at < l;

        if (ok) {
                c[at] = byte;
                spit(dir, name, c, l);
        }
        pb_free(c);
        return ok;
}

/* Change an envelope's payload but keep its old signature. */
static bool repack(const char *dir, const char *name, const char *from, const char *to)
{
        return rewrite(dir, name, from, to, NULL, NULL);
}

/* Replace checkpoint line @i by one of the same size signed by @key, with a wrong root when @bad_root. */
static bool forge_checkpoint(const char *dir, size_t i, const struct pb_key_secret *key, bool bad_root)
{
        size_t len, line = 0;
        char *data = slurp(dir, PB_BUNDLE_CHECKPOINTS, &len), *p, *end;
        struct pb_buf out, note;
        bool ok = false;

        if (!data)
                return false;
        pb_buf_init(&out, 0);
        pb_buf_init(&note, 0);
        for (p = data; p < data + len; p = end + 1, line++) {
                struct pb_checkpoint cp;
                char *t0, *t1, text[512];
                size_t k = 0;

                end = memchr(p, '\n', (size_t)(data + len - p));
                if (line != i) {
                        if (pb_buf_add(&out, p, (size_t)(end - p) + 1) < 0)
                                goto out;
                        continue;
                }
                /* {"note":"<origin>\n<size>\n<root>\n\n— ..."}: take the text, unescaping \n */
                t0 = strstr(p, "\"note\":\"") + 8;
                t1 = strstr(t0, "\\n\\n");
                for (char *s = t0; s < t1 + 2 && k < sizeof(text) - 1; s++) {
                        if (s[0] == '\\' && s[1] == 'n') {
                                text[k++] = '\n';
                                s++;
                        } else {
                                text[k++] = *s;
                        }
                }
                text[k] = '\0';
                if (pb_checkpoint_parse(text, k, &cp, NULL) < 0)
                        goto out;
                if (bad_root)
                        cp.root[0] ^= 1;
                if (pb_checkpoint_sign(&cp, key, &note, NULL) < 0 ||
                    pb_bundle_checkpoint_line(note.data, note.len, &out) < 0)
                        goto out;
                ok = true;
        }
        if (ok)
                spit(dir, PB_BUNDLE_CHECKPOINTS, out.data, out.len);
out:
        pb_buf_release(&out);
        pb_buf_release(&note);
        pb_free(data);
        return ok;
}

/* A second signature line (an unknown key) on the first checkpoint: a byte no pinned key signs. */
static bool extra_signature(const char *dir)
{
        uint8_t junk[68] = { 0 };
        struct pb_buf line;
        bool ok;

        pb_buf_init(&line, 0);
        ok = pb_buf_adds(&line, "\\n\xe2\x80\x94 x.example/witness ") == PB_OK &&
             pb_b64_encode(&line, junk, sizeof(junk)) == PB_OK && pb_buf_adds(&line, "\\n\"}") == PB_OK;
        ok = ok && replace_in(dir, PB_BUNDLE_CHECKPOINTS, "\\n\"}", line.data);
        pb_buf_release(&line);
        return ok;
}

/* The CVR of ballot line @i changed (its ballot content), its commitment kept. */
static bool rewrite_keep(const char *dir, size_t i)
{
        size_t len, line = 0;
        char *data = slurp(dir, PB_BUNDLE_BALLOTS, &len), *p, *end;
        bool ok = false;

        if (!data)
                return false;
        for (p = data; p < data + len; p = end + 1, line++) {
                end = memchr(p, '\n', (size_t)(data + len - p));
                if (line == i) {
                        char *at = strstr(p, "\\\"approvals\\\":[\\\"");
                        /* one id letter inside the approvals changes: a..e -> the next letter */
                        if (at && at < end) {
                                char *c = at + strlen("\\\"approvals\\\":[\\\"");
                                *c = *c == 'e' ? 'a' : (char)(*c + 1);
                                ok = true;
                        }
                }
        }
        if (ok)
                spit(dir, PB_BUNDLE_BALLOTS, data, len);
        pb_free(data);
        return ok;
}

/* Append @extra to file @name (a text-mode transfer's "\r\n", say). */
static bool append(const char *dir, const char *name, const char *extra)
{
        size_t l;
        char *c = slurp(dir, name, &l);
        struct pb_buf out;
        bool ok;

        pb_buf_init(&out, 0);
        ok = c && pb_buf_add(&out, c, l) == PB_OK && pb_buf_adds(&out, extra) == PB_OK;
        if (ok)
                spit(dir, name, out.data, out.len);
        pb_buf_release(&out);
        pb_free(c);
        return ok;
}

/* Every "\n" of file @name becomes "\r\n", as a text-mode FTP transfer or a Windows editor does. */
static bool crlf(const char *dir, const char *name)
{
        size_t l;
        char *c = slurp(dir, name, &l);
        struct pb_buf out;
        bool ok = c != NULL;

        pb_buf_init(&out, 0);
        for (size_t i = 0; ok && i < l; i++)
                ok = (c[i] != '\n' || pb_buf_addc(&out, '\r') == PB_OK) && pb_buf_addc(&out, c[i]) == PB_OK;
        if (ok)
                spit(dir, name, out.data, out.len);
        pb_buf_release(&out);
        pb_free(c);
        return ok;
}

/* File @name becomes a symbolic link to a copy outside the bundle (@extra: the link is added
 * beside it, named "link"). */
static bool symlinked(const char *dir, const char *name, bool extra)
{
        char path[512], outside[512];

        snprintf(path, sizeof(path), "%s/%s", dir, extra ? "link" : name);
        snprintf(outside, sizeof(outside), "%s.%s", dir, name);
        if (!copy_file(dir, name, top, strrchr(outside, '/') + 1))
                return false;
        if (!extra)
                unlink(path);
        return symlink(outside, path) == 0;
}

/* A line of @n bytes without a newline at the end of file @name (a file that never ends). */
static bool long_line(const char *dir, const char *name, size_t n)
{
        char *junk = malloc(n + 1);
        bool ok;

        if (!junk)
                return false;
        memset(junk, '{', n);
        junk[n] = '\0';
        ok = append(dir, name, junk);
        free(junk);
        return ok;
}

/* ---- tar archives of a bundle ---- */

static void octal_field(char *field, size_t width, uint64_t v)
{
        field[width - 1] = '\0';
        for (size_t i = width - 1; i-- > 0;) {
                field[i] = (char)('0' + (v & 7));
                v >>= 3;
        }
}

/* One ustar member: @type '0' a file of @len bytes at @data, '1'/'2' a link to @data, '5' a folder. */
static void tar_add(struct pb_buf *out, const char *name, char type, const char *data, size_t len)
{
        static const char zeros[512];
        char h[512];
        unsigned sum = 0;
        size_t size = type == '0' || type == 'x' ? len : 0;

        memset(h, 0, sizeof(h));
        memcpy(h, name, strlen(name) < 100 ? strlen(name) : 99);
        octal_field(h + 100, 8, type == '5' ? 0755 : 0644);
        octal_field(h + 108, 8, 0);
        octal_field(h + 116, 8, 0);
        octal_field(h + 124, 12, size);
        octal_field(h + 136, 12, 0);
        h[156] = type;
        if (type == '1' || type == '2')
                memcpy(h + 157, data, len < 100 ? len : 99);
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        for (size_t i = 0; i < sizeof(h); i++)
                sum += (unsigned char)h[i];
        octal_field(h + 148, 7, sum);
        h[155] = ' ';
        if (pb_buf_add(out, h, sizeof(h)) < 0 || (size && pb_buf_add(out, data, size) < 0) ||
            (size % 512 && pb_buf_add(out, zeros, 512 - size % 512) < 0))
                FAIL("cannot build a tar member\n");
}

/* The bundle @dir as pbvote export's tar writes it (members "@prefix/<file>"), without its end. */
static bool tar_bundle(const char *dir, const char *prefix, struct pb_buf *out)
{
        if (pb_tar_dir(dir, prefix, out, NULL) < 0 || out->len < 1024)
                return false;
        out->len -= 1024; /* the end marker: members may follow */
        return true;
}

static bool tar_write(const char *path, struct pb_buf *t, bool end)
{
        static const char zeros[1024];
        bool ok = !end || pb_buf_add(t, zeros, sizeof(zeros)) == PB_OK;

        if (ok && pb_file_write_atomic(path, t->data, t->len, NULL) < 0)
                ok = false;
        pb_buf_release(t);
        return ok;
}

/* ---- running the verifier ---- */

struct seen {
        char failed[512];
        char file[300]; /* the file the first failure names ("-" for none), then " line N" */
};

static void note(void *ctx, const struct pb_verify_check *c)
{
        struct seen *s = ctx;
        if (!c->pass && !s->file[0]) {
                if (c->line)
                        snprintf(s->file, sizeof(s->file), "%s line %u", c->file ? c->file : "-", c->line);
                else
                        snprintf(s->file, sizeof(s->file), "%s", c->file ? c->file : "-");
        }
        if (!c->pass && strlen(s->failed) + 8 < sizeof(s->failed)) {
                strcat(s->failed, " ");
                strcat(s->failed, c->id);
        }
}

/* What the auditor pins besides the keys: NULL members pin nothing. */
struct expected {
        const char *election;
        const uint8_t *manifest, *result;
};

static pb_err verify_pinned(const char *dir, struct seen *s, bool with_roles, const struct expected *x)
{
        struct pb_key_public keys[2] = { engine.pub, office.pub };
        enum pb_trust_role roles[2] = { PB_TRUST_ENGINE, PB_TRUST_OFFICE };
        struct pb_verify_options o;

        memset(&o, 0, sizeof(o));
        o.trusted = keys;
        o.roles = with_roles ? roles : NULL;
        o.n_trusted = 2;
        if (x) {
                o.expect_election = x->election;
                o.expect_manifest = x->manifest;
                o.expect_result = x->result;
        }
        memset(s, 0, sizeof(*s));
        return pb_bundle_verify(dir, &o, note, s, NULL);
}

static pb_err verify(const char *dir, struct seen *s, bool with_roles)
{
        return verify_pinned(dir, s, with_roles, NULL);
}

static int classes;

/*
 * A tampered copy of the honest bundle must fail, with check @want among the failures and, when
 * @file is not NULL, the first failure naming @file (the offending file, member, or "FILE line N").
 */
static void expect_at(const char *name, const char *dir, const char *want, const char *file,
                      const struct expected *x)
{
        struct seen s;
        char padded[16];
        pb_err r = verify_pinned(dir, &s, true, x);

        classes++;
        snprintf(padded, sizeof(padded), " %s", want);
        if (r != PB_ERR_SIGNATURE)
                FAIL("tamper %-45s NOT DETECTED (verify returned %s)\n", name, pb_err_name(r));
        else if (!strstr(s.failed, padded) ||
                 (s.failed[strlen(padded)] != '\0' && strncmp(s.failed + strlen(padded), " ", 1) &&
                  !strstr(s.failed, padded)))
                FAIL("tamper %-45s detected by%s, expected %s\n", name, s.failed, want);
        else if (file && strcmp(s.file, file))
                FAIL("tamper %-45s detected by%s, but names \"%s\", expected \"%s\"\n", name, s.failed,
                     s.file, file);
        else
                fprintf(stderr, "tamper %-45s detected by%s (%s)\n", name, s.failed, s.file);
}

static void expect(const char *name, const char *dir, const char *want)
{
        expect_at(name, dir, want, NULL, NULL);
}

static void fresh(const char *honest_dir, char *dir, size_t cap, const char *name)
{
        snprintf(dir, cap, "%s/t-%s", top, name);
        copy_bundle(honest_dir, dir);
}

#define CASE(name, want, mutation)                                                                           \
        do {                                                                                                 \
                char dir[256];                                                                               \
                fresh(good, dir, sizeof(dir), name);                                                         \
                if (!(mutation))                                                                             \
                        FAIL("tamper %s: the mutation did not apply\n", name);                               \
                expect(name, dir, want);                                                                     \
        } while (0)

/* As CASE, and the first failure must name @file. */
#define CASE_AT(name, want, file, mutation)                                                                  \
        do {                                                                                                 \
                char dir[256];                                                                               \
                fresh(good, dir, sizeof(dir), name);                                                         \
                if (!(mutation))                                                                             \
                        FAIL("tamper %s: the mutation did not apply\n", name);                               \
                expect_at(name, dir, want, file, NULL);                                                      \
        } while (0)

/* A tar archive at @tar built by @build (which sees the honest bundle's copy as dir); it must fail
 * check @want, the first failure naming @file. */
#define TAR_CASE(name, want, file, build)                                                                    \
        do {                                                                                                 \
                char dir[256], tar[300];                                                                     \
                struct pb_buf t;                                                                             \
                fresh(good, dir, sizeof(dir), name);                                                         \
                snprintf(tar, sizeof(tar), "%s.tar", dir);                                                   \
                pb_buf_init(&t, 0);                                                                          \
                if (!(build))                                                                                \
                        FAIL("tamper %s: the archive could not be built\n", name);                           \
                expect_at(name, tar, want, file, NULL);                                                      \
        } while (0)

/* The bundle @dir as an archive of bare file names (no folder around them), without its end. */
static bool tar_flat(const char *dir, struct pb_buf *out)
{
        static const char *const names[] = { PB_BUNDLE_BALLOTS,     PB_BUNDLE_CERTIFICATION,
                                             PB_BUNDLE_CHECKPOINTS, PB_BUNDLE_CLOSE,
                                             PB_BUNDLE_KEYS,        PB_BUNDLE_MANIFEST,
                                             PB_BUNDLE_RESULT };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                size_t l;
                char *c = slurp(dir, names[i], &l);
                if (!c)
                        return false;
                tar_add(out, names[i], '0', c, l);
                pb_free(c);
        }
        return true;
}

/* SHA-256 of the payload of envelope @name in @dir (what a city publishes to pin it). */
static bool payload_sha256(const char *dir, const char *name, uint8_t out[32])
{
        struct pb_seal_envelope env;
        size_t len;
        char *data = slurp(dir, name, &len);
        bool ok;

        pb_seal_envelope_init(&env);
        ok = data && pb_envelope_parse(data, len, 0, &env, NULL) == PB_OK;
        if (ok)
                crypto_hash_sha256(out, env.payload, env.payload_len);
        pb_seal_envelope_release(&env);
        pb_free(data);
        return ok;
}

static size_t count_lines(const char *dir, const char *name)
{
        size_t l, n = 0;
        char *c = slurp(dir, name, &l);

        for (size_t i = 0; c && i < l; i++)
                n += c[i] == '\n';
        pb_free(c);
        return n;
}

static void mkdir_in(const char *dir, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (mkdir(path, 0755) < 0)
                FAIL("cannot make %s\n", path);
}

/* A pax extended header ('x') naming the next member @path, as `tar --format=pax` writes for
 * long or non-ASCII names. */
static void tar_pax_path(struct pb_buf *out, const char *path)
{
        char rec[512];
        size_t n = strlen(" path=\n") + strlen(path), len = n + 1;

        while ((size_t)snprintf(NULL, 0, "%zu", len) + n != len)
                len++;
        snprintf(rec, sizeof(rec), "%zu path=%s\n", len, path);
        tar_add(out, "PaxHeaders/x", 'x', rec, strlen(rec));
}

/* A member with the bytes of file @name of @dir, named @as in the archive. */
static bool tar_file(struct pb_buf *out, const char *dir, const char *name, const char *as)
{
        size_t l;
        char *c = slurp(dir, name, &l);

        if (c)
                tar_add(out, as, '0', c, l);
        pb_free(c);
        return c != NULL;
}

/* The bundle @dir with ballots.jsonl stored under a short name and its real name in a pax header. */
static bool tar_pax(const char *dir, struct pb_buf *t)
{
        static const char *const rest[] = {
                PB_BUNDLE_CERTIFICATION, PB_BUNDLE_CHECKPOINTS, PB_BUNDLE_CLOSE,
                PB_BUNDLE_KEYS,          PB_BUNDLE_MANIFEST,    PB_BUNDLE_RESULT
        };
        bool ok;

        tar_pax_path(t, "good/" PB_BUNDLE_BALLOTS);
        ok = tar_file(t, dir, PB_BUNDLE_BALLOTS, "good/b");
        for (size_t i = 0; ok && i < sizeof(rest) / sizeof(rest[0]); i++) {
                char as[64];
                snprintf(as, sizeof(as), "good/%s", rest[i]);
                ok = tar_file(t, dir, rest[i], as);
        }
        return ok;
}

/* The honest bundle as pbvote writes it, with the folder's own member first (tar cf of the folder),
 * with bare names, and with a pax header naming one member: all of them verify. */
static void honest_tars(const char *good)
{
        for (int k = 0; k < 4; k++) {
                char tar[300];
                struct pb_buf t;
                struct seen s;
                bool ok;

                snprintf(tar, sizeof(tar), "%s/honest-%d.tar", top, k);
                pb_buf_init(&t, 0);
                if (k == 1)
                        tar_add(&t, "good/", '5', NULL, 0);
                ok = k == 2 ? tar_flat(good, &t) : k == 3 ? tar_pax(good, &t) : tar_bundle(good, "good", &t);
                ok = tar_write(tar, &t, true) && ok;
                memset(&s, 0, sizeof(s));
                if (!ok || verify(tar, &s, true) != PB_OK)
                        FAIL("honest archive %d fails:%s (%s)\n", k, s.failed, s.file);
        }
        fprintf(stderr, "4 honest archives verified\n");
}

static void tar_cases(const char *good)
{
        honest_tars(good);
        TAR_CASE(".DS_Store in the archive", "A1", "good/.DS_Store",
                 tar_bundle(dir, "good", &t) && (tar_add(&t, "good/.DS_Store", '0', "x", 1), true) &&
                         tar_write(tar, &t, true));
        TAR_CASE("a symbolic link in the archive", "A1", "good/link",
                 tar_bundle(dir, "good", &t) && (tar_add(&t, "good/link", '2', "keys.txt", 8), true) &&
                         tar_write(tar, &t, true));
        TAR_CASE("keys.txt as a symbolic link in the archive", "A1", "good/keys.txt",
                 (remove_file(dir, PB_BUNDLE_KEYS), tar_bundle(dir, "good", &t)) &&
                         (tar_add(&t, "good/keys.txt", '2', "/etc/passwd", 11), true) &&
                         tar_write(tar, &t, true));
        TAR_CASE("a hard link in the archive", "A1", "good/x",
                 tar_bundle(dir, "good", &t) && (tar_add(&t, "good/x", '1', "good/keys.txt", 13), true) &&
                         tar_write(tar, &t, true));
        TAR_CASE("a device in the archive", "A1", "good/null",
                 tar_bundle(dir, "good", &t) && (tar_add(&t, "good/null", '3', NULL, 0), true) &&
                         tar_write(tar, &t, true));
        TAR_CASE("a name with .. in the archive", "A1", "good/../keys.txt",
                 tar_bundle(dir, "good", &t) && tar_file(&t, dir, PB_BUNDLE_KEYS, "good/../keys.txt") &&
                         tar_write(tar, &t, true));
        TAR_CASE("an absolute name in the archive", "A1", "/tmp/keys.txt",
                 tar_bundle(dir, "good", &t) && tar_file(&t, dir, PB_BUNDLE_KEYS, "/tmp/keys.txt") &&
                         tar_write(tar, &t, true));
        TAR_CASE("a file twice in the archive", "A1", "good/keys.txt",
                 tar_bundle(dir, "good", &t) && tar_file(&t, dir, PB_BUNDLE_KEYS, "good/keys.txt") &&
                         tar_write(tar, &t, true));
        TAR_CASE("a subfolder in the archive", "A1", "good/sub/keys.txt",
                 tar_bundle(dir, "good", &t) && tar_file(&t, dir, PB_BUNDLE_KEYS, "good/sub/keys.txt") &&
                         tar_write(tar, &t, true));
        TAR_CASE("a member outside the bundle's folder", "A1", "other/keys.txt",
                 tar_bundle(dir, "good", &t) && tar_file(&t, dir, PB_BUNDLE_KEYS, "other/keys.txt") &&
                         tar_write(tar, &t, true));
        TAR_CASE("a file missing from the archive", "A1", PB_BUNDLE_CERTIFICATION,
                 (remove_file(dir, PB_BUNDLE_CERTIFICATION), tar_bundle(dir, "good", &t)) &&
                         tar_write(tar, &t, true));
        /* pbvote's archive starts with ballots.jsonl: cut inside it */
        TAR_CASE("a truncated archive", "A1", "good/ballots.jsonl",
                 tar_bundle(dir, "good", &t) && (t.len = 512 + 700, true) && tar_write(tar, &t, false));
        TAR_CASE("data after the end of the archive", "A1", tar,
                 tar_bundle(dir, "good", &t) && tar_write(tar, &t, true) &&
                         append(top, strrchr(tar, '/') + 1, "x"));
        TAR_CASE("a damaged header", "A1", tar,
                 tar_bundle(dir, "good", &t) && (t.data[3] ^= 1, true) && tar_write(tar, &t, true));
        TAR_CASE("not an archive", "A1", tar, (spit(top, strrchr(tar, '/') + 1, "hello\n", 6), true));
        TAR_CASE("a changed ballot inside the archive", "C1", "ballots.jsonl line 5",
                 rewrite_keep(dir, 4) && tar_bundle(dir, "good", &t) && tar_write(tar, &t, true));
        TAR_CASE("CRLF keys.txt inside the archive", "B0", PB_BUNDLE_KEYS,
                 crlf(dir, PB_BUNDLE_KEYS) && tar_bundle(dir, "good", &t) && tar_write(tar, &t, true));
        TAR_CASE("a long ballot line inside the archive", "C1", "ballots.jsonl line 61",
                 long_line(dir, PB_BUNDLE_BALLOTS, (size_t)4 << 20) && tar_bundle(dir, "good", &t) &&
                         tar_write(tar, &t, true));
}

/* Issue 11: a valid bundle of another election (same keys) cannot pass for this one once the
 * auditor pins the election, and the one pinned passes. */
static void pinned_cases(const char *good, const char *other)
{
        uint8_t good_m[32], good_r[32], zero[32] = { 0 };
        struct expected all = { "good", good_m, good_r }, by_m = { NULL, good_m, NULL },
                        by_id = { "good", NULL, NULL }, by_r = { NULL, NULL, good_r },
                        wrong = { NULL, zero, NULL };
        struct seen s;

        if (!payload_sha256(good, PB_BUNDLE_MANIFEST, good_m) ||
            !payload_sha256(good, PB_BUNDLE_RESULT, good_r)) {
                FAIL("cannot hash the honest bundle\n");
                return;
        }
        if (verify_pinned(good, &s, true, &all) != PB_OK)
                FAIL("the honest bundle fails with its own pins:%s\n", s.failed);
        if (verify_pinned(other, &s, true, NULL) != PB_OK)
                FAIL("the other honest bundle fails unpinned:%s\n", s.failed);
        expect_at("another election's bundle, --expect-manifest", other, "B1P", PB_BUNDLE_MANIFEST, &by_m);
        expect_at("another election's bundle, --expect-election", other, "B1P", PB_BUNDLE_MANIFEST, &by_id);
        expect_at("another election's bundle, --expect-result", other, "B4P", PB_BUNDLE_RESULT, &by_r);
        expect_at("the bundle against another published manifest hash", good, "B1P", PB_BUNDLE_MANIFEST,
                  &wrong);
}

int main(int argc, char **argv)
{
        int n_honest = argc > 1 ? atoi(argv[1]) : 20;
        char good[256], other[256], cmd[160];
        uint8_t seed[32];
        struct seen s;

        if (sodium_init() < 0)
                return 1;
        snprintf(top, sizeof(top), "/tmp/pbvote-tamper-XXXXXX");
        if (!mkdtemp(top))
                return 1;
        memset(seed, 1, 32);
        (void)!pb_key_secret_from_seed(&engine, "pb.test/engine", seed, NULL);
        memset(seed, 2, 32);
        (void)!pb_key_secret_from_seed(&office, "pb.test/office", seed, NULL);
        memset(seed, 3, 32);
        (void)!pb_key_secret_from_seed(&mallory, "pb.test/engine", seed, NULL);
        memset(seed, 4, 32);
        (void)!pb_key_secret_from_seed(&mallory_office, "pb.test/office", seed, NULL);
        vkey_of(&engine.pub, engine_vkey);
        vkey_of(&office.pub, office_vkey);
        vkey_of(&mallory.pub, mallory_vkey);

        /* honest elections: every one verifies (no false alarm) */
        for (int i = 0; i < n_honest; i++) {
                char id[32], dir[256];
                snprintf(id, sizeof(id), "honest-%d", i);
                snprintf(dir, sizeof(dir), "%s/%s", top, id);
                if (honest(id, 10 + i * 7, (unsigned)i + 1, dir) < 0) {
                        FAIL("honest election %d could not be made\n", i);
                        continue;
                }
                if (verify(dir, &s, true) != PB_OK)
                        FAIL("honest election %d fails:%s\n", i, s.failed);
        }
        fprintf(stderr, "%d honest bundles verified\n", n_honest);
        snprintf(good, sizeof(good), "%s/good", top);
        snprintf(other, sizeof(other), "%s/other", top);
        if (honest("good", 60, 4242, good) < 0 || honest("other", 30, 99, other) < 0)
                return 1;
        if (verify(good, &s, true) != PB_OK) {
                FAIL("the honest bundle fails:%s\n", s.failed);
                return 1;
        }

        /* ballots */
        CASE("changed ballot (commitment kept)", "C1", rewrite_keep(dir, 4));
        CASE("changed ballot (commitment recomputed)", "C2", set_approvals(dir, 5, "\"a\",\"b\",\"c\""));
        CASE("changed channel (commitment recomputed)", "C2",
             rewrite_ballot(dir, 3, "electronic", "paper") || rewrite_ballot(dir, 3, "paper", "electronic"));
        CASE("dropped ballot", "C2", lines(dir, PB_BUNDLE_BALLOTS, DROP, 10, 10));
        CASE("duplicated ballot line", "C1", lines(dir, PB_BUNDLE_BALLOTS, DUP, 12, 12));
        CASE("added ballot (a new valid CVR)", "C2",
             lines(dir, PB_BUNDLE_BALLOTS, DUP, 12, 12) && (rewrite_ballot(dir, 13, "electronic", "paper") ||
                                                            rewrite_ballot(dir, 13, "paper", "electronic")));
        CASE("reordered ballots within a batch", "C2", lines(dir, PB_BUNDLE_BALLOTS, SWAP, 1, 2));
        CASE("reordered ballots across batches", "C2", lines(dir, PB_BUNDLE_BALLOTS, SWAP, 1, 40));
        CASE("ballot breaking the rules (4 picks, recommitted)", "C1",
             set_approvals(dir, 7, "\"a\",\"b\",\"c\",\"d\""));
        CASE("unknown project (recommitted)", "C1", set_approvals(dir, 7, "\"zz\""));
        CASE("non-canonical CVR (recommitted)", "C1",
             rewrite_ballot(dir, 8, "{\"ballot\":", "{ \"ballot\":"));
        CASE("truncated ballots file", "C1", truncate_file(dir, PB_BUNDLE_BALLOTS, 10));
        CASE("a NUL byte inside a ballot line", "C1", poke(dir, PB_BUNDLE_BALLOTS, 40, '\0'));
        CASE("changed nonce", "C1",
             replace_in(dir, PB_BUNDLE_BALLOTS, "\"nonce\":\"", "\"nonce\":\"00") &&
                     replace_in(dir, PB_BUNDLE_BALLOTS, "\"}\n", "\"}\n"));
        /* the manifest */
        CASE("changed cost (signature kept)", "B1",
             repack(dir, PB_BUNDLE_MANIFEST, "\"cost\":60", "\"cost\":61"));
        CASE("changed cost (signed by another office key)", "B1",
             resign(dir, PB_BUNDLE_MANIFEST, "\"cost\":60", "\"cost\":61", &mallory_office, NULL));
        CASE("changed cost (re-signed by the office key)", "B3",
             resign(dir, PB_BUNDLE_MANIFEST, "\"cost\":60", "\"cost\":61", &office, NULL));
        CASE("manifest naming the engine as office (re-signed by the engine)", "B0",
             resign(dir, PB_BUNDLE_MANIFEST, office_vkey, engine_vkey, &engine, NULL));
        /* keys */
        CASE("swapped key in keys.txt", "B0", replace_in(dir, PB_BUNDLE_KEYS, engine_vkey, mallory_vkey));
        /* checkpoints */
        CASE("forged checkpoint (another key of the same name)", "B2",
             forge_checkpoint(dir, 1, &mallory, false));
        CASE("checkpoint with a wrong root, signed by the engine key", "C2",
             forge_checkpoint(dir, 1, &engine, true));
        CASE("checkpoint with a changed size (signature kept)", "B2",
             replace_in(dir, PB_BUNDLE_CHECKPOINTS, "ballots\\n0\\n", "ballots\\n1\\n"));
        CASE("removed checkpoint (batches merge)", "C3", lines(dir, PB_BUNDLE_CHECKPOINTS, DROP, 2, 2));
        CASE("reordered checkpoints", "B2", lines(dir, PB_BUNDLE_CHECKPOINTS, SWAP, 1, 2));
        CASE("extra signature line on a checkpoint", "B2", extra_signature(dir));
        /* close statement */
        CASE("close statement with another count (re-signed)", "D2",
             resign(dir, PB_BUNDLE_CLOSE, "\"codes_spent\":60", "\"codes_spent\":59", &engine, NULL) &&
                     resign(dir, PB_BUNDLE_RESULT, "\"codes_spent\":60", "\"codes_spent\":59", &engine,
                            NULL));
        CASE("close statement re-signed (the result names another)", "B4",
             resign(dir, PB_BUNDLE_CLOSE, "2026-06-01T20", "2026-06-01T21", &engine, NULL));
        /* the result */
        CASE("corrupted result signature", "B4",
             replace_in(dir, PB_BUNDLE_RESULT, "\"sig\":\"", "\"sig\":\"AAAA"));
        CASE("changed winners (signature kept)", "B4",
             repack(dir, PB_BUNDLE_RESULT, "\"winners\":[\"", "\"winners\":[\"e\",\""));
        CASE("changed winners (re-signed by the engine)", "F1",
             resign(dir, PB_BUNDLE_RESULT, "\"winners\":[\"", "\"winners\":[\"e\",\"", &engine, NULL));
        CASE("changed votes of a project (re-signed)", "F1",
             resign(dir, PB_BUNDLE_RESULT, "\"votes\":", "\"votes\":1", &engine, NULL));
        CASE("changed money spent (re-signed)", "F1",
             resign(dir, PB_BUNDLE_RESULT, "\"spent\":", "\"spent\":1", &engine, NULL));
        CASE("changed count in the result (re-signed)", "D1",
             resign(dir, PB_BUNDLE_RESULT, "\"ballots\":60", "\"ballots\":61", &engine, NULL));
        CASE("result signed by another engine key", "B4",
             resign(dir, PB_BUNDLE_RESULT, NULL, NULL, &mallory, NULL));
        CASE("signature moved to another document type", "B4",
             resign(dir, PB_BUNDLE_RESULT, NULL, NULL, &engine, PB_SEAL_TYPE_CLOSE));
        CASE("close statement in place of the result", "B4",
             copy_file(dir, PB_BUNDLE_CLOSE, dir, PB_BUNDLE_RESULT));
        CASE("result of another election", "B4", copy_file(other, PB_BUNDLE_RESULT, dir, PB_BUNDLE_RESULT));
        CASE("truncated result", "B4", truncate_file(dir, PB_BUNDLE_RESULT, 100));
        CASE("whitespace added to an envelope", "B4",
             replace_in(dir, PB_BUNDLE_RESULT, "{\"payload\"", "{ \"payload\""));
        /* certification */
        CASE("certification of another election's result", "B5",
             copy_file(other, PB_BUNDLE_CERTIFICATION, dir, PB_BUNDLE_CERTIFICATION));
        CASE("certification signed by the engine key", "B5",
             resign(dir, PB_BUNDLE_CERTIFICATION, NULL, NULL, &engine, NULL));
        CASE("certification dated before the close, signed by the office", "B5",
             resign(dir, PB_BUNDLE_CERTIFICATION, "2026-06-02T10:00:00Z", "2026-06-01T19:00:00Z", &office,
                    NULL));
        CASE("certification dated on no real day, signed by the office", "B5",
             resign(dir, PB_BUNDLE_CERTIFICATION, "2026-06-02T10:00:00Z", "2026-02-30T10:00:00Z", &office,
                    NULL));
        CASE("close statement dated on no real day, signed by the engine", "B3",
             resign(dir, PB_BUNDLE_CLOSE, "2026-06-01T20:00:00Z", "2026-13-01T20:00:00Z", &engine, NULL));
        /* files */
        {
                static const char *const names[] = { PB_BUNDLE_MANIFEST,     PB_BUNDLE_KEYS,
                                                     PB_BUNDLE_CHECKPOINTS,  PB_BUNDLE_BALLOTS,
                                                     PB_BUNDLE_CLOSE,        PB_BUNDLE_RESULT,
                                                     PB_BUNDLE_CERTIFICATION };
                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                        char label[64];
                        snprintf(label, sizeof(label), "removed %s", names[i]);
                        CASE(label, "A1", (remove_file(dir, names[i]), true));
                }
        }
        CASE("added file", "A1", (spit(dir, "notes.txt", "hello\n", 6), true));
        /* issue 11: every failure names the file, and the bundle may arrive as a tar archive */
        pinned_cases(good, other);
        CASE_AT("added .DS_Store", "A1", ".DS_Store", (spit(dir, ".DS_Store", "\0\0\0\1Bud1", 8), true));
        CASE_AT("keys.txt replaced by a symbolic link", "A1", PB_BUNDLE_KEYS,
                symlinked(dir, PB_BUNDLE_KEYS, false));
        CASE_AT("a symbolic link added", "A1", "link", symlinked(dir, PB_BUNDLE_KEYS, true));
        CASE_AT("a folder added", "A1", "sub", (mkdir_in(dir, "sub"), true));
        CASE_AT("CRLF line endings in keys.txt", "B0", PB_BUNDLE_KEYS, crlf(dir, PB_BUNDLE_KEYS));
        CASE_AT("CRLF line endings in checkpoints.jsonl", "B2", "checkpoints.jsonl line 1",
                crlf(dir, PB_BUNDLE_CHECKPOINTS));
        CASE_AT("CRLF line endings in ballots.jsonl", "C1", "ballots.jsonl line 1",
                crlf(dir, PB_BUNDLE_BALLOTS));
        CASE_AT("CRLF after an envelope", "B4", PB_BUNDLE_RESULT, append(dir, PB_BUNDLE_RESULT, "\r\n"));
        CASE_AT("a ballot line longer than any valid one (no newline)", "C1", "ballots.jsonl line 61",
                long_line(dir, PB_BUNDLE_BALLOTS, (size_t)4 << 20));
        {
                char at[64];
                snprintf(at, sizeof(at), "checkpoints.jsonl line %zu",
                         count_lines(good, PB_BUNDLE_CHECKPOINTS) + 1);
                CASE_AT("a checkpoint line longer than any valid one", "B2", at,
                        long_line(dir, PB_BUNDLE_CHECKPOINTS, (size_t)4 << 20));
        }
        CASE_AT("a manifest naming another log origin (re-signed by the office)", "B1", PB_BUNDLE_MANIFEST,
                resign(dir, PB_BUNDLE_MANIFEST, "\"origin\":\"pbvote/good/ballots\"",
                       "\"origin\":\"pbvote/other/ballots\"", &office, NULL));
        tar_cases(good);
        /* an attacker who re-signs everything with keys of its own: only pinning catches it */
        {
                char dir[256];
                snprintf(dir, sizeof(dir), "%s/mallory", top);
                engine_saved = engine;
                engine = mallory;
                if (honest("mallory", 20, 7, dir) < 0)
                        FAIL("could not make the attacker's bundle\n");
                engine = engine_saved;
                expect("a whole bundle signed by an unpublished engine key", dir, "B0T");
        }
        fprintf(stderr, "%d tampering cases, %d failures\n", classes, failures);
        if (classes < 25)
                FAIL("fewer than 25 tampering classes\n");
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", top);
        return failures ? 1 : 0;
}
