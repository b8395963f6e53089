/** @file The error registry: names, messages and HTTP statuses for every pb_err. */
#include "engine/pb_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct err_entry {
        const char *name;
        const char *message;
        int http;
};

/* Indexed by -code.  Names are part of the API contract (docs/errors.md): never rename one. */
static const struct err_entry registry[PB_ERR_COUNT] = {
        { "ok", "success", 200 },
        { "out_of_memory", "out of memory", 503 },
        { "invalid", "input breaks a rule of the election", 422 },
        { "parse_error", "malformed input", 400 },
        { "limit_exceeded", "input exceeds a limit", 413 },
        { "overflow", "number too large", 422 },
        { "not_found", "not found", 404 },
        { "conflict", "conflicts with existing state", 409 },
        { "storage_error", "storage failure", 500 },
        { "bad_signature", "signature or hash does not verify", 422 },
        { "internal_error", "internal error", 500 },
        { "io_error", "input/output error", 500 },
        { "wrong_state", "not allowed in the current election state", 409 },
        { "unauthorized", "missing or unknown credentials", 401 },
        { "forbidden", "not allowed for this role", 403 },
        { "busy", "temporarily unavailable", 503 },
        { "unsupported", "not supported", 400 },
        { "rate_limited", "too many requests from this client", 429 },
        { "method_not_allowed", "method not allowed on this resource", 405 },
        { "unsupported_media_type", "unsupported media type", 415 },
        { "unavailable", "this resource cannot be served now", 503 },
};

static const struct err_entry *lookup(pb_err e)
{
        int i = -(int)e;

        if (i < 0 || i >= PB_ERR_COUNT)
                return NULL;
        return &registry[i];
}

const char *pb_err_name(pb_err e)
{
        const struct err_entry *x = lookup(e);
        return x ? x->name : "unknown_error";
}

const char *pb_err_message(pb_err e)
{
        const struct err_entry *x = lookup(e);
        return x ? x->message : "unknown error";
}

int pb_err_http_status(pb_err e)
{
        const struct err_entry *x = lookup(e);
        return x ? x->http : 500;
}

void pb_diag_clear(struct pb_diag *d)
{
        if (d)
                memset(d, 0, sizeof(*d));
}

static void copy_clean(char *dst, size_t cap, const char *s, size_t len)
{
        size_t i;

        if (len >= cap)
                len = cap - 1;
        for (i = 0; i < len && s[i]; i++) {
                unsigned char c = (unsigned char)s[i];
                dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        dst[i] = '\0';
}

pb_err pb_diag_at(struct pb_diag *d, pb_err code, unsigned line, unsigned col, const char *path,
                  const char *reason)
{
        if (!d)
                return code;
        d->code = code;
        d->line = line;
        d->col = col;
        d->item = 0;
        d->reason = reason;
        d->refusal = NULL;
        d->subject[0] = '\0';
        if (path)
                copy_clean(d->path, sizeof(d->path), path, strlen(path));
        else
                d->path[0] = '\0';
        return code;
}

pb_err pb_diag_set(struct pb_diag *d, pb_err code, const char *path, const char *reason)
{
        return pb_diag_at(d, code, 0, 0, path, reason);
}

void pb_diag_subject(struct pb_diag *d, const char *s, size_t len)
{
        if (d && s)
                copy_clean(d->subject, sizeof(d->subject), s, len);
}

size_t pb_diag_format(const struct pb_diag *d, const char *file, char *buf, size_t len)
{
        char pos[48] = "";
        int n;

        if (d->line && d->col)
                snprintf(pos, sizeof(pos), "%u:%u: ", d->line, d->col);
        else if (d->line)
                snprintf(pos, sizeof(pos), "%u: ", d->line);
        n = snprintf(buf, len, "%s%s%s%s%s%s%s%s%s [%s]", file ? file : "", file ? (pos[0] ? ":" : ": ") : "",
                     pos, d->path[0] ? d->path : "", d->path[0] ? ": " : "",
                     d->reason ? d->reason : pb_err_message(d->code), d->subject[0] ? " ('" : "", d->subject,
                     d->subject[0] ? "')" : "", pb_err_name(d->code));
        return n < 0 ? 0 : (size_t)n;
}

void pb_assert_fail(const char *expr, const char *file, int line)
{
        /* The one place engine/ writes to stderr: an internal invariant broke, and the process
         * must stop rather than publish a wrong count. */
        fprintf(stderr, "pbvote: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
        abort();
}
