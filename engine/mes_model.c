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
 * Voters with the same utilities for every project behave identically in every run (same
 * budget, same payments), so they are merged into one weighted voter: Łódź's 90,494 ballots are
 * 23,571 distinct ones, Wrocław's 62,529 are 1,157.
 */
pb_err mes_model_build(struct mes_model *mm, const struct pb_election *e, const struct pb_rule *rule,
                       struct pb_diag *reterr)
{
        const struct pb_ballots *b = &e->ballots;
        const size_t m = e->n_projects, n = b->n;
        struct upair *cur = NULL, *keys = NULL;
        size_t *kstart = NULL, *fill = NULL, nkeys = 0, nk_items = 0, kcap = 0, kicap = 0, hcap = 16,
               maxlen = 1;
        uint32_t *weight = NULL, *table = NULL;
        pb_err r;

        memset(mm, 0, sizeof(*mm));
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
        for (size_t i = 0; i < n; i++)
                if (pb_ballot_len(b, i) > maxlen)
                        maxlen = pb_ballot_len(b, i);
        while (hcap < 2 * n + 2)
                hcap *= 2;
        mm->sup_start = pb_calloc(m + 1, sizeof(*mm->sup_start));
        mm->uniform = pb_calloc(m ? m : 1, sizeof(*mm->uniform));
        mm->util_total = pb_calloc(m ? m : 1, sizeof(*mm->util_total));
        mm->role = pb_calloc(m ? m : 1, sizeof(*mm->role));
        mm->rank = pb_calloc(m ? m : 1, sizeof(*mm->rank));
        mm->votes = pb_calloc(m ? m : 1, sizeof(*mm->votes));
        fill = pb_calloc(m + 1, sizeof(*fill));
        cur = pb_calloc(maxlen, sizeof(*cur));
        table = pb_calloc(hcap, sizeof(*table));
        if (!mm->sup_start || !mm->uniform || !mm->util_total || !mm->role || !mm->rank || !mm->votes ||
            !fill || !cur || !table) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = pb_tally_count(e, PB_SCORE_VOTES, mm->votes, NULL);
        if (r < 0)
                goto out;
        r = pb_tie_ranks(e, rule, mm->votes, mm->rank);
        if (r < 0)
                goto out;

        /* each ballot's positive utilities, merged with identical earlier ones */
        for (size_t i = 0; i < n; i++) {
                size_t a = b->start[i], z = b->start[i + 1], len = z - a, k = 0;
                uint64_t h, slot;

                for (size_t j = a; j < z; j++) {
                        uint32_t p = b->item[j];
                        int64_t u = 0;
                        switch (rule->utility) {
                        case PB_UTIL_COST: u = e->projects[p].cost; break;
                        case PB_UTIL_APPROVAL: u = 1; break;
                        case PB_UTIL_POINTS: u = b->points ? b->points[j] : 0; break;
                        case PB_UTIL_BORDA: u = (int64_t)(len - (j - a) - 1); break;
                        case PB_UTIL_COUNT: PB_ASSERT(0);
                        }
                        cur[k].p = p;
                        cur[k].u = u;
                        k++;
                }
                qsort(cur, k, sizeof(*cur), cmp_upair);
                for (size_t j = 1; j < k; j++)
                        if (cur[j].p == cur[j - 1].p) {
                                r = pb_diag_set(reterr, PB_ERR_INVALID, "ballots",
                                                "a ballot names a project twice");
                                goto out;
                        }
                {
                        size_t kk = 0;
                        for (size_t j = 0; j < k; j++)
                                if (cur[j].u > 0)
                                        cur[kk++] = cur[j];
                        k = kk;
                }
                h = hash_pairs(cur, k);
                for (slot = h & (hcap - 1);; slot = (slot + 1) & (hcap - 1)) {
                        uint32_t v = table[slot];
                        if (!v)
                                break;
                        v--;
                        if (kstart[v + 1] - kstart[v] == k &&
                            (k == 0 || !memcmp(keys + kstart[v], cur, k * sizeof(*cur))))
                                break;
                }
                if (table[slot]) {
                        weight[table[slot] - 1]++;
                        continue;
                }
                /* a new distinct voter */
                if (nkeys + 2 > kcap) {
                        size_t nc = kcap ? 2 * kcap : 1024;
                        size_t *ns = pb_reallocarray(kstart, nc, sizeof(*ns));
                        uint32_t *nw;
                        if (!ns) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        kstart = ns;
                        nw = pb_reallocarray(weight, nc, sizeof(*nw));
                        if (!nw) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        weight = nw;
                        kcap = nc;
                        if (nkeys == 0)
                                kstart[0] = 0;
                }
                if (nk_items + k > kicap) {
                        size_t nc = kicap ? 2 * kicap : 4096;
                        struct upair *nkp;
                        while (nc < nk_items + k)
                                nc *= 2;
                        nkp = pb_reallocarray(keys, nc, sizeof(*nkp));
                        if (!nkp) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        keys = nkp;
                        kicap = nc;
                }
                if (k)
                        memcpy(keys + nk_items, cur, k * sizeof(*cur));
                nk_items += k;
                weight[nkeys] = 1;
                kstart[nkeys + 1] = nk_items;
                table[slot] = (uint32_t)nkeys + 1;
                nkeys++;
        }
        mm->nv = nkeys;
        mm->weight = weight;
        weight = NULL;

        /* supporters of each project: distinct voters by utility, then voter */
        for (size_t v = 0; v < nkeys; v++)
                for (size_t j = kstart[v]; j < kstart[v + 1]; j++)
                        mm->sup_start[keys[j].p + 1]++;
        for (size_t p = 0; p < m; p++) {
                mm->sup_start[p + 1] += mm->sup_start[p];
                fill[p] = mm->sup_start[p];
        }
        mm->sup_voter = pb_calloc(nk_items ? nk_items : 1, sizeof(*mm->sup_voter));
        mm->sup_util = pb_calloc(nk_items ? nk_items : 1, sizeof(*mm->sup_util));
        if (!mm->sup_voter || !mm->sup_util) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t v = 0; v < nkeys; v++)
                for (size_t j = kstart[v]; j < kstart[v + 1]; j++) {
                        uint32_t p = keys[j].p;
                        mm->sup_voter[fill[p]] = (uint32_t)v;
                        mm->sup_util[fill[p]] = keys[j].u;
                        fill[p]++;
                        mm->util_total[p] = mm->util_total[p] + (pb_u128)(uint64_t)keys[j].u * mm->weight[v];
                }
        for (size_t p = 0; p < m; p++) {
                size_t a = mm->sup_start[p], z = mm->sup_start[p + 1];
                bool uni = true;

                for (size_t k = a + 1; k < z; k++)
                        if (mm->sup_util[k] != mm->sup_util[a])
                                uni = false;
                mm->uniform[p] = uni;
                if (uni)
                        continue;
                /* group by utility (stable: voters stay in order within a utility) */
                {
                        struct upair *tmp = pb_calloc(z - a, sizeof(*tmp));
                        if (!tmp) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
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
        }
        for (size_t p = 0; p < m; p++) {
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
                        mm->candidate_cost = mm->candidate_cost + (pb_u128)(uint64_t)pr->cost;
        }
        r = PB_OK;
out:
        pb_free(fill);
        pb_free(cur);
        pb_free(table);
        pb_free(keys);
        pb_free(kstart);
        pb_free(weight);
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
        memset(mm, 0, sizeof(*mm));
}
