/** @file RCTab contest configs, the CVR formats RCTab reads, and RCTab's detailed report JSON. */
#ifndef PB_FORMAT_RCTAB_H
#define PB_FORMAT_RCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/pb_buf.h"
#include "engine/pb_err.h"
#include "engine/pb_ranked.h"

/** Largest CVR or config file read (each file of a source; PB_FILE_MAX bounds them anyway). */
#define PB_RCTAB_MAX_FILE ((size_t)1 << 30)

enum pb_rctab_provider {
        PB_RCTAB_ESS = 0,     /* "ess": the .xlsx sheet, read from its .xlsx.csv rendering */
        PB_RCTAB_GENERIC_CSV, /* "genericCsv": candidate columns, cells = rank numbers */
        PB_RCTAB_CDF,         /* "cdf": NIST SP 1500-103 JSON */
        PB_RCTAB_DOMINION,    /* "dominion": a folder of manifests and CvrExport*.json */
        PB_RCTAB_CLEAR_BALLOT /* "clearBallot": one column per (candidate, rank) */
};

/** One entry of "cvrFileSources". Strings owned by the config; never NULL ("" when unset). */
struct pb_rctab_source {
        enum pb_rctab_provider provider;
        char *path;                                /* as resolved against the config's folder */
        char *contest_id;                          /* contestId */
        unsigned first_vote_col;                   /* firstVoteColumnIndex, 1-based (0: unset) */
        unsigned first_vote_row;                   /* firstVoteRowIndex, 1-based (0: unset) */
        unsigned id_col;                           /* idColumnIndex, 1-based (0: unset) */
        unsigned slice_col[PB_RANKED_SLICE_KINDS]; /* precinctColumnIndex, batchColumnIndex, 1-based
                                                      (0: unset) */
        char *overvote_delimiter;                  /* overvoteDelimiter */
        char *overvote_label;                      /* overvoteLabel */
        char *skipped_label;                       /* skippedRankLabel (older configs: undervoteLabel) */
        char *uwi_label;                           /* undeclaredWriteInLabel */
        bool blank_is_uwi;                         /* treatBlankAsUndeclaredWriteIn */
};

/** A name or alias and the candidate it means (sorted by name for lookup). */
struct pb_rctab_alias {
        char *name;    /* owned */
        size_t len;    /* strlen(name) */
        uint32_t cand; /* candidate index */
};

/**
 * A parsed contest config.  pb_rctab_config_init() before use, pb_rctab_config_release() after;
 * everything inside is owned by it.  After pb_rctab_config_parse() the contest holds the
 * candidates (config order; "Undeclared Write-ins" appended when a source has a write-in label);
 * the CVR readers add the ballots.
 */
struct pb_rctab_config {
        char *contest_name, *date, *jurisdiction, *office; /* outputSettings */
        struct pb_rctab_rules rules;
        size_t n_sources;
        struct pb_rctab_source *sources;
        struct pb_ranked_contest contest;
        size_t n_alias, cap_alias;    /* used / allocated */
        struct pb_rctab_alias *alias; /* names and aliases, sorted by byte order */
        uint32_t *alias_slots;        /* hash table of alias index + 1 (0 = free) */
        size_t n_alias_slots;         /* power of two */
        long uwi;                     /* candidate index of the write-in placeholder, or -1 */
        unsigned max_rankings;        /* maxRankingsAllowed resolved ("max": declared candidates) */
        char *base_dir;               /* folder relative file paths are resolved against */
        bool tabulate_by[PB_RANKED_SLICE_KINDS]; /* outputSettings.tabulateByPrecinct, tabulateByBatch:
                                                    the readers give every ballot its slices */
        char *err_file;                          /* the file a pb_rctab_load() error is about, or NULL */
};

/** RCTab's name for undeclared write-ins in its reports. */
#define PB_RCTAB_UWI_NAME "Undeclared Write-ins"

