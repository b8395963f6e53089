/**
 * @file The option parser of every subcommand (cli/options.h) on a table of every kind, and every
 * table of cli_commands[]: well formed, the help lists each option, the words of a choice are the
 * engine's names in the engine's order, and the counting paths of `tally` agree on which options
 * take a value.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/cli.h"
#include "engine/pb_rule.h"
#include "formats/pb_keyfile.h"
#include "ballots/pb_box.h"

struct t_opts {
        bool flag;
        const char *str, *path;
        int64_t num;
        uint64_t big;
        int word;
        struct cli_list list;
};

static const char *const t_words[] = { "a", "bb", NULL };
static const struct cli_option t_options[] = {
        CLI_FLAG("flag", struct t_opts, flag, "a flag"),
        CLI_STRING("str", struct t_opts, str, "TEXT", "a string"),
        CLI_PATH("path", struct t_opts, path, "FILE", "a path"),
        CLI_INT("num", struct t_opts, num, "N", -5, 10, "an integer"),
        CLI_U64("big", struct t_opts, big, "N", "a big one"),
        CLI_CHOICE("word", struct t_opts, word, NULL, t_words, "a word"),
        CLI_LIST("list", struct t_opts, list, "X", "a list\nof things"),
        CLI_END,
};
static const struct cli_command t_cmd = {
        .name = "test",
        .synopsis = "test THING [THING] [options]\ntest --other",
        .about = "About it.\n",
        .options = t_options,
        .operands = "THING",
        .min_operands = 1,
        .max_operands = 2,
};

/* The outcome of one parse: status, the options, the operands, what went to stdout and stderr. */
struct run {
        int rc;
        struct t_opts o;
        struct cli_args a;
        char *argv_store[32];
        char out[8192], err[8192];
};

/* Parse the space-separated @line (argv[0] "test") into @r. */
static void parse(struct run *r, const char *line)
{
        static char buf[1024];
        FILE *out = tmpfile(), *err = tmpfile();
        int argc = 0;
        size_t n;

        memset(r, 0, sizeof(*r));
        r->o.word = -1;
        snprintf(buf, sizeof(buf), "test %s", line);
        for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
                r->argv_store[argc++] = tok;
        r->argv_store[argc] = NULL;
        r->rc = cli_parse_to(&t_cmd, argc, r->argv_store, &r->o, &r->a, out, err);
        rewind(out);
        rewind(err);
        n = fread(r->out, 1, sizeof(r->out) - 1, out);
        r->out[n] = '\0';
        n = fread(r->err, 1, sizeof(r->err) - 1, err);
        r->err[n] = '\0';
        fclose(out);
        fclose(err);
}

/* @line is refused with exit status 2 and a message holding @msg, then the usage lines. */
static void refused(const char *line, const char *msg)
{
        struct run r;

        parse(&r, line);
        CHECK_INT(r.rc, PB_EXIT_USAGE);
        if (!strstr(r.err, msg))
                fprintf(stderr, "  '%s': expected '%s' in: %s", line, msg, r.err);
        CHECK(strstr(r.err, msg) != NULL);
        CHECK(strstr(r.err, "usage: pbvote test THING") != NULL);
        CHECK(strstr(r.err, "\n       pbvote test --other\n") != NULL);
        CHECK(r.err[0] && r.err[strlen(r.err) - 1] == '\n');
        cli_list_release(&r.o.list);
}

