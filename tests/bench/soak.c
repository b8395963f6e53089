/**
 * @file Campaign 4 of docs/reliability.md, the soak: `pbvote serve` (its own process, as deployed)
 * takes ballots at a paced rate from many keep-alive connections for a long time, while auditors
 * export a tallied vote, residents look up receipts and the office reads the turnout.  Every
 * interval it prints the server's memory, open files and threads and the casts' latency
 * percentiles; at the end it closes the vote and checks the inclusion proof of every receipt it
 * was given against the final checkpoint, under the engine key.
 *
 * usage: soak PBVOTE [SECONDS] [RATE] [CONNECTIONS] [INTERVAL] [EXPORTED.pb]
 *        (default 3600 1000 64 60; without EXPORTED.pb the demo's vote of several contests is the
 *        one exported)
 *
 * Latency is measured from the moment a ballot was due, not from when it was sent (as wrk2 does),
 * so that a server that falls behind is seen as slow rather than hidden by a client that waits.
 * Exit status 0 when every acknowledged ballot's receipt checks and its proof places it in the
 * final log, the counts reconcile, and no request failed; 1 otherwise.  The flatness of memory and
 * files is reported (first full interval against the last), not judged: the figures go to
 * docs/reliability.md.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <time.h>

#include "../api/serve_proc.h"
#include "ballots/pb_receipt.h"

#define ELECTION "warszawa-rembertow-2023"
#define CAST_PATH "/v1/elections/" ELECTION "/ballots"
#define CODE_CHUNK 1500 /* codes per request: their answer fits the 64 KiB client buffer */
#define BUCKET_US 100   /* latency histogram resolution */
#define BUCKETS 100000  /* up to 10 s; slower lands in the last bucket */
#define PROOF_THREADS 2 /* connections checking inclusion proofs at the end */
#define CONN_BUF 16384

static struct serve_proc srv;
static char admin[80], kiosk[80];
static struct pb_key_public engine;
static unsigned rate = 1000, connections = 64, interval = 60;
static double seconds = 3600;
static char exported[64] = "demo-city-2026"; /* the tallied vote auditors download */

/* Voter codes: the supply thread appends (then publishes n_codes), the load thread takes. */
static char (*codes)[32];
static size_t cap_codes;
static atomic_size_t n_codes;
static size_t next_code;

/* Acknowledged ballots: their commitments, appended by the load thread only. */
static uint8_t (*acks)[PB_CVR_HASH_BYTES];
static atomic_size_t n_acks;

static atomic_int stop_load, stop_supply;
static atomic_ulong failures, refused_busy, bad_receipts, supply_failures;

struct histogram {
        uint32_t count[BUCKETS];
        uint64_t n, max_us;
};
static struct histogram window, whole;
static pthread_mutex_t hist_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hist_add(struct histogram *h, uint64_t us)
{
        size_t b = us / BUCKET_US;

        h->count[b < BUCKETS ? b : BUCKETS - 1]++;
        h->n++;
        if (us > h->max_us)
                h->max_us = us;
}

/* The @q-quantile (0..1) of @h in milliseconds (the upper edge of its bucket). */
static double hist_ms(const struct histogram *h, double q)
{
        uint64_t want = (uint64_t)((double)h->n * q), seen = 0;

        for (size_t b = 0; b < BUCKETS; b++) {
                seen += h->count[b];
                if (seen > want)
                        return (double)((b + 1) * BUCKET_US) / 1000.0;
        }
        return (double)h->max_us / 1000.0;
}

/* ---- a blocking keep-alive client, for the periodic reads and the proofs at the end ---------- */

struct kconn {
        int fd;
};

/* METHOD PATH on @c's connection (made again when the server closed it); the status, the body
 * into @out.  -1 when no answer came twice. */
static int kcall(struct kconn *c, const char *method, const char *path, const char *token, char *out,
                 size_t cap)
{
        char req[512];
        int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n%s%s%s\r\n", method, path,
                         token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");

        for (int attempt = 0; attempt < 2; attempt++) {
                int st;

                if (c->fd < 0 && (c->fd = http_connect(srv.port)) < 0)
                        continue;
                if (http_send(c->fd, req, (size_t)n) == 0 &&
                    (st = http_read_response(c->fd, 30000, out, cap)) > 0)
                        return st;
                close(c->fd);
                c->fd = -1;
        }
        return -1;
}

/* ---- setup ------------------------------------------------------------------------------------- */

