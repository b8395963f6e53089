/**
 * @file The verifier's reading of a bundle (verify_src.c), from a folder or from the tar archive
 * `pbvote export` and GET .../export write, with the same checks either way: which files are
 * there, each one's size against the largest valid one, and lines no longer than any valid
 * record, read without holding a file in memory.  Private to ballots/verify*.c.
 */
#ifndef PB_VERIFY_INT_H
#define PB_VERIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ballots/pb_bundle.h"
#include "ballots/pb_counts.h"
#include "ballots/pb_docs.h"
#include "ballots/pb_vote.h"
#include "engine/pb_err.h"
#include "engine/pb_merkle.h"
#include "engine/pb_result.h"
#include "engine/pb_seal.h"

enum file_id { F_MANIFEST, F_KEYS, F_CHECKPOINTS, F_BALLOTS, F_CLOSE, F_RESULT, F_CERTIFICATION, F_COUNT };

/** The bundle's file names, indexed by enum file_id. */
extern const char *const vsrc_names[F_COUNT];

/** One file of the bundle: where it is and how large. */
struct vsrc_file {
        bool present;    /* a regular file of that name */
        uint64_t size;   /* bytes */
        uint64_t offset; /* archive: where its bytes start */
};

/** A bundle being read.  vsrc_open() fills it, vsrc_close() releases it. */
struct vsrc {
        const char *path; /* borrowed: the folder or the archive */
        bool is_tar;
        FILE *tar; /* the archive, open for the whole verification */
        struct vsrc_file f[F_COUNT];
};

/**
 * Open the bundle at @path (a folder, or a regular file read as a tar archive) and list its
 * files: exactly the bundle's, each a regular file, nothing else.  On a problem *@ret_why is a
 * static reason and @ret_name (NUL-terminated, @cap bytes) the file, member or archive it is about;
 * the first problem in a fixed order is the one reported.  Files that are fine stay readable.
 * @return PB_OK (even when a problem was found), PB_ERR_NOMEM or PB_ERR_IO (the folder or
 *         archive cannot be read at all; *@ret_why says so)
 */
PB_NODISCARD pb_err vsrc_open(struct vsrc *s, const char *path, const char **ret_why, char *ret_name,
                              size_t cap);

/** Close the archive, if any.  Accepts a zeroed @s. */
void vsrc_close(struct vsrc *s);

/**
 * Read file @k whole into a new NUL-terminated buffer (pb_free), refusing one larger than @max
 * bytes.  *@ret_why on failure: "larger than ...", "cannot be read".
 * @return PB_OK, PB_ERR_LIMIT, PB_ERR_IO or PB_ERR_NOMEM
 */
PB_NODISCARD pb_err vsrc_read(struct vsrc *s, enum file_id k, size_t max, char **ret_data, size_t *ret_len,
                              const char **ret_why);

/** Reads a file line by line with a bounded buffer.  Caller's storage. */
struct vlines {
        FILE *f; /* the folder's file (owned) or the archive (borrowed) */
        bool own;
        uint64_t left; /* bytes of the file not yet read into buf */
        char *buf;     /* buffered bytes: buf[start..end) */
        size_t cap, start, end;
        size_t max;    /* the longest valid line, newline included */
        unsigned line; /* number of the line last returned (1-based) */
};

/** Open file @k for reading lines of at most @max bytes (newline included).  Errors as vsrc_read(). */
PB_NODISCARD pb_err vlines_open(struct vsrc *s, enum file_id k, size_t max, struct vlines *ret,
                                const char **ret_why);

/**
 * The next line at *@ret_p, *@ret_n bytes without its newline.  *@ret_end at the end of the file.
 * A line longer than l->max is refused as soon as that many bytes are read without a newline;
 * a last line without its newline is refused.  l->line is the line the answer is about.
 * @return PB_OK, PB_ERR_LIMIT (too long), PB_ERR_PARSE (cut), PB_ERR_IO; *@ret_why says which
 */
PB_NODISCARD pb_err vlines_next(struct vlines *l, const char **ret_p, size_t *ret_n, bool *ret_end,
                                const char **ret_why);

/** Release @l.  Accepts a zeroed one. */
void vlines_close(struct vlines *l);

/** True if @p[0..n) has CRLF line endings ("\r\n", or a last byte '\r'): a text-mode transfer. */
bool vsrc_has_crlf(const char *p, size_t n);

/** The reason given for CRLF damage, wherever it is found. */
#define VERIFY_CRLF "CRLF line endings (the file was altered in transit, e.g. by a text-mode transfer)"

#define NO_FILE (-1) /* a check about no one file */

/** A checkpoint as the ballots are checked against it. */
struct cp {
        uint64_t size;
        uint8_t root[PB_MERKLE_HASH_BYTES];
};

/** One verification: what each check found, for the checks after it.  verify.c owns it. */
struct vctx {
        struct vsrc src;
        const struct pb_verify_options *o;
        pb_verify_fn fn;
        void *fn_ctx;
        unsigned failed;
        pb_err fatal; /* the verifier itself failed (memory, I/O) */

        char *data[F_COUNT]; /* the files read whole (not the .jsonl ones: read line by line) */
        size_t len[F_COUNT];

        struct pb_manifest *m; /* from the signed manifest; its contests collect the ballots */
        char manifest_field[PB_DIAG_PATH_MAX]; /* the JSON path a manifest that does not parse breaks */
        uint8_t manifest_sha256[PB_SHA256_BYTES];
        bool manifest_ok, keys_ok;

        struct cp *cps;
        size_t n_cps;
        bool cps_ok;

        struct pb_seal_envelope close_env, result_env, cert_env;
        struct pb_doc_close close;
        bool close_ok;
        struct pb_doc_result result;
        uint8_t result_sha256[PB_SHA256_BYTES];
        bool result_ok, has_seed;
        uint64_t seed;

        struct pb_merkle_tree tree;
        uint64_t by_channel[PB_CHANNEL_COUNT];
        uint64_t by_contest[PB_MANIFEST_MAX_CONTESTS]; /* CVRs with a ballot for each contest */
        bool ballots_ok;
        struct pb_vote_count recount; /* F1's, every contest's, kept for the summary */
        bool tally_ok;
};

/**
 * Report a check to the caller: its verdict, how many records it covered, why, and where a
 * failure is (@file a enum file_id or NO_FILE, @line 0 for none, @field a JSON path or NULL).
 */
void verify_report(struct vctx *v, const char *id, const char *name, bool pass, uint64_t count,
                   const char *detail, int file, unsigned line, const char *field);

/** Remember that the verifier itself could not run (@r is PB_ERR_NOMEM or PB_ERR_IO; else nothing). */
void verify_fatal(struct vctx *v, pb_err r);

/** C1-C3: every ballot line, the tree, the batches (verify_log.c). */
void verify_ballots(struct vctx *v);
/** D1-D2: the close statement, the log and the counts agree (verify_log.c). */
void verify_consistency(struct vctx *v);
/** F2, F1: the seed, then the recount from the CVRs against the signed result (verify_log.c). */
void verify_tally(struct vctx *v);

#endif
