/** @file A request through pb_api_dispatch() in the test's own process, with no socket: for the
 *  fields a test cannot set over HTTP (the client address) or wants to look at unserialised. */
#ifndef PB_TEST_DISPATCH_H
#define PB_TEST_DISPATCH_H

#include "api/pb_api.h"

/* @q through @api: the status; the answer into @r (initialised here, released by the caller). */
static inline unsigned dispatch(struct pb_api *api, const struct pb_api_request *q, struct pb_api_response *r)
{
        pb_api_response_init(r);
        (void)pb_api_dispatch(api, q, r);
        return r->status;
}

#endif
