/**
 * @file docs/openapi.yaml and the server agree: the same routes (path and method), the same roles
 * (x-pbvote-roles), the same request bodies, every response class the server can give documented,
 * and, against a live server, each route's answer to an anonymous request is a documented status.
 * usage: test-api-openapi docs/openapi.yaml
 */
#include <stdio.h>

#include "api_fixture.h"
#include "check.h"

#define MAX_OPS 64

struct op {
        char path[128], method[8];
        unsigned roles;
        bool body, body_required;
        int statuses[32];
        int n_statuses;
};

static struct op ops[MAX_OPS];
static int n_ops;

static int indent(const char *l)
{
        int n = 0;
        while (l[n] == ' ')
                n++;
        return n;
}

static unsigned parse_roles(const char *s)
{
        unsigned r = 0;
        if (strstr(s, "admin"))
                r |= PB_API_ROLE_BIT(PB_ROLE_ADMIN);
        if (strstr(s, "kiosk"))
                r |= PB_API_ROLE_BIT(PB_ROLE_KIOSK);
        if (strstr(s, "auditor"))
                r |= PB_API_ROLE_BIT(PB_ROLE_AUDITOR);
        if (strstr(s, "officer"))
                r |= PB_API_ROLE_BIT(PB_ROLE_OFFICER);
        return r;
}

/* A line-based reader for the layout docs/openapi.yaml keeps: paths (2 spaces), methods (4),
 * x-pbvote-roles / requestBody / responses (6), required and status codes (8). */
static int load(const char *file)
{
        FILE *f = fopen(file, "r");
        char line[1024], path[128] = "";
        bool in_paths = false, in_body = false, in_responses = false;
        struct op *cur = NULL;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                int in = indent(line);
                char *t = line + in;

                t[strcspn(t, "\n")] = '\0';
                if (in == 0) {
                        in_paths = !strcmp(t, "paths:");
                        continue;
                }
                if (!in_paths || !*t || *t == '#')
                        continue;
                if (in == 2 && *t == '/') {
                        snprintf(path, sizeof(path), "%.*s", (int)strcspn(t, ":"), t);
                        continue;
                }
                if (in == 4 && n_ops < MAX_OPS) {
                        cur = &ops[n_ops++];
                        memset(cur, 0, sizeof(*cur));
                        snprintf(cur->path, sizeof(cur->path), "%s", path);
                        for (int i = 0; t[i] && t[i] != ':' && i < 7; i++)
                                cur->method[i] = (char)(t[i] - 'a' + 'A');
                        in_body = in_responses = false;
                        continue;
                }
                if (!cur)
                        continue;
                if (in == 6) {
                        in_body = !strncmp(t, "requestBody:", 12);
                        in_responses = !strncmp(t, "responses:", 10);
                        cur->body |= in_body;
                        if (!strncmp(t, "x-pbvote-roles:", 15))
                                cur->roles = parse_roles(t + 15);
                        continue;
                }
                if (in == 8 && in_body && !strcmp(t, "required: true"))
                        cur->body_required = true;
                if (in == 8 && in_responses && t[0] == '\'' && cur->n_statuses < 32)
                        cur->statuses[cur->n_statuses++] = atoi(t + 1);
        }
        fclose(f);
        return 0;
}

static struct op *find(const char *method, const char *path)
{
        for (int i = 0; i < n_ops; i++)
                if (!strcmp(ops[i].method, method) && !strcmp(ops[i].path, path))
                        return &ops[i];
        return NULL;
}

static bool has(const struct op *o, int status)
{
        for (int i = 0; i < o->n_statuses; i++)
                if (o->statuses[i] == status)
                        return true;
        return false;
}

static void need(const struct op *o, int status)
{
        CHECK(has(o, status));
        if (!has(o, status))
                fprintf(stderr, "  %s %s: response %d not documented\n", o->method, o->path, status);
}

