/** @file pabulib .pb reader: CSV records as Python's csv module reads them, three sections, exact numbers. */
#include <stdio.h>
#include <string.h>

#include "formats/pb_format_pb.h"
#include "engine/pb_alloc.h"
#include "engine/pb_hash.h"
#include "engine/pb_canon.h"
#include "engine/pb_money.h"

#define FIELDS_MAX 4096 /* fields on one line: far above any pabulib file, a bound on a bad one */

/* A field of the current record: points into the reader's private copy of the input, where
 * quoted fields have been unescaped in place. */
struct field {
        char *s;
        size_t len;
        bool quoted;
};

enum section { SEC_NONE, SEC_META, SEC_PROJECTS, SEC_VOTES };

/* Column roles in PROJECTS and VOTES. */
enum pcol { PC_ID, PC_COST, PC_VOTES, PC_SCORE, PC_NAME, PC_CATEGORY, PC_SELECTED, PC_EXTRA };
enum vcol { VC_ID, VC_VOTE, VC_POINTS, VC_EXTRA };

struct reader {
        char *text, *p, *end; /* private copy of the input and the cursor in it */
        unsigned line;        /* physical line of *p (1-based) */
        unsigned rec_line;    /* line where the current record starts */
        struct field *f;
        size_t nf, fcap;
        struct pb_report *report;           /* NULL: stop at the first problem */
        struct pb_pb_tolerance *tol;        /* lenient read: what it tolerated (NULL: not lenient) */
        const struct pb_progress *progress; /* the VOTES rows read (may be NULL) */
        struct pb_diag *reterr;
        struct pb_election *e;

        /* META values kept as text until the money scale is known (after PROJECTS) */
        const char *budget_text;
        unsigned budget_line, num_projects_line, num_votes_line;
        const char *limit_text[PB_LIM_COUNT];
        unsigned limit_line[PB_LIM_COUNT];
        bool have_vote_type, have_num_projects, have_num_votes;
        int64_t num_projects, num_votes;

        /* PROJECTS */
        uint8_t *pcols; /* role of each column (enum pcol) */
        size_t n_pcols;
        const char **cost_text; /* per project, until the scale is known */
        unsigned *cost_line;
        size_t cost_cap;

        /* VOTES */
        uint8_t *vcols; /* role of each column (enum vcol) */
        size_t n_vcols;
        uint32_t *voter_index; /* hash set of voter ids: ballot index + 1 */
        size_t voter_cap;
        uint8_t *seen; /* per project: already on the current ballot */
        int64_t *pts;  /* points of the current ballot, parsed before its items */
        size_t pts_cap;
        size_t extra_cap; /* ballots the election's extra[] has room for */
        size_t line_cap;  /* ballots the election's line[] has room for */
        unsigned blank_lines;
        unsigned last_blank;
};

/* ---- problems ------------------------------------------------------------------------------- */

/*
 * Record a problem.  Returns PB_OK when parsing may go on (a report is collecting, or it is only
 * a warning) and the error code otherwise; NOMEM from the report is always fatal.
 */
static pb_err problem(struct reader *r, enum pb_issue_level level, pb_err code, const char *type,
                      unsigned line, unsigned col, const char *path, const char *reason, const char *subject,
                      size_t subject_len)
{
        if (r->report) {
                struct pb_diag d;
                pb_diag_clear(&d);
                pb_diag_at(&d, level == PB_ISSUE_ERROR ? code : PB_OK, line, col, path, reason);
                if (subject)
                        pb_diag_subject(&d, subject, subject_len);
                return pb_report_add(r->report, level, type, &d);
        }
        if (level == PB_ISSUE_WARNING)
                return PB_OK;
        pb_diag_at(r->reterr, code, line, col, path, reason);
        if (subject)
                pb_diag_subject(r->reterr, subject, subject_len);
        return code;
}

static const char *const tolerated_types[PB_PB_TOL_COUNT] = {
        "vote with duplicated projects",
        "leading or trailing whitespace",
        "whitespace around list separator",
};
static const char *const tolerated_actions[PB_PB_TOL_COUNT] = { "counted once", "ignored", "ignored" };

const char *pb_pb_tolerated_type(enum pb_pb_tolerated k)
{
        return (unsigned)k < PB_PB_TOL_COUNT ? tolerated_types[k] : "?";
}

const char *pb_pb_tolerated_action(enum pb_pb_tolerated k)
{
        return (unsigned)k < PB_PB_TOL_COUNT ? tolerated_actions[k] : "?";
}

/*
 * A problem that a lenient read resolves the way the city did (enum pb_pb_tolerated): there it
 * is counted, the first one kept, and parsing goes on.  Otherwise it is a problem like any
 * other, of the checker's @type.
 */
static pb_err tolerable(struct reader *r, enum pb_pb_tolerated k, pb_err code, const char *type,
                        unsigned line, unsigned col, const char *path, const char *reason,
                        const char *subject, size_t subject_len)
{
        if (r->tol) {
                if (r->tol->count[k]++ == 0) {
                        struct pb_diag *d = &r->tol->first[k];
                        pb_diag_clear(d);
                        pb_diag_at(d, code, line, col, path, reason);
                        if (subject)
                                pb_diag_subject(d, subject, subject_len);
                }
                return PB_OK;
        }
        return problem(r, PB_ISSUE_ERROR, code, type, line, col, path, reason, subject, subject_len);
}

/* A problem that makes the file unreadable: always stops, and is reported both ways. */
static pb_err fatal(struct reader *r, pb_err code, unsigned line, unsigned col, const char *path,
                    const char *reason)
{
        if (r->report) {
                pb_err e = problem(r, PB_ISSUE_ERROR, code, "invalid file structure", line, col, path, reason,
                                   NULL, 0);
                if (e < 0)
                        return e;
        }
        return pb_diag_at(r->reterr, code, line, col, path, reason);
}

/* ---- records -------------------------------------------------------------------------------- */

static pb_err push_field(struct reader *r, char *s, size_t len, bool quoted)
{
        if (r->nf == r->fcap) {
                struct field *nf;

                if (r->fcap >= FIELDS_MAX)
                        return fatal(r, PB_ERR_LIMIT, r->rec_line, 0, NULL,
                                     "more than " PB_STRINGIFY(FIELDS_MAX) " fields on a line");
                nf = pb_grow(r->f, &r->fcap, r->nf + 1, sizeof(*nf), 16);
                if (!nf)
                        return PB_ERR_NOMEM;
                r->f = nf;
        }
        r->f[r->nf].s = s;
        r->f[r->nf].len = len;
        r->f[r->nf].quoted = quoted;
        r->nf++;
        return PB_OK;
}

