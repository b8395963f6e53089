/**
 * @file The audit bundle (docs/auditor.md): every signed document, every checkpoint, every CVR;
 * written as a folder (pbvote export) or read as a ustar stream (GET .../export).  Both produce
 * each file through the same functions, so the streamed archive holds the folder's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/box_int.h"
#include "ballots/pb_bundle.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "formats/pb_file.h"
#include "formats/pb_tar.h"

/* What a file of the bundle is made of. */
enum member_kind {
        MEM_DOC,  /* a signed document: one column of the election row */
        MEM_KEYS, /* keys.txt, from the manifest */
        MEM_LINES /* one line per row of a statement: checkpoints, ballots */
};

struct member {
        const char *name;
        enum member_kind kind;
        int col;            /* MEM_DOC: DOC_* */
        enum box_stmt stmt; /* MEM_LINES: its rows, in file order */
        bool required;      /* else absent when its column is NULL (the certification) */
};

/* The files in name order: the order of the archive (pb_tar_dir sorts by name). */
static const struct member members[] = {
        { PB_BUNDLE_BALLOTS, MEM_LINES, 0, ST_BALLOTS_BY_LEAF, true },
        { PB_BUNDLE_CERTIFICATION, MEM_DOC, DOC_CERTIFICATION, ST_COUNT, false },
        { PB_BUNDLE_CHECKPOINTS, MEM_LINES, 0, ST_CP_ALL, true },
        { PB_BUNDLE_CLOSE, MEM_DOC, DOC_CLOSE, ST_COUNT, true },
        { PB_BUNDLE_KEYS, MEM_KEYS, 0, ST_COUNT, true },
        { PB_BUNDLE_MANIFEST, MEM_DOC, DOC_MANIFEST_ENVELOPE, ST_COUNT, true },
        { PB_BUNDLE_RESULT, MEM_DOC, DOC_RESULT, ST_COUNT, true },
};
#define N_MEMBERS (sizeof(members) / sizeof(members[0]))

/* Files are flushed, and the stream refilled, by about this much at a time. */
#define CHUNK ((size_t)64 << 10)

/* Append the next row's line of a MEM_LINES member to @out (@st from box_stmt(b, m->stmt));
 * *ret_done at the end of the rows. */
static pb_err line_next(struct pb_box *b, const struct member *m, sqlite3_stmt *st, struct pb_buf *out,
                        bool *ret_done, struct pb_diag *d)
{
        struct box_ballot_row row = { 0 };
        pb_err r;
        int rc;

        if (m->stmt == ST_BALLOTS_BY_LEAF) {
                r = box_ballot_next(b, st, &row, ret_done, d);
                if (r < 0 || *ret_done)
                        return r;
                return pb_bundle_ballot_line(row.commitment, row.nonce, row.cvr, row.cvr_len, out);
        }
        rc = sqlite3_step(st);
        *ret_done = rc != SQLITE_ROW;
        if (rc == SQLITE_DONE)
                return PB_OK;
        if (rc != SQLITE_ROW)
                return box_sqlite_err(b, rc, d);
        return pb_bundle_checkpoint_line(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                         out);
}

/* The whole of a MEM_DOC or MEM_KEYS member, appended to @out; PB_ERR_NOT_FOUND for an absent
 * optional document. */
static pb_err small_member(struct pb_box *b, const struct member *m, const struct pb_manifest *manifest,
                           struct pb_buf *out, struct pb_diag *d)
{
        pb_err r;

        if (m->kind == MEM_KEYS)
                return pb_bundle_keys_format(&manifest->engine_key, &manifest->office_key, out);
        r = box_get_doc(b, m->col, out, d);
        if (r == PB_ERR_NOT_FOUND && m->required)
                r = pb_diag_set(d, PB_ERR_INTERNAL, "database", "a signed document is missing");
        return r;
}

/* ---- the folder (pbvote export) ---- */

/* A file written through a temporary name: write, fsync, rename. */
struct out_file {
        char path[4096], tmp[4096];
        int fd;
        struct pb_buf buf; /* flushed to the file every CHUNK */
};

