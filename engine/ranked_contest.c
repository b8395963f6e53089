/** @file The ranked contest model: candidates, and ballots folded by identical ranking. */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_hash.h"
#include "engine/ranked_int.h"

void pb_ranked_contest_init(struct pb_ranked_contest *c)
{
        memset(c, 0, sizeof(*c));
}

void pb_ranked_contest_release(struct pb_ranked_contest *c)
{
        size_t i, k;

        if (!c)
                return;
        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                for (i = 0; i < c->slices[k].n; i++)
                        pb_free(c->slices[k].names[i]);
                pb_free(c->slices[k].names);
                pb_free(c->slices[k].slots);
        }
        for (i = 0; i < c->n_cand; i++)
                pb_free(c->cand[i].name);
        pb_free(c->cand);
        pb_free(c->title);
        pb_free(c->tokens);
        pb_free(c->ballots);
        pb_free(c->slots);
        pb_free(c->pend);
        memset(c, 0, sizeof(*c));
}

pb_err pb_ranked_candidate_add(struct pb_ranked_contest *c, const char *name, size_t len, uint32_t *ret_index)
{
        struct pb_ranked_candidate *nc;
        char *copy;

        if (len == 0 || memchr(name, '\0', len))
                return PB_ERR_INVALID;
        if (c->n_cand >= PB_RANKED_MAX_CANDIDATES)
                return PB_ERR_LIMIT;
        nc = pb_grow(c->cand, &c->cap_cand, c->n_cand + 1, sizeof(*nc), 16);
        if (!nc)
                return PB_ERR_NOMEM;
        c->cand = nc;
        copy = pb_strndup(name, len);
        if (!copy)
                return PB_ERR_NOMEM;
        memset(&nc[c->n_cand], 0, sizeof(nc[0]));
        nc[c->n_cand].name = copy;
        if (ret_index)
                *ret_index = (uint32_t)c->n_cand;
        c->n_cand++;
        return PB_OK;
}

long pb_ranked_candidate_find(const struct pb_ranked_contest *c, const char *name)
{
        size_t i;

        for (i = 0; i < c->n_cand; i++)
                if (!strcmp(c->cand[i].name, name))
                        return (long)i;
        return -1;
}

pb_err pb_ranked_ballot_mark(struct pb_ranked_contest *c, uint32_t rank, uint32_t cand)
{
        struct pb_ranked_mark *p;

        if (rank == 0 || rank > PB_RANKED_MAX_RANK)
                return PB_ERR_LIMIT;
        if (cand != PB_RANKED_OVERVOTE && cand >= c->n_cand)
                return PB_ERR_INVALID;
        if (c->n_pend >= PB_RANKED_MAX_TOKENS / 2)
                return PB_ERR_LIMIT;
        p = pb_grow(c->pend, &c->cap_pend, c->n_pend + 1, sizeof(*p), 16);
        if (!p)
                return PB_ERR_NOMEM;
        c->pend = p;
        c->pend[c->n_pend].rank = (uint16_t)rank;
        c->pend[c->n_pend].cand = (uint16_t)cand;
        c->n_pend++;
        return PB_OK;
}

void pb_ranked_ballot_discard(struct pb_ranked_contest *c)
{
        c->n_pend = 0;
        memset(c->pend_slice, 0, sizeof(c->pend_slice));
}

static uint32_t slice_hash(const char *s, size_t len)
{
        return (uint32_t)pb_hash_fnv1a(s, len);
}

static pb_err slice_grow(struct pb_ranked_slices *sl)
{
        size_t n = sl->n_slots ? sl->n_slots * 2 : 64, i;
        uint32_t *t = pb_calloc(n, sizeof(*t));

        if (!t)
                return PB_ERR_NOMEM;
        for (i = 0; i < sl->n; i++) {
                size_t k = slice_hash(sl->names[i], strlen(sl->names[i])) & (n - 1);
                while (t[k])
                        k = (k + 1) & (n - 1);
                t[k] = (uint32_t)i + 1;
        }
        pb_free(sl->slots);
        sl->slots = t;
        sl->n_slots = n;
        return PB_OK;
}

pb_err pb_ranked_ballot_slice(struct pb_ranked_contest *c, enum pb_ranked_slice_kind kind, const char *name,
                              size_t len)
{
        struct pb_ranked_slices *sl;
        char **nn;
        size_t k;
        pb_err r;

        if ((unsigned)kind >= PB_RANKED_SLICE_KINDS || len == 0 || memchr(name, '\0', len))
                return PB_ERR_INVALID;
        sl = &c->slices[kind];
        if (sl->n_slots) {
                for (k = slice_hash(name, len) & (sl->n_slots - 1); sl->slots[k];
                     k = (k + 1) & (sl->n_slots - 1)) {
                        const char *s = sl->names[sl->slots[k] - 1];
                        if (!strncmp(s, name, len) && s[len] == '\0') {
                                c->pend_slice[kind] = sl->slots[k];
                                return PB_OK;
                        }
                }
        }
        if (sl->n >= PB_RANKED_MAX_SLICES)
                return PB_ERR_LIMIT;
        if (sl->n * 2 >= sl->n_slots) {
                r = slice_grow(sl);
                if (r < 0)
                        return r;
        }
        nn = pb_grow(sl->names, &sl->cap, sl->n + 1, sizeof(*nn), 16);
        if (!nn)
                return PB_ERR_NOMEM;
        sl->names = nn;
        sl->names[sl->n] = pb_strndup(name, len);
        if (!sl->names[sl->n])
                return PB_ERR_NOMEM;
        for (k = slice_hash(name, len) & (sl->n_slots - 1); sl->slots[k]; k = (k + 1) & (sl->n_slots - 1))
                ;
        sl->slots[k] = (uint32_t)++sl->n;
        c->pend_slice[kind] = (uint32_t)sl->n;
        return PB_OK;
}

