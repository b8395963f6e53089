/**
 * @file `pbvote tally --db DB --key ENGINE.key --out RESULT [--seed N]`: the signed result of a closed
 * election.  The signed envelope goes to RESULT; the tally document (as `pbvote tally FILE.pb
 * --format json` prints it) goes to stdout.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "pb_config.h"

static const char usage_text[] =
        "usage: pbvote tally --db DB --key ENGINE.key --out RESULT [--seed N] [--passphrase-file FILE]\n"
        "\n"
        "Counts a closed election with the rule its manifest names and writes the signed result\n"
        "(a DSSE envelope) to RESULT; prints the tally document on stdout.  A seeded tie-break needs\n"
        "--seed, the seed whose commitment the manifest holds.  Tallying again gives the same bytes.\n";

int cli_tally_box(int argc, char **argv)
{
        const char *db = NULL, *key = NULL, *out = NULL, *seed_s = NULL, *pass_file = NULL;
        const struct cli_opt opts[] = {
                { "--db", &db, NULL },
                { "--key", &key, NULL },
                { "--out", &out, NULL },
                { "--seed", &seed_s, NULL },
                { "--passphrase-file", &pass_file, NULL },
                { NULL, NULL, NULL },
        };
        struct pb_key_secret *engine = NULL;
        struct pb_seal_envelope env;
        struct pb_doc_result doc;
        struct pb_box *b = NULL;
        struct pb_buf result;
        struct pb_diag d;
        uint64_t seed = 0;
        int rc;
        pb_err r;

        rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage_text);
        if (rc)
                return rc;
        if (!db || !out) {
                fputs(usage_text, stderr);
                return PB_EXIT_USAGE;
        }
        if (seed_s) {
                char *end;
                errno = 0;
                seed = strtoull(seed_s, &end, 10);
                if (errno || *end || !*seed_s || *seed_s == '-') {
                        fprintf(stderr, "pbvote tally: --seed must be an integer from 0 to 2^64-1\n");
                        return PB_EXIT_USAGE;
                }
        }
        pb_buf_init(&result, 0);
        pb_seal_envelope_init(&env);
        pb_diag_clear(&d);
        rc = cli_box_open(db, &b);
        if (rc)
                return rc;
        rc = cli_box_engine(b, key, pass_file, &engine);
        if (rc)
                goto out;
        r = pb_box_tally(b, seed_s ? &seed : NULL, "pbvote " PBVOTE_VERSION, &result, &d);
        if (r < 0) {
                rc = r == PB_ERR_UNSUPPORTED ? PB_EXIT_USAGE : cli_fail(db, r, &d);
                if (r == PB_ERR_UNSUPPORTED)
                        cli_fail(db, r, &d);
                goto out;
        }
        r = pb_buf_addc(&result, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(out, result.data, result.len, &d);
        if (r < 0) {
                rc = cli_fail(out, r, &d);
                goto out;
        }
        if (pb_envelope_parse(result.data, result.len - 1, 0, &env, NULL) == PB_OK &&
            pb_doc_result_parse((const char *)env.payload, env.payload_len, &doc, NULL, NULL, NULL) ==
                    PB_OK) {
                uint8_t h[32];
                char hex[2][65];
                printf("%.*s\n", (int)doc.tally_len, doc.tally);
                /* what an auditor pins: pbvote verify --expect-result / --expect-manifest */
                crypto_hash_sha256(h, env.payload, env.payload_len);
                sodium_bin2hex(hex[0], sizeof(hex[0]), h, 32);
                sodium_bin2hex(hex[1], sizeof(hex[1]), doc.manifest_sha256, 32);
                fprintf(stderr, "pbvote: result SHA-256 %s, manifest SHA-256 %s\n", hex[0], hex[1]);
        }
        fprintf(stderr, "pbvote: wrote %s: the signed result of election %s\n", out,
                pb_box_manifest(b)->election->id);
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&result);
        cli_key_free(engine);
        pb_box_free(b);
        return rc;
}
