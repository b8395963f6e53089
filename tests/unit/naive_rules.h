/**
 * @file Naive reference implementations of the proportional rules for the unit tests: one voter
 * at a time, 128-bit rationals, no classes, no laziness, no certificates, written from the
 * rules' definitions (reference/pabulib.md §3) independently of engine/.  Only for tiny
 * elections (a test aborts if a value outgrows 128 bits).
 */
#ifndef PB_TEST_NAIVE_RULES_H
#define PB_TEST_NAIVE_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pb_int128.h"

#define NV_MAXV 16 /* voters */
#define NV_MAXP 8  /* projects */

struct nq {
        pb_i128 n, d; /* d > 0, reduced */
};

static inline pb_i128 nq_gcd(pb_i128 a, pb_i128 b)
{
        if (a < 0)
                a = -a;
        while (b) {
                pb_i128 t = a % b;
                a = b;
                b = t;
        }
        return a;
}

static inline struct nq nq_make(pb_i128 n, pb_i128 d)
{
        struct nq q;
        pb_i128 g;

        if (d < 0) {
                n = -n;
                d = -d;
        }
        g = nq_gcd(n, d);
        if (g > 1) {
                n /= g;
                d /= g;
        }
        /* keep far from overflow: tests are meant for tiny elections */
        if (n > ((pb_i128)1 << 100) || n < -((pb_i128)1 << 100) || d > ((pb_i128)1 << 100))
                abort();
        q.n = n;
        q.d = d;
        return q;
}

static inline struct nq nq_add(struct nq a, struct nq b)
{
        return nq_make(a.n * b.d + b.n * a.d, a.d * b.d);
}
static inline struct nq nq_sub(struct nq a, struct nq b)
{
        return nq_make(a.n * b.d - b.n * a.d, a.d * b.d);
}
static inline struct nq nq_mul(struct nq a, struct nq b)
{
        return nq_make(a.n * b.n, a.d * b.d);
}
static inline struct nq nq_div(struct nq a, struct nq b)
{
        return nq_make(a.n * b.d, a.d * b.n);
}
static inline int nq_cmp(struct nq a, struct nq b)
{
        pb_i128 l = a.n * b.d, r = b.n * a.d;
        return l < r ? -1 : l > r;
}
static inline struct nq nq_int(int64_t v)
{
        return nq_make(v, 1);
}

/* A tiny election: util[v][p] > 0 means v supports p with that utility; listed[v][p] for votes. */
struct nelection {
        int n, m;
        int64_t budget;
        int64_t cost[NV_MAXP];
        int64_t util[NV_MAXV][NV_MAXP];
        bool listed[NV_MAXV][NV_MAXP];
        int rank[NV_MAXP]; /* tie-break order, 0 first */
};

struct noutcome {
        int n;
        int pick[NV_MAXP];
        struct nq price[NV_MAXP]; /* what a non-exhausted supporter paid: rho * utility (uniform) */
        struct nq rho[NV_MAXP];
        int64_t spent;
        bool funded[NV_MAXP];
};