static int read_tokens(void)
{
        char path[700], buf[1 << 16];
        size_t n;
        cJSON *j, *t;
        FILE *f;

        snprintf(path, sizeof(path), "%s/demo.json", srv.data);
        if (!(f = fopen(path, "r")))
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        if (!(j = cJSON_Parse(buf)))
                return -1;
        t = cJSON_GetObjectItem(j, "tokens");
        snprintf(admin, sizeof(admin), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(t, "admin")));
        snprintf(kiosk, sizeof(kiosk), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(t, "kiosk")));
        cJSON_Delete(j);
        return admin[0] && kiosk[0] ? 0 : -1;
}

/* The engine's verifier key, as a resident's page pins it: `pbvote keygen --public`. */
static int read_engine_key(void)
{
        char vkey[512];

        if (sh_line(vkey, sizeof(vkey), "'%s' keygen --public '%s/engine.key'", srv.pbvote, srv.data) < 0)
                return -1;
        return pb_key_vkey_parse(vkey, strlen(vkey), &engine, NULL) == PB_OK ? 0 : -1;
}

/* The exported vote: a pabulib file imported beside the demo (the server is stopped for it and
 * started again), else the demo's vote of several contests; closed and tallied once, then
 * downloaded every interval during the load. */
static int prepare_exported(const char *pb, const char *const *extra)
{
        char out[65536], path[700];

        if (pb) {
                serve_stop(&srv);
                snprintf(exported, sizeof(exported), "imported");
                if (sh("'%s' import '%s' --db '%s/imported.db' --key '%s/engine.key' --office-key "
                       "'%s/office.key' "
                       "--id imported >/dev/null 2>&1",
                       srv.pbvote, pb, srv.data, srv.data, srv.data) != 0 ||
                    serve_start(&srv, 0, 0, extra) < 0)
                        return -1;
        } else {
                snprintf(path, sizeof(path), "/v1/elections/%s/close", exported);
                if (http_call(srv.port, "POST", path, admin, "{}", out, sizeof(out)) != 200)
                        return -1;
        }
        snprintf(path, sizeof(path), "/v1/elections/%s/tally", exported);
        return http_call(srv.port, "POST", path, admin, "{}", out, sizeof(out)) == 200 ? 0 : -1;
}

/* ---- the code supply: keeps RATE * 5 s of codes ahead of the load ------------------------------ */

static int issue_chunk(void)
{
        static char out[1 << 17];
        char body[64];
        size_t have = atomic_load(&n_codes);
        cJSON *j;

        if (have + CODE_CHUNK > cap_codes)
                return 1; /* enough for the whole run */
        snprintf(body, sizeof(body), "{\"count\":%d}", CODE_CHUNK);
        if (http_call(srv.port, "POST", "/v1/elections/" ELECTION "/codes", admin, body, out, sizeof(out)) !=
                    201 ||
            !(j = cJSON_Parse(out)))
                return -1;
        for (cJSON *c = cJSON_GetObjectItem(j, "codes")->child; c && have < cap_codes; c = c->next)
                snprintf(codes[have++], sizeof(codes[0]), "%s", c->valuestring);
        cJSON_Delete(j);
        atomic_store(&n_codes, have);
        return 0;
}

static void *supply(void *arg)
{
        (void)arg;
        while (!atomic_load(&stop_supply)) {
                size_t have = atomic_load(&n_codes);
                int rc = 0;

                if (have - next_code < (size_t)rate * 5)
                        rc = issue_chunk();
                else
                        usleep(100000);
                if (rc < 0) {
                        atomic_fetch_add(&supply_failures, 1);
                        usleep(200000);
                }
                if (rc > 0)
                        break;
        }
        return NULL;
}

/* ---- the load: paced casts on keep-alive connections, one thread with epoll -------------------- */

struct conn {
        int fd;
        bool busy;
        double due; /* when its ballot was due */
        size_t len;
        char buf[CONN_BUF];
};

