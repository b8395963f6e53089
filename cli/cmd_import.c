/**
 * @file `pbvote import FILE.pb --db DB --key ENGINE.key`: a historic (or paper) election with all
 * its ballots, cast through the normal cast path (flagged imported), then closed.  Several files
 * (or a folder of them) are one vote of several contests (import_city.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/import_int.h"
#include "engine/pb_alloc.h"

#define O struct import_opts
static const struct cli_option import_options[] = {
        CLI_PATH("db", O, db, "DB", "the new ballot box"),
        CLI_PATH("key", O, key, "ENGINE.key",
                 "the engine key: signs receipts, checkpoints and the\nclose statement"),
        CLI_PATH("office-key", O, office_key, "OFFICE.key", "signs the manifest (default: the engine key)"),
        CLI_STRING("id", O, id, "ID",
                   "the election's id (default: the file name without\n.pb; of several files, their "
                   "folder's name or the\nfile names' common start)"),
        CLI_CHOICE("rule", O, rule, "RULE", cli_pb_rule_names, "the rule (default: the file's META rule)"),
        CLI_STRING("at", O, at, "YYYY-MM-DDTHH:MM:SSZ", "the time of the close statement (default: now)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE", "the engine key's passphrase"),
        CLI_PATH("office-passphrase-file", O, office_pass_file, "FILE", "the office key's passphrase"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_import = {
        .name = "import",
        .synopsis = "import FILE.pb --db DB --key ENGINE.key [--office-key OFFICE.key] [--id ID] [options]\n"
                    "import FILE.pb FILE.pb... | DIR --db DB --key ENGINE.key [--id ID] [options]",
        .about =
                "Creates the ballot box DB for the election of a pabulib file, opens it, casts every ballot\n"
                "of the file through the normal cast path (each with its own single-use code, never shown;\n"
                "flagged \"imported\"; checked as pabulib's checker checks them) and closes it.  Then\n"
                "`pbvote tally --db DB` counts it with the file's rule (or --rule).  Without --office-key "
                "the\n"
                "engine key also signs the manifest (the manifest then names it as the office key).\n"
                "Several files, or a folder of them (a city's vote of one year: the city-wide file and its\n"
                "district files), make one vote whose contests are the files, each under its file name\n"
                "without .pb; a voter id found in several files is one resident, whose ballots for those\n"
                "contests are one cast vote record with one code.\n"
                "Passphrases without --passphrase-file: PBVOTE_PASSPHRASE or the terminal.\n",
        .options = import_options,
        .operands = "FILE.pb",
        .min_operands = 1,
        .max_operands = CLI_MANY,
};

#define BATCH CLI_IMPORT_BATCH

struct code_list {
        char (*c)[PB_CODE_COMPACT_MAX + 1];
        size_t n;
};

static pb_err keep_code(void *ctx, const struct pb_code *code)
{
        struct code_list *l = ctx;

        memcpy(l->c[l->n++], code->text, code->len + 1);
        return PB_OK;
}

static int cast_all(struct pb_box *b, const struct pb_election *pb, const struct code_list *codes,
                    const char *file)
{
        const struct pb_election *e = pb_box_manifest(b)->election;
        struct pb_submission *subs = pb_calloc(BATCH, sizeof(*subs));
        struct pb_cast_outcome *out = pb_calloc(BATCH, sizeof(*out));
        uint32_t *map = pb_calloc(pb->n_projects ? pb->n_projects : 1, sizeof(*map));
        uint32_t *items = pb_calloc(pb->ballots.n_items ? pb->ballots.n_items : 1, sizeof(*items));
        struct pb_diag d;
        int rc = PB_EXIT_OK;

        pb_diag_clear(&d);
        if (!subs || !out || !map || !items) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        /* the manifest keeps the file's projects in order; map by id all the same */
        for (size_t p = 0; p < pb->n_projects; p++)
                map[p] =
                        (uint32_t)pb_election_find_project(e, pb->projects[p].id, strlen(pb->projects[p].id));
        for (size_t i = 0; i < pb->ballots.n_items; i++)
                items[i] = map[pb->ballots.item[i]];
        for (size_t start = 0; start < pb->ballots.n; start += BATCH) {
                size_t n = pb->ballots.n - start < BATCH ? pb->ballots.n - start : BATCH;
                pb_err r;

                for (size_t k = 0; k < n; k++) {
                        size_t i = start + k, from = pb->ballots.start[i];

                        memset(&subs[k], 0, sizeof(subs[k]));
                        subs[k].code = codes->c[i];
                        subs[k].code_len = strlen(codes->c[i]);
                        subs[k].items = items + from;
                        subs[k].points = pb->ballots.points ? pb->ballots.points + from : NULL;
                        subs[k].n = pb_ballot_len(&pb->ballots, i);
                        subs[k].channel = PB_CHANNEL_IMPORTED;
                }
                r = pb_box_cast(b, subs, n, out, &d);
                if (r < 0) {
                        rc = cli_fail("database", r, &d);
                        goto out;
                }
                for (size_t k = 0; k < n; k++)
                        if (out[k].status != PB_OK) {
                                out[k].diag.line = pb->ballots.line ? pb->ballots.line[start + k] : 0;
                                cli_report(file, &out[k].diag);
                                rc = PB_EXIT_INPUT;
                        }
                if (rc)
                        goto out;
        }
