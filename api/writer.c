/**
 * @file The writer thread and the replier thread.  Ballots from every connection go through one
 * bounded queue; the writer takes the run of queued ballots for the same election (up to
 * PB_BOX_BATCH_MAX) and casts them in one transaction (group commit), then hands the committed
 * batch to the replier and goes on with the next one.  The replier signs one promise for the batch
 * and answers each request; a receipt therefore exists only after COMMIT.  Its JSON is written by
 * the request's own thread (pb_api_response_complete).  A full queue is answered 503 with
 * Retry-After at once, and the writer waits when the replier is PB_API_REPLIER_DEPTH batches
 * behind, so memory stays bounded under any load.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_refusal.h"

void pb_api_job_free(struct pb_api_job *job)
{
        if (!job)
                return;
        if (job->code) {
                sodium_memzero(job->code, strlen(job->code)); /* a voter code: not left in memory */
                pb_free(job->code);
        }
        pb_box_prepared_release(&job->prep);
        pb_vote_ballots_release(&job->ballots);
        pb_free(job);
}

void pb_api_response_complete(struct pb_api_response *r)
{
        struct pb_api_receipt *k = r->receipt;
        const struct pb_promise_proof *p;
        struct pb_jw w;

        if (!k)
                return;
        r->receipt = NULL;
        p = &k->receipt.proof;
        pb_buf_reset(&r->body);
        pb_jw_init(&w, &r->body);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "receipt");
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "commitment");
        pb_jw_hex(&w, k->receipt.commitment, sizeof(k->receipt.commitment));
        pb_jw_kv_string(&w, "election", k->election);
        pb_jw_key(&w, "promise");
        pb_jw_stringn(&w, k->receipt.promise, k->receipt.promise_len);
        pb_jw_kv_int(&w, "promise_index", (int64_t)p->index);
        pb_jw_key(&w, "promise_path");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < p->path_len; i++)
                pb_jw_hex(&w, p->path[i], sizeof(p->path[i]));
        pb_jw_array_end(&w);
        pb_jw_kv_string(&w, "short_code", k->receipt.short_code);
        pb_jw_object_end(&w);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0) {
                pb_api_problem(r, PB_ERR_NOMEM, NULL, NULL);
        } else {
                /* a retried submission: the same commitment, as a plain 200 */
                r->status = k->replayed ? 200 : 201;
                r->content_type = "application/json";
        }
        pb_free(k);
}

/* COMMIT returned and the batch's promise is signed: leave the JSON to the request's thread. */
static void reply_receipt(struct pb_api_job *job, const struct pb_cast_outcome *o)
{
        struct pb_api_receipt *k = pb_calloc(1, sizeof(*k));

        if (!k) {
                pb_api_problem(job->resp, PB_ERR_NOMEM,
                               "the ballot is stored but its receipt could not be written; retry", NULL);
                job->resp->retry_after = 1;
                return;
        }
        k->receipt = o->receipt;
        k->replayed = o->replayed;
        snprintf(k->election, sizeof(k->election), "%s", job->el->id);
        pb_free(job->resp->receipt);
        job->resp->receipt = k;
}

static void reply_outcome(struct pb_api_job *job, const struct pb_cast_outcome *o)
{
        if (o->status == PB_OK) {
                reply_receipt(job, o);
                return;
        }
        /* a refusal (its reason from engine/pb_refusal.h), or PB_ERR_NOMEM: the ballot is stored
         * but its promise could not be signed, and a retry gets one */
        pb_api_problem(job->resp, o->status, NULL, &o->diag);
        if (o->status == PB_ERR_NOMEM)
                job->resp->retry_after = 1;
}

static void finish(struct pb_api *api, struct pb_api_job *job)
{
        if (job->done) {
                void (*done)(void *) = job->done;
                void *cls = job->done_cls;
                pb_api_job_free(job);
                done(cls);
                return;
        }
        pthread_mutex_lock(&api->q_lock);
        job->finished = true;
        pthread_cond_broadcast(&api->q_done);
        pthread_mutex_unlock(&api->q_lock);
}

/** A batch the writer committed (or failed to), on its way to the replier. */
struct pb_api_cast {
        struct pb_api_job **jobs; /* n; the jobs are still owned by their requests */
        struct pb_cast_outcome *outs;
        size_t n;
        pb_err r; /* the cast's result */
        struct pb_diag d;
        struct pb_receipt_signer signer; /* when r == PB_OK */
        struct pb_api_cast *next;
};

