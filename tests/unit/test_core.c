/** @file Unit tests for the engine's core helpers: errors, diagnostics, buffers, allocation hooks. */
#include <stdlib.h>

#include "check.h"
#include "engine/pb_utc.h"
#include "engine/pb_alloc.h"
#include "engine/pb_buf.h"
#include "engine/pb_err.h"

static void test_registry(void)
{
        CHECK_STR(pb_err_name(PB_OK), "ok");
        CHECK_STR(pb_err_name(PB_ERR_PARSE), "parse_error");
        CHECK_STR(pb_err_name(PB_ERR_UNSUPPORTED), "unsupported");
        CHECK_STR(pb_err_name((pb_err)-99), "unknown_error");
        CHECK_STR(pb_err_name((pb_err)5), "unknown_error");
        CHECK_INT(pb_err_http_status(PB_ERR_CONFLICT), 409);
        CHECK_INT(pb_err_http_status(PB_ERR_LIMIT), 413);
        CHECK_INT(pb_err_http_status(PB_ERR_AUTH), 401);
        CHECK_INT(pb_err_http_status((pb_err)-99), 500);
        /* names are unique: a duplicate would make two errors indistinguishable to clients */
        for (int i = 0; i < PB_ERR_COUNT; i++)
                for (int j = i + 1; j < PB_ERR_COUNT; j++)
                        CHECK(strcmp(pb_err_name((pb_err)-i), pb_err_name((pb_err)-j)) != 0);
}

static void test_diag(void)
{
        struct pb_diag d;
        char line[256];

        pb_diag_clear(&d);
        CHECK_INT(pb_diag_at(&d, PB_ERR_PARSE, 12, 3, "VOTES.vote", "unknown project"), PB_ERR_PARSE);
        pb_diag_subject(&d, "p\n77", 4);
        pb_diag_format(&d, "x.pb", line, sizeof(line));
        CHECK_STR(line, "x.pb:12:3: VOTES.vote: unknown project ('p?77') [parse_error]");
        CHECK_INT(pb_diag_set(NULL, PB_ERR_LIMIT, "a", "b"), PB_ERR_LIMIT);
        pb_diag_set(&d, PB_ERR_INVALID, NULL, NULL);
        pb_diag_format(&d, NULL, line, sizeof(line));
        CHECK_STR(line, "input breaks a rule of the election [invalid]");
        /* a long path is truncated, not overflowed */
        memset(line, 'a', 200);
        line[200] = '\0';
        pb_diag_set(&d, PB_ERR_INVALID, line, "x");
        CHECK_INT(strlen(d.path), sizeof(d.path) - 1);
        /* a new diagnostic forgets the element number an earlier one carried */
        d.item = 7;
        pb_diag_set(&d, PB_ERR_INVALID, "budget", "x");
        CHECK_INT(d.item, 0);
        d.item = 7;
        pb_diag_at(&d, PB_ERR_PARSE, 3, 1, "budget", "x");
        CHECK_INT(d.item, 0);
}

static void test_buf(void)
{
        struct pb_buf b;
        char *s;
        size_t n;

        pb_buf_init(&b, 10);
        CHECK_INT(pb_buf_adds(&b, "hello"), PB_OK);
        CHECK_INT(pb_buf_add_i64(&b, -42), PB_OK);
        CHECK_STR(b.data, "hello-42");
        CHECK_INT(pb_buf_adds(&b, "abc"), PB_ERR_LIMIT); /* 11 > 10 */
        CHECK_STR(b.data, "hello-42");                   /* unchanged after the failure */
        CHECK_INT(pb_buf_addc(&b, '!'), PB_OK);
        CHECK_INT(pb_buf_addc(&b, '?'), PB_OK);
        CHECK_INT(b.len, 10);
        s = pb_buf_steal(&b, &n);
        CHECK_STR(s, "hello-42!?");
        CHECK_INT(n, 10);
        CHECK(b.data == NULL);
        pb_free(s);

        pb_buf_init(&b, 0);
        {
                const uint8_t bytes[] = { 0x00, 0xab, 0xff };
                CHECK_INT(pb_buf_add_hex(&b, bytes, 3), PB_OK);
        }
        CHECK_INT(pb_buf_add_i64(&b, INT64_MIN), PB_OK);
        CHECK_STR(b.data, "00abff-9223372036854775808");
        CHECK_INT(pb_buf_addf(&b, "%d-%s", 7, "x"), PB_OK);
        CHECK_STR(b.data, "00abff-92233720368547758087-x");
        pb_buf_truncate(&b, 6); /* a failed writer's appends taken back */
        CHECK_INT(b.len, 6);
        CHECK_STR(b.data, "00abff");
        pb_buf_truncate(&b, 6);
        CHECK_STR(b.data, "00abff");
        pb_buf_release(&b);
        pb_buf_release(&b); /* released twice is fine */
}

