/**
 * @file `pbvote cast`: ballots entered by an officer (paper ballots), one or a file of them.
 *
 *   pbvote cast --db DB --key ENGINE.key --code CODE --ballot JSON [--submission-id HEX32]
 *   pbvote cast --db DB --key ENGINE.key --code CODE --ballots JSON [--submission-id HEX32]
 *   pbvote cast --db DB --key ENGINE.key --file BALLOTS.jsonl
 *
 * Each line of BALLOTS.jsonl is {"ballot": {...}, "code": "...", "submission_id": "..."?}, or with
 * "ballots": {"<contest id>": {...}, ...} for a vote of several contests.
 * Ballots take the same path as a kiosk's (validation, code spent and ballot stored in one
 * transaction, a signed receipt), flagged "paper".  Receipts go to stdout, one JSON line each.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "formats/pb_json_ballot.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

struct cast_opts {
        const char *db, *key, *pass_file, *code, *ballot, *ballots, *sid, *file;
};

#define O struct cast_opts
static const struct cli_option cast_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box of an open election"),
        CLI_PATH("key", O, key, "ENGINE.key", "the engine key, which signs the receipts"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE",
                 "the engine key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_STRING("code", O, code, "CODE", "the voter code of the ballot"),
        CLI_STRING("ballot", O, ballot, "JSON",
                   "the ballot: {\"approvals\": [ids]}, {\"ranking\":\n[ids]} or "
                   "{\"points\": {id: n}}"),
        CLI_STRING("ballots", O, ballots, "JSON",
                   "a vote of several contests: a ballot per contest,\n{\"<contest id>\": {...}, ...}"),
        CLI_STRING("submission-id", O, sid, "HEX32", "the submission's id: a retry gets the same receipt"),
        CLI_PATH("file", O, file, "BALLOTS.jsonl",
                 "many ballots, one JSON line each, cast in group\ncommits"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_cast = {
        .name = "cast",
        .synopsis = "cast --db DB --key ENGINE.key --code CODE --ballot JSON [--submission-id HEX32]\n"
                    "cast --db DB --key ENGINE.key --code CODE --ballots JSON [--submission-id HEX32]\n"
                    "cast --db DB --key ENGINE.key --file BALLOTS.jsonl",
        .about = "Enters paper ballots through the normal cast path (flagged \"paper\").  A ballot is\n"
                 "{\"approvals\": [ids]}, {\"ranking\": [ids]} or {\"points\": {id: n}} as the election's "
                 "type says.\n"
                 "Each line of BALLOTS.jsonl is {\"ballot\": {...}, \"code\": \"...\"} (optionally "
                 "\"submission_id\");\n"
                 "in a vote of several contests, \"ballots\": {\"<contest id>\": {...}, ...} (--ballots) "
                 "instead.\n"
                 "Prints one receipt per ballot as a JSON line; refusals name the line and the reason.\n",
        .options = cast_options,
        .notes = "Exit status: 0 every ballot accepted, 1 some refused, 2 usage, 3 bad input, 4 storage.\n",
};

/* One parsed submission of the batch: its ballot storage. */
struct entry {
        struct pb_vote_ballots vb;
        char code[128];
        unsigned line;
};

/*
 * The ballots of @sub from @one (a "ballot": a vote of one contest) or @many ("ballots", one per
 * contest), exactly one of them, into @ent's storage (borrowed by @sub).
 */
static pb_err read_ballots(const struct pb_manifest *m, const cJSON *one, const cJSON *many,
                           struct entry *ent, struct pb_submission *sub, struct pb_diag *d)
{
        const struct pb_election *e = m->contests[0].election;
        size_t n = 0;
        pb_err r;

        if (!one == !many)
                return pb_diag_set(d, PB_ERR_PARSE, "$", "give either \"ballot\" or \"ballots\"");
        if (many) {
                r = pb_vote_ballots_read(m, many, "$.ballots", &ent->vb, d);
                sub->ballots = ent->vb.part;
                sub->n_ballots = ent->vb.n;
                return r;
        }
        if (m->n_contests > 1)
                return pb_diag_set(d, PB_ERR_PARSE, "$.ballot",
                                   "this vote has several contests: give \"ballots\", a ballot per contest");
        r = pb_ballot_json_read(e, one, "$.ballot", ent->vb.items, ent->vb.points, &n, d);
        sub->items = ent->vb.items;
        sub->points = pb_vote_type_has_points(e->vote_type) ? ent->vb.points : NULL;
        sub->n = n;
        return r;
}

