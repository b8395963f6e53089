/**
 * @file `pbvote backup`: a consistent, checked copy of a server's data folder (every ballot box and
 * the files beside them) or of one ballot box, while the server keeps taking ballots (issue 17;
 * docs/operations.md, "Backups").
 *
 * The copy is built under a temporary name beside its destination and renamed into place only once
 * every box in it was opened and fully checked: the destination either does not exist or is a
 * complete backup.  A backup killed half-way leaves the temporary folder (".pbvote-backup-*") and
 * the originals as they were: the boxes are read through a read-only connection.
 */
#define _GNU_SOURCE /* renameat2(RENAME_NOREPLACE): never replace an existing backup */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_box.h"
#include "cli/cli.h"
#include "cli/cli_key.h"

struct backup_opts {
        const char *data, *db, *out;
        bool quiet;
};

static const struct cli_option backup_options[] = {
        CLI_PATH("data", struct backup_opts, data, "DIR",
                 "a server's data folder: every DIR/ID.db and its files"),
        CLI_PATH("db", struct backup_opts, db, "FILE", "or one ballot box"),
        CLI_PATH("out", struct backup_opts, out, "DIR2|FILE2",
                 "the backup: a new folder (--data) or file (--db)"),
        CLI_FLAG("quiet", struct backup_opts, quiet,
                 "no progress line (drawn only when stderr is a terminal)"),
        CLI_END,
};

const struct cli_command cli_cmd_backup = {
        .name = "backup",
        .synopsis = "backup --data DIR --out DIR2 [--quiet]\nbackup --db FILE --out FILE2 [--quiet]",
        .about = "Copies every ballot box of a server's data folder (and the keys and token files beside\n"
                 "them) into the new folder DIR2, or one box into the new file FILE2, while `pbvote serve`\n"
                 "keeps taking ballots: each box as of one moment (SQLite's online backup API), then opened\n"
                 "and fully checked as `election check` does.  The backup is made 0700 (files 0600) under\n"
                 "a temporary name and renamed to DIR2 or FILE2 only when complete; an existing DIR2 or\n"
                 "FILE2 is never replaced.  To restore, stop the server and copy the files back.\n"
                 "On a terminal a progress line counts each box's pages copied, and the boxes done.\n",
        .options = backup_options,
};

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && !strcmp(s + n - k, suffix);
}

/* Copy the regular file @src to the new file @dst, 0600, fsynced.  0, or -1 with errno. */
static int copy_file(const char *src, const char *dst)
{
        char buf[65536];
        int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = -1;
        ssize_t n = 0;

        if (in >= 0)
                out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
                for (ssize_t w, done = 0; done < n; done += w) {
                        w = write(out, buf + done, (size_t)(n - done));
                        if (w < 0)
                                goto out;
                }
        }
        if (out >= 0 && n == 0 && fsync(out) == 0)
                rc = 0;
out:
        if (in >= 0)
                close(in);
        if (out >= 0 && close(out) != 0)
                rc = -1;
        return rc;
}

/* fsync the folder @path, so that the names made or renamed in it are on the disk. */
static void sync_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
        }
}

/* Remove the temporary folder @tmp and what this backup put in it (one level). */
static void remove_tmp(const char *tmp)
{
        DIR *d = opendir(tmp);
        struct dirent *e;
        char path[8192];

        while (d && (e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
                (void)unlink(path);
        }
        if (d)
                closedir(d);
        (void)rmdir(tmp);
}

/* A temporary folder (0700) in the folder of @out, for the backup's files until they are complete. */
static int make_tmp(const char *out, char *tmp, size_t cap)
{
        char copy[4096];

        if (snprintf(copy, sizeof(copy), "%s", out) >= (int)sizeof(copy) ||
            snprintf(tmp, cap, "%s/.pbvote-backup-XXXXXX", dirname(copy)) >= (int)cap || !mkdtemp(tmp)) {
                fprintf(stderr, "pbvote backup: %s: cannot make a temporary folder beside it: %s\n", out,
                        strerror(errno));
                return PB_EXIT_INPUT;
        }
        return PB_EXIT_OK;
}

/* Rename the complete @from to @to, which must not exist, and make both names durable. */
static int put_in_place(const char *from, const char *to, const char *tmp)
{
        char copy[4096];

        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
                fprintf(stderr, "pbvote backup: %s: %s\n", to,
                        errno == EEXIST ? "exists already (a backup never replaces one)" : strerror(errno));
                return PB_EXIT_INPUT;
        }
        snprintf(copy, sizeof(copy), "%s", to);
        sync_dir(dirname(copy));
        if (tmp)
                sync_dir(tmp);
        return PB_EXIT_OK;
}

/* One box @src into the new file @dst: copied, opened and fully checked; its pages copied on a
 * progress line named @what (the box and how many boxes are done). */
