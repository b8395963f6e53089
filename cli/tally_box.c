/**
 * @file `pbvote tally --db DB --key ENGINE.key --out RESULT [--seed N]`: the signed result of a closed
 * election.  The signed envelope goes to RESULT; the tally document (as `pbvote tally FILE.pb
 * --format json` prints it) goes to stdout.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "pb_config.h"

struct tally_box_opts {
        const char *db, *key, *out, *pass_file;
        uint64_t seed;
};

#define O struct tally_box_opts
static const struct cli_option tally_box_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box of a closed election"),
        CLI_PATH("key", O, key, "ENGINE.key", "the engine key, which signs the result"),
        CLI_PATH("out", O, out, "RESULT", "where the signed result (a DSSE envelope) goes"),
        CLI_U64("seed", O, seed, "N",
                "the seed whose commitment the manifest holds\n(a seeded tie-break needs it)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE",
                 "the engine key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_tally_box = {
        .name = "tally",
        .synopsis = "tally --db DB --key ENGINE.key --out RESULT [--seed N] [--passphrase-file FILE]",
        .about = "Counts a closed election with the rule its manifest names and writes the signed result\n"
                 "(a DSSE envelope) to RESULT; prints the tally document on stdout.  A seeded tie-break "
                 "needs\n"
                 "--seed, the seed whose commitment the manifest holds.  Tallying again gives the same "
                 "bytes.\n",
        .options = tally_box_options,
};

int cli_tally_box(int argc, char **argv)
{
        struct tally_box_opts o = { NULL, NULL, NULL, NULL, 0 };
        struct cli_args args;
        struct pb_key_secret *engine = NULL;
        struct pb_seal_envelope env;
        struct pb_doc_result doc;
        struct pb_box *b = NULL;
        struct pb_buf result;
        struct pb_diag d;
        bool seeded;
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_tally_box, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.out)
                return cli_missing(&cli_cmd_tally_box, "--out RESULT");
        seeded = cli_given(&cli_cmd_tally_box, &args, "seed");
        pb_buf_init(&result, 0);
        pb_seal_envelope_init(&env);
        pb_diag_clear(&d);
        rc = cli_box_open(&cli_cmd_tally_box, o.db, &b);
        if (rc)
                return rc;
        rc = cli_box_engine(b, o.key, o.pass_file, &engine);
        if (rc)
                goto out;
        r = pb_box_tally(b, seeded ? &o.seed : NULL, "pbvote " PBVOTE_VERSION, &result, &d);
        if (r < 0) {
                rc = r == PB_ERR_UNSUPPORTED ? PB_EXIT_USAGE : cli_fail(o.db, r, &d);
                if (r == PB_ERR_UNSUPPORTED)
                        cli_fail(o.db, r, &d);
                goto out;
        }
        r = pb_buf_addc(&result, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(o.out, result.data, result.len, &d);
        if (r < 0) {
                rc = cli_fail(o.out, r, &d);
                goto out;
        }
        if (pb_envelope_parse(result.data, result.len - 1, 0, &env, NULL) == PB_OK &&
            pb_doc_result_parse((const char *)env.payload, env.payload_len, pb_box_manifest(b), &doc, NULL,
                                NULL, NULL) == PB_OK) {
                uint8_t h[32];
                char hex[2][65];
                printf("%.*s\n", (int)doc.tally_len, doc.tally);
                /* what an auditor pins: pbvote verify --expect-result / --expect-manifest */
                crypto_hash_sha256(h, env.payload, env.payload_len);
                sodium_bin2hex(hex[0], sizeof(hex[0]), h, 32);
                sodium_bin2hex(hex[1], sizeof(hex[1]), doc.manifest_sha256, 32);
                fprintf(stderr, "pbvote: result SHA-256 %s, manifest SHA-256 %s\n", hex[0], hex[1]);
        }
        fprintf(stderr, "pbvote: wrote %s: the signed result of election %s\n", o.out,
                pb_box_manifest(b)->election->id);
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&result);
        cli_key_free(engine);
        pb_box_free(b);
        return rc;
}
