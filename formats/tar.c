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
        octal(out + 100, 8, 0644);
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
                char path[4096], name[256];
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
