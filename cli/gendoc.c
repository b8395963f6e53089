/**
 * @file pbvote-gendoc: the man pages and the bash completion of `pbvote`, written at build time
 * from the option tables that parse the command line (cli_commands[], cli/options.h), so that
 * neither can drift from the options the program takes.  Not installed.
 *
 *   pbvote-gendoc man OUTDIR PAGE...   writes OUTDIR/PAGE for pbvote.1 and pbvote-NAME.1, one per
 *                                      subcommand; the PAGE list (meson's outputs) must name every
 *                                      subcommand and nothing else, or nothing is written (exit 2)
 *   pbvote-gendoc bash FILE            writes the completion script
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_version.h"

/* ------------------------------------------------------------------------------------------ */
/* roff */

/* @s as roff text: backslashes and dashes escaped, a line never starting with a control character,
 * each '\n' a space (roff fills the lines itself). */
static void roff_text(FILE *f, const char *s, size_t len)
{
        bool bol = true;

        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (bol && (c == '.' || c == '\''))
                        fputs("\\&", f);
                bol = false;
                if (c == '\\')
                        fputs("\\e", f);
                else if (c == '-')
                        fputs("\\-", f);
                else if (c == '\n')
                        fputc(' ', f);
                else
                        fputc(c, f);
        }
}

static void roff_str(FILE *f, const char *s)
{
        roff_text(f, s, strlen(s));
}

/*
 * A block of text from a table (about, notes): lines are filled into paragraphs, an empty line
 * starts a new paragraph, and a line indented by two spaces (an example of output) is kept as is.
 */
static void roff_block(FILE *f, const char *s)
{
        bool in_example = false, need_pp = false, in_para = false;

        while (*s) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t)(nl - s) : strlen(s);
                bool example = len >= 2 && s[0] == ' ' && s[1] == ' ';

                if (len == 0) {
                        need_pp = in_para || in_example;
                } else {
                        if (example != in_example || need_pp)
                                fputs(in_example ? ".fi\n.in\n" : "", f);
                        if (need_pp || (example && !in_example) || (!example && in_example))
                                fputs(".PP\n", f);
                        if (example && (!in_example || need_pp))
                                fputs(".nf\n.in +4\n", f);
                        need_pp = false;
                        in_example = example;
                        in_para = true;
                        roff_text(f, example ? s + 2 : s, example ? len - 2 : len);
                        fputc('\n', f);
                }
                s += len + (nl ? 1 : 0);
        }
        if (in_example)
                fputs(".fi\n.in\n", f);
}

static void roff_synopsis(FILE *f, const struct cli_command *c)
{
        const char *line = c->synopsis;

        while (*line) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);

                fputs(".PP\n.B pbvote\n", f);
                roff_text(f, line, len);
                fputc('\n', f);
                line += len + (nl ? 1 : 0);
        }
}

static void roff_option(FILE *f, const struct cli_option *o)
{
        fputs(".TP\n\\fB\\-\\-", f);
        roff_str(f, o->name);
        fputs("\\fR", f);
        if (o->kind != CLI_OPT_FLAG) {
                fputs(" \\fI", f);
                if (o->arg) {
                        roff_str(f, o->arg);
                } else {
                        for (const char *const *w = o->choices; w && *w; w++) {
                                fputs(w == o->choices ? "" : "|", f);
                                roff_str(f, *w);
                        }
                }
                fputs("\\fR", f);
        }
        fputc('\n', f);
        roff_str(f, o->help);
        fputc('\n', f);
        if (o->kind == CLI_OPT_CHOICE && o->arg) {
                fputs(".br\nOne of: ", f);
                for (const char *const *w = o->choices; *w; w++) {
                        fputs("\\fB", f);
                        roff_str(f, *w);
                        fputs(w[1] ? "\\fR, " : "\\fR.", f);
                }
                fputc('\n', f);
        }
        if (o->kind == CLI_OPT_LIST)
                fputs("May be given more than once.\n", f);
}

/* One table: what it does, its options, its notes. */
static void roff_command(FILE *f, const struct cli_command *c)
{
        if (c->about)
                roff_block(f, c->about);
        fputs(".PP\nOptions:\n", f);
        for (const struct cli_option *o = c->options; o && o->name; o++)
                roff_option(f, o);
        fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint this help and exit.\n", f);
        if (c->notes) {
                fputs(".PP\n", f);
                roff_block(f, c->notes);
        }
}

