/**
 * @file Fuzz target: the HTTP API without sockets (issue 16, campaign 6).  pb_api_dispatch() on an
 * API made once over a data folder of its own (under $TMPDIR, else /dev/shm, else /tmp) holding
 * four elections with tokens of every role and voter codes:
 *   one    a vote of one contest, open, web voting allowed, one ballot cast (its code: $spent)
 *   metro  three contests (city, north, south), open, double entry of papers
 *   draft  a draft of one contest
 *   done   a vote of one contest, two ballots, closed and tallied (their receipt: $commitment)
 *
 * An input is a request written like HTTP/1.1 (tests/fuzz/corpus/api holds real ones):
 *   METHOD PATH\n
 *   Header: value\n          Authorization, Content-Type, Origin, If-None-Match,
 *   ...                      Access-Control-Request-Method, X-Client (the client's address)
 *   \n
 *   body
 * in which $name stands for a secret of the folder (substitutions[] below): a token of each role
 * ("Bearer $kiosk-one"), a fresh voter code of each kind ($code-one, $code-north, $code-south: a
 * new one each time, so that casts succeed), a spent one, a real receipt's commitment.
 *
 * Invariants (abort() when broken): every answer is complete (a status of 200..599 and a body, a
 * stream or a built-in page; 204 and 304 may be empty); a problem document is valid JSON with its
 * type, title and the answer's status; every other JSON answer parses; every failure of the API
 * (/v1/...) is a problem document; a streamed body (the export) reads to its announced size; a
 * cast (ballots, paper) answered 201 adds exactly one ballot to its election's turnout and any
 * other answer none.  Leaks: LeakSanitizer.
 *
 * The folder grows with what the inputs do: after an input that changed more than ballots and
 * codes (an election created, deleted, opened, closed, tallied...), every RESET_EVERY inputs, and
 * when a pool of codes runs out, the API is freed and the folder copied back from the template made
 * at the start.  An input's outcome depends on that state (a code's
 * second use is a replay): libFuzzer tolerates it.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/pb_api.h"
#include "ballots/pb_admin_tokens.h"
#include "ballots/pb_box.h"
#include "engine/pb_buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESET_EVERY 512
#define POOL 600 /* fresh codes of each kind in the template */
#define TOKEN_MAX (PB_TOKEN_TEXT_LEN + 1)

static const char one_manifest[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":4,\"budget\":"
        "45000000,\"currency\":\"EUR\",\"id\":\"%s\",\"origin\":\"pbvote/%s/ballots\",\"projects\":["
        "{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},{\"cost\":15000000,\"id\":\"p2\",\"name\":"
        "\"Bikes\"},{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}],\"rule\":{\"name\":\"greedy\","
        "\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,\"title\":\"Test budget\","
        "\"type\":\"pbvote.manifest/v1\"%s}";

static const char metro_manifest[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"metro\",\"title\":{\"en\":\"Metro "
        "2026\",\"pl\":\"Metro\"},"
        "\"currency\":\"EUR\",\"scale\":2,\"batch_min\":4,\"double_entry\":true,\"contests\":["
        "{\"id\":\"city\",\"title\":\"City-wide\",\"optional\":true,\"budget\":10000000,"
        "\"projects\":[{\"id\":\"c1\",\"name\":\"Tram\",\"cost\":6000000},"
        "{\"id\":\"c2\",\"name\":\"Library\",\"cost\":5000000},{\"id\":\"c3\",\"name\":\"Park\",\"cost\":"
        "3000000}],\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\","
        "\"tie_break\":\"lexico\"}},"
        "{\"id\":\"north\",\"title\":\"North\",\"budget\":300000,\"projects\":[{\"id\":\"n1\",\"name\":"
        "\"Bench\",\"cost\":200000},{\"id\":\"n2\",\"name\":\"Lamp\",\"cost\":100000},{\"id\":\"n3\","
        "\"name\":\"Path\",\"cost\":150000}],\"ballot\":{\"type\":\"cumulative\",\"max_sum_points\":3},"
        "\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"}},"
        "{\"id\":\"south\",\"title\":\"South\",\"budget\":500000,\"projects\":[{\"id\":\"s1\",\"name\":"
        "\"Square\",\"cost\":300000},{\"id\":\"s2\",\"name\":\"Bikes\",\"cost\":250000}],"
        "\"ballot\":{\"type\":\"approval\"},\"rule\":{\"name\":\"equalshares\",\"tie_break\":\"lexico\"}}]}";

