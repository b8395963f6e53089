/** @file Ranked contests (IRV, STV): the contest model, RCTab, Scottish and Meek counts, results. */
#ifndef PB_RANKED_H
#define PB_RANKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"

/*
 * The contest model
 * =================
 * A ranked ballot is a list of ranks (1, 2, ... with gaps where a voter skipped a rank), each
 * holding one or more marks: a candidate index or PB_RANKED_OVERVOTE (a vendor's explicit
 * "overvote" label).  Two marks at one rank are an overvote under RCTab rules and an equal
 * ranking in the .blt world.  A ballot is stored as a run of 16-bit tokens: for each marked
 * rank, PB_RANKED_RANK_FLAG | rank, then its marks in the order the file gave them.
 *
 * Identical rankings are stored once with a count (weight): every rule here treats identical
 * ballots identically, so a 1,041,313-ballot contest with 20,000 distinct rankings is counted
 * over 20,000 records.  Each rule still does its arithmetic per single ballot and multiplies by
 * the count afterwards, so folding never changes a result (rounding is per ballot paper, as the
 * rules say).
 */
#define PB_RANKED_RANK_FLAG 0x8000u
#define PB_RANKED_OVERVOTE 0x7fffu
/** Most candidates a contest may have (candidate indexes stay below PB_RANKED_OVERVOTE). */
#define PB_RANKED_MAX_CANDIDATES 4000u
/** Highest rank number a ballot may use. */
#define PB_RANKED_MAX_RANK 0x7fffu
/** Most tokens (ranks + marks) one ballot may hold. */
#define PB_RANKED_MAX_TOKENS 0xffffu
/** Most decimal places of vote arithmetic (values are int64 in units of 10^-scale); the literal
 *  is for messages, which state it. */
#define PB_RANKED_MAX_DECIMALS 9
#define PB_RANKED_MAX_SCALE ((unsigned)PB_RANKED_MAX_DECIMALS)

struct pb_ranked_candidate {
        char *name;    /* owned, NUL-terminated UTF-8 as spelled in the input */
        bool excluded; /* RCTab "excluded" / .blt withdrawn: never continuing, not counted */
        bool uwi;      /* the undeclared write-in placeholder: cannot win, eliminated first */
};

/*
 * Slices
 * ======
 * RCTab can report a count as seen from each precinct or each batch of ballots ("tabulate by
 * precinct / batch").  A ballot may carry one slice id per kind; ballots of different slices
 * are never folded together, so each record belongs to exactly one slice of each kind.
 */
enum pb_ranked_slice_kind {
        PB_RANKED_PRECINCT = 0, /* RCTab "tabulate by precinct" */
        PB_RANKED_BATCH = 1,    /* RCTab "tabulate by batch" */
        PB_RANKED_SLICE_KINDS = 2
};
/** Most distinct slices of one kind: every slice keeps a full copy of the round tables. */
#define PB_RANKED_MAX_SLICES 65535u

/** The slice ids of one kind, interned. */
struct pb_ranked_slices {
        char **names;    /* owned, [n]: ids as the CVRs spell them, in order of first appearance */
        size_t n, cap;   /* used / allocated */
        uint32_t *slots; /* hash table of name index + 1 (0 = free) */
        size_t n_slots;  /* power of two (0 before the first name) */
};

struct pb_ranked_ballot {
        uint32_t off;                          /* first token in pb_ranked_contest.tokens */
        uint16_t len;                          /* number of tokens */
        uint16_t n_ranks;                      /* number of marked ranks */
        int64_t count;                         /* identical ballots folded into this record (>= 1) */
        uint32_t slice[PB_RANKED_SLICE_KINDS]; /* 1 + slice index of each kind; 0: none */
};

/**
 * Candidates and ballots.  pb_ranked_contest_init() before use, pb_ranked_contest_release()
 * after; every pointer inside is owned by the contest.
 */
struct pb_ranked_contest {
        char *title;                      /* owned, may be NULL */
        unsigned seats;                   /* seats to fill (.blt header; RCTab keeps it in its rules) */
        size_t n_cand, cap_cand;          /* candidates, in input order / allocated */
        struct pb_ranked_candidate *cand; /* [n_cand] */
        uint16_t *tokens;                 /* all ballots' tokens */
        size_t n_tokens, cap_tokens;      /* used / allocated */
        struct pb_ranked_ballot *ballots; /* distinct rankings, in order of first appearance */
        size_t n_ballots, cap_ballots;    /* used / allocated */
        int64_t n_total;                  /* sum of counts: ballots cast, empty ones included */
        uint32_t *slots;                  /* dedup hash table of ballot index + 1 (0 = free) */
        size_t n_slots;                   /* power of two */
        struct pb_ranked_mark *pend;      /* marks of the ballot being built */
        size_t n_pend, cap_pend;          /* used / allocated */
        struct pb_ranked_slices slices[PB_RANKED_SLICE_KINDS]; /* slice ids by kind (n = 0: none) */
        uint32_t pend_slice[PB_RANKED_SLICE_KINDS];            /* slices of the ballot being built */
};

