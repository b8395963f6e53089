/**
 * @file Meek STV in 9-decimal fixed point, omega = 10^-6, one defeat per round: the PR
 * Foundation's reference rule (Droop "meek-prf"), or Droop's parametric Meek at those settings
 * (what stv-rs "fixed9" reproduces), which rounds each split down instead.
 *
 * Each round iterates: every ballot gives each candidate in turn w x kf (rounded up) of its
 * remaining weight w; the quota is trunc9(votes / (seats + 1)) + 10^-9; hopefuls at or above it
 * are elected; otherwise elected candidates' keep factors become kf x quota / vote (each step
 * rounded up) until the total surplus is below omega or stops falling.  Then the lowest hopeful
 * is defeated, candidates within the total surplus of the lowest counting as tied (broken by
 * the tie order: the earliest listed goes).
 */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_stv.h"

#define MK_SCALE 9
#define MK_OMEGA 1000 /* 10^-6 at 9 decimals */
#define MK_MAX_ITERATIONS 1000000L
#define MK_MAX_WORK 100000000L /* recursion steps per distribution over all ballots */

struct mk {
        struct stv_count k; /* candidates, votes (10^-9), seats, lot order, the result */
        int64_t *kf;        /* per candidate: keep factor, 10^-9 */
        int64_t surplus, n_valid;
        bool parametric; /* Droop's parametric Meek rounding instead of the PRF reference's */
        bool *equal;     /* per ballot: has an equal ranking */
        long work;       /* recursion steps in this distribution */
};

/* ceil(a * b / d) for non-negative a, b and positive d */
static pb_err muldiv_up(int64_t a, int64_t b, int64_t d, int64_t *ret)
{
        pb_i128 p = (pb_i128)a * b, q = (p + d - 1) / d;

        if (q > INT64_MAX)
                return PB_ERR_OVERFLOW;
        *ret = (int64_t)q;
        return PB_OK;
}

/* What a candidate with keep factor @kf keeps of weight @w, and what passes on. */
static pb_err keep_of(const struct mk *m, int64_t w, int64_t kf, int64_t *keep, int64_t *rest)
{
        pb_err r;

        if (m->parametric) {
                /* Droop's parametric Meek (stv-rs fixed9): both parts rounded down */
                if ((r = pb_rk_muldiv(w, kf, m->k.one, keep)) < 0 ||
                    (r = pb_rk_muldiv(w, m->k.one - kf, m->k.one, rest)) < 0)
                        return r;
                return PB_OK;
        }
        /* PR Foundation reference: the keep rounded up, the rest is what remains */
        r = muldiv_up(w, kf, m->k.one, keep);
        if (r < 0)
                return r;
        *rest = w - *keep;
        return PB_OK;
}

static pb_err credit(struct mk *m, uint16_t cand, int64_t keep, int64_t count)
{
        int64_t kv;

        if (pb_rk_mul(keep, count, &kv) < 0 || pb_rk_add(&m->k.vote[cand], kv) < 0)
                return PB_ERR_OVERFLOW;
        return PB_OK;
}

/* Equal rankings as Droop counts them (stv-rs "recursive descent"): the weight reaching a rank
 * is split evenly among its candidates still in the count, and what each one does not keep goes
 * on to the next rank; a rank with no candidate left in the count stops the ballot. */
static pb_err descend(struct mk *m, const struct pb_ranked_ballot *b, size_t pos, int64_t w, unsigned depth)
{
        const uint16_t *t = m->k.c->tokens + b->off;
        size_t end, k, n = 0;
        pb_err r;

        if (!w || pos >= b->len)
                return PB_OK;
        if (depth > PB_RANKED_MAX_TOKENS || ++m->work > MK_MAX_WORK)
                return pb_diag_set(m->k.reterr, PB_ERR_LIMIT, "ballots", "equal rankings too deep to expand");
        for (end = pos + 1; end < b->len && !(t[end] & PB_RANKED_RANK_FLAG); end++)
                if (m->kf[t[end]])
                        n++;
        if (!n)
                return PB_OK;
        w /= (int64_t)n;
        for (k = pos + 1; k < end; k++) {
                int64_t keep, rest;
                if (!m->kf[t[k]])
                        continue;
                if ((r = keep_of(m, w, m->kf[t[k]], &keep, &rest)) < 0 ||
                    (r = credit(m, t[k], keep, b->count)) < 0 ||
                    (r = descend(m, b, end, rest, depth + 1)) < 0)
                        return r;
        }
        return PB_OK;
}