#define PB_API_REPLIER_DEPTH 2 /* committed batches waiting for the replier at most */

static void cast_free(struct pb_api_cast *c)
{
        if (!c)
                return;
        pb_free(c->jobs);
        pb_free(c->outs);
        pb_free(c);
}

/* A failed code entry: a voter code unknown or malformed. */
static bool is_failed_code(const struct pb_cast_outcome *o)
{
        const char *why = o->status != PB_OK ? o->diag.refusal : NULL;

        return why && (!strcmp(why, pb_refusal_name(PB_REFUSAL_CODE_UNKNOWN)) ||
                       !strcmp(why, pb_refusal_name(PB_REFUSAL_CODE_MALFORMED)));
}

/* A device token's cast counts for its per-kiosk limits: a voter code accepted, or a failed code
 * entry.  The 20th failure in a row locks the kiosk in the box. */
static void kiosk_outcome(struct pb_api *api, struct pb_api_job *job, const struct pb_cast_outcome *o)
{
        struct pb_api_election *el = job->el;
        bool failed = is_failed_code(o);

        if (o->status != PB_OK) /* nothing stored: the cast rate is for ballots (issue 12) */
                pb_api_kiosk_refund(api, el, job->token_id);
        if (failed)
                pb_api_kiosk_code_failed(api, el, job->token_id);
        else if (o->status == PB_OK)
                (void)pb_api_kiosk_outcome(api, el, job->token_id, false); /* a good code: never a lock */
}

/* Sign the batch's promises and answer every request of it. */
static void reply_batch(struct pb_api *api, struct pb_api_cast *c)
{
        if (c->r == PB_OK)
                pb_receipts_sign(&c->signer, c->outs, c->n);
        for (size_t i = 0; i < c->n; i++) {
                struct pb_api_job *job = c->jobs[i];
                pb_err r = c->r;
                if (r == PB_OK && job->device)
                        kiosk_outcome(api, job, &c->outs[i]);
                if (r == PB_OK && job->web && (c->outs[i].status == PB_OK || is_failed_code(&c->outs[i])))
                        pb_api_web_outcome(api, job->client, is_failed_code(&c->outs[i]));
                if (r != PB_OK && job->device) /* the whole batch failed: nothing stored */
                        pb_api_kiosk_refund(api, job->el, job->token_id);
                if (r == PB_OK) {
                        reply_outcome(job, &c->outs[i]);
                } else if (r == PB_ERR_BUSY || r == PB_ERR_STORAGE || r == PB_ERR_NOMEM) {
                        /* nothing was stored: the kiosk may retry with the same submission id */
                        struct pb_diag d;
                        pb_diag_refuse(&d, PB_REFUSAL_BUSY, NULL);
                        pb_api_problem(job->resp, d.code, NULL, &d);
                        job->resp->retry_after = 1;
                } else {
                        pb_api_problem(job->resp, r, NULL, &c->d); /* not_open, among others */
                }
                finish(api, job);
        }
}

static void *replier_main(void *cls)
{
        struct pb_api *api = cls;

        for (;;) {
                struct pb_api_cast *c;

                pthread_mutex_lock(&api->r_lock);
                while (!api->r_head && !api->r_stopping)
                        pthread_cond_wait(&api->r_wake, &api->r_lock);
                c = api->r_head;
                if (c) {
                        api->r_head = c->next;
                        if (!api->r_head)
                                api->r_tail = NULL;
                        api->r_len--;
                        pthread_cond_signal(&api->r_room);
                }
                pthread_mutex_unlock(&api->r_lock);
                if (!c)
                        break; /* stopping, and nothing is left */
                reply_batch(api, c);
                cast_free(c);
        }
        return NULL;
}

