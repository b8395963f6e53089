/** @file Shared helpers of the ballot-box subcommands: key files, options, opening a box. */
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
        } else {
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

void cli_key_free(struct pb_key_secret *k)
{
        if (k)
                pb_key_secret_wipe(k);
        sodium_free(k);
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **operands, int max_operands,
              int *ret_n_operands, const char *usage)
{
        int n = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const struct cli_opt *o;

                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        fputs(usage, stdout);
                        exit(PB_EXIT_OK);
                }
                if (a[0] != '-' || !a[1]) {
                        if (n >= max_operands) {
                                fprintf(stderr, "pbvote %s: unexpected argument '%s'\n\n%s", argv[0], a,
                                        usage);
                                return PB_EXIT_USAGE;
                        }
                        operands[n++] = a;
                        continue;
                }
                for (o = opts; o->name && strcmp(o->name, a); o++)
                        ;
                if (!o->name) {
                        fprintf(stderr, "pbvote %s: unknown option '%s'\n\n%s", argv[0], a, usage);
                        return PB_EXIT_USAGE;
                }
                if (o->flag) {
                        *o->flag = true;
                        continue;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "pbvote %s: %s needs a value\n\n%s", argv[0], a, usage);
                        return PB_EXIT_USAGE;
                }
                *o->value = argv[++i];
        }
        if (ret_n_operands)
                *ret_n_operands = n;
        return PB_EXIT_OK;
}

int cli_fail(const char *what, pb_err r, const struct pb_diag *d)
{
        struct pb_diag copy = *d;

        if (!copy.code)
                copy.code = r;
        cli_report(what, &copy);
        return cli_exit_for(r);
}

int cli_box_open(const char *db, struct pb_box **ret)
{
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!db) {
                fprintf(stderr, "pbvote: --db FILE is required\n");
                return PB_EXIT_USAGE;
        }
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
