/** @file Shared helpers of the subcommands: key files, opening a box, messages and exit statuses. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_key.h"

int cli_key_load(const char *path, enum pb_key_role role, const char *pass_file, struct pb_key_secret **ret)
{
        struct pb_keyfile_info info;
        struct pb_key_secret *k = NULL;
        struct pb_diag d;
        char *pass = NULL;
        size_t pass_len = 0;
        int rc = PB_EXIT_OK;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_keyfile_read_info(path, &info, &d);
        if (r < 0)
                return cli_fail(path, r, &d);
        if (info.role != role) {
                fprintf(stderr, "pbvote: %s: the key of role %s, but this needs the %s key\n", path,
                        pb_key_role_name(info.role), pb_key_role_name(role));
                return PB_EXIT_USAGE;
        }
        k = sodium_malloc(sizeof(*k));
        pass = sodium_malloc(CLI_PASS_CAP);
        if (!k || !pass) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        if (info.encrypted) {
                rc = cli_passphrase(pass_file, false, pass, &pass_len);
                if (rc)
                        goto out;
        } else if (cli_key_first_warning(path)) {
                fprintf(stderr, "pbvote: WARNING: %s is NOT encrypted (tests and demos only)\n", path);
        }
        r = pb_keyfile_load(path, info.encrypted ? pass : NULL, pass_len, NULL, k, &d);
        if (r < 0) {
                rc = cli_fail(path, r, &d);
                goto out;
        }
        *ret = k;
        k = NULL;
out:
        sodium_free(pass);
        cli_key_free(k);
        return rc;
}

bool cli_key_first_warning(const char *path)
{
        /* a handful of key files per process; a longer path is always warned about */
        static char warned[8][256];
        size_t i, len = strlen(path);

        if (len >= sizeof(warned[0]))
                return true;
        for (i = 0; i < 8 && warned[i][0]; i++)
                if (!strcmp(warned[i], path))
                        return false;
        if (i < 8)
                memcpy(warned[i], path, len + 1);
        return true;
}

void cli_key_free(struct pb_key_secret *k)
{
        if (k)
                pb_key_secret_wipe(k);
        sodium_free(k);
}

int cli_fail(const char *what, pb_err r, const struct pb_diag *d)
{
        struct pb_diag copy = *d;

        if (!copy.code)
                copy.code = r;
        cli_report(what, &copy);
        return cli_exit_for(r);
}

int cli_box_open(const struct cli_command *cmd, const char *db, struct pb_box **ret)
{
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!db)
                return cli_missing(cmd, "--db DB");
        r = pb_box_open(db, ret, &d);
        return r < 0 ? cli_fail(db, r, &d) : PB_EXIT_OK;
}

int cli_box_engine(struct pb_box *b, const char *path, const char *pass_file, struct pb_key_secret **ret)
{
        struct pb_key_secret *k = NULL;
        struct pb_diag d;
        int rc;
        pb_err r;

        if (!path) {
                fprintf(stderr, "pbvote: --key FILE (the engine key) is required\n");
                return PB_EXIT_USAGE;
        }
        rc = cli_key_load(path, PB_KEY_ROLE_ENGINE, pass_file, &k);
        if (rc)
                return rc;
        pb_diag_clear(&d);
        r = pb_box_set_engine_key(b, k, &d);
        if (r < 0) {
                cli_key_free(k);
                return cli_fail(path, r, &d);
        }
        *ret = k;
        return PB_EXIT_OK;
}

void cli_now(char out[21])
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cli_report(const char *file, const struct pb_diag *d)
{
        char line[512];

        pb_diag_format(d, file, line, sizeof(line));
        fprintf(stderr, "pbvote: %s\n", line);
}

int cli_exit_for(pb_err e)
{
        switch (e) {
        case PB_OK: return PB_EXIT_OK;
        case PB_ERR_NOMEM:
        case PB_ERR_STORAGE:
        case PB_ERR_INTERNAL: return PB_EXIT_SOFTWARE;
        default: return PB_EXIT_INPUT;
        }
}
