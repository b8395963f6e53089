/**
 * @file The ballots of a tallied vote as pabulib files (issue 13): one per contest, each with its
 * projects' votes, score and `selected` from the count, so that pabulib's checker (`pbvote
 * check`) recounts every file to the signed result's winners.  `pbvote export --pb` writes them
 * to a folder; `GET /v1/elections/{id}/pabulib/{contest}` answers one.
 *
 * A CVR's ballots for several contests share one voter id in every file, as pabulib's city sets
 * do.  The voter ids number the CVRs in an order unrelated to the ballot log
 * (pb_box_ballots_load): a voter's receipt names no line.
 */
#ifndef PB_BOX_PABULIB_H
#define PB_BOX_PABULIB_H

#include "ballots/pb_box.h"
#include "engine/pb_buf.h"

/** What the files need that a manifest does not hold (borrowed; NULL: the default said). */
struct pb_pabulib_meta {
        const char *country;  /* META country; NULL: "unknown" */
        const char *unit;     /* META unit, the city; NULL: the vote's title */
        const char *instance; /* META instance, the year or edition; NULL: the year the vote ended */
        const char *engine;   /* the recount's engine ("pbvote 0.1.0"); the files do not state it */
};

/**
 * Called with each contest's file, in the manifest's order: @contest (borrowed) and the file's
 * text @pb[0..len).  A negative return stops the walk and is returned.
 */
typedef pb_err (*pb_pabulib_fn)(void *ctx, const struct pb_contest *contest, const char *pb, size_t len);

/**
 * The pabulib file of each contest of the tallied vote in @b, to @fn.  The ballots are loaded and
 * counted once again (with the signed result's seed), as the files state the count.
 * @return PB_OK, PB_ERR_STATE (not tallied), PB_ERR_OVERFLOW (a score beyond 64 bits),
 *         PB_ERR_INTERNAL, PB_ERR_STORAGE, PB_ERR_NOMEM, or what @fn returned; with @reterr
 */
PB_NODISCARD pb_err pb_box_pabulib(struct pb_box *b, const struct pb_pabulib_meta *meta, pb_pabulib_fn fn,
                                   void *ctx, struct pb_diag *reterr);

#endif
