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
 * transportation): z(S) = max over non-empty T in S of cost(T) / |supporters of T|, by Newton's
 * method over maximum flows that start from W's own flow (engine/maximin_flow.c).
 *
 * Lazily.  z(W + p) never falls as W grows (W + p's subsets only gain members), and it is at
 * least z(W), cost(p) / |N(p)| and cost(W + p) / |N(W + p)|.  Candidates are visited by that
 * lower bound, and the visit stops at the first bound above the best z found: every project
 * whose z equals the minimum has a bound at most the minimum and is computed, so the ties are
 * complete, and the outcome is the one of computing every z.
 */
#include <string.h>

#include "engine/maximin_int.h"
#include "engine/pb_alloc.h"
#include "engine/tally_int.h"

/* Pair bounds need a table of m x m overlaps; above this many projects they are left out. */
#define MAX_PAIRS 1024

struct mm_state {
        const struct pb_election *e; /* borrowed */
        struct mes_model mm;         /* approval supporters, identical ballots merged */
        struct mx_flow flow;         /* W's flow */
        bool *covered;               /* nv: supports a project of W */
        int64_t w_ballots;           /* ballots supporting a project of W */
        int64_t w_cost;              /* cost of W */
        bool w_unsupported;          /* W holds a project nobody approves: every z is infinite */
        struct mx_load zw;           /* z(W) */
        struct mx_load *lb;          /* m: lower bound on z(W + p); the exact z once computed */
        bool *avail;                 /* m: not funded, not withdrawn, still fits */
        int64_t *overlap;            /* m x m, or NULL: ballots supporting both p and the i-th of W */
        uint64_t *tset;              /* m x words, or NULL: per candidate, a dense set T (p and some of W) */
        int64_t *tcost, *tw;         /* m: its cost and the ballots supporting it (tw 0: none yet) */
        size_t words;
        uint32_t *heap, *tied; /* m each */
        size_t n_heap, n_tied;
        int64_t left; /* money left */
};

static void state_release(struct mm_state *s)
{
        mes_model_release(&s->mm);
        mx_flow_release(&s->flow);
        pb_free(s->covered);
        pb_free(s->overlap);
        pb_free(s->tset);
        pb_free(s->tcost);
        pb_free(s->tw);
        pb_free(s->lb);
        pb_free(s->avail);
        pb_free(s->heap);
        pb_free(s->tied);
}

static pb_err state_init(struct mm_state *s, const struct pb_election *e, const struct pb_rule *rule,
                         struct pb_diag *reterr)
{
        const size_t m1 = e->n_projects ? e->n_projects : 1;
        struct pb_rule ar = *rule;
        pb_err r;

        memset(s, 0, sizeof(*s));
        mx_flow_init(&s->flow);
        s->e = e;
        s->left = e->budget;
        s->zw.den = 1;
        ar.utility = PB_UTIL_APPROVAL;
        r = mes_model_build(&s->mm, e, &ar, reterr);
        if (r < 0)
                return r;
        s->covered = pb_calloc(s->mm.nv ? s->mm.nv : 1, sizeof(*s->covered));
        s->lb = pb_calloc(m1, sizeof(*s->lb));
        s->avail = pb_calloc(m1, sizeof(*s->avail));
        s->heap = pb_calloc(m1, sizeof(*s->heap));
        s->tied = pb_calloc(m1, sizeof(*s->tied));
        if (!s->covered || !s->lb || !s->avail || !s->heap || !s->tied)
                return PB_ERR_NOMEM;
        if (e->n_projects <= MAX_PAIRS) {
                s->words = (m1 + 63) / 64;
                s->overlap = pb_calloc(m1 * m1, sizeof(*s->overlap));
                s->tset = pb_calloc(m1 * s->words, sizeof(*s->tset));
                s->tcost = pb_calloc(m1, sizeof(*s->tcost));
                s->tw = pb_calloc(m1, sizeof(*s->tw));
                if (!s->overlap || !s->tset || !s->tcost || !s->tw)
                        return PB_ERR_NOMEM;
        }
        r = mx_flow_attach(&s->flow, &s->mm);
        if (r == PB_ERR_OVERFLOW)
                return pb_diag_set(reterr, r, "ballots", "too many ballots for maximin support");
        for (size_t p = 0; p < e->n_projects; p++) {
                s->avail[p] = !e->projects[p].withdrawn && e->projects[p].cost <= e->budget;
                s->lb[p].den = 1;
        }
        return r;
}

/* ---------------------------------------------------------------------------------------------- */
/* candidates by lower bound (a binary heap: only the first few are ever taken) */

static bool before(const struct mm_state *s, uint32_t a, uint32_t b)
{
        if (mx_load_lt(s->lb[a], s->lb[b]))
                return true;
        if (mx_load_lt(s->lb[b], s->lb[a]))
                return false;
        return s->mm.rank[a] < s->mm.rank[b];
}

static void sift_down(struct mm_state *s, size_t i)
{
        for (;;) {
                size_t c = 2 * i + 1;
                uint32_t t;
                if (c >= s->n_heap)
                        return;
                if (c + 1 < s->n_heap && before(s, s->heap[c + 1], s->heap[c]))
                        c++;
                if (!before(s, s->heap[c], s->heap[i]))
                        return;
                t = s->heap[c];
                s->heap[c] = s->heap[i];
                s->heap[i] = t;
                i = c;
        }
}

static uint32_t heap_pop(struct mm_state *s)
{
        uint32_t top = s->heap[0];

        s->heap[0] = s->heap[--s->n_heap];
        sift_down(s, 0);
        return top;
}

/* The largest of the bounds: z(W), the last bound for p, p alone, p with each of W, all of W + p. */
static void raise_bound(struct mm_state *s, uint32_t p)
{
        const struct mes_model *mm = &s->mm;
        struct mx_load alone = { s->e->projects[p].cost, mm->votes[p] };
        struct mx_load whole = { s->w_cost + s->e->projects[p].cost, s->w_ballots };

        for (size_t k = mm->sup_start[p]; k < mm->sup_start[p + 1]; k++)
                if (!s->covered[mm->sup_voter[k]])
                        whole.den += mm->weight[mm->sup_voter[k]];
        if (mx_load_lt(s->lb[p], s->zw))
                s->lb[p] = s->zw;
        for (size_t i = 0; s->overlap && i < s->flow.n_w; i++) {
                uint32_t q = s->flow.wlist[i];
                struct mx_load pair = { s->e->projects[p].cost + s->e->projects[q].cost,
                                        mm->votes[p] + mm->votes[q] - s->overlap[(size_t)p * mm->m + i] };
                if (mx_load_lt(s->lb[p], pair))
                        s->lb[p] = pair;
        }
        if (mx_load_lt(s->lb[p], alone))
                s->lb[p] = alone;
        if (mx_load_lt(s->lb[p], whole))
                s->lb[p] = whole;
}

/* After p's test failed: the set it found (p and the projects of W it reached), for later bounds. */
static void keep_set(struct mm_state *s, uint32_t p)
{
        const struct mx_flow *f = &s->flow;
        uint64_t *t = s->tset ? s->tset + (size_t)p * s->words : NULL;

        if (!t)
                return;
        memset(t, 0, s->words * sizeof(*t));
        for (size_t i = 0; i < f->qn; i++)
                if (f->queue[i] < s->mm.m)
                        t[f->queue[i] / 64] |= (uint64_t)1 << (f->queue[i] % 64);
        s->tcost[p] = f->last_tc;
        s->tw[p] = f->last_tw;
}

/* Once j joins W: each candidate's kept set with j added, when that is denser (a lower bound on
 * z(W + p): a subset of W + p). */
static void grow_sets(struct mm_state *s, uint32_t j)
{
        const struct mes_model *mm = &s->mm;
        const struct mx_flow *f = &s->flow;

        for (uint32_t p = 0; s->tset && p < mm->m; p++) {
                uint64_t *t = s->tset + (size_t)p * s->words;
                int64_t extra = 0;
                struct mx_load d;
                if (!s->avail[p] || !s->tw[p])
                        continue;
                for (size_t k = mm->sup_start[j]; k < mm->sup_start[j + 1]; k++) {
                        const struct mx_voter *vo = &f->voter[mm->sup_voter[k]];
                        bool in = false;
                        for (uint32_t i = vo->start; i < vo->start + vo->deg && !in; i++)
                                in = (t[f->adj[i].q / 64] >> (f->adj[i].q % 64)) & 1;
                        if (!in)
                                extra += vo->weight;
                }
                d.num = s->tcost[p] + s->e->projects[j].cost;
                d.den = s->tw[p] + extra;
                if (!mx_load_lt(s->lb[p], d))
                        continue;
                s->lb[p] = d;
                t[j / 64] |= (uint64_t)1 << (j % 64);
                s->tcost[p] = d.num;
                s->tw[p] = d.den;
        }
}

static void heap_push(struct mm_state *s, uint32_t p)
{
        size_t i = s->n_heap++;

        s->heap[i] = p;
        while (i && before(s, s->heap[i], s->heap[(i - 1) / 2])) {
                uint32_t t = s->heap[i];
                s->heap[i] = s->heap[(i - 1) / 2];
                s->heap[(i - 1) / 2] = t;
                i = (i - 1) / 2;
        }
}

/*
 * One round among the candidates of finite z: the ones with the smallest z(W + p) into
 * s->tied (unordered), their z into *ret_z.  Newton's method on all of them at once: the
 * candidate with the smallest lower bound is tested at its bound; if it fits, its z is that
 * bound and no other z is smaller; if not, the test gives a larger bound and it goes back into
 * the heap.  Once a z is known, only the candidates whose bound equals it are tested (ties).
 */
static void round_finite(struct mm_state *s, struct mx_load *ret_z)
{
        s->n_heap = 0;
        for (uint32_t p = 0; p < s->mm.m; p++)
                if (s->avail[p] && s->mm.votes[p] > 0) {
                        raise_bound(s, p);
                        s->heap[s->n_heap++] = p;
                }
        for (size_t i = s->n_heap / 2; i-- > 0;)
                sift_down(s, i);
        s->n_tied = 0;
        while (s->n_heap) {
                uint32_t p = s->heap[0];
                struct mx_load next;
                if (s->n_tied && mx_load_lt(*ret_z, s->lb[p]))
                        break; /* every bound left is larger */
                (void)heap_pop(s);
                if (mx_flow_test(&s->flow, p, s->lb[p], &next)) {
                        *ret_z = s->lb[p]; /* z(W + p) is its lower bound */
                        s->tied[s->n_tied++] = p;
                        continue;
                }
                s->lb[p] = next; /* still a lower bound in every later round (W only grows) */
                keep_set(s, p);
                if (!s->n_tied)
                        heap_push(s, p);
        }
}

/* The round's candidates in tie-break order, the winner first; false when nothing fits. */
static bool select_round(struct mm_state *s, struct mx_load *ret_z, bool *ret_inf)
{
        const struct mes_model *mm = &s->mm;

        for (size_t p = 0; p < mm->m; p++)
                if (s->avail[p] && s->e->projects[p].cost > s->left)
                        s->avail[p] = false; /* the money left only shrinks */
        s->n_tied = 0;
        if (!s->w_unsupported)
                round_finite(s, ret_z);
        *ret_inf = !s->n_tied;
        if (*ret_inf) /* infinite z all round: every candidate ties */
                for (uint32_t p = 0; p < mm->m; p++)
                        if (s->avail[p])
                                s->tied[s->n_tied++] = p;
        for (size_t i = 1; i < s->n_tied; i++)
                for (size_t k = i; k > 0 && mm->rank[s->tied[k - 1]] > mm->rank[s->tied[k]]; k--) {
                        uint32_t t = s->tied[k];
                        s->tied[k] = s->tied[k - 1];
                        s->tied[k - 1] = t;
                }
        return s->n_tied > 0;
}

/* W gains j: its flow, the voters it covers, its cost. */
static void fund(struct mm_state *s, uint32_t j, struct mx_load z, bool inf)
{
        const struct mes_model *mm = &s->mm;

        s->avail[j] = false;
        s->left -= s->e->projects[j].cost;
        if (inf) {
                s->w_unsupported = true;
                return;
        }
        mx_flow_add(&s->flow, j, z);
        s->zw = z;
        grow_sets(s, j);
        for (size_t k = mm->sup_start[j]; s->overlap && k < mm->sup_start[j + 1]; k++) {
                const struct mx_voter *vo = &s->flow.voter[mm->sup_voter[k]];
                for (uint32_t i = vo->start; i < vo->start + vo->deg; i++)
                        s->overlap[(size_t)s->flow.adj[i].q * mm->m + s->flow.n_w - 1] += vo->weight;
        }
        s->w_cost += s->e->projects[j].cost;
        for (size_t k = mm->sup_start[j]; k < mm->sup_start[j + 1]; k++)
                if (!s->covered[mm->sup_voter[k]]) {
                        s->covered[mm->sup_voter[k]] = true;
                        s->w_ballots += mm->weight[mm->sup_voter[k]];
                }
}

/* Every project's votes, score and (until funded) reason. */
static pb_err report_projects(const struct mm_state *s, struct pb_result *res)
{
        const struct pb_election *e = s->e;
        pb_i128 *score = pb_calloc(e->n_projects ? e->n_projects : 1, sizeof(*score));
        pb_err r = score ? pb_tally_count(e, res->score, NULL, score) : PB_ERR_NOMEM;

        for (size_t p = 0; r == PB_OK && p < e->n_projects; p++) {
                res->projects[p].votes = s->mm.votes[p];
                res->projects[p].score = score[p];
                res->projects[p].reason = e->projects[p].withdrawn ? PB_REASON_WITHDRAWN : PB_REASON_NO_MONEY;
        }
        pb_free(score);
        return r;
}

/* Ties are decisive when a tied project ended unfunded; the final max load. */
static pb_err report_end(const struct mm_state *s, struct pb_result *res)
{
        char buf[PB_MEASURE_MAX];

        for (size_t i = 0; i < res->n_ties; i++) {
                bool d = false;
                for (uint32_t k = 0; k < res->ties[i].n; k++)
                        d |= res->projects[res->ties[i].tied[k]].reason != PB_REASON_SELECTED;
                res->ties[i].decisive = d;
        }
        if (!s->flow.n_w)
                return PB_OK;
        pb_fraction_format(s->zw.num, s->zw.den, buf, sizeof(buf));
        return pb_result_add_detail(res, "max_load", buf);
}

pb_err pb_tally_maximin(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                        struct pb_diag *reterr)
{
        struct mm_state s;
        pb_err r = state_init(&s, e, rule, reterr);

        if (r == PB_OK)
                r = report_projects(&s, res);
        while (r == PB_OK) {
                struct mx_load z = { 0, 1 };
                char measure[PB_MEASURE_MAX];
                bool inf;
                uint32_t j;

                if (!select_round(&s, &z, &inf))
                        break;
                j = s.tied[0];
                if (inf)
                        memcpy(measure, "inf", 4);
                else
                        pb_fraction_format(z.num, z.den, measure, sizeof(measure));
                r = pb_result_select(res, e, j, s.mm.votes[j], measure);
                if (r == PB_OK && s.n_tied > 1)
                        r = pb_result_add_tie(res, (uint32_t)res->n_steps, s.tied, (uint32_t)s.n_tied, false,
                                              "max load");
                fund(&s, j, z, inf);
        }
        if (r == PB_OK)
                r = report_end(&s, res);
        state_release(&s);
        return r;
}
