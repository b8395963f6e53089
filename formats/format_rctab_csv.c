/** @file CSV records (RFC 4180) and the helpers every RCTab CVR reader shares. */
#include <string.h>

#include "formats/format_rctab_int.h"
#include "engine/pb_alloc.h"

/* Longest unquoted text kept per record: far above any real CVR row. */
#define RK_CSV_MAX_SCRATCH ((size_t)1 << 24)
/* Most fields in one record: Clear Ballot files have one column per candidate and rank. */
#define RK_CSV_MAX_FIELDS 100000u

void rk_csv_init(struct rk_csv *c, const char *buf, size_t len)
{
        memset(c, 0, sizeof(*c));
        c->p = buf;
        c->end = buf + len;
        c->next_line = 1;
        if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
                c->p += 3;
        pb_buf_init(&c->scratch, RK_CSV_MAX_SCRATCH);
}

void rk_csv_release(struct rk_csv *c)
{
        pb_buf_release(&c->scratch);
        pb_free(c->f);
        c->f = NULL;
        c->n_f = c->cap_f = 0;
}

static pb_err add_field(struct rk_csv *c, const char *s, size_t len, bool quoted, size_t off)
{
        struct rk_field *f;

        if (c->n_f >= RK_CSV_MAX_FIELDS)
                return PB_ERR_LIMIT;
        f = pb_grow(c->f, &c->cap_f, c->n_f + 1, sizeof(*f), 32);
        if (!f)
                return PB_ERR_NOMEM;
        c->f = f;
        c->f[c->n_f].s = s;
        c->f[c->n_f].len = len;
        c->f[c->n_f].quoted = quoted;
        c->f[c->n_f].off = off;
        c->n_f++;
        return PB_OK;
}

/* A quoted field: copied into scratch with doubled quotes undoubled. *pp is after the '"'. */
static pb_err quoted_field(struct rk_csv *c, const char **pp, struct pb_diag *reterr)
{
        const char *p = *pp, *end = c->end;
        size_t off = c->scratch.len;
        pb_err r;

        for (;;) {
                const char *q = p;
                while (q < end && *q != '"') {
                        if (*q == '\n')
                                c->next_line++;
                        q++;
                }
                if (q >= end)
                        return rk_fail(reterr, PB_ERR_PARSE, c->line, (unsigned)c->n_f + 1, NULL,
                                       "unterminated quoted field", NULL, 0);
                r = pb_buf_add(&c->scratch, p, (size_t)(q - p));
                if (r < 0)
                        return r;
                p = q + 1;
                if (p < end && *p == '"') { /* "" inside quotes */
                        r = pb_buf_addc(&c->scratch, '"');
                        if (r < 0)
                                return r;
                        p++;
                        continue;
                }
                break;
        }
        r = add_field(c, NULL, c->scratch.len - off, true, off);
        if (r < 0)
                return r;
        if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
                p++;
        if (p < end && *p != ',' && *p != '\n')
                return rk_fail(reterr, PB_ERR_PARSE, c->line, (unsigned)c->n_f, NULL,
                               "text after a closing quote", NULL, 0);
        *pp = p;
        return PB_OK;
}

int rk_csv_next(struct rk_csv *c, struct pb_diag *reterr)
{
        const char *p = c->p, *end = c->end;
        size_t i;
        pb_err r;

        if (p >= end)
                return 0;
        c->line = c->next_line;
        c->record++;
        c->n_f = 0;
        pb_buf_reset(&c->scratch);
        for (;;) {
                if (p < end && *p == '"') {
                        p++;
                        r = quoted_field(c, &p, reterr);
                        if (r < 0)
                                return r;
                } else {
                        const char *q = p;
                        size_t n;
                        while (q < end && *q != ',' && *q != '\n')
                                q++;
                        n = (size_t)(q - p);
                        if (n && p[n - 1] == '\r' && (q == end || *q == '\n'))
                                n--; /* CRLF */
                        r = add_field(c, p, n, false, 0);
                        if (r < 0)
                                return r;
                        p = q;
                }
                if (p >= end)
                        break;
                if (*p == ',') {
                        p++;
                        if (p >= end) { /* a trailing comma at the end of the file */
                                r = add_field(c, p, 0, false, 0);
                                if (r < 0)
                                        return r;
                                break;
                        }
                        continue;
                }
                p++; /* '\n' */
                c->next_line++;
                break;
        }
        c->p = p;
        for (i = 0; i < c->n_f; i++)
                if (c->f[i].quoted)
                        c->f[i].s = c->scratch.data ? c->scratch.data + c->f[i].off : "";
        return 1;
}

