/** @file The `pbvote` subcommands (one file each, like Git's builtin/) and their shared helpers. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/options.h"
#include "engine/pb_progress.h"
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
/** `pbvote version` (commands.c). */
int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
/** Create the demo election at @db (cmd_demo.c); @ret_json_path receives DIR/demo.json.  0 or a status. */
int cli_demo_create(const char *db, char *ret_json_path, size_t cap);
/** `serve --demo`: the demo of a vote of several contests (a city-wide contest and two districts,
 *  web voting) in DIR/demo-city-2026.db, opened with the demo keys of @dir (cli_demo_create made
 *  them), and DIR/demo-city.json (its path in @ret_json_path) with its voter codes per district,
 *  each for the city-wide contest and that district.  0 or an exit code (reported). */
int cli_demo_city_create(const char *dir, char *ret_json_path, size_t cap);
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
/** `pbvote backup`: a checked copy of a data folder or a box while the server runs (cmd_backup.c). */
int cmd_backup(int argc, char **argv);
/** `pbvote show`: a signed result as a person reads it (cmd_show.c). */
int cmd_show(int argc, char **argv);

/** `pbvote tally` for PB elections: .pb files, ballot boxes (--db), export bundles (tally_pb.c). */
int cli_tally_pb(int argc, char **argv);
/** `pbvote tally --db` (tally_box.c): the signed result of a closed ballot box. */
int cli_tally_box(int argc, char **argv);
/** `pbvote tally` for ranked contests: .blt files and RCTab contest configs (tally_ranked.c). */
int cli_tally_ranked(int argc, char **argv);

/**
 * The option tables (options.h), one per subcommand; `election`, `token` and `codes` have one per
 * action, `tally` one per counting path.  Data only: walk them through cli_commands[].
 */
extern const struct cli_command cli_cmd_backup, cli_cmd_cast, cli_cmd_certify, cli_cmd_check, cli_cmd_demo,
        cli_cmd_export, cli_cmd_import, cli_cmd_keygen, cli_cmd_receipt, cli_cmd_serve, cli_cmd_show,
        cli_cmd_verify, cli_cmd_version;
/** `pbvote tally`: a .pb file, a ballot box (--db), a ranked contest (.blt, RCTab config). */
extern const struct cli_command cli_cmd_tally_pb, cli_cmd_tally_box, cli_cmd_tally_ranked;
/** The counting paths of `pbvote tally`, NULL-terminated: whether an option takes a value is read from them. */
extern const struct cli_command *const cli_tally_paths[];
/** The commands whose first operand names an action. */
extern const struct cli_group cli_group_election, cli_group_token, cli_group_codes;

/** The rule names `--rule` accepts for PB elections (pb_rule_set_name's), NULL-terminated. */
extern const char *const cli_pb_rule_names[];

/** One subcommand of `pbvote`: what runs it and the tables it parses with. */
struct cli_entry {
        const char *name;                        /* argv[1] */
        pb_cmd_fn fn;                            /* runs it with argv[0] = name */
        const char *summary;                     /* one line for `pbvote --help` */
        const struct cli_command *const *tables; /* NULL-terminated: the tables it parses with, */
        const struct cli_group *group;           /* or the group of its actions */
};

/** Every subcommand, in the order `pbvote --help` lists them; ended by a NULL name (commands.c). */
extern const struct cli_entry cli_commands[];

/**
 * Tell the service manager @state ("READY=1", "STOPPING=1", "STATUS=...", lines joined by '\n'),
 * as sd_notify(3) does, on the datagram socket $NOTIFY_SOCKET names (cli/notify.c).
 * @return 0 when sent or when no manager asked (NOTIFY_SOCKET unset), -1 when it could not be sent
 */
int cli_notify(const char *state);

/**
 * The progress line of a long job on stderr (cli/progress.c): `p` is what the job reports to.
 * Drawn only when stderr is a terminal and not @quiet; otherwise p.fn is NULL.
 */
struct cli_progress {
        struct pb_progress p;
        const char *what, *unit; /* "pbvote verify: ballots", "checked" (borrowed, static) */
        uint64_t t0_ms, last_ms;
        bool open; /* a line without its newline is on the terminal */
};
/** Start @cp for a job named @what counting @unit ("ballots"). */
void cli_progress_start(struct cli_progress *cp, const char *what, const char *unit, bool quiet);
/** End the line if the job stopped before its total (an error): the next output starts clean. */
void cli_progress_end(struct cli_progress *cp);

/** Print "pbvote: FILE:LINE:COL: PATH: REASON" for @d on stderr. */
void cli_report(const char *file, const struct pb_diag *d);
/** Map an error code to the exit status above. */
int cli_exit_for(pb_err e);

#endif
