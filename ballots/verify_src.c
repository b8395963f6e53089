/** @file Reading an audit bundle from a folder or a tar archive, bounded (verify_int.h). */
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballots/pb_bundle.h"
#include "ballots/verify_int.h"
#include "formats/pb_tar.h"
#include "engine/pb_alloc.h"

const char *const vsrc_names[F_COUNT] = {
        PB_BUNDLE_MANIFEST, PB_BUNDLE_KEYS,   PB_BUNDLE_CHECKPOINTS,   PB_BUNDLE_BALLOTS,
        PB_BUNDLE_CLOSE,    PB_BUNDLE_RESULT, PB_BUNDLE_CERTIFICATION,
};

struct problem {
        const char **why;
        char *name;
        size_t cap;
};

/* Keep the first problem only: later ones would just repeat "the bundle is not as exported". */
static void problem(struct problem *p, const char *why, const char *name, size_t len)
{
        if (*p->why)
                return;
        *p->why = why;
        if (len >= p->cap)
                len = p->cap - 1;
        memcpy(p->name, name, len);
        p->name[len] = '\0';
}

static int file_of(const char *name, size_t len)
{
        for (int k = 0; k < F_COUNT; k++)
                if (strlen(vsrc_names[k]) == len && !memcmp(vsrc_names[k], name, len))
                        return k;
        return -1;
}

static const char *mode_why(mode_t m)
{
        if (S_ISLNK(m))
                return "a symbolic link (a bundle holds regular files only)";
        if (S_ISDIR(m))
                return "a folder (a bundle is flat)";
        return "not a regular file (a device, FIFO or socket)";
}

/* ---- a folder ---------------------------------------------------------------------------------- */

static void open_folder(struct vsrc *s, struct problem *p)
{
        DIR *d = opendir(s->path);
        struct dirent *de;
        char extra[256] = "", path[4096];
        const char *extra_why = NULL;
        const char *bad_why[F_COUNT] = { NULL };

        if (!d) {
                problem(p, "cannot read the bundle folder", s->path, strlen(s->path));
                return;
        }
        while ((de = readdir(d))) {
                int k = file_of(de->d_name, strlen(de->d_name));
                struct stat st;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", s->path, de->d_name);
                if (k < 0) {
                        /* readdir's order is the file system's: name the smallest, so every run of
                         * the verifier names the same file */
                        if (!extra_why || strcmp(de->d_name, extra) < 0) {
                                snprintf(extra, sizeof(extra), "%s", de->d_name);
                                extra_why = lstat(path, &st) == 0 && !S_ISREG(st.st_mode)
                                                    ? mode_why(st.st_mode)
                                                    : "a file that belongs to no bundle (every byte must be "
                                                      "covered)";
                        }
                } else if (lstat(path, &st) < 0) {
                        bad_why[k] = "cannot be read";
                } else if (!S_ISREG(st.st_mode)) {
                        bad_why[k] = mode_why(st.st_mode);
                } else {
                        s->f[k].present = true;
                        s->f[k].size = (uint64_t)st.st_size;
                }
        }
        closedir(d);
        for (int k = 0; k < F_COUNT; k++)
                if (bad_why[k])
                        problem(p, bad_why[k], vsrc_names[k], strlen(vsrc_names[k]));
        if (extra_why)
                problem(p, extra_why, extra, strlen(extra));
}

/* ---- an archive -------------------------------------------------------------------------------- */

struct walk {
        bool decided;                  /* the first member fixed the layout: */
        bool has_top;                  /* one folder around the files, */
        char top[PB_TAR_NAME_MAX + 1]; /* this one */
        bool top_entry;                /* the folder's own member was seen */
};

static const char *type_why(char t)
{
        switch (t) {
        case '1': return "a hard link (a bundle holds regular files only)";
        case '2': return "a symbolic link (a bundle holds regular files only)";
        case '3':
        case '4': return "a device (a bundle holds regular files only)";
        case '5': return "a folder inside the bundle (a bundle is flat)";
        case '6': return "a FIFO (a bundle holds regular files only)";
        default: return "not a regular file (a bundle holds regular files only)";
        }
}

/* A ".." among the '/'-separated parts of @name[0..len). */
static bool has_dotdot(const char *name, size_t len)
{
        size_t start = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i < len && name[i] != '/')
                        continue;
                if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
                        return true;
                start = i + 1;
        }
        return false;
}

/*
 * One member against the layout pbvote writes: "<folder>/<file>" with one folder around every
 * file (pbvote names it after the election) or "<file>" alone, the folder's own member at most
 * once, no other folder, no absolute name, no "..", no link or device, each file once.
 */