static int conn_open(struct conn *c, int ep)
{
        struct epoll_event ev = { .events = EPOLLIN };
        int one = 1;

        c->fd = http_connect(srv.port);
        c->busy = false;
        c->len = 0;
        if (c->fd < 0)
                return -1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ev.data.ptr = c;
        return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void conn_reset(struct conn *c, int ep)
{
        if (c->fd >= 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
        }
        if (c->busy)
                atomic_fetch_add(&failures, 1); /* in flight, no answer: not acknowledged */
        if (conn_open(c, ep) < 0)
                c->fd = -1;
}

/* Send the next ballot due at @due on @c; false when no code is left yet. */
static bool conn_cast(struct conn *c, double due, unsigned long serial)
{
        char body[256], req[768];
        int blen, n;

        if (next_code >= atomic_load(&n_codes))
                return false;
        blen = snprintf(
                body, sizeof(body),
                "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"%s\",\"submission_id\":\"%032lx\"}",
                codes[next_code++], serial);
        n = snprintf(req, sizeof(req),
                     "POST " CAST_PATH " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     kiosk, blen, body);
        c->busy = true;
        c->due = due;
        c->len = 0;
        if (http_send(c->fd, req, (size_t)n) < 0)
                return true; /* the read side sees the close and counts it */
        return true;
}

/* A whole response in @c->buf: its status and body; 0 while incomplete. */
static int conn_response(struct conn *c, const char **body, size_t *blen)
{
        char *end, *cl;
        size_t head, need;

        c->buf[c->len] = '\0';
        if (!(end = strstr(c->buf, "\r\n\r\n")))
                return 0;
        head = (size_t)(end + 4 - c->buf);
        cl = strstr(c->buf, "Content-Length: ");
        need = head + (cl && cl < end ? (size_t)atol(cl + 16) : 0);
        if (c->len < need)
                return 0;
        *body = c->buf + head;
        *blen = need - head;
        return atoi(c->buf + 9);
}

static void on_answer(int status, const char *body, size_t blen, double due)
{
        struct pb_receipt_info info;
        double t = now();

        pthread_mutex_lock(&hist_lock);
        hist_add(&window, (uint64_t)((t - due) * 1e6));
        hist_add(&whole, (uint64_t)((t - due) * 1e6));
        pthread_mutex_unlock(&hist_lock);
        if (status == 503) {
                atomic_fetch_add(&refused_busy, 1);
                return;
        }
        if (status != 201) {
                if (atomic_fetch_add(&failures, 1) < 5)
                        fprintf(stderr, "soak: a cast answered %d: %.*s\n", status, (int)blen, body);
                return;
        }
        if (pb_receipt_check(body, blen, &engine, ELECTION, NULL, &info, NULL) != PB_OK) {
                atomic_fetch_add(&bad_receipts, 1);
                return;
        }
        memcpy(acks[atomic_load(&n_acks)], info.commitment, PB_CVR_HASH_BYTES);
        atomic_fetch_add(&n_acks, 1);
}

/* Read what arrived on @c; a complete answer frees it for the next ballot. */
static void conn_read(struct conn *c, int ep)
{
        const char *body;
        size_t blen;
        ssize_t n = recv(c->fd, c->buf + c->len, CONN_BUF - 1 - c->len, 0);
        int st;

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0 || !c->busy) {
                conn_reset(c, ep);
                return;
        }
        c->len += (size_t)n;
        if ((st = conn_response(c, &body, &blen)) > 0) {
                on_answer(st, body, blen, c->due);
                c->busy = false;
                c->len = 0;
        } else if (c->len == CONN_BUF - 1) {
                conn_reset(c, ep);
        }
}

static void *load(void *arg)
{
        struct conn *conns = calloc(connections, sizeof(*conns));
        struct epoll_event evs[64];
        double start = now(), step = 1.0 / rate, due = start;
        unsigned long serial = 0;
        int ep = epoll_create1(EPOLL_CLOEXEC);

        (void)arg;
        for (unsigned i = 0; conns && i < connections; i++)
                if (conn_open(&conns[i], ep) < 0)
                        conns[i].fd = -1;
        while (conns && !atomic_load(&stop_load)) {
                double t = now();
                int n, wait_ms;

                /* every ballot that is due goes out on a free connection; the others wait, late */
                for (unsigned i = 0; i < connections && due <= t; i++)
                        if (conns[i].fd >= 0 && !conns[i].busy) {
                                if (!conn_cast(&conns[i], due, serial))
                                        break;
                                serial++;
                                due += step;
                        }
                wait_ms = due > t ? (int)((due - t) * 1000) : 0;
                n = epoll_wait(ep, evs, 64, wait_ms > 0 ? wait_ms : 1);
                for (int i = 0; i < n; i++)
                        conn_read(evs[i].data.ptr, ep);
                for (unsigned i = 0; i < connections; i++)
                        if (conns[i].fd < 0)
                                conn_reset(&conns[i], ep);
        }
        /* let the last answers arrive */
        for (double end = now() + 30; conns && now() < end;) {
                bool busy = false;
                int n = epoll_wait(ep, evs, 64, 100);

                for (int i = 0; i < n; i++)
                        conn_read(evs[i].data.ptr, ep);
                for (unsigned i = 0; i < connections; i++)
                        busy |= conns[i].fd >= 0 && conns[i].busy;
                if (!busy)
                        break;
        }
        for (unsigned i = 0; conns && i < connections; i++) {
                if (conns[i].busy)
                        atomic_fetch_add(&failures, 1);
                if (conns[i].fd >= 0)
                        close(conns[i].fd);
        }
        close(ep);
        free(conns);
        return NULL;
}

/* ---- the server's resources, from /proc ------------------------------------------------------- */

struct usage {
        long rss_kb, hwm_kb, threads, fds;
};

static struct usage server_usage(void)
{
        struct usage u = { -1, -1, -1, 0 };
        char path[64], line[256];
        struct dirent *e;
        FILE *f;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)srv.pid);
        if ((f = fopen(path, "r"))) {
                while (fgets(line, sizeof(line), f)) {
                        sscanf(line, "VmRSS: %ld", &u.rss_kb);
                        sscanf(line, "VmHWM: %ld", &u.hwm_kb);
                        sscanf(line, "Threads: %ld", &u.threads);
                }
                fclose(f);
        }
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)srv.pid);
        if ((d = opendir(path))) {
                while ((e = readdir(d)))
                        u.fds += e->d_name[0] != '.';
                closedir(d);
        }
        return u;
}