/* Consume a line end at r->p (LF, CRLF or CR); false if there is none. */
static bool eat_eol(struct reader *r)
{
        if (r->p < r->end && *r->p == '\r') {
                r->p++;
                if (r->p < r->end && *r->p == '\n')
                        r->p++;
                r->line++;
                return true;
        }
        if (r->p < r->end && *r->p == '\n') {
                r->p++;
                r->line++;
                return true;
        }
        return false;
}

/*
 * Read one record into r->f.  Python csv semantics with strict=False: a field that starts with
 * a quote is quoted ("" is a literal quote, line breaks are kept as "\n"); after the closing
 * quote, or in an unquoted field, every character up to ';' or the line end is literal.
 * @return 1 for a record, 0 at the end of input, or a negative pb_err.
 */
static int read_record(struct reader *r)
{
        pb_err e;

        r->nf = 0;
        if (r->p >= r->end)
                return 0;
        r->rec_line = r->line;
        for (;;) {
                char *start = r->p, *w;
                bool quoted = false;

                if (r->p < r->end && *r->p == '"') {
                        quoted = true;
                        w = start;
                        r->p++;
                        for (;;) {
                                if (r->p >= r->end)
                                        return fatal(r, PB_ERR_PARSE, r->rec_line, (unsigned)(r->nf + 1),
                                                     NULL,
                                                     "quoted field not closed before the end of the file");
                                if (*r->p == '"') {
                                        if (r->p + 1 < r->end && r->p[1] == '"') {
                                                *w++ = '"';
                                                r->p += 2;
                                                continue;
                                        }
                                        r->p++;
                                        break;
                                }
                                if (*r->p == '\r' || *r->p == '\n') {
                                        eat_eol(r);
                                        *w++ = '\n';
                                        continue;
                                }
                                *w++ = *r->p++;
                        }
                        while (r->p < r->end && *r->p != ';' && *r->p != '\r' && *r->p != '\n')
                                *w++ = *r->p++;
                } else {
                        while (r->p < r->end && *r->p != ';' && *r->p != '\r' && *r->p != '\n')
                                r->p++;
                        w = r->p;
                }
                e = push_field(r, start, (size_t)(w - start), quoted);
                if (e < 0)
                        return e;
                if (r->p < r->end && *r->p == ';') {
                        r->p++;
                        continue;
                }
                eat_eol(r);
                return 1;
        }
}

/* ---- small helpers -------------------------------------------------------------------------- */

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

/* Trim in place; report surrounding whitespace as the checker does (an error since 2026-06, which
 * the checker files among its "file structure error" findings). */
static pb_err trimmed(struct reader *r, struct field *fl, unsigned col, const char *path, struct field *out)
{
        const char *s = fl->s;
        size_t len = fl->len;

        while (len && is_space(*s)) {
                s++;
                len--;
        }
        while (len && is_space(s[len - 1]))
                len--;
        out->s = (char *)s;
        out->len = len;
        out->quoted = fl->quoted;
        if (len != fl->len)
                return tolerable(r, PB_PB_TOL_CELL_SPACE, PB_ERR_PARSE, "file structure error", r->rec_line,
                                 col, path, "cell contains leading or trailing whitespace", s, len);
        return PB_OK;
}

static bool eq_ci(const struct field *f, const char *word)
{
        size_t n = strlen(word);

        if (f->len != n)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = f->s[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (c != word[i])
                        return false;
        }
        return true;
}

static bool eq(const struct field *f, const char *word)
{
        return f->len == strlen(word) && !memcmp(f->s, word, f->len);
}

/* pabutools: a cell whose stripped, lower-cased text is "none" is absent. */
static bool is_none(const struct field *f)
{
        return eq_ci(f, "none");
}

static const char *dup_field(struct reader *r, const struct field *f)
{
        return pb_election_str(r->e, f->s, f->len);
}

/* Parse an integer cell; a problem is reported with @type and the cell's position. */
static pb_err int_cell(struct reader *r, const struct field *f, unsigned col, const char *path, int64_t *ret,
                       bool *ok)
{
        struct pb_diag d;
        pb_err e;

        pb_diag_clear(&d);
        *ok = false;
        e = pb_int_parse(f->s, f->len, ret, &d);
        if (e == PB_OK) {
                *ok = true;
                return PB_OK;
        }
        return problem(r, PB_ISSUE_ERROR, e, "incorrect field type", r->rec_line, col, path, d.reason, f->s,
                       f->len);
}

/* ---- META ----------------------------------------------------------------------------------- */

static long limit_index(const struct field *key)
{
        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (eq(key, pb_limit_name((enum pb_limit)k)))
                        return k;
        return -1;
}

