/**
 * @file Sequential Phragmén (pabutools' sequential_phragmen; docs/rules.md (proportional rules)).
 *
 * Voters carry loads, all 0 at first.  Funding project p, approved by k_p voters whose loads
 * sum to s_p, sets each of its supporters' load to (s_p + cost_p) / k_p: the new max load.
 * Each round funds the project with the smallest new max load (ties by the tie-break order),
 * and the rule STOPS at the first round in which one of the projects with the smallest new max
 * load does not fit the money left (pabutools' stopping rule: it is not exhaustive).  Projects
 * costing more than the budget are never considered; a project nobody approves has load
 * infinity, so such projects only come last, while all of them still fit.
 *
 * Exactness.  All supporters of a funded project get the same load, so a voter's load is one of
 * the levels l_1 <= l_2 <= ... created by the rounds so far.  Levels are kept as numerators over
 * one common denominator D (big integers); a project's new max load is (sum over levels of
 * count x level + cost D) / (D k_p), compared by cross-multiplication.
 */
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_bigint.h"
#include "engine/tally_int.h"

struct ph_state {
        const struct pb_election *e; /* borrowed */
        struct mes_model mm;         /* supporters (identical ballots merged), votes, tie-break ranks */
        uint32_t *lev;               /* per distinct voter: level index, 0 = load 0 */
        struct pb_big *L;            /* m + 1 level numerators over D; L[0] = 0 */
        size_t n_lev;
        struct pb_big D;
        uint64_t *cnt; /* scratch: weighted voters per level */
        uint32_t *touched;
        struct pb_big *A; /* per project this round: numerator of the new max load */
        bool *alive;      /* still a candidate */
        size_t remaining; /* candidates alive */
        uint32_t *tied;   /* this round: the projects with the smallest new max load, in tie order */
        size_t n_tied;
        struct pb_rat load; /* the last funded project's load */
        int64_t spent;
        struct pb_big t1, t2;
};

/* A_p = sum over p's supporters of their loads (over D) + cost_p D. */
static pb_err new_load(struct ph_state *s, uint32_t p)
{
        const struct mes_model *mm = &s->mm;
        size_t nt = 0;
        pb_err r;

        for (size_t k = mm->sup_start[p]; k < mm->sup_start[p + 1]; k++) {
                uint32_t v = mm->sup_voter[k], l = s->lev[v];
                if (l && !s->cnt[l])
                        s->touched[nt++] = l;
                if (l)
                        s->cnt[l] += mm->weight[v];
        }
        r = pb_big_mul_u64(&s->A[p], &s->D, (uint64_t)s->e->projects[p].cost);
        for (size_t i = 0; i < nt; i++) {
                uint32_t l = s->touched[i];
                if (r == PB_OK)
                        r = pb_big_addmul_u64(&s->A[p], &s->L[l], s->cnt[l]);
                s->cnt[l] = 0;
        }
        return r;
}

/* A_a / k_a vs A_b / k_b, with k = 0 meaning infinity. */
static pb_err cmp_loads(const struct ph_state *s, uint32_t a, uint32_t b, struct pb_big *t1,
                        struct pb_big *t2, int *ret)
{
        int64_t ka = s->mm.votes[a], kb = s->mm.votes[b];
        pb_err r;

        if (!ka || !kb) {
                *ret = (!ka) - (!kb);
                return PB_OK;
        }
        r = pb_big_mul_u64(t1, &s->A[a], (uint64_t)kb);
        if (r == PB_OK)
                r = pb_big_mul_u64(t2, &s->A[b], (uint64_t)ka);
        if (r == PB_OK)
                *ret = pb_big_cmp(t1, t2);
        return r;
}

static void ph_release(struct ph_state *s)
{
        const size_t m = s->e->n_projects;

        mes_model_release(&s->mm);
        for (size_t i = 0; s->L && i <= m; i++)
                pb_big_release(&s->L[i]);
        for (size_t p = 0; s->A && p < m; p++)
                pb_big_release(&s->A[p]);
        pb_free(s->lev);
        pb_free(s->L);
        pb_free(s->cnt);
        pb_free(s->touched);
        pb_free(s->A);
        pb_free(s->alive);
        pb_free(s->tied);
        pb_big_release(&s->D);
        pb_big_release(&s->t1);
        pb_big_release(&s->t2);
        pb_rat_release(&s->load);
}

