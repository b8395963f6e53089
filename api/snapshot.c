/**
 * @file Box snapshots for the request threads: a ballot is checked and prepared (code hash, CVR,
 * commitment) on the thread that received it, from an immutable copy of the box's inputs, so that
 * the one writer thread only runs the transaction (docs/api.md, "Casting").  A stale snapshot is
 * harmless: the box prepares such a ballot again at its cast.
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

pb_err pb_api_snap_refresh(struct pb_api_election *el)
{
        struct pb_api_snap *s, *old;
        pb_err r;

        pthread_mutex_lock(&el->snap_lock);
        old = el->snap;
        if (old && pb_box_snapshot_gen(old->box) == pb_box_gen(el->box)) {
                pthread_mutex_unlock(&el->snap_lock);
                return PB_OK;
        }
        pthread_mutex_unlock(&el->snap_lock);
        s = pb_calloc(1, sizeof(*s));
        if (!s)
                return PB_ERR_NOMEM;
        r = pb_box_snapshot_take(el->box, &s->box, NULL);
        if (r < 0) {
                pb_free(s);
                return r;
        }
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
                if (s)
                        s->refs++;
                pthread_mutex_unlock(&el->snap_lock);
                if (s || tries)
                        return s;
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
