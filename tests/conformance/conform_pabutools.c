/**
 * @file Conformance against pabutools and the official results (shared/data/pabulib/expected).
 *
 *   conform-pabutools PBVOTE DATA_DIR RULES_TSV --keys PREFIX   every expected outcome whose key
 *        starts with PREFIX ("" for all): run `pbvote tally DATA_DIR/<file>.pb <args> --format json`
 *        with the TSV's arguments and require the same set of winners.  A key with no TSV line fails.
 *   conform-pabutools PBVOTE DATA_DIR --selected RULES...       every instance whose META rule is one
 *        of RULES and that has a `selected` column: `pbvote tally FILE` with no options must fund
 *        exactly the projects the city funded (selected = 1, as listed in the expected files).
 *
 * Expected values come from the shared files only (pabutools runs, the cities' own columns).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_buf.h"
#include "formats/pb_file.h"

#define MAX_KEYS 128

struct mapping {
        char key[96];
        char args[256];
};

static struct mapping maps[MAX_KEYS];
static size_t n_maps;
static int failures, checked;

static int load_tsv(const char *path)
{
        char *data;
        size_t len;
        struct pb_diag d;
        char *line, *save = NULL;

        if (pb_file_read(path, 1 << 20, &data, &len, &d) < 0) {
                fprintf(stderr, "cannot read %s\n", path);
                return -1;
        }
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *tab = strchr(line, '\t');
                if (line[0] == '#' || !tab)
                        continue;
                *tab = '\0';
                if (n_maps == MAX_KEYS || strlen(line) >= sizeof(maps[0].key) ||
                    strlen(tab + 1) >= sizeof(maps[0].args))
                        return -1;
                strcpy(maps[n_maps].key, line);
                strcpy(maps[n_maps].args, tab + 1);
                n_maps++;
        }
        pb_free(data);
        return 0;
}

static const char *args_for(const char *key)
{
        char k[96];
        size_t n = strlen(key);

        if (n >= sizeof(k))
                return NULL;
        strcpy(k, key);
        if (n > 4 && !strcmp(k + n - 4, "__mp"))
                k[n - 4] = '\0';
        for (size_t i = 0; i < n_maps; i++)
                if (!strcmp(maps[i].key, k))
                        return maps[i].args;
        return NULL;
}

static cJSON *load_json(const char *path)
{
        char *data;
        size_t len;
        struct pb_diag d;
        cJSON *j;

        if (pb_file_read(path, 1 << 26, &data, &len, &d) < 0)
                return NULL;
        j = cJSON_ParseWithLength(data, len);
        pb_free(data);
        return j;
}

/* Run pbvote and return its parsed JSON result (NULL on failure, with stderr shown). */
static cJSON *run_tally(const char *pbvote, const char *pb_file, const char *args)
{
        struct pb_buf cmd;
        struct pb_buf out;
        char chunk[65536];
        size_t n;
        FILE *f;
        cJSON *j = NULL;
        int st;

        pb_buf_init(&cmd, 0);
        if (pb_buf_addf(&cmd, "'%s' tally '%s' %s --format json", pbvote, pb_file, args) < 0)
                return NULL;
        f = popen(cmd.data, "r");
        if (!f) {
                pb_buf_release(&cmd);
                return NULL;
        }
        pb_buf_init(&out, 0);
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                if (pb_buf_add(&out, chunk, n) < 0)
                        break;
        st = pclose(f);
        if (st == 0 && out.data)
                j = cJSON_ParseWithLength(out.data, out.len);
        else
                fprintf(stderr, "  command failed (status %d): %s\n", st, cmd.data);
        pb_buf_release(&out);
        pb_buf_release(&cmd);
        return j;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Compare two JSON arrays of strings as sets; print the difference. */
static int same_set(const cJSON *got, const cJSON *want, const char *label)
{
        int ng = cJSON_GetArraySize(got), nw = cJSON_GetArraySize(want), ok = ng == nw;
        const char **g = calloc((size_t)ng + 1, sizeof(*g)), **w = calloc((size_t)nw + 1, sizeof(*w));

        for (int i = 0; i < ng; i++)
                g[i] = cJSON_GetArrayItem(got, i)->valuestring;
        for (int i = 0; i < nw; i++)
                w[i] = cJSON_GetArrayItem(want, i)->valuestring;
        for (int i = 0; i < ng; i++)
                if (!g[i])
                        ok = 0;
        for (int i = 0; i < nw; i++)
                if (!w[i])
                        ok = 0;
        if (ok) {
                qsort(g, (size_t)ng, sizeof(*g), cmp_str);
                qsort(w, (size_t)nw, sizeof(*w), cmp_str);
                for (int i = 0; i < ng; i++)
                        if (strcmp(g[i], w[i]))
                                ok = 0;
        }
        if (!ok) {
                fprintf(stderr, "FAIL %s\n  got:     ", label);
                for (int i = 0; i < ng; i++)
                        fprintf(stderr, " %s", g[i] ? g[i] : "?");
                fprintf(stderr, "\n  expected:");
                for (int i = 0; i < nw; i++)
                        fprintf(stderr, " %s", w[i] ? w[i] : "?");
                fprintf(stderr, "\n");
        }
        free(g);
        free(w);
        return ok;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of the expected JSON file names (deterministic order, readable logs). */
static char **list_expected(const char *dir, size_t *ret_n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = NULL;
        size_t n = 0, cap = 0;

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 256;
                        v = realloc(v, cap * sizeof(*v));
                }
                v[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(v, n, sizeof(*v), cmp_name);
        *ret_n = n;
        return v;
}

static void check_one(const char *pbvote, const char *data_dir, const char *name, const char *prefix,
                      const char *const *rules, int n_rules)
{
        char path[4096], pb[4096];
        cJSON *exp, *got = NULL;
        const char *key, *inst, *args = "";
        const cJSON *want;

        snprintf(path, sizeof(path), "%s/expected/%s", data_dir, name);
        exp = load_json(path);
        if (!exp) {
                fprintf(stderr, "FAIL %s: unreadable expected file\n", name);
                failures++;
                return;
        }
        key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "rule"));
        inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "instance"));
        if (!key || !inst) {
                fprintf(stderr, "FAIL %s: expected file lacks rule or instance\n", name);
                failures++;
                goto out;
        }
        if (rules) {
                /* --selected mode: one check per instance, driven by its first expected file */
                const char *meta_rule =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exp, "meta_rule"));
                int match = 0;
                want = cJSON_GetObjectItemCaseSensitive(exp, "selected_column");
                if (!meta_rule || !cJSON_IsArray(want))
                        goto out;
                for (int i = 0; i < n_rules; i++)
                        match |= !strcmp(meta_rule, rules[i]);
                if (!match)
                        goto out;
        } else {
                if (strncmp(key, prefix, strlen(prefix)))
                        goto out;
                args = args_for(key);
                if (!args) {
                        fprintf(stderr, "FAIL %s: key '%s' has no line in the rules table\n", name, key);
                        failures++;
                        goto out;
                }
                want = cJSON_GetObjectItemCaseSensitive(exp, "selected");
        }
        snprintf(pb, sizeof(pb), "%s/%s", data_dir, inst);
        got = run_tally(pbvote, pb, args);
        checked++;
        if (!got || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(got, "winners"))) {
                fprintf(stderr, "FAIL %s: no result from pbvote tally %s %s\n", name, inst, args);
                failures++;
                goto out;
        }
        {
                char label[512];
                snprintf(label, sizeof(label), "%s (%s%s)", name,
                         rules ? "selected column, no options" : "args: ", rules ? "" : args);
                if (!same_set(cJSON_GetObjectItemCaseSensitive(got, "winners"), want, label))
                        failures++;
        }
