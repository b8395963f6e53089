/** @file A real pbvote server on loopback for API tests: a fresh data folder, keys, the API, helpers. */
#ifndef PB_TEST_API_FIXTURE_H
#define PB_TEST_API_FIXTURE_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "api/pb_api.h"
#include "api/pb_http.h"
#include "dispatch.h"
#include "ballots/pb_admin_tokens.h"
#include "http_client.h"

struct fixture {
        char dir[256];
        struct pb_key_secret engine, office;
        struct pb_api *api;
        struct pb_http *http;
        unsigned short port;
        char admin[65];
};

/* A manifest (docs/api.md): 3 projects, approval, at most 2 picks, greedy by votes. */
static const char fixture_manifest[] =
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":4,\"budget\":"
        "45000000,"
        "\"currency\":\"EUR\",\"id\":\"%s\",\"origin\":\"pbvote/%s/ballots\",\"projects\":["
        "{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},{\"cost\":15000000,\"id\":\"p2\",\"name\":"
        "\"Bikes\"},"
        "{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}],\"rule\":{\"name\":\"greedy\",\"score\":"
        "\"votes\","
        "\"tie_break\":\"lexico\"},\"scale\":2,\"title\":\"Test budget\",\"type\":\"pbvote.manifest/v1\"}";

/* The API's clock for the next fixture_start() (NULL: the real one). */
static uint64_t (*fixture_clock)(void);
/* The API's wall clock (voting periods) for the next fixture_start() (NULL: the real one). */
static int64_t (*fixture_wall)(void);

/* The API on f->dir with the fixture's keys (the office key if @with_office) and clocks, served
 * over HTTP with @hc on a port of its own (f->port).  0, or -1 (said on stderr). */
static inline int fixture_listen(struct fixture *f, bool with_office, const struct pb_http_config *hc)
{
        struct pb_api_config ac;
        struct pb_diag d;

        pb_diag_clear(&d);
        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.version = "pbvote test";
        ac.data_dir = f->dir;
        ac.engine = &f->engine;
        ac.office = with_office ? &f->office : NULL;
        ac.clock_ms = fixture_clock;
        ac.wall_s = fixture_wall;
        if (pb_api_new(&ac, &f->api, &d) < 0 || pb_http_start(f->api, hc, &f->http, &d) < 0) {
                fprintf(stderr, "cannot start the server: %s\n", d.reason ? d.reason : "?");
                return -1;
        }
        f->port = pb_http_port(f->http);
        return 0;
}

