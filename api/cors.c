/**
 * @file CORS (docs/api.md, "CORS"; DESIGN.md §5.2): a city's own frontend on another origin may
 * call the API from a browser when the operator allows its origin (`pbvote serve --cors-origin
 * ORIGIN`, repeatable; none by default: the pages pbvote serves itself are same-origin).
 *
 * An allowed origin's requests are answered with `Access-Control-Allow-Origin: <that origin>`
 * (never "*"), `Vary: Origin`, and Retry-After exposed; its preflights (OPTIONS with
 * Access-Control-Request-Method) with 204, the methods the path takes, the headers the API reads
 * (Authorization, Content-Type) and a 10-minute cache.  Credentials are bearer tokens in a
 * header, never cookies, so no Access-Control-Allow-Credentials.  Another origin's preflight is
 * refused (403); its other requests are answered as ever, without the header, and its page's
 * browser withholds the answer.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

bool pb_api_origin_is_valid(const char *s)
{
        const char *host;
        size_t n = strlen(s);

        if (!strncmp(s, "https://", 8))
                host = s + 8;
        else if (!strncmp(s, "http://", 7))
                host = s + 7;
        else
                return false;
        if (!*host || n > 255)
                return false;
        /* a host name or an IPv4 address, an optional :port; no path, query, user or IPv6 literal */
        return strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") ==
                       strlen(host) &&
               host[0] != ':' && host[strlen(host) - 1] != ':' && host[strlen(host) - 1] != '.';
}

pb_err pb_api_cors_init(struct pb_api *api, const struct pb_api_config *cfg, struct pb_diag *reterr)
{
        api->cors_origins = NULL;
        api->n_cors_origins = 0;
        if (!cfg->n_cors_origins)
                return PB_OK;
        api->cors_origins = pb_calloc(cfg->n_cors_origins, sizeof(*api->cors_origins));
        if (!api->cors_origins)
                return PB_ERR_NOMEM;
        for (size_t i = 0; i < cfg->n_cors_origins; i++) {
                const char *o = cfg->cors_origins[i];

                if (!pb_api_origin_is_valid(o))
                        return pb_diag_set(reterr, PB_ERR_INVALID, "cors-origin",
                                           "an origin is http:// or https://, a host and an optional port, "
                                           "nothing more (https://city.example)");
                api->cors_origins[i] = pb_strndup(o, strlen(o));
                if (!api->cors_origins[i])
                        return PB_ERR_NOMEM;
                api->n_cors_origins = i + 1;
        }
        return PB_OK;
}

void pb_api_cors_free(struct pb_api *api)
{
        for (size_t i = 0; i < api->n_cors_origins; i++)
                pb_free(api->cors_origins[i]);
        pb_free(api->cors_origins);
        api->cors_origins = NULL;
        api->n_cors_origins = 0;
}

/* The API's copy of @origin when it is allowed (compared exactly: origins are case-sensitive in
 * their scheme and port as a browser sends them), else NULL. */
static const char *allowed(const struct pb_api *api, const char *origin)
{
        for (size_t i = 0; origin && i < api->n_cors_origins; i++)
                if (!strcmp(api->cors_origins[i], origin))
                        return api->cors_origins[i];
        return NULL;
}

/* Is @method one of the comma-separated methods of @list ("GET, POST")? */
static bool has_method(const char *list, const char *method)
{
        size_t n = strlen(method);

        for (const char *p = list; (p = strstr(p, method)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

bool pb_api_cors(struct pb_api *api, const struct pb_api_request *req, struct pb_api_response *resp)
{
        const char *origin = allowed(api, req->origin);
        char allow[32];
        struct pb_api_ctx c;

        resp->cors_origin = origin;
        if (strcmp(req->method, "OPTIONS") || !req->origin || !req->cors_method)
                return false;
        memset(&c, 0, sizeof(c));
        if (!origin) {
                pb_api_problem(resp, PB_ERR_FORBIDDEN,
                               "this origin may not call the API (pbvote serve --cors-origin)", NULL);
                return true;
        }
        /* every method of this path (a method no route has lists them all); the one asked for
         * must be among them */
        (void)pb_api_route_find("-", req->path, &c, allow);
        if (!allow[0]) {
                pb_api_problem(resp, PB_ERR_NOT_FOUND, "no such resource", NULL);
                return true;
        }
        if (!has_method(allow, req->cors_method)) {
                snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
                pb_api_problem(resp, PB_ERR_METHOD, "method not allowed on this resource", NULL);
                return true;
        }
        resp->status = 204;
        resp->content_type = NULL;
        resp->preflight = true;
        snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
        return true;
}