static pb_err of_open(struct out_file *f, const char *dir, const char *name, struct pb_diag *d)
{
        int n = snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
        int m = snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.tmp", dir, name);

        pb_buf_init(&f->buf, 0);
        f->fd = -1;
        if (n < 0 || m < 0 || (size_t)n >= sizeof(f->path) || (size_t)m >= sizeof(f->tmp))
                return pb_diag_set(d, PB_ERR_IO, "out", "path too long");
        /* the CVRs with their nonces: readable by the owner only (issue 11), like the box */
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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

/* Finish the file (@r: how writing it went); an absent file (@r PB_ERR_NOT_FOUND) is removed. */
static pb_err of_close(struct out_file *f, pb_err r, struct pb_diag *d)
{
        bool absent = r == PB_ERR_NOT_FOUND;

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
        return absent ? PB_OK : r;
}

/* The ballots written so far, of @total (the log's size), for the caller's progress line. */
struct export_count {
        const struct pb_progress *p;
        uint64_t done, total;
};

static pb_err write_member(struct pb_box *b, const char *dir, const struct member *m, struct export_count *c,
                           struct pb_diag *d)
{
        /* one line per ballot in log order: what a progress line counts */
        const bool count = c->p && m->stmt == ST_BALLOTS_BY_LEAF;
        struct out_file f;
        sqlite3_stmt *st;
        bool done = false;
        pb_err r = of_open(&f, dir, m->name, d);

        if (r == PB_OK && m->kind != MEM_LINES)
                return of_close(&f, small_member(b, m, b->manifest, &f.buf, d), d);
        st = r == PB_OK ? box_stmt(b, m->stmt) : NULL;
        if (r == PB_OK && !st)
                r = box_sqlite_err(b, sqlite3_errcode(b->db), d);
        while (r == PB_OK && !done) {
                r = line_next(b, m, st, &f.buf, &done, d);
                if (r == PB_OK && f.buf.len >= CHUNK)
                        r = of_drain(&f, d);
                if (count && r == PB_OK && !done)
                        pb_progress_report(c->p, ++c->done, c->total, 0);
        }
        if (count && r == PB_OK)
                pb_progress_report(c->p, c->done, c->total, 1);
        if (st)
                sqlite3_reset(st);
        return of_close(&f, r, d);
}

/* A failed export removes the files it wrote and its folder (issue 16: a full disk or an I/O error
 * left a folder that looks like a bundle but lacks files, and the same export into it was then
 * refused because the folder existed).  The temporary file of the member that failed is already
 * gone (of_close); the folder was made by this export, 0700, so nothing else is in it. */
static void export_undo(const char *dir)
{
        char p[4096];

        for (size_t i = 0; i < N_MEMBERS; i++) {
                int n = snprintf(p, sizeof(p), "%s/%s", dir, members[i].name);
                if (n > 0 && (size_t)n < sizeof(p))
                        (void)unlink(p);
        }
        (void)rmdir(dir);
}

pb_err pb_box_export(struct pb_box *b, const char *dir, struct pb_diag *reterr)
{
        return pb_box_export_progress(b, dir, NULL, reterr);
}

pb_err pb_box_export_progress(struct pb_box *b, const char *dir, const struct pb_progress *progress,
                              struct pb_diag *reterr)
{
        struct export_count count = { progress, 0, 0 };
        pb_err r = box_begin_scan(b, reterr);
        int fd;

        if (r < 0)
                return r;
        r = box_need_tallied(b, "the bundle is exported once the election is tallied", reterr);
        if (r == PB_OK && progress)
                r = box_get_count(b, CNT_LOGGED, &count.total, reterr);
        if (r < 0)
                goto out;
        if (mkdir(dir, 0700) < 0) {
                r = errno == EEXIST ? pb_diag_set(reterr, PB_ERR_CONFLICT, "out", "the folder exists already")
                                    : pb_diag_set(reterr, PB_ERR_IO, "out", "cannot create the folder");
                goto out;
        }
        for (size_t i = 0; r == PB_OK && i < N_MEMBERS; i++)
                r = write_member(b, dir, &members[i], &count, reterr);
        if (r < 0)
                export_undo(dir);
        if (r == PB_OK) {
                fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        (void)fsync(fd);
                        close(fd);
                }
        }
out:
        box_end_scan(b);
        return r;
}

/* ---- the stream (GET .../export) ---- */

/* Where the stream is within the current member. */
enum phase { PH_HEADER, PH_DATA, PH_PAD };

struct pb_box_export {
        struct pb_box box; /* a read-only connection of its own: only db and st[] are used */
        char prefix[PB_ID_MAX + 1];
        struct pb_buf small[N_MEMBERS]; /* the documents and keys.txt, read at open */
        bool present[N_MEMBERS];
        uint64_t size[N_MEMBERS]; /* bytes of each file */
        uint64_t total;           /* bytes of the archive */
        size_t at;                /* the member being produced; N_MEMBERS: the trailer */
        enum phase phase;
        sqlite3_stmt *rows; /* of a MEM_LINES member while its data is produced */
        uint64_t produced;  /* data bytes of the current member produced so far */
        struct pb_buf out;  /* bytes produced, not read yet, from out_at */
        size_t out_at;
        bool failed; /* a read failed: every later one fails too */
};

