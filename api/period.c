/**
 * @file The voting period by the server's clock (api.md, "The voting period"): a ballot before the
 * manifest's start or after its end is refused, and a ticker thread closes an open (or suspended)
 * vote at its end with the same signed close as `POST .../close`, and opens a draft at its start
 * when the server holds the finance office's key.  The clock is the API's (pb_api_config.wall_s),
 * so tests step it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_refusal.h"

int64_t pb_api_wall_s(void)
{
        return (int64_t)time(NULL);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (a manifest's, checked when parsed) as seconds since the epoch. */
static int64_t seconds_of(const char *s)
{
        struct tm tm;

        memset(&tm, 0, sizeof(tm));
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6)
                return 0;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        return (int64_t)timegm(&tm);
}

bool pb_api_period_refuse(const struct pb_api *api, const struct pb_manifest *m, struct pb_diag *d)
{
        int64_t now;

        if (!m->period_start)
                return false;
        now = api->wall_s();
        if (now < seconds_of(m->period_start)) {
                pb_diag_refuse(d, PB_REFUSAL_PERIOD_NOT_STARTED, NULL);
                return true;
        }
        if (now >= seconds_of(m->period_end)) {
                pb_diag_refuse(d, PB_REFUSAL_PERIOD_OVER, NULL);
                return true;
        }
        return false;
}

/* One election at @now (el->lock held): open at the start, close at the end. */
static void tick_one(struct pb_api *api, struct pb_api_election *el, int64_t now)
{
        const struct pb_manifest *m;
        enum pb_box_state st;
        struct pb_diag d;
        pb_err r = PB_OK;

        /* the state first: it takes in what another process committed, the manifest too */
        if (pb_box_state(el->box, &st) < 0)
                return;
        m = pb_box_manifest(el->box);
        if (!m->period_start)
                return;
        pb_diag_clear(&d);
        if ((st == PB_BOX_OPEN || st == PB_BOX_SUSPENDED) && now >= seconds_of(m->period_end)) {
                char end[PB_MANIFEST_PERIOD_MAX + 1];
                snprintf(end, sizeof(end), "%s", m->period_end); /* the close may replace the manifest */
                r = pb_box_election_close(el->box, end, &d);
                fprintf(stderr, "pbvote: election %s: %s at the end of its voting period (%s)%s%s\n", el->id,
                        r == PB_OK ? "closed" : "could not close", end, r == PB_OK ? "" : ": ",
                        r == PB_OK ? "" : (d.reason ? d.reason : pb_err_message(r)));
        } else if (st == PB_BOX_DRAFT && api->office && now >= seconds_of(m->period_start) &&
                   now < seconds_of(m->period_end)) {
                r = pb_box_election_open(el->box, api->office, &d);
                fprintf(stderr, "pbvote: election %s: %s at the start of its voting period%s%s\n", el->id,
                        r == PB_OK ? "opened" : "could not open", r == PB_OK ? "" : ": ",
                        r == PB_OK ? "" : (d.reason ? d.reason : pb_err_message(r)));
        } else {
                return;
        }
        (void)pb_api_snap_refresh(el); /* the keys or the state changed: ballots prepare anew */
}

void pb_api_period_tick(struct pb_api *api)
{
        struct pb_api_election **els;
        size_t n;
        int64_t now = api->wall_s();

        /* a copy of the list: an election is never freed while the API runs (retired ones are kept) */
        pthread_rwlock_rdlock(&api->elections_lock);
        n = api->n_elections;
        els = pb_calloc(n ? n : 1, sizeof(*els));
        if (els && n) /* no elections: api->elections may be NULL, and memcpy's source must not be */
                memcpy(els, api->elections, n * sizeof(*els));
        pthread_rwlock_unlock(&api->elections_lock);
        for (size_t i = 0; els && i < n; i++) {
                if (!els[i]->box)
                        continue;
                pthread_mutex_lock(&els[i]->lock);
                tick_one(api, els[i], now);
                pthread_mutex_unlock(&els[i]->lock);
        }
        pb_free(els);
}

static void *ticker_main(void *arg)
{
        struct pb_api *api = arg;

        pthread_mutex_lock(&api->t_lock);
        while (!api->t_stopping) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 1;
                pthread_mutex_unlock(&api->t_lock);
                pb_api_period_tick(api);
                pthread_mutex_lock(&api->t_lock);
                if (!api->t_stopping)
                        pthread_cond_timedwait(&api->t_wake, &api->t_lock, &until);
        }
        pthread_mutex_unlock(&api->t_lock);
        return NULL;
}

pb_err pb_api_period_start(struct pb_api *api)
{
        pthread_mutex_init(&api->t_lock, NULL);
        pthread_cond_init(&api->t_wake, NULL);
        api->t_stopping = false;
        if (pthread_create(&api->ticker, NULL, ticker_main, api) != 0) {
                pthread_mutex_destroy(&api->t_lock);
                pthread_cond_destroy(&api->t_wake);
                return PB_ERR_NOMEM;
        }
        api->t_running = true;
        return PB_OK;
}

void pb_api_period_stop(struct pb_api *api)
{
        if (!api->t_running)
                return;
        pthread_mutex_lock(&api->t_lock);
        api->t_stopping = true;
        pthread_cond_signal(&api->t_wake);
        pthread_mutex_unlock(&api->t_lock);
        pthread_join(api->ticker, NULL);
        pthread_mutex_destroy(&api->t_lock);
        pthread_cond_destroy(&api->t_wake);
        api->t_running = false;
}
