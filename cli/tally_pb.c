/** @file `pbvote tally` for PB elections (.pb files): options, counting, JSON or text output. */
#include <errno.h>
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

static const char usage_text[] =
        "usage: pbvote tally FILE.pb [options]\n"
        "       pbvote tally --db DB --key ENGINE.key --out RESULT [--seed N]  (a closed ballot box)\n"
        "\n"
        "Count a pabulib election and print the result.  With no options the file is counted by the\n"
        "rule its META names, exactly as pabulib's checker counts it.\n"
        "\n"
        "  --rule R           greedy | greedy-no-skip | greedy-threshold | greedy-ratio | equalshares |\n"
        "                     phragmen | maximin-support (approval ballots), or a pabulib rule name\n"
        "                     (equalshares/add1, equalshares/add1-comparison, ...)\n"
        "  --score S          greedy ranking: auto | votes | points | borda (L..1) | borda0 (L-1..0)\n"
        "  --threshold N      only projects scoring at least N are eligible\n"
        "  --tie-break T      file-order | lexico | cost-then-votes | seeded\n"
        "  --seed N           the published seed for --tie-break seeded (0 .. 2^64-1)\n"
        "  --utility U        equal shares: cost | approval | points | borda (L-1..0, as pabutools)\n"
        "  --completion C     equal shares, raising the per-voter budget by one currency unit at a time:\n"
        "                       none             plain equal shares, per-voter budget B/n\n"
        "                       add1             pabulib (official), the default of --rule equalshares:\n"
        "                                        from floor(B/n), until the outcome no longer fits;\n"
        "                                        keep the last that fits\n"
        "                       add1-exhaustive  pabutools' voter_budget_increment: from B/n, until the\n"
        "                                        outcome is exhaustive (or no longer fits)\n"
        "                       add1-unfloored   pabutools' exhaustion_by_budget_increase: from B/n,\n"
        "                                        until the outcome no longer fits\n"
        "  --utilitarian-completion   equal shares: then greedy by votes with the money left\n"
        "  --comparison       equal shares: compare with greedy as Wieliczka did\n"
        "  --format F         text (default) | json\n"
        "  --strict           refuse the file at its first problem, even one the city resolved (a\n"
        "                     project repeated in an approval vote, whitespace around a cell)\n"
        "\n"
        "Exit status: 0 counted, 2 bad options, 3 bad input file (the message names the line), 4 internal.\n";

struct options {
        const char *input;
        const char *format;
        struct pb_rule rule;
        bool rule_set; /* --rule given */
        bool strict;   /* --strict: no lenient reading */
        const char *rule_name;
        /* explicit overrides, applied after the file's defaults */
        bool score_set, tie_set, seed_set, threshold_set, utility_set, completion_set, util_set,
                comparison_set;
        enum pb_score score;
        enum pb_tie_break tie;
        uint64_t seed;
        int64_t threshold;
        enum pb_utility utility;
        enum pb_completion completion;
};

