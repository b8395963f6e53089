/** @file Checkpoint and ballot-promise note bodies: formatting, strict parsing, sign and open. */
#include "engine/pb_note.h"

#include <string.h>

#include "engine/pb_b64.h"

#define SIZE_MAX_ALLOWED ((uint64_t)INT64_MAX) /* sizes travel through SQLite integers */

static const char origin_rule[] =
        "origin must be 1-" PB_STRINGIFY(PB_CHECKPOINT_ORIGIN_MAX) " bytes of UTF-8 without spaces or '+'";
static const char election_rule[] =
        "the election id must be 1-" PB_STRINGIFY(PB_ID_MAX) " bytes of printable ASCII";
static const char batch_rule[] = "a promise covers 1 to " PB_STRINGIFY(PB_PROMISE_BATCH_MAX) " commitments";

static bool origin_ok(const char *s, size_t len)
{
        return len <= PB_CHECKPOINT_ORIGIN_MAX && pb_key_name_is_valid(s, len);
}

static pb_err add_line_b64(struct pb_buf *out, const uint8_t *p, size_t n)
{
        pb_err r = pb_b64_encode(out, p, n);
        return r < 0 ? r : pb_buf_addc(out, '\n');
}

static pb_err finish(struct pb_buf *out, size_t old, pb_err r, struct pb_diag *reterr)
{
        if (r < 0) {
                out->len = old;
                if (out->data)
                        out->data[old] = '\0';
                return pb_diag_set(reterr, r, NULL, "cannot write the note text");
        }
        return PB_OK;
}

pb_err pb_checkpoint_format(const struct pb_checkpoint *c, struct pb_buf *out, struct pb_diag *reterr)
{
        size_t old = out->len;
        pb_err r;

        if (!origin_ok(c->origin, strlen(c->origin)))
                return pb_diag_set(reterr, PB_ERR_INVALID, "origin", origin_rule);
        if (c->size > SIZE_MAX_ALLOWED)
                return pb_diag_set(reterr, PB_ERR_INVALID, "size", "tree size above 2^63 - 1");
        r = pb_buf_addf(out, "%s\n%llu\n", c->origin, (unsigned long long)c->size);
        if (r >= 0)
                r = add_line_b64(out, c->root, PB_MERKLE_HASH_BYTES);
        return finish(out, old, r, reterr);
}

/* Cut the next line (without its newline) from @s[*pos..len); false if no newline is left. */
static bool next_line(const char *s, size_t len, size_t *pos, const char **ret_line, size_t *ret_len)
{
        const char *nl;

        if (*pos >= len)
                return false;
        nl = memchr(s + *pos, '\n', len - *pos);
        if (!nl)
                return false;
        *ret_line = s + *pos;
        *ret_len = (size_t)(nl - (s + *pos));
        *pos += *ret_len + 1;
        return true;
}

static bool parse_size(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i;

        if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
                return false;
        for (i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow uint64 */
        }
        if (v > SIZE_MAX_ALLOWED)
                return false;
        *ret = v;
        return true;
}

/* The root hash line (line @lineno of the note text), base64 of PB_MERKLE_HASH_BYTES bytes. */
static pb_err parse_root(const char *text, size_t len, size_t *pos, uint8_t *root, uint32_t lineno,
                         struct pb_diag *reterr)
{
        const char *l;
        size_t n;

        if (!next_line(text, len, pos, &l, &n) || pb_b64_decode_exact(l, n, root, PB_MERKLE_HASH_BYTES) < 0)
                return pb_diag_at(reterr, PB_ERR_PARSE, lineno, 0, "root",
                                  "root hash must be base64 of " PB_STRINGIFY(PB_MERKLE_HASH_BYTES) " bytes");
        return PB_OK;
}

/* Sign the note text just written into @text (@r: how the writing went), and release @text. */
static pb_err sign_text(struct pb_buf *text, pb_err r, const struct pb_key_secret *key, struct pb_buf *out,
                        struct pb_diag *reterr)
{
        if (r >= 0)
                r = pb_note_sign(text->data, text->len, &key, 1, out, reterr);
        pb_buf_release(text);
        return r;
}

pb_err pb_checkpoint_parse(const char *text, size_t len, struct pb_checkpoint *ret, struct pb_diag *reterr)
{
        struct pb_checkpoint c;
        const char *l;
        size_t pos = 0, n;
        pb_err r;

        memset(&c, 0, sizeof(c));
        if (!next_line(text, len, &pos, &l, &n) || !origin_ok(l, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 1, 0, "origin", origin_rule);
        memcpy(c.origin, l, n);
        if (!next_line(text, len, &pos, &l, &n) || !parse_size(l, n, &c.size))
                return pb_diag_at(reterr, PB_ERR_PARSE, 2, 0, "size",
                                  "tree size must be a decimal number without leading zeros");
        r = parse_root(text, len, &pos, c.root, 3, reterr);
        if (r < 0)
                return r;
        if (pos != len)
                return pb_diag_at(reterr, PB_ERR_UNSUPPORTED, 4, 0, "extension",
                                  "checkpoint extension lines are not used by pbvote");
        *ret = c;
        return PB_OK;
}

pb_err pb_checkpoint_sign(const struct pb_checkpoint *c, const struct pb_key_secret *key, struct pb_buf *out,
                          struct pb_diag *reterr)
{
        struct pb_buf text;

        pb_buf_init(&text, 0);
        return sign_text(&text, pb_checkpoint_format(c, &text, reterr), key, out, reterr);
}

pb_err pb_checkpoint_open(const char *msg, size_t len, const struct pb_key_public *key,
                          struct pb_checkpoint *ret, struct pb_diag *reterr)
{
        size_t text_len;
        pb_err r = pb_note_open(msg, len, key, 1, &text_len, NULL, reterr);

        return r < 0 ? r : pb_checkpoint_parse(msg, text_len, ret, reterr);
}

/* An election id as a promise carries it: 1..PB_ID_MAX bytes of printable ASCII (one line). */
static bool election_ok(const char *s, size_t len)
{
        if (len == 0 || len > PB_ID_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] < 0x20 || s[i] > 0x7e)
                        return false;
        return true;
}

