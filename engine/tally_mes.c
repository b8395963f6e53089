/**
 * @file The Method of Equal Shares as a counting rule: the run (engine/mes.c), the completions
 * that raise the per-voter budget (pabulib's add1, pabutools' two variants), the utilitarian
 * greedy completion, the comparison with greedy, and the explanation in the result
 * (reference/pabulib.md §1.5, §3.3; docs/rules.md (proportional rules)).
 *
 * The Add1 search itself is engine/mes_add1.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_money.h"
#include "engine/tally_int.h"

/* A final selection in the order it was made, with what explains it. */
struct pick {
        uint32_t project;
        int64_t supporters;
        char measure[PB_MEASURE_MAX];
};

struct outcome {
        struct pick *picks; /* m entries */
        size_t n;
        bool *funded; /* m */
        int64_t spent;
        bool greedy_filled; /* some projects were considered by greedy (completion or comparison) */
};

static pb_err outcome_add(struct outcome *o, const struct pb_election *e, uint32_t p, int64_t supporters,
                          const char *measure)
{
        struct pick *pk = &o->picks[o->n++];
        size_t len = strlen(measure);

        PB_ASSERT(!o->funded[p] && len < sizeof(pk->measure));
        pk->project = p;
        pk->supporters = supporters;
        memcpy(pk->measure, measure, len + 1);
        o->funded[p] = true;
        return pb_add_i64(o->spent, e->projects[p].cost, &o->spent);
}

/* Projects in greedy order: most votes first, ties by @rank. */
struct gentry {
        uint32_t p;
        uint32_t rank;
        int64_t votes;
};

static int cmp_gentry(const void *pa, const void *pb)
{
        const struct gentry *a = pa, *b = pb;
        if (a->votes != b->votes)
                return a->votes > b->votes ? -1 : 1;
        return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/*
 * Greedy by votes (pabutools' greedy_utilitarian_welfare with Cost_Sat, pabulib's utilitarian
 * completion): each project not yet funded, most votes first, funded when it fits what is left.
 * Projects nobody voted for are considered too (both references do); withdrawn ones never.
 * Ties among projects with equal votes where the order decided something are recorded.
 */
static pb_err greedy_fill(const struct pb_election *e, const int64_t *votes, const uint32_t *rank,
                          struct outcome *o, struct pb_result *ties_to)
{
        const size_t m = e->n_projects;
        struct gentry *v = pb_calloc(m ? m : 1, sizeof(*v));
        uint32_t *tied = pb_calloc(m ? m : 1, sizeof(*tied));
        bool *mine = pb_calloc(m ? m : 1, sizeof(*mine));
        size_t k = 0;
        pb_err r = PB_OK;

        if (!v || !tied || !mine) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t p = 0; p < m; p++) {
                if (o->funded[p] || e->projects[p].withdrawn)
                        continue;
                v[k].p = (uint32_t)p;
                v[k].rank = rank[p];
                v[k].votes = votes[p];
                k++;
        }
        qsort(v, k, sizeof(*v), cmp_gentry);
        o->greedy_filled = true;
        for (size_t i = 0; i < k && r == PB_OK; i++) {
                char measure[24];
                if (e->projects[v[i].p].cost > e->budget - o->spent)
                        continue;
                pb_i128_format(v[i].votes, measure, sizeof(measure));
                r = outcome_add(o, e, v[i].p, v[i].votes, measure);
                mine[v[i].p] = true;
        }
        /* ties: runs of equal votes holding a project greedy funded; decided at its first such step */
        for (size_t i = 0, j; r == PB_OK && ties_to && i < k; i = j) {
                uint32_t nt = 0, step = 0;
                bool in = false, outp = false;
                for (j = i; j < k && v[j].votes == v[i].votes; j++) {
                        tied[nt++] = v[j].p;
                        in |= mine[v[j].p];
                        outp |= !mine[v[j].p];
                }
                if (nt < 2 || !in)
                        continue;
                for (size_t s = 0; s < o->n && !step; s++)
                        for (uint32_t t = 0; t < nt; t++)
                                if (o->picks[s].project == tied[t])
                                        step = (uint32_t)s + 1;
                r = pb_result_add_tie(ties_to, step, tied, nt, outp, "votes");
        }
out:
        pb_free(v);
        pb_free(tied);
        pb_free(mine);
        return r;
}

