/** @file Key files: Argon2id + XChaCha20-Poly1305 sealed Ed25519 seeds, strict text format. */
#include "formats/pb_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/pb_b64.h"

#define MAGIC PB_KEYFILE_MAGIC
#define WARNING "UNENCRYPTED: anyone who can read this file can sign as this key; for tests and demos only"
#define SEALED_BYTES 48 /* the seed and its tag, a literal so that messages can state it: */
_Static_assert(SEALED_BYTES == PB_KEY_SEED_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "sealed seed size");
#define CHECK_BYTES 32 /* BLAKE2b-256 of an unencrypted file's text */

static const char *const role_names[PB_KEY_ROLE_COUNT] = { "engine", "office" };

const char *pb_key_role_name(enum pb_key_role role)
{
        return (unsigned)role < PB_KEY_ROLE_COUNT ? role_names[role] : NULL;
}

pb_err pb_key_role_parse(const char *s, enum pb_key_role *ret)
{
        int i;

        for (i = 0; i < PB_KEY_ROLE_COUNT; i++)
                if (!strcmp(s, role_names[i])) {
                        *ret = (enum pb_key_role)i;
                        return PB_OK;
                }
        return PB_ERR_INVALID;
}

pb_err pb_keyfile_kdf_preset(const char *name, struct pb_keyfile_kdf *ret)
{
        if (!strcmp(name, "interactive")) {
                ret->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
                ret->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
        } else if (!strcmp(name, "moderate")) {
                ret->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
                ret->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
        } else if (!strcmp(name, "sensitive")) {
                ret->opslimit = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
                ret->memlimit = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
        } else {
                return PB_ERR_INVALID;
        }
        return PB_OK;
}

static bool kdf_ok(const struct pb_keyfile_kdf *k)
{
        return k->opslimit >= PB_KEYFILE_OPS_MIN && k->opslimit <= PB_KEYFILE_OPS_MAX &&
               k->memlimit >= PB_KEYFILE_MEM_MIN && k->memlimit <= PB_KEYFILE_MEM_MAX &&
               k->memlimit % 1024 == 0;
}

/* Everything before the sealed-seed (or seed) line: the AEAD's associated data. */
static pb_err write_header(const struct pb_keyfile_info *info, const uint8_t *salt, const uint8_t *nonce,
                           struct pb_buf *out)
{
        pb_err r;

        r = pb_buf_addf(out, MAGIC "\nrole: %s\npublic: ", role_names[info->role]);
        if (r >= 0)
                r = pb_key_vkey_format(&info->pub, out);
        if (r < 0)
                return r;
        if (!info->encrypted)
                return pb_buf_adds(out, "\nkdf: none\nwarning: " WARNING "\n");
        r = pb_buf_addf(out,
                        "\nkdf: argon2id13 ops=%llu mem=%llu\nsalt: ", (unsigned long long)info->kdf.opslimit,
                        (unsigned long long)info->kdf.memlimit);
        if (r >= 0)
                r = pb_b64_encode(out, salt, PB_KEYFILE_SALT_BYTES);
        if (r >= 0)
                r = pb_buf_adds(out, "\nnonce: ");
        if (r >= 0)
                r = pb_b64_encode(out, nonce, PB_KEYFILE_NONCE_BYTES);
        if (r >= 0)
                r = pb_buf_addc(out, '\n');
        return r;
}

static void unencrypted_check(const char *text, size_t len, uint8_t ret[CHECK_BYTES])
{
        crypto_generichash(ret, CHECK_BYTES, (const uint8_t *)text, len, NULL, 0);
}

pb_err pb_keyfile_format(enum pb_key_role role, const char *name, const uint8_t seed[PB_KEY_SEED_BYTES],
                         const char *pass, size_t pass_len, const struct pb_keyfile_kdf *kdf,
                         const uint8_t salt[PB_KEYFILE_SALT_BYTES],
                         const uint8_t nonce[PB_KEYFILE_NONCE_BYTES], unsigned flags, struct pb_buf *out,
                         struct pb_diag *reterr)
{
        struct pb_keyfile_info info;
        struct pb_key_secret *k = NULL;
        uint8_t *kek = NULL, sealed[SEALED_BYTES], check[CHECK_BYTES];
        bool enc = !(flags & PB_KEYFILE_UNENCRYPTED);
        size_t old = out->len, ad_start = out->len;
        pb_err r;

