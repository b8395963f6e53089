/**
 * @file `pbvote election`: create a ballot box and move the election through its states.
 *
 *   pbvote election create --db DB (--manifest FILE.json | --pb FILE.pb [--id ID] [--rule RULE])
 *   pbvote election update --db DB --manifest FILE.json
 *   pbvote election delete --db DB
 *   pbvote election open   --db DB --key ENGINE.key --office-key OFFICE.key
 *   pbvote election suspend|resume --db DB
 *   pbvote election close  --db DB --key ENGINE.key [--at YYYY-MM-DDTHH:MM:SSZ]
 *   pbvote election flush  --db DB --key ENGINE.key
 *   pbvote election show   --db DB
 *   pbvote election check  --db DB
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ballots/pb_bundle.h"
#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "formats/pb_tar.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"

struct opts {
        const char *db, *manifest, *pb, *id, *key, *office_key, *pass_file, *office_pass_file, *at;
        int rule;
};

/* The options the actions share. */
#define O struct opts
#define DB CLI_PATH("db", O, db, "DB", "the ballot box (one file per election)")
#define KEY CLI_PATH("key", O, key, "ENGINE.key", "the engine key")
#define PASS                                                                                                 \
        CLI_PATH("passphrase-file", O, pass_file, "FILE",                                                    \
                 "the engine key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)")

static const struct cli_option create_options[] = {
        CLI_PATH("db", O, db, "DB", "the new ballot box"),
        CLI_PATH("manifest", O, manifest, "FILE.json", "the election's manifest (docs/api.md)"),
        CLI_PATH("pb", O, pb, "FILE.pb",
                 "or a pabulib file's projects, budget, limits and\nrule (no ballots)"),
        CLI_STRING("id", O, id, "ID", "with --pb: the election's id (default: the file\nname without .pb)"),
        CLI_CHOICE("rule", O, rule, "RULE", cli_pb_rule_names, "with --pb: the rule (default: the file's)"),
        CLI_END,
};
static const struct cli_option update_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box of a draft"),
        CLI_PATH("manifest", O, manifest, "FILE.json", "the draft's new manifest (the same election id)"),
        CLI_END,
};
static const struct cli_option open_options[] = {
        DB,
        KEY,
        CLI_PATH("office-key", O, office_key, "OFFICE.key",
                 "the finance office key, which signs the manifest"),
        PASS,
        CLI_PATH("office-passphrase-file", O, office_pass_file, "FILE", "the office key's passphrase"),
        CLI_END,
};
static const struct cli_option db_options[] = { DB, CLI_END };
static const struct cli_option close_options[] = {
        DB,      KEY,
        PASS,    CLI_STRING("at", O, at, "YYYY-MM-DDTHH:MM:SSZ", "the time of the close (default: now)"),
        CLI_END,
};
static const struct cli_option flush_options[] = { DB, KEY, PASS, CLI_END };
#undef O
#undef DB
#undef KEY
#undef PASS

static const struct cli_command election_create = {
        .name = "election create",
        .synopsis = "election create --db DB --manifest FILE.json\n"
                    "election create --db DB --pb FILE.pb [--id ID] [--rule RULE]",
        .about = "Makes a new ballot box file (one per election, state draft) from a JSON manifest\n"
                 "(docs/api.md) or a pabulib file (its projects, budget, limits and rule; no ballots: see\n"
                 "pbvote import).\n",
        .options = create_options,
};
static const struct cli_command election_update = {
        .name = "election update",
        .synopsis = "election update --db DB --manifest FILE.json",
        .about = "Replaces the manifest of a draft (the election id stays; once voter codes exist, its\n"
                 "contests too).  An election that has opened never changes.\n",
        .options = update_options,
};
static const struct cli_command election_delete = {
        .name = "election delete",
        .synopsis = "election delete --db DB",
        .about = "Deletes a draft: its ballot box file is removed (a server serving it stops within a "
                 "second).\n"
                 "An election that has opened is never deleted.\n",
        .options = db_options,
};
static const struct cli_command election_open = {
        .name = "election open",
        .synopsis = "election open --db DB --key ENGINE.key --office-key OFFICE.key",
        .about = "Signs the manifest with the finance office key and the zero checkpoint with the engine\n"
                 "key; voting starts.\n",
        .options = open_options,
};
static const struct cli_command election_suspend = {
        .name = "election suspend",
        .synopsis = "election suspend --db DB",
        .about = "Pauses voting.\n",
        .options = db_options,
};
static const struct cli_command election_resume = {
        .name = "election resume",
        .synopsis = "election resume --db DB",
        .about = "Resumes voting.\n",
        .options = db_options,
};
static const struct cli_command election_close = {
        .name = "election close",
        .synopsis = "election close --db DB --key ENGINE.key [--at YYYY-MM-DDTHH:MM:SSZ]",
        .about = "Appends the last batch to the ballot log and signs the close statement; final.\n",
        .options = close_options,
};
static const struct cli_command election_flush = {
        .name = "election flush",
        .synopsis = "election flush --db DB --key ENGINE.key",
        .about = "Appends the pending ballots to the ballot log now.\n",
        .options = flush_options,
};
static const struct cli_command election_show = {
        .name = "election show",
        .synopsis = "election show --db DB",
        .about = "Prints the state, the turnout counts and the latest checkpoint.\n",
        .options = db_options,
};
static const struct cli_command election_check = {
        .name = "election check",
        .synopsis = "election check --db DB",
        .about = "Reads the whole box: the ballot log, checkpoints, counters and signed documents; once\n"
                 "there is a result it also exports the audit bundle beside DB and runs pbvote verify on "
                 "it.\n",
        .options = db_options,
        .notes = "Exit status: 0 consistent, 1 a problem found (named), 3 unreadable box.\n",
};

