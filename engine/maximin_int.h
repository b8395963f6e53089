/**
 * @file Private interface of maximin support's exact max-flow (engine/maximin_flow.c), used by
 * tally_maximin.c.  Not part of the engine's public API.
 *
 * The funded set W keeps a feasible flow at its optimal max load z(W): every project's cost is
 * split among its supporters, no ballot above z(W).  Testing a candidate p at a load lambda >=
 * z(W) starts from that flow (lambda only raises the voters' capacities, so it stays feasible)
 * and pushes only p's cost; funding the winner rebuilds W's flow at the new z.
 * docs/rules.md (proportional rules), §6, has the argument.
 * Ownership: caller storage with an init/release pair; the flow borrows the model, which must
 * outlive it.
 */
#ifndef PB_MAXIMIN_INT_H
#define PB_MAXIMIN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/mes_int.h"
#include "engine/pb_err.h"
#include "engine/pb_int128.h"

/** An exact load: num / den per ballot, den > 0. */
struct mx_load {
        int64_t num;
        int64_t den;
};

/** A supporter entry (project q, voter v), in the model's order (mm->sup_start). */
struct mx_edge {
        pb_i128 base; /* W's flow on it, in units of 1 / unit (0 outside W) */
        pb_i128 cur;  /* the test's flow, valid when stamp is the test's */
        uint32_t stamp;
        uint32_t voter; /* mm->sup_voter */
};

/** A voter's side: her entries, W's first. */
struct mx_voter {
        pb_i128 base; /* W's load on her, in units of 1 / unit */
        pb_i128 cur;  /* the test's load */
        uint32_t stamp;
        uint32_t weight; /* ballots */
        uint32_t start;  /* her entries: adj[start .. start + deg) */
        uint32_t deg;
        uint32_t nw; /* the first nw are projects of W */
};

/** A voter's entry: the supporter entry k and its project. */
struct mx_adj {
        uint32_t k;
        uint32_t q;
};

/**
 * The flow network of W plus one candidate: a source feeds projects their costs, projects feed
 * their supporters (no limit), supporters feed the sink up to lambda times their ballots.
 * Values are integers in units of 1 / (unit * mult): below 2^127 because a cost sum is below
 * 2^63 and unit, mult and the ballots are below 2^32.
 */
struct mx_flow {
        const struct mes_model *mm; /* borrowed: approval supporters, identical ballots merged */
        struct mx_edge *edge;       /* one per supporter entry */
        struct mx_voter *voter;     /* nv */
        struct mx_adj *adj;         /* the voters' entries */
        bool *in;                   /* m: in the tested set (W and the candidate) */
        pb_i128 *bdef;              /* m: cost W's flow does not carry yet (only while it is rebuilt) */
        pb_i128 *def;               /* m: the test's */
        uint32_t *dst;              /* m: stamps of def */
        uint32_t *gap, *gst;        /* m: each project's scan for room in the greedy phase, stamped */
        pb_i128 unit;               /* W's flow counts in units of 1 / unit */
        struct mx_load zw;          /* z(W) (0/1 for the empty set) */
        uint32_t *wlist;            /* W, in order of funding */
        size_t n_w;
        /* one test: each value is its base value times mult until first touched (stamps) */
        uint32_t stamp;
        pb_i128 mult;
        pb_i128 capf;            /* a voter's capacity: capf times her ballots */
        uint32_t last_p;         /* the candidate of the last test, if it succeeded (else UINT32_MAX) */
        struct mx_load last_lam; /* and its load */
        /* Dinic's search over the m + nv nodes (projects, then voters) */
        uint32_t *level, *lvst, *arc, *queue, *pnode, *pedge, *src;
        uint32_t bfs;
        uint32_t tlev;            /* the sink's level in the last search (UINT32_MAX: not reached) */
        size_t qn;                /* nodes the last search labeled (the reachable set when it failed) */
        int64_t last_tc, last_tw; /* after a failed test: the reachable set's cost and ballots */
        uint64_t tests;           /* statistics: max-flow tests run */
};

/** Zero @f so that mx_flow_release() is safe before mx_flow_attach(). */
void mx_flow_init(struct mx_flow *f);
/** Free everything @f owns; leaves it zeroed. */
void mx_flow_release(struct mx_flow *f);

/**
 * Allocate @f for @mm (approval utilities) with W empty.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW (2^32 - 1 ballots, supporter entries or nodes)
 */
PB_NODISCARD pb_err mx_flow_attach(struct mx_flow *f, const struct mes_model *mm);

/**
 * Does W + p fit under @lam (z(W + p) <= @lam)?  One maximum flow from W's.  If not, the projects
 * still reachable from the source in the residual network (p among them) need more than @lam
 * per ballot: their load, a lower bound on z(W + p) above @lam, goes into *ret_next (Newton's
 * next guess).  p is a supported project outside W whose cost fits the budget with W's.
 * @param lam  at least z(W)
 */
bool mx_flow_test(struct mx_flow *f, uint32_t p, struct mx_load lam, struct mx_load *ret_next);

/** Fund p, whose z(W + p) is @z: W's flow becomes a flow of W + p at @z, in units of 1 / z.den. */
void mx_flow_add(struct mx_flow *f, uint32_t p, struct mx_load z);

/** a/b < c/d for positive denominators and numerators below 2^63 (128-bit products). */
static inline bool mx_load_lt(struct mx_load a, struct mx_load b)
{
        return (pb_i128)a.num * b.den < (pb_i128)b.num * a.den;
}

#endif
