/**
 * @file `pbvote demo --db DIR/ID.db`: a ready, open election a person can vote on, from the bundled
 * real election (Warsaw-Rembertów 2023, docs/examples): the keys, the box, 50 voter codes, one token
 * per role, and DIR/demo.json (DESIGN.md §5.2) next to the box.  `pbvote serve --demo` calls the
 * same.  Demo keys are NOT encrypted: a demo is for trying pbvote, never for a real vote.
 *
 * The election's id is the file's name without ".db": `pbvote serve` serves every DIR/<id>.db
 * and refuses a box whose file name is not its election's id (clients find an election by the
 * name its signed documents carry), so a demo made under any other name could not be served.
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

#define DEMO_CODES 50
#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

struct demo_opts {
        const char *db;
};

static const struct cli_option demo_options[] = {
        CLI_PATH("db", struct demo_opts, db, "DIR/ID.db", "the new ballot box; ID becomes the election's id"),
        CLI_END,
};

const struct cli_command cli_cmd_demo = {
        .name = "demo",
        .synopsis = "demo --db DIR/ID.db",
        .about =
                "Creates a ready, open election from the bundled Warsaw-Rembertow 2023 participatory budget\n"
                "(38 projects, approval ballots, greedy): the ballot box DIR/ID.db, whose election is named\n"
                "ID so that `pbvote serve --db DIR/ID.db` serves it, unencrypted engine and office keys in\n"
                "DIR, 50 voter codes and one API token per role, all listed in DIR/demo.json.\n"
                "Residents may vote on its page with a demo code alone (web voting), the projects shuffled.\n"
                "For trying pbvote only: the keys are not protected by a passphrase.\n",
        .options = demo_options,
};

/*
 * The id of the demo at @db: its file name without folders and ".db".  The server's rule for ids
 * (api/routes.c, api/store.c): 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.
 */