static pb_err meta_row(struct reader *r)
{
        struct field key, val;
        pb_err e;
        long k;

        if (r->nf != 2) {
                e = problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "invalid meta row", r->rec_line,
                            r->nf > 2 ? 3 : 1, "META",
                            r->nf > 2 ? "META rows have exactly two fields: key;value (quote a value "
                                        "containing ';')"
                                      : "META row without a value (expected key;value)",
                            r->f[0].s, r->f[0].len);
                return e;
        }
        e = trimmed(r, &r->f[0], 1, "META.key", &key);
        if (e < 0)
                return e;
        e = trimmed(r, &r->f[1], 2, "META.value", &val);
        if (e < 0)
                return e;
        if (key.len == 0)
                return problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "invalid meta row", r->rec_line, 1, "META",
                               "empty META key", NULL, 0);
        for (size_t i = 0; i < r->e->n_meta; i++) {
                /* a repeated key: pabutools keeps the last value, the checker reports it */
                const char *k0 = r->e->meta[i].key;
                if (strlen(k0) == key.len && !memcmp(k0, key.s, key.len)) {
                        e = problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "duplicated meta field", r->rec_line,
                                    1, "META", "META key given twice", key.s, key.len);
                        if (e < 0)
                                return e;
                        break;
                }
        }
        e = pb_election_add_meta(r->e, key.s, key.len, val.s, val.len);
        if (e < 0)
                return e;
        r->e->meta[r->e->n_meta - 1].line = r->rec_line;

        if (eq(&key, "budget")) {
                r->budget_text = r->e->meta[r->e->n_meta - 1].value;
                r->budget_line = r->rec_line;
        } else if (eq(&key, "vote_type")) {
                if (pb_vote_type_parse(r->e->meta[r->e->n_meta - 1].value, &r->e->vote_type) < 0)
                        return fatal(r, PB_ERR_INVALID, r->rec_line, 2, "vote_type",
                                     "unknown vote_type (expected approval, choose-1, ordinal, cumulative or "
                                     "scoring)");
                r->have_vote_type = true;
        } else if (eq(&key, "rule")) {
                r->e->rule = r->e->meta[r->e->n_meta - 1].value;
        } else if (eq(&key, "description")) {
                r->e->title = r->e->meta[r->e->n_meta - 1].value;
        } else if (eq(&key, "currency")) {
                r->e->currency = r->e->meta[r->e->n_meta - 1].value;
        } else if (eq(&key, "num_projects") || eq(&key, "num_votes")) {
                bool ok, is_p = eq(&key, "num_projects");
                int64_t v;
                e = int_cell(r, &val, 2, is_p ? "num_projects" : "num_votes", &v, &ok);
                if (e < 0 || !ok)
                        return e;
                if (is_p) {
                        r->num_projects = v;
                        r->have_num_projects = true;
                        r->num_projects_line = r->rec_line;
                } else {
                        r->num_votes = v;
                        r->have_num_votes = true;
                        r->num_votes_line = r->rec_line;
                }
        } else if (eq(&key, "min_project_score_threshold")) {
                bool ok;
                e = int_cell(r, &val, 2, "min_project_score_threshold", &r->e->threshold, &ok);
                if (e < 0 || !ok)
                        return e;
                r->e->has_threshold = true;
        } else if ((k = limit_index(&key)) >= 0) {
                r->limit_text[k] = r->e->meta[r->e->n_meta - 1].value;
                r->limit_line[k] = r->rec_line;
        }
        return PB_OK;
}

/* ---- headers -------------------------------------------------------------------------------- */

/*
 * PROJECTS and VOTES headers: the role of every column, the names of the other ("extra")
 * columns, which the election keeps for the writer and for pbvote check.
 */
static pb_err columns_header(struct reader *r, enum section sec)
{
        static const char *const pnames[] = { "project_id", "cost",     "votes",   "score",
                                              "name",       "category", "selected" };
        static const char *const vnames[] = { "voter_id", "vote", "points" };
        const bool projects = sec == SEC_PROJECTS;
        const char *const *names = projects ? pnames : vnames;
        const size_t n_names = projects ? 7 : 3;
        const char *where = projects ? "PROJECTS" : "VOTES";
        const char **extra = NULL;
        uint8_t *roles = NULL;
        size_t n_extra = 0;
        bool has_second = false;
        pb_err e;

        roles = pb_calloc(r->nf, sizeof(*roles));
        extra = pb_calloc(r->nf, sizeof(*extra));
        if (!roles || !extra) {
                e = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t i = 0; i < r->nf; i++) {
                struct field h;

                e = trimmed(r, &r->f[i], (unsigned)i + 1, where, &h);
                if (e < 0)
                        goto out;
                if (h.len == 0) {
                        e = fatal(r, PB_ERR_PARSE, r->rec_line, (unsigned)i + 1, where,
                                  "empty column name in the header");
                        goto out;
                }
                for (size_t k = 0; k < i; k++)
                        if (r->f[k].len == h.len && !memcmp(r->f[k].s, h.s, h.len)) {
                                e = fatal(r, PB_ERR_PARSE, r->rec_line, (unsigned)i + 1, where,
                                          "column named twice in the header");
                                goto out;
                        }
                roles[i] = (uint8_t)n_names;
                for (size_t j = 0; j < n_names; j++)
                        if (eq(&h, names[j]))
                                roles[i] = (uint8_t)j;
                if (roles[i] == n_names) {
                        extra[n_extra] = dup_field(r, &h);
                        if (!extra[n_extra]) {
                                e = PB_ERR_NOMEM;
                                goto out;
                        }
                        n_extra++;
                }
                has_second |= roles[i] == 1; /* cost, or vote */
                if (projects) {
                        r->e->has_score_column |= roles[i] == PC_SCORE;
                        r->e->has_selected_column |= roles[i] == PC_SELECTED;
                }
                r->f[i] = h;
        }
        if (roles[0] != 0) {
                e = fatal(r, PB_ERR_PARSE, r->rec_line, 1, where,
                          projects ? "the PROJECTS header must start with project_id"
                                   : "the VOTES header must start with voter_id");
                goto out;
        }
        if (!has_second) {
                e = fatal(r, PB_ERR_PARSE, r->rec_line, 0, where,
                          projects ? "the PROJECTS header has no cost column"
                                   : "the VOTES header has no vote column");
                goto out;
        }
        if (projects) {
                r->pcols = roles;
                r->n_pcols = r->nf;
                r->e->project_extra_cols = extra;
                r->e->n_project_extra = n_extra;
        } else {
                r->vcols = roles;
                r->n_vcols = r->nf;
                r->e->ballots.extra_cols = extra;
                r->e->ballots.n_extra = n_extra;
        }
        roles = NULL;
        extra = NULL;
        e = PB_OK;
out:
        pb_free(roles);
        pb_free(extra);
        return e;
}

static pb_err wrong_field_count(struct reader *r, const char *where, size_t want)
{
        /* The row is skipped when a report is collecting: its cells cannot be matched to columns. */
        (void)want;
        return problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "wrong number of fields", r->rec_line,
                       (unsigned)(r->nf < want ? r->nf : want + 1), where,
                       r->nf < want
                               ? "fewer fields than the header has columns"
                               : "more fields than the header has columns (quote a value containing ';')",
                       r->f[0].s, r->f[0].len);
}

/* ---- PROJECTS ------------------------------------------------------------------------------- */

