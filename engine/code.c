/**
 * @file Voter codes: Crockford base32, a check symbol of the same 32 symbols (GF(32)), forgiving
 * input, keyed hashes; the mod-37 check of codes issued before issue 13 is still read.
 */
#include "engine/pb_code.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

/* Crockford's 32 symbols; the legacy mod-37 check symbol (codes issued before issue 13) adds
 * *~$=U for 32-36 and is read, never written. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

#define SYMBOL_BITS 5     /* bits of one data symbol */
#define DATA_SYMBOLS 32   /* 2^SYMBOL_BITS: the first 32 of the alphabet */
#define CHECK_MODULUS 37  /* the legacy check symbol: the whole alphabet, a prime above DATA_SYMBOLS */
#define GF32_POLY 0x25    /* x^5 + x^2 + 1, primitive: x generates all 31 non-zero elements of GF(32) */
#define CODE_BYTES_STEP 5 /* code lengths in bytes: 8 * 5 bits are whole symbols (gcd(8, 5) = 1) */
static const char code_length_rule[] =
        "code length must be " PB_STRINGIFY(PB_CODE_MIN_BYTES) "-" PB_STRINGIFY(
                PB_CODE_MAX_BYTES) " bytes, a multiple of " PB_STRINGIFY(CODE_BYTES_STEP);

/* Value of one typed character: 0-31 for a data symbol, 32-36 for a check-only symbol, -1 for a
 * separator, -2 for a character that cannot be in a code.  Crockford's decoding rules. */
static int symbol_value(unsigned char c)
{
        const char *p;

        if (c == '-' || c == ' ')
                return -1;
        if (c >= 'a' && c <= 'z')
                c = (unsigned char)(c - 'a' + 'A');
        if (c == 'O')
                c = '0';
        else if (c == 'I' || c == 'L')
                c = '1';
        if (c == 0)
                return -2;
        p = strchr(alphabet, c);
        return p ? (int)(p - alphabet) : -2;
}

/* @x times the generator x in GF(32) = GF(2)[x] / GF32_POLY. */
static unsigned gf32_times_x(unsigned v)
{
        v <<= 1;
        return (v & DATA_SYMBOLS) ? (v ^ GF32_POLY) : v;
}

/*
 * The check symbol of @v[0..n): the symbols as the coefficients of a polynomial over GF(32),
 * most significant first, evaluated at x and times x once more (Horner), so that appending the
 * check symbol c gives x * (value) + c = 0.  A single wrong symbol adds e * x^k with e != 0, which
 * is never zero; swapping two different symbols a, b that are d places apart adds
 * (a + b)(x^d + 1) x^k, which is zero only when x^d = 1, that is when d is a multiple of 31 (x has
 * order 31): every adjacent swap (d = 1) and every swap up to 30 places apart is caught.  This is
 * Damm's check over the quasigroup a * b = x a + b (docs/integrity.md §5).
 */
static unsigned check_value(const uint8_t *v, size_t n)
{
        unsigned m = 0;
        size_t i;

        for (i = 0; i < n; i++)
                m = gf32_times_x(m) ^ v[i];
        return gf32_times_x(m);
}

/* The legacy check: the number modulo CHECK_MODULUS of the symbol values @v[0..n) read as base
 * DATA_SYMBOLS, most significant first (Crockford's rule; codes issued before issue 13). */
static unsigned check_value_mod37(const uint8_t *v, size_t n)
{
        unsigned m = 0;
        size_t i;

        for (i = 0; i < n; i++)
                m = (m * DATA_SYMBOLS + v[i]) % CHECK_MODULUS;
        return m;
}

static bool nbytes_ok(size_t nbytes)
{
        return nbytes >= PB_CODE_MIN_BYTES && nbytes <= PB_CODE_MAX_BYTES && nbytes % CODE_BYTES_STEP == 0;
}

pb_err pb_code_from_bytes(const uint8_t *bytes, size_t nbytes, struct pb_code *ret, struct pb_diag *reterr)
{
        uint8_t v[PB_CODE_COMPACT_MAX];
        size_t nsym, i, bit;

        if (!nbytes_ok(nbytes))
                return pb_diag_set(reterr, PB_ERR_INVALID, "code", code_length_rule);
        nsym = nbytes * 8 / SYMBOL_BITS;
        for (i = 0, bit = 0; i < nsym; i++, bit += SYMBOL_BITS) {
                /* SYMBOL_BITS bits starting at bit offset @bit of the big-endian byte string */
                unsigned w = (unsigned)bytes[bit / 8] << 8 | (bit / 8 + 1 < nbytes ? bytes[bit / 8 + 1] : 0);
                v[i] = (uint8_t)((w >> (16 - SYMBOL_BITS - bit % 8)) & (DATA_SYMBOLS - 1));
        }
        memset(ret, 0, sizeof(*ret));
        for (i = 0; i < nsym; i++)
                ret->text[i] = alphabet[v[i]];
        ret->text[nsym] = alphabet[check_value(v, nsym)];
        ret->len = nsym + 1;
        sodium_memzero(v, sizeof(v));
        return PB_OK;
}

/* Read a typed code; @legacy: the mod-37 check, whose *~$=U may stand last (else the GF(32) one). */
static pb_err parse(const char *s, size_t len, size_t nbytes, bool legacy, struct pb_code *ret,
                    struct pb_diag *reterr)
{
        uint8_t v[PB_CODE_COMPACT_MAX + 1];
        size_t n = 0, want, i;
        pb_err r = PB_OK;

