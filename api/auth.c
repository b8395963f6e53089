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
 * Keyed by SHA-256(token) and the election; a verdict lives PB_API_AUTH_TTL_MS, so a token revoked
 * (or a kiosk unlocked) with `pbvote token` takes effect within that time.
 */
#define PB_API_AUTH_TTL_MS 10000
#define AUTH_SLOTS 1024

struct verdict {
        uint8_t h[32];
        const struct pb_api_election *el;
        unsigned roles;
        struct pb_api_token token;
        uint64_t until; /* ms of the API's clock */
};

static struct verdict cache[AUTH_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool cached(const uint8_t h[32], const struct pb_api_election *el, uint64_t now, unsigned *ret,
                   struct pb_api_token *ret_token)
{
        const struct verdict *v = &cache[(h[0] | (unsigned)h[1] << 8) % AUTH_SLOTS];
        bool hit;

        pthread_mutex_lock(&cache_lock);
        hit = v->until > now && v->el == el && sodium_memcmp(v->h, h, 32) == 0;
        if (hit) {
                *ret = v->roles;
                *ret_token = v->token;
        }
        pthread_mutex_unlock(&cache_lock);
        return hit;
}

static void remember(const uint8_t h[32], const struct pb_api_election *el, unsigned roles,
                     const struct pb_api_token *t, uint64_t now)
{
        struct verdict *v = &cache[(h[0] | (unsigned)h[1] << 8) % AUTH_SLOTS];

        pthread_mutex_lock(&cache_lock);
        memcpy(v->h, h, 32);
        v->el = el;
        v->roles = roles;
        v->token = *t;
        v->until = now + PB_API_AUTH_TTL_MS;
        pthread_mutex_unlock(&cache_lock);
}

void pb_api_auth_forget(const struct pb_api_election *el, const char *id)
{
        pthread_mutex_lock(&cache_lock);
        for (size_t i = 0; i < AUTH_SLOTS; i++)
                if (cache[i].el == el && cache[i].token.election_token && !strcmp(cache[i].token.id, id))
                        cache[i].until = 0;
        pthread_mutex_unlock(&cache_lock);
}

unsigned pb_api_roles(struct pb_api *api, const char *authorization, struct pb_api_election *el,
                      struct pb_api_token *ret_token)
{
        struct pb_api_token t;
        uint8_t h[32];
        const char *tok;
        size_t len;
        unsigned roles = 0;
        uint64_t now = api->clock_ms();

        memset(&t, 0, sizeof(t));
        *ret_token = t;
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
        if (cached(h, el, now, &roles, ret_token))
                return roles;
        if (pb_admin_token_check(api->data_dir, tok, len))
                roles |= PB_API_ROLE_BIT(PB_ROLE_ADMIN);
        if (el) {
                struct pb_token_info info;
                pthread_mutex_lock(&el->lock);
                if (pb_box_token_lookup(el->box, tok, len, &info) == PB_OK) {
                        roles |= PB_API_ROLE_BIT(info.role);
                        t.election_token = true;
                        memcpy(t.id, info.id, sizeof(t.id));
                        t.flags = info.flags;
                        t.restricted = info.restricted;
                        t.contests = info.contests;
                }
                pthread_mutex_unlock(&el->lock);
        }
        remember(h, el, roles, &t, now);
        *ret_token = t;
        return roles;
}
