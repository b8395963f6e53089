/**
 * @file `pbvote show RESULT [--db DB] [--lang L] [--format text|json]`: a signed result as a
 * person reads it (issue 13), checked against its ballot box when one is given.
 */
#include <stdio.h>
#include <string.h>

#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/result_text.h"
#include "engine/pb_alloc.h"

/* the words of --format, in the order of enum show_format */
static const char *const show_format_words[] = { "text", "json", NULL };
enum show_format { SHOW_TEXT, SHOW_JSON };

struct show_opts {
        const char *db, *lang;
        int format;
};

#define O struct show_opts
static const struct cli_option show_options[] = {
        CLI_PATH("db", O, db, "DB",
                 "the ballot box of the election: check the result's\nsignature and manifest against it, "
                 "and read the\nnames in the election's languages"),
        CLI_STRING("lang", O, lang, "TAG",
                   "the language of the names (needs --db; default:\nthe display text)"),
        CLI_CHOICE("format", O, format, NULL, show_format_words,
                   "text: as a person reads it (default); json: the\ntally document, as pbvote tally --db "
                   "prints it"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_show = {
        .name = "show",
        .synopsis = "show RESULT [--db DB] [--lang TAG] [--format text|json]",
        .about =
                "Prints the signed result RESULT (the file pbvote tally --db --out writes, or the result of\n"
                "GET /v1/elections/{id}/result, however it was re-serialised) as the finance office reads "
                "it:\n"
                "amounts in the currency with its decimals, the rule in plain words, the funded projects in\n"
                "the order chosen, why the others were not, and the ties.  With --db the result's "
                "signature,\n"
                "election and manifest are checked against the ballot box first.\n",
        .options = show_options,
        .operands = "RESULT",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Exit status: 0 printed, 1 the result does not check against --db, 2 bad options, 3\n"
                 "unreadable or malformed RESULT, 4 internal.\n",
};

/* The status for a failed check of @path against the box: 1 (the answer is "no") or as usual. */
static int check_failed(const char *path, pb_err r, const struct pb_diag *d)
{
        int rc = cli_fail(path, r, d);

        return r == PB_ERR_SIGNATURE || r == PB_ERR_INVALID ? PB_EXIT_FAIL : rc;
}

int cmd_show(int argc, char **argv)
{
        struct show_opts o = { NULL, NULL, SHOW_TEXT };
        struct cli_args args;
        const struct pb_manifest *m = NULL;
        struct cli_result res;
        struct pb_box *b = NULL;
        struct pb_diag d;
        char *data = NULL, langs[256];
        size_t len = 0;
        int rc = cli_parse(&cli_cmd_show, argc, argv, &o, &args);
        pb_err r;

        if (rc != CLI_PARSED)
                return rc;
        if (o.lang && !o.db)
                return cli_usage_error(&cli_cmd_show,
                                       "--lang needs --db (the names in other languages are in "
                                       "the manifest)");
        rc = PB_EXIT_OK;
        memset(&res, 0, sizeof(res));
        pb_diag_clear(&d);
        if (o.db) {
                rc = cli_box_open(&cli_cmd_show, o.db, &b);
                if (rc)
                        return rc;
                m = pb_box_manifest(b);
                if (!cli_result_lang_ok(m, o.lang, langs, sizeof(langs))) {
                        rc = cli_usage_error(&cli_cmd_show, "--lang %s: the election's texts are in %s",
                                             o.lang, langs);
                        goto out;
                }
        }
        r = pb_file_read(args.operands[0], PB_ENVELOPE_MAX_BYTES, &data, &len, &d);
        if (r == PB_OK)
                r = cli_result_load(data, len, m, &res, &d);
        if (r < 0) {
                rc = check_failed(args.operands[0], r, &d);
                goto out;
        }
        if (o.format == SHOW_JSON) {
                printf("%.*s\n", (int)res.doc.tally_len, res.doc.tally);
        } else {
                printf("Signed result of election %s (%s): %s\n", res.doc.election, res.doc.engine,
                       res.checked ? "signature, election and manifest checked against the ballot box"
                                   : "NOT checked (give --db DB, or verify the audit bundle)");
                r = cli_result_print(stdout, res.doc.tally, res.doc.tally_len, m, o.lang, &d);
                if (r < 0)
                        rc = cli_fail(args.operands[0], r, &d);
        }
        if (rc == 0 && fflush(stdout) != 0) {
                fprintf(stderr, "pbvote show: cannot write to standard output\n");
                rc = PB_EXIT_SOFTWARE;
        }
out:
        cli_result_release(&res);
        pb_free(data);
        pb_box_free(b);
        return rc;
}
