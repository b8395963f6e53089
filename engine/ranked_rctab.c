/**
 * @file IRV and STV exactly as RCTab 2.0 counts them (BrightSpots/rcv, Tabulator.java), round for
 * round: the same ballot walk, thresholds, winner and elimination order, surplus fractions and
 * truncation, transfer bookkeeping and inactive-ballot buckets.  docs/ranked.md states the rules;
 * the comments here cite the RCTab behaviour each branch reproduces.
 */
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/ranked_int.h"

enum cstat { C_CONT = 0, C_WINNER, C_ELIM, C_EXCL };
enum ovd { OV_NONE, OV_EXHAUST, OV_SKIP };
#define B_ACTIVE 0 /* else 1 + enum pb_ranked_inactive */

struct tab {
        const struct pb_ranked_contest *c;
        struct pb_rctab_rules ru;     /* copy: multi-pass counts each seat as a single-winner count */
        struct pb_ranked_result *res; /* the pass being written */
        size_t n;                     /* candidates */
        uint8_t *st;                  /* enum cstat per candidate */
        unsigned *win_round, *elim_round;
        const bool *excluded; /* per candidate, for this pass */
        long uwi;             /* index of the undeclared write-in placeholder, or -1 */
        int32_t *recip;       /* per ballot: candidate counting it, or -1 */
        uint8_t *bst;         /* per ballot: B_ACTIVE or 1 + inactive reason */
        int64_t *value;       /* per ballot: remaining value of ONE ballot, 10^-scale */
        int64_t *alloc;       /* per candidate: value kept by a winner of the last round */
        uint16_t *maxrank;    /* per ballot: its highest rank */
        uint32_t *seen;       /* per candidate: stamp for duplicate detection */
        uint32_t stamp;
        uint32_t *perm; /* tie-break candidate order */
        size_t n_perm;
        uint32_t *tmp, *tmp2; /* scratch lists of candidates */
        struct pb_jrandom rnd;
        int64_t one; /* 10^scale */
        unsigned round;
        size_t n_winners, n_elim, n_excl;
        int64_t residual;
        int64_t active; /* value of the active ballots this round */
        struct pb_diag *reterr;
        /* tabulate by precinct / batch: per kind, the slice results (res->slices[k]) */
        size_t n_sl[PB_RANKED_SLICE_KINDS];
        struct pb_ranked_result *sl[PB_RANKED_SLICE_KINDS];
        int64_t *sl_alloc[PB_RANKED_SLICE_KINDS]; /* [slice * n + cand]: value the slice's ballots
                                                      kept with a winner of the last round */
};

static bool uses_surplus(const struct tab *t)
{
        return t->ru.seats > 1 && t->ru.mode != PB_RCTAB_BOTTOMS_UP &&
               t->ru.mode != PB_RCTAB_BOTTOMS_UP_PERCENTAGE && t->ru.mode != PB_RCTAB_MULTI_PASS;
}

/* isCandidateContinuing: a winner keeps counting with continueUntilTwoCandidatesRemain */
static bool continuing(const struct tab *t, uint32_t c)
{
        return t->st[c] == C_CONT || (t->st[c] == C_WINNER && t->ru.continue_until_two);
}

static size_t num_candidates(const struct tab *t) /* getNumCandidates(): names minus excluded */
{
        return t->n - t->n_excl;
}

static size_t num_declared(const struct tab *t) /* getNumDeclaredCandidates(): names minus UWI */
{
        return t->n - (t->uwi >= 0 ? 1 : 0);
}

static struct pb_ranked_round *cur(const struct tab *t)
{
        return &t->res->rounds[t->res->n_rounds - 1];
}

/* TallyTransfers: a move in round r is filed under the decision about its source in round r-1. */
static void transfer_in(struct pb_ranked_result *res, int32_t src, size_t target, int64_t amount)
{
        struct pb_ranked_decision *d;

        if (src < 0 || res->n_rounds < 2)
                return;
        d = pb_rk_decision_find(&res->rounds[res->n_rounds - 2], (uint32_t)src);
        if (d)
                d->transfers[target] += amount; /* bounded by the ballots' total value */
}

static void transfer(struct tab *t, int32_t src, size_t target, int64_t amount)
{
        transfer_in(t->res, src, target, amount);
}

/* ------------------------------------------------------------------------------------------ */
/* slices: RCTab's tabulate by precinct / batch follows every ballot of the contest-wide count  */
/* into the tables of its slices (Tabulator's roundTalliesBySlices, tallyTransfersBySlice)     */

/* The result of the slice of @kind that ballot @i belongs to. */
static struct pb_ranked_result *slice_of(const struct tab *t, unsigned kind, size_t i)
{
        return &t->sl[kind][t->c->ballots[i].slice[kind] - 1];
}

static struct pb_ranked_round *last_round(struct pb_ranked_result *r)
{
        return &r->rounds[r->n_rounds - 1];
}

/* A ballot's move, filed in each of its slices (never residual surplus: that is contest-wide) */
static void slice_transfer(struct tab *t, size_t i, int32_t src, size_t target, int64_t amount)
{
        unsigned k;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                if (t->n_sl[k])
                        transfer_in(slice_of(t, k, i), src, target, amount);
}