        if (!nbytes_ok(nbytes))
                return pb_diag_set(reterr, PB_ERR_INVALID, "code", code_length_rule);
        want = nbytes * 8 / SYMBOL_BITS + 1;
        for (i = 0; i < len; i++) {
                int x = symbol_value((unsigned char)s[i]);

                if (x == -1)
                        continue;
                /* a check-only symbol of the legacy alphabet cannot be in a code of today's */
                if (x == -2 || (!legacy && x >= DATA_SYMBOLS)) {
                        r = pb_diag_at(reterr, PB_ERR_PARSE, 0, (unsigned)(i < 100000 ? i + 1 : 0), "code",
                                       "character that cannot be part of a voter code");
                        goto out;
                }
                if (n == want) {
                        r = pb_diag_set(reterr, PB_ERR_PARSE, "code", "too many characters for a voter code");
                        goto out;
                }
                v[n++] = (uint8_t)x;
        }
        if (n != want) {
                r = pb_diag_set(reterr, PB_ERR_PARSE, "code", "too few characters for a voter code");
                goto out;
        }
        for (i = 0; i + 1 < n; i++)
                if (v[i] >= DATA_SYMBOLS) {
                        r = pb_diag_set(reterr, PB_ERR_PARSE, "code",
                                        "*, ~, $, = and U may only be the last (check) character");
                        goto out;
                }
        if ((legacy ? check_value_mod37(v, n - 1) : check_value(v, n - 1)) != v[n - 1]) {
                r = pb_diag_set(reterr, PB_ERR_INVALID, "code",
                                "check character does not match: a character was mistyped");
                goto out;
        }
        memset(ret, 0, sizeof(*ret));
        for (i = 0; i < n; i++)
                ret->text[i] = alphabet[v[i]];
        ret->len = n;
out:
        sodium_memzero(v, sizeof(v));
        return r;
}

pb_err pb_code_parse(const char *s, size_t len, size_t nbytes, struct pb_code *ret, struct pb_diag *reterr)
{
        return parse(s, len, nbytes, false, ret, reterr);
}

pb_err pb_code_parse_mod37(const char *s, size_t len, size_t nbytes, struct pb_code *ret,
                           struct pb_diag *reterr)
{
        return parse(s, len, nbytes, true, ret, reterr);
}

size_t pb_code_print(const struct pb_code *c, char *out, size_t cap)
{
        size_t i, o = 0, data = c->len ? c->len - 1 : 0;
        size_t need = c->len + (data + 3) / 4 + 1; /* one dash per group of data symbols, then NUL */

        if (c->len < 2 || cap < need)
                return 0;
        for (i = 0; i < data; i++) {
                if (i && i % 4 == 0)
                        out[o++] = '-';
                out[o++] = c->text[i];
        }
        out[o++] = '-';
        out[o++] = c->text[data];
        out[o] = '\0';
        return o;
}

void pb_code_hash(const struct pb_code *c, const uint8_t key[PB_CODE_KEY_BYTES],
                  uint8_t ret_hash[PB_CODE_HASH_BYTES])
{
        uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = { 0 };

        memcpy(personal, PB_CODE_HASH_PERSONAL, sizeof(PB_CODE_HASH_PERSONAL) - 1);
        crypto_generichash_blake2b_salt_personal(ret_hash, PB_CODE_HASH_BYTES, (const uint8_t *)c->text,
                                                 c->len, key, PB_CODE_KEY_BYTES, NULL, personal);
}

void pb_code_wipe(struct pb_code *c)
{
        if (c)
                sodium_memzero(c, sizeof(*c));
}

void pb_code_short(const uint8_t commitment[PB_CVR_HASH_BYTES], char out[PB_CODE_SHORT_LEN + 1])
{
        size_t i, bit;

        for (i = 0, bit = 0; i < PB_CODE_SHORT_LEN; i++, bit += SYMBOL_BITS) {
                unsigned w = (unsigned)commitment[bit / 8] << 8 | commitment[bit / 8 + 1];
                out[i] = alphabet[(w >> (16 - SYMBOL_BITS - bit % 8)) & (DATA_SYMBOLS - 1)];
        }
        out[PB_CODE_SHORT_LEN] = '\0';
}

pb_err pb_code_short_parse(const char *s, size_t len, char ret[PB_CODE_SHORT_LEN + 1],
                           uint8_t ret_prefix[PB_CODE_SHORT_PREFIX_BYTES], struct pb_diag *reterr)
{
        uint8_t prefix[PB_CODE_SHORT_PREFIX_BYTES] = { 0 };
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                int x = symbol_value((unsigned char)s[i]);

                if (x == -1)
                        continue;
                if (x < 0 || x >= DATA_SYMBOLS)
                        return pb_diag_at(reterr, PB_ERR_PARSE, 0, (unsigned)(i < 100000 ? i + 1 : 0),
                                          "short_code", "character that cannot be part of a short code");
                if (n == PB_CODE_SHORT_LEN)
                        return pb_diag_set(reterr, PB_ERR_PARSE, "short_code",
                                           "too many characters for a short code");
                /* symbol n holds bits 5n .. 5n+4 of the commitment, most significant first */
                for (int b = 0; b < SYMBOL_BITS; b++) {
                        size_t bit = n * SYMBOL_BITS + (size_t)b;

                        if (x & (1 << (SYMBOL_BITS - 1 - b)))
                                prefix[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
                }
                ret[n++] = alphabet[x];
        }
        if (n < PB_CODE_SHORT_LEN)
                return pb_diag_set(reterr, PB_ERR_PARSE, "short_code", "too few characters for a short code");
        ret[n] = '\0';
        memcpy(ret_prefix, prefix, sizeof(prefix));
        return PB_OK;
}