/* The model (approval utilities), every load 0, the storage of the rounds. */
static pb_err ph_init(struct ph_state *s, const struct pb_election *e, const struct pb_rule *rule,
                      struct pb_diag *reterr)
{
        const size_t m = e->n_projects;
        struct pb_rule ar = *rule;
        pb_err r;

        memset(s, 0, sizeof(*s));
        s->e = e;
        pb_big_init(&s->D);
        pb_big_init(&s->t1);
        pb_big_init(&s->t2);
        pb_rat_init(&s->load);
        ar.utility = PB_UTIL_APPROVAL;
        r = mes_model_build(&s->mm, e, &ar, reterr);
        if (r < 0)
                return r;
        s->lev = pb_calloc(s->mm.nv, sizeof(*s->lev));
        s->L = pb_calloc(m + 1, sizeof(*s->L));
        s->cnt = pb_calloc(m + 1, sizeof(*s->cnt));
        s->touched = pb_calloc(m + 1, sizeof(*s->touched));
        s->A = pb_calloc(m, sizeof(*s->A));
        s->alive = pb_calloc(m, sizeof(*s->alive));
        s->tied = pb_calloc(m, sizeof(*s->tied));
        if (!s->lev || !s->L || !s->cnt || !s->touched || !s->A || !s->alive || !s->tied)
                return PB_ERR_NOMEM;
        for (size_t i = 0; i <= m; i++)
                pb_big_init(&s->L[i]);
        for (size_t p = 0; p < m; p++)
                pb_big_init(&s->A[p]);
        s->n_lev = 1; /* level 0: load 0 */
        return pb_big_set_u64(&s->D, 1);
}

/* Every project's votes and score; the candidates are those not withdrawn that fit the budget. */
static pb_err ph_start(struct ph_state *s, struct pb_result *res)
{
        const struct pb_election *e = s->e;
        pb_i128 *score = pb_calloc(e->n_projects, sizeof(*score));
        pb_err r = score ? pb_tally_count(e, res->score, NULL, score) : PB_ERR_NOMEM;

        for (size_t p = 0; r == PB_OK && p < e->n_projects; p++) {
                const struct pb_project *pr = &e->projects[p];
                res->projects[p].votes = s->mm.votes[p];
                res->projects[p].score = score[p];
                if (pr->withdrawn) {
                        res->projects[p].reason = PB_REASON_WITHDRAWN;
                } else if (pr->cost > e->budget) {
                        res->projects[p].reason = PB_REASON_NO_MONEY;
                } else {
                        s->alive[p] = true;
                        s->remaining++;
                }
        }
        pb_free(score);
        return r;
}

/* Every candidate's new max load; the smallest ones into s->tied, in tie-break order. */
static pb_err smallest_loads(struct ph_state *s)
{
        pb_err r;

        s->n_tied = 0;
        for (uint32_t p = 0; p < s->e->n_projects; p++) {
                int c = 0;
                if (!s->alive[p])
                        continue;
                if (s->mm.votes[p]) {
                        r = new_load(s, p);
                        if (r < 0)
                                return r;
                }
                if (s->n_tied) {
                        r = cmp_loads(s, p, s->tied[0], &s->t1, &s->t2, &c);
                        if (r < 0)
                                return r;
                        if (c > 0)
                                continue;
                        if (c < 0)
                                s->n_tied = 0;
                }
                s->tied[s->n_tied++] = p;
        }
        for (size_t i = 1; i < s->n_tied; i++)
                for (size_t k = i; k > 0 && s->mm.rank[s->tied[k - 1]] > s->mm.rank[s->tied[k]]; k--) {
                        uint32_t t = s->tied[k];
                        s->tied[k] = s->tied[k - 1];
                        s->tied[k - 1] = t;
                }
        return PB_OK;
}

/* Fund @j, approved by someone: its supporters' load becomes the new level A_j / (D k_j),
 * reduced against k_j (the common denominator grows by what is left of k_j). */
