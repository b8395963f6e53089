/**
 * @file `pbvote verify DIR [--trust KEYS] [--allow-uncertified]`: the offline audit of a bundle.
 * One line per named check; exit 0 only if every check passed.
 */
#include <stdio.h>
#include <string.h>

#include "ballots/pb_bundle.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"

struct verify_opts {
        const char *trust;
        bool uncertified;
};

static const struct cli_option verify_options[] = {
        CLI_PATH("trust", struct verify_opts, trust, "KEYS",
                 "the engine and office verifier keys published out\nof band, one per line"),
        CLI_FLAG("allow-uncertified", struct verify_opts, uncertified,
                 "a bundle without a certification may pass"),
        CLI_END,
};

const struct cli_command cli_cmd_verify = {
        .name = "verify",
        .synopsis = "verify DIR [--trust KEYS] [--allow-uncertified]",
        .about =
                "Checks an audit bundle offline: files, signatures, every checkpoint, every CVR recommitted\n"
                "and the tree rebuilt, sorted batches, the documents against each other and the counts, and "
                "a\n"
                "re-tally from the CVRs compared byte for byte with the signed result (docs/auditor.md).\n"
                "KEYS holds the engine and office verifier keys published out of band, one per line\n"
                "prefixed by \"engine \" or \"office \" to pin the role (as keys.txt of a bundle does; bare\n"
                "verifier keys, such as the .pub files of pbvote keygen, are trusted for either role).\n"
                "Without --trust the bundle's own keys are used, and the output says so.\n",
        .options = verify_options,
        .operands = "DIR",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Exit status: 0 every check passed, 1 a check failed, 2 usage, 3 unreadable KEYS, 4 "
                 "internal.\n",
};

#define MAX_TRUSTED 16

static int load_trust(const char *path, struct pb_key_public *keys, enum pb_trust_role *roles, size_t *ret_n)
{
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0, n = 0, pos = 0;
        unsigned line = 0;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_file_read(path, 1 << 20, &data, &len, &d);
        if (r < 0)
                return cli_fail(path, r, &d);
        while (pos < len) {
                char *s = data + pos, *nl = memchr(s, '\n', len - pos);
                size_t k = nl ? (size_t)(nl - s) : len - pos;

                pos += k + (nl != NULL);
                line++;
                if (k && s[k - 1] == '\r')
                        k--;
                if (!k || s[0] == '#')
                        continue;
                if (n < MAX_TRUSTED)
                        roles[n] = PB_TRUST_ANY;
                if (n < MAX_TRUSTED && k > 7 && (!strncmp(s, "engine ", 7) || !strncmp(s, "office ", 7))) {
                        roles[n] = s[0] == 'e' ? PB_TRUST_ENGINE : PB_TRUST_OFFICE;
                        s += 7;
                        k -= 7;
                }
                if (n == MAX_TRUSTED || pb_key_vkey_parse(s, k, &keys[n], &d) < 0) {
                        d.line = line;
                        if (n == MAX_TRUSTED)
                                pb_diag_set(&d, PB_ERR_LIMIT, NULL, "more than 16 keys");
                        d.line = line;
                        cli_report(path, &d);
                        pb_free(data);
                        return PB_EXIT_INPUT;
                }
                n++;
        }
        pb_free(data);
        if (!n) {
                fprintf(stderr, "pbvote verify: %s holds no key\n", path);
                return PB_EXIT_INPUT;
        }
        *ret_n = n;
        return PB_EXIT_OK;
}

static void print_check(void *ctx, const struct pb_verify_check *c)
{
        (void)ctx;
        printf("%s %-4s %-20s", c->pass ? "PASS" : "FAIL", c->id, c->name);
        if (c->count)
                printf(" (%llu)", (unsigned long long)c->count);
        printf(" %s", c->detail);
        if (c->line)
                printf(" (line %u)", c->line);
        printf("\n");
}

int cmd_verify(int argc, char **argv)
{
        struct verify_opts vo = { NULL, false };
        struct cli_args args;
        struct pb_key_public keys[MAX_TRUSTED];
        enum pb_trust_role roles[MAX_TRUSTED];
        struct pb_verify_options o;
        unsigned failed = 0;
        int rc;
        pb_err r;

        memset(&o, 0, sizeof(o));
        rc = cli_parse(&cli_cmd_verify, argc, argv, &vo, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (vo.trust) {
                rc = load_trust(vo.trust, keys, roles, &o.n_trusted);
                if (rc)
                        return rc;
                o.trusted = keys;
                o.roles = roles;
        }
        o.allow_uncertified = vo.uncertified;
        r = pb_bundle_verify(args.operands[0], &o, print_check, NULL, &failed);
        if (r == PB_OK) {
                printf("VALID: every check passed%s\n", vo.trust ? "" : " (keys not pinned: use --trust)");
                return PB_EXIT_OK;
        }
        if (r == PB_ERR_SIGNATURE) {
                printf("INVALID: %u check%s failed\n", failed, failed == 1 ? "" : "s");
                return PB_EXIT_FAIL;
        }
        fprintf(stderr, "pbvote verify: the verifier could not run: %s\n", pb_err_message(r));
        return PB_EXIT_SOFTWARE;
}
