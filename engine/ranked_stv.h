/**
 * @file The count state Scottish and Meek STV share (engine/ranked_scottish.c,
 * engine/ranked_meek.c): each candidate's standing and votes, the seats, the lot order, and the
 * one pass of the outcome the count fills.  Private to the engine.
 */
#ifndef PB_RANKED_STV_H
#define PB_RANKED_STV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ranked_int.h"

/** A candidate's standing in the count. */
enum stv_standing { STV_HOPEFUL = 0, STV_ELECTED, STV_DEFEATED, STV_WITHDRAWN };

/** One STV count.  stv_count_init() sets it up, stv_count_release() frees what it holds. */
struct stv_count {
        const struct pb_ranked_contest *c; /* borrowed */
        struct pb_ranked_outcome o;        /* owned: the outcome, with one pass */
        struct pb_ranked_result *res;      /* o's pass */
        size_t n;                          /* candidates */
        unsigned seats, n_elected;
        uint8_t *st;        /* per candidate: enum stv_standing */
        int64_t *vote;      /* per candidate: votes at the count's scale */
        uint32_t *tie_rank; /* per candidate: position in the lot order */
        int64_t one;        /* 1 at the count's scale */
        int64_t quota;
        struct pb_diag *reterr; /* borrowed, may be NULL */
};

/**
 * Set up @s for contest @c at @scale decimals: every candidate hopeful (withdrawn ones
 * withdrawn), votes zero, the lot order from @tie_order (NULL: the listed order), and the
 * outcome's one pass.  @s is released (and zeroed) on failure too.
 * @return PB_OK, PB_ERR_INVALID (no seats or no candidates), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err stv_count_init(struct stv_count *s, const struct pb_ranked_contest *c,
                                   const uint32_t *tie_order, unsigned scale, struct pb_diag *reterr);

/** Free what @s holds; leaves it zeroed.  Accepts a zeroed count. */
void stv_count_release(struct stv_count *s);

/** The outcome's winners collected, and the outcome moved to @ret (set only on PB_OK). */
PB_NODISCARD pb_err stv_count_finish(struct stv_count *s, struct pb_ranked_outcome *ret);

/** Hopeful candidates left. */
size_t stv_hopefuls(const struct stv_count *s);

/** Seats not yet filled. */
unsigned stv_open_seats(const struct stv_count *s);

/** The round being recorded (the last one). */
struct pb_ranked_round *stv_round(struct stv_count *s);

/** Elect @cand: its standing, the count of elected, a decision in the current round, a winner. */
PB_NODISCARD pb_err stv_elect(struct stv_count *s, uint32_t cand);

/**
 * Check ballot @b's marks: an overvote mark is refused with @overvote_why; an equal ranking is
 * refused with @equal_why, or, when @equal_why is NULL, reported in @ret_equal (set to true).
 * Both reasons are static strings.
 * @return PB_OK or PB_ERR_UNSUPPORTED
 */
PB_NODISCARD pb_err stv_check_marks(const struct stv_count *s, const struct pb_ranked_ballot *b,
                                    const char *overvote_why, const char *equal_why, bool *ret_equal);

#endif