const struct cli_group cli_group_election = {
        .name = "election",
        .about = "States: draft -> open <-> suspended -> closed -> tallied -> certified (never back to "
                 "open).\n",
        .verbs = (const struct cli_command *const[]){ &election_create, &election_update, &election_delete,
                                                      &election_open, &election_suspend, &election_resume,
                                                      &election_close, &election_flush, &election_show,
                                                      &election_check, NULL },
};

void cli_stem_of(const char *path, char *out, size_t cap)
{
        const char *base = strrchr(path, '/');
        size_t n;

        base = base ? base + 1 : path;
        n = strlen(base);
        if (n > 3 && !strcmp(base + n - 3, ".pb"))
                n -= 3;
        if (n >= cap)
                n = cap - 1;
        memcpy(out, base, n);
        out[n] = '\0';
}

int cli_manifest_from_pb(const struct pb_election *e, const char *path, const char *id, const char *rule_name,
                         struct pb_manifest **ret)
{
        struct pb_rule rule;
        struct pb_diag d;
        char stem[PB_ID_MAX + 1];
        pb_err r;

        pb_diag_clear(&d);
        if (rule_name) {
                pb_rule_init(&rule);
                if (pb_rule_set_name(&rule, rule_name) < 0) {
                        fprintf(stderr, "pbvote: --rule %s: unknown rule\n", rule_name);
                        return PB_EXIT_USAGE;
                }
                if (rule.kind == PB_RULE_EQUAL_SHARES)
                        rule.tie_break = PB_TIE_COST_THEN_VOTES;
                if (rule.kind == PB_RULE_GREEDY_THRESHOLD && e->has_threshold) {
                        rule.has_threshold = true;
                        rule.threshold = e->threshold;
                }
        }
        if (!id) {
                cli_stem_of(path, stem, sizeof(stem));
                id = stem;
        }
        r = pb_manifest_from_pb(e, id, rule_name ? &rule : NULL, ret, &d);
        if (r < 0) {
                int rc = cli_fail(path, r, &d);
                if (r == PB_ERR_UNSUPPORTED)
                        fprintf(stderr, "pbvote: pass --rule to choose how to count this election\n");
                return rc;
        }
        return PB_EXIT_OK;
}

int cli_manifest_from_pb_file(const char *path, const char *id, const char *rule_name,
                              struct pb_manifest **ret)
{
        struct pb_election *e = NULL;
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0;
        int rc;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_file_read(path, PB_PB_MAX_BYTES, &data, &len, &d);
        if (r == PB_OK)
                r = pb_format_pb_parse(data, len, &e, NULL, &d);
        rc = r < 0 ? cli_fail(path, r, &d) : cli_manifest_from_pb(e, path, id, rule_name, ret);
        pb_election_free(e);
        pb_free(data);
        return rc;
}

static int do_create(const struct opts *o)
{
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0;
        int rc = PB_EXIT_OK;
        pb_err r;

        pb_diag_clear(&d);
        if (!o->db)
                return cli_missing(&election_create, "--db DB");
        if (!o->manifest == !o->pb)
                return cli_usage_error(&election_create, "give --manifest or --pb (one of them)");
        if (o->manifest && (o->id || o->rule >= 0))
                return cli_usage_error(&election_create, "--id and --rule go with --pb");
        if (o->manifest) {
                r = pb_file_read(o->manifest, PB_MANIFEST_MAX_BYTES, &data, &len, &d);
                if (r == PB_OK)
                        r = pb_manifest_parse(data, len, &m, &d);
                if (r < 0) {
                        rc = cli_fail(o->manifest, r, &d);
                        goto out;
                }
        } else {
                rc = cli_manifest_from_pb_file(o->pb, o->id, o->rule >= 0 ? cli_pb_rule_names[o->rule] : NULL,
                                               &m);
                if (rc)
                        goto out;
        }
        r = pb_box_create(o->db, m, &b, &d);
        if (r < 0) {
                rc = cli_fail(o->db, r, &d);
                goto out;
        }
        if (m->has_contests)
                printf("created %s: election %s (draft), %zu contests\n", o->db, m->election->id,
                       m->n_contests);
        else
                printf("created %s: election %s (draft), %zu projects, rule %s\n", o->db, m->election->id,
                       m->election->n_projects, pb_rule_kind_name(m->contests[0].rule.kind));
out:
        pb_box_free(b);
        pb_manifest_free(m);
        pb_free(data);
        return rc;
}