        if (sodium_init() < 0)
                return pb_diag_set(reterr, PB_ERR_INTERNAL, NULL, "libsodium cannot start");
        if ((unsigned)role >= PB_KEY_ROLE_COUNT)
                return pb_diag_set(reterr, PB_ERR_INVALID, "role", "role must be engine or office");
        if (enc != (pass != NULL))
                return pb_diag_set(reterr, PB_ERR_INVALID, "passphrase",
                                   "a passphrase is needed exactly when the key is encrypted");
        if (enc && (pass_len == 0 || pass_len > PB_KEYFILE_PASS_MAX))
                return pb_diag_set(reterr, PB_ERR_INVALID, "passphrase",
                                   "passphrase must be 1-" PB_STRINGIFY(PB_KEYFILE_PASS_MAX) " bytes");
        if (enc && !kdf_ok(kdf))
                return pb_diag_set(reterr, PB_ERR_INVALID, "kdf", "Argon2id limits out of range");
        k = sodium_malloc(sizeof(*k));
        kek = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        if (!k || !kek) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = pb_key_secret_from_seed(k, name, seed, reterr);
        if (r < 0)
                goto out;
        memset(&info, 0, sizeof(info));
        info.role = role;
        info.pub = k->pub;
        info.encrypted = enc;
        if (enc)
                info.kdf = *kdf;
        r = write_header(&info, salt, nonce, out);
        if (r < 0)
                goto out;
        if (enc) {
                if (crypto_pwhash(kek, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, pass_len, salt,
                                  kdf->opslimit, (size_t)kdf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
                        r = pb_diag_set(reterr, PB_ERR_NOMEM, "kdf", "not enough memory for Argon2id");
                        goto out;
                }
                crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, seed, PB_KEY_SEED_BYTES,
                                                           (const uint8_t *)out->data + ad_start,
                                                           out->len - ad_start, NULL, nonce, kek);
                r = pb_buf_adds(out, "sealed-seed: ");
                if (r >= 0)
                        r = pb_b64_encode(out, sealed, sizeof(sealed));
                if (r >= 0)
                        r = pb_buf_addc(out, '\n');
        } else {
                r = pb_buf_adds(out, "seed: ");
                if (r >= 0)
                        r = pb_b64_encode(out, seed, PB_KEY_SEED_BYTES);
                if (r >= 0)
                        r = pb_buf_adds(out, "\ncheck: ");
                if (r >= 0) {
                        unencrypted_check(out->data + ad_start, out->len - ad_start - strlen("check: "),
                                          check);
                        r = pb_b64_encode(out, check, sizeof(check));
                }
                if (r >= 0)
                        r = pb_buf_addc(out, '\n');
        }
out:
        if (r < 0 && out->len > old) {
                sodium_memzero(out->data + old, out->len - old);
                out->len = old;
                out->data[old] = '\0';
        }
        sodium_free(k);
        sodium_free(kek);
        return r;
}

/* ---- parsing ---- */

/* The parsed file.  @seed holds the raw seed of an unencrypted file: wipe it. */
struct parsed {
        struct pb_keyfile_info info;
        uint8_t salt[PB_KEYFILE_SALT_BYTES];
        uint8_t nonce[PB_KEYFILE_NONCE_BYTES];
        uint8_t sealed[SEALED_BYTES];
        uint8_t seed[PB_KEY_SEED_BYTES];
        size_t ad_len; /* bytes before the sealed-seed / seed line */
};

/* The next line must start with @prefix; its value (after the prefix, without newline) is returned. */
static bool take_line(const char *buf, size_t len, size_t *pos, const char *prefix, const char **ret_val,
                      size_t *ret_len)
{
        size_t plen = strlen(prefix);
        const char *nl;

        if (*pos >= len)
                return false;
        nl = memchr(buf + *pos, '\n', len - *pos);
        if (!nl || (size_t)(nl - (buf + *pos)) < plen || memcmp(buf + *pos, prefix, plen))
                return false;
        *ret_val = buf + *pos + plen;
        *ret_len = (size_t)(nl - *ret_val);
        *pos = (size_t)(nl - buf) + 1;
        return true;
}