/* The slice ids RCTab gives ballots whose precinct or batch cell is blank (provider-specific). */
#define PB_RCTAB_CSV_NO_PRECINCT "no precinct id" /* generic CSV (the generic_csv_test case) */
#define PB_RCTAB_CSV_NO_BATCH "no batch id"
#define PB_RCTAB_ESS_NO_PRECINCT "missing_precinct_id" /* ES&S (RCTab's StreamingCvrReader) */
#define PB_RCTAB_ESS_NO_BATCH "missing_batch_id"

void pb_rctab_config_init(struct pb_rctab_config *cfg);
/** Free everything; accepts a zeroed config; leaves it zeroed. */
void pb_rctab_config_release(struct pb_rctab_config *cfg);

/**
 * Parse config JSON text (every field RCTab 1.3-2.0 configs use; numbers are JSON strings as
 * RCTab writes them).  Source paths are resolved against @base_dir (may be NULL: as given).
 * @param cfg     initialised, empty; filled on success, left releasable on failure
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_PARSE (not JSON, wrong type: reterr->path names the field),
 *         PB_ERR_INVALID (a value RCTab rejects), PB_ERR_UNSUPPORTED (a provider or option this
 *         build does not read, e.g. Hart XML)
 */
PB_NODISCARD pb_err pb_rctab_config_parse(const char *buf, size_t len, const char *base_dir,
                                          struct pb_rctab_config *cfg, struct pb_diag *reterr);

/** Candidate index for a CVR string (name or alias), or -1. */
long pb_rctab_lookup(const struct pb_rctab_config *cfg, const char *s, size_t len);

/*
 * CVR readers.  Each parses one file's bytes into cfg->contest (ballots appended) and reports
 * a bad record with reterr->line (line or record number), reterr->path (column or JSON path)
 * and a reason.
 */
/** ES&S sheet rendered as CSV (X.xlsx.csv). */
PB_NODISCARD pb_err pb_rctab_read_ess(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                      const char *buf, size_t len, struct pb_diag *reterr);
/** Generic CSV. */
PB_NODISCARD pb_err pb_rctab_read_generic_csv(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                              const char *buf, size_t len, struct pb_diag *reterr);
/** Clear Ballot CSV. */
PB_NODISCARD pb_err pb_rctab_read_clear_ballot(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                               const char *buf, size_t len, struct pb_diag *reterr);
/** NIST CDF JSON. */
PB_NODISCARD pb_err pb_rctab_read_cdf(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                      const char *buf, size_t len, struct pb_diag *reterr);

/** Dominion manifest data needed to read CvrExport files (ContestManifest). */
struct pb_rctab_dominion {
        long num_ranks; /* NumOfRanks of the contest, 0 if unknown */
        bool found;     /* the contest id exists in the manifest */
};
/** Parse ContestManifest.json for @src->contest_id. */
PB_NODISCARD pb_err pb_rctab_read_dominion_contests(const struct pb_rctab_source *src, const char *buf,
                                                    size_t len, struct pb_rctab_dominion *ret,
                                                    struct pb_diag *reterr);
/** One CvrExport*.json file. */
PB_NODISCARD pb_err pb_rctab_read_dominion_cvrs(struct pb_rctab_config *cfg,
                                                const struct pb_rctab_source *src,
                                                const struct pb_rctab_dominion *dm, const char *buf,
                                                size_t len, struct pb_diag *reterr);

/**
 * Read the config at @path and every CVR it names (an ES&S "X.xlsx" is read from "X.xlsx.csv").
 * @param cfg           initialised, empty; filled on success
 * @param reterr_file   [out, on failure] the file the error is about (points into @cfg or is
 *                      @path; valid while both live); may be NULL
 * @return as pb_rctab_config_parse(), plus PB_ERR_IO, PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_rctab_load(const char *path, struct pb_rctab_config *cfg, struct pb_diag *reterr,
                                  const char **reterr_file);

/** What RCTab prints in a report's "config" block. Borrowed strings; NULL prints "". */
struct pb_rctab_meta {
        const char *contest, *date, *jurisdiction, *office;
        /* set by pb_rctab_slice_report_write(); ignored by pb_rctab_report_write() */
        enum pb_ranked_slice_kind slice_kind;
        const char *slice_id;
};

