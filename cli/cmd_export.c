/** @file `pbvote export --db DB --out DIR`: the audit bundle of a tallied election; with --pb DIR,
 *  its ballots as pabulib files, one per contest (export_pb.c). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/export_int.h"
#include "formats/pb_envelope.h"

struct export_opts {
        const char *db, *out, *pb, *country, *unit, *instance;
};

#define O struct export_opts
static const struct cli_option export_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box of a tallied election"),
        CLI_PATH("out", O, out, "DIR", "the new folder to write the bundle into"),
        CLI_PATH("pb", O, pb, "DIR",
                 "instead: the new folder to write the ballots into as\npabulib files, one per contest"),
        CLI_STRING("country", O, country, "TEXT", "with --pb: META country (default \"unknown\")"),
        CLI_STRING("unit", O, unit, "TEXT", "with --pb: META unit, the city (default: the vote's\ntitle)"),
        CLI_STRING("instance", O, instance, "TEXT",
                   "with --pb: META instance, the year or edition\n(default: the year the vote ended)"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_export = {
        .name = "export",
        .synopsis = "export --db DB --out DIR\n"
                    "export --db DB --pb DIR [--country TEXT] [--unit TEXT] [--instance TEXT]",
        .about = "Writes the audit bundle of a tallied (or certified) election into the new folder DIR: the\n"
                 "signed manifest, keys.txt, every checkpoint, every CVR with its nonce, the close "
                 "statement,\n"
                 "the signed result and the certification (docs/auditor.md).  Check it with pbvote verify "
                 "DIR.\n"
                 "With --pb, writes the ballots instead as pabulib files into the new folder DIR, one per\n"
                 "contest (DIR/<contest id>.pb), with each project's votes, score and selected from the\n"
                 "count: `pbvote check` recounts each file to the signed result's winners.  A voter's "
                 "ballots\n"
                 "for several contests share a voter id, numbered in an order unrelated to the ballot log.\n",
        .options = export_options,
};

/* The SHA-256 of the payloads an auditor pins (pbvote verify --expect-manifest, --expect-result). */
static void print_pins(struct pb_box *b)
{
        static const enum pb_box_doc docs[2] = { PB_BOX_DOC_MANIFEST, PB_BOX_DOC_RESULT };
        char hex[2][65] = { "?", "?" };

        for (int i = 0; i < 2; i++) {
                struct pb_seal_envelope env;
                struct pb_buf text;
                uint8_t h[32];

                pb_buf_init(&text, 0);
                pb_seal_envelope_init(&env);
                if (pb_box_document(b, docs[i], &text, NULL) == PB_OK &&
                    pb_envelope_parse(text.data, text.len, 0, &env, NULL) == PB_OK) {
                        crypto_hash_sha256(h, env.payload, env.payload_len);
                        sodium_bin2hex(hex[i], sizeof(hex[i]), h, 32);
                }
                pb_seal_envelope_release(&env);
                pb_buf_release(&text);
        }
        fprintf(stderr, "pbvote: manifest SHA-256 %s, result SHA-256 %s\n", hex[0], hex[1]);
}

/* --pb: the META a manifest does not hold from the options, else defaults said in the help. */
static int export_pb(struct pb_box *b, const struct export_opts *o)
{
        const struct pb_manifest *m = pb_box_manifest(b);
        struct export_pb x = { o->db, o->pb, o->country ? o->country : "unknown", o->unit, o->instance };
        char year[5] = "";
        char unit[PB_MANIFEST_TEXT_MAX + 1];

        if (!x.unit) {
                snprintf(unit, sizeof(unit), "%s", m->election->title);
                x.unit = unit;
        }
        if (!x.instance) {
                /* the year the vote ended: its period's, else today's (it closed before) */
                char now[21];
                cli_now(now);
                memcpy(year, m->period_end ? m->period_end : now, 4);
                x.instance = year;
        }
        return cli_export_pb(b, &x);
}

int cmd_export(int argc, char **argv)
{
        struct export_opts o = { NULL, NULL, NULL, NULL, NULL, NULL };
        struct cli_args args;
        struct pb_box *b = NULL;
        struct pb_diag d;
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_export, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (o.out && o.pb)
                return cli_usage_error(&cli_cmd_export, "--out and --pb exclude each other");
        if (!o.out && !o.pb)
                return cli_missing(&cli_cmd_export, "--out DIR (or --pb DIR)");
        if (!o.pb && (o.country || o.unit || o.instance))
                return cli_usage_error(&cli_cmd_export, "--country, --unit and --instance go with --pb");
        rc = cli_box_open(&cli_cmd_export, o.db, &b);
        if (rc)
                return rc;
        if (o.pb) {
                rc = export_pb(b, &o);
                pb_box_free(b);
                return rc;
        }
        pb_diag_clear(&d);
        r = pb_box_export(b, o.out, &d);
        if (r < 0)
                rc = cli_fail(o.out, r, &d);
        else
                fprintf(stderr, "pbvote: wrote the audit bundle of election %s to %s\n",
                        pb_box_manifest(b)->election->id, o.out);
        if (r == PB_OK)
                print_pins(b);
        pb_box_free(b);
        return rc;
}
