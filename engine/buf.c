/** @file pb_buf: growable, capped byte buffer. */
#include "engine/pb_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/pb_alloc.h"

void pb_buf_init(struct pb_buf *b, size_t max)
{
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max ? max : SIZE_MAX / 2;
}

void pb_buf_release(struct pb_buf *b)
{
        if (!b)
                return;
        pb_free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

void pb_buf_reset(struct pb_buf *b)
{
        pb_buf_truncate(b, 0);
}

void pb_buf_truncate(struct pb_buf *b, size_t len)
{
        PB_ASSERT(len <= b->len);
        b->len = len;
        if (b->data)
                b->data[len] = '\0';
}

pb_err pb_buf_reserve(struct pb_buf *b, size_t more)
{
        size_t need, ncap;
        char *p;

        if (more > b->max || b->len > b->max - more)
                return PB_ERR_LIMIT;
        need = b->len + more + 1;
        if (need <= b->cap)
                return PB_OK;
        /* Not pb_grow: the capacity stops at the buffer's limit (max + 1 with the NUL), so a
         * buffer near its limit never takes up to twice that. */
        ncap = b->cap ? b->cap : 64;
        while (ncap < need)
                ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
        if (ncap > b->max + 1)
                ncap = b->max + 1;
        p = pb_realloc(b->data, ncap);
        if (!p)
                return PB_ERR_NOMEM;
        b->data = p;
        b->cap = ncap;
        return PB_OK;
}

pb_err pb_buf_add(struct pb_buf *b, const void *p, size_t len)
{
        pb_err r = pb_buf_reserve(b, len);

        if (r < 0)
                return r;
        if (len)
                memcpy(b->data + b->len, p, len);
        b->len += len;
        b->data[b->len] = '\0';
        return PB_OK;
}

pb_err pb_buf_adds(struct pb_buf *b, const char *s)
{
        return pb_buf_add(b, s, strlen(s));
}

pb_err pb_buf_addc(struct pb_buf *b, char c)
{
        return pb_buf_add(b, &c, 1);
}

pb_err pb_buf_addf(struct pb_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;
        pb_err r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return PB_ERR_INTERNAL;
        r = pb_buf_reserve(b, (size_t)n);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return PB_OK;
}

pb_err pb_buf_add_i64(struct pb_buf *b, int64_t v)
{
        char tmp[24];
        size_t i = sizeof(tmp);
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        do {
                tmp[--i] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                tmp[--i] = '-';
        return pb_buf_add(b, tmp + i, sizeof(tmp) - i);
}

pb_err pb_buf_add_hex(struct pb_buf *b, const uint8_t *p, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        pb_err r;
        size_t i;

        if (len > SIZE_MAX / 2)
                return PB_ERR_LIMIT;
        r = pb_buf_reserve(b, 2 * len);
        if (r < 0)
                return r;
        for (i = 0; i < len; i++) {
                b->data[b->len++] = hex[p[i] >> 4];
                b->data[b->len++] = hex[p[i] & 15];
        }
        b->data[b->len] = '\0';
        return PB_OK;
}

char *pb_buf_steal(struct pb_buf *b, size_t *ret_len)
{
        char *p;

        if (!b->data && pb_buf_reserve(b, 0) < 0)
                return NULL;
        p = b->data;
        if (ret_len)
                *ret_len = b->len;
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        return p;
}
