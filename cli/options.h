/**
 * @file One option parser for every subcommand, as Git's parse_options: each subcommand declares a
 * table of its options (name, kind, where the value goes, a placeholder and a line of help), and
 * the parser, the `--help` text and the error messages all come from that table, so they cannot
 * drift apart.  Tables are plain data (no function pointers, no pointers into a running command:
 * values are stored at an offset into the command's own options struct), so a program can walk
 * every table of cli_commands[] to write man pages or shell completion.
 *
 * Rules, the same for every subcommand:
 *  - long options only, `--name VALUE` or `--name=VALUE`; `-h` and `--help` print the help;
 *  - options and operands in any order; `--` ends the options; a lone `-` is an operand;
 *  - refused with a message naming the option (exit status 2): an unknown option, an option given
 *    twice (except a CLI_OPT_LIST), a missing value (a value may not start with "--" unless given
 *    as `--name=VALUE`), a value on a flag, a non-integer or an integer out of its bounds, a word
 *    outside a choice's list (the message lists the words), an empty file name, too few or too
 *    many operands.
 */
#ifndef PB_CLI_OPTIONS_H
#define PB_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** What an option takes, and the C type of the field its value goes to. */
enum cli_opt_kind {
        CLI_OPT_FLAG,   /* --name: bool, set to true */
        CLI_OPT_STRING, /* --name TEXT: const char * (borrowed from argv), may be empty */
        CLI_OPT_PATH,   /* --name FILE: const char * (borrowed from argv), never empty */
        CLI_OPT_INT,    /* --name N: int64_t, a decimal integer within [min, max] */
        CLI_OPT_U64,    /* --name N: uint64_t, a decimal integer from 0 to 2^64-1 */
        CLI_OPT_CHOICE, /* --name WORD: int, the index of WORD in choices[] */
        CLI_OPT_LIST,   /* --name TEXT, repeatable: struct cli_list, the values in order */
};

/** One option of a subcommand.  A table is an array ended by an entry whose name is NULL. */
struct cli_option {
        const char *name;           /* without the leading "--" */
        enum cli_opt_kind kind;     /* what it takes */
        size_t offset;              /* of its field in the command's options struct */
        const char *arg;            /* the value's placeholder in the help ("N", "FILE"); NULL for a
                                       flag, and for a choice to show its words ("text|json") */
        const char *help;           /* a line of help; '\n' starts a continuation line */
        int64_t min, max;           /* CLI_OPT_INT: the bounds, inclusive */
        const char *const *choices; /* CLI_OPT_CHOICE: the words, NULL-terminated */
};

/** A subcommand (or one action of a group such as `election open`): its usage and options. */
struct cli_command {
        const char *name;                 /* "tally", "election open": messages say "pbvote NAME: " */
        const char *synopsis;             /* what follows "pbvote " on each usage line; '\n' between */
        const char *about;                /* what it does, printed after the usage; may be NULL */
        const struct cli_option *options; /* the table; NULL for none */
        const char *operands;             /* the operands' placeholder ("FILE.pb"), for messages */
        unsigned min_operands;            /* fewer is a usage error */
        unsigned max_operands;            /* more is a usage error; CLI_MANY for no limit */
        const char *notes;                /* printed after the options (exit statuses); may be NULL */
};

/** A command whose first operand names an action (`pbvote election open`), each with its own table. */
struct cli_group {
        const char *name;                       /* "election" */
        const char *about;                      /* printed by `pbvote NAME --help` */
        const struct cli_command *const *verbs; /* NULL-terminated; each named "NAME VERB" */
};

/** The values of a CLI_OPT_LIST: v[0..n) borrowed from argv, v itself owned (cli_list_release). */
struct cli_list {
        const char **v;
        size_t n;
};

/** What cli_parse() leaves besides the option values. */
struct cli_args {
        char **operands; /* the operands in order: argv[1..1+n), moved there by the parser */
        int n;           /* how many */
        uint64_t given;  /* bit i: the option at index i of the table was on the command line */
};

#define CLI_MANY 0xffffffffu /* max_operands without a limit */
#define CLI_PARSED (-1)      /* cli_parse(): go on and run the command */

/* Table entries.  ST is the options struct, F its field; the F's type is checked at compile time. */
#define CLI_FIELD_(ST, F, T) (offsetof(ST, F) + 0 * sizeof((T *){ &((ST *)0)->F }))
#define CLI_FLAG(NAME, ST, F, HELP)                                                                          \
        {                                                                                                    \
                NAME, CLI_OPT_FLAG, CLI_FIELD_(ST, F, bool), NULL, HELP, 0, 0, NULL                          \
        }
#define CLI_STRING(NAME, ST, F, ARG, HELP)                                                                   \
        {                                                                                                    \
                NAME, CLI_OPT_STRING, CLI_FIELD_(ST, F, const char *), ARG, HELP, 0, 0, NULL                 \
        }
