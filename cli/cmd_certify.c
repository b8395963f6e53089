/**
 * @file `pbvote certify RESULT --key OFFICE.key [--db DB] [--out FILE] [--at TIME] [--yes]`: the
 * finance office's certification of a signed result, after showing what it certifies.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ballots/pb_docs.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/result_text.h"
#include "engine/pb_alloc.h"
#include "engine/pb_seal.h"

struct certify_opts {
        const char *db, *key, *out, *at, *pass_file, *lang;
        bool yes;
};

#define O struct certify_opts
static const struct cli_option certify_options[] = {
        CLI_PATH("key", O, key, "OFFICE.key", "the finance office's key"),
        CLI_PATH("db", O, db, "DB",
                 "the ballot box holding RESULT: check it and store\nthe certification there"),
        CLI_PATH("out", O, out, "FILE", "where the certification goes (default: stdout)"),
        CLI_STRING("at", O, at, "YYYY-MM-DDTHH:MM:SSZ", "the time of the certification (default: now)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE",
                 "the office key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_FLAG("yes", O, yes,
                 "certify without asking (on a terminal, certify\nshows the result and asks first)"),
        CLI_STRING("lang", O, lang, "TAG", "the language of the names in what is shown (with\n--db)"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_certify = {
        .name = "certify",
        .synopsis =
                "certify RESULT --key OFFICE.key [--db DB] [--out FILE] [--at YYYY-MM-DDTHH:MM:SSZ] [--yes] "
                "[--lang TAG]",
        .about = "Signs the finance office's certification of the signed result RESULT (the file\n"
                 "pbvote tally --db --out writes, or the body of POST /v1/elections/{id}/tally).  With --db "
                 "it must be the result stored in the ballot box, the key "
                 "must\n"
                 "be the office key its manifest names, and the certification is stored there (state\n"
                 "certified).  The certification goes to --out, else to stdout.  First it shows on stderr\n"
                 "what it certifies (the election, the manifest's and the result's SHA-256, the ballots,\n"
                 "the winners and the money) and, on a terminal, asks for confirmation (--yes: do not ask).\n"
                 "RESULT may be re-serialised (pretty-printed, members reordered): what is certified is\n"
                 "its signed payload.\n",
        .options = certify_options,
        .operands = "RESULT",
        .min_operands = 1,
        .max_operands = 1,
};

/* Without a box: certify what the file says, after checking it is a well-formed signed result. */
static pb_err certify_file(const char *data, size_t len, const struct pb_key_secret *office, const char *at,
                           struct pb_buf *out, struct pb_diag *d)
{
        const struct pb_key_secret *keys[1] = { office };
        struct pb_seal_envelope env;
        struct pb_doc_result res;
        struct pb_doc_certification c;
        struct pb_buf payload;
        pb_err r;

        pb_seal_envelope_init(&env);
        pb_buf_init(&payload, 0);
        memset(&c, 0, sizeof(c));
        r = pb_envelope_parse(data, len, PB_ENVELOPE_ANY_LAYOUT, &env, d);
        if (r == PB_OK && strcmp(env.payload_type, PB_SEAL_TYPE_RESULT))
                r = pb_diag_set(d, PB_ERR_INVALID, "payloadType", "not a signed result");
        if (r == PB_OK)
                r = pb_doc_result_parse((const char *)env.payload, env.payload_len, NULL, &res, NULL, NULL,
                                        d);
        if (r == PB_OK) {
                memcpy(c.election, res.election, sizeof(c.election));
                crypto_hash_sha256(c.result_sha256, env.payload, env.payload_len);
                memcpy(c.certified_at, at, strlen(at) + 1);
                r = pb_doc_certification_format(&c, &payload);
        }
        if (r == PB_OK)
                r = pb_seal_sign(PB_SEAL_TYPE_CERTIFICATION, (const uint8_t *)payload.data, payload.len, keys,
                                 1, out, d);
        pb_seal_envelope_release(&env);
        pb_buf_release(&payload);
        return r;
}

