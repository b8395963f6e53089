/** @file Ed25519 keys, C2SP key names, key IDs and verifier keys. */
#include "engine/pb_key.h"

#include <sodium.h>
#include <string.h>

#include "engine/pb_b64.h"
#include "engine/pb_canon.h"

/* Decode one UTF-8 sequence at @s[*i] (already validated); advance *i. */
static uint32_t next_cp(const unsigned char *s, size_t *i)
{
        uint32_t c = s[*i];
        size_t n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3, k;

        if (n)
                c &= 0x3fu >> n;
        for (k = 1; k <= n; k++)
                c = (c << 6) | (s[*i + k] & 0x3fu);
        *i += n + 1;
        return c;
}

/* Unicode White_Space plus the Latin-1 spaces: the set Go's unicode.IsSpace accepts. */
static bool is_space(uint32_t c)
{
        return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
               (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
               c == 0x3000;
}

bool pb_key_name_is_valid(const char *s, size_t len)
{
        size_t i = 0;

        if (len == 0 || !pb_utf8_valid(s, len) || memchr(s, '\0', len))
                return false;
        while (i < len) {
                uint32_t c = next_cp((const unsigned char *)s, &i);
                if (c == '+' || is_space(c))
                        return false;
        }
        return true;
}

uint32_t pb_key_id(const char *name, size_t name_len, uint8_t type, const uint8_t *pk, size_t pk_len)
{
        crypto_hash_sha256_state st;
        uint8_t h[crypto_hash_sha256_BYTES];
        const uint8_t nl = 0x0a;

        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
        crypto_hash_sha256_update(&st, &nl, 1);
        crypto_hash_sha256_update(&st, &type, 1);
        crypto_hash_sha256_update(&st, pk, pk_len);
        crypto_hash_sha256_final(&st, h);
        return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | (uint32_t)h[3];
}

static pb_err check_name(const char *name, size_t *ret_len, struct pb_diag *reterr)
{
        size_t n = strlen(name);

        if (n > PB_KEY_NAME_MAX)
                return pb_diag_set(reterr, PB_ERR_INVALID, "key name",
                                   "key name longer than " PB_STRINGIFY(PB_KEY_NAME_MAX) " bytes");
        if (!pb_key_name_is_valid(name, n))
                return pb_diag_set(reterr, PB_ERR_INVALID, "key name",
                                   "key name must be non-empty UTF-8 without spaces or '+'");
        *ret_len = n;
        return PB_OK;
}

pb_err pb_key_public_init(struct pb_key_public *ret, const char *name, const uint8_t pk[PB_KEY_PUBLIC_BYTES],
                          struct pb_diag *reterr)
{
        size_t n = 0; /* gcc 12 -O3 cannot see that check_name() sets it whenever it returns PB_OK */
        pb_err r = check_name(name, &n, reterr);

        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->name, name, n);
        memcpy(ret->pk, pk, PB_KEY_PUBLIC_BYTES);
        ret->id = pb_key_id(name, n, PB_KEY_TYPE_ED25519, pk, PB_KEY_PUBLIC_BYTES);
        return PB_OK;
}

pb_err pb_key_secret_from_seed(struct pb_key_secret *ret, const char *name,
                               const uint8_t seed[PB_KEY_SEED_BYTES], struct pb_diag *reterr)
{
        uint8_t pk[PB_KEY_PUBLIC_BYTES];
        size_t n = 0;
        pb_err r = check_name(name, &n, reterr);

        if (r < 0)
                return r;
        /* Cannot fail for a 32-byte seed; the return value is checked to be safe anyway. */
        if (crypto_sign_seed_keypair(pk, ret->sk, seed) != 0)
                return pb_diag_set(reterr, PB_ERR_INTERNAL, NULL, "key derivation failed");
        return pb_key_public_init(&ret->pub, name, pk, reterr);
}

void pb_key_secret_wipe(struct pb_key_secret *k)
{
        if (k)
                sodium_memzero(k, sizeof(*k));
}

void pb_key_sign(const struct pb_key_secret *k, const uint8_t *msg, size_t len,
                 uint8_t ret_sig[PB_KEY_SIG_BYTES])
{
        crypto_sign_detached(ret_sig, NULL, msg, len, k->sk);
}

