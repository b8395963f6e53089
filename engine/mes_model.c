/**
 * @file The Method of Equal Shares model: each project's supporters and their utilities, with
 * voters of identical utilities merged (engine/mes_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

/* One ballot's positive utilities, as (project, utility) pairs. */
struct upair {
        uint32_t p;
        int64_t u;
};

static int cmp_upair(const void *pa, const void *pb)
{
        const struct upair *a = pa, *b = pb;
        return a->p < b->p ? -1 : a->p > b->p;
}

static int cmp_by_util(const void *pa, const void *pb)
{
        const struct upair *a = pa, *b = pb; /* here .p is a voter */
        if (a->u != b->u)
                return a->u < b->u ? -1 : 1;
        return a->p < b->p ? -1 : a->p > b->p;
}

static uint64_t hash_pairs(const struct upair *v, size_t n)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a over the pairs */
        for (size_t i = 0; i < n; i++) {
                uint64_t x = ((uint64_t)v[i].p << 32) ^ (uint64_t)v[i].u;
                for (int k = 0; k < 8; k++) {
                        h ^= (x >> (8 * k)) & 0xff;
                        h *= 1099511628211ull;
                }
        }
        return h;
}

/*
 * Distinct voters: ballots with the same positive utilities for every project behave
 * identically in every run (same budget, same payments), so they are merged into one weighted
 * voter: Łódź's 90,494 ballots are 23,571 distinct ones, Wrocław's 62,529 are 1,157.
 */
struct voters {
        struct upair *keys; /* every distinct voter's (project, utility) pairs, by project */
        size_t n_items, items_cap;
        size_t *start;            /* n + 1 offsets into keys */
        uint32_t *weight;         /* ballots behind each distinct voter */
        size_t n, cap, start_cap; /* distinct voters; weight[] and start[] entries allocated */
        uint32_t *table;          /* open addressing: index + 1 of a distinct voter, 0 free */
        size_t table_cap;         /* a power of two, more than twice the ballots */
};

static void voters_release(struct voters *vs)
{
        pb_free(vs->keys);
        pb_free(vs->start);
        pb_free(vs->weight);
        pb_free(vs->table);
}

/* Ballot @i's positive utilities under @rule into @cur (sorted by project), their number in
 * @ret_k.  PB_ERR_INVALID when the ballot names a project twice. */
static pb_err ballot_utilities(const struct pb_election *e, const struct pb_rule *rule, size_t i,
                               struct upair *cur, size_t *ret_k, struct pb_diag *reterr)
{
        const struct pb_ballots *b = &e->ballots;
        size_t a = b->start[i], z = b->start[i + 1], len = z - a, k = 0;

        for (size_t j = a; j < z; j++) {
                int64_t u = 0;
                switch (rule->utility) {
                case PB_UTIL_COST: u = e->projects[b->item[j]].cost; break;
                case PB_UTIL_APPROVAL: u = 1; break;
                case PB_UTIL_POINTS: u = b->points ? b->points[j] : 0; break;
                case PB_UTIL_BORDA: u = (int64_t)(len - (j - a) - 1); break;
                case PB_UTIL_COUNT: PB_ASSERT(0);
                }
                cur[j - a].p = b->item[j];
                cur[j - a].u = u;
        }
        qsort(cur, len, sizeof(*cur), cmp_upair);
        for (size_t j = 1; j < len; j++)
                if (cur[j].p == cur[j - 1].p)
                        return pb_diag_set(reterr, PB_ERR_INVALID, "ballots",
                                           "a ballot names a project twice");
        for (size_t j = 0; j < len; j++)
                if (cur[j].u > 0)
                        cur[k++] = cur[j];
        *ret_k = k;
        return PB_OK;
}