/* Ballot @i's value @amount counted for candidate @cand, or (@inactive) in bucket @cand. */
static pb_err slice_count(struct tab *t, size_t i, bool inactive, size_t cand, int64_t amount)
{
        unsigned k;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                struct pb_ranked_round *rd;

                if (!t->n_sl[k])
                        continue;
                rd = last_round(slice_of(t, k, i));
                if (pb_rk_add(inactive ? &rd->inactive[cand] : &rd->tally[cand], amount) < 0)
                        return PB_ERR_OVERFLOW;
        }
        return PB_OK;
}

/* A new round in every slice, listing the candidates the contest-wide round lists. */
static pb_err slices_round_add(struct tab *t)
{
        struct pb_ranked_round *rd;
        unsigned k;
        size_t s;
        pb_err r;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (s = 0; s < t->n_sl[k]; s++) {
                        r = pb_rk_round_add(&t->sl[k][s], &rd);
                        if (r < 0)
                                return r;
                }
        return PB_OK;
}

/* Copy what every slice shares with the contest-wide round: who is listed, the threshold. */
static void slices_sync(struct tab *t)
{
        const struct pb_ranked_round *src = cur(t);
        unsigned k;
        size_t s;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (s = 0; s < t->n_sl[k]; s++) {
                        struct pb_ranked_round *rd = last_round(&t->sl[k][s]);
                        memcpy(rd->present, src->present, t->n * sizeof(*rd->present));
                        rd->threshold = src->threshold;
                }
}

/* The contest-wide decision about @cand, recorded in every slice (transfers come later). */
static pb_err slices_decide(struct tab *t, uint32_t cand, bool elected)
{
        unsigned k;
        size_t s;
        pb_err r;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (s = 0; s < t->n_sl[k]; s++) {
                        r = pb_rk_decision_add(last_round(&t->sl[k][s]), t->n, cand, elected);
                        if (r >= 0 && elected)
                                r = pb_rk_winner_add(&t->sl[k][s], cand);
                        if (r < 0)
                                return r;
                }
        return PB_OK;
}

/* recordSelectionForCastVoteRecord */
static pb_err record(struct tab *t, size_t i, int32_t sel, unsigned status)
{
        struct pb_ranked_round *rd = cur(t);
        int64_t amount;

        if (pb_rk_mul(t->c->ballots[i].count, t->value[i], &amount) < 0)
                return PB_ERR_OVERFLOW;
        if (t->value[i] > 0) {
                size_t target = sel >= 0 ? (size_t)sel : t->n + PB_RANKED_TO_EXHAUSTED;
                transfer(t, t->recip[i], target, amount);
                slice_transfer(t, i, t->recip[i], target, amount);
        }
        t->recip[i] = sel;
        if (sel < 0)
                t->bst[i] = (uint8_t)status;
        if (status != B_ACTIVE) {
                if (pb_rk_add(&rd->inactive[status - 1], amount) < 0)
                        return PB_ERR_OVERFLOW;
                return slice_count(t, i, true, status - 1, amount);
        }
        if (pb_rk_add(&rd->tally[sel], amount) < 0 || pb_rk_add(&t->active, amount) < 0)
                return PB_ERR_OVERFLOW;
        return slice_count(t, i, false, (size_t)sel, amount);
}

/* getOvervoteDecision */
static pb_err overvote_decision(struct tab *t, const uint16_t *m, size_t n, enum ovd *ret)
{
        size_t i, cont = 0;

        for (i = 0; i < n; i++) {
                if (m[i] != PB_RANKED_OVERVOTE)
                        continue;
                if (n != 1)
                        return pb_diag_set(t->reterr, PB_ERR_INVALID, "overvoteLabel",
                                           "an explicit overvote shares a rank with a candidate");
                if (t->ru.overvote == PB_RCTAB_EXHAUST_IF_MULTIPLE)
                        return pb_diag_set(t->reterr, PB_ERR_INVALID, "overvoteRule",
                                           "an explicit overvote label needs exhaustImmediately or "
                                           "alwaysSkipToNextRank");
                *ret = t->ru.overvote == PB_RCTAB_EXHAUST_IMMEDIATELY ? OV_EXHAUST : OV_SKIP;
                return PB_OK;
        }
        if (n <= 1)
                *ret = OV_NONE;
        else if (t->ru.overvote == PB_RCTAB_EXHAUST_IMMEDIATELY)
                *ret = OV_EXHAUST;
        else if (t->ru.overvote == PB_RCTAB_ALWAYS_SKIP)
                *ret = OV_SKIP;
        else {
                for (i = 0; i < n; i++)
                        if (continuing(t, m[i]))
                                cont++;
                *ret = cont >= 2 ? OV_EXHAUST : OV_NONE;
        }
        return PB_OK;
}

/* The walk RCTab makes over a ballot whose candidate is no longer continuing: always from the
 * top, so skipped-rank and duplicate checks see the whole ranking again. */
