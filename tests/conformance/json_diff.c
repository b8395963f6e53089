/** @file Semantic JSON comparison (see json_diff.h). */
#include "json_diff.h"

#include <stdio.h>
#include <string.h>

bool json_decimal_canon(const char *s, char *ret, size_t cap)
{
        const char *p = s, *dot, *int_start, *int_end, *frac_end;
        bool neg = false, digits = false;
        size_t n = 0;

        if (*p == '-') {
                neg = true;
                p++;
        }
        int_start = p;
        while (*p >= '0' && *p <= '9') {
                p++;
                digits = true;
        }
        int_end = p;
        dot = NULL;
        frac_end = p;
        if (*p == '.') {
                dot = p++;
                while (*p >= '0' && *p <= '9') {
                        p++;
                        digits = true;
                }
                frac_end = p;
        }
        if (*p || !digits || cap < 4)
                return false;
        while (int_start < int_end - 1 && *int_start == '0')
                int_start++;
        if (dot)
                while (frac_end > dot + 1 && frac_end[-1] == '0')
                        frac_end--;
        /* "-0" and "-0.0" are zero */
        if (neg && int_end - int_start == 1 && *int_start == '0' && (!dot || frac_end == dot + 1))
                neg = false;
        if (int_start == int_end) {
                int_start = "0";
                int_end = int_start + 1;
        }
        if (neg)
                ret[n++] = '-';
        while (int_start < int_end && n + 2 < cap)
                ret[n++] = *int_start++;
        if (dot && frac_end > dot + 1) {
                const char *q = dot;
                while (q < frac_end && n + 1 < cap)
                        ret[n++] = *q++;
        }
        ret[n] = '\0';
        return true;
}

static bool ignored(const char *key, const char *const *ignore)
{
        size_t i;

        for (i = 0; ignore && ignore[i]; i++)
                if (!strcmp(key, ignore[i]))
                        return true;
        return false;
}

struct ctx {
        const char *const *ignore;
        size_t found, max;
        char path[512];
};

static void report(struct ctx *c, const char *what, const cJSON *a, const cJSON *b)
{
        char *sa, *sb;

        c->found++;
        if (c->found > c->max)
                return;
        sa = a ? cJSON_PrintUnformatted(a) : NULL;
        sb = b ? cJSON_PrintUnformatted(b) : NULL;
        fprintf(stderr, "  %s: %s: ours %.200s, expected %.200s\n", c->path[0] ? c->path : "$", what,
                sa ? sa : "(none)", sb ? sb : "(none)");
        cJSON_free(sa);
        cJSON_free(sb);
}

static void walk(struct ctx *c, const cJSON *a, const cJSON *b)
{
        size_t len = strlen(c->path);
        const cJSON *x;
        int i, n;

        if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
                cJSON_ArrayForEach(x, b)
                {
                        const cJSON *y = cJSON_GetObjectItemCaseSensitive(a, x->string);
                        if (ignored(x->string, c->ignore))
                                continue;
                        snprintf(c->path + len, sizeof(c->path) - len, "/%s", x->string);
                        if (!y)
                                report(c, "missing", NULL, x);
                        else
                                walk(c, y, x);
                        c->path[len] = '\0';
                }
                cJSON_ArrayForEach(x, a)
                {
                        if (ignored(x->string, c->ignore) || cJSON_GetObjectItemCaseSensitive(b, x->string))
                                continue;
                        snprintf(c->path + len, sizeof(c->path) - len, "/%s", x->string);
                        report(c, "not expected", x, NULL);
                        c->path[len] = '\0';
                }
                return;
        }
        if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
                n = cJSON_GetArraySize(b);
                if (cJSON_GetArraySize(a) != n) {
                        report(c, "array length differs", a, b);
                        return;
                }
                for (i = 0; i < n; i++) {
                        snprintf(c->path + len, sizeof(c->path) - len, "[%d]", i);
                        walk(c, cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i));
                        c->path[len] = '\0';
                }
                return;
        }
        if (cJSON_IsString(a) && cJSON_IsString(b)) {
                char ca[128], cb[128];
                if (json_decimal_canon(a->valuestring, ca, sizeof(ca)) &&
                    json_decimal_canon(b->valuestring, cb, sizeof(cb))) {
                        if (strcmp(ca, cb))
                                report(c, "number differs", a, b);
                } else if (strcmp(a->valuestring, b->valuestring)) {
                        report(c, "string differs", a, b);
                }
                return;
        }
        if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
                if (a->valuedouble != b->valuedouble)
                        report(c, "number differs", a, b);
                return;
        }
        if ((cJSON_IsBool(a) && cJSON_IsBool(b) && cJSON_IsTrue(a) == cJSON_IsTrue(b)) ||
            (cJSON_IsNull(a) && cJSON_IsNull(b)))
                return;
        report(c, "type or value differs", a, b);
}

size_t json_diff(const cJSON *ours, const cJSON *expected, const char *const *ignore, size_t max_report)
{
        struct ctx c;

        memset(&c, 0, sizeof(c));
        c.ignore = ignore;
        c.max = max_report;
        walk(&c, ours, expected);
        if (c.found > c.max)
                fprintf(stderr, "  ... and %zu more differences\n", c.found - c.max);
        return c.found;
}
