/** @file The election model: construction, project index, ballot storage, definition checks. */
#include "engine/pb_election.h"

#include <stdio.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_hash.h"
#include "engine/pb_money.h"

static const char *const vote_type_names[PB_VOTE_TYPE_COUNT] = {
        "approval", "choose-1", "ordinal", "cumulative", "scoring",
};

static const char *const limit_names[PB_LIM_COUNT] = {
        "min_length", "max_length",     "min_sum_cost",   "max_sum_cost",  "min_points",
        "max_points", "min_sum_points", "max_sum_points", "default_score",
};

const char *pb_vote_type_name(enum pb_vote_type t)
{
        return (unsigned)t < PB_VOTE_TYPE_COUNT ? vote_type_names[t] : "?";
}

pb_err pb_vote_type_parse(const char *s, enum pb_vote_type *ret)
{
        for (int i = 0; i < PB_VOTE_TYPE_COUNT; i++)
                if (!strcmp(s, vote_type_names[i])) {
                        *ret = (enum pb_vote_type)i;
                        return PB_OK;
                }
        return PB_ERR_NOT_FOUND;
}

bool pb_vote_type_has_points(enum pb_vote_type t)
{
        return t == PB_VOTE_CUMULATIVE || t == PB_VOTE_SCORING;
}

const char *pb_ballot_member(enum pb_vote_type t)
{
        return pb_vote_type_has_points(t) ? "points" : t == PB_VOTE_ORDINAL ? "ranking" : "approvals";
}

const char *pb_limit_name(enum pb_limit k)
{
        return (unsigned)k < PB_LIM_COUNT ? limit_names[k] : "?";
}

bool pb_limit_is_money(enum pb_limit k)
{
        return k == PB_LIM_MIN_SUM_COST || k == PB_LIM_MAX_SUM_COST;
}

struct pb_election *pb_election_new(void)
{
        struct pb_election *e = pb_calloc(1, sizeof(*e));

        if (!e)
                return NULL;
        pb_strpool_init(&e->pool);
        e->id = e->title = e->currency = e->rule = "";
        e->ballots.start = pb_calloc(1, sizeof(size_t));
        if (!e->ballots.start) {
                pb_free(e);
                return NULL;
        }
        e->ballots.cap = 1;
        return e;
}

void pb_election_free(struct pb_election *e)
{
        if (!e)
                return;
        for (size_t i = 0; i < e->n_projects; i++)
                pb_free(e->projects[i].extra);
        pb_free(e->projects);
        pb_free(e->project_extra_cols);
        pb_free(e->meta);
        pb_free(e->ballots.start);
        pb_free(e->ballots.item);
        pb_free(e->ballots.points);
        pb_free(e->ballots.voter_id);
        pb_free(e->ballots.extra_cols);
        pb_free(e->ballots.extra);
        pb_free(e->ballots.line);
        pb_free(e->index);
        pb_strpool_release(&e->pool);
        pb_free(e);
}

const char *pb_election_str(struct pb_election *e, const char *s, size_t len)
{
        return pb_strpool_add(&e->pool, s, len);
}

long pb_election_find_project(const struct pb_election *e, const char *id, size_t len)
{
        size_t mask, i;

        if (!e->index_cap)
                return -1;
        mask = e->index_cap - 1;
        for (i = (size_t)pb_hash_fnv1a(id, len) & mask;; i = (i + 1) & mask) {
                uint32_t slot = e->index[i];
                const char *pid;

                if (!slot)
                        return -1;
                pid = e->projects[slot - 1].id;
                if (!strncmp(pid, id, len) && pid[len] == '\0')
                        return (long)(slot - 1);
        }
}

static void index_put(struct pb_election *e, size_t project)
{
        size_t mask = e->index_cap - 1;
        const char *id = e->projects[project].id;
        size_t i;

        for (i = (size_t)pb_hash_fnv1a(id, strlen(id)) & mask; e->index[i]; i = (i + 1) & mask)
                ;
        e->index[i] = (uint32_t)(project + 1);
}

static pb_err index_grow(struct pb_election *e)
{
        size_t cap = e->index_cap ? e->index_cap * 2 : 64;
        uint32_t *idx = pb_calloc(cap, sizeof(*idx));

        if (!idx)
                return PB_ERR_NOMEM;
        pb_free(e->index);
        e->index = idx;
        e->index_cap = cap;
        for (size_t i = 0; i < e->n_projects; i++)
                index_put(e, i);
        return PB_OK;
}

