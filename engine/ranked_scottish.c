/**
 * @file Scottish STV: The Scottish Local Government Elections Order 2007 (SSI 2007/42), rules
 * 45-52.  A Weighted Inclusive Gregory count in 5-decimal fixed point: the quota is
 * floor(valid papers / (seats + 1)) + 1 (r.46); a candidate at or above it is elected (r.47);
 * the largest surplus is transferred first, every paper of the candidate moving on at
 * trunc5(value x surplus / total votes) (r.48, 49); otherwise the lowest candidate is excluded
 * and its papers move at their current value (r.50); ties look back to the latest stage where
 * the tied candidates differed, then go to lot (r.49(2-3), 51); once continuing candidates are
 * no more than the vacancies they are elected without further transfers (r.52).
 */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_stv.h"

#define SC_SCALE 5

struct sc {
        struct stv_count k; /* candidates, votes, seats, lot order, the result */
        bool *pending;      /* elected, surplus not yet transferred */
        uint32_t *pos;      /* per ballot: token index of its current candidate (len when exhausted) */
        int64_t *weight;    /* per ballot: value of one paper, 10^-5 */
        int32_t *at;        /* per ballot: candidate holding it, -1 non-transferable */
        int64_t nt;         /* non-transferable value so far */
        uint32_t *tmp;
};

static bool complete(const struct sc *s)
{
        unsigned left = stv_open_seats(&s->k);
        return left == 0 || stv_hopefuls(&s->k) <= left;
}

/* Move ballot @i to its next hopeful candidate, from its current position on. */
static int32_t next_hopeful(struct sc *s, size_t i)
{
        const struct pb_ranked_ballot *b = &s->k.c->ballots[i];
        const uint16_t *t = s->k.c->tokens + b->off;
        uint32_t p = s->pos[i];

        for (; p < b->len; p++) {
                if (t[p] & PB_RANKED_RANK_FLAG)
                        continue;
                if (s->k.st[t[p]] == STV_HOPEFUL)
                        break;
        }
        s->pos[i] = p;
        return p < b->len ? (int32_t)t[p] : -1;
}

static pb_err new_round(struct sc *s)
{
        struct pb_ranked_round *rd;
        size_t i;
        pb_err r = pb_rk_round_add(s->k.res, &rd);

        if (r < 0)
                return r;
        for (i = 0; i < s->k.n; i++) {
                rd->present[i] = s->k.st[i] != STV_WITHDRAWN;
                rd->tally[i] = s->k.vote[i];
        }
        rd->threshold = s->k.quota;
        rd->inactive[PB_RANKED_EXHAUSTED] = s->nt;
        return PB_OK;
}

/* Break a tie among @tied[@n]: the latest earlier stage where they differ decides (the most
 * votes when @highest, else the fewest), else the lot order.  Like Droop, each earlier stage is
 * tried with the whole tied group. */
static pb_err break_tie(struct sc *s, uint32_t *tied, size_t n, bool highest, uint32_t *ret)
{
        size_t k, i, m;
        uint32_t best = tied[0];

        if (n == 1) {
                *ret = tied[0];
                return PB_OK;
        }
        for (k = s->k.res->n_rounds - 1; k > 0; k--) {
                const int64_t *v = s->k.res->rounds[k - 1].tally;
                int64_t ext = v[tied[0]];
                for (i = 1; i < n; i++)
                        if (highest ? v[tied[i]] > ext : v[tied[i]] < ext)
                                ext = v[tied[i]];
                for (i = m = 0; i < n; i++)
                        if (v[tied[i]] == ext) {
                                best = tied[i];
                                m++;
                        }
                if (m == 1) {
                        *ret = best;
                        return pb_rk_tie_add(s->k.res, (unsigned)s->k.res->n_rounds, highest, best,
                                             (uint32_t)n, "earlier stage");
                }
        }
        best = tied[0];
        for (i = 1; i < n; i++)
                if (s->k.tie_rank[tied[i]] < s->k.tie_rank[best])
                        best = tied[i];
        *ret = best;
        return pb_rk_tie_add(s->k.res, (unsigned)s->k.res->n_rounds, highest, best, (uint32_t)n, "lot");
}