/* Room for project @idx in the cost texts and their lines: both grow from cost_cap to the same capacity. */
static pb_err cost_slot(struct reader *r, size_t idx)
{
        if (idx == r->cost_cap) {
                /* cost_line[] is parallel to cost_text[]: both grow from cost_cap to the same capacity */
                size_t cap = r->cost_cap, lcap = r->cost_cap;
                const char **ct = pb_grow(r->cost_text, &cap, idx + 1, sizeof(*ct), 64);
                unsigned *cl;

                if (!ct)
                        return PB_ERR_NOMEM;
                r->cost_text = ct;
                cl = pb_grow(r->cost_line, &lcap, idx + 1, sizeof(*cl), 64);
                if (!cl)
                        return PB_ERR_NOMEM;
                r->cost_line = cl;
                r->cost_cap = cap;
        }
        return PB_OK;
}

/* Cell @i (its text @v) of project @idx's row; @x counts the extra columns read so far. */
static pb_err project_cell(struct reader *r, size_t idx, size_t i, size_t *x, const struct field *vp)
{
        struct pb_project *p = &r->e->projects[idx];
        struct field v = *vp;
        bool ok;
        int64_t n;
        pb_err e;

        switch ((enum pcol)r->pcols[i]) {
        case PC_ID: break;
        case PC_COST:
                r->cost_text[idx] = dup_field(r, &v);
                if (!r->cost_text[idx])
                        return PB_ERR_NOMEM;
                break;
        case PC_VOTES:
        case PC_SCORE:
                if (is_none(&v) || v.len == 0)
                        break;
                e = int_cell(r, &v, (unsigned)i + 1, r->pcols[i] == PC_VOTES ? "votes" : "score", &n, &ok);
                if (e < 0)
                        return e;
                if (!ok)
                        break;
                if (r->pcols[i] == PC_VOTES) {
                        p->has_votes = true;
                        p->declared_votes = n;
                } else {
                        p->has_score = true;
                        p->declared_score = n;
                }
                break;
        case PC_NAME:
        case PC_CATEGORY:
                if (is_none(&v))
                        break;
                if (r->pcols[i] == PC_NAME)
                        p->name = dup_field(r, &v);
                else
                        p->category = dup_field(r, &v);
                if (!p->name || !p->category)
                        return PB_ERR_NOMEM;
                break;
        case PC_SELECTED:
                if (is_none(&v) || v.len == 0)
                        break;
                e = int_cell(r, &v, (unsigned)i + 1, "selected", &n, &ok);
                if (e < 0)
                        return e;
                if (ok && (n < 0 || n > 3))
                        return problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "incorrect selected value",
                                       r->rec_line, (unsigned)i + 1, "selected",
                                       "selected must be 0, 1, 2 or 3", v.s, v.len);
                if (ok)
                        p->selected = (int8_t)n;
                break;
        case PC_EXTRA:
                if (!is_none(&v) && v.len) {
                        p->extra[*x] = dup_field(r, &v);
                        if (!p->extra[*x])
                                return PB_ERR_NOMEM;
                }
                (*x)++;
                break;
        }
        return PB_OK;
}

static pb_err project_row(struct reader *r)
{
        struct pb_diag d;
        size_t idx;
        pb_err e;
        struct field id;

        if (r->nf != r->n_pcols)
                return wrong_field_count(r, "PROJECTS", r->n_pcols);
        e = trimmed(r, &r->f[0], 1, "project_id", &id);
        if (e < 0)
                return e;
        pb_diag_clear(&d);
        e = pb_election_add_project(r->e, id.s, id.len, 0, &idx, &d);
        if (e == PB_ERR_NOMEM || e == PB_ERR_LIMIT)
                return e == PB_ERR_LIMIT ? fatal(r, e, r->rec_line, 1, "project_id", d.reason) : e;
        if (e < 0)
                return problem(r, PB_ISSUE_ERROR, e,
                               e == PB_ERR_CONFLICT ? "duplicated project id" : "invalid project id",
                               r->rec_line, 1, "project_id", d.reason, id.s, id.len);
        e = cost_slot(r, idx);
        if (e < 0)
                return e;
        r->cost_text[idx] = "";
        r->cost_line[idx] = r->rec_line;
        r->e->projects[idx].line = r->rec_line;
        for (size_t i = 1, x = 0; i < r->nf; i++) {
                const char *col =
                        r->e->n_project_extra && r->pcols[i] == PC_EXTRA ? r->e->project_extra_cols[x] : NULL;
                struct field v;

                e = trimmed(r, &r->f[i], (unsigned)i + 1, col ? col : "PROJECTS", &v);
                if (e >= 0)
                        e = project_cell(r, idx, i, &x, &v);
                if (e < 0)
                        return e;
        }
        return PB_OK;
}

/* ---- money: decided once every amount has been read ----------------------------------------- */

static pb_err money_cell(struct reader *r, const char *text, unsigned line, const char *path, int64_t *ret)
{
        struct pb_diag d;
        pb_err e;

        pb_diag_clear(&d);
        e = pb_decimal_parse(text, strlen(text), r->e->scale, ret, &d);
        if (e < 0)
                return problem(r, PB_ISSUE_ERROR, e,
                               strchr(text, ',') ? "comma in float!" : "incorrect field type", line, 2, path,
                               d.reason, text, strlen(text));
        return PB_OK;
}

/*
 * The money scale is the largest number of significant decimals among the budget, the costs
 * and the cost limits, so that every amount is held exactly.
 */