static const char *member_why(struct vsrc *s, struct walk *w, const struct pb_tar_entry *e, int *ret_k)
{
        size_t len = strlen(e->name);
        const char *slash, *file;
        bool dir = e->type == '5';

        *ret_k = -1;
        if (dir && len && e->name[len - 1] == '/')
                len--;
        if (!len || e->name[0] == '/')
                return "an absolute or empty name";
        slash = memchr(e->name, '/', len);
        if (!w->decided) {
                w->decided = true;
                w->has_top = slash || dir;
                if (w->has_top)
                        snprintf(w->top, sizeof(w->top), "%.*s",
                                 (int)(slash ? (size_t)(slash - e->name) : len), e->name);
        }
        if (has_dotdot(e->name, len))
                return "a name with '..' (it would leave the folder when extracted)";
        if (dir && !slash && w->has_top && !strncmp(e->name, w->top, len) && !w->top[len]) {
                if (w->top_entry)
                        return "the bundle's folder twice";
                w->top_entry = true;
                return NULL;
        }
        if (w->has_top != (slash != NULL) || (slash && ((size_t)(slash - e->name) != strlen(w->top) ||
                                                        memcmp(e->name, w->top, strlen(w->top)))))
                return "a member outside the bundle's folder";
        file = slash ? slash + 1 : e->name;
        if (memchr(file, '/', len - (size_t)(file - e->name)))
                return "a name with a subfolder (a bundle is flat)";
        if (e->type != '0' && e->type != '\0')
                return type_why(e->type);
        *ret_k = file_of(file, len - (size_t)(file - e->name));
        if (*ret_k < 0)
                return "a file that belongs to no bundle (every byte must be covered)";
        if (s->f[*ret_k].present)
                return "a file twice in the archive";
        return NULL;
}

static pb_err open_tar(struct vsrc *s, struct problem *p)
{
        struct pb_tar_reader t;
        struct walk w;
        struct stat st;
        pb_err r = PB_OK;

        memset(&w, 0, sizeof(w));
        s->tar = fopen(s->path, "rb");
        if (!s->tar || fstat(fileno(s->tar), &st) < 0) {
                problem(p, "cannot read the bundle archive", s->path, strlen(s->path));
                return PB_OK;
        }
        pb_tar_reader_init(&t, s->tar, (uint64_t)st.st_size);
        for (;;) {
                struct pb_tar_entry e;
                struct pb_diag d;
                const char *why;
                bool end = false;
                int k;

                pb_diag_clear(&d);
                r = pb_tar_next(&t, &e, &end, &d);
                if (r == PB_ERR_NOMEM)
                        return r;
                if (r < 0) {
                        problem(p, d.reason ? d.reason : "not a tar archive",
                                d.subject[0] ? d.subject : s->path,
                                strlen(d.subject[0] ? d.subject : s->path));
                        return PB_OK;
                }
                if (end)
                        return PB_OK;
                why = member_why(s, &w, &e, &k);
                if (why) {
                        problem(p, why, e.name, strlen(e.name));
                        continue; /* the first problem is named; the others change nothing */
                }
                if (k >= 0) {
                        s->f[k].present = true;
                        s->f[k].size = e.size;
                        s->f[k].offset = e.offset;
                }
        }
}

pb_err vsrc_open(struct vsrc *s, const char *path, const char **ret_why, char *ret_name, size_t cap)
{
        struct problem p = { ret_why, ret_name, cap };
        struct stat st;

        memset(s, 0, sizeof(*s));
        s->path = path;
        *ret_why = NULL;
        ret_name[0] = '\0';
        if (stat(path, &st) < 0) {
                problem(&p, "no such bundle folder or archive", path, strlen(path));
                return PB_OK;
        }
        if (S_ISDIR(st.st_mode)) {
                open_folder(s, &p);
                return PB_OK;
        }
        s->is_tar = true;
        return open_tar(s, &p);
}

void vsrc_close(struct vsrc *s)
{
        if (s->tar)
                fclose(s->tar);
        s->tar = NULL;
}

/* ---- reading files ----------------------------------------------------------------------------- */

