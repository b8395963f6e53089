/** @file The audit bundle (docs/auditor.md): every signed document, every checkpoint, every CVR. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/box_int.h"
#include "ballots/pb_bundle.h"
#include "formats/pb_file.h"
#include "engine/pb_canon.h"

/* A file written through a temporary name: write, fsync, rename. */
struct out_file {
        char path[4096], tmp[4096];
        int fd;
        struct pb_buf buf; /* flushed to the file every 1 MiB */
};

static pb_err of_open(struct out_file *f, const char *dir, const char *name, struct pb_diag *d)
{
        int n = snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
        int m = snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.tmp", dir, name);

        pb_buf_init(&f->buf, 0);
        f->fd = -1;
        if (n < 0 || m < 0 || (size_t)n >= sizeof(f->path) || (size_t)m >= sizeof(f->tmp))
                return pb_diag_set(d, PB_ERR_IO, "out", "path too long");
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (f->fd < 0)
                return pb_diag_set(d, PB_ERR_IO, "out", "cannot create a file in the bundle folder");
        return PB_OK;
}

static pb_err of_drain(struct out_file *f, struct pb_diag *d)
{
        const char *p = f->buf.data;
        size_t left = f->buf.len;

        while (left) {
                ssize_t w = write(f->fd, p, left);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return pb_diag_set(d, PB_ERR_IO, "out", "write failed (disk full?)");
                p += w;
                left -= (size_t)w;
        }
        pb_buf_reset(&f->buf);
        return PB_OK;
}

static pb_err of_maybe_drain(struct out_file *f, struct pb_diag *d)
{
        return f->buf.len >= ((size_t)1 << 20) ? of_drain(f, d) : PB_OK;
}

static pb_err of_close(struct out_file *f, pb_err r, struct pb_diag *d)
{
        if (r == PB_OK)
                r = of_drain(f, d);
        if (r == PB_OK && fsync(f->fd) < 0)
                r = pb_diag_set(d, PB_ERR_IO, "out", "fsync failed");
        if (f->fd >= 0 && close(f->fd) < 0 && r == PB_OK)
                r = pb_diag_set(d, PB_ERR_IO, "out", "close failed");
        f->fd = -1;
        if (r == PB_OK && rename(f->tmp, f->path) < 0)
                r = pb_diag_set(d, PB_ERR_IO, "out", "cannot rename a file into place");
        if (r < 0)
                unlink(f->tmp);
        pb_buf_release(&f->buf);
        return r;
}

static pb_err write_doc(struct pb_box *b, const char *dir, const char *name, int col, bool required,
                        struct pb_diag *d)
{
        struct out_file f;
        pb_err r = of_open(&f, dir, name, d);

        if (r == PB_OK) {
                r = box_get_doc(b, col, &f.buf, d);
                if (r == PB_ERR_NOT_FOUND && !required) {
                        close(f.fd);
                        unlink(f.tmp);
                        pb_buf_release(&f.buf);
                        return PB_OK;
                }
                if (r == PB_ERR_NOT_FOUND)
                        r = pb_diag_set(d, PB_ERR_INTERNAL, "database", "a signed document is missing");
        }
        return of_close(&f, r, d);
}

static pb_err write_keys(struct pb_box *b, const char *dir, struct pb_diag *d)
{
        struct out_file f;
        pb_err r = of_open(&f, dir, PB_BUNDLE_KEYS, d);

        if (r == PB_OK)
                r = pb_bundle_keys_format(&b->manifest->engine_key, &b->manifest->office_key, &f.buf);
        return of_close(&f, r, d);
}

static pb_err write_checkpoints(struct pb_box *b, const char *dir, struct pb_diag *d)
{
        struct out_file f;
        sqlite3_stmt *st;
        pb_err r = of_open(&f, dir, PB_BUNDLE_CHECKPOINTS, d);
        int rc = SQLITE_DONE;

        st = r == PB_OK ? box_stmt(b, ST_CP_ALL) : NULL;
        if (r == PB_OK && !st)
                r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while (r == PB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = pb_bundle_checkpoint_line(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                              &f.buf);
                if (r == PB_OK)
                        r = of_maybe_drain(&f, d);
        }
        if (st)
                sqlite3_reset(st);
        if (r == PB_OK && rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, d);
        return of_close(&f, r, d);
}

static pb_err write_ballots(struct pb_box *b, const char *dir, struct pb_diag *d)
{
        struct out_file f;
        sqlite3_stmt *st;
        pb_err r = of_open(&f, dir, PB_BUNDLE_BALLOTS, d);
        int rc = SQLITE_DONE;

        st = r == PB_OK ? box_stmt(b, ST_BALLOTS_BY_LEAF) : NULL;
        if (r == PB_OK && !st)
                r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while (r == PB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (sqlite3_column_bytes(st, 0) != 32 || sqlite3_column_bytes(st, 2) != PB_CVR_NONCE_BYTES) {
                        r = pb_diag_set(d, PB_ERR_INTERNAL, "database", "a damaged ballot row");
                        break;
                }
                r = pb_bundle_ballot_line(sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 2),
                                          sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                          &f.buf);
                if (r == PB_OK)
                        r = of_maybe_drain(&f, d);
        }
        if (st)
                sqlite3_reset(st);
        if (r == PB_OK && rc != SQLITE_DONE)
                r = box_sqlite_err(b, rc, d);
        return of_close(&f, r, d);
}

pb_err pb_box_export(struct pb_box *b, const char *dir, struct pb_diag *reterr)
{
        enum pb_box_state s;
        pb_err r;
        int fd;

        box_cache_for_scan(b, true); /* every ballot is read once */
        r = box_begin_read(b, reterr);
        if (r < 0) {
                box_cache_for_scan(b, false);
                return r;
        }
        r = box_get_state(b, &s, reterr);
        if (r == PB_OK && s != PB_BOX_TALLIED && s != PB_BOX_CERTIFIED)
                r = pb_diag_set(reterr, PB_ERR_STATE, "state",
                                "the bundle is exported once the election is tallied");
        if (r < 0)
                goto out;
        if (mkdir(dir, 0755) < 0) {
                r = errno == EEXIST ? pb_diag_set(reterr, PB_ERR_CONFLICT, "out", "the folder exists already")
                                    : pb_diag_set(reterr, PB_ERR_IO, "out", "cannot create the folder");
                goto out;
        }
        r = write_doc(b, dir, PB_BUNDLE_MANIFEST, DOC_MANIFEST_ENVELOPE, true, reterr);
        if (r == PB_OK)
                r = write_keys(b, dir, reterr);
        if (r == PB_OK)
                r = write_checkpoints(b, dir, reterr);
        if (r == PB_OK)
                r = write_ballots(b, dir, reterr);
        if (r == PB_OK)
                r = write_doc(b, dir, PB_BUNDLE_CLOSE, DOC_CLOSE, true, reterr);
        if (r == PB_OK)
                r = write_doc(b, dir, PB_BUNDLE_RESULT, DOC_RESULT, true, reterr);
        if (r == PB_OK)
                r = write_doc(b, dir, PB_BUNDLE_CERTIFICATION, DOC_CERTIFICATION, false, reterr);
        if (r == PB_OK) {
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        (void)fsync(fd);
                        close(fd);
                }
        }
out:
        box_rollback(b);
        box_cache_for_scan(b, false);
        return r;
}