static pb_err finish_projects(struct reader *r)
{
        struct pb_election *e = r->e;
        unsigned scale = 0;
        pb_err err;

        if (!r->budget_text)
                return fatal(r, PB_ERR_INVALID, 0, 0, "budget", "META has no budget");
        scale = pb_decimal_scale(r->budget_text, strlen(r->budget_text));
        for (size_t i = 0; i < e->n_projects; i++) {
                unsigned s = pb_decimal_scale(r->cost_text[i], strlen(r->cost_text[i]));
                scale = s > scale ? s : scale;
        }
        for (int k = PB_LIM_MIN_SUM_COST; k <= PB_LIM_MAX_SUM_COST; k++)
                if (r->limit_text[k]) {
                        unsigned s = pb_decimal_scale(r->limit_text[k], strlen(r->limit_text[k]));
                        scale = s > scale ? s : scale;
                }
        if (scale > PB_MONEY_MAX_SCALE)
                return fatal(r, PB_ERR_LIMIT, r->budget_line, 2, "budget",
                             "amounts with more than " PB_STRINGIFY(
                                     PB_MONEY_MAX_SCALE) " decimal places are not supported");
        e->scale = scale;
        err = money_cell(r, r->budget_text, r->budget_line, "budget", &e->budget);
        if (err < 0)
                return err;
        for (size_t i = 0; i < e->n_projects; i++) {
                struct pb_project *p = &e->projects[i];
                const char *t = r->cost_text[i];

                if (!*t || !strcmp(t, "none") || !strcmp(t, "None")) {
                        err = problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "project with no cost",
                                      r->cost_line[i], 2, "cost", "project has no cost", p->id,
                                      strlen(p->id));
                        if (err < 0)
                                return err;
                        continue;
                }
                err = money_cell(r, t, r->cost_line[i], "cost", &p->cost);
                if (err < 0)
                        return err;
                p->withdrawn = p->cost == PB_WITHDRAWN_COST * pb_pow10(scale);
        }
        for (int k = 0; k < PB_LIM_COUNT; k++) {
                struct pb_diag d;
                const char *t = r->limit_text[k];

                if (!t)
                        continue;
                pb_diag_clear(&d);
                if (pb_limit_is_money((enum pb_limit)k))
                        err = pb_decimal_parse(t, strlen(t), scale, &e->limits.v[k], &d);
                else
                        err = pb_int_parse(t, strlen(t), &e->limits.v[k], &d);
                if (err < 0) {
                        err = problem(r, PB_ISSUE_ERROR, err,
                                      strchr(t, ',') ? "comma in float!" : "incorrect field type",
                                      r->limit_line[k], 2, pb_limit_name((enum pb_limit)k), d.reason, t,
                                      strlen(t));
                        if (err < 0)
                                return err;
                        continue;
                }
                e->limits.has[k] = true;
        }
        if (r->have_num_projects && r->num_projects != (int64_t)e->n_projects) {
                err = problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "different number of projects",
                              r->num_projects_line, 2, "num_projects",
                              "num_projects differs from the number of PROJECTS rows", NULL, 0);
                if (err < 0)
                        return err;
        }
        r->seen = pb_calloc(e->n_projects, 1);
        return r->seen ? PB_OK : PB_ERR_NOMEM;
}

/* ---- VOTES ---------------------------------------------------------------------------------- */

static pb_err voter_set_grow(struct reader *r)
{
        size_t cap = r->voter_cap ? r->voter_cap * 2 : 1024;
        uint32_t *v = pb_calloc(cap, sizeof(*v));
        const struct pb_ballots *b = &r->e->ballots;

        if (!v)
                return PB_ERR_NOMEM;
        for (size_t i = 0; i < b->n; i++) {
                const char *id = b->voter_id[i];
                size_t j = (size_t)pb_hash_fnv1a(id, strlen(id)) & (cap - 1);
                while (v[j])
                        j = (j + 1) & (cap - 1);
                v[j] = (uint32_t)(i + 1);
        }
        pb_free(r->voter_index);
        r->voter_index = v;
        r->voter_cap = cap;
        return PB_OK;
}

/* Is @id already a voter?  If not, remember it as ballot number n (the one being added). */
static pb_err voter_seen(struct reader *r, const char *id, size_t len, bool *ret_dup)
{
        const struct pb_ballots *b = &r->e->ballots;
        size_t j, mask;
        pb_err e;

        if (b->n >= UINT32_MAX - 1)
                return PB_ERR_LIMIT;
        if (2 * (b->n + 1) >= r->voter_cap) {
                e = voter_set_grow(r);
                if (e < 0)
                        return e;
        }
        mask = r->voter_cap - 1;
        for (j = (size_t)pb_hash_fnv1a(id, len) & mask; r->voter_index[j]; j = (j + 1) & mask) {
                const char *o = b->voter_id[r->voter_index[j] - 1];
                if (!strncmp(o, id, len) && o[len] == '\0') {
                        *ret_dup = true;
                        return PB_OK;
                }
        }
        r->voter_index[j] = (uint32_t)(b->n + 1);
        *ret_dup = false;
        return PB_OK;
}

/* Split @cell on ',' into trimmed items; calls @fn for each.  Whitespace around a comma is
 * reported as the checker does: "whitespace around vote separator" in a vote, "whitespace around
 * list separator" in other lists. */
static pb_err list_items(struct reader *r, const struct field *cell, unsigned col, const char *path,
                         pb_err (*fn)(struct reader *, const char *, size_t, size_t, void *), void *ctx)
{
        const char *s = cell->s, *end = cell->s + cell->len;
        size_t k = 0;
        pb_err e;

        for (;;) {
                const char *c = memchr(s, ',', (size_t)(end - s));
                const char *item_end = c ? c : end, *a = s, *b = item_end;

                while (a < b && is_space(*a))
                        a++;
                while (b > a && is_space(b[-1]))
                        b--;
                if (a != s || b != item_end) {
                        e = tolerable(r, PB_PB_TOL_LIST_SPACE, PB_ERR_PARSE,
                                      !strcmp(path, "vote") ? "whitespace around vote separator"
                                                            : "whitespace around list separator",
                                      r->rec_line, col, path, "whitespace around a list item", a,
                                      (size_t)(b - a));
                        if (e < 0)
                                return e;
                }
                e = fn(r, a, (size_t)(b - a), k++, ctx);
                if (e < 0)
                        return e;
                if (!c)
                        return PB_OK;
                s = c + 1;
        }
}

struct points_ctx {
        unsigned col;
        size_t n;
};

static pb_err point_item(struct reader *r, const char *s, size_t len, size_t k, void *vctx)
{
        struct points_ctx *ctx = vctx;
        struct pb_diag d;
        int64_t v = 0, *np;
        pb_err e;

        np = pb_grow(r->pts, &r->pts_cap, k + 1, sizeof(*np), 64);
        if (!np)
                return PB_ERR_NOMEM;
        r->pts = np;
        pb_diag_clear(&d);
        e = pb_int_parse(s, len, &v, &d);
        if (e < 0) {
                e = problem(r, PB_ISSUE_ERROR, e, "incorrect points", r->rec_line, ctx->col, "points",
                            d.reason, s, len);
                if (e < 0)
                        return e;
                v = 0;
        }
        r->pts[k] = v;
        ctx->n = k + 1;
        return PB_OK;
}

