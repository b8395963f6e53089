/**
 * @file Fuzz target: the tar reader (formats/tar.c) over an archive in memory.  Invariants: only
 * the documented errors; every member read lies inside the archive, after its header; names are
 * NUL-terminated within PB_TAR_NAME_MAX; the reader ends (an error, or the end marker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_tar_reader t;
        FILE *f;

        if (!size)
                return 0; /* fmemopen refuses an empty buffer */
        f = fmemopen((void *)(uintptr_t)data, size, "rb");
        if (!f)
                return 0;
        pb_tar_reader_init(&t, f, size);
        for (unsigned n = 0;; n++) {
                struct pb_tar_entry e;
                struct pb_diag d;
                bool end = false;
                pb_err r = pb_tar_next(&t, &e, &end, &d);

                if (r < 0) {
                        if (r != PB_ERR_PARSE && r != PB_ERR_LIMIT && r != PB_ERR_UNSUPPORTED &&
                            r != PB_ERR_IO && r != PB_ERR_NOMEM)
                                abort();
                        break;
                }
                if (end)
                        break;
                if (memchr(e.name, '\0', sizeof(e.name)) == NULL || e.offset < PB_TAR_BLOCK ||
                    e.offset > size || e.size > size - e.offset || n > size / PB_TAR_BLOCK)
                        abort();
        }
        fclose(f);
        return 0;
}