static pb_err walk(struct tab *t, size_t i)
{
        const struct pb_ranked_ballot *b = &t->c->ballots[i];
        const uint16_t *tok = t->c->tokens + b->off, *m;
        size_t pos = 0, nm, k;
        unsigned rank, last = 0;
        enum ovd ov = OV_NONE;
        pb_err r;

        t->stamp++;
        while (pb_rk_next_rank(tok, b->len, &pos, &rank, &m, &nm)) {
                if (uses_surplus(t) && t->n_winners == t->ru.seats)
                        return record(t, i, -1, 1 + PB_RANKED_FINAL_SURPLUS);
                if (t->ru.max_skipped >= 0 && (long)rank - (long)last > t->ru.max_skipped + 1)
                        return record(t, i, -1, 1 + PB_RANKED_SKIPPED);
                last = rank;
                if (t->ru.exhaust_on_duplicate) {
                        for (k = 0; k < nm; k++) {
                                /* the overvote label counts as a "candidate" here, as in RCTab */
                                uint32_t key = m[k] == PB_RANKED_OVERVOTE ? (uint32_t)t->n : m[k];
                                if (t->seen[key] == t->stamp)
                                        return record(t, i, -1, 1 + PB_RANKED_REPEATED);
                                t->seen[key] = t->stamp;
                        }
                }
                r = overvote_decision(t, m, nm, &ov);
                if (r < 0)
                        return r;
                if (ov == OV_EXHAUST)
                        return record(t, i, -1, 1 + PB_RANKED_OVERVOTES);
                if (ov == OV_SKIP) {
                        /* an overvote at the last rank is "exhausted choices", not an overvote */
                        if (rank == t->maxrank[i])
                                return record(t, i, -1, 1 + PB_RANKED_EXHAUSTED);
                        continue;
                }
                for (k = 0; k < nm; k++)
                        if (m[k] != PB_RANKED_OVERVOTE && continuing(t, m[k]))
                                return record(t, i, (int32_t)m[k], B_ACTIVE);
                if (rank == t->maxrank[i])
                        return record(t, i, -1, 1 + PB_RANKED_EXHAUSTED);
        }
        return PB_OK;
}