static void roff_header(FILE *f, const char *title)
{
        fputs(".\\\" Generated by pbvote-gendoc from the option tables of pbvote; do not edit.\n", f);
        fprintf(f, ".TH \"%s\" 1 \"\" \"pbvote %s\" \"pbvote manual\"\n", title, cli_version);
}

/* The commands an entry parses with: its tables, or its group's verbs. */
static const struct cli_command *const *entry_tables(const struct cli_entry *e)
{
        return e->group ? e->group->verbs : e->tables;
}

static void man_command(FILE *f, const struct cli_entry *e)
{
        const struct cli_command *const *t = entry_tables(e);
        char title[64];
        size_t n = 0;

        snprintf(title, sizeof(title), "PBVOTE-%s", e->name);
        for (char *p = title; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 'a' + 'A');
        roff_header(f, title);
        fprintf(f, ".SH NAME\npbvote\\-%s \\- ", e->name);
        roff_str(f, e->summary);
        fputs("\n.SH SYNOPSIS\n", f);
        for (n = 0; t[n]; n++)
                roff_synopsis(f, t[n]);
        fputs(".SH DESCRIPTION\n", f);
        if (e->group && e->group->about)
                roff_block(f, e->group->about);
        if (n == 1) {
                roff_command(f, t[0]);
        } else {
                for (size_t i = 0; i < n; i++) {
                        /* a verb's name, or for tally's counting paths the first usage line */
                        const char *head = e->group ? t[i]->name : t[i]->synopsis;
                        const char *nl = strchr(head, '\n');
                        fputs(".SS \"pbvote ", f);
                        roff_text(f, head, nl ? (size_t)(nl - head) : strlen(head));
                        fputs("\"\n", f);
                        roff_command(f, t[i]);
                }
        }
        fputs(".SH SEE ALSO\n.BR pbvote (1)\n", f);
}

static void man_main(FILE *f)
{
        roff_header(f, "PBVOTE");
        fputs(".SH NAME\npbvote \\- participatory budgeting voting and tallying engine\n"
              ".SH SYNOPSIS\n.B pbvote\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
              ".PP\n.B pbvote\n\\fICOMMAND\\fR \\fB\\-\\-help\\fR\n"
              ".PP\n.B pbvote \\-\\-version\n"
              ".SH DESCRIPTION\n"
              "pbvote counts participatory budgeting elections by a published rule, exactly and "
              "reproducibly, and explains the result.  It takes ballots from kiosks and web pages over a "
              "JSON HTTP API, each authorised by a single\\-use voter code, keeps them in an append\\-only "
              "Merkle\\-tree log with signed checkpoints and receipts, signs the result for the finance "
              "office to certify, and gives auditors a bundle they verify offline.\n"
              ".PP\nOptions are long options only, given as \\fB\\-\\-name\\fR \\fIVALUE\\fR or "
              "\\fB\\-\\-name\\fR=\\fIVALUE\\fR, in any order with the operands; \\fB\\-\\-\\fR ends "
              "the options.\n"
              ".SH COMMANDS\n",
              f);
        for (const struct cli_entry *e = cli_commands; e->name; e++) {
                fprintf(f, ".TP\n.BR pbvote\\-%s (1)\n", e->name);
                roff_str(f, e->summary);
                fputc('\n', f);
        }
        fputs(".SH EXIT STATUS\n"
              ".TP\n0\nSuccess.\n"
              ".TP\n1\nThe answer is \\(lqno\\(rq: \\fBcheck\\fR found errors, \\fBverify\\fR or "
              "\\fBreceipt\\fR a failed check, \\fBcast\\fR a refused ballot.\n"
              ".TP\n2\nA bad command line.\n"
              ".TP\n3\nUnreadable or malformed input; the message names the file, line, field and reason.\n"
              ".TP\n4\nOut of memory, a storage failure or an internal error.\n"
              ".SH ENVIRONMENT\n"
              ".TP\n.B PBVOTE_PASSPHRASE\nThe passphrase of encrypted key files when no "
              "\\fB\\-\\-passphrase\\-file\\fR is given; else it is asked on the terminal.\n"
              ".TP\n.B NOTIFY_SOCKET\n\\fBpbvote serve\\fR tells systemd there when it is ready and when "
              "it stops (Type=notify).\n"
              ".SH FILES\n"
              ".TP\n.I /var/lib/pbvote\nThe service's data folder: one ballot box per election "
              "(\\fIID\\fR.db), the engine key, admin.tokens.\n"
              ".TP\n.I /etc/default/pbvote\nThe service's settings (pbvote.service).\n"
              ".SH SEE ALSO\n",
              f);
        for (const struct cli_entry *e = cli_commands; e->name; e++)
                fprintf(f, ".BR pbvote\\-%s (1)%s\n", e->name, e[1].name ? "," : "");
        fputs(".PP\nThe documentation in /usr/share/doc/pbvote: operations.md (backups, keys, upgrades, "
              "monitoring), cli.md, api.md, ballot\\-box.md.\n",
              f);
}