static int demo_id(const char *db, char id[65])
{
        const char *base = strrchr(db, '/');
        size_t n;

        base = base ? base + 1 : db;
        n = strlen(base);
        if (n < 4 || strcmp(base + n - 3, ".db")) {
                fprintf(stderr,
                        "pbvote demo: %s: the file name must end in .db (pbvote serve serves DIR/<id>.db)\n",
                        db);
                return PB_EXIT_USAGE;
        }
        n -= 3;
        if (n > 64 || base[0] == '.' || strspn(base, ID_CHARS) < n) {
                fprintf(stderr,
                        "pbvote demo: %s: the file name names the election: 1 to 64 letters, digits,\n"
                        "'.', '_' or '-' before .db, not starting with '.'\n",
                        db);
                return PB_EXIT_USAGE;
        }
        memcpy(id, base, n);
        id[n] = '\0';
        return 0;
}

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
        if (cli_key_first_warning(path))
                fprintf(stderr,
                        "pbvote: WARNING: %s is a demo key WITHOUT a passphrase: never use it for a real "
                        "vote\n",
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

/* The demo's ballot box, open, and the keys it holds (borrowed by the box: freed after it). */
struct demo {
        struct pb_key_secret *engine, *office;
        struct pb_box *box;
};

static void demo_release(struct demo *dm)
{
        pb_box_free(dm->box);
        cli_key_free(dm->engine);
        cli_key_free(dm->office);
}

/* The box @db of election @id, opened with the keys of @dir (made when missing). */
static int demo_box(const char *db, const char *dir, const char *id, struct demo *dm)
{
        char path[4096];
        struct pb_election *e = NULL;
        struct pb_manifest *m = NULL;
        struct pb_rule rule;
        struct pb_diag d;
        pb_err r;
        int rc;

        if ((rc = demo_key(dir, "engine.key", PB_KEY_ROLE_ENGINE)) ||
            (rc = demo_key(dir, "office.key", PB_KEY_ROLE_OFFICE)))
                return rc;
        snprintf(path, sizeof(path), "%s/engine.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_ENGINE, NULL, &dm->engine)))
                return rc;
        snprintf(path, sizeof(path), "%s/office.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_OFFICE, NULL, &dm->office)))
                return rc;
        pb_diag_clear(&d);
        r = pb_format_pb_parse((const char *)pb_demo_election, pb_demo_election_len, &e, NULL, &d);
        if (r == PB_OK)
                r = pb_rule_for_election(e, &rule, &d);
        if (r == PB_OK)
                r = pb_manifest_from_pb(e, id, &rule, &m, &d);
        if (r == PB_OK)
                demo_pages(m);
        if (r == PB_OK)
                r = pb_box_create(db, m, &dm->box, &d);
        if (r == PB_OK)
                r = pb_box_set_engine_key(dm->box, dm->engine, &d);
        if (r == PB_OK)
                r = pb_box_election_open(dm->box, dm->office, &d);
        pb_manifest_free(m);
        pb_election_free(e);
        return r < 0 ? cli_fail(db, r, &d) : PB_EXIT_OK;
}

/* @json_path: the election's id, its voter codes and one token per role (DESIGN.md §5.2). */
static int demo_json(const struct demo *dm, const char *dir, const char *id, const char *json_path)
{
        char admin[65], kiosk[PB_TOKEN_TEXT_LEN + 1], auditor[PB_TOKEN_TEXT_LEN + 1];
        struct pb_buf json;
        struct pb_jw w;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        pb_buf_init(&json, 0);
        pb_jw_init(&w, &json);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "codes");
        pb_jw_array_begin(&w);
        r = pb_box_codes_issue(dm->box, DEMO_CODES, add_code, &w, &d);
        pb_jw_array_end(&w);
        if (r == PB_OK)
                r = pb_box_token_create(dm->box, PB_ROLE_KIOSK, "demo kiosk", kiosk, NULL, &d);
        if (r == PB_OK)
                r = pb_box_token_create(dm->box, PB_ROLE_AUDITOR, "demo auditor", auditor, NULL, &d);
        if (r == PB_OK)
                r = pb_admin_token_create(dir, "demo admin", admin, &d);
        if (r == PB_OK) {
                pb_jw_kv_string(&w, "election", id);
                pb_jw_key(&w, "tokens");
                pb_jw_object_begin(&w);
                pb_jw_kv_string(&w, "admin", admin);
                pb_jw_kv_string(&w, "auditor", auditor);
                pb_jw_kv_string(&w, "kiosk", kiosk);
                pb_jw_object_end(&w);
                pb_jw_object_end(&w);
                r = pb_jw_finish(&w);
        }
        if (r == PB_OK)
                r = pb_buf_addc(&json, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(json_path, json.data, json.len, &d);
        sodium_memzero(admin, sizeof(admin));
        sodium_memzero(kiosk, sizeof(kiosk));
        sodium_memzero(auditor, sizeof(auditor));
        if (json.data)
                sodium_memzero(json.data, json.len);
        pb_buf_release(&json);
        return r < 0 ? cli_fail(json_path, r, &d) : PB_EXIT_OK;
}

int cli_demo_create(const char *db, char *ret_json_path, size_t cap)
{
        char dir_buf[4096], id[65];
        struct demo dm = { NULL, NULL, NULL };
        const char *dir;
        int rc;

        if ((rc = demo_id(db, id)))
                return rc;
        snprintf(dir_buf, sizeof(dir_buf), "%s", db);
        dir = dirname(dir_buf);
        /* demo.json holds the tokens and unused voter codes, the box the ballots: every file made
         * here is the owner's only (issue 11) */
        umask(077);
        snprintf(ret_json_path, cap, "%s/demo.json", dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                fprintf(stderr, "pbvote demo: cannot create %s: %s\n", dir, strerror(errno));
                return PB_EXIT_INPUT;
        }
        rc = demo_box(db, dir, id, &dm);
        if (rc == PB_EXIT_OK)
                rc = demo_json(&dm, dir, id, ret_json_path);
        demo_release(&dm);
        return rc;
}

/*
 * The demo of a vote of several contests (`pbvote serve --demo`, docs/pages.md): a city-wide
 * contest that may be skipped and two districts, each with another ballot type, web voting and a
 * shuffled order.  Invented projects: no real city's vote of this form is bundled.
 */
#define CITY_ID "demo-city-2026"
#define CITY_CODES 25 /* per district */
static const char city_manifest[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"" CITY_ID "\",\"title\":{\"en\":\"Demo city budget "
        "2026: city-wide and districts\",\"pl\":\"Demo: budżet miasta 2026, ogólnomiejski i "
        "dzielnicowy\"},\"currency\":\"PLN\",\"scale\":0,\"contests\":["
        "{\"id\":\"city\",\"title\":{\"en\":\"City-wide projects\",\"pl\":\"Projekty "
        "ogólnomiejskie\"},\"optional\":true,\"budget\":2000000,\"projects\":["
        "{\"id\":\"C1\",\"cost\":900000,\"name\":{\"en\":\"Green tram stops\",\"pl\":\"Zielone "
        "przystanki\"}},"
        "{\"id\":\"C2\",\"cost\":700000,\"name\":{\"en\":\"Night bus line\",\"pl\":\"Nocna linia "
        "autobusowa\"}},"
        "{\"id\":\"C3\",\"cost\":500000,\"name\":{\"en\":\"Free summer pools\",\"pl\":\"Bezpłatne "
        "baseny latem\"}},"
        "{\"id\":\"C4\",\"cost\":400000,\"name\":{\"en\":\"Trees along the river\",\"pl\":\"Drzewa "
        "nad rzeką\"}}],"
        "\"ballot\":{\"type\":\"approval\",\"max_sum_cost\":2000000},\"rule\":{\"name\":\"greedy\","
        "\"tie_break\":\"lexico\"}},"
        "{\"id\":\"north\",\"title\":{\"en\":\"North district\",\"pl\":\"Dzielnica "
        "Północ\"},\"budget\":300000,\"projects\":["
        "{\"id\":\"N1\",\"cost\":150000,\"name\":{\"en\":\"Playground on Lipowa "
        "Street\",\"pl\":\"Plac zabaw przy Lipowej\"}},"
        "{\"id\":\"N2\",\"cost\":100000,\"name\":{\"en\":\"Benches in the "
        "park\",\"pl\":\"Ławki w parku\"}},"
        "{\"id\":\"N3\",\"cost\":120000,\"name\":{\"en\":\"Safe school "
        "crossing\",\"pl\":\"Bezpieczne przejście przy szkole\"}}],"
        "\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\","
        "\"tie_break\":\"lexico\"}},"
        "{\"id\":\"south\",\"title\":{\"en\":\"South district\",\"pl\":\"Dzielnica "
        "Południe\"},\"budget\":300000,\"projects\":["
        "{\"id\":\"S1\",\"cost\":200000,\"name\":{\"en\":\"Library reading "
        "garden\",\"pl\":\"Ogród czytelniczy przy bibliotece\"}},"
        "{\"id\":\"S2\",\"cost\":90000,\"name\":{\"en\":\"Street lights on Polna\",\"pl\":\"Latarnie "
        "na Polnej\"}},"
        "{\"id\":\"S3\",\"cost\":60000,\"name\":{\"en\":\"Bike repair station\",\"pl\":\"Stacja "
        "naprawy rowerów\"}}],"
        "\"ballot\":{\"type\":\"cumulative\",\"max_sum_points\":5,\"max_points\":3},"
        "\"rule\":{\"name\":\"greedy\",\"score\":\"points\",\"tie_break\":\"lexico\"}}]}";

/* CITY_CODES codes for the city-wide contest and district @district, as "district": [codes]. */
static pb_err city_codes(struct pb_box *b, const char *district, struct pb_jw *w, struct pb_diag *d)
{
        const char *const ids[2] = { "city", district };
        pb_err r;

        pb_jw_key(w, district);
        pb_jw_array_begin(w);
        r = pb_box_codes_issue_for(b, CITY_CODES, ids, 2, add_code, w, d);
        pb_jw_array_end(w);
        return r;
}

/* The vote of several contests in DIR/CITY_ID.db, opened with @dm's keys; its codes per
 * district in @json_path. */
static pb_err city_vote(const struct demo *dm, const char *db, const char *json_path, struct pb_diag *d)
{
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_buf json;
        struct pb_jw w;
        pb_err r = pb_manifest_parse(city_manifest, sizeof(city_manifest) - 1, &m, d);

        pb_buf_init(&json, 0);
        pb_jw_init(&w, &json);
        if (r == PB_OK)
                demo_pages(m);
        if (r == PB_OK)
                r = pb_box_create(db, m, &b, d);
        if (r == PB_OK)
                r = pb_box_set_engine_key(b, dm->engine, d);
        if (r == PB_OK)
                r = pb_box_election_open(b, dm->office, d);
        pb_jw_object_begin(&w); /* canonical JSON: keys in order */
        pb_jw_key(&w, "codes");
        pb_jw_object_begin(&w);
        if (r == PB_OK)
                r = city_codes(b, "north", &w, d);
        if (r == PB_OK)
                r = city_codes(b, "south", &w, d);
        pb_jw_object_end(&w);
        pb_jw_kv_string(&w, "election", CITY_ID);
        pb_jw_object_end(&w);
        if (r == PB_OK)
                r = pb_jw_finish(&w);
        if (r == PB_OK)
                r = pb_buf_addc(&json, '\n');
        if (r == PB_OK)
                r = pb_file_write_atomic(json_path, json.data, json.len, d);
        if (json.data)
                sodium_memzero(json.data, json.len);
        pb_buf_release(&json);
        pb_box_free(b);
        pb_manifest_free(m);
        return r;
}

int cli_demo_city_create(const char *dir, char *ret_json_path, size_t cap)
{
        char db[4200], path[4200];
        struct demo dm = { NULL, NULL, NULL };
        struct pb_diag d;
        pb_err r;
        int rc;

        umask(077);
        snprintf(db, sizeof(db), "%s/" CITY_ID ".db", dir);
        snprintf(ret_json_path, cap, "%s/demo-city.json", dir);
        snprintf(path, sizeof(path), "%s/engine.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_ENGINE, NULL, &dm.engine)))
                return rc;
        snprintf(path, sizeof(path), "%s/office.key", dir);
        if ((rc = cli_key_load(path, PB_KEY_ROLE_OFFICE, NULL, &dm.office))) {
                demo_release(&dm);
                return rc;
        }
        pb_diag_clear(&d);
        r = city_vote(&dm, db, ret_json_path, &d);
        demo_release(&dm);
        return r < 0 ? cli_fail(db, r, &d) : PB_EXIT_OK;
}

int cmd_demo(int argc, char **argv)
{
        struct demo_opts o = { NULL };
        struct cli_args args;
        char json_path[4096];
        int rc;

        rc = cli_parse(&cli_cmd_demo, argc, argv, &o, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (!o.db)
                return cli_missing(&cli_cmd_demo, "--db DIR/ID.db");
        rc = cli_demo_create(o.db, json_path, sizeof(json_path));
        if (rc == 0)
                printf("pbvote: the demo election is open; tokens and voter codes are in %s\n", json_path);
        return rc;
}
