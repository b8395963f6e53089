/**
 * @file `pbvote token create|list|revoke|unlock`: API tokens per role (admin, kiosk, auditor, officer).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ballots/pb_admin_tokens.h"
#include "cli/cli.h"
#include "cli/cli_key.h"

/* The words of --role, in the order of enum pb_role (test-cli-options checks). */
static const char *const role_words[] = { "admin", "kiosk", "auditor", "officer", NULL };

struct token_opts {
        const char *db, *data, *label;
        int role;
        bool device;
        struct cli_list contests;
};

#define O struct token_opts
#define DB CLI_PATH("db", O, db, "DB", "the ballot box of the election")
static const struct cli_option create_options[] = {
        DB,
        CLI_PATH("data", O, data, "DIR",
                 "or a server's data folder: a server administrator's\ntoken "
                 "(DIR/admin.tokens), --role admin only"),
        CLI_CHOICE("role", O, role, NULL, role_words, "what the token may do (docs/api.md)"),
        CLI_FLAG("device", O, device,
                 "a physical kiosk's token, under the per-kiosk\nlimits (docs/api.md, \"Limits\")"),
        CLI_STRING("label", O, label, "TEXT", "a label for people (\"library kiosk\")"),
        CLI_LIST("contest", O, contests, "ID",
                 "a kiosk or officer for some contests of a vote only\n(repeat it): it casts no ballot for "
                 "another"),
        CLI_END,
};
static const struct cli_option db_options[] = { DB, CLI_END };
#undef O
#undef DB

static const struct cli_command token_create = {
        .name = "token create",
        .synopsis = "token create --db DB --role admin|kiosk|auditor|officer [--device] [--label TEXT] "
                    "[--contest "
                    "ID]...\n"
                    "token create --data DIR --role admin [--label TEXT]",
        .about = "Prints a new bearer token once (256 random bits); the box keeps only its SHA-256.\n"
                 "--device makes a kiosk token one physical kiosk's: the server limits its casts (a burst of "
                 "3,\n"
                 "then one per 10 s), slows it down after 5 failed voter codes in a row and locks it at 20,\n"
                 "until unlock (docs/api.md, \"Limits\").  A web frontend's kiosk token has no such limits.\n"
                 "With --data, the token is a server administrator's (DIR/admin.tokens, for `pbvote serve "
                 "--data\n"
                 "DIR`): it can create elections and act as admin on every election the server holds.\n",
        .options = create_options,
};
static const struct cli_command token_list = {
        .name = "token list",
        .synopsis = "token list --db DB",
        .about = "Lists each token's public id, role, whether it is revoked, a device's and locked, and its\n"
                 "label; never the token.\n",
        .options = db_options,
};
static const struct cli_command token_revoke = {
        .name = "token revoke",
        .synopsis = "token revoke --db DB ID",
        .about = "Revokes the token whose public id is ID (as token list shows it).\n",
        .options = db_options,
        .operands = "ID",
        .min_operands = 1,
        .max_operands = 1,
};
static const struct cli_command token_unlock = {
        .name = "token unlock",
        .synopsis = "token unlock --db DB ID",
        .about = "Unlocks the kiosk whose token's public id is ID, locked after 20 failed voter codes in a\n"
                 "row; a running server sees it within 10 s.\n",
        .options = db_options,
        .operands = "ID",
        .min_operands = 1,
        .max_operands = 1,
};

const struct cli_group cli_group_token = {
        .name = "token",
        .about = "API tokens per role: admin, kiosk, auditor, officer (docs/api.md).\n",
        .verbs = (const struct cli_command *const[]){ &token_create, &token_list, &token_revoke,
                                                      &token_unlock, NULL },
};

#define ROW_FORMAT "%-16s %-7s %-7s %-6s %-6s %-8s %s\n"

