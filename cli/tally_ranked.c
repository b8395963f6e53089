/** @file `pbvote tally` for ranked contests: .blt files and RCTab contest configs. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_blt.h"
#include "formats/pb_format_rctab.h"
#include "cli/cli.h"
#include "engine/pb_alloc.h"
#include "engine/pb_buf.h"
#include "engine/pb_ranked.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_RCTAB };
enum rule { RULE_DEFAULT, RULE_RCTAB, RULE_IRV, RULE_STV, RULE_SCOTTISH, RULE_MEEK };

struct opts {
        const char *input;
        enum fmt fmt;
        enum rule rule;
        const char *tiebreak;      /* --tiebreak for irv/stv on .blt */
        const char *seed;          /* --seed */
        const char *scale;         /* --decimals for irv/stv on .blt */
        enum pb_meek_variant meek; /* --meek-variant */
        const char *slices;        /* --slices DIR: RCTab's precinct / batch reports */
        const char **answers;      /* --tie-answer NAME, in order */
        size_t n_answers, next_answer;
        const struct pb_ranked_contest *contest; /* for the ask callback */
};

static void usage(FILE *f)
{
        fputs("usage: pbvote tally FILE.blt|CONFIG.json [options]\n"
              "\n"
              "Count a ranked contest: a .blt ballot file or an RCTab contest config (the CVR\n"
              "files it names are read; an ES&S X.xlsx source is read from X.xlsx.csv).\n"
              "\n"
              "options:\n"
              "  --format text|json|rctab  text: a round-by-round table (default); json: the\n"
              "                            pbvote result document; rctab: RCTab's detailed\n"
              "                            report JSON (an array of reports for multi-pass IRV)\n"
              "  --rule RULE               rctab: the config's RCTab rules (default for .json)\n"
              "                            irv: RCTab single-winner IRV (default for 1-seat .blt)\n"
              "                            stv: RCTab multi-winner STV (fractional transfers)\n"
              "                            scottish-stv: Scottish STV, SSI 2007/42 (default for\n"
              "                            .blt with several seats)\n"
              "                            meek-stv: Meek STV, PR Foundation reference rule\n"
              "  --tiebreak MODE           irv/stv on .blt: useCandidateOrder (default: the\n"
              "                            file's [tie] order, whose first candidate loses a\n"
              "                            tie, else file order), random,\n"
              "                            previousRoundCountsThenRandom, generatePermutation\n"
              "  --seed N                  random seed for the random tie-break modes\n"
              "                            (java.util.Random, as RCTab); overrides the config's\n"
              "  --decimals N              irv/stv on .blt: decimal places (default 4)\n"
              "  --meek-variant prf|fixed9 meek-stv rounding: prf (default) is the PR Foundation\n"
              "                            reference rule (Droop meek-prf); fixed9 is Droop's\n"
              "                            parametric Meek at 9 digits, as stv-rs fixed9\n"
              "  --tie-answer NAME         the operator's choice for the next tie in\n"
              "                            stopCountingAndAsk / previousRoundCountsThenAsk modes\n"
              "                            (repeat for several ties)\n"
              "  --slices DIR              RCTab configs with tabulateByPrecinct or\n"
              "                            tabulateByBatch: also write one RCTab detailed report\n"
              "                            per precinct / batch, named as RCTab names them:\n"
              "                            DIR/Tabulate by Precinct/<id>_precinct_detailed_report.json\n"
              "                            DIR/Tabulate by Batch/<id>_batch_detailed_report.json\n"
              "                            (<id>: the id with characters other than A-Z a-z 0-9\n"
              "                            _ - . replaced by _); DIR is made if missing\n"
              "\n"
              "Rules, options and formats: docs/ranked.md.\n",
              f);
}

