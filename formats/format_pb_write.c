/** @file pabulib .pb writer: the inverse of the reader (read, write, read gives the same election). */
#include <string.h>

#include "formats/pb_format_pb.h"
#include "engine/pb_money.h"

/* Quote as Python's csv module does (QUOTE_MINIMAL): when the text holds ';', '"' or a line break. */
static pb_err cell(struct pb_buf *out, const char *s)
{
        pb_err e;

        if (!s)
                return PB_OK;
        if (!strpbrk(s, ";\"\r\n"))
                return pb_buf_adds(out, s);
        e = pb_buf_addc(out, '"');
        for (const char *p = s; e == PB_OK && *p; p++)
                e = *p == '"' ? pb_buf_add(out, "\"\"", 2) : pb_buf_addc(out, *p);
        return e == PB_OK ? pb_buf_addc(out, '"') : e;
}

static pb_err pair(struct pb_buf *out, const char *key, const char *value)
{
        pb_err e = cell(out, key);

        if (e == PB_OK)
                e = pb_buf_addc(out, ';');
        if (e == PB_OK)
                e = cell(out, value);
        return e == PB_OK ? pb_buf_addc(out, '\n') : e;
}

/* Stored text when it still means @v (keeps "400000.0" as written), else @v's canonical text. */
static const char *amount_text(const char *stored, int64_t v, bool money, unsigned scale,
                               char buf[PB_MONEY_STR_MAX])
{
        int64_t x;

        if (stored &&
            (money ? pb_decimal_parse(stored, strlen(stored), scale, &x, NULL)
                   : pb_int_parse(stored, strlen(stored), &x, NULL)) == PB_OK &&
            x == v)
                return stored;
        return pb_money_format(v, money ? scale : 0, buf);
}

static long limit_of(const char *key)
{
        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (!strcmp(key, pb_limit_name((enum pb_limit)k)))
                        return k;
        return -1;
}

static pb_err write_meta(const struct pb_election *e, struct pb_buf *out)
{
        bool seen_budget = false, seen_type = false, seen_np = false, seen_nv = false, seen_rule = false,
             seen_thr = false, seen_lim[PB_LIM_COUNT] = { false };
        char buf[PB_MONEY_STR_MAX];
        pb_err r = pb_buf_adds(out, "META\nkey;value\n");

        for (size_t i = 0; r == PB_OK && i < e->n_meta; i++) {
                const char *k = e->meta[i].key, *v = e->meta[i].value;
                long lim = limit_of(k);

                if (!strcmp(k, "budget")) {
                        v = amount_text(v, e->budget, true, e->scale, buf);
                        seen_budget = true;
                } else if (!strcmp(k, "num_projects")) {
                        /* as written ("03") while it still counts the projects: read back equal */
                        v = amount_text(v, (int64_t)e->n_projects, false, 0, buf);
                        seen_np = true;
                } else if (!strcmp(k, "num_votes")) {
                        v = amount_text(v, (int64_t)e->ballots.n, false, 0, buf);
                        seen_nv = true;
                } else if (!strcmp(k, "vote_type")) {
                        v = pb_vote_type_name(e->vote_type);
                        seen_type = true;
                } else if (!strcmp(k, "rule")) {
                        v = e->rule;
                        seen_rule = true;
                } else if (!strcmp(k, "min_project_score_threshold")) {
                        if (!e->has_threshold)
                                continue;
                        v = amount_text(v, e->threshold, false, 0, buf);
                        seen_thr = true;
                } else if (lim >= 0) {
                        if (!e->limits.has[lim])
                                continue;
                        v = amount_text(v, e->limits.v[lim], pb_limit_is_money((enum pb_limit)lim), e->scale,
                                        buf);
                        seen_lim[lim] = true;
                }
                r = pair(out, k, v);
        }
        /* An election not read from a .pb file has no stored pairs: write what the model holds.  One
         * read from a file is written as it was (a file without num_votes stays without it), so that
         * reading the output gives the same election. */
        if (e->n_meta)
                return r;
        if (r == PB_OK && !seen_np)
                r = pair(out, "num_projects", pb_money_format((int64_t)e->n_projects, 0, buf));
        if (r == PB_OK && !seen_nv)
                r = pair(out, "num_votes", pb_money_format((int64_t)e->ballots.n, 0, buf));
        if (r == PB_OK && !seen_budget)
                r = pair(out, "budget", pb_money_format(e->budget, e->scale, buf));
        if (r == PB_OK && !seen_type)
                r = pair(out, "vote_type", pb_vote_type_name(e->vote_type));
        if (r == PB_OK && !seen_rule && e->rule[0])
                r = pair(out, "rule", e->rule);
        for (int k = 0; r == PB_OK && k < PB_LIM_COUNT; k++)
                if (e->limits.has[k] && !seen_lim[k])
                        r = pair(out, pb_limit_name((enum pb_limit)k),
                                 pb_money_format(e->limits.v[k],
                                                 pb_limit_is_money((enum pb_limit)k) ? e->scale : 0, buf));
        if (r == PB_OK && e->has_threshold && !seen_thr)
                r = pair(out, "min_project_score_threshold", pb_money_format(e->threshold, 0, buf));
        return r;
}