static inline int fixture_start(struct fixture *f, bool with_office)
{
        uint8_t seed[32];
        struct pb_http_config hc;
        struct pb_diag d;
        const char *tmp = getenv("TMPDIR");

        if (sodium_init() < 0)
                return -1;
        memset(f, 0, sizeof(f->dir));
        snprintf(f->dir, sizeof(f->dir), "%s/pbvote-api-XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(f->dir))
                return -1;
        memset(seed, 7, sizeof(seed));
        if (pb_key_secret_from_seed(&f->engine, "test-engine", seed, NULL) < 0)
                return -1;
        memset(seed, 9, sizeof(seed));
        if (pb_key_secret_from_seed(&f->office, "test-office", seed, NULL) < 0)
                return -1;
        pb_diag_clear(&d);
        if (pb_admin_token_create(f->dir, "test", f->admin, &d) < 0)
                return -1;
        pb_http_config_default(&hc);
        hc.port = 0;
        hc.max_per_ip = 2000;
        hc.max_connections = 2000;
        hc.timeout_s = 2;
        hc.request_timeout_s = 3;
        return fixture_listen(f, with_office, &hc);
}

/*
 * The start of a test program run as `NAME PBVOTE`: PBVOTE made absolute into @pbvote, libsodium
 * and the server (with the office key) started.  0, or -1 after a usage line naming @name.
 */
static inline int fixture_start_with_pbvote(struct fixture *f, int argc, char **argv, char pbvote[PATH_MAX],
                                            const char *name)
{
        if (argc < 2 || !realpath(argv[1], pbvote) || sodium_init() < 0 || fixture_start(f, true) < 0) {
                fprintf(stderr, "usage: %s PBVOTE (and a working server)\n", name);
                return -1;
        }
        return 0;
}

/* Stop the server (HTTP and API) and keep the data folder: the test may change its boxes. */
static inline void fixture_halt(struct fixture *f)
{
        pb_http_stop(f->http);
        pb_api_free(f->api);
        f->http = NULL;
        f->api = NULL;
}

/*
 * The server again on the same folder after fixture_halt(), as `pbvote serve` starts (the API
 * opens the boxes it finds), with the office key, the default HTTP limits and these timeouts.
 * 0, or -1.
 */
static inline int fixture_serve(struct fixture *f, unsigned timeout_s, unsigned request_timeout_s)
{
        struct pb_http_config hc;

        pb_http_config_default(&hc);
        hc.port = 0;
        hc.timeout_s = timeout_s;
        hc.request_timeout_s = request_timeout_s;
        return fixture_listen(f, true, &hc);
}

static inline void fixture_stop(struct fixture *f)
{
        char cmd[400];

        pb_http_stop(f->http);
        pb_api_free(f->api);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* One request: METHOD PATH with an optional token and JSON body; the status, body into @out. */
static inline int call(const struct fixture *f, const char *method, const char *path, const char *token,
                       const char *json, char *out, size_t cap)
{
        return http_call(f->port, method, path, token, json, out, cap);
}

/*
 * POST the JSON @body to @path through pb_api_dispatch() in this process, as from the address
 * @client (which a test cannot choose over a socket): the status, the body into @out, and the
 * Retry-After seconds into *@retry_after when it is not NULL.
 */
static inline int fixture_post_from(const struct fixture *f, const char *client, const char *path,
                                    const char *body, char *out, size_t cap, unsigned *retry_after)
{
        struct pb_api_request q = { .method = "POST",
                                    .path = path,
                                    .content_type = "application/json",
                                    .body = body,
                                    .body_len = strlen(body),
                                    .client = client };
        struct pb_api_response r;
        int st = (int)dispatch(f->api, &q, &r);

        if (retry_after)
                *retry_after = r.retry_after;
        snprintf(out, cap, "%.*s", (int)r.body.len, r.body.data ? r.body.data : "");
        pb_api_response_release(&r);
        return st;
}

/* The codes of one POST .../codes answer @answer (at most @max of them) into @into: how many. */
static inline int fixture_take_codes(const char *answer, char (*into)[32], int max)
{
        cJSON *j = cJSON_Parse(answer), *c;
        int n = 0;

        for (c = j ? cJSON_GetObjectItem(j, "codes")->child : NULL; c && n < max; c = c->next)
                snprintf(into[n++], sizeof(into[0]), "%s", c->valuestring);
        cJSON_Delete(j);
        return n;
}

/* The string value of "key":"..." in @json (no escapes in the values we read), into @out. */
static inline int json_str(const char *json, const char *key, char *out, size_t cap)
{
        char pat[80];
        const char *p, *e;

        snprintf(pat, sizeof(pat), "\"%s\":\"", key);
        p = strstr(json, pat);
        if (!p)
                return -1;
        p += strlen(pat);
        e = strchr(p, '"');
        if (!e || (size_t)(e - p) >= cap)
                return -1;
        memcpy(out, p, (size_t)(e - p));
        out[e - p] = '\0';
        return 0;
}

/*
 * GET /v1/elections/@id/export with @token on a raw connection, its body (a tar archive) written to
 * @file in the fixture's folder.  True when the answer was a 200 longer than 1 KiB (headers
 * included) and its body was written.
 */
static inline bool fixture_export(const struct fixture *f, const char *id, const char *token,
                                  const char *file)
{
        static char tar[1 << 20];
        char req[512], path[400];
        int fd = http_connect(f->port);
        size_t len = 0;
        ssize_t n;
        bool ok;
        FILE *out;
        char *body;

        snprintf(req, sizeof(req),
                 "GET /v1/elections/%s/export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                 "Authorization: Bearer %s\r\n\r\n",
                 id, token);
        ok = fd >= 0 && http_send(fd, req, strlen(req)) == 0;
        while (fd >= 0 && len < sizeof(tar) && (n = recv(fd, tar + len, sizeof(tar) - len, 0)) > 0)
                len += (size_t)n;
        if (fd >= 0)
                close(fd);
        ok = ok && len > 1024 && !strncmp(tar, "HTTP/1.1 200", 12);
        body = ok ? strstr(tar, "\r\n\r\n") : NULL;
        snprintf(path, sizeof(path), "%s/%s", f->dir, file);
        out = body ? fopen(path, "wb") : NULL;
        if (!out)
                return false;
        fwrite(body + 4, 1, len - (size_t)(body + 4 - tar), out);
        return fclose(out) == 0;
}

/*
 * Run the shell command made from @fmt in the fixture's folder; when it fails, run @show there
 * too (what to read of it: its logs), its output on stderr.  The command's exit status, -1 when
 * it did not exit.
 */
static inline int fixture_sh(const struct fixture *f, const char *show, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static inline int fixture_sh(const struct fixture *f, const char *show, const char *fmt, ...)
{
        char cmd[8192];
        va_list ap;
        int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", f->dir), st;

        va_start(ap, fmt);
        vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
        va_end(ap);
        st = system(cmd);
        st = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (st != 0) {
                snprintf(cmd, sizeof(cmd), "cd '%s' && { %s; } >&2", f->dir, show);
                if (system(cmd) != 0)
                        fprintf(stderr, "(cannot show %s)\n", show);
        }
        return st;
}

#endif
