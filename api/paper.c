/**
 * @file Double entry of paper ballots (api.md, "Double entry"; issue 14): in a vote whose manifest
 * has "double_entry", a paper entered over POST .../paper is cast only once two officers have
 * keyed it alike.  The first entry of a code is held here, in the server's memory, never in the
 * ballot box: the box records no voter code beside a ballot's content (ballot-box.md,
 * "Unlinkability"), and a held entry is not a ballot.  The second entry, by another officer, is
 * compared with it: alike, the paper is cast (its CVR names both officers); different, it is
 * refused (entries_differ, naming the batch or the first contest that differs) and the first
 * entry is kept.  The officer who made the first entry may key it again, which replaces it.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"

/* The canonical form two entries are compared by: per contest of @m, one line holding the CVR of
 * its ballot alone (with a zero cvr_id: only what the officer keyed), or "-" for none. */
static pb_err entry_canon(const struct pb_manifest *m, const struct pb_api_job *job, struct pb_buf *out)
{
        static const uint8_t zero[PB_CVR_ID_BYTES];
        pb_err r = PB_OK;

        for (uint32_t k = 0; k < m->n_contests && r == PB_OK; k++) {
                const struct pb_contest_ballot *p = NULL;

                for (size_t i = 0; i < job->ballots.n; i++)
                        if (job->ballots.part[i].contest == k)
                                p = &job->ballots.part[i];
                if (k)
                        r = pb_buf_addc(out, '\n');
                if (r == PB_OK)
                        r = p ? pb_vote_cvr_write(m, p, 1, PB_CHANNEL_PAPER, NULL, zero, out)
                              : pb_buf_addc(out, '-');
        }
        return r;
}

/* The first contest whose lines differ in @a and @b (entry_canon()), or -1. */
static long first_difference(const struct pb_buf *a, const struct pb_buf *b)
{
        size_t i = 0, j = 0;

        for (long k = 0; i < a->len || j < b->len; k++) {
                const char *pa = a->data + i, *pb = b->data + j;
                const char *ea = i < a->len ? memchr(pa, '\n', a->len - i) : NULL;
                const char *eb = j < b->len ? memchr(pb, '\n', b->len - j) : NULL;
                size_t la = ea ? (size_t)(ea - pa) : a->len - i, lb = eb ? (size_t)(eb - pb) : b->len - j;

                if (la != lb || memcmp(pa, pb, la) != 0)
                        return k;
                /* the last line has no '\n': i and j stop at len, so the loop ends when both are done */
                i += ea ? la + 1 : la;
                j += eb ? lb + 1 : lb;
        }
        return -1;
}

static struct pb_api_entry *find(struct pb_api_election *el, const uint8_t *code_hash)
{
        for (size_t i = 0; i < el->n_entries; i++)
                if (!memcmp(el->entries[i].code_hash, code_hash, PB_CODE_HASH_BYTES))
                        return &el->entries[i];
        return NULL;
}

static void drop(struct pb_api_election *el, struct pb_api_entry *e)
{
        pb_buf_release(&e->canon);
        *e = el->entries[--el->n_entries];
}

/* 202: the first entry is held, awaiting a second officer's. */
static void answer_held(struct pb_api_ctx *c, const struct pb_api_job *job, bool replaced)
{
        struct pb_buf b;
        struct pb_jw w;

        pb_buf_init(&b, 0);
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "batch", job->batch);
        pb_jw_kv_string(&w, "entry", replaced ? "first, replaced" : "first");
        pb_jw_kv_string(&w, "state", "awaiting_second_entry");
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0)
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, 202, &b);
        pb_buf_release(&b);
}

/* 409 entries_differ at the batch or at the first contest @k that differs. */
static void answer_differ(struct pb_api_ctx *c, const struct pb_manifest *m, long k)
{
        char path[PB_DIAG_PATH_MAX];
        struct pb_diag d;

        if (k < 0)
                snprintf(path, sizeof(path), "$.batch");
        else if (m->has_contests)
                snprintf(path, sizeof(path), "$.ballots[\"%s\"]", m->contests[k].election->id);
        else
                snprintf(path, sizeof(path), "$.ballot");
        pb_diag_clear(&d);
        pb_diag_refuse(&d, PB_REFUSAL_ENTRIES_DIFFER, path);
        pb_api_problem(c->resp, d.code, NULL, &d);
}

/* Hold @job as the first entry of its code, or replace the same officer's.  False when answered
 * with an error. */
static bool hold(struct pb_api_ctx *c, struct pb_api_entry *e, const struct pb_api_job *job,
                 struct pb_buf *canon)
{
        struct pb_api_election *el = c->el;

