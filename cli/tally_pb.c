/** @file `pbvote tally` for PB elections (.pb files): options, counting, JSON or text output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "cli/cli.h"
#include "engine/pb_alloc.h"
#include "engine/pb_int128.h"
#include "engine/pb_money.h"
#include "engine/pb_tally.h"
#include "pb_config.h"

const char *const cli_pb_rule_names[] = {
        /* pb_rule_kind_name() of every kind, in enum order */
        "greedy", "greedy-no-skip", "greedy-threshold", "greedy-ratio", "equalshares", "phragmen",
        "maximin-support",
        /* pabulib's META names */
        "greedy-exclusive", "greedy-custom", "equalshares-comparison", "equalshares/add1",
        "equalshares/add1-comparison", NULL
};
/* The words of the options below, in the order of the engine's enums (test-cli-options checks). */
static const char *const score_words[] = { "auto", "votes", "points", "borda", "borda0", NULL };
static const char *const tie_words[] = { "file-order", "lexico", "cost-then-votes", "seeded", NULL };
static const char *const utility_words[] = { "cost", "approval", "points", "borda", NULL };
static const char *const completion_words[] = { "none", "add1", "add1-exhaustive", "add1-unfloored", NULL };
static const char *const format_words[] = { "text", "json", NULL };
enum format { FORMAT_TEXT, FORMAT_JSON }; /* the indexes of format_words */

/* What the command line says; a choice not given is -1, and the file's defaults stand. */
struct options {
        const char *input;
        int rule, score, tie, utility, completion, format;
        int64_t threshold;
        uint64_t seed;
        bool utilitarian, comparison;
        bool strict; /* --strict: no lenient reading */
        bool quiet;  /* no progress line while the file is read */
        bool threshold_set, seed_set;
};