/* Ids are printable text: no control characters, no separators that break the formats we
 * write them into (';' and ',' in .pb lists, '"' in CSV), at most PB_ID_MAX bytes. */
static const char *id_problem(const char *id, size_t len)
{
        if (len == 0)
                return "empty id";
        if (len > PB_ID_MAX)
                return "id longer than " PB_STRINGIFY(PB_ID_MAX) " bytes";
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)id[i];
                if (c < 0x20 || c == 0x7f)
                        return "control character in id";
                if (c == ',' || c == ';')
                        return "',' or ';' in id";
        }
        return NULL;
}

pb_err pb_election_add_project(struct pb_election *e, const char *id, size_t id_len, int64_t cost,
                               size_t *ret_index, struct pb_diag *reterr)
{
        struct pb_project *p;
        const char *why = id_problem(id, id_len);
        pb_err r;

        if (why) {
                r = pb_diag_set(reterr, PB_ERR_PARSE, "project_id", why);
                pb_diag_subject(reterr, id, id_len);
                return r;
        }
        if (pb_election_find_project(e, id, id_len) >= 0) {
                r = pb_diag_set(reterr, PB_ERR_CONFLICT, "project_id", "duplicate project id");
                pb_diag_subject(reterr, id, id_len);
                return r;
        }
        if (e->n_projects >= UINT32_MAX / 4)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "project_id", "too many projects");
        p = pb_grow(e->projects, &e->projects_cap, e->n_projects + 1, sizeof(*p), 16);
        if (!p)
                return PB_ERR_NOMEM;
        e->projects = p;
        if (2 * (e->n_projects + 1) >= e->index_cap) {
                r = index_grow(e);
                if (r < 0)
                        return r;
        }
        p = &e->projects[e->n_projects];
        memset(p, 0, sizeof(*p));
        p->id = pb_election_str(e, id, id_len);
        if (!p->id)
                return PB_ERR_NOMEM;
        p->name = p->category = "";
        p->cost = cost;
        p->selected = -1;
        if (e->n_project_extra) {
                p->extra = pb_calloc(e->n_project_extra, sizeof(*p->extra));
                if (!p->extra)
                        return PB_ERR_NOMEM;
        }
        index_put(e, e->n_projects);
        if (ret_index)
                *ret_index = e->n_projects;
        e->n_projects++;
        return PB_OK;
}

pb_err pb_election_add_meta(struct pb_election *e, const char *key, size_t key_len, const char *value,
                            size_t value_len)
{
        struct pb_meta *m;

        m = pb_grow(e->meta, &e->meta_cap, e->n_meta + 1, sizeof(*m), 32);
        if (!m)
                return PB_ERR_NOMEM;
        e->meta = m;
        m = &e->meta[e->n_meta];
        m->key = pb_election_str(e, key, key_len);
        m->value = pb_election_str(e, value, value_len);
        m->line = 0;
        if (!m->key || !m->value)
                return PB_ERR_NOMEM;
        e->n_meta++;
        return PB_OK;
}

const char *pb_election_meta(const struct pb_election *e, const char *key)
{
        for (size_t i = 0; i < e->n_meta; i++)
                if (!strcmp(e->meta[i].key, key))
                        return e->meta[i].value;
        return NULL;
}

pb_err pb_ballots_add_item(struct pb_election *e, uint32_t project, int64_t points)
{
        struct pb_ballots *b = &e->ballots;

        PB_ASSERT(project < e->n_projects);
        if (b->n_items >= UINT32_MAX)
                return PB_ERR_LIMIT;
        if (b->n_items == b->items_cap) {
                /* points[] is parallel to item[]: both grow from items_cap to the same capacity */
                size_t cap = b->items_cap, pcap = b->items_cap;
                uint32_t *ni = pb_grow(b->item, &cap, b->n_items + 1, sizeof(*ni), 1024);
                if (!ni)
                        return PB_ERR_NOMEM;
                b->item = ni;
                if (pb_vote_type_has_points(e->vote_type)) {
                        int64_t *np = pb_grow(b->points, &pcap, b->n_items + 1, sizeof(*np), 1024);
                        if (!np)
                                return PB_ERR_NOMEM;
                        b->points = np;
                }
                b->items_cap = cap;
        } else if (pb_vote_type_has_points(e->vote_type) && !b->points) {
                b->points = pb_calloc(b->items_cap, sizeof(*b->points));
                if (!b->points)
                        return PB_ERR_NOMEM;
        }
        b->item[b->n_items] = project;
        if (b->points)
                b->points[b->n_items] = points;
        b->n_items++;
        return PB_OK;
}