        if (!e) {
                if (el->n_entries >= PB_API_ENTRIES_MAX) {
                        pb_api_fail(c, PB_ERR_BUSY, NULL);
                        c->resp->retry_after = 60;
                        return false;
                }
                struct pb_api_entry *grown =
                        pb_grow(el->entries, &el->cap_entries, el->n_entries + 1, sizeof(*el->entries), 64);
                if (!grown) { /* the entries held so far stay */
                        pb_api_fail(c, PB_ERR_NOMEM, NULL);
                        return false;
                }
                el->entries = grown;
                e = &el->entries[el->n_entries++];
                memcpy(e->code_hash, job->prep.code_hash, PB_CODE_HASH_BYTES);
        } else {
                pb_buf_release(&e->canon);
        }
        snprintf(e->batch, sizeof(e->batch), "%s", job->batch);
        snprintf(e->officer, sizeof(e->officer), "%s", job->token_id);
        e->canon = *canon; /* taken over */
        pb_buf_init(canon, 0);
        return true;
}

/* Is the code of @job issued and unspent?  Read in the box under its lock. */
static pb_err code_unspent(struct pb_api_ctx *c, const struct pb_api_job *job, bool *ret)
{
        pb_err r;

        pthread_mutex_lock(&c->el->lock);
        r = pb_box_code_unspent(c->el->box, &job->prep, ret, NULL);
        pthread_mutex_unlock(&c->el->lock);
        return r;
}

/* Under entry_lock: the decision for a prepared entry with its canonical form @canon. */
static enum pb_api_entry_step decide(struct pb_api_ctx *c, const struct pb_manifest *m,
                                     struct pb_api_job *job, struct pb_buf *canon)
{
        struct pb_api_election *el = c->el;
        struct pb_api_entry *e = find(el, job->prep.code_hash);
        bool unspent = false;
        long k;
        pb_err r;

        if (e && strcmp(e->officer, job->token_id) != 0) {
                k = strcmp(e->batch, job->batch) ? -1 : first_difference(&e->canon, canon);
                if (strcmp(e->batch, job->batch) == 0 && k < 0) {
                        /* alike: cast, recorded with both officers */
                        snprintf(job->officers, sizeof(job->officers), "%s+%s", e->officer, job->token_id);
                        job->paper.officer = job->officers;
                        drop(el, e);
                        return PB_API_ENTRY_CAST;
                }
                el->entries_differed++;
                answer_differ(c, m, k);
                return PB_API_ENTRY_ANSWERED;
        }
        if (!e) {
                /* a spent or unknown code is the box's to answer (a retry of an agreed paper gets
                 * its receipt), as on a kiosk */
                r = code_unspent(c, job, &unspent);
                if (r < 0) {
                        pb_api_fail(c, r, NULL);
                        return PB_API_ENTRY_ANSWERED;
                }
                if (!unspent)
                        return PB_API_ENTRY_CAST;
        }
        if (hold(c, e, job, canon))
                answer_held(c, job, e != NULL);
        return PB_API_ENTRY_ANSWERED;
}

enum pb_api_entry_step pb_api_paper_double(struct pb_api_ctx *c, const struct pb_manifest *m,
                                           struct pb_api_job *job)
{
        enum pb_api_entry_step step;
        struct pb_buf canon;

        /* a code or ballot the checks refuse, or a preparation that failed: the writer answers */
        if (!m->double_entry || job->sub.refused || !job->prep.prepared || job->prep.status != PB_OK ||
            !job->prep.ok)
                return PB_API_ENTRY_CAST;
        pb_buf_init(&canon, 0);
        if (entry_canon(m, job, &canon) < 0) {
                pb_buf_release(&canon);
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                return PB_API_ENTRY_ANSWERED;
        }
        pthread_mutex_lock(&c->el->entry_lock);
        step = decide(c, m, job, &canon);
        pthread_mutex_unlock(&c->el->entry_lock);
        pb_buf_release(&canon);
        return step;
}

void pb_api_paper_counts(struct pb_api_election *el, uint64_t *ret_held, uint64_t *ret_differed)
{
        pthread_mutex_lock(&el->entry_lock);
        *ret_held = el->n_entries;
        *ret_differed = el->entries_differed;
        pthread_mutex_unlock(&el->entry_lock);
}

void pb_api_paper_free(struct pb_api_election *el)
{
        for (size_t i = 0; i < el->n_entries; i++)
                pb_buf_release(&el->entries[i].canon);
        pb_free(el->entries);
        el->entries = NULL;
        el->n_entries = el->cap_entries = 0;
}