/* Cast @n jobs (the array is the writer's, reused: copied here) and pass them to the replier. */
static void run_batch(struct pb_api *api, struct pb_api_job **jobs, size_t n)
{
        struct pb_api_cast *c = pb_calloc(1, sizeof(*c));
        struct pb_submission *subs = pb_calloc(n, sizeof(*subs));
        struct pb_box_prepared **preps = pb_calloc(n, sizeof(*preps));
        struct pb_api_election *el = jobs[0]->el;

        if (!c || !subs || !preps || !(c->jobs = pb_calloc(n, sizeof(*c->jobs))) ||
            !(c->outs = pb_calloc(n, sizeof(*c->outs)))) {
                /* no memory for the batch: nothing is cast, every request hears 503 at once */
                struct pb_api_cast none = { .jobs = jobs, .n = n, .r = PB_ERR_NOMEM };
                pb_diag_clear(&none.d);
                reply_batch(api, &none);
                cast_free(c);
                pb_free(subs);
                pb_free(preps);
                return;
        }
        c->n = n;
        memcpy(c->jobs, jobs, n * sizeof(*jobs));
        pb_diag_clear(&c->d);
        for (size_t i = 0; i < n; i++) {
                subs[i] = jobs[i]->sub;
                preps[i] = &jobs[i]->prep; /* prepared on the request's thread (or again here) */
        }
        pthread_mutex_lock(&el->lock);
        c->r = pb_box_cast_prepared(el->box, subs, preps, n, c->outs, &c->d);
        if (c->r == PB_OK) {
                pb_err k = pb_box_receipt_signer(el->box, &c->signer, NULL);
                PB_ASSERT(k == PB_OK); /* the cast needed the engine key too */
        }
        /* the first cast may have made the retry key: the request threads' snapshot follows */
        (void)pb_api_snap_refresh(el);
        pthread_mutex_unlock(&el->lock);
        pb_free(subs);
        pb_free(preps);
        pthread_mutex_lock(&api->r_lock);
        while (api->r_len >= PB_API_REPLIER_DEPTH)
                pthread_cond_wait(&api->r_room, &api->r_lock);
        if (api->r_tail)
                api->r_tail->next = c;
        else
                api->r_head = c;
        api->r_tail = c;
        api->r_len++;
        pthread_cond_signal(&api->r_wake);
        pthread_mutex_unlock(&api->r_lock);
}

/*
 * Under load a short queue means the clients of the last batch are between two ballots: wait up to
 * PB_API_WRITER_LINGER_US for PB_API_WRITER_LINGER_MIN of them.  A larger batch costs less per
 * ballot, and a cast transaction of at least the log's batch_min (20 by default) does not make the
 * box empty its WAL at the next flush (docs/ballot-box.md, "Unlinkability"), which under load
 * stalled the writer for about 10 ms each time.  Idle or lightly loaded, the writer never waits.
 * Called with q_lock held.
 */
static void linger(struct pb_api *api)
{
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PB_API_WRITER_LINGER_US * 1000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        while (api->q_len < PB_API_WRITER_LINGER_MIN && !api->stopping)
                if (pthread_cond_timedwait(&api->q_wake, &api->q_lock, &until) != 0)
                        break;
}

static void *writer_main(void *cls)
{
        struct pb_api *api = cls;
        struct pb_api_job **batch = pb_calloc(PB_BOX_BATCH_MAX, sizeof(*batch));
        size_t recent[4] = { 0 }; /* sizes of the last four batches */
        struct timespec last_end = { 0, 0 };

        for (;;) {
                struct timespec t;
                size_t n = 0, sum = 0;

                pthread_mutex_lock(&api->q_lock);
                while (!api->q_len && !api->stopping)
                        pthread_cond_wait(&api->q_wake, &api->q_lock);
                if (!api->q_len) {
                        pthread_mutex_unlock(&api->q_lock);
                        break;
                }
                /* under load: the last four batches held PB_API_WRITER_LINGER_MIN ballots together,
                 * and the last one ended less than 10 ms ago (its clients are about to come back) */
                clock_gettime(CLOCK_MONOTONIC, &t);
                for (int i = 0; i < 4; i++)
                        sum += recent[i];
                if (api->q_len < PB_API_WRITER_LINGER_MIN && sum >= PB_API_WRITER_LINGER_MIN &&
                    (t.tv_sec - last_end.tv_sec) * 1000000000L + (t.tv_nsec - last_end.tv_nsec) < 10000000L)
                        linger(api);
                /* the run of jobs for the first job's election, in arrival order */
                while (api->q_len && n < PB_BOX_BATCH_MAX && batch &&
                       (n == 0 || api->queue[api->q_head]->el == batch[0]->el)) {
                        batch[n++] = api->queue[api->q_head];
                        api->q_head = (api->q_head + 1) % api->limits.writer_queue;
                        api->q_len--;
                }
                pthread_mutex_unlock(&api->q_lock);
                if (!batch) {
                        /* no memory for the batch array: answer the queue one by one */
                        struct pb_api_job *one;
                        pthread_mutex_lock(&api->q_lock);
                        one = api->queue[api->q_head];
                        api->q_head = (api->q_head + 1) % api->limits.writer_queue;
                        api->q_len--;
                        pthread_mutex_unlock(&api->q_lock);
                        run_batch(api, &one, 1);
                        continue;
                }
                run_batch(api, batch, n);
                memmove(recent + 1, recent, 3 * sizeof(recent[0]));
                recent[0] = n;
                clock_gettime(CLOCK_MONOTONIC, &last_end);
        }
        pb_free(batch);
        return NULL;
}

