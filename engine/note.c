/** @file C2SP signed notes: signing and opening (after golang.org/x/mod/sumdb/note's Open). */
#include "engine/pb_note.h"

#include <string.h>

#include "engine/pb_b64.h"
#include "engine/pb_canon.h"

static const char sig_prefix[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4

/* Valid UTF-8 without control characters other than newline: the note's character rule. */
static bool note_chars_ok(const char *s, size_t len, size_t *ret_bad)
{
        size_t i;

        for (i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 && s[i] != '\n') {
                        *ret_bad = i;
                        return false;
                }
        *ret_bad = len;
        return pb_utf8_valid(s, len);
}

static unsigned line_of(const char *s, size_t off)
{
        unsigned line = 1;
        size_t i;

        for (i = 0; i < off; i++)
                line += s[i] == '\n';
        return line;
}

pb_err pb_note_sign(const char *text, size_t len, const struct pb_key_secret *const *keys, size_t nkeys,
                    struct pb_buf *out, struct pb_diag *reterr)
{
        uint8_t blob[4 + PB_KEY_SIG_BYTES];
        size_t old = out->len, bad, i;
        pb_err r;

        if (len == 0 || text[len - 1] != '\n')
                return pb_diag_set(reterr, PB_ERR_INVALID, "text", "note text must end with a newline");
        if (len > PB_NOTE_MAX_BYTES / 2)
                return pb_diag_set(reterr, PB_ERR_INVALID, "text", "note text too long");
        if (!note_chars_ok(text, len, &bad))
                return pb_diag_at(reterr, PB_ERR_INVALID, line_of(text, bad), 0, "text",
                                  "note text must be UTF-8 without control characters");
        if (nkeys == 0 || nkeys > PB_NOTE_MAX_SIGNERS)
                return pb_diag_set(reterr, PB_ERR_INVALID, "keys",
                                   "a note needs 1 to " PB_STRINGIFY(PB_NOTE_MAX_SIGNERS) " signers");
        r = pb_buf_add(out, text, len);
        if (r >= 0)
                r = pb_buf_addc(out, '\n');
        for (i = 0; r >= 0 && i < nkeys; i++) {
                const struct pb_key_public *k = &keys[i]->pub;

                blob[0] = (uint8_t)(k->id >> 24);
                blob[1] = (uint8_t)(k->id >> 16);
                blob[2] = (uint8_t)(k->id >> 8);
                blob[3] = (uint8_t)k->id;
                pb_key_sign(keys[i], (const uint8_t *)text, len, blob + 4);
                r = pb_buf_addf(out, "%s%s ", sig_prefix, k->name);
                if (r >= 0)
                        r = pb_b64_encode(out, blob, sizeof(blob));
                if (r >= 0)
                        r = pb_buf_addc(out, '\n');
        }
        if (r < 0) {
                out->len = old;
                if (out->data)
                        out->data[old] = '\0';
                return pb_diag_set(reterr, r, NULL, "cannot write the note");
        }
        return PB_OK;
}

/* The key among @keys named @name with key ID @id: its index, -1 if none, -2 if several. */
static int find_key(const struct pb_key_public *keys, size_t nkeys, const char *name, size_t name_len,
                    uint32_t id)
{
        int found = -1;
        size_t i;

        for (i = 0; i < nkeys; i++) {
                if (keys[i].id != id || strlen(keys[i].name) != name_len ||
                    memcmp(keys[i].name, name, name_len))
                        continue;
                if (found >= 0)
                        return -2;
                found = (int)i;
        }
        return found;
}

pb_err pb_note_open(const char *msg, size_t len, const struct pb_key_public *keys, size_t nkeys,
                    size_t *ret_text_len, bool *ret_verified, struct pb_diag *reterr)
{
        uint8_t blob[PB_NOTE_MAX_SIG_BYTES];
        bool verified[PB_NOTE_MAX_KEYS] = { false };
        size_t split, text_len, pos, bad, nsig = 0, nverified = 0;
        unsigned line;

        if (len > PB_NOTE_MAX_BYTES)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "note",
                                   "note larger than " PB_STRINGIFY(PB_NOTE_MAX_MIB) " MiB");
        if (nkeys > PB_NOTE_MAX_KEYS)
                return pb_diag_set(reterr, PB_ERR_INVALID, "keys",
                                   "more than " PB_STRINGIFY(PB_NOTE_MAX_KEYS) " trusted keys");
        if (!note_chars_ok(msg, len, &bad))
                return pb_diag_at(reterr, PB_ERR_PARSE, line_of(msg, bad), 0, "note",
                                  "not UTF-8, or a control character other than newline");
        /* The text ends at the last blank line; the signature block follows it. */
        for (split = len; split >= 2; split--)
                if (msg[split - 1] == '\n' && msg[split - 2] == '\n')
                        break;
        if (split < 2)
                return pb_diag_set(reterr, PB_ERR_PARSE, "note", "no blank line before the signatures");
        text_len = split - 1; /* the text keeps its final newline, not the blank line */
        if (split == len || msg[len - 1] != '\n')
                return pb_diag_at(reterr, PB_ERR_PARSE, line_of(msg, len), 0, "note",
                                  "signature lines must follow the blank line, each ending with a newline");
        line = line_of(msg, split);
        for (pos = split; pos < len; line++) {
                const char *l = msg + pos, *name, *b64, *sp;
                size_t l_len = (size_t)((const char *)memchr(l, '\n', len - pos) - l), name_len, b64_len, n;
                uint32_t id;
                int k;

                pos += l_len + 1;
                if (l_len < SIG_PREFIX_LEN || memcmp(l, sig_prefix, SIG_PREFIX_LEN))
                        return pb_diag_at(reterr, PB_ERR_PARSE, line, 0, "signature",
                                          "a signature line starts with an em dash and a space");
                name = l + SIG_PREFIX_LEN;
                sp = memchr(name, ' ', l_len - SIG_PREFIX_LEN);
                if (!sp)
                        return pb_diag_at(reterr, PB_ERR_PARSE, line, 0, "signature",
                                          "expected a key name, a space and a signature");
                name_len = (size_t)(sp - name);
                b64 = sp + 1;
                b64_len = l_len - SIG_PREFIX_LEN - name_len - 1;
                if (!pb_key_name_is_valid(name, name_len))
                        return pb_diag_at(reterr, PB_ERR_PARSE, line, 0, "signature", "invalid key name");
                if (b64_len == 0 || pb_b64_decode(b64, b64_len, blob, sizeof(blob), &n) < 0 || n < 5)
                        return pb_diag_at(reterr, PB_ERR_PARSE, line, 0, "signature",
                                          "signature must be base64 of a key ID and a signature");
                if (++nsig > PB_NOTE_MAX_SIGS)
                        return pb_diag_at(reterr, PB_ERR_PARSE, line, 0, "signature",
                                          "more than " PB_STRINGIFY(PB_NOTE_MAX_SIGS) " signatures");
                id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
                k = find_key(keys, nkeys, name, name_len, id);
                if (k == -2)
                        return pb_diag_at(reterr, PB_ERR_INVALID, line, 0, "keys",
                                          "two trusted keys share this name and key ID");
                if (k < 0 || verified[k])
                        continue; /* unknown key: ignored; repeated signature by one key: ignored */
                if (n != 4 + PB_KEY_SIG_BYTES ||
                    !pb_key_verify(&keys[k], (const uint8_t *)msg, text_len, blob + 4)) {
                        pb_diag_at(reterr, PB_ERR_SIGNATURE, line, 0, "signature",
                                   "signature by a trusted key does not verify");
                        pb_diag_subject(reterr, name, name_len);
                        return PB_ERR_SIGNATURE;
                }
                verified[k] = true;
                nverified++;
        }
        if (nverified == 0)
                return pb_diag_set(reterr, PB_ERR_SIGNATURE, "signature", "no signature by a trusted key");
        *ret_text_len = text_len;
        if (ret_verified)
                memcpy(ret_verified, verified, nkeys * sizeof(bool));
        return PB_OK;
}
