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
#include <time.h>

#include "api/api_int.h"
#include "ballots/pb_admin_tokens.h"

/*
 * A cache of recent verdicts, so that checking a token does not wait for the election's lock, which
 * the writer holds through every COMMIT: without it every request would queue behind the disk.
 * Keyed by SHA-256(token) and the election; a verdict lives PB_API_AUTH_TTL seconds, so a token
 * revoked with `pbvote token revoke` stops working within that time.
 */
#define PB_API_AUTH_TTL 10
#define AUTH_SLOTS 1024

struct verdict {
        uint8_t h[32];
        const struct pb_api_election *el;
        unsigned roles;
        time_t until;
};

static struct verdict cache[AUTH_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t mono_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static bool cached(const uint8_t h[32], const struct pb_api_election *el, unsigned *ret)
{
        const struct verdict *v = &cache[(h[0] | (unsigned)h[1] << 8) % AUTH_SLOTS];
        bool hit;

        pthread_mutex_lock(&cache_lock);
        hit = v->until > mono_now() && v->el == el && sodium_memcmp(v->h, h, 32) == 0;
        if (hit)
                *ret = v->roles;
        pthread_mutex_unlock(&cache_lock);
        return hit;
}

static void remember(const uint8_t h[32], const struct pb_api_election *el, unsigned roles)
{
        struct verdict *v = &cache[(h[0] | (unsigned)h[1] << 8) % AUTH_SLOTS];

        pthread_mutex_lock(&cache_lock);
        memcpy(v->h, h, 32);
        v->el = el;
        v->roles = roles;
        v->until = mono_now() + PB_API_AUTH_TTL;
        pthread_mutex_unlock(&cache_lock);
}

unsigned pb_api_roles(struct pb_api *api, const char *authorization, struct pb_api_election *el)
{
        uint8_t h[32];
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
        crypto_hash_sha256(h, (const uint8_t *)tok, len);
        if (cached(h, el, &roles))
                return roles;
        if (pb_admin_token_check(api->data_dir, tok, len))
                roles |= PB_API_ROLE_BIT(PB_ROLE_ADMIN);
        if (el) {
                pthread_mutex_lock(&el->lock);
                if (pb_box_token_check(el->box, tok, len, &role) == PB_OK)
                        roles |= PB_API_ROLE_BIT(role);
                pthread_mutex_unlock(&el->lock);
        }
        remember(h, el, roles);
        return roles;
}
