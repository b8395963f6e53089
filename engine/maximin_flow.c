/**
 * @file Maximin support's exact max-flow tests with a warm start (engine/maximin_int.h).
 *
 * The network: a source feeds each project of the tested set S its cost (times the unit),
 * each project feeds its supporters without limit, and each supporter feeds the sink up to
 * lambda times her ballots.  S can be paid with no ballot above lambda exactly when the
 * maximum flow carries every cost (Hall's condition for transportation problems).
 *
 * Why a warm start is sound: a flow that pays W with no ballot above z(W) also fits every
 * larger lambda (only the sink's capacities grow), so testing W + p at lambda >= z(W) starts
 * from W's flow and only p's cost has to find a way to the sink.  Values stay integers: W's
 * flow is kept in units of 1 / unit (unit = the denominator of z(W)); a test at a / b counts
 * in units of 1 / (unit b), so W's flow is multiplied by b (exactly) and the capacities are
 * a unit times the ballots.  When p's cost does not fit, the projects reachable from the
 * sources in the residual network form a set T whose voters are all full and which carries
 * less than its cost, so cost(T) / |N(T)| > lambda: Newton's next guess.
 *
 * Dinic's algorithm over the implicit bipartite graph: breadth-first levels from the projects
 * with cost left (forward edges to supporters always usable, backward edges where flow runs),
 * then blocking flows by an iterative depth-first search with current arcs.
 */
#include <string.h>

#include "engine/maximin_int.h"
#include "engine/pb_alloc.h"

#define NONE UINT32_MAX

void mx_flow_init(struct mx_flow *f)
{
        memset(f, 0, sizeof(*f));
        f->last_p = NONE;
}

void mx_flow_release(struct mx_flow *f)
{
        if (!f)
                return;
        pb_free(f->edge);
        pb_free(f->voter);
        pb_free(f->adj);
        pb_free(f->in);
        pb_free(f->bdef);
        pb_free(f->def);
        pb_free(f->dst);
        pb_free(f->wlist);
        pb_free(f->level);
        pb_free(f->lvst);
        pb_free(f->arc);
        pb_free(f->queue);
        pb_free(f->pnode);
        pb_free(f->pedge);
        pb_free(f->src);
        pb_free(f->gap);
        pb_free(f->gst);
        mx_flow_init(f);
}

/* The entries from the voters' side: each voter's (entry, project) pairs, none in W yet. */
static void build_voter_side(struct mx_flow *f)
{
        const struct mes_model *mm = f->mm;
        uint32_t at = 0;

        for (size_t k = 0; k < mm->sup_start[mm->m]; k++) {
                f->edge[k].voter = mm->sup_voter[k];
                f->voter[mm->sup_voter[k]].deg++;
        }
        for (size_t v = 0; v < mm->nv; v++) {
                f->voter[v].start = at;
                f->voter[v].weight = mm->weight[v];
                at += f->voter[v].deg;
                f->voter[v].deg = 0;
        }
        for (uint32_t p = 0; p < mm->m; p++)
                for (size_t k = mm->sup_start[p]; k < mm->sup_start[p + 1]; k++) {
                        struct mx_voter *vo = &f->voter[mm->sup_voter[k]];
                        f->adj[vo->start + vo->deg].k = (uint32_t)k;
                        f->adj[vo->start + vo->deg].q = p;
                        vo->deg++;
                }
}

