/** @file Reading whole files into memory, with a size limit and a clear error. */
#ifndef PB_FILE_H
#define PB_FILE_H

#include <stddef.h>

#include "engine/pb_err.h"

/** Largest input file the command line reads (1 GiB): far above the largest real election. */
#define PB_FILE_MAX ((size_t)1 << 30)

/**
 * Read all of @path into a new NUL-terminated buffer.
 * @param max        refuse files larger than this (PB_ERR_LIMIT)
 * @param ret_data   [out] owned by the caller (pb_free); set only on PB_OK
 * @param ret_len    [out] bytes read, excluding the NUL
 * @return PB_OK, PB_ERR_IO (reterr->reason names the failing call), PB_ERR_LIMIT, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_file_read(const char *path, size_t max, char **ret_data, size_t *ret_len,
                                 struct pb_diag *reterr);

/**
 * Write @len bytes to @path atomically: a temporary file in the same folder, fsync, rename.
 * @return PB_OK or PB_ERR_IO.
 */
PB_NODISCARD pb_err pb_file_write_atomic(const char *path, const void *data, size_t len,
                                         struct pb_diag *reterr);

/**
 * Make the folder @path (one level; mode 0777 before the umask) unless it is a folder already.
 * @return PB_OK or PB_ERR_IO (reterr->reason says why: it exists and is not a folder, or
 *         mkdir failed)
 */
PB_NODISCARD pb_err pb_file_mkdir(const char *path, struct pb_diag *reterr);

#endif
