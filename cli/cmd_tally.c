/**
 * @file `pbvote tally`: pick the counting path from the command line.  A ballot box (--db) is
 * counted by tally_box.c; otherwise the first operand decides: .blt files and RCTab contest
 * configs are ranked contests (tally_ranked.c), everything else a PB election (tally_pb.c).
 * Finding the first operand needs to know which options take a value: that is read from the
 * paths' own tables (cli_scan), so no third list can drift from them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

const struct cli_command *const cli_tally_paths[] = { &cli_cmd_tally_pb, &cli_cmd_tally_box,
                                                      &cli_cmd_tally_ranked, NULL };

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
}

/* No input and no --db: every path's help, or their usage after the error. */
static int no_input(int argc, char **argv)
{
        bool help = cli_wants_help(argc, argv);
        FILE *f = help ? stdout : stderr;

        if (!help)
                fprintf(stderr,
                        "pbvote tally: missing input file (FILE.pb, FILE.blt or CONFIG.json) or --db DB\n");
        for (const struct cli_command *const *p = cli_tally_paths; *p; p++) {
                if (help)
                        cli_help(*p, f);
                else
                        cli_usage(*p, f);
                if (help && p[1])
                        fputs("\n", f);
        }
        return help ? PB_EXIT_OK : PB_EXIT_USAGE;
}

int cmd_tally(int argc, char **argv)
{
        bool db = false;
        int first = cli_scan(cli_tally_paths, argc, argv, "db", &db);

        if (db)
                return cli_tally_box(argc, argv); /* a ballot box (its --out may end in .json) */
        if (!first)
                return no_input(argc, argv);
        if (!argv[first][0]) { /* `pbvote tally "$FILE"` with FILE unset: a mistake of the command line */
                fprintf(stderr, "pbvote tally: the input file's name is empty\n");
                return PB_EXIT_USAGE;
        }
        if (has_suffix(argv[first], ".blt") || has_suffix(argv[first], ".json"))
                return cli_tally_ranked(argc, argv);
        return cli_tally_pb(argc, argv);
}