pb_err mx_flow_attach(struct mx_flow *f, const struct mes_model *mm)
{
        const size_t m1 = mm->m ? mm->m : 1, ne = mm->sup_start[mm->m], e1 = ne ? ne : 1;
        const size_t nodes = mm->m + mm->nv + 1;

        if (mm->n >= UINT32_MAX || ne >= UINT32_MAX || nodes >= UINT32_MAX)
                return PB_ERR_OVERFLOW;
        f->mm = mm;
        f->edge = pb_calloc(e1, sizeof(*f->edge));
        f->voter = pb_calloc(mm->nv + 1, sizeof(*f->voter));
        f->adj = pb_calloc(e1, sizeof(*f->adj));
        f->in = pb_calloc(m1, sizeof(*f->in));
        f->bdef = pb_calloc(m1, sizeof(*f->bdef));
        f->def = pb_calloc(m1, sizeof(*f->def));
        f->dst = pb_calloc(m1, sizeof(*f->dst));
        f->wlist = pb_calloc(m1, sizeof(*f->wlist));
        f->level = pb_calloc(nodes, sizeof(*f->level));
        f->lvst = pb_calloc(nodes, sizeof(*f->lvst));
        f->arc = pb_calloc(nodes, sizeof(*f->arc));
        f->queue = pb_calloc(nodes, sizeof(*f->queue));
        f->pnode = pb_calloc(nodes + 1, sizeof(*f->pnode));
        f->pedge = pb_calloc(nodes + 1, sizeof(*f->pedge));
        f->src = pb_calloc(m1, sizeof(*f->src));
        f->gap = pb_calloc(m1, sizeof(*f->gap));
        f->gst = pb_calloc(m1, sizeof(*f->gst));
        if (!f->gap || !f->gst || !f->edge || !f->voter || !f->adj || !f->in || !f->bdef || !f->def ||
            !f->dst || !f->wlist || !f->level || !f->lvst || !f->arc || !f->queue || !f->pnode || !f->pedge ||
            !f->src)
                return PB_ERR_NOMEM;
        build_voter_side(f);
        f->unit = 1;
        f->zw.num = 0;
        f->zw.den = 1;
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* one test's values: the base value times mult until first touched */

static void next_stamp(struct mx_flow *f)
{
        const struct mes_model *mm = f->mm;

        if (++f->stamp == 0) {
                for (size_t k = 0; k < mm->sup_start[mm->m]; k++)
                        f->edge[k].stamp = 0;
                for (size_t v = 0; v < mm->nv; v++)
                        f->voter[v].stamp = 0;
                memset(f->dst, 0, (mm->m ? mm->m : 1) * sizeof(*f->dst));
                memset(f->gst, 0, (mm->m ? mm->m : 1) * sizeof(*f->gst));
                f->stamp = 1;
        }
        f->last_p = NONE;
}

static pb_i128 *flow_at(struct mx_flow *f, size_t k)
{
        struct mx_edge *ed = &f->edge[k];

        if (ed->stamp != f->stamp) {
                ed->stamp = f->stamp;
                ed->cur = ed->base * f->mult;
        }
        return &ed->cur;
}

static pb_i128 *load_at(struct mx_flow *f, size_t v)
{
        struct mx_voter *vo = &f->voter[v];

        if (vo->stamp != f->stamp) {
                vo->stamp = f->stamp;
                vo->cur = vo->base * f->mult;
        }
        return &vo->cur;
}

static pb_i128 *def_at(struct mx_flow *f, size_t p)
{
        if (f->dst[p] != f->stamp) {
                f->dst[p] = f->stamp;
                f->def[p] = f->bdef[p] * f->mult;
        }
        return &f->def[p];
}

static pb_i128 slack(struct mx_flow *f, size_t v)
{
        return f->capf * f->voter[v].weight - *load_at(f, v);
}

/* ---------------------------------------------------------------------------------------------- */
/* Dinic */

static bool labeled(const struct mx_flow *f, uint32_t x)
{
        return f->lvst[x] == f->bfs && f->level[x] != NONE;
}

static void label(struct mx_flow *f, uint32_t x, uint32_t lev, size_t *qt)
{
        const struct mes_model *mm = f->mm;

        f->lvst[x] = f->bfs;
        f->level[x] = lev;
        f->arc[x] = (uint32_t)(x < mm->m ? mm->sup_start[x] : f->voter[x - mm->m].start);
        f->queue[(*qt)++] = x;
}

static void next_bfs(struct mx_flow *f)
{
        if (++f->bfs == 0) {
                memset(f->lvst, 0, (f->mm->m + f->mm->nv + 1) * sizeof(*f->lvst));
                f->bfs = 1;
        }
}

/*
 * Expand node @x of the breadth-first search: a project reaches its supporters; a voter with room
 * reaches the sink, else the projects of W whose flow she carries (the candidate and the sources
 * are at level 0 already).
 */
static void expand(struct mx_flow *f, uint32_t x, size_t *qt)
{
        const struct mes_model *mm = f->mm;
        const uint32_t lev = f->level[x] + 1, m = (uint32_t)mm->m;
        const struct mx_voter *vo;

        if (x < m) {
                for (size_t k = mm->sup_start[x]; k < mm->sup_start[x + 1]; k++) {
                        uint32_t v = m + mm->sup_voter[k];
                        if (f->lvst[v] != f->bfs)
                                label(f, v, lev, qt);
                }
                return;
        }
        if (slack(f, x - m) > 0) {
                f->tlev = lev; /* the first voter with room: the sink's level */
                return;
        }
        vo = &f->voter[x - m];
        for (uint32_t i = vo->start; i < vo->start + vo->nw; i++) {
                const struct mx_adj *a = &f->adj[i];
                if (f->lvst[a->q] != f->bfs && *flow_at(f, a->k) > 0)
                        label(f, a->q, lev, qt);
        }
}

/* Levels from the sources with cost left; true when the sink is reached.  Nodes at the sink's
 * level minus one are labeled but not expanded.  f->qn: the labeled nodes, in f->queue. */
static bool bfs(struct mx_flow *f, size_t n_src)
{
        size_t qh = 0, qt = 0;

        next_bfs(f);
        f->tlev = NONE;
        for (size_t i = 0; i < n_src; i++)
                if (*def_at(f, f->src[i]) > 0)
                        label(f, f->src[i], 0, &qt);
        while (qh < qt) {
                uint32_t x = f->queue[qh++];
                if (f->tlev == NONE || f->level[x] + 1 < f->tlev)
                        expand(f, x, &qt);
        }
        f->qn = qt;
        return f->tlev != NONE;
}

/* The next usable arc out of @x in the level graph (its current arc on), or NONE. */
static uint32_t advance(struct mx_flow *f, uint32_t x, uint32_t *ret_k)
{
        const struct mes_model *mm = f->mm;
        const uint32_t lev = f->level[x] + 1, m = (uint32_t)mm->m;
        const struct mx_voter *vo;

        if (x < m) {
                for (; f->arc[x] < mm->sup_start[x + 1]; f->arc[x]++) {
                        uint32_t v = m + mm->sup_voter[f->arc[x]];
                        if (f->level[v] == lev && labeled(f, v)) {
                                *ret_k = f->arc[x];
                                return v;
                        }
                }
                return NONE;
        }
        vo = &f->voter[x - m];
        for (; f->arc[x] < vo->start + vo->nw; f->arc[x]++) {
                const struct mx_adj *a = &f->adj[f->arc[x]];
                if (f->level[a->q] == lev && labeled(f, a->q) && *flow_at(f, a->k) > 0) {
                        *ret_k = a->k;
                        return a->q;
                }
        }
        return NONE;
}

/*
 * Push along the path pnode[0] (a project) .. pnode[depth] (a voter with room) to the sink:
 * forward entries (project to voter) gain, backward ones (voter to project) lose.  Returns the
 * depth to go on from: the voter before the first backward entry emptied, else the last voter.
 */
static size_t augment(struct mx_flow *f, size_t depth)
{
        const uint32_t last = f->pnode[depth] - (uint32_t)f->mm->m;
        pb_i128 a = *def_at(f, f->pnode[0]), s = slack(f, last);
        size_t back = depth;

        for (size_t i = 1; i < depth; i += 2)
                if (*flow_at(f, f->pedge[i]) < a)
                        a = *flow_at(f, f->pedge[i]);
        if (s < a)
                a = s;
        *def_at(f, f->pnode[0]) -= a;
        for (size_t i = 0; i < depth; i++) {
                pb_i128 *x = flow_at(f, f->pedge[i]);
                *x += i % 2 ? -a : a;
                if (i % 2 && !*x && back == depth)
                        back = i;
        }
        *load_at(f, last) += a;
        return back;
}

/* A blocking flow from source project @q0 in the current level graph. */
static void block(struct mx_flow *f, uint32_t q0)
{
        const uint32_t m = (uint32_t)f->mm->m;
        size_t depth = 0;
        uint32_t x = q0, k = 0;

        if (!labeled(f, q0) || f->level[q0] != 0)
                return;
        f->pnode[0] = q0;
        while (*def_at(f, q0) > 0) {
                uint32_t y;
                if (x >= m && f->level[x] + 1 == f->tlev && slack(f, x - m) > 0) {
                        depth = augment(f, depth);
                        x = f->pnode[depth];
                        continue;
                }
                y = advance(f, x, &k);
                if (y != NONE) {
                        f->pedge[depth++] = k;
                        f->pnode[depth] = y;
                        x = y;
                        continue;
                }
                f->level[x] = NONE; /* a dead end: not again in this phase */
                if (!depth)
                        return;
                x = f->pnode[--depth];
                f->arc[x]++;
        }
}

/*
 * Greedy paths before Dinic (the common case, cheaply): each source pushes to its supporters'
 * room, then frees room on them by moving W's flow to other supporters of the same project
 * (source -> v -> q -> v' -> sink).  Each project's scan for room (gap[]) goes forward only:
 * no voter gains room during this phase (v's load stays as it was), so a full voter skipped
 * stays useless.  What is left is Dinic's.
 */
static pb_i128 room_on(struct mx_flow *f, uint32_t q, uint32_t not_v, uint32_t *ret_k)
{
        const struct mes_model *mm = f->mm;

        if (f->gst[q] != f->stamp) {
                f->gst[q] = f->stamp;
                f->gap[q] = (uint32_t)mm->sup_start[q];
        }
        for (; f->gap[q] < mm->sup_start[q + 1]; f->gap[q]++) {
                uint32_t v = f->edge[f->gap[q]].voter;
                pb_i128 s = slack(f, v);
                if (v != not_v && s > 0) {
                        *ret_k = f->gap[q];
                        return s;
                }
        }
        return 0;
}

static void move_load(struct mx_flow *f, uint32_t k, pb_i128 a)
{
        *flow_at(f, k) += a;
        *load_at(f, f->edge[k].voter) += a;
}

/* Free room on voter @v (entry @k0 of source @q0) by moving W's flow off her to other voters. */
static void reroute(struct mx_flow *f, uint32_t q0, uint32_t k0)
{
        const struct mx_voter *vo = &f->voter[f->edge[k0].voter];
        pb_i128 *def = def_at(f, q0);

        for (uint32_t i = vo->start; i<vo->start + vo->nw && * def> 0; i++) {
                const struct mx_adj *a = &f->adj[i];
                uint32_t k;
                pb_i128 s, x;
                while (a->q != q0 && *def > 0 && *flow_at(f, a->k) > 0 &&
                       (s = room_on(f, a->q, f->edge[k0].voter, &k)) > 0) {
                        x = *flow_at(f, a->k);
                        x = x < s ? x : s;
                        x = x < *def ? x : *def;
                        move_load(f, a->k, -x); /* v gives x of q's cost to another supporter */
                        move_load(f, k, x);
                        move_load(f, k0, x); /* and takes x of q0's */
                        *def -= x;
                }
        }
}

static void greedy(struct mx_flow *f, size_t n_src)
{
        const struct mes_model *mm = f->mm;

        for (size_t i = 0; i < n_src; i++) {
                uint32_t q0 = f->src[i];
                pb_i128 *def = def_at(f, q0);
                for (size_t k = mm->sup_start[q0]; k < mm->sup_start[q0 + 1] && *def > 0; k++) {
                        pb_i128 s = slack(f, f->edge[k].voter);
                        if (s > 0) {
                                s = s < *def ? s : *def;
                                move_load(f, (uint32_t)k, s);
                                *def -= s;
                        }
                }
                for (size_t k = mm->sup_start[q0]; k < mm->sup_start[q0 + 1] && *def > 0; k++)
                        reroute(f, q0, (uint32_t)k);
        }
}

/* Maximum flow from the sources f->src[0 .. n_src); true when every one's cost is carried. */
static bool maxflow(struct mx_flow *f, size_t n_src)
{
        greedy(f, n_src);
        while (bfs(f, n_src))
                for (size_t i = 0; i < n_src; i++)
                        block(f, f->src[i]);
        for (size_t i = 0; i < n_src; i++)
                if (*def_at(f, f->src[i]) > 0)
                        return false;
        return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* tests and Newton's method */

static struct mx_load reduced(int64_t num, int64_t den)
{
        struct mx_load z = { num, den };
        int64_t g = (int64_t)pb_i128_gcd(num, den);

        if (g > 1) {
                z.num /= g;
                z.den /= g;
        }
        return z;
}

/* Does W + p fit under @lam?  Starts from W's flow; leaves the test's values in place. */
static bool test(struct mx_flow *f, uint32_t p, struct mx_load lam)
{
        bool ok;

        PB_ASSERT(lam.den > 0 && lam.num >= 0 && !mx_load_lt(lam, f->zw));
        next_stamp(f);
        f->mult = lam.den;
        f->capf = (pb_i128)lam.num * f->unit;
        f->in[p] = true;
        *def_at(f, p) = (pb_i128)f->mm->e->projects[p].cost * f->unit * lam.den;
        f->src[0] = p;
        ok = maxflow(f, 1);
        f->in[p] = false;
        f->tests++;
        if (ok) {
                f->last_p = p;
                f->last_lam = lam;
        }
        return ok;
}

/* After a failed test: the load of the set still reachable from the source (all its voters full). */
static struct mx_load reachable_load(struct mx_flow *f)
{
        const struct mes_model *mm = f->mm;
        int64_t tc = 0, tw = 0;

        for (size_t i = 0; i < f->qn; i++) {
                uint32_t x = f->queue[i];
                if (x < mm->m)
                        tc += mm->e->projects[x].cost;
                else
                        tw += f->voter[x - mm->m].weight;
        }
        PB_ASSERT(tw > 0);
        f->last_tc = tc;
        f->last_tw = tw;
        return reduced(tc, tw);
}

bool mx_flow_test(struct mx_flow *f, uint32_t p, struct mx_load lam, struct mx_load *ret_next)
{
        struct mx_load next;

        PB_ASSERT(!f->in[p]);
        if (test(f, p, reduced(lam.num, lam.den)))
                return true;
        next = reachable_load(f);
        PB_ASSERT(mx_load_lt(lam, next)); /* Newton's step always climbs */
        *ret_next = next;
        return false;
}

/* ---------------------------------------------------------------------------------------------- */
/* funding: W's flow rebuilt at the new z */

/* p joins W: its entries move to the front of its supporters' lists. */
static void join(struct mx_flow *f, uint32_t p)
{
        const struct mes_model *mm = f->mm;

        f->in[p] = true;
        f->wlist[f->n_w++] = p;
        for (size_t k = mm->sup_start[p]; k < mm->sup_start[p + 1]; k++) {
                struct mx_voter *vo = &f->voter[f->edge[k].voter];
                uint32_t i = vo->start + vo->nw;
                struct mx_adj t;
                while (f->adj[i].k != k)
                        i++;
                t = f->adj[i];
                f->adj[i] = f->adj[vo->start + vo->nw];
                f->adj[vo->start + vo->nw] = t;
                vo->nw++;
        }
}

/* W's flow from the last test (units 1 / (unit den)) rounded down into units 1 / den: every
 * voter stays within her capacity; each project misses what the rounding took, in bdef. */
static void rebase(struct mx_flow *f, int64_t den)
{
        const struct mes_model *mm = f->mm;

        for (size_t i = 0; i < f->n_w; i++)
                for (size_t k = mm->sup_start[f->wlist[i]]; k < mm->sup_start[f->wlist[i] + 1]; k++)
                        f->voter[f->edge[k].voter].base = 0;
        for (size_t i = 0; i < f->n_w; i++) {
                uint32_t q = f->wlist[i];
                pb_i128 left = (pb_i128)mm->e->projects[q].cost * den;
                for (size_t k = mm->sup_start[q]; k < mm->sup_start[q + 1]; k++) {
                        struct mx_edge *ed = &f->edge[k];
                        ed->base = *flow_at(f, k) / f->unit;
                        f->voter[ed->voter].base += ed->base;
                        left -= ed->base;
                }
                PB_ASSERT(left >= 0);
                f->bdef[q] = left;
        }
}

/* The test's values become W's flow (every cost carried). */
static void keep(struct mx_flow *f)
{
        const struct mes_model *mm = f->mm;

        for (size_t i = 0; i < f->n_w; i++) {
                uint32_t q = f->wlist[i];
                PB_ASSERT(*def_at(f, q) == 0);
                f->bdef[q] = 0;
                for (size_t k = mm->sup_start[q]; k < mm->sup_start[q + 1]; k++) {
                        uint32_t v = f->edge[k].voter;
                        f->edge[k].base = *flow_at(f, k);
                        f->voter[v].base = *load_at(f, v);
                }
        }
}

void mx_flow_add(struct mx_flow *f, uint32_t p, struct mx_load z)
{
        size_t n_src = 0;
        bool ok;

        z = reduced(z.num, z.den);
        /* the last test is p's at z when p won the round without another test after it */
        if (f->last_p != p || f->last_lam.num != z.num || f->last_lam.den != z.den) {
                ok = test(f, p, z);
                PB_ASSERT(ok);
        }
        join(f, p);
        rebase(f, z.den);
        f->unit = z.den;
        f->zw = z;
        /* what the rounding took finds its way again: W + p fits under z, with integer capacities */
        next_stamp(f);
        f->mult = 1;
        f->capf = z.num;
        for (size_t i = 0; i < f->n_w; i++)
                if (f->bdef[f->wlist[i]] > 0)
                        f->src[n_src++] = f->wlist[i];
        ok = maxflow(f, n_src);
        PB_ASSERT(ok);
        keep(f);
}
