/**
 * @file CORS (docs/api.md, "CORS") and the headers of every answer.  In-process: an allowed origin
 * is named in the answer (errors too), another is not, a preflight of an allowed origin is 204
 * with the path's methods, one of another origin 403, one for a method the path does not take 405,
 * for no path 404; without --cors-origin no origin is allowed; an origin that is not one is
 * refused at start.  Over HTTP: the headers themselves, and the security headers of a page and of
 * the API (Content-Security-Policy, nosniff, no referrer).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "api/pb_http.h"
#include "check.h"
#include "dispatch.h"
#include "http_client.h"

static struct pb_api *api;

static unsigned ask(const char *method, const char *path, const char *origin, const char *cors_method,
                    struct pb_api_response *r)
{
        struct pb_api_request q = {
                .method = method, .path = path, .origin = origin, .cors_method = cors_method
        };

        return dispatch(api, &q, r);
}

/* The whole answer to @req (headers and body), read until the server closes. */
static void raw(unsigned short port, const char *req, char *out, size_t cap)
{
        int fd = http_connect(port);
        size_t len = 0;
        ssize_t n;

        out[0] = '\0';
        if (fd < 0 || http_send(fd, req, strlen(req)) < 0)
                return;
        while (len + 1 < cap && (n = recv(fd, out + len, cap - 1 - len, 0)) > 0)
                len += (size_t)n;
        out[len] = '\0';
        close(fd);
}

static void in_process(void)
{
        struct pb_api_response r;

        CHECK_INT(ask("GET", "/v1/health", "https://city.example", NULL, &r), 200);
        CHECK_STR(r.cors_origin, "https://city.example");
        pb_api_response_release(&r);
        CHECK_INT(ask("GET", "/v1/elections/nope", "https://city.example", NULL, &r), 404);
        CHECK_STR(r.cors_origin, "https://city.example"); /* errors too: the page must read them */
        pb_api_response_release(&r);
        CHECK_INT(ask("GET", "/v1/health", "https://evil.example", NULL, &r), 200);
        CHECK(r.cors_origin == NULL);
        pb_api_response_release(&r);
        CHECK_INT(ask("GET", "/v1/health", "https://city.example.evil", NULL, &r), 200);
        CHECK(r.cors_origin == NULL); /* compared whole, never as a prefix */
        pb_api_response_release(&r);
        CHECK_INT(ask("GET", "/v1/health", NULL, NULL, &r), 200);
        CHECK(r.cors_origin == NULL);
        pb_api_response_release(&r);
        /* preflights */
        CHECK_INT(ask("OPTIONS", "/v1/elections/x/ballots", "http://localhost:5173", "POST", &r), 204);
        CHECK(r.preflight);
        CHECK_STR(r.allow, "POST");
        CHECK_STR(r.cors_origin, "http://localhost:5173");
        pb_api_response_release(&r);
        CHECK_INT(ask("OPTIONS", "/v1/elections", "https://city.example", "GET", &r), 204);
        CHECK_STR(r.allow, "POST, GET");
        pb_api_response_release(&r);
        CHECK_INT(ask("OPTIONS", "/v1/elections/x/ballots", "https://evil.example", "POST", &r), 403);
        CHECK(!r.preflight && r.cors_origin == NULL);
        pb_api_response_release(&r);
        CHECK_INT(ask("OPTIONS", "/v1/elections/x/ballots", "https://city.example", "DELETE", &r), 405);
        CHECK(!r.preflight);
        CHECK_STR(r.allow, "POST");
        pb_api_response_release(&r);
        CHECK_INT(ask("OPTIONS", "/v1/nope", "https://city.example", "GET", &r), 404);
        pb_api_response_release(&r);
        /* OPTIONS without the preflight's headers is an ordinary request: no route takes it */
        CHECK_INT(ask("OPTIONS", "/v1/health", NULL, NULL, &r), 405);
        pb_api_response_release(&r);
}

