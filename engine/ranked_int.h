/** @file Private helpers shared by the ranked counts: exact arithmetic, Java emulation, results. */
#ifndef PB_RANKED_INT_H
#define PB_RANKED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_int128.h"
#include "engine/pb_ranked.h"

/** 10^@e as int64 (e <= 18). */
int64_t pb_rk_pow10(unsigned e);

/** trunc(a * b / d) toward zero, or PB_ERR_OVERFLOW when it does not fit int64; d != 0. */
PB_NODISCARD pb_err pb_rk_muldiv(int64_t a, int64_t b, int64_t d, int64_t *ret);

/** Checked a + b into *acc. */
PB_NODISCARD static inline pb_err pb_rk_add(int64_t *acc, int64_t b)
{
        int64_t r;
        if (__builtin_add_overflow(*acc, b, &r))
                return PB_ERR_OVERFLOW;
        *acc = r;
        return PB_OK;
}

/** Checked a * b. */
PB_NODISCARD static inline pb_err pb_rk_mul(int64_t a, int64_t b, int64_t *ret)
{
        int64_t r;
        if (__builtin_mul_overflow(a, b, &r))
                return PB_ERR_OVERFLOW;
        *ret = r;
        return PB_OK;
}

/*
 * java.util.Random, bit for bit: RCTab draws its random tie-breaks from it, so reproducing
 * RCTab's counts means reproducing its 48-bit linear congruential generator.
 */
struct pb_jrandom {
        uint64_t seed; /* 48 bits */
};
void pb_jrandom_init(struct pb_jrandom *r, int64_t seed);
/** next(bits): the top @bits of the advanced 48-bit state, as Java's signed int. */
int32_t pb_jrandom_next(struct pb_jrandom *r, unsigned bits);
/** nextInt(bound), bound > 0, with Java's rejection loop. */
int32_t pb_jrandom_next_int(struct pb_jrandom *r, int32_t bound);
/**
 * (int) Math.floor(nextDouble() * n) without floating point: nextDouble() is k / 2^53 for a
 * 53-bit k; Java rounds the product k * n to 53 significant bits before the floor, and so do we.
 */
uint32_t pb_jrandom_pick(struct pb_jrandom *r, uint32_t n);
/** Collections.shuffle(list, rnd) on @n indexes. */
void pb_jrandom_shuffle(struct pb_jrandom *r, uint32_t *v, size_t n);

/** Java's String.hashCode() of a UTF-8 string (over its UTF-16 code units). */
int32_t pb_java_hash(const char *s);

/**
 * Reorder @v[@n] (candidate indexes, given in insertion order) into the iteration order of a
 * java.util.HashSet built from that list: by bucket of the spread hash, ties by insertion.
 * @return PB_OK or PB_ERR_NOMEM.
 */
PB_NODISCARD pb_err pb_java_hashset_order(const struct pb_ranked_contest *c, uint32_t *v, size_t n);

/** Sort @v[@n] candidate indexes by name in Java String order. */
void pb_java_sort_names(const struct pb_ranked_contest *c, uint32_t *v, size_t n);

/*
 * Building results
 * ================
 */
/** Append a new round to @r (tally and present zeroed). */
PB_NODISCARD pb_err pb_rk_round_add(struct pb_ranked_result *r, struct pb_ranked_round **ret);
/** Append a decision for @cand to @rd, with zeroed transfers. */
PB_NODISCARD pb_err pb_rk_decision_add(struct pb_ranked_round *rd, size_t n_cand, uint32_t cand,
                                       bool elected);
/** The decision about @cand in @rd, or NULL. */
struct pb_ranked_decision *pb_rk_decision_find(struct pb_ranked_round *rd, uint32_t cand);
/** Append @cand to the winners of @r. */
PB_NODISCARD pb_err pb_rk_winner_add(struct pb_ranked_result *r, uint32_t cand);
/** Record a tie. */
PB_NODISCARD pb_err pb_rk_tie_add(struct pb_ranked_result *r, unsigned round, bool for_winner,
                                  uint32_t chosen, uint32_t n_tied, const char *method);
/** Free one result's storage; leaves it zeroed. */
void pb_rk_result_release(struct pb_ranked_result *r);
/** Append a zeroed result to @o, set up for @n_cand candidates at @scale. */
PB_NODISCARD pb_err pb_rk_outcome_add_pass(struct pb_ranked_outcome *o, size_t n_cand, unsigned scale,
                                           struct pb_ranked_result **ret);
/** Fill o->winners from the passes' winners. */
PB_NODISCARD pb_err pb_rk_outcome_collect(struct pb_ranked_outcome *o);

/** Iterate over a ballot's ranks: position @*pos (start at 0); returns false at the end. */
static inline bool pb_rk_next_rank(const uint16_t *t, size_t len, size_t *pos, unsigned *rank,
                                   const uint16_t **marks, size_t *n_marks)
{
        size_t i = *pos, j;

        if (i >= len)
                return false;
        *rank = t[i] & ~PB_RANKED_RANK_FLAG;
        for (j = i + 1; j < len && !(t[j] & PB_RANKED_RANK_FLAG); j++)
                ;
        *marks = t + i + 1;
        *n_marks = j - i - 1;
        *pos = j;
        return true;
}

#endif
