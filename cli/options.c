/** @file The option parser of every subcommand and the help it generates (options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define HELP_COLUMN 28 /* where the help text of an option starts */
#define HELP_WIDTH 100 /* and where lines of words end */

/* One run of the parser: where messages go and whom they name. */
struct parse {
        const struct cli_command *cmd;
        void *opts;
        FILE *out, *err;
};

static size_t table_len(const struct cli_option *t)
{
        size_t n = 0;

        while (t && t[n].name)
                n++;
        return n;
}

static const struct cli_option *find(const struct cli_option *t, const char *name, size_t len)
{
        for (; t && t->name; t++)
                if (strlen(t->name) == len && !memcmp(t->name, name, len))
                        return t;
        return NULL;
}

const struct cli_option *cli_option_find(const struct cli_command *cmd, const char *name)
{
        return find(cmd->options, name, strlen(name));
}

static bool is_help(const char *a)
{
        return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static bool is_option(const char *a)
{
        return a[0] == '-' && a[1] != '\0';
}

/* ---- the help ------------------------------------------------------------------------------ */

/* @s with each '\n' followed by @indent spaces. */
static void put_indented(FILE *f, const char *s, int indent)
{
        for (; *s; s++) {
                fputc(*s, f);
                if (*s == '\n' && s[1])
                        fprintf(f, "%*s", indent, "");
        }
}

void cli_usage(const struct cli_command *cmd, FILE *f)
{
        const char *line = cmd->synopsis;

        for (bool first = true;; first = false) {
                const char *nl = strchr(line, '\n');
                int len = nl ? (int)(nl - line) : (int)strlen(line);

                fprintf(f, "%s pbvote %.*s\n", first ? "usage:" : "      ", len, line);
                if (!nl || !nl[1])
                        break;
                line = nl + 1;
        }
}

/* "--name ARG" as the help shows it: a choice without a placeholder shows its words. */
static int option_label(const struct cli_option *o, FILE *f)
{
        int n = fprintf(f, "  --%s", o->name);

        if (o->kind == CLI_OPT_FLAG)
                return n;
        if (o->arg)
                return n + fprintf(f, " %s", o->arg);
        n += fprintf(f, " ");
        for (const char *const *w = o->choices; w && *w; w++)
                n += fprintf(f, "%s%s", w == o->choices ? "" : "|", *w);
        return n;
}

/* "one of: a, b, c" under an option's help, wrapped before HELP_WIDTH. */
static void list_words(const char *const *words, FILE *f)
{
        int col = fprintf(f, "%*sone of:", HELP_COLUMN, "");

        for (const char *const *w = words; *w; w++) {
                int len = (int)strlen(*w) + (w[1] ? 1 : 0);

                if (col + 1 + len > HELP_WIDTH)
                        col = fprintf(f, "\n%*s", HELP_COLUMN + 7, "") - 1;
                col += fprintf(f, " %s%s", *w, w[1] ? "," : "");
        }
        fputc('\n', f);
}

static void option_help(const struct cli_option *o, FILE *f)
{
        int n = option_label(o, f);

        if (n >= HELP_COLUMN - 1)
                fprintf(f, "\n%*s", HELP_COLUMN, "");
        else
                fprintf(f, "%*s", HELP_COLUMN - n, "");
        put_indented(f, o->help, HELP_COLUMN);
        fputc('\n', f);
        if (o->kind == CLI_OPT_CHOICE && o->arg)
                list_words(o->choices, f); /* the placeholder hides the words */
}

void cli_help(const struct cli_command *cmd, FILE *f)
{
        cli_usage(cmd, f);
        if (cmd->about)
                fprintf(f, "\n%s", cmd->about);
        fputs("\noptions:\n", f);
        for (const struct cli_option *o = cmd->options; o && o->name; o++)
                option_help(o, f);
        fprintf(f, "  -h, --help%*sthis help\n", HELP_COLUMN - 12, "");
        if (cmd->notes)
                fprintf(f, "\n%s", cmd->notes);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void vusage_error(const struct cli_command *cmd, FILE *err, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
static void vusage_error(const struct cli_command *cmd, FILE *err, const char *fmt, va_list ap)
{
        fprintf(err, "pbvote %s: ", cmd->name);
        vfprintf(err, fmt, ap);
        fputc('\n', err);
        cli_usage(cmd, err);
        fprintf(err, "`pbvote %s --help` describes every option.\n", cmd->name);
}

/* A usage error: "pbvote NAME: MESSAGE", the usage lines, where to read more. */
static int usage_error(const struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const struct parse *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vusage_error(p->cmd, p->err, fmt, ap);
        va_end(ap);
        return PB_EXIT_USAGE;
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vusage_error(cmd, stderr, fmt, ap);
        va_end(ap);
        return PB_EXIT_USAGE;
}

int cli_missing(const struct cli_command *cmd, const char *what)
{
        return cli_usage_error(cmd, "missing %s", what);
}

static int bad_choice(const struct parse *p, const struct cli_option *o, const char *v)
{
        char words[1024];
        size_t used = 0;

        words[0] = '\0';
        for (const char *const *w = o->choices; *w; w++) {
                int n = snprintf(words + used, sizeof(words) - used, "%s%s", used ? ", " : "", *w);
                if (n < 0 || (size_t)n >= sizeof(words) - used)
                        break;
                used += (size_t)n;
        }
        return usage_error(p, "--%s '%s': expected one of: %s", o->name, v, words);
}

/* ---- values -------------------------------------------------------------------------------- */

/* A decimal integer: digits, after one '-' when @sign; no spaces, no '+'. */
static bool is_decimal(const char *s, bool sign)
{
        if (sign && *s == '-')
                s++;
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static int store_int(const struct parse *p, const struct cli_option *o, const char *v, void *field)
{
        long long x = 0;

        if (is_decimal(v, true)) {
                errno = 0;
                x = strtoll(v, NULL, 10);
        }
        if (!is_decimal(v, true) || errno == ERANGE || x < o->min || x > o->max)
                return usage_error(p, "--%s '%s': expected an integer from %" PRId64 " to %" PRId64, o->name,
                                   v, o->min, o->max);
        *(int64_t *)field = (int64_t)x;
        return CLI_PARSED;
}

static int store_u64(const struct parse *p, const struct cli_option *o, const char *v, void *field)
{
        unsigned long long x = 0;

        if (is_decimal(v, false)) {
                errno = 0;
                x = strtoull(v, NULL, 10);
        }
        if (!is_decimal(v, false) || errno == ERANGE)
                return usage_error(p, "--%s '%s': expected an integer from 0 to %" PRIu64, o->name, v,
                                   UINT64_MAX);
        *(uint64_t *)field = (uint64_t)x;
        return CLI_PARSED;
}

static int store_choice(const struct parse *p, const struct cli_option *o, const char *v, void *field)
{
        for (int i = 0; o->choices[i]; i++)
                if (!strcmp(o->choices[i], v)) {
                        *(int *)field = i;
                        return CLI_PARSED;
                }
        return bad_choice(p, o, v);
}

static int store_list(const struct parse *p, const char *v, struct cli_list *l)
{
        const char **grown = realloc(l->v, (l->n + 1) * sizeof(*grown));

        if (!grown) {
                fprintf(p->err, "pbvote %s: out of memory\n", p->cmd->name);
                return PB_EXIT_SOFTWARE;
        }
        l->v = grown;
        l->v[l->n++] = v;
        return CLI_PARSED;
}

static int store(const struct parse *p, const struct cli_option *o, const char *v)
{
        void *field = (char *)p->opts + o->offset;

        switch (o->kind) {
        case CLI_OPT_PATH:
                if (!*v)
                        return usage_error(p, "--%s: expected a file name, not an empty value", o->name);
                *(const char **)field = v;
                return CLI_PARSED;
        case CLI_OPT_STRING: *(const char **)field = v; return CLI_PARSED;
        case CLI_OPT_INT: return store_int(p, o, v, field);
        case CLI_OPT_U64: return store_u64(p, o, v, field);
        case CLI_OPT_CHOICE: return store_choice(p, o, v, field);
        case CLI_OPT_LIST: return store_list(p, v, field);
        case CLI_OPT_FLAG: break;
        }
        return usage_error(p, "--%s takes no value", o->name);
}

/* ---- the parser ---------------------------------------------------------------------------- */

/* argv[*i] is an option ("--name" or "--name=value"): store it, consuming its value. */
static int one_option(const struct parse *p, int argc, char **argv, int *i, uint64_t *given)
{
        const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '='), *v;
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cli_option *o = a[1] == '-' ? find(p->cmd->options, name, len) : NULL;
        uint64_t bit;

        if (!o)
                return usage_error(p, "unknown option '%.*s'", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
        bit = (uint64_t)1 << (o - p->cmd->options);
        if ((*given & bit) && o->kind != CLI_OPT_LIST)
                return usage_error(p, "--%s given twice", o->name);
        *given |= bit;
        if (o->kind == CLI_OPT_FLAG) {
                if (eq)
                        return usage_error(p, "--%s takes no value", o->name);
                *(bool *)((char *)p->opts + o->offset) = true;
                return CLI_PARSED;
        }
        if (eq) {
                v = eq + 1;
        } else {
                /* "--db --key K" is a forgotten value, not a database named "--key" */
                if (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2))
                        return usage_error(p, "--%s needs a value (%s)", o->name, o->arg ? o->arg : "a word");
                v = argv[++*i];
        }
        return store(p, o, v);
}

static int check_operands(const struct parse *p, char **operands, unsigned n)
{
        const struct cli_command *c = p->cmd;

        if (n < c->min_operands)
                return usage_error(p, "missing %s", c->operands ? c->operands : "operand");
        if (c->max_operands != CLI_MANY && n > c->max_operands)
                return usage_error(p, "unexpected argument '%s'", operands[c->max_operands]);
        return CLI_PARSED;
}

static int parse_all(const struct parse *p, int argc, char **argv, struct cli_args *ret)
{
        uint64_t given = 0;
        bool only_operands = false;
        int n = 0, rc;

        for (int i = 1; i < argc; i++) {
                if (only_operands || !is_option(argv[i])) {
                        argv[1 + n++] = argv[i]; /* 1 + n <= i: never overwrites what is still to read */
                        continue;
                }
                if (!strcmp(argv[i], "--")) {
                        only_operands = true;
                        continue;
                }
                rc = one_option(p, argc, argv, &i, &given);
                if (rc != CLI_PARSED)
                        return rc;
        }
        argv[1 + n] = NULL;
        rc = check_operands(p, argv + 1, (unsigned)n);
        if (rc != CLI_PARSED)
                return rc;
        ret->operands = argv + 1;
        ret->n = n;
        ret->given = given;
        return CLI_PARSED;
}

bool cli_wants_help(int argc, char *const *argv)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
                if (is_help(argv[i]))
                        return true;
        return false;
}

int cli_parse_to(const struct cli_command *cmd, int argc, char **argv, void *opts, struct cli_args *ret,
                 FILE *out, FILE *err)
{
        struct parse p = { cmd, opts, out, err };

        /* bit i of cli_args.given is option i */
        PB_ASSERT(table_len(cmd->options) <= 64);
        if (cli_wants_help(argc, argv)) {
                cli_help(cmd, out);
                return PB_EXIT_OK;
        }
        return parse_all(&p, argc, argv, ret);
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts, struct cli_args *ret)
{
        return cli_parse_to(cmd, argc, argv, opts, ret, stdout, stderr);
}

bool cli_given(const struct cli_command *cmd, const struct cli_args *a, const char *name)
{
        const struct cli_option *o = cli_option_find(cmd, name);

        PB_ASSERT(o != NULL); /* a name missing from the table is the command's bug */
        return (a->given >> (o - cmd->options)) & 1u;
}

/* ---- several tables: tally's counting paths, a group's verbs ------------------------------- */

/* Whether the option argv[i] takes its value from argv[i + 1] in any of @cmds. */
static bool takes_next(const struct cli_command *const *cmds, const char *a, bool *ret_named,
                       const char *name)
{
        const char *n = a + 2, *eq = strchr(n, '=');
        size_t len = eq ? (size_t)(eq - n) : strlen(n);
        bool value = false;

        if (a[1] != '-')
                return false;
        if (name && strlen(name) == len && !memcmp(name, n, len))
                *ret_named = true;
        for (; *cmds; cmds++) {
                const struct cli_option *o = find((*cmds)->options, n, len);
                value |= o && o->kind != CLI_OPT_FLAG;
        }
        return value && !eq;
}

int cli_scan(const struct cli_command *const *cmds, int argc, char *const *argv, const char *name,
             bool *ret_found)
{
        bool found = false;
        int first = 0;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--")) {
                        if (!first && i + 1 < argc)
                                first = i + 1;
                        break;
                }
                if (!is_option(argv[i])) {
                        if (!first)
                                first = i;
                        continue;
                }
                if (takes_next(cmds, argv[i], &found, name))
                        i++;
        }
        if (ret_found)
                *ret_found = found;
        return first;
}