/* The secrets an input names with $name. */
enum secret {
        S_SERVER,
        S_ADMIN_ONE,
        S_KIOSK_ONE,
        S_DEVICE_ONE,
        S_AUDITOR_ONE,
        S_OFFICER_ONE,
        S_ADMIN_METRO,
        S_KIOSK_METRO,
        S_NORTH_METRO,
        S_OFFICER_METRO,
        S_OFFICER2_METRO,
        S_AUDITOR_METRO,
        S_ADMIN_DRAFT,
        S_ADMIN_DONE,
        S_AUDITOR_DONE,
        S_SPENT,
        S_COMMITMENT,
        S_SHORT,
        S_DRAFT_CODE,
        S_FIXED_COUNT,
        S_CODE_ONE = S_FIXED_COUNT, /* the pools: a fresh code each time */
        S_CODE_NORTH,
        S_CODE_SOUTH,
        S_COUNT
};
#define N_POOLS (S_COUNT - S_FIXED_COUNT)

static const char *const substitutions[S_COUNT] = {
        "server",      "admin-one",   "kiosk-one",    "device-one",    "auditor-one",    "officer-one",
        "admin-metro", "kiosk-metro", "north-metro",  "officer-metro", "officer2-metro", "auditor-metro",
        "admin-draft", "admin-done",  "auditor-done", "spent",         "commitment",     "short",
        "draft-code",  "code-one",    "code-north",   "code-south",
};

static struct {
        char root[256], template[300], work[300];
        struct pb_key_secret engine, office;
        struct pb_api *api;
        char fixed[S_FIXED_COUNT][TOKEN_MAX];
        char (*pool[N_POOLS])[32]; /* POOL codes each */
        unsigned next[N_POOLS];
        unsigned inputs;
        bool dirty; /* an input changed an election's state or the folder's elections */
} g;

static uint64_t now_ms = 1; /* stepped a minute per input: no per-kiosk or web limit carries over */

static uint64_t fuzz_clock(void)
{
        return __atomic_load_n(&now_ms, __ATOMIC_RELAXED);
}

static int64_t fuzz_wall(void)
{
        return 1779955200; /* 2026-05-28T08:00:00Z: the same for every run */
}

/* One request through the dispatcher; its status, the body (NUL-terminated) into @out. */
static unsigned call(const char *method, const char *path, const char *token, const char *json, char *out,
                     size_t cap)
{
        char auth[TOKEN_MAX + 8];
        struct pb_api_request q = { 0 };
        struct pb_api_response r;
        unsigned status;

        snprintf(auth, sizeof(auth), "Bearer %s", token ? token : "");
        q.method = method;
        q.path = path;
        q.authorization = token ? auth : NULL;
        q.content_type = json ? "application/json" : NULL;
        q.body = json;
        q.body_len = json ? strlen(json) : 0;
        pb_api_response_init(&r);
        if (pb_api_dispatch(g.api, &q, &r) != PB_API_DONE)
                abort();
        status = r.status;
        if (out)
                snprintf(out, cap, "%.*s", (int)r.body.len, r.body.data ? r.body.data : "");
        pb_api_response_release(&r);
        return status;
}

static void must(unsigned got, unsigned want, const char *what)
{
        if (got != want) {
                fprintf(stderr, "fuzz-api setup: %s answered %u, expected %u\n", what, got, want);
                abort();
        }
}

/* The string @key of a receipt answer @json ({"receipt":{...}}) into @out. */
static void receipt_str(const char *json, const char *key, char *out, size_t cap)
{
        cJSON *j = cJSON_Parse(json);
        const char *s = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "receipt"), key));

        if (!s || strlen(s) >= cap)
                abort();
        memcpy(out, s, strlen(s) + 1);
        cJSON_Delete(j);
}

