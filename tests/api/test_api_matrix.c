/**
 * @file Every role x route x state cell of the HTTP API (verifiability.md §6.2): the status each
 * request gets is compared with the access rules below, exactly.  A request that succeeds and
 * changes something runs on a fresh election brought to that state, so no cell sees another's effect.
 */
#include <cjson/cJSON.h>
#include <sodium.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "check.h"

enum state { S_DRAFT, S_OPEN, S_SUSPENDED, S_CLOSED, S_TALLIED, S_CERTIFIED, S_COUNT };
static const char *const state_names[] = { "draft", "open", "suspended", "closed", "tallied", "certified" };

enum who { W_NONE, W_FORGED, W_SERVER_ADMIN, W_ADMIN, W_KIOSK, W_AUDITOR, W_COUNT };
static const char *const who_names[] = { "none", "forged", "server-admin", "admin", "kiosk", "auditor" };

struct route {
        const char *method, *path; /* path after /v1/elections/<id> ("" for the election itself) */
        unsigned roles;            /* bits of who may (W_*); 0: anyone */
        bool mutates;              /* a success changes the election */
        bool body;                 /* sends a JSON body */
};

#define R(w) (1u << (w))
#define ADMINS (R(W_SERVER_ADMIN) | R(W_ADMIN))

static const struct route routes[] = {
        { "GET", "", 0, false, false },
        { "PUT", "", ADMINS, true, true },
        { "DELETE", "", ADMINS, true, false },
        { "POST", "/open", ADMINS, true, false },
        { "POST", "/suspend", ADMINS, true, false },
        { "POST", "/resume", ADMINS, true, false },
        { "POST", "/close", ADMINS, true, false },
        { "POST", "/codes", ADMINS, true, true },
        { "POST", "/ballots", R(W_KIOSK), true, true },
        { "GET", "/receipts/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0, false,
          false },
        { "GET", "/receipts/00000-00000", 0, false, false }, /* a short code (issue 13) */
        { "GET", "/checkpoint", 0, false, false },
        { "POST", "/tally", ADMINS, true, false },
        { "GET", "/result", 0, false, false },
        { "GET", "/export", ADMINS | R(W_AUDITOR), false, false },
        { "GET", "/turnout", 0, false, false },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* The access rules: what each cell must answer. */
static int expected(const struct route *r, enum who w, enum state s)
{
        const char *p = r->path;
        bool after_close = s >= S_CLOSED, tallied = s >= S_TALLIED;

        if (r->roles && !(r->roles & R(w)))
                return w == W_NONE || w == W_FORGED ? 401 : 403;
        if (!strcmp(r->method, "PUT") || !strcmp(r->method, "DELETE"))
                return s == S_DRAFT ? 200 : 409; /* only a draft's manifest changes, only a draft goes */
        if (!strcmp(p, "/open"))
                return s == S_DRAFT ? 200 : 409;
        if (!strcmp(p, "/suspend"))
                return s == S_OPEN ? 200 : 409;
        if (!strcmp(p, "/resume"))
                return s == S_SUSPENDED ? 200 : 409;
        if (!strcmp(p, "/close"))
                return s == S_OPEN || s == S_SUSPENDED ? 200 : 409;
        if (!strcmp(p, "/codes"))
                return after_close ? 409 : 201;
        if (!strcmp(p, "/ballots"))
                return s == S_OPEN ? 201 : 409;
        if (!strncmp(p, "/receipts/", 10))
                return 404; /* no such commitment or short code, in every state */
        if (!strcmp(p, "/checkpoint"))
                return s == S_DRAFT ? 404 : 200;
        if (!strcmp(p, "/tally"))
                return after_close ? 200 : 409;
        if (!strcmp(p, "/result"))
                return tallied ? 200 : 404;
        if (!strcmp(p, "/export"))
                return tallied ? 200 : 409;
        return 200; /* the election, turnout */
}

static struct fixture fx;
static unsigned n_elections;

struct election {
        char id[32];
        char admin[PB_TOKEN_TEXT_LEN + 1], kiosk[PB_TOKEN_TEXT_LEN + 1], auditor[PB_TOKEN_TEXT_LEN + 1];
        char codes[8][32];
        unsigned next_code;
};

static int must(int got, int want, const char *what)
{
        if (got != want)
                fprintf(stderr, "setup: %s gave %d, expected %d\n", what, got, want);
        return got == want ? 0 : -1;
}

static int cast(struct election *e, const char *code, unsigned sid, char *out, size_t cap)
{
        char body[512], path[96];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}", code,
                 sid);
        snprintf(path, sizeof(path), "/v1/elections/%s/ballots", e->id);
        return call(&fx, "POST", path, e->kiosk, body, out, cap);
}

