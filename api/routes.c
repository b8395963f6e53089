/** @file The route table (DESIGN.md §5.2) and path matching. */
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_code.h"

#define ADMIN PB_API_ROLE_BIT(PB_ROLE_ADMIN)
#define KIOSK PB_API_ROLE_BIT(PB_ROLE_KIOSK)
#define AUDITOR PB_API_ROLE_BIT(PB_ROLE_AUDITOR)
#define OFFICER PB_API_ROLE_BIT(PB_ROLE_OFFICER)

/* DESIGN.md §5.2; docs/openapi.yaml describes the same table (a test checks they agree).  The
 * election state each route needs is checked by the ballot box itself (PB_ERR_STATE -> 409). */
const struct pb_api_route pb_api_routes[] = {
        { "GET", "/v1/health", 0, PB_BODY_NONE, pb_h_health, "liveness and version", false },
        { "POST", "/v1/elections", ADMIN, PB_BODY_ADMIN, pb_h_elections_create,
          "create an election from a manifest", false },
        { "GET", "/v1/elections", 0, PB_BODY_NONE, pb_h_elections_list, "list the elections", false },
        { "GET", "/v1/elections/{id}", 0, PB_BODY_NONE, pb_h_election_get, "the manifest, signed once open",
          false },
        { "PUT", "/v1/elections/{id}", ADMIN, PB_BODY_ADMIN, pb_h_election_put, "replace a draft's manifest",
          false },
        { "DELETE", "/v1/elections/{id}", ADMIN, PB_BODY_NONE, pb_h_election_delete, "delete a draft",
          false },
        { "POST", "/v1/elections/{id}/open", ADMIN, PB_BODY_NONE, pb_h_election_open, "open for voting",
          false },
        { "POST", "/v1/elections/{id}/suspend", ADMIN, PB_BODY_NONE, pb_h_election_suspend, "pause voting",
          false },
        { "POST", "/v1/elections/{id}/resume", ADMIN, PB_BODY_NONE, pb_h_election_resume, "resume voting",
          false },
        { "POST", "/v1/elections/{id}/close", ADMIN, PB_BODY_NONE, pb_h_election_close, "close for good",
          false },
        { "POST", "/v1/elections/{id}/codes", ADMIN, PB_BODY_ADMIN, pb_h_codes, "issue voter codes", false },
        { "POST", "/v1/elections/{id}/codes/contests", KIOSK, PB_BODY_BALLOT, pb_h_code_contests,
          "the contests an unspent voter code is for", true },
        { "POST", "/v1/elections/{id}/ballots", KIOSK, PB_BODY_BALLOT, pb_h_ballots, "cast a ballot", true },
        { "POST", "/v1/elections/{id}/paper", OFFICER, PB_BODY_BALLOT, pb_h_paper, "enter a paper ballot",
          false },
        { "GET", "/v1/elections/{id}/receipts/{commitment}", 0, PB_BODY_NONE, pb_h_receipt,
          "inclusion proof of a receipt", false },
        { "GET", "/v1/elections/{id}/receipts/{short_code}", 0, PB_BODY_NONE, pb_h_receipt_short,
          "a receipt by its short code", false },
        { "GET", "/v1/elections/{id}/checkpoint", 0, PB_BODY_NONE, pb_h_checkpoint,
          "latest signed checkpoint", false },
        { "POST", "/v1/elections/{id}/tally", ADMIN, PB_BODY_OPTIONAL, pb_h_tally,
          "count and sign the result", false },
        { "GET", "/v1/elections/{id}/result", 0, PB_BODY_NONE, pb_h_result,
          "the signed result and certification", false },
        { "GET", "/v1/elections/{id}/export", AUDITOR | ADMIN, PB_BODY_NONE, pb_h_export,
          "the audit bundle as a tar archive", false },
        { "GET", "/v1/elections/{id}/pabulib/{contest}", 0, PB_BODY_NONE, pb_h_pabulib,
          "the ballots of a contest as a pabulib file, once counted", false },
        { "GET", "/v1/elections/{id}/turnout", 0, PB_BODY_NONE, pb_h_turnout, "counts, never partial results",
          false },
        { NULL, NULL, 0, PB_BODY_NONE, NULL, NULL, false },
};

/* {short_code}: 10 letters and digits as typed, dashes allowed between (the box reads the
 * symbols: pb_code_short_parse); never 64 characters, so never a commitment. */
static bool short_code_ok(const char *s, size_t len)
{
        size_t symbols = 0;

        if (len > 2 * PB_CODE_SHORT_LEN)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                        symbols++;
                else if (c != '-')
                        return false;
        }
        return symbols == PB_CODE_SHORT_LEN;
}

/* {id}: an election id, [A-Za-z0-9._-]{1,64}; {commitment}: 64 lowercase hex digits; {short_code}. */
static bool param_ok(const char *name, size_t name_len, const char *s, size_t len)
{
        if (name_len == 12 && !memcmp(name, "{short_code}", 12))
                return short_code_ok(s, len);
        if (name_len == 12 && !memcmp(name, "{commitment}", 12)) {
                if (len != 64)
                        return false;
                for (size_t i = 0; i < len; i++)
                        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                                return false;
                return true;
        }
        if (len == 0 || len > 64 || (len <= 2 && s[0] == '.' && (len == 1 || s[1] == '.')))
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

/* Segment-by-segment match; captures {id} and {commitment} into c->param. */
static bool match(const char *pattern, const char *path, struct pb_api_ctx *c)
{
        unsigned n = 0;

        for (;;) {
                const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
                size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
                size_t sl = se ? (size_t)(se - path) : strlen(path);

                if (pl && pattern[0] == '{') {
                        if (!param_ok(pattern, pl, path, sl) || n == PB_API_MAX_PARAMS)
                                return false;
                        if (c) {
                                memcpy(c->param[n], path, sl);
                                c->param[n][sl] = '\0';
                        }
                        n++;
                } else if (pl != sl || memcmp(pattern, path, pl)) {
                        return false;
                }
                if (!pe || !se)
                        return !pe && !se;
                pattern = pe + 1;
                path = se + 1;
        }
}

const struct pb_api_route *pb_api_route_find(const char *method, const char *path, struct pb_api_ctx *c,
                                             char allow[32])
{
        allow[0] = '\0';
        for (const struct pb_api_route *r = pb_api_routes; r->method; r++) {
                if (!match(r->pattern, path, NULL))
                        continue;
                if (!strcmp(r->method, method)) {
                        (void)match(r->pattern, path, c);
                        return r;
                }
                if (strlen(allow) + strlen(r->method) + 3 < 32 && !strstr(allow, r->method)) {
                        if (allow[0])
                                strncat(allow, ", ", 3);
                        strncat(allow, r->method, 8);
                }
        }
        return NULL;
}

bool pb_api_route_info(size_t i, struct pb_api_route_info *ret)
{
        for (size_t k = 0; pb_api_routes[k].method; k++)
                if (k == i) {
                        const struct pb_api_route *r = &pb_api_routes[k];
                        ret->method = r->method;
                        ret->pattern = r->pattern;
                        ret->roles = r->roles;
                        ret->takes_body = r->body != PB_BODY_NONE;
                        ret->body_required = r->body == PB_BODY_BALLOT || r->body == PB_BODY_ADMIN;
                        ret->summary = r->summary;
                        return true;
                }
        return false;
}
