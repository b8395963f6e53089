/**
 * @file Unit tests for strict base64: RFC 4648 §10 vectors, and one spelling per byte string
 * (every non-alphabet byte in every position refused, including the high bytes that libsodium
 * 1.0.18's decoder alone reads as '/').
 */
#include <sodium.h>
#include <stdbool.h>

#include "check.h"
#include "engine/pb_b64.h"

static void test_rfc4648(void)
{
        static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
        static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
        struct pb_buf b;
        uint8_t out[16];
        size_t n;

        pb_buf_init(&b, 0);
        for (int i = 0; i < 7; i++) {
                pb_buf_reset(&b);
                CHECK_INT(pb_b64_encode(&b, (const uint8_t *)plain[i], strlen(plain[i])), PB_OK);
                CHECK_STR(b.data, enc[i]);
                CHECK_INT(pb_b64_decode(enc[i], strlen(enc[i]), out, sizeof(out), &n), PB_OK);
                CHECK(n == strlen(plain[i]) && !memcmp(out, plain[i], n));
        }
        pb_buf_release(&b);
        CHECK_INT(pb_b64_decode("Zm9vYmFy", 8, out, 5, &n), PB_ERR_LIMIT);
        CHECK_INT(pb_b64_decode_exact("Zm9vYmFy", 8, out, 6), PB_OK);
        CHECK_INT(pb_b64_decode_exact("Zm9vYmE=", 8, out, 6), PB_ERR_PARSE);
}

static void test_one_spelling(void)
{
        static const char *const bad[] = {
                "Zg",   "Zg=",  "Zg===", "Zh==",   "Zm9=",  "Zm8",   "Z===",   "====",
                "=Zg=", "Zg=a", "Zm-_",  "Zm9v\n", " Zm8=", "Zm 8=", "Zm8=\0",
        };
        uint8_t out[16];
        size_t n;
        char s[4];
        int accepted = 0;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_INT(pb_b64_decode(bad[i], strlen(bad[i]) + (i == sizeof(bad) / sizeof(bad[0]) - 1), out,
                                        sizeof(out), &n),
                          PB_ERR_PARSE);
        /* every byte outside the alphabet, in every position of a 4-symbol group */
        for (int pos = 0; pos < 4; pos++)
                for (int c = 0; c < 256; c++) {
                        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                  (c >= '0' && c <= '9') || c == '+' || c == '/';
                        memcpy(s, "QUJD", 4);
                        s[pos] = (char)c;
                        if (pb_b64_decode(s, 4, out, sizeof(out), &n) == PB_OK) {
                                accepted++;
                                CHECK(ok);
                        }
                }
        CHECK_INT(accepted, 4 * 64);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_rfc4648);
        RUN(test_one_spelling);
        return check_summary("b64");
}
