/** @file `pbvote`: dispatch to the subcommand named by argv[1] (the list is in commands.c). */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/pb_alloc.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: pbvote <command> [options]\n\ncommands:\n");
        for (const struct cli_entry *c = cli_commands; c->name; c++)
                fprintf(f, "  %-9s %s\n", c->name, c->summary);
        fprintf(f, "\n`pbvote <command> --help` describes one command; docs/cli.md has them all.\n");
}

int main(int argc, char **argv)
{
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
                return cmd_version(1, argv + 1);
        for (const struct cli_entry *c = cli_commands; c->name; c++)
                if (!strcmp(argv[1], c->name))
                        return c->fn(argc - 1, argv + 1);
        fprintf(stderr, "pbvote: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return PB_EXIT_USAGE;
}