/* MES with per-voter budget beta, exactly as defined (pabutools' naive_mes, one voter at a time). */
static inline void naive_mes(const struct nelection *e, struct nq beta, struct noutcome *o)
{
        struct nq b[NV_MAXV];
        bool gone[NV_MAXP];

        memset(o, 0, sizeof(*o));
        memset(gone, 0, sizeof(gone));
        for (int v = 0; v < e->n; v++)
                b[v] = beta;
        for (;;) {
                int best = -1;
                struct nq best_rho = nq_int(0);

                for (int p = 0; p < e->m; p++) {
                        struct nq total = nq_int(0), rho = nq_int(0);
                        int order[NV_MAXV], k = 0;
                        int64_t denom = 0;
                        bool found = false;

                        if (o->funded[p] || gone[p] || e->cost[p] <= 0)
                                continue;
                        for (int v = 0; v < e->n; v++)
                                if (e->util[v][p] > 0) {
                                        total = nq_add(total, b[v]);
                                        order[k++] = v;
                                        denom += e->util[v][p];
                                }
                        if (!k || nq_cmp(total, nq_int(e->cost[p])) < 0) {
                                gone[p] = true;
                                continue;
                        }
                        /* supporters by budget per utility, poorest first */
                        for (int i = 1; i < k; i++)
                                for (int j = i; j > 0; j--) {
                                        struct nq x =
                                                nq_div(b[order[j - 1]], nq_int(e->util[order[j - 1]][p]));
                                        struct nq y = nq_div(b[order[j]], nq_int(e->util[order[j]][p]));
                                        if (nq_cmp(x, y) <= 0)
                                                break;
                                        int t = order[j];
                                        order[j] = order[j - 1];
                                        order[j - 1] = t;
                                }
                        {
                                struct nq paid = nq_int(0);
                                for (int i = 0; i < k; i++) {
                                        int v = order[i];
                                        struct nq r = nq_div(nq_sub(nq_int(e->cost[p]), paid), nq_int(denom));
                                        if (nq_cmp(nq_mul(r, nq_int(e->util[v][p])), b[v]) <= 0) {
                                                rho = r;
                                                found = true;
                                                break;
                                        }
                                        paid = nq_add(paid, b[v]);
                                        denom -= e->util[v][p];
                                }
                        }
                        if (!found)
                                abort();
                        if (best < 0 || nq_cmp(rho, best_rho) < 0 ||
                            (nq_cmp(rho, best_rho) == 0 && e->rank[p] < e->rank[best])) {
                                best = p;
                                best_rho = rho;
                        }
                }
                if (best < 0)
                        return;
                o->pick[o->n] = best;
                o->rho[o->n] = best_rho;
                o->price[o->n] = best_rho;
                for (int v = 0; v < e->n; v++)
                        if (e->util[v][best] > 0) {
                                struct nq pay = nq_mul(best_rho, nq_int(e->util[v][best]));
                                o->price[o->n] = pay;
                                b[v] = nq_cmp(pay, b[v]) < 0 ? nq_sub(b[v], pay) : nq_int(0);
                        }
                o->n++;
                o->funded[best] = true;
                o->spent += e->cost[best];
        }
}

/* Greedy by votes from @o's funded projects: most votes first, ties by rank, skip what does not fit. */
static inline void naive_greedy_fill(const struct nelection *e, struct noutcome *o)
{
        int order[NV_MAXP], k = 0, votes[NV_MAXP];

        for (int p = 0; p < e->m; p++) {
                votes[p] = 0;
                for (int v = 0; v < e->n; v++)
                        votes[p] += e->listed[v][p];
                if (!o->funded[p])
                        order[k++] = p;
        }
        for (int i = 1; i < k; i++)
                for (int j = i; j > 0; j--) {
                        int a = order[j - 1], b = order[j];
                        if (votes[a] > votes[b] || (votes[a] == votes[b] && e->rank[a] < e->rank[b]))
                                break;
                        order[j] = a;
                        order[j - 1] = b;
                }
        for (int i = 0; i < k; i++) {
                int p = order[i];
                if (o->spent + e->cost[p] > e->budget)
                        continue;
                o->pick[o->n++] = p;
                o->funded[p] = true;
                o->spent += e->cost[p];
        }
}

static inline bool naive_exhaustive(const struct nelection *e, const struct noutcome *o)
{
        for (int p = 0; p < e->m; p++) {
                bool supported = false;
                for (int v = 0; v < e->n; v++)
                        supported |= e->util[v][p] > 0;
                if (supported && !o->funded[p] && o->spent + e->cost[p] <= e->budget)
                        return false;
        }
        return true;
}

enum naive_add1 { NA_FLOOR, NA_UNFLOORED, NA_EXHAUSTIVE };

/*
 * The completions, by running MES at every point of the grid (no jumps): pabulib's add1 from
 * floor(B/n) until infeasible, pabutools' exhaustion_by_budget_increase from B/n until
 * infeasible (at most B steps), pabutools' increment from B/n until exhaustive or infeasible.
 * Stops after @max_k steps at most (the caller picks elections where that is enough).
 */
static inline void naive_add1(const struct nelection *e, enum naive_add1 kind, int max_k, struct noutcome *o,
                              struct nq *ret_beta)
{
        struct noutcome cur;
        struct nq beta = nq_make(e->budget, e->n);

        naive_mes(e, beta, o);
        *ret_beta = beta;
        if (kind == NA_EXHAUSTIVE && naive_exhaustive(e, o))
                return;
        for (int k = 1; k <= max_k; k++) {
                struct nq b = kind == NA_FLOOR ? nq_int(e->budget / e->n + k)
                                               : nq_add(nq_make(e->budget, e->n), nq_int(k));
                if (kind == NA_UNFLOORED && k > e->budget)
                        return;
                naive_mes(e, b, &cur);
                if (cur.spent > e->budget)
                        return;
                *o = cur;
                *ret_beta = b;
                if (kind == NA_EXHAUSTIVE && naive_exhaustive(e, o))
                        return;
        }
}

