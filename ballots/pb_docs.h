/**
 * @file The payloads of the ballot box's signed documents (docs/ballot-box.md, docs/auditor.md):
 * the close statement, the result and the certification.  Written by the canonical writer;
 * parsed strictly and accepted only in exactly that canonical form, so the writer and the
 * verifier produce and read the same bytes.
 */
#ifndef PB_DOCS_H
#define PB_DOCS_H

#include <stddef.h>
#include <stdint.h>

#include "ballots/pb_counts.h"
#include "formats/pb_manifest.h"
#include "engine/pb_buf.h"
#include "engine/pb_canon.h"
#include "engine/pb_digest.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_note.h"

#define PB_DOC_CLOSE_TYPE "pbvote.close/v1"
#define PB_DOC_RESULT_TYPE "pbvote.result/v1"
#define PB_DOC_CERTIFICATION_TYPE "pbvote.certification/v1"
#define PB_DOC_TIME_LEN 20   /* "YYYY-MM-DDTHH:MM:SSZ" */
#define PB_DOC_ENGINE_MAX 64 /* bytes of an engine version string */

/** The ballot log as a document states it. */
struct pb_doc_log {
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1];
        uint8_t root[PB_MERKLE_HASH_BYTES];
        uint64_t size;
};

/** The close statement: the final tree, the counts, when. */
struct pb_doc_close {
        char election[PB_ID_MAX + 1];
        uint8_t manifest_sha256[PB_SHA256_BYTES];
        struct pb_doc_log log;
        char closed_at[PB_DOC_TIME_LEN + 1];
        struct pb_turnout counts;           /* ballots, by_channel, codes_issued, codes_spent, rejected, and
                                   * by_contest for a vote of the contests form */
        const struct pb_manifest *manifest; /* borrowed: names the contests of counts.by_contest
                                             * (may be NULL when counts.n_contests is 0) */
};

/** The result's frame around the tally document (pb_result_format_json). */
struct pb_doc_result {
        char election[PB_ID_MAX + 1];
        uint8_t manifest_sha256[PB_SHA256_BYTES];
        uint8_t close_sha256[PB_SHA256_BYTES]; /* SHA-256 of the close statement's payload */
        struct pb_doc_log log;
        struct pb_turnout counts;
        const struct pb_manifest *manifest; /* borrowed, as in struct pb_doc_close */
        char engine[PB_DOC_ENGINE_MAX + 1];
        const char *tally; /* borrowed: the tally document (canonical JSON) */
        size_t tally_len;
};

/** The finance office's certification of a result. */
struct pb_doc_certification {
        char election[PB_ID_MAX + 1];
        uint8_t result_sha256[PB_SHA256_BYTES]; /* SHA-256 of the result's payload */
        char certified_at[PB_DOC_TIME_LEN + 1];
};

/** Append the canonical payload of each document to @out.  PB_ERR_NOMEM, PB_ERR_LIMIT, PB_ERR_INVALID
 *  (also: counts by contest without the manifest naming as many contests). */
PB_NODISCARD pb_err pb_doc_close_format(const struct pb_doc_close *c, struct pb_buf *out);
PB_NODISCARD pb_err pb_doc_result_format(const struct pb_doc_result *r, struct pb_buf *out);
PB_NODISCARD pb_err pb_doc_certification_format(const struct pb_doc_certification *c, struct pb_buf *out);

/**
 * Parse a payload: strict JSON, the document's schema, and exactly its canonical bytes.  @m is the
 * vote's manifest (borrowed; kept in @ret->manifest): a vote of the contests form has counts by
 * contest, one per contest of @m; NULL reads a document of the one-contest form only.
 * pb_doc_result_parse leaves @ret->tally pointing into @buf (the raw tally member) and also returns
 * the tally's tie-break seed when it has one (@ret_seed, @ret_has_seed optional; in the contests
 * form every contest's seed, which must be one).
 * @return PB_OK or PB_ERR_PARSE with reterr->path naming the field, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_doc_close_parse(const char *buf, size_t len, const struct pb_manifest *m,
                                       struct pb_doc_close *ret, struct pb_diag *reterr);
PB_NODISCARD pb_err pb_doc_result_parse(const char *buf, size_t len, const struct pb_manifest *m,
                                        struct pb_doc_result *ret, uint64_t *ret_seed, bool *ret_has_seed,
                                        struct pb_diag *reterr);
PB_NODISCARD pb_err pb_doc_certification_parse(const char *buf, size_t len, struct pb_doc_certification *ret,
                                               struct pb_diag *reterr);

/**
 * Write the turnout's accepted ballots by channel as a JSON object (sorted keys), as the signed
 * documents and the live turnout (api/h_log.c) state them.  "web" is written when @web_always or
 * when some ballot came from the web: the documents of an election without web ballots (issue 12)
 * keep their bytes, the live turnout always names every channel.
 */
void pb_docs_write_by_channel(struct pb_jw *w, const struct pb_turnout *t, bool web_always);

/** Write the turnout's refusals by reason as a JSON object (sorted keys). */
void pb_docs_write_rejected(struct pb_jw *w, const struct pb_turnout *t);

#endif
