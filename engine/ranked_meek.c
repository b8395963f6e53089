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
#include "engine/ranked_int.h"

#define MK_SCALE 9
#define MK_OMEGA 1000 /* 10^-6 at 9 decimals */
#define MK_MAX_ITERATIONS 1000000L
#define MK_MAX_WORK 100000000L /* recursion steps per distribution over all ballots */

enum { M_HOPEFUL = 0, M_ELECTED, M_DEFEATED, M_WITHDRAWN };

struct mk {
        const struct pb_ranked_contest *c;
        struct pb_ranked_result *res;
        size_t n;
        unsigned seats, n_elected;
        uint8_t *st;
        int64_t *kf, *vote; /* 10^-9 */
        uint32_t *tie_rank;
        int64_t one, quota, surplus, n_valid;
        bool parametric; /* Droop's parametric Meek rounding instead of the PRF reference's */
        bool *equal;     /* per ballot: has an equal ranking */
        long work;       /* recursion steps in this distribution */
        struct pb_diag *reterr;
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
                if ((r = pb_rk_muldiv(w, kf, m->one, keep)) < 0 ||
                    (r = pb_rk_muldiv(w, m->one - kf, m->one, rest)) < 0)
                        return r;
                return PB_OK;
        }
        /* PR Foundation reference: the keep rounded up, the rest is what remains */
        r = muldiv_up(w, kf, m->one, keep);
        if (r < 0)
                return r;
        *rest = w - *keep;
        return PB_OK;
}

static pb_err credit(struct mk *m, uint16_t cand, int64_t keep, int64_t count)
{
        int64_t kv;

        if (pb_rk_mul(keep, count, &kv) < 0 || pb_rk_add(&m->vote[cand], kv) < 0)
                return PB_ERR_OVERFLOW;
        return PB_OK;
}

/* Equal rankings as Droop counts them (stv-rs "recursive descent"): the weight reaching a rank
 * is split evenly among its candidates still in the count, and what each one does not keep goes
 * on to the next rank; a rank with no candidate left in the count stops the ballot. */