/* Whether @page names a subcommand's page (or pbvote.1); *ret_e is NULL for pbvote.1. */
static bool page_entry(const char *page, const struct cli_entry **ret_e)
{
        *ret_e = NULL;
        if (!strcmp(page, "pbvote.1"))
                return true;
        for (const struct cli_entry *e = cli_commands; e->name; e++) {
                size_t n = strlen(e->name);
                if (!strncmp(page, "pbvote-", 7) && !strncmp(page + 7, e->name, n) &&
                    !strcmp(page + 7 + n, ".1")) {
                        *ret_e = e;
                        return true;
                }
        }
        return false;
}

/* The page list must be exactly pbvote.1 and one page per subcommand. */
static bool pages_match(int n, char **pages)
{
        size_t commands = 0;
        bool ok = true, main_page = false;

        for (const struct cli_entry *e = cli_commands; e->name; e++) {
                char want[64];
                bool found = false;
                commands++;
                snprintf(want, sizeof(want), "pbvote-%s.1", e->name);
                for (int i = 0; i < n; i++)
                        found |= !strcmp(pages[i], want);
                if (!found) {
                        fprintf(stderr, "pbvote-gendoc: %s is missing from cli/meson.build's man pages\n",
                                want);
                        ok = false;
                }
        }
        for (int i = 0; i < n; i++) {
                const struct cli_entry *e;
                if (!page_entry(pages[i], &e)) {
                        fprintf(stderr, "pbvote-gendoc: %s names no subcommand of pbvote\n", pages[i]);
                        ok = false;
                }
                main_page |= !strcmp(pages[i], "pbvote.1");
        }
        if (!main_page)
                fprintf(stderr, "pbvote-gendoc: pbvote.1 is missing from the man pages\n");
        return ok && main_page && (size_t)n == commands + 1;
}