/* Each token, and the contests of a restricted kiosk (@ctx: the manifest) by id. */
static pb_err print_token(void *ctx, const char *id, enum pb_role role, const char *label, bool revoked,
                          unsigned flags, const struct pb_contest_set *contests)
{
        const struct pb_manifest *m = ctx;
        struct pb_buf ids;
        pb_err r = PB_OK;

        pb_buf_init(&ids, 0);
        for (size_t i = 0; r == PB_OK && contests && i < m->n_contests; i++)
                if (pb_contest_set_has(contests, i))
                        r = pb_buf_addf(&ids, "%s%s", ids.len ? "," : "", m->contests[i].election->id);
        if (r == PB_OK)
                printf(ROW_FORMAT, id, pb_role_name(role), revoked ? "revoked" : "active",
                       flags & PB_TOKEN_DEVICE ? "device" : "-", flags & PB_TOKEN_LOCKED ? "locked" : "-",
                       ids.len ? ids.data : "-", label);
        pb_buf_release(&ids);
        return r;
}

/* --data DIR: a server administrator's token. */
static int create_admin(const struct token_opts *o)
{
        char token[PB_TOKEN_TEXT_LEN + 1];
        struct pb_diag d;
        pb_err r;

        if (o->db || o->role != PB_ROLE_ADMIN)
                return cli_usage_error(&token_create,
                                       "--data creates server admin tokens only (--role admin, no --db)");
        pb_diag_clear(&d);
        r = pb_admin_token_create(o->data, o->label, token, &d);
        if (r < 0)
                return cli_fail(o->data, r, &d);
        printf("%s\n", token);
        sodium_memzero(token, sizeof(token));
        fprintf(stderr, "pbvote: server admin token created in %s/admin.tokens; it is shown only now\n",
                o->data);
        return PB_EXIT_OK;
}

static pb_err create(struct pb_box *b, const struct token_opts *o, struct pb_diag *d)
{
        char token[PB_TOKEN_TEXT_LEN + 1], id[PB_TOKEN_ID_LEN + 1];
        pb_err r =
                pb_box_token_create_for(b, (enum pb_role)o->role, o->label, o->device ? PB_TOKEN_DEVICE : 0u,
                                        o->contests.v, o->contests.n, token, id, d);

        if (r == PB_OK) {
                printf("%s\n", token);
                fprintf(stderr, "pbvote: %s token %s created; it is shown only now\n", role_words[o->role],
                        id);
        }
        sodium_memzero(token, sizeof(token));
        return r;
}

/* The action @verb on the box. */
static pb_err run(struct pb_box *b, const char *verb, const struct token_opts *o, const char *id,
                  struct pb_diag *d)
{
        pb_err r;

        if (!strcmp(verb, "create"))
                return create(b, o, d);
        if (!strcmp(verb, "list")) {
                printf(ROW_FORMAT, "ID", "ROLE", "STATE", "DEVICE", "LOCKED", "CONTESTS", "LABEL");
                /* the manifest as opened: its contests are fixed once a token names them */
                return pb_box_token_list(b, print_token, (void *)pb_box_manifest(b), d);
        }
        if (!strcmp(verb, "unlock")) {
                r = pb_box_token_set_locked(b, id, false, d);
                if (r == PB_OK)
                        fprintf(stderr, "pbvote: kiosk %s unlocked (a running server sees it within 10 s)\n",
                                id);
                return r;
        }
        r = pb_box_token_revoke(b, id, d);
        if (r == PB_OK)
                fprintf(stderr, "pbvote: token %s revoked\n", id);
        return r;
}

int cmd_token(int argc, char **argv)
{
        struct token_opts o = { NULL, NULL, NULL, -1, false, { NULL, 0 } };
        const struct cli_command *v;
        struct cli_args args;
        struct pb_box *b = NULL;
        struct pb_diag d;
        int rc;
        pb_err r;

        rc = cli_parse_group(&cli_group_token, argc, argv, &o, &v, &args);
        if (rc != CLI_PARSED)
                goto out; /* a --contest list may be half-read */
        if (v == &token_create && o.role < 0) {
                rc = cli_missing(v, "--role admin|kiosk|auditor|officer");
                goto out;
        }
        if (o.data) {
                cli_list_release(&o.contests);
                return create_admin(&o);
        }
        rc = cli_box_open(v, o.db, &b);
        if (rc)
                goto out;
        pb_diag_clear(&d);
        r = run(b, strchr(v->name, ' ') + 1, &o, args.n ? args.operands[0] : NULL, &d);
        if (r < 0)
                rc = cli_fail(o.db, r, &d);
        pb_box_free(b);
out:
        cli_list_release(&o.contests);
        return rc;
}
