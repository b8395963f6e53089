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

#include "api/api_int.h"
#include "engine/pb_alloc.h"

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
        api->elections[api->n_elections++] = el;
        if (box)
                api->n_open++;
        if (ret)
                *ret = el;
        return PB_OK;
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

void pb_api_store_close(struct pb_api *api)
{
        for (size_t i = 0; i < api->n_elections; i++) {
                pb_api_snap_drop(api->elections[i]);
                pb_box_free(api->elections[i]->box);
                pthread_mutex_destroy(&api->elections[i]->lock);
                pthread_mutex_destroy(&api->elections[i]->snap_lock);
                pb_free(api->elections[i]);
        }
        pb_free(api->elections);
        api->elections = NULL;
        api->n_elections = 0;
        api->n_open = 0;
}

struct pb_api_election *pb_api_store_find(struct pb_api *api, const char *id)
{
        struct pb_api_election *found = NULL;

        pthread_rwlock_rdlock(&api->elections_lock);
        for (size_t i = 0; i < api->n_elections && !found; i++)
                if (!strcmp(api->elections[i]->id, id))
                        found = api->elections[i];
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
        for (size_t i = 0; i < api->n_elections; i++)
                if (!strcmp(api->elections[i]->id, id)) {
                        pthread_rwlock_unlock(&api->elections_lock);
                        return pb_diag_set(reterr, PB_ERR_CONFLICT, "$.id",
                                           "an election with this id exists");
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
