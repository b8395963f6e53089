/** @file Unit tests for the canonical JSON writer: the exact bytes it produces and what it refuses. */
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

static void test_document(void)
{
        struct pb_buf b;
        struct pb_jw w;

        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "a");
        pb_jw_array_begin(&w);
        pb_jw_int(&w, 1);
        pb_jw_int(&w, -9007199254740991LL);
        pb_jw_string(&w, "\"q\"\\\n\x01 é");
        pb_jw_null(&w);
        pb_jw_bool(&w, false);
        pb_jw_object_begin(&w);
        pb_jw_object_end(&w);
        pb_jw_array_end(&w);
        pb_jw_kv_bool(&w, "b", true);
        pb_jw_key(&w, "ba");
        {
                const uint8_t h[] = { 0xde, 0xad };
                pb_jw_hex(&w, h, 2);
        }
        pb_jw_object_end(&w);
        CHECK_INT(pb_jw_finish(&w), PB_OK);
        CHECK_STR(b.data, "{\"a\":[1,-9007199254740991,\"\\\"q\\\"\\\\\\n\\u0001 é\",null,false,{}],"
                          "\"b\":true,\"ba\":\"dead\"}");
        pb_buf_release(&b);
}

static pb_err one_error(int which)
{
        struct pb_buf b;
        struct pb_jw w;
        pb_err r;

        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        switch (which) {
        case 0:
                pb_jw_kv_int(&w, "b", 1);
                pb_jw_kv_int(&w, "a", 1);
                break; /* unsorted */
        case 1:
                pb_jw_kv_int(&w, "a", 1);
                pb_jw_kv_int(&w, "a", 1);
                break;                                            /* duplicate */
        case 2: pb_jw_kv_int(&w, "a", 9007199254740992LL); break; /* > 2^53-1 */
        case 3: pb_jw_kv_string(&w, "a", "\xc3\x28"); break;      /* bad UTF-8 */
        case 4: pb_jw_int(&w, 1); break;                          /* value w/o key */
        case 5:
                pb_jw_key(&w, "caf\xc3\xa9");
                pb_jw_int(&w, 1);
                break;                     /* non-ASCII key */
        case 6: pb_jw_key(&w, "a"); break; /* key w/o value */
        case 7:
                pb_jw_key(&w, "a");
                pb_jw_stringn(&w, "x\0y", 3);
                break; /* NUL in string */
        case 8:
                pb_jw_kv_int(&w, "ab", 1);
                pb_jw_kv_int(&w, "a", 1);
                break; /* prefix sorts first */
        }
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
        pb_buf_release(&b);
        return r;
}

static void test_refusals(void)
{
        CHECK_INT(one_error(0), PB_ERR_INTERNAL);
        CHECK_INT(one_error(1), PB_ERR_INTERNAL);
        CHECK_INT(one_error(2), PB_ERR_OVERFLOW);
        CHECK_INT(one_error(3), PB_ERR_INVALID);
        CHECK_INT(one_error(4), PB_ERR_INTERNAL);
        CHECK_INT(one_error(5), PB_ERR_INVALID);
        CHECK_INT(one_error(6), PB_ERR_INTERNAL);
        CHECK_INT(one_error(7), PB_ERR_INVALID);
        CHECK_INT(one_error(8), PB_ERR_INTERNAL);
}

static void test_structure(void)
{
        struct pb_buf b;
        struct pb_jw w;

        /* two top-level values */
        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_int(&w, 1);
        pb_jw_int(&w, 2);
        CHECK_INT(pb_jw_finish(&w), PB_ERR_INTERNAL);
        pb_buf_release(&b);
        /* unclosed */
        pb_jw_init(&w, &b);
        pb_jw_array_begin(&w);
        CHECK_INT(pb_jw_finish(&w), PB_ERR_INTERNAL);
        pb_buf_release(&b);
        /* too deep */
        pb_jw_init(&w, &b);
        for (int i = 0; i < PB_JW_MAX_DEPTH + 1; i++)
                pb_jw_array_begin(&w);
        CHECK_INT(pb_jw_finish(&w), PB_ERR_LIMIT);
        pb_buf_release(&b);
        /* OOM surfaces as NOMEM */
        pb_jw_init(&w, &b);
        pb_alloc_fail_after(0);
        pb_jw_string(&w, "x");
        pb_alloc_fail_after(-1);
        CHECK_INT(pb_jw_finish(&w), PB_ERR_NOMEM);
        pb_buf_release(&b);
}

static void test_utf8(void)
{
        CHECK(pb_utf8_valid("plain", 5));
        CHECK(pb_utf8_valid("\xc5\x81\xc3\xb3\x64\xc5\xba", 8)); /* Łódź */
        CHECK(pb_utf8_valid("\xf0\x9f\x98\x80", 4));
        CHECK(!pb_utf8_valid("\xc0\xaf", 2));         /* overlong */
        CHECK(!pb_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
        CHECK(!pb_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
        CHECK(!pb_utf8_valid("\xe2\x82", 2));         /* truncated */
        CHECK(!pb_utf8_valid("\x80", 1));
        CHECK(!pb_utf8_valid("\xff", 1));
}

int main(void)
{
        RUN(test_document);
        RUN(test_refusals);
        RUN(test_structure);
        RUN(test_utf8);
        return check_summary("canon");
}