bool pb_key_verify(const struct pb_key_public *k, const uint8_t *msg, size_t len,
                   const uint8_t sig[PB_KEY_SIG_BYTES])
{
        return crypto_sign_verify_detached(sig, msg, len, k->pk) == 0;
}

bool pb_key_equal(const struct pb_key_public *a, const struct pb_key_public *b)
{
        return !strcmp(a->name, b->name) && !memcmp(a->pk, b->pk, PB_KEY_PUBLIC_BYTES);
}

pb_err pb_key_keyid_format(const struct pb_key_public *k, struct pb_buf *out)
{
        return pb_buf_addf(out, "%s+%08lx", k->name, (unsigned long)k->id);
}

pb_err pb_key_vkey_format(const struct pb_key_public *k, struct pb_buf *out)
{
        uint8_t typed[1 + PB_KEY_PUBLIC_BYTES];
        size_t old = out->len;
        pb_err r;

        typed[0] = PB_KEY_TYPE_ED25519;
        memcpy(typed + 1, k->pk, PB_KEY_PUBLIC_BYTES);
        r = pb_key_keyid_format(k, out);
        if (r >= 0)
                r = pb_buf_addc(out, '+');
        if (r >= 0)
                r = pb_b64_encode(out, typed, sizeof(typed));
        if (r < 0) {
                out->len = old;
                if (out->data)
                        out->data[old] = '\0';
        }
        return r;
}

static const char key_id_rule[] = "key ID must be " PB_STRINGIFY(PB_KEY_ID_HEX_LEN) " lowercase hex digits";

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

pb_err pb_key_vkey_parse(const char *s, size_t len, struct pb_key_public *ret, struct pb_diag *reterr)
{
        const char *p1, *p2;
        uint8_t typed[1 + PB_KEY_PUBLIC_BYTES];
        struct pb_key_public k;
        size_t name_len, i;
        uint32_t id = 0;

        p1 = memchr(s, '+', len);
        if (!p1)
                return pb_diag_set(reterr, PB_ERR_PARSE, "verifier key", "expected NAME+KEYID+KEY");
        name_len = (size_t)(p1 - s);
        if (name_len > PB_KEY_NAME_MAX || !pb_key_name_is_valid(s, name_len))
                return pb_diag_set(reterr, PB_ERR_PARSE, "verifier key", "invalid key name");
        p2 = memchr(p1 + 1, '+', len - name_len - 1);
        if (!p2 || p2 - p1 - 1 != PB_KEY_ID_HEX_LEN)
                return pb_diag_set(reterr, PB_ERR_PARSE, "verifier key", key_id_rule);
        for (i = 0; i < PB_KEY_ID_HEX_LEN; i++) {
                int v = hexval(p1[1 + i]);
                if (v < 0)
                        return pb_diag_set(reterr, PB_ERR_PARSE, "verifier key", key_id_rule);
                id = id << 4 | (uint32_t)v;
        }
        if (pb_b64_decode_exact(p2 + 1, len - (size_t)(p2 + 1 - s), typed, sizeof(typed)) < 0)
                return pb_diag_set(reterr, PB_ERR_PARSE, "verifier key",
                                   "key must be the base64 of a type byte and a " PB_STRINGIFY(
                                           PB_KEY_PUBLIC_BYTES) "-byte key");
        if (typed[0] != PB_KEY_TYPE_ED25519)
                return pb_diag_set(reterr, PB_ERR_UNSUPPORTED, "verifier key",
                                   "not an Ed25519 key (type 0x01)");
        memset(&k, 0, sizeof(k));
        memcpy(k.name, s, name_len);
        memcpy(k.pk, typed + 1, PB_KEY_PUBLIC_BYTES);
        k.id = pb_key_id(k.name, name_len, PB_KEY_TYPE_ED25519, k.pk, PB_KEY_PUBLIC_BYTES);
        if (k.id != id)
                return pb_diag_set(reterr, PB_ERR_INVALID, "verifier key",
                                   "key ID does not match name and key");
        *ret = k;
        return PB_OK;
}
