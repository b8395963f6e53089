/** @file Strict standard base64 on top of libsodium's constant-time codec. */
#include "engine/pb_b64.h"

#include <sodium.h>
#include <stdbool.h>

pb_err pb_b64_encode(struct pb_buf *out, const uint8_t *p, size_t len)
{
        size_t n;
        pb_err r;

        if (len > (SIZE_MAX / 4 - 1) / 4 * 3)
                return PB_ERR_LIMIT;
        n = PB_B64_LEN(len);
        r = pb_buf_reserve(out, n); /* reserves n + 1: sodium writes the NUL */
        if (r < 0)
                return r;
        sodium_bin2base64(out->data + out->len, n + 1, p, len, sodium_base64_VARIANT_ORIGINAL);
        out->len += n;
        return PB_OK;
}

static bool in_alphabet(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
               c == '/';
}

pb_err pb_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *ret_len)
{
        size_t n = 0, need, i, data = len;

        if (len % 4 != 0)
                return PB_ERR_PARSE;
        /* Our own alphabet check first: libsodium 1.0.18's decoder compares the characters as signed
         * chars and reads every byte from 0x80 to 0xff as '/' (found by tests/fuzz/fuzz_note.c). */
        if (data && s[data - 1] == '=')
                data--;
        if (data && s[data - 1] == '=' && len - data == 1)
                data--;
        for (i = 0; i < data; i++)
                if (!in_alphabet(s[i]))
                        return PB_ERR_PARSE;
        need = len / 4 * 3;
        if (len >= 4 && s[len - 1] == '=')
                need--;
        if (len >= 4 && s[len - 2] == '=')
                need--;
        if (need > cap)
                return PB_ERR_LIMIT;
        /* No ignore set and no end pointer: libsodium then requires every byte to be consumed,
         * checks the padding and rejects non-zero leftover bits (a second spelling). */
        if (sodium_base642bin(out, cap, s, len, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
                return PB_ERR_PARSE;
        *ret_len = n;
        return PB_OK;
}

pb_err pb_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
        size_t n;
        pb_err r;

        if (len != PB_B64_LEN(want))
                return PB_ERR_PARSE;
        r = pb_b64_decode(s, len, out, want, &n);
        if (r < 0)
                return PB_ERR_PARSE;
        if (n != want)
                return PB_ERR_PARSE;
        return PB_OK;
}
