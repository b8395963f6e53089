/** @file The public ballot log: receipts' inclusion proofs, the latest checkpoint, turnout counts. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "ballots/pb_docs.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"

static void finish_json(struct pb_api_ctx *c, struct pb_buf *b, struct pb_jw *w)
{
        if (pb_jw_finish(w) < 0)
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, 200, b);
}

/* Answer the inclusion proof of @commitment (and, for a short code's lookup, the commitment). */
static void reply_proof(struct pb_api_ctx *c, const uint8_t commitment[PB_CVR_HASH_BYTES], bool named)
{
        struct pb_box_proof proof;
        struct pb_buf note, b;
        struct pb_diag d;
        struct pb_jw w;
        pb_err r;

        pb_diag_clear(&d);
        pb_buf_init(&note, 0);
        pb_buf_init(&b, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_inclusion(c->el->box, commitment, &proof, &note, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0) {
                pb_api_fail(c, r, &d);
                goto out;
        }
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        if (!proof.pending)
                pb_jw_kv_string(&w, "checkpoint", note.data ? note.data : "");
        if (named) {
                pb_jw_key(&w, "commitment");
                pb_jw_hex(&w, commitment, PB_CVR_HASH_BYTES);
        }
        if (!proof.pending)
                pb_jw_kv_int(&w, "index", (int64_t)proof.index);
        pb_jw_kv_bool(&w, "pending", proof.pending);
        if (!proof.pending) {
                pb_jw_key(&w, "proof");
                pb_jw_array_begin(&w);
                for (size_t i = 0; i < proof.path_len; i++)
                        pb_jw_hex(&w, proof.path + i * PB_MERKLE_HASH_BYTES, PB_MERKLE_HASH_BYTES);
                pb_jw_array_end(&w);
                pb_jw_kv_int(&w, "size", (int64_t)proof.size);
        }
        pb_jw_object_end(&w);
        finish_json(c, &b, &w);
out:
        pb_buf_release(&note);
        pb_buf_release(&b);
}

void pb_h_receipt(struct pb_api_ctx *c)
{
        uint8_t commitment[PB_CVR_HASH_BYTES];

        /* the route pattern admits 64 lowercase hex digits only */
        if (sodium_hex2bin(commitment, sizeof(commitment), c->param[1], 64, NULL, NULL, NULL) != 0) {
                pb_api_fail(c, PB_ERR_PARSE, NULL);
                return;
        }
        reply_proof(c, commitment, false);
}

/*
 * The receipt of a short code (issue 13): the commitment it names and its proof.  Not limited:
 * a short code is 50 bits, so a guess finds one of n ballots with probability n / 2^50 (one in a
 * billion for a million ballots), and a hit shows only what the log publishes at the close (a
 * hiding commitment, its leaf, a proof), never a ballot or a voter (docs/api.md, "Receipts").
 */
void pb_h_receipt_short(struct pb_api_ctx *c)
{
        uint8_t commitment[PB_CVR_HASH_BYTES];
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_find_short(c->el->box, c->param[1], strlen(c->param[1]), commitment, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0)
                pb_api_fail(c, r, &d);
        else
                reply_proof(c, commitment, true);
}

void pb_h_checkpoint(struct pb_api_ctx *c)
{
        struct pb_buf note;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        pb_buf_init(&note, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_checkpoint(c->el->box, &note, NULL, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0) {
                pb_api_fail(c, r, &d);
        } else {
                /* a C2SP signed note is text; clients verify it as it is */
                pb_api_reply_json(c, 200, &note);
                c->resp->content_type = "text/plain; charset=utf-8";
        }
        pb_buf_release(&note);
}

/* The ballots by kiosk, gathered as canonical JSON while the turnout's transaction reads them. */
static pb_err kiosk_count(void *ctx, const char *kiosk, uint64_t ballots)
{
        struct pb_jw *w = ctx;

        pb_jw_kv_int(w, kiosk, (int64_t)ballots);
        return w->err;
}

/* The counts (never a per-project figure: nothing here tells how anyone voted), with the ballots
 * by contest of a vote of several contests, keyed by contest id (@m, the box's manifest), and by
 * kiosk (@kiosks, the object already written). */
static void write_turnout(struct pb_jw *w, const struct pb_turnout *t, const struct pb_manifest *m,
                          const struct pb_buf *kiosks, const uint64_t entries[2])
{
        pb_jw_object_begin(w);
        pb_jw_kv_int(w, "ballots", (int64_t)t->ballots);
        pb_jw_key(w, "by_channel");
        pb_docs_write_by_channel(w, t, true);
        if (t->n_contests && m->n_contests == t->n_contests) {
                pb_jw_key(w, "by_contest");
                pb_jw_object_begin(w);
                for (size_t i = 0; i < m->n_contests; i++)
                        pb_jw_kv_int(w, m->contests[m->by_id[i]].election->id,
                                     (int64_t)t->by_contest[m->by_id[i]]);
                pb_jw_object_end(w);
        }
        pb_jw_key(w, "by_kiosk");
        pb_jw_raw(w, kiosks->data, kiosks->len);
        pb_jw_kv_int(w, "codes_issued", (int64_t)t->codes_issued);
        pb_jw_kv_int(w, "codes_spent", (int64_t)t->codes_spent);
        if (m->double_entry) {
                /* papers keyed once, awaiting a second officer; second entries refused as different */
                pb_jw_key(w, "double_entry");
                pb_jw_object_begin(w);
                pb_jw_kv_int(w, "differed", (int64_t)entries[1]);
                pb_jw_kv_int(w, "held", (int64_t)entries[0]);
                pb_jw_object_end(w);
        }
        pb_jw_kv_int(w, "log_size", (int64_t)t->log_size);
        pb_jw_kv_int(w, "pending", (int64_t)t->pending);
        pb_jw_key(w, "rejected");
        pb_docs_write_rejected(w, t);
        pb_jw_kv_string(w, "state", pb_box_state_name(t->state));
        pb_jw_object_end(w);
}

void pb_h_turnout(struct pb_api_ctx *c)
{
        struct pb_turnout *t = pb_calloc(1, sizeof(*t)); /* 2 KiB of counts by contest */
        uint64_t entries[2];
        struct pb_buf b, kiosks;
        struct pb_jw w, kw;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        if (!t) {
                pb_api_fail(c, PB_ERR_NOMEM, NULL);
                return;
        }
        pb_buf_init(&b, 0);
        pb_buf_init(&kiosks, 0);
        pb_jw_init(&w, &b);
        pb_jw_init(&kw, &kiosks);
        pb_jw_object_begin(&kw);
        /* before the box's lock: paper.c takes the two locks in the other order */
        pb_api_paper_counts(c->el, &entries[0], &entries[1]);
        pthread_mutex_lock(&c->el->lock);
        /* counts and counts by kiosk from one read transaction: they reconcile */
        r = pb_box_turnout_kiosks(c->el->box, t, kiosk_count, &kw, &d);
        pb_jw_object_end(&kw);
        if (r == PB_OK)
                r = pb_jw_finish(&kw);
        /* the contests' ids are the box's manifest's, read under its lock (a few microseconds) */
        if (r == PB_OK)
                write_turnout(&w, t, pb_box_manifest(c->el->box), &kiosks, entries);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0)
                pb_api_fail(c, r, &d);
        else
                finish_json(c, &b, &w);
        pb_buf_release(&b);
        pb_buf_release(&kiosks);
        pb_free(t);
}
