/**
 * @file The result as a person reads it (issue 13): the tally document of a signed result
 * (engine/result.c, docs/formats.md) printed for the finance office, with amounts in the
 * currency and its decimals, names in the election's language and the rule in plain words.
 * `pbvote tally --db --format text`, `pbvote show` and `pbvote certify`'s preview use it.
 */
#ifndef PB_CLI_RESULT_TEXT_H
#define PB_CLI_RESULT_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "ballots/pb_docs.h"
#include "engine/pb_err.h"
#include "engine/pb_seal.h"
#include "formats/pb_manifest.h"

/** A signed result read from a file (however its JSON was laid out). */
struct cli_result {
        struct pb_seal_envelope env; /* owned */
        struct pb_doc_result doc;    /* doc.tally borrows env.payload */
        uint8_t sha256[32];          /* SHA-256 of the signed payload: what a certification names */
        bool checked;                /* signed by @m's engine key, for @m's election and manifest */
};

/**
 * Read the signed result @data[0..len) (any JSON layout of the envelope: a re-serialised copy is
 * the same signed payload).  With @m (NULL: not checked), also check it is signed by @m's engine
 * key and names @m's election and manifest (ret->checked).  @ret: release with cli_result_release.
 * @return PB_OK, PB_ERR_PARSE, PB_ERR_INVALID (not a result; another election or manifest),
 *         PB_ERR_SIGNATURE, PB_ERR_NOMEM, with @reterr
 */
PB_NODISCARD pb_err cli_result_load(const char *data, size_t len, const struct pb_manifest *m,
                                    struct cli_result *ret, struct pb_diag *reterr);
/** Free what cli_result_load() filled (also after a failure). */
void cli_result_release(struct cli_result *r);

/**
 * Are @m's texts in @lang (NULL, and texts without languages, are always fine)?  When not, @langs
 * (of @cap bytes) lists the languages they are in, for the message.
 */
bool cli_result_lang_ok(const struct pb_manifest *m, const char *lang, char *langs, size_t cap);

/**
 * Print the tally document @tally[0..len) as text on @f: the election, the rule in plain words,
 * budget, spent and left, the funded projects in the order chosen, the others with the reason,
 * the rounds of a proportional rule (prices as money, "≈" where rounded), the ties and how they
 * were broken.  @m (NULL: the document's own names) gives the title and names in @lang (NULL:
 * the display text).  @return PB_OK, PB_ERR_PARSE (not a tally document: reterr->path),
 * PB_ERR_NOMEM.
 */
PB_NODISCARD pb_err cli_result_print(FILE *f, const char *tally, size_t len, const struct pb_manifest *m,
                                     const char *lang, struct pb_diag *reterr);

/**
 * What a certification certifies, on @f: the election, the manifest's SHA-256, the result's
 * SHA-256 @result_sha256, the ballots by channel, the winners with their cost and the money.
 * @m and @lang as for cli_result_print().  Errors as cli_result_print().
 */
PB_NODISCARD pb_err cli_result_summary(FILE *f, const struct pb_doc_result *doc,
                                       const uint8_t result_sha256[32], const struct pb_manifest *m,
                                       const char *lang, struct pb_diag *reterr);

#endif