/* B.2.a: distribute every ballot over its candidates by keep factors. */
static pb_err distribute(struct mk *m)
{
        const struct pb_ranked_contest *c = m->k.c;
        size_t i, k;
        pb_err r;

        for (i = 0; i < m->k.n; i++)
                if (m->k.st[i] == STV_HOPEFUL || m->k.st[i] == STV_ELECTED)
                        m->k.vote[i] = 0;
        m->work = 0;
        for (i = 0; i < c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &c->ballots[i];
                const uint16_t *t = c->tokens + b->off;
                int64_t w = m->k.one;

                if (m->equal[i]) {
                        r = descend(m, b, 0, w, 0);
                        if (r < 0)
                                return r;
                        continue;
                }
                for (k = 0; k < b->len; k++) {
                        int64_t keep, rest;
                        uint16_t cand = t[k];
                        if ((cand & PB_RANKED_RANK_FLAG) || !m->kf[cand])
                                continue;
                        if ((r = keep_of(m, w, m->kf[cand], &keep, &rest)) < 0 ||
                            (r = credit(m, cand, keep, b->count)) < 0)
                                return r;
                        w = rest;
                        if (w <= 0)
                                break;
                }
        }
        return PB_OK;
}

static pb_err record_round(struct mk *m)
{
        struct pb_ranked_round *rd;
        size_t i;
        int64_t sum = 0;
        pb_err r = pb_rk_round_add(m->k.res, &rd);

        if (r < 0)
                return r;
        for (i = 0; i < m->k.n; i++) {
                rd->present[i] = m->k.st[i] != STV_WITHDRAWN;
                rd->tally[i] = m->k.vote[i];
                if (m->k.st[i] == STV_HOPEFUL || m->k.st[i] == STV_ELECTED)
                        sum += m->k.vote[i];
        }
        rd->threshold = m->k.quota;
        /* the value no candidate holds: exhausted ballots and rounding */
        rd->inactive[PB_RANKED_EXHAUSTED] = m->n_valid * m->k.one - sum;
        return PB_OK;
}

/* One round (B.2 and B.3). */
static pb_err round_once(struct mk *m)
{
        enum { IT_ITERATE, IT_ELECTED, IT_OMEGA, IT_STABLE } status = IT_ITERATE;
        int64_t last = m->n_valid * m->k.one, total;
        uint32_t elected[PB_RANKED_MAX_CANDIDATES];
        size_t n_el = 0, i;
        long iter;
        pb_err r;

        for (iter = 0;; iter++) {
                if (iter == MK_MAX_ITERATIONS)
                        return pb_diag_set(m->k.reterr, PB_ERR_INTERNAL, "meek",
                                           "the iteration does not converge");
                r = distribute(m);
                if (r < 0)
                        return r;
                total = 0;
                for (i = 0; i < m->k.n; i++)
                        if (m->k.st[i] == STV_HOPEFUL || m->k.st[i] == STV_ELECTED)
                                total += m->k.vote[i];
                m->k.quota = total / ((int64_t)m->k.seats + 1) + 1; /* B.2.b */
                for (i = 0; i < m->k.n; i++)                        /* B.2.c */
                        if (m->k.st[i] == STV_HOPEFUL && m->k.vote[i] >= m->k.quota) {
                                m->k.st[i] = STV_ELECTED;
                                m->k.n_elected++;
                                elected[n_el++] = (uint32_t)i;
                                status = IT_ELECTED;
                        }
                m->surplus = 0; /* B.2.d */
                for (i = 0; i < m->k.n; i++)
                        if (m->k.st[i] == STV_ELECTED && (!m->parametric || m->k.vote[i] > m->k.quota))
                                m->surplus += m->k.vote[i] - m->k.quota;
                if (m->surplus < 0)
                        m->surplus = 0;
                if (status != IT_ELECTED) { /* B.2.e */
                        if (m->surplus < MK_OMEGA || (m->parametric && m->surplus == MK_OMEGA))
                                status = IT_OMEGA;
                        else if (m->surplus >= last)
                                status = IT_STABLE;
                }
                if (status != IT_ITERATE)
                        break;
                last = m->surplus;
                for (i = 0; i < m->k.n; i++) { /* B.2.f */
                        int64_t kq;
                        if (m->k.st[i] != STV_ELECTED)
                                continue;
                        if ((r = muldiv_up(m->kf[i], m->k.quota, m->k.one, &kq)) < 0 ||
                            (r = muldiv_up(kq, m->k.one, m->k.vote[i], &m->kf[i])) < 0)
                                return r;
                }
        }
        r = record_round(m);
        if (r < 0)
                return r;
        if (status == IT_ELECTED) {
                for (i = 0; i < n_el; i++)
                        if ((r = pb_rk_decision_add(stv_round(&m->k), m->k.n, elected[i], true)) < 0 ||
                            (r = pb_rk_winner_add(m->k.res, elected[i])) < 0)
                                return r;
                return PB_OK;
        }
        /* B.3: defeat the lowest hopeful; everyone within the surplus of it is tied */
        {
                int64_t low = 0;
                bool first = true;
                uint32_t pick = 0;
                size_t n_tied = 0;

                for (i = 0; i < m->k.n; i++)
                        if (m->k.st[i] == STV_HOPEFUL && (first || m->k.vote[i] < low)) {
                                low = m->k.vote[i];
                                first = false;
                        }
                if (first)
                        return PB_OK;
                for (i = 0; i < m->k.n; i++)
                        if (m->k.st[i] == STV_HOPEFUL && m->k.vote[i] <= low + m->surplus) {
                                if (!n_tied || m->k.tie_rank[i] < m->k.tie_rank[pick])
                                        pick = (uint32_t)i;
                                n_tied++;
                        }
                if (n_tied > 1 && (r = pb_rk_tie_add(m->k.res, (unsigned)m->k.res->n_rounds, false, pick,
                                                     (uint32_t)n_tied, "tie order")) < 0)
                        return r;
                m->k.st[pick] = STV_DEFEATED;
                m->k.vote[pick] = 0;
                m->kf[pick] = 0;
                return pb_rk_decision_add(stv_round(&m->k), m->k.n, pick, false);
        }
}