/* ---- the periodic readers: turnout, a receipt, an export -------------------------------------- */

static double timed_get(struct kconn *c, const char *path, const char *token, int *status)
{
        static char out[1 << 16];
        double t = now();

        *status = kcall(c, "GET", path, token, out, sizeof(out));
        return (now() - t) * 1000;
}

/* The inclusion proof of the acknowledged ballot @i checked against the engine key (@ok); the time
 * it took in ms.  Called from several threads. */
static double check_one_receipt(struct kconn *c, size_t i, bool *ok)
{
        char out[8192];
        char path[200], hex[2 * PB_CVR_HASH_BYTES + 1];
        struct pb_receipt_inclusion inc;
        double t = now();

        for (size_t k = 0; k < PB_CVR_HASH_BYTES; k++)
                snprintf(hex + 2 * k, 3, "%02x", acks[i][k]);
        snprintf(path, sizeof(path), "/v1/elections/" ELECTION "/receipts/%s", hex);
        *ok = kcall(c, "GET", path, NULL, out, sizeof(out)) == 200 &&
              pb_receipt_check_inclusion(out, strlen(out), acks[i], &engine, NULL, &inc, NULL) == PB_OK;
        return (now() - t) * 1000;
}

/* GET @path into @file, streamed (a bundle of a large vote is tens of MB); the status, -1 when the
 * connection failed. */
static int download(const char *path, const char *file)
{
        char req[512], buf[65536];
        size_t len = 0;
        int fd = http_connect(srv.port), status = -1, out = -1;
        ssize_t n;

        if (fd < 0)
                return -1;
        n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer %s\r\n\r\n",
                     path, admin);
        if (http_send(fd, req, (size_t)n) < 0)
                goto out;
        while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
                char *end;

                if (out >= 0) {
                        if (write(out, buf, (size_t)n) != n)
                                goto out;
                        continue;
                }
                len += (size_t)n;
                buf[len] = '\0';
                if (!(end = strstr(buf, "\r\n\r\n"))) {
                        if (len == sizeof(buf) - 1)
                                goto out;
                        continue;
                }
                status = atoi(buf + 9);
                if ((out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
                    write(out, end + 4, len - (size_t)(end + 4 - buf)) < 0)
                        goto out;
                len = 0;
        }
out:
        if (out >= 0)
                close(out);
        close(fd);
        return n == 0 ? status : -1;
}

/* Download the exported vote's audit bundle; the same bytes every time (the first is kept, and
 * checked by `pbvote verify` at the end). */
static double export_once(unsigned k, bool *ok)
{
        char file[700], path[160];
        double t = now();

        snprintf(path, sizeof(path), "/v1/elections/%s/export", exported);
        snprintf(file, sizeof(file), "%s/export-%s.tar", srv.data, k == 1 ? "first" : "last");
        *ok = download(path, file) == 200 &&
              (k == 1 || sh("cmp -s '%s/export-first.tar' '%s'", srv.data, file) == 0);
        return (now() - t) * 1000;
}