/* Open @path read-only, check it is a ballot box of this schema, start the read transaction. */
static pb_err stream_db_open(struct pb_box *b, const char *path, struct pb_diag *d)
{
        static const char pragmas[] = "PRAGMA busy_timeout = 5000;"
                                      "PRAGMA trusted_schema = OFF;"
                                      "PRAGMA cache_size = -2000;"; /* a scan: SQLite's default */
        sqlite3_stmt *q = NULL;
        struct stat st;
        int rc, app = 0, version = -1;

        if (stat(path, &st) != 0)
                return pb_diag_set(d, PB_ERR_NOT_FOUND, NULL, "no such database file");
        rc = sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             box_vfs());
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(b->db, pragmas, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(b->db, "PRAGMA application_id", -1, &q, NULL);
        if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
                app = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        q = NULL;
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &q, NULL);
        if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
                version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (rc != SQLITE_OK)
                return box_sqlite_err(b, rc, d);
        if (app != PB_BOX_APPLICATION_ID)
                return pb_diag_set(d, PB_ERR_UNSUPPORTED, NULL, "not a pbvote ballot box");
        /* a box of another schema is migrated by opening it (pb_box_open), which a server did */
        if (version != PB_BOX_SCHEMA_VERSION)
                return pb_diag_set(d, PB_ERR_UNSUPPORTED, NULL, "the ballot box has another schema version");
        return box_begin_read(b, d);
}

/* Every file's size and the documents, inside the read transaction. */
static pb_err stream_prepare(struct pb_box_export *x, struct pb_diag *d)
{
        struct pb_manifest *manifest = NULL;
        struct pb_buf text, line;
        enum pb_box_state s;
        pb_err r = box_get_state(&x->box, &s, d);

        if (r == PB_OK && s != PB_BOX_TALLIED && s != PB_BOX_CERTIFIED)
                r = pb_diag_set(d, PB_ERR_STATE, "state",
                                "the bundle is exported once the election is tallied");
        pb_buf_init(&text, 0);
        pb_buf_init(&line, 0);
        if (r == PB_OK)
                r = box_get_doc(&x->box, DOC_MANIFEST, &text, d);
        if (r == PB_OK)
                r = pb_manifest_parse(text.data, text.len, &manifest, d);
        for (size_t i = 0; r == PB_OK && i < N_MEMBERS; i++) {
                const struct member *m = &members[i];
                sqlite3_stmt *st;
                bool done = false;

                x->present[i] = true;
                if (m->kind != MEM_LINES) {
                        r = small_member(&x->box, m, manifest, &x->small[i], d);
                        if (r == PB_ERR_NOT_FOUND) {
                                x->present[i] = false;
                                r = PB_OK;
                        }
                        x->size[i] = x->small[i].len;
                        continue;
                }
                /* a pass over the rows to know the file's size before its first byte: the tar
                 * header comes first, and so does Content-Length */
                st = box_stmt(&x->box, m->stmt);
                if (!st)
                        r = box_sqlite_err(&x->box, sqlite3_errcode(x->box.db), d);
                while (r == PB_OK && !done) {
                        pb_buf_reset(&line);
                        r = line_next(&x->box, m, st, &line, &done, d);
                        x->size[i] += line.len;
                }
                if (st)
                        sqlite3_reset(st);
        }
        for (size_t i = 0; r == PB_OK && i < N_MEMBERS; i++) {
                char h[PB_TAR_BLOCK], name[PB_ID_MAX + 64];
                if (!x->present[i])
                        continue;
                snprintf(name, sizeof(name), "%s/%s", x->prefix, members[i].name);
                r = pb_tar_header(name, x->size[i], h); /* only to refuse what a header cannot hold */
                if (r < 0)
                        pb_diag_set(d, r, "export", "a file of the bundle is too large for a tar archive");
                x->total += PB_TAR_BLOCK + x->size[i] + pb_tar_padding(x->size[i]);
        }
        x->total += PB_TAR_TRAILER;
        pb_manifest_free(manifest);
        pb_buf_release(&text);
        pb_buf_release(&line);
        return r;
}

pb_err pb_box_export_new(const char *path, const char *prefix, struct pb_box_export **ret,
                         struct pb_diag *reterr)
{
        struct pb_box_export *x;
        pb_err r;