/* Sequential Phragmén with pabutools' stopping rule; @k approvals (ballots listing p). */
static inline void naive_phragmen(const struct nelection *e, struct noutcome *o)
{
        struct nq load[NV_MAXV];
        bool alive[NV_MAXP];

        memset(o, 0, sizeof(*o));
        for (int v = 0; v < e->n; v++)
                load[v] = nq_int(0);
        for (int p = 0; p < e->m; p++)
                alive[p] = e->cost[p] <= e->budget;
        for (;;) {
                int tied[NV_MAXP], nt = 0;
                struct nq best = nq_int(0);
                bool best_inf = false, any = false;

                for (int p = 0; p < e->m; p++) {
                        int k = 0;
                        struct nq s = nq_int(e->cost[p]);
                        bool inf;
                        int c;
                        if (!alive[p])
                                continue;
                        for (int v = 0; v < e->n; v++)
                                if (e->listed[v][p]) {
                                        k++;
                                        s = nq_add(s, load[v]);
                                }
                        inf = k == 0;
                        if (!inf)
                                s = nq_div(s, nq_int(k));
                        if (!any)
                                c = -1;
                        else if (inf || best_inf)
                                c = inf && best_inf ? 0 : inf ? 1 : -1;
                        else
                                c = nq_cmp(s, best);
                        any = true;
                        if (c < 0) {
                                nt = 0;
                                best = s;
                                best_inf = inf;
                        }
                        if (c <= 0)
                                tied[nt++] = p;
                }
                if (!nt)
                        return;
                for (int i = 0; i < nt; i++)
                        if (o->spent + e->cost[tied[i]] > e->budget)
                                return;
                {
                        int j = tied[0];
                        for (int i = 1; i < nt; i++)
                                if (e->rank[tied[i]] < e->rank[j])
                                        j = tied[i];
                        if (!best_inf)
                                for (int v = 0; v < e->n; v++)
                                        if (e->listed[v][j])
                                                load[v] = best;
                        o->pick[o->n] = j;
                        o->rho[o->n++] = best;
                        o->funded[j] = true;
                        o->spent += e->cost[j];
                        alive[j] = false;
                }
        }
}

/* Maximin support; the optimal max load of a set is max over its subsets T of cost(T)/|N(T)|. */
static inline void naive_maximin(const struct nelection *e, struct noutcome *o)
{
        memset(o, 0, sizeof(*o));
        for (;;) {
                int best = -1;
                bool best_inf = false;
                struct nq best_z = nq_int(0);

                for (int p = 0; p < e->m; p++) {
                        unsigned set = 0;
                        bool inf = false;
                        struct nq z = nq_int(0);
                        if (o->funded[p] || o->spent + e->cost[p] > e->budget)
                                continue;
                        for (int q = 0; q < e->m; q++)
                                if (o->funded[q] || q == p)
                                        set |= 1u << q;
                        for (unsigned t = set; t; t = (t - 1) & set) {
                                int64_t c = 0, w = 0;
                                for (int q = 0; q < e->m; q++)
                                        if (t >> q & 1)
                                                c += e->cost[q];
                                for (int v = 0; v < e->n; v++) {
                                        bool sup = false;
                                        for (int q = 0; q < e->m; q++)
                                                sup |= (t >> q & 1) && e->listed[v][q];
                                        w += sup;
                                }
                                if (!w) {
                                        inf = true;
                                        break;
                                }
                                if (nq_cmp(nq_make(c, w), z) > 0)
                                        z = nq_make(c, w);
                        }
                        {
                                int c;
                                if (best < 0)
                                        c = -1;
                                else if (inf != best_inf)
                                        c = inf ? 1 : -1;
                                else
                                        c = inf ? 0 : nq_cmp(z, best_z);
                                if (c < 0 || (c == 0 && e->rank[p] < e->rank[best])) {
                                        best = p;
                                        best_inf = inf;
                                        best_z = z;
                                }
                        }
                }
                if (best < 0)
                        return;
                o->pick[o->n] = best;
                o->rho[o->n++] = best_z;
                o->funded[best] = true;
                o->spent += e->cost[best];
        }
}

#endif