/* A draft's new manifest, from --manifest: an exit status. */
static int do_update(struct pb_box *b, const struct opts *o)
{
        struct pb_manifest *m = NULL;
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0;
        int rc = PB_EXIT_OK;
        pb_err r;

        pb_diag_clear(&d);
        if (!o->manifest)
                return cli_missing(&election_update, "--manifest FILE.json");
        r = pb_file_read(o->manifest, PB_MANIFEST_MAX_BYTES, &data, &len, &d);
        if (r == PB_OK)
                r = pb_manifest_parse(data, len, &m, &d);
        if (r < 0)
                rc = cli_fail(o->manifest, r, &d);
        else if ((r = pb_box_set_manifest(b, m, &d)) < 0)
                rc = cli_fail(o->db, r, &d);
        else
                printf("updated the draft %s: its manifest is %s's\n", m->election->id, o->manifest);
        pb_manifest_free(m);
        pb_free(data);
        return rc;
}

static int do_show(struct pb_box *b)
{
        struct pb_turnout t;
        struct pb_checkpoint cp;
        struct pb_buf note;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_box_turnout(b, &t, &d);
        if (r < 0)
                return cli_fail("database", r, &d);
        printf("election: %s\nstate: %s\n", pb_box_manifest(b)->election->id, pb_box_state_name(t.state));
        printf("codes: %llu issued, %llu spent\n", (unsigned long long)t.codes_issued,
               (unsigned long long)t.codes_spent);
        printf("ballots: %llu accepted (%llu electronic, %llu paper, %llu imported), %llu in the log, %llu "
               "pending\n",
               (unsigned long long)t.ballots, (unsigned long long)t.by_channel[PB_CHANNEL_ELECTRONIC],
               (unsigned long long)t.by_channel[PB_CHANNEL_PAPER],
               (unsigned long long)t.by_channel[PB_CHANNEL_IMPORTED], (unsigned long long)t.log_size,
               (unsigned long long)t.pending);
        printf("rejected:");
        for (int i = 0; i < PB_REJECT_COUNT; i++)
                printf(" %s %llu", pb_reject_name((enum pb_reject)i), (unsigned long long)t.rejected[i]);
        printf("\n");
        pb_buf_init(&note, 0);
        r = pb_box_checkpoint(b, &note, &cp, &d);
        if (r == PB_OK)
                printf("latest checkpoint:\n%s", note.data);
        pb_buf_release(&note);
        return PB_EXIT_OK;
}

/* A failed check of the verifier, as pbvote verify prints it. */
static void print_failed(void *ctx, const struct pb_verify_check *c)
{
        unsigned *n = ctx;

        if (c->pass)
                return;
        (*n)++;
        printf("FAIL %-4s %-20s %s", c->id, c->name, c->detail);
        if (c->line)
                printf(" (line %u)", c->line);
        printf("\n");
}

/*
 * Once there is a result: export the bundle into a scratch folder beside @db (same file system, no
 * size surprise in /tmp; a server's data folder ignores dot names) and verify it as an auditor
 * would, so that check cannot say ok for a box whose bundle fails (issue 11).
 */