static pb_err start_api(const char *dir)
{
        struct pb_api_config ac;
        struct pb_diag d;

        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.limits.max_codes = 1000; /* a request for 100,000 codes is a slow input, not a finding */
        ac.version = "pbvote fuzz";
        ac.data_dir = dir;
        ac.engine = &g.engine;
        ac.office = &g.office;
        ac.max_elections = 64;
        ac.clock_ms = fuzz_clock;
        ac.wall_s = fuzz_wall;
        pb_diag_clear(&d);
        return pb_api_new(&ac, &g.api, &d);
}

/* Tokens of every role for election @id (as `pbvote token create`): admin, kiosk, a kiosk device,
 * auditor and officer into @ret[0..5) (NULL: made and forgotten). */
static void make_tokens(const char *id, char *ret[5])
{
        static const enum pb_role roles[5] = { PB_ROLE_ADMIN, PB_ROLE_KIOSK, PB_ROLE_KIOSK, PB_ROLE_AUDITOR,
                                               PB_ROLE_OFFICER };
        char path[400], junk[TOKEN_MAX];
        struct pb_box *b = NULL;

        snprintf(path, sizeof(path), "%s/%s.db", g.template, id);
        if (pb_box_open(path, &b, NULL) < 0)
                abort();
        for (int i = 0; i < 5; i++)
                if (pb_box_token_create_flags(b, roles[i], "fuzz", i == 2 ? PB_TOKEN_DEVICE : 0,
                                              ret[i] ? ret[i] : junk, NULL, NULL) < 0)
                        abort();
        if (!strcmp(id, "metro")) {
                static const char *const north[2] = { "north", "city" };
                if (pb_box_token_create_for(b, PB_ROLE_KIOSK, "n", 0, north, 2, g.fixed[S_NORTH_METRO], NULL,
                                            NULL) < 0 ||
                    pb_box_token_create(b, PB_ROLE_OFFICER, "o2", g.fixed[S_OFFICER2_METRO], NULL, NULL) < 0)
                        abort();
        }
        pb_box_free(b);
}

/* Issue @n codes of election @id (@contests: "" or `"contests":[...],`) into @out. */
static void issue(const char *id, const char *contests, unsigned n, char (*out)[32])
{
        static char answer[1 << 16];
        char path[128], body[128];
        cJSON *j, *c;
        unsigned k = 0;

        snprintf(path, sizeof(path), "/v1/elections/%s/codes", id);
        for (unsigned done = 0; done < n; done += 200) {
                snprintf(body, sizeof(body), "{%s\"count\":%u}", contests, n - done < 200 ? n - done : 200);
                must(call("POST", path, g.fixed[S_SERVER], body, answer, sizeof(answer)), 201, "codes");
                j = cJSON_Parse(answer);
                for (c = j ? cJSON_GetObjectItem(j, "codes")->child : NULL; c && k < n; c = c->next)
                        snprintf(out[k++], sizeof(out[0]), "%s", c->valuestring);
                cJSON_Delete(j);
        }
        if (k != n)
                abort();
}

static void create(const char *manifest)
{
        must(call("POST", "/v1/elections", g.fixed[S_SERVER], manifest, NULL, 0), 201, "create");
}