/*
 * Show what is certified (stderr: stdout may be the certification) and, on a terminal without
 * --yes, ask.  0 to go on, else the exit status.
 */
static int preview(const struct certify_opts *o, const char *path, const char *data, size_t len,
                   const struct pb_manifest *m)
{
        struct cli_result res;
        struct pb_diag d;
        char answer[16] = "";
        pb_err r;

        pb_diag_clear(&d);
        r = cli_result_load(data, len, m, &res, &d);
        if (r == PB_OK) {
                fprintf(stderr, "pbvote certify: the signed result %s%s:\n", path,
                        res.checked ? ", checked against the ballot box"
                                    : " (signature not checked: no --db)");
                r = cli_result_summary(stderr, &res.doc, res.sha256, m, o->lang, &d);
        }
        cli_result_release(&res);
        if (r < 0)
                return cli_fail(path, r, &d);
        if (o->yes || !isatty(STDIN_FILENO))
                return 0;
        fputs("Certify this result with the finance office's key? Type yes to certify: ", stderr);
        if (!fgets(answer, sizeof(answer), stdin) || (strcmp(answer, "yes\n") && strcmp(answer, "y\n"))) {
                fputs("pbvote certify: not certified\n", stderr);
                return PB_EXIT_FAIL;
        }
        return 0;
}

int cmd_certify(int argc, char **argv)
{
        struct certify_opts o = { NULL, NULL, NULL, NULL, NULL, NULL, false };
        struct cli_args args;
        const char *result, *at;
        struct pb_key_secret *office = NULL;
        struct pb_box *b = NULL;
        struct pb_buf cert;
        struct pb_diag d;
        char now[21], langs[256], *data = NULL;
        size_t len = 0;
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_certify, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.key)
                return cli_missing(&cli_cmd_certify, "--key OFFICE.key");
        if (o.lang && !o.db)
                return cli_usage_error(&cli_cmd_certify, "--lang needs --db (the names are in the manifest)");
        result = args.operands[0];
        at = o.at;
        cli_now(now);
        if (!at)
                at = now;
        if (strlen(at) != PB_DOC_TIME_LEN)
                return cli_usage_error(&cli_cmd_certify, "--at '%s': expected YYYY-MM-DDTHH:MM:SSZ", at);
        pb_buf_init(&cert, 0);
        pb_diag_clear(&d);
        r = pb_file_read(result, PB_ENVELOPE_MAX_BYTES, &data, &len, &d);
        if (r < 0)
                return cli_fail(result, r, &d);
        if (o.db) {
                rc = cli_box_open(&cli_cmd_certify, o.db, &b);
                if (rc)
                        goto out;
                if (!cli_result_lang_ok(pb_box_manifest(b), o.lang, langs, sizeof(langs))) {
                        rc = cli_usage_error(&cli_cmd_certify, "--lang %s: the election's texts are in %s",
                                             o.lang, langs);
                        goto out;
                }
        }
        rc = preview(&o, result, data, len, b ? pb_box_manifest(b) : NULL);
        if (rc)
                goto out;
        rc = cli_key_load(o.key, PB_KEY_ROLE_OFFICE, o.pass_file, &office);
        if (rc)
                goto out;
        if (b)
                r = pb_box_certify(b, data, len, office, at, &cert, &d);
        else
                r = certify_file(data, len, office, at, &cert, &d);
        if (r == PB_OK)
                r = pb_buf_addc(&cert, '\n');
        if (r < 0) {
                rc = cli_fail(o.db ? o.db : result, r, &d);
                goto out;
        }
        if (o.out) {
                r = pb_file_write_atomic(o.out, cert.data, cert.len, &d);
                if (r < 0) {
                        rc = cli_fail(o.out, r, &d);
                        goto out;
                }
                fprintf(stderr, "pbvote: wrote %s\n", o.out);
        } else {
                fwrite(cert.data, 1, cert.len, stdout);
        }
out:
        pb_buf_release(&cert);
        pb_free(data);
        cli_key_free(office);
        pb_box_free(b);
        return rc;
}