/* A decimal number without sign or leading zeros, at most 19 digits. */
static size_t take_u64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        while (i < len && i < 19 && s[i] >= '0' && s[i] <= '9')
                v = v * 10 + (uint64_t)(s[i++] - '0');
        if (i == 0 || (i > 1 && s[0] == '0') || (i < len && s[i] >= '0' && s[i] <= '9'))
                return 0;
        *ret = v;
        return i;
}

static bool parse_kdf(const char *s, size_t len, struct pb_keyfile_kdf *k)
{
        static const char a[] = "argon2id13 ops=", b[] = " mem=";
        size_t n;

        if (len < sizeof(a) - 1 || memcmp(s, a, sizeof(a) - 1))
                return false;
        s += sizeof(a) - 1;
        len -= sizeof(a) - 1;
        n = take_u64(s, len, &k->opslimit);
        if (!n || len - n < sizeof(b) - 1 || memcmp(s + n, b, sizeof(b) - 1))
                return false;
        s += n + sizeof(b) - 1;
        len -= n + sizeof(b) - 1;
        n = take_u64(s, len, &k->memlimit);
        return n && n == len && kdf_ok(k);
}

static pb_err parse_file(const char *buf, size_t len, struct parsed *p, struct pb_diag *reterr)
{
        struct pb_buf again;
        char role[16];
        const char *v;
        size_t pos = 0, n;
        uint8_t check[CHECK_BYTES], want[CHECK_BYTES];
        pb_err r = PB_OK;

        memset(p, 0, sizeof(*p));
        if (len > PB_KEYFILE_MAX_BYTES)
                return pb_diag_set(reterr, PB_ERR_LIMIT, NULL,
                                   "key file larger than " PB_STRINGIFY(PB_KEYFILE_MAX_KIB) " KiB");
        if (!take_line(buf, len, &pos, "", &v, &n) || n != strlen(MAGIC) || memcmp(v, MAGIC, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 1, 0, "format", "not a pbvote-secret-key/v1 file");
        if (!take_line(buf, len, &pos, "role: ", &v, &n) || n >= sizeof(role))
                return pb_diag_at(reterr, PB_ERR_PARSE, 2, 0, "role",
                                  "expected 'role: engine' or 'role: office'");
        memcpy(role, v, n);
        role[n] = '\0';
        if (pb_key_role_parse(role, &p->info.role) < 0)
                return pb_diag_at(reterr, PB_ERR_PARSE, 2, 0, "role",
                                  "expected 'role: engine' or 'role: office'");
        if (!take_line(buf, len, &pos, "public: ", &v, &n) || pb_key_vkey_parse(v, n, &p->info.pub, NULL) < 0)
                return pb_diag_at(reterr, PB_ERR_PARSE, 3, 0, "public",
                                  "expected 'public: ' and a verifier key whose key ID matches");
        if (!take_line(buf, len, &pos, "kdf: ", &v, &n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 4, 0, "kdf", "expected a 'kdf: ' line");
        if (n == 4 && !memcmp(v, "none", 4)) {
                p->info.encrypted = false;
                if (!take_line(buf, len, &pos, "warning: ", &v, &n) || n != strlen(WARNING) ||
                    memcmp(v, WARNING, n))
                        return pb_diag_at(reterr, PB_ERR_PARSE, 5, 0, "warning",
                                          "unencrypted key without its warning");
                p->ad_len = pos;
                if (!take_line(buf, len, &pos, "seed: ", &v, &n) ||
                    pb_b64_decode_exact(v, n, p->seed, PB_KEY_SEED_BYTES) < 0)
                        return pb_diag_at(reterr, PB_ERR_PARSE, 6, 0, "seed",
                                          "seed must be base64 of " PB_STRINGIFY(PB_KEY_SEED_BYTES) " bytes");
                if (!take_line(buf, len, &pos, "check: ", &v, &n) ||
                    pb_b64_decode_exact(v, n, check, CHECK_BYTES) < 0)
                        return pb_diag_at(reterr, PB_ERR_PARSE, 7, 0, "check",
                                          "check must be base64 of " PB_STRINGIFY(CHECK_BYTES) " bytes");
                unencrypted_check(buf, (size_t)(v - buf) - strlen("check: "), want);
                if (sodium_memcmp(check, want, CHECK_BYTES) != 0)
                        return pb_diag_at(reterr, PB_ERR_SIGNATURE, 7, 0, "check",
                                          "key file damaged: the check line does not match");
        } else {
                p->info.encrypted = true;
                if (!parse_kdf(v, n, &p->info.kdf))
                        return pb_diag_at(
                                reterr, PB_ERR_PARSE, 4, 0, "kdf",
                                "expected 'kdf: argon2id13 ops=N mem=BYTES' within the allowed limits");
                if (!take_line(buf, len, &pos, "salt: ", &v, &n) ||
                    pb_b64_decode_exact(v, n, p->salt, PB_KEYFILE_SALT_BYTES) < 0)
                        return pb_diag_at(
                                reterr, PB_ERR_PARSE, 5, 0, "salt",
                                "salt must be base64 of " PB_STRINGIFY(PB_KEYFILE_SALT_BYTES) " bytes");
                if (!take_line(buf, len, &pos, "nonce: ", &v, &n) ||
                    pb_b64_decode_exact(v, n, p->nonce, PB_KEYFILE_NONCE_BYTES) < 0)
                        return pb_diag_at(
                                reterr, PB_ERR_PARSE, 6, 0, "nonce",
                                "nonce must be base64 of " PB_STRINGIFY(PB_KEYFILE_NONCE_BYTES) " bytes");
                p->ad_len = pos;
                if (!take_line(buf, len, &pos, "sealed-seed: ", &v, &n) ||
                    pb_b64_decode_exact(v, n, p->sealed, SEALED_BYTES) < 0)
                        return pb_diag_at(
                                reterr, PB_ERR_PARSE, 7, 0, "sealed-seed",
                                "sealed seed must be base64 of " PB_STRINGIFY(SEALED_BYTES) " bytes");
        }
        if (pos != len)
                return pb_diag_at(reterr, PB_ERR_PARSE, 8, 0, "format",
                                  "unexpected text after the last line");
        /* One spelling only: the header must be exactly what pbvote writes for these values. */
        pb_buf_init(&again, PB_KEYFILE_MAX_BYTES);
        r = write_header(&p->info, p->salt, p->nonce, &again);
        if (r >= 0 && (again.len != p->ad_len || memcmp(again.data, buf, p->ad_len)))
                r = pb_diag_set(reterr, PB_ERR_PARSE, "format", "header not in canonical form");
        pb_buf_release(&again);
        return r;
}

pb_err pb_keyfile_parse(const char *buf, size_t len, struct pb_keyfile_info *ret, struct pb_diag *reterr)
{
        struct parsed p;
        pb_err r = parse_file(buf, len, &p, reterr);

        if (r >= 0)
                *ret = p.info;
        sodium_memzero(&p, sizeof(p));
        return r;
}

/* Secrets of an unlock, in guarded memory. */
struct unlock_secrets {
        struct parsed p;
        uint8_t kek[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
        uint8_t seed[PB_KEY_SEED_BYTES];
        struct pb_key_secret key;
};

pb_err pb_keyfile_unlock(const char *buf, size_t len, const char *pass, size_t pass_len,
                         struct pb_keyfile_info *ret_info, struct pb_key_secret *ret_key,
                         struct pb_diag *reterr)
{
        struct unlock_secrets *s;
        unsigned long long mlen;
        pb_err r;

        if (sodium_init() < 0)
                return pb_diag_set(reterr, PB_ERR_INTERNAL, NULL, "libsodium cannot start");
        s = sodium_malloc(sizeof(*s));
        if (!s)
                return PB_ERR_NOMEM;
        r = parse_file(buf, len, &s->p, reterr);
        if (r < 0)
                goto out;
        if (!s->p.info.encrypted) {
                memcpy(s->seed, s->p.seed, PB_KEY_SEED_BYTES);
        } else {
                if (!pass || pass_len == 0) {
                        r = pb_diag_set(reterr, PB_ERR_AUTH, "passphrase",
                                        "this key file needs its passphrase");
                        goto out;
                }
                if (pass_len > PB_KEYFILE_PASS_MAX) {
                        r = pb_diag_set(reterr, PB_ERR_AUTH, "passphrase",
                                        "passphrase longer than " PB_STRINGIFY(PB_KEYFILE_PASS_MAX) " bytes");
                        goto out;
                }
                if (crypto_pwhash(s->kek, sizeof(s->kek), pass, pass_len, s->p.salt, s->p.info.kdf.opslimit,
                                  (size_t)s->p.info.kdf.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
                        r = pb_diag_set(reterr, PB_ERR_NOMEM, "kdf", "not enough memory for Argon2id");
                        goto out;
                }
                if (crypto_aead_xchacha20poly1305_ietf_decrypt(s->seed, &mlen, NULL, s->p.sealed,
                                                               SEALED_BYTES, (const uint8_t *)buf,
                                                               s->p.ad_len, s->p.nonce, s->kek) != 0 ||
                    mlen != PB_KEY_SEED_BYTES) {
                        r = pb_diag_set(reterr, PB_ERR_AUTH, "passphrase",
                                        "wrong passphrase, or the key file was altered");
                        goto out;
                }
        }
        r = pb_key_secret_from_seed(&s->key, s->p.info.pub.name, s->seed, reterr);
        if (r < 0)
                goto out;
        if (sodium_memcmp(s->key.pub.pk, s->p.info.pub.pk, PB_KEY_PUBLIC_BYTES) != 0) {
                r = pb_diag_set(reterr, PB_ERR_SIGNATURE, "public",
                                "the secret key does not match the public key in the file");
                goto out;
        }
        if (ret_info)
                *ret_info = s->p.info;
        *ret_key = s->key;
out:
        sodium_free(s); /* zeroes the whole allocation */
        return r;
}

/* ---- files ---- */

static pb_err read_key_file(const char *path, char *buf, size_t cap, size_t *ret_len, struct pb_diag *reterr)
{
        struct stat st;
        size_t len = 0;
        pb_err r = PB_OK;
        int fd;

        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return pb_diag_set(reterr, PB_ERR_IO, NULL,
                                   errno == ENOENT  ? "no such file"
                                   : errno == ELOOP ? "key file is a symbolic link (refused)"
                                                    : "cannot open key file");
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                r = pb_diag_set(reterr, PB_ERR_IO, NULL, "key file is not a regular file");
                goto out;
        }
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                r = pb_diag_set(reterr, PB_ERR_FORBIDDEN, NULL,
                                "key file is accessible to group or others (chmod 600 it)");
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, buf + len, cap - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot read key file");
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == cap) {
                        r = pb_diag_set(reterr, PB_ERR_LIMIT, NULL,
                                        "key file larger than " PB_STRINGIFY(PB_KEYFILE_MAX_KIB) " KiB");
                        goto out;
                }
        }
        *ret_len = len;
out:
        close(fd);
        return r;
}

pb_err pb_keyfile_read_info(const char *path, struct pb_keyfile_info *ret, struct pb_diag *reterr)
{
        char buf[PB_KEYFILE_MAX_BYTES + 1];
        size_t len = 0;
        pb_err r;

        r = read_key_file(path, buf, sizeof(buf), &len, reterr);
        if (r >= 0)
                r = pb_keyfile_parse(buf, len, ret, reterr);
        sodium_memzero(buf, sizeof(buf));
        return r;
}

pb_err pb_keyfile_load(const char *path, const char *pass, size_t pass_len, struct pb_keyfile_info *ret_info,
                       struct pb_key_secret *ret_key, struct pb_diag *reterr)
{
        char buf[PB_KEYFILE_MAX_BYTES + 1];
        size_t len = 0;
        pb_err r;

        r = read_key_file(path, buf, sizeof(buf), &len, reterr);
        if (r >= 0)
                r = pb_keyfile_unlock(buf, len, pass, pass_len, ret_info, ret_key, reterr);
        sodium_memzero(buf, sizeof(buf));
        return r;
}

static pb_err fsync_parent(const char *path)
{
        char dir[4096];
        const char *slash = strrchr(path, '/');
        size_t n;
        int fd, rc;

        if (!slash) {
                dir[0] = '.';
                n = 1;
        } else {
                n = slash == path ? 1 : (size_t)(slash - path);
                if (n >= sizeof(dir))
                        return PB_ERR_IO;
                memcpy(dir, path, n);
        }
        dir[n] = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return PB_ERR_IO;
        rc = fsync(fd);
        close(fd);
        return rc < 0 ? PB_ERR_IO : PB_OK;
}

/* Write a new file 0600 without ever replacing an existing one: temporary file, fsync, link(). */
static pb_err write_new_file(const char *path, const char *data, size_t len, struct pb_diag *reterr)
{
        char tmp[4096];
        int fd, n;
        pb_err r = PB_OK;

        n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "path too long");
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return pb_diag_set(
                        reterr, PB_ERR_IO, NULL,
                        errno == ENOENT || errno == ENOTDIR ? "cannot create key file: no such folder"
                        : errno == EACCES || errno == EPERM ? "cannot create key file: permission denied"
                        : errno == EROFS                    ? "cannot create key file: read-only file system"
                        : errno == ENOSPC                   ? "cannot create key file: no space left"
                                                            : "cannot create key file");
        while (len) {
                ssize_t w = write(fd, data, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        r = pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot write key file");
                        break;
                }
                data += w;
                len -= (size_t)w;
        }
        if (r >= 0 && fsync(fd) < 0)
                r = pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot sync key file");
        if (close(fd) < 0 && r >= 0)
                r = pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot write key file");
        if (r >= 0 && link(tmp, path) < 0)
                r = pb_diag_set(reterr, errno == EEXIST ? PB_ERR_CONFLICT : PB_ERR_IO, NULL,
                                errno == EEXIST ? "file exists: a key file is never overwritten"
                                                : "cannot put the key file in place");
        unlink(tmp);
        if (r >= 0 && fsync_parent(path) < 0)
                r = pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot sync the key file's folder");
        return r;
}