out:
        cJSON_Delete(got);
        cJSON_Delete(exp);
}

int main(int argc, char **argv)
{
        char dir[4096];
        const char *prefix = NULL;
        const char *const *rules = NULL;
        int n_rules = 0;
        char **names;
        size_t n;
        char last_inst[512] = "";

        if (argc >= 5 && !strcmp(argv[3], "--selected")) {
                rules = (const char *const *)argv + 4;
                n_rules = argc - 4;
        } else if (argc == 6 && !strcmp(argv[4], "--keys")) {
                if (load_tsv(argv[3]) < 0) {
                        fprintf(stderr, "bad rules table %s\n", argv[3]);
                        return 1;
                }
                prefix = argv[5];
        } else {
                fprintf(stderr, "usage: conform-pabutools PBVOTE DATA_DIR (RULES_TSV --keys PREFIX | "
                                "--selected RULE...)\n");
                return 2;
        }
        snprintf(dir, sizeof(dir), "%s/expected", argv[2]);
        names = list_expected(dir, &n);
        if (!names || !n) {
                fprintf(stderr, "FAIL: no expected outcomes in %s (is the shared data there?)\n", dir);
                return 1;
        }
        for (size_t i = 0; i < n; i++) {
                if (rules) {
                        /* one check per instance: files are sorted, so an instance's files are adjacent */
                        size_t l = strcspn(names[i], ".");
                        if (l < sizeof(last_inst) && !strncmp(last_inst, names[i], l) &&
                            last_inst[l] == '\0') {
                                free(names[i]);
                                continue;
                        }
                        if (l < sizeof(last_inst)) {
                                memcpy(last_inst, names[i], l);
                                last_inst[l] = '\0';
                        }
                }
                check_one(argv[1], argv[2], names[i], prefix, rules, n_rules);
                free(names[i]);
        }
        free(names);
        fprintf(stderr, "%d outcomes checked, %d failed\n", checked, failures);
        return failures || !checked ? 1 : 0;
}