static unsigned cast_one(const char *id, const char *token, const char *code, unsigned sid, char *out,
                         size_t cap)
{
        char body[256], path[128];

        snprintf(body, sizeof(body),
                 "{\"ballot\":{\"approvals\":[\"p%u\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                 1 + sid % 3, code, sid);
        snprintf(path, sizeof(path), "/v1/elections/%s/ballots", id);
        return call("POST", path, token, body, out, cap);
}

#define F(s) g.fixed[s]

/* The elections of one contest: one (open, a ballot), draft, done (closed and tallied). */
static void make_single(void)
{
        char manifest[2048], out[8192], codes[2][32], kiosk[TOKEN_MAX];

        snprintf(manifest, sizeof(manifest), one_manifest, "one", "one", ",\"web_voting\":true");
        create(manifest);
        make_tokens("one", (char *[5]){ F(S_ADMIN_ONE), F(S_KIOSK_ONE), F(S_DEVICE_ONE), F(S_AUDITOR_ONE),
                                        F(S_OFFICER_ONE) });
        issue("one", "", POOL, g.pool[0]);
        must(call("POST", "/v1/elections/one/open", F(S_SERVER), NULL, NULL, 0), 200, "open one");
        issue("one", "", 1, codes);
        must(cast_one("one", F(S_KIOSK_ONE), codes[0], 1, NULL, 0), 201, "cast one");
        snprintf(F(S_SPENT), TOKEN_MAX, "%s", codes[0]);

        snprintf(manifest, sizeof(manifest), one_manifest, "draft", "draft", "");
        create(manifest);
        make_tokens("draft", (char *[5]){ F(S_ADMIN_DRAFT), NULL, NULL, NULL, NULL });
        issue("draft", "", 1, codes);
        snprintf(F(S_DRAFT_CODE), TOKEN_MAX, "%s", codes[0]);

        snprintf(manifest, sizeof(manifest), one_manifest, "done", "done", "");
        create(manifest);
        make_tokens("done", (char *[5]){ F(S_ADMIN_DONE), kiosk, NULL, F(S_AUDITOR_DONE), NULL });
        must(call("POST", "/v1/elections/done/open", F(S_SERVER), NULL, NULL, 0), 200, "open done");
        issue("done", "", 2, codes);
        must(cast_one("done", kiosk, codes[0], 2, out, sizeof(out)), 201, "cast done");
        receipt_str(out, "commitment", F(S_COMMITMENT), TOKEN_MAX);
        receipt_str(out, "short_code", F(S_SHORT), TOKEN_MAX);
        must(cast_one("done", kiosk, codes[1], 3, NULL, 0), 201, "cast done");
        must(call("POST", "/v1/elections/done/close", F(S_SERVER), NULL, NULL, 0), 200, "close done");
        must(call("POST", "/v1/elections/done/tally", F(S_SERVER), NULL, NULL, 0), 200, "tally done");
}

/* The template folder: keys, the server's admin token, the four elections. */
static void make_template(void)
{
        uint8_t seed[32];
        const char *tmp = getenv("TMPDIR");

        if (!tmp)
                tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g.root, sizeof(g.root), "%s/pbvote-fuzz-api-XXXXXX", tmp);
        if (sodium_init() < 0 || !mkdtemp(g.root))
                abort();
        snprintf(g.template, sizeof(g.template), "%s/template", g.root);
        snprintf(g.work, sizeof(g.work), "%s/work", g.root);
        memset(seed, 7, sizeof(seed));
        if (pb_key_secret_from_seed(&g.engine, "fuzz-engine", seed, NULL) < 0)
                abort();
        memset(seed, 9, sizeof(seed));
        if (pb_key_secret_from_seed(&g.office, "fuzz-office", seed, NULL) < 0)
                abort();
        for (unsigned i = 0; i < N_POOLS; i++)
                if (!(g.pool[i] = calloc(POOL, sizeof(*g.pool[i]))))
                        abort();
        if (mkdir(g.template, 0700) < 0 ||
            pb_admin_token_create(g.template, "fuzz", g.fixed[S_SERVER], NULL) < 0 ||
            start_api(g.template) < 0)
                abort();
        make_single();
        create(metro_manifest);
        make_tokens("metro", (char *[5]){ F(S_ADMIN_METRO), F(S_KIOSK_METRO), NULL, F(S_AUDITOR_METRO),
                                          F(S_OFFICER_METRO) });
        issue("metro", "\"contests\":[\"city\",\"north\"],", POOL, g.pool[1]);
        issue("metro", "\"contests\":[\"south\",\"city\"],", POOL, g.pool[2]);
        must(call("POST", "/v1/elections/metro/open", g.fixed[S_SERVER], NULL, NULL, 0), 200, "open metro");
        pb_api_free(g.api);
        g.api = NULL;
}

static void cleanup(void)
{
        char cmd[600];

        pb_api_free(g.api);
        g.api = NULL;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.root);
        if (g.root[0] && system(cmd) != 0)
                fprintf(stderr, "fuzz-api: cannot remove %s\n", g.root);
        for (unsigned i = 0; i < N_POOLS; i++)
                free(g.pool[i]);
}

/* The work folder a copy of the template again, the API on it, every pool of codes full. */
static void reset(void)
{
        char cmd[1024];

        pb_api_free(g.api);
        g.api = NULL;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", g.work, g.template, g.work);
        if (system(cmd) != 0 || start_api(g.work) < 0)
                abort();
        memset(g.next, 0, sizeof(g.next));
        g.dirty = false;
}