static void replier_join(struct pb_api *api)
{
        pthread_mutex_lock(&api->r_lock);
        api->r_stopping = true;
        pthread_cond_signal(&api->r_wake);
        pthread_mutex_unlock(&api->r_lock);
        pthread_join(api->replier, NULL); /* it answers every committed batch before it leaves */
}

static void replier_destroy(struct pb_api *api)
{
        pthread_mutex_destroy(&api->r_lock);
        pthread_cond_destroy(&api->r_wake);
        pthread_cond_destroy(&api->r_room);
}

pb_err pb_api_writer_start(struct pb_api *api)
{
        api->queue = pb_calloc(api->limits.writer_queue, sizeof(*api->queue));
        if (!api->queue)
                return PB_ERR_NOMEM;
        pthread_mutex_init(&api->q_lock, NULL);
        pthread_cond_init(&api->q_wake, NULL);
        pthread_cond_init(&api->q_done, NULL);
        pthread_mutex_init(&api->r_lock, NULL);
        pthread_cond_init(&api->r_wake, NULL);
        pthread_cond_init(&api->r_room, NULL);
        api->r_head = api->r_tail = NULL;
        api->r_len = 0;
        api->r_stopping = false;
        if (pthread_create(&api->replier, NULL, replier_main, api) != 0) {
                pthread_mutex_destroy(&api->r_lock);
                pthread_cond_destroy(&api->r_wake);
                pthread_cond_destroy(&api->r_room);
                goto fail;
        }
        if (pthread_create(&api->writer, NULL, writer_main, api) != 0) {
                replier_join(api);
                replier_destroy(api);
                goto fail;
        }
        return PB_OK;
fail:
        pthread_mutex_destroy(&api->q_lock);
        pthread_cond_destroy(&api->q_wake);
        pthread_cond_destroy(&api->q_done);
        pb_free(api->queue);
        api->queue = NULL;
        return PB_ERR_NOMEM;
}

/*
 * The locks and the queue stay until pb_api_writer_stop(): a request thread that submits after the
 * join still takes q_lock, sees `stopping` and answers 503.
 */
void pb_api_writer_join(struct pb_api *api)
{
        bool join;

        if (!api->queue)
                return;
        pthread_mutex_lock(&api->q_lock);
        api->stopping = true;
        join = !api->joined;
        api->joined = true;
        pthread_cond_signal(&api->q_wake);
        pthread_mutex_unlock(&api->q_lock);
        if (!join)
                return;
        pthread_join(api->writer, NULL); /* it casts what is queued before it leaves */
        replier_join(api);
}

void pb_api_drain(struct pb_api *api)
{
        if (api)
                pb_api_writer_join(api);
}

void pb_api_writer_stop(struct pb_api *api)
{
        if (!api->queue)
                return;
        pb_api_writer_join(api);
        replier_destroy(api);
        pthread_mutex_destroy(&api->q_lock);
        pthread_cond_destroy(&api->q_wake);
        pthread_cond_destroy(&api->q_done);
        pb_free(api->queue);
        api->queue = NULL;
}

pb_err pb_api_writer_submit(struct pb_api *api, struct pb_api_job *job)
{
        pthread_mutex_lock(&api->q_lock);
        if (api->stopping || api->q_len == api->limits.writer_queue) {
                pthread_mutex_unlock(&api->q_lock);
                return PB_ERR_BUSY;
        }
        api->queue[(api->q_head + api->q_len) % api->limits.writer_queue] = job;
        api->q_len++;
        pthread_cond_signal(&api->q_wake);
        if (!job->done)
                while (!job->finished)
                        pthread_cond_wait(&api->q_done, &api->q_lock);
        pthread_mutex_unlock(&api->q_lock);
        return PB_OK;
}