        if (strlen(prefix) > PB_ID_MAX)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "export", "name too long");
        /* the archive's order is the name order: pb_tar_dir() of pb_box_export()'s folder */
        for (size_t i = 1; i < N_MEMBERS; i++)
                PB_ASSERT(strcmp(members[i - 1].name, members[i].name) < 0);
        x = pb_calloc(1, sizeof(*x));
        if (!x)
                return PB_ERR_NOMEM;
        memcpy(x->prefix, prefix, strlen(prefix) + 1);
        for (size_t i = 0; i < N_MEMBERS; i++)
                pb_buf_init(&x->small[i], 0);
        pb_buf_init(&x->out, 0);
        r = stream_db_open(&x->box, path, reterr);
        if (r == PB_OK)
                r = stream_prepare(x, reterr);
        if (r < 0) {
                pb_box_export_free(x);
                return r;
        }
        *ret = x;
        return PB_OK;
}

uint64_t pb_box_export_size(const struct pb_box_export *x)
{
        return x->total;
}

/* Produce the next piece of the archive into x->out (empty: the end). */
static pb_err refill(struct pb_box_export *x, struct pb_diag *d)
{
        static const char zeros[PB_TAR_TRAILER];
        const struct member *m;
        pb_err r = PB_OK;

        pb_buf_reset(&x->out);
        x->out_at = 0;
        while (x->at < N_MEMBERS && !x->present[x->at])
                x->at++;
        if (x->at >= N_MEMBERS) {
                if (x->at == N_MEMBERS)
                        r = pb_buf_add(&x->out, zeros, PB_TAR_TRAILER);
                x->at = N_MEMBERS + 1;
                return r;
        }
        m = &members[x->at];
        switch (x->phase) {
        case PH_HEADER: {
                char h[PB_TAR_BLOCK], name[PB_ID_MAX + 64];
                snprintf(name, sizeof(name), "%s/%s", x->prefix, m->name);
                r = pb_tar_header(name, x->size[x->at], h);
                if (r == PB_OK)
                        r = pb_buf_add(&x->out, h, sizeof(h));
                x->phase = PH_DATA;
                x->produced = 0;
                if (r == PB_OK && m->kind == MEM_LINES && !(x->rows = box_stmt(&x->box, m->stmt)))
                        r = box_sqlite_err(&x->box, sqlite3_errcode(x->box.db), d);
                return r;
        }
        case PH_DATA:
                if (m->kind != MEM_LINES) {
                        r = pb_buf_add(&x->out, x->small[x->at].data, x->small[x->at].len);
                } else {
                        bool done = false;
                        while (r == PB_OK && !done && x->out.len < CHUNK)
                                r = line_next(&x->box, m, x->rows, &x->out, &done, d);
                        if (!done) {
                                x->produced += x->out.len;
                                return r;
                        }
                        sqlite3_reset(x->rows);
                        x->rows = NULL;
                }
                x->produced += x->out.len;
                /* the size was computed in the same read transaction: it can only differ if the
                 * snapshot did, which SQLite rules out */
                if (r == PB_OK && x->produced != x->size[x->at])
                        r = pb_diag_set(d, PB_ERR_INTERNAL, "export",
                                        "a file of the bundle changed while read");
                x->phase = PH_PAD;
                return r;
        case PH_PAD:
                r = pb_buf_add(&x->out, zeros, pb_tar_padding(x->size[x->at]));
                x->phase = PH_HEADER;
                x->at++;
                return r;
        }
        return PB_OK;
}

pb_err pb_box_export_read(struct pb_box_export *x, char *buf, size_t cap, size_t *ret_n,
                          struct pb_diag *reterr)
{
        size_t n = 0;
        pb_err r = x->failed ? pb_diag_set(reterr, PB_ERR_IO, "export", "the export failed earlier") : PB_OK;

        while (r == PB_OK && n < cap) {
                size_t k;
                if (x->out_at == x->out.len) {
                        if (x->at > N_MEMBERS)
                                break;
                        r = refill(x, reterr);
                        continue;
                }
                k = x->out.len - x->out_at < cap - n ? x->out.len - x->out_at : cap - n;
                memcpy(buf + n, x->out.data + x->out_at, k);
                x->out_at += k;
                n += k;
        }
        if (r < 0) {
                x->failed = true;
                return r;
        }
        *ret_n = n;
        return PB_OK;
}

void pb_box_export_free(struct pb_box_export *x)
{
        if (!x)
                return;
        for (int i = 0; i < ST_COUNT; i++)
                sqlite3_finalize(x->box.st[i]);
        if (x->box.db) {
                box_rollback(&x->box); /* ends the read transaction */
                sqlite3_close(x->box.db);
        }
        for (size_t i = 0; i < N_MEMBERS; i++)
                pb_buf_release(&x->small[i]);
        pb_buf_release(&x->out);
        pb_free(x);
}