static void test_values(void)
{
        struct run r;

        parse(&r, "--flag --str=x --path y op1 --num -5 op2 --big 18446744073709551615 --word bb --list a "
                  "--list=b");
        CHECK_INT(r.rc, CLI_PARSED);
        CHECK(r.o.flag);
        CHECK_STR(r.o.str, "x");
        CHECK_STR(r.o.path, "y");
        CHECK_INT(r.o.num, -5);
        CHECK(r.o.big == UINT64_MAX);
        CHECK_INT(r.o.word, 1);
        CHECK_INT(r.o.list.n, 2);
        CHECK_STR(r.o.list.v[0], "a");
        CHECK_STR(r.o.list.v[1], "b");
        CHECK_INT(r.a.n, 2);
        CHECK_STR(r.a.operands[0], "op1");
        CHECK_STR(r.a.operands[1], "op2");
        CHECK(r.a.operands[2] == NULL);
        CHECK(cli_given(&t_cmd, &r.a, "num") && cli_given(&t_cmd, &r.a, "list") &&
              cli_given(&t_cmd, &r.a, "flag"));
        CHECK(!cli_given(&t_cmd, &r.a, "str") || r.o.str); /* given: set */
        cli_list_release(&r.o.list);
        CHECK(r.o.list.v == NULL && r.o.list.n == 0);

        parse(&r, "op1");
        CHECK_INT(r.rc, CLI_PARSED);
        CHECK(!cli_given(&t_cmd, &r.a, "num") && !cli_given(&t_cmd, &r.a, "flag"));
        CHECK_INT(r.o.word, -1); /* untouched when not given */

        parse(&r, "--num 10 --big 0 --str= --path=--flag -- --flag");
        CHECK_INT(r.rc, CLI_PARSED);
        CHECK_INT(r.o.num, 10);
        CHECK_STR(r.o.str, "");
        CHECK_STR(r.o.path, "--flag"); /* --name=VALUE takes any value */
        CHECK(!r.o.flag);              /* after --, an operand */
        CHECK_STR(r.a.operands[0], "--flag");

        parse(&r, "- --num=-0");
        CHECK_INT(r.rc, CLI_PARSED);
        CHECK_STR(r.a.operands[0], "-");
}

static void test_refusals(void)
{
        refused("op --nope", "unknown option '--nope'");
        refused("op --nope=3", "unknown option '--nope'");
        refused("op -x", "unknown option '-x'");
        refused("op ---flag", "unknown option '---flag'");
        refused("op --str a --str=b", "--str given twice");
        refused("op --flag --flag", "--flag given twice");
        refused("op --str", "--str needs a value (TEXT)");
        refused("op --path --flag", "--path needs a value (FILE)");
        refused("op --word", "--word needs a value (a word)");
        refused("op --flag=1", "--flag takes no value");
        refused("op --path=", "--path: expected a file name, not an empty value");
        refused("op --num x", "--num 'x': expected an integer from -5 to 10");
        refused("op --num 11", "--num '11': expected an integer from -5 to 10");
        refused("op --num -6", "--num '-6': expected an integer from -5 to 10");
        refused("op --num 1.5", "expected an integer from -5 to 10");
        refused("op --num +3", "expected an integer from -5 to 10");
        refused("op --num=", "expected an integer from -5 to 10");
        refused("op --num 99999999999999999999", "expected an integer from -5 to 10");
        refused("op --num -99999999999999999999", "expected an integer from -5 to 10");
        refused("op --big -1", "--big '-1': expected an integer from 0 to 18446744073709551615");
        refused("op --big 18446744073709551616", "expected an integer from 0 to 18446744073709551615");
        refused("op --word c", "--word 'c': expected one of: a, bb");
        refused("op --word A", "expected one of: a, bb");
        refused("", "missing THING");
        refused("--flag", "missing THING");
        refused("a b c", "unexpected argument 'c'");
}

static void test_help(void)
{
        struct run r;

        parse(&r, "--nope --help");
        CHECK_INT(r.rc, PB_EXIT_OK); /* the help wins over an error */
        CHECK(strstr(r.out, "usage: pbvote test THING [THING] [options]\n       pbvote test --other\n") !=
              NULL);
        CHECK(strstr(r.out, "About it.") != NULL);
        CHECK(strstr(r.out, "  --flag  ") != NULL);
        CHECK(strstr(r.out, "  --str TEXT  ") != NULL);
        CHECK(strstr(r.out, "  --num N  ") != NULL);
        CHECK(strstr(r.out, "  --word a|bb  ") != NULL);
        CHECK(strstr(r.out, "a list\n                            of things\n") != NULL);
        CHECK(strstr(r.out, "  -h, --help") != NULL);
        CHECK_STR(r.err, "");
        parse(&r, "-h");
        CHECK_INT(r.rc, PB_EXIT_OK);
        parse(&r, "-- --help");
        CHECK_INT(r.rc, CLI_PARSED); /* after --, an operand */
        CHECK_STR(r.a.operands[0], "--help");
}