/* A record is its ranking and its slices: ballots of different slices never fold together. */
static uint32_t hash_tokens(const uint16_t *t, size_t n, const uint32_t *slice)
{
        uint64_t h = pb_hash_fnv1a((const char *)t, n * sizeof(*t));
        size_t k;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                h = (h ^ slice[k]) * 1099511628211ULL;
        return (uint32_t)(h ^ (h >> 32));
}

static pb_err grow_slots(struct pb_ranked_contest *c)
{
        size_t n = c->n_slots ? c->n_slots * 2 : 1024, i;
        uint32_t *s = pb_calloc(n, sizeof(*s));

        if (!s)
                return PB_ERR_NOMEM;
        for (i = 0; i < c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &c->ballots[i];
                size_t k = hash_tokens(c->tokens + b->off, b->len, b->slice) & (n - 1);
                while (s[k])
                        k = (k + 1) & (n - 1);
                s[k] = (uint32_t)i + 1;
        }
        pb_free(c->slots);
        c->slots = s;
        c->n_slots = n;
        return PB_OK;
}

static pb_err reserve_tokens(struct pb_ranked_contest *c, size_t more)
{
        uint16_t *t;

        if (c->n_tokens + more > UINT32_MAX)
                return PB_ERR_LIMIT;
        /* pb_grow allocates a NULL array even for no tokens, so every ballot's tokens pointer is valid */
        t = pb_grow(c->tokens, &c->cap_tokens, c->n_tokens + more, sizeof(*t), 4096);
        if (!t)
                return PB_ERR_NOMEM;
        c->tokens = t;
        return PB_OK;
}

pb_err pb_ranked_ballot_commit(struct pb_ranked_contest *c, int64_t count)
{
        size_t i, j, n = 0, k;
        uint16_t *t;
        struct pb_ranked_ballot *nb;
        unsigned last = 0, n_ranks = 0;
        uint32_t h;
        pb_err r;

        if (count < 1) {
                r = PB_ERR_INVALID;
                goto out;
        }
        /* stable insertion sort by rank: marks within a rank keep the file's order */
        for (i = 1; i < c->n_pend; i++) {
                struct pb_ranked_mark m = c->pend[i];
                for (j = i; j > 0 && c->pend[j - 1].rank > m.rank; j--)
                        c->pend[j] = c->pend[j - 1];
                c->pend[j] = m;
        }
        r = reserve_tokens(c, c->n_pend * 2);
        if (r < 0)
                goto out;
        t = c->tokens + c->n_tokens;
        for (i = 0; i < c->n_pend; i++) {
                if (c->pend[i].rank != last) {
                        last = c->pend[i].rank;
                        t[n++] = (uint16_t)(PB_RANKED_RANK_FLAG | last);
                        n_ranks++;
                }
                t[n++] = c->pend[i].cand;
        }
        if (__builtin_add_overflow(c->n_total, count, &c->n_total)) {
                r = PB_ERR_OVERFLOW;
                goto out;
        }
        if (c->n_ballots * 2 >= c->n_slots) {
                r = grow_slots(c);
                if (r < 0)
                        goto undo;
        }
        h = hash_tokens(t, n, c->pend_slice);
        for (k = h & (c->n_slots - 1); c->slots[k]; k = (k + 1) & (c->n_slots - 1)) {
                struct pb_ranked_ballot *b = &c->ballots[c->slots[k] - 1];
                if (b->len == n && !memcmp(b->slice, c->pend_slice, sizeof(b->slice)) &&
                    (!n || !memcmp(c->tokens + b->off, t, n * sizeof(*t)))) {
                        b->count += count; /* cannot overflow: n_total did not */
                        r = PB_OK;
                        goto out;
                }
        }
        if (c->n_ballots >= UINT32_MAX - 1) {
                r = PB_ERR_LIMIT;
                goto undo;
        }
        nb = pb_grow(c->ballots, &c->cap_ballots, c->n_ballots + 1, sizeof(*nb), 256);
        if (!nb) {
                r = PB_ERR_NOMEM;
                goto undo;
        }
        c->ballots = nb;
        c->ballots[c->n_ballots].off = (uint32_t)c->n_tokens;
        c->ballots[c->n_ballots].len = (uint16_t)n;
        c->ballots[c->n_ballots].n_ranks = (uint16_t)n_ranks;
        c->ballots[c->n_ballots].count = count;
        memcpy(c->ballots[c->n_ballots].slice, c->pend_slice, sizeof(c->pend_slice));
        c->slots[k] = (uint32_t)(c->n_ballots + 1);
        c->n_ballots++;
        c->n_tokens += n;
        r = PB_OK;
        goto out;
undo:
        c->n_total -= count;
out:
        pb_ranked_ballot_discard(c);
        return r;
}

unsigned pb_ranked_ballot_max_rank(const struct pb_ranked_contest *c, const struct pb_ranked_ballot *b)
{
        const uint16_t *t = c->tokens + b->off;
        size_t i;

        for (i = b->len; i > 0; i--)
                if (t[i - 1] & PB_RANKED_RANK_FLAG)
                        return t[i - 1] & ~PB_RANKED_RANK_FLAG;
        return 0;
}