out:
        pb_free(subs);
        pb_free(out);
        pb_free(map);
        pb_free(items);
        return rc;
}

/* The box for @pb: created, opened, with one code per ballot in @codes. */
static pb_err make_box(const struct import_opts *o, struct pb_manifest *m, const struct pb_election *pb,
                       struct pb_key_secret *engine, struct pb_key_secret *office, struct code_list *codes,
                       struct pb_box **ret, struct pb_diag *d)
{
        pb_err r;

        /* a historic election: batches are for hiding the order of arrival, which a file does not have */
        m->batch_min = 1000;
        r = pb_box_create(o->db, m, ret, d);
        if (r == PB_OK)
                r = pb_box_set_engine_key(*ret, engine, d);
        if (r == PB_OK)
                r = pb_box_election_open(*ret, office ? office : engine, d);
        if (r == PB_OK && pb->ballots.n) {
                codes->c = sodium_allocarray(pb->ballots.n, sizeof(*codes->c));
                r = codes->c ? pb_box_codes_issue(*ret, pb->ballots.n, keep_code, codes, d) : PB_ERR_NOMEM;
        }
        return r;
}

/* The engine key and, when given, the office key. */
static int load_keys(const struct import_opts *o, struct pb_key_secret **engine,
                     struct pb_key_secret **office)
{
        int rc = cli_key_load(o->key, PB_KEY_ROLE_ENGINE, o->pass_file, engine);

        if (rc == PB_EXIT_OK && o->office_key)
                rc = cli_key_load(o->office_key, PB_KEY_ROLE_OFFICE, o->office_pass_file, office);
        return rc;
}

static bool is_folder(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The keys, the manifest and the ballots of the file. */
static int load_inputs(const struct import_opts *o, const char *file, struct pb_key_secret **engine,
                       struct pb_key_secret **office, struct pb_manifest **m, struct pb_election **pb)
{
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0;
        int rc;
        pb_err r;

        rc = load_keys(o, engine, office);
        if (rc == PB_EXIT_OK)
                rc = cli_manifest_from_pb_file(file, o->id, o->rule >= 0 ? cli_pb_rule_names[o->rule] : NULL,
                                               m);
        if (rc)
                return rc;
        pb_diag_clear(&d);
        r = pb_file_read(file, PB_PB_MAX_BYTES, &data, &len, &d);
        if (r == PB_OK)
                r = pb_format_pb_parse(data, len, pb, NULL, &d);
        pb_free(data);
        return r < 0 ? cli_fail(file, r, &d) : PB_EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
        struct import_opts o = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1 };
        struct pb_key_secret *engine = NULL, *office = NULL;
        struct pb_manifest *m = NULL;
        struct pb_election *pb = NULL;
        struct pb_box *b = NULL;
        struct code_list codes = { NULL, 0 };
        struct cli_args args;
        struct pb_diag d;
        const char *file;
        char now[21];
        int rc;
        pb_err r;

        rc = cli_parse(&cli_cmd_import, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.db || !o.key)
                return cli_missing(&cli_cmd_import, o.db ? "--key ENGINE.key" : "--db DB");
        file = args.operands[0];
        if (args.n > 1 || is_folder(file)) {
                /* a city's vote: one contest per file */
                rc = load_keys(&o, &engine, &office);
                if (rc == PB_EXIT_OK)
                        rc = cli_import_city(&o, args.operands, args.n, engine, office);
                goto out;
        }
        cli_now(now);
        pb_diag_clear(&d);
        rc = load_inputs(&o, file, &engine, &office, &m, &pb);
        if (rc)
                goto out;
        r = make_box(&o, m, pb, engine, office, &codes, &b, &d);
        if (r < 0) {
                rc = cli_fail(o.db, r, &d);
                goto out;
        }
        if (pb->ballots.n && (rc = cast_all(b, pb, &codes, file)))
                goto out;
        r = pb_box_election_close(b, o.at ? o.at : now, &d);
        if (r < 0) {
                rc = cli_fail(o.db, r, &d);
                goto out;
        }
        fprintf(stderr, "pbvote: imported %zu ballots of %s into %s (election %s, closed)\n", pb->ballots.n,
                file, o.db, m->election->id);
out:
        sodium_free(codes.c);
        pb_box_free(b);
        pb_manifest_free(m);
        pb_election_free(pb);
        cli_key_free(engine);
        cli_key_free(office);
        return rc;
}
