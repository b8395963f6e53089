/**
 * @file The pages `pbvote serve` serves itself (DESIGN.md §5.6, docs/pages.md): every path outside
 * /v1/ is a page or one of its assets, from the table built into the binary (api/pb_web.h).
 *
 * - the app shell (web/index.html) for each page's path: the voting pages, the kiosk, and the
 *   results and receipt pages; it is never cached (Cache-Control: no-store), since a kiosk must
 *   keep nothing of a resident;
 * - /assets/<build id>/<file>: the CSS, modules and translations of this build, with a strong
 *   ETag, cacheable for good (a new build has a new id, so a page never mixes two builds);
 * - anything else: the app shell with status 404 (the page says "not found" in the resident's
 *   language).
 * The security headers (Content-Security-Policy: default-src 'self', nosniff, no referrer) are
 * set by the HTTP layer on every response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/pb_web.h"

/* The paths that serve the app shell; "{id}" is an election id.  A new page adds a line here and
 * a screen in web/js/app.js. */
static const char *const shell_paths[] = {
        "/", "/vote/{id}", "/kiosk", "/results/{id}", "/receipt", "/admin/cards", NULL,
};

static const char immutable[] = "public, max-age=31536000, immutable";

static bool id_ok(const char *s)
{
        size_t n = strlen(s);

        if (!n || n > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool shell_match(const char *pattern, const char *path)
{
        const char *brace = strstr(pattern, "{id}");
        size_t pre;

        if (!brace)
                return !strcmp(pattern, path);
        pre = (size_t)(brace - pattern);
        return !strncmp(pattern, path, pre) && id_ok(path + pre);
}

static int by_path(const void *key, const void *elem)
{
        return strcmp(key, ((const struct pb_web_asset *)elem)->path);
}

const struct pb_web_asset *pb_web_find(const char *path)
{
        return bsearch(path, pb_web_assets, pb_web_n_assets, sizeof(pb_web_assets[0]), by_path);
}

static void serve(struct pb_api_response *resp, unsigned status, const struct pb_web_asset *a,
                  const char *cache_control)
{
        pb_buf_reset(&resp->body);
        resp->status = status;
        resp->content_type = a->content_type;
        resp->static_body = a->bytes;
        resp->static_len = a->len;
        resp->cache_control = cache_control;
}

/* /assets/<build id>/<file>; NULL when it names no asset of this build. */
static const struct pb_web_asset *asset_of(const char *path)
{
        static const char prefix[] = "/assets/";
        const char *id = path + sizeof(prefix) - 1;
        size_t idl = strlen(pb_web_build_id);

        if (strncmp(path, prefix, sizeof(prefix) - 1) || strncmp(id, pb_web_build_id, idl) || id[idl] != '/')
                return NULL;
        if (!strcmp(id + idl, "/index.html"))
                return NULL; /* the shell only at its own paths, never cached */
        return pb_web_find(id + idl);
}

/* RFC 9110 §13.1.2: a list of entity tags, or "*"; weak comparison is enough for GET. */
static bool etag_matches(const char *if_none_match, const char *etag)
{
        return if_none_match && (strstr(if_none_match, etag) || !strcmp(if_none_match, "*"));
}

bool pb_api_pages(const struct pb_api_request *req, struct pb_api_response *resp)
{
        const struct pb_web_asset *a, *shell;

        if (!req->path || !strcmp(req->path, "/v1") || !strncmp(req->path, "/v1/", 4))
                return false;
        resp->route = "/ (pages)";
        if (!req->method || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))) {
                snprintf(resp->allow, sizeof(resp->allow), "GET, HEAD");
                pb_api_problem(resp, PB_ERR_METHOD, "a page is only read (GET)", NULL);
                return true;
        }
        shell = pb_web_find("/index.html");
        a = asset_of(req->path);
        if (a) {
                resp->route = "/assets/{file}";
                resp->etag = a->etag;
                if (etag_matches(req->if_none_match, a->etag)) {
                        serve(resp, 304, a, immutable);
                        resp->static_len = 0;
                        return true;
                }
                serve(resp, 200, a, immutable);
                return true;
        }
        for (size_t i = 0; shell_paths[i]; i++)
                if (shell_match(shell_paths[i], req->path)) {
                        resp->route = shell_paths[i];
                        serve(resp, 200, shell, NULL);
                        return true;
                }
        serve(resp, 404, shell, NULL);
        return true;
}
