/** @file Results of ranked counts: building them, freeing them, and fixed-point text. */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_int.h"

int64_t pb_rk_pow10(unsigned e)
{
        int64_t p = 1;

        PB_ASSERT(e <= 18);
        while (e--)
                p *= 10;
        return p;
}

pb_err pb_rk_muldiv(int64_t a, int64_t b, int64_t d, int64_t *ret)
{
        pb_i128 q;

        PB_ASSERT(d != 0);
        q = (pb_i128)a * b / d; /* C division truncates toward zero */
        if (q > INT64_MAX || q < INT64_MIN)
                return PB_ERR_OVERFLOW;
        *ret = (int64_t)q;
        return PB_OK;
}

void pb_ranked_outcome_init(struct pb_ranked_outcome *o)
{
        memset(o, 0, sizeof(*o));
}

void pb_rk_result_release(struct pb_ranked_result *r)
{
        size_t i, j;
        unsigned k;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                for (i = 0; i < r->n_slices[k]; i++)
                        pb_rk_result_release(&r->slices[k][i]);
                pb_free(r->slices[k]);
        }
        for (i = 0; i < r->n_rounds; i++) {
                struct pb_ranked_round *rd = &r->rounds[i];
                pb_free(rd->tally);
                pb_free(rd->present);
                for (j = 0; j < rd->n_dec; j++)
                        pb_free(rd->dec[j].transfers);
                pb_free(rd->dec);
        }
        pb_free(r->rounds);
        pb_free(r->winners);
        pb_free(r->ties);
        memset(r, 0, sizeof(*r));
}

void pb_ranked_outcome_release(struct pb_ranked_outcome *o)
{
        size_t i;

        if (!o)
                return;
        for (i = 0; i < o->n_passes; i++)
                pb_rk_result_release(&o->passes[i]);
        pb_free(o->passes);
        pb_free(o->winners);
        memset(o, 0, sizeof(*o));
}

pb_err pb_rk_outcome_add_pass(struct pb_ranked_outcome *o, size_t n_cand, unsigned scale,
                              struct pb_ranked_result **ret)
{
        struct pb_ranked_result *p = pb_grow(o->passes, &o->cap_passes, o->n_passes + 1, sizeof(*p), 2);

        if (!p)
                return PB_ERR_NOMEM;
        o->passes = p;
        p = &o->passes[o->n_passes++];
        memset(p, 0, sizeof(*p));
        p->n_cand = n_cand;
        p->scale = scale;
        *ret = p;
        return PB_OK;
}

pb_err pb_rk_outcome_collect(struct pb_ranked_outcome *o)
{
        size_t i, n = 0;
        uint32_t *w;

        for (i = 0; i < o->n_passes; i++)
                n += o->passes[i].n_winners;
        w = pb_calloc(n, sizeof(*w));
        if (!w)
                return PB_ERR_NOMEM;
        n = 0;
        for (i = 0; i < o->n_passes; i++) {
                if (o->passes[i].n_winners)
                        memcpy(w + n, o->passes[i].winners, o->passes[i].n_winners * sizeof(*w));
                n += o->passes[i].n_winners;
        }
        pb_free(o->winners);
        o->winners = w;
        o->n_winners = n;
        return PB_OK;
}

pb_err pb_rk_round_add(struct pb_ranked_result *r, struct pb_ranked_round **ret)
{
        struct pb_ranked_round *rd;

        rd = pb_grow(r->rounds, &r->cap_rounds, r->n_rounds + 1, sizeof(*rd), 16);
        if (!rd)
                return PB_ERR_NOMEM;
        r->rounds = rd;
        rd = &r->rounds[r->n_rounds];
        memset(rd, 0, sizeof(*rd));
        rd->tally = pb_calloc(r->n_cand, sizeof(*rd->tally));
        rd->present = pb_calloc(r->n_cand, sizeof(*rd->present));
        if (!rd->tally || !rd->present) {
                pb_free(rd->tally);
                pb_free(rd->present);
                return PB_ERR_NOMEM;
        }
        r->n_rounds++;
        *ret = rd;
        return PB_OK;
}

