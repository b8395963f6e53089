/**
 * @file Maximin support (Aziz, Lee and Talmon's generalised sequential Phragmén; pabutools'
 * maximin_support; docs/rules.md (proportional rules)).
 *
 * Each round considers every project p that still fits the money left and computes the smallest
 * possible maximum voter load z(W + p) when the costs of the funded set W plus p are split among
 * their supporters in the best way; it funds the project with the smallest z (ties by the
 * tie-break order), and goes on while anything fits: the rule is exhaustive.  A set containing a
 * project nobody approves cannot be paid for: its z is infinite, so such projects come last and
 * are then taken in tie-break order while they fit (pabutools).
 *
 * Exactly.  pabutools solves a linear program per project and round and compares the optimal z
 * as floats.  Here z is computed exactly from its combinatorial form (Hall's theorem for
 * transportation): z(S) = max over non-empty T in S of cost(T) / |supporters of T|.  Newton's
 * method for this fractional problem: start from a lower bound z = a/b, test it with one maximum
 * flow (source -> project: cost x b, project -> supporter, supporter -> sink: a x ballots); if the
 * flow does not carry every cost, the projects still reachable from the source in the residual
 * graph form a set T with cost(T)/|N(T)| > z, which becomes the next z.  Every z is a ratio of
 * a sum of costs and a number of voters, compared by 128-bit cross-multiplication.
 */
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

struct edge {
        uint32_t to;
        uint32_t next;
        pb_i128 cap;
};

/* A flow network rebuilt for each test (small: the funded projects, one candidate, their voters). */
struct net {
        struct edge *e;
        size_t n_e, cap_e;
        uint32_t *head, *level, *it, *queue;
        size_t n_nodes, cap_nodes;
};

#define NONE UINT32_MAX

static pb_err net_reset(struct net *g, size_t nodes)
{
        if (nodes > g->cap_nodes) {
                size_t c = nodes * 2;
                uint32_t *h = pb_reallocarray(g->head, c, sizeof(*h)), *l, *it, *q;
                if (!h)
                        return PB_ERR_NOMEM;
                g->head = h;
                l = pb_reallocarray(g->level, c, sizeof(*l));
                if (!l)
                        return PB_ERR_NOMEM;
                g->level = l;
                it = pb_reallocarray(g->it, c, sizeof(*it));
                if (!it)
                        return PB_ERR_NOMEM;
                g->it = it;
                q = pb_reallocarray(g->queue, c, sizeof(*q));
                if (!q)
                        return PB_ERR_NOMEM;
                g->queue = q;
                g->cap_nodes = c;
        }
        g->n_nodes = nodes;
        g->n_e = 0;
        for (size_t i = 0; i < nodes; i++)
                g->head[i] = NONE;
        return PB_OK;
}

static pb_err net_add(struct net *g, uint32_t a, uint32_t b, pb_i128 cap)
{
        if (g->n_e + 2 > g->cap_e) {
                size_t c = g->cap_e ? g->cap_e * 2 : 256;
                struct edge *ne = pb_reallocarray(g->e, c, sizeof(*ne));
                if (!ne)
                        return PB_ERR_NOMEM;
                g->e = ne;
                g->cap_e = c;
        }
        g->e[g->n_e] = (struct edge){ .to = b, .next = g->head[a], .cap = cap };
        g->head[a] = (uint32_t)g->n_e++;
        g->e[g->n_e] = (struct edge){ .to = a, .next = g->head[b], .cap = 0 };
        g->head[b] = (uint32_t)g->n_e++;
        return PB_OK;
}

