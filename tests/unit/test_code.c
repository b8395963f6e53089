/**
 * @file Unit tests for voter codes.  Expected codes, check symbols and hashes were computed
 * independently with Python (integer arithmetic, base64.b32encode translated to Crockford's
 * alphabet, hashlib.blake2b with key and person), not with this code.
 */
#include <sodium.h>

#include "check.h"
#include "engine/pb_code.h"

struct vec {
        const char *hex, *code;
};

static const struct vec vecs[] = {
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
        CHECK_STR(printed, "0410-6105-0R3G-G28A-Z");
        CHECK_INT(pb_code_print(&c, printed, 21), 0); /* no room for the NUL */
        unhex("6465666768696a6b6c6d6e6f707172", b, 15);
        CHECK_INT(pb_code_from_bytes(b, 15, &c, NULL), PB_OK);
        CHECK(pb_code_print(&c, printed, sizeof(printed)) > 0);
        CHECK_STR(printed, "CHJP-CSV8-D5N6-PV3D-DSQQ-0WBJ-7");
        /* lengths that are not whole symbols or below 80 bits */
        CHECK_INT(pb_code_from_bytes(b, 9, &c, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_code_from_bytes(b, 11, &c, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_code_from_bytes(b, 45, &c, NULL), PB_ERR_INVALID);
}

static void test_design_example(void)
{
        struct pb_code c;
        struct pb_diag d;

        /* DESIGN.md's illustration "7Q2M-K9XD-3RTB-H8VW-4": the mod-37 check of 7Q2MK9XD3RTBH8VW is G */
        CHECK_INT(pb_code_parse("7Q2M-K9XD-3RTB-H8VW-4", 21, PB_CODE_BYTES, &c, &d), PB_ERR_INVALID);
        CHECK_STR(d.reason, "check character does not match: a character was mistyped");
        CHECK_STR(d.subject, ""); /* the code never appears in a diagnostic */
        CHECK_INT(pb_code_parse("7Q2M-K9XD-3RTB-H8VW-G", 21, PB_CODE_BYTES, &c, &d), PB_OK);
        CHECK_STR(c.text, "7Q2MK9XD3RTBH8VWG");
}

static void test_forgiving(void)
{
        struct pb_code c;
        struct pb_diag d;
        const char *same[] = {
                "041061050R3GG28AZ",     "0410-6105-0R3G-G28A-Z",      "o4io 61o5 or3g g28a z",
                "O4LO-6IO5-OR3G-G28A-Z", "  0410 - 6105-0r3g-g28a-z ", "0-4-1-0-6-1-0-5-0-R-3-G-G-2-8-A-Z",
        };

        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
                CHECK_INT(pb_code_parse(same[i], strlen(same[i]), 10, &c, &d), PB_OK);
                CHECK_STR(c.text, "041061050R3GG28AZ");
        }
        /* the check symbols *~$=U only in the last place, and u reads as U */
        CHECK_INT(pb_code_parse("ZZZZ-ZZZZ-ZZZZ-ZZZZ-~", 21, 10, &c, &d), PB_OK);
        CHECK_INT(pb_code_parse("ZZZZ-ZZZZ-ZZZZ-ZZZ~-Z", 21, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("UZZZ-ZZZZ-ZZZZ-ZZZZ-~", 21, 10, &c, &d), PB_ERR_PARSE);
        /* a character that cannot be in a code, and where it is */
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G2#A-Z", 21, 10, &c, &d), PB_ERR_PARSE);
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
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G28A-ZZ", 22, 10, &c, &d), PB_ERR_PARSE);
        CHECK_STR(d.reason, "too many characters for a voter code");
        CHECK_INT(pb_code_parse("", 0, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("---", 3, 10, &c, &d), PB_ERR_PARSE);
        CHECK_INT(pb_code_parse("0410", 4, 7, &c, &d), PB_ERR_INVALID);
}

/* Mod 37 catches every single substitution and every adjacent transposition (37 is prime > 32). */
static void test_check_catches_typos(void)
{
        static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        struct pb_code c, p;
        uint8_t b[10];
        char t[32];
        unsigned caught = 0, tried = 0;

        for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 10; i++)
                        b[i] = (uint8_t)(round * 37 + i * 101 + 7);
                CHECK_INT(pb_code_from_bytes(b, 10, &c, NULL), PB_OK);
                for (size_t pos = 0; pos < 16; pos++) {
                        for (int s = 0; s < 32; s++) {
                                if (alphabet[s] == c.text[pos])
                                        continue;
                                memcpy(t, c.text, c.len + 1);
                                t[pos] = alphabet[s];
                                tried++;
                                caught += pb_code_parse(t, c.len, 10, &p, NULL) == PB_ERR_INVALID;
                        }
                        if (pos + 1 < 16 && c.text[pos] != c.text[pos + 1]) {
                                memcpy(t, c.text, c.len + 1);
                                t[pos] = c.text[pos + 1];
                                t[pos + 1] = c.text[pos];
                                tried++;
                                caught += pb_code_parse(t, c.len, 10, &p, NULL) == PB_ERR_INVALID;
                        }
                }
        }
        CHECK(tried > 9000);
        CHECK_INT(caught, tried);
}

static void test_hash(void)
{
        struct pb_code c;
        uint8_t key[32], h[32], h2[32], want[32];

        for (int i = 0; i < 32; i++)
                key[i] = (uint8_t)i;
        CHECK_INT(pb_code_parse("0410-6105-0R3G-G28A-Z", 21, 10, &c, NULL), PB_OK);
        pb_code_hash(&c, key, h);
        unhex("7190df8d20d0e8ea3a8ba26095fa1e182c0f3b2ed177e7bb72b79382e068aed0", want, 32);
        CHECK(!memcmp(h, want, 32));
        /* the same code typed differently hashes the same */
        CHECK_INT(pb_code_parse("o4io 61o5 or3g g28a z", 21, 10, &c, NULL), PB_OK);
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

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_vectors);
        RUN(test_design_example);
        RUN(test_forgiving);
        RUN(test_check_catches_typos);
        RUN(test_hash);
        RUN(test_short);
        return check_summary("code");
}
