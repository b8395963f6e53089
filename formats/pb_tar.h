/** @file Writing a folder of files as a POSIX ustar archive (the audit bundle over HTTP). */
#ifndef PB_TAR_H
#define PB_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

#define PB_TAR_BLOCK 512                    /* a header, and the unit data is padded to */
#define PB_TAR_TRAILER 1024                 /* the two zero blocks that end an archive */
#define PB_TAR_SIZE_MAX ((uint64_t)1 << 33) /* member sizes below this fit a ustar header */

/**
 * Format the ustar header of a member @name of @size bytes into @out: mode 0644, owner 0, time 0
 * (deterministic), as pb_tar_dir() writes it.  The member's data follows, then
 * pb_tar_padding(@size) zero bytes; an archive ends with PB_TAR_TRAILER zero bytes.
 * @return PB_OK, PB_ERR_LIMIT (@name longer than 99 bytes, or @size PB_TAR_SIZE_MAX or more)
 */
PB_NODISCARD pb_err pb_tar_header(const char *name, uint64_t size, char out[PB_TAR_BLOCK]);

/** The zero bytes that follow a member of @size bytes (0 to 511). */
size_t pb_tar_padding(uint64_t size);

/**
 * Append every regular file directly in @dir (sorted by name; no subfolders, no links) to @out
 * as a ustar archive whose members are named @prefix/<file>.  Deterministic: mode 0644, owner 0,
 * time 0, so the same files give the same bytes.
 * @return PB_OK, PB_ERR_IO, PB_ERR_LIMIT (a name longer than 99 bytes, a file of 8 GiB or more, or
 *         @out's cap), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_tar_dir(const char *dir, const char *prefix, struct pb_buf *out,
                               struct pb_diag *reterr);

/** Remove the folder @dir and the regular files directly in it (undo of an export).  PB_ERR_IO. */
PB_NODISCARD pb_err pb_tar_remove_dir(const char *dir);

#endif