/* Breadth-first levels from @s over edges with residual capacity; true if @t is reached. */
static bool net_bfs(struct net *g, uint32_t s, uint32_t t)
{
        size_t qh = 0, qt = 0;

        for (size_t i = 0; i < g->n_nodes; i++)
                g->level[i] = NONE;
        g->level[s] = 0;
        g->queue[qt++] = s;
        while (qh < qt) {
                uint32_t u = g->queue[qh++];
                for (uint32_t k = g->head[u]; k != NONE; k = g->e[k].next)
                        if (g->e[k].cap > 0 && g->level[g->e[k].to] == NONE) {
                                g->level[g->e[k].to] = g->level[u] + 1;
                                g->queue[qt++] = g->e[k].to;
                        }
        }
        return g->level[t] != NONE;
}

/*
 * Dinic's maximum flow: level graphs by breadth-first search, blocking flows by an iterative
 * depth-first search (no recursion: residual paths can be as long as the network).
 */
static pb_i128 net_maxflow(struct net *g, uint32_t s, uint32_t t)
{
        pb_i128 flow = 0;

        while (net_bfs(g, s, t)) {
                size_t depth = 0;
                uint32_t u = s;

                for (size_t i = 0; i < g->n_nodes; i++)
                        g->it[i] = g->head[i];
                for (;;) {
                        if (u == t) {
                                pb_i128 f = g->e[g->queue[0]].cap;
                                for (size_t d = 1; d < depth; d++)
                                        if (g->e[g->queue[d]].cap < f)
                                                f = g->e[g->queue[d]].cap;
                                for (size_t d = 0; d < depth; d++) {
                                        g->e[g->queue[d]].cap -= f;
                                        g->e[g->queue[d] ^ 1].cap += f;
                                }
                                flow += f;
                                u = s;
                                depth = 0;
                                continue;
                        }
                        while (g->it[u] != NONE) {
                                const struct edge *ed = &g->e[g->it[u]];
                                if (ed->cap > 0 && g->level[ed->to] == g->level[u] + 1)
                                        break;
                                g->it[u] = ed->next;
                        }
                        if (g->it[u] != NONE) {
                                g->queue[depth++] = g->it[u]; /* the path, as edge indexes */
                                u = g->e[g->it[u]].to;
                                continue;
                        }
                        /* dead end: never come back here in this phase */
                        g->level[u] = NONE;
                        if (!depth)
                                break;
                        depth--;
                        u = g->e[g->queue[depth] ^ 1].to;
                        g->it[u] = g->e[g->it[u]].next;
                }
        }
        return flow;
}

struct mm_state {
        struct mes_model mm; /* approval supporters, identical ballots merged */
        struct net g;
        uint32_t *vnode; /* distinct voter -> node, NONE when not in the network */
        uint32_t *vlist;
        uint32_t *set; /* projects of the tested set */
        size_t n_set;
};

/* a/b < c/d for positive denominators. */
static bool frac_lt(int64_t a, int64_t b, int64_t c, int64_t d)
{
        return (pb_i128)a * d < (pb_i128)c * b;
}

/*
 * z(S) for S = s->set[0..n_set), every project supported; *ret_num / *ret_den its exact value.
 * @lo_num / @lo_den: a known lower bound (z of a subset), used as the start when larger.
 */
