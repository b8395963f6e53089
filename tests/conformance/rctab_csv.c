/** @file Our report against RCTab's detailed report CSV (see rctab_csv.h). */
#include "rctab_csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format_rctab_int.h"
#include "engine/pb_ranked.h"

#define SCALE 9 /* every value compared in units of 10^-9: RCTab's cases use at most 5 places */

struct row {
        char **cell;
        size_t n;
};

struct cmp {
        size_t found, max;
        const cJSON *results;
        int n_rounds;
        const struct rctab_csv_tie *ties;
        size_t n_ties;
};

static const char *const inactive_keys[] = { "overvotes", "skippedRankings", "exhaustedChoices",
                                             "repeatedRankings" };
static const char *const inactive_rows[] = { "Inactive Ballots by Overvotes",
                                             "Inactive Ballots by Skipped Rankings",
                                             "Inactive Ballots by Exhausted Choices",
                                             "Inactive Ballots by Repeated Rankings" };

static void report(struct cmp *c, const char *what, const char *ours, const char *expected)
{
        c->found++;
        if (c->found <= c->max)
                fprintf(stderr, "  csv: %s: ours %.200s, expected %.200s\n", what, ours ? ours : "(none)",
                        expected ? expected : "(none)");
}

static bool dec(const char *s, int64_t *v)
{
        return s && pb_ranked_parse_value(s, strlen(s), SCALE, false, v, NULL) == PB_OK;
}

/* A value of our report: a decimal string, or a JSON number (counts); absent is 0. */
static int64_t json_dec(const cJSON *x)
{
        int64_t v = 0;

        if (cJSON_IsString(x) && dec(x->valuestring, &v))
                return v;
        if (cJSON_IsNumber(x))
                return (int64_t)x->valuedouble * 1000000000;
        return 0;
}

static const char *cell(const struct row *r, size_t i)
{
        return i < r->n ? r->cell[i] : NULL;
}

static void check_num(struct cmp *c, const char *what, int64_t ours, const char *expected)
{
        char a[PB_RANKED_VALUE_STR_MAX];
        int64_t e;

        if (!dec(expected, &e) || e != ours)
                report(c, what, pb_ranked_format_value(ours, SCALE, a), expected);
}

static void check_str(struct cmp *c, const char *what, const cJSON *ours, const char *expected)
{
        const char *o = cJSON_IsString(ours) ? ours->valuestring : NULL;

        if (!o || !expected || strcmp(o, expected))
                report(c, what, o, expected);
}

/*
 * Does @text list exactly the @n names, joined by @sep, all names of group g before those of
 * group g + 1 and in any order within a group?  (Names may contain the separator, so each step
 * takes the longest name that fits.)
 */
static bool names_match(const char *text, const char **names, const int *group, const bool *star, size_t n,
                        const char *sep)
{
        size_t seplen = strlen(sep), left = n, i;
        bool *used = calloc(n ? n : 1, sizeof(*used)), ok = true;
        const char *p = text;

        while (ok && left) {
                size_t best = n, bestlen = 0;
                int g = -1;

                for (i = 0; i < n; i++)
                        if (!used[i] && (g < 0 || group[i] < g))
                                g = group[i];
                for (i = 0; i < n; i++) {
                        size_t l = strlen(names[i]);
                        if (used[i] || group[i] != g || strncmp(p, names[i], l))
                                continue;
                        if (star && star[i] && p[l++] != '*')
                                continue;
                        if (left == 1 ? p[l] != '\0' : strncmp(p + l, sep, seplen))
                                continue;
                        if (best == n || l > bestlen) {
                                best = i;
                                bestlen = l;
                        }
                }
                if (best == n) {
                        ok = false;
                        break;
                }
                used[best] = true;
                left--;
                p += bestlen + (left ? seplen : 0);
        }
        free(used);
        return ok && *p == '\0';
}