/* The server's usage at the first interval and at the latest, for the summary. */
static struct usage first_usage, last_usage;

static void report_interval(struct kconn *c, unsigned k, double t0, size_t *last_acks)
{
        struct usage u = server_usage();
        size_t acked = atomic_load(&n_acks);
        double turnout_ms, receipt_ms = 0, export_ms;
        bool receipt_ok = true, export_ok;
        struct histogram *h = &window;
        int st;

        turnout_ms = timed_get(c, "/v1/elections/" ELECTION "/turnout", NULL, &st);
        if (st != 200)
                atomic_fetch_add(&failures, 1);
        if (acked)
                receipt_ms = check_one_receipt(c, acked - 1 - (k * 7919u) % acked, &receipt_ok);
        export_ms = export_once(k, &export_ok);
        if (!receipt_ok || !export_ok)
                atomic_fetch_add(&failures, 1);
        if (k == 1)
                first_usage = u;
        last_usage = u;
        pthread_mutex_lock(&hist_lock);
        printf("%6.0f s %9zu ballots %7.1f/s  p50 %6.1f p99 %7.1f p99.9 %7.1f max %7.1f ms  rss %6ld KiB fds "
               "%3ld "
               "threads %2ld  turnout %5.1f receipt %5.1f%s export %6.0f ms%s\n",
               now() - t0, acked, (double)(acked - *last_acks) / interval, hist_ms(h, 0.5), hist_ms(h, 0.99),
               hist_ms(h, 0.999), (double)h->max_us / 1000, u.rss_kb, u.fds, u.threads, turnout_ms,
               receipt_ms, receipt_ok ? "" : " FAILED", export_ms, export_ok ? "" : " FAILED");
        memset(h, 0, sizeof(*h));
        pthread_mutex_unlock(&hist_lock);
        fflush(stdout);
        *last_acks = acked;
}

/* ---- the end: close, then every acknowledged ballot's proof against the final checkpoint ------ */

struct proof_job {
        size_t from, step, bad;
};

static void *check_proofs(void *arg)
{
        struct proof_job *job = arg;
        struct kconn c = { -1 };
        size_t n = atomic_load(&n_acks);

        for (size_t i = job->from; i < n; i += job->step) {
                bool ok;

                check_one_receipt(&c, i, &ok);
                if (!ok && job->bad++ < 3)
                        fprintf(stderr, "soak: FAIL the inclusion proof of acknowledged ballot %zu\n", i);
        }
        if (c.fd >= 0)
                close(c.fd);
        return NULL;
}

static size_t check_every_proof(void)
{
        pthread_t th[PROOF_THREADS];
        struct proof_job jobs[PROOF_THREADS];
        size_t bad = 0;

        for (size_t t = 0; t < PROOF_THREADS; t++) {
                jobs[t] = (struct proof_job){ t, PROOF_THREADS, 0 };
                pthread_create(&th[t], NULL, check_proofs, &jobs[t]);
        }
        for (size_t t = 0; t < PROOF_THREADS; t++) {
                pthread_join(th[t], NULL);
                bad += jobs[t].bad;
        }
        return bad;
}

/* The turnout's ballot count after the close. */
static long final_ballots(void)
{
        char out[1 << 16];
        cJSON *j;
        long n = -1;

        if (http_call(srv.port, "GET", "/v1/elections/" ELECTION "/turnout", NULL, NULL, out, sizeof(out)) ==
                    200 &&
            (j = cJSON_Parse(out))) {
                n = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "ballots"));
                cJSON_Delete(j);
        }
        return n;
}