static void group_help(const struct cli_group *g, FILE *f)
{
        for (const struct cli_command *const *v = g->verbs; *v; v++)
                cli_usage(*v, f);
        if (g->about)
                fprintf(f, "\n%s", g->about);
        fprintf(f, "\n`pbvote %s ACTION --help` describes the options of one action.\n", g->name);
}

static int group_error(const struct cli_group *g, const char *what, const char *verb)
{
        fprintf(stderr, "pbvote %s: %s%s%s%s; one of:", g->name, what, verb ? " '" : "", verb ? verb : "",
                verb ? "'" : "");
        for (const struct cli_command *const *v = g->verbs; *v; v++)
                fprintf(stderr, " %s", strchr((*v)->name, ' ') + 1);
        fputc('\n', stderr);
        group_help(g, stderr);
        return PB_EXIT_USAGE;
}

int cli_parse_group(const struct cli_group *g, int argc, char **argv, void *opts,
                    const struct cli_command **ret_verb, struct cli_args *ret)
{
        int k = cli_scan(g->verbs, argc, argv, NULL, NULL);
        const struct cli_command *const *v = g->verbs;

        if (!k && cli_wants_help(argc, argv)) {
                group_help(g, stdout);
                return PB_EXIT_OK;
        }
        if (!k)
                return group_error(g, "missing the action", NULL);
        while (*v && strcmp(strchr((*v)->name, ' ') + 1, argv[k]))
                v++;
        if (!*v)
                return group_error(g, "unknown action", argv[k]);
        /* the verb leaves argv: what remains is the verb's own command line */
        memmove(argv + k, argv + k + 1, (size_t)(argc - k) * sizeof(*argv));
        *ret_verb = *v;
        return cli_parse(*v, argc - 1, argv, opts, ret);
}

void cli_list_release(struct cli_list *l)
{
        free(l->v);
        l->v = NULL;
        l->n = 0;
}