static const cJSON *round_of(const struct cmp *c, int r)
{
        return cJSON_GetArrayItem(c->results, r);
}

static bool tie_chose(const struct cmp *c, int r, const char *name)
{
        size_t i;

        for (i = 0; i < c->n_ties; i++)
                if (c->ties[i].round == r + 1 && !strcmp(c->ties[i].name, name))
                        return true;
        return false;
}

/* The names elected (or eliminated) in round @r, into @names, each starred if a tie-break
 * chose it; returns their number. */
static size_t decided(const struct cmp *c, int r, const char *kind, const char **names, int *group,
                      bool *star, int g, size_t cap)
{
        const cJSON *a, *tr = cJSON_GetObjectItemCaseSensitive(round_of(c, r), "tallyResults");
        size_t n = 0;

        cJSON_ArrayForEach(a, tr)
        {
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, kind);
                if (cJSON_IsString(nm) && n < cap) {
                        names[n] = nm->valuestring;
                        star[n] = tie_chose(c, r, nm->valuestring);
                        group[n++] = g;
                }
        }
        return n;
}

/* Winner(s): names in order of election, joined by ", " */
static void check_winners(struct cmp *c, const char *expected)
{
        const char *names[4096];
        int group[4096];
        bool star[4096];
        size_t n = 0;
        int r;

        for (r = 0; r < c->n_rounds; r++)
                n += decided(c, r, "elected", names + n, group + n, star + n, r, 4096 - n);
        if (!names_match(expected ? expected : "", names, group, NULL, n, ", "))
                report(c, "Winner(s)", "(our winners in order of election)", expected);
}

static void check_action_row(struct cmp *c, const struct row *row, const char *kind)
{
        const char *names[4096];
        int group[4096];
        bool star[4096];
        char what[64];
        int r;

        for (r = 0; r < c->n_rounds; r++) {
                size_t n = decided(c, r, kind, names, group, star, 0, 4096);
                const char *e = cell(row, 1 + 3 * (size_t)r);
                if (!names_match(e ? e : "", names, group, star, n, "; ")) {
                        snprintf(what, sizeof(what), "round %d %s", r + 1, kind);
                        report(c, what, n ? names[0] : "", e);
                }
        }
}

static int64_t tally_sum(const cJSON *rd)
{
        const cJSON *x;
        int64_t s = 0;

        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rd, "tally")) s += json_dec(x);
        return s;
}

static int64_t inactive(const cJSON *rd, const char *key)
{
        return json_dec(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(rd, "inactiveBallots"), key));
}

/* Residual surplus so far at round @r: RCTab files it under the previous round's winners. */
static int64_t residual_until(const struct cmp *c, int r)
{
        const cJSON *a;
        int64_t s = 0;
        int k;

        for (k = 0; k < r; k++)
                cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(round_of(c, k), "tallyResults")) s +=
                        json_dec(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(a, "transfers"), "residual surplus"));
        return s;
}

/* A row of per-round values: the value at column 1 + 3r, its change at 3 + 3r when @delta. */
static void check_series(struct cmp *c, const struct row *row,
                         int64_t (*value)(const struct cmp *, int, const void *), const void *arg, bool delta,
                         bool blank_is_zero)
{
        char what[160];
        int r;

        for (r = 0; r < c->n_rounds; r++) {
                int64_t v = value(c, r, arg);
                const char *e = cell(row, 1 + 3 * (size_t)r);

                snprintf(what, sizeof(what), "%.100s, round %d", row->cell[0], r + 1);
                if (blank_is_zero && e && !e[0]) {
                        if (v)
                                check_num(c, what, v, "0");
                } else {
                        check_num(c, what, v, e);
                }
                if (delta) {
                        int64_t d = r + 1 < c->n_rounds ? value(c, r + 1, arg) - v : 0;
                        snprintf(what, sizeof(what), "%.100s, transfer after round %d", row->cell[0], r + 1);
                        check_num(c, what, d, cell(row, 3 + 3 * (size_t)r));
                }
        }
}