#define O struct options
static const struct cli_option tally_pb_options[] = {
        CLI_CHOICE("rule", O, rule, "R", cli_pb_rule_names, "the rule (default: the file's META rule)"),
        CLI_CHOICE("score", O, score, NULL, score_words,
                   "greedy ranking (default auto: points or ranks\nwhere ballots carry them, else votes); "
                   "borda:\n"
                   "L..1 as pabulib; borda0: L-1..0 as pabutools"),
        CLI_INT("threshold", O, threshold, "N", INT64_MIN, INT64_MAX,
                "only projects scoring at least N are eligible"),
        CLI_CHOICE("tie-break", O, tie, NULL, tie_words,
                   "how ties are broken (default: file-order for\ngreedy, cost-then-votes for equal shares)"),
        CLI_U64("seed", O, seed, "N", "the published seed of --tie-break seeded"),
        CLI_CHOICE("utility", O, utility, NULL, utility_words,
                   "equal shares: a voter's utility of a project\n(borda: L-1..0, as pabutools)"),
        CLI_CHOICE("completion", O, completion, NULL, completion_words,
                   "equal shares, raising the per-voter budget by one\ncurrency unit at a time:\n"
                   "none: plain equal shares, per-voter budget B/n\n"
                   "add1: pabulib (official), the default of --rule\n  equalshares: from floor(B/n), until "
                   "the outcome\n"
                   "  no longer fits; keep the last that fits\n"
                   "add1-exhaustive: pabutools' voter_budget_increment:\n  from B/n, until the outcome is "
                   "exhaustive\n"
                   "add1-unfloored: pabutools' exhaustion_by_budget_\n  increase: from B/n, until it no "
                   "longer fits"),
        CLI_FLAG("utilitarian-completion", O, utilitarian,
                 "equal shares: then greedy by votes with the money left"),
        CLI_FLAG("comparison", O, comparison, "equal shares: compare with greedy as Wieliczka did"),
        CLI_CHOICE("format", O, format, NULL, format_words,
                   "text: a table (default); json: the result document"),
        CLI_FLAG(
                "strict", O, strict,
                "refuse the file at its first problem, even one the\ncity resolved (a project repeated in an "
                "approval\nvote, whitespace around a cell)"),
        CLI_FLAG("quiet", O, quiet,
                 "no progress line while the file is read (drawn\nonly when stderr is a terminal)"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_tally_pb = {
        .name = "tally",
        .synopsis = "tally FILE.pb [options]",
        .about = "Counts a pabulib election and prints the result.  With no options the file is counted by "
                 "the\n"
                 "rule its META names, exactly as pabulib's checker counts it.\n",
        .options = tally_pb_options,
        .operands = "input file (FILE.pb)",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Exit status: 0 counted, 2 bad options, 3 bad input file (the message names the line), 4 "
                 "internal.\n",
};

static int parse_options(int argc, char **argv, struct options *o)
{
        struct cli_args args;
        int rc;

        memset(o, 0, sizeof(*o));
        o->rule = o->score = o->tie = o->utility = o->completion = o->format = -1;
        rc = cli_parse(&cli_cmd_tally_pb, argc, argv, o, &args);
        if (rc != CLI_PARSED)
                return rc;
        o->input = args.operands[0];
        o->threshold_set = cli_given(&cli_cmd_tally_pb, &args, "threshold");
        o->seed_set = cli_given(&cli_cmd_tally_pb, &args, "seed");
        if (o->seed_set && o->tie != PB_TIE_SEEDED)
                return cli_usage_error(&cli_cmd_tally_pb, "--seed only with --tie-break seeded");
        if (o->tie == PB_TIE_SEEDED && !o->seed_set)
                return cli_usage_error(&cli_cmd_tally_pb, "--tie-break seeded needs --seed");
        return CLI_PARSED;
}

/* The file's rule and defaults, then what the command line says. */
static int build_rule(const struct options *o, const struct pb_election *e, struct pb_rule *ret)
{
        struct pb_rule r;
        struct pb_diag d;
        pb_err err;

        pb_diag_clear(&d);
        if (o->rule >= 0) {
                pb_rule_init(&r);
                err = pb_rule_set_name(&r, cli_pb_rule_names[o->rule]);
                PB_ASSERT(err == PB_OK); /* every word of the choice is a rule name */
                if (r.kind == PB_RULE_EQUAL_SHARES)
                        r.tie_break = PB_TIE_COST_THEN_VOTES;
                if (r.kind == PB_RULE_GREEDY_THRESHOLD && e->has_threshold) {
                        r.has_threshold = true;
                        r.threshold = e->threshold;
                }
        } else {
                err = pb_rule_for_election(e, &r, &d);
                if (err < 0) {
                        cli_report(o->input, &d);
                        fprintf(stderr, "pbvote tally: pass --rule to choose how to count this file\n");
                        return PB_EXIT_USAGE;
                }
        }
        if (o->score >= 0)
                r.score = (enum pb_score)o->score;
        if (o->tie >= 0)
                r.tie_break = (enum pb_tie_break)o->tie;
        if (o->seed_set)
                r.seed = o->seed;
        if (o->threshold_set) {
                r.has_threshold = true;
                r.threshold = o->threshold;
        }
        if (o->utility >= 0)
                r.utility = (enum pb_utility)o->utility;
        if (o->completion >= 0)
                r.completion = (enum pb_completion)o->completion;
        if (o->utilitarian)
                r.utilitarian_completion = true;
        if (o->comparison)
                r.comparison = true;
        if (r.kind != PB_RULE_EQUAL_SHARES &&
            (o->utility >= 0 || o->completion >= 0 || o->utilitarian || o->comparison)) {
                /* said, and it would change nothing: refused rather than silently ignored */
                fprintf(stderr, "pbvote tally: --%s applies to equal shares only, and this count uses %s\n",
                        o->utility >= 0      ? "utility"
                        : o->completion >= 0 ? "completion"
                        : o->utilitarian     ? "utilitarian-completion"
                                             : "comparison",
                        pb_rule_kind_name(r.kind));
                return PB_EXIT_USAGE;
        }
        *ret = r;
        return PB_EXIT_OK;
}

static void print_money(FILE *f, int64_t v, unsigned scale, int width)
{
        char b[PB_MONEY_STR_MAX];
        fprintf(f, "%*s", width, pb_money_format(v, scale, b));
}

/*
 * The proportional rules' explanation, round by round (as equalshares.net publishes it): what
 * each funded project cost its supporters and how many paid.  Exact fractions; a value too long
 * to print exactly starts with '~'.
 */
static void print_rounds(const struct pb_election *e, const struct pb_result *r)
{
        const struct pb_rule *ru = &r->rule;
        const char *what = NULL, *who = "supporters";

        if (ru->kind == PB_RULE_EQUAL_SHARES) {
                what = ru->utility == PB_UTIL_POINTS  ? "price per point"
                       : ru->utility == PB_UTIL_BORDA ? "price per Borda point"
                                                      : "price per voter";
                who = "paid";
        } else if (ru->kind == PB_RULE_PHRAGMEN || ru->kind == PB_RULE_MAXIMIN_SUPPORT) {
                what = "max load";
        }
        if (!what || !r->n_steps)
                return;
        printf("\n%4s  %-16s %-24s %9s\n", "step", "project", what, who);
        for (size_t i = 0; i < r->n_steps; i++)
                printf("%4zu  %-16s %-24s %9lld\n", i + 1, e->projects[r->steps[i].project].id,
                       r->steps[i].measure, (long long)r->steps[i].supporters);
        if (ru->kind == PB_RULE_EQUAL_SHARES && (ru->utilitarian_completion || ru->comparison))
                printf("(steps funded by greedy show their votes)\n");
        if (e->scale)
                printf("(amounts in 1/10^%u of the currency unit)\n", e->scale);
}

/* Bytes of @s (of @len) that hold at most @max bytes without cutting a UTF-8 character. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
        if (len <= max)
                return len;
        while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
                max--;
        return max;
}

/* A finance officer's table: every project, its figures and what happened to it. */
static void print_text(const struct pb_election *e, const struct pb_result *r, const char *file)
{
        const struct pb_rule *ru = &r->rule;
        int64_t permille = r->budget ? (int64_t)((pb_i128)r->spent * 1000 / r->budget) : 0;
        size_t *order;

        printf("%s\n", e->title[0] ? e->title : file);
        printf("rule: %s", pb_rule_kind_name(ru->kind));
        if (ru->kind == PB_RULE_EQUAL_SHARES)
                printf(" (utility %s, completion %s%s%s)", pb_utility_name(ru->utility),
                       pb_completion_name(ru->completion),
                       ru->utilitarian_completion ? ", utilitarian completion" : "",
                       ru->comparison ? ", comparison" : "");
        else if (ru->kind != PB_RULE_PHRAGMEN && ru->kind != PB_RULE_MAXIMIN_SUPPORT)
                printf(" (score %s)", pb_score_name(r->score));
        if (ru->has_threshold)
                printf(", threshold %lld", (long long)ru->threshold);
        printf(", ties: %s", pb_tie_break_name(ru->tie_break));
        if (ru->tie_break == PB_TIE_SEEDED)
                printf(" (seed %llu)", (unsigned long long)ru->seed);
        printf("\nvoters: %zu    budget: ", r->n_voters);
        print_money(stdout, r->budget, e->scale, 0);
        printf("%s%s    spent: ", e->currency[0] ? " " : "", e->currency);
        print_money(stdout, r->spent, e->scale, 0);
        printf(" (%lld.%lld%%)    funded: %zu of %zu projects\n\n", (long long)(permille / 10),
               (long long)(permille % 10), r->n_winners, e->n_projects);

        /* funded projects in selection order, then the others in file order */
        order = pb_calloc(e->n_projects ? e->n_projects : 1, sizeof(*order));
        if (!order)
                return;
        {
                size_t k = 0;
                for (size_t i = 0; i < r->n_winners; i++)
                        order[k++] = r->winners[i];
                for (size_t p = 0; p < e->n_projects; p++)
                        if (r->projects[p].reason != PB_REASON_SELECTED)
                                order[k++] = p;
        }
        printf("%4s  %-16s %14s %9s %10s  %-16s %s\n", "step", "project", "cost", "votes", "score", "result",
               "name");
        for (size_t i = 0; i < e->n_projects; i++) {
                const struct pb_project *p = &e->projects[order[i]];
                const struct pb_project_result *pr = &r->projects[order[i]];
                char step[16] = "", score[PB_I128_STR_MAX];
                size_t name_len = strlen(p->name);

                if (pr->step)
                        snprintf(step, sizeof(step), "%u", pr->step);
                pb_i128_format(pr->score, score, sizeof(score));
                printf("%4s  %-16s ", step, p->id);
                print_money(stdout, p->cost, e->scale, 14);
                printf(" %9lld %10s  %-16s %.*s\n", (long long)pr->votes, score,
                       pr->reason == PB_REASON_SELECTED ? "funded" : pb_reason_name(pr->reason),
                       (int)utf8_prefix(p->name, name_len, 60), p->name);
        }
        pb_free(order);
        print_rounds(e, r);
        for (size_t i = 0; i < r->n_ties; i++) {
                const struct pb_tie *t = &r->ties[i];
                printf("%stie on %s%s:", i ? "" : "\n", t->on, t->decisive ? " (decided the outcome)" : "");
                for (uint32_t k = 0; k < t->n; k++)
                        printf(" %s", e->projects[t->tied[k]].id);
                printf("  -> %s first (%s)\n", e->projects[t->tied[0]].id, pb_tie_break_name(ru->tie_break));
        }
        for (size_t i = 0; i < r->n_details; i++)
                printf("%s%s: %s\n", i ? "" : "\n", r->details[i].key, r->details[i].value);
}

/* What the lenient read tolerated: one line per kind, with how often (stderr; stdout stays the result). */
static void print_tolerated(const char *file, const struct pb_pb_tolerance *t)
{
        for (int k = 0; k < PB_PB_TOL_COUNT; k++) {
                const struct pb_diag *d = &t->first[k];

                if (!t->count[k])
                        continue;
                fprintf(stderr,
                        "pbvote: %s:%u:%u: warning: %s: %s%s%s%s: %s (%zu %s in the file, the first here; "
                        "--strict refuses the file)\n",
                        file, d->line, d->col, pb_pb_tolerated_type((enum pb_pb_tolerated)k), d->reason,
                        d->subject[0] ? " ('" : "", d->subject, d->subject[0] ? "')" : "",
                        pb_pb_tolerated_action((enum pb_pb_tolerated)k), t->count[k],
                        t->count[k] == 1 ? "time" : "times");
        }
}

int cli_tally_pb(int argc, char **argv)
{
        struct pb_pb_tolerance tol;
        struct cli_progress progress;
        struct options o;
        struct pb_election *e = NULL;
        struct pb_result res;
        struct pb_diag d;
        struct pb_rule rule;
        char *data = NULL;
        size_t len = 0;
        int rc;
        pb_err err;

        rc = parse_options(argc, argv, &o);
        if (rc != CLI_PARSED)
                return rc;
        pb_result_init(&res);
        pb_diag_clear(&d);
        memset(&tol, 0, sizeof(tol));
        err = pb_file_read(o.input, PB_PB_MAX_BYTES, &data, &len, &d);
        /* by default the file is counted as the city counted it (docs/cli.md); --strict refuses */
        if (err == PB_OK) {
                cli_progress_start(&progress, "pbvote tally: ballots", "read", o.quiet);
                err = pb_format_pb_parse_progress(data, len, &e, o.strict ? NULL : &tol, &progress.p, &d);
                cli_progress_end(&progress);
        }
        if (err == PB_OK)
                print_tolerated(o.input, &tol);
        if (err < 0) {
                cli_report(o.input, &d);
                rc = cli_exit_for(err);
                goto out;
        }
        rc = build_rule(&o, e, &rule);
        if (rc != PB_EXIT_OK)
                goto out;
        err = pb_tally_run(e, &rule, &res, &d);
        if (err < 0) {
                cli_report(o.input, &d);
                rc = err == PB_ERR_INVALID || err == PB_ERR_UNSUPPORTED ? PB_EXIT_USAGE : cli_exit_for(err);
                goto out;
        }
        if (o.format == FORMAT_JSON) {
                struct pb_buf out;
                pb_buf_init(&out, 0);
                err = pb_result_format_json(&res, e, "pbvote " PBVOTE_VERSION, &out);
                if (err == PB_OK)
                        err = pb_buf_addc(&out, '\n');
                if (err == PB_OK)
                        fwrite(out.data, 1, out.len, stdout);
                pb_buf_release(&out);
                if (err < 0) {
                        fprintf(stderr, "pbvote tally: cannot write the result: %s\n", pb_err_message(err));
                        rc = PB_EXIT_SOFTWARE;
                        goto out;
                }
        } else {
                print_text(e, &res, o.input);
        }
        if (fflush(stdout) != 0) {
                fprintf(stderr, "pbvote tally: cannot write to standard output\n");
                rc = PB_EXIT_SOFTWARE;
        }
out:
        pb_result_release(&res);
        pb_election_free(e);
        pb_free(data);
        return rc;
}
