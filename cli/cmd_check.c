/** @file `pbvote check FILE.pb`: what pabulib's checker would report, with line numbers. */
#include <stdio.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "formats/pb_pbcheck.h"
#include "cli/cli.h"
#include "engine/pb_alloc.h"

const struct cli_command cli_cmd_check = {
        .name = "check",
        .synopsis = "check FILE.pb...",
        .about = "Reports the errors and warnings pabulib's checker reports: structure, META, PROJECTS and\n"
                 "VOTES fields, every vote against the limits, the votes/score columns against the votes, "
                 "the\n"
                 "budget, and whether the file's rule selects its `selected` projects.  One line per "
                 "finding:\n"
                 "  FILE:LINE: error|warning: TYPE: FIELD: REASON ('VALUE')\n",
        .operands = "FILE.pb",
        .min_operands = 1,
        .max_operands = CLI_MANY,
        .notes = "Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage, 3 unreadable file.\n",
};

static int check_file(const char *path)
{
        struct pb_report rep;
        struct pb_diag d;
        char *data = NULL;
        size_t len;
        pb_err r;
        int rc;

        pb_diag_clear(&d);
        r = pb_file_read(path, PB_PB_MAX_BYTES, &data, &len, &d);
        if (r < 0) {
                cli_report(path, &d);
                return cli_exit_for(r);
        }
        pb_report_init(&rep, 10000);
        r = pb_pbcheck_run(data, len, &rep);
        if (r < 0) {
                fprintf(stderr, "pbvote check: %s: %s\n", path, pb_err_message(r));
                rc = cli_exit_for(r);
                goto out;
        }
        for (size_t i = 0; i < rep.n; i++) {
                const struct pb_issue *is = &rep.v[i];
                const struct pb_diag *x = &is->diag;

                printf("%s:", path);
                if (x->line)
                        printf("%u:", x->line);
                printf(" %s: %s: ", is->level == PB_ISSUE_ERROR ? "error" : "warning", is->type);
                if (x->path[0])
                        printf("%s: ", x->path);
                printf("%s", x->reason ? x->reason : "");
                if (x->subject[0])
                        printf(" ('%s')", x->subject);
                printf("\n");
        }
        if (rep.n < rep.n_errors + rep.n_warnings)
                printf("%s: %zu more findings not shown\n", path, rep.n_errors + rep.n_warnings - rep.n);
        printf("%s: %zu error%s, %zu warning%s\n", path, rep.n_errors, rep.n_errors == 1 ? "" : "s",
               rep.n_warnings, rep.n_warnings == 1 ? "" : "s");
        rc = rep.n_errors ? PB_EXIT_FAIL : PB_EXIT_OK;
out:
        pb_report_release(&rep);
        pb_free(data);
        return rc;
}

int cmd_check(int argc, char **argv)
{
        struct cli_args args;
        int worst = PB_EXIT_OK, rc;

        rc = cli_parse(&cli_cmd_check, argc, argv, NULL, &args);
        if (rc != CLI_PARSED)
                return rc;
        for (int i = 0; i < args.n; i++) {
                rc = check_file(args.operands[i]);
                if (rc > worst)
                        worst = rc;
        }
        return worst;
}
