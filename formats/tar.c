/** @file A minimal, deterministic ustar writer for flat folders. */
#include "formats/pb_tar.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/pb_file.h"
#include "engine/pb_alloc.h"

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of @dir, sorted (owned array of owned strings). */
static pb_err list(const char *dir, char ***ret, size_t *ret_n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = NULL;
        size_t n = 0, cap = 0;

        if (!d)
                return PB_ERR_IO;
        while ((de = readdir(d))) {
                char path[4096], **nv;
                struct stat st;

                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                nv = pb_grow(v, &cap, n + 1, sizeof(*v), 16);
                if (!nv || !(nv[n] = pb_strndup(de->d_name, strlen(de->d_name)))) {
                        v = nv ? nv : v;
                        for (size_t i = 0; i < n; i++)
                                pb_free(v[i]);
                        pb_free(v);
                        closedir(d);
                        return PB_ERR_NOMEM;
                }
                v = nv;
                n++;
        }
        closedir(d);
        if (n)
                qsort(v, n, sizeof(*v), cmp);
        *ret = v;
        *ret_n = n;
        return PB_OK;
}

static void octal(char *field, size_t width, uint64_t v)
{
        /* width - 1 octal digits, zero-padded, then NUL */
        field[width - 1] = '\0';
        for (size_t i = width - 1; i-- > 0;) {
                field[i] = (char)('0' + (v & 7));
                v >>= 3;
        }
}

pb_err pb_tar_header(const char *name, uint64_t size, char out[PB_TAR_BLOCK])
{
        unsigned sum = 0;

        if (strlen(name) > 99)
                return PB_ERR_LIMIT;
        if (size >= PB_TAR_SIZE_MAX) /* 11 octal digits: larger sizes need a GNU or pax extension */
                return PB_ERR_LIMIT;
        memset(out, 0, PB_TAR_BLOCK);
        memcpy(out, name, strlen(name));
        octal(out + 100, 8, 0600); /* CVRs and nonces: the owner's only, as in the exported folder */
        octal(out + 108, 8, 0);
        octal(out + 116, 8, 0);
        octal(out + 124, 12, size);
        octal(out + 136, 12, 0);
        out[156] = '0';
        memcpy(out + 257, "ustar", 6);
        memcpy(out + 263, "00", 2);
        memset(out + 148, ' ', 8);
        for (size_t i = 0; i < PB_TAR_BLOCK; i++)
                sum += (unsigned char)out[i];
        octal(out + 148, 7, sum);
        out[155] = ' ';
        return PB_OK;
}

size_t pb_tar_padding(uint64_t size)
{
        return size % PB_TAR_BLOCK ? (size_t)(PB_TAR_BLOCK - size % PB_TAR_BLOCK) : 0;
}

static pb_err member(struct pb_buf *out, const char *name, const char *data, size_t len)
{
        static const char zeros[PB_TAR_BLOCK];
        char h[PB_TAR_BLOCK];
        pb_err r = pb_tar_header(name, len, h);

        if (r == PB_OK)
                r = pb_buf_add(out, h, sizeof(h));
        if (r == PB_OK)
                r = pb_buf_add(out, data, len);
        if (r == PB_OK)
                r = pb_buf_add(out, zeros, pb_tar_padding(len));
        return r;
}

pb_err pb_tar_dir(const char *dir, const char *prefix, struct pb_buf *out, struct pb_diag *reterr)
{
        static const char zeros[PB_TAR_TRAILER];
        char **names = NULL;
        size_t n = 0;
        pb_err r = list(dir, &names, &n);

        if (r < 0)
                return pb_diag_set(reterr, r, "export",
                                   r == PB_ERR_IO ? "cannot read the bundle folder" : NULL);
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                char path[4096], name[PB_TAR_NAME_MAX + 1];
                char *data = NULL;
                size_t len = 0;

                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                snprintf(name, sizeof(name), "%s/%s", prefix, names[i]);
                r = pb_file_read(path, PB_FILE_MAX, &data, &len, reterr);
                if (r == PB_OK)
                        r = member(out, name, data, len);
                pb_free(data);
        }
        if (r == PB_OK)
                r = pb_buf_add(out, zeros, sizeof(zeros));
        for (size_t i = 0; i < n; i++)
                pb_free(names[i]);
        pb_free(names);
        return r;
}

