/** @file The elections a server serves: DATA_DIR/<id>.db, one ballot box each, one lock each. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"

static pb_err add(struct pb_api *api, struct pb_box *box, const char *id, struct pb_api_election **ret)
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
        pthread_mutex_init(&el->lock, NULL);
        pthread_mutex_init(&el->snap_lock, NULL);
        api->elections[api->n_elections++] = el;
        if (ret)
                *ret = el;
        return PB_OK;
}

static pb_err attach_key(struct pb_api *api, struct pb_box *box, struct pb_diag *reterr)
{
        return api->engine ? pb_box_set_engine_key(box, api->engine, reterr) : PB_OK;
}

pb_err pb_api_store_load(struct pb_api *api, struct pb_diag *reterr)
{
        DIR *dir = opendir(api->data_dir);
        struct dirent *de;
        pb_err r = PB_OK;

        if (!dir)
                return pb_diag_set(reterr, PB_ERR_IO, "data", "cannot read the data folder");
        while ((de = readdir(dir))) {
                size_t n = strlen(de->d_name);
                char path[4096];
                struct pb_box *box = NULL;
                const char *id;

                if (n < 4 || strcmp(de->d_name + n - 3, ".db") || de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", api->data_dir, de->d_name);
                r = pb_box_open(path, &box, reterr);
                if (r == PB_OK)
                        r = attach_key(api, box, reterr);
                if (r < 0) {
                        pb_diag_subject(reterr, de->d_name, n);
                        pb_box_free(box);
                        break;
                }
                id = pb_box_manifest(box)->election->id;
                if (strlen(id) != n - 3 || strncmp(id, de->d_name, n - 3)) {
                        /* the file name is how clients find it: a renamed file would be served under
                         * a name its signed documents do not carry */
                        pb_box_free(box);
                        r = pb_diag_set(reterr, PB_ERR_CONFLICT, "data",
                                        "file name differs from the election id");
                        pb_diag_subject(reterr, de->d_name, n);
                        break;
                }
                if (pb_api_store_find(api, id)) {
                        pb_box_free(box);
                        continue;
                }
                r = add(api, box, id, NULL);
                if (r < 0) {
                        pb_box_free(box);
                        break;
                }
        }
        closedir(dir);
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

pb_err pb_api_store_create(struct pb_api *api, const struct pb_manifest *m, struct pb_api_election **ret,
                           struct pb_diag *reterr)
{
        const char *id = m->election->id;
        struct pb_box *box = NULL;
        char path[4096];
        pb_err r;

        /* ids that are also safe file names; the route pattern accepts the same set */
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.'))
                        return pb_diag_set(reterr, PB_ERR_INVALID, "$.id",
                                           "an election served over HTTP needs an id of letters, digits, "
                                           "'.', '_' and '-'");
        if (!id[0] || id[0] == '.' || strlen(id) > 64)
                return pb_diag_set(reterr, PB_ERR_INVALID, "$.id", "bad election id");
        pthread_rwlock_wrlock(&api->elections_lock);
        for (size_t i = 0; i < api->n_elections; i++)
                if (!strcmp(api->elections[i]->id, id)) {
                        pthread_rwlock_unlock(&api->elections_lock);
                        return pb_diag_set(reterr, PB_ERR_CONFLICT, "$.id",
                                           "an election with this id exists");
                }
        snprintf(path, sizeof(path), "%s/%s.db", api->data_dir, id);
        r = pb_box_create(path, m, &box, reterr);
        if (r == PB_OK)
                r = attach_key(api, box, reterr);
        if (r == PB_OK)
                r = add(api, box, id, ret);
        pthread_rwlock_unlock(&api->elections_lock);
        if (r < 0)
                pb_box_free(box);
        return r;
}