struct vote_ctx {
        unsigned col;
        size_t n_points; /* points parsed for this ballot (0 when the type has none) */
        bool with_points;
        size_t added;
};

static pb_err vote_item(struct reader *r, const char *s, size_t len, size_t k, void *vctx)
{
        struct vote_ctx *ctx = vctx;
        long p;

        if (len == 0) {
                /* pabutools skips empty names ("1,,2"); the checker counts them. */
                return problem(r, PB_ISSUE_WARNING, PB_OK, "empty item in vote", r->rec_line, ctx->col,
                               "vote", "empty item in the vote list (skipped)", NULL, 0);
        }
        p = pb_election_find_project(r->e, s, len);
        if (p < 0)
                return problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "vote for unknown project", r->rec_line,
                               ctx->col, "vote", "vote for a project that is not in PROJECTS", s, len);
        if (r->seen[p]) {
                /* the repeat is dropped (when reading goes on): an approval counts once, and the
                 * checker's raw counts can add it back (pb_project.repeats) */
                struct pb_project *pr = &r->e->projects[p];
                bool sets = !ctx->with_points && r->e->vote_type != PB_VOTE_ORDINAL;
                pb_err e = sets ? tolerable(r, PB_PB_TOL_REPEAT, PB_ERR_INVALID,
                                            "vote with duplicated projects", r->rec_line, ctx->col, "vote",
                                            "project listed twice in one vote", s, len)
                                : problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "vote with duplicated projects",
                                          r->rec_line, ctx->col, "vote",
                                          "project listed twice in one vote (its rank or points are "
                                          "ambiguous)",
                                          s, len);
                if (e < 0)
                        return e;
                pr->repeats++;
                if (ctx->with_points && k < ctx->n_points)
                        pr->repeat_points += r->pts[k];
                return PB_OK;
        }
        r->seen[p] = 1;
        ctx->added++;
        return pb_ballots_add_item(r->e, (uint32_t)p, ctx->with_points && k < ctx->n_points ? r->pts[k] : 0);
}

static pb_err grow_extra(struct reader *r)
{
        struct pb_ballots *b = &r->e->ballots;
        const char **nx;

        if (!b->n_extra)
                return PB_OK;
        /* one row of n_extra values per ballot; extra_cap counts rows */
        nx = pb_grow(b->extra, &r->extra_cap, b->n + 1, b->n_extra * sizeof(*nx), 1024);
        if (!nx)
                return PB_ERR_NOMEM;
        b->extra = nx;
        return PB_OK;
}

/* Source line of every ballot, for diagnostics (pbvote check names the line of a bad vote). */
static pb_err note_line(struct reader *r)
{
        struct pb_ballots *b = &r->e->ballots;
        uint32_t *nl = pb_grow(b->line, &r->line_cap, b->n + 1, sizeof(*nl), 1024);

        if (!nl)
                return PB_ERR_NOMEM;
        b->line = nl;
        b->line[b->n] = r->rec_line;
        return PB_OK;
}

/* The vote and points columns of a VOTES row (-1 where absent), and its extra cells stored. */
static pb_err vote_columns(struct reader *r, long *vote_col, long *points_col)
{
        struct pb_ballots *b = &r->e->ballots;
        pb_err err;

        for (size_t i = 1, x = 0; i < r->nf; i++) {
                if (r->vcols[i] == VC_VOTE)
                        *vote_col = (long)i;
                else if (r->vcols[i] == VC_POINTS)
                        *points_col = (long)i;
                else if (r->vcols[i] == VC_EXTRA) {
                        struct field v;
                        err = trimmed(r, &r->f[i], (unsigned)i + 1, b->extra_cols[x], &v);
                        if (err < 0)
                                return err;
                        /* "none" and an empty cell both mean absent */
                        b->extra[b->n * b->n_extra + x] = is_none(&v) || !v.len ? NULL : dup_field(r, &v);
                        if (v.len && !is_none(&v) && !b->extra[b->n * b->n_extra + x])
                                return PB_ERR_NOMEM;
                        x++;
                }
        }
        return PB_OK;
}

/* The points cell of a point ballot (@points_col, -1: none, which is an error), into @pctx. */
static pb_err read_points(struct reader *r, long points_col, struct vote_ctx *vctx, struct points_ctx *pctx)
{
        struct field cell;
        pb_err err;

        vctx->with_points = pb_vote_type_has_points(r->e->vote_type);
        if (vctx->with_points) {
                if (points_col < 0) {
                        err = problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "missing points", r->rec_line, 0,
                                      "points", "point ballots need a points column", NULL, 0);
                        if (err < 0)
                                return err;
                } else {
                        err = trimmed(r, &r->f[points_col], (unsigned)points_col + 1, "points", &cell);
                        if (err < 0)
                                return err;
                        pctx->col = (unsigned)points_col + 1;
                        if (cell.len && !is_none(&cell)) {
                                err = list_items(r, &cell, pctx->col, "points", point_item, pctx);
                                if (err < 0)
                                        return err;
                        }
                }
        }
        return PB_OK;
}

