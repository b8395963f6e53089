/**
 * @file `pbvote receipt RECEIPT --engine-key KEY [--election ID] [--origin ORIGIN] [--proof PROOF]`:
 * check a voter's receipt offline, and later its inclusion proof in the ballot log.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_keyfile.h"
#include "ballots/pb_receipt.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"

struct receipt_opts {
        const char *key, *election, *origin, *proof;
};

static const struct cli_option receipt_options[] = {
        CLI_PATH("engine-key", struct receipt_opts, key, "KEY",
                 "the election's engine verifier key (a .pub file\nof pbvote keygen: one line)"),
        CLI_STRING("election", struct receipt_opts, election, "ID", "the election the receipt must be of"),
        CLI_STRING("origin", struct receipt_opts, origin, "ORIGIN", "the ballot log the promise must be for"),
        CLI_PATH("proof", struct receipt_opts, proof, "PROOF",
                 "the answer of GET /v1/elections/ID/receipts/COMMITMENT"),
        CLI_END,
};

const struct cli_command cli_cmd_receipt = {
        .name = "receipt",
        .synopsis = "receipt RECEIPT --engine-key KEY [--election ID] [--origin ORIGIN] [--proof PROOF]",
        .about =
                "Checks a receipt offline (docs/integrity.md §3.2): RECEIPT is the JSON the server answered\n"
                "to a cast, or that pbvote cast printed; KEY is the election's engine verifier key as the\n"
                "city publishes it (a .pub file of pbvote keygen: one line).  The receipt's promise must be\n"
                "signed by that key for the receipt's election and that election's ballot log\n"
                "(pbvote/<election>/ballots), for election ID and log ORIGIN when given, and its path must\n"
                "place the commitment in the batch the promise covers.  With --proof, PROOF is the answer "
                "of\n"
                "GET /v1/elections/ID/receipts/COMMITMENT: its checkpoint must be signed by the same key "
                "and\n"
                "its proof must place the commitment in the log (or it says the ballot is still pending).\n",
        .options = receipt_options,
        .operands = "RECEIPT",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Exit status: 0 checked, 1 a check failed, 2 usage, 3 unreadable or malformed input.\n",
};

#define MAX_JSON (64 * 1024)

static int read_json(const char *path, char **ret, size_t *ret_len)
{
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_file_read(path, MAX_JSON, ret, ret_len, &d);
        if (r < 0)
                return cli_fail(path, r, &d);
        while (*ret_len && ((*ret)[*ret_len - 1] == '\n' || (*ret)[*ret_len - 1] == '\r'))
                (*ret_len)--;
        return 0;
}

/* A failed check (signature, proof, origin) is exit 1; a malformed file is exit 3. */
static int verdict(const char *what, pb_err r, struct pb_diag *d)
{
        int rc = cli_fail(what, r, d);
        return r == PB_ERR_SIGNATURE || r == PB_ERR_INVALID ? PB_EXIT_FAIL : rc;
}

int cmd_receipt(int argc, char **argv)
{
        struct receipt_opts o = { NULL, NULL, NULL, NULL };
        struct cli_args args;
        const char *file;
        struct pb_receipt_inclusion inc;
        struct pb_receipt_info info;
        struct pb_key_public engine;
        char *receipt = NULL, *vkey = NULL, *proof_json = NULL, hex[65];
        size_t len = 0, klen = 0, plen = 0;
        struct pb_diag d;
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_receipt, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.key)
                return cli_missing(&cli_cmd_receipt, "--engine-key KEY");
        file = args.operands[0];
        pb_diag_clear(&d);
        rc = read_json(o.key, &vkey, &klen);
        if (!rc && klen >= strlen(PB_KEYFILE_MAGIC) &&
            !memcmp(vkey, PB_KEYFILE_MAGIC, strlen(PB_KEYFILE_MAGIC))) {
                /* the engine's secret key file, where its public half was meant */
                fprintf(stderr,
                        "pbvote receipt: %s is a secret key file; pass the engine's public key, %s.pub "
                        "(a voter never needs the secret key)\n",
                        o.key, o.key);
                rc = PB_EXIT_USAGE;
        }
        if (!rc && pb_key_vkey_parse(vkey, klen, &engine, &d) < 0)
                rc = cli_fail(o.key, d.code, &d);
        if (!rc)
                rc = read_json(file, &receipt, &len);
        if (!rc && o.proof)
                rc = read_json(o.proof, &proof_json, &plen);
        if (rc)
                goto out;
        r = pb_receipt_check(receipt, len, &engine, o.election, o.origin, &info, &d);
        if (r < 0) {
                rc = verdict(file, r, &d);
                goto out;
        }
        sodium_bin2hex(hex, sizeof(hex), info.commitment, 32);
        printf("receipt: ok: commitment %s (short code %s) of election %s is ballot %llu of a batch of %llu "
               "that %s promised to log by close in %s\n",
               hex, info.short_code, info.election, (unsigned long long)info.index + 1,
               (unsigned long long)info.promise.size, engine.name, info.promise.origin);
        if (o.proof) {
                r = pb_receipt_check_inclusion(proof_json, plen, info.commitment, &engine,
                                               info.promise.origin, &inc, &d);
                if (r < 0) {
                        rc = verdict(o.proof, r, &d);
                        goto out;
                }
                if (inc.pending)
                        printf("log: pending: accepted, not in the log yet (the promise covers it until "
                               "close)\n");
                else
                        /* counted from 1 as the batch above; the API's "index" counts from 0 */
                        printf("log: ok: entry %llu of the %llu in the log (index %llu), checkpoint signed "
                               "by %s\n",
                               (unsigned long long)inc.index + 1, (unsigned long long)inc.size,
                               (unsigned long long)inc.index, engine.name);
        }
out:
        pb_free(receipt);
        pb_free(vkey);
        pb_free(proof_json);
        return rc;
}
