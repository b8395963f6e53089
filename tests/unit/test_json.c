/** @file Strict JSON: every cJSON gap of verifiability.md §5.3 is closed, canonical form, spec tables. */
#include "formats/pb_json.h"
#include "check.h"

static pb_err parse(const char *s, const char **why)
{
        struct pb_diag d;
        cJSON *v = NULL;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_json_parse(s, strlen(s), 0, &v, &d);
        *why = d.reason ? d.reason : "";
        cJSON_Delete(v);
        return r;
}

static void test_refusals(void)
{
        /* one row per line of the research table, plus the lexical edge cases */
        static const struct {
                const char *in, *why;
        } bad[] = {
                { "{\"a\":1,\"a\":2}", "duplicate key" },
                { "{\"k\":\"x\\u0000y\"}", "\\u0000" },
                { "1E400", "only integers" },
                { "-0", "non-canonical" },
                { "0.000001", "only integers" },
                { "9007199254740993", "beyond 2^53" },
                { "12345678901234567", "beyond 2^53" },
                { "1.9", "only integers" },
                { "[01]", "non-canonical" },
                { "{\"a\":1} trailing", "text after" },
                { "{\"a\":1}{}", "text after" },
                { "[\"\\ud800\"]", "not valid JSON" },
                { "{\"a\":", "not valid JSON" },
                { "", "not valid JSON" },
                { "[1,]", "not valid JSON" },
                { "\"\xc3\x28\"", "invalid UTF-8" },
                { "\"a\tb\"", "control character" },
                { "[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "nested too deeply" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *why;
                pb_err r = parse(bad[i].in, &why);
                CHECK(r < 0);
                CHECK(strstr(why, bad[i].why) != NULL);
                if (r >= 0 || !strstr(why, bad[i].why))
                        fprintf(stderr, "  input %zu (%s): %s '%s'\n", i, bad[i].in, pb_err_name(r), why);
        }
        {
                /* a NUL byte inside the body */
                struct pb_diag d;
                cJSON *v = NULL;
                CHECK_INT(pb_json_parse("{\"a\":\"x\0\"}", 10, 0, &v, &d), PB_ERR_PARSE);
                CHECK(v == NULL);
        }
}

/* A lexical refusal names the field it is in, as a JSON path. */
static void test_lexical_paths(void)
{
        static const struct {
                const char *in, *path;
        } cases[] = {
                { "{\"budget\":100000.00}", "$.budget" },
                { "{\"a\":{\"b\":[1,2,1e3]}}", "$.a.b[2]" },
                { "{\"p\":[{\"id\":\"x\",\"cost\":-0}]}", "$.p[0].cost" },
                { "[{},{\"t\":\"a\\u0000\"}]", "$[1].t" },
                { "{\"x\":1,\"y\":[\"a\",\"b\"],\"z\":01}", "$.z" },
                { "1.5", "$" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pb_diag d;
                cJSON *v = NULL;
                pb_diag_clear(&d);
                CHECK_INT(pb_json_parse(cases[i].in, strlen(cases[i].in), 0, &v, &d), PB_ERR_PARSE);
                CHECK_STR(d.path, cases[i].path);
                cJSON_Delete(v);
        }
}

static void test_accepts_and_canonical(void)
{
        const char *in = " {\"b\": [1, -2, 9007199254740991], \"a\": {\"y\": true, \"x\": null}, \"c\": "
                         "\"\xc5\x81\\n\"} ";
        struct pb_buf out;
        struct pb_diag d;
        cJSON *v = NULL;

        CHECK_INT(pb_json_parse(in, strlen(in), 0, &v, &d), PB_OK);
        if (!v)
                return;
        CHECK_INT(pb_json_int(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "b"), 2)),
                  9007199254740991LL);
        pb_buf_init(&out, 0);
        CHECK_INT(pb_json_canonical(v, &out), PB_OK);
        CHECK_STR(out.data,
                  "{\"a\":{\"x\":null,\"y\":true},\"b\":[1,-2,9007199254740991],\"c\":\"\xc5\x81\\n\"}");
        CHECK(!pb_json_is_canonical(in, strlen(in), v));
        CHECK(pb_json_is_canonical(out.data, out.len, v));
        cJSON_Delete(v);
        pb_buf_release(&out);
}

static void test_spec_table(void)
{
        static const struct pb_json_field fields[] = {
                { "code", PB_JSON_STRING, true },
                { "count", PB_JSON_INT, false },
                { NULL, PB_JSON_ANY, false },
        };
        static const struct {
                const char *in;
                pb_err r;
                const char *path;
        } cases[] = {
                { "{\"code\":\"x\",\"count\":3}", PB_OK, "" },
                { "{\"code\":\"x\"}", PB_OK, "" },
                { "{\"count\":3}", PB_ERR_PARSE, "$.body.code" },
                { "{\"code\":1}", PB_ERR_PARSE, "$.body.code" },
                { "{\"code\":\"x\",\"Code\":\"y\"}", PB_ERR_PARSE, "$.body.Code" },
                { "[]", PB_ERR_PARSE, "$.body" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pb_diag d;
                cJSON *v = NULL;

                pb_diag_clear(&d);
                CHECK_INT(pb_json_parse(cases[i].in, strlen(cases[i].in), 0, &v, &d), PB_OK);
                CHECK_INT(pb_json_check_object(v, fields, "$.body", &d), cases[i].r);
                if (cases[i].r)
                        CHECK_STR(d.path, cases[i].path);
                cJSON_Delete(v);
        }
}

int main(void)
{
        RUN(test_refusals);
        RUN(test_lexical_paths);
        RUN(test_accepts_and_canonical);
        RUN(test_spec_table);
        return check_summary("json");
}
