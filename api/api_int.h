/** @file Private to api/: the per-request context, the route table and the handlers. */
#ifndef PB_API_INT_H
#define PB_API_INT_H

#include <cjson/cJSON.h>

#include "api/pb_api.h"

struct pb_api;

/** What a route accepts as a body. */
enum pb_api_body {
        PB_BODY_NONE,   /* no body (an empty one is fine) */
        PB_BODY_BALLOT, /* JSON, at most limits.max_body_ballot */
        PB_BODY_ADMIN   /* JSON, at most limits.max_body_admin */
};

#define PB_API_MAX_PARAMS 2
#define PB_API_PARAM_MAX 80

/** Everything one request owns while it is handled. */
struct pb_api_ctx {
        struct pb_api *api;
        const struct pb_api_request *req;
        struct pb_api_response *resp;
        char param[PB_API_MAX_PARAMS][PB_API_PARAM_MAX]; /* captured {id}, {commitment} */
        unsigned role;                                   /* roles the credentials grant */
        cJSON *json;                                     /* parsed body, owned (deleted after) */
};

typedef void (*pb_api_handler)(struct pb_api_ctx *c);

struct pb_api_route {
        const char *method;
        const char *pattern; /* "/v1/elections/{id}/ballots" */
        unsigned roles;      /* PB_ROLE_PUBLIC: anyone; else the roles admitted */
        enum pb_api_body body;
        pb_api_handler fn;
};

/** The route table (routes.c), terminated by a NULL method. */
extern const struct pb_api_route pb_api_routes[];

/** Match @method and @path; NULL when no route.  When the path matches routes with other methods
 *  only, @allow (32 bytes) lists them ("GET, POST") for a 405.  Fills @c->param. */
const struct pb_api_route *pb_api_route_find(const char *method, const char *path, struct pb_api_ctx *c,
                                             char allow[32]);

/** Reply with a canonical JSON body (status 200 unless set). */
void pb_api_reply_json(struct pb_api_ctx *c, unsigned status, const struct pb_buf *body);

/* handlers */
void pb_h_health(struct pb_api_ctx *c);

#endif