pb_err pb_origin_derive(const char *election_id, char ret[PB_CHECKPOINT_ORIGIN_MAX + 1])
{
        static const char hex[] = "0123456789ABCDEF";
        char o[PB_CHECKPOINT_ORIGIN_MAX + 1];
        size_t len = strlen(election_id), n = sizeof("pbvote/") - 1;

        if (!election_ok(election_id, len))
                return PB_ERR_INVALID;
        memcpy(o, "pbvote/", n);
        /* 7 + 3 * 64 + 8 = 207 bytes at most: always within the 255 of an origin */
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)election_id[i];
                if (c == ' ' || c == '+' || c == '%') { /* not allowed in a key name; '%' escapes */
                        o[n++] = '%';
                        o[n++] = hex[c >> 4];
                        o[n++] = hex[c & 15];
                } else {
                        o[n++] = (char)c;
                }
        }
        memcpy(o + n, "/ballots", sizeof("/ballots"));
        PB_ASSERT(origin_ok(o, strlen(o)));
        memcpy(ret, o, strlen(o) + 1);
        return PB_OK;
}

pb_err pb_promise_format(const struct pb_promise *p, struct pb_buf *out, struct pb_diag *reterr)
{
        size_t old = out->len;
        pb_err r;

        if (!origin_ok(p->origin, strlen(p->origin)))
                return pb_diag_set(reterr, PB_ERR_INVALID, "origin", origin_rule);
        if (!election_ok(p->election, strlen(p->election)))
                return pb_diag_set(reterr, PB_ERR_INVALID, "election", election_rule);
        if (p->size < 1 || p->size > PB_PROMISE_BATCH_MAX)
                return pb_diag_set(reterr, PB_ERR_INVALID, "size", batch_rule);
        r = pb_buf_addf(out, "%s\n%s\n%s\n%llu\n", PB_PROMISE_HEADER, p->origin, p->election,
                        (unsigned long long)p->size);
        if (r >= 0)
                r = add_line_b64(out, p->root, PB_MERKLE_HASH_BYTES);
        if (r >= 0)
                r = pb_buf_addf(out, "%s\n", PB_PROMISE_DEADLINE);
        return finish(out, old, r, reterr);
}

pb_err pb_promise_parse(const char *text, size_t len, struct pb_promise *ret, struct pb_diag *reterr)
{
        struct pb_promise p;
        const char *l;
        size_t pos = 0, n;
        pb_err r;

        memset(&p, 0, sizeof(p));
        if (!next_line(text, len, &pos, &l, &n) || n != strlen(PB_PROMISE_HEADER) ||
            memcmp(l, PB_PROMISE_HEADER, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 1, 0, "header",
                                  "not a pbv-promise/v3 note (older promises do not sign the election id)");
        if (!next_line(text, len, &pos, &l, &n) || !origin_ok(l, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 2, 0, "origin", origin_rule);
        memcpy(p.origin, l, n);
        if (!next_line(text, len, &pos, &l, &n) || !election_ok(l, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 3, 0, "election", election_rule);
        memcpy(p.election, l, n);
        if (!next_line(text, len, &pos, &l, &n) || !parse_size(l, n, &p.size) || p.size < 1 ||
            p.size > PB_PROMISE_BATCH_MAX)
                return pb_diag_at(reterr, PB_ERR_PARSE, 4, 0, "size",
                                  "size must be a decimal number from 1 to " PB_STRINGIFY(
                                          PB_PROMISE_BATCH_MAX) " without leading zeros");
        r = parse_root(text, len, &pos, p.root, 5, reterr);
        if (r < 0)
                return r;
        if (!next_line(text, len, &pos, &l, &n) || n != strlen(PB_PROMISE_DEADLINE) ||
            memcmp(l, PB_PROMISE_DEADLINE, n))
                return pb_diag_at(reterr, PB_ERR_PARSE, 6, 0, "deadline", "deadline must be 'by-close'");
        if (pos != len)
                return pb_diag_at(reterr, PB_ERR_PARSE, 7, 0, "promise",
                                  "unexpected text after the deadline");
        *ret = p;
        return PB_OK;
}

pb_err pb_promise_sign(const struct pb_promise *p, const struct pb_key_secret *key, struct pb_buf *out,
                       struct pb_diag *reterr)
{
        struct pb_buf text;

        pb_buf_init(&text, 0);
        return sign_text(&text, pb_promise_format(p, &text, reterr), key, out, reterr);
}

pb_err pb_promise_open(const char *msg, size_t len, const struct pb_key_public *key, struct pb_promise *ret,
                       struct pb_diag *reterr)
{
        size_t text_len;
        pb_err r = pb_note_open(msg, len, key, 1, &text_len, NULL, reterr);

        return r < 0 ? r : pb_promise_parse(msg, text_len, ret, reterr);
}
