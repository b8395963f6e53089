/**
 * @file One RCTab regression case: load the contest config and its CVRs, count, write RCTab's
 * detailed report JSON and compare it, as parsed JSON with numbers compared numerically, with
 * RCTab's own expected report(s) from the shared data (GeneratedDate and generatedBy ignored,
 * as RCTab's TabulatorTests do).  A multi-pass case has one expected file per pass.
 *
 * usage: conformance-rctab DATA_DIR CASE [--config PATH] [--expect-error]
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/pb_file.h"
#include "ballots/pb_format_rctab.h"
#include "engine/pb_alloc.h"
#include "json_diff.h"

static char *path_of(const char *dir, const char *kase, const char *suffix)
{
        size_t n = strlen(dir) + 2 * strlen(kase) + strlen(suffix) + 4;
        char *p = malloc(n);

        if (p)
                snprintf(p, n, "%s/%s/%s%s", dir, kase, kase, suffix);
        return p;
}

static cJSON *read_json(const char *path)
{
        struct pb_diag d;
        char *data = NULL;
        size_t len;
        cJSON *j;

        if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0)
                return NULL;
        j = cJSON_ParseWithLength(data, len);
        pb_free(data);
        return j;
}

/* The expected report, or for multi-pass IRV an array of the per-pass reports. */
static cJSON *expected(const char *dir, const char *kase)
{
        char *p = path_of(dir, kase, "_expected_detailed_report.json"), suffix[64];
        cJSON *one = p ? read_json(p) : NULL, *arr;
        int pass;

        free(p);
        if (one)
                return one;
        arr = cJSON_CreateArray();
        for (pass = 1; arr; pass++) {
                snprintf(suffix, sizeof(suffix), "_%d_expected_detailed_report.json", pass);
                p = path_of(dir, kase, suffix);
                one = p ? read_json(p) : NULL;
                free(p);
                if (!one)
                        break;
                cJSON_AddItemToArray(arr, one);
        }
        if (arr && !cJSON_GetArraySize(arr)) {
                cJSON_Delete(arr);
                return NULL;
        }
        return arr;
}

/* Load, count and write the report; 0 on success, the pb_err otherwise. */
static int run(const char *config, struct pb_buf *out)
{
        struct pb_rctab_config cfg;
        struct pb_ranked_outcome o;
        struct pb_rctab_meta meta;
        struct pb_diag d;
        const char *file = NULL;
        char line[512];
        pb_err r;

        pb_rctab_config_init(&cfg);
        pb_ranked_outcome_init(&o);
        pb_diag_clear(&d);
        r = pb_rctab_load(config, &cfg, &d, &file);
        if (r >= 0)
                r = pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d);
        if (r >= 0) {
                meta.contest = cfg.contest_name;
                meta.date = cfg.date;
                meta.jurisdiction = cfg.jurisdiction;
                meta.office = cfg.office;
                r = pb_rctab_report_write(&cfg.contest, &o, &meta, cfg.rules.mode == PB_RCTAB_MULTI_PASS,
                                          out);
        } else {
                pb_diag_format(&d, file ? file : config, line, sizeof(line));
                fprintf(stderr, "%s\n", line);
                if (!d.reason) {
                        fprintf(stderr, "error without a reason\n");
                        r = PB_ERR_INTERNAL;
                }
        }
        pb_ranked_outcome_release(&o);
        pb_rctab_config_release(&cfg);
        return r;
}

int main(int argc, char **argv)
{
        static const char *const ignore[] = { "GeneratedDate", "generatedBy", NULL };
        const char *dir, *kase, *config = NULL;
        char *cfgpath = NULL;
        bool expect_error = false;
        struct pb_buf out, again;
        cJSON *ours = NULL, *exp = NULL;
        size_t n;
        int i, status = 1;
        pb_err r;

        if (argc < 3) {
                fprintf(stderr, "usage: %s DATA_DIR CASE [--config PATH] [--expect-error]\n", argv[0]);
                return 2;
        }
        dir = argv[1];
        kase = argv[2];
        for (i = 3; i < argc; i++) {
                if (!strcmp(argv[i], "--expect-error"))
                        expect_error = true;
                else if (!strcmp(argv[i], "--config") && i + 1 < argc)
                        config = argv[++i];
        }
        if (!config)
                config = cfgpath = path_of(dir, kase, "_config.json");
        pb_buf_init(&out, 0);
        pb_buf_init(&again, 0);
        r = run(config, &out);
        if (expect_error) {
                if (r < 0 && r != PB_ERR_IO && r != PB_ERR_INTERNAL && r != PB_ERR_NOMEM) {
                        fprintf(stderr, "%s: rejected as expected\n", kase);
                        status = 0;
                } else {
                        fprintf(stderr, "%s: expected the contest to be rejected\n", kase);
                }
                goto out;
        }
        if (r < 0)
                goto out;
        /* the same inputs give the same bytes */
        if (run(config, &again) < 0 || again.len != out.len || memcmp(again.data, out.data, out.len)) {
                fprintf(stderr, "%s: a second count gave different output\n", kase);
                goto out;
        }
        exp = expected(dir, kase);
        if (!exp) {
                fprintf(stderr, "%s: no expected report in %s/%s\n", kase, dir, kase);
                goto out;
        }
        ours = cJSON_ParseWithLength(out.data, out.len);
        if (!ours) {
                fprintf(stderr, "%s: our report is not JSON\n", kase);
                goto out;
        }
        n = json_diff(ours, exp, ignore, 25);
        if (n) {
                fprintf(stderr, "%s: %zu differences from RCTab's report\n", kase, n);
                goto out;
        }
        fprintf(stderr, "%s: matches RCTab's report\n", kase);
        status = 0;
out:
        cJSON_Delete(ours);
        cJSON_Delete(exp);
        pb_buf_release(&out);
        pb_buf_release(&again);
        free(cfgpath);
        return status;
}
