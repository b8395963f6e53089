/** @file Error codes, the optional diagnostic that travels with them, and PB_ASSERT. */
#ifndef PB_ERR_H
#define PB_ERR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define PB_NODISCARD __attribute__((warn_unused_result))
#define PB_NORETURN __attribute__((noreturn))
#define PB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PB_NODISCARD
#define PB_NORETURN
#define PB_PRINTF(a, b)
#endif

/**
 * Every fallible function returns one of these.  PB_OK is zero, failures are negative, so
 * `if (r < 0) goto out;` is the idiom.  The stable names and HTTP statuses live in pb_err.c
 * (the one registry) and are listed in docs/errors.md.
 */
typedef enum pb_err {
        PB_OK = 0,
        PB_ERR_NOMEM = -1,        /* an allocation failed */
        PB_ERR_INVALID = -2,      /* well-formed input that breaks a rule (a ballot over its limit) */
        PB_ERR_PARSE = -3,        /* malformed input: bad syntax, wrong type, bad encoding */
        PB_ERR_LIMIT = -4,        /* input larger than a documented limit */
        PB_ERR_OVERFLOW = -5,     /* arithmetic would overflow int64 (or the exact type in use) */
        PB_ERR_NOT_FOUND = -6,    /* a named thing does not exist */
        PB_ERR_CONFLICT = -7,     /* already exists, already spent, duplicate */
        PB_ERR_STORAGE = -8,      /* the database failed */
        PB_ERR_SIGNATURE = -9,    /* a signature or hash does not verify */
        PB_ERR_INTERNAL = -10,    /* our own inconsistency detected at run time */
        PB_ERR_IO = -11,          /* a file or socket operation failed */
        PB_ERR_STATE = -12,       /* not allowed in the current election state */
        PB_ERR_AUTH = -13,        /* missing or unknown credentials */
        PB_ERR_FORBIDDEN = -14,   /* credentials valid but not for this action */
        PB_ERR_BUSY = -15,        /* temporarily unable (queue full, database locked) */
        PB_ERR_UNSUPPORTED = -16, /* a valid request for something this build does not do */
        PB_ERR_RATE = -17,        /* a client over its rate limits (a kiosk casting too fast) */
        PB_ERR_METHOD = -18,      /* an HTTP method the resource does not answer */
        PB_ERR_MEDIA_TYPE = -19,  /* a request body of a media type the resource does not take */
        PB_ERR_UNAVAILABLE = -20 /* a resource that cannot be served (an election whose box failed to open) */
} pb_err;

/** The text of a macro's value ("4096"), so that a message states the constant it names. */
#define PB_STRINGIFY_(x) #x
#define PB_STRINGIFY(x) PB_STRINGIFY_(x)

#define PB_ERR_COUNT 21

/** Stable snake_case name of @e ("parse_error"); "unknown_error" for a value outside the enum. */
const char *pb_err_name(pb_err e);
/** One-line English description of @e. Static storage. */
const char *pb_err_message(pb_err e);
/** The HTTP status the API answers with for @e (200 for PB_OK). */
int pb_err_http_status(pb_err e);

/* bytes of pb_diag.path, NUL included (callers size their paths by it): room for a path into a
 * contest's ballot, `$.ballots["<64-byte contest id>"].approvals[12]`, or a manifest's
 * `$.contests[255].projects[9999].name` */
#define PB_DIAG_PATH_MAX 128
#define PB_DIAG_SUBJECT_MAX 64 /* bytes of pb_diag.subject, NUL included */

/**
 * Where and why something failed.  Always optional: functions take a `struct pb_diag *reterr`
 * that may be NULL.  @reason points to static storage and never to user data; @subject is a
 * short copy of the offending public token (a project id in a file, a key name) and may be
 * empty.  Front ends must not log @subject for ballot-box requests (it may echo ballot content).
 */
struct pb_diag {
        pb_err code;   /* the error this describes */
        unsigned line; /* 1-based line (or record) number, 0 when not applicable */
        unsigned col;  /* 1-based column (field) number, 0 when not applicable */
        /* 1-based index of the offending element of a list (a project), 0 when none: the number
         * @path states as text, so that nothing parses it back */
        size_t item;
        char path[PB_DIAG_PATH_MAX];       /* field, JSON path or column ("VOTES.vote", "$.ballot.points") */
        char subject[PB_DIAG_SUBJECT_MAX]; /* the offending token, truncated; "" when none */
        const char *reason;                /* static English text: why */
        /* a refused ballot or code: the stable reason ("over_budget", engine/pb_refusal.h); NULL
         * otherwise */
        const char *refusal;
};

/** Zero @d (no error, empty strings). */
void pb_diag_clear(struct pb_diag *d);

/**
 * Fill @d (if not NULL) and return @code, so callers write `return pb_diag_set(...)`.
 * @path and @reason may be NULL.  @path is copied (truncated); @reason must be static.
 * Resets @d->subject, @d->item and @d->refusal.
 */
pb_err pb_diag_set(struct pb_diag *d, pb_err code, const char *path, const char *reason);

/** As pb_diag_set(), with a position (and the same resets). */
pb_err pb_diag_at(struct pb_diag *d, pb_err code, unsigned line, unsigned col, const char *path,
                  const char *reason);

/** Copy up to @len bytes of @s into @d->subject (truncated, NUL-terminated, control bytes as '?'). */
void pb_diag_subject(struct pb_diag *d, const char *s, size_t len);

/**
 * Render @d as one line, "FILE:LINE:COL: PATH: REASON ('SUBJECT') [name]", into @buf.
 * @file may be NULL.  Always NUL-terminates when @len > 0.
 * @return the number of bytes the full text needs (snprintf semantics).
 */
size_t pb_diag_format(const struct pb_diag *d, const char *file, char *buf, size_t len);

/** Abort with file and line.  Used by PB_ASSERT; never returns. */
PB_NORETURN void pb_assert_fail(const char *expr, const char *file, int line);

/**
 * Our own invariant.  Checked in every build type (NDEBUG has no effect): a wrong tally is worse
 * than a crash.  Never use it on input: bad input gets an error code.
 */
#define PB_ASSERT(x) ((x) ? (void)0 : pb_assert_fail(#x, __FILE__, __LINE__))

#endif
