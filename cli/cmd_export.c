/** @file `pbvote export --db DB --out DIR`: the audit bundle of a tallied election. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_key.h"

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
        pb_box_free(b);
        return rc;
}