static pb_err ask(void *ctx, unsigned round, bool for_winner, const uint32_t *tied, size_t n, uint32_t *ret)
{
        struct opts *o = ctx;
        const char *name;
        size_t i;

        if (o->next_answer >= o->n_answers) {
                fprintf(stderr, "pbvote: round %u: a tie to pick the %s among:", round,
                        for_winner ? "winner" : "candidate to eliminate");
                for (i = 0; i < n; i++)
                        fprintf(stderr, " \"%s\"", o->contest->cand[tied[i]].name);
                fprintf(stderr, "\npbvote: the rules ask the operator; give --tie-answer NAME\n");
                return PB_ERR_INVALID;
        }
        name = o->answers[o->next_answer++];
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

static int parse_args(int argc, char **argv, struct opts *o)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        usage(stdout);
                        return 1;
                }
                if (a[0] != '-') {
                        if (o->input) {
                                fprintf(stderr, "pbvote: tally takes one input file\n");
                                return -1;
                        }
                        o->input = a;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "pbvote: %s needs a value\n", a);
                        return -1;
                }
                i++;
                if (!strcmp(a, "--format")) {
                        if (!strcmp(v, "text"))
                                o->fmt = FMT_TEXT;
                        else if (!strcmp(v, "json"))
                                o->fmt = FMT_JSON;
                        else if (!strcmp(v, "rctab"))
                                o->fmt = FMT_RCTAB;
                        else {
                                fprintf(stderr, "pbvote: unknown --format '%s'\n", v);
                                return -1;
                        }
                } else if (!strcmp(a, "--rule")) {
                        if (!strcmp(v, "rctab"))
                                o->rule = RULE_RCTAB;
                        else if (!strcmp(v, "irv"))
                                o->rule = RULE_IRV;
                        else if (!strcmp(v, "stv"))
                                o->rule = RULE_STV;
                        else if (!strcmp(v, "scottish-stv"))
                                o->rule = RULE_SCOTTISH;
                        else if (!strcmp(v, "meek-stv"))
                                o->rule = RULE_MEEK;
                        else {
                                fprintf(stderr, "pbvote: unknown --rule '%s'\n", v);
                                return -1;
                        }
                } else if (!strcmp(a, "--tiebreak")) {
                        o->tiebreak = v;
                } else if (!strcmp(a, "--seed")) {
                        o->seed = v;
                } else if (!strcmp(a, "--decimals")) {
                        o->scale = v;
                } else if (!strcmp(a, "--meek-variant")) {
                        if (!strcmp(v, "prf"))
                                o->meek = PB_MEEK_PRF;
                        else if (!strcmp(v, "fixed9"))
                                o->meek = PB_MEEK_FIXED9;
                        else {
                                fprintf(stderr, "pbvote: unknown --meek-variant '%s'\n", v);
                                return -1;
                        }
                } else if (!strcmp(a, "--slices")) {
                        o->slices = v;
                } else if (!strcmp(a, "--tie-answer")) {
                        const char **na = realloc(o->answers, (o->n_answers + 1) * sizeof(*na));
                        if (!na)
                                return -1;
                        o->answers = na;
                        o->answers[o->n_answers++] = v;
                } else {
                        fprintf(stderr, "pbvote: unknown option '%s' (see pbvote tally --help)\n", a);
                        return -1;
                }
        }
        if (!o->input) {
                usage(stderr);
                return -1;
        }
        return 0;
}