/** One pending mark (builder scratch). */
struct pb_ranked_mark {
        uint16_t rank; /* 1..PB_RANKED_MAX_RANK */
        uint16_t cand; /* candidate index or PB_RANKED_OVERVOTE */
};

/** Start an empty contest in caller storage. */
void pb_ranked_contest_init(struct pb_ranked_contest *c);
/** Free everything; leaves @c zeroed.  Accepts a zeroed contest. */
void pb_ranked_contest_release(struct pb_ranked_contest *c);

/**
 * Add a candidate named by @len bytes of @name (copied).
 * @param ret_index [out] its index (may be NULL)
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT (too many candidates), PB_ERR_INVALID (empty name,
 *         or a NUL byte in it)
 */
PB_NODISCARD pb_err pb_ranked_candidate_add(struct pb_ranked_contest *c, const char *name, size_t len,
                                            uint32_t *ret_index);

/** Index of the candidate named exactly @name, or -1. Linear; for small tables and tests. */
long pb_ranked_candidate_find(const struct pb_ranked_contest *c, const char *name);

/**
 * Append one mark to the ballot being built: candidate @cand (an index, or PB_RANKED_OVERVOTE)
 * at rank @rank.  Marks may come in any order; pb_ranked_ballot_commit() sorts them by rank,
 * keeping the given order within a rank.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT (rank above PB_RANKED_MAX_RANK or 0, too many marks),
 *         PB_ERR_INVALID (unknown candidate index)
 */
PB_NODISCARD pb_err pb_ranked_ballot_mark(struct pb_ranked_contest *c, uint32_t rank, uint32_t cand);

/**
 * Finish the ballot being built as @count identical ballots (count >= 1).  A ballot without
 * marks is kept (RCTab reports it as an undervote).  The pending marks and slices
 * (pb_ranked_ballot_slice()) are cleared on success and on failure.  Ballots fold only with
 * identical ballots of the same slices.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW (total count past int64), PB_ERR_INVALID (count < 1)
 */
PB_NODISCARD pb_err pb_ranked_ballot_commit(struct pb_ranked_contest *c, int64_t count);

/** Forget the marks and slices of the ballot being built. */
void pb_ranked_ballot_discard(struct pb_ranked_contest *c);

/**
 * Put the ballot being built in the slice of @kind named by @len bytes of @name (copied the
 * first time it is seen).  Applies to the next pb_ranked_ballot_commit(), which clears it.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT (more than PB_RANKED_MAX_SLICES ids of one kind),
 *         PB_ERR_INVALID (unknown kind, empty name, a NUL byte in it)
 */
PB_NODISCARD pb_err pb_ranked_ballot_slice(struct pb_ranked_contest *c, enum pb_ranked_slice_kind kind,
                                           const char *name, size_t len);

/** Highest rank marked on @b (0 for an empty ballot). */
unsigned pb_ranked_ballot_max_rank(const struct pb_ranked_contest *c, const struct pb_ranked_ballot *b);

/*
 * Results
 * =======
 * Every count produces rounds.  Values (tallies, thresholds, transfers) are int64 in units of
 * 10^-scale of a vote.  A round's tally lists the candidates RCTab lists in that round (the
 * continuing ones, and in multi-seat counts the earlier winners); decisions are the elections
 * and eliminations made at the end of the round, and each decision's transfers say where that
 * candidate's ballots went at the start of the next round.
 */
enum pb_ranked_inactive {
        PB_RANKED_OVERVOTES = 0, /* RCTab "overvotes" */
        PB_RANKED_SKIPPED,       /* "skippedRankings": too many skipped ranks */
        PB_RANKED_EXHAUSTED,     /* "exhaustedChoices": no continuing candidate left */
        PB_RANKED_REPEATED,      /* "repeatedRankings": a candidate ranked twice */
        PB_RANKED_FINAL_SURPLUS, /* "finalRoundSurplus": surplus left after the last seat */
        PB_RANKED_UNDERVOTES,    /* ballots with no ranking at all (not an inactive bucket) */
        PB_RANKED_INACTIVE_COUNT
};