static int64_t v_candidate(const struct cmp *c, int r, const void *name)
{
        return json_dec(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(round_of(c, r), "tally"), (const char *)name));
}

static int64_t v_active(const struct cmp *c, int r, const void *arg)
{
        (void)arg; /* RCTab's active and locked-in ballots include the final-round surplus */
        return tally_sum(round_of(c, r)) + inactive(round_of(c, r), "finalRoundSurplus");
}

static int64_t v_threshold(const struct cmp *c, int r, const void *arg)
{
        (void)arg;
        return json_dec(cJSON_GetObjectItemCaseSensitive(round_of(c, r), "threshold"));
}

static int64_t v_inactive(const struct cmp *c, int r, const void *key)
{
        return inactive(round_of(c, r), (const char *)key);
}

static int64_t v_inactive_total(const struct cmp *c, int r, const void *arg)
{
        int64_t s = 0;
        size_t k;

        (void)arg;
        for (k = 0; k < 4; k++)
                s += inactive(round_of(c, r), inactive_keys[k]);
        return s;
}

static int64_t v_residual(const struct cmp *c, int r, const void *arg)
{
        (void)arg;
        return residual_until(c, r);
}

/* Number to be Elected: bottoms-up with a percentage (0 seats) prints its rule instead. */
static void check_seats(struct cmp *c, int64_t ours, const char *expected)
{
        static const char pre[] = "All candidates over the ", post[] = "% threshold";
        size_t n = expected ? strlen(expected) : 0;

        if (ours == 0 && n > sizeof(pre) + sizeof(post) - 2 && !strncmp(expected, pre, sizeof(pre) - 1) &&
            !strcmp(expected + n - (sizeof(post) - 1), post))
                return;
        check_num(c, "Number to be Elected", ours, expected);
}

static bool read_rows(const char *csv, size_t len, struct row **ret, size_t *ret_n)
{
        struct rk_csv p;
        struct pb_diag d;
        struct row *rows = NULL;
        size_t n = 0, i;
        int k;

        rk_csv_init(&p, csv, len);
        while ((k = rk_csv_next(&p, &d)) == 1) {
                struct row *nr = realloc(rows, (n + 1) * sizeof(*rows));
                if (!nr)
                        break;
                rows = nr;
                rows[n].n = p.n_f;
                rows[n].cell = calloc(p.n_f ? p.n_f : 1, sizeof(char *));
                for (i = 0; rows[n].cell && i < p.n_f; i++) {
                        rows[n].cell[i] = malloc(p.f[i].len + 1);
                        if (rows[n].cell[i]) {
                                memcpy(rows[n].cell[i], p.f[i].s, p.f[i].len);
                                rows[n].cell[i][p.f[i].len] = '\0';
                        }
                }
                n++;
        }
        rk_csv_release(&p);
        *ret = rows;
        *ret_n = n;
        return k == 0;
}

static void free_rows(struct row *rows, size_t n)
{
        size_t i, j;

        for (i = 0; i < n; i++) {
                for (j = 0; j < rows[i].n; j++)
                        free(rows[i].cell[j]);
                free(rows[i].cell);
        }
        free(rows);
}

static bool is(const struct row *r, const char *s)
{
        return r->n && r->cell[0] && !strcmp(r->cell[0], s);
}

static bool starts(const struct row *r, const char *s)
{
        return r->n && r->cell[0] && !strncmp(r->cell[0], s, strlen(s));
}

static bool blank(const struct row *r)
{
        return r->n == 1 && r->cell[0] && !r->cell[0][0];
}