/* The voters' satisfaction (approved funded projects) under @a and @b: who strictly prefers which. */
static void compare_outcomes(const struct pb_election *e, const bool *a, const bool *b, int64_t *ret_a,
                             int64_t *ret_b)
{
        const struct pb_ballots *bl = &e->ballots;
        int64_t pa = 0, pb = 0;

        for (size_t i = 0; i < bl->n; i++) {
                int64_t sa = 0, sb = 0;
                for (size_t k = bl->start[i]; k < bl->start[i + 1]; k++) {
                        sa += a[bl->item[k]];
                        sb += b[bl->item[k]];
                }
                pa += sa > sb;
                pb += sb > sa;
        }
        *ret_a = pa;
        *ret_b = pb;
}

static pb_err detail_u64(struct pb_result *res, const char *key, uint64_t v)
{
        char buf[32];
        pb_i128_format((pb_i128)v, buf, sizeof(buf));
        return pb_result_add_detail(res, key, buf);
}

/* One count by equal shares: the model, the run reported, the outcomes compared, the figures. */
struct mes_tally {
        const struct pb_election *e; /* borrowed */
        const struct pb_rule *rule;  /* borrowed */
        struct mes_model mm;
        struct mes_work w;
        struct mes_run run; /* the equal-shares run reported */
        struct pb_rat beta; /* its per-voter budget */
        struct outcome mes; /* equal shares, then its utilitarian completion */
        struct outcome greedy, tmp;
        const struct outcome *chosen;
        struct mes_add1_stats st;
        uint32_t *grank; /* tie-break order of the greedy parts */
        pb_i128 *score;
        bool *dropped; /* funded by the outcome the comparison did not choose */
        int64_t prefer_mes, prefer_greedy, mes_spent;
};

static pb_err outcome_alloc(struct outcome *o, size_t m)
{
        o->picks = pb_calloc(m, sizeof(*o->picks));
        o->funded = pb_calloc(m, sizeof(*o->funded));
        return o->picks && o->funded ? PB_OK : PB_ERR_NOMEM;
}

static void outcome_release(struct outcome *o)
{
        pb_free(o->picks);
        pb_free(o->funded);
}

static void mes_tally_release(struct mes_tally *t)
{
        mes_model_release(&t->mm);
        mes_work_release(&t->w);
        mes_run_release(&t->run);
        pb_rat_release(&t->beta);
        outcome_release(&t->mes);
        outcome_release(&t->greedy);
        outcome_release(&t->tmp);
        pb_free(t->grank);
        pb_free(t->score);
        pb_free(t->dropped);
}

/* The model, the work areas, and the greedy parts' tie-break order. */
static pb_err mes_tally_init(struct mes_tally *t, const struct pb_election *e, const struct pb_rule *rule,
                             struct pb_diag *reterr)
{
        const size_t m = e->n_projects;
        struct pb_rule grule = *rule;
        pb_err r;

        memset(t, 0, sizeof(*t));
        t->e = e;
        t->rule = rule;
        t->chosen = &t->mes;
        mes_work_init(&t->w);
        mes_run_init(&t->run);
        pb_rat_init(&t->beta);
        r = mes_model_build(&t->mm, e, rule, reterr);
        if (r < 0)
                return r;
        t->grank = pb_calloc(m, sizeof(*t->grank));
        t->score = pb_calloc(m, sizeof(*t->score));
        t->dropped = pb_calloc(m, sizeof(*t->dropped));
        if (!t->grank || !t->score || !t->dropped || outcome_alloc(&t->mes, m) < 0 ||
            outcome_alloc(&t->greedy, m) < 0 || outcome_alloc(&t->tmp, m) < 0)
                return PB_ERR_NOMEM;
        /* Greedy parts (utilitarian completion, comparison) break ties as the rule does, except
         * under cost-then-votes: that is pabulib's checker, whose greedy keeps file order. */
        if (grule.tie_break == PB_TIE_COST_THEN_VOTES)
                grule.tie_break = PB_TIE_FILE_ORDER;
        return pb_tie_ranks(e, &grule, t->mm.votes, t->grank);
}

