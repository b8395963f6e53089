/**
 * @file Bearer tokens -> roles.  Server administrators' tokens (which can create elections and act
 * on every election) are in DATA_DIR/admin.tokens, one SHA-256 hash (hex) per line, written by
 * `pbvote token create --data DIR --role admin`; every other token belongs to one election's
 * ballot box (pb_box_token_check).  Tokens are compared by hash in constant time.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "ballots/pb_admin_tokens.h"

unsigned pb_api_roles(struct pb_api *api, const char *authorization, struct pb_api_election *el)
{
        const char *tok;
        size_t len;
        unsigned roles = 0;
        enum pb_role role;

        if (!authorization || strncasecmp(authorization, "Bearer ", 7))
                return 0;
        tok = authorization + 7;
        len = strlen(tok);
        if (len != PB_TOKEN_TEXT_LEN)
                return 0;
        for (size_t i = 0; i < len; i++)
                if (!((tok[i] >= '0' && tok[i] <= '9') || (tok[i] >= 'a' && tok[i] <= 'f')))
                        return 0;
        if (pb_admin_token_check(api->data_dir, tok, len))
                roles |= PB_API_ROLE_BIT(PB_ROLE_ADMIN);
        if (el) {
                pthread_mutex_lock(&el->lock);
                if (pb_box_token_check(el->box, tok, len, &role) == PB_OK)
                        roles |= PB_API_ROLE_BIT(role);
                pthread_mutex_unlock(&el->lock);
        }
        return roles;
}
