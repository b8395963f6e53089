/** @file `pbvote tally`: pick the counting path from the kind of input. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
}

/* Options of either counting path that take a value: their values are not operands. */
static const char *const value_options[] = { "--rule",       "--format",   "--score",        "--tie-break",
                                             "--tiebreak",   "--seed",     "--threshold",    "--utility",
                                             "--completion", "--decimals", "--meek-variant", "--tie-answer",
                                             "--db",         "--key",      "--out",          NULL };

static bool takes_value(const char *opt)
{
        for (const char *const *v = value_options; *v; v++)
                if (!strcmp(*v, opt))
                        return true;
        return false;
}

int cmd_tally(int argc, char **argv)
{
        int i;

        /* The first operand decides: .blt files and RCTab contest configs are ranked contests,
         * everything else (.pb files, --db ballot boxes, export bundles) is a PB election. */
        for (i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--db"))
                        return cli_tally_pb(argc, argv); /* a ballot box (its --out may end in .json) */
        for (i = 1; i < argc; i++) {
                if (argv[i][0] == '-') {
                        if (takes_value(argv[i]))
                                i++;
                        continue;
                }
                if (has_suffix(argv[i], ".blt") || has_suffix(argv[i], ".json"))
                        return cli_tally_ranked(argc, argv);
                return cli_tally_pb(argc, argv);
        }
        for (i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        /* no operand: describe both kinds of input */
                        int rc = cli_tally_pb(argc, argv);
                        fputs("\n", stdout);
                        return rc ? rc : cli_tally_ranked(argc, argv);
                }
        return cli_tally_pb(argc, argv);
}
