/**
 * @file The elections a server serves: DATA_DIR/<id>.db, one ballot box each, one lock each.  A box
 * that cannot be opened at start is kept as unavailable, with its reason, so that one damaged file
 * never stops the others from being served; creating an election never leaves a file behind when
 * it fails, and never goes beyond the boxes the process has file descriptors for.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

void pb_api_store_path(const struct pb_api *api, const struct pb_api_election *el, char *out, size_t cap)
{
        snprintf(out, cap, "%s/%s.db", api->data_dir, el->id);
}

/* Record the identity of @el's file (as opened now). */
static void remember_file(const struct pb_api *api, struct pb_api_election *el)
{
        struct stat st;
        char path[4096];

        pb_api_store_path(api, el, path, sizeof(path));
        if (stat(path, &st) == 0) {
                el->dev = st.st_dev;
                el->ino = st.st_ino;
        }
        el->seen_ms = api->clock_ms();
}

/* Is @el's file still the one it opened?  (A box whose file is removed keeps working on the
 * unlinked file, unseen by anyone else: it must not be served.) */
static bool same_file(const struct pb_api *api, const struct pb_api_election *el)
{
        struct stat st;
        char path[4096];

        pb_api_store_path(api, el, path, sizeof(path));
        return stat(path, &st) == 0 && st.st_dev == el->dev && st.st_ino == el->ino;
}

/* Add an election: served from @box, or unavailable (@box NULL) for @why with @reason. */
static pb_err add(struct pb_api *api, struct pb_box *box, const char *id, pb_err why, const char *reason,
                  struct pb_api_election **ret)
{
        struct pb_api_election *el, **v;

        v = pb_grow(api->elections, &api->elections_cap, api->n_elections + 1, sizeof(*v), 8);
        if (!v)
                return PB_ERR_NOMEM;
        api->elections = v;
        el = pb_calloc(1, sizeof(*el));
        if (!el)
                return PB_ERR_NOMEM;
        snprintf(el->id, sizeof(el->id), "%s", id);
        el->box = box;
        el->unavailable = box ? PB_OK : why;
        snprintf(el->reason, sizeof(el->reason), "%s", box ? "" : reason);
        pthread_mutex_init(&el->lock, NULL);
        pthread_mutex_init(&el->snap_lock, NULL);
        pthread_mutex_init(&el->entry_lock, NULL);
        api->elections[api->n_elections++] = el;
        if (box)
                api->n_open++;
        remember_file(api, el);
        if (ret)
                *ret = el;
        return PB_OK;
}

/* Move @el from the served list to the retired one (elections_lock held for writing). */
static pb_err retire_locked(struct pb_api *api, struct pb_api_election *el)
{
        struct pb_api_election **v =
                pb_grow(api->retired, &api->retired_cap, api->n_retired + 1, sizeof(*v), 8);

        if (!v)
                return PB_ERR_NOMEM;
        api->retired = v;
        for (size_t i = 0; i < api->n_elections; i++)
                if (api->elections[i] == el) {
                        memmove(&api->elections[i], &api->elections[i + 1],
                                (api->n_elections - i - 1) * sizeof(*api->elections));
                        api->n_elections--;
                        api->retired[api->n_retired++] = el;
                        return PB_OK;
                }
        return PB_OK; /* retired already */
}

pb_err pb_api_store_retire(struct pb_api *api, struct pb_api_election *el)
{
        pb_err r;

        pthread_rwlock_wrlock(&api->elections_lock);
        r = retire_locked(api, el);
        pthread_rwlock_unlock(&api->elections_lock);
        return r;
}

static pb_err attach_key(struct pb_api *api, struct pb_box *box, struct pb_diag *reterr)
{
        return api->engine ? pb_box_set_engine_key(box, api->engine, reterr) : PB_OK;
}

static bool at_capacity(const struct pb_api *api)
{
        return api->max_elections && api->n_open >= api->max_elections;
}

/* Open DATA_DIR/@name (the election @id) with its engine key, or say why it cannot be served. */
static pb_err open_one(struct pb_api *api, const char *name, const char *id, struct pb_box **ret,
                       struct pb_diag *d)
{
        struct pb_box *box = NULL;
        char path[4096];
        pb_err r;

