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
#include "engine/ranked_int.h"

#define SC_SCALE 5

enum { S_HOPEFUL = 0, S_ELECTED, S_DEFEATED, S_WITHDRAWN };

struct sc {
        const struct pb_ranked_contest *c;
        struct pb_ranked_result *res;
        size_t n;
        unsigned seats, n_elected;
        uint8_t *st;
        bool *pending;      /* elected, surplus not yet transferred */
        int64_t *vote;      /* 10^-5 */
        uint32_t *tie_rank; /* position in the lot order */
        uint32_t *pos;      /* per ballot: token index of its current candidate (len when exhausted) */
        int64_t *weight;    /* per ballot: value of one paper, 10^-5 */
        int32_t *at;        /* per ballot: candidate holding it, -1 non-transferable */
        int64_t quota, one;
        int64_t nt; /* non-transferable value so far */
        uint32_t *tmp;
        struct pb_diag *reterr;
};

static size_t hopeful_count(const struct sc *s)
{
        size_t i, k = 0;
        for (i = 0; i < s->n; i++)
                k += s->st[i] == S_HOPEFUL;
        return k;
}

static bool complete(const struct sc *s)
{
        unsigned left = s->seats > s->n_elected ? s->seats - s->n_elected : 0;
        return left == 0 || hopeful_count(s) <= left;
}

/* Move ballot @i to its next hopeful candidate, from its current position on. */
static int32_t next_hopeful(struct sc *s, size_t i)
{
        const struct pb_ranked_ballot *b = &s->c->ballots[i];
        const uint16_t *t = s->c->tokens + b->off;
        uint32_t p = s->pos[i];

        for (; p < b->len; p++) {
                if (t[p] & PB_RANKED_RANK_FLAG)
                        continue;
                if (s->st[t[p]] == S_HOPEFUL)
                        break;
        }
        s->pos[i] = p;
        return p < b->len ? (int32_t)t[p] : -1;
}

static pb_err new_round(struct sc *s)
{
        struct pb_ranked_round *rd;
        size_t i;
        pb_err r = pb_rk_round_add(s->res, &rd);

        if (r < 0)
                return r;
        for (i = 0; i < s->n; i++) {
                rd->present[i] = s->st[i] != S_WITHDRAWN;
                rd->tally[i] = s->vote[i];
        }
        rd->threshold = s->quota;
        rd->inactive[PB_RANKED_EXHAUSTED] = s->nt;
        return PB_OK;
}

static struct pb_ranked_round *cur(struct sc *s)
{
        return &s->res->rounds[s->res->n_rounds - 1];
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
        for (k = s->res->n_rounds - 1; k > 0; k--) {
                const int64_t *v = s->res->rounds[k - 1].tally;
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
                        return pb_rk_tie_add(s->res, (unsigned)s->res->n_rounds, highest, best, (uint32_t)n,
                                             "earlier stage");
                }
        }
        best = tied[0];
        for (i = 1; i < n; i++)
                if (s->tie_rank[tied[i]] < s->tie_rank[best])
                        best = tied[i];
        *ret = best;
        return pb_rk_tie_add(s->res, (unsigned)s->res->n_rounds, highest, best, (uint32_t)n, "lot");
}

/* Elect every hopeful candidate at or above the quota (r.47), most votes first. */
static pb_err elect_quota(struct sc *s)
{
        size_t i, j, n = 0;
        pb_err r;

        for (i = 0; i < s->n; i++) {
                if (s->st[i] != S_HOPEFUL || s->vote[i] < s->quota)
                        continue;
                for (j = n; j > 0 && s->vote[s->tmp[j - 1]] < s->vote[i]; j--)
                        s->tmp[j] = s->tmp[j - 1];
                s->tmp[j] = (uint32_t)i;
                n++;
        }
        for (i = 0; i < n; i++) {
                uint32_t w = s->tmp[i];
                s->st[w] = S_ELECTED;
                s->pending[w] = s->vote[w] > s->quota;
                s->n_elected++;
                if ((r = pb_rk_decision_add(cur(s), s->n, w, true)) < 0 ||
                    (r = pb_rk_winner_add(s->res, w)) < 0)
                        return r;
        }
        return PB_OK;
}