static void headers(void)
{
        struct pb_http_config hc;
        struct pb_http *http = NULL;
        struct pb_diag d;
        static char out[1 << 17];

        pb_http_config_default(&hc);
        hc.port = 0;
        pb_diag_clear(&d);
        CHECK_INT(pb_http_start(api, &hc, &http, &d), PB_OK);
        if (!http)
                return;
        raw(pb_http_port(http),
            "OPTIONS /v1/elections/x/ballots HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            "Origin: https://city.example\r\nAccess-Control-Request-Method: POST\r\n"
            "Access-Control-Request-Headers: authorization, content-type\r\n\r\n",
            out, sizeof(out));
        CHECK(!strncmp(out, "HTTP/1.1 204", 12));
        CHECK(strstr(out, "Access-Control-Allow-Origin: https://city.example\r\n") != NULL);
        CHECK(strstr(out, "Access-Control-Allow-Methods: POST\r\n") != NULL);
        CHECK(strstr(out, "Access-Control-Allow-Headers: Authorization, Content-Type\r\n") != NULL);
        CHECK(strstr(out, "Access-Control-Max-Age: 600\r\n") != NULL);
        CHECK(strstr(out, "Vary: Origin\r\n") != NULL);
        CHECK(strstr(out, "Access-Control-Allow-Credentials") == NULL);
        raw(pb_http_port(http),
            "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nOrigin: https://city.example\r\n\r\n",
            out, sizeof(out));
        CHECK(strstr(out, "Access-Control-Allow-Origin: https://city.example\r\n") != NULL);
        CHECK(strstr(out, "Access-Control-Expose-Headers: Retry-After\r\n") != NULL);
        raw(pb_http_port(http),
            "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nOrigin: https://evil.example\r\n\r\n",
            out, sizeof(out));
        CHECK(!strncmp(out, "HTTP/1.1 200", 12));
        CHECK(strstr(out, "Access-Control-Allow-Origin") == NULL);
        /* the security headers, on a page and on the API */
        for (int i = 0; i < 2; i++) {
                raw(pb_http_port(http),
                    i ? "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                      : "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                    out, sizeof(out));
                CHECK(strstr(out, "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; "
                                  "base-uri 'none'; form-action 'self'\r\n") != NULL);
                CHECK(strstr(out, "X-Content-Type-Options: nosniff\r\n") != NULL);
                CHECK(strstr(out, "Referrer-Policy: no-referrer\r\n") != NULL);
                CHECK(strstr(out, "Cache-Control: no-store\r\n") != NULL);
        }
        pb_http_stop(http);
}

static struct pb_api *start(const char *dir, const char *const *origins, size_t n, pb_err *ret)
{
        struct pb_api_config ac;
        struct pb_api *a = NULL;
        struct pb_diag d;

        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.data_dir = dir;
        ac.cors_origins = origins;
        ac.n_cors_origins = n;
        pb_diag_clear(&d);
        *ret = pb_api_new(&ac, &a, &d);
        return a;
}

int main(void)
{
        static const char *const origins[] = { "https://city.example", "http://localhost:5173" };
        static const char *const bad[] = { "https://city.example/",
                                           "city.example",
                                           "https://a.example/x",
                                           "ftp://a.example",
                                           "https://",
                                           "*",
                                           "https://a b" };
        char dir[] = "/tmp/pbvote-cors-XXXXXX";
        struct pb_api_response r;
        pb_err e;

        if (sodium_init() < 0 || !mkdtemp(dir))
                return 1;
        api = start(dir, origins, 2, &e);
        CHECK_INT(e, PB_OK);
        if (api) {
                in_process();
                headers();
                pb_api_free(api);
        }
        /* no --cors-origin: no origin is allowed */
        api = start(dir, NULL, 0, &e);
        if (api) {
                CHECK_INT(ask("OPTIONS", "/v1/health", "https://city.example", "GET", &r), 403);
                pb_api_response_release(&r);
                CHECK_INT(ask("GET", "/v1/health", "https://city.example", NULL, &r), 200);
                CHECK(r.cors_origin == NULL);
                pb_api_response_release(&r);
                pb_api_free(api);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                api = start(dir, &bad[i], 1, &e);
                if (e != PB_ERR_INVALID)
                        fprintf(stderr, "origin '%s' accepted\n", bad[i]);
                CHECK_INT(e, PB_ERR_INVALID);
                CHECK(api == NULL);
                pb_api_free(api);
        }
        rmdir(dir);
        return check_summary("api-cors");
}
