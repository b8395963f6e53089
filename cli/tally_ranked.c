/** @file `pbvote tally` for ranked contests (.blt, RCTab configs). */
#include <stdio.h>

#include "cli/cli.h"

int cli_tally_ranked(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr,
                "pbvote: ranked contests (.blt, RCTab configs) are not supported by this build yet\n");
        return PB_EXIT_USAGE;
}