size_t rctab_csv_diff(const cJSON *ours, const struct rctab_csv_tie *ties, size_t n_ties, const char *csv,
                      size_t len, size_t max_report)
{
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(ours, "config");
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(ours, "summary");
        const cJSON *slice_p = cJSON_GetObjectItemCaseSensitive(conf, "precinct");
        const cJSON *slice_b = cJSON_GetObjectItemCaseSensitive(conf, "batch");
        bool is_slice = slice_p || slice_b, seen_active = false, seen_thr = false, seen_total = false;
        bool seen_resid = false, seen_frs = false, seen_inactive[4] = { false, false, false, false };
        bool seen_slice_line = false;
        struct cmp c;
        struct row *rows = NULL;
        const cJSON *x;
        size_t n_rows = 0, i, k, n_cand_rows = 0;
        int header_rounds = 0;
        enum { NONE, INFO, SUMMARY, ROUNDS } section = NONE;

        memset(&c, 0, sizeof(c));
        c.max = max_report;
        c.results = cJSON_GetObjectItemCaseSensitive(ours, "results");
        c.n_rounds = cJSON_GetArraySize(c.results);
        c.ties = ties;
        c.n_ties = n_ties;
        if (!read_rows(csv, len, &rows, &n_rows))
                report(&c, "CSV", "", "(unreadable CSV)");
        for (i = 0; i < n_rows; i++) {
                const struct row *row = &rows[i];
                const char *v = cell(row, 1);

                if (blank(row)) {
                        section = NONE;
                        continue;
                }
                if (is(row, "Contest Information")) {
                        section = INFO;
                        continue;
                }
                if (is(row, "Contest Summary")) {
                        section = SUMMARY;
                        continue;
                }
                if (is(row, "Rounds")) {
                        section = ROUNDS;
                        for (k = 1; k < row->n; k += 3)
                                header_rounds++;
                        if (header_rounds != c.n_rounds) {
                                char a[32], e[32];
                                snprintf(a, sizeof(a), "%d", c.n_rounds);
                                snprintf(e, sizeof(e), "%d", header_rounds);
                                report(&c, "number of rounds", a, e);
                                break;
                        }
                        continue;
                }
                if (section == INFO) {
                        if (is(row, "Contest"))
                                check_str(&c, "Contest", cJSON_GetObjectItemCaseSensitive(conf, "contest"),
                                          v);
                        else if (is(row, "Jurisdiction"))
                                check_str(&c, "Jurisdiction",
                                          cJSON_GetObjectItemCaseSensitive(conf, "jurisdiction"), v);
                        else if (is(row, "Office"))
                                check_str(&c, "Office", cJSON_GetObjectItemCaseSensitive(conf, "office"), v);
                        else if (is(row, "Date"))
                                check_str(&c, "Date", cJSON_GetObjectItemCaseSensitive(conf, "date"), v);
                        else if (is(row, "Winner(s)"))
                                check_winners(&c, v);
                        else if (is(row, "Final Threshold"))
                                check_num(&c, "Final Threshold",
                                          json_dec(cJSON_GetObjectItemCaseSensitive(sum, "finalThreshold")),
                                          v);
                        else if (is(row, "Precinct") || is(row, "Batch")) {
                                seen_slice_line = true;
                                check_str(&c, row->cell[0], is(row, "Precinct") ? slice_p : slice_b, v);
                        }
                        continue;
                }
                if (section == SUMMARY) {
                        if (is(row, "Number to be Elected"))
                                check_seats(&c, json_dec(cJSON_GetObjectItemCaseSensitive(sum, "numWinners")),
                                            v);
                        else if (is(row, "Number of Candidates"))
                                /* RCTab's CSV counts the candidates not excluded from this count
                                 * (the JSON counts all): those of our round 1 */
                                check_num(&c, row->cell[0],
                                          (int64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                                                  round_of(&c, 0), "tally")) *
                                                  1000000000,
                                          v);
                        else if (is(row, "Total Number of Ballots"))
                                check_num(&c, row->cell[0],
                                          json_dec(cJSON_GetObjectItemCaseSensitive(sum, "totalNumBallots")),
                                          v);
                        else if (is(row, "Number of Undervotes (No Rankings)"))
                                check_num(&c, row->cell[0],
                                          json_dec(cJSON_GetObjectItemCaseSensitive(sum, "undervotes")), v);
                        else
                                report(&c, "unknown summary row", "", row->cell[0]);
                        continue;
                }
                if (section != ROUNDS)
                        continue; /* the footnote of a slice report */
                if (starts(row, "Eliminated")) {
                        check_action_row(&c, row, "eliminated");
                } else if (starts(row, "Elected")) {
                        check_action_row(&c, row, "elected");
                } else if (is(row, "Active Ballots")) {
                        seen_active = true;
                        check_series(&c, row, v_active, NULL, false, false);
                } else if (is(row, "Current Round Threshold")) {
                        seen_thr = true;
                        check_series(&c, row, v_threshold, NULL, false, false);
                } else if (is(row, "Inactive Ballots Total")) {
                        seen_total = true;
                        check_series(&c, row, v_inactive_total, NULL, true, false);
                } else if (is(row, "Residual surplus")) {
                        seen_resid = true;
                        check_series(&c, row, v_residual, NULL, false, false);
                } else if (is(row, "Final Round Surplus")) {
                        seen_frs = true;
                        check_series(&c, row, v_inactive, "finalRoundSurplus", false, true);
                } else if (starts(row, "Inactive Ballots by ")) {
                        for (k = 0; k < 4 && !is(row, inactive_rows[k]); k++)
                                ;
                        if (k == 4) {
                                report(&c, "unknown row", "", row->cell[0]);
                                continue;
                        }
                        seen_inactive[k] = true;
                        check_series(&c, row, v_inactive, inactive_keys[k], true, false);
                } else {
                        /* a candidate: RCTab lists those of round 1 */
                        if (c.n_rounds &&
                            !cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetObjectItemCaseSensitive(round_of(&c, 0), "tally"), row->cell[0]))
                                report(&c, "candidate row not in our round 1", "", row->cell[0]);
                        n_cand_rows++;
                        check_series(&c, row, v_candidate, row->cell[0], true, false);
                }
        }
        /* the rows that must be there, and the ones that must not */
        if (c.n_rounds) {
                x = cJSON_GetObjectItemCaseSensitive(round_of(&c, 0), "tally");
                if ((size_t)cJSON_GetArraySize(x) != n_cand_rows)
                        report(&c, "candidate rows", "(one per candidate of our round 1)",
                               "(another number)");
        }
        for (k = 0; k < 4; k++)
                if (!seen_inactive[k])
                        report(&c, "missing row", "", inactive_rows[k]);
        if (!seen_active || !seen_total)
                report(&c, "missing row", "", "Active Ballots / Inactive Ballots Total");
        if (seen_thr == is_slice)
                report(&c, "Current Round Threshold row", is_slice ? "(slice: none)" : "(one)",
                       seen_thr ? "(one)" : "(none)");
        if (seen_slice_line != is_slice)
                report(&c, "Precinct / Batch line", is_slice ? "(one)" : "(none)",
                       seen_slice_line ? "(one)" : "(none)");
        if (!is_slice && c.n_rounds && seen_resid != (residual_until(&c, c.n_rounds) > 0))
                report(&c, "Residual surplus row", seen_resid ? "(none)" : "(one)",
                       seen_resid ? "(one)" : "(none)");
        if (c.n_rounds && seen_frs != (cJSON_GetObjectItemCaseSensitive(
                                               cJSON_GetObjectItemCaseSensitive(round_of(&c, c.n_rounds - 1),
                                                                                "inactiveBallots"),
                                               "finalRoundSurplus") != NULL))
                report(&c, "Final Round Surplus row", seen_frs ? "(none)" : "(one)",
                       seen_frs ? "(one)" : "(none)");
        free_rows(rows, n_rows);
        if (c.found > c.max)
                fprintf(stderr, "  ... and %zu more differences\n", c.found - c.max);
        return c.found;
}