/* 1. Equal shares at B/n, or with its completion; its picks into t->mes. */
static pb_err run_equal_shares(struct mes_tally *t, struct pb_diag *reterr)
{
        pb_err r;

        if (t->mm.n == 0) {
                /* no voters: nobody has a budget, nothing is funded by equal shares */
                r = pb_rat_set_u64(&t->beta, 0, 1);
                if (r == PB_OK)
                        r = mes_run(&t->w, &t->mm, &t->beta, NULL, &t->run);
        } else if (t->rule->completion == PB_COMPLETE_NONE) {
                r = pb_rat_set_u64(&t->beta, (uint64_t)t->e->budget, t->mm.n);
                if (r == PB_OK)
                        r = mes_run(&t->w, &t->mm, &t->beta, NULL, &t->run);
                t->st.runs = 1;
        } else {
                r = mes_add1(&t->w, &t->mm, t->rule->completion, false, &t->run, &t->beta, &t->st);
        }
        if (r == PB_ERR_OVERFLOW)
                return pb_diag_set(reterr, r, "rule", "exact arithmetic outgrew its limit");
        for (size_t i = 0; r == PB_OK && i < t->run.n_picks; i++) {
                const struct mes_pick *pk = &t->run.picks[i];
                char measure[PB_MEASURE_MAX];
                r = pb_rat_format(t->mm.uniform[pk->project] ? &pk->price : &pk->rho, measure,
                                  sizeof(measure));
                if (r == PB_OK)
                        r = outcome_add(&t->mes, t->e, pk->project, pk->payers, measure);
        }
        t->mes_spent = t->mes.spent;
        return r;
}

/* 2. The utilitarian completion (greedy by votes with what is left); 3. the comparison with plain
 * greedy (Wieliczka): greedy only if more voters prefer it. */
static pb_err complete_and_compare(struct mes_tally *t)
{
        pb_err r = PB_OK;

        if (t->rule->utilitarian_completion)
                r = greedy_fill(t->e, t->mm.votes, t->grank, &t->mes, NULL);
        if (r < 0 || !t->rule->comparison)
                return r;
        r = greedy_fill(t->e, t->mm.votes, t->grank, &t->greedy, NULL);
        if (r < 0)
                return r;
        compare_outcomes(t->e, t->mes.funded, t->greedy.funded, &t->prefer_mes, &t->prefer_greedy);
        if (t->prefer_greedy > t->prefer_mes)
                t->chosen = &t->greedy;
        for (size_t p = 0; p < t->e->n_projects; p++)
                t->dropped[p] =
                        (t->chosen == &t->mes ? t->greedy.funded : t->mes.funded)[p] && !t->chosen->funded[p];
        return PB_OK;
}

/* Why a project of the chosen outcome was not funded. */
static enum pb_reason unfunded_reason(const struct mes_tally *t, size_t p)
{
        if (t->e->projects[p].withdrawn)
                return PB_REASON_WITHDRAWN;
        if (t->dropped[p])
                return PB_REASON_COMPARISON;
        if (t->chosen->greedy_filled)
                return PB_REASON_NO_MONEY; /* greedy reached it with too little money left */
        if (t->mm.role[p] == MES_ROLE_NONE)
                return PB_REASON_NO_SUPPORT;
        return PB_REASON_UNAFFORDABLE;
}

/* 4. The result: every project's votes, score and reason, the picks, and every tie. */
static pb_err report_outcome(struct mes_tally *t, struct pb_result *res, struct pb_diag *reterr)
{
        const struct pb_election *e = t->e;
        const struct outcome *chosen = t->chosen;
        pb_err r = pb_tally_count(e, res->score, NULL, t->score);

        if (r < 0)
                return pb_diag_set(reterr, r, "score", "a project's score does not fit in 64 bits");
        for (size_t p = 0; p < e->n_projects; p++) {
                res->projects[p].votes = t->mm.votes[p];
                res->projects[p].score = t->score[p];
                res->projects[p].reason = unfunded_reason(t, p);
        }
        for (size_t i = 0; r == PB_OK && i < chosen->n; i++)
                r = pb_result_select(res, e, chosen->picks[i].project, chosen->picks[i].supporters,
                                     chosen->picks[i].measure);
        /* every tie among equal rho, in the run that is reported */
        for (size_t i = 0; r == PB_OK && chosen == &t->mes && i < t->run.n_picks; i++) {
                const struct mes_pick *pk = &t->run.picks[i];
                bool decisive = false;
                if (!pk->tie_n)
                        continue;
                for (uint32_t k = 0; k < pk->tie_n; k++)
                        decisive |= !chosen->funded[t->run.tie_items[pk->tie_at + k]];
                r = pb_result_add_tie(res, (uint32_t)i + 1, t->run.tie_items + pk->tie_at, pk->tie_n,
                                      decisive, "rho");
        }
        if (r < 0 || !chosen->greedy_filled)
                return r;
        /* replay the greedy part once more, now recording its ties (same picks, same order) */
        for (size_t i = 0; r == PB_OK && chosen == &t->mes && i < t->run.n_picks; i++)
                r = outcome_add(&t->tmp, e, t->run.picks[i].project, 0, "");
        if (r == PB_OK)
                r = greedy_fill(e, t->mm.votes, t->grank, &t->tmp, res);
        if (r == PB_OK)
                PB_ASSERT(t->tmp.n == chosen->n && t->tmp.spent == chosen->spent);
        return r;
}