/* Count a ballot with utilities @cur[@k]: one more behind an identical distinct voter, or a new one. */
static pb_err voters_add(struct voters *vs, const struct upair *cur, size_t k)
{
        uint64_t slot, mask = vs->table_cap - 1;
        size_t *start;
        uint32_t *weight;
        struct upair *keys;

        for (slot = hash_pairs(cur, k) & mask; vs->table[slot]; slot = (slot + 1) & mask) {
                uint32_t v = vs->table[slot] - 1;
                if (vs->start[v + 1] - vs->start[v] == k &&
                    (k == 0 || !memcmp(vs->keys + vs->start[v], cur, k * sizeof(*cur)))) {
                        vs->weight[v]++;
                        return PB_OK;
                }
        }
        start = pb_grow(vs->start, &vs->start_cap, vs->n + 2, sizeof(*start), 1024);
        if (!start)
                return PB_ERR_NOMEM;
        vs->start = start;
        weight = pb_grow(vs->weight, &vs->cap, vs->n + 2, sizeof(*weight), 1024);
        if (!weight)
                return PB_ERR_NOMEM;
        vs->weight = weight;
        if (k) {
                keys = pb_grow(vs->keys, &vs->items_cap, vs->n_items + k, sizeof(*keys), 4096);
                if (!keys)
                        return PB_ERR_NOMEM;
                vs->keys = keys;
                memcpy(vs->keys + vs->n_items, cur, k * sizeof(*cur));
        }
        vs->n_items += k;
        vs->start[0] = 0;
        vs->weight[vs->n] = 1;
        vs->start[vs->n + 1] = vs->n_items;
        vs->table[slot] = (uint32_t)vs->n + 1;
        vs->n++;
        return PB_OK;
}

/* Every ballot of @e merged into distinct voters. */
static pb_err voters_build(struct voters *vs, const struct pb_election *e, const struct pb_rule *rule,
                           struct pb_diag *reterr)
{
        const struct pb_ballots *b = &e->ballots;
        struct upair *cur;
        size_t maxlen = 1;
        pb_err r = PB_OK;

        for (size_t i = 0; i < b->n; i++)
                if (pb_ballot_len(b, i) > maxlen)
                        maxlen = pb_ballot_len(b, i);
        for (vs->table_cap = 16; vs->table_cap < 2 * b->n + 2;)
                vs->table_cap *= 2;
        vs->table = pb_calloc(vs->table_cap, sizeof(*vs->table));
        cur = pb_calloc(maxlen, sizeof(*cur));
        if (!vs->table || !cur)
                r = PB_ERR_NOMEM;
        for (size_t i = 0; r == PB_OK && i < b->n; i++) {
                size_t k = 0;
                r = ballot_utilities(e, rule, i, cur, &k, reterr);
                if (r == PB_OK)
                        r = voters_add(vs, cur, k);
        }
        pb_free(cur);
        return r;
}

/* The supporters of each project from the distinct voters (their weights already in @mm): by
 * voter, with the utility totals. */
static pb_err supporters_build(struct mes_model *mm, const struct voters *vs)
{
        size_t *fill = pb_calloc(mm->m + 1, sizeof(*fill));

        mm->sup_voter = pb_calloc(vs->n_items, sizeof(*mm->sup_voter));
        mm->sup_util = pb_calloc(vs->n_items, sizeof(*mm->sup_util));
        if (!fill || !mm->sup_voter || !mm->sup_util) {
                pb_free(fill);
                return PB_ERR_NOMEM;
        }
        for (size_t j = 0; j < vs->n_items; j++)
                mm->sup_start[vs->keys[j].p + 1]++;
        for (size_t p = 0; p < mm->m; p++) {
                mm->sup_start[p + 1] += mm->sup_start[p];
                fill[p] = mm->sup_start[p];
        }
        for (size_t v = 0; v < vs->n; v++)
                for (size_t j = vs->start[v]; j < vs->start[v + 1]; j++) {
                        uint32_t p = vs->keys[j].p;
                        mm->sup_voter[fill[p]] = (uint32_t)v;
                        mm->sup_util[fill[p]] = vs->keys[j].u;
                        fill[p]++;
                        mm->util_total[p] += (pb_u128)(uint64_t)vs->keys[j].u * mm->weight[v];
                }
        pb_free(fill);
        return PB_OK;
}

/* Mark the projects whose supporters all have one utility; order the others' supporters by
 * utility (stable: voters stay in order within a utility). */
static pb_err supporters_group(struct mes_model *mm)
{
        for (size_t p = 0; p < mm->m; p++) {
                size_t a = mm->sup_start[p], z = mm->sup_start[p + 1];
                struct upair *tmp;

                mm->uniform[p] = true;
                for (size_t k = a + 1; k < z; k++)
                        if (mm->sup_util[k] != mm->sup_util[a])
                                mm->uniform[p] = false;
                if (mm->uniform[p])
                        continue;
                tmp = pb_calloc(z - a, sizeof(*tmp));
                if (!tmp)
                        return PB_ERR_NOMEM;
                for (size_t k = a; k < z; k++) {
                        tmp[k - a].p = mm->sup_voter[k];
                        tmp[k - a].u = mm->sup_util[k];
                }
                qsort(tmp, z - a, sizeof(*tmp), cmp_by_util);
                for (size_t k = a; k < z; k++) {
                        mm->sup_voter[k] = tmp[k - a].p;
                        mm->sup_util[k] = tmp[k - a].u;
                }
                pb_free(tmp);
        }
        return PB_OK;
}