/* Transfer the papers held by @from: at trunc5(value * surplus / votes) for a surplus (@surplus
 * > 0), at their current value for an exclusion.  Moves are recorded on @d. */
static pb_err transfer(struct sc *s, uint32_t from, int64_t surplus, struct pb_ranked_decision *d)
{
        int64_t votes = s->vote[from];
        size_t i;
        pb_err r;

        for (i = 0; i < s->c->n_ballots; i++) {
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
                if (pb_rk_mul(w, s->c->ballots[i].count, &amount) < 0)
                        return PB_ERR_OVERFLOW;
                if (to >= 0) {
                        if (pb_rk_add(&s->vote[to], amount) < 0)
                                return PB_ERR_OVERFLOW;
                        d->transfers[to] += amount;
                } else {
                        s->nt += amount;
                        d->transfers[s->n + PB_RANKED_TO_EXHAUSTED] += amount;
                }
        }
        s->vote[from] = surplus > 0 ? s->quota : 0;
        return PB_OK;
}

static pb_err count(struct sc *s)
{
        size_t i, n;
        int64_t valid = 0;
        pb_err r;

        /* valid papers: ballots that rank a candidate who has not withdrawn (r.45(3), 46) */
        for (i = 0; i < s->c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &s->c->ballots[i];
                const uint16_t *t = s->c->tokens + b->off;
                size_t k;
                int32_t first;

                for (k = 0; k < b->len; k++) {
                        if (t[k] == PB_RANKED_OVERVOTE)
                                return pb_diag_set(s->reterr, PB_ERR_UNSUPPORTED, "ballots",
                                                   "Scottish STV has no overvote marks");
                        if (k + 2 < b->len && (t[k] & PB_RANKED_RANK_FLAG) &&
                            !(t[k + 2] & PB_RANKED_RANK_FLAG))
                                return pb_diag_set(s->reterr, PB_ERR_UNSUPPORTED, "ballots",
                                                   "Scottish STV has no equal rankings");
                }
                s->weight[i] = s->one;
                s->pos[i] = 0;
                first = next_hopeful(s, i);
                s->at[i] = first;
                if (first >= 0) {
                        int64_t amount;
                        if (pb_rk_mul(s->one, b->count, &amount) < 0 ||
                            pb_rk_add(&s->vote[first], amount) < 0 || pb_rk_add(&valid, b->count) < 0)
                                return PB_ERR_OVERFLOW;
                }
        }
        if (valid == 0)
                return pb_diag_set(s->reterr, PB_ERR_INVALID, "ballots", "no valid ballot papers");
        if (pb_rk_mul(valid / ((int64_t)s->seats + 1) + 1, s->one, &s->quota) < 0)
                return PB_ERR_OVERFLOW;
        s->res->total_ballots = valid;
        r = new_round(s);
        if (r < 0)
                return r;
        for (;;) {
                uint32_t pick;
                struct pb_ranked_decision *d;

                r = elect_quota(s);
                if (r < 0)
                        return r;
                if (complete(s))
                        break;
                /* the largest surplus first (r.49) */
                n = 0;
                for (i = 0; i < s->n; i++)
                        if (s->pending[i] && (!n || s->vote[i] >= s->vote[s->tmp[0]])) {
                                if (n && s->vote[i] > s->vote[s->tmp[0]])
                                        n = 0;
                                s->tmp[n++] = (uint32_t)i;
                        }
                if (n) {
                        r = break_tie(s, s->tmp, n, true, &pick);
                        if (r < 0)
                                return r;
                        d = pb_rk_decision_find(cur(s), pick);
                        if (!d) {
                                r = pb_rk_decision_add(cur(s), s->n, pick, true);
                                if (r < 0)
                                        return r;
                                d = &cur(s)->dec[cur(s)->n_dec - 1];
                                d->surplus_only = true;
                        }
                        s->pending[pick] = false;
                        r = transfer(s, pick, s->vote[pick] - s->quota, d);
                        if (r < 0)
                                return r;
                        r = new_round(s);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* exclude the lowest (r.50, 51) */
                n = 0;
                for (i = 0; i < s->n; i++)
                        if (s->st[i] == S_HOPEFUL && (!n || s->vote[i] <= s->vote[s->tmp[0]])) {
                                if (n && s->vote[i] < s->vote[s->tmp[0]])
                                        n = 0;
                                s->tmp[n++] = (uint32_t)i;
                        }
                r = break_tie(s, s->tmp, n, false, &pick);
                if (r < 0)
                        return r;
                s->st[pick] = S_DEFEATED;
                r = pb_rk_decision_add(cur(s), s->n, pick, false);
                if (r < 0)
                        return r;
                r = transfer(s, pick, 0, &cur(s)->dec[cur(s)->n_dec - 1]);
                if (r < 0)
                        return r;
                r = new_round(s);
                if (r < 0)
                        return r;
                if (complete(s))
                        break;
        }
        /* r.52: the continuing candidates fill the last vacancies */
        if (hopeful_count(s) <= (s->seats > s->n_elected ? s->seats - s->n_elected : 0))
                for (i = 0; i < s->n; i++)
                        if (s->st[i] == S_HOPEFUL) {
                                s->st[i] = S_ELECTED;
                                s->n_elected++;
                                if ((r = pb_rk_decision_add(cur(s), s->n, (uint32_t)i, true)) < 0 ||
                                    (r = pb_rk_winner_add(s->res, (uint32_t)i)) < 0)
                                        return r;
                        }
        s->res->final_threshold = s->quota;
        return PB_OK;
}

pb_err pb_scottish_run(const struct pb_ranked_contest *c, const uint32_t *tie_order,
                       struct pb_ranked_outcome *ret, struct pb_diag *reterr)
{
        struct pb_ranked_outcome o;
        struct sc s;
        size_t i, nb = c->n_ballots ? c->n_ballots : 1, n = c->n_cand ? c->n_cand : 1;
        pb_err r;

        pb_ranked_outcome_init(&o);
        memset(&s, 0, sizeof(s));
        if (!c->seats || !c->n_cand)
                return pb_diag_set(reterr, PB_ERR_INVALID, "seats", "no seats or no candidates");
        s.c = c;
        s.n = c->n_cand;
        s.seats = c->seats;
        s.one = pb_rk_pow10(SC_SCALE);
        s.reterr = reterr;
        s.st = pb_calloc(n, 1);
        s.pending = pb_calloc(n, sizeof(bool));
        s.vote = pb_calloc(n, sizeof(int64_t));
        s.tie_rank = pb_calloc(n, sizeof(uint32_t));
        s.tmp = pb_calloc(n, sizeof(uint32_t));
        s.pos = pb_calloc(nb, sizeof(uint32_t));
        s.weight = pb_calloc(nb, sizeof(int64_t));
        s.at = pb_calloc(nb, sizeof(int32_t));
        r = PB_ERR_NOMEM;
        if (!s.st || !s.pending || !s.vote || !s.tie_rank || !s.tmp || !s.pos || !s.weight || !s.at)
                goto out;
        for (i = 0; i < s.n; i++) {
                s.st[i] = c->cand[i].excluded ? S_WITHDRAWN : S_HOPEFUL;
                s.tie_rank[tie_order ? tie_order[i] : i] = (uint32_t)i;
        }
        r = pb_rk_outcome_add_pass(&o, c->n_cand, SC_SCALE, &s.res);
        if (r < 0)
                goto out;
        s.res->seats = c->seats;
        s.res->surplus_rule = true;
        r = count(&s);
        if (r < 0)
                goto out;
        r = pb_rk_outcome_collect(&o);
        if (r < 0)
                goto out;
        *ret = o;
        pb_ranked_outcome_init(&o);
out:
        pb_free(s.st);
        pb_free(s.pending);
        pb_free(s.vote);
        pb_free(s.tie_rank);
        pb_free(s.tmp);
        pb_free(s.pos);
        pb_free(s.weight);
        pb_free(s.at);
        pb_ranked_outcome_release(&o);
        return r;
}
