/** @file Strict JSON: a lexical pre-check, cJSON for the tree, then structural checks. */
#include "formats/pb_json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/pb_canon.h"

static const char key_rule[] = "a key is printable ASCII without '\"' or '\\\\'";
static const char int_range[] = "integer beyond 2^" PB_STRINGIFY(PB_JW_INT_BITS) " - 1";

/* ---- lexical pass: numbers, string escapes and depth, on the raw text ------------------------ */

/* Where the lexer is, so that a refusal names its field: one frame per open object or array. */
#define LEX_FRAMES 32

struct lex_frame {
        bool object;     /* an object (else an array) */
        bool want_key;   /* in an object: the next string is a key */
        unsigned index;  /* in an array: the element's index */
        const char *key; /* in an object: the current member's key (raw, as in the text) */
        size_t key_len;
};

struct lex {
        const char *p, *end;
        unsigned depth, max_depth;
        struct lex_frame frame[LEX_FRAMES]; /* the innermost LEX_FRAMES levels are named */
        struct pb_diag *d;
};

/* The JSON path of the value being read ("$.budget", "$.projects[2].cost"). */
static void lex_path(const struct lex *l, char *buf, size_t cap)
{
        size_t n = (size_t)snprintf(buf, cap, "$");

        for (unsigned i = 0; i < l->depth && i < LEX_FRAMES && n < cap; i++) {
                const struct lex_frame *f = &l->frame[i];
                int k = 0;
                if (f->object && f->key)
                        k = snprintf(buf + n, cap - n, ".%.*s", (int)f->key_len, f->key);
                else if (!f->object)
                        k = snprintf(buf + n, cap - n, "[%u]", f->index);
                n += k > 0 ? (size_t)k : 0;
        }
}

static pb_err lex_fail(struct lex *l, const char *start, pb_err code, const char *why)
{
        char path[PB_DIAG_PATH_MAX];

        lex_path(l, path, sizeof(path));
        /* position as a byte offset (JSON documents are usually one line): col = offset + 1 */
        return pb_diag_at(l->d, code, 1, (unsigned)(l->p - start) + 1, path, why);
}

/* The structure around the next token: a key, a member, an element, a nested value. */
static void lex_struct(struct lex *l, char c, const char *at)
{
        struct lex_frame *top = l->depth && l->depth <= LEX_FRAMES ? &l->frame[l->depth - 1] : NULL;

        if (c == '{' || c == '[') {
                if (l->depth < LEX_FRAMES)
                        l->frame[l->depth] = (struct lex_frame){ c == '{', c == '{', 0, NULL, 0 };
                l->depth++;
        } else if ((c == '}' || c == ']') && l->depth) {
                l->depth--;
        } else if (c == ',' && top) {
                top->want_key = top->object;
                top->index += !top->object;
        } else if (c == ':' && top) {
                top->want_key = false;
        } else if (c == '"' && top && top->object && top->want_key) {
                top->key = at + 1;
                top->key_len = (size_t)(l->p - at - 2); /* after lex_string: between the quotes */
        }
}

static pb_err lex_string(struct lex *l, const char *start)
{
        l->p++; /* opening quote */
        while (l->p < l->end) {
                unsigned char c = (unsigned char)*l->p;

                if (c == '"') {
                        l->p++;
                        return PB_OK;
                }
                if (c < 0x20)
                        return lex_fail(l, start, PB_ERR_PARSE, "control character in a string");
                if (c == '\\') {
                        if (l->p + 1 >= l->end)
                                break;
                        if (l->p[1] == 'u') {
                                unsigned v = 0;
                                if (l->end - l->p < 6)
                                        break;
                                for (int i = 2; i < 6; i++) {
                                        char h = l->p[i];
                                        v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                                                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                                       : 99);
                                }
                                if (v > 0xffff)
                                        return lex_fail(l, start, PB_ERR_PARSE, "bad \\u escape");
                                if (v == 0)
                                        return lex_fail(l, start, PB_ERR_PARSE, "\\u0000 in a string");
                                l->p += 6;
                                continue;
                        }
                        l->p += 2;
                        continue;
                }
                l->p++;
        }
        return lex_fail(l, start, PB_ERR_PARSE, "unterminated string");
}