/** Transfer targets beyond the candidates: index n_cand + these. */
enum pb_ranked_target { PB_RANKED_TO_EXHAUSTED = 0, PB_RANKED_TO_RESIDUAL = 1, PB_RANKED_TARGETS_EXTRA = 2 };

struct pb_ranked_decision {
        uint32_t cand;      /* candidate index */
        bool elected;       /* true: elected; false: eliminated / excluded / defeated */
        bool surplus_only;  /* elected earlier; this round only transfers its surplus (Scottish STV) */
        int64_t *transfers; /* owned, [n_cand + PB_RANKED_TARGETS_EXTRA]: value moved to each target */
};

struct pb_ranked_round {
        int64_t *tally;                             /* owned, [n_cand] */
        bool *present;                              /* owned, [n_cand]: listed in this round */
        int64_t threshold;                          /* votes needed this round (quota) */
        int64_t inactive[PB_RANKED_INACTIVE_COUNT]; /* value of inactive ballots by reason */
        int64_t residual;                           /* residual surplus so far (cumulative) */
        size_t n_dec, cap_dec;                      /* decisions made in this round / allocated */
        struct pb_ranked_decision *dec;             /* owned, [n_dec] */
};

/** One count (one pass of multi-pass IRV).  Owned by a pb_ranked_outcome. */
struct pb_ranked_result {
        unsigned scale;                 /* values are in units of 10^-scale */
        size_t n_cand;                  /* candidates (copied from the contest) */
        size_t n_rounds, cap_rounds;    /* rounds used / allocated */
        struct pb_ranked_round *rounds; /* owned */
        size_t n_winners, cap_winners;  /* winners of this count / allocated */
        uint32_t *winners;              /* owned, candidate indexes in order of election */
        int64_t total_ballots;          /* ballots counted (RCTab totalNumBallots), in whole ballots */
        int64_t final_threshold;        /* threshold of the last round */
        unsigned seats;                 /* seats this count filled (RCTab numWinners) */
        bool surplus_rule;              /* surpluses are transferred (RCTab's usesSurpluses()) */
        size_t n_ties, cap_ties;        /* ties broken / allocated */
        struct pb_ranked_tie *ties;     /* owned, [n_ties] */
        /* RCTab counts only: the same count seen from each slice's ballots (see pb_rctab_run()).
         * slices[k][s] belongs to contest slice s of kind k; n_slices[k] is 0 when the contest
         * has no slices of that kind.  Slice results have no slices, ties or residual surplus. */
        size_t n_slices[PB_RANKED_SLICE_KINDS];
        struct pb_ranked_result *slices[PB_RANKED_SLICE_KINDS]; /* owned, [n_slices[k]] */
};

/** A tie and how it was broken, for the record (DESIGN §4). */
struct pb_ranked_tie {
        unsigned round;     /* round in which it happened */
        bool for_winner;    /* true: picking a winner; false: picking the one to eliminate */
        uint32_t chosen;    /* the candidate picked */
        uint32_t n_tied;    /* number of candidates tied */
        const char *method; /* static text: "previous round", "random", "candidate order", ... */
};

/** What a count produced: one result per pass (multi-pass IRV) or exactly one. */
struct pb_ranked_outcome {
        size_t n_passes, cap_passes;     /* used / allocated */
        struct pb_ranked_result *passes; /* owned */
        size_t n_winners;                /* all winners over all passes */
        uint32_t *winners;               /* owned, in order of election */
};

/** Zero @o.  Release with pb_ranked_outcome_release(). */
void pb_ranked_outcome_init(struct pb_ranked_outcome *o);
/** Free everything; accepts a zeroed outcome and leaves it zeroed. */
void pb_ranked_outcome_release(struct pb_ranked_outcome *o);

/*
 * RCTab rules
 * ===========
 * The switches of RCTab's contest config ("rules" and the per-source labels that affect
 * counting), with RCTab's semantics (docs/ranked.md has the math).
 */
enum pb_rctab_mode {
        PB_RCTAB_SINGLE = 0,            /* singleWinnerMajority */
        PB_RCTAB_MULTI_ONE_PER_ROUND,   /* multiWinnerAllowOnlyOneWinnerPerRound */
        PB_RCTAB_MULTI,                 /* multiWinnerAllowMultipleWinnersPerRound */
        PB_RCTAB_BOTTOMS_UP,            /* bottomsUp */
        PB_RCTAB_BOTTOMS_UP_PERCENTAGE, /* bottomsUpUsingPercentageThreshold */
        PB_RCTAB_MULTI_PASS             /* multiPassIrv */
};

