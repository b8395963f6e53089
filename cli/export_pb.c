/**
 * @file `pbvote export --db DB --pb DIR`: the ballots of a tallied vote as pabulib files, one per
 * contest (DIR/<contest id>.pb), with each project's votes, score and `selected` from the count, so
 * that `pbvote check` (pabulib's checker) recounts every file to the signed result's winners.
 *
 * A CVR's ballots for several contests share one voter id in every file, as pabulib's city sets
 * do (pbvote import of the files gives the same vote back).  The voter ids number the CVRs in an
 * order unrelated to the ballot log (pb_box_ballots_load): a voter's receipt names no line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_box_pabulib.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/export_int.h"
#include "formats/pb_envelope.h"
#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "engine/pb_alloc.h"
#include "engine/pb_int128.h"
#include "engine/pb_money.h"
#include "pb_config.h"

/* Where the files go, and whether the folder was made. */
struct pb_dir {
        const char *dir;
        bool made;
        int mkdir_errno; /* the folder could not be made: why */
        size_t files;
        struct pb_diag d;
};

/* The file of contest @c: DIR/<id>.pb, '/' in an id written '_' (a file name has no folders).  The
 * folder is made with the first file, so that a failed count leaves none. */
static pb_err write_contest(void *ctx, const struct pb_contest *c, const char *pb, size_t len)
{
        struct pb_dir *w = ctx;
        char path[4200], name[PB_ID_MAX + 1];

        if (!w->made) {
                if (mkdir(w->dir, 0700) != 0) {
                        w->mkdir_errno = errno;
                        return PB_ERR_IO;
                }
                w->made = true;
        }
        snprintf(name, sizeof(name), "%s", c->election->id);
        for (char *p = name; *p; p++)
                if (*p == '/')
                        *p = '_';
        snprintf(path, sizeof(path), "%s/%s.pb", w->dir, name);
        w->files++;
        return pb_file_write_atomic(path, pb, len, &w->d);
}

int cli_export_pb(struct pb_box *b, const struct export_pb *x)
{
        const struct pb_pabulib_meta meta = { x->country, x->unit, x->instance, "pbvote " PBVOTE_VERSION };
        struct pb_dir w = { x->dir, false, 0, 0, { 0 } };
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        pb_diag_clear(&w.d);
        r = pb_box_pabulib(b, &meta, write_contest, &w, &d);
        if (w.mkdir_errno) {
                fprintf(stderr, "pbvote: %s: %s\n", x->dir,
                        w.mkdir_errno == EEXIST ? "exists already (export writes a new folder)"
                                                : "cannot create the folder");
                return PB_EXIT_INPUT;
        }
        if (r < 0)
                return w.d.code ? cli_fail(x->dir, r, &w.d) : cli_fail(x->db, r, &d);
        fprintf(stderr, "pbvote: wrote %zu pabulib file%s of vote %s to %s\n", w.files,
                w.files > 1 ? "s" : "", pb_box_manifest(b)->election->id, x->dir);
        return PB_EXIT_OK;
}
