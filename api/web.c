/**
 * @file Voting from home with the voter code alone (issue 12, docs/api.md "Limits"): which
 * elections allow it, and the limits on failed voter codes that stand in for a kiosk's, since no
 * token names the device.
 *
 * - per client address: after PB_WEB_BACKOFF_AFTER failed codes in a row, the address waits
 *   2^(n-PB_WEB_BACKOFF_AFTER) s before its next cast, at most PB_WEB_BACKOFF_MAX_S; a good code
 *   forgets its failures.  Never a lock: many residents may share an address (a library, a
 *   carrier's NAT, a reverse proxy), and a lock would let one of them shut the others out.
 * - overall: failed codes from every address together may come PB_WEB_FAILS_BURST at once, then
 *   one per PB_WEB_FAIL_PERIOD_MS (a generic cell rate: one theoretical arrival time); beyond, web
 *   casts wait.  Guessing an 80-bit code from many addresses then takes longer than any vote lasts.
 * Only addresses that failed are remembered, none longer than PB_WEB_FORGET_MS after its last
 * failure, at most PB_WEB_CLIENTS_MAX (when full, the expired go, then all but this instant's:
 * so many addresses failing at once is an attack the overall limit holds): a resident who types
 * the code right leaves nothing behind.  The state lives in memory; a restart forgets it, which only lets
 * an address try sooner.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

#define WEB_BUCKETS 4096

struct pb_api_web_client {
        struct pb_api_web_client *next; /* in its bucket's chain */
        char addr[PB_API_CLIENT_MAX];
        unsigned failures;      /* failed codes in a row */
        uint64_t backoff_until; /* no web cast before, in ms of the API's clock */
        uint64_t last;          /* its last failure, in ms */
};

pb_err pb_api_web_init(struct pb_api *api)
{
        api->web_clients = pb_calloc(WEB_BUCKETS, sizeof(*api->web_clients));
        if (!api->web_clients)
                return PB_ERR_NOMEM;
        api->n_web_clients = 0;
        api->web_tat = 0;
        pthread_mutex_init(&api->web_lock, NULL);
        return PB_OK;
}

void pb_api_web_free(struct pb_api *api)
{
        if (!api->web_clients)
                return;
        for (size_t i = 0; i < WEB_BUCKETS; i++)
                for (struct pb_api_web_client *w = api->web_clients[i], *next; w; w = next) {
                        next = w->next;
                        pb_free(w);
                }
        pthread_mutex_destroy(&api->web_lock);
        pb_free(api->web_clients);
        api->web_clients = NULL;
}

bool pb_api_web_allowed(struct pb_api_election *el)
{
        pb_err r;
        struct pb_api_snap *s = pb_api_snap_acquire(el, &r);
        bool yes;

        if (!s)
                return false; /* a draft, or a box without its engine key: no web votes */
        yes = pb_box_snapshot_manifest(s->box)->web_voting;
        pb_api_snap_release(el, s);
        return yes;
}

static const char *addr_of(const char *client)
{
        return client && client[0] ? client : "-";
}

static size_t bucket_of(const char *addr)
{
        uint32_t h = 2166136261u; /* FNV-1a: spreads entries; an entry is found by its whole address */

        for (const char *p = addr; *p; p++)
                h = (h ^ (uint8_t)*p) * 16777619u;
        return h % WEB_BUCKETS;
}

/* The entry of @addr, or NULL; with @prev_ret the link that points to it.  web_lock held. */
static struct pb_api_web_client *find(struct pb_api *api, const char *addr,
                                      struct pb_api_web_client ***prev_ret)
{
        struct pb_api_web_client **prev = &api->web_clients[bucket_of(addr)];

        for (; *prev; prev = &(*prev)->next)
                if (!strcmp((*prev)->addr, addr))
                        break;
        if (prev_ret)
                *prev_ret = prev;
        return *prev;
}