pb_err pb_tar_remove_dir(const char *dir)
{
        char **names = NULL;
        size_t n = 0;
        pb_err r = list(dir, &names, &n);

        for (size_t i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (unlink(path) < 0)
                        r = PB_ERR_IO;
                pb_free(names[i]);
        }
        pb_free(names);
        if (rmdir(dir) < 0)
                r = PB_ERR_IO;
        return r;
}

/* ---- reading ------------------------------------------------------------------------------------ */

void pb_tar_reader_init(struct pb_tar_reader *t, FILE *f, uint64_t size)
{
        memset(t, 0, sizeof(*t));
        t->f = f;
        t->size = size;
}

static pb_err at_member(const struct pb_tar_reader *t, struct pb_diag *d, pb_err code, const char *name,
                        const char *reason)
{
        pb_diag_at(d, code, t->member, 0, "tar", reason);
        if (name && d)
                pb_diag_subject(d, name, strlen(name));
        return code;
}

/* Read @len bytes at @off; PB_ERR_IO if the file ends first. */
static pb_err read_at(struct pb_tar_reader *t, uint64_t off, void *buf, size_t len)
{
        if (off > t->size || len > t->size - off || off > (uint64_t)INT64_MAX ||
            fseeko(t->f, (off_t)off, SEEK_SET) < 0 || fread(buf, 1, len, t->f) != len)
                return PB_ERR_IO;
        return PB_OK;
}

/* An octal field (leading spaces, digits, then NUL or spaces) or a positive base-256 one. */
static bool number(const char *field, size_t width, uint64_t *ret)
{
        const unsigned char *p = (const unsigned char *)field;
        uint64_t v = 0;
        size_t i = 0;

        if (p[0] & 0x80) { /* base-256 (GNU, star): the rest of the field, big-endian */
                if (p[0] != 0x80)
                        return false; /* negative */
                for (i = 1; i < width; i++) {
                        if (v >> 55)
                                return false;
                        v = v << 8 | p[i];
                }
                *ret = v;
                return true;
        }
        while (i < width && p[i] == ' ')
                i++;
        if (i == width || p[i] < '0' || p[i] > '7')
                return false;
        for (; i < width && p[i] >= '0' && p[i] <= '7'; i++) {
                if (v >> 60)
                        return false;
                v = v << 3 | (uint64_t)(p[i] - '0');
        }
        for (; i < width; i++)
                if (p[i] != ' ' && p[i] != '\0')
                        return false;
        *ret = v;
        return true;
}

