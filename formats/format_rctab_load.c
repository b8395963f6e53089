/** @file Reading an RCTab contest: the config file, then every CVR file or folder it names. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format_rctab_int.h"
#include "formats/pb_file.h"
#include "engine/pb_alloc.h"

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash)
                return pb_strndup(".", 1);
        if (slash == path)
                return pb_strndup("/", 1);
        return pb_strndup(path, (size_t)(slash - path));
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
}

/* ES&S sources name the .xlsx workbook; we read its exact CSV rendering next to it. */
static pb_err read_ess(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, struct pb_diag *reterr,
                       char **ret_path)
{
        size_t n = strlen(src->path);
        char *path = pb_malloc(n + 5), *data = NULL;
        size_t len;
        pb_err r;

        if (!path)
                return PB_ERR_NOMEM;
        memcpy(path, src->path, n + 1);
        if (ends_with(path, ".xlsx"))
                memcpy(path + n, ".csv", 5);
        *ret_path = path;
        r = pb_file_read(path, PB_RCTAB_MAX_FILE, &data, &len, reterr);
        if (r < 0)
                return r;
        r = pb_rctab_read_ess(cfg, src, data, len, reterr);
        pb_free(data);
        return r;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
        size_t a = strlen(dir), b = strlen(name);
        char *p = pb_malloc(a + b + 2);

        if (!p)
                return NULL;
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, name, b + 1);
        return p;
}

/* A Dominion export folder: ContestManifest.json and every CvrExport*.json, in name order. */
static pb_err read_dominion(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                            struct pb_diag *reterr, char **ret_path)
{
        struct pb_rctab_dominion dm;
        char **names = NULL, **nn, *data = NULL, *path = NULL;
        size_t n = 0, cap = 0, len, i;
        DIR *d = NULL;
        struct dirent *e;
        pb_err r;

        path = join(src->path, "ContestManifest.json");
        if (!path)
                return PB_ERR_NOMEM;
        *ret_path = path;
        r = pb_file_read(path, PB_RCTAB_MAX_FILE, &data, &len, reterr);
        if (r < 0)
                return r;
        r = pb_rctab_read_dominion_contests(src, data, len, &dm, reterr);
        pb_free(data);
        data = NULL;
        if (r < 0)
                return r;
        d = opendir(src->path);
        if (!d) {
                *ret_path = NULL;
                pb_free(path);
                path = pb_strndup(src->path, strlen(src->path));
                *ret_path = path;
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot open the Dominion export folder");
        }
        while ((e = readdir(d))) {
                if (strncmp(e->d_name, "CvrExport", 9) || !ends_with(e->d_name, ".json"))
                        continue;
                nn = pb_grow(names, &cap, n + 1, sizeof(*nn), 16);
                if (!nn) {
                        r = PB_ERR_NOMEM;
                        goto out;
                }
                names = nn;
                names[n] = pb_strndup(e->d_name, strlen(e->d_name));
                if (!names[n]) {
                        r = PB_ERR_NOMEM;
                        goto out;
                }
                n++;
        }
        if (!n) {
                r = pb_diag_set(reterr, PB_ERR_INVALID, NULL,
                                "no CvrExport*.json file in the Dominion folder");
                goto out;
        }
        qsort(names, n, sizeof(*names), cmp_str);
        for (i = 0; i < n; i++) {
                pb_free(*ret_path);
                *ret_path = join(src->path, names[i]);
                if (!*ret_path) {
                        r = PB_ERR_NOMEM;
                        goto out;
                }
                r = pb_file_read(*ret_path, PB_RCTAB_MAX_FILE, &data, &len, reterr);
                if (r < 0)
                        goto out;
                r = pb_rctab_read_dominion_cvrs(cfg, src, &dm, data, len, reterr);
                pb_free(data);
                data = NULL;
                if (r < 0)
                        goto out;
        }
        r = PB_OK;
out:
        for (i = 0; i < n; i++)
                pb_free(names[i]);
        pb_free(names);
        closedir(d);
        return r;
}

static pb_err read_file_source(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                               struct pb_diag *reterr)
{
        char *data = NULL;
        size_t len;
        pb_err r = pb_file_read(src->path, PB_RCTAB_MAX_FILE, &data, &len, reterr);

        if (r < 0)
                return r;
        switch (src->provider) {
        case PB_RCTAB_GENERIC_CSV: r = pb_rctab_read_generic_csv(cfg, src, data, len, reterr); break;
        case PB_RCTAB_CLEAR_BALLOT: r = pb_rctab_read_clear_ballot(cfg, src, data, len, reterr); break;
        case PB_RCTAB_CDF: r = pb_rctab_read_cdf(cfg, src, data, len, reterr); break;
        default: r = PB_ERR_INTERNAL; break;
        }
        pb_free(data);
        return r;
}

pb_err pb_rctab_load(const char *path, struct pb_rctab_config *cfg, struct pb_diag *reterr,
                     const char **reterr_file)
{
        char *data = NULL, *dir = NULL, *used = NULL;
        size_t len, i;
        pb_err r;

        if (reterr_file)
                *reterr_file = path;
        r = pb_file_read(path, PB_RCTAB_MAX_FILE, &data, &len, reterr);
        if (r < 0)
                goto out;
        dir = dir_of(path);
        if (!dir) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = pb_rctab_config_parse(data, len, dir, cfg, reterr);
        if (r < 0)
                goto out;
        for (i = 0; i < cfg->n_sources; i++) {
                const struct pb_rctab_source *src = &cfg->sources[i];

                pb_free(used);
                used = NULL;
                if (reterr_file)
                        *reterr_file = src->path;
                if (src->provider == PB_RCTAB_ESS)
                        r = read_ess(cfg, src, reterr, &used);
                else if (src->provider == PB_RCTAB_DOMINION)
                        r = read_dominion(cfg, src, reterr, &used);
                else
                        r = read_file_source(cfg, src, reterr);
                if (r < 0) {
                        /* name the exact file (an .xlsx.csv, one CvrExport of a folder) */
                        if (used && reterr_file) {
                                pb_free(cfg->err_file);
                                cfg->err_file = used;
                                used = NULL;
                                *reterr_file = cfg->err_file;
                        }
                        goto out;
                }
        }
        if (reterr_file)
                *reterr_file = NULL;
        r = PB_OK;
out:
        pb_free(used);
        pb_free(dir);
        pb_free(data);
        return r;
}
