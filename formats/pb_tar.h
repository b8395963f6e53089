/** @file Writing a folder of files as a POSIX ustar archive (the audit bundle over HTTP). */
#ifndef PB_TAR_H
#define PB_TAR_H

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

/**
 * Append every regular file directly in @dir (sorted by name; no subfolders, no links) to @out
 * as a ustar archive whose members are named @prefix/<file>.  Deterministic: mode 0644, owner 0,
 * time 0, so the same files give the same bytes.
 * @return PB_OK, PB_ERR_IO, PB_ERR_LIMIT (a name longer than 99 bytes, or @out's cap), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_tar_dir(const char *dir, const char *prefix, struct pb_buf *out,
                               struct pb_diag *reterr);

/** Remove the folder @dir and the regular files directly in it (undo of an export).  PB_ERR_IO. */
PB_NODISCARD pb_err pb_tar_remove_dir(const char *dir);

#endif
