/**
 * @file POSIX tar archives (the audit bundle over HTTP): writing a folder as a deterministic ustar
 * archive, and reading an archive header by header without holding its members in memory.
 */
#ifndef PB_TAR_H
#define PB_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

#define PB_TAR_NAME_MAX 255   /* longest member name read (a pax path included) */
#define PB_TAR_PAX_MAX_KIB 64 /* largest pax extended header read, in KiB */
#define PB_TAR_PAX_MAX ((unsigned)PB_TAR_PAX_MAX_KIB << 10) /* the same in bytes */

/** One member of an archive as pb_tar_next() reads it.  Plain data. */
struct pb_tar_entry {
        char name[PB_TAR_NAME_MAX + 1]; /* as stored: ustar prefix + '/' + name, or the pax path */
        char type;       /* ustar typeflag: '0' or '\0' a regular file, '5' a folder, '1' a hard link,
                        * '2' a symbolic link, '3'/'4' a device, '6' a FIFO, ... */
        uint64_t size;   /* bytes of data after the header (0 for links and folders) */
        uint64_t offset; /* where the data starts, in bytes from the start of the archive */
};

/**
 * A reader over an archive in a seekable file, caller's storage.  It reads headers only and seeks
 * over the data, so memory stays constant whatever the archive holds.  Accepted: POSIX ustar
 * ("ustar\0" "00") with its prefix field, pax extended headers ('x': path and size apply to the
 * next member, other keywords are ignored; 'g' without path or size), and the header layout of
 * GNU tar ("ustar  \0") for members with short names; sizes in octal or base-256.
 */
struct pb_tar_reader {
        FILE *f;         /* borrowed, positioned anywhere: the reader seeks */
        uint64_t size;   /* bytes in the archive */
        uint64_t next;   /* offset of the next header */
        unsigned member; /* 1-based number of the member last read, for messages */
        bool done;       /* the end-of-archive marker was read */
};

/** Start reading the archive @f of @size bytes (from fstat) at its first byte. */
void pb_tar_reader_init(struct pb_tar_reader *t, FILE *f, uint64_t size);

/**
 * Read the next member's header.  At the end-of-archive marker (a zero block) *@ret_end is set and
 * everything after it must be zero bytes.  @ret is written only on PB_OK when not at the end.
 * @return PB_OK; PB_ERR_PARSE (not a ustar or pax archive, a bad checksum, number or pax record,
 *         no end marker, data after it: reterr->line is the member's number, reterr->subject its
 *         name when known); PB_ERR_LIMIT (a name longer than PB_TAR_NAME_MAX, a pax header larger
 *         than PB_TAR_PAX_MAX); PB_ERR_UNSUPPORTED (GNU long names, sparse members, a global
 *         path); PB_ERR_IO (a read or seek failed, or a member runs past the end: truncated)
 */
PB_NODISCARD pb_err pb_tar_next(struct pb_tar_reader *t, struct pb_tar_entry *ret, bool *ret_end,
                                struct pb_diag *reterr);

#endif