void rk_trim(const char **s, size_t *len)
{
        const char *p = *s;
        size_t n = *len;

        while (n && (unsigned char)p[0] <= ' ') {
                p++;
                n--;
        }
        while (n && (unsigned char)p[n - 1] <= ' ')
                n--;
        *s = p;
        *len = n;
}

bool rk_parse_long(const char *s, size_t len, long *ret)
{
        size_t i = 0;
        bool neg = false;
        long v = 0;

        if (i < len && (s[i] == '-' || s[i] == '+')) {
                neg = s[i] == '-';
                i++;
        }
        if (i == len)
                return false;
        for (; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
                        return false;
        }
        *ret = neg ? -v : v;
        return true;
}

pb_err rk_fail(struct pb_diag *reterr, pb_err code, unsigned line, unsigned col, const char *path,
               const char *reason, const char *subject, size_t subject_len)
{
        pb_diag_at(reterr, code, line, col, path, reason);
        if (reterr && subject)
                pb_diag_subject(reterr, subject, subject_len);
        return code;
}

pb_err rk_mark(struct pb_rctab_config *cfg, unsigned rank, uint32_t cand, unsigned line,
               struct pb_diag *reterr)
{
        pb_err r = pb_ranked_ballot_mark(&cfg->contest, rank, cand);

        if (r == PB_ERR_LIMIT)
                return rk_fail(reterr, r, line, 0, NULL,
                               rank == 0 ? "rankings must start at 1" : "rank or number of marks too large",
                               NULL, 0);
        if (r < 0)
                return r;
        return PB_OK;
}

pb_err rk_commit(struct pb_rctab_config *cfg, unsigned max_rank, unsigned line, struct pb_diag *reterr)
{
        pb_err r;

        if (cfg->max_rankings && max_rank > cfg->max_rankings) {
                pb_ranked_ballot_discard(&cfg->contest);
                return rk_fail(reterr, PB_ERR_INVALID, line, 0, "maxRankingsAllowed",
                               "a ballot uses a rank above maxRankingsAllowed", NULL, 0);
        }
        r = pb_ranked_ballot_commit(&cfg->contest, 1);
        if (r < 0)
                return rk_fail(reterr, r, line, 0, NULL, "cannot store the ballot", NULL, 0);
        return PB_OK;
}

pb_err rk_finish(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const struct rk_csv *csv,
                 const char *const blank[PB_RANKED_SLICE_KINDS], unsigned max_rank, struct pb_diag *reterr)
{
        pb_err r = rk_slices(cfg, src, csv, blank, reterr);

        return r < 0 ? r : rk_commit(cfg, max_rank, csv->line, reterr);
}

pb_err rk_slices(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const struct rk_csv *csv,
                 const char *const blank[PB_RANKED_SLICE_KINDS], struct pb_diag *reterr)
{
        static const char *const column[PB_RANKED_SLICE_KINDS] = { "precinctColumnIndex",
                                                                   "batchColumnIndex" };
        unsigned k;
        pb_err r;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                unsigned col = src->slice_col[k];
                const char *s, *t;
                size_t n, tn;

                if (!cfg->tabulate_by[k])
                        continue;
                s = col && col <= csv->n_f ? csv->f[col - 1].s : "";
                n = col && col <= csv->n_f ? csv->f[col - 1].len : 0;
                t = s;
                tn = n;
                rk_trim(&t, &tn);
                if (tn == 0) {
                        s = blank[k];
                        n = strlen(s);
                }
                r = pb_ranked_ballot_slice(&cfg->contest, (enum pb_ranked_slice_kind)k, s, n);
                if (r == PB_ERR_LIMIT || r == PB_ERR_INVALID)
                        return rk_fail(reterr, r, csv->line, col, column[k],
                                       r == PB_ERR_LIMIT ? "more different ids than a count can report on"
                                                         : "an id holds a NUL byte",
                                       s, n);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}