/* computeTalliesForRound */
static pb_err compute_tallies(struct tab *t)
{
        struct pb_ranked_round *rd = cur(t);
        size_t i;
        pb_err r;

        for (i = 0; i < t->n; i++)
                rd->present[i] = continuing(t, (uint32_t)i);
        t->active = 0;
        for (i = 0; i < t->c->n_ballots; i++) {
                int64_t amount;

                if (t->bst[i] != B_ACTIVE) {
                        if (pb_rk_mul(t->c->ballots[i].count, t->value[i], &amount) < 0 ||
                            pb_rk_add(&rd->inactive[t->bst[i] - 1], amount) < 0)
                                return PB_ERR_OVERFLOW;
                        r = slice_count(t, i, true, (size_t)(t->bst[i] - 1), amount);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (t->recip[i] >= 0 && continuing(t, (uint32_t)t->recip[i])) {
                        if (pb_rk_mul(t->c->ballots[i].count, t->value[i], &amount) < 0 ||
                            pb_rk_add(&rd->tally[t->recip[i]], amount) < 0 ||
                            pb_rk_add(&t->active, amount) < 0)
                                return PB_ERR_OVERFLOW;
                        r = slice_count(t, i, false, (size_t)t->recip[i], amount);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (t->c->ballots[i].n_ranks == 0) {
                        r = record(t, i, -1, 1 + PB_RANKED_UNDERVOTES);
                } else {
                        r = walk(t, i);
                }
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

/* calculateAndSetWinningThreshold */
static pb_err compute_threshold(struct tab *t, int64_t *ret)
{
        int64_t v = t->active, thr;
        pb_err r;

        if (t->ru.mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE) {
                /* active * fraction: exact, as active is a whole number of ballots here (no surplus
                 * is ever transferred in this mode) */
                r = pb_rk_muldiv(v, t->ru.bottoms_up_fraction, t->one, &thr);
                if (r < 0)
                        return r;
        } else {
                int64_t div = t->ru.hare_quota ? (int64_t)t->ru.seats : (int64_t)t->ru.seats + 1;
                unsigned dec = t->ru.non_integer_threshold ? t->ru.scale : 0;
                int64_t unit = pb_rk_pow10(t->ru.scale - dec), step;

                if (div <= 0)
                        return pb_diag_set(t->reterr, PB_ERR_INVALID, "numberOfWinners", "no seats to fill");
                if (pb_rk_mul(div, unit, &step) < 0)
                        return PB_ERR_OVERFLOW;
                if (t->ru.hare_quota) /* ceil(v / seats) at dec places */
                        thr = (v / step + (v % step != 0)) * unit;
                else /* floor(v / (seats + 1)) at dec places, plus one unit of the last place */
                        thr = (v / step) * unit + unit;
        }
        if (t->ru.minimum_vote_threshold > 0 && t->ru.minimum_vote_threshold > thr)
                thr = t->ru.minimum_vote_threshold;
        *ret = thr;
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* tie-breaking (Tiebreak.java)                                                              */

static const char *tie_method_name(enum pb_rctab_tiebreak m)
{
        switch (m) {
        case PB_RCTAB_TIE_RANDOM: return "random";
        case PB_RCTAB_TIE_ASK: return "operator";
        case PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM: return "previous round counts, then random";
        case PB_RCTAB_TIE_PREVIOUS_THEN_ASK: return "previous round counts, then operator";
        case PB_RCTAB_TIE_CANDIDATE_ORDER: return "candidate order";
        case PB_RCTAB_TIE_PERMUTATION: return "random permutation";
        }
        return "?";
}

static pb_err ask(struct tab *t, bool for_winner, const uint32_t *tied, size_t n, uint32_t *ret)
{
        size_t i;
        pb_err r;

        if (!t->ru.ask)
                return pb_diag_set(
                        t->reterr, PB_ERR_INVALID, "tiebreakMode",
                        "a tie needs an operator's decision (stopCountingAndAsk) and none was given");
        r = t->ru.ask(t->ru.ask_ctx, t->round, for_winner, tied, n, ret);
        if (r < 0)
                return r;
        for (i = 0; i < n; i++)
                if (tied[i] == *ret)
                        return PB_OK;
        return pb_diag_set(t->reterr, PB_ERR_INVALID, "tiebreakMode",
                           "the operator chose a candidate not in the tie");
}

/* Select one of @tied[@n] (modified: sorted) as winner or loser. */
static pb_err tiebreak(struct tab *t, bool for_winner, uint32_t *tied, size_t n, uint32_t *ret)
{
        const char *method = tie_method_name(t->ru.tiebreak);
        uint32_t sel = 0;
        size_t i, j, m;
        pb_err r;

        pb_java_sort_names(t->c, tied, n); /* "sort tied candidates for reproducibility" */
        switch (t->ru.tiebreak) {
        case PB_RCTAB_TIE_ASK:
                r = ask(t, for_winner, tied, n, &sel);
                if (r < 0)
                        return r;
                break;
        case PB_RCTAB_TIE_RANDOM: sel = tied[pb_jrandom_pick(&t->rnd, (uint32_t)n)]; break;
        case PB_RCTAB_TIE_CANDIDATE_ORDER:
        case PB_RCTAB_TIE_PERMUTATION:
                /* winner: earliest in the permutation; loser: latest */
                for (i = 0; i < t->n_perm; i++) {
                        uint32_t p = t->perm[for_winner ? i : t->n_perm - 1 - i];
                        for (j = 0; j < n && tied[j] != p; j++)
                                ;
                        if (j < n) {
                                sel = p;
                                break;
                        }
                }
                if (i == t->n_perm)
                        return pb_diag_set(t->reterr, PB_ERR_INVALID, "tiebreakMode",
                                           "no tied candidate is in the tie-break order");
                break;
        case PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM:
        case PB_RCTAB_TIE_PREVIOUS_THEN_ASK: {
                unsigned rr;
                bool done = false;

                m = n;
                for (rr = t->round - 1; rr > 0 && !done; rr--) {
                        const int64_t *tl = t->res->rounds[rr - 1].tally;
                        int64_t best;

                        /* the candidates still in contention come back in HashSet order */
                        r = pb_java_hashset_order(t->c, tied, m);
                        if (r < 0)
                                return r;
                        best = tl[tied[0]];
                        for (i = 1; i < m; i++)
                                if (for_winner ? tl[tied[i]] > best : tl[tied[i]] < best)
                                        best = tl[tied[i]];
                        for (i = j = 0; i < m; i++)
                                if (tl[tied[i]] == best)
                                        tied[j++] = tied[i];
                        m = j;
                        if (m == 1) {
                                sel = tied[0];
                                method = "previous round counts";
                                done = true;
                        }
                }
                if (!done) {
                        if (t->ru.tiebreak == PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM) {
                                sel = tied[pb_jrandom_pick(&t->rnd, (uint32_t)m)];
                        } else {
                                r = ask(t, for_winner, tied, m, &sel);
                                if (r < 0)
                                        return r;
                        }
                }
                n = n > m ? n : m;
                break;
        }
        }
        r = pb_rk_tie_add(t->res, t->round, for_winner, sel, (uint32_t)n, method);
        if (r < 0)
                return r;
        *ret = sel;
        return PB_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* winners and eliminations                                                                  */

/* identifyWinners: writes winners to t->tmp, their number to *ret_n */
static pb_err identify_winners(struct tab *t, size_t *ret_n)
{
        struct pb_ranked_round *rd = cur(t);
        size_t i, n = 0, n_present = 0, unfilled;
        int64_t max = 0;
        bool first = true, tb_multi, tb_none, all_above_min = true;
        pb_err r;

        for (i = 0; i < t->n; i++) {
                if (!rd->present[i])
                        continue;
                n_present++;
                if (first || rd->tally[i] > max)
                        max = rd->tally[i];
                first = false;
                if (rd->tally[i] < t->ru.minimum_vote_threshold)
                        all_above_min = false;
        }
        *ret_n = 0;
        /* no winner while undeclared write-ins hold votes */
        if (t->uwi >= 0 && rd->present[t->uwi] && rd->tally[t->uwi] != 0)
                return PB_OK;
        if (t->ru.mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE) {
                size_t above = 0;
                for (i = 0; i < t->n; i++)
                        if (rd->present[i] && rd->tally[i] > rd->threshold)
                                above++;
                if (above == n_present)
                        for (i = 0; i < t->n; i++)
                                if (rd->present[i])
                                        t->tmp[n++] = (uint32_t)i;
                *ret_n = n;
                return PB_OK;
        }
        unfilled = t->ru.seats > t->n_winners ? t->ru.seats - t->n_winners : 0;
        if (unfilled > 0) {
                if (n_present <= unfilled) {
                        for (i = 0; i < t->n; i++)
                                if (rd->present[i])
                                        t->tmp[n++] = (uint32_t)i;
                } else if (t->ru.first_round_threshold && n_present - 1 == t->ru.seats) {
                        for (i = 0; i < t->n; i++)
                                if (rd->present[i] && rd->tally[i] == max)
                                        t->tmp[n++] = (uint32_t)i;
                } else if (t->ru.mode != PB_RCTAB_BOTTOMS_UP) {
                        for (i = 0; i < t->n; i++)
                                if (rd->present[i] && rd->tally[i] >= rd->threshold && (long)i != t->uwi)
                                        t->tmp[n++] = (uint32_t)i;
                }
        }
        tb_multi = n > 1 && (t->ru.mode == PB_RCTAB_MULTI_ONE_PER_ROUND || t->ru.first_round_threshold);
        tb_none = t->ru.seats == 1 && n == 0 && n_present == 2 && unfilled == 1 && all_above_min;
        if (tb_multi || tb_none) {
                n = 0;
                for (i = 0; i < t->n; i++)
                        if (rd->present[i] && rd->tally[i] == max)
                                t->tmp[n++] = (uint32_t)i;
                if (n > 1) {
                        uint32_t w;
                        r = tiebreak(t, true, t->tmp, n, &w);
                        if (r < 0)
                                return r;
                        t->tmp[0] = w;
                        n = 1;
                }
        }
        /* order within a round: most votes first, then input order */
        for (i = 1; i < n; i++) {
                uint32_t x = t->tmp[i];
                size_t j;
                for (j = i; j > 0 && rd->tally[t->tmp[j - 1]] < rd->tally[x]; j--)
                        t->tmp[j] = t->tmp[j - 1];
                t->tmp[j] = x;
        }
        *ret_n = n;
        return PB_OK;
}

/* sort present candidates by tally ascending (ties in input order) into t->tmp2 */
static size_t sorted_present(struct tab *t)
{
        const struct pb_ranked_round *rd = cur(t);
        size_t i, j, n = 0;

        for (i = 0; i < t->n; i++) {
                if (!rd->present[i])
                        continue;
                for (j = n; j > 0 && rd->tally[t->tmp2[j - 1]] > rd->tally[i]; j--)
                        t->tmp2[j] = t->tmp2[j - 1];
                t->tmp2[j] = (uint32_t)i;
                n++;
        }
        return n;
}

/* runBatchElimination: the largest set of lowest candidates whose combined votes are below
 * the next candidate's; with continueUntilTwoCandidatesRemain it never leaves only one. */
static pb_err batch(struct tab *t, size_t *ret_n)
{
        const struct pb_ranked_round *rd = cur(t);
        size_t np = sorted_present(t), i = 0, seen = 0, elim = 0, prev = 0;
        int64_t running = 0;

        while (i < np) {
                int64_t v = rd->tally[t->tmp2[i]], add;
                size_t g = i;
                while (g < np && rd->tally[t->tmp2[g]] == v)
                        g++;
                if (running < v && seen > elim) {
                        prev = elim;
                        elim = seen;
                }
                if (pb_rk_mul(v, (int64_t)(g - i), &add) < 0 || pb_rk_add(&running, add) < 0)
                        return PB_ERR_OVERFLOW;
                seen = g;
                i = g;
        }
        if (t->ru.continue_until_two && elim + t->n_elim == num_candidates(t) - 1)
                elim = prev;
        memcpy(t->tmp, t->tmp2, elim * sizeof(*t->tmp));
        *ret_n = elim;
        return PB_OK;
}

static pb_err eliminate(struct tab *t, size_t *ret_n)
{
        struct pb_ranked_round *rd = cur(t);
        size_t n = 0, np, i;
        pb_err r;

        /* 1. undeclared write-ins go first, whenever they hold votes */
        if (t->uwi >= 0 && rd->present[t->uwi] && rd->tally[t->uwi] > 0) {
                t->tmp[0] = (uint32_t)t->uwi;
                *ret_n = 1;
                return PB_OK;
        }
        np = sorted_present(t);
        /* 2. everyone below the minimum vote threshold */
        if (t->ru.minimum_vote_threshold > 0 && np && rd->tally[t->tmp2[0]] < t->ru.minimum_vote_threshold) {
                for (i = 0; i < np && rd->tally[t->tmp2[i]] < t->ru.minimum_vote_threshold; i++)
                        t->tmp[n++] = t->tmp2[i];
                if (n == num_declared(t))
                        return pb_diag_set(t->reterr, PB_ERR_INVALID, "minimumVoteThreshold",
                                           "every declared candidate is below the minimum vote threshold");
        }
        /* 3. bottoms-up percentage with cutoff: everyone below the threshold at once */
        if (!n && t->ru.cutoff_elimination && t->ru.mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE)
                for (i = 0; i < np && rd->tally[t->tmp2[i]] < rd->threshold; i++)
                        t->tmp[n++] = t->tmp2[i];
        /* 4. batch elimination, if it removes more than one */
        if (!n && t->ru.batch_elimination) {
                r = batch(t, &n);
                if (r < 0)
                        return r;
                if (n < 2)
                        n = 0;
        }
        /* 5. the lowest, breaking a tie if needed */
        if (!n && np) {
                int64_t low = rd->tally[t->tmp2[0]];
                for (i = 0; i < np && rd->tally[t->tmp2[i]] == low; i++)
                        t->tmp[n++] = t->tmp2[i];
                if (n > 1) {
                        uint32_t loser;
                        r = tiebreak(t, false, t->tmp, n, &loser);
                        if (r < 0)
                                return r;
                        t->tmp[0] = loser;
                        n = 1;
                }
        }
        if (!n)
                return pb_diag_set(t->reterr, PB_ERR_INVALID, "rules", "no candidate can be eliminated");
        *ret_n = n;
        return PB_OK;
}

/* Surplus of a new winner: fraction f = trunc((votes - threshold) / votes) and every ballot
 * counting for it keeps value - trunc(value * f) with the winner (recordCurrentRecipientAsWinner). */
static pb_err distribute_surplus(struct tab *t, uint32_t w)
{
        const struct pb_ranked_round *rd = cur(t);
        int64_t votes = rd->tally[w], extra = votes - rd->threshold, frac = 0, keep;
        size_t i, s;
        unsigned k;
        pb_err r;

        if (extra > 0) {
                r = pb_rk_muldiv(extra, t->one, votes, &frac);
                if (r < 0)
                        return r;
        }
        t->alloc[w] = 0;
        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (s = 0; s < t->n_sl[k]; s++)
                        t->sl_alloc[k][s * t->n + w] = 0;
        for (i = 0; i < t->c->n_ballots; i++) {
                int64_t moved;
                if (t->recip[i] != (int32_t)w)
                        continue;
                r = pb_rk_muldiv(t->value[i], frac, t->one, &moved);
                if (r < 0)
                        return r;
                if (pb_rk_mul(t->c->ballots[i].count, t->value[i] - moved, &keep) < 0 ||
                    pb_rk_add(&t->alloc[w], keep) < 0)
                        return PB_ERR_OVERFLOW;
                /* each slice's part of what the winner keeps (winnerToFractionalValue) */
                for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                        if (t->n_sl[k] &&
                            pb_rk_add(&t->sl_alloc[k][(t->c->ballots[i].slice[k] - 1) * t->n + w], keep) < 0)
                                return PB_ERR_OVERFLOW;
                t->value[i] = moved;
        }
        return PB_OK;
}

/* updateWinnerTallies: earlier winners are listed with what they kept; a winner of the last
 * round is pinned at the threshold and the excess from truncation is "residual surplus". */
static pb_err update_winner_tallies(struct tab *t)
{
        struct pb_ranked_round *rd = cur(t), *prev = t->res->n_rounds > 1 ? rd - 1 : NULL;
        size_t i, s;
        unsigned k;

        for (i = 0; i < t->n; i++) {
                if (t->st[i] != C_WINNER || t->win_round[i] >= t->round)
                        continue;
                rd->present[i] = true;
                /* slices: what their ballots kept, never pinned (no residual surplus per slice) */
                for (k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                        for (s = 0; s < t->n_sl[k]; s++) {
                                struct pb_ranked_result *sr = &t->sl[k][s];
                                struct pb_ranked_round *srd = last_round(sr);
                                srd->present[i] = true;
                                if (t->win_round[i] == t->round - 1)
                                        srd->tally[i] = t->sl_alloc[k][s * t->n + i];
                                else if (sr->n_rounds > 1)
                                        srd->tally[i] = (srd - 1)->tally[i];
                        }
                if (t->win_round[i] == t->round - 1) {
                        int64_t resid;
                        rd->tally[i] = t->alloc[i];
                        resid = rd->tally[i] - rd->threshold;
                        if (resid > 0) {
                                t->residual += resid;
                                rd->tally[i] = rd->threshold;
                                transfer(t, (int32_t)i, t->n + PB_RANKED_TO_RESIDUAL, resid);
                        }
                } else if (prev) {
                        rd->tally[i] = prev->tally[i];
                }
        }
        return PB_OK;
}

static bool decided_this_round(const struct tab *t, bool elected)
{
        const struct pb_ranked_round *rd;
        size_t i;

        if (!t->res->n_rounds)
                return false;
        rd = cur(t);
        for (i = 0; i < rd->n_dec; i++)
                if (rd->dec[i].elected == elected)
                        return true;
        return false;
}

/* shouldContinueTabulating */
static bool keep_going(const struct tab *t)
{
        if (t->ru.stop_after_round && t->round >= t->ru.stop_after_round)
                return false;
        if (t->n_winners == num_declared(t) && t->ru.seats > num_candidates(t))
                return false;
        if (t->ru.continue_until_two)
                return t->n_elim + t->n_winners + 1 < num_candidates(t) || decided_this_round(t, false);
        if (t->ru.mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE)
                return t->n_winners == 0;
        return t->n_winners < t->ru.seats || (uses_surplus(t) && decided_this_round(t, true));
}

static pb_err one_round(struct tab *t)
{
        struct pb_ranked_round *rd;
        size_t n, i;
        bool recompute;
        pb_err r;

        r = pb_rk_round_add(t->res, &rd);
        if (r >= 0)
                r = slices_round_add(t);
        if (r < 0)
                return r;
        t->round++;
        r = compute_tallies(t);
        if (r < 0)
                return r;
        rd = cur(t);
        rd->residual = t->residual;
        if (t->ru.seats > 1)
                recompute = t->round == 1;
        else /* frozen after round 1 by the first-round rule, or once continue-until-two has a winner */
                recompute = t->round == 1 ||
                            (!t->ru.first_round_threshold && !(t->ru.continue_until_two && t->n_winners > 0));
        if (recompute) {
                r = compute_threshold(t, &rd->threshold);
                if (r < 0)
                        return r;
        } else {
                rd->threshold = (rd - 1)->threshold;
        }
        slices_sync(t);
        r = identify_winners(t, &n);
        if (r < 0)
                return r;
        if (n) {
                for (i = 0; i < n; i++) {
                        uint32_t w = t->tmp[i];
                        t->st[w] = C_WINNER;
                        t->win_round[w] = t->round;
                        t->n_winners++;
                        r = pb_rk_decision_add(rd, t->n, w, true);
                        if (r >= 0)
                                r = pb_rk_winner_add(t->res, w);
                        if (r >= 0)
                                r = slices_decide(t, w, true);
                        if (r < 0)
                                return r;
                }
                if (uses_surplus(t))
                        for (i = 0; i < n; i++) {
                                r = distribute_surplus(t, t->tmp[i]);
                                if (r < 0)
                                        return r;
                        }
        } else if (t->n_winners < t->ru.seats ||
                   (t->ru.continue_until_two && t->n_elim + 2 < num_candidates(t)) ||
                   t->ru.mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE) {
                r = eliminate(t, &n);
                if (r < 0)
                        return r;
                for (i = 0; i < n; i++) {
                        uint32_t l = t->tmp[i];
                        t->st[l] = C_ELIM;
                        t->elim_round[l] = t->round;
                        t->n_elim++;
                        r = pb_rk_decision_add(rd, t->n, l, false);
                        if (r >= 0)
                                r = slices_decide(t, l, false);
                        if (r < 0)
                                return r;
                }
        }
        if (t->ru.seats > 1) {
                r = update_winner_tallies(t);
                if (r < 0)
                        return r;
                rd->residual = t->residual;
        }
        return PB_OK;
}

static void tab_free(struct tab *t)
{
        pb_free(t->st);
        pb_free(t->win_round);
        pb_free(t->elim_round);
        pb_free(t->recip);
        pb_free(t->bst);
        pb_free(t->value);
        pb_free(t->alloc);
        pb_free(t->maxrank);
        pb_free(t->seen);
        pb_free(t->perm);
        pb_free(t->tmp);
        pb_free(t->tmp2);
        for (unsigned k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                pb_free(t->sl_alloc[k]);
}

static pb_err tab_alloc(struct tab *t)
{
        size_t n = t->n, nb = t->c->n_ballots;

        t->st = pb_calloc(n, 1);
        t->win_round = pb_calloc(n, sizeof(unsigned));
        t->elim_round = pb_calloc(n, sizeof(unsigned));
        t->alloc = pb_calloc(n, sizeof(int64_t));
        t->seen = pb_calloc(n + 1, sizeof(uint32_t));
        t->perm = pb_calloc(n, sizeof(uint32_t));
        t->tmp = pb_calloc(n, sizeof(uint32_t));
        t->tmp2 = pb_calloc(n, sizeof(uint32_t));
        t->recip = pb_calloc(nb, sizeof(int32_t));
        t->bst = pb_calloc(nb, 1);
        t->value = pb_calloc(nb, sizeof(int64_t));
        t->maxrank = pb_calloc(nb, sizeof(uint16_t));
        if (!t->st || !t->win_round || !t->elim_round || !t->alloc || !t->seen || !t->perm || !t->tmp ||
            !t->tmp2 || !t->recip || !t->bst || !t->value || !t->maxrank)
                return PB_ERR_NOMEM;
        return PB_OK;
}

/* One result per slice of each kind the contest uses (owned by t->res), and the scratch. */
static pb_err slices_setup(struct tab *t)
{
        static const char *const what[PB_RANKED_SLICE_KINDS] = {
                "every ballot needs a precinct to tabulate by precinct",
                "every ballot needs a batch to tabulate by batch",
        };
        struct pb_ranked_result *res = t->res;
        unsigned k;
        size_t n, s, i;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                n = t->c->slices[k].n;
                if (!n)
                        continue;
                for (i = 0; i < t->c->n_ballots; i++)
                        if (t->c->ballots[i].slice[k] == 0 || t->c->ballots[i].slice[k] > n)
                                return pb_diag_set(t->reterr, PB_ERR_INVALID,
                                                   k == PB_RANKED_PRECINCT ? "precinct" : "batch", what[k]);
                res->slices[k] = pb_calloc(n, sizeof(*res->slices[k]));
                t->sl_alloc[k] = pb_calloc(n * t->n, sizeof(*t->sl_alloc[k]));
                if (!res->slices[k] || !t->sl_alloc[k])
                        return PB_ERR_NOMEM;
                res->n_slices[k] = n;
                for (s = 0; s < n; s++) {
                        res->slices[k][s].n_cand = t->n;
                        res->slices[k][s].scale = res->scale;
                        res->slices[k][s].seats = t->ru.seats;
                        res->slices[k][s].surplus_rule = uses_surplus(t);
                }
                /* the slice's ballots, counted like totalNumBallots (cannot overflow: n_total
                 * did not) */
                for (i = 0; i < t->c->n_ballots; i++)
                        res->slices[k][t->c->ballots[i].slice[k] - 1].total_ballots += t->c->ballots[i].count;
                t->sl[k] = res->slices[k];
                t->n_sl[k] = n;
        }
        return PB_OK;
}

/* One tabulation (Tabulator.tabulate()) into @res. */
static pb_err tabulate(const struct pb_ranked_contest *c, const struct pb_rctab_rules *ru,
                       const bool *excluded, struct pb_ranked_result *res, struct pb_diag *reterr)
{
        struct tab t;
        size_t i;
        pb_err r;

        memset(&t, 0, sizeof(t));
        t.c = c;
        t.ru = *ru;
        t.res = res;
        t.n = c->n_cand;
        t.excluded = excluded;
        t.reterr = reterr;
        t.uwi = -1;
        t.one = pb_rk_pow10(ru->scale);
        r = tab_alloc(&t);
        if (r < 0)
                goto out;
        for (i = 0; i < t.n; i++) {
                if (c->cand[i].uwi)
                        t.uwi = (long)i;
                if (excluded[i]) {
                        t.st[i] = C_EXCL;
                        t.n_excl++;
                }
        }
        for (i = 0; i < c->n_ballots; i++) {
                t.recip[i] = -1;
                t.value[i] = t.one;
                t.maxrank[i] = (uint16_t)pb_ranked_ballot_max_rank(c, &c->ballots[i]);
        }
        /* candidate permutation: the config's candidates (not the UWI placeholder) */
        for (i = 0; i < t.n; i++) {
                uint32_t k = ru->order ? ru->order[i] : (uint32_t)i;
                if (k < t.n && (long)k != t.uwi)
                        t.perm[t.n_perm++] = k;
        }
        if (ru->tiebreak == PB_RCTAB_TIE_RANDOM || ru->tiebreak == PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM ||
            ru->tiebreak == PB_RCTAB_TIE_PERMUTATION) {
                pb_jrandom_init(&t.rnd, ru->seed);
                if (ru->tiebreak == PB_RCTAB_TIE_PERMUTATION) {
                        pb_java_sort_names(c, t.perm, t.n_perm);
                        pb_jrandom_shuffle(&t.rnd, t.perm, t.n_perm);
                }
        }
        res->seats = ru->seats;
        res->surplus_rule = uses_surplus(&t);
        r = slices_setup(&t);
        if (r < 0)
                goto out;
        while (keep_going(&t)) {
                r = one_round(&t);
                if (r < 0)
                        goto out;
        }
        if (!res->n_rounds) {
                r = pb_diag_set(reterr, PB_ERR_INVALID, "rules",
                                "the rules stop the count before its first round");
                goto out;
        }
        res->total_ballots = c->n_total;
        res->final_threshold = res->rounds[res->n_rounds - 1].threshold;
        for (unsigned k = 0; k < PB_RANKED_SLICE_KINDS; k++)
                for (i = 0; i < t.n_sl[k]; i++)
                        t.sl[k][i].final_threshold = res->final_threshold;
        r = PB_OK;
out:
        tab_free(&t);
        return r;
}

void pb_rctab_rules_init(struct pb_rctab_rules *r)
{
        memset(r, 0, sizeof(*r));
        r->mode = PB_RCTAB_SINGLE;
        r->seats = 1;
        r->scale = 4;
        r->overvote = PB_RCTAB_EXHAUST_IMMEDIATELY;
        r->max_skipped = 1;
        r->tiebreak = PB_RCTAB_TIE_CANDIDATE_ORDER;
}

pb_err pb_rctab_run(const struct pb_ranked_contest *c, const struct pb_rctab_rules *rules,
                    struct pb_ranked_outcome *ret, struct pb_diag *reterr)
{
        struct pb_ranked_outcome o;
        struct pb_ranked_result *res;
        struct pb_rctab_rules ru = *rules;
        bool *excluded = NULL;
        size_t i;
        unsigned pass, passes = 1;
        pb_err r;

        pb_ranked_outcome_init(&o);
        if (ru.scale < 1 || ru.scale > PB_RANKED_MAX_SCALE) {
                r = pb_diag_set(reterr, PB_ERR_UNSUPPORTED, "decimalPlacesForVoteArithmetic",
                                "decimal places must be 1 to 9");
                goto out;
        }
        if (ru.seats == 0 && ru.mode != PB_RCTAB_BOTTOMS_UP_PERCENTAGE) {
                r = pb_diag_set(reterr, PB_ERR_INVALID, "numberOfWinners", "no seats to fill");
                goto out;
        }
        if (!c->n_cand) {
                r = pb_diag_set(reterr, PB_ERR_INVALID, "candidates", "the contest has no candidates");
                goto out;
        }
        excluded = pb_calloc(c->n_cand, sizeof(*excluded));
        if (!excluded) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (i = 0; i < c->n_cand; i++)
                excluded[i] = c->cand[i].excluded;
        if (ru.mode == PB_RCTAB_MULTI_PASS) {
                /* multi-pass IRV: one single-winner count per seat, earlier winners excluded */
                passes = ru.seats;
                ru.seats = 1;
        }
        for (pass = 0; pass < passes; pass++) {
                r = pb_rk_outcome_add_pass(&o, c->n_cand, ru.scale, &res);
                if (r < 0)
                        goto out;
                r = tabulate(c, &ru, excluded, res, reterr);
                if (r < 0)
                        goto out;
                if (passes > 1) {
                        if (res->n_winners != 1) {
                                r = pb_diag_set(reterr, PB_ERR_INVALID, "winnerElectionMode",
                                                "a multi-pass IRV pass ended without exactly one winner");
                                goto out;
                        }
                        excluded[res->winners[0]] = true;
                }
        }
        r = pb_rk_outcome_collect(&o);
        if (r < 0)
                goto out;
        *ret = o;
        pb_ranked_outcome_init(&o);
out:
        pb_free(excluded);
        pb_ranked_outcome_release(&o);
        return r;
}
