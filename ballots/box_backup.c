/**
 * @file A consistent copy of a ballot box while a server keeps casting into it (issue 17), with
 * SQLite's online backup API, and the copy's full check (docs/operations.md, "Backups").
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/box_int.h"

/* SQLite's error @rc on a connection that is not a struct pb_box's, as a diagnostic about @what
 * ("source", "copy", "backup"): the reasons are box_sqlite_err()'s static ones. */
static pb_err backup_err(int rc, const char *what, struct pb_diag *d)
{
        pb_err r = box_sqlite_err(NULL, rc, d);

        return d ? pb_diag_set(d, r, what, d->reason) : r;
}

/* The source, read-only: the backup never writes the original (a kill leaves it as it was). */
static pb_err open_source(const char *path, sqlite3 **ret, struct pb_diag *d)
{
        struct stat st;
        sqlite3_stmt *q = NULL;
        int rc;

        if (stat(path, &st) != 0)
                return pb_diag_set(d, PB_ERR_NOT_FOUND, "source", "no such database file");
        rc = sqlite3_open_v2(path, ret, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             NULL);
        if (rc != SQLITE_OK)
                return backup_err(rc, "source", d);
        sqlite3_busy_timeout(*ret, 5000);
        rc = sqlite3_prepare_v2(*ret, "PRAGMA application_id", -1, &q, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(q);
        if (rc == SQLITE_ROW && sqlite3_column_int(q, 0) != PB_BOX_APPLICATION_ID) {
                sqlite3_finalize(q);
                return pb_diag_set(d, PB_ERR_UNSUPPORTED, "source", "not a pbvote ballot box");
        }
        sqlite3_finalize(q);
        if ((rc & 0xff) == SQLITE_NOTADB) /* SQLite reads the file's header at the first step */
                return pb_diag_set(d, PB_ERR_UNSUPPORTED, "source", "not a pbvote ballot box");
        if (rc != SQLITE_ROW)
                return backup_err(rc == SQLITE_DONE ? SQLITE_NOTADB : rc, "source", d);
        return PB_OK;
}

/*
 * Copy the pages PB_PROGRESS_EVERY at a time (16 MiB of 4 KiB pages), all inside ONE read
 * transaction on the source, opened here and held to the last page: in WAL mode the server's
 * writer goes on committing beside that reader, and the copy is the box as of the transaction's
 * start.  sqlite3_backup_step() uses a read transaction it finds open; without one, each step
 * opens its own, and a step after another connection wrote the source restarts the copy from the
 * first page, which under a steady flow of ballots would never end.
 */
static pb_err copy_pages(sqlite3 *src, sqlite3 *dst, const struct pb_progress *progress, struct pb_diag *d)
{
        sqlite3_backup *bk;
        int rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL), tries = 0;
        pb_err r = PB_OK;

        if (rc != SQLITE_OK)
                return backup_err(rc, "source", d);
        bk = sqlite3_backup_init(dst, "main", src, "main");
        if (!bk) {
                r = backup_err(dst ? sqlite3_errcode(dst) : SQLITE_NOMEM, "backup", d);
                goto out;
        }
        do {
                rc = sqlite3_backup_step(bk, (int)PB_PROGRESS_EVERY);
                if (rc == SQLITE_OK || rc == SQLITE_DONE) {
                        int pages = sqlite3_backup_pagecount(bk);
                        pb_progress_report(progress, (uint64_t)(pages - sqlite3_backup_remaining(bk)),
                                           (uint64_t)pages, rc == SQLITE_DONE);
                } else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                        sqlite3_sleep(100);
                }
        } while (rc == SQLITE_OK || ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < 100));
        sqlite3_backup_finish(bk);
        if (rc != SQLITE_DONE)
                r = backup_err(rc, "backup", d);
out:
        (void)sqlite3_exec(src, "COMMIT", NULL, NULL, NULL); /* ends the read transaction */
        return r;
}

/* The copy as the box opens it, fully checked (pb_box_check: every ballot, the log, the documents). */
static pb_err check_copy(const char *path, struct pb_diag *d)
{
        struct pb_box *b = NULL;
        sqlite3 *db = NULL;
        pb_err r = pb_box_open(path, &b, d);

        if (r == PB_OK)
                r = pb_box_check(b, d);
        pb_box_free(b);
        if (r < 0)
                return r;
        /* the box keeps its WAL file between connections; a plain last connection checkpoints it
         * into the file and removes it, so the copy is one self-contained file */
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
                r = backup_err(db ? sqlite3_errcode(db) : SQLITE_NOMEM, "copy", d);
        if (sqlite3_close(db) != SQLITE_OK && r == PB_OK)
                r = pb_diag_set(d, PB_ERR_STORAGE, "copy", "cannot close the copy");
        return r;
}

/* fsync @path (the finished copy), so that a backup reported done is on the disk. */
static pb_err sync_file(const char *path, struct pb_diag *d)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int rc = fd < 0 ? -1 : fsync(fd);

        if (fd >= 0)
                close(fd);
        return rc == 0 ? PB_OK
                       : pb_diag_set(d, PB_ERR_STORAGE, "copy", "cannot write the copy to the disk (fsync)");
}

pb_err pb_box_backup(const char *src_path, const char *dst_path, struct pb_diag *reterr)
{
        return pb_box_backup_progress(src_path, dst_path, NULL, reterr);
}

pb_err pb_box_backup_progress(const char *src_path, const char *dst_path, const struct pb_progress *progress,
                              struct pb_diag *reterr)
{
        sqlite3 *src = NULL, *dst = NULL;
        bool made = false;
        pb_err r;
        int fd;

        r = open_source(src_path, &src, reterr);
        if (r < 0)
                goto out;
        /* 0600 before SQLite fills it: its -wal and -shm take the file's mode (issue 11) */
        fd = open(dst_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = pb_diag_set(reterr, errno == EEXIST ? PB_ERR_CONFLICT : PB_ERR_IO, "copy",
                                errno == EEXIST ? "the file exists already" : "cannot create the file");
                goto out;
        }
        close(fd);
        made = true;
        if (sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
                r = backup_err(dst ? sqlite3_errcode(dst) : SQLITE_NOMEM, "copy", reterr);
                goto out;
        }
        r = copy_pages(src, dst, progress, reterr);
        sqlite3_close(src);
        src = NULL;
        if (sqlite3_close(dst) != SQLITE_OK && r == PB_OK)
                r = pb_diag_set(reterr, PB_ERR_STORAGE, "copy", "cannot close the copy");
        dst = NULL;
        if (r == PB_OK)
                r = check_copy(dst_path, reterr);
        if (r == PB_OK)
                r = sync_file(dst_path, reterr);
out:
        sqlite3_close(src);
        sqlite3_close(dst);
        if (r < 0 && made)
                pb_box_remove(dst_path);
        return r;
}
