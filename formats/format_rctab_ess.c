/**
 * @file The CSV-shaped CVRs RCTab reads: the ES&S sheet (its .xlsx.csv rendering), generic CSV
 * and Clear Ballot CSV, with RCTab's reading rules (StreamingCvrReader, CsvCvrReader,
 * ClearBallotCvrReader).
 */
#include <string.h>

#include "formats/format_rctab_int.h"
#include "engine/pb_alloc.h"

static const char *const ess_blank[PB_RANKED_SLICE_KINDS] = { PB_RCTAB_ESS_NO_PRECINCT,
                                                              PB_RCTAB_ESS_NO_BATCH };
static const char *const csv_blank[PB_RANKED_SLICE_KINDS] = { PB_RCTAB_CSV_NO_PRECINCT,
                                                              PB_RCTAB_CSV_NO_BATCH };

static bool eq(const char *s, size_t len, const char *label)
{
        return strlen(label) == len && !memcmp(s, label, len);
}

/* The labels of a source with their lengths, measured once per file. */
struct labels {
        const char *skip, *over, *uwi;
        size_t skip_len, over_len, uwi_len;
};

static void labels_init(struct labels *l, const struct pb_rctab_source *src)
{
        l->skip = src->skipped_label;
        l->over = src->overvote_label;
        l->uwi = src->uwi_label;
        l->skip_len = strlen(l->skip);
        l->over_len = strlen(l->over);
        l->uwi_len = strlen(l->uwi);
}

static bool is(const char *s, size_t len, const char *label, size_t label_len)
{
        return label_len == len && !memcmp(s, label, len);
}

/* First occurrence of @n bytes of @needle in @len bytes of @hay, or NULL (memmem is a GNU
 * extension). */
static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
        size_t i;

        for (i = 0; n && i + n <= len; i++)
                if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
                        return hay + i;
        return NULL;
}

/* One ES&S choice (a cell, or one part of a cell split by the overvote delimiter). */
static pb_err ess_choice(struct pb_rctab_config *cfg, const struct labels *lb, unsigned rank, const char *s,
                         size_t len, bool split, unsigned line, unsigned col, struct pb_diag *reterr)
{
        long cand;

        rk_trim(&s, &len);
        if (split && (len == 0 || is(s, len, lb->skip, lb->skip_len)))
                return rk_fail(reterr, PB_ERR_INVALID, line, col, NULL,
                               "a cell split by the overvote delimiter holds a blank or skipped-rank label",
                               s, len);
        if (len == 0 || is(s, len, lb->skip, lb->skip_len))
                return PB_OK; /* a skipped rank */
        if (lb->over_len && is(s, len, lb->over, lb->over_len))
                return rk_mark(cfg, rank, PB_RANKED_OVERVOTE, line, reterr);
        if (lb->uwi_len && is(s, len, lb->uwi, lb->uwi_len))
                return rk_mark(cfg, rank, (uint32_t)cfg->uwi, line, reterr);
        cand = pb_rctab_lookup(cfg, s, len);
        if (cand < 0)
                return rk_fail(reterr, PB_ERR_INVALID, line, col, NULL, "unrecognized candidate", s, len);
        return rk_mark(cfg, rank, (uint32_t)cand, line, reterr);
}

pb_err pb_rctab_read_ess(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const char *buf,
                         size_t len, struct pb_diag *reterr)
{
        struct rk_csv csv;
        struct labels lb;
        unsigned rank, max_rank;
        size_t dl = strlen(src->overvote_delimiter);
        int k;
        pb_err r = PB_OK;

        if (!src->first_vote_col || !src->first_vote_row)
                return rk_fail(reterr, PB_ERR_INVALID, 0, 0, "firstVoteColumnIndex",
                               "ES&S sources need firstVoteColumnIndex and firstVoteRowIndex", NULL, 0);
        labels_init(&lb, src);
        rk_csv_init(&csv, buf, len);
        while ((k = rk_csv_next(&csv, reterr)) == 1) {
                if (csv.record < src->first_vote_row)
                        continue;
                if (src->id_col && (src->id_col > csv.n_f || csv.f[src->id_col - 1].len == 0)) {
                        r = rk_fail(reterr, PB_ERR_INVALID, csv.line, src->id_col, "idColumnIndex",
                                    "cast vote record identifier missing", NULL, 0);
                        goto out;
                }
                max_rank = 0;
                for (rank = 1; rank <= cfg->max_rankings; rank++) {
                        size_t col = src->first_vote_col - 1 + rank - 1;
                        const char *s = col < csv.n_f ? csv.f[col].s : "";
                        size_t n = col < csv.n_f ? csv.f[col].len : 0;

                        rk_trim(&s, &n);
                        if (n == 0) {
                                /* empty cells are skipped ranks, or write-ins if so configured */
                                if (src->blank_is_uwi) {
                                        r = rk_mark(cfg, rank, (uint32_t)cfg->uwi, csv.line, reterr);
                                        if (r < 0)
                                                goto out;
                                        max_rank = rank;
                                }
                                continue;
                        }
                        if (dl) {
                                const char *part = s, *e = s + n;
                                bool split = false;
                                const char *hit;
                                while ((hit = find(part, (size_t)(e - part), src->overvote_delimiter, dl))) {
                                        split = true;
                                        r = ess_choice(cfg, &lb, rank, part, (size_t)(hit - part), true,
                                                       csv.line, (unsigned)col + 1, reterr);
                                        if (r < 0)
                                                goto out;
                                        part = hit + dl;
                                }
                                r = ess_choice(cfg, &lb, rank, part, (size_t)(e - part), split, csv.line,
                                               (unsigned)col + 1, reterr);
                        } else {
                                r = ess_choice(cfg, &lb, rank, s, n, false, csv.line, (unsigned)col + 1,
                                               reterr);
                        }
                        if (r < 0)
                                goto out;
                        if (cfg->contest.n_pend && cfg->contest.pend[cfg->contest.n_pend - 1].rank == rank)
                                max_rank = rank;
                }
                r = rk_finish(cfg, src, &csv, ess_blank, max_rank, reterr);
                if (r < 0)
                        goto out;
        }
        r = k < 0 ? (pb_err)k : PB_OK;
out:
        pb_ranked_ballot_discard(&cfg->contest);
        rk_csv_release(&csv);
        return r;
}

