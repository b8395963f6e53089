/** @file Whole-file reads and atomic writes. */
#include "formats/pb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/pb_alloc.h"

pb_err pb_file_read(const char *path, size_t max, char **ret_data, size_t *ret_len, struct pb_diag *reterr)
{
        struct stat st;
        char *data = NULL;
        size_t len = 0, cap;
        pb_err r = PB_OK;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return pb_diag_set(reterr, PB_ERR_IO, NULL,
                                   errno == ENOENT ? "no such file" : "cannot open file");
        if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
                r = pb_diag_set(reterr, PB_ERR_IO, NULL, "not a readable file");
                goto out;
        }
        if (st.st_size > 0 && (uint64_t)st.st_size > max) {
                r = pb_diag_set(reterr, PB_ERR_LIMIT, NULL, "file too large");
                goto out;
        }
        /* st_size is a hint (pipes report 0): read until EOF, growing as needed. */
        cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
        data = pb_malloc(cap);
        if (!data) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (;;) {
                ssize_t n;

                if (len + 1 >= cap) {
                        char *p;

                        if (cap > max) {
                                r = pb_diag_set(reterr, PB_ERR_LIMIT, NULL, "file too large");
                                goto out;
                        }
                        p = pb_grow(data, &cap, len + 2, 1, 0); /* doubles cap */
                        if (!p) {
                                r = PB_ERR_NOMEM;
                                goto out;
                        }
                        data = p;
                }
                n = read(fd, data + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = pb_diag_set(reterr, PB_ERR_IO, NULL, "read failed");
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max) {
                        r = pb_diag_set(reterr, PB_ERR_LIMIT, NULL, "file too large");
                        goto out;
                }
        }
        data[len] = '\0';
        *ret_data = data;
        *ret_len = len;
        data = NULL;
out:
        pb_free(data);
        close(fd);
        return r;
}

pb_err pb_file_write_atomic(const char *path, const void *data, size_t len, struct pb_diag *reterr)
{
        char tmp[4096];
        const char *p = data;
        int fd, n;

        n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "path too long");
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot create file");
        while (len) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        goto fail;
                p += w;
                len -= (size_t)w;
        }
        if (fsync(fd) < 0)
                goto fail;
        if (close(fd) < 0) {
                fd = -1;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                unlink(tmp);
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot rename file into place");
        }
        return PB_OK;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        return pb_diag_set(reterr, PB_ERR_IO, NULL, "write failed");
}

pb_err pb_file_mkdir(const char *path, struct pb_diag *reterr)
{
        struct stat st;

        if (mkdir(path, 0777) == 0)
                return PB_OK;
        if (errno != EEXIST)
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "cannot make the folder");
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return pb_diag_set(reterr, PB_ERR_IO, NULL, "exists and is not a folder");
        return PB_OK;
}