static void print_receipt(const struct pb_box *b, const struct pb_cast_outcome *o)
{
        struct pb_buf out;
        struct pb_jw w;

        pb_buf_init(&out, 0);
        pb_jw_init(&w, &out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "commitment");
        pb_jw_hex(&w, o->receipt.commitment, 32);
        pb_jw_kv_string(&w, "election", pb_box_manifest(b)->election->id);
        pb_jw_kv_string(&w, "promise", o->receipt.promise);
        pb_jw_kv_int(&w, "promise_index", (int64_t)o->receipt.proof.index);
        pb_jw_key(&w, "promise_path");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < o->receipt.proof.path_len; i++)
                pb_jw_hex(&w, o->receipt.proof.path[i], 32);
        pb_jw_array_end(&w);
        pb_jw_kv_bool(&w, "replayed", o->replayed);
        pb_jw_kv_string(&w, "short_code", o->receipt.short_code);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) == PB_OK)
                printf("%s\n", out.data);
        pb_buf_release(&out);
}

static int parse_sid(const char *s, uint8_t out[16])
{
        size_t n = 0;

        if (strlen(s) != 32)
                return -1;
        for (size_t i = 0; i < 32; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return -1;
        return sodium_hex2bin(out, 16, s, 32, NULL, &n, NULL) == 0 && n == 16 ? 0 : -1;
}

/* Cast @n prepared submissions and report each; returns how many were refused, or -status. */
static int cast_batch(struct pb_box *b, struct pb_submission *subs, const struct entry *ents, size_t n,
                      const char *where)
{
        struct pb_cast_outcome *out = pb_calloc(n ? n : 1, sizeof(*out));
        struct pb_diag d;
        int refused = 0;
        pb_err r;

        if (!out)
                return -PB_EXIT_SOFTWARE;
        pb_diag_clear(&d);
        r = pb_box_cast(b, subs, n, out, &d);
        if (r < 0) {
                pb_free(out);
                return -cli_fail("database", r, &d);
        }
        for (size_t i = 0; i < n; i++) {
                if (out[i].status == PB_OK) {
                        print_receipt(b, &out[i]);
                        continue;
                }
                refused++;
                out[i].diag.line = ents[i].line;
                cli_report(where, &out[i].diag);
        }
        pb_free(out);
        return refused;
}

static int cast_one(struct pb_box *b, const char *code, const char *ballot, const char *ballots,
                    const char *sid)
{
        const struct pb_manifest *m = pb_box_manifest(b);
        struct pb_submission sub;
        struct entry ent;
        struct pb_diag d;
        cJSON *v = NULL;
        int rc;
        pb_err r;

        memset(&sub, 0, sizeof(sub));
        memset(&ent, 0, sizeof(ent));
        pb_diag_clear(&d);
        if (pb_vote_ballots_init(&ent.vb, m) < 0)
                return PB_EXIT_SOFTWARE;
        if (sid && parse_sid(sid, sub.submission_id) < 0) {
                fprintf(stderr, "pbvote cast: --submission-id must be 32 lowercase hex digits\n");
                rc = PB_EXIT_USAGE;
                goto out;
        }
        r = pb_json_parse(ballot ? ballot : ballots, strlen(ballot ? ballot : ballots), 5, &v, &d);
        if (r == PB_OK)
                r = read_ballots(m, ballot ? v : NULL, ballot ? NULL : v, &ent, &sub, &d);
        if (r < 0) {
                rc = cli_fail(ballot ? "--ballot" : "--ballots", r, &d);
                goto out;
        }
        sub.code = code;
        sub.code_len = strlen(code);
        sub.has_submission_id = sid != NULL;
        sub.channel = PB_CHANNEL_PAPER;
        rc = cast_batch(b, &sub, &ent, 1, "ballot");
        rc = rc < 0 ? -rc : rc ? PB_EXIT_FAIL : PB_EXIT_OK;
out:
        cJSON_Delete(v);
        pb_vote_ballots_release(&ent.vb);
        return rc;
}

static const struct pb_json_field line_fields[] = {
        { "ballot", PB_JSON_OBJECT, false }, { "ballots", PB_JSON_OBJECT, false },
        { "code", PB_JSON_STRING, true },    { "submission_id", PB_JSON_STRING, false },
        { NULL, PB_JSON_ANY, false },
};

/* One line of a ballot file (@n bytes at @start): its ballot(s) into @ent, its submission @sub. */
static pb_err read_line(const struct pb_manifest *m, const char *start, size_t n, struct entry *ent,
                        struct pb_submission *sub, struct pb_diag *d)
{
        const cJSON *v;
        cJSON *root = NULL;
        pb_err r;

        memset(sub, 0, sizeof(*sub));
        r = pb_json_parse(start, n, 7, &root, d);
        if (r == PB_OK)
                r = pb_json_check_object(root, line_fields, "$", d);
        if (r == PB_OK)
                r = read_ballots(m, cJSON_GetObjectItemCaseSensitive(root, "ballot"),
                                 cJSON_GetObjectItemCaseSensitive(root, "ballots"), ent, sub, d);
        if (r == PB_OK && (v = cJSON_GetObjectItemCaseSensitive(root, "submission_id"))) {
                if (parse_sid(v->valuestring, sub->submission_id) < 0)
                        r = pb_diag_set(d, PB_ERR_PARSE, "$.submission_id",
                                        "expected 32 lowercase hex digits");
                sub->has_submission_id = true;
        }
        if (r == PB_OK) {
                const char *code = cJSON_GetObjectItemCaseSensitive(root, "code")->valuestring;
                size_t cl = strlen(code);
                if (cl >= sizeof(ent->code))
                        cl = sizeof(ent->code) - 1;
                memcpy(ent->code, code, cl);
                ent->code[cl] = '\0';
        }
        cJSON_Delete(root);
        return r;
}

static int cast_file(struct pb_box *b, const char *path)
{
        const struct pb_manifest *m = pb_box_manifest(b);
        struct pb_submission *subs = pb_calloc(PB_BOX_BATCH_MAX, sizeof(*subs));
        struct entry *ents = pb_calloc(PB_BOX_BATCH_MAX, sizeof(*ents));
        char *data = NULL;
        size_t len = 0, k = 0, pos = 0;
        unsigned line = 0;
        int refused = 0, rc = PB_EXIT_OK;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!subs || !ents) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        for (size_t i = 0; i < PB_BOX_BATCH_MAX; i++)
                if (pb_vote_ballots_init(&ents[i].vb, m) < 0) {
                        rc = PB_EXIT_SOFTWARE;
                        goto out;
                }
        r = pb_file_read(path, PB_FILE_MAX, &data, &len, &d);
        if (r < 0) {
                rc = cli_fail(path, r, &d);
                goto out;
        }
        while (pos < len) {
                const char *start = data + pos, *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - start) : len - pos;
                struct entry *ent = &ents[k];
                struct pb_submission *sub = &subs[k];

                pos += n + (nl != NULL);
                line++;
                if (n == 0)
                        continue;
                r = read_line(m, start, n, ent, sub, &d);
                if (r < 0) {
                        d.line = line;
                        cli_report(path, &d);
                        pb_diag_clear(&d);
                        refused++;
                        continue;
                }
                sub->code = ent->code;
                sub->code_len = strlen(ent->code);
                sub->channel = PB_CHANNEL_PAPER;
                ent->line = line;
                if (++k == PB_BOX_BATCH_MAX) {
                        int x = cast_batch(b, subs, ents, k, path);
                        if (x < 0) {
                                rc = -x;
                                goto out;
                        }
                        refused += x;
                        k = 0;
                }
        }
        if (k) {
                int x = cast_batch(b, subs, ents, k, path);
                if (x < 0) {
                        rc = -x;
                        goto out;
                }
                refused += x;
        }
        rc = refused ? PB_EXIT_FAIL : PB_EXIT_OK;
