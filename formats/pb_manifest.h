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
#include "engine/pb_cvr.h"
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

/**
 * One contest of a vote (DESIGN.md §3): its own projects, budget, ballot type, limits and rule.
 * Strings are borrowed from its election's pool; the text arrays are owned.
 */
struct pb_contest {
        struct pb_election *election; /* id: the contest id; ballot type, limits, budget, projects, and
                                       * the vote's currency and scale.  Owned by the manifest; in the
                                       * one-contest form it is the manifest's own election */
        struct pb_rule rule;          /* the counting rule, score resolved (never PB_SCORE_AUTO) */
        bool has_seed_commitment;     /* rule.tie_break is seeded: the seed is committed here */
        uint8_t seed_sha256[PB_SHA256_BYTES]; /* SHA-256(PB_TIE_SEED_TAG "\0" || decimal seed) */
        struct pb_text title;         /* the contests form; empty in the one-contest form (the vote's) */
        struct pb_text *names;        /* per project (election->n_projects) */
        struct pb_text *descriptions; /* per project; plain NULL and n 0 when absent */
        struct pb_text *images;       /* per project, as descriptions: a picture's path on this server */
        struct pb_text *urls;         /* per project, as descriptions: a link to more (http or https) */
        size_t projects_cap;          /* allocated entries of the four arrays above (parallel) */
        bool optional;                /* a voter whose code is for it may leave it out */
};

#define PB_MANIFEST_MAX_CONTESTS 256 /* contests of one vote (Katowice 2021: 23; Warsaw: 19) */

/**
 * An election manifest: a vote of one or more contests.  Create with pb_manifest_new(), free with
 * pb_manifest_free().
 *
 * Two forms (docs/api.md, "Manifest").  The one-contest form, the only one before issue 14, has
 * the contest's budget, projects, ballot and rule at the top; it is read as a vote of one contest
 * whose id is the vote's id, and is written back byte for byte as it was, so every existing box,
 * bundle and receipt stays valid.  The contests form (`"contests": [...]`) has them per contest.
 */
struct pb_manifest {
        struct pb_election *election; /* owned: the vote's id, title (display), currency and scale; in
                                       * the one-contest form also its one contest (contests[0]) */
        bool has_contests;            /* the contests form */
        size_t n_contests;            /* 1..PB_MANIFEST_MAX_CONTESTS */
        struct pb_contest *contests;  /* owned, in manifest order */
        uint32_t *by_id;              /* owned: contest indexes in byte order of their ids (the
                                       * canonical order of JSON keys named by contest) */
        char origin[PB_CHECKPOINT_ORIGIN_MAX + 1]; /* the ballot log's checkpoint origin */
        struct pb_text title;
        const char *period_start; /* as written (pool), NULL when absent */
        const char *period_end;
        uint32_t batch_min;              /* ballots per log batch (flush) */
        bool web_voting;                 /* residents may cast with the voter code alone, on pbvote's own
                                          * page (channel web; docs/pages.md) */
        bool double_entry;               /* paper ballots entered over the API are keyed twice, by two
                                          * officers, and cast once both entries agree (api.md) */
        bool shuffled;                   /* projects shown in an order shuffled per voter (else file order) */
        char order_seed[65];             /* the published seed of the shuffle: 64 hex digits, or "" */
        bool has_keys;                   /* keys are set when the election opens */
        struct pb_key_public engine_key; /* signs checkpoints, promises, the close statement, results */
        struct pb_key_public office_key; /* signs the manifest and the certification */
};

/** One contest's ballot in a submission or a CVR of a vote: project indexes of that contest. */
struct pb_contest_ballot {
        uint32_t contest;      /* index into the manifest's contests */
        const uint32_t *items; /* @n project indexes of the contest (ballot order) */
        const int64_t *points; /* parallel to @items for point ballots, else NULL */
        size_t n;
        enum pb_mark mark; /* a paper's blank or spoiled part (engine/pb_cvr.h): no picks, not counted */
};

#define PB_CONTEST_SET_BYTES (PB_MANIFEST_MAX_CONTESTS / 8)

/** A set of contests of a vote (the contests a voter code is for): contest i is bit i % 8 of byte
 *  i / 8.  Stored as its first pb_contest_set_bytes() bytes. */
struct pb_contest_set {
        uint8_t bits[PB_CONTEST_SET_BYTES];
};

/** Add contest @i (< PB_MANIFEST_MAX_CONTESTS) to @s. */
static inline void pb_contest_set_add(struct pb_contest_set *s, size_t i)
{
        s->bits[i / 8] = (uint8_t)(s->bits[i / 8] | (1u << (i % 8)));
}

/** True if contest @i is in @s. */
static inline bool pb_contest_set_has(const struct pb_contest_set *s, size_t i)
{
        return i < PB_MANIFEST_MAX_CONTESTS && (s->bits[i / 8] >> (i % 8)) & 1u;
}

/** The bytes a set of @n_contests contests is stored in: ceil(@n_contests / 8). */
static inline size_t pb_contest_set_bytes(size_t n_contests)
{
        return (n_contests + 7) / 8;
}

/** A new empty manifest of one contest (an empty election, greedy rule).  NULL on OOM. */
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

/** The index of the contest whose id is @id[0..len), or -1.  O(log n). */
long pb_manifest_find_contest(const struct pb_manifest *m, const char *id, size_t len);

/** The largest number of projects of any contest of @m (room for one ballot of any contest). */
size_t pb_manifest_max_projects(const struct pb_manifest *m);

/**
 * A vote of several contests from the one-contest manifests @parts (pb_manifest_from_pb of each
 * file of a city's vote), contest i being @parts[i] under its own id.  The vote's currency is the
 * parts' (each the same, or ""), its scale the largest of theirs (the amounts of the others are
 * multiplied to it); every contest is optional, since a resident voted in some of them.  The parts
 * are taken (freed) whatever happens, and *@parts[i] set to NULL.
 * @param id     the vote's id (a valid id, not one of a part's)
 * @param title  its display title (copied)
 * @param ret    [out] the vote, in canonical form; set only on PB_OK
 * @return PB_OK, PB_ERR_INVALID (two parts of one id, currencies that differ, an id), PB_ERR_LIMIT
 *         (more than PB_MANIFEST_MAX_CONTESTS), PB_ERR_OVERFLOW (an amount beyond 2^53 - 1 at the
 *         vote's scale), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_manifest_join(struct pb_manifest **parts, size_t n, const char *id, const char *title,
                                     struct pb_manifest **ret, struct pb_diag *reterr);

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
