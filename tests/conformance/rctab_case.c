/**
 * @file One RCTab regression case: load the contest config and its CVRs, count, write RCTab's
 * detailed report JSON and compare it, as parsed JSON with numbers compared numerically, with
 * RCTab's own expected report(s) from the shared data (GeneratedDate and generatedBy ignored,
 * as RCTab's TabulatorTests do).  A multi-pass case has one expected file per pass.
 *
 * Every expected CSV summary is checked against our report too (rctab_csv.h), and so is every
 * expected slice report in the case's "Tabulate by Precinct" and "Tabulate by Batch" folders
 * (<case>_expected_<stem>_detailed_report.json or .csv, <stem> as RCTab names the slice's
 * files): each must be one of our slice reports, and match it.
 *
 * usage: conformance-rctab DATA_DIR CASE [--config PATH] [--expect-error]
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_rctab.h"
#include "engine/pb_alloc.h"
#include "json_diff.h"
#include "rctab_csv.h"

static const char *const ignore[] = { "GeneratedDate", "generatedBy", NULL };

static char *path_of(const char *dir, const char *kase, const char *suffix)
{
        size_t n = strlen(dir) + 2 * strlen(kase) + strlen(suffix) + 4;
        char *p = malloc(n);

        if (p)
                snprintf(p, n, "%s/%s/%s%s", dir, kase, kase, suffix);
        return p;
}

static char *read_text(const char *path, size_t *ret_len)
{
        struct pb_diag d;
        char *data = NULL;
        size_t len;

        if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0)
                return NULL;
        *ret_len = len;
        return data;
}

static cJSON *read_json(const char *path)
{
        size_t len;
        char *data = read_text(path, &len);
        cJSON *j;

        if (!data)
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

/* A counted contest: the config, its outcome, the report names. */
struct counted {
        struct pb_rctab_config cfg;
        struct pb_ranked_outcome o;
        struct pb_rctab_meta meta;
        bool multi_pass;
};

static void counted_release(struct counted *k)
{
        pb_ranked_outcome_release(&k->o);
        pb_rctab_config_release(&k->cfg);
}

/* Load and count; 0 on success, the pb_err otherwise (printed). */
static int count(const char *config, struct counted *k)
{
        struct pb_diag d;
        const char *file = NULL;
        char line[512];
        pb_err r;

        pb_rctab_config_init(&k->cfg);
        pb_ranked_outcome_init(&k->o);
        pb_diag_clear(&d);
        r = pb_rctab_load(config, &k->cfg, &d, &file);
        if (r >= 0)
                r = pb_rctab_run(&k->cfg.contest, &k->cfg.rules, &k->o, &d);
        if (r < 0) {
                pb_diag_format(&d, file ? file : config, line, sizeof(line));
                fprintf(stderr, "%s\n", line);
                if (!d.reason) {
                        fprintf(stderr, "error without a reason\n");
                        r = PB_ERR_INTERNAL;
                }
                return r;
        }
        pb_rctab_meta_init(&k->meta, &k->cfg);
        k->multi_pass = k->cfg.rules.mode == PB_RCTAB_MULTI_PASS;
        return PB_OK;
}

/* Every report of a count, the contest-wide one then each slice's, one after the other. */
static pb_err write_all(const struct counted *k, struct pb_buf *out)
{
        pb_err r = pb_rctab_report_write(&k->cfg.contest, &k->o, &k->meta, k->multi_pass, out);
        unsigned kind;
        size_t s;

        for (kind = 0; r >= 0 && kind < PB_RANKED_SLICE_KINDS; kind++)
                for (s = 0; r >= 0 && s < k->cfg.contest.slices[kind].n; s++)
                        r = pb_rctab_slice_report_write(&k->cfg.contest, &k->o, &k->meta, k->multi_pass,
                                                        (enum pb_ranked_slice_kind)kind, s, out);
        return r;
}

/* Our report of pass @pass against RCTab's CSV summary at @path; differences counted into *@bad. */
static void compare_csv(const char *path, const cJSON *ours, const struct counted *k, size_t pass,
                        const char *what, size_t *bad, size_t *compared)
{
        const struct pb_ranked_result *res = &k->o.passes[pass];
        struct rctab_csv_tie *ties = calloc(res->n_ties ? res->n_ties : 1, sizeof(*ties));
        size_t len, n, i;
        char *csv = read_text(path, &len);

        if (!csv || !ties) {
                fprintf(stderr, "%s: cannot read %s\n", what, path);
                (*bad)++;
                pb_free(csv);
                free(ties);
                return;
        }
        for (i = 0; i < res->n_ties; i++) {
                ties[i].round = (int)res->ties[i].round;
                ties[i].name = k->cfg.contest.cand[res->ties[i].chosen].name;
        }
        n = rctab_csv_diff(ours, ties, res->n_ties, csv, len, 25);
        free(ties);
        pb_free(csv);
        if (n)
                fprintf(stderr, "%s: %zu differences from RCTab's CSV %s\n", what, n, path);
        *bad += n;
        (*compared)++;
}

