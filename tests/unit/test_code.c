/**
 * @file Unit tests for voter codes.  Expected codes, check symbols and hashes were computed
 * independently with Python (base64.b32encode translated to Crockford's alphabet; the check
 * symbol as the sum of each symbol times a power of x computed by carry-less multiplication
 * modulo x^5 + x^2 + 1, not by Horner's rule as engine/code.c does; the legacy mod-37 symbols by
 * integer arithmetic; hashlib.blake2b with key and person), not with this code.
 */
#include <sodium.h>

#include "check.h"
#include "engine/pb_code.h"

struct vec {
        const char *hex, *code;
};

static const struct vec vecs[] = {
        { "00000000000000000000", "00000000000000000" },
        { "ffffffffffffffffffff", "ZZZZZZZZZZZZZZZZM" },
        { "0102030405060708090a", "041061050R3GG28AB" },
        { "0123456789abcdef0123", "04HMASW9NF6YY093X" },
        { "6465666768696a6b6c6d6e6f707172", "CHJPCSV8D5N6PV3DDSQQ0WBJ9" },
};

/* The same bytes as codes issued before issue 13, with Crockford's mod-37 check symbol. */
static const struct vec legacy_vecs[] = {
        { "00000000000000000000", "00000000000000000" },
        { "ffffffffffffffffffff", "ZZZZZZZZZZZZZZZZ~" },
        { "0102030405060708090a", "041061050R3GG28AZ" },
        { "0123456789abcdef0123", "04HMASW9NF6YY093B" },
        { "6465666768696a6b6c6d6e6f707172", "CHJPCSV8D5N6PV3DDSQQ0WBJ7" },
};

static void unhex(const char *s, uint8_t *out, size_t n)
{
        size_t len;

        CHECK(sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) == 0 && len == n);
}

