/** @file pb_jw: canonical JSON text (a JCS subset) with sticky errors. */
#include "engine/pb_canon.h"

#include <string.h>

_Static_assert(PB_JW_INT_MAX == (1LL << PB_JW_INT_BITS) - 1, "PB_JW_INT_MAX is 2^PB_JW_INT_BITS - 1");
_Static_assert(PB_JW_INT_MAX >= 1000000000000000LL && PB_JW_INT_MAX < 10000000000000000LL,
               "PB_JW_INT_MAX has PB_JW_INT_DIGITS (16) digits");

bool pb_utf8_valid(const char *str, size_t len)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                uint32_t cp;
                size_t n, k;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return false;
                }
                if (len - i <= n)
                        return false;
                for (k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n + 1;
        }
        return true;
}

void pb_jw_init(struct pb_jw *w, struct pb_buf *out)
{
        memset(w, 0, sizeof(*w));
        w->out = out;
}

static void fail(struct pb_jw *w, pb_err e)
{
        if (w->err == PB_OK)
                w->err = e;
}

static void put(struct pb_jw *w, const char *s, size_t len)
{
        pb_err r;

        if (w->err)
                return;
        r = pb_buf_add(w->out, s, len);
        if (r < 0)
                fail(w, r);
}

/* Before any value: a separator inside arrays, and the bookkeeping of the enclosing level. */
static bool value_start(struct pb_jw *w)
{
        struct pb_jw_level *l;

        if (w->err)
                return false;
        if (w->depth == 0) {
                if (w->done) {
                        fail(w, PB_ERR_INTERNAL);
                        return false;
                }
                return true;
        }
        l = &w->stack[w->depth - 1];
        if (l->kind == '{') {
                if (!l->want_value) {
                        fail(w, PB_ERR_INTERNAL); /* a value without a key */
                        return false;
                }
                l->want_value = false;
                return true;
        }
        if (!l->first)
                put(w, ",", 1);
        l->first = false;
        return !w->err;
}

static void value_end(struct pb_jw *w)
{
        if (w->depth == 0)
                w->done = true;
}

static void open_level(struct pb_jw *w, char kind)
{
        struct pb_jw_level *l;

        if (!value_start(w))
                return;
        if (w->depth == PB_JW_MAX_DEPTH) {
                fail(w, PB_ERR_LIMIT);
                return;
        }
        put(w, kind == '{' ? "{" : "[", 1);
        l = &w->stack[w->depth++];
        memset(l, 0, sizeof(*l));
        l->kind = kind;
        l->first = true;
}

static void close_level(struct pb_jw *w, char kind)
{
        struct pb_jw_level *l;

        if (w->err)
                return;
        if (w->depth == 0 || w->stack[w->depth - 1].kind != kind) {
                fail(w, PB_ERR_INTERNAL);
                return;
        }
        l = &w->stack[w->depth - 1];
        if (l->want_value) {
                fail(w, PB_ERR_INTERNAL);
                return;
        }
        put(w, kind == '{' ? "}" : "]", 1);
        w->depth--;
        value_end(w);
}

void pb_jw_object_begin(struct pb_jw *w)
{
        open_level(w, '{');
}
void pb_jw_object_end(struct pb_jw *w)
{
        close_level(w, '{');
}
void pb_jw_array_begin(struct pb_jw *w)
{
        open_level(w, '[');
}
void pb_jw_array_end(struct pb_jw *w)
{
        close_level(w, '[');
}