static pb_err min_max_load(struct mm_state *s, const struct pb_election *e, int64_t lo_num, int64_t lo_den,
                           int64_t *ret_num, int64_t *ret_den)
{
        const struct mes_model *mm = &s->mm;
        int64_t a, b, total_cost = 0, total_w = 0;
        size_t nv = 0;
        pb_err r;

        /* the voters of S, and cost(S)/|N(S)| as the first guess */
        for (size_t i = 0; i < s->n_set; i++) {
                uint32_t p = s->set[i];
                total_cost += e->projects[p].cost;
                for (size_t k = mm->sup_start[p]; k < mm->sup_start[p + 1]; k++) {
                        uint32_t v = mm->sup_voter[k];
                        if (s->vnode[v] == NONE) {
                                s->vnode[v] = (uint32_t)(2 + s->n_set + nv);
                                s->vlist[nv++] = v;
                                total_w += mm->weight[v];
                        }
                }
        }
        a = total_cost;
        b = total_w;
        if (lo_den && frac_lt(a, b, lo_num, lo_den)) {
                a = lo_num;
                b = lo_den;
        }
        for (;;) {
                pb_i128 need = 0, flow;
                int64_t tc = 0, tw = 0;

                r = net_reset(&s->g, 2 + s->n_set + nv);
                for (size_t i = 0; r == PB_OK && i < s->n_set; i++) {
                        uint32_t p = s->set[i];
                        pb_i128 c = (pb_i128)e->projects[p].cost * b;
                        need += c;
                        r = net_add(&s->g, 0, (uint32_t)(2 + i), c);
                        for (size_t k = mm->sup_start[p]; r == PB_OK && k < mm->sup_start[p + 1]; k++)
                                r = net_add(&s->g, (uint32_t)(2 + i), s->vnode[mm->sup_voter[k]],
                                            ((pb_i128)1) << 120);
                }
                for (size_t i = 0; r == PB_OK && i < nv; i++)
                        r = net_add(&s->g, (uint32_t)(2 + s->n_set + i), 1,
                                    (pb_i128)a * mm->weight[s->vlist[i]]);
                if (r < 0)
                        goto out;
                flow = net_maxflow(&s->g, 0, 1);
                if (flow == need)
                        break; /* every cost fits under load a/b: it is the optimum */
                /* the projects reachable from the source: a set T that needs more than a/b */
                (void)net_bfs(&s->g, 0, 1);
                for (size_t i = 0; i < s->n_set; i++) {
                        uint32_t p = s->set[i];
                        if (s->g.level[2 + i] == NONE)
                                continue;
                        tc += e->projects[p].cost;
                }
                for (size_t i = 0; i < nv; i++)
                        if (s->g.level[2 + s->n_set + i] != NONE)
                                tw += mm->weight[s->vlist[i]];
                PB_ASSERT(tw > 0 && frac_lt(a, b, tc, tw));
                a = tc;
                b = tw;
        }
        *ret_num = a;
        *ret_den = b;
        r = PB_OK;
out:
        for (size_t i = 0; i < nv; i++)
                s->vnode[s->vlist[i]] = NONE;
        return r;
}

