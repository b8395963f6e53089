/** @file The PB election model: projects, costs, budget, ballot type and limits, and the ballots. */
#ifndef PB_ELECTION_H
#define PB_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_err.h"
#include "engine/pb_strpool.h"

/** Ballot types, in pabulib's vocabulary. */
enum pb_vote_type {
        PB_VOTE_APPROVAL,   /* a set of projects */
        PB_VOTE_CHOOSE1,    /* exactly one project */
        PB_VOTE_ORDINAL,    /* projects ranked, most preferred first */
        PB_VOTE_CUMULATIVE, /* points distributed over projects (>= 0, bounded sum) */
        PB_VOTE_SCORING,    /* a score per project within a range; unlisted get default_score */
        PB_VOTE_TYPE_COUNT
};

/** pabulib name of @t ("approval", "choose-1", ...); "?" outside the enum. */
const char *pb_vote_type_name(enum pb_vote_type t);
/** Parse a pabulib vote_type name.  PB_ERR_NOT_FOUND for an unknown name. */
PB_NODISCARD pb_err pb_vote_type_parse(const char *s, enum pb_vote_type *ret);
/** True for types whose ballots carry points (cumulative, scoring). */
bool pb_vote_type_has_points(enum pb_vote_type t);
/** The member of a ballot's JSON object for ballots of type @t (DESIGN.md §5.2): "points",
 *  "ranking" or "approvals". */
const char *pb_ballot_member(enum pb_vote_type t);

/**
 * Ballot limits (pabulib META keys of the same names).  Each is optional: has[k] says whether
 * it was given.  Cost limits are money in the election's minor units; the others are counts or
 * points.
 */
enum pb_limit {
        PB_LIM_MIN_LENGTH,     /* fewest projects on a ballot */
        PB_LIM_MAX_LENGTH,     /* most projects on a ballot */
        PB_LIM_MIN_SUM_COST,   /* approval: smallest total cost of the picks (money) */
        PB_LIM_MAX_SUM_COST,   /* approval: largest total cost of the picks (money) */
        PB_LIM_MIN_POINTS,     /* smallest points per project */
        PB_LIM_MAX_POINTS,     /* largest points per project */
        PB_LIM_MIN_SUM_POINTS, /* smallest total points */
        PB_LIM_MAX_SUM_POINTS, /* largest total points (required for cumulative) */
        PB_LIM_DEFAULT_SCORE,  /* scoring: score of an unlisted project */
        PB_LIM_COUNT
};

struct pb_limits {
        bool has[PB_LIM_COUNT];
        int64_t v[PB_LIM_COUNT];
};

/** pabulib META key of limit @k ("min_length"...). */
const char *pb_limit_name(enum pb_limit k);
/** True if limit @k is an amount of money (parsed at the election's scale). */
bool pb_limit_is_money(enum pb_limit k);

/** pabulib's marker cost for a project withdrawn after the vote (never selected). */
#define PB_WITHDRAWN_COST 999999999
/** Longest project or voter id, in bytes (DESIGN.md §3: printable, up to 64 bytes). */
#define PB_ID_MAX 64

/** A project.  Strings are borrowed from the election's pool. */
struct pb_project {
        const char *id;         /* unique, printable, 1..PB_ID_MAX bytes */
        const char *name;       /* display name, "" when absent */
        const char *category;   /* comma list as written, "" when absent */
        int64_t cost;           /* minor units, > 0 */
        bool withdrawn;         /* cost was PB_WITHDRAWN_COST in the file: never selected */
        int8_t selected;        /* file's `selected` (0..3), -1 when the file has no such column */
        bool has_votes;         /* the file declared a `votes` value */
        bool has_score;         /* the file declared a `score` value */
        int64_t declared_votes; /* the file's `votes` column (cross-checked by pbvote check) */
        int64_t declared_score; /* the file's `score` column */
        const char **extra;     /* values of the election's other project columns, NULL = absent */
        unsigned line;          /* line in the source file, 0 when not read from a file */
        uint32_t repeats;       /* a .pb read: times a vote listed it again (dropped, not on the ballot) */
        int64_t repeat_points;  /* the points those repeats carried (pbvote check's raw counts) */
};

/**
 * All ballots, in compressed-row form: ballot i lists item[start[i] .. start[i+1]) (project
 * indexes, in ballot order: rank order for ordinal ballots) and, for point ballots,
 * points[] parallel to item[].  Memory is O(total items), never O(voters x projects).
 */
struct pb_ballots {
        size_t n;                /* number of ballots (empty ballots included) */
        size_t n_items;          /* entries used in item[] */
        size_t cap, items_cap;   /* allocated entries */
        size_t *start;           /* n + 1 offsets */
        uint32_t *item;          /* project indexes */
        int64_t *points;         /* parallel to item[] for point ballots, else NULL */
        const char **voter_id;   /* n ids (borrowed from the pool); NULL when ids are not kept */
        size_t n_extra;          /* number of other voter columns */
        const char **extra_cols; /* their names */
        const char **extra;      /* n * n_extra values, row-major; NULL = absent */
        uint32_t *line;          /* n source lines (for diagnostics), NULL when not read from a file */
};

