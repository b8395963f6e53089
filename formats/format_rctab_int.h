/** @file Private helpers of the RCTab readers: a CSV record cursor and small utilities. */
#ifndef PB_FORMAT_RCTAB_INT_H
#define PB_FORMAT_RCTAB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/pb_format_rctab.h"
#include "engine/pb_buf.h"

/** One CSV field: points into the input, or into the cursor's scratch when it was unquoted. */
struct rk_field {
        const char *s; /* the text (valid until the next rk_csv_next()) */
        size_t len;
        size_t off;  /* internal: offset in scratch for a quoted field */
        bool quoted; /* internal */
};

/**
 * RFC 4180 records over a buffer: fields separated by ',', records by LF or CRLF, fields may be
 * quoted with '"' (doubled inside) and then hold commas and line breaks.  Caller storage:
 * rk_csv_init() / rk_csv_release().
 */
struct rk_csv {
        const char *p, *end;
        unsigned line;      /* line number where the current record starts (1-based) */
        unsigned next_line; /* line after the current record */
        unsigned record;    /* record number (1-based) */
        struct rk_field *f; /* fields of the current record */
        size_t n_f, cap_f;
        struct pb_buf scratch; /* unescaped quoted fields */
};

void rk_csv_init(struct rk_csv *c, const char *buf, size_t len);
void rk_csv_release(struct rk_csv *c);
/**
 * Read the next record.  A UTF-8 byte-order mark before the first record is skipped.
 * @return 1 with a record, 0 at the end, or a pb_err (PB_ERR_PARSE: unterminated quote, or text
 *         after a closing quote; reterr->line says where)
 */
int rk_csv_next(struct rk_csv *c, struct pb_diag *reterr);

/** @s without leading and trailing ASCII spaces (Java String.trim(): bytes <= ' '). */
void rk_trim(const char **s, size_t *len);

/** Parse a whole decimal integer (optional sign, digits only) into *ret; false if it is not one. */
bool rk_parse_long(const char *s, size_t len, long *ret);

/** Set reterr (if any) with a line and a column name copied into path. */
pb_err rk_fail(struct pb_diag *reterr, pb_err code, unsigned line, unsigned col, const char *path,
               const char *reason, const char *subject, size_t subject_len);

/** Mark @cand at @rank on the ballot being built, mapping engine errors to a diagnostic. */
pb_err rk_mark(struct pb_rctab_config *cfg, unsigned rank, uint32_t cand, unsigned line,
               struct pb_diag *reterr);

/**
 * Put the ballot being built in the precinct and batch its record names, for each kind the
 * config tabulates by: the cell of the source's column as it is, or @blank[kind] when that cell
 * is missing or holds only spaces (RCTab's provider-specific "no precinct id" ids).
 */
pb_err rk_slices(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const struct rk_csv *csv,
                 const char *const blank[PB_RANKED_SLICE_KINDS], struct pb_diag *reterr);

/**
 * Finish the ballot being built (count 1) after checking RCTab's maxRankingsAllowed against its
 * highest rank (BaseCvrReader.runAdditionalValidations).
 */
pb_err rk_commit(struct pb_rctab_config *cfg, unsigned max_rank, unsigned line, struct pb_diag *reterr);

/** The end of a CSV record's ballot, as every CSV reader ends one: rk_slices(), then rk_commit(). */
pb_err rk_finish(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const struct rk_csv *csv,
                 const char *const blank[PB_RANKED_SLICE_KINDS], unsigned max_rank, struct pb_diag *reterr);

#endif