enum pb_rctab_overvote {
        PB_RCTAB_EXHAUST_IMMEDIATELY = 0, /* exhaustImmediately */
        PB_RCTAB_ALWAYS_SKIP,             /* alwaysSkipToNextRank */
        PB_RCTAB_EXHAUST_IF_MULTIPLE      /* exhaustIfMultipleContinuing */
};

enum pb_rctab_tiebreak {
        PB_RCTAB_TIE_RANDOM = 0,           /* random: java.util.Random(seed).nextDouble() */
        PB_RCTAB_TIE_ASK,                  /* stopCountingAndAsk: the ask callback decides */
        PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM, /* previousRoundCountsThenRandom */
        PB_RCTAB_TIE_PREVIOUS_THEN_ASK,    /* previousRoundCountsThenAsk */
        PB_RCTAB_TIE_CANDIDATE_ORDER,      /* useCandidateOrder: loser = latest in the list */
        PB_RCTAB_TIE_PERMUTATION           /* generatePermutation: shuffled with Random(seed) */
};

/**
 * Asked when the tie-break mode wants an operator's decision.  @tied holds @n candidate
 * indexes; write the chosen one to *ret and return PB_OK, or return an error to stop the count.
 */
typedef pb_err (*pb_ranked_ask_fn)(void *ctx, unsigned round, bool for_winner, const uint32_t *tied, size_t n,
                                   uint32_t *ret);

struct pb_rctab_rules {
        enum pb_rctab_mode mode;
        unsigned seats; /* numberOfWinners (0 only with bottoms-up percentage) */
        unsigned scale; /* decimalPlacesForVoteArithmetic, 1..PB_RANKED_MAX_SCALE */
        enum pb_rctab_overvote overvote;
        long max_skipped;               /* maxSkippedRanksAllowed; -1 = unlimited */
        unsigned max_rankings;          /* maxRankingsAllowed; readers enforce it */
        bool exhaust_on_duplicate;      /* exhaustOnDuplicateCandidate */
        bool batch_elimination;         /* batchElimination */
        bool cutoff_elimination;        /* cutoffElimination (bottoms-up percentage) */
        bool continue_until_two;        /* continueUntilTwoCandidatesRemain */
        bool first_round_threshold;     /* doesFirstRoundDetermineThreshold */
        bool non_integer_threshold;     /* nonIntegerWinningThreshold */
        bool hare_quota;                /* hareQuota */
        unsigned stop_after_round;      /* stopTabulationEarlyAfterRound; 0 = never */
        int64_t minimum_vote_threshold; /* minimumVoteThreshold, units of 10^-scale */
        int64_t bottoms_up_fraction;    /* multiSeatBottomsUpPercentageThreshold / 100, 10^-scale */
        enum pb_rctab_tiebreak tiebreak;
        int64_t seed;          /* randomSeed (java.util.Random seed) */
        const uint32_t *order; /* borrowed: the candidate order for useCandidateOrder, a
                                           permutation of all candidate indexes; NULL: contest order */
        pb_ranked_ask_fn ask;  /* for the *Ask modes; NULL makes such a tie an error */
        void *ask_ctx;         /* passed to @ask */
};

/** Fill @r with RCTab's defaults for a single-winner contest (scale 4, exhaust immediately). */
void pb_rctab_rules_init(struct pb_rctab_rules *r);

/**
 * Count @c under RCTab rules @rules, round for round as RCTab 2.0 does.
 *
 * When the contest has slices (pb_ranked_ballot_slice()), each pass also gets one result per
 * slice, as RCTab's "tabulate by precinct / batch" reports: the contest-wide count decides
 * every election, elimination and surplus fraction, and a slice's result shows where its own
 * ballots were in each round.  Per slice and round: the tally of each candidate listed in the
 * contest-wide round (0 if no ballot of the slice counts for it); earlier winners with the
 * value their slice ballots kept, never pinned at the threshold (residual surplus is
 * contest-wide only); the inactive buckets and undervotes of the slice's ballots; the
 * contest-wide threshold; the contest-wide decisions, each with the transfers of the slice's
 * ballots; total_ballots the slice's ballots.  Every ballot must then have a slice of each kind
 * the contest uses (else PB_ERR_INVALID).
 *
 * @param c        borrowed; candidates flagged uwi/excluded as the config says
 * @param rules    borrowed
 * @param ret      [out] filled on PB_OK only (pb_ranked_outcome_release() it)
 * @param reterr   optional: on failure, which rule or tie and why
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW, PB_ERR_INVALID (rules that cannot be applied to
 *         this contest, RCTab's aborts: everyone below the minimum threshold, an explicit
 *         overvote with exhaustIfMultipleContinuing, a tie no mode can break),
 *         or the error the ask callback returned.
 * Deterministic: the same inputs give the same outcome.
 */
