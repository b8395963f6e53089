/** @file .blt ballot files (Hill, Wichmann and Woodall's format with Droop's extensions). */
#include <string.h>

#include "formats/pb_format_blt.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

enum tk { T_EOF = 0, T_WORD, T_STRING, T_OPTION };

struct tok {
        enum tk kind;
        const char *s; /* text (inside the quotes or brackets for T_STRING / T_OPTION) */
        size_t len;
        unsigned line, col;
};

struct lex {
        const char *p, *end, *line_start;
        unsigned line;
};

struct parser {
        struct lex lx;
        struct pb_blt *b;
        size_t n;        /* candidates in the header */
        bool *withdrawn; /* [n] */
        char **nick;     /* [n] nicknames, or NULL */
        uint32_t *seen;  /* [n] duplicate stamps */
        uint32_t stamp;
        uint32_t *group; /* candidates of one rank */
        struct pb_diag *reterr;
};

static pb_err fail_at(struct parser *ps, const struct tok *t, pb_err code, const char *reason)
{
        pb_diag_at(ps->reterr, code, t->line, t->col, NULL, reason);
        if (ps->reterr && t->kind != T_EOF)
                pb_diag_subject(ps->reterr, t->s, t->len);
        return code;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void newline(struct lex *lx, const char *after)
{
        lx->line++;
        lx->line_start = after;
}

/* Skip whitespace and comments; PB_ERR_PARSE for an unterminated block comment. */
static pb_err skip(struct lex *lx, struct tok *t)
{
        for (;;) {
                while (lx->p < lx->end && is_space(*lx->p)) {
                        if (*lx->p == '\n')
                                newline(lx, lx->p + 1);
                        lx->p++;
                }
                if (lx->p >= lx->end)
                        return PB_OK;
                if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
                        while (lx->p < lx->end && *lx->p != '\n')
                                lx->p++;
                        continue;
                }
                if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
                        t->line = lx->line;
                        t->col = (unsigned)(lx->p - lx->line_start) + 1;
                        lx->p += 2;
                        while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
                                if (*lx->p == '\n')
                                        newline(lx, lx->p + 1);
                                lx->p++;
                        }
                        if (lx->p + 1 >= lx->end)
                                return PB_ERR_PARSE;
                        lx->p += 2;
                        continue;
                }
                return PB_OK;
        }
}

static pb_err next(struct parser *ps, struct tok *t)
{
        struct lex *lx = &ps->lx;
        const char *q;

        memset(t, 0, sizeof(*t));
        if (skip(lx, t) < 0) {
                t->kind = T_EOF;
                return fail_at(ps, t, PB_ERR_PARSE, "unterminated /* comment");
        }
        t->line = lx->line;
        t->col = (unsigned)(lx->p - lx->line_start) + 1;
        if (lx->p >= lx->end) {
                t->kind = T_EOF;
                return PB_OK;
        }
        if (*lx->p == '"') {
                for (q = lx->p + 1; q < lx->end && *q != '"' && *q != '\n'; q++)
                        ;
                t->kind = T_STRING;
                t->s = lx->p + 1;
                t->len = (size_t)(q - lx->p - 1);
                if (q >= lx->end || *q != '"')
                        return fail_at(ps, t, PB_ERR_PARSE, "unterminated quoted string");
                lx->p = q + 1;
                if (lx->p < lx->end && !is_space(*lx->p) && *lx->p != '#')
                        return fail_at(ps, t, PB_ERR_PARSE, "text right after a closing quote");
                return PB_OK;
        }
        if (*lx->p == '[') {
                for (q = lx->p + 1; q < lx->end && *q != ']'; q++)
                        if (*q == '\n')
                                newline(lx, q + 1);
                t->kind = T_OPTION;
                t->s = lx->p + 1;
                t->len = (size_t)(q - lx->p - 1);
                if (q >= lx->end)
                        return fail_at(ps, t, PB_ERR_PARSE, "unterminated [option]");
                lx->p = q + 1;
                return PB_OK;
        }
        for (q = lx->p; q < lx->end && !is_space(*q) && *q != '#'; q++)
                if (*q == '"')
                        break;
        t->kind = T_WORD;
        t->s = lx->p;
        t->len = (size_t)(q - lx->p);
        lx->p = q;
        if (q < lx->end && *q == '"')
                return fail_at(ps, t, PB_ERR_PARSE, "a quote inside a word");
        return PB_OK;
}

