/** @file The count state Scottish and Meek STV share (engine/ranked_stv.h). */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_stv.h"

pb_err stv_count_init(struct stv_count *s, const struct pb_ranked_contest *c, const uint32_t *tie_order,
                      unsigned scale, struct pb_diag *reterr)
{
        pb_err r;

        memset(s, 0, sizeof(*s));
        pb_ranked_outcome_init(&s->o);
        if (!c->seats || !c->n_cand)
                return pb_diag_set(reterr, PB_ERR_INVALID, "seats", "no seats or no candidates");
        s->c = c;
        s->n = c->n_cand;
        s->seats = c->seats;
        s->one = pb_rk_pow10(scale);
        s->reterr = reterr;
        s->st = pb_calloc(s->n, 1);
        s->vote = pb_calloc(s->n, sizeof(int64_t));
        s->tie_rank = pb_calloc(s->n, sizeof(uint32_t));
        r = PB_ERR_NOMEM;
        if (!s->st || !s->vote || !s->tie_rank)
                goto fail;
        for (size_t i = 0; i < s->n; i++) {
                s->st[i] = c->cand[i].excluded ? STV_WITHDRAWN : STV_HOPEFUL;
                s->tie_rank[tie_order ? tie_order[i] : i] = (uint32_t)i;
        }
        r = pb_rk_outcome_add_pass(&s->o, c->n_cand, scale, &s->res);
        if (r < 0)
                goto fail;
        s->res->seats = c->seats;
        s->res->surplus_rule = true;
        return PB_OK;
fail:
        stv_count_release(s);
        return r;
}

void stv_count_release(struct stv_count *s)
{
        pb_free(s->st);
        pb_free(s->vote);
        pb_free(s->tie_rank);
        pb_ranked_outcome_release(&s->o);
        memset(s, 0, sizeof(*s));
        pb_ranked_outcome_init(&s->o);
}

pb_err stv_count_finish(struct stv_count *s, struct pb_ranked_outcome *ret)
{
        pb_err r = pb_rk_outcome_collect(&s->o);

        if (r < 0)
                return r;
        *ret = s->o;
        pb_ranked_outcome_init(&s->o);
        s->res = NULL;
        return PB_OK;
}

size_t stv_hopefuls(const struct stv_count *s)
{
        size_t k = 0;

        for (size_t i = 0; i < s->n; i++)
                k += s->st[i] == STV_HOPEFUL;
        return k;
}

unsigned stv_open_seats(const struct stv_count *s)
{
        return s->seats > s->n_elected ? s->seats - s->n_elected : 0;
}

struct pb_ranked_round *stv_round(struct stv_count *s)
{
        return &s->res->rounds[s->res->n_rounds - 1];
}

pb_err stv_elect(struct stv_count *s, uint32_t cand)
{
        pb_err r;

        s->st[cand] = STV_ELECTED;
        s->n_elected++;
        r = pb_rk_decision_add(stv_round(s), s->n, cand, true);
        return r < 0 ? r : pb_rk_winner_add(s->res, cand);
}

pb_err stv_check_marks(const struct stv_count *s, const struct pb_ranked_ballot *b, const char *overvote_why,
                       const char *equal_why, bool *ret_equal)
{
        const uint16_t *t = s->c->tokens + b->off;

        for (size_t k = 0; k < b->len; k++) {
                if (t[k] == PB_RANKED_OVERVOTE)
                        return pb_diag_set(s->reterr, PB_ERR_UNSUPPORTED, "ballots", overvote_why);
                if (k + 2 < b->len && (t[k] & PB_RANKED_RANK_FLAG) && !(t[k + 2] & PB_RANKED_RANK_FLAG)) {
                        if (equal_why)
                                return pb_diag_set(s->reterr, PB_ERR_UNSUPPORTED, "ballots", equal_why);
                        *ret_equal = true;
                }
        }
        return PB_OK;
}