static pb_err vote_row(struct reader *r)
{
        struct pb_election *e = r->e;
        struct pb_ballots *b = &e->ballots;
        struct field id, cell;
        struct vote_ctx vctx;
        struct points_ctx pctx;
        const char *voter_id;
        long vote_col = -1, points_col = -1;
        bool dup;
        pb_err err;

        if (r->nf != r->n_vcols)
                return wrong_field_count(r, "VOTES", r->n_vcols);
        err = trimmed(r, &r->f[0], 1, "voter_id", &id);
        if (err < 0)
                return err;
        if (id.len == 0)
                return problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "invalid voter id", r->rec_line, 1,
                               "voter_id", "empty voter id", NULL, 0);
        err = voter_seen(r, id.s, id.len, &dup);
        if (err < 0)
                return err == PB_ERR_LIMIT ? fatal(r, err, r->rec_line, 1, "voter_id", "too many votes")
                                           : err;
        if (dup)
                return problem(r, PB_ISSUE_ERROR, PB_ERR_CONFLICT, "duplicated voter id", r->rec_line, 1,
                               "voter_id", "voter id given twice", id.s, id.len);
        voter_id = dup_field(r, &id);
        if (!voter_id)
                return PB_ERR_NOMEM;
        err = grow_extra(r);
        if (err == PB_OK)
                err = note_line(r);
        if (err < 0)
                return err;
        memset(&pctx, 0, sizeof(pctx));
        memset(&vctx, 0, sizeof(vctx));
        err = vote_columns(r, &vote_col, &points_col);
        if (err == PB_OK)
                err = read_points(r, points_col, &vctx, &pctx);
        if (err < 0)
                return err;
        vctx.n_points = pctx.n;
        vctx.col = (unsigned)vote_col + 1;
        err = trimmed(r, &r->f[vote_col], vctx.col, "vote", &cell);
        if (err < 0)
                return err;
        if (cell.len && !is_none(&cell)) {
                size_t n_listed = 1;

                for (size_t i = 0; i < cell.len; i++)
                        n_listed += cell.s[i] == ',';
                if (vctx.with_points && points_col >= 0 && n_listed != pctx.n) {
                        err = problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID,
                                      "different length of vote and points", r->rec_line,
                                      (unsigned)points_col + 1, "points",
                                      "vote and points lists have different lengths", NULL, 0);
                        if (err < 0)
                                goto abandon;
                }
                err = list_items(r, &cell, vctx.col, "vote", vote_item, &vctx);
                if (err < 0)
                        goto abandon;
        }
        for (size_t i = b->start[b->n]; i < b->n_items; i++)
                r->seen[b->item[i]] = 0;
        return pb_ballots_end(e, voter_id);
abandon:
        for (size_t i = b->start[b->n]; i < b->n_items; i++)
                r->seen[b->item[i]] = 0;
        pb_ballots_abandon(e);
        return err;
}

/* ---- driver --------------------------------------------------------------------------------- */

/* Line number of byte offset @off (for encoding errors found before tokenizing). */
static unsigned line_of(const char *buf, size_t off)
{
        unsigned line = 1;

        for (size_t i = 0; i < off; i++)
                line += buf[i] == '\n';
        return line;
}

static pb_err check_encoding(const char *buf, size_t len, struct pb_report *report, struct pb_diag *reterr)
{
        const char *nul = memchr(buf, '\0', len);
        size_t good = 0, chunk;

        if (nul) {
                pb_diag_at(reterr, PB_ERR_PARSE, line_of(buf, (size_t)(nul - buf)), 0, NULL,
                           "NUL byte in the file (binary data, not a .pb text file)");
                goto bad;
        }
        /* find the first invalid sequence, line by line, to name its line */
        while (good < len) {
                const char *nl = memchr(buf + good, '\n', len - good);
                chunk = nl ? (size_t)(nl - (buf + good)) + 1 : len - good;
                if (!pb_utf8_valid(buf + good, chunk)) {
                        pb_diag_at(reterr, PB_ERR_PARSE, line_of(buf, good), 0, NULL, "invalid UTF-8");
                        goto bad;
                }
                good += chunk;
        }
        return PB_OK;
bad:
        if (report && reterr) {
                pb_err e = pb_report_add(report, PB_ISSUE_ERROR, "invalid encoding", reterr);
                if (e < 0)
                        return e;
        }
        return PB_ERR_PARSE;
}

static void reader_release(struct reader *r)
{
        pb_free(r->text);
        pb_free(r->f);
        pb_free(r->pcols);
        pb_free(r->vcols);
        pb_free(r->cost_text);
        pb_free(r->cost_line);
        pb_free(r->voter_index);
        pb_free(r->seen);
        pb_free(r->pts);
}

static enum section marker(struct reader *r)
{
        struct field f0 = r->f[0];

        for (size_t i = 1; i < r->nf; i++)
                if (r->f[i].len)
                        return SEC_NONE;
        while (f0.len && is_space(*f0.s)) {
                f0.s++;
                f0.len--;
        }
        while (f0.len && is_space(f0.s[f0.len - 1]))
                f0.len--;
        if (eq_ci(&f0, "meta"))
                return SEC_META;
        if (eq_ci(&f0, "projects"))
                return SEC_PROJECTS;
        if (eq_ci(&f0, "votes"))
                return SEC_VOTES;
        return SEC_NONE;
}

static pb_err start_section(struct reader *r, enum section next, enum section *cur)
{
        static const char *const names[] = { "", "META", "PROJECTS", "VOTES" };
        int rc;
        pb_err e;

        if (next != *cur + 1)
                return fatal(r, PB_ERR_PARSE, r->rec_line, 1, names[next],
                             next <= *cur
                                     ? "section repeated or out of order (expected META, PROJECTS, VOTES)"
                                     : "section missing before this one (expected META, PROJECTS, VOTES)");
        if (r->f[0].len != strlen(names[next]) || memcmp(r->f[0].s, names[next], r->f[0].len)) {
                e = problem(r, PB_ISSUE_WARNING, PB_OK, "section name", r->rec_line, 1, names[next],
                            "section name not written in capitals", NULL, 0);
                if (e < 0)
                        return e;
        }
        if (next == SEC_VOTES) {
                e = finish_projects(r);
                if (e < 0)
                        return e;
        }
        *cur = next;
        rc = read_record(r);
        if (rc < 0)
                return rc;
        if (rc == 0)
                return fatal(r, PB_ERR_PARSE, r->rec_line, 0, names[next],
                             "section has no header line (truncated file?)");
        if (next == SEC_META) {
                if (r->nf != 2 || !eq(&r->f[0], "key") || !eq(&r->f[1], "value")) {
                        e = problem(r, PB_ISSUE_ERROR, PB_ERR_PARSE, "invalid meta header", r->rec_line, 1,
                                    "META", "the META header must be key;value", NULL, 0);
                        if (e < 0)
                                return e;
                }
                return PB_OK;
        }
        return columns_header(r, next);
}

static pb_err parse(const char *buf, size_t len, struct pb_election **ret_election, struct pb_report *report,
                    struct pb_pb_tolerance *tol, const struct pb_progress *progress, struct pb_diag *reterr);

pb_err pb_format_pb_parse(const char *buf, size_t len, struct pb_election **ret_election,
                          struct pb_report *report, struct pb_diag *reterr)
{
        return parse(buf, len, ret_election, report, NULL, NULL, reterr);
}