static pb_err sep(struct pb_buf *out)
{
        return pb_buf_addc(out, ';');
}

static pb_err write_projects(const struct pb_election *e, struct pb_buf *out)
{
        bool votes = false, score = e->has_score_column, name = false, category = false;
        char buf[PB_MONEY_STR_MAX];
        pb_err r;

        for (size_t i = 0; i < e->n_projects; i++) {
                votes |= e->projects[i].has_votes;
                score |= e->projects[i].has_score;
                name |= e->projects[i].name[0] != '\0';
                category |= e->projects[i].category[0] != '\0';
        }
        r = pb_buf_adds(out, "PROJECTS\nproject_id;cost");
        if (r == PB_OK && votes)
                r = pb_buf_adds(out, ";votes");
        if (r == PB_OK && score)
                r = pb_buf_adds(out, ";score");
        if (r == PB_OK && name)
                r = pb_buf_adds(out, ";name");
        if (r == PB_OK && category)
                r = pb_buf_adds(out, ";category");
        if (r == PB_OK && e->has_selected_column)
                r = pb_buf_adds(out, ";selected");
        for (size_t k = 0; r == PB_OK && k < e->n_project_extra; k++) {
                r = sep(out);
                if (r == PB_OK)
                        r = cell(out, e->project_extra_cols[k]);
        }
        if (r == PB_OK)
                r = pb_buf_addc(out, '\n');
        for (size_t i = 0; r == PB_OK && i < e->n_projects; i++) {
                const struct pb_project *p = &e->projects[i];

                r = cell(out, p->id);
                if (r == PB_OK)
                        r = sep(out);
                if (r == PB_OK)
                        r = pb_buf_adds(out, pb_money_format(p->cost, e->scale, buf));
                if (r == PB_OK && votes) {
                        r = sep(out);
                        if (r == PB_OK && p->has_votes)
                                r = pb_buf_add_i64(out, p->declared_votes);
                }
                if (r == PB_OK && score) {
                        r = sep(out);
                        if (r == PB_OK && p->has_score)
                                r = pb_buf_add_i64(out, p->declared_score);
                }
                if (r == PB_OK && name) {
                        r = sep(out);
                        if (r == PB_OK)
                                r = cell(out, p->name);
                }
                if (r == PB_OK && category) {
                        r = sep(out);
                        if (r == PB_OK)
                                r = cell(out, p->category);
                }
                if (r == PB_OK && e->has_selected_column) {
                        r = sep(out);
                        if (r == PB_OK && p->selected >= 0)
                                r = pb_buf_add_i64(out, p->selected);
                }
                for (size_t k = 0; r == PB_OK && k < e->n_project_extra; k++) {
                        r = sep(out);
                        if (r == PB_OK)
                                r = cell(out, p->extra[k]);
                }
                if (r == PB_OK)
                        r = pb_buf_addc(out, '\n');
        }
        return r;
}

static pb_err write_votes(const struct pb_election *e, struct pb_buf *out)
{
        const struct pb_ballots *b = &e->ballots;
        const bool points = pb_vote_type_has_points(e->vote_type);
        pb_err r = pb_buf_adds(out, points ? "VOTES\nvoter_id;vote;points" : "VOTES\nvoter_id;vote");

        for (size_t k = 0; r == PB_OK && k < b->n_extra; k++) {
                r = sep(out);
                if (r == PB_OK)
                        r = cell(out, b->extra_cols[k]);
        }
        if (r == PB_OK)
                r = pb_buf_addc(out, '\n');
        for (size_t i = 0; r == PB_OK && i < b->n; i++) {
                if (b->voter_id)
                        r = cell(out, b->voter_id[i]);
                else
                        r = pb_buf_add_i64(out, (int64_t)i + 1);
                if (r == PB_OK)
                        r = sep(out);
                for (size_t k = b->start[i]; r == PB_OK && k < b->start[i + 1]; k++) {
                        if (k > b->start[i])
                                r = pb_buf_addc(out, ',');
                        if (r == PB_OK)
                                r = cell(out, e->projects[b->item[k]].id);
                }
                if (r == PB_OK && points) {
                        r = sep(out);
                        for (size_t k = b->start[i]; r == PB_OK && k < b->start[i + 1]; k++) {
                                if (k > b->start[i])
                                        r = pb_buf_addc(out, ',');
                                if (r == PB_OK)
                                        r = pb_buf_add_i64(out, b->points ? b->points[k] : 0);
                        }
                }
                for (size_t k = 0; r == PB_OK && k < b->n_extra; k++) {
                        r = sep(out);
                        if (r == PB_OK)
                                r = cell(out, b->extra[i * b->n_extra + k]);
                }
                if (r == PB_OK)
                        r = pb_buf_addc(out, '\n');
        }
        return r;
}

pb_err pb_format_pb_write(const struct pb_election *e, struct pb_buf *out)
{
        size_t mark = out->len;
        pb_err r = write_meta(e, out);

        if (r == PB_OK)
                r = write_projects(e, out);
        if (r == PB_OK)
                r = write_votes(e, out);
        if (r < 0) {
                out->len = mark; /* leave @out as it was */
                if (out->data)
                        out->data[mark] = '\0';
        }
        return r;
}