/* 5. The explanation's figures: the per-voter budget, how the completion was computed, the
 * comparison's counts. */
static pb_err report_details(const struct mes_tally *t, struct pb_result *res)
{
        const struct pb_rule *rule = t->rule;
        char buf[160];
        pb_err r = pb_rat_format(&t->beta, buf, PB_MEASURE_MAX);

        if (r == PB_OK)
                r = pb_result_add_detail(res, "voter_budget", buf);
        if (r == PB_OK && rule->completion != PB_COMPLETE_NONE)
                r = detail_u64(res, "add1_steps", t->st.final_k);
        if (r == PB_OK && (rule->utilitarian_completion || rule->comparison))
                r = detail_u64(res, "mes_spent", (uint64_t)t->mes_spent);
        if (r == PB_OK && rule->comparison) {
                r = pb_result_add_detail(res, "comparison", t->chosen == &t->mes ? "equal shares" : "greedy");
                if (r == PB_OK)
                        r = detail_u64(res, "prefer_equal_shares", (uint64_t)t->prefer_mes);
                if (r == PB_OK)
                        r = detail_u64(res, "prefer_greedy", (uint64_t)t->prefer_greedy);
        }
        return r;
}

/*
 * 6. Why each project its supporters could not pay for was not funded: what they had left at the
 * end of the run reported.  The reported run may be incremental (Add1), whose voter moves are
 * deferred: the same budget is run once more in full (same picks, the outcome does not depend on
 * how it was computed) and the supporters' budgets are summed there.
 */
static pb_err report_left(struct mes_tally *t, struct pb_result *res)
{
        struct mes_run full;
        struct pb_rat left;
        bool any = false;
        pb_err r = PB_OK;

        for (size_t p = 0; p < t->e->n_projects; p++)
                any |= res->projects[p].reason == PB_REASON_UNAFFORDABLE;
        if (!any || t->mm.n == 0)
                return PB_OK;
        mes_run_init(&full);
        pb_rat_init(&left);
        r = mes_run(&t->w, &t->mm, &t->beta, NULL, &full);
        if (r == PB_OK)
                PB_ASSERT(full.n_picks == t->run.n_picks);
        for (size_t p = 0; r == PB_OK && p < t->e->n_projects; p++) {
                if (res->projects[p].reason != PB_REASON_UNAFFORDABLE)
                        continue;
                r = mes_supporters_left(&t->w, (uint32_t)p, &left);
                if (r == PB_OK)
                        r = pb_rat_format(&left, res->projects[p].supporters_left,
                                          sizeof(res->projects[p].supporters_left));
        }
        pb_rat_release(&left);
        mes_run_release(&full);
        return r;
}

pb_err pb_tally_mes(const struct pb_election *e, const struct pb_rule *rule, struct pb_result *res,
                    struct pb_diag *reterr)
{
        struct mes_tally t;
        pb_err r = mes_tally_init(&t, e, rule, reterr);

        if (r == PB_OK)
                r = run_equal_shares(&t, reterr);
        if (r == PB_OK)
                r = complete_and_compare(&t);
        if (r == PB_OK)
                r = report_outcome(&t, res, reterr);
        if (r == PB_OK)
                r = report_details(&t, res);
        if (r == PB_OK)
                r = report_left(&t, res);
        if (r == PB_ERR_OVERFLOW)
                r = pb_diag_set(reterr, r, "rule", "exact arithmetic outgrew its limit");
        mes_tally_release(&t);
        return r;
}
