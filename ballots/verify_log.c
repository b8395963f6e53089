/**
 * @file The verifier's C, D and F checks (docs/auditor.md): every ballot line recommitted and
 * re-validated, the tree rebuilt against the signed checkpoints, the documents against the log
 * and the counts, and the recount against the signed result.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/verify_int.h"
#include "formats/pb_json.h"
#include "formats/pb_json_ballot.h"
#include "formats/pb_manifest.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "engine/pb_validate.h"

/* ---- C: the ballots and the log --------------------------------------------------------------- */

static const struct pb_json_field ballot_fields[] = {
        { "commitment", PB_JSON_STRING, true },
        { "cvr", PB_JSON_STRING, true },
        { "nonce", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static bool hex_to(const char *s, uint8_t *out, size_t n)
{
        size_t got = 0;
        return strlen(s) == 2 * n && sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

_Static_assert(PB_CVR_NONCE_BYTES == PB_CVR_HASH_BYTES, "one message states the size of both");

/* Every ballot of a CVR against its contest's rules (strict; imported ballots as pabulib's checker). */
static bool ballots_valid(const struct pb_manifest *m, const struct pb_vote_ballots *vb, enum pb_channel ch)
{
        for (size_t i = 0; i < vb->n; i++) {
                const struct pb_contest_ballot *b = &vb->part[i];
                if (b->mark != PB_MARK_NONE)
                        continue; /* a paper's blank or spoiled part: recorded as such */
                if (pb_ballot_check(m->contests[b->contest].election, b->items, b->points, b->n,
                                    ch == PB_CHANNEL_IMPORTED ? PB_CHECK_PABULIB : PB_CHECK_STRICT, NULL,
                                    NULL) < 0)
                        return false;
        }
        return true;
}

/* One line of ballots.jsonl: canonical, recommits, a valid CVR; its ballots join their contests. */
static const char *check_ballot_line(struct vctx *v, const char *p, size_t n, struct pb_vote_ballots *vb,
                                     uint8_t commitment[PB_CVR_HASH_BYTES])
{
        uint8_t nonce[PB_CVR_NONCE_BYTES], again_c[PB_CVR_HASH_BYTES];
        struct pb_cvr_meta meta;
        struct pb_buf again;
        const char *why = NULL, *cvr;
        cJSON *j = NULL;
        pb_err r;

        pb_buf_init(&again, 0);
        r = pb_json_parse(p, n, 2, &j, NULL);
        if (r == PB_OK)
                r = pb_json_check_object(j, ballot_fields, "$", NULL);
        if (r < 0) {
                verify_fatal(v, r);
                why = "a line is not {commitment, cvr, nonce}";
                goto out;
        }
        cvr = cJSON_GetObjectItemCaseSensitive(j, "cvr")->valuestring;
        if (!hex_to(cJSON_GetObjectItemCaseSensitive(j, "commitment")->valuestring, commitment,
                    PB_CVR_HASH_BYTES) ||
            !hex_to(cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring, nonce, sizeof(nonce))) {
                why = "a commitment or nonce is not hex of " PB_STRINGIFY(PB_CVR_HASH_BYTES) " bytes";
                goto out;
        }
        r = pb_bundle_ballot_line(commitment, nonce, cvr, strlen(cvr), &again);
        if (r < 0 || again.len != n + 1 || memcmp(again.data, p, n + 1)) {
                verify_fatal(v, r);
                why = "a line is not in canonical form";
                goto out;
        }
        r = pb_cvr_commitment(v->m->election->id, nonce, (const uint8_t *)cvr, strlen(cvr), again_c);
        if (r < 0 || memcmp(again_c, commitment, sizeof(again_c))) {
                why = "a CVR does not match its commitment (changed ballot or nonce)";
                goto out;
        }
        r = pb_vote_cvr_parse(v->m, cvr, strlen(cvr), vb, &meta, NULL);
        if (r < 0) {
                verify_fatal(v, r);
                why = "a CVR is not a canonical CVR of this election";
                goto out;
        }
        if (!ballots_valid(v->m, vb, meta.channel)) {
                why = "a ballot breaks the election's rules";
                goto out;
        }
        v->by_channel[meta.channel]++;
        for (size_t i = 0; i < vb->n; i++)
                v->by_contest[vb->part[i].contest]++;
        r = pb_vote_add_ballots(v->m, vb, NULL);
        if (r < 0) {
                verify_fatal(v, r);
                why = "out of memory";
        }
out:
        cJSON_Delete(j);
        pb_buf_release(&again);
        return why;
}

static int cmp_commitment(const void *a, const void *b)
{
        return memcmp(a, b, PB_CVR_HASH_BYTES);
}

/* Every commitment once: a duplicated CVR would count twice. */
static const char *unique(const uint8_t *commits, size_t n, struct vctx *v)
{
        uint8_t *sorted = pb_reallocarray(NULL, n, PB_CVR_HASH_BYTES);
        const char *why = NULL;

        if (!sorted) {
                verify_fatal(v, PB_ERR_NOMEM);
                return "out of memory";
        }
        if (n) /* commits is NULL when there are no ballots */
                memcpy(sorted, commits, PB_CVR_HASH_BYTES * n);
        qsort(sorted, n, PB_CVR_HASH_BYTES, cmp_commitment);
        for (size_t i = 1; i < n && !why; i++)
                if (!memcmp(sorted + PB_CVR_HASH_BYTES * (i - 1), sorted + PB_CVR_HASH_BYTES * i,
                            PB_CVR_HASH_BYTES))
                        why = "the same commitment twice (a duplicated ballot)";
        pb_free(sorted);
        return why;
}

/* C2: each checkpoint's root is the root of its first `size` leaves; the last covers all. */
static void check_tree(struct vctx *v, size_t n)
{
        struct pb_merkle_source src;
        const char *why = NULL;

        pb_merkle_tree_source(&v->tree, &src);
        for (size_t i = 0; i < v->n_cps && !why; i++) {
                uint8_t root[PB_MERKLE_HASH_BYTES];
                if (v->cps[i].size > n)
                        why = "a checkpoint covers more leaves than there are ballots (a dropped ballot)";
                else if (pb_merkle_root(&src, v->cps[i].size, root) < 0 ||
                         memcmp(root, v->cps[i].root, sizeof(root)))
                        why = "a checkpoint's root is not the root of the ballots' leaves";
        }
        if (!why && (!v->n_cps || v->cps[v->n_cps - 1].size != n))
                why = "ballots beyond the last checkpoint (an added ballot)";
        verify_report(
                v, "C2", "tree", !why, v->n_cps,
                why ? why
                    : "every checkpoint is the root of the recomputed tree; the last covers every ballot",
                why ? F_BALLOTS : NO_FILE, 0, NULL);
}

/* C3: inside each batch (between two checkpoints) the leaves are sorted by commitment. */
static void check_batches(struct vctx *v, const uint8_t *commits, size_t n)
{
        const char *why = NULL;
        size_t next_cp = 1;
        unsigned line = 0;

        for (size_t i = 1; i < n && !why; i++) {
                while (next_cp < v->n_cps && v->cps[next_cp].size <= i)
                        next_cp++;
                /* i is the first leaf of a batch when a checkpoint ends right before it */
                if (v->cps[next_cp - 1].size == i)
                        continue;
                if (memcmp(commits + PB_CVR_HASH_BYTES * (i - 1), commits + PB_CVR_HASH_BYTES * i,
                           PB_CVR_HASH_BYTES) >= 0) {
                        why = "a batch is not sorted by commitment (arrival order, or a reordered ballot)";
                        line = (unsigned)i + 1;
                }
        }
        verify_report(v, "C3", "batches sorted", !why, n, why ? why : "every batch is sorted by commitment",
                      why ? F_BALLOTS : NO_FILE, line, NULL);
}

/* C1 over the lines of ballots.jsonl, each read on its own; the leaves go into v->tree. */
static const char *read_ballots(struct vctx *v, uint8_t **ret_commits, size_t *ret_n, unsigned *ret_line)
{
        size_t np = 0; /* the projects of every contest: the longest CVR names them all */
        struct pb_vote_ballots vb;
        uint8_t *commits = NULL; /* every commitment, PB_CVR_HASH_BYTES each, in log order */
        size_t n = 0, cap = 0;
        struct vlines l;
        const char *why = NULL;
        pb_err r;

        memset(&l, 0, sizeof(l));
        for (size_t i = 0; i < v->m->n_contests; i++)
                np += v->m->contests[i].election->n_projects;
        if (pb_vote_ballots_init(&vb, v->m) < 0) {
                verify_fatal(v, PB_ERR_NOMEM);
                why = "out of memory";
        } else if ((r = vlines_open(&v->src, F_BALLOTS, PB_BUNDLE_BALLOT_LINE_MAX(np), &l, &why)) < 0) {
                verify_fatal(v, r == PB_ERR_NOMEM ? r : PB_OK);
        }
        while (!why) {
                uint8_t c[PB_CVR_HASH_BYTES], leaf[PB_MERKLE_HASH_BYTES], *g;
                const char *p;
                size_t len;
                bool end;

                r = vlines_next(&l, &p, &len, &end, &why);
                if (r < 0 || end) {
                        verify_fatal(v, r == PB_ERR_IO ? r : PB_OK);
                        break;
                }
                if (len && p[len - 1] == '\r') {
                        why = VERIFY_CRLF;
                        break;
                }
                if (memchr(p, '\0', len)) {
                        why = "a line holds a NUL byte";
                        break;
                }
                why = check_ballot_line(v, p, len, &vb, c);
                if (why)
                        break;
                pb_cvr_leaf_hash(c, leaf);
                g = pb_grow(commits, &cap, n + 1, PB_CVR_HASH_BYTES, 1024);
                commits = g ? g : commits; /* on failure pb_grow leaves the old array */
                if (!g || pb_merkle_tree_append(&v->tree, leaf) < 0) {
                        verify_fatal(v, PB_ERR_NOMEM);
                        why = "out of memory";
                        break;
                }
                memcpy(commits + PB_CVR_HASH_BYTES * n, c, sizeof(c));
                n++;
        }
        *ret_line = why ? l.line : 0;
        vlines_close(&l);
        pb_vote_ballots_release(&vb);
        if (!why)
                why = unique(commits, n, v);
        *ret_commits = commits;
        *ret_n = n;
        return why;
}

void verify_ballots(struct vctx *v)
{
        uint8_t *commits = NULL;
        size_t n = 0;
        unsigned line = 0;
        const char *why;

        if (!v->cps_ok || !v->manifest_ok) {
                verify_report(v, "C1", "ballots", false, 0,
                              "cannot be checked: the manifest or the checkpoints failed", F_BALLOTS, 0,
                              NULL);
                verify_report(v, "C2", "tree", false, 0, "cannot be checked", F_BALLOTS, 0, NULL);
                verify_report(v, "C3", "batches sorted", false, 0, "cannot be checked", F_BALLOTS, 0, NULL);
                return;
        }
        why = read_ballots(v, &commits, &n, &line);
        v->ballots_ok = !why;
        verify_report(v, "C1", "ballots", !why, n,
                      why ? why : "every line canonical, every CVR valid and recommitted, no duplicate",
                      why ? F_BALLOTS : NO_FILE, line, NULL);
        if (why) {
                verify_report(v, "C2", "tree", false, 0, "cannot be checked: the ballots failed", F_BALLOTS,
                              0, NULL);
                verify_report(v, "C3", "batches sorted", false, 0, "cannot be checked: the ballots failed",
                              F_BALLOTS, 0, NULL);
        } else {
                check_tree(v, n);
                check_batches(v, commits, n);
        }
        pb_free(commits);
}

/* ---- D: cross-document consistency ----------------------------------------------------------- */

static bool same_log(const struct pb_doc_log *a, const struct pb_doc_log *b)
{
        return !strcmp(a->origin, b->origin) && a->size == b->size &&
               !memcmp(a->root, b->root, sizeof(a->root));
}

/* D2 by contest: each contest's count is the CVRs with a ballot for it, at most every ballot. */
static const char *contest_counts(const struct vctx *v, const struct pb_turnout *c)
{
        for (uint32_t i = 0; i < c->n_contests; i++)
                if (c->by_contest[i] != v->by_contest[i])
                        return "ballots by contest differ from the CVRs";
        return NULL;
}

void verify_consistency(struct vctx *v)
{
        const struct pb_turnout *c = &v->close.counts;
        const char *why = NULL;
        uint64_t n = v->tree.size, sum = 0;
        int file = F_CLOSE;

        if (!v->close_ok || !v->ballots_ok || !v->cps_ok) {
                verify_report(v, "D1", "close = log", false, 0, "cannot be checked", F_CLOSE, 0, NULL);
                verify_report(v, "D2", "counts", false, 0, "cannot be checked", F_CLOSE, 0, NULL);
                return;
        }
        if (strcmp(v->close.log.origin, v->m->origin) || v->close.log.size != v->cps[v->n_cps - 1].size ||
            memcmp(v->close.log.root, v->cps[v->n_cps - 1].root, sizeof(v->close.log.root))) {
                why = "the close statement's tree is not the final checkpoint";
        } else if (v->result_ok && (!same_log(&v->result.log, &v->close.log) ||
                                    !pb_turnout_same_counts(&v->result.counts, &v->close.counts))) {
                why = "the result's tree or counts are not the close statement's";
                file = F_RESULT;
        }
        verify_report(v, "D1", "close = log", !why, 1,
                      why ? why : "close statement, final checkpoint and result name one tree",
                      why ? file : NO_FILE, 0, NULL);
        why = NULL;
        for (int i = 0; i < PB_CHANNEL_COUNT; i++) {
                sum += c->by_channel[i];
                if (c->by_channel[i] != v->by_channel[i])
                        why = "ballots by channel differ from the CVRs";
        }
        if (c->ballots != n || sum != n)
                why = "the ballot count is not the number of ballots in the log";
        else if (c->codes_spent != n)
                why = "spent codes differ from ballots";
        else if (c->codes_spent > c->codes_issued)
                why = "more codes spent than issued";
        else
                why = contest_counts(v, c);
        verify_report(v, "D2", "counts", !why, n,
                      why ? why : "ballots = leaves = CVRs = spent codes <= issued codes",
                      why ? F_CLOSE : NO_FILE, 0, NULL);
}

/* ---- F: the tally ------------------------------------------------------------------------------ */

/* F2: a seeded rule's seed is the one the manifest committed to. */
static bool check_seed(struct vctx *v)
{
        bool seeded = pb_vote_is_seeded(v->m);
        const char *why = NULL;

        if (seeded) {
                if (!v->has_seed || pb_vote_seed_check(v->m, &v->seed, NULL) < 0)
                        why = "the result's seed does not match the manifest's commitment";
        } else if (v->has_seed) {
                why = "a seed in the result, but the manifest's rule has none";
        }
        verify_report(v, "F2", "tie-break seed", !why, seeded,
                      why      ? why
                      : seeded ? "the seed matches the manifest's commitment"
                               : "no seeded draw",
                      why ? F_RESULT : NO_FILE, 0, why ? "$.tally.rule.seed" : NULL);
        return !why;
}

/* F1: the recount, its tally document and the whole result payload rebuilt, against the signed one. */
static const char *recount(struct vctx *v)
{
        struct pb_buf tally, payload;
        struct pb_doc_result doc;
        const char *why = NULL;
        pb_err r;

        pb_buf_init(&tally, 0);
        pb_buf_init(&payload, 0);
        r = pb_vote_tally(v->m, v->has_seed ? &v->seed : NULL, v->result.engine, &v->recount, &tally, NULL);
        if (r < 0) {
                verify_fatal(v, r);
                why = r == PB_ERR_UNSUPPORTED ? "this verifier cannot count the manifest's rule"
                                              : "the recount failed";
                goto out;
        }
        doc = v->result;
        doc.tally = tally.data;
        doc.tally_len = tally.len;
        r = pb_doc_result_format(&doc, &payload);
        if (r < 0) {
                verify_fatal(v, r);
                why = "out of memory";
        } else if (tally.len != v->result.tally_len || memcmp(tally.data, v->result.tally, tally.len)) {
                why = "the recount from the CVRs differs from the signed result (tallies, ties, winners or "
                      "money)";
        } else if (payload.len != v->result_env.payload_len ||
                   memcmp(payload.data, v->result_env.payload, payload.len)) {
                why = "the result document differs from the one rebuilt from the bundle";
        }
out:
        pb_buf_release(&tally);
        pb_buf_release(&payload);
        return why;
}

void verify_tally(struct vctx *v)
{
        const char *why;

        if (!v->result_ok || !v->ballots_ok) {
                verify_report(v, "F2", "tie-break seed", false, 0, "cannot be checked", F_RESULT, 0, NULL);
                verify_report(v, "F1", "re-tally", false, 0,
                              "cannot be checked: the result or the ballots failed", F_RESULT, 0, NULL);
                return;
        }
        if (!check_seed(v)) {
                verify_report(v, "F1", "re-tally", false, 0, "cannot be checked: the seed failed", F_RESULT,
                              0, NULL);
                return;
        }
        why = recount(v);
        v->tally_ok = !why;
        verify_report(v, "F1", "re-tally", !why, v->tree.size,
                      why ? why : "the recount from the CVRs gives the signed result, byte for byte",
                      why ? F_RESULT : NO_FILE, 0, NULL);
}
