/**
 * @file Ballots and cast vote records as JSON, read strictly against an election.
 *
 * A ballot is an object with one member that fits the election's ballot type:
 *   {"approvals": ["p03", "p11"]}          approval and choose-1
 *   {"ranking": ["p11", "p03", "p07"]}     ordinal, most preferred first
 *   {"points": {"p03": 5, "p11": 2}}       cumulative and scoring
 * A CVR is the canonical document of engine/pb_cvr.h.  Diagnostics name the JSON path and never
 * copy ballot content (a project id the voter picked) into the message.
 */
#ifndef PB_JSON_BALLOT_H
#define PB_JSON_BALLOT_H

#include <stddef.h>
#include <stdint.h>

#include "formats/pb_json.h"
#include "formats/pb_manifest.h"
#include "engine/pb_cvr.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"

/**
 * The members of a submission body, for pb_json_check_object(): a kiosk's or a resident's
 * (`ballot` or `ballots`, `code`, `submission_id`) and an officer's paper ballot (the same and
 * `batch`).  Terminated by a NULL name.  Read by the API and by the fuzz target that checks them.
 */
extern const struct pb_json_field pb_submission_fields[];
extern const struct pb_json_field pb_paper_submission_fields[];

/**
 * Read the ballot object @v of election @e into caller storage.
 * @param path    the JSON path of @v for diagnostics ("$.ballot")
 * @param items   [out] room for e->n_projects project indexes (ballot order)
 * @param points  [out] room for e->n_projects points; written only for point ballots
 * @param ret_n   [out] number of entries; set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE (wrong shape: unknown member, wrong type) or PB_ERR_INVALID (an
 *         unknown or repeated project), with reterr->path naming the entry
 */
PB_NODISCARD pb_err pb_ballot_json_read(const struct pb_election *e, const cJSON *v, const char *path,
                                        uint32_t *items, int64_t *points, size_t *ret_n,
                                        struct pb_diag *reterr);

/** Parse ballot JSON text @buf[0..len) (strict pb_json rules) and read it as above. */
PB_NODISCARD pb_err pb_ballot_json_parse(const struct pb_election *e, const char *buf, size_t len,
                                         uint32_t *items, int64_t *points, size_t *ret_n,
                                         struct pb_diag *reterr);

/** What a CVR says besides its ballot. */
struct pb_cvr_meta {
        enum pb_channel channel;
        uint8_t cvr_id[PB_CVR_ID_BYTES];
        char batch[PB_CVR_BATCH_MAX + 1];   /* a paper entered over the API: its batch, else "" */
        char officer[PB_CVR_BATCH_MAX + 1]; /* and who entered it, else "" */
};

/**
 * Read CVR bytes @buf[0..len) of election @e: strict JSON, exactly the canonical bytes
 * pb_cvr_format() writes for what it holds, the election id of @e.
 * @param ret_meta [out] optional; set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE (not a CVR, or not canonical), PB_ERR_INVALID (another election, an
 *         unknown project), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_cvr_parse(const struct pb_election *e, const char *buf, size_t len, uint32_t *items,
                                 int64_t *points, size_t *ret_n, struct pb_cvr_meta *ret_meta,
                                 struct pb_diag *reterr);

/**
 * The ballots of one submission or CVR of a vote, in caller storage: room for a ballot of every
 * contest (pb_vote_ballots_init), filled by the readers below.
 */
struct pb_vote_ballots {
        size_t n;                       /* contests with a ballot, in parts[0..n) */
        struct pb_contest_ballot *part; /* owned: room for every contest; each part's items and points
                                         * point into the arrays below */
        uint32_t *items;                /* owned: room for the projects of every contest */
        int64_t *points;                /* owned: parallel to items */
        size_t cap;                     /* contests parts[] has room for */
};

/** Storage for the ballots of any submission or CVR of @m.  PB_ERR_NOMEM. */
PB_NODISCARD pb_err pb_vote_ballots_init(struct pb_vote_ballots *vb, const struct pb_manifest *m);
/** Free @vb's storage.  Accepts a zeroed one. */
void pb_vote_ballots_release(struct pb_vote_ballots *vb);

/**
 * Read the "ballots" member @v of a submission: an object of contest id -> ballot object, each
 * read as pb_ballot_json_read() reads one (diagnostics name `@path["<contest id>"].approvals[2]`).
 * Checks the shape only; which contests a voter code allows, and the ballot rules, are the ballot
 * box's.  The parts come in byte order of the contest ids.
 * @return PB_OK, PB_ERR_PARSE (not an object; a refusal ballot_malformed), PB_ERR_INVALID
 *         (contest_unknown, or a ballot's unknown or repeated project), PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_vote_ballots_read(const struct pb_manifest *m, const cJSON *v, const char *path,
                                         struct pb_vote_ballots *vb, struct pb_diag *reterr);

/**
 * pb_vote_ballots_read() of a paper ballot an officer enters: a contest's ballot may also be
 * {"blank": true} or {"spoiled": true} (the part's mark; engine/pb_cvr.h).  A "ballot" of the
 * one-contest form is read the same way into part 0 (@path "$.ballot", @one true).
 */
PB_NODISCARD pb_err pb_vote_paper_read(const struct pb_manifest *m, const cJSON *v, const char *path,
                                       bool one, struct pb_vote_ballots *vb, struct pb_diag *reterr);

/**
 * pb_vote_cvr_format() of a paper ballot with its record (@paper: batch and officer; NULL: none)
 * and the parts' marks.
 */
PB_NODISCARD pb_err pb_vote_cvr_write(const struct pb_manifest *m, const struct pb_contest_ballot *b,
                                      size_t n, enum pb_channel channel, const struct pb_cvr_paper *paper,
                                      const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out);

/**
 * Append the canonical CVR of @n ballots of vote @m (pb_cvr_format() for the one-contest form,
 * pb_cvr_format_vote() for the contests form).
 * @return as those: PB_ERR_INVALID for a ballot they refuse (or a contest index out of range, or
 *         not exactly one ballot in the one-contest form), PB_ERR_NOMEM, PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_vote_cvr_format(const struct pb_manifest *m, const struct pb_contest_ballot *b,
                                       size_t n, enum pb_channel channel,
                                       const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out);

/**
 * Read a CVR of vote @m, in the form of its manifest, into @vb: exactly the canonical bytes
 * pb_vote_cvr_write() writes for what it holds, the vote's id (a paper ballot's record and marks
 * included: marks only on the paper channel).
 * @return as pb_cvr_parse()
 */
PB_NODISCARD pb_err pb_vote_cvr_parse(const struct pb_manifest *m, const char *buf, size_t len,
                                      struct pb_vote_ballots *vb, struct pb_cvr_meta *ret_meta,
                                      struct pb_diag *reterr);

#endif