static void test_alloc_injection(void)
{
        void *a, *b;

        pb_alloc_fail_after(1);
        a = pb_malloc(8);
        b = pb_malloc(8);
        CHECK(a != NULL);
        CHECK(b == NULL);
        pb_alloc_fail_after(-1);
        b = pb_malloc(8);
        CHECK(b != NULL);
        pb_free(a);
        pb_free(b);
        CHECK(pb_calloc(SIZE_MAX / 2, 4) == NULL);
        CHECK(pb_reallocarray(NULL, SIZE_MAX / 2, 4) == NULL);
        a = pb_strndup("abcdef", 3);
        CHECK_STR(a, "abc");
        pb_free(a);
}

static void test_utc(void)
{
        static const char *const good[] = { "2026-06-01T20:00:00Z", "2024-02-29T23:59:59Z",
                                            "2000-02-29T00:00:00Z", "1970-01-01T00:00:00Z",
                                            "9999-12-31T23:59:59Z" };
        static const char *const bad[] = {
                "2026-13-01T00:00:00Z",      "2026-02-30T10:00:00Z",
                "2023-02-29T10:00:00Z",      "1900-02-29T10:00:00Z",
                "2026-04-31T10:00:00Z",      "2026-06-00T10:00:00Z",
                "2026-00-10T10:00:00Z",      "2026-06-01T24:00:00Z",
                "2026-06-01T20:60:00Z",      "2026-06-01T20:00:60Z",
                "0000-00-00T00:00:00Z",      "1969-12-31T23:59:59Z",
                "2026-06-01 20:00:00Z",      "2026-06-01T20:00:00",
                "2026-06-01T20:00:00+00:00", "",
        };

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                CHECK(pb_utc_is_valid(good[i]));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (pb_utc_is_valid(bad[i]))
                        CHECK_FAIL(bad[i]);
        CHECK(!pb_utc_is_valid(NULL));
}

/* Zero-sized requests give a unique pointer, never NULL, so a caller needs no `n ? n : 1` guard:
 * NULL from an allocator means out of memory and nothing else. */
static void test_alloc_zero(void)
{
        void *a = pb_malloc(0), *b = pb_calloc(0, 8), *c = pb_calloc(8, 0), *d = pb_reallocarray(NULL, 0, 8);

        CHECK(a != NULL && b != NULL && c != NULL && d != NULL);
        CHECK(a != b && b != c && c != d && a != d);
        pb_free(a);
        pb_free(b);
        pb_free(c);
        pb_free(d);
}

static void test_grow(void)
{
        uint32_t *v = NULL, *w;
        size_t cap = 0;

        /* a need of 0 on a NULL array still allocates: NULL must mean out of memory */
        v = pb_grow(NULL, &cap, 0, sizeof(*v), 8);
        CHECK(v != NULL);
        CHECK_INT(cap, 8);
        w = pb_grow(v, &cap, 8, sizeof(*v), 8); /* big enough: unchanged */
        CHECK(w == v);
        CHECK_INT(cap, 8);
        v = pb_grow(v, &cap, 9, sizeof(*v), 8); /* doubles */
        CHECK(v != NULL);
        CHECK_INT(cap, 16);
        if (v)
                v[15] = 1;
        w = pb_grow(v, &cap, 100, sizeof(*v), 8);
        CHECK(w != NULL);
        CHECK_INT(cap, 128);
        v = w ? w : v;
        /* out of memory: NULL, and the array and its capacity are left as they were */
        pb_alloc_fail_after(0);
        w = pb_grow(v, &cap, 129, sizeof(*v), 8);
        CHECK(w == NULL);
        CHECK_INT(cap, 128);
        {
                size_t cap0 = 0;
                CHECK(pb_grow(NULL, &cap0, 0, sizeof(*v), 8) == NULL);
                CHECK_INT(cap0, 0);
        }
        pb_alloc_fail_after(-1);
        /* a size past SIZE_MAX is refused, not wrapped */
        w = pb_grow(v, &cap, SIZE_MAX / 2, sizeof(*v), 8);
        CHECK(w == NULL);
        CHECK_INT(cap, 128);
        pb_free(v);
}

int main(void)
{
        RUN(test_utc);
        RUN(test_registry);
        RUN(test_diag);
        RUN(test_buf);
        RUN(test_alloc_injection);
        RUN(test_alloc_zero);
        RUN(test_grow);
        return check_summary("core");
}
