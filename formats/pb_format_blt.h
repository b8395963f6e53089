/** @file The .blt ballot file format (OpenSTV/Droop/Scottish councils) into a ranked contest. */
#ifndef PB_FORMAT_BLT_H
#define PB_FORMAT_BLT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_err.h"
#include "engine/pb_ranked.h"

/** Largest .blt file the command line reads. */
#define PB_BLT_MAX_FILE ((size_t)1 << 30)

/**
 * A parsed .blt election.  pb_blt_init() before use, pb_blt_release() after; owns everything.
 * contest: candidates in id order (id k is index k - 1), withdrawn ones flagged excluded and
 * removed from every ballot (later preferences move up), seats from the header, title; equal
 * rankings ("2=3") are marks sharing a rank.
 */
struct pb_blt {
        struct pb_ranked_contest contest;
        uint32_t *tie_order; /* [contest.n_cand] from "[tie ...]" (most favoured first), or NULL */
        char *source;        /* optional quoted string after the title, or NULL */
        char *comment;       /* optional second quoted string, or NULL */
        unsigned n_lines;    /* ballot lines read */
};

void pb_blt_init(struct pb_blt *b);
/** Free everything; accepts a zeroed value and leaves it zeroed. */
void pb_blt_release(struct pb_blt *b);

/**
 * Parse .blt text.  Accepted (Droop's lenient dialect): any whitespace and blank lines, CRLF,
 * a UTF-8 byte-order mark, '#' and '//' comments to the end of the line, '/ * ... * /'
 * comments, weights >= 1, "(id)" ballot ids (weight 1), "a=b" equal rankings, candidate
 * nicknames, options [nick ...] [tie ...] [withdrawn ...] [undeclared ...] [droop ...] before
 * the first ballot, "-k" withdrawn candidates, and quoted source and comment strings after the
 * title (anything after those is ignored, as Droop does).
 * Rejected with line, column and reason: a missing or zero seat count, an unknown or repeated
 * candidate on one ballot, a negative id, a missing 0 terminator or end-of-ballots 0, missing
 * or unterminated names or title, text glued to a closing quote, names that are not UTF-8.
 * @param ret     initialised, empty; filled on success, releasable on failure
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_PARSE, PB_ERR_INVALID, PB_ERR_LIMIT, PB_ERR_OVERFLOW
 */
PB_NODISCARD pb_err pb_blt_parse(const char *buf, size_t len, struct pb_blt *ret, struct pb_diag *reterr);

#endif