/* Non-negative decimal number (no sign); false if not all digits or too large. */
static bool number(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i;

        if (!len)
                return false;
        for (i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *ret = v;
        return true;
}

/* A candidate reference: id 1..n or a nickname.  Returns the index or -1. */
static long resolve(const struct parser *ps, const char *s, size_t len)
{
        uint64_t v;
        size_t i;

        if (number(s, len, &v))
                return v >= 1 && v <= ps->n ? (long)v - 1 : -1;
        if (ps->nick)
                for (i = 0; i < ps->n; i++)
                        if (ps->nick[i] && strlen(ps->nick[i]) == len && !memcmp(ps->nick[i], s, len))
                                return (long)i;
        return -1;
}

/* Split option text into words: returns the next word in [*s, end), advancing *s. */
static bool option_word(const char **s, const char *end, const char **w, size_t *wl)
{
        const char *p = *s;

        while (p < end && is_space(*p))
                p++;
        if (p >= end)
                return false;
        *w = p;
        while (p < end && !is_space(*p))
                p++;
        *wl = (size_t)(p - *w);
        *s = p;
        return true;
}

static pb_err option(struct parser *ps, const struct tok *t)
{
        const char *p = t->s, *end = t->s + t->len, *w;
        size_t wl, k = 0;
        long c;

        if (!option_word(&p, end, &w, &wl))
                return fail_at(ps, t, PB_ERR_PARSE, "empty [option]");
        if (wl == 4 && !memcmp(w, "nick", 4)) {
                if (!ps->nick && !(ps->nick = pb_calloc(ps->n, sizeof(char *))))
                        return PB_ERR_NOMEM;
                while (option_word(&p, end, &w, &wl)) {
                        if (k >= ps->n)
                                return fail_at(ps, t, PB_ERR_INVALID, "more nicknames than candidates");
                        pb_free(ps->nick[k]);
                        if (!(ps->nick[k] = pb_strndup(w, wl)))
                                return PB_ERR_NOMEM;
                        k++;
                }
                return PB_OK;
        }
        if ((wl == 9 && !memcmp(w, "withdrawn", 9)) || (wl == 10 && !memcmp(w, "undeclared", 10))) {
                bool wd = wl == 9;
                while (option_word(&p, end, &w, &wl)) {
                        c = resolve(ps, w, wl);
                        if (c < 0)
                                return fail_at(ps, t, PB_ERR_INVALID, "unknown candidate in an [option]");
                        if (wd)
                                ps->withdrawn[c] = true;
                        else
                                ps->b->contest.cand[c].uwi = true;
                }
                return PB_OK;
        }
        if (wl == 3 && !memcmp(w, "tie", 3)) {
                pb_free(ps->b->tie_order);
                ps->b->tie_order = pb_calloc(ps->n, sizeof(uint32_t));
                if (!ps->b->tie_order)
                        return PB_ERR_NOMEM;
                ps->stamp++;
                while (option_word(&p, end, &w, &wl)) {
                        c = resolve(ps, w, wl);
                        if (c < 0 || ps->seen[c] == ps->stamp || k >= ps->n)
                                return fail_at(ps, t, PB_ERR_INVALID, "[tie] must list each candidate once");
                        ps->seen[c] = ps->stamp;
                        ps->b->tie_order[k++] = (uint32_t)c;
                }
                if (k != ps->n)
                        return fail_at(ps, t, PB_ERR_INVALID, "[tie] must list each candidate once");
                return PB_OK;
        }
        if (wl == 5 && !memcmp(w, "droop", 5))
                return PB_OK; /* Droop's counting options: our rules are chosen on the command line */
        return fail_at(ps, t, PB_ERR_INVALID, "unknown [option]");
}

/* One ballot line after its weight: candidate groups until 0. */
static pb_err ballot(struct parser *ps, int64_t weight)
{
        struct pb_ranked_contest *c = &ps->b->contest;
        struct tok t;
        unsigned rank = 0;
        pb_err r;

        ps->stamp++;
        for (;;) {
                const char *s, *e;
                size_t ng = 0, i;
                bool any = false;

                r = next(ps, &t);
                if (r < 0)
                        return r;
                if (t.kind != T_WORD)
                        return fail_at(ps, &t, PB_ERR_PARSE, "ballot line not terminated by 0");
                if (t.len == 1 && t.s[0] == '0')
                        break;
                /* a rank: one candidate, or several joined by '=' (equal ranking) */
                for (s = t.s, e = t.s + t.len; s <= e;) {
                        const char *q = memchr(s, '=', (size_t)(e - s));
                        long cand;
                        if (!q)
                                q = e;
                        cand = resolve(ps, s, (size_t)(q - s));
                        if (cand < 0)
                                return fail_at(ps, &t, PB_ERR_INVALID,
                                               q - s && s[0] == '-' ? "negative candidate id on a ballot"
                                                                    : "unknown candidate on a ballot");
                        if (ps->seen[cand] == ps->stamp)
                                return fail_at(ps, &t, PB_ERR_INVALID,
                                               "candidate ranked twice on one ballot");
                        ps->seen[cand] = ps->stamp;
                        ps->group[ng++] = (uint32_t)cand;
                        s = q + 1;
                }
                /* withdrawn candidates are dropped and later preferences move up */
                for (i = 0; i < ng; i++)
                        if (!ps->withdrawn[ps->group[i]])
                                any = true;
                if (!any)
                        continue;
                rank++;
                for (i = 0; i < ng; i++) {
                        if (ps->withdrawn[ps->group[i]])
                                continue;
                        r = pb_ranked_ballot_mark(c, rank, ps->group[i]);
                        if (r < 0)
                                return fail_at(ps, &t, r, "too many ranks on one ballot");
                }
        }
        r = pb_ranked_ballot_commit(c, weight);
        if (r < 0)
                return fail_at(ps, &t, r, "too many ballots");
        ps->b->n_lines++;
        return PB_OK;
}

static pb_err header(struct parser *ps, struct tok *t)
{
        uint64_t v;
        size_t i;
        pb_err r;

        if ((r = next(ps, t)) < 0)
                return r;
        if (t->kind != T_WORD || !number(t->s, t->len, &v) || v == 0)
                return fail_at(ps, t, PB_ERR_PARSE, "expected the number of candidates");
        if (v > PB_RANKED_MAX_CANDIDATES)
                return fail_at(ps, t, PB_ERR_LIMIT, "too many candidates");
        ps->n = (size_t)v;
        if ((r = next(ps, t)) < 0)
                return r;
        if (t->kind != T_WORD || !number(t->s, t->len, &v))
                return fail_at(ps, t, PB_ERR_PARSE, "expected the number of seats");
        if (v == 0)
                return fail_at(ps, t, PB_ERR_INVALID, "the number of seats must be at least 1");
        if (v > ps->n)
                return fail_at(ps, t, PB_ERR_INVALID, "more seats than candidates");
        ps->b->contest.seats = (unsigned)v;
        ps->withdrawn = pb_calloc(ps->n, sizeof(bool));
        ps->seen = pb_calloc(ps->n, sizeof(uint32_t));
        ps->group = pb_calloc(ps->n, sizeof(uint32_t));
        if (!ps->withdrawn || !ps->seen || !ps->group)
                return PB_ERR_NOMEM;
        /* provisional names until the names section is read; the candidates must exist for the options */
        for (i = 0; i < ps->n; i++) {
                r = pb_ranked_candidate_add(&ps->b->contest, "?", 1, NULL);
                if (r < 0)
                        return r;
        }
        /* withdrawn ids (-k) and [options], in any order, before the first ballot */
        for (;;) {
                if ((r = next(ps, t)) < 0)
                        return r;
                if (t->kind == T_OPTION) {
                        r = option(ps, t);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (t->kind == T_WORD && t->len > 1 && t->s[0] == '-') {
                        if (!number(t->s + 1, t->len - 1, &v) || v == 0 || v > ps->n)
                                return fail_at(ps, t, PB_ERR_INVALID, "withdrawn candidate does not exist");
                        ps->withdrawn[v - 1] = true;
                        continue;
                }
                return PB_OK;
        }
}

static pb_err quoted(struct parser *ps, const struct tok *t, char **ret, const char *what)
{
        char *s;

        if (t->kind != T_STRING)
                return fail_at(ps, t, PB_ERR_PARSE, what);
        if (!pb_utf8_valid(t->s, t->len) || memchr(t->s, '\0', t->len))
                return fail_at(ps, t, PB_ERR_PARSE, "text is not UTF-8");
        s = pb_strndup(t->s, t->len);
        if (!s)
                return PB_ERR_NOMEM;
        pb_free(*ret);
        *ret = s;
        return PB_OK;
}

static pb_err parse(struct parser *ps)
{
        struct pb_ranked_contest *c = &ps->b->contest;
        struct tok t;
        uint64_t w;
        size_t i;
        pb_err r;

        r = header(ps, &t);
        if (r < 0)
                return r;
        /* ballot lines until a weight of 0 */
        for (;;) {
                if (t.kind == T_WORD && t.len > 2 && t.s[0] == '(' && t.s[t.len - 1] == ')') {
                        w = 1; /* a ballot id instead of a weight */
                } else if (t.kind != T_WORD || !number(t.s, t.len, &w)) {
                        return fail_at(ps, &t, PB_ERR_PARSE,
                                       t.kind == T_EOF
                                               ? "the file ends inside the ballots"
                                               : "expected a ballot weight or the 0 that ends the ballots");
                } else if (w == 0) {
                        break;
                } else if (w > (uint64_t)INT64_MAX) {
                        return fail_at(ps, &t, PB_ERR_OVERFLOW, "ballot weight too large");
                }
                r = ballot(ps, (int64_t)w);
                if (r < 0)
                        return r;
                if ((r = next(ps, &t)) < 0)
                        return r;
        }
        for (i = 0; i < ps->n; i++) {
                if ((r = next(ps, &t)) < 0)
                        return r;
                if (t.kind == T_STRING && t.len == 0)
                        return fail_at(ps, &t, PB_ERR_INVALID, "empty candidate name");
                r = quoted(ps, &t, &c->cand[i].name, "expected a quoted candidate name");
                if (r < 0)
                        return r;
                c->cand[i].excluded = ps->withdrawn[i];
        }
        if ((r = next(ps, &t)) < 0)
                return r;
        r = quoted(ps, &t, &c->title, "expected the quoted election title");
        if (r < 0)
                return r;
        /* optional source and comment strings; anything after them is ignored */
        if ((r = next(ps, &t)) < 0)
                return r;
        if (t.kind == T_STRING) {
                if ((r = quoted(ps, &t, &ps->b->source, "")) < 0 || (r = next(ps, &t)) < 0)
                        return r;
                if (t.kind == T_STRING && (r = quoted(ps, &t, &ps->b->comment, "")) < 0)
                        return r;
        }
        return PB_OK;
}

void pb_blt_init(struct pb_blt *b)
{
        memset(b, 0, sizeof(*b));
        pb_ranked_contest_init(&b->contest);
}

void pb_blt_release(struct pb_blt *b)
{
        if (!b)
                return;
        pb_ranked_contest_release(&b->contest);
        pb_free(b->tie_order);
        pb_free(b->source);
        pb_free(b->comment);
        memset(b, 0, sizeof(*b));
}

pb_err pb_blt_parse(const char *buf, size_t len, struct pb_blt *ret, struct pb_diag *reterr)
{
        struct parser ps;
        size_t i;
        pb_err r;

        memset(&ps, 0, sizeof(ps));
        ps.b = ret;
        ps.reterr = reterr;
        ps.lx.p = buf;
        ps.lx.end = buf + len;
        ps.lx.line = 1;
        ps.lx.line_start = buf;
        if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
                ps.lx.p += 3;
                ps.lx.line_start += 3;
        }
        r = parse(&ps);
        if (ps.nick)
                for (i = 0; i < ps.n; i++)
                        pb_free(ps.nick[i]);
        pb_free(ps.nick);
        pb_free(ps.withdrawn);
        pb_free(ps.seen);
        pb_free(ps.group);
        pb_ranked_ballot_discard(&ret->contest);
        return r;
}