pb_err pb_ballots_end(struct pb_election *e, const char *voter_id)
{
        struct pb_ballots *b = &e->ballots;

        if (b->n + 2 > b->cap) {
                /* voter_id[] is parallel to start[]: both grow from cap to the same capacity */
                size_t cap = b->cap, vcap = b->cap;
                size_t *ns = pb_grow(b->start, &cap, b->n + 2, sizeof(*ns), 1024);
                if (!ns)
                        return PB_ERR_NOMEM;
                b->start = ns;
                if (b->voter_id || voter_id) {
                        const char **nv = pb_grow(b->voter_id, &vcap, b->n + 2, sizeof(*nv), 1024);
                        if (!nv)
                                return PB_ERR_NOMEM;
                        if (!b->voter_id)
                                memset(nv, 0, vcap * sizeof(*nv));
                        b->voter_id = nv;
                }
                b->cap = cap;
        } else if (voter_id && !b->voter_id) {
                b->voter_id = pb_calloc(b->cap, sizeof(*b->voter_id));
                if (!b->voter_id)
                        return PB_ERR_NOMEM;
        }
        if (b->voter_id)
                b->voter_id[b->n] = voter_id;
        b->n++;
        b->start[b->n] = b->n_items;
        return PB_OK;
}

void pb_ballots_abandon(struct pb_election *e)
{
        e->ballots.n_items = e->ballots.start[e->ballots.n];
}

static pb_err field_error(struct pb_diag *reterr, const char *path, const char *why)
{
        return pb_diag_set(reterr, PB_ERR_INVALID, path, why);
}

/* Project @i's cost is wrong: the path states its index as text for people, item as a number for
 * callers (format_pb_read.c points at the project's line), subject its id. */
static pb_err project_error(struct pb_diag *reterr, const struct pb_election *e, size_t i, const char *why)
{
        char path[sizeof(reterr->path)];
        pb_err r;

        snprintf(path, sizeof(path), "projects[%zu].cost", i);
        r = field_error(reterr, path, why);
        if (reterr) {
                reterr->item = i + 1;
                pb_diag_subject(reterr, e->projects[i].id, strlen(e->projects[i].id));
        }
        return r;
}

pb_err pb_election_check(const struct pb_election *e, struct pb_diag *reterr)
{
        const struct pb_limits *l = &e->limits;

        if (e->scale > PB_MONEY_MAX_SCALE)
                return field_error(reterr, "budget",
                                   "more than " PB_STRINGIFY(PB_MONEY_MAX_SCALE) " decimal places");
        if (e->budget <= 0)
                return field_error(reterr, "budget", "budget must be positive");
        if ((unsigned)e->vote_type >= PB_VOTE_TYPE_COUNT)
                return field_error(reterr, "vote_type", "unknown vote type");
        if (e->n_projects == 0)
                return field_error(reterr, "projects", "no projects");
        for (size_t i = 0; i < e->n_projects; i++) {
                const struct pb_project *p = &e->projects[i];

                if (p->cost <= 0)
                        return project_error(reterr, e, i, "project cost must be positive");
                if (p->cost > e->budget && !p->withdrawn)
                        return project_error(reterr, e, i, "project cost exceeds the budget");
        }
        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (l->has[k] && l->v[k] < 0 && k != PB_LIM_MIN_POINTS && k != PB_LIM_MAX_POINTS &&
                    k != PB_LIM_DEFAULT_SCORE && k != PB_LIM_MIN_SUM_POINTS)
                        return field_error(reterr, pb_limit_name((enum pb_limit)k), "must not be negative");
        if (l->has[PB_LIM_MAX_LENGTH] && l->v[PB_LIM_MAX_LENGTH] > (int64_t)e->n_projects)
                return field_error(reterr, "max_length", "max_length is larger than the number of projects");
        if (l->has[PB_LIM_MAX_LENGTH] && l->v[PB_LIM_MAX_LENGTH] < 1)
                return field_error(reterr, "max_length", "max_length must be at least 1");
        {
                static const enum pb_limit pairs[][2] = {
                        { PB_LIM_MIN_LENGTH, PB_LIM_MAX_LENGTH },
                        { PB_LIM_MIN_SUM_COST, PB_LIM_MAX_SUM_COST },
                        { PB_LIM_MIN_POINTS, PB_LIM_MAX_POINTS },
                        { PB_LIM_MIN_SUM_POINTS, PB_LIM_MAX_SUM_POINTS },
                };
                for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
                        if (l->has[pairs[i][0]] && l->has[pairs[i][1]] &&
                            l->v[pairs[i][0]] > l->v[pairs[i][1]])
                                return field_error(reterr, pb_limit_name(pairs[i][0]),
                                                   "minimum is larger than the maximum");
        }
        if (e->vote_type == PB_VOTE_CUMULATIVE && !l->has[PB_LIM_MAX_SUM_POINTS])
                return field_error(reterr, "max_sum_points", "cumulative ballots need max_sum_points");
        if (e->vote_type == PB_VOTE_CHOOSE1 && ((l->has[PB_LIM_MIN_LENGTH] && l->v[PB_LIM_MIN_LENGTH] != 1) ||
                                                (l->has[PB_LIM_MAX_LENGTH] && l->v[PB_LIM_MAX_LENGTH] != 1)))
                return field_error(reterr, "max_length", "choose-1 ballots have exactly one project");
        return PB_OK;
}

