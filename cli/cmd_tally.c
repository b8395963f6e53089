/** @file `pbvote tally`: pick the counting path from the kind of input. */
#include <string.h>

#include "cli/cli.h"

static int has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
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
                if (argv[i][0] == '-')
                        continue;
                if (has_suffix(argv[i], ".blt") || has_suffix(argv[i], ".json"))
                        return cli_tally_ranked(argc, argv);
                break;
        }
        return cli_tally_pb(argc, argv);
}
