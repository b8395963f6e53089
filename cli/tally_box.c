/**
 * @file `pbvote tally --db DB --key ENGINE.key --out RESULT [--seed N] [--format json|text]`: the
 * signed result of a closed election.  The signed envelope goes to RESULT; the tally document (as
 * `pbvote tally FILE.pb --format json` prints it), or with --format text the result as a person
 * reads it (result_text.h), goes to stdout.  Without --out: the result the box already holds.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/result_text.h"
#include "pb_config.h"

/* the words of --format, in the order of enum tally_box_format */
static const char *const tally_box_format_words[] = { "json", "text", NULL };
enum tally_box_format { TALLY_BOX_JSON, TALLY_BOX_TEXT };

struct tally_box_opts {
        const char *db, *key, *out, *pass_file, *lang;
        uint64_t seed;
        int format;
};

#define O struct tally_box_opts
static const struct cli_option tally_box_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box of a closed election"),
        CLI_PATH("key", O, key, "ENGINE.key", "the engine key, which signs the result"),
        CLI_PATH("out", O, out, "RESULT",
                 "where the signed result (a DSSE envelope) goes;\nwithout it, the result already stored is "
                 "printed"),
        CLI_U64("seed", O, seed, "N",
                "the seed whose commitment the manifest holds\n(a seeded tie-break needs it)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE",
                 "the engine key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_CHOICE("format", O, format, NULL, tally_box_format_words,
                   "json: the tally document (default); text: as the\nfinance office reads it (pbvote show)"),
        CLI_STRING("lang", O, lang, "TAG", "--format text: the language of the names"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_tally_box = {
        .name = "tally",
        .synopsis = "tally --db DB [--key ENGINE.key --out RESULT [--seed N] [--passphrase-file FILE]] "
                    "[--format json|text] [--lang TAG]",
        .about =
                "Counts a closed election with the rule its manifest names and writes the signed result\n"
                "(a DSSE envelope) to RESULT; prints the tally document on stdout (--format text: as a\n"
                "person reads it).  A seeded tie-break needs --seed, the seed whose commitment the manifest\n"
                "holds.  Tallying again gives the same bytes.  Without --out, prints the result the box\n"
                "already holds (tallied or certified), checked against its manifest; no key needed.\n",
        .options = tally_box_options,
};

/* Print the signed result @data[0..len) of @b in @o's format, checked against @b's manifest. */
static int print_result(const struct tally_box_opts *o, struct pb_box *b, const char *data, size_t len)
{
        const struct pb_manifest *m = pb_box_manifest(b);
        struct cli_result res;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = cli_result_load(data, len, m, &res, &d);
        if (r == PB_OK && o->format == TALLY_BOX_JSON)
                printf("%.*s\n", (int)res.doc.tally_len, res.doc.tally);
        if (r == PB_OK && o->format == TALLY_BOX_TEXT)
                r = cli_result_print(stdout, res.doc.tally, res.doc.tally_len, m, o->lang, &d);
        if (r == PB_OK) {
                char hex[2][65];
                /* what an auditor pins: pbvote verify --expect-result / --expect-manifest */
                sodium_bin2hex(hex[0], sizeof(hex[0]), res.sha256, 32);
                sodium_bin2hex(hex[1], sizeof(hex[1]), res.doc.manifest_sha256, 32);
                fprintf(stderr, "pbvote: result SHA-256 %s, manifest SHA-256 %s\n", hex[0], hex[1]);
        }
        cli_result_release(&res);
        return r < 0 ? cli_fail(o->db, r, &d) : PB_EXIT_OK;
}

/* Count, sign and store; write the envelope to o->out and print it. */
static int tally_and_write(const struct tally_box_opts *o, bool seeded, struct pb_box *b)
{
        struct pb_key_secret *engine = NULL;
        struct pb_buf result;
        struct pb_diag d;
        pb_err r;
        int rc;

        pb_buf_init(&result, 0);
        pb_diag_clear(&d);
        rc = cli_box_engine(b, o->key, o->pass_file, &engine);
        if (rc)
                goto out;
        r = pb_box_tally(b, seeded ? &o->seed : NULL, "pbvote " PBVOTE_VERSION, &result, &d);
        if (r < 0) {
                rc = r == PB_ERR_UNSUPPORTED ? PB_EXIT_USAGE : cli_fail(o->db, r, &d);
                if (r == PB_ERR_UNSUPPORTED)
                        cli_fail(o->db, r, &d);
                goto out;
        }
        r = pb_buf_addc(&result, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(o->out, result.data, result.len, &d);
        if (r < 0) {
                rc = cli_fail(o->out, r, &d);
                goto out;
        }
        rc = print_result(o, b, result.data, result.len - 1);
        fprintf(stderr, "pbvote: wrote %s: the signed result of election %s\n", o->out,
                pb_box_manifest(b)->election->id);
out:
        pb_buf_release(&result);
        cli_key_free(engine);
        return rc;
}

/* No --out: the result the box holds. */
static int print_stored(const struct tally_box_opts *o, struct pb_box *b)
{
        struct pb_buf stored;
        struct pb_diag d;
        pb_err r;
        int rc;

        pb_buf_init(&stored, 0);
        pb_diag_clear(&d);
        r = pb_box_document(b, PB_BOX_DOC_RESULT, &stored, &d);
        if (r == PB_ERR_NOT_FOUND) {
                fprintf(stderr,
                        "pbvote tally: election %s is not tallied yet: give --key ENGINE.key and --out "
                        "RESULT to count it\n",
                        pb_box_manifest(b)->election->id);
                rc = PB_EXIT_USAGE;
        } else if (r < 0) {
                rc = cli_fail(o->db, r, &d);
        } else {
                rc = print_result(o, b, stored.data, stored.len);
        }
        pb_buf_release(&stored);
        return rc;
}

int cli_tally_box(int argc, char **argv)
{
        struct tally_box_opts o = { NULL, NULL, NULL, NULL, NULL, 0, TALLY_BOX_JSON };
        struct cli_args args;
        struct pb_box *b = NULL;
        char langs[256];
        bool seeded;
        int rc;

        rc = cli_parse(&cli_cmd_tally_box, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        seeded = cli_given(&cli_cmd_tally_box, &args, "seed");
        if (!o.out && (o.key || seeded || o.pass_file))
                return cli_missing(&cli_cmd_tally_box, "--out RESULT (where the signed result goes)");
        if (o.lang && o.format != TALLY_BOX_TEXT)
                return cli_usage_error(&cli_cmd_tally_box, "--lang only with --format text");
        rc = cli_box_open(&cli_cmd_tally_box, o.db, &b);
        if (rc)
                return rc;
        if (!cli_result_lang_ok(pb_box_manifest(b), o.lang, langs, sizeof(langs)))
                rc = cli_usage_error(&cli_cmd_tally_box, "--lang %s: the election's texts are in %s", o.lang,
                                     langs);
        else
                rc = o.out ? tally_and_write(&o, seeded, b) : print_stored(&o, b);
        if (rc == 0 && fflush(stdout) != 0) {
                fprintf(stderr, "pbvote tally: cannot write to standard output\n");
                rc = PB_EXIT_SOFTWARE;
        }
        pb_box_free(b);
        return rc;
}
