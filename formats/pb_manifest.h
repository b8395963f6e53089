/**
 * @file The election manifest (DESIGN.md §3, docs/api.md "Manifest"): JSON <-> struct pb_election +
 * struct pb_rule, strict on input, canonical on output.
 *
 * The canonical form (pb_manifest_format) is what the ballot box stores and, once the election
 * opens, signs: parsing any accepted spelling and formatting it gives the same bytes, and
 * formatting then parsing gives an equal manifest.  Unknown, duplicate or case-variant keys,
 * floats, out-of-range integers and unknown names are refused with the JSON path of the field.
 */
#ifndef PB_MANIFEST_H
#define PB_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_digest.h"
#include "engine/pb_election.h"
#include "engine/pb_err.h"
#include "engine/pb_key.h"
#include "engine/pb_note.h"
#include "engine/pb_rule.h"

#define PB_MANIFEST_TYPE "pbvote.manifest/v1"
#define PB_MANIFEST_MAX_MIB 4 /* thousands of projects with descriptions */
#define PB_MANIFEST_MAX_BYTES ((size_t)PB_MANIFEST_MAX_MIB << 20)
#define PB_MANIFEST_MAX_PROJECTS 10000
#define PB_MANIFEST_TEXT_MAX 4096         /* bytes of one display text (title, name, description) */
#define PB_MANIFEST_LANG_MAX 16           /* languages per text */
#define PB_MANIFEST_BATCH_MIN 20          /* default batch size of the ballot log (verifiability.md §4.2) */
#define PB_MANIFEST_BATCH_MAX 100000      /* largest batch_min */
#define PB_MANIFEST_PERIOD_MAX 40         /* bytes of a period bound */
#define PB_TIE_SEED_TAG "pbv/tie-seed/v1" /* hashed with its NUL before the decimal seed */

/**
 * Display text: a plain string, or one string per language ({"en": "...", "fr": "..."}).
 * Strings are borrowed from the manifest's election pool; @lang and @value are owned arrays.
 */
struct pb_text {
        const char *plain;  /* the plain string, or NULL when per language (or absent) */
        size_t n;           /* languages, in byte order of their tags */
        const char **lang;  /* language tags ("en", "pt-BR") */
        const char **value; /* texts, parallel to lang */
};

/** An election manifest.  Create with pb_manifest_new(), free with pb_manifest_free(). */
struct pb_manifest {
        struct pb_election *election;         /* owned: id, title (display), currency, scale, budget, ballot
                                       * type and limits, projects; never any ballots */
        struct pb_rule rule;                  /* the counting rule, score resolved (never PB_SCORE_AUTO) */
        bool has_seed_commitment;             /* rule.tie_break is seeded: the seed is committed here */
        uint8_t seed_sha256[PB_SHA256_BYTES]; /* SHA-256(PB_TIE_SEED_TAG "\0" || decimal seed) */
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1]; /* the ballot log's checkpoint origin */
        struct pb_text title;
        struct pb_text *names;        /* per project (e->n_projects) */
        struct pb_text *descriptions; /* per project; plain NULL and n 0 when absent */
        struct pb_text *images;       /* per project, as descriptions: a picture's path on this server */
        struct pb_text *urls;         /* per project, as descriptions: a link to more (http or https) */
        const char *period_start;     /* as written (pool), NULL when absent */
        const char *period_end;
        uint32_t batch_min;              /* ballots per log batch (flush) */
        bool web_voting;                 /* residents may cast with the voter code alone, on pbvote's own
                                          * page (channel web; docs/pages.md) */
        bool shuffled;                   /* projects shown in an order shuffled per voter (else file order) */
        char order_seed[65];             /* the published seed of the shuffle: 64 hex digits, or "" */
        bool has_keys;                   /* keys are set when the election opens */
        struct pb_key_public engine_key; /* signs checkpoints, promises, the close statement, results */
        struct pb_key_public office_key; /* signs the manifest and the certification */
        size_t projects_cap;             /* allocated entries of names[] and descriptions[] */
};

/** A new empty manifest (an empty election, greedy rule).  NULL on OOM. */
struct pb_manifest *pb_manifest_new(void);
/** Free @m and everything it owns.  Accepts NULL. */
void pb_manifest_free(struct pb_manifest *m);

/**
 * Parse manifest JSON @buf[0..len) strictly (pb_json rules and the schema of docs/api.md), then
 * check the election (pb_election_check) and the rule (pb_rule_check).
 * @param ret  [out] owned by the caller (pb_manifest_free); set only on PB_OK
 * @return PB_OK, PB_ERR_PARSE / PB_ERR_INVALID / PB_ERR_LIMIT with reterr->path naming the field
 *         ("$.projects[3].cost"), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_manifest_parse(const char *buf, size_t len, struct pb_manifest **ret,
                                      struct pb_diag *reterr);

/**
 * Append the canonical manifest JSON of @m to @out (keys sorted, no whitespace).
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT, PB_ERR_INVALID (a field the format cannot hold)
 */
PB_NODISCARD pb_err pb_manifest_format(const struct pb_manifest *m, struct pb_buf *out);

/**
 * A manifest for the election of a pabulib file (no ballots are copied).
 * @param pb     borrowed: the parsed .pb election
 * @param id     the election id (1..PB_ID_MAX printable bytes)
 * @param rule   the rule to count with, NULL for the file's own (pb_rule_for_election); the score
 *               is resolved as the file implies (pb_rule_score), so the manifest counts the same
 * @return PB_OK, PB_ERR_INVALID (id, rule, or a project the manifest cannot hold), PB_ERR_UNSUPPORTED
 *         (the file names no usable rule and @rule is NULL), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_manifest_from_pb(const struct pb_election *pb, const char *id,
                                        const struct pb_rule *rule, struct pb_manifest **ret,
                                        struct pb_diag *reterr);

/** SHA-256 commitment to a tie-break seed: SHA-256(PB_TIE_SEED_TAG "\0" || decimal @seed). */
void pb_manifest_seed_commitment(uint64_t seed, uint8_t ret[PB_SHA256_BYTES]);

/**
 * True if @s[0..len) is a valid election or project id for a manifest: 1..PB_ID_MAX bytes of
 * printable ASCII (space to '~') without '"', '\\', ',' or ';' (ids are JSON keys of point
 * ballots and cells of .pb files).
 */
bool pb_manifest_id_is_valid(const char *s, size_t len);
/** What pb_manifest_id_is_valid() requires, as the reason of an error. */
#define PB_MANIFEST_ID_RULE                                                                                  \
        "ids are 1 to " PB_STRINGIFY(PB_ID_MAX) " bytes of printable ASCII without '\"', '\\\\', ',' or ';'"

#endif
