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
        struct mes_model mm; /* supporters (identical ballots merged), votes, tie-break ranks */
        uint32_t *lev;       /* per distinct voter: level index, 0 = load 0 */
        struct pb_big *L;    /* level numerators over D; L[0] = 0 */
        size_t n_lev;
        struct pb_big D;
        uint64_t *cnt; /* scratch: weighted voters per level */
        uint32_t *touched;
        struct pb_big *A; /* per project this round: numerator of the new max load */
        bool *alive;      /* still a candidate */
};

/* A_p = sum over p's supporters of their loads (over D) + cost_p D. */
static pb_err new_load(struct ph_state *s, const struct pb_election *e, uint32_t p)
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
        r = pb_big_mul_u64(&s->A[p], &s->D, (uint64_t)e->projects[p].cost);
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

pb_err pb_tally_phragmen(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                         struct pb_diag *reterr)
{
        const size_t m = e->n_projects;
        struct pb_rule ar = *rule;
        struct ph_state s;
        struct pb_big t1, t2;
        struct pb_rat load;
        uint32_t *tied = NULL;
        int64_t spent = 0;
        pb_i128 *score = NULL;
        bool stopped = false;
        size_t remaining = 0;
        pb_err r;

        memset(&s, 0, sizeof(s));
        pb_big_init(&s.D);
        pb_big_init(&t1);
        pb_big_init(&t2);
        pb_rat_init(&load);
        ar.utility = PB_UTIL_APPROVAL;
        r = mes_model_build(&s.mm, e, &ar, reterr);
        if (r < 0)
                goto out_nomodel;
        s.lev = pb_calloc(s.mm.nv ? s.mm.nv : 1, sizeof(*s.lev));
        s.L = pb_calloc(m + 1, sizeof(*s.L));
        s.cnt = pb_calloc(m + 1, sizeof(*s.cnt));
        s.touched = pb_calloc(m + 1, sizeof(*s.touched));
        s.A = pb_calloc(m ? m : 1, sizeof(*s.A));
        s.alive = pb_calloc(m ? m : 1, sizeof(*s.alive));
        tied = pb_calloc(m ? m : 1, sizeof(*tied));
        score = pb_calloc(m ? m : 1, sizeof(*score));
        if (!s.lev || !s.L || !s.cnt || !s.touched || !s.A || !s.alive || !tied || !score) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t i = 0; i <= m; i++)
                pb_big_init(&s.L[i]);
        for (size_t p = 0; p < m; p++)
                pb_big_init(&s.A[p]);
        r = pb_big_set_u64(&s.D, 1);
        if (r < 0)
                goto out;
        s.n_lev = 1; /* level 0: load 0 */
        r = pb_tally_count(e, res->score, NULL, score);
        if (r < 0)
                goto out;
        for (size_t p = 0; p < m; p++) {
                const struct pb_project *pr = &e->projects[p];
                res->projects[p].votes = s.mm.votes[p];
                res->projects[p].score = score[p];
                if (pr->withdrawn) {
                        res->projects[p].reason = PB_REASON_WITHDRAWN;
                } else if (pr->cost > e->budget) {
                        res->projects[p].reason = PB_REASON_NO_MONEY;
                } else {
                        s.alive[p] = true;
                        remaining++;
                }
        }

        while (remaining && !stopped) {
                size_t nt = 0;
                uint32_t j;
                bool fits = true;

                /* every candidate's new max load, and the smallest */
                for (uint32_t p = 0; p < m; p++) {
                        int c = 0;
                        if (!s.alive[p])
                                continue;
                        if (s.mm.votes[p]) {
                                r = new_load(&s, e, p);
                                if (r < 0)
                                        goto out;
                        }
                        if (!nt) {
                                tied[nt++] = p;
                                continue;
                        }
                        r = cmp_loads(&s, p, tied[0], &t1, &t2, &c);
                        if (r < 0)
                                goto out;
                        if (c < 0)
                                nt = 0;
                        if (c <= 0)
                                tied[nt++] = p;
                }
                for (size_t i = 1; i < nt; i++)
                        for (size_t k = i; k > 0 && s.mm.rank[tied[k - 1]] > s.mm.rank[tied[k]]; k--) {
                                uint32_t t = tied[k];
                                tied[k] = tied[k - 1];
                                tied[k - 1] = t;
                        }
                /* pabutools stops as soon as any project with the smallest load does not fit */
                for (size_t i = 0; i < nt; i++)
                        if (e->projects[tied[i]].cost > e->budget - spent) {
                                fits = false;
                                res->projects[tied[i]].reason = PB_REASON_NO_MONEY;
                        }
                if (!fits) {
                        stopped = true;
                        break;
                }
                j = tied[0];
                if (s.mm.votes[j]) {
                        /* the new level: A_j / (D k_j), reduced against k_j */
                        uint64_t k = (uint64_t)s.mm.votes[j], rem, g;
                        r = pb_big_divmod_u64(NULL, &s.A[j], k, &rem);
                        if (r < 0)
                                goto out;
                        g = k;
                        for (uint64_t x = rem; x;) {
                                uint64_t t = g % x;
                                g = x;
                                x = t;
                        }
                        if (g > 1) {
                                r = pb_big_divmod_u64(&s.A[j], &s.A[j], g, &rem);
                                if (r < 0)
                                        goto out;
                                k /= g;
                        }
                        if (k > 1) {
                                for (size_t l = 1; l < s.n_lev; l++) {
                                        r = pb_big_mul_u64(&s.L[l], &s.L[l], k);
                                        if (r < 0)
                                                goto out;
                                }
                                r = pb_big_mul_u64(&s.D, &s.D, k);
                                if (r < 0)
                                        goto out;
                        }
                        r = pb_big_copy(&s.L[s.n_lev], &s.A[j]);
                        if (r == PB_OK)
                                r = pb_big_copy(&load.num, &s.A[j]);
                        if (r == PB_OK)
                                r = pb_big_copy(&load.den, &s.D);
                        if (r < 0)
                                goto out;
                        for (size_t q = s.mm.sup_start[j]; q < s.mm.sup_start[j + 1]; q++)
                                s.lev[s.mm.sup_voter[q]] = (uint32_t)s.n_lev;
                        s.n_lev++;
                }
                {
                        char measure[PB_MEASURE_MAX];
                        if (s.mm.votes[j]) {
                                r = pb_rat_format(&load, measure, sizeof(measure));
                                if (r < 0)
                                        goto out;
                        } else {
                                memcpy(measure, "inf", 4); /* nobody approves it: an infinite load */
                        }
                        r = pb_result_select(res, e, j, s.mm.votes[j], measure);
                        if (r < 0)
                                goto out;
                }
                if (nt > 1) {
                        /* decisiveness is settled at the end, when every project's fate is known */
                        r = pb_result_add_tie(res, (uint32_t)res->n_steps, tied, (uint32_t)nt, true, "load");
                        if (r < 0)
                                goto out;
                }
                spent += e->projects[j].cost;
                s.alive[j] = false;
                remaining--;
        }
        /* reasons for the rest: the rule stopped while they were still in the running */
        for (size_t p = 0; p < m; p++) {
                if (!s.alive[p] || res->projects[p].reason == PB_REASON_NO_MONEY)
                        continue;
                res->projects[p].reason = s.mm.votes[p] ? PB_REASON_STOPPED : PB_REASON_NO_SUPPORT;
        }
        /* a tie was decisive when one of its projects ended unfunded */
        for (size_t i = 0; i < res->n_ties; i++) {
                bool d = false;
                for (uint32_t k = 0; k < res->ties[i].n; k++)
                        d |= res->projects[res->ties[i].tied[k]].reason != PB_REASON_SELECTED;
                res->ties[i].decisive = d;
        }
        if (s.n_lev > 1) {
                char buf[PB_MEASURE_MAX];
                r = pb_rat_format(&load, buf, sizeof(buf));
                if (r == PB_OK)
                        r = pb_result_add_detail(res, "max_load", buf);
        }
        if (r == PB_OK)
                r = pb_result_add_detail(res, "stopped",
                                         stopped ? "a project with the smallest load did not fit"
                                                 : "every project considered");
out:
        mes_model_release(&s.mm);
out_nomodel:
        if (s.L)
                for (size_t i = 0; i <= m; i++)
                        pb_big_release(&s.L[i]);
        if (s.A)
                for (size_t p = 0; p < m; p++)
                        pb_big_release(&s.A[p]);
        pb_free(s.lev);
        pb_free(s.L);
        pb_free(s.cnt);
        pb_free(s.touched);
        pb_free(s.A);
        pb_free(s.alive);
        pb_big_release(&s.D);
        pb_big_release(&t1);
        pb_big_release(&t2);
        pb_rat_release(&load);
        pb_free(tied);
        pb_free(score);
        return r;
}
