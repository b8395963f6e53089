/** @file A real pbvote server on loopback for API tests: a fresh data folder, keys, the API, helpers. */
#ifndef PB_TEST_API_FIXTURE_H
#define PB_TEST_API_FIXTURE_H

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/pb_api.h"
#include "api/pb_http.h"
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

static inline int fixture_start(struct fixture *f, bool with_office)
{
        uint8_t seed[32];
        struct pb_api_config ac;
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
        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.version = "pbvote test";
        ac.data_dir = f->dir;
        ac.engine = &f->engine;
        ac.office = with_office ? &f->office : NULL;
        ac.clock_ms = fixture_clock;
        ac.wall_s = fixture_wall;
        pb_http_config_default(&hc);
        hc.port = 0;
        hc.max_per_ip = 2000;
        hc.max_connections = 2000;
        hc.timeout_s = 2;
        hc.request_timeout_s = 3;
        if (pb_api_new(&ac, &f->api, &d) < 0 || pb_http_start(f->api, &hc, &f->http, &d) < 0) {
                fprintf(stderr, "cannot start the server: %s\n", d.reason ? d.reason : "?");
                return -1;
        }
        f->port = pb_http_port(f->http);
        return 0;
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

#endif
