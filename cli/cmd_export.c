/** @file `pbvote export --db DB --out DIR`: the audit bundle of a tallied election. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_key.h"

static const char usage_text[] =
        "usage: pbvote export --db DB --out DIR\n"
        "\n"
        "Writes the audit bundle of a tallied (or certified) election into the new folder DIR: the\n"
        "signed manifest, keys.txt, every checkpoint, every CVR with its nonce, the close statement,\n"
        "the signed result and the certification (docs/auditor.md).  Check it with pbvote verify DIR.\n";

int cmd_export(int argc, char **argv)
{
        const char *db = NULL, *out = NULL;
        const struct cli_opt opts[] = { { "--db", &db, NULL },
                                        { "--out", &out, NULL },
                                        { NULL, NULL, NULL } };
        struct pb_box *b = NULL;
        struct pb_diag d;
        int rc;
        pb_err r;

        rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage_text);
        if (rc)
                return rc;
        if (!db || !out) {
                fputs(usage_text, stderr);
                return PB_EXIT_USAGE;
        }
        rc = cli_box_open(db, &b);
        if (rc)
                return rc;
        pb_diag_clear(&d);
        r = pb_box_export(b, out, &d);
        if (r < 0)
                rc = cli_fail(out, r, &d);
        else
                fprintf(stderr, "pbvote: wrote the audit bundle of election %s to %s\n",
                        pb_box_manifest(b)->election->id, out);
        pb_box_free(b);
        return rc;
}