static int check_bundle(struct pb_box *b, const char *db, bool certified)
{
        struct pb_verify_options o;
        char copy[4096], tmp[4200], dir[4300];
        struct pb_diag d;
        unsigned failed = 0, printed = 0;
        int rc = PB_EXIT_OK;
        pb_err r;

        pb_diag_clear(&d);
        memset(&o, 0, sizeof(o));
        o.allow_uncertified = !certified;
        snprintf(copy, sizeof(copy), "%s", db);
        snprintf(tmp, sizeof(tmp), "%s/.pbvote-check-XXXXXX", dirname(copy));
        if (!mkdtemp(tmp)) {
                fprintf(stderr, "pbvote: %s: cannot make a scratch folder to export the bundle into\n", tmp);
                return PB_EXIT_INPUT;
        }
        snprintf(dir, sizeof(dir), "%s/bundle", tmp);
        r = pb_box_export(b, dir, &d);
        if (r < 0)
                rc = cli_fail(db, r, &d);
        else
                r = pb_bundle_verify(dir, &o, print_failed, &printed, &failed);
        if (!rc && r == PB_ERR_SIGNATURE) {
                fprintf(stderr, "pbvote: %s: the exported bundle fails %u check%s of pbvote verify\n", db,
                        failed, failed == 1 ? "" : "s");
                rc = PB_EXIT_FAIL;
        } else if (!rc && r < 0) {
                fprintf(stderr, "pbvote: %s: the verifier could not run: %s\n", db, pb_err_message(r));
                rc = PB_EXIT_SOFTWARE;
        }
        if (pb_tar_remove_dir(dir) < 0 && access(dir, F_OK) == 0)
                fprintf(stderr, "pbvote: cannot remove the scratch bundle %s\n", dir);
        (void)rmdir(tmp);
        if (!rc)
                printf("ok: the exported bundle passes every check of pbvote verify\n");
        return rc;
}

static int do_check(struct pb_box *b, const char *db)
{
        enum pb_box_state s = PB_BOX_DRAFT;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_box_check(b, &d);
        if (r < 0) {
                cli_fail(db, r, &d);
                return r == PB_ERR_INTERNAL ? PB_EXIT_FAIL : cli_exit_for(r);
        }
        printf("ok: the ballot log, the checkpoints, the counters and the signed documents agree\n");
        r = pb_box_state(b, &s);
        if (r < 0)
                return cli_fail(db, r, &d);
        return s == PB_BOX_TALLIED || s == PB_BOX_CERTIFIED ? check_bundle(b, db, s == PB_BOX_CERTIFIED)
                                                            : PB_EXIT_OK;
}

int cmd_election(int argc, char **argv)
{
        struct opts o;
        const struct cli_command *v;
        struct cli_args args;
        const char *verb;
        struct pb_key_secret *engine = NULL, *office = NULL;
        struct pb_box *b = NULL;
        struct pb_diag d;
        char now[21];
        int rc;
        pb_err r = PB_OK;

        memset(&o, 0, sizeof(o));
        o.rule = -1;
        pb_diag_clear(&d);
        rc = cli_parse_group(&cli_group_election, argc, argv, &o, &v, &args);
        if (rc != CLI_PARSED)
                return rc;
        verb = strchr(v->name, ' ') + 1;
        if (!strcmp(verb, "create"))
                return do_create(&o);
        rc = cli_box_open(v, o.db, &b);
        if (rc)
                return rc;
        if (!strcmp(verb, "open") || !strcmp(verb, "close") || !strcmp(verb, "flush")) {
                rc = cli_box_engine(b, o.key, o.pass_file, &engine);
                if (rc)
                        goto out;
        }
        if (!strcmp(verb, "open")) {
                if (!o.office_key) {
                        rc = cli_missing(v, "--office-key OFFICE.key (the finance office key)");
                        goto out;
                }
                rc = cli_key_load(o.office_key, PB_KEY_ROLE_OFFICE, o.office_pass_file, &office);
                if (rc)
                        goto out;
                r = pb_box_election_open(b, office, &d);
        } else if (!strcmp(verb, "suspend")) {
                r = pb_box_election_suspend(b, &d);
        } else if (!strcmp(verb, "resume")) {
                r = pb_box_election_resume(b, &d);
        } else if (!strcmp(verb, "close")) {
                cli_now(now);
                r = pb_box_election_close(b, o.at ? o.at : now, &d);
        } else if (!strcmp(verb, "flush")) {
                r = pb_box_flush(b, &d);
        } else if (!strcmp(verb, "update")) {
                rc = do_update(b, &o);
                goto out;
        } else if (!strcmp(verb, "delete")) {
                r = pb_box_delete(b, o.db, &d);
                if (r == PB_OK) {
                        printf("deleted the draft %s (%s)\n", pb_box_manifest(b)->election->id, o.db);
                        goto out;
                }
        } else if (!strcmp(verb, "check")) {
                rc = do_check(b, o.db);
                goto out;
        } else {
                rc = do_show(b);
                goto out;
        }
        if (r < 0) {
                rc = cli_fail(o.db, r, &d);
                goto out;
        }
        if (strcmp(verb, "check") && strcmp(verb, "flush")) {
                enum pb_box_state s = PB_BOX_DRAFT;
                if (pb_box_state(b, &s) == PB_OK)
                        printf("election %s is %s\n", pb_box_manifest(b)->election->id, pb_box_state_name(s));
        }
out:
        cli_key_free(engine);
        cli_key_free(office);
        pb_box_free(b);
        return rc;
}