out:
        for (size_t i = 0; ents && i < PB_BOX_BATCH_MAX; i++) {
                sodium_memzero(ents[i].code, sizeof(ents[i].code));
                pb_vote_ballots_release(&ents[i].vb);
        }
        if (data)
                sodium_memzero(data, len);
        pb_free(data);
        pb_free(ents);
        pb_free(subs);
        return rc;
}

int cmd_cast(int argc, char **argv)
{
        struct cast_opts o = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
        struct pb_key_secret *engine = NULL;
        struct cli_args args;
        struct pb_box *b = NULL;
        int rc;

        rc = cli_parse(&cli_cmd_cast, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (o.file && (o.code || o.ballot || o.ballots || o.sid))
                return cli_usage_error(&cli_cmd_cast,
                                       "--file excludes --code, --ballot, --ballots and --submission-id");
        if (o.ballot && o.ballots)
                return cli_usage_error(&cli_cmd_cast, "--ballot and --ballots exclude each other");
        if (!o.file && (!o.code || (!o.ballot && !o.ballots)))
                return cli_missing(
                        &cli_cmd_cast,
                        "--code CODE and --ballot JSON (or --ballots JSON), or --file BALLOTS.jsonl");
        rc = cli_box_open(&cli_cmd_cast, o.db, &b);
        if (rc)
                return rc;
        rc = cli_box_engine(b, o.key, o.pass_file, &engine);
        if (rc == PB_EXIT_OK)
                rc = o.file ? cast_file(b, o.file) : cast_one(b, o.code, o.ballot, o.ballots, o.sid);
        cli_key_free(engine);
        pb_box_free(b);
        return rc;
}
