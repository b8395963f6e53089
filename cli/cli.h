/** @file The `pbvote` subcommands (one file each, like Git's builtin/) and their shared helpers. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdio.h>

#include "engine/pb_err.h"

/** Exit statuses of every subcommand (docs/cli.md). */
enum pb_exit {
        PB_EXIT_OK = 0,      /* success (verify: every check passed) */
        PB_EXIT_FAIL = 1,    /* the answer is "no": check found errors, verify found a bad check */
        PB_EXIT_USAGE = 2,   /* bad command line */
        PB_EXIT_INPUT = 3,   /* unreadable or malformed input file */
        PB_EXIT_SOFTWARE = 4 /* out of memory, storage failure or internal error */
};

/** A subcommand: argv[0] is the subcommand name. */
typedef int (*pb_cmd_fn)(int argc, char **argv);

int cmd_check(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
/** Create the demo election at @db (cmd_demo.c); @ret_json_path receives DIR/demo.json.  0 or a status. */
int cli_demo_create(const char *db, char *ret_json_path, size_t cap);
int cmd_tally(int argc, char **argv);
/** `pbvote keygen`: Ed25519 key files per role (cmd_keygen.c). */
int cmd_keygen(int argc, char **argv);

/* The ballot box (issue 5): one file each. */
int cmd_election(int argc, char **argv);
int cmd_codes(int argc, char **argv);
int cmd_cast(int argc, char **argv);
int cmd_certify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_receipt(int argc, char **argv);

/** `pbvote tally` for PB elections: .pb files, ballot boxes (--db), export bundles (tally_pb.c). */
int cli_tally_pb(int argc, char **argv);
/** `pbvote tally --db` (tally_box.c): the signed result of a closed ballot box. */
int cli_tally_box(int argc, char **argv);
/** `pbvote tally` for ranked contests: .blt files and RCTab contest configs (tally_ranked.c). */
int cli_tally_ranked(int argc, char **argv);

/** Print "pbvote: FILE:LINE:COL: PATH: REASON" for @d on stderr. */
void cli_report(const char *file, const struct pb_diag *d);
/** Map an error code to the exit status above. */
int cli_exit_for(pb_err e);

#endif
