/**
 * @file Per-kiosk limits (verifiability.md §6.4, docs/api.md "Limits") for device tokens: a token
 * bucket of casts (a burst of PB_KIOSK_BURST, then one per PB_KIOSK_PERIOD_MS, as the generic cell
 * rate algorithm: one "theoretical arrival time" per kiosk), and failed voter codes in a row: after
 * PB_KIOSK_BACKOFF_AFTER of them the kiosk waits 2^(n-5) s before its next cast, and at
 * PB_KIOSK_LOCK_AT it is locked (stored in the box) until `pbvote token unlock`.  The state lives in
 * memory, in a fixed table (a kiosk whose slot is taken by another starts afresh, which only ever
 * lets it cast sooner); the lock is what must survive a restart, and it is in the database.
 */
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

#define KIOSK_SLOTS 4096

struct pb_api_kiosk {
        const struct pb_api_election *el; /* NULL: a free slot */
        char id[PB_TOKEN_ID_LEN + 1];
        uint64_t tat;           /* when the bucket is full again, in ms of the API's clock */
        unsigned failures;      /* failed voter codes in a row */
        uint64_t backoff_until; /* no cast before, in ms */
        bool locked_here;       /* this server locked it (the box holds the lock) */
};

pb_err pb_api_kiosks_init(struct pb_api *api)
{
        api->kiosks = pb_calloc(KIOSK_SLOTS, sizeof(*api->kiosks));
        if (!api->kiosks)
                return PB_ERR_NOMEM;
        pthread_mutex_init(&api->kiosks_lock, NULL);
        return PB_OK;
}

void pb_api_kiosks_free(struct pb_api *api)
{
        if (!api->kiosks)
                return;
        pthread_mutex_destroy(&api->kiosks_lock);
        pb_free(api->kiosks);
        api->kiosks = NULL;
}

/* The slot of (el, id), taken over when another kiosk held it.  kiosks_lock held. */
static struct pb_api_kiosk *slot(struct pb_api *api, const struct pb_api_election *el, const char *id)
{
        uint32_t h = 2166136261u; /* FNV-1a of the id and the election's address */
        struct pb_api_kiosk *k;

        for (const char *p = id; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        h ^= (uint32_t)((uintptr_t)el >> 4);
        k = &api->kiosks[h % KIOSK_SLOTS];
        if (k->el != el || strcmp(k->id, id)) {
                memset(k, 0, sizeof(*k));
                k->el = el;
                memcpy(k->id, id, sizeof(k->id));
        }
        return k;
}

static unsigned seconds_until(uint64_t then, uint64_t now)
{
        return then > now ? (unsigned)((then - now + 999) / 1000) : 0;
}

enum pb_kiosk_verdict pb_api_kiosk_admit(struct pb_api *api, const struct pb_api_election *el,
                                         const struct pb_api_token *t, unsigned *ret_retry_s)
{
        const uint64_t span = (uint64_t)(PB_KIOSK_BURST - 1) * PB_KIOSK_PERIOD_MS;
        uint64_t now = api->clock_ms();
        enum pb_kiosk_verdict v = PB_KIOSK_ADMIT;
        struct pb_api_kiosk *k;

        *ret_retry_s = 0;
        pthread_mutex_lock(&api->kiosks_lock);
        k = slot(api, el, t->id);
        if (t->flags & PB_TOKEN_LOCKED) {
                v = PB_KIOSK_LOCKED;
        } else if (k->locked_here) {
                /* locked here, and the box says unlocked: a poll worker unlocked it since */
                k->locked_here = false;
                k->failures = 0;
                k->backoff_until = 0;
        }
        if (v == PB_KIOSK_ADMIT && now < k->backoff_until) {
                v = PB_KIOSK_BACKOFF;
                *ret_retry_s = seconds_until(k->backoff_until, now);
        }
        if (v == PB_KIOSK_ADMIT) {
                uint64_t tat = k->tat > now ? k->tat : now;
                if (tat > now + span) {
                        v = PB_KIOSK_RATE;
                        *ret_retry_s = seconds_until(tat - span, now);
                } else {
                        k->tat = tat + PB_KIOSK_PERIOD_MS;
                }
        }
        pthread_mutex_unlock(&api->kiosks_lock);
        return v;
}

bool pb_api_kiosk_outcome(struct pb_api *api, const struct pb_api_election *el, const char *id,
                          bool code_failed)
{
        uint64_t now = api->clock_ms();
        struct pb_api_kiosk *k;
        bool lock = false;

        pthread_mutex_lock(&api->kiosks_lock);
        k = slot(api, el, id);
        if (!code_failed) {
                k->failures = 0;
                k->backoff_until = 0;
        } else if (++k->failures >= PB_KIOSK_LOCK_AT) {
                lock = !k->locked_here;
                k->locked_here = true;
        } else if (k->failures >= PB_KIOSK_BACKOFF_AFTER) {
                k->backoff_until = now + (1000ull << (k->failures - PB_KIOSK_BACKOFF_AFTER));
        }
        pthread_mutex_unlock(&api->kiosks_lock);
        return lock;
}
