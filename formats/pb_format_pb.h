/** @file pabulib `.pb` files: reader and writer. */
#ifndef PB_FORMAT_PB_H
#define PB_FORMAT_PB_H

#include <stddef.h>

#include "formats/pb_report.h"
#include "engine/pb_buf.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_progress.h"

/** Files larger than this are refused (PB_ERR_LIMIT); the largest real file is 60 MB. */
#define PB_PB_MAX_GIB 1 /* the largest .pb file read, in GiB (stated in messages) */
#define PB_PB_MAX_BYTES ((size_t)PB_PB_MAX_GIB << 30)

/**
 * Parse a pabulib file (reference/pabulib.md §1) from @buf[0..len).
 *
 * Accepted: UTF-8 with or without a BOM; LF, CRLF or CR line ends; CSV quoting as Python's csv
 * module does it (doubled quotes, `;` and line breaks inside quotes, a stray `"` inside an
 * unquoted field taken literally); `none` cells (any case) as absent; string project ids;
 * fractional budgets and costs (held exactly, see pb_election.scale); the withdrawn-project
 * cost 999999999; `selected` values 0 to 3.
 *
 * Without @report, the first problem stops the parse: PB_ERR_PARSE (syntax, encoding, types),
 * PB_ERR_INVALID (a rule of the format: counts that do not match, unknown or duplicate
 * projects in a vote, limits), PB_ERR_OVERFLOW, PB_ERR_LIMIT, PB_ERR_NOMEM; @reterr names the
 * line, column and field.  With @report, problems the pabulib checker reports are recorded there
 * (errors and warnings, with its error types) and parsing goes on where it safely can; the
 * return value is then PB_OK unless the file cannot be read as a .pb file at all.
 *
 * @param ret_election [out] owned by the caller (pb_election_free); set only on PB_OK
 */
PB_NODISCARD pb_err pb_format_pb_parse(const char *buf, size_t len, struct pb_election **ret_election,
                                       struct pb_report *report, struct pb_diag *reterr);

/**
 * What a lenient read tolerates: problems of the format that real files have and that the city
 * resolved one obvious way when it counted them (docs/formats.md, "Lenient reading").
 */
enum pb_pb_tolerated {
        PB_PB_TOL_REPEAT,     /* an approval or choose-1 vote lists a project twice: counted once */
        PB_PB_TOL_CELL_SPACE, /* whitespace around a cell (a header, an id, a value): ignored */
        PB_PB_TOL_LIST_SPACE, /* whitespace around an item of a comma list ("1, 2"): ignored */
        PB_PB_TOL_COUNT
};

/** The pabulib checker's name for what @k tolerates ("vote with duplicated projects", ...). */
const char *pb_pb_tolerated_type(enum pb_pb_tolerated k);
/** What the lenient read did about it ("counted once", "ignored"). */
const char *pb_pb_tolerated_action(enum pb_pb_tolerated k);

/** What one lenient read tolerated: per kind, how often, and where the first one is. */
struct pb_pb_tolerance {
        size_t count[PB_PB_TOL_COUNT];         /* occurrences */
        struct pb_diag first[PB_PB_TOL_COUNT]; /* the first one: line, column, field, reason, token */
};

/**
 * Parse a pabulib file as pb_format_pb_parse() does without a report, except for the problems
 * of enum pb_pb_tolerated, which are counted in @tolerated (caller storage, zeroed here) and
 * resolved as the city did: a project repeated in an approval or choose-1 vote is kept once
 * (its ballot as if it were listed once), whitespace around cells and list items is dropped.
 * A project repeated in an ordinal, cumulative or scoring vote is still an error: which rank
 * or points it carries is not obvious.  Used by `pbvote tally FILE` (docs/cli.md); the ballot
 * box and `pbvote import` read strictly.
 * @param ret_election [out] owned by the caller (pb_election_free); set only on PB_OK
 * @return as pb_format_pb_parse()
 */
PB_NODISCARD pb_err pb_format_pb_parse_lenient(const char *buf, size_t len, struct pb_election **ret_election,
                                               struct pb_pb_tolerance *tolerated, struct pb_diag *reterr);

/**
 * pb_format_pb_parse_lenient() (or, with @tolerated NULL, pb_format_pb_parse() without a report)
 * reporting the VOTES rows read so far to @progress (borrowed; may be NULL), of META's num_votes
 * (0 when the file does not state it), and the ballots read once the whole file is checked: the
 * progress line of `pbvote tally FILE.pb` on a large file.
 * @return as pb_format_pb_parse()
 */
PB_NODISCARD pb_err pb_format_pb_parse_progress(const char *buf, size_t len,
                                                struct pb_election **ret_election,
                                                struct pb_pb_tolerance *tolerated,
                                                const struct pb_progress *progress, struct pb_diag *reterr);

/**
 * Append @e as a .pb file to @out: META pairs as stored (num_projects and num_votes recounted,
 * budget and limits rewritten if the model no longer matches their text), then PROJECTS and
 * VOTES in canonical column order.  Reading the output back gives an election equal to @e
 * (pb_election_equal).  LF line ends, CSV quoting where needed.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT (from @out)
 */
PB_NODISCARD pb_err pb_format_pb_write(const struct pb_election *e, struct pb_buf *out);

#endif