/* cli_scan() over two tables that take different options. */
static void test_scan(void)
{
        static const struct cli_option a_opts[] = { CLI_PATH("v", struct t_opts, path, "X", "v"), CLI_END };
        static const struct cli_option b_opts[] = { CLI_FLAG("f", struct t_opts, flag, "f"),
                                                    CLI_STRING("w", struct t_opts, str, "X", "w"), CLI_END };
        static const struct cli_command a = { .name = "a", .synopsis = "a", .options = a_opts };
        static const struct cli_command b = { .name = "b", .synopsis = "b", .options = b_opts };
        const struct cli_command *const both[] = { &a, &b, NULL };
        char *v1[] = { "t", "--v", "x", "--f", "file", "--w", "y", NULL };
        char *v2[] = { "t", "--v=x", "file", NULL };
        char *v3[] = { "t", "--f", "--", "--v", NULL };
        char *v4[] = { "t", "--w", "file", NULL };
        bool found = false;

        CHECK_INT(cli_scan(both, 7, v1, "w", &found), 4);
        CHECK(found);
        CHECK_INT(cli_scan(both, 3, v2, "f", &found), 2);
        CHECK(!found);
        CHECK_INT(cli_scan(both, 4, v3, NULL, NULL), 3);
        CHECK_INT(cli_scan(both, 3, v4, NULL, NULL), 0); /* "file" is the value of --w */
}

static const struct cli_command *entry_table(const char *name, size_t i)
{
        for (const struct cli_entry *e = cli_commands; e->name; e++)
                if (!strcmp(e->name, name))
                        return e->tables ? e->tables[i] : e->group->verbs[i];
        return NULL;
}

static size_t n_words(const char *const *w)
{
        size_t n = 0;

        while (w[n])
                n++;
        return n;
}

/* Every word of @cmd's choice @opt is NAME(i), in order, and there are @count. */
#define CHECK_ENGINE_WORDS(cmd, opt, count, NAME)                                                            \
        do {                                                                                                 \
                const struct cli_option *o_ = cli_option_find((cmd), (opt));                                 \
                CHECK(o_ && o_->kind == CLI_OPT_CHOICE);                                                     \
                if (o_) {                                                                                    \
                        CHECK_INT(n_words(o_->choices), (count));                                            \
                        for (size_t i_ = 0; i_ < (size_t)(count) && o_->choices[i_]; i_++)                   \
                                CHECK_STR(o_->choices[i_], NAME(i_));                                        \
                }                                                                                            \
        } while (0)

static const char *score_name(size_t i)
{
        return pb_score_name((enum pb_score)i);
}
static const char *tie_name(size_t i)
{
        return pb_tie_break_name((enum pb_tie_break)i);
}
static const char *utility_name(size_t i)
{
        return pb_utility_name((enum pb_utility)i);
}
static const char *completion_name(size_t i)
{
        return pb_completion_name((enum pb_completion)i);
}
static const char *kind_name(size_t i)
{
        return pb_rule_kind_name((enum pb_rule_kind)i);
}
static const char *role_name(size_t i)
{
        return pb_role_name((enum pb_role)i);
}

