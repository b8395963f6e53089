/** @file `pbvote tally` for ranked contests: .blt files and RCTab contest configs. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_blt.h"
#include "formats/pb_format_rctab.h"
#include "cli/cli.h"
#include "engine/pb_alloc.h"
#include "engine/pb_buf.h"
#include "engine/pb_ranked.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_RCTAB };                             /* the indexes of format_words */
enum rule { RULE_RCTAB, RULE_IRV, RULE_STV, RULE_SCOTTISH, RULE_MEEK }; /* the indexes of rule_words */

static const char *const format_words[] = { "text", "json", "rctab", NULL };
static const char *const rule_words[] = { "rctab", "irv", "stv", "scottish-stv", "meek-stv", NULL };
static const char *const tiebreak_words[] = { "useCandidateOrder",
                                              "random",
                                              "previousRoundCountsThenRandom",
                                              "previousRoundCountsThenAsk",
                                              "stopCountingAndAsk",
                                              "generatePermutation",
                                              NULL };
static const enum pb_rctab_tiebreak tiebreak_modes[] = {
        PB_RCTAB_TIE_CANDIDATE_ORDER,   PB_RCTAB_TIE_RANDOM, PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM,
        PB_RCTAB_TIE_PREVIOUS_THEN_ASK, PB_RCTAB_TIE_ASK,    PB_RCTAB_TIE_PERMUTATION,
};
static const char *const meek_words[] = { "prf", "fixed9", NULL };
static const enum pb_meek_variant meek_variants[] = { PB_MEEK_PRF, PB_MEEK_FIXED9 };

struct opts {
        const char *input;
        int fmt;       /* enum fmt */
        int rule;      /* enum rule, -1: the input's default */
        int tiebreak;  /* --tiebreak for irv/stv on .blt: tiebreak_modes[], -1: the default */
        int meek;      /* --meek-variant: meek_variants[] */
        int64_t seed;  /* --seed */
        int64_t scale; /* --decimals for irv/stv on .blt */
        bool seed_set, scale_set;
        const char *slices;      /* --slices DIR: RCTab's precinct / batch reports */
        struct cli_list answers; /* --tie-answer NAME, in order */
        size_t next_answer;
        const struct pb_ranked_contest *contest; /* for the ask callback */
};