static bool str_eq(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return !strcmp(a, b);
}

static bool projects_equal(const struct pb_election *a, const struct pb_election *b)
{
        if (a->n_projects != b->n_projects || a->n_project_extra != b->n_project_extra)
                return false;
        for (size_t i = 0; i < a->n_project_extra; i++)
                if (!str_eq(a->project_extra_cols[i], b->project_extra_cols[i]))
                        return false;
        for (size_t i = 0; i < a->n_projects; i++) {
                const struct pb_project *p = &a->projects[i], *q = &b->projects[i];

                if (!str_eq(p->id, q->id) || !str_eq(p->name, q->name) || !str_eq(p->category, q->category) ||
                    p->cost != q->cost || p->withdrawn != q->withdrawn || p->selected != q->selected ||
                    p->has_votes != q->has_votes || p->has_score != q->has_score ||
                    (p->has_votes && p->declared_votes != q->declared_votes) ||
                    (p->has_score && p->declared_score != q->declared_score))
                        return false;
                for (size_t k = 0; k < a->n_project_extra; k++)
                        if (!str_eq(p->extra[k], q->extra[k]))
                                return false;
        }
        return true;
}

static bool ballots_equal(const struct pb_ballots *a, const struct pb_ballots *b)
{
        if (a->n != b->n || a->n_items != b->n_items || a->n_extra != b->n_extra ||
            !a->points != !b->points || !a->voter_id != !b->voter_id)
                return false;
        if (memcmp(a->start, b->start, (a->n + 1) * sizeof(*a->start)) ||
            (a->n_items && memcmp(a->item, b->item, a->n_items * sizeof(*a->item))) ||
            (a->points && a->n_items && memcmp(a->points, b->points, a->n_items * sizeof(*a->points))))
                return false;
        for (size_t i = 0; a->voter_id && i < a->n; i++)
                if (!str_eq(a->voter_id[i], b->voter_id[i]))
                        return false;
        for (size_t k = 0; k < a->n_extra; k++)
                if (!str_eq(a->extra_cols[k], b->extra_cols[k]))
                        return false;
        for (size_t i = 0; i < a->n * a->n_extra; i++)
                if (!str_eq(a->extra[i], b->extra[i]))
                        return false;
        return true;
}

bool pb_election_equal(const struct pb_election *a, const struct pb_election *b)
{
        if (!str_eq(a->id, b->id) || !str_eq(a->title, b->title) || !str_eq(a->currency, b->currency) ||
            a->scale != b->scale || a->budget != b->budget || a->vote_type != b->vote_type ||
            !str_eq(a->rule, b->rule) || a->has_threshold != b->has_threshold ||
            (a->has_threshold && a->threshold != b->threshold) ||
            a->has_score_column != b->has_score_column || a->has_selected_column != b->has_selected_column ||
            a->n_meta != b->n_meta)
                return false;
        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (a->limits.has[k] != b->limits.has[k] ||
                    (a->limits.has[k] && a->limits.v[k] != b->limits.v[k]))
                        return false;
        for (size_t i = 0; i < a->n_meta; i++)
                if (!str_eq(a->meta[i].key, b->meta[i].key) || !str_eq(a->meta[i].value, b->meta[i].value))
                        return false;
        return projects_equal(a, b) && ballots_equal(&a->ballots, &b->ballots);
}
