/** @file `pbvote export --pb`: the ballots of a tallied vote as pabulib files (export_pb.c). */
#ifndef PB_CLI_EXPORT_INT_H
#define PB_CLI_EXPORT_INT_H

#include "ballots/pb_box.h"

/** What the pabulib files need that a manifest does not hold. */
struct export_pb {
        const char *db;       /* the box, for messages */
        const char *dir;      /* the new folder of the files */
        const char *country;  /* META country */
        const char *unit;     /* META unit: the city */
        const char *instance; /* META instance: the year, or the edition */
};

/** Write one pabulib file per contest of the tallied vote in @b into the new folder x->dir.
 *  @return an exit status (after printing why) */
int cli_export_pb(struct pb_box *b, const struct export_pb *x);

#endif
