/**
 * @file The action routes (open, suspend, resume, close, tally) accept the empty JSON object as
 * their body, as clients that always send a JSON body send it (issue 11), with whitespace too; any
 * other body stays refused with 400, and a GET with a body too.
 */
#include "api_fixture.h"
#include "check.h"

static struct fixture fx;

/* POST /v1/elections/e1@action with @body as the server admin; the status. */
static int action(const char *what, const char *body, char *out, size_t cap)
{
        char path[128];

        snprintf(path, sizeof(path), "/v1/elections/e1%s", what);
        return call(&fx, "POST", path, fx.admin, body, out, cap);
}

int main(void)
{
        static char manifest[4096], out[1 << 16];

        if (fixture_start(&fx, true) < 0)
                return 1;
        snprintf(manifest, sizeof(manifest), fixture_manifest, "e1", "e1");
        CHECK_INT(call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)), 201);

        /* anything but the empty object is still refused, and changes nothing */
        CHECK_INT(action("/open", "{\"now\":true}", out, sizeof(out)), 400);
        CHECK(strstr(out, "takes no request body") != NULL);
        CHECK_INT(action("/open", "[]", out, sizeof(out)), 400);
        CHECK_INT(action("/open", "{}{}", out, sizeof(out)), 400);
        CHECK_INT(action("/open", "{", out, sizeof(out)), 400);
        CHECK_INT(call(&fx, "GET", "/v1/elections/e1", NULL, "{}", out, sizeof(out)), 400);
        CHECK_INT(call(&fx, "GET", "/v1/elections/e1", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"state\":\"draft\"") != NULL);

        /* every action with {} (and with whitespace around it) */
        CHECK_INT(action("/open", "{}", out, sizeof(out)), 200);
        CHECK_INT(action("/suspend", " { } ", out, sizeof(out)), 200);
        CHECK_INT(action("/resume", "{}\n", out, sizeof(out)), 200);
        CHECK_INT(action("/close", "\r\n{\t}", out, sizeof(out)), 200);
        CHECK_INT(action("/tally", "{}", out, sizeof(out)), 200);
        CHECK(strstr(out, "\"payloadType\"") != NULL);
        CHECK_INT(call(&fx, "GET", "/v1/elections/e1", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out, "\"state\":\"tallied\"") != NULL);

        fixture_stop(&fx);
        return check_summary("api-empty-body");
}