/* @in with every $name of substitutions[] replaced (pools: their next code), into @out. */
static void substitute(const char *in, size_t len, struct pb_buf *out)
{
        for (size_t i = 0; i < len;) {
                size_t n = 1;
                int hit = -1;

                while (in[i] == '$' && i + n < len &&
                       ((in[i + n] >= 'a' && in[i + n] <= 'z') || (in[i + n] >= '0' && in[i + n] <= '9') ||
                        in[i + n] == '-'))
                        n++;
                for (int s = 0; n > 1 && s < S_COUNT; s++)
                        if (strlen(substitutions[s]) == n - 1 && !memcmp(in + i + 1, substitutions[s], n - 1))
                                hit = s;
                if (hit < 0) {
                        if (pb_buf_add(out, in + i, 1) < 0)
                                abort();
                        i++;
                        continue;
                }
                if (hit < S_FIXED_COUNT) {
                        if (pb_buf_add(out, g.fixed[hit], strlen(g.fixed[hit])) < 0)
                                abort();
                } else {
                        unsigned *next = &g.next[hit - S_FIXED_COUNT];
                        const char *code = g.pool[hit - S_FIXED_COUNT][*next < POOL ? *next : POOL - 1];
                        (*next)++;
                        if (pb_buf_add(out, code, strlen(code)) < 0)
                                abort();
                }
                i += n;
        }
}

/* Read the request of @text (substituted, NUL-terminated, cut in place) into @q; the body is an
 * exact-size copy in *@body (ASan sees a read past its end). */
static void read_request(char *text, size_t len, struct pb_api_request *q, char **body)
{
        char *line = text, *end = text + len, *nl;

        memset(q, 0, sizeof(*q));
        *body = NULL;
        nl = memchr(line, '\n', (size_t)(end - line));
        if (nl)
                *nl = '\0';
        q->method = line;
        q->path = strchr(line, ' ');
        if (q->path)
                *(char *)q->path++ = '\0';
        while (nl && (line = nl + 1) < end) {
                char *colon, *v;

                nl = memchr(line, '\n', (size_t)(end - line));
                if (nl)
                        *nl = '\0';
                if (!*line) { /* the empty line: the body follows (none after a last line) */
                        const char *from = nl ? nl + 1 : end;
                        size_t n = (size_t)(end - from);
                        if (!(*body = malloc(n ? n : 1)))
                                abort();
                        memcpy(*body, from, n);
                        q->body = *body;
                        q->body_len = n;
                        return;
                }
                if (!(colon = strchr(line, ':')))
                        continue;
                *colon = '\0';
                for (v = colon + 1; *v == ' '; v++)
                        ;
                if (!strcasecmp(line, "authorization"))
                        q->authorization = v;
                else if (!strcasecmp(line, "content-type"))
                        q->content_type = v;
                else if (!strcasecmp(line, "origin"))
                        q->origin = v;
                else if (!strcasecmp(line, "if-none-match"))
                        q->if_none_match = v;
                else if (!strcasecmp(line, "access-control-request-method"))
                        q->cors_method = v;
                else if (!strcasecmp(line, "x-client"))
                        q->client = v;
        }
}

/* A problem document (RFC 9457, docs/errors.md): JSON naming its type, a title and the status. */
static void check_problem(const struct pb_api_response *r)
{
        cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");

        if (!type || strncmp(type, "tag:pbvote.org,2026:error/", 26) || !type[26] ||
            !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "title")) || !cJSON_IsNumber(status) ||
            status->valuedouble != (double)r->status || r->status < 400)
                abort();
        cJSON_Delete(j);
}

/* The streamed body (an export): read to its end, exactly its announced size. */
static void check_stream(struct pb_api_response *r)
{
        static char buf[1 << 16];
        uint64_t total = 0;
        size_t n;

        do {
                if (r->stream.read(r->stream.cls, buf, sizeof(buf), &n) != PB_OK)
                        abort();
                total += n;
        } while (n);
        if (total != r->stream.size)
                abort();
}