        if (at_capacity(api))
                return pb_diag_set(d, PB_ERR_BUSY, "data",
                                   "beyond the elections this server's open-file limit allows: raise "
                                   "`ulimit -n` and restart it");
        snprintf(path, sizeof(path), "%s/%s", api->data_dir, name);
        r = pb_box_open(path, &box, d);
        if (r == PB_OK)
                r = attach_key(api, box, d);
        /* the file name is how clients find it: a renamed file would be served under a name its
         * signed documents do not carry */
        if (r == PB_OK && strcmp(pb_box_manifest(box)->election->id, id))
                r = pb_diag_set(d, PB_ERR_CONFLICT, "data", "file name differs from the election id");
        if (r < 0) {
                pb_box_free(box);
                return r;
        }
        *ret = box;
        return PB_OK;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of DATA_DIR's ballot boxes (<id>.db), sorted: which ones fit the open-file limit must
 * not depend on the order of the folder. */
static pb_err list_boxes(struct pb_api *api, char ***ret, size_t *ret_n, struct pb_diag *reterr)
{
        DIR *dir = opendir(api->data_dir);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0, cap = 0;
        pb_err r = PB_OK;

        if (!dir)
                return pb_diag_set(reterr, PB_ERR_IO, "data", "cannot read the data folder");
        while ((de = readdir(dir))) {
                size_t len = strlen(de->d_name);
                char **v;

                if (len < 4 || strcmp(de->d_name + len - 3, ".db") || de->d_name[0] == '.' || len - 3 > 64)
                        continue;
                v = pb_grow(names, &cap, n + 1, sizeof(*v), 16);
                if (!v || !(v[n] = pb_strndup(de->d_name, len))) {
                        names = v ? v : names;
                        r = PB_ERR_NOMEM;
                        break;
                }
                names = v;
                n++;
        }
        closedir(dir);
        if (r == PB_OK && n)
                qsort(names, n, sizeof(*names), by_name);
        *ret = names;
        *ret_n = n;
        return r;
}

pb_err pb_api_store_load(struct pb_api *api, struct pb_diag *reterr)
{
        char **names = NULL;
        size_t n = 0;
        pb_err r = list_boxes(api, &names, &n, reterr);

        for (size_t i = 0; r == PB_OK && i < n; i++) {
                char id[65];
                struct pb_box *box = NULL;
                struct pb_diag d;
                pb_err why;

                snprintf(id, sizeof(id), "%.*s", (int)(strlen(names[i]) - 3), names[i]);
                pb_diag_clear(&d);
                why = open_one(api, names[i], id, &box, &d);
                if (why == PB_ERR_NOMEM) {
                        r = why;
                        break;
                }
                if (why < 0) {
                        const char *reason = d.reason ? d.reason : pb_err_message(why);
                        fprintf(stderr, "pbvote: %s/%s: election %s unavailable: %s\n", api->data_dir,
                                names[i], id, reason);
                        r = add(api, NULL, id, why, reason, NULL);
                } else {
                        r = add(api, box, id, PB_OK, NULL, NULL);
                        if (r < 0)
                                pb_box_free(box);
                }
        }
        for (size_t i = 0; i < n; i++)
                pb_free(names[i]);
        pb_free(names);
        return r;
}

static void free_election(struct pb_api_election *el)
{
        pb_api_snap_drop(el);
        pb_box_free(el->box);
        pthread_mutex_destroy(&el->lock);
        pthread_mutex_destroy(&el->snap_lock);
        pb_api_paper_free(el);
        pthread_mutex_destroy(&el->entry_lock);
        pb_free(el);
}

void pb_api_store_close(struct pb_api *api)
{
        for (size_t i = 0; i < api->n_elections; i++)
                free_election(api->elections[i]);
        for (size_t i = 0; i < api->n_retired; i++)
                free_election(api->retired[i]);
        pb_free(api->elections);
        pb_free(api->retired);
        api->elections = api->retired = NULL;
        api->n_elections = api->n_retired = 0;
        api->n_open = 0;
}

/* The served election @id (elections_lock held), or NULL. */
static struct pb_api_election *find_locked(struct pb_api *api, const char *id)
{
        for (size_t i = 0; i < api->n_elections; i++)
                if (!strcmp(api->elections[i]->id, id))
                        return api->elections[i];
        return NULL;
}

/* Retire @el when its file is no longer the one it opened (elections_lock held for writing). */
static bool gone_locked(struct pb_api *api, struct pb_api_election *el)
{
        if (same_file(api, el))
                return false;
        fprintf(stderr, "pbvote: %s/%s.db was removed or replaced: election %s is no longer served\n",
                api->data_dir, el->id, el->id);
        return retire_locked(api, el) == PB_OK;
}

void pb_api_store_sweep(struct pb_api *api)
{
        uint64_t now = api->clock_ms();

        pthread_rwlock_wrlock(&api->elections_lock);
        for (size_t i = 0; i < api->n_elections;) {
                struct pb_api_election *el = api->elections[i];
                if (!gone_locked(api, el)) {
                        el->seen_ms = now;
                        i++;
                }
        }
        pthread_rwlock_unlock(&api->elections_lock);
}

struct pb_api_election *pb_api_store_find(struct pb_api *api, const char *id)
{
        struct pb_api_election *found;
        uint64_t now = api->clock_ms();
        bool look;