pb_err pb_rctab_read_generic_csv(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                 const char *buf, size_t len, struct pb_diag *reterr)
{
        struct rk_csv csv;
        long *cand = NULL; /* per header column: candidate index, -1 unknown, -2 not read */
        size_t n_head = 0, col, first;
        unsigned max_rank;
        int k;
        pb_err r = PB_OK;

        if (!src->first_vote_col)
                return rk_fail(reterr, PB_ERR_INVALID, 0, 0, "firstVoteColumnIndex",
                               "generic CSV sources need firstVoteColumnIndex", NULL, 0);
        first = src->first_vote_col - 1;
        rk_csv_init(&csv, buf, len);
        k = rk_csv_next(&csv, reterr);
        if (k <= 0) {
                r = k < 0 ? (pb_err)k : rk_fail(reterr, PB_ERR_PARSE, 1, 0, NULL, "no header row", NULL, 0);
                goto out;
        }
        /* the header names the candidates; a column titled with the write-in label is the UWI */
        n_head = csv.n_f;
        cand = pb_calloc(n_head, sizeof(*cand));
        if (!cand) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (col = 0; col < n_head; col++) {
                const char *s = csv.f[col].s;
                size_t n = csv.f[col].len;
                if (src->uwi_label[0] && eq(s, n, src->uwi_label))
                        cand[col] = cfg->uwi;
                else
                        cand[col] = pb_rctab_lookup(cfg, s, n);
                /* an unknown name is reported only if a ballot ranks it, as RCTab does */
        }
        while ((k = rk_csv_next(&csv, reterr)) == 1) {
                if (csv.n_f == 1 && csv.f[0].len == 0)
                        continue; /* blank lines are skipped (commons-csv) */
                max_rank = 0;
                for (col = first; col < csv.n_f; col++) {
                        const char *s = csv.f[col].s;
                        size_t n = csv.f[col].len;
                        long rank;

                        rk_trim(&s, &n);
                        if (n == 0)
                                continue;
                        if (!rk_parse_long(csv.f[col].s, csv.f[col].len, &rank)) {
                                r = rk_fail(reterr, PB_ERR_PARSE, csv.line, (unsigned)col + 1, NULL,
                                            "expected a rank number", s, n);
                                goto out;
                        }
                        if (col >= n_head) {
                                r = rk_fail(reterr, PB_ERR_PARSE, csv.line, (unsigned)col + 1, NULL,
                                            "more columns than the header has", NULL, 0);
                                goto out;
                        }
                        if (cand[col] < 0) {
                                r = rk_fail(reterr, PB_ERR_INVALID, 1, (unsigned)col + 1, NULL,
                                            "unrecognized candidate in this header column", NULL, 0);
                                goto out;
                        }
                        if (rank < 1 || rank > (long)PB_RANKED_MAX_RANK) {
                                r = rk_fail(reterr, PB_ERR_INVALID, csv.line, (unsigned)col + 1, NULL,
                                            rank < 1 ? "rankings must start at 1" : "rank too large", s, n);
                                goto out;
                        }
                        r = rk_mark(cfg, (unsigned)rank, (uint32_t)cand[col], csv.line, reterr);
                        if (r < 0)
                                goto out;
                        if ((unsigned)rank > max_rank)
                                max_rank = (unsigned)rank;
                }
                r = rk_finish(cfg, src, &csv, csv_blank, max_rank, reterr);
                if (r < 0)
                        goto out;
        }
        r = k < 0 ? (pb_err)k : PB_OK;
out:
        pb_ranked_ballot_discard(&cfg->contest);
        pb_free(cand);
        rk_csv_release(&csv);
        return r;
}

