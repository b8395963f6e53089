/**
 * @file Per-kiosk limits (verifiability.md §6.4, docs/api.md "Limits") for device tokens: a token
 * bucket of casts (a burst of PB_KIOSK_BURST, then one per PB_KIOSK_PERIOD_MS, as the generic cell
 * rate algorithm: one "theoretical arrival time" per kiosk), and failed voter codes in a row: after
 * PB_KIOSK_BACKOFF_AFTER of them the kiosk waits 2^(n-5) s before its next cast, and at
 * PB_KIOSK_LOCK_AT it is locked (stored in the box) until `pbvote token unlock`.  The state lives in
 * memory, one entry per device token that has cast (keyed by its election and its whole public
 * id, in a chained hash table, so two kiosks never share an entry: issue 11 found kiosks that
 * reset each other's counts in the fixed table of 4,096 slots this replaced); the lock is what
 * must survive a restart, and it is in the database.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

#define KIOSK_BUCKETS_MIN 256

struct pb_api_kiosk {
        struct pb_api_kiosk *next; /* in its bucket's chain */
        const struct pb_api_election *el;
        char id[PB_TOKEN_ID_LEN + 1];
        uint64_t tat;           /* when the bucket is full again, in ms of the API's clock */
        unsigned failures;      /* failed voter codes in a row */
        uint64_t backoff_until; /* no cast before, in ms */
        bool locked_here;       /* this server locked it (the box holds the lock) */
};

pb_err pb_api_kiosks_init(struct pb_api *api)
{
        api->kiosks = pb_calloc(KIOSK_BUCKETS_MIN, sizeof(*api->kiosks));
        if (!api->kiosks)
                return PB_ERR_NOMEM;
        api->kiosk_buckets = KIOSK_BUCKETS_MIN;
        api->n_kiosks = 0;
        pthread_mutex_init(&api->kiosks_lock, NULL);
        return PB_OK;
}

void pb_api_kiosks_free(struct pb_api *api)
{
        if (!api->kiosks)
                return;
        for (size_t i = 0; i < api->kiosk_buckets; i++)
                for (struct pb_api_kiosk *k = api->kiosks[i], *next; k; k = next) {
                        next = k->next;
                        pb_free(k);
                }
        pthread_mutex_destroy(&api->kiosks_lock);
        pb_free(api->kiosks);
        api->kiosks = NULL;
}

/* FNV-1a of the id and the election's address: only spreads entries over buckets; the entry is
 * found by comparing both in full. */
static size_t hash_of(const struct pb_api_election *el, const char *id)
{
        uint32_t h = 2166136261u;

        for (const char *p = id; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        h ^= (uint32_t)((uintptr_t)el >> 4);
        return h;
}

/* Twice the buckets once there are more entries than buckets (a chain stays short).  Without the
 * memory for it the table stays as it is: longer chains, the same answers. */
static void grow(struct pb_api *api)
{
        size_t n = api->kiosk_buckets * 2;
        struct pb_api_kiosk **t;

        if (api->n_kiosks <= api->kiosk_buckets || !(t = pb_calloc(n, sizeof(*t))))
                return;
        for (size_t i = 0; i < api->kiosk_buckets; i++)
                for (struct pb_api_kiosk *k = api->kiosks[i], *next; k; k = next) {
                        size_t at = hash_of(k->el, k->id) % n;
                        next = k->next;
                        k->next = t[at];
                        t[at] = k;
                }
        pb_free(api->kiosks);
        api->kiosks = t;
        api->kiosk_buckets = n;
}

/* The entry of (el, id), made when it has none; NULL only when there is no memory for one.
 * kiosks_lock held.  Entries are made only for authenticated device tokens, so there are at most
 * as many as the boxes hold device tokens. */
static struct pb_api_kiosk *entry(struct pb_api *api, const struct pb_api_election *el, const char *id)
{
        size_t at = hash_of(el, id) % api->kiosk_buckets;
        struct pb_api_kiosk *k;

        for (k = api->kiosks[at]; k; k = k->next)
                if (k->el == el && !strcmp(k->id, id))
                        return k;
        k = pb_calloc(1, sizeof(*k));
        if (!k)
                return NULL;
        k->el = el;
        snprintf(k->id, sizeof(k->id), "%s", id);
        k->next = api->kiosks[at];
        api->kiosks[at] = k;
        api->n_kiosks++;
        grow(api);
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
        k = entry(api, el, t->id);
        if (!k) {
                v = PB_KIOSK_NOMEM;
        } else if (t->flags & PB_TOKEN_LOCKED) {
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

void pb_api_kiosk_refund(struct pb_api *api, const struct pb_api_election *el, const char *id)
{
        struct pb_api_kiosk *k;

        pthread_mutex_lock(&api->kiosks_lock);
        k = entry(api, el, id);
        if (k && k->tat >= PB_KIOSK_PERIOD_MS)
                k->tat -= PB_KIOSK_PERIOD_MS; /* the slot admit took, given back */
        pthread_mutex_unlock(&api->kiosks_lock);
}

bool pb_api_kiosk_outcome(struct pb_api *api, const struct pb_api_election *el, const char *id,
                          bool code_failed)
{
        uint64_t now = api->clock_ms();
        struct pb_api_kiosk *k;
        bool lock = false;

        pthread_mutex_lock(&api->kiosks_lock);
        k = entry(api, el, id);
        if (!k) {
                /* admit made its entry before the cast; only a lack of memory gets here */
        } else if (!code_failed) {
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

void pb_api_kiosk_code_failed(struct pb_api *api, struct pb_api_election *el, const char *id)
{
        if (!pb_api_kiosk_outcome(api, el, id, true))
                return;
        pthread_mutex_lock(&el->lock);
        if (pb_box_token_set_locked(el->box, id, true, NULL) < 0)
                fprintf(stderr, "pbvote: kiosk %s of %s could not be locked in the box\n", id, el->id);
        pthread_mutex_unlock(&el->lock);
        pb_api_auth_forget(el, id);
}