/* Every answer is whole, and says what it is. */
static void check_response(const struct pb_api_request *q, struct pb_api_response *r)
{
        bool api = q->path && !strncmp(q->path, "/v1/", 4);

        if (r->status < 200 || r->status > 599)
                abort();
        if (!r->body.len && !r->stream.cls && !r->static_body && r->status != 204 && r->status != 304)
                abort(); /* an answer without content */
        if (r->content_type && !strcmp(r->content_type, "application/problem+json"))
                check_problem(r);
        else if (api && r->status >= 400)
                abort(); /* every failure of the API is a problem document */
        else if (r->content_type && !strncmp(r->content_type, "application/json", 16) && r->body.len) {
                cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
                if (!j)
                        abort();
                cJSON_Delete(j);
        }
        if (r->stream.cls)
                check_stream(r);
}

/* The election of a cast (POST /v1/elections/{id}/ballots or /paper) into @id, else false. */
static bool cast_of(const struct pb_api_request *q, char id[80])
{
        const char *p = q->path, *e;

        if (!p || strcmp(q->method, "POST") || strncmp(p, "/v1/elections/", 14))
                return false;
        p += 14;
        e = strchr(p, '/');
        if (!e || (size_t)(e - p) >= 80 || (strcmp(e, "/ballots") && strcmp(e, "/paper")))
                return false;
        memcpy(id, p, (size_t)(e - p));
        id[e - p] = '\0';
        return true;
}

/* The ballots election @id holds (its turnout), or -1 when it has none to show. */
static double ballots_of(const char *id)
{
        static char out[1 << 16];
        char path[128];
        cJSON *j;
        double n = -1;

        snprintf(path, sizeof(path), "/v1/elections/%s/turnout", id);
        if (call("GET", path, NULL, NULL, out, sizeof(out)) != 200)
                return -1;
        j = cJSON_Parse(out);
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "ballots")))
                n = cJSON_GetObjectItemCaseSensitive(j, "ballots")->valuedouble;
        cJSON_Delete(j);
        return n;
}

/* Did the request @q, answered @status, change more than ballots and codes (an election created,
 * replaced, deleted, opened, suspended, resumed, closed, tallied)?  The next input then starts from
 * the template again, so that one input closing "metro" does not decide what all later ones do. */
static bool changes_state(const struct pb_api_request *q, unsigned status, bool cast)
{
        size_t n = q->path ? strlen(q->path) : 0;

        if (status / 100 != 2 || cast || !strcmp(q->method, "GET") || !strcmp(q->method, "OPTIONS"))
                return false;
        return !(n >= 6 && !strcmp(q->path + n - 6, "/codes")) &&
               !(n >= 15 && !strcmp(q->path + n - 15, "/codes/contests"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_api_request q;
        struct pb_api_response r;
        struct pb_buf text;
        char *body, id[80];
        double before = -1;
        bool cast;

        if (!g.root[0]) {
                make_template();
                atexit(cleanup);
        }
        if (!g.api || g.dirty || ++g.inputs % RESET_EVERY == 0 || g.next[0] >= POOL || g.next[1] >= POOL ||
            g.next[2] >= POOL)
                reset();
        __atomic_add_fetch(&now_ms, 60000, __ATOMIC_RELAXED);
        pb_buf_init(&text, 0);
        substitute((const char *)data, size, &text);
        if (pb_buf_add(&text, "", 1) < 0)
                abort();
        read_request(text.data, text.len - 1, &q, &body);
        cast = cast_of(&q, id);
        if (cast)
                before = ballots_of(id);
        pb_api_response_init(&r);
        if (pb_api_dispatch(g.api, &q, &r) != PB_API_DONE)
                abort(); /* no done callback: dispatch waits for the writer */
        check_response(&q, &r);
        if (getenv("PB_FUZZ_TRACE")) /* to see what a corpus reaches: each request's status */
                fprintf(stderr, "%s %s -> %u %.*s\n", q.method, q.path ? q.path : "(none)", r.status,
                        (int)(r.body.len < 160 ? r.body.len : 160), r.body.data ? r.body.data : "");
        if (cast && before >= 0 && ballots_of(id) != before + (r.status == 201 ? 1 : 0))
                abort(); /* a cast answered 201 stored one ballot, any other answer none */
        g.dirty = changes_state(&q, r.status, cast);
        pb_api_response_release(&r);
        free(body);
        pb_buf_release(&text);
        return 0;
}