/* Position a stream at the start of file @k: the folder's own file, or the member in the archive. */
static pb_err open_file(struct vsrc *s, enum file_id k, FILE **ret, bool *ret_own, uint64_t *ret_size,
                        const char **ret_why)
{
        char path[4096];
        struct stat st;
        int fd;

        if (!s->f[k].present) {
                *ret_why = "missing";
                return PB_ERR_IO;
        }
        if (s->is_tar) {
                if (fseeko(s->tar, (off_t)s->f[k].offset, SEEK_SET) < 0) {
                        *ret_why = "cannot be read";
                        return PB_ERR_IO;
                }
                *ret = s->tar;
                *ret_own = false;
                *ret_size = s->f[k].size;
                return PB_OK;
        }
        /* no symbolic link, and still a regular file: what was listed is what is read */
        snprintf(path, sizeof(path), "%s/%s", s->path, vsrc_names[k]);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(*ret = fdopen(fd, "rb"))) {
                if (fd >= 0)
                        close(fd);
                *ret_why = "cannot be read";
                return PB_ERR_IO;
        }
        *ret_own = true;
        *ret_size = (uint64_t)st.st_size; /* what is read is what was there when it was opened */
        return PB_OK;
}

pb_err vsrc_read(struct vsrc *s, enum file_id k, size_t max, char **ret_data, size_t *ret_len,
                 const char **ret_why)
{
        FILE *f = NULL;
        bool own = false;
        uint64_t size = 0;
        char *data = NULL;
        pb_err r = open_file(s, k, &f, &own, &size, ret_why);

        if (r < 0)
                return r;
        if (size > max) {
                r = PB_ERR_LIMIT;
                *ret_why = "larger than any valid file of its kind";
                goto out;
        }
        data = pb_malloc((size_t)size + 1);
        if (!data) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        if (fread(data, 1, (size_t)size, f) != size || (own && fgetc(f) != EOF)) {
                r = PB_ERR_IO;
                *ret_why = "cannot be read (or changed while being read)";
                goto out;
        }
        data[size] = '\0';
        *ret_data = data;
        *ret_len = (size_t)size;
        data = NULL;
out:
        pb_free(data);
        if (own)
                fclose(f);
        return r;
}

/* ---- reading lines ----------------------------------------------------------------------------- */

#define LINES_CHUNK ((size_t)64 << 10) /* read ahead beyond the longest line, for fewer moves */

pb_err vlines_open(struct vsrc *s, enum file_id k, size_t max, struct vlines *ret, const char **ret_why)
{
        struct vlines l;
        pb_err r;

        memset(&l, 0, sizeof(l));
        r = open_file(s, k, &l.f, &l.own, &l.left, ret_why);
        if (r < 0)
                return r;
        l.max = max;
        l.cap = max + LINES_CHUNK;
        l.buf = pb_malloc(l.cap);
        if (!l.buf) {
                vlines_close(&l);
                return PB_ERR_NOMEM;
        }
        *ret = l;
        return PB_OK;
}

pb_err vlines_next(struct vlines *l, const char **ret_p, size_t *ret_n, bool *ret_end, const char **ret_why)
{
        char *nl;

        *ret_end = false;
        for (;;) {
                size_t have = l->end - l->start, got, want;

                nl = memchr(l->buf + l->start, '\n', have);
                if (nl)
                        break;
                if (have >= l->max) {
                        l->line++;
                        *ret_why = "a line longer than any valid line (refused before reading on)";
                        return PB_ERR_LIMIT;
                }
                if (l->start) { /* keep the partial line at the front */
                        memmove(l->buf, l->buf + l->start, have);
                        l->start = 0;
                        l->end = have;
                }
                want = l->cap - l->end;
                if (l->left < want)
                        want = (size_t)l->left;
                got = want ? fread(l->buf + l->end, 1, want, l->f) : 0;
                l->end += got;
                l->left -= got;
                if (got)
                        continue;
                if (want && ferror(l->f)) {
                        *ret_why = "cannot be read";
                        return PB_ERR_IO;
                }
                if (l->end > l->start) {
                        l->line++;
                        *ret_why = "the last line is cut (no newline)";
                        return PB_ERR_PARSE;
                }
                *ret_end = true;
                return PB_OK;
        }
        l->line++;
        *ret_p = l->buf + l->start;
        *ret_n = (size_t)(nl - (l->buf + l->start));
        l->start += *ret_n + 1;
        return PB_OK;
}

void vlines_close(struct vlines *l)
{
        if (l->own && l->f)
                fclose(l->f);
        pb_free(l->buf);
        memset(l, 0, sizeof(*l));
}

bool vsrc_has_crlf(const char *p, size_t n)
{
        if (n && p[n - 1] == '\r')
                return true;
        for (const char *c = p; (c = memchr(c, '\r', n - (size_t)(c - p))) && (size_t)(c - p) + 1 < n; c++)
                if (c[1] == '\n')
                        return true;
        return false;
}