static pb_err raise_load(struct ph_state *s, uint32_t j)
{
        uint64_t k = (uint64_t)s->mm.votes[j], rem, g;
        pb_err r = pb_big_divmod_u64(NULL, &s->A[j], k, &rem);

        if (r < 0)
                return r;
        g = k;
        for (uint64_t x = rem; x;) {
                uint64_t t = g % x;
                g = x;
                x = t;
        }
        if (g > 1) {
                r = pb_big_divmod_u64(&s->A[j], &s->A[j], g, &rem);
                if (r < 0)
                        return r;
                k /= g;
        }
        for (size_t l = 1; k > 1 && l < s->n_lev; l++) {
                r = pb_big_mul_u64(&s->L[l], &s->L[l], k);
                if (r < 0)
                        return r;
        }
        if (k > 1 && (r = pb_big_mul_u64(&s->D, &s->D, k)) < 0)
                return r;
        r = pb_big_copy(&s->L[s->n_lev], &s->A[j]);
        if (r == PB_OK)
                r = pb_big_copy(&s->load.num, &s->A[j]);
        if (r == PB_OK)
                r = pb_big_copy(&s->load.den, &s->D);
        if (r < 0)
                return r;
        for (size_t q = s->mm.sup_start[j]; q < s->mm.sup_start[j + 1]; q++)
                s->lev[s->mm.sup_voter[q]] = (uint32_t)s->n_lev;
        s->n_lev++;
        return PB_OK;
}

/* Fund the first of s->tied and record it, with the tie when there is one. */
static pb_err fund(struct ph_state *s, struct pb_result *res)
{
        uint32_t j = s->tied[0];
        char measure[PB_MEASURE_MAX];
        pb_err r = PB_OK;

        if (s->mm.votes[j]) {
                r = raise_load(s, j);
                if (r == PB_OK)
                        r = pb_rat_format(&s->load, measure, sizeof(measure));
        } else {
                memcpy(measure, "inf", 4); /* nobody approves it: an infinite load */
        }
        if (r == PB_OK)
                r = pb_result_select(res, s->e, j, s->mm.votes[j], measure);
        /* decisiveness is settled at the end, when every project's fate is known */
        if (r == PB_OK && s->n_tied > 1)
                r = pb_result_add_tie(res, (uint32_t)res->n_steps, s->tied, (uint32_t)s->n_tied, true,
                                      "load");
        s->spent += s->e->projects[j].cost;
        s->alive[j] = false;
        s->remaining--;
        return r;
}

/* Reasons for the projects still in the running when the rule stopped, the ties' decisiveness,
 * and the explanation's figures. */
static pb_err ph_finish(struct ph_state *s, bool stopped, struct pb_result *res)
{
        pb_err r = PB_OK;

        for (size_t p = 0; p < s->e->n_projects; p++) {
                if (!s->alive[p] || res->projects[p].reason == PB_REASON_NO_MONEY)
                        continue;
                res->projects[p].reason = s->mm.votes[p] ? PB_REASON_STOPPED : PB_REASON_NO_SUPPORT;
        }
        /* a tie was decisive when one of its projects ended unfunded */
        for (size_t i = 0; i < res->n_ties; i++) {
                bool d = false;
                for (uint32_t k = 0; k < res->ties[i].n; k++)
                        d |= res->projects[res->ties[i].tied[k]].reason != PB_REASON_SELECTED;
                res->ties[i].decisive = d;
        }
        if (s->n_lev > 1) {
                char buf[PB_MEASURE_MAX];
                r = pb_rat_format(&s->load, buf, sizeof(buf));
                if (r == PB_OK)
                        r = pb_result_add_detail(res, "max_load", buf);
        }
        if (r == PB_OK)
                r = pb_result_add_detail(res, "stopped",
                                         stopped ? "a project with the smallest load did not fit"
                                                 : "every project considered");
        return r;
}

pb_err pb_tally_phragmen(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                         struct pb_diag *reterr)
{
        struct ph_state s;
        bool stopped = false;
        pb_err r = ph_init(&s, e, rule, reterr);

        if (r == PB_OK)
                r = ph_start(&s, res);
        while (r == PB_OK && s.remaining && !stopped) {
                r = smallest_loads(&s);
                if (r < 0)
                        break;
                /* pabutools stops as soon as any project with the smallest load does not fit */
                for (size_t i = 0; i < s.n_tied; i++)
                        if (e->projects[s.tied[i]].cost > e->budget - s.spent) {
                                stopped = true;
                                res->projects[s.tied[i]].reason = PB_REASON_NO_MONEY;
                        }
                if (!stopped)
                        r = fund(&s, res);
        }
        if (r == PB_OK)
                r = ph_finish(&s, stopped, res);
        ph_release(&s);
        return r;
}