#define O struct opts
static const struct cli_option tally_ranked_options[] = {
        CLI_CHOICE(
                "format", O, fmt, NULL, format_words,
                "text: a round-by-round table (default); json: the\npbvote result document; rctab: RCTab's "
                "detailed\nreport JSON (an array of reports for multi-pass IRV)"),
        CLI_CHOICE("rule", O, rule, NULL, rule_words,
                   "rctab: the config's RCTab rules (default for .json)\nirv: RCTab single-winner IRV "
                   "(default for a\n1-seat .blt)\nstv: RCTab multi-winner STV (fractional transfers)\n"
                   "scottish-stv: Scottish STV, SSI 2007/42 (default\nfor a .blt with several seats)\n"
                   "meek-stv: Meek STV, PR Foundation reference rule"),
        CLI_CHOICE("tiebreak", O, tiebreak, "MODE", tiebreak_words,
                   "irv/stv on .blt: RCTab's tie-break mode (default:\nthe file's [tie] order, whose first "
                   "candidate\nloses a tie, else file order)"),
        CLI_INT("seed", O, seed, "N", -140737488355328, 140737488355327,
                "random seed for the random tie-break modes\n(java.util.Random, as RCTab); overrides the "
                "config's"),
        CLI_INT("decimals", O, scale, "N", 1, PB_RANKED_MAX_SCALE,
                "irv/stv on .blt: decimal places (default 4)"),
        CLI_CHOICE("meek-variant", O, meek, NULL, meek_words,
                   "meek-stv rounding: prf (default) is the PR\nFoundation reference rule (Droop meek-prf); "
                   "fixed9\nis Droop's parametric Meek at 9 digits, as\nstv-rs fixed9"),
        CLI_LIST(
                "tie-answer", O, answers, "NAME",
                "the operator's choice for the next tie in\nstopCountingAndAsk / previousRoundCountsThenAsk\n"
                "modes (repeat for several ties)"),
        CLI_PATH("slices", O, slices, "DIR",
                 "RCTab configs with tabulateByPrecinct or\ntabulateByBatch: also write one RCTab detailed\n"
                 "report per precinct / batch, named as RCTab does:\nDIR/Tabulate by Precinct/<id>_precinct_"
                 "detailed_report.json\nDIR/Tabulate by Batch/<id>_batch_detailed_report.json\n(<id>: the id "
                 "with characters other than A-Z a-z\n0-9 _ - . replaced by _); DIR is made if missing"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_tally_ranked = {
        .name = "tally",
        .synopsis = "tally FILE.blt|CONFIG.json [options]",
        .about = "Counts a ranked contest: a .blt ballot file or an RCTab contest config (the CVR files it\n"
                 "names are read; an ES&S X.xlsx source is read from X.xlsx.csv).\n",
        .options = tally_ranked_options,
        .operands = "input file (FILE.blt or CONFIG.json)",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Rules, options and formats: docs/ranked.md.\n",
};

static pb_err ask(void *ctx, unsigned round, bool for_winner, const uint32_t *tied, size_t n, uint32_t *ret)
{
        struct opts *o = ctx;
        const char *name;
        size_t i;

        if (o->next_answer >= o->answers.n) {
                fprintf(stderr, "pbvote: round %u: a tie to pick the %s among:", round,
                        for_winner ? "winner" : "candidate to eliminate");
                for (i = 0; i < n; i++)
                        fprintf(stderr, " \"%s\"", o->contest->cand[tied[i]].name);
                fprintf(stderr, "\npbvote: the rules ask the operator; give --tie-answer NAME\n");
                return PB_ERR_INVALID;
        }
        name = o->answers.v[o->next_answer++];
        for (i = 0; i < n; i++)
                if (!strcmp(o->contest->cand[tied[i]].name, name)) {
                        *ret = tied[i];
                        return PB_OK;
                }
        fprintf(stderr, "pbvote: --tie-answer \"%s\" is not one of the tied candidates\n", name);
        return PB_ERR_INVALID;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
}

static const char *rule_name(enum rule r)
{
        switch (r) {
        case RULE_IRV: return "irv";
        case RULE_STV: return "stv";
        case RULE_SCOTTISH: return "scottish-stv";
        case RULE_MEEK: return "meek-stv";
        default: return "rctab";
        }
}

static const char *const inactive_names[] = { "overvotes",         "skipped rankings",    "exhausted",
                                              "repeated rankings", "final-round surplus", "no rankings" };

static void print_text(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o, const char *rule)
{
        char v[PB_RANKED_VALUE_STR_MAX];
        size_t p, r, i, k;

        printf("%s: %s, %u seat(s), %zu candidates\n", c->title && c->title[0] ? c->title : "contest", rule,
               o->n_passes ? (unsigned)(o->n_passes > 1 ? o->n_passes : o->passes[0].seats) : 0, c->n_cand);
        for (p = 0; p < o->n_passes; p++) {
                const struct pb_ranked_result *res = &o->passes[p];
                if (o->n_passes > 1)
                        printf("\n== pass %zu ==\n", p + 1);
                for (r = 0; r < res->n_rounds; r++) {
                        const struct pb_ranked_round *rd = &res->rounds[r];
                        printf("\nround %zu  threshold %s\n", r + 1,
                               pb_ranked_format_value(rd->threshold, res->scale, v));
                        for (i = 0; i < c->n_cand; i++)
                                if (rd->present[i])
                                        printf("  %-40s %14s\n", c->cand[i].name,
                                               pb_ranked_format_value(rd->tally[i], res->scale, v));
                        for (k = 0; k < PB_RANKED_INACTIVE_COUNT; k++)
                                if (rd->inactive[k])
                                        printf("  (inactive: %s) %*s\n", inactive_names[k],
                                               (int)(40 - 14 - strlen(inactive_names[k]) + 14),
                                               pb_ranked_format_value(rd->inactive[k], res->scale, v));
                        for (k = 0; k < rd->n_dec; k++)
                                printf("  -> %s %s\n",
                                       rd->dec[k].surplus_only ? "surplus of"
                                       : rd->dec[k].elected    ? "elected"
                                                               : "eliminated",
                                       c->cand[rd->dec[k].cand].name);
                }
                for (k = 0; k < res->n_ties; k++)
                        printf("tie in round %u broken by %s: %s\n", res->ties[k].round, res->ties[k].method,
                               c->cand[res->ties[k].chosen].name);
        }
        printf("\nwinners:");
        for (i = 0; i < o->n_winners; i++)
                printf("%s %s", i ? "," : "", c->cand[o->winners[i]].name);
        printf("\n");
}

static int emit(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o, const struct opts *op,
                const struct pb_rctab_meta *meta, bool multi_pass, const char *rule)
{
        struct pb_buf out;
        pb_err r = PB_OK;

        if (op->fmt == FMT_TEXT) {
                print_text(c, o, rule);
                return PB_EXIT_OK;
        }
        pb_buf_init(&out, 0);
        if (op->fmt == FMT_JSON) {
                r = pb_ranked_result_json(c, o, rule, &out);
                if (r >= 0)
                        r = pb_buf_addc(&out, '\n');
        } else {
                r = pb_rctab_report_write(c, o, meta, multi_pass, &out);
        }
        if (r >= 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
                r = PB_ERR_IO;
        pb_buf_release(&out);
        if (r < 0) {
                fprintf(stderr, "pbvote: cannot write the result: %s\n", pb_err_message(r));
                return cli_exit_for(r);
        }
        return PB_EXIT_OK;
}

/* --slices DIR: every precinct / batch report, as RCTab writes them. */
static int write_slices(const char *dir, const struct pb_rctab_config *cfg, const struct pb_ranked_outcome *o,
                        const struct pb_rctab_meta *meta)
{
        struct pb_buf errpath;
        struct pb_diag d;
        size_t n = 0;
        int ex = PB_EXIT_OK;
        pb_err r;

        pb_buf_init(&errpath, 0);
        pb_diag_clear(&d);
        r = pb_rctab_slices_write(dir, &cfg->contest, o, meta, cfg->rules.mode == PB_RCTAB_MULTI_PASS, &n,
                                  &errpath, &d);
        if (r == PB_ERR_IO) {
                fprintf(stderr, "pbvote: %s: %s\n", errpath.data ? errpath.data : dir,
                        d.reason ? d.reason : pb_err_message(r));
                ex = cli_exit_for(r);
        } else if (r < 0) {
                fprintf(stderr, "pbvote: cannot write the slice reports: %s\n", pb_err_message(r));
                ex = cli_exit_for(r);
        } else {
                fprintf(stderr, "pbvote: %zu slice report(s) written under %s\n", n, dir);
        }
        pb_buf_release(&errpath);
        return ex;
}

static int tally_rctab(struct opts *op)
{
        struct pb_rctab_config cfg;
        struct pb_ranked_outcome o;
        struct pb_diag d;
        struct pb_rctab_meta meta;
        const char *file = NULL;
        int ex;
        pb_err r;

        pb_rctab_config_init(&cfg);
        pb_ranked_outcome_init(&o);
        pb_diag_clear(&d);
        r = pb_rctab_load(op->input, &cfg, &d, &file);
        if (r < 0) {
                cli_report(file ? file : op->input, &d);
                ex = cli_exit_for(r);
                goto out;
        }
        if (op->rule >= 0 && op->rule != RULE_RCTAB) {
                fprintf(stderr, "pbvote: an RCTab config is counted with its own rules (--rule rctab)\n");
                ex = PB_EXIT_USAGE;
                goto out;
        }
        if (op->slices && !cfg.tabulate_by[PB_RANKED_PRECINCT] && !cfg.tabulate_by[PB_RANKED_BATCH]) {
                fprintf(stderr,
                        "pbvote: --slices: %s sets neither outputSettings.tabulateByPrecinct nor "
                        "tabulateByBatch\n",
                        op->input);
                ex = PB_EXIT_USAGE;
                goto out;
        }
        if (op->seed_set)
                cfg.rules.seed = op->seed;
        cfg.rules.ask = ask;
        cfg.rules.ask_ctx = op;
        op->contest = &cfg.contest;
        r = pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d);
        if (r < 0) {
                cli_report(op->input, &d);
                ex = cli_exit_for(r);
                goto out;
        }
        pb_rctab_meta_init(&meta, &cfg);
        if (!cfg.contest.title) {
                cfg.contest.title = pb_strndup(cfg.contest_name, strlen(cfg.contest_name));
        }
        ex = emit(&cfg.contest, &o, op, &meta, cfg.rules.mode == PB_RCTAB_MULTI_PASS, "rctab");
        if (ex == PB_EXIT_OK && op->slices)
                ex = write_slices(op->slices, &cfg, &o, &meta);
out:
        pb_ranked_outcome_release(&o);
        pb_rctab_config_release(&cfg);
        return ex;
}

/* RCTab's rules for irv or stv on a .blt file; @ret_order (owned) is its [tie] order, reversed. */
static int blt_rules(struct opts *op, const struct pb_blt *b, struct pb_rctab_rules *ru, uint32_t **ret_order)
{
        pb_rctab_rules_init(ru);
        ru->mode = op->rule == RULE_IRV ? PB_RCTAB_SINGLE : PB_RCTAB_MULTI;
        ru->seats = op->rule == RULE_IRV ? 1 : b->contest.seats;
        ru->overvote = PB_RCTAB_ALWAYS_SKIP; /* an equal ranking is skipped over */
        ru->max_skipped = -1;
        if (b->tie_order) {
                /* Droop picks the first of a [tie] list to lose; RCTab's candidate order
                 * favours the earliest, so the list is used reversed */
                size_t i, n = b->contest.n_cand;
                uint32_t *order = pb_calloc(n, sizeof(*order));
                if (!order)
                        return PB_EXIT_SOFTWARE;
                for (i = 0; i < n; i++)
                        order[i] = b->tie_order[n - 1 - i];
                ru->order = order;
                *ret_order = order;
        }
        ru->ask = ask;
        ru->ask_ctx = op;
        if (op->tiebreak >= 0)
                ru->tiebreak = tiebreak_modes[op->tiebreak];
        if (op->seed_set)
                ru->seed = op->seed;
        if (op->scale_set)
                ru->scale = (unsigned)op->scale;
        return PB_EXIT_OK;
}

/* Count @b by op->rule. */
static pb_err blt_run(struct opts *op, const struct pb_blt *b, struct pb_ranked_outcome *o,
                      uint32_t **ret_order, struct pb_diag *d)
{
        struct pb_rctab_rules ru;

        switch (op->rule) {
        case RULE_SCOTTISH: return pb_scottish_run(&b->contest, b->tie_order, o, d);
        case RULE_MEEK: return pb_meek_run(&b->contest, b->tie_order, meek_variants[op->meek], o, d);
        case RULE_IRV:
        case RULE_STV:
                if (blt_rules(op, b, &ru, ret_order))
                        return pb_diag_set(d, PB_ERR_NOMEM, NULL, "out of memory");
                return pb_rctab_run(&b->contest, &ru, o, d);
        default: return pb_diag_set(d, PB_ERR_INVALID, "--rule", "rctab needs an RCTab config");
        }
}

static int tally_blt(struct opts *op)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_rctab_meta meta;
        struct pb_diag d;
        char *data = NULL;
        uint32_t *order = NULL;
        size_t len;
        int ex;
        pb_err r;

        pb_blt_init(&b);
        pb_ranked_outcome_init(&o);
        pb_diag_clear(&d);
        r = pb_file_read(op->input, PB_BLT_MAX_FILE, &data, &len, &d);
        if (r >= 0)
                r = pb_blt_parse(data, len, &b, &d);
        if (r >= 0) {
                if (op->rule < 0)
                        op->rule = b.contest.seats > 1 ? RULE_SCOTTISH : RULE_IRV;
                op->contest = &b.contest;
                r = blt_run(op, &b, &o, &order, &d);
        }
        if (r < 0) {
                cli_report(op->input, &d);
                ex = op->rule == RULE_RCTAB ? PB_EXIT_USAGE : cli_exit_for(r);
                goto out;
        }
        memset(&meta, 0, sizeof(meta));
        meta.contest = b.contest.title;
        ex = emit(&b.contest, &o, op, &meta, false, rule_name((enum rule)op->rule));
out:
        pb_free(order);
        pb_free(data);
        pb_ranked_outcome_release(&o);
        pb_blt_release(&b);
        return ex;
}

int cli_tally_ranked(int argc, char **argv)
{
        struct cli_args args;
        struct opts op;
        int ex;

        memset(&op, 0, sizeof(op));
        op.rule = op.tiebreak = -1;
        ex = cli_parse(&cli_cmd_tally_ranked, argc, argv, &op, &args);
        if (ex != CLI_PARSED) {
                cli_list_release(&op.answers);
                return ex;
        }
        op.input = args.operands[0];
        op.seed_set = cli_given(&cli_cmd_tally_ranked, &args, "seed");
        op.scale_set = cli_given(&cli_cmd_tally_ranked, &args, "decimals");
        if (has_suffix(op.input, ".blt") && op.slices)
                ex = cli_usage_error(&cli_cmd_tally_ranked,
                                     "--slices needs an RCTab config (tabulate by precinct / batch)");
        else if (has_suffix(op.input, ".blt"))
                ex = tally_blt(&op);
        else
                ex = tally_rctab(&op);
        cli_list_release(&op.answers);
        return ex;
}