static bool parse_num(const char *s, long lo, long hi, long *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
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

static bool tiebreak_mode(const char *s, enum pb_rctab_tiebreak *ret)
{
        static const struct {
                const char *name;
                enum pb_rctab_tiebreak mode;
        } m[] = {
                { "useCandidateOrder", PB_RCTAB_TIE_CANDIDATE_ORDER },
                { "random", PB_RCTAB_TIE_RANDOM },
                { "previousRoundCountsThenRandom", PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM },
                { "previousRoundCountsThenAsk", PB_RCTAB_TIE_PREVIOUS_THEN_ASK },
                { "stopCountingAndAsk", PB_RCTAB_TIE_ASK },
                { "generatePermutation", PB_RCTAB_TIE_PERMUTATION },
        };
        size_t i;

        for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                if (!strcmp(s, m[i].name)) {
                        *ret = m[i].mode;
                        return true;
                }
        return false;
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
        long seed;
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
        if (op->rule != RULE_DEFAULT && op->rule != RULE_RCTAB) {
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
        if (op->seed) {
                if (!parse_num(op->seed, -140737488355328L, 140737488355327L, &seed)) {
                        fprintf(stderr, "pbvote: bad --seed\n");
                        ex = PB_EXIT_USAGE;
                        goto out;
                }
                cfg.rules.seed = seed;
        }
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

static int tally_blt(struct opts *op)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_rctab_meta meta;
        struct pb_diag d;
        char *data = NULL;
        uint32_t *order = NULL;
        size_t len;
        long v;
        int ex;
        pb_err r;

        pb_blt_init(&b);
        pb_ranked_outcome_init(&o);
        pb_diag_clear(&d);
        r = pb_file_read(op->input, PB_BLT_MAX_FILE, &data, &len, &d);
        if (r >= 0)
                r = pb_blt_parse(data, len, &b, &d);
        if (r < 0) {
                cli_report(op->input, &d);
                ex = cli_exit_for(r);
                goto out;
        }
        if (op->rule == RULE_DEFAULT)
                op->rule = b.contest.seats > 1 ? RULE_SCOTTISH : RULE_IRV;
        op->contest = &b.contest;
        switch (op->rule) {
        case RULE_SCOTTISH: r = pb_scottish_run(&b.contest, b.tie_order, &o, &d); break;
        case RULE_MEEK: r = pb_meek_run(&b.contest, b.tie_order, op->meek, &o, &d); break;
        case RULE_IRV:
        case RULE_STV:
                pb_rctab_rules_init(&ru);
                ru.mode = op->rule == RULE_IRV ? PB_RCTAB_SINGLE : PB_RCTAB_MULTI;
                ru.seats = op->rule == RULE_IRV ? 1 : b.contest.seats;
                ru.overvote = PB_RCTAB_ALWAYS_SKIP; /* an equal ranking is skipped over */
                ru.max_skipped = -1;
                if (b.tie_order) {
                        /* Droop picks the first of a [tie] list to lose; RCTab's candidate order
                         * favours the earliest, so the list is used reversed */
                        size_t i, n = b.contest.n_cand;
                        order = pb_calloc(n, sizeof(*order));
                        if (!order) {
                                ex = PB_EXIT_SOFTWARE;
                                goto out;
                        }
                        for (i = 0; i < n; i++)
                                order[i] = b.tie_order[n - 1 - i];
                        ru.order = order;
                }
                ru.ask = ask;
                ru.ask_ctx = op;
                if (op->tiebreak && !tiebreak_mode(op->tiebreak, &ru.tiebreak)) {
                        fprintf(stderr, "pbvote: unknown --tiebreak '%s'\n", op->tiebreak);
                        ex = PB_EXIT_USAGE;
                        goto out;
                }
                if (op->seed) {
                        if (!parse_num(op->seed, -140737488355328L, 140737488355327L, &v)) {
                                fprintf(stderr, "pbvote: bad --seed\n");
                                ex = PB_EXIT_USAGE;
                                goto out;
                        }
                        ru.seed = v;
                }
                if (op->scale) {
                        if (!parse_num(op->scale, 1, PB_RANKED_MAX_SCALE, &v)) {
                                fprintf(stderr, "pbvote: --decimals must be 1 to %u\n", PB_RANKED_MAX_SCALE);
                                ex = PB_EXIT_USAGE;
                                goto out;
                        }
                        ru.scale = (unsigned)v;
                }
                r = pb_rctab_run(&b.contest, &ru, &o, &d);
                break;
        default:
                fprintf(stderr, "pbvote: --rule rctab needs an RCTab config\n");
                ex = PB_EXIT_USAGE;
                goto out;
        }
        if (r < 0) {
                cli_report(op->input, &d);
                ex = cli_exit_for(r);
                goto out;
        }
        memset(&meta, 0, sizeof(meta));
        meta.contest = b.contest.title;
        meta.date = NULL;
        meta.jurisdiction = NULL;
        meta.office = NULL;
        ex = emit(&b.contest, &o, op, &meta, false, rule_name(op->rule));
out:
        pb_free(order);
        pb_free(data);
        pb_ranked_outcome_release(&o);
        pb_blt_release(&b);
        return ex;
}

int cli_tally_ranked(int argc, char **argv)
{
        struct opts op;
        int ex;

        memset(&op, 0, sizeof(op));
        ex = parse_args(argc, argv, &op);
        if (ex) {
                free(op.answers);
                return ex > 0 ? PB_EXIT_OK : PB_EXIT_USAGE;
        }
        if (has_suffix(op.input, ".blt") && op.slices) {
                fprintf(stderr, "pbvote: --slices needs an RCTab config (tabulate by precinct / batch)\n");
                ex = PB_EXIT_USAGE;
        } else if (has_suffix(op.input, ".blt"))
                ex = tally_blt(&op);
        else
                ex = tally_rctab(&op);
        free(op.answers);
        return ex;
}