static void agree(void)
{
        struct pb_api_route_info ri;
        size_t n = 0;

        for (size_t i = 0; pb_api_route_info(i, &ri); i++, n++) {
                struct op *o = find(ri.method, ri.pattern);
                bool state_bound = strstr(ri.pattern, "/open") || strstr(ri.pattern, "/suspend") ||
                                   strstr(ri.pattern, "/resume") || strstr(ri.pattern, "/close") ||
                                   strstr(ri.pattern, "/codes") || strstr(ri.pattern, "/ballots") ||
                                   strstr(ri.pattern, "/tally") || strstr(ri.pattern, "/export") ||
                                   !strcmp(ri.pattern, "/v1/elections");
                /* .../codes/contests only reads */
                bool creates = (strstr(ri.pattern, "/codes") && !strstr(ri.pattern, "/codes/contests")) ||
                               strstr(ri.pattern, "/ballots") ||
                               (!strcmp(ri.pattern, "/v1/elections") && !strcmp(ri.method, "POST"));

                CHECK(o != NULL);
                if (!o) {
                        fprintf(stderr, "  %s %s is served but not in openapi.yaml\n", ri.method, ri.pattern);
                        continue;
                }
                CHECK_INT(o->roles, ri.roles);
                CHECK_INT(o->body, ri.takes_body);
                CHECK_INT(o->body_required, ri.body_required);
                need(o, creates ? 201 : 200);
                if (ri.roles) {
                        need(o, 401);
                        need(o, 403);
                        need(o, 400); /* every protected route refuses an unexpected or malformed body */
                }
                if (ri.takes_body) {
                        need(o, 400);
                        need(o, 413);
                        need(o, 415);
                }
                if (strstr(ri.pattern, "{id}"))
                        need(o, 404);
                if (state_bound && ri.roles)
                        need(o, 409);
                /* an election whose box could not be opened at start; a create beyond the
                 * open-file limit */
                if (strstr(ri.pattern, "/ballots") || strstr(ri.pattern, "{id}") || creates)
                        need(o, 503);
        }
        CHECK_INT((int)n, n_ops); /* and nothing documented that is not served */
}

/* Against a live server: an anonymous request to each documented operation gets a documented status. */
static void live(void)
{
        struct fixture fx;
        char out[65536], manifest[2048];

        if (fixture_start(&fx, true) < 0) {
                CHECK_FAIL("server");
                return;
        }
        snprintf(manifest, sizeof(manifest), fixture_manifest, "doc", "doc");
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);
        for (int i = 0; i < n_ops; i++) {
                char path[256];
                const char *p = ops[i].path;
                size_t k = 0;
                int st;

                /* fill in {id} and {commitment} */
                while (*p && k < sizeof(path) - 70) {
                        if (!strncmp(p, "{id}", 4)) {
                                k += (size_t)snprintf(path + k, sizeof(path) - k, "doc");
                                p += 4;
                        } else if (!strncmp(p, "{commitment}", 12)) {
                                k += (size_t)snprintf(path + k, sizeof(path) - k, "%064d", 0);
                                p += 12;
                        } else {
                                path[k++] = *p++;
                        }
                }
                path[k] = '\0';
                st = call(&fx, ops[i].method, path, NULL, ops[i].body_required ? "{}" : NULL, out,
                          sizeof(out));
                CHECK(has(&ops[i], st));
                if (!has(&ops[i], st))
                        fprintf(stderr, "  %s %s answered %d, not documented\n", ops[i].method, path, st);
        }
        fixture_stop(&fx);
}

int main(int argc, char **argv)
{
        if (argc < 2 || load(argv[1]) < 0 || n_ops == 0) {
                fprintf(stderr, "usage: test-api-openapi docs/openapi.yaml\n");
                return 1;
        }
        RUN(agree);
        RUN(live);
        fprintf(stderr, "%d operations documented\n", n_ops);
        return check_summary("api-openapi");
}