/* A new election in state @s, with tokens of every role and unused codes. */
static int make(struct election *e, enum state s)
{
        char manifest[2048], path[400], out[65536];
        struct pb_box *b = NULL;
        int k = 0;

        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "m%u", n_elections++);
        snprintf(manifest, sizeof(manifest), fixture_manifest, e->id, e->id);
        if (must(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201, "create"))
                return -1;
        snprintf(path, sizeof(path), "%s/%s.db", fx.dir, e->id);
        if (pb_box_open(path, &b, NULL) < 0)
                return -1;
        if (pb_box_token_create(b, PB_ROLE_ADMIN, "", e->admin, NULL, NULL) < 0 ||
            pb_box_token_create(b, PB_ROLE_KIOSK, "", e->kiosk, NULL, NULL) < 0 ||
            pb_box_token_create(b, PB_ROLE_AUDITOR, "", e->auditor, NULL, NULL) < 0) {
                pb_box_free(b);
                return -1;
        }
        pb_box_free(b);
        snprintf(path, sizeof(path), "/v1/elections/%s/codes", e->id);
        if (must(call(&fx, "POST", path, fx.admin, "{\"count\":8}", out, sizeof(out)), 201, "codes"))
                return -1;
        k = fixture_take_codes(out, e->codes, 8);
        if (k != 8 || s == S_DRAFT)
                return k == 8 ? 0 : -1;
        snprintf(path, sizeof(path), "/v1/elections/%s/open", e->id);
        if (must(call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out)), 200, "open"))
                return -1;
        if (must(cast(e, e->codes[e->next_code++], 1, out, sizeof(out)), 201, "cast"))
                return -1;
        if (s == S_OPEN)
                return 0;
        snprintf(path, sizeof(path), "/v1/elections/%s/%s", e->id, s == S_SUSPENDED ? "suspend" : "close");
        if (must(call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out)), 200, "suspend/close"))
                return -1;
        if (s <= S_CLOSED)
                return 0;
        snprintf(path, sizeof(path), "/v1/elections/%s/tally", e->id);
        if (must(call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out)), 200, "tally"))
                return -1;
        if (s == S_CERTIFIED) {
                /* the finance office certifies on its own machine (`pbvote certify`) */
                struct pb_buf result, cert;
                pb_err r;

                snprintf(path, sizeof(path), "%s/%s.db", fx.dir, e->id);
                if (pb_box_open(path, &b, NULL) < 0)
                        return -1;
                pb_buf_init(&result, 0);
                pb_buf_init(&cert, 0);
                r = pb_box_document(b, PB_BOX_DOC_RESULT, &result, NULL);
                if (r == PB_OK)
                        r = pb_box_certify(b, result.data, result.len, &fx.office, "2099-12-31T23:59:59Z",
                                           &cert, NULL);
                pb_box_free(b);
                pb_buf_release(&result);
                pb_buf_release(&cert);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static const char *token_of(const struct election *e, enum who w)
{
        switch (w) {
        case W_FORGED: return "0000000000000000000000000000000000000000000000000000000000000000";
        case W_SERVER_ADMIN: return fx.admin;
        case W_ADMIN: return e->admin;
        case W_KIOSK: return e->kiosk;
        case W_AUDITOR: return e->auditor;
        default: return NULL;
        }
}

static void probe(struct election *shared, const struct route *r, enum who w, enum state s, unsigned *cells)
{
        struct election fresh, *e = shared;
        char path[160], body[2048];
        static char out[1 << 20];
        const char *json = NULL;
        int want = expected(r, w, s), got;

        if (r->mutates && want / 100 == 2) {
                if (make(&fresh, s) < 0) {
                        CHECK_FAIL("cannot set up an election");
                        return;
                }
                e = &fresh;
        }
        snprintf(path, sizeof(path), "/v1/elections/%s%s", e->id, r->path);
        if (!strcmp(r->path, "/codes"))
                json = "{\"count\":2}";
        if (!strcmp(r->method, "PUT")) {
                snprintf(body, sizeof(body), fixture_manifest, e->id, e->id);
                json = body;
        }
        if (!strcmp(r->path, "/ballots")) {
                if (e->next_code >= 8) {
                        CHECK_FAIL("out of codes");
                        return;
                }
                snprintf(body, sizeof(body),
                         "{\"ballot\":{\"approvals\":[\"p2\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                         e->codes[e->next_code], 1000 + e->next_code);
                if (want / 100 == 2)
                        e->next_code++;
                json = body;
        }
        got = call(&fx, r->method, path, token_of(e, w), json, out, sizeof(out));
        (*cells)++;
        CHECK_INT(got, want);
        if (got != want)
                fprintf(stderr, "  cell: %s %s as %s in %s: %d, expected %d\n", r->method,
                        r->path[0] ? r->path : "/", who_names[w], state_names[s], got, want);
        /* never a partial result while open: no winners, no money spent, no per-project count */
        if (s <= S_SUSPENDED && got == 200 && !strcmp(r->method, "GET"))
                CHECK(!strstr(out, "\"winners\"") && !strstr(out, "\"spent\"") &&
                      !strstr(out, "\"tallies\"") &&
                      !strstr(out, "\"payloadType\":\"application/vnd.pbvote.result"));
}

int main(void)
{
        struct election shared[S_COUNT];
        unsigned cells = 0;

        if (sodium_init() < 0 || fixture_start(&fx, true) < 0)
                return 1;
        for (int s = 0; s < S_COUNT; s++)
                if (make(&shared[s], (enum state)s) < 0) {
                        fprintf(stderr, "cannot make a %s election\n", state_names[s]);
                        return 1;
                }
        for (int s = 0; s < S_COUNT; s++)
                for (size_t r = 0; r < N_ROUTES; r++)
                        for (int w = 0; w < W_COUNT; w++)
                                probe(&shared[s], &routes[r], (enum who)w, (enum state)s, &cells);
        fprintf(stderr, "%u cells (%zu routes x %d roles x %d states), %u elections\n", cells, N_ROUTES,
                W_COUNT, S_COUNT, n_elections);
        CHECK_INT(cells, N_ROUTES * W_COUNT * S_COUNT);
        fixture_stop(&fx);
        return check_summary("api-matrix");
}