/** One META key/value pair as read (pabulib keeps every pair; we do too, in order). */
struct pb_meta {
        const char *key;
        const char *value;
        unsigned line; /* line in the source file, 0 when not read from a file */
};

/**
 * A PB election (one contest, one budget).  Create with pb_election_new(), free with
 * pb_election_free(); everything it points to is owned by it (the pool owns every string).
 */
struct pb_election {
        struct pb_strpool pool; /* owns every string below */
        const char *id;         /* election id ("" for a bare .pb file) */
        const char *title;      /* display title ("" when absent) */
        const char *currency;   /* ISO 4217 code, "" when unknown */
        unsigned scale;         /* money: amounts are in 10^-scale currency units */
        int64_t budget;         /* minor units */
        enum pb_vote_type vote_type;
        struct pb_limits limits;
        const char *rule;         /* the rule the election names (pabulib META rule), "" if none */
        bool has_threshold;       /* META min_project_score_threshold present */
        int64_t threshold;        /* min_project_score_threshold (a score, not money) */
        bool has_score_column;    /* the .pb PROJECTS section had a `score` column */
        bool has_selected_column; /* the .pb PROJECTS section had a `selected` column */

        size_t n_projects;
        struct pb_project *projects;
        size_t projects_cap;
        size_t n_project_extra;          /* other project columns (in file order) */
        const char **project_extra_cols; /* their names */

        size_t n_meta;
        struct pb_meta *meta; /* every META pair, in file order */
        size_t meta_cap;

        struct pb_ballots ballots;

        uint32_t *index;  /* open-addressing hash of project ids -> index + 1 (0 = empty) */
        size_t index_cap; /* a power of two, > 2 * n_projects */
};

/** A new empty election (approval, scale 0, no projects).  NULL on OOM.  Owned by the caller. */
struct pb_election *pb_election_new(void);
/** Free @e and everything it owns.  Accepts NULL. */
void pb_election_free(struct pb_election *e);

/** Copy a string into @e's pool.  Returns the copy (borrowed from @e) or NULL on OOM. */
const char *pb_election_str(struct pb_election *e, const char *s, size_t len);

/**
 * Append a project with the given id and cost (minor units); other fields start empty.
 * @param ret_index  [out] optional: the new project's index
 * @return PB_OK, PB_ERR_CONFLICT (duplicate id), PB_ERR_PARSE (empty, over-long or
 *         non-printable id), PB_ERR_LIMIT (too many projects), PB_ERR_NOMEM
 */
PB_NODISCARD pb_err pb_election_add_project(struct pb_election *e, const char *id, size_t id_len,
                                            int64_t cost, size_t *ret_index, struct pb_diag *reterr);

/** Index of the project whose id is @id[0..len), or -1. O(1) expected. */
long pb_election_find_project(const struct pb_election *e, const char *id, size_t len);

/** Append a META pair (both copied). */
PB_NODISCARD pb_err pb_election_add_meta(struct pb_election *e, const char *key, size_t key_len,
                                         const char *value, size_t value_len);
/** Value of META @key, or NULL. */
const char *pb_election_meta(const struct pb_election *e, const char *key);

/**
 * Ballot building: start a ballot, add its items, finish it.  Items are validated by
 * pb_ballot_check() (pb_validate.h), not here; only the project index is range-checked.
 * @voter_id may be NULL (no id kept).  PB_ERR_LIMIT past 2^32 items, PB_ERR_NOMEM.
 */
PB_NODISCARD pb_err pb_ballots_add_item(struct pb_election *e, uint32_t project, int64_t points);
PB_NODISCARD pb_err pb_ballots_end(struct pb_election *e, const char *voter_id);
/** Drop the items added since the last pb_ballots_end() (a ballot that failed to parse). */
void pb_ballots_abandon(struct pb_election *e);

/** Number of items of ballot @i. */
static inline size_t pb_ballot_len(const struct pb_ballots *b, size_t i)
{
        return b->start[i + 1] - b->start[i];
}

/**
 * Check the election's definition: positive budget, every cost positive and (unless withdrawn)
 * within the budget, limits consistent (min <= max, max_length <= number of projects, cumulative
 * has max_sum_points, choose-1 has length 1), scale within PB_MONEY_MAX_SCALE.
 * @return PB_OK or PB_ERR_INVALID with reterr naming the field (path "budget", "projects[3].cost");
 *         for a project's fault reterr->item is its index + 1 (4 for "projects[3].cost").
 */
PB_NODISCARD pb_err pb_election_check(const struct pb_election *e, struct pb_diag *reterr);

/**
 * True if @a and @b hold the same election: same definition, META pairs, projects (all
 * columns) and ballots (items, points, voter ids and extra columns), in the same order.
 * Used by round-trip tests.
 */
bool pb_election_equal(const struct pb_election *a, const struct pb_election *b);

#endif