static int backup_box(const char *src, const char *dst, const char *what, bool quiet)
{
        struct cli_progress progress;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        cli_progress_start(&progress, what, "copied", quiet);
        r = pb_box_backup_progress(src, dst, &progress.p, &d);
        cli_progress_end(&progress);
        if (r < 0)
                return cli_fail(src, r, &d);
        printf("pbvote: %s: copied and fully checked\n", src);
        return PB_EXIT_OK;
}

/* A box's file name: "ID.db", not hidden. */
static bool is_box_name(const char *name)
{
        return name[0] != '.' && has_suffix(name, ".db");
}

/* Every entry of @dir into @tmp: boxes through the backup API, other regular files byte for byte. */
static int backup_entries(const char *dir, const char *tmp, bool quiet, unsigned *ret_boxes)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, NULL, alphasort), rc = PB_EXIT_OK;
        char src[8192], dst[8192], what[512];
        unsigned n_boxes = 0;
        struct stat st;

        if (n < 0) {
                fprintf(stderr, "pbvote backup: %s: cannot read the folder: %s\n", dir, strerror(errno));
                return PB_EXIT_INPUT;
        }
        for (int i = 0; i < n; i++)
                n_boxes += is_box_name(names[i]->d_name); /* the total of the progress lines' box count */
        for (int i = 0; i < n && rc == PB_EXIT_OK; i++) {
                const char *name = names[i]->d_name;
                snprintf(src, sizeof(src), "%s/%s", dir, name);
                snprintf(dst, sizeof(dst), "%s/%s", tmp, name);
                /* a box's -wal and -shm are inside its copy; a -journal is never used (WAL) */
                if (name[0] == '.' || has_suffix(name, "-wal") || has_suffix(name, "-shm") ||
                    has_suffix(name, "-journal") || lstat(src, &st) != 0)
                        continue;
                if (!S_ISREG(st.st_mode)) {
                        fprintf(stderr, "pbvote backup: %s: not a regular file, left out\n", src);
                } else if (has_suffix(name, ".db")) {
                        snprintf(what, sizeof(what), "pbvote backup: box %u of %u (%s): pages",
                                 *ret_boxes + 1, n_boxes, name);
                        rc = backup_box(src, dst, what, quiet);
                        *ret_boxes += rc == PB_EXIT_OK;
                } else if (copy_file(src, dst) != 0) {
                        fprintf(stderr, "pbvote backup: %s: cannot copy: %s\n", src, strerror(errno));
                        rc = PB_EXIT_INPUT;
                }
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return rc;
}

static int backup_data(const char *dir, const char *out, bool quiet)
{
        char tmp[4096];
        unsigned boxes = 0;
        struct stat st;
        int rc;

        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "pbvote backup: %s: not a folder\n", dir);
                return PB_EXIT_INPUT;
        }
        if (lstat(out, &st) == 0) {
                fprintf(stderr, "pbvote backup: %s: exists already (a backup never replaces one)\n", out);
                return PB_EXIT_INPUT;
        }
        rc = make_tmp(out, tmp, sizeof(tmp));
        if (rc == PB_EXIT_OK)
                rc = backup_entries(dir, tmp, quiet, &boxes);
        if (rc == PB_EXIT_OK) {
                sync_dir(tmp);
                rc = put_in_place(tmp, out, NULL);
        }
        if (rc != PB_EXIT_OK) {
                remove_tmp(tmp);
                return rc;
        }
        printf("pbvote: backup of %s in %s: %u ballot box%s, each fully checked\n", dir, out, boxes,
               boxes == 1 ? "" : "es");
        return PB_EXIT_OK;
}

static int backup_db(const char *db, const char *out, bool quiet)
{
        char tmp[4096], file[4200];
        struct stat st;
        int rc;

        if (lstat(out, &st) == 0) {
                fprintf(stderr, "pbvote backup: %s: exists already (a backup never replaces one)\n", out);
                return PB_EXIT_INPUT;
        }
        rc = make_tmp(out, tmp, sizeof(tmp));
        if (rc != PB_EXIT_OK)
                return rc;
        snprintf(file, sizeof(file), "%s/box.db", tmp);
        rc = backup_box(db, file, "pbvote backup: pages", quiet);
        if (rc == PB_EXIT_OK)
                rc = put_in_place(file, out, tmp);
        remove_tmp(tmp);
        return rc;
}

int cmd_backup(int argc, char **argv)
{
        struct backup_opts o = { NULL, NULL, NULL, false };
        struct cli_args args;
        int rc = cli_parse(&cli_cmd_backup, argc, argv, &o, &args);

        if (rc != CLI_PARSED)
                return rc;
        if (!o.data == !o.db)
                return cli_usage_error(&cli_cmd_backup, "give either --data DIR or --db FILE");
        if (!o.out)
                return cli_missing(&cli_cmd_backup, o.data ? "--out DIR2" : "--out FILE2");
        return o.data ? backup_data(o.data, o.out, o.quiet) : backup_db(o.db, o.out, o.quiet);
}