static pb_err count(struct mk *m)
{
        size_t i;
        pb_err r;

        for (i = 0; i < m->k.c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &m->k.c->ballots[i];
                const uint16_t *t = m->k.c->tokens + b->off;
                bool any = false;

                r = stv_check_marks(&m->k, b, "Meek STV has no overvote marks", NULL, &m->equal[i]);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < b->len; k++)
                        if (!(t[k] & PB_RANKED_RANK_FLAG) && m->k.st[t[k]] != STV_WITHDRAWN)
                                any = true;
                if (any && pb_rk_add(&m->n_valid, b->count) < 0)
                        return PB_ERR_OVERFLOW;
        }
        if (!m->n_valid)
                return pb_diag_set(m->k.reterr, PB_ERR_INVALID, "ballots", "no valid ballots");
        if (m->n_valid > INT64_MAX / m->k.one)
                return PB_ERR_OVERFLOW;
        m->k.res->total_ballots = m->n_valid;
        /* B.1: continue while seats are open and more hopefuls than open seats */
        while (stv_open_seats(&m->k) && stv_hopefuls(&m->k) > stv_open_seats(&m->k)) {
                r = round_once(m);
                if (r < 0)
                        return r;
        }
        if (!m->k.res->n_rounds) {
                r = distribute(m);
                if (r < 0)
                        return r;
                m->k.quota = m->n_valid * m->k.one / ((int64_t)m->k.seats + 1) + 1;
                r = record_round(m);
                if (r < 0)
                        return r;
        }
        /* C: elect the remaining hopefuls if seats are open, else defeat them */
        for (i = 0; i < m->k.n; i++) {
                if (m->k.st[i] != STV_HOPEFUL)
                        continue;
                if (m->k.n_elected < m->k.seats) {
                        r = stv_elect(&m->k, (uint32_t)i);
                        if (r < 0)
                                return r;
                } else {
                        m->k.st[i] = STV_DEFEATED;
                        m->kf[i] = 0;
                        if ((r = pb_rk_decision_add(stv_round(&m->k), m->k.n, (uint32_t)i, false)) < 0)
                                return r;
                }
        }
        m->k.res->final_threshold = m->k.quota;
        return PB_OK;
}

pb_err pb_meek_run(const struct pb_ranked_contest *c, const uint32_t *tie_order, enum pb_meek_variant variant,
                   struct pb_ranked_outcome *ret, struct pb_diag *reterr)
{
        struct mk m;
        pb_err r;

        memset(&m, 0, sizeof(m));
        r = stv_count_init(&m.k, c, tie_order, MK_SCALE, reterr);
        if (r < 0)
                return r;
        m.kf = pb_calloc(m.k.n, sizeof(int64_t));
        m.equal = pb_calloc(c->n_ballots, sizeof(bool));
        m.parametric = variant == PB_MEEK_FIXED9;
        r = PB_ERR_NOMEM;
        if (!m.kf || !m.equal)
                goto out;
        for (size_t i = 0; i < m.k.n; i++)
                m.kf[i] = c->cand[i].excluded ? 0 : m.k.one;
        r = count(&m);
        if (r == PB_OK)
                r = stv_count_finish(&m.k, ret);
out:
        pb_free(m.kf);
        pb_free(m.equal);
        stv_count_release(&m.k);
        return r;
}