PB_NODISCARD pb_err pb_rctab_run(const struct pb_ranked_contest *c, const struct pb_rctab_rules *rules,
                                 struct pb_ranked_outcome *ret, struct pb_diag *reterr);

/*
 * .blt rules
 * ==========
 */
/**
 * Scottish STV (The Scottish Local Government Elections Order 2007, rules 45-52): Droop quota
 * floor(valid / (seats + 1)) + 1, all papers of an elected candidate transferred at
 * value x surplus / total truncated to 5 decimals, largest surplus first, exclusion of the
 * lowest, ties by the most recent stage with unequal votes, then by lot.
 * @param tie_order  NULL, or a permutation of candidate indexes [n_cand] used for lots: as
 *                   Droop does, the earliest listed is picked (excluded first, or its surplus
 *                   transferred first).  NULL: input order.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW, PB_ERR_INVALID (no seats, too few ballots)
 */
PB_NODISCARD pb_err pb_scottish_run(const struct pb_ranked_contest *c, const uint32_t *tie_order,
                                    struct pb_ranked_outcome *ret, struct pb_diag *reterr);

/** The two 9-digit Meek counts the reference data defines. */
enum pb_meek_variant {
        PB_MEEK_PRF = 0, /* PR Foundation reference rule (Droop meek-prf): a candidate keeps
                            w x kf rounded up, the rest w - keep passes on; surplus < omega */
        PB_MEEK_FIXED9   /* Droop "meek fixed precision=9 omega=6 defeat_batch=none", as stv-rs
                            fixed9: keep and rest both rounded down; surplus <= omega */
};

/**
 * Meek STV in 9-decimal fixed point (omega 10^-6, one defeat per round).  Each round iterates
 * keep factors until the surplus is below omega or stops falling; the lowest hopeful (and any
 * within the total surplus of it, as tied) is defeated, ties going to the earliest in
 * @tie_order.  Equal rankings ("a=b") are counted as Droop does: the weight reaching a rank is
 * split evenly among its candidates still in the count, each passing on what it does not keep.
 * @param tie_order  as for pb_scottish_run()
 * @param variant    the rounding rules
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_OVERFLOW, PB_ERR_INVALID (no seats or valid ballots),
 *         PB_ERR_UNSUPPORTED (overvote marks), PB_ERR_LIMIT (equal rankings too deep)
 */
PB_NODISCARD pb_err pb_meek_run(const struct pb_ranked_contest *c, const uint32_t *tie_order,
                                enum pb_meek_variant variant, struct pb_ranked_outcome *ret,
                                struct pb_diag *reterr);

/*
 * Output helpers
 * ==============
 */
/** Longest text pb_ranked_format_value() writes, with the NUL. */
#define PB_RANKED_VALUE_STR_MAX 32

/**
 * Write @v (units of 10^-@scale) as decimal text without trailing fractional zeros
 * ("17375", "7.2501", "-0.5").  Returns @buf.
 */
char *pb_ranked_format_value(int64_t v, unsigned scale, char buf[PB_RANKED_VALUE_STR_MAX]);

/**
 * Parse decimal text ("4", "2.25", "-1") into units of 10^-@scale, truncating further digits
 * toward zero when @truncate is set (else they are an error).
 * @return PB_OK, PB_ERR_PARSE, PB_ERR_OVERFLOW, PB_ERR_INVALID (too many decimals, no @truncate)
 */
PB_NODISCARD pb_err pb_ranked_parse_value(const char *s, size_t len, unsigned scale, bool truncate,
                                          int64_t *ret, struct pb_diag *reterr);

/**
 * The pbvote result document for @o (canonical JSON, pb_canon): rule, seats, winners (names),
 * and every round's tallies and decisions.  Appended to @out.
 * @param rule  the rule name to record ("irv", "stv", "scottish-stv", "meek-stv", ...)
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT, PB_ERR_INVALID (a name that is not UTF-8)
 */
PB_NODISCARD pb_err pb_ranked_result_json(const struct pb_ranked_contest *c,
                                          const struct pb_ranked_outcome *o, const char *rule,
                                          struct pb_buf *out);

/** Java's String.compareTo() on two UTF-8 strings (UTF-16 code unit order). */
int pb_ranked_java_strcmp(const char *a, const char *b);

#endif
