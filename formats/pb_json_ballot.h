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
#include "engine/pb_cvr.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"

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

#endif
