/** @file Tie-breaking policies as a total order over projects. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

struct tie_item {
        uint32_t project;
        int64_t cost, votes;
        uint64_t key; /* seeded draw */
        const char *id;
        enum pb_tie_break tb;
};

/* Domain tag for the seeded draw: the order is BLAKE2b-64(tag || seed (LE) || id), ascending. */
static const char seeded_tag[] = "pbvote/tie-break/v1";

static uint64_t seeded_key(uint64_t seed, const char *id)
{
        crypto_generichash_state st;
        uint8_t le[8], out[8];
        uint64_t k = 0;

        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t)(seed >> (8 * i));
        crypto_generichash_init(&st, NULL, 0, sizeof(out));
        crypto_generichash_update(&st, (const uint8_t *)seeded_tag, sizeof(seeded_tag) - 1);
        crypto_generichash_update(&st, le, sizeof(le));
        crypto_generichash_update(&st, (const uint8_t *)id, strlen(id));
        crypto_generichash_final(&st, out, sizeof(out));
        for (int i = 0; i < 8; i++)
                k = (k << 8) | out[i];
        return k;
}

static int cmp_items(const void *pa, const void *pb)
{
        const struct tie_item *a = pa, *b = pb;
        int c;

        switch (a->tb) {
        case PB_TIE_LEXICO:
                /* byte order of UTF-8 = code point order = pabutools' Python string order */
                c = strcmp(a->id, b->id);
                if (c)
                        return c;
                break;
        case PB_TIE_COST_THEN_VOTES:
                if (a->cost != b->cost)
                        return a->cost < b->cost ? -1 : 1;
                if (a->votes != b->votes)
                        return a->votes > b->votes ? -1 : 1;
                break;
        case PB_TIE_SEEDED:
                if (a->key != b->key)
                        return a->key < b->key ? -1 : 1;
                c = strcmp(a->id, b->id);
                if (c)
                        return c;
                break;
        case PB_TIE_FILE_ORDER:
        case PB_TIE_COUNT: break;
        }
        return a->project < b->project ? -1 : a->project > b->project;
}

pb_err pb_tie_ranks(const struct pb_election *e, const struct pb_rule *r, const int64_t *votes,
                    uint32_t *rank)
{
        struct tie_item *v;

        if (r->tie_break == PB_TIE_COST_THEN_VOTES)
                PB_ASSERT(votes != NULL);
        v = pb_calloc(e->n_projects, sizeof(*v));
        if (!v)
                return PB_ERR_NOMEM;
        for (size_t i = 0; i < e->n_projects; i++) {
                v[i].project = (uint32_t)i;
                v[i].cost = e->projects[i].cost;
                v[i].votes = votes ? votes[i] : 0;
                v[i].id = e->projects[i].id;
                v[i].tb = r->tie_break;
                if (r->tie_break == PB_TIE_SEEDED)
                        v[i].key = seeded_key(r->seed, e->projects[i].id);
        }
        qsort(v, e->n_projects, sizeof(*v), cmp_items);
        for (size_t i = 0; i < e->n_projects; i++)
                rank[v[i].project] = (uint32_t)i;
        pb_free(v);
        return PB_OK;
}