/* Clear Ballot: columns RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
 * PrecinctStyleName, ScanComputerName, Status, Remade, then one column per choice headed
 * "Choice_<id>_<n>:<contest>:<rank>:<vote for>:<candidate>:<party>", cell 1 = marked. */
#define CB_CHOICES_BEGIN 10u

struct cb_col {
        unsigned rank;
        long cand; /* -1: unrecognized (an error only if marked) */
        bool used; /* a choice of our contest */
};

static pb_err cb_header(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                        const struct rk_csv *csv, struct cb_col *cols, struct pb_diag *reterr)
{
        size_t col;

        for (col = CB_CHOICES_BEGIN; col < csv->n_f; col++) {
                const char *s = csv->f[col].s, *e = s + csv->f[col].len, *part[7];
                size_t n_part = 0;
                long rank;

                part[n_part++] = s;
                for (; s < e; s++)
                        if (*s == ':') {
                                if (n_part == 7)
                                        break;
                                part[n_part++] = s + 1;
                        }
                if (n_part != 6)
                        return rk_fail(reterr, PB_ERR_PARSE, csv->line, (unsigned)col + 1, NULL,
                                       "a choice header needs 6 ':'-separated fields", csv->f[col].s,
                                       csv->f[col].len);
#define PART_LEN(i) ((size_t)((i) + 1 < n_part ? part[(i) + 1] - 1 - part[i] : e - part[i]))
                if (!eq(part[1], PART_LEN(1), src->contest_id))
                        continue;
                if (!rk_parse_long(part[2], PART_LEN(2), &rank) || rank < 1 ||
                    rank > (long)PB_RANKED_MAX_RANK)
                        return rk_fail(reterr, PB_ERR_PARSE, csv->line, (unsigned)col + 1, NULL,
                                       "bad rank in a choice header", part[2], PART_LEN(2));
                if (cfg->max_rankings && (unsigned long)rank > cfg->max_rankings)
                        return rk_fail(
                                reterr, PB_ERR_INVALID, csv->line, (unsigned)col + 1, "maxRankingsAllowed",
                                "a choice column has a rank above maxRankingsAllowed", part[2], PART_LEN(2));
                cols[col].used = true;
                cols[col].rank = (unsigned)rank;
                if (src->uwi_label[0] && eq(part[4], PART_LEN(4), src->uwi_label))
                        cols[col].cand = cfg->uwi;
                else
                        cols[col].cand = pb_rctab_lookup(cfg, part[4], PART_LEN(4));
#undef PART_LEN
        }
        return PB_OK;
}

pb_err pb_rctab_read_clear_ballot(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                  const char *buf, size_t len, struct pb_diag *reterr)
{
        struct rk_csv csv;
        struct cb_col *cols = NULL;
        size_t n_cols, col;
        unsigned max_rank;
        int k;
        pb_err r;

        rk_csv_init(&csv, buf, len);
        k = rk_csv_next(&csv, reterr);
        if (k <= 0) {
                r = k < 0 ? (pb_err)k : rk_fail(reterr, PB_ERR_PARSE, 1, 0, NULL, "no header row", NULL, 0);
                goto out;
        }
        if (csv.n_f < CB_CHOICES_BEGIN) {
                r = rk_fail(reterr, PB_ERR_PARSE, 1, 0, NULL, "no choice columns in the header", NULL, 0);
                goto out;
        }
        n_cols = csv.n_f;
        cols = pb_calloc(n_cols, sizeof(*cols));
        if (!cols) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        r = cb_header(cfg, src, &csv, cols, reterr);
        if (r < 0)
                goto out;
        while ((k = rk_csv_next(&csv, reterr)) == 1) {
                if (csv.n_f == 1 && csv.f[0].len == 0)
                        continue;
                max_rank = 0;
                for (col = CB_CHOICES_BEGIN; col < n_cols; col++) {
                        long v;
                        if (!cols[col].used)
                                continue;
                        if (col >= csv.n_f || !rk_parse_long(csv.f[col].s, csv.f[col].len, &v)) {
                                r = rk_fail(reterr, PB_ERR_PARSE, csv.line, (unsigned)col + 1, NULL,
                                            "a choice cell must be 0 or 1", NULL, 0);
                                goto out;
                        }
                        if (v != 1)
                                continue;
                        if (cols[col].cand < 0) {
                                r = rk_fail(reterr, PB_ERR_INVALID, 1, (unsigned)col + 1, NULL,
                                            "unrecognized candidate in a choice header", NULL, 0);
                                goto out;
                        }
                        r = rk_mark(cfg, cols[col].rank, (uint32_t)cols[col].cand, csv.line, reterr);
                        if (r < 0)
                                goto out;
                        if (cols[col].rank > max_rank)
                                max_rank = cols[col].rank;
                }
                r = rk_commit(cfg, max_rank, csv.line, reterr);
                if (r < 0)
                        goto out;
        }
        r = k < 0 ? (pb_err)k : PB_OK;
out:
        pb_ranked_ballot_discard(&cfg->contest);
        pb_free(cols);
        rk_csv_release(&csv);
        return r;
}