static bool all_zero(const unsigned char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

/* The header's own checksum: its bytes summed with the checksum field read as spaces. */
static bool checksum_ok(const unsigned char *h)
{
        uint64_t want, sum = 0;

        if (!number((const char *)h + 148, 8, &want))
                return false;
        for (size_t i = 0; i < PB_TAR_BLOCK; i++)
                sum += i >= 148 && i < 156 ? ' ' : h[i];
        return sum == want;
}

/* After the end marker only zero bytes may follow (tar pads to whole records). */
static pb_err rest_is_zero(struct pb_tar_reader *t, uint64_t from, struct pb_diag *d)
{
        unsigned char buf[8192];

        while (from < t->size) {
                size_t n = t->size - from < sizeof(buf) ? (size_t)(t->size - from) : sizeof(buf);
                if (read_at(t, from, buf, n) < 0)
                        return at_member(t, d, PB_ERR_IO, NULL, "cannot read the archive");
                if (!all_zero(buf, n))
                        return at_member(t, d, PB_ERR_PARSE, NULL,
                                         "data after the end of the archive (another archive appended?)");
                from += n;
        }
        return PB_OK;
}

/* Pax records "LEN KEY=VALUE\n" (LEN counts the whole record): path and size into @e. */
static pb_err pax_apply(struct pb_tar_reader *t, const char *p, size_t n, bool global, struct pb_tar_entry *e,
                        bool *has_path, bool *has_size, struct pb_diag *d)
{
        while (n) {
                size_t len = 0, i = 0, klen;
                const char *key, *eq, *val;

                while (i < n && p[i] >= '0' && p[i] <= '9' && len < n)
                        len = len * 10 + (size_t)(p[i++] - '0');
                if (!i || i >= n || p[i] != ' ' || len > n || len <= i + 1 || p[len - 1] != '\n')
                        return at_member(t, d, PB_ERR_PARSE, NULL, "a pax extended header does not parse");
                key = p + i + 1;
                eq = memchr(key, '=', len - i - 2);
                if (!eq)
                        return at_member(t, d, PB_ERR_PARSE, NULL, "a pax record without '='");
                klen = (size_t)(eq - key);
                val = eq + 1;
                if ((klen == 4 && !memcmp(key, "path", 4)) || (klen == 4 && !memcmp(key, "size", 4))) {
                        size_t vlen = (size_t)(p + len - 1 - val);
                        if (global)
                                return at_member(t, d, PB_ERR_UNSUPPORTED, NULL,
                                                 "a global pax header naming a path or size");
                        if (key[0] == 'p') {
                                if (vlen > PB_TAR_NAME_MAX || memchr(val, '\0', vlen))
                                        return at_member(t, d, PB_ERR_LIMIT, NULL,
                                                         "a pax path longer than " PB_STRINGIFY(
                                                                 PB_TAR_NAME_MAX) " bytes, or with a NUL");
                                memcpy(e->name, val, vlen);
                                e->name[vlen] = '\0';
                                *has_path = true;
                        } else {
                                uint64_t v = 0;
                                if (!vlen || vlen > 18)
                                        return at_member(t, d, PB_ERR_PARSE, NULL,
                                                         "a pax size does not parse");
                                for (size_t k = 0; k < vlen; k++) {
                                        if (val[k] < '0' || val[k] > '9')
                                                return at_member(t, d, PB_ERR_PARSE, NULL,
                                                                 "a pax size does not parse");
                                        v = v * 10 + (uint64_t)(val[k] - '0');
                                }
                                e->size = v;
                                *has_size = true;
                        }
                } else if (klen >= 11 && !memcmp(key, "GNU.sparse.", 11)) {
                        return at_member(t, d, PB_ERR_UNSUPPORTED, NULL, "a sparse member");
                }
                /* any other keyword (times, owners, charset, vendor extensions) says nothing
                 * about a member's name or bytes: ignored, as pax readers do */
                p += len;
                n -= len;
        }
        return PB_OK;
}

/* Read one 512-byte header at t->next; *ret_zero for a zero block. */
static pb_err read_header(struct pb_tar_reader *t, unsigned char h[PB_TAR_BLOCK], bool *ret_zero,
                          struct pb_diag *d)
{
        if (t->next == t->size)
                return at_member(t, d, PB_ERR_PARSE, NULL,
                                 "the archive ends without its end marker (truncated)");
        if (read_at(t, t->next, h, PB_TAR_BLOCK) < 0)
                return at_member(t, d, PB_ERR_IO, NULL, "the archive is truncated inside a header");
        *ret_zero = all_zero(h, PB_TAR_BLOCK);
        if (*ret_zero)
                return PB_OK;
        t->member++;
        if (!checksum_ok(h))
                return at_member(t, d, PB_ERR_PARSE, NULL,
                                 "not a tar archive, or a damaged one: a header checksum does not match");
        if (memcmp(h + 257,
                   "ustar\0"
                   "00",
                   8) &&
            memcmp(h + 257, "ustar  \0", 8))
                return at_member(t, d, PB_ERR_PARSE, NULL, "not a POSIX (ustar or pax) tar archive");
        return PB_OK;
}

/* The member described by header @h (its name fields, size and type) into @e. */
static pb_err parse_header(struct pb_tar_reader *t, const unsigned char *h, struct pb_tar_entry *e,
                           bool has_path, bool has_size, struct pb_diag *d)
{
        const char *name = (const char *)h, *prefix = (const char *)h + 345;
        size_t nlen = strnlen(name, 100), plen = strnlen(prefix, 155);
        uint64_t size;

        e->type = (char)h[156];
        if (!has_path) {
                if (!memcmp(h + 257, "ustar  \0", 8))
                        plen = 0; /* GNU keeps times there, not a prefix */
                if (plen + 1 + nlen > PB_TAR_NAME_MAX)
                        return at_member(t, d, PB_ERR_LIMIT, NULL,
                                         "a member name longer than " PB_STRINGIFY(PB_TAR_NAME_MAX) " bytes");
                memcpy(e->name, prefix, plen);
                if (plen)
                        e->name[plen++] = '/';
                memcpy(e->name + plen, name, nlen);
                e->name[plen + nlen] = '\0';
        }
        if (!number((const char *)h + 124, 12, &size))
                return at_member(t, d, PB_ERR_PARSE, e->name, "a member size does not parse");
        if (!has_size)
                e->size = size;
        if (e->type == 'L' || e->type == 'K')
                return at_member(t, d, PB_ERR_UNSUPPORTED, e->name,
                                 "a GNU long-name member (a bundle's names are short)");
        if (e->type == 'S')
                return at_member(t, d, PB_ERR_UNSUPPORTED, e->name, "a sparse member");
        return PB_OK;
}

/* Skip the data of a member that starts at @off and holds @size bytes; truncation names it. */
static pb_err skip_data(struct pb_tar_reader *t, uint64_t off, uint64_t size, const char *name,
                        struct pb_diag *d)
{
        uint64_t padded = size + (PB_TAR_BLOCK - size % PB_TAR_BLOCK) % PB_TAR_BLOCK;

        if (off > t->size || padded > t->size - off)
                return at_member(t, d, PB_ERR_IO, name, "the archive is truncated inside this member");
        t->next = off + padded;
        return PB_OK;
}

/* A pax extended header ('x' for the next member, 'g' for all): read whole, applied, skipped. */
static pb_err read_pax(struct pb_tar_reader *t, const unsigned char *h, struct pb_tar_entry *e,
                       bool *has_path, bool *has_size, struct pb_diag *d)
{
        uint64_t size, off = t->next + PB_TAR_BLOCK;
        char *data;
        pb_err r;

        if (!number((const char *)h + 124, 12, &size))
                return at_member(t, d, PB_ERR_PARSE, NULL, "a pax header size does not parse");
        if (size > PB_TAR_PAX_MAX)
                return at_member(
                        t, d, PB_ERR_LIMIT, NULL,
                        "a pax extended header larger than " PB_STRINGIFY(PB_TAR_PAX_MAX_KIB) " KiB");
        r = skip_data(t, off, size, NULL, d);
        if (r < 0)
                return r;
        data = pb_malloc((size_t)size);
        if (!data)
                return PB_ERR_NOMEM;
        r = read_at(t, off, data, (size_t)size);
        if (r < 0)
                r = at_member(t, d, PB_ERR_IO, NULL, "cannot read the archive");
        else
                r = pax_apply(t, data, (size_t)size, h[156] == 'g', e, has_path, has_size, d);
        pb_free(data);
        return r;
}

pb_err pb_tar_next(struct pb_tar_reader *t, struct pb_tar_entry *ret, bool *ret_end, struct pb_diag *reterr)
{
        unsigned char h[PB_TAR_BLOCK];
        struct pb_tar_entry e;
        bool zero = false, has_path = false, has_size = false;
        pb_err r;

        *ret_end = false;
        if (t->done) {
                *ret_end = true;
                return PB_OK;
        }
        memset(&e, 0, sizeof(e));
        for (;;) {
                r = read_header(t, h, &zero, reterr);
                if (r < 0)
                        return r;
                if (zero) {
                        if (has_path || has_size)
                                return at_member(t, reterr, PB_ERR_PARSE, NULL,
                                                 "a pax extended header is not followed by a member");
                        t->done = true;
                        *ret_end = true;
                        return rest_is_zero(t, t->next + PB_TAR_BLOCK, reterr);
                }
                if (h[156] != 'x' && h[156] != 'g')
                        break;
                r = read_pax(t, h, &e, &has_path, &has_size, reterr);
                if (r < 0)
                        return r;
        }
        r = parse_header(t, h, &e, has_path, has_size, reterr);
        if (r == PB_OK) {
                e.offset = t->next + PB_TAR_BLOCK;
                r = skip_data(t, e.offset, e.size, e.name, reterr);
        }
        if (r == PB_OK)
                *ret = e;
        return r;
}