static int finish(double t0)
{
        const struct usage *first = &first_usage, *last = &last_usage;
        char out[65536];
        size_t acked = atomic_load(&n_acks), bad;
        long stored;
        double t;

        if (http_call(srv.port, "POST", "/v1/elections/" ELECTION "/close", admin, "{}", out, sizeof(out)) !=
            200) {
                fprintf(stderr, "soak: FAIL cannot close the vote: %s\n", out);
                return 1;
        }
        stored = final_ballots();
        if (sh("'%s' verify --allow-uncertified '%s/export-first.tar' >/dev/null 2>&1", srv.pbvote,
               srv.data) != 0) {
                fprintf(stderr, "soak: FAIL the exported bundle does not verify\n");
                atomic_fetch_add(&failures, 1);
        }
        t = now();
        bad = check_every_proof();
        printf("soak: %.0f s at %u ballots/s over %u connections: %zu acknowledged, %ld stored; latency over "
               "the "
               "run p50 %.1f p99 %.1f p99.9 %.1f max %.1f ms; %lu refused busy (503), %lu failed requests, "
               "%lu bad "
               "receipts, %lu failed code requests\n",
               now() - t0, rate, connections, acked, stored, hist_ms(&whole, 0.5), hist_ms(&whole, 0.99),
               hist_ms(&whole, 0.999), (double)whole.max_us / 1000, atomic_load(&refused_busy),
               atomic_load(&failures), atomic_load(&bad_receipts), atomic_load(&supply_failures));
        printf("soak: server from the first interval to the last: rss %ld -> %ld KiB (peak %ld), open files "
               "%ld -> "
               "%ld, threads %ld -> %ld\n",
               first->rss_kb, last->rss_kb, last->hwm_kb, first->fds, last->fds, first->threads,
               last->threads);
        printf("soak: %zu inclusion proofs checked against the final checkpoint in %.0f s: %zu failed\n",
               acked, now() - t, bad);
        return bad || stored != (long)acked || atomic_load(&failures) || atomic_load(&bad_receipts) ? 1 : 0;
}

int main(int argc, char **argv)
{
        const char *extra[] = { "--demo", "--max-per-ip", "100000", "--max-connections", "1000", NULL };
        char dir[256], pbvote[4096];
        struct kconn c = { -1 };
        pthread_t load_th, supply_th;
        size_t last_acks = 0;
        double t0;
        int rc;

        if (argc < 2 || !realpath(argv[1], pbvote)) {
                fprintf(stderr,
                        "usage: soak PBVOTE [SECONDS] [RATE] [CONNECTIONS] [INTERVAL] [EXPORTED.pb]\n");
                return 2;
        }
        seconds = argc > 2 ? atof(argv[2]) : seconds;
        rate = argc > 3 ? (unsigned)atoi(argv[3]) : rate;
        connections = argc > 4 ? (unsigned)atoi(argv[4]) : connections;
        interval = argc > 5 ? (unsigned)atoi(argv[5]) : interval;
        if (seconds <= 0 || !rate || !connections || !interval)
                return 2;
        cap_codes = (size_t)(seconds * rate * 1.1) + 10 * CODE_CHUNK;
        codes = malloc(cap_codes * sizeof(*codes));
        acks = malloc(cap_codes * sizeof(*acks));
        snprintf(dir, sizeof(dir), "%s/pbvote-soak-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!codes || !acks || !mkdtemp(dir))
                return 1;
        srv.pbvote = pbvote;
        snprintf(srv.data, sizeof(srv.data), "%s/data", dir);
        if (serve_start(&srv, 0, 0, extra) < 0 || read_tokens() < 0 || read_engine_key() < 0 ||
            prepare_exported(argc > 6 ? argv[6] : NULL, extra) < 0) {
                fprintf(stderr, "soak: cannot start the demo server in %s (see %s)\n", dir, srv.out);
                return 1;
        }
        for (int i = 0; i < 4; i++)
                if (issue_chunk() < 0)
                        return 1;
        printf("soak: pbvote serve (pid %d) in %s: %.0f s at %u ballots/s over %u connections, a line every "
               "%u s\n",
               (int)srv.pid, dir, seconds, rate, connections, interval);
        t0 = now();
        pthread_create(&supply_th, NULL, supply, NULL);
        pthread_create(&load_th, NULL, load, NULL);
        for (unsigned k = 1; now() - t0 < seconds; k++) {
                double wake = t0 + (double)k * interval;
                while (now() < wake && now() - t0 < seconds)
                        usleep(100000);
                report_interval(&c, k, t0, &last_acks);
        }
        atomic_store(&stop_load, 1);
        atomic_store(&stop_supply, 1);
        pthread_join(load_th, NULL);
        pthread_join(supply_th, NULL);
        if (c.fd >= 0)
                close(c.fd);
        rc = finish(t0);
        serve_stop(&srv);
        if (rc == 0)
                sh("rm -rf '%s'", dir);
        else
                fprintf(stderr, "soak: FAIL; the data folder is kept: %s\n", dir);
        free(codes);
        free(acks);
        return rc;
}
