/**
 * @file `pbvote token create|list|revoke|unlock`: API tokens per role (admin, kiosk, auditor).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ballots/pb_admin_tokens.h"
#include "cli/cli.h"
#include "cli/cli_key.h"

static const char usage_text[] =
        "usage: pbvote token create --db DB --role admin|kiosk|auditor [--device] [--label TEXT]\n"
        "       pbvote token create --data DIR --role admin [--label TEXT]\n"
        "       pbvote token list --db DB\n"
        "       pbvote token revoke --db DB ID\n"
        "       pbvote token unlock --db DB ID\n"
        "\n"
        "create prints a new bearer token once (256 random bits); the box keeps only its SHA-256.\n"
        "--device makes a kiosk token one physical kiosk's: the server limits its casts (a burst of 3,\n"
        "then one per 10 s), slows it down after 5 failed voter codes in a row and locks it at 20,\n"
        "until unlock (docs/api.md, \"Limits\").  A web frontend's kiosk token has no such limits.\n"
        "list shows each token's public id, role, label, whether it is revoked, a device's and locked,\n"
        "never the token.\n"
        "With --data, the token is a server administrator's (DIR/admin.tokens, for `pbvote serve --data\n"
        "DIR`): it can create elections and act as admin on every election the server holds.\n";

static pb_err print_token(void *ctx, const char *id, enum pb_role role, const char *label, bool revoked,
                          unsigned flags)
{
        (void)ctx;
        printf("%s %-7s %-7s %-6s %-6s %s\n", id, pb_role_name(role), revoked ? "revoked" : "active",
               flags & PB_TOKEN_DEVICE ? "device" : "-", flags & PB_TOKEN_LOCKED ? "locked" : "-", label);
        return PB_OK;
}

int cmd_token(int argc, char **argv)
{
        const char *db = NULL, *data = NULL, *role_s = NULL, *label = NULL, *ops[2] = { NULL, NULL };
        bool device = false;
        const struct cli_opt opts[] = {
                { "--db", &db, NULL },       { "--data", &data, NULL },     { "--role", &role_s, NULL },
                { "--label", &label, NULL }, { "--device", NULL, &device }, { NULL, NULL, NULL },
        };
        char token[PB_TOKEN_TEXT_LEN + 1], id[PB_TOKEN_ID_LEN + 1];
        struct pb_box *b = NULL;
        struct pb_diag d;
        enum pb_role role = PB_ROLE_COUNT;
        int rc, n = 0;
        pb_err r;

        rc = cli_parse(argc, argv, opts, ops, 2, &n, usage_text);
        if (rc)
                return rc;
        if (!ops[0] ||
            (!strcmp(ops[0], "create") && (n != 1 || !role_s || pb_role_parse(role_s, &role) < 0)) ||
            (!strcmp(ops[0], "list") && n != 1) || (!strcmp(ops[0], "revoke") && n != 2) ||
            (!strcmp(ops[0], "unlock") && n != 2) ||
            (strcmp(ops[0], "create") && strcmp(ops[0], "list") && strcmp(ops[0], "revoke") &&
             strcmp(ops[0], "unlock"))) {
                fputs(usage_text, stderr);
                return PB_EXIT_USAGE;
        }
        if (data) {
                if (db || strcmp(ops[0], "create") || role != PB_ROLE_ADMIN) {
                        fprintf(stderr,
                                "pbvote token: --data creates server admin tokens only (--role admin)\n");
                        return PB_EXIT_USAGE;
                }
                pb_diag_clear(&d);
                r = pb_admin_token_create(data, label, token, &d);
                if (r < 0)
                        return cli_fail(data, r, &d);
                printf("%s\n", token);
                sodium_memzero(token, sizeof(token));
                fprintf(stderr,
                        "pbvote: server admin token created in %s/admin.tokens; it is shown only now\n",
                        data);
                return PB_EXIT_OK;
        }
        rc = cli_box_open(db, &b);
        if (rc)
                return rc;
        pb_diag_clear(&d);
        if (!strcmp(ops[0], "create")) {
                r = pb_box_token_create_flags(b, role, label, device ? PB_TOKEN_DEVICE : 0u, token, id, &d);
                if (r == PB_OK) {
                        printf("%s\n", token);
                        fprintf(stderr, "pbvote: %s token %s created; it is shown only now\n", role_s, id);
                }
        } else if (!strcmp(ops[0], "list")) {
                r = pb_box_token_list(b, print_token, NULL, &d);
        } else if (!strcmp(ops[0], "unlock")) {
                r = pb_box_token_set_locked(b, ops[1], false, &d);
                if (r == PB_OK)
                        fprintf(stderr, "pbvote: kiosk %s unlocked (a running server sees it within 10 s)\n",
                                ops[1]);
        } else {
                r = pb_box_token_revoke(b, ops[1], &d);
                if (r == PB_OK)
                        fprintf(stderr, "pbvote: token %s revoked\n", ops[1]);
        }
        if (r < 0)
                rc = cli_fail(db, r, &d);
        pb_box_free(b);
        return rc;
}