pb_err pb_keyfile_create(const char *path, enum pb_key_role role, const char *name, const char *pass,
                         size_t pass_len, const struct pb_keyfile_kdf *kdf, unsigned flags,
                         struct pb_keyfile_info *ret_info, struct pb_diag *reterr)
{
        uint8_t salt[PB_KEYFILE_SALT_BYTES], nonce[PB_KEYFILE_NONCE_BYTES], *seed;
        struct pb_buf text;
        struct stat st;
        pb_err r;

        if (sodium_init() < 0)
                return pb_diag_set(reterr, PB_ERR_INTERNAL, NULL, "libsodium cannot start");
        if (lstat(path, &st) == 0)
                return pb_diag_set(reterr, PB_ERR_CONFLICT, NULL,
                                   "file exists: a key file is never overwritten");
        seed = sodium_malloc(PB_KEY_SEED_BYTES);
        if (!seed)
                return PB_ERR_NOMEM;
        randombytes_buf(seed, PB_KEY_SEED_BYTES);
        randombytes_buf(salt, sizeof(salt));
        randombytes_buf(nonce, sizeof(nonce));
        pb_buf_init(&text, PB_KEYFILE_MAX_BYTES);
        r = pb_keyfile_format(role, name, seed, pass, pass_len, kdf, salt, nonce, flags, &text, reterr);
        if (r >= 0)
                r = write_new_file(path, text.data, text.len, reterr);
        if (r >= 0 && ret_info)
                r = pb_keyfile_parse(text.data, text.len, ret_info, reterr);
        if (text.data)
                sodium_memzero(text.data, text.cap);
        pb_buf_release(&text);
        sodium_free(seed);
        return r;
}
