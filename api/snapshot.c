/**
 * @file Box snapshots for the request threads: a ballot is checked and prepared (code hash, CVR,
 * commitment) on the thread that received it, from an immutable copy of the box's inputs, so that
 * the one writer thread only runs the transaction (docs/api.md, "Casting").  A stale snapshot is
 * harmless once the election has left draft: its manifest (what a project index means) is final,
 * and the box prepares a ballot of older inputs (keys) again at its cast.  A snapshot of a draft
 * is never used to prepare a ballot: a draft's manifest may change, also in another process.
 */
#include "api/api_int.h"
#include "engine/pb_alloc.h"

static void unref(struct pb_api_snap *s)
{
        /* called with snap_lock held */
        if (s && --s->refs == 0) {
                pb_box_snapshot_free(s->box);
                pb_free(s);
        }
}

/* Is the election's snapshot current?  (snap_lock held) */
static bool current(const struct pb_api_election *el, bool final)
{
        const struct pb_api_snap *old = el->snap;

        return old && old->final == final && pb_box_snapshot_gen(old->box) == pb_box_gen(el->box);
}

pb_err pb_api_snap_refresh(struct pb_api_election *el)
{
        struct pb_api_snap *s, *old;
        enum pb_box_state st;
        bool up_to_date;
        pb_err r;

        /* once the election has left draft its manifest is final, and the box's generation says
         * whether its other inputs changed: no need to look at the database */
        pthread_mutex_lock(&el->snap_lock);
        up_to_date = current(el, true);
        pthread_mutex_unlock(&el->snap_lock);
        if (up_to_date)
                return PB_OK;
        /* a draft (or none yet): take in what another process committed (`pbvote election open`
         * on the server host) before deciding */
        r = pb_box_state(el->box, &st);
        if (r < 0)
                return r;
        pthread_mutex_lock(&el->snap_lock);
        up_to_date = current(el, st != PB_BOX_DRAFT);
        pthread_mutex_unlock(&el->snap_lock);
        if (up_to_date)
                return PB_OK;
        s = pb_calloc(1, sizeof(*s));
        if (!s)
                return PB_ERR_NOMEM;
        r = pb_box_snapshot_take(el->box, &s->box, NULL);
        if (r < 0) {
                pb_free(s);
                return r;
        }
        s->final = st != PB_BOX_DRAFT;
        s->refs = 1; /* the election's own reference */
        pthread_mutex_lock(&el->snap_lock);
        old = el->snap;
        el->snap = s;
        unref(old);
        pthread_mutex_unlock(&el->snap_lock);
        return PB_OK;
}

struct pb_api_snap *pb_api_snap_acquire(struct pb_api_election *el, pb_err *ret_err)
{
        struct pb_api_snap *s;

        *ret_err = PB_OK;
        for (int tries = 0; tries < 2; tries++) {
                pthread_mutex_lock(&el->snap_lock);
                s = el->snap;
                if (s && s->final)
                        s->refs++;
                else
                        s = NULL;
                pthread_mutex_unlock(&el->snap_lock);
                if (s)
                        return s;
                if (tries) {
                        *ret_err = PB_ERR_STATE; /* still a draft */
                        return NULL;
                }
                /* none yet, or one of a draft, which another process may have opened since */
                pthread_mutex_lock(&el->lock);
                *ret_err = pb_api_snap_refresh(el);
                pthread_mutex_unlock(&el->lock);
                if (*ret_err < 0)
                        return NULL;
        }
        return NULL;
}

void pb_api_snap_release(struct pb_api_election *el, struct pb_api_snap *s)
{
        pthread_mutex_lock(&el->snap_lock);
        unref(s);
        pthread_mutex_unlock(&el->snap_lock);
}

void pb_api_snap_drop(struct pb_api_election *el)
{
        pthread_mutex_lock(&el->snap_lock);
        unref(el->snap);
        el->snap = NULL;
        pthread_mutex_unlock(&el->snap_lock);
}