static void test_engine_words(void)
{
        const struct cli_command *keygen = entry_table("keygen", 0), *token_create = entry_table("token", 0);
        const struct cli_option *o;
        struct pb_keyfile_kdf kdf;
        enum pb_key_role role;

        CHECK_ENGINE_WORDS(&cli_cmd_tally_pb, "score", PB_SCORE_COUNT, score_name);
        CHECK_ENGINE_WORDS(&cli_cmd_tally_pb, "tie-break", PB_TIE_COUNT, tie_name);
        CHECK_ENGINE_WORDS(&cli_cmd_tally_pb, "utility", PB_UTIL_COUNT, utility_name);
        CHECK_ENGINE_WORDS(&cli_cmd_tally_pb, "completion", PB_COMPLETION_COUNT, completion_name);
        CHECK(token_create && !strcmp(token_create->name, "token create"));
        if (token_create)
                CHECK_ENGINE_WORDS(token_create, "role", PB_ROLE_COUNT, role_name);
        /* the rules: every kind in enum order, then pabulib's names; each one pb_rule_set_name knows */
        for (size_t i = 0; i < PB_RULE_KIND_COUNT; i++)
                CHECK_STR(cli_pb_rule_names[i], kind_name(i));
        for (size_t i = 0; cli_pb_rule_names[i]; i++) {
                struct pb_rule r;
                pb_rule_init(&r);
                CHECK(pb_rule_set_name(&r, cli_pb_rule_names[i]) == PB_OK);
        }
        CHECK(cli_option_find(&cli_cmd_tally_pb, "rule")->choices == cli_pb_rule_names);
        CHECK(keygen != NULL);
        o = keygen ? cli_option_find(keygen, "role") : NULL;
        for (size_t i = 0; o && o->choices[i]; i++)
                CHECK(pb_key_role_parse(o->choices[i], &role) == PB_OK);
        o = keygen ? cli_option_find(keygen, "kdf") : NULL;
        CHECK(o != NULL);
        for (size_t i = 0; o && o->choices[i]; i++)
                CHECK(pb_keyfile_kdf_preset(o->choices[i], &kdf) == PB_OK);
}

/* One table: names, kinds, bounds, and the generated help lists every option. */
static void check_table(const struct cli_command *c)
{
        FILE *f = tmpfile();
        char help[1 << 14];
        size_t n, count = 0;

        CHECK(c->name && c->synopsis && !strncmp(c->synopsis, c->name, strlen(c->name)));
        cli_help(c, f);
        rewind(f);
        n = fread(help, 1, sizeof(help) - 1, f);
        help[n] = '\0';
        fclose(f);
        for (const struct cli_option *o = c->options; o && o->name; o++, count++) {
                char label[80];
                const char *at;

                CHECK(o->name[0] &&
                      strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(o->name));
                CHECK(o->help && o->help[0]);
                CHECK(cli_option_find(c, o->name) == o); /* no name twice */
                CHECK((o->kind == CLI_OPT_FLAG) == (o->arg == NULL && o->kind != CLI_OPT_CHOICE));
                if (o->kind == CLI_OPT_INT)
                        CHECK(o->min <= o->max);
                if (o->kind == CLI_OPT_CHOICE)
                        CHECK(o->choices && o->choices[0]);
                snprintf(label, sizeof(label), "\n  --%s", o->name);
                at = strstr(help, label);
                if (at)
                        at += strlen(label);
                if (!at || (*at != ' ' && *at != '\n'))
                        fprintf(stderr, "  %s: the help lacks '%s'\n", c->name, label + 1);
                CHECK(at && (*at == ' ' || *at == '\n'));
        }
        CHECK(count <= 64);
}

static void test_tables(void)
{
        for (const struct cli_entry *e = cli_commands; e->name; e++) {
                CHECK((e->tables == NULL) != (e->group == NULL));
                for (size_t i = 0; e->tables && e->tables[i]; i++)
                        check_table(e->tables[i]);
                for (size_t i = 0; e->group && e->group->verbs[i]; i++) {
                        const struct cli_command *v = e->group->verbs[i];
                        CHECK(!strncmp(v->name, e->name, strlen(e->name)) && v->name[strlen(e->name)] == ' ');
                        check_table(v);
                }
        }
        /* the counting paths of tally agree on which options take a value (cli_scan reads the union) */
        for (size_t i = 0; cli_tally_paths[i]; i++)
                for (const struct cli_option *o = cli_tally_paths[i]->options; o->name; o++)
                        for (size_t j = 0; cli_tally_paths[j]; j++) {
                                const struct cli_option *p = cli_option_find(cli_tally_paths[j], o->name);
                                CHECK(!p || (p->kind == CLI_OPT_FLAG) == (o->kind == CLI_OPT_FLAG));
                        }
}

int main(void)
{
        RUN(test_values);
        RUN(test_refusals);
        RUN(test_help);
        RUN(test_scan);
        RUN(test_engine_words);
        RUN(test_tables);
        return check_summary("cli-options");
}
