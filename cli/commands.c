/** @file Every subcommand of `pbvote` and its option tables: what `pbvote --help` lists. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_version.h"

const struct cli_command cli_cmd_version = {
        .name = "version",
        .synopsis = "version",
        .about = "Prints the version of pbvote and the git commit it was built from (\"unknown\" when it\n"
                 "was not built from a git checkout; \"-dirty\" when the files differed from the commit).\n",
};

int cmd_version(int argc, char **argv)
{
        struct cli_args args;
        int rc = cli_parse(&cli_cmd_version, argc, argv, NULL, &args);

        if (rc != CLI_PARSED)
                return rc;
        printf("pbvote %s (commit %s)\n", cli_version, cli_commit);
        return PB_EXIT_OK;
}

/* A table list of one command. */
#define ONE(cmd) ((const struct cli_command *const[]){ &(cmd), NULL })

const struct cli_entry cli_commands[] = {
        { "backup", cmd_backup, "a checked copy of a data folder or a ballot box, while the server runs",
          ONE(cli_cmd_backup), NULL },
        { "cast", cmd_cast, "enter paper ballots into a ballot box (the normal cast path)", ONE(cli_cmd_cast),
          NULL },
        { "certify", cmd_certify, "the finance office's certification of a signed result",
          ONE(cli_cmd_certify), NULL },
        { "check", cmd_check, "report what pabulib's checker reports about .pb files", ONE(cli_cmd_check),
          NULL },
        { "codes", cmd_codes, "issue single-use voter codes (CSV and printable cards)", NULL,
          &cli_group_codes },
        { "demo", cmd_demo, "create a ready, open demo election and its tokens and codes", ONE(cli_cmd_demo),
          NULL },
        { "election", cmd_election, "create a ballot box; open, suspend, resume, close an election", NULL,
          &cli_group_election },
        { "export", cmd_export, "write the audit bundle of a tallied election", ONE(cli_cmd_export), NULL },
        { "import", cmd_import, "a ballot box with every ballot of a .pb file, closed", ONE(cli_cmd_import),
          NULL },
        { "keygen", cmd_keygen, "create an Ed25519 key file for a role (engine, office)", ONE(cli_cmd_keygen),
          NULL },
        { "receipt", cmd_receipt, "check a voter's receipt offline (and its proof in the ballot log)",
          ONE(cli_cmd_receipt), NULL },
#ifdef PBVOTE_SERVER
        { "serve", cmd_serve, "serve the JSON HTTP API for kiosks and web frontends", ONE(cli_cmd_serve),
          NULL },
#endif
        { "show", cmd_show, "print a signed result as a person reads it (amounts, names, the rule)",
          ONE(cli_cmd_show), NULL },
        { "tally", cmd_tally, "count an election (.pb, .blt, RCTab config) and print the result",
          cli_tally_paths, NULL },
        { "token", cmd_token, "create, list and revoke API tokens (admin, kiosk, auditor)", NULL,
          &cli_group_token },
        { "verify", cmd_verify, "check an audit bundle offline (every signature, the log, a re-tally)",
          ONE(cli_cmd_verify), NULL },
        { "version", cmd_version, "print the version", ONE(cli_cmd_version), NULL },
        { NULL, NULL, NULL, NULL, NULL },
};
