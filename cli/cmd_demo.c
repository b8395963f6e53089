/**
 * @file `pbvote demo --db FILE`: a ready, open election a person can vote on, from the bundled real
 * election (Warsaw-Rembertów 2023, docs/examples): the keys, the box, 50 voter codes, one token per
 * role, and DIR/demo.json (DESIGN.md §5.2) next to FILE.  `pbvote serve --demo` calls the same.
 * Demo keys are NOT encrypted: a demo is for trying pbvote, never for a real vote.
 */
#include <errno.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_admin_tokens.h"
#include "ballots/pb_box.h"
#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "formats/pb_keyfile.h"
#include "formats/pb_manifest.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_canon.h"

extern const unsigned char pb_demo_election[];
extern const size_t pb_demo_election_len;

#define DEMO_ID "warszawa-rembertow-2023"
#define DEMO_CODES 50

static const char usage_text[] =
        "usage: pbvote demo --db FILE\n"
        "\n"
        "Create a ready, open election from the bundled Warsaw-Rembertow 2023 participatory budget\n"
        "(38 projects, approval ballots, greedy): FILE (the ballot box), unencrypted engine and office\n"
        "keys, 50 voter codes and one API token per role, all listed in demo.json next to FILE.\n"
        "Residents may vote on its page with a demo code alone (web voting), the projects shuffled.\n"
        "For trying pbvote only: the keys are not protected by a passphrase.\n";

static pb_err add_code(void *ctx, const struct pb_code *code)
{
        struct pb_jw *w = ctx;
        char printed[PB_CODE_PRINT_MAX + 1];

        pb_code_print(code, printed, sizeof(printed));
        pb_jw_string(w, printed);
        return w->err;
}

static int demo_key(const char *dir, const char *name, enum pb_key_role role)
{
        char path[4096];
        struct pb_diag d;
        pb_err r;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (access(path, F_OK) == 0)
                return 0;
        pb_diag_clear(&d);
        r = pb_keyfile_create(path, role,
                              role == PB_KEY_ROLE_ENGINE ? "pbvote-demo-engine" : "pbvote-demo-office", NULL,
                              0, NULL, PB_KEYFILE_UNENCRYPTED, NULL, &d);
        if (r < 0)
                return cli_fail(path, r, &d);
        fprintf(stderr,
                "pbvote: WARNING: %s is a demo key WITHOUT a passphrase: never use it for a real vote\n",
                path);
        return 0;
}

/* The demo is for trying the pages too (docs/pages.md): residents may vote from home with a demo
 * code alone, and each sees the projects in an order of their own, shuffled from a fresh seed. */
static void demo_pages(struct pb_manifest *m)
{
        uint8_t seed[32];

        randombytes_buf(seed, sizeof(seed));
        sodium_bin2hex(m->order_seed, sizeof(m->order_seed), seed, sizeof(seed));
        m->shuffled = true;
        m->web_voting = true;
}

int cli_demo_create(const char *db, char *ret_json_path, size_t cap)
{
        char dir_buf[4096], path[4096], admin[65], kiosk[PB_TOKEN_TEXT_LEN + 1],
                auditor[PB_TOKEN_TEXT_LEN + 1];
        const char *dir;
        struct pb_election *e = NULL;
        struct pb_manifest *m = NULL;
        struct pb_key_secret *engine = NULL, *office = NULL;
        struct pb_box *box = NULL;
        struct pb_rule rule;
        struct pb_buf json;
        struct pb_jw w;
        struct pb_diag d;
        pb_err r = PB_OK;
        int rc = 0;

        snprintf(dir_buf, sizeof(dir_buf), "%s", db);
        dir = dirname(dir_buf);
        /* demo.json holds the tokens and unused voter codes, the box the ballots: every file made
         * here is the owner's only (issue 11) */
        umask(077);
        snprintf(ret_json_path, cap, "%s/demo.json", dir);
        pb_buf_init(&json, 0);
        pb_diag_clear(&d);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                fprintf(stderr, "pbvote demo: cannot create %s\n", dir);
                return PB_EXIT_INPUT;
        }
        if ((rc = demo_key(dir, "engine.key", PB_KEY_ROLE_ENGINE)) ||
            (rc = demo_key(dir, "office.key", PB_KEY_ROLE_OFFICE)))
                return rc;
        snprintf(path, sizeof(path), "%s/engine.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_ENGINE, NULL, &engine)))
                goto out;
        snprintf(path, sizeof(path), "%s/office.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_OFFICE, NULL, &office)))
                goto out;
        r = pb_format_pb_parse((const char *)pb_demo_election, pb_demo_election_len, &e, NULL, &d);
        if (r == PB_OK)
                r = pb_rule_for_election(e, &rule, &d);
        if (r == PB_OK)
                r = pb_manifest_from_pb(e, DEMO_ID, &rule, &m, &d);
        if (r == PB_OK)
                demo_pages(m);
        if (r == PB_OK)
                r = pb_box_create(db, m, &box, &d);
        if (r == PB_OK)
                r = pb_box_set_engine_key(box, engine, &d);
        if (r == PB_OK)
                r = pb_box_election_open(box, office, &d);
        if (r < 0) {
                rc = cli_fail(db, r, &d);
                goto out;
        }
        pb_jw_init(&w, &json);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "codes");
        pb_jw_array_begin(&w);
        r = pb_box_codes_issue(box, DEMO_CODES, add_code, &w, &d);
        pb_jw_array_end(&w);
        if (r == PB_OK)
                r = pb_box_token_create(box, PB_ROLE_KIOSK, "demo kiosk", kiosk, NULL, &d);
        if (r == PB_OK)
                r = pb_box_token_create(box, PB_ROLE_AUDITOR, "demo auditor", auditor, NULL, &d);
        if (r == PB_OK)
                r = pb_admin_token_create(dir, "demo admin", admin, &d);
        if (r < 0) {
                rc = cli_fail(db, r, &d);
                goto out;
        }
        pb_jw_kv_string(&w, "election", DEMO_ID);
        pb_jw_key(&w, "tokens");
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "admin", admin);
        pb_jw_kv_string(&w, "auditor", auditor);
        pb_jw_kv_string(&w, "kiosk", kiosk);
        pb_jw_object_end(&w);
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
        if (r == PB_OK)
                r = pb_buf_addc(&json, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(ret_json_path, json.data, json.len, &d);
        if (r < 0)
                rc = cli_fail(ret_json_path, r, &d);
out:
        sodium_memzero(admin, sizeof(admin));
        sodium_memzero(kiosk, sizeof(kiosk));
        sodium_memzero(auditor, sizeof(auditor));
        if (json.data)
                sodium_memzero(json.data, json.len);
        pb_buf_release(&json);
        pb_box_free(box);
        pb_manifest_free(m);
        pb_election_free(e);
        cli_key_free(engine);
        cli_key_free(office);
        return rc;
}

int cmd_demo(int argc, char **argv)
{
        const char *db = NULL;
        const struct cli_opt opts[] = { { "--db", &db, NULL }, { NULL, NULL, NULL } };
        char json_path[4096];
        int rc, n = 0;

        rc = cli_parse(argc, argv, opts, NULL, 0, &n, usage_text);
        if (rc)
                return rc;
        if (!db) {
                fputs(usage_text, stderr);
                return PB_EXIT_USAGE;
        }
        rc = cli_demo_create(db, json_path, sizeof(json_path));
        if (rc == 0)
                printf("pbvote: demo election %s is open; tokens and voter codes are in %s\n", DEMO_ID,
                       json_path);
        return rc;
}