/* Forget every address whose last failure is older than PB_WEB_FORGET_MS, and while the table is
 * still full, the oldest.  Called only when the table is full: an attacker's addresses cost at
 * most one pass over the table each PB_WEB_CLIENTS_MAX / 2 new addresses. */
static void forget_old(struct pb_api *api, uint64_t now)
{
        uint64_t cut = now > PB_WEB_FORGET_MS ? now - PB_WEB_FORGET_MS : 0;

        for (int pass = 0; pass < 2 && api->n_web_clients >= PB_WEB_CLIENTS_MAX / 2; pass++) {
                for (size_t i = 0; i < WEB_BUCKETS; i++) {
                        struct pb_api_web_client **prev = &api->web_clients[i];

                        while (*prev) {
                                struct pb_api_web_client *w = *prev;

                                if (w->last < cut) {
                                        *prev = w->next;
                                        pb_free(w);
                                        api->n_web_clients--;
                                } else {
                                        prev = &w->next;
                                }
                        }
                }
                cut = now; /* second pass: everything but this millisecond's */
        }
}

static unsigned seconds_until(uint64_t then, uint64_t now)
{
        return then > now ? (unsigned)((then - now + 999) / 1000) : 0;
}

enum pb_web_verdict pb_api_web_admit(struct pb_api *api, const char *client, unsigned *ret_retry_s)
{
        const uint64_t span = (uint64_t)(PB_WEB_FAILS_BURST - 1) * PB_WEB_FAIL_PERIOD_MS;
        uint64_t now = api->clock_ms();
        enum pb_web_verdict v = PB_WEB_ADMIT;
        struct pb_api_web_client *w;

        *ret_retry_s = 0;
        pthread_mutex_lock(&api->web_lock);
        w = find(api, addr_of(client), NULL);
        if (w && now < w->backoff_until) {
                v = PB_WEB_BACKOFF;
                *ret_retry_s = seconds_until(w->backoff_until, now);
        } else if (api->web_tat > now + span) {
                /* the overall allowance of failures is spent: nobody's web cast is taken now */
                v = PB_WEB_BUSY;
                *ret_retry_s = seconds_until(api->web_tat - span, now);
        }
        pthread_mutex_unlock(&api->web_lock);
        return v;
}

void pb_api_web_outcome(struct pb_api *api, const char *client, bool code_failed)
{
        const char *addr = addr_of(client);
        uint64_t now = api->clock_ms();
        struct pb_api_web_client **prev, *w;

        pthread_mutex_lock(&api->web_lock);
        w = find(api, addr, &prev);
        if (!code_failed) {
                if (w) { /* a good code: the address starts afresh */
                        *prev = w->next;
                        pb_free(w);
                        api->n_web_clients--;
                }
                goto out;
        }
        api->web_tat = (api->web_tat > now ? api->web_tat : now) + PB_WEB_FAIL_PERIOD_MS;
        if (!w) {
                if (api->n_web_clients >= PB_WEB_CLIENTS_MAX)
                        forget_old(api, now);
                w = pb_calloc(1, sizeof(*w));
                if (!w)
                        goto out; /* unremembered: the overall limit still counted it */
                snprintf(w->addr, sizeof(w->addr), "%s", addr);
                prev = &api->web_clients[bucket_of(addr)];
                w->next = *prev;
                *prev = w;
                api->n_web_clients++;
        }
        w->last = now;
        if (++w->failures >= PB_WEB_BACKOFF_AFTER) {
                unsigned k = w->failures - PB_WEB_BACKOFF_AFTER;
                uint64_t wait_s = k >= 12 ? PB_WEB_BACKOFF_MAX_S : 1ull << k;

                w->backoff_until =
                        now + 1000ull * (wait_s < PB_WEB_BACKOFF_MAX_S ? wait_s : PB_WEB_BACKOFF_MAX_S);
        }
out:
        pthread_mutex_unlock(&api->web_lock);
}