#define CLI_PATH(NAME, ST, F, ARG, HELP)                                                                     \
        {                                                                                                    \
                NAME, CLI_OPT_PATH, CLI_FIELD_(ST, F, const char *), ARG, HELP, 0, 0, NULL                   \
        }
#define CLI_INT(NAME, ST, F, ARG, MIN, MAX, HELP)                                                            \
        {                                                                                                    \
                NAME, CLI_OPT_INT, CLI_FIELD_(ST, F, int64_t), ARG, HELP, MIN, MAX, NULL                     \
        }
#define CLI_U64(NAME, ST, F, ARG, HELP)                                                                      \
        {                                                                                                    \
                NAME, CLI_OPT_U64, CLI_FIELD_(ST, F, uint64_t), ARG, HELP, 0, 0, NULL                        \
        }
#define CLI_CHOICE(NAME, ST, F, ARG, WORDS, HELP)                                                            \
        {                                                                                                    \
                NAME, CLI_OPT_CHOICE, CLI_FIELD_(ST, F, int), ARG, HELP, 0, 0, WORDS                         \
        }
#define CLI_LIST(NAME, ST, F, ARG, HELP)                                                                     \
        {                                                                                                    \
                NAME, CLI_OPT_LIST, CLI_FIELD_(ST, F, struct cli_list), ARG, HELP, 0, 0, NULL                \
        }
#define CLI_END                                                                                              \
        {                                                                                                    \
                NULL, CLI_OPT_FLAG, 0, NULL, NULL, 0, 0, NULL                                                \
        }

/**
 * Parse argv[1..argc) against @cmd's table, storing each option's value in @opts (the struct the
 * table's offsets point into; fields of options not given keep what the caller put there) and
 * moving the operands to argv[1..] in order.  Messages go to stderr, the help to stdout.
 * @param argv  argv[0] is the subcommand's name; reordered in place
 * @param ret   [out] the operands and which options were given
 * @return CLI_PARSED to run the command; else the exit status to return: PB_EXIT_OK after the
 *         help, PB_EXIT_USAGE after a message naming the option and the usage lines,
 *         PB_EXIT_SOFTWARE when memory ran out
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts, struct cli_args *ret);

/** cli_parse() writing the help to @out and messages to @err (the tests read both). */
int cli_parse_to(const struct cli_command *cmd, int argc, char **argv, void *opts, struct cli_args *ret,
                 FILE *out, FILE *err);

/**
 * The first operand names the action: parse with that verb's table (the verb leaves argv).
 * `pbvote NAME --help` without a verb prints every verb's usage.
 * @param ret_verb  [out] the verb's command (borrowed from @g)
 * @return as cli_parse()
 */
int cli_parse_group(const struct cli_group *g, int argc, char **argv, void *opts,
                    const struct cli_command **ret_verb, struct cli_args *ret);

/** Whether the option @name (without "--") of @cmd's table was given, after cli_parse(). */
bool cli_given(const struct cli_command *cmd, const struct cli_args *a, const char *name);

/**
 * Read argv[1..argc) the way the commands @cmds (NULL-terminated) would, storing nothing: an
 * option takes a value when it does in any of them, so a dispatcher that picks one of several
 * tables needs no list of its own.
 * @param name      an option (without "--") to look for; may be NULL
 * @param ret_found [out] whether @name is given; may be NULL
 * @return the index in argv of the first operand, or 0 when there is none
 */
int cli_scan(const struct cli_command *const *cmds, int argc, char *const *argv, const char *name,
             bool *ret_found);

/** Whether argv[1..argc) asks for the help (-h or --help before any "--"). */
bool cli_wants_help(int argc, char *const *argv);

/** The option named @name (without "--") in @cmd's table, or NULL. */
const struct cli_option *cli_option_find(const struct cli_command *cmd, const char *name);

/** Print @cmd's help: usage lines, about, one line per option of its table, then the notes. */
void cli_help(const struct cli_command *cmd, FILE *f);

/** Print "usage: pbvote SYNOPSIS" for each usage line of @cmd (the help's first lines). */
void cli_usage(const struct cli_command *cmd, FILE *f);

/**
 * A usage error found after parsing (a required option missing, two that exclude each other):
 * print "pbvote NAME: MESSAGE" and the usage lines on stderr.
 * @return PB_EXIT_USAGE
 */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/** cli_usage_error(@cmd, "missing %s", @what): a required option such as "--db DB" is not given. */
int cli_missing(const struct cli_command *cmd, const char *what);

/** Free the array of a CLI_OPT_LIST (not the strings, which argv owns).  Accepts a zeroed list. */
void cli_list_release(struct cli_list *l);

#endif