/* The contest-wide CSV summaries: one, or one per pass. */
static void compare_main_csv(const char *dir, const char *kase, const cJSON *ours, const struct counted *k,
                             size_t *bad, size_t *compared)
{
        char suffix[64], *p;
        int i;

        if (!cJSON_IsArray(ours)) {
                p = path_of(dir, kase, "_expected_detailed_report.csv");
                if (p)
                        compare_csv(p, ours, k, 0, kase, bad, compared);
                free(p);
                return;
        }
        for (i = 0; i < cJSON_GetArraySize(ours); i++) {
                snprintf(suffix, sizeof(suffix), "_%d_expected_detailed_report.csv", i + 1);
                p = path_of(dir, kase, suffix);
                if (p)
                        compare_csv(p, cJSON_GetArrayItem(ours, i), k, (size_t)i, kase, bad, compared);
                free(p);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One expected slice file @name of folder @folder against our slice reports of @kind. */
static void compare_slice_file(const char *folder, const char *name, const char *kase,
                               const struct counted *k, enum pb_ranked_slice_kind kind, char **stems,
                               size_t *bad, size_t *compared)
{
        static const char tail[] = "_detailed_report";
        size_t plen = strlen(kase) + strlen("_expected_"), nlen = strlen(name), s,
               n = k->cfg.contest.slices[kind].n;
        const char *ext = strrchr(name, '.');
        char path[8192];
        struct pb_buf out;
        cJSON *ours = NULL, *exp = NULL;
        size_t stem_len, diffs;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", folder, name) >= sizeof(path)) {
                fprintf(stderr, "%s/%s: path too long\n", folder, name);
                (*bad)++;
                return;
        }
        if (nlen <= plen || strncmp(name, kase, strlen(kase)) ||
            strncmp(name + strlen(kase), "_expected_", 10) || !ext ||
            (strcmp(ext, ".json") && strcmp(ext, ".csv")) || (size_t)(ext - name) < plen + sizeof(tail) - 1 ||
            strncmp(ext - (sizeof(tail) - 1), tail, sizeof(tail) - 1)) {
                fprintf(stderr, "%s: not an expected slice report\n", path);
                (*bad)++;
                return;
        }
        stem_len = (size_t)(ext - name) - (sizeof(tail) - 1) - plen;
        for (s = 0; s < n; s++)
                if (strlen(stems[s]) == stem_len && !strncmp(stems[s], name + plen, stem_len))
                        break;
        if (s == n) {
                fprintf(stderr, "%s: we have no slice named %.*s\n", path, (int)stem_len, name + plen);
                (*bad)++;
                return;
        }
        pb_buf_init(&out, 0);
        if (pb_rctab_slice_report_write(&k->cfg.contest, &k->o, &k->meta, k->multi_pass, kind, s, &out) < 0 ||
            !(ours = cJSON_ParseWithLength(out.data, out.len))) {
                fprintf(stderr, "%s: cannot write our slice report\n", path);
                (*bad)++;
                goto out;
        }
        if (!strcmp(ext, ".csv")) {
                compare_csv(path, cJSON_IsArray(ours) ? cJSON_GetArrayItem(ours, 0) : ours, k, 0, stems[s],
                            bad, compared);
                goto out;
        }
        exp = read_json(path);
        if (!exp) {
                fprintf(stderr, "%s: cannot read\n", path);
                (*bad)++;
                goto out;
        }
        diffs = json_diff(ours, exp, ignore, 25);
        if (diffs)
                fprintf(stderr, "%s: %zu differences from RCTab's slice report %s\n", stems[s], diffs, path);
        *bad += diffs;
        (*compared)++;
out:
        cJSON_Delete(ours);
        cJSON_Delete(exp);
        pb_buf_release(&out);
}

/* Every file in the case's "Tabulate by Precinct" / "Tabulate by Batch" folders. */
static void compare_slices(const char *dir, const char *kase, const struct counted *k, size_t *bad,
                           size_t *compared)
{
        unsigned kind;

        for (kind = 0; kind < PB_RANKED_SLICE_KINDS; kind++) {
                char folder[4096], **names = NULL, **stems = NULL;
                size_t n = 0, i, n_slices = k->cfg.contest.slices[kind].n;
                struct dirent *e;
                DIR *d;

                snprintf(folder, sizeof(folder), "%s/%s/%s", dir, kase,
                         pb_rctab_slice_folder((enum pb_ranked_slice_kind)kind));
                d = opendir(folder);
                if (!d) {
                        if (errno != ENOENT) {
                                fprintf(stderr, "%s: cannot open\n", folder);
                                (*bad)++;
                        }
                        continue;
                }
                while ((e = readdir(d))) {
                        char **nn;
                        if (e->d_name[0] == '.')
                                continue;
                        nn = realloc(names, (n + 1) * sizeof(*names));
                        if (!nn)
                                break;
                        names = nn;
                        names[n++] = strdup(e->d_name);
                }
                closedir(d);
                qsort(names, n, sizeof(*names), cmp_str);
                if (!n_slices) {
                        fprintf(stderr, "%s: RCTab has slice reports here, our count has none\n", folder);
                        (*bad)++;
                } else if (pb_rctab_slice_stems(&k->cfg.contest, (enum pb_ranked_slice_kind)kind, &stems) <
                           0) {
                        fprintf(stderr, "%s: cannot name our slices\n", folder);
                        (*bad)++;
                } else {
                        for (i = 0; i < n; i++)
                                compare_slice_file(folder, names[i], kase, k, (enum pb_ranked_slice_kind)kind,
                                                   stems, bad, compared);
                }
                pb_rctab_slice_stems_free(stems, n_slices);
                for (i = 0; i < n; i++)
                        free(names[i]);
                free(names);
        }
}

int main(int argc, char **argv)
{
        const char *dir, *kase, *config = NULL;
        char *cfgpath = NULL;
        bool expect_error = false;
        struct counted k1, k2;
        struct pb_buf out, again, main_report;
        cJSON *ours = NULL, *exp = NULL;
        size_t n, bad = 0, csv_compared = 0, slices_compared = 0;
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
        pb_buf_init(&main_report, 0);
        memset(&k1, 0, sizeof(k1));
        memset(&k2, 0, sizeof(k2));
        r = count(config, &k1);
        if (expect_error) {
                if (r < 0 && r != PB_ERR_IO && r != PB_ERR_INTERNAL && r != PB_ERR_NOMEM) {
                        fprintf(stderr, "%s: rejected as expected\n", kase);
                        status = 0;
                } else {
                        fprintf(stderr, "%s: expected the contest to be rejected\n", kase);
                }
                goto out;
        }
        if (r < 0 || write_all(&k1, &out) < 0 ||
            pb_rctab_report_write(&k1.cfg.contest, &k1.o, &k1.meta, k1.multi_pass, &main_report) < 0)
                goto out;
        /* the same inputs give the same bytes, slice reports included */
        if (count(config, &k2) < 0 || write_all(&k2, &again) < 0 || again.len != out.len ||
            memcmp(again.data, out.data, out.len)) {
                fprintf(stderr, "%s: a second count gave different output\n", kase);
                goto out;
        }
        exp = expected(dir, kase);
        if (!exp) {
                fprintf(stderr, "%s: no expected report in %s/%s\n", kase, dir, kase);
                goto out;
        }
        ours = cJSON_ParseWithLength(main_report.data, main_report.len);
        if (!ours) {
                fprintf(stderr, "%s: our report is not JSON\n", kase);
                goto out;
        }
        n = json_diff(ours, exp, ignore, 25);
        if (n)
                fprintf(stderr, "%s: %zu differences from RCTab's report\n", kase, n);
        bad += n;
        compare_main_csv(dir, kase, ours, &k1, &bad, &csv_compared);
        compare_slices(dir, kase, &k1, &bad, &slices_compared);
        if (bad)
                goto out;
        fprintf(stderr, "%s: matches RCTab's report, %zu CSV summary(ies) and %zu slice report(s)\n", kase,
                csv_compared, slices_compared);
        status = 0;
out:
        cJSON_Delete(ours);
        cJSON_Delete(exp);
        counted_release(&k1);
        counted_release(&k2);
        pb_buf_release(&out);
        pb_buf_release(&again);
        pb_buf_release(&main_report);
        free(cfgpath);
        return status;
}