/** Fill @m with the names of @cfg's outputSettings (borrowed from @cfg), no slice. */
void pb_rctab_meta_init(struct pb_rctab_meta *m, const struct pb_rctab_config *cfg);

/**
 * Append RCTab's detailed report JSON for @o to @out: one report object, or an array of one
 * per pass for multi-pass IRV.  Keys sorted as RCTab's writer sorts them; numbers as decimal
 * strings; generatedBy names pbvote.
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_rctab_report_write(const struct pb_ranked_contest *c,
                                          const struct pb_ranked_outcome *o, const struct pb_rctab_meta *meta,
                                          bool multi_pass, struct pb_buf *out);

/*
 * Slice reports (RCTab's "tabulate by precinct / batch")
 * =======================================================
 * One detailed report per precinct or batch, the same JSON as the contest-wide report with the
 * slice's numbers (pb_rctab_run() documents them), its "config" naming the slice ("precinct" or
 * "batch": the id), and "summary" counting the slice's ballots and undervotes.  RCTab writes
 * them to "Tabulate by Precinct/<stem>_detailed_report.json" (and "Tabulate by Batch/...") of
 * its output folder; pb_rctab_slices_write() does the same.
 */
/** The folder RCTab writes the slice reports of @kind to ("Tabulate by Precinct"). */
const char *pb_rctab_slice_folder(enum pb_ranked_slice_kind kind);

/**
 * Append the slice report of slice @slice (index into c->slices[kind]) of @o to @out: one
 * report, or an array of one per pass for multi-pass IRV.
 * @param meta  the contest's names (its slice fields are ignored)
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_LIMIT, PB_ERR_INVALID (no such slice in @c or @o)
 */
PB_NODISCARD pb_err pb_rctab_slice_report_write(const struct pb_ranked_contest *c,
                                                const struct pb_ranked_outcome *o,
                                                const struct pb_rctab_meta *meta, bool multi_pass,
                                                enum pb_ranked_slice_kind kind, size_t slice,
                                                struct pb_buf *out);

/**
 * RCTab's file name stems of the slices of @kind, as its ResultsWriter makes them: the id with
 * every character other than an ASCII letter, digit, '_', '-' or '.' replaced by '_', then
 * "_precinct" or "_batch" ("MINNEAPOLIS W-1 P-01" -> "MINNEAPOLIS_W-1_P-01_precinct").  Ids
 * that come out the same get "_2", "_3", ... in Java String order of the ids (RCTab numbers
 * them in its hash map's order).
 * @param ret  [out] on PB_OK, a new array of c->slices[kind].n new strings, by slice index;
 *             free with pb_rctab_slice_stems_free()
 * @return PB_OK, PB_ERR_NOMEM, PB_ERR_INVALID (unknown kind)
 */
PB_NODISCARD pb_err pb_rctab_slice_stems(const struct pb_ranked_contest *c, enum pb_ranked_slice_kind kind,
                                         char ***ret);
/** Free what pb_rctab_slice_stems() returned (@stems may be NULL). */
void pb_rctab_slice_stems_free(char **stems, size_t n);

/**
 * Write every slice report of @o under the folder @dir (made if missing): for each kind the
 * contest has slices of, "<dir>/<folder>/<stem>_detailed_report.json", written atomically.
 * @param ret_count    [out, may be NULL] number of files written, on PB_OK
 * @param ret_errpath  [out, may be NULL] on PB_ERR_IO, the path that failed (appended)
 * @return PB_OK, PB_ERR_IO, PB_ERR_NOMEM, PB_ERR_LIMIT
 */
PB_NODISCARD pb_err pb_rctab_slices_write(const char *dir, const struct pb_ranked_contest *c,
                                          const struct pb_ranked_outcome *o, const struct pb_rctab_meta *meta,
                                          bool multi_pass, size_t *ret_count, struct pb_buf *ret_errpath,
                                          struct pb_diag *reterr);

#endif
