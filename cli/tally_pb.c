/** @file `pbvote tally` for PB elections. */
#include <stdio.h>

#include "cli/cli.h"

int cli_tally_pb(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "pbvote: PB tallies are not supported by this build yet\n");
        return PB_EXIT_USAGE;
}
