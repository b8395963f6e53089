/** @file `pbvote export --db DB --out DIR`: the audit bundle of a tallied election. */
#include <sodium.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_key.h"
#include "formats/pb_envelope.h"

struct export_opts {
        const char *db, *out;
};

static const struct cli_option export_options[] = {
        CLI_PATH("db", struct export_opts, db, "DB", "the ballot box of a tallied election"),
        CLI_PATH("out", struct export_opts, out, "DIR", "the new folder to write the bundle into"),
        CLI_END,
};

const struct cli_command cli_cmd_export = {
        .name = "export",
        .synopsis = "export --db DB --out DIR",
        .about = "Writes the audit bundle of a tallied (or certified) election into the new folder DIR: the\n"
                 "signed manifest, keys.txt, every checkpoint, every CVR with its nonce, the close "
                 "statement,\n"
                 "the signed result and the certification (docs/auditor.md).  Check it with pbvote verify "
                 "DIR.\n",
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

int cmd_export(int argc, char **argv)
{
        struct export_opts o = { NULL, NULL };
        struct cli_args args;
        struct pb_box *b = NULL;
        struct pb_diag d;
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_export, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.out)
                return cli_missing(&cli_cmd_export, "--out DIR");
        rc = cli_box_open(o.db, &b);
        if (rc)
                return rc;
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