static int write_man(const char *dir, int n, char **pages)
{
        if (!pages_match(n, pages))
                return PB_EXIT_USAGE;
        for (int i = 0; i < n; i++) {
                const struct cli_entry *e;
                char path[4096];
                FILE *f;

                (void)page_entry(pages[i], &e);
                snprintf(path, sizeof(path), "%s/%s", dir, pages[i]);
                f = fopen(path, "w");
                if (!f) {
                        perror(path);
                        return PB_EXIT_SOFTWARE;
                }
                if (e)
                        man_command(f, e);
                else
                        man_main(f);
                if (fclose(f) != 0) {
                        perror(path);
                        return PB_EXIT_SOFTWARE;
                }
        }
        return PB_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* bash */

/* Whether @name is an option of a table before @t[i]. */
static bool seen_before(const struct cli_command *const *t, size_t i, const char *name)
{
        for (size_t j = 0; j < i; j++)
                if (cli_option_find(t[j], name))
                        return true;
        return false;
}

/* The options of @t (the options of every table, for tally's counting paths), space-separated. */
static void bash_words(FILE *f, const struct cli_command *const *t)
{
        fputs("--help", f);
        for (size_t i = 0; t[i]; i++)
                for (const struct cli_option *o = t[i]->options; o && o->name; o++)
                        if (!seen_before(t, i, o->name))
                                fprintf(f, " --%s", o->name);
}

/* The words of the choice @name in every table of @t (tally's counting paths differ), each once. */
static void bash_choices(FILE *f, const struct cli_command *const *t, const char *name)
{
        bool first = true;

        for (size_t i = 0; t[i]; i++) {
                const struct cli_option *o = cli_option_find(t[i], name);
                for (const char *const *w = o && o->kind == CLI_OPT_CHOICE ? o->choices : NULL; w && *w;
                     w++) {
                        bool dup = false;
                        for (size_t j = 0; j < i && !dup; j++) {
                                const struct cli_option *p = cli_option_find(t[j], name);
                                for (const char *const *x = p && p->kind == CLI_OPT_CHOICE ? p->choices
                                                                                           : NULL;
                                     x && *x && !dup; x++)
                                        dup = !strcmp(*x, *w);
                        }
                        if (!dup)
                                fprintf(f, "%s%s", first ? "" : " ", *w);
                        first = first && dup;
                }
        }
}

/* What follows an option that takes a value: its words, or files, or nothing to offer. */
static void bash_values(FILE *f, const struct cli_command *const *t, const char *indent)
{
        fprintf(f, "%scase \"$prev\" in\n", indent);
        for (size_t i = 0; t[i]; i++)
                for (const struct cli_option *o = t[i]->options; o && o->name; o++) {
                        if (o->kind == CLI_OPT_FLAG || seen_before(t, i, o->name))
                                continue;
                        fprintf(f, "%s--%s) ", indent, o->name);
                        if (o->kind == CLI_OPT_CHOICE) {
                                fputs("COMPREPLY=($(compgen -W \"", f);
                                bash_choices(f, t, o->name);
                                fputs("\" -- \"$cur\")); return ;;\n", f);
                        } else if (o->kind == CLI_OPT_PATH) {
                                fputs("return ;; # files (complete -o default)\n", f);
                        } else {
                                fputs("COMPREPLY=(); return ;;\n", f);
                        }
                }
        fprintf(f, "%sesac\n", indent);
}

static void bash_command(FILE *f, const struct cli_command *const *t, const char *indent)
{
        bash_values(f, t, indent);
        fprintf(f, "%sopts=\"", indent);
        bash_words(f, t);
        fputs("\"\n", f);
}

static int write_bash(const char *path)
{
        FILE *f = fopen(path, "w");

        if (!f) {
                perror(path);
                return PB_EXIT_SOFTWARE;
        }
        fprintf(f,
                "# bash completion for pbvote %s\n"
                "# Generated by pbvote-gendoc from the option tables of pbvote; do not edit.\n"
                "_pbvote()\n{\n"
                "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" opts\n"
                "    COMPREPLY=()\n"
                "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                "        COMPREPLY=($(compgen -W \"",
                cli_version);
        for (const struct cli_entry *e = cli_commands; e->name; e++)
                fprintf(f, "%s ", e->name);
        fputs("--help --version\" -- \"$cur\"))\n        return\n    fi\n    case \"${COMP_WORDS[1]}\" in\n",
              f);
        for (const struct cli_entry *e = cli_commands; e->name; e++) {
                fprintf(f, "    %s)\n", e->name);
                if (!e->group) {
                        bash_command(f, e->tables, "        ");
                        fputs("        ;;\n", f);
                        continue;
                }
                fputs("        if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
                      "            COMPREPLY=($(compgen -W \"",
                      f);
                for (const struct cli_command *const *v = e->group->verbs; *v; v++)
                        fprintf(f, "%s ", strchr((*v)->name, ' ') + 1);
                fputs("--help\" -- \"$cur\"))\n            return\n        fi\n"
                      "        case \"${COMP_WORDS[2]}\" in\n",
                      f);
                for (const struct cli_command *const *v = e->group->verbs; *v; v++) {
                        const struct cli_command *one[] = { *v, NULL };
                        fprintf(f, "        %s)\n", strchr((*v)->name, ' ') + 1);
                        bash_command(f, one, "            ");
                        fputs("            ;;\n", f);
                }
                fputs("        *) return ;;\n        esac\n        ;;\n", f);
        }
        fputs("    *) return ;;\n    esac\n"
              "    if [[ \"$cur\" == -* ]]; then\n"
              "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
              "    fi\n}\n"
              "complete -o bashdefault -o default -F _pbvote pbvote\n",
              f);
        if (fclose(f) != 0) {
                perror(path);
                return PB_EXIT_SOFTWARE;
        }
        return PB_EXIT_OK;
}

int main(int argc, char **argv)
{
        if (argc >= 3 && !strcmp(argv[1], "man"))
                return write_man(argv[2], argc - 3, argv + 3);
        if (argc == 3 && !strcmp(argv[1], "bash"))
                return write_bash(argv[2]);
        fprintf(stderr, "usage: pbvote-gendoc man OUTDIR PAGE... | pbvote-gendoc bash FILE\n");
        return PB_EXIT_USAGE;
}