static void test_vectors(void)
{
        struct pb_code c, p;
        uint8_t b[40];
        char printed[PB_CODE_PRINT_MAX];

        for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
                size_t n = strlen(vecs[i].hex) / 2;

                unhex(vecs[i].hex, b, n);
                CHECK_INT(pb_code_from_bytes(b, n, &c, NULL), PB_OK);
                CHECK_STR(c.text, vecs[i].code);
                CHECK_INT(c.len, strlen(vecs[i].code));
                CHECK_INT(pb_code_parse(vecs[i].code, strlen(vecs[i].code), n, &p, NULL), PB_OK);
                CHECK_STR(p.text, vecs[i].code);
                CHECK(pb_code_print(&c, printed, sizeof(printed)) > 0);
                CHECK_INT(pb_code_parse(printed, strlen(printed), n, &p, NULL), PB_OK);
                CHECK_STR(p.text, vecs[i].code);
        }
        unhex("0102030405060708090a", b, 10);
        CHECK_INT(pb_code_from_bytes(b, 10, &c, NULL), PB_OK);
        CHECK_INT(pb_code_print(&c, printed, sizeof(printed)), 21);
        CHECK_STR(printed, "0410-6105-0R3G-G28A-B");
        CHECK_INT(pb_code_print(&c, printed, 21), 0); /* no room for the NUL */
        unhex("6465666768696a6b6c6d6e6f707172", b, 15);
        CHECK_INT(pb_code_from_bytes(b, 15, &c, NULL), PB_OK);
        CHECK(pb_code_print(&c, printed, sizeof(printed)) > 0);
        CHECK_STR(printed, "CHJP-CSV8-D5N6-PV3D-DSQQ-0WBJ-9");
        /* lengths that are not whole symbols or below 80 bits */
        CHECK_INT(pb_code_from_bytes(b, 9, &c, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_code_from_bytes(b, 11, &c, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_code_from_bytes(b, 45, &c, NULL), PB_ERR_INVALID);
}

static void test_design_example(void)
{
        struct pb_code c;
        struct pb_diag d;

        /* DESIGN.md's illustration "7Q2M-K9XD-3RTB-H8VW-4": the check of 7Q2MK9XD3RTBH8VW is 2 (and
         * its legacy mod-37 check was G) */
        CHECK_INT(pb_code_parse("7Q2M-K9XD-3RTB-H8VW-4", 21, PB_CODE_BYTES, &c, &d), PB_ERR_INVALID);
        CHECK_STR(d.reason, "check character does not match: a character was mistyped");
        CHECK_STR(d.subject, ""); /* the code never appears in a diagnostic */
        CHECK_INT(pb_code_parse("7Q2M-K9XD-3RTB-H8VW-2", 21, PB_CODE_BYTES, &c, &d), PB_OK);
        CHECK_STR(c.text, "7Q2MK9XD3RTBH8VW2");
        CHECK_INT(pb_code_parse("7Q2M-K9XD-3RTB-H8VW-G", 21, PB_CODE_BYTES, &c, &d), PB_ERR_INVALID);
        CHECK_INT(pb_code_parse_mod37("7Q2M-K9XD-3RTB-H8VW-G", 21, PB_CODE_BYTES, &c, &d), PB_OK);
        CHECK_STR(c.text, "7Q2MK9XD3RTBH8VWG");
}

static void test_forgiving(void)
{
        struct pb_code c;
        struct pb_diag d;
        const char *same[] = {
                "041061050R3GG28AB",     "0410-6105-0R3G-G28A-B",      "o4io 61o5 or3g g28a b",
                "O4LO-6IO5-OR3G-G28A-B", "  0410 - 6105-0r3g-g28a-b ", "0-4-1-0-6-1-0-5-0-R-3-G-G-2-8-A-B",
        };

        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
                CHECK_INT(pb_code_parse(same[i], strlen(same[i]), 10, &c, &d), PB_OK);
                CHECK_STR(c.text, "041061050R3GG28AB");
        }
        /* *~$=U are in no code of today's, in any place, and named by their position */
        CHECK_INT(pb_code_parse("ZZZZ-ZZZZ-ZZZZ-ZZZZ-~", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 21);
        CHECK_STR(d.reason, "character that cannot be part of a voter code");
        CHECK_INT(pb_code_parse("ZZZZ-ZZZZ-ZZZZ-ZZZZ-u", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("UZZZ-ZZZZ-ZZZZ-ZZZZ-M", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 1);
        /* legacy codes: *~$=U only in the last place, and u reads as U */
        CHECK_INT(pb_code_parse_mod37("ZZZZ-ZZZZ-ZZZZ-ZZZZ-~", 21, 10, &c, &d), PB_OK);
        CHECK_INT(pb_code_parse_mod37("ZZZZ-ZZZZ-ZZZZ-ZZZ~-Z", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse_mod37("UZZZ-ZZZZ-ZZZZ-ZZZZ-~", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse_mod37("o4io 61o5 or3g g28a z", 21, 10, &c, &d), PB_OK);
        CHECK_STR(c.text, "041061050R3GG28AZ");
        /* a character that cannot be in a code, and where it is */
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G2#A-B", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 18);
        CHECK_STR(d.subject, "");
        CHECK_INT(pb_code_parse("0410_6105", 9, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("0410\x00"
                                "6105",
                                9, 10, &c, &d),
                  PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("0410\xc3\xa9", 6, 10, &c, &d), PB_ERR_PARSE);
        /* too short, too long, empty */
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G28A", 19, 10, &c, &d), PB_ERR_PARSE);
        CHECK_STR(d.reason, "too few characters for a voter code");
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G28A-BB", 22, 10, &c, &d), PB_ERR_PARSE);
        CHECK_STR(d.reason, "too many characters for a voter code");
        CHECK_INT(pb_code_parse("", 0, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("---", 3, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("0410", 4, 7, &c, &d), PB_ERR_INVALID);
}

/* Every issued code is letters and digits only, and every one of the 32 appears as a check symbol
 * (the mod-37 check wrote *~$=U for about 1 code in 7.4). */
static void test_letters_and_digits(void)
{
        static const char allowed[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        unsigned seen[32] = { 0 };
        struct pb_code c, p;
        uint8_t b[40];

        for (unsigned round = 0; round < 20000; round++) {
                size_t n = 10 + 5 * (round % 7); /* 10, 15, ... 40 bytes */
                const char *check;

                randombytes_buf(b, n);
                CHECK_INT(pb_code_from_bytes(b, n, &c, NULL), PB_OK);
                CHECK_INT(c.len, n * 8 / 5 + 1);
                for (size_t i = 0; i < c.len; i++)
                        CHECK(c.text[i] && strchr(allowed, c.text[i]) != NULL);
                check = strchr(allowed, c.text[c.len - 1]);
                if (check)
                        seen[check - allowed]++;
                CHECK_INT(pb_code_parse(c.text, c.len, n, &p, NULL), PB_OK);
                CHECK_STR(p.text, c.text);
        }
        for (int s = 0; s < 32; s++)
                CHECK(seen[s] > 0);
}

/* Does reading @t (a code of @n bytes with one mistake) report the check? */
static bool caught(const char *t, size_t len, size_t n)
{
        struct pb_code p;
        struct pb_diag d;

        return pb_code_parse(t, len, n, &p, &d) == PB_ERR_INVALID &&
               !strcmp(d.reason, "check character does not match: a character was mistyped");
}

/*
 * The check catches every single substitution (in every place, the check symbol's too, by each of
 * the 31 other symbols) and every swap of two adjacent different symbols (the check symbol's with
 * the last data symbol too), in codes of every length; and every swap up to 30 places apart.
 * Exhaustive over the places and symbols of 300 random codes of each length.
 */
static void test_check_catches_typos(void)
{
        static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        unsigned long tried = 0, missed = 0;
        struct pb_code c;
        uint8_t b[40];
        char t[PB_CODE_COMPACT_MAX + 1];

        for (int round = 0; round < 300 * 7; round++) {
                size_t n = 10 + 5 * (size_t)(round % 7);

                randombytes_buf(b, n);
                CHECK_INT(pb_code_from_bytes(b, n, &c, NULL), PB_OK);
                for (size_t pos = 0; pos < c.len; pos++) {
                        for (int s = 0; s < 32; s++) {
                                if (alphabet[s] == c.text[pos])
                                        continue;
                                memcpy(t, c.text, c.len + 1);
                                t[pos] = alphabet[s];
                                tried++;
                                missed += !caught(t, c.len, n);
                        }
                        for (size_t d = 1; d <= 30 && pos + d < c.len; d++) {
                                if (c.text[pos] == c.text[pos + d])
                                        continue;
                                memcpy(t, c.text, c.len + 1);
                                t[pos] = c.text[pos + d];
                                t[pos + d] = c.text[pos];
                                tried++;
                                missed += !caught(t, c.len, n);
                        }
                }
        }
        CHECK(tried > 3000000);
        CHECK_INT(missed, 0);
}

/* Legacy codes read with their mod-37 check, and hash as they did when issued; today's reader
 * refuses them (a wrong check symbol, or a character that cannot be in a code). */
static void test_legacy(void)
{
        struct pb_code c;
        uint8_t key[32], h[32], want[32];

        for (size_t i = 0; i < sizeof(legacy_vecs) / sizeof(legacy_vecs[0]); i++) {
                const char *code = legacy_vecs[i].code;
                size_t n = strlen(legacy_vecs[i].hex) / 2;

                CHECK_INT(pb_code_parse_mod37(code, strlen(code), n, &c, NULL), PB_OK);
                CHECK_STR(c.text, code);
                if (strcmp(code, vecs[i].code))
                        CHECK(pb_code_parse(code, strlen(code), n, &c, NULL) < 0);
        }
        /* a legacy reader still catches a mistyped legacy code */
        CHECK_INT(pb_code_parse_mod37("0410-6105-0R3G-G28A-B", 21, 10, &c, NULL), PB_ERR_INVALID);
        for (int i = 0; i < 32; i++)
                key[i] = (uint8_t)i;
        CHECK_INT(pb_code_parse_mod37("0410-6105-0R3G-G28A-Z", 21, 10, &c, NULL), PB_OK);
        pb_code_hash(&c, key, h);
        unhex("7190df8d20d0e8ea3a8ba26095fa1e182c0f3b2ed177e7bb72b79382e068aed0", want, 32);
        CHECK(!memcmp(h, want, 32));
}

static void test_hash(void)
{
        struct pb_code c;
        uint8_t key[32], h[32], h2[32], want[32];

        for (int i = 0; i < 32; i++)
                key[i] = (uint8_t)i;
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G28A-B", 21, 10, &c, NULL), PB_OK);
        pb_code_hash(&c, key, h);
        unhex("3396e9360a2fa46a9ee86da04833e42115a84a2e16a44c7f1249314e7a89b930", want, 32);
        CHECK(!memcmp(h, want, 32));
        /* the same code typed differently hashes the same */
        CHECK_INT(pb_code_parse("o4io 61o5 or3g g28a b", 21, 10, &c, NULL), PB_OK);
        pb_code_hash(&c, key, h2);
        CHECK(!memcmp(h, h2, 32));
        CHECK_INT(pb_code_parse("0000-0000-0000-0000-0", 21, 10, &c, NULL), PB_OK);
        pb_code_hash(&c, key, h);
        unhex("9d98c09f4c77064ce5315bb421fbaa619c55189f06ff61da58e7dc5162c7714f", want, 32);
        CHECK(!memcmp(h, want, 32));
        /* another election's key gives another hash */
        key[0] ^= 1;
        pb_code_hash(&c, key, h2);
        CHECK(memcmp(h, h2, 32) != 0);
        pb_code_wipe(&c);
        CHECK_INT(c.len, 0);
        CHECK_STR(c.text, "");
}

static void test_short(void)
{
        uint8_t h[32];
        char s[PB_CODE_SHORT_LEN + 1];

        crypto_hash_sha256(h, (const uint8_t *)"abc", 3);
        pb_code_short(h, s);
        CHECK_STR(s, "Q9W1DFWF07");
}

/* A short code read back: the 50 bits of the commitment it names (SHA-256("abc") begins
 * ba 78 16 bf 8f 01 cf: the 50 bits are ba 78 16 bf 8f 01 and the top two of cf), as typed. */
static void test_short_parse(void)
{
        static const uint8_t want[PB_CODE_SHORT_PREFIX_BYTES] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xc0 };
        const char *same[] = { "Q9W1DFWF07", "q9w1dfwf07", "Q9W1D-FWF07", "q9wl dfwf o7", "Q9WI-DFWF-O7" };
        uint8_t prefix[PB_CODE_SHORT_PREFIX_BYTES], h[32];
        char s[PB_CODE_SHORT_LEN + 1], again[PB_CODE_SHORT_LEN + 1];
        struct pb_diag d;

        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
                memset(prefix, 0xee, sizeof(prefix));
                CHECK_INT(pb_code_short_parse(same[i], strlen(same[i]), s, prefix, &d), PB_OK);
                CHECK_STR(s, "Q9W1DFWF07");
                CHECK(!memcmp(prefix, want, sizeof(want)));
        }
        /* every commitment's short code reads back to its first 50 bits */
        for (int round = 0; round < 1000; round++) {
                randombytes_buf(h, sizeof(h));
                pb_code_short(h, s);
                CHECK_INT(pb_code_short_parse(s, strlen(s), again, prefix, NULL), PB_OK);
                CHECK_STR(again, s);
                CHECK(!memcmp(prefix, h, 6) && prefix[6] == (h[6] & 0xc0));
        }
        CHECK_INT(pb_code_short_parse("Q9W1DFWF0", 9, s, prefix, &d), PB_ERR_PARSE);
        CHECK_STR(d.reason, "too few characters for a short code");
        CHECK_INT(pb_code_short_parse("Q9W1DFWF077", 11, s, prefix, &d), PB_ERR_PARSE);
        CHECK_STR(d.reason, "too many characters for a short code");
        CHECK_INT(pb_code_short_parse("Q9W1DFWFU7", 10, s, prefix, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 9);
        CHECK_INT(pb_code_short_parse("Q9W1*FWF07", 10, s, prefix, &d), PB_ERR_PARSE);
        CHECK_INT(d.col, 5);
        CHECK_INT(pb_code_short_parse("", 0, s, prefix, &d), PB_ERR_PARSE);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_vectors);
        RUN(test_design_example);
        RUN(test_forgiving);
        RUN(test_letters_and_digits);
        RUN(test_check_catches_typos);
        RUN(test_legacy);
        RUN(test_hash);
        RUN(test_short);
        RUN(test_short_parse);
        return check_summary("code");
}