static int bad_option(const char *opt, const char *value, const char *why)
{
        fprintf(stderr, "pbvote tally: %s%s%s: %s\n", opt, value ? " " : "", value ? value : "", why);
        fprintf(stderr, "try `pbvote tally --help`\n");
        return PB_EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!*s || *s == '-')
                return -1;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end)
                return -1;
        *ret = v;
        return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
        memset(o, 0, sizeof(*o));
        o->format = "text";
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        fputs(usage_text, stdout);
                        return -1; /* help shown */
                }
                if (a[0] != '-') {
                        if (o->input)
                                return bad_option(a, NULL, "only one input file");
                        o->input = a;
                        continue;
                }
                if (!strcmp(a, "--utilitarian-completion")) {
                        o->util_set = true;
                        continue;
                }
                if (!strcmp(a, "--comparison")) {
                        o->comparison_set = true;
                        continue;
                }
                if (!strcmp(a, "--strict")) {
                        o->strict = true;
                        continue;
                }
                {
                        static const char *const with_value[] = { "--rule",      "--format",    "--score",
                                                                  "--tie-break", "--seed",      "--threshold",
                                                                  "--utility",   "--completion" };
                        bool known = false;
                        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
                                known |= !strcmp(a, with_value[k]);
                        if (!known)
                                return bad_option(a, NULL, "unknown option");
                }
                if (!v)
                        return bad_option(a, NULL, "needs a value");
                if (!strcmp(a, "--rule")) {
                        o->rule_set = true;
                        o->rule_name = v;
                } else if (!strcmp(a, "--format")) {
                        if (strcmp(v, "json") && strcmp(v, "text"))
                                return bad_option(a, v, "expected json or text");
                        o->format = v;
                } else if (!strcmp(a, "--score")) {
                        if (pb_score_parse(v, &o->score) < 0)
                                return bad_option(a, v, "expected auto, votes, points, borda or borda0");
                        o->score_set = true;
                } else if (!strcmp(a, "--tie-break")) {
                        if (pb_tie_break_parse(v, &o->tie) < 0)
                                return bad_option(a, v,
                                                  "expected file-order, lexico, cost-then-votes or seeded");
                        o->tie_set = true;
                } else if (!strcmp(a, "--seed")) {
                        if (parse_u64(v, &o->seed) < 0)
                                return bad_option(a, v, "expected an integer from 0 to 18446744073709551615");
                        o->seed_set = true;
                } else if (!strcmp(a, "--threshold")) {
                        if (pb_int_parse(v, strlen(v), &o->threshold, NULL) < 0)
                                return bad_option(a, v, "expected an integer");
                        o->threshold_set = true;
                } else if (!strcmp(a, "--utility")) {
                        if (pb_utility_parse(v, &o->utility) < 0)
                                return bad_option(a, v, "expected cost, approval, points or borda");
                        o->utility_set = true;
                } else if (!strcmp(a, "--completion")) {
                        if (pb_completion_parse(v, &o->completion) < 0)
                                return bad_option(a, v,
                                                  "expected none, add1, add1-exhaustive or add1-unfloored");
                        o->completion_set = true;
                }
                i++;
        }
        if (!o->input)
                return bad_option("FILE.pb", NULL, "missing input file");
        if (o->seed_set && (!o->tie_set || o->tie != PB_TIE_SEEDED))
                return bad_option("--seed", NULL, "only with --tie-break seeded");
        if (o->tie_set && o->tie == PB_TIE_SEEDED && !o->seed_set)
                return bad_option("--tie-break seeded", NULL, "needs --seed");
        return PB_EXIT_OK;
}

/* The file's rule and defaults, then what the command line says. */
static int build_rule(const struct options *o, const struct pb_election *e, struct pb_rule *ret)
{
        struct pb_rule r;
        struct pb_diag d;
        pb_err err;

        pb_diag_clear(&d);
        if (o->rule_set) {
                pb_rule_init(&r);
                err = pb_rule_set_name(&r, o->rule_name);
                if (err < 0)
                        return bad_option("--rule", o->rule_name, "unknown rule (see pbvote tally --help)");
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
        if (o->score_set)
                r.score = o->score;
        if (o->tie_set)
                r.tie_break = o->tie;
        if (o->seed_set)
                r.seed = o->seed;
        if (o->threshold_set) {
                r.has_threshold = true;
                r.threshold = o->threshold;
        }
        if (o->utility_set)
                r.utility = o->utility;
        if (o->completion_set)
                r.completion = o->completion;
        if (o->util_set)
                r.utilitarian_completion = true;
        if (o->comparison_set)
                r.comparison = true;
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
        struct options o;
        struct pb_election *e = NULL;
        struct pb_result res;
        struct pb_diag d;
        struct pb_rule rule;
        char *data = NULL;
        size_t len = 0;
        int rc;
        pb_err err;

        for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--db"))
                        return cli_tally_box(argc, argv); /* a closed ballot box: the signed result */
        rc = parse_options(argc, argv, &o);
        if (rc != PB_EXIT_OK)
                return rc < 0 ? PB_EXIT_OK : rc;
        pb_result_init(&res);
        pb_diag_clear(&d);
        memset(&tol, 0, sizeof(tol));
        err = pb_file_read(o.input, PB_PB_MAX_BYTES, &data, &len, &d);
        /* by default the file is counted as the city counted it (docs/cli.md); --strict refuses */
        if (err == PB_OK)
                err = o.strict ? pb_format_pb_parse(data, len, &e, NULL, &d)
                               : pb_format_pb_parse_lenient(data, len, &e, &tol, &d);
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
        if (!strcmp(o.format, "json")) {
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
