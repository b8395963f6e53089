/**
 * @file The pages' routes (api/h_pages.c) in-process: the app shell at each page's path with
 * Cache-Control: no-store; this build's assets with their type, strong ETag and a year's cache, 304
 * to their ETag; every file of web/ built in; a page only read (405 otherwise); any other path the
 * shell with 404; /v1/ untouched.  The security headers are the HTTP layer's (checked by the
 * browser suite against a live server, tests/browser/pages.test.mjs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "api/api_int.h"
#include "api/pb_web.h"
#include "check.h"
#include "dispatch.h"

static struct pb_api *api;

static unsigned get(const char *method, const char *path, const char *inm, struct pb_api_response *r)
{
        struct pb_api_request q = { .method = method, .path = path, .if_none_match = inm };

        return dispatch(api, &q, r);
}

static bool is_shell(const struct pb_api_response *r)
{
        const struct pb_web_asset *shell = pb_web_find("/index.html");
        return r->static_body == shell->bytes && r->static_len == shell->len &&
               !strcmp(r->content_type, "text/html; charset=utf-8") && !r->cache_control && !r->etag;
}

static void shell_paths(void)
{
        static const char *const ok[] = { "/",           "/vote/warszawa-2023", "/vote/BO.OM.97_24",
                                          "/kiosk",      "/results/x",          "/receipt",
                                          "/admin/cards" };
        static const char *const missing[] = {
                "/vote",      "/vote/",
                "/vote/a/b",  "/vote/..",
                "/kiosk/",    "/index.html",
                "/admin",     "/admin/cards/",
                "/nope",      "/assets/",
                "/v2/health", "/vote/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        };
        struct pb_api_response r;

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                CHECK_INT(get("GET", ok[i], NULL, &r), 200);
                CHECK(is_shell(&r));
                pb_api_response_release(&r);
                CHECK_INT(get("HEAD", ok[i], NULL, &r), 200);
                pb_api_response_release(&r);
        }
        for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
                CHECK_INT(get("GET", missing[i], NULL, &r), 404);
                CHECK(is_shell(&r)); /* the page says "not found" in the resident's language */
                pb_api_response_release(&r);
        }
        CHECK_INT(get("POST", "/", NULL, &r), 405);
        CHECK_STR(r.allow, "GET, HEAD");
        CHECK(!r.static_body && strstr(r.content_type, "problem+json"));
        pb_api_response_release(&r);
        CHECK_INT(get("DELETE", "/kiosk", NULL, &r), 405);
        pb_api_response_release(&r);
}

static void assets(void)
{
        char path[256], stale[256];
        struct pb_api_response r;
        size_t html = 0;

        CHECK(pb_web_n_assets >= 20);
        CHECK_INT(strlen(pb_web_build_id), 12);
        for (size_t i = 0; i < pb_web_n_assets; i++) {
                const struct pb_web_asset *a = &pb_web_assets[i];
                if (i)
                        CHECK(strcmp(pb_web_assets[i - 1].path, a->path) < 0); /* sorted, for bsearch */
                CHECK(a->len > 0 && a->bytes[a->len] == 0);
                CHECK(strlen(a->etag) == 34 && a->etag[0] == '"' && a->etag[33] == '"');
                if (!strcmp(a->path, "/index.html")) {
                        html++;
                        continue;
                }
                snprintf(path, sizeof(path), "/assets/%s%s", pb_web_build_id, a->path);
                CHECK_INT(get("GET", path, NULL, &r), 200);
                CHECK(r.static_body == a->bytes && r.static_len == a->len);
                CHECK_STR(r.content_type, a->content_type);
                CHECK_STR(r.etag, a->etag);
                CHECK_STR(r.cache_control, "public, max-age=31536000, immutable");
                pb_api_response_release(&r);
                CHECK_INT(get("GET", path, a->etag, &r), 304);
                CHECK_INT(r.static_len, 0);
                CHECK_STR(r.etag, a->etag);
                pb_api_response_release(&r);
                CHECK_INT(get("GET", path, "\"00000000000000000000000000000000\"", &r), 200);
                pb_api_response_release(&r);
        }
        CHECK_INT(html, 1);
        /* the shell names this build's assets, never the placeholder */
        CHECK(strstr((const char *)pb_web_find("/index.html")->bytes, pb_web_build_id) != NULL);
        CHECK(strstr((const char *)pb_web_find("/index.html")->bytes, "@ASSETS@") == NULL);
        CHECK(pb_web_find("/js/app.js") && pb_web_find("/css/app.css") && pb_web_find("/i18n/ar.json"));
        snprintf(path, sizeof(path), "/assets/%s/index.html", pb_web_build_id);
        CHECK_INT(get("GET", path, NULL, &r), 404); /* the shell is never served cacheable */
        pb_api_response_release(&r);
        snprintf(stale, sizeof(stale), "/assets/000000000000/js/app.js");
        CHECK_INT(get("GET", stale, NULL, &r), 404);
        pb_api_response_release(&r);
        snprintf(path, sizeof(path), "/assets/%s/js/../js/app.js", pb_web_build_id);
        CHECK_INT(get("GET", path, NULL, &r), 404);
        pb_api_response_release(&r);
}

static void api_untouched(void)
{
        struct pb_api_response r;

        CHECK_INT(get("GET", "/v1/health", NULL, &r), 200);
        CHECK_STR(r.content_type, "application/json");
        CHECK(!r.static_body && !r.cache_control);
        pb_api_response_release(&r);
        CHECK_INT(get("GET", "/v1/nope", NULL, &r), 404);
        CHECK(strstr(r.content_type, "problem+json") != NULL);
        pb_api_response_release(&r);
        CHECK_INT(get("GET", "/v1", NULL, &r), 404);
        CHECK(strstr(r.content_type, "problem+json") != NULL);
        pb_api_response_release(&r);
}

int main(void)
{
        struct pb_api_config ac;
        struct pb_diag d;
        char dir[] = "/tmp/pbvote-pages-XXXXXX";

        if (sodium_init() < 0 || !mkdtemp(dir))
                return 1;
        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.data_dir = dir;
        pb_diag_clear(&d);
        if (pb_api_new(&ac, &api, &d) < 0) {
                fprintf(stderr, "cannot start the API\n");
                return 1;
        }
        shell_paths();
        assets();
        api_untouched();
        pb_api_free(api);
        rmdir(dir);
        return check_summary("api-pages");
}