/* What MES does with each project (enum mes_role), and the candidates' total cost. */
static void assign_roles(struct mes_model *mm)
{
        const struct pb_election *e = mm->e;

        for (size_t p = 0; p < mm->m; p++) {
                const struct pb_project *pr = &e->projects[p];

                if (mm->util_total[p] == 0)
                        mm->role[p] = MES_ROLE_NONE;
                else if (pr->withdrawn && pr->cost <= e->budget)
                        mm->role[p] = MES_ROLE_WITHDRAWN;
                else if (pr->cost == 0)
                        mm->role[p] = MES_ROLE_FREE;
                else
                        mm->role[p] = MES_ROLE_CANDIDATE;
                if (mm->role[p] == MES_ROLE_CANDIDATE)
                        mm->candidate_cost += (pb_u128)(uint64_t)pr->cost;
        }
}

/* The free projects in tie-break order (insertion sort: there are few), as every run funds them. */
static void order_free(struct mes_model *mm)
{
        mm->n_free = 0;
        for (uint32_t p = 0; p < mm->m; p++) {
                size_t j;
                if (mm->role[p] != MES_ROLE_FREE)
                        continue;
                for (j = mm->n_free++; j > 0 && mm->rank[mm->free_order[j - 1]] > mm->rank[p]; j--)
                        mm->free_order[j] = mm->free_order[j - 1];
                mm->free_order[j] = p;
        }
}

pb_err mes_model_build(struct mes_model *mm, const struct pb_election *e, const struct pb_rule *rule,
                       struct pb_diag *reterr)
{
        const size_t m = e->n_projects, n = e->ballots.n;
        struct voters vs;
        pb_err r;

        memset(mm, 0, sizeof(*mm));
        memset(&vs, 0, sizeof(vs));
        mm->e = e;
        mm->n = n;
        mm->m = m;
        if (n > UINT32_MAX || m > UINT32_MAX - 1)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "ballots", "too many voters for equal shares");
        if (rule->utility == PB_UTIL_POINTS && e->vote_type == PB_VOTE_SCORING &&
            e->limits.has[PB_LIM_DEFAULT_SCORE] && e->limits.v[PB_LIM_DEFAULT_SCORE] > 0)
                return pb_diag_set(reterr, PB_ERR_INVALID, "default_score",
                                   "equal shares with points needs default_score 0 (every voter would "
                                   "support every project)");
        mm->sup_start = pb_calloc(m + 1, sizeof(*mm->sup_start));
        mm->uniform = pb_calloc(m, sizeof(*mm->uniform));
        mm->util_total = pb_calloc(m, sizeof(*mm->util_total));
        mm->role = pb_calloc(m, sizeof(*mm->role));
        mm->rank = pb_calloc(m, sizeof(*mm->rank));
        mm->votes = pb_calloc(m, sizeof(*mm->votes));
        mm->free_order = pb_calloc(m ? m : 1, sizeof(*mm->free_order));
        r = PB_ERR_NOMEM;
        if (!mm->sup_start || !mm->uniform || !mm->util_total || !mm->role || !mm->rank || !mm->votes ||
            !mm->free_order)
                goto out;
        r = pb_tally_count(e, PB_SCORE_VOTES, mm->votes, NULL);
        if (r == PB_OK)
                r = pb_tie_ranks(e, rule, mm->votes, mm->rank);
        if (r == PB_OK)
                r = voters_build(&vs, e, rule, reterr);
        if (r < 0)
                goto out;
        mm->nv = vs.n;
        mm->weight = vs.weight;
        vs.weight = NULL;
        r = supporters_build(mm, &vs);
        if (r == PB_OK)
                r = supporters_group(mm);
        if (r == PB_OK) {
                assign_roles(mm);
                order_free(mm);
        }
out:
        voters_release(&vs);
        if (r < 0)
                mes_model_release(mm);
        return r;
}

void mes_model_release(struct mes_model *mm)
{
        if (!mm)
                return;
        pb_free(mm->sup_start);
        pb_free(mm->sup_voter);
        pb_free(mm->sup_util);
        pb_free(mm->uniform);
        pb_free(mm->util_total);
        pb_free(mm->role);
        pb_free(mm->rank);
        pb_free(mm->votes);
        pb_free(mm->weight);
        pb_free(mm->free_order);
        memset(mm, 0, sizeof(*mm));
}
