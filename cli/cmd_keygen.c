/**
 * @file `pbvote keygen`: create an Ed25519 key file for a role, check one, or print its public key.
 *
 *   pbvote keygen --role engine|office --out FILE [--name NAME] [--kdf moderate|interactive|sensitive]
 *                 [--passphrase-file FILE | --no-passphrase]
 *   pbvote keygen --check FILE [--passphrase-file FILE]
 *   pbvote keygen --public FILE
 *
 * The passphrase comes from --passphrase-file (its first line), else from PBVOTE_PASSPHRASE, else
 * from the terminal without echo (asked twice for a new key).  The environment and files are for
 * scripts and tests; an operator should type it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "formats/pb_file.h"
#include "formats/pb_keyfile.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"

#define PASS_CAP CLI_PASS_CAP
#define PASS_MIN_NEW 8 /* bytes, for new keys */

static const char *const role_words[] = { "engine", "office", NULL };
static const char *const kdf_words[] = { "moderate", "interactive", "sensitive", NULL };

struct keygen_opts {
        int role, kdf;
        const char *out, *name, *pass_file, *check, *pub;
        bool no_pass;
};

#define O struct keygen_opts
static const struct cli_option keygen_options[] = {
        CLI_CHOICE("role", O, role, NULL, role_words, "what the new key signs (docs/ballot-box.md)"),
        CLI_PATH("out", O, out, "FILE",
                 "the new key file (mode 0600, never overwritten);\nFILE.pub gets the "
                 "verifier key"),
        CLI_STRING("name", O, name, "NAME", "the key's name in its verifier key\n(default pbvote-ROLE)"),
        CLI_CHOICE("kdf", O, kdf, NULL, kdf_words,
                   "Argon2id limits of the passphrase (default\nmoderate: 3 passes, 256 MiB)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE", "the passphrase is the first line of FILE"),
        CLI_FLAG("no-passphrase", O, no_pass, "write the secret key unencrypted (tests, demos)"),
        CLI_PATH("check", O, check, "FILE", "check the key file FILE opens (asks its passphrase)"),
        CLI_PATH("public", O, pub, "FILE", "print the verifier key of the key file FILE"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_keygen = {
        .name = "keygen",
        .synopsis = "keygen --role engine|office --out FILE [--name NAME] [--kdf WORD]\n"
                    "keygen --role engine|office --out FILE --no-passphrase [--name NAME]\n"
                    "keygen --check FILE [--passphrase-file FILE]\n"
                    "keygen --public FILE",
        .about = "Writes FILE (mode 0600, never overwritten) and FILE.pub (the C2SP verifier key).\n"
                 "The passphrase is read from --passphrase-file, PBVOTE_PASSPHRASE, or the terminal.\n",
        .options = keygen_options,
};

static int get_passphrase(const char *file, bool twice, char *buf, size_t *ret_len)
{
        return cli_passphrase(file, twice, buf, ret_len);
}

static int print_public(const char *path, const struct pb_keyfile_info *info)
{
        struct pb_buf vk;
        int rc = PB_EXIT_OK;

        pb_buf_init(&vk, 0);
        if (pb_key_vkey_format(&info->pub, &vk) < 0) {
                fprintf(stderr, "pbvote: out of memory\n");
                rc = PB_EXIT_SOFTWARE;
        } else {
                (void)path;
                printf("%s\n", vk.data);
        }
        pb_buf_release(&vk);
        return rc;
}

/* The key file's header (role, whether it is encrypted), or the exit status of why it is unreadable. */
static int read_info(const char *path, struct pb_keyfile_info *info)
{
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_keyfile_read_info(path, info, &d);
        return r < 0 ? cli_fail(path, r, &d) : PB_EXIT_OK;
}

static int do_public(const char *path)
{
        struct pb_keyfile_info info;
        int rc = read_info(path, &info);

        return rc ? rc : print_public(path, &info);
}

static int do_check(const char *path, const char *pass_file)
{
        struct pb_keyfile_info info;
        struct pb_key_secret *k = NULL;
        struct pb_diag d;
        char *pass = NULL;
        size_t pass_len = 0;
        int rc;
        pb_err r;

        pb_diag_clear(&d);
        rc = read_info(path, &info);
        if (rc)
                return rc;
        pass = sodium_malloc(PASS_CAP);
        k = sodium_malloc(sizeof(*k));
        if (!pass || !k) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        if (info.encrypted) {
                rc = get_passphrase(pass_file, false, pass, &pass_len);
                if (rc)
                        goto out;
        } else {
                fprintf(stderr,
                        "pbvote: WARNING: %s is NOT encrypted: anyone who can read it can sign as this key\n",
                        path);
        }
        r = pb_keyfile_load(path, info.encrypted ? pass : NULL, pass_len, &info, k, &d);
        if (r < 0) {
                cli_report(path, &d);
                rc = cli_exit_for(r);
                goto out;
        }
        printf("ok: %s key, %s\n", pb_key_role_name(info.role),
               info.encrypted ? "encrypted" : "NOT encrypted");
        rc = print_public(path, &info);
out:
        sodium_free(pass);
        sodium_free(k);
        return rc;
}

static int do_create(const struct keygen_opts *o)
{
        const char *out = o->out, *role_s = role_words[o->role], *name = o->name, *pass_file = o->pass_file;
        bool no_pass = o->no_pass;
        char default_name[32], pub_path[4096], *pass = NULL;
        struct pb_keyfile_info info;
        struct pb_keyfile_kdf kdf;
        enum pb_key_role role;
        struct pb_buf vk;
        struct pb_diag d;
        size_t pass_len = 0;
        int rc = PB_EXIT_OK, n;
        pb_err r;

        pb_diag_clear(&d);
        pb_buf_init(&vk, 0);
        /* every word of role_words and kdf_words is known below (test-cli-options checks) */
        if (pb_key_role_parse(role_s, &role) < 0 || pb_keyfile_kdf_preset(kdf_words[o->kdf], &kdf) < 0)
                return PB_EXIT_SOFTWARE;
        if (!name) {
                snprintf(default_name, sizeof(default_name), "pbvote-%s", role_s);
                name = default_name;
        }
        if (strlen(name) > PB_KEY_NAME_MAX || !pb_key_name_is_valid(name, strlen(name))) {
                fprintf(stderr, "pbvote: --name must be 1-%d bytes of UTF-8 without spaces or '+'\n",
                        PB_KEY_NAME_MAX);
                return PB_EXIT_USAGE;
        }
        n = snprintf(pub_path, sizeof(pub_path), "%s.pub", out);
        if (n < 0 || (size_t)n >= sizeof(pub_path)) {
                fprintf(stderr, "pbvote: --out path too long\n");
                return PB_EXIT_USAGE;
        }
        if (!no_pass) {
                pass = sodium_malloc(PASS_CAP);
                if (!pass)
                        return PB_EXIT_SOFTWARE;
                rc = get_passphrase(pass_file, true, pass, &pass_len);
                if (rc)
                        goto out;
                if (pass_len < PASS_MIN_NEW) {
                        fprintf(stderr,
                                "pbvote: passphrase too short (at least %d characters for a new key)\n",
                                PASS_MIN_NEW);
                        rc = PB_EXIT_USAGE;
                        goto out;
                }
        }
        r = pb_keyfile_create(out, role, name, pass, pass_len, &kdf, no_pass ? PB_KEYFILE_UNENCRYPTED : 0,
                              &info, &d);
        if (r < 0) {
                cli_report(out, &d);
                rc = cli_exit_for(r);
                goto out;
        }
        r = pb_key_vkey_format(&info.pub, &vk);
        if (r >= 0)
                r = pb_buf_addc(&vk, '\n');
        if (r >= 0)
                r = pb_file_write_atomic(pub_path, vk.data, vk.len, &d);
        if (r < 0) {
                cli_report(pub_path, &d);
                rc = cli_exit_for(r);
                goto out;
        }
        if (no_pass) {
                /* once the file exists: a key that was never written needs no warning */
                fprintf(stderr,
                        "pbvote: WARNING: --no-passphrase: %s holds the secret key UNENCRYPTED.\n"
                        "pbvote: WARNING: anyone who can read %s can sign as this %s key. Use it only for "
                        "tests and demos.\n",
                        out, out, role_s);
                printf("wrote %s (%s key, NOT encrypted)\n", out, role_s);
        } else {
                printf("wrote %s (%s key, Argon2id ops=%llu mem=%llu MiB)\n", out, role_s,
                       (unsigned long long)kdf.opslimit, (unsigned long long)(kdf.memlimit >> 20));
        }
        printf("wrote %s\npublic key: %s", pub_path, vk.data);
out:
        sodium_free(pass);
        pb_buf_release(&vk);
        return rc;
}

int cmd_keygen(int argc, char **argv)
{
        struct keygen_opts o = { -1, 0, NULL, NULL, NULL, NULL, NULL, false };
        struct cli_args args;
        int rc;

        rc = cli_parse(&cli_cmd_keygen, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (o.pub && !o.check && !o.out && o.role < 0 && !o.no_pass && !o.pass_file)
                return do_public(o.pub);
        if (o.check && !o.pub && !o.out && o.role < 0 && !o.no_pass)
                return do_check(o.check, o.pass_file);
        if (o.check || o.pub)
                return cli_usage_error(&cli_cmd_keygen, "--check and --public take no other option%s",
                                       o.check && !o.pub ? " but --passphrase-file" : "");
        if (o.role < 0)
                return cli_missing(&cli_cmd_keygen, "--role engine|office");
        if (!o.out)
                return cli_missing(&cli_cmd_keygen, "--out FILE");
        if (o.no_pass && o.pass_file)
                return cli_usage_error(&cli_cmd_keygen,
                                       "--no-passphrase and --passphrase-file exclude each other");
        return do_create(&o);
}