void pb_jw_key(struct pb_jw *w, const char *key)
{
        struct pb_jw_level *l;
        size_t n = strlen(key), i;

        if (w->err)
                return;
        if (w->depth == 0 || w->stack[w->depth - 1].kind != '{' || w->stack[w->depth - 1].want_value) {
                fail(w, PB_ERR_INTERNAL);
                return;
        }
        for (i = 0; i < n; i++)
                if (key[i] < 0x20 || key[i] > 0x7e || key[i] == '"' || key[i] == '\\') {
                        fail(w, PB_ERR_INVALID);
                        return;
                }
        l = &w->stack[w->depth - 1];
        if (!l->first) {
                size_t m = l->key_len < n ? l->key_len : n;
                int c = memcmp(w->out->data + l->key_off, key, m);
                if (c > 0 || (c == 0 && l->key_len >= n)) {
                        fail(w, PB_ERR_INTERNAL); /* out of order or duplicate */
                        return;
                }
                put(w, ",", 1);
        }
        l->first = false;
        put(w, "\"", 1);
        if (w->err)
                return;
        l->key_off = w->out->len;
        l->key_len = n;
        put(w, key, n);
        put(w, "\":", 2);
        l->want_value = true;
}

void pb_jw_stringn(struct pb_jw *w, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        size_t i, run = 0;

        if (w->err)
                return;
        if (memchr(s, '\0', len) || !pb_utf8_valid(s, len)) {
                fail(w, PB_ERR_INVALID);
                return;
        }
        if (!value_start(w))
                return;
        put(w, "\"", 1);
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[6];
                size_t elen = 2;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                put(w, s + run, i - run);
                run = i + 1;
                esc[0] = '\\';
                switch (c) {
                case '"': esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                case '\b': esc[1] = 'b'; break;
                case '\f': esc[1] = 'f'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                default:
                        esc[1] = 'u';
                        esc[2] = '0';
                        esc[3] = '0';
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        elen = 6;
                }
                put(w, esc, elen);
        }
        put(w, s + run, len - run);
        put(w, "\"", 1);
        value_end(w);
}

void pb_jw_string(struct pb_jw *w, const char *s)
{
        pb_jw_stringn(w, s, strlen(s));
}

void pb_jw_int(struct pb_jw *w, int64_t v)
{
        pb_err r;

        if (v > PB_JW_INT_MAX || v < -PB_JW_INT_MAX) {
                fail(w, PB_ERR_OVERFLOW);
                return;
        }
        if (!value_start(w))
                return;
        r = pb_buf_add_i64(w->out, v);
        if (r < 0)
                fail(w, r);
        value_end(w);
}

void pb_jw_bool(struct pb_jw *w, bool v)
{
        if (!value_start(w))
                return;
        put(w, v ? "true" : "false", v ? 4 : 5);
        value_end(w);
}

void pb_jw_null(struct pb_jw *w)
{
        if (!value_start(w))
                return;
        put(w, "null", 4);
        value_end(w);
}

void pb_jw_raw(struct pb_jw *w, const char *json, size_t len)
{
        if (w->err)
                return;
        if (!len || (json[0] != '{' && json[0] != '[') || memchr(json, '\0', len) ||
            !pb_utf8_valid(json, len)) {
                fail(w, PB_ERR_INVALID);
                return;
        }
        if (!value_start(w))
                return;
        put(w, json, len);
        value_end(w);
}

void pb_jw_hex(struct pb_jw *w, const uint8_t *p, size_t len)
{
        pb_err r;

        if (!value_start(w))
                return;
        put(w, "\"", 1);
        if (!w->err) {
                r = pb_buf_add_hex(w->out, p, len);
                if (r < 0)
                        fail(w, r);
        }
        put(w, "\"", 1);
        value_end(w);
}

void pb_jw_kv_string(struct pb_jw *w, const char *key, const char *s)
{
        pb_jw_key(w, key);
        pb_jw_string(w, s);
}

void pb_jw_kv_int(struct pb_jw *w, const char *key, int64_t v)
{
        pb_jw_key(w, key);
        pb_jw_int(w, v);
}

void pb_jw_kv_bool(struct pb_jw *w, const char *key, bool v)
{
        pb_jw_key(w, key);
        pb_jw_bool(w, v);
}

pb_err pb_jw_finish(struct pb_jw *w)
{
        if (w->err)
                return w->err;
        if (w->depth != 0 || !w->done)
                return PB_ERR_INTERNAL;
        return PB_OK;
}