pb_err pb_format_pb_parse_lenient(const char *buf, size_t len, struct pb_election **ret_election,
                                  struct pb_pb_tolerance *tolerated, struct pb_diag *reterr)
{
        memset(tolerated, 0, sizeof(*tolerated));
        return parse(buf, len, ret_election, NULL, tolerated, NULL, reterr);
}

pb_err pb_format_pb_parse_progress(const char *buf, size_t len, struct pb_election **ret_election,
                                   struct pb_pb_tolerance *tolerated, const struct pb_progress *progress,
                                   struct pb_diag *reterr)
{
        if (tolerated)
                memset(tolerated, 0, sizeof(*tolerated));
        return parse(buf, len, ret_election, NULL, tolerated, progress, reterr);
}

/* The file as a whole before its records: its size, its encoding, a byte order mark skipped. */
static pb_err check_input(const char **buf, size_t *len, struct pb_report *report, struct pb_diag *reterr)
{
        pb_err e;

        if (*len > PB_PB_MAX_BYTES)
                return pb_diag_set(reterr, PB_ERR_LIMIT, NULL,
                                   "file larger than " PB_STRINGIFY(PB_PB_MAX_GIB) " GiB");
        e = check_encoding(*buf, *len, report, reterr);
        if (e < 0)
                return e;
        if (*len >= 3 && !memcmp(*buf, "\xef\xbb\xbf", 3)) {
                /* pabutools reads utf-8-sig; the checker does not expect a BOM */
                *buf += 3;
                *len -= 3;
                if (report)
                        return pb_report_addf(report, PB_ISSUE_WARNING, "byte order mark", 1, 1, NULL,
                                              "UTF-8 byte order mark at the start of the file", NULL, 0);
        }
        return PB_OK;
}

/* What the VOTES rows read count up to: META's num_votes, or 0 (unknown) when the file has none. */
static uint64_t votes_total(const struct reader *r)
{
        return r->have_num_votes && r->num_votes > 0 ? (uint64_t)r->num_votes : 0;
}

/* Every record, each in its section (META, PROJECTS, VOTES); the last section in @sec. */
static pb_err read_sections(struct reader *r, enum section *sec)
{
        pb_err e = PB_OK;
        int rc;

        while ((rc = read_record(r)) > 0) {
                enum section next;

                if (r->nf == 1 && r->f[0].len == 0 && !r->f[0].quoted) {
                        /* a blank line; the checker allows only a single trailing newline */
                        e = problem(r, PB_ISSUE_WARNING, PB_OK, "empty lines", r->rec_line, 0, NULL,
                                    "empty line (ignored)", NULL, 0);
                        if (e < 0)
                                return e;
                        continue;
                }
                next = marker(r);
                if (next != SEC_NONE) {
                        e = start_section(r, next, sec);
                        if (e < 0)
                                return e;
                        continue;
                }
                switch (*sec) {
                case SEC_NONE:
                        e = fatal(r, PB_ERR_PARSE, r->rec_line, 1, NULL,
                                  "data before the META section (not a .pb file?)");
                        break;
                case SEC_META: e = meta_row(r); break;
                case SEC_PROJECTS: e = project_row(r); break;
                case SEC_VOTES:
                        e = vote_row(r);
                        pb_progress_report(r->progress, r->e->ballots.n, votes_total(r), 0);
                        break;
                }
                if (e < 0)
                        return e;
        }
        return rc < 0 ? rc : PB_OK;
}

/* What only the whole file tells: every section there, a vote type, num_votes against the rows,
 * and the election's own rules (a project's fault pointed at its line). */
static pb_err check_whole(struct reader *r, enum section sec)
{
        struct pb_diag d;
        pb_err e;

        if (sec != SEC_VOTES)
                return fatal(r, PB_ERR_PARSE, r->line, 0,
                             sec == SEC_NONE   ? "META"
                             : sec == SEC_META ? "PROJECTS"
                                               : "VOTES",
                             sec == SEC_NONE ? "empty file: no META section"
                                             : "file ends before all sections (truncated file?)");
        if (!r->have_vote_type)
                return fatal(r, PB_ERR_INVALID, 0, 0, "vote_type", "META has no vote_type");
        if (r->have_num_votes && r->num_votes != (int64_t)r->e->ballots.n) {
                e = problem(r, PB_ISSUE_ERROR, PB_ERR_INVALID, "different number of votes", r->num_votes_line,
                            2, "num_votes",
                            "num_votes differs from the number of VOTES rows (truncated file?)", NULL, 0);
                if (e < 0)
                        return e;
        }
        pb_diag_clear(&d);
        e = pb_election_check(r->e, &d);
        if (e >= 0)
                return PB_OK;
        if (d.item && d.item <= r->e->n_projects) {
                d.line = r->cost_line[d.item - 1];
                d.col = 2;
        }
        if (!r->report) {
                *r->reterr = d;
                return e;
        }
        e = pb_report_add(r->report, PB_ISSUE_ERROR, "invalid election", &d);
        return e < 0 ? e : PB_OK;
}

static pb_err parse(const char *buf, size_t len, struct pb_election **ret_election, struct pb_report *report,
                    struct pb_pb_tolerance *tol, const struct pb_progress *progress, struct pb_diag *reterr)
{
        struct reader r;
        struct pb_diag local;
        enum section sec = SEC_NONE;
        pb_err e;

        memset(&r, 0, sizeof(r));
        pb_diag_clear(&local);
        if (!reterr)
                reterr = &local;
        e = check_input(&buf, &len, report, reterr);
        if (e < 0)
                return e;
        r.report = report;
        r.tol = tol;
        r.progress = progress;
        r.reterr = reterr;
        r.line = 1;
        r.text = pb_malloc(len + 1);
        r.e = pb_election_new();
        if (!r.text || !r.e) {
                e = PB_ERR_NOMEM;
                goto out;
        }
        memcpy(r.text, buf, len);
        r.text[len] = '\0';
        r.p = r.text;
        r.end = r.text + len;
        e = read_sections(&r, &sec);
        if (e >= 0)
                e = check_whole(&r, sec);
        if (e < 0)
                goto out;
        pb_progress_report(progress, r.e->ballots.n, votes_total(&r), 1);
        *ret_election = r.e;
        r.e = NULL;
        e = PB_OK;
out:
        pb_election_free(r.e);
        reader_release(&r);
        return e;
}