pb_err pb_rk_decision_add(struct pb_ranked_round *rd, size_t n_cand, uint32_t cand, bool elected)
{
        struct pb_ranked_decision *d = pb_grow(rd->dec, &rd->cap_dec, rd->n_dec + 1, sizeof(*d), 4);

        if (!d)
                return PB_ERR_NOMEM;
        rd->dec = d;
        d = &rd->dec[rd->n_dec];
        d->transfers = pb_calloc(n_cand + PB_RANKED_TARGETS_EXTRA, sizeof(*d->transfers));
        if (!d->transfers)
                return PB_ERR_NOMEM;
        d->cand = cand;
        d->elected = elected;
        d->surplus_only = false;
        rd->n_dec++;
        return PB_OK;
}

struct pb_ranked_decision *pb_rk_decision_find(struct pb_ranked_round *rd, uint32_t cand)
{
        size_t i;

        for (i = 0; i < rd->n_dec; i++)
                if (rd->dec[i].cand == cand)
                        return &rd->dec[i];
        return NULL;
}

pb_err pb_rk_winner_add(struct pb_ranked_result *r, uint32_t cand)
{
        uint32_t *w = pb_grow(r->winners, &r->cap_winners, r->n_winners + 1, sizeof(*w), 8);

        if (!w)
                return PB_ERR_NOMEM;
        r->winners = w;
        w[r->n_winners++] = cand;
        return PB_OK;
}

pb_err pb_rk_tie_add(struct pb_ranked_result *r, unsigned round, bool for_winner, uint32_t chosen,
                     uint32_t n_tied, const char *method)
{
        struct pb_ranked_tie *t = pb_grow(r->ties, &r->cap_ties, r->n_ties + 1, sizeof(*t), 8);

        if (!t)
                return PB_ERR_NOMEM;
        r->ties = t;
        t = &r->ties[r->n_ties++];
        t->round = round;
        t->for_winner = for_winner;
        t->chosen = chosen;
        t->n_tied = n_tied;
        t->method = method;
        return PB_OK;
}

char *pb_ranked_format_value(int64_t v, unsigned scale, char buf[PB_RANKED_VALUE_STR_MAX])
{
        char tmp[PB_RANKED_VALUE_STR_MAX];
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        size_t n = 0, o = 0;
        unsigned i, frac_digits;

        PB_ASSERT(scale <= 18);
        /* digits in reverse, at least scale + 1 of them */
        do {
                tmp[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u || n <= scale);
        /* drop trailing fractional zeros */
        frac_digits = scale;
        i = 0;
        while (frac_digits && tmp[i] == '0') {
                i++;
                frac_digits--;
        }
        if (v < 0)
                buf[o++] = '-';
        while (n > i) {
                if (n - i == frac_digits && frac_digits)
                        buf[o++] = '.';
                buf[o++] = tmp[--n];
        }
        /* fix the case where the integer part was emitted before the dot (n counts all digits) */
        buf[o] = '\0';
        return buf;
}

pb_err pb_ranked_parse_value(const char *s, size_t len, unsigned scale, bool truncate, int64_t *ret,
                             struct pb_diag *reterr)
{
        size_t i = 0;
        bool neg = false, digits = false;
        int64_t v = 0;
        unsigned frac = 0;

        PB_ASSERT(scale <= 18);
        if (i < len && s[i] == '-') {
                neg = true;
                i++;
        }
        for (; i < len && s[i] != '.'; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return pb_diag_set(reterr, PB_ERR_PARSE, NULL, "not a decimal number");
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
                digits = true;
        }
        if (i < len) {
                for (i++; i < len; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return pb_diag_set(reterr, PB_ERR_PARSE, NULL, "not a decimal number");
                        digits = true;
                        if (frac == scale) {
                                if (s[i] != '0' && !truncate)
                                        return pb_diag_set(reterr, PB_ERR_INVALID, NULL,
                                                           "more decimal places than allowed");
                                continue;
                        }
                        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
                                return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
                        frac++;
                }
        }
        if (!digits)
                return pb_diag_set(reterr, PB_ERR_PARSE, NULL, "not a decimal number");
        for (; frac < scale; frac++)
                if (__builtin_mul_overflow(v, 10, &v))
                        return pb_diag_set(reterr, PB_ERR_OVERFLOW, NULL, "number too large");
        *ret = neg ? -v : v;
        return PB_OK;
}