/* Elect every hopeful candidate at or above the quota (r.47), most votes first. */
static pb_err elect_quota(struct sc *s)
{
        size_t i, j, n = 0;
        pb_err r;

        for (i = 0; i < s->k.n; i++) {
                if (s->k.st[i] != STV_HOPEFUL || s->k.vote[i] < s->k.quota)
                        continue;
                for (j = n; j > 0 && s->k.vote[s->tmp[j - 1]] < s->k.vote[i]; j--)
                        s->tmp[j] = s->tmp[j - 1];
                s->tmp[j] = (uint32_t)i;
                n++;
        }
        for (i = 0; i < n; i++) {
                uint32_t w = s->tmp[i];
                s->pending[w] = s->k.vote[w] > s->k.quota;
                r = stv_elect(&s->k, w);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

/* Transfer the papers held by @from: at trunc5(value * surplus / votes) for a surplus (@surplus
 * > 0), at their current value for an exclusion.  Moves are recorded on @d. */
static pb_err transfer(struct sc *s, uint32_t from, int64_t surplus, struct pb_ranked_decision *d)
{
        int64_t votes = s->k.vote[from];
        size_t i;
        pb_err r;

        for (i = 0; i < s->k.c->n_ballots; i++) {
                int64_t w, amount;
                int32_t to;

                if (s->at[i] != (int32_t)from)
                        continue;
                w = s->weight[i];
                if (surplus > 0) {
                        r = pb_rk_muldiv(w, surplus, votes, &w);
                        if (r < 0)
                                return r;
                }
                s->weight[i] = w;
                to = next_hopeful(s, i);
                s->at[i] = to;
                if (pb_rk_mul(w, s->k.c->ballots[i].count, &amount) < 0)
                        return PB_ERR_OVERFLOW;
                if (to >= 0) {
                        if (pb_rk_add(&s->k.vote[to], amount) < 0)
                                return PB_ERR_OVERFLOW;
                        d->transfers[to] += amount;
                } else {
                        s->nt += amount;
                        d->transfers[s->k.n + PB_RANKED_TO_EXHAUSTED] += amount;
                }
        }
        s->k.vote[from] = surplus > 0 ? s->k.quota : 0;
        return PB_OK;
}

/* First preferences: every paper at value 1 with its first hopeful candidate; the valid papers
 * (those that rank a candidate who has not withdrawn, r.45(3), 46) set the quota. */
static pb_err first_preferences(struct sc *s)
{
        int64_t valid = 0;
        pb_err r;

        for (size_t i = 0; i < s->k.c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &s->k.c->ballots[i];
                int32_t first;

                r = stv_check_marks(&s->k, b, "Scottish STV has no overvote marks",
                                    "Scottish STV has no equal rankings", NULL);
                if (r < 0)
                        return r;
                s->weight[i] = s->k.one;
                s->pos[i] = 0;
                first = next_hopeful(s, i);
                s->at[i] = first;
                if (first >= 0) {
                        int64_t amount;
                        if (pb_rk_mul(s->k.one, b->count, &amount) < 0 ||
                            pb_rk_add(&s->k.vote[first], amount) < 0 || pb_rk_add(&valid, b->count) < 0)
                                return PB_ERR_OVERFLOW;
                }
        }
        if (valid == 0)
                return pb_diag_set(s->k.reterr, PB_ERR_INVALID, "ballots", "no valid ballot papers");
        if (pb_rk_mul(valid / ((int64_t)s->k.seats + 1) + 1, s->k.one, &s->k.quota) < 0)
                return PB_ERR_OVERFLOW;
        s->k.res->total_ballots = valid;
        return new_round(s);
}

/* The candidates (into s->tmp, returning how many) with the extreme vote among those that
 * @want: the most votes when @highest, else the fewest. */
static size_t extremes(struct sc *s, bool (*want)(const struct sc *, size_t), bool highest)
{
        size_t n = 0;

        for (size_t i = 0; i < s->k.n; i++) {
                int64_t v = s->k.vote[i];
                if (!want(s, i))
                        continue;
                if (n && (highest ? v < s->k.vote[s->tmp[0]] : v > s->k.vote[s->tmp[0]]))
                        continue;
                if (n && v != s->k.vote[s->tmp[0]])
                        n = 0;
                s->tmp[n++] = (uint32_t)i;
        }
        return n;
}

static bool has_pending_surplus(const struct sc *s, size_t i)
{
        return s->pending[i];
}

static bool is_hopeful(const struct sc *s, size_t i)
{
        return s->k.st[i] == STV_HOPEFUL;
}

/* Transfer the largest pending surplus (r.48, 49), ties broken by break_tie(). */
static pb_err transfer_surplus(struct sc *s, size_t n)
{
        struct pb_ranked_decision *d;
        uint32_t pick;
        pb_err r = break_tie(s, s->tmp, n, true, &pick);

        if (r < 0)
                return r;
        d = pb_rk_decision_find(stv_round(&s->k), pick);
        if (!d) {
                r = pb_rk_decision_add(stv_round(&s->k), s->k.n, pick, true);
                if (r < 0)
                        return r;
                d = &stv_round(&s->k)->dec[stv_round(&s->k)->n_dec - 1];
                d->surplus_only = true;
        }
        s->pending[pick] = false;
        r = transfer(s, pick, s->k.vote[pick] - s->k.quota, d);
        return r < 0 ? r : new_round(s);
}

/* Exclude the lowest hopeful candidate (r.50, 51) and move its papers at their value. */
static pb_err exclude_lowest(struct sc *s)
{
        uint32_t pick;
        pb_err r = break_tie(s, s->tmp, extremes(s, is_hopeful, false), false, &pick);

        if (r < 0)
                return r;
        s->k.st[pick] = STV_DEFEATED;
        r = pb_rk_decision_add(stv_round(&s->k), s->k.n, pick, false);
        if (r < 0)
                return r;
        r = transfer(s, pick, 0, &stv_round(&s->k)->dec[stv_round(&s->k)->n_dec - 1]);
        return r < 0 ? r : new_round(s);
}

static pb_err count(struct sc *s)
{
        pb_err r = first_preferences(s);

        while (r == PB_OK) {
                size_t n;

                r = elect_quota(s);
                if (r < 0 || complete(s))
                        break;
                n = extremes(s, has_pending_surplus, true); /* the largest surplus first (r.49) */
                if (n) {
                        r = transfer_surplus(s, n);
                        continue;
                }
                r = exclude_lowest(s);
                if (r < 0 || complete(s))
                        break;
        }
        if (r < 0)
                return r;
        /* r.52: the continuing candidates fill the last vacancies */
        if (stv_hopefuls(&s->k) <= stv_open_seats(&s->k))
                for (size_t i = 0; i < s->k.n; i++)
                        if (s->k.st[i] == STV_HOPEFUL && (r = stv_elect(&s->k, (uint32_t)i)) < 0)
                                return r;
        s->k.res->final_threshold = s->k.quota;
        return PB_OK;
}

pb_err pb_scottish_run(const struct pb_ranked_contest *c, const uint32_t *tie_order,
                       struct pb_ranked_outcome *ret, struct pb_diag *reterr)
{
        struct sc s;
        size_t nb = c->n_ballots;
        pb_err r;

        memset(&s, 0, sizeof(s));
        r = stv_count_init(&s.k, c, tie_order, SC_SCALE, reterr);
        if (r < 0)
                return r;
        s.pending = pb_calloc(s.k.n, sizeof(bool));
        s.tmp = pb_calloc(s.k.n, sizeof(uint32_t));
        s.pos = pb_calloc(nb, sizeof(uint32_t));
        s.weight = pb_calloc(nb, sizeof(int64_t));
        s.at = pb_calloc(nb, sizeof(int32_t));
        r = PB_ERR_NOMEM;
        if (!s.pending || !s.tmp || !s.pos || !s.weight || !s.at)
                goto out;
        r = count(&s);
        if (r == PB_OK)
                r = stv_count_finish(&s.k, ret);
out:
        pb_free(s.pending);
        pb_free(s.tmp);
        pb_free(s.pos);
        pb_free(s.weight);
        pb_free(s.at);
        stv_count_release(&s.k);
        return r;
}