static pb_err descend(struct mk *m, const struct pb_ranked_ballot *b, size_t pos, int64_t w, unsigned depth)
{
        const uint16_t *t = m->c->tokens + b->off;
        size_t end, k, n = 0;
        pb_err r;

        if (!w || pos >= b->len)
                return PB_OK;
        if (depth > PB_RANKED_MAX_TOKENS || ++m->work > MK_MAX_WORK)
                return pb_diag_set(m->reterr, PB_ERR_LIMIT, "ballots", "equal rankings too deep to expand");
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
        const struct pb_ranked_contest *c = m->c;
        size_t i, k;
        pb_err r;

        for (i = 0; i < m->n; i++)
                if (m->st[i] == M_HOPEFUL || m->st[i] == M_ELECTED)
                        m->vote[i] = 0;
        m->work = 0;
        for (i = 0; i < c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &c->ballots[i];
                const uint16_t *t = c->tokens + b->off;
                int64_t w = m->one;

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
        pb_err r = pb_rk_round_add(m->res, &rd);

        if (r < 0)
                return r;
        for (i = 0; i < m->n; i++) {
                rd->present[i] = m->st[i] != M_WITHDRAWN;
                rd->tally[i] = m->vote[i];
                if (m->st[i] == M_HOPEFUL || m->st[i] == M_ELECTED)
                        sum += m->vote[i];
        }
        rd->threshold = m->quota;
        /* the value no candidate holds: exhausted ballots and rounding */
        rd->inactive[PB_RANKED_EXHAUSTED] = m->n_valid * m->one - sum;
        return PB_OK;
}

static struct pb_ranked_round *cur(struct mk *m)
{
        return &m->res->rounds[m->res->n_rounds - 1];
}

static size_t hopefuls(const struct mk *m)
{
        size_t i, k = 0;
        for (i = 0; i < m->n; i++)
                k += m->st[i] == M_HOPEFUL;
        return k;
}

/* One round (B.2 and B.3). */
static pb_err round_once(struct mk *m)
{
        enum { IT_ITERATE, IT_ELECTED, IT_OMEGA, IT_STABLE } status = IT_ITERATE;
        int64_t last = m->n_valid * m->one, total;
        uint32_t elected[PB_RANKED_MAX_CANDIDATES];
        size_t n_el = 0, i;
        long iter;
        pb_err r;

        for (iter = 0;; iter++) {
                if (iter == MK_MAX_ITERATIONS)
                        return pb_diag_set(m->reterr, PB_ERR_INTERNAL, "meek",
                                           "the iteration does not converge");
                r = distribute(m);
                if (r < 0)
                        return r;
                total = 0;
                for (i = 0; i < m->n; i++)
                        if (m->st[i] == M_HOPEFUL || m->st[i] == M_ELECTED)
                                total += m->vote[i];
                m->quota = total / ((int64_t)m->seats + 1) + 1; /* B.2.b */
                for (i = 0; i < m->n; i++)                      /* B.2.c */
                        if (m->st[i] == M_HOPEFUL && m->vote[i] >= m->quota) {
                                m->st[i] = M_ELECTED;
                                m->n_elected++;
                                elected[n_el++] = (uint32_t)i;
                                status = IT_ELECTED;
                        }
                m->surplus = 0; /* B.2.d */
                for (i = 0; i < m->n; i++)
                        if (m->st[i] == M_ELECTED && (!m->parametric || m->vote[i] > m->quota))
                                m->surplus += m->vote[i] - m->quota;
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
                for (i = 0; i < m->n; i++) { /* B.2.f */
                        int64_t kq;
                        if (m->st[i] != M_ELECTED)
                                continue;
                        if ((r = muldiv_up(m->kf[i], m->quota, m->one, &kq)) < 0 ||
                            (r = muldiv_up(kq, m->one, m->vote[i], &m->kf[i])) < 0)
                                return r;
                }
        }
        r = record_round(m);
        if (r < 0)
                return r;
        if (status == IT_ELECTED) {
                for (i = 0; i < n_el; i++)
                        if ((r = pb_rk_decision_add(cur(m), m->n, elected[i], true)) < 0 ||
                            (r = pb_rk_winner_add(m->res, elected[i])) < 0)
                                return r;
                return PB_OK;
        }
        /* B.3: defeat the lowest hopeful; everyone within the surplus of it is tied */
        {
                int64_t low = 0;
                bool first = true;
                uint32_t pick = 0;
                size_t n_tied = 0;

                for (i = 0; i < m->n; i++)
                        if (m->st[i] == M_HOPEFUL && (first || m->vote[i] < low)) {
                                low = m->vote[i];
                                first = false;
                        }
                if (first)
                        return PB_OK;
                for (i = 0; i < m->n; i++)
                        if (m->st[i] == M_HOPEFUL && m->vote[i] <= low + m->surplus) {
                                if (!n_tied || m->tie_rank[i] < m->tie_rank[pick])
                                        pick = (uint32_t)i;
                                n_tied++;
                        }
                if (n_tied > 1 && (r = pb_rk_tie_add(m->res, (unsigned)m->res->n_rounds, false, pick,
                                                     (uint32_t)n_tied, "tie order")) < 0)
                        return r;
                m->st[pick] = M_DEFEATED;
                m->vote[pick] = 0;
                m->kf[pick] = 0;
                return pb_rk_decision_add(cur(m), m->n, pick, false);
        }
}

static pb_err count(struct mk *m)
{
        size_t i;
        pb_err r;

        for (i = 0; i < m->c->n_ballots; i++) {
                const struct pb_ranked_ballot *b = &m->c->ballots[i];
                const uint16_t *t = m->c->tokens + b->off;
                size_t k;
                bool any = false;

                for (k = 0; k < b->len; k++) {
                        if (t[k] == PB_RANKED_OVERVOTE)
                                return pb_diag_set(m->reterr, PB_ERR_UNSUPPORTED, "ballots",
                                                   "Meek STV has no overvote marks");
                        if (k + 2 < b->len && (t[k] & PB_RANKED_RANK_FLAG) &&
                            !(t[k + 2] & PB_RANKED_RANK_FLAG))
                                m->equal[i] = true;
                        if (!(t[k] & PB_RANKED_RANK_FLAG) && m->st[t[k]] != M_WITHDRAWN)
                                any = true;
                }
                if (any && pb_rk_add(&m->n_valid, b->count) < 0)
                        return PB_ERR_OVERFLOW;
        }
        if (!m->n_valid)
                return pb_diag_set(m->reterr, PB_ERR_INVALID, "ballots", "no valid ballots");
        if (m->n_valid > INT64_MAX / m->one)
                return PB_ERR_OVERFLOW;
        m->res->total_ballots = m->n_valid;
        /* B.1: continue while seats are open and more hopefuls than open seats */
        while (m->seats > m->n_elected && hopefuls(m) > m->seats - m->n_elected) {
                r = round_once(m);
                if (r < 0)
                        return r;
        }
        if (!m->res->n_rounds) {
                r = distribute(m);
                if (r < 0)
                        return r;
                m->quota = m->n_valid * m->one / ((int64_t)m->seats + 1) + 1;
                r = record_round(m);
                if (r < 0)
                        return r;
        }
        /* C: elect the remaining hopefuls if seats are open, else defeat them */
        for (i = 0; i < m->n; i++) {
                if (m->st[i] != M_HOPEFUL)
                        continue;
                if (m->n_elected < m->seats) {
                        m->st[i] = M_ELECTED;
                        m->n_elected++;
                        if ((r = pb_rk_decision_add(cur(m), m->n, (uint32_t)i, true)) < 0 ||
                            (r = pb_rk_winner_add(m->res, (uint32_t)i)) < 0)
                                return r;
                } else {
                        m->st[i] = M_DEFEATED;
                        m->kf[i] = 0;
                        if ((r = pb_rk_decision_add(cur(m), m->n, (uint32_t)i, false)) < 0)
                                return r;
                }
        }
        m->res->final_threshold = m->quota;
        return PB_OK;
}

pb_err pb_meek_run(const struct pb_ranked_contest *c, const uint32_t *tie_order, enum pb_meek_variant variant,
                   struct pb_ranked_outcome *ret, struct pb_diag *reterr)
{
        struct pb_ranked_outcome o;
        struct mk m;
        size_t i, n = c->n_cand ? c->n_cand : 1;
        pb_err r;

        pb_ranked_outcome_init(&o);
        memset(&m, 0, sizeof(m));
        if (!c->seats || !c->n_cand)
                return pb_diag_set(reterr, PB_ERR_INVALID, "seats", "no seats or no candidates");
        m.c = c;
        m.n = c->n_cand;
        m.seats = c->seats;
        m.one = pb_rk_pow10(MK_SCALE);
        m.reterr = reterr;
        m.st = pb_calloc(n, 1);
        m.kf = pb_calloc(n, sizeof(int64_t));
        m.vote = pb_calloc(n, sizeof(int64_t));
        m.tie_rank = pb_calloc(n, sizeof(uint32_t));
        m.equal = pb_calloc(c->n_ballots ? c->n_ballots : 1, sizeof(bool));
        m.parametric = variant == PB_MEEK_FIXED9;
        r = PB_ERR_NOMEM;
        if (!m.st || !m.kf || !m.vote || !m.tie_rank || !m.equal)
                goto out;
        for (i = 0; i < m.n; i++) {
                m.st[i] = c->cand[i].excluded ? M_WITHDRAWN : M_HOPEFUL;
                m.kf[i] = c->cand[i].excluded ? 0 : m.one;
                m.tie_rank[tie_order ? tie_order[i] : i] = (uint32_t)i;
        }
        r = pb_rk_outcome_add_pass(&o, c->n_cand, MK_SCALE, &m.res);
        if (r < 0)
                goto out;
        m.res->seats = c->seats;
        m.res->surplus_rule = true;
        r = count(&m);
        if (r < 0)
                goto out;
        r = pb_rk_outcome_collect(&o);
        if (r < 0)
                goto out;
        *ret = o;
        pb_ranked_outcome_init(&o);
out:
        pb_free(m.st);
        pb_free(m.kf);
        pb_free(m.vote);
        pb_free(m.tie_rank);
        pb_free(m.equal);
        pb_ranked_outcome_release(&o);
        return r;
}