        pthread_rwlock_rdlock(&api->elections_lock);
        found = find_locked(api, id);
        /* a stat a second per election at most: the cast path stays free of system calls */
        look = found && now - found->seen_ms >= 1000;
        pthread_rwlock_unlock(&api->elections_lock);
        if (!look)
                return found;
        pthread_rwlock_wrlock(&api->elections_lock);
        found = find_locked(api, id);
        if (found && gone_locked(api, found))
                found = NULL;
        else if (found)
                found->seen_ms = now;
        pthread_rwlock_unlock(&api->elections_lock);
        return found;
}

/* Ids that are also safe file names; the route pattern accepts the same set. */
static pb_err check_id(const char *id, struct pb_diag *reterr)
{
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.'))
                        return pb_diag_set(reterr, PB_ERR_INVALID, "$.id",
                                           "an election served over HTTP needs an id of letters, digits, "
                                           "'.', '_' and '-'");
        if (!id[0] || id[0] == '.' || strlen(id) > 64)
                return pb_diag_set(reterr, PB_ERR_INVALID, "$.id", "bad election id");
        return PB_OK;
}

pb_err pb_api_store_create(struct pb_api *api, const struct pb_manifest *m, struct pb_api_election **ret,
                           struct pb_diag *reterr)
{
        const char *id = m->election->id;
        struct pb_box *box = NULL;
        char path[4096];
        pb_err r = check_id(id, reterr);

        if (r < 0)
                return r;
        pthread_rwlock_wrlock(&api->elections_lock);
        {
                /* one whose file was removed behind the server's back is no longer in the way */
                struct pb_api_election *old = find_locked(api, id);
                if (old && !gone_locked(api, old)) {
                        pthread_rwlock_unlock(&api->elections_lock);
                        return pb_diag_set(reterr, PB_ERR_CONFLICT, "$.id",
                                           "an election with this id exists");
                }
        }
        if (at_capacity(api)) {
                pthread_rwlock_unlock(&api->elections_lock);
                return pb_diag_set(reterr, PB_ERR_BUSY, NULL,
                                   "this server holds as many elections as its open-file limit allows: raise "
                                   "`ulimit -n` and restart it");
        }
        snprintf(path, sizeof(path), "%s/%s.db", api->data_dir, id);
        r = pb_box_create(path, m, &box, reterr); /* removes what it made when it fails */
        if (r == PB_OK)
                r = attach_key(api, box, reterr);
        if (r == PB_OK)
                r = add(api, box, id, PB_OK, NULL, ret);
        if (r < 0 && box) {
                /* created, but not served: nothing of it may stay (a later start would find it) */
                pb_box_free(box);
                pb_box_remove(path);
        }
        pthread_rwlock_unlock(&api->elections_lock);
        return r;
}