static pb_err lex_number(struct lex *l, const char *start)
{
        const char *s = l->p;
        size_t n;

        if (*l->p == '-')
                l->p++;
        while (l->p < l->end && *l->p >= '0' && *l->p <= '9')
                l->p++;
        n = (size_t)(l->p - s);
        if (l->p < l->end && (*l->p == '.' || *l->p == 'e' || *l->p == 'E'))
                return lex_fail(l, start, PB_ERR_PARSE,
                                "only integers are allowed (no fraction or exponent)");
        if (n == 0 || (n == 1 && *s == '-'))
                return lex_fail(l, start, PB_ERR_PARSE, "malformed number");
        if ((s[0] == '0' && n > 1) || (s[0] == '-' && s[1] == '0'))
                return lex_fail(l, start, PB_ERR_PARSE, "non-canonical number (leading zero or -0)");
        if (n - (*s == '-') > PB_JW_INT_DIGITS)
                return lex_fail(l, start, PB_ERR_PARSE, int_range);
        return PB_OK;
}

/* Walks tokens without checking the grammar (cJSON does that); checks what cJSON lets through. */
static pb_err lex_all(struct lex *l)
{
        const char *start = l->p;
        pb_err r;

        while (l->p < l->end) {
                char c = *l->p;

                if (c == '"') {
                        const char *at = l->p;
                        r = lex_string(l, start);
                        if (r == PB_OK)
                                lex_struct(l, c, at);
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                        r = lex_number(l, start);
                } else {
                        if ((c == '{' || c == '[') && l->depth + 1 > l->max_depth)
                                return lex_fail(l, start, PB_ERR_LIMIT, "nested too deeply");
                        lex_struct(l, c, l->p);
                        l->p++;
                        r = PB_OK;
                }
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

/* ---- structural pass on the tree ------------------------------------------------------------- */

static void child_path(char *buf, size_t cap, const char *parent, const cJSON *child, int index)
{
        if (child->string)
                snprintf(buf, cap, "%s.%s", parent, child->string);
        else
                snprintf(buf, cap, "%s[%d]", parent, index);
}

static pb_err check_tree(const cJSON *v, const char *path, struct pb_diag *d)
{
        char sub[PB_DIAG_PATH_MAX];
        int i = 0;

        if (cJSON_IsNumber(v)) {
                double x = v->valuedouble;
                if (x != floor(x) || fabs(x) > (double)PB_JW_INT_MAX)
                        return pb_diag_set(d, PB_ERR_PARSE, path, int_range);
                return PB_OK;
        }
        if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
                return PB_OK;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
                pb_err r;

                if (cJSON_IsObject(v)) {
                        /* a key the canonical writer cannot write (pb_jw_key) is refused here, with
                         * its object's path: every tree this reader gives has a canonical form */
                        for (const unsigned char *k = (const unsigned char *)c->string; *k; k++)
                                if (*k < 0x20 || *k > 0x7e || *k == '"' || *k == '\\')
                                        return pb_diag_set(d, PB_ERR_PARSE, path, key_rule);
                        /* quadratic, but objects are small (the largest has ~10 keys) and bounded by the body size */
                        for (const cJSON *o = v->child; o != c; o = o->next)
                                if (!strcmp(o->string, c->string)) {
                                        child_path(sub, sizeof(sub), path, c, i);
                                        return pb_diag_set(d, PB_ERR_PARSE, sub, "duplicate key");
                                }
                }
                child_path(sub, sizeof(sub), path, c, i);
                r = check_tree(c, sub, d);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

pb_err pb_json_parse(const char *buf, size_t len, unsigned max_depth, cJSON **ret, struct pb_diag *reterr)
{
        struct lex l;
        const char *end = NULL;
        cJSON *v;
        pb_err r;

        if (memchr(buf, '\0', len))
                return pb_diag_set(reterr, PB_ERR_PARSE, "$", "NUL byte in JSON");
        if (!pb_utf8_valid(buf, len))
                return pb_diag_set(reterr, PB_ERR_PARSE, "$", "invalid UTF-8");
        memset(&l, 0, sizeof(l));
        l.p = buf;
        l.end = buf + len;
        l.max_depth = max_depth ? max_depth : PB_JSON_MAX_DEPTH;
        l.d = reterr;
        r = lex_all(&l);
        if (r < 0)
                return r;
        v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
        if (!v)
                return pb_diag_at(reterr, PB_ERR_PARSE, 1, end ? (unsigned)(end - buf) + 1 : 0, "$",
                                  "not valid JSON");
        while (end && end < buf + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
                end++;
        if (!end || end != buf + len) {
                cJSON_Delete(v);
                return pb_diag_at(reterr, PB_ERR_PARSE, 1, end ? (unsigned)(end - buf) + 1 : 0, "$",
                                  "text after the JSON value");
        }
        r = check_tree(v, "$", reterr);
        if (r < 0) {
                cJSON_Delete(v);
                return r;
        }
        *ret = v;
        return PB_OK;
}

int64_t pb_json_int(const cJSON *n)
{
        return (int64_t)n->valuedouble;
}

static void write_value(struct pb_jw *w, const cJSON *v)
{
        if (cJSON_IsObject(v)) {
                const cJSON *c, *last = NULL;
                size_t n = 0;

                pb_jw_object_begin(w);
                for (c = v->child; c; c = c->next)
                        n++;
                /* emit keys in byte order: selection by "smallest key greater than the last" */
                for (size_t k = 0; k < n; k++) {
                        const cJSON *best = NULL;
                        for (c = v->child; c; c = c->next)
                                if ((!last || strcmp(c->string, last->string) > 0) &&
                                    (!best || strcmp(c->string, best->string) < 0))
                                        best = c;
                        pb_jw_key(w, best->string);
                        write_value(w, best);
                        last = best;
                }
                pb_jw_object_end(w);
        } else if (cJSON_IsArray(v)) {
                pb_jw_array_begin(w);
                for (const cJSON *c = v->child; c; c = c->next)
                        write_value(w, c);
                pb_jw_array_end(w);
        } else if (cJSON_IsString(v)) {
                pb_jw_string(w, v->valuestring);
        } else if (cJSON_IsNumber(v)) {
                double x = v->valuedouble;
                /* a non-integer cannot come from pb_json_parse(); refuse it (OVERFLOW) all the same */
                pb_jw_int(w, x == floor(x) && fabs(x) <= (double)PB_JW_INT_MAX ? (int64_t)x : INT64_MAX);
        } else if (cJSON_IsBool(v)) {
                pb_jw_bool(w, cJSON_IsTrue(v));
        } else {
                pb_jw_null(w);
        }
}

pb_err pb_json_canonical(const cJSON *v, struct pb_buf *out)
{
        struct pb_jw w;

        pb_jw_init(&w, out);
        write_value(&w, v);
        return pb_jw_finish(&w);
}

bool pb_json_is_canonical(const char *buf, size_t len, const cJSON *v)
{
        struct pb_buf b;
        bool same;

        pb_buf_init(&b, len + 1);
        same = pb_json_canonical(v, &b) == PB_OK && b.len == len && !memcmp(b.data, buf, len);
        pb_buf_release(&b);
        return same;
}

static bool type_ok(const cJSON *v, enum pb_json_type t)
{
        switch (t) {
        case PB_JSON_STRING: return cJSON_IsString(v);
        case PB_JSON_INT: return cJSON_IsNumber(v);
        case PB_JSON_BOOL: return cJSON_IsBool(v);
        case PB_JSON_OBJECT: return cJSON_IsObject(v);
        case PB_JSON_ARRAY: return cJSON_IsArray(v);
        case PB_JSON_ANY: return true;
        }
        return false;
}

static const char *type_name(enum pb_json_type t)
{
        static const char *const names[] = { "expected a string",      "expected an integer",
                                             "expected true or false", "expected an object",
                                             "expected an array",      "" };
        return names[t];
}

pb_err pb_json_check_object(const cJSON *obj, const struct pb_json_field *fields, const char *path,
                            struct pb_diag *reterr)
{
        char sub[PB_DIAG_PATH_MAX];

        if (!cJSON_IsObject(obj))
                return pb_diag_set(reterr, PB_ERR_PARSE, path, "expected an object");
        for (const cJSON *c = obj->child; c; c = c->next) {
                const struct pb_json_field *f;

                snprintf(sub, sizeof(sub), "%s.%s", path, c->string);
                for (f = fields; f->name && strcmp(f->name, c->string); f++)
                        ;
                if (!f->name)
                        return pb_diag_set(reterr, PB_ERR_PARSE, sub, "unknown key");
                if (!type_ok(c, f->type))
                        return pb_diag_set(reterr, PB_ERR_PARSE, sub, type_name(f->type));
        }
        for (const struct pb_json_field *f = fields; f->name; f++)
                if (f->required && !cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
                        snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
                        return pb_diag_set(reterr, PB_ERR_PARSE, sub, "missing");
                }
        return PB_OK;
}