pb_err pb_tally_maximin(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                        struct pb_diag *reterr)
{
        const size_t m = e->n_projects;
        struct pb_rule ar = *rule;
        struct mm_state s;
        uint32_t *tied = NULL, *w_set = NULL;
        int64_t *zn = NULL, *zd = NULL, left = e->budget, z_num = 0, z_den = 0;
        pb_i128 *score = NULL;
        bool *avail = NULL, w_unsupported = false;
        size_t n_w = 0;
        pb_err r;

        memset(&s, 0, sizeof(s));
        ar.utility = PB_UTIL_APPROVAL;
        r = mes_model_build(&s.mm, e, &ar, reterr);
        if (r < 0)
                return r;
        s.vnode = pb_calloc(s.mm.nv ? s.mm.nv : 1, sizeof(*s.vnode));
        s.vlist = pb_calloc(s.mm.nv ? s.mm.nv : 1, sizeof(*s.vlist));
        s.set = pb_calloc(m + 1, sizeof(*s.set));
        tied = pb_calloc(m ? m : 1, sizeof(*tied));
        w_set = pb_calloc(m ? m : 1, sizeof(*w_set));
        score = pb_calloc(m ? m : 1, sizeof(*score));
        zn = pb_calloc(m ? m : 1, sizeof(*zn));
        zd = pb_calloc(m ? m : 1, sizeof(*zd));
        avail = pb_calloc(m ? m : 1, sizeof(*avail));
        if (!s.vnode || !s.vlist || !s.set || !tied || !w_set || !score || !zn || !zd || !avail) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t v = 0; v < s.mm.nv; v++)
                s.vnode[v] = NONE;
        r = pb_tally_count(e, res->score, NULL, score);
        if (r < 0)
                goto out;
        for (size_t p = 0; p < m; p++) {
                res->projects[p].votes = s.mm.votes[p];
                res->projects[p].score = score[p];
                res->projects[p].reason = e->projects[p].withdrawn ? PB_REASON_WITHDRAWN : PB_REASON_NO_MONEY;
                avail[p] = !e->projects[p].withdrawn && e->projects[p].cost <= e->budget;
        }
        for (;;) {
                size_t nt = 0;
                uint32_t j;
                char measure[PB_MEASURE_MAX];

                for (uint32_t p = 0; p < m; p++) {
                        bool inf;
                        if (avail[p] && e->projects[p].cost > left)
                                avail[p] = false; /* the money left only shrinks */
                        if (!avail[p])
                                continue;
                        inf = w_unsupported || s.mm.votes[p] == 0;
                        zd[p] = 0; /* 0: infinite */
                        if (!inf) {
                                memcpy(s.set, w_set, n_w * sizeof(*w_set));
                                s.set[n_w] = p;
                                s.n_set = n_w + 1;
                                r = min_max_load(&s, e, z_num, z_den, &zn[p], &zd[p]);
                                if (r < 0)
                                        goto out;
                        }
                        if (nt) {
                                uint32_t q = tied[0];
                                int c;
                                if (!zd[p] || !zd[q])
                                        c = (!zd[p]) - (!zd[q]);
                                else
                                        c = frac_lt(zn[p], zd[p], zn[q], zd[q])   ? -1
                                            : frac_lt(zn[q], zd[q], zn[p], zd[p]) ? 1
                                                                                  : 0;
                                if (c < 0)
                                        nt = 0;
                                if (c > 0)
                                        continue;
                        }
                        tied[nt++] = p;
                }
                if (!nt)
                        break;
                for (size_t i = 1; i < nt; i++)
                        for (size_t k = i; k > 0 && s.mm.rank[tied[k - 1]] > s.mm.rank[tied[k]]; k--) {
                                uint32_t t = tied[k];
                                tied[k] = tied[k - 1];
                                tied[k - 1] = t;
                        }
                j = tied[0];
                if (zd[j]) {
                        pb_fraction_format(zn[j], zd[j], measure, sizeof(measure));
                        z_num = zn[j];
                        z_den = zd[j];
                } else {
                        memcpy(measure, "inf", 4);
                        w_unsupported = true;
                }
                r = pb_result_select(res, e, j, s.mm.votes[j], measure);
                if (r == PB_OK && nt > 1)
                        r = pb_result_add_tie(res, (uint32_t)res->n_steps, tied, (uint32_t)nt, false,
                                              "max load");
                if (r < 0)
                        goto out;
                w_set[n_w++] = j;
                avail[j] = false;
                left -= e->projects[j].cost;
        }
        for (size_t i = 0; i < res->n_ties; i++) {
                bool d = false;
                for (uint32_t k = 0; k < res->ties[i].n; k++)
                        d |= res->projects[res->ties[i].tied[k]].reason != PB_REASON_SELECTED;
                res->ties[i].decisive = d;
        }
        if (z_den) {
                char buf[PB_MEASURE_MAX];
                pb_fraction_format(z_num, z_den, buf, sizeof(buf));
                r = pb_result_add_detail(res, "max_load", buf);
        }
out:
        mes_model_release(&s.mm);
        pb_free(s.g.e);
        pb_free(s.g.head);
        pb_free(s.g.level);
        pb_free(s.g.it);
        pb_free(s.g.queue);
        pb_free(s.vnode);
        pb_free(s.vlist);
        pb_free(s.set);
        pb_free(tied);
        pb_free(w_set);
        pb_free(score);
        pb_free(zn);
        pb_free(zd);
        pb_free(avail);
        return r;
}
