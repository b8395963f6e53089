/** @file `pbvote`: dispatch to the subcommand named by argv[1]. */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/pb_alloc.h"
#include "pb_config.h"

static int cmd_version(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("pbvote %s\n", PBVOTE_VERSION);
        return PB_EXIT_OK;
}

struct command {
        const char *name;
        pb_cmd_fn fn;
        const char *summary;
};

static const struct command commands[] = {
        { "cast", cmd_cast, "enter paper ballots into a ballot box (the normal cast path)" },
        { "certify", cmd_certify, "the finance office's certification of a signed result" },
        { "check", cmd_check, "report what pabulib's checker reports about .pb files" },
        { "codes", cmd_codes, "issue single-use voter codes (CSV and printable cards)" },
        { "election", cmd_election, "create a ballot box; open, suspend, resume, close an election" },
        { "export", cmd_export, "write the audit bundle of a tallied election" },
        { "import", cmd_import, "a ballot box with every ballot of a .pb file, closed" },
        { "keygen", cmd_keygen, "create an Ed25519 key file for a role (engine, office)" },
        { "demo", cmd_demo, "create a ready, open demo election and its tokens and codes" },
        { "receipt", cmd_receipt, "check a voter's receipt offline (and its proof in the ballot log)" },
#ifdef PBVOTE_SERVER
        { "serve", cmd_serve, "serve the JSON HTTP API for kiosks and web frontends" },
#endif
        { "tally", cmd_tally, "count an election (.pb, .blt, RCTab config) and print the result" },
        { "token", cmd_token, "create, list and revoke API tokens (admin, kiosk, auditor)" },
        { "verify", cmd_verify, "check an audit bundle offline (every signature, the log, a re-tally)" },
        { "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
        size_t i;

        fprintf(f, "usage: pbvote <command> [options]\n\ncommands:\n");
        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n`pbvote <command> --help` describes one command; docs/cli.md has them all.\n");
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

int main(int argc, char **argv)
{
        size_t i;

        if (sodium_init() < 0) {
                fprintf(stderr, "pbvote: cannot initialise libsodium\n");
                return PB_EXIT_SOFTWARE;
        }
        {
                /* every cJSON allocation goes through the hooks, so OOM tests reach cJSON too */
                cJSON_Hooks hooks = { pb_malloc, pb_free };
                cJSON_InitHooks(&hooks);
        }
        if (argc < 2) {
                usage(stderr);
                return PB_EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return PB_EXIT_OK;
        }
        if (!strcmp(argv[1], "--version"))
                return cmd_version(argc - 1, argv + 1);
        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "pbvote: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return PB_EXIT_USAGE;
}
