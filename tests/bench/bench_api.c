/**
 * @file Load benchmark of the HTTP API on loopback (docs/performance.md): durable ballots per second
 * at saturation (many keep-alive clients casting as fast as they can; every 201 means COMMIT
 * returned), latency percentiles at a paced 1,000 ballots/s, and, in the same run, the raw group-commit
 * rate of the ballot box without HTTP (pb_box_cast of 1,024 ballots per transaction).
 *
 * The clients are keep-alive connections driven by one thread with epoll, as wrk does, so that the
 * load generator takes little of the two cores it shares with the server.  CLIENT_KIND "threads"
 * runs the earlier client instead: one thread per connection with blocking poll/recv (about a
 * quarter of the CPU at saturation goes to its context switches).
 *
 * CONTESTS 2 casts into a vote of two contests (a city-wide contest and a district, issue 14):
 * every code is for both and every submission carries a ballot for each, as one CVR.
 *
 * usage: bench-api [BALLOTS_AT_SATURATION] [CLIENTS] [PHASES] [CLIENT_KIND] [CONTESTS]
 *        (default 40000 64 all epoll 1); PHASES "all" or "sat" (saturation only)
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "../api/api_fixture.h"
#include "ballots/pb_box.h"
#include "formats/pb_manifest.h"

static struct fixture fx;
static char kiosk_sat[PB_TOKEN_TEXT_LEN + 1], kiosk_paced[PB_TOKEN_TEXT_LEN + 1];
static char (*codes)[32];
static size_t n_codes, next;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool two; /* a vote of two contests */

/* The fixture's projects twice: a city-wide contest and a district, every code for both. */
static const char two_fmt[] =
        "{\"batch_min\":20,\"contests\":["
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"budget\":45000000,\"id\":"
        "\"city\",\"projects\":[%s],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"},\"title\":"
        "\"City\"},"
        "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"budget\":45000000,\"id\":"
        "\"district\",\"projects\":[%s],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"lexico\"},\"title\":"
        "\"District\"}],\"currency\":\"EUR\",\"id\":\"%s\",\"scale\":2,\"title\":\"Bench\","
        "\"type\":\"pbvote.manifest/v1\"}";
static const char two_projects[] =
        "{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},{\"cost\":15000000,\"id\":\"p2\",\"name\":"
        "\"Bikes\"},{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}";

/* The body of a submission of code @code (the @k-th of a client): one ballot, or one per contest. */
static int ballot_body(char *body, size_t cap, unsigned k, const char *code, size_t c, unsigned i)
{
        if (two)
                return snprintf(
                        body, cap,
                        "{\"ballots\":{\"city\":{\"approvals\":[\"p%u\"]},\"district\":{\"approvals\":"
                        "[\"p%u\"]}},\"code\":\"%s\",\"submission_id\":\"%016zx%016x\"}",
                        1 + k % 3, 1 + (k + 1) % 3, code, c, i);
        return snprintf(
                body, cap,
                "{\"ballot\":{\"approvals\":[\"p%u\"]},\"code\":\"%s\",\"submission_id\":\"%016zx%016x\"}",
                1 + k % 3, code, c, i);
}

static double cpu_seconds(void)
{
        struct rusage u;

        getrusage(RUSAGE_SELF, &u);
        return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
               (double)u.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(const char *id, size_t count, char *kiosk)
{
        char manifest[2048], path[400];
        static char out[65536];
        struct pb_box *b = NULL;

        if (two)
                snprintf(manifest, sizeof(manifest), two_fmt, two_projects, two_projects, id);
        else
                snprintf(manifest, sizeof(manifest), fixture_manifest, id, id);
        /* the default batch (20) of the manifest: the log is appended in batches as in production */
        if (call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)) != 201)
                return -1;
        snprintf(path, sizeof(path), "%s/%s.db", fx.dir, id);
        if (pb_box_open(path, &b, NULL) < 0 ||
            pb_box_token_create(b, PB_ROLE_KIOSK, "", kiosk, NULL, NULL) < 0)
                return -1;
        pb_box_free(b);
        snprintf(path, sizeof(path), "/v1/elections/%s/open", id);
        if (call(&fx, "POST", path, fx.admin, NULL, out, sizeof(out)) != 200)
                return -1;
        codes = realloc(codes, (n_codes + count) * sizeof(*codes));
        snprintf(path, sizeof(path), "/v1/elections/%s/codes", id);
        for (size_t have = 0; have < count;) {
                size_t chunk = count - have < 1500 ? count - have : 1500;
                char body[64];
                cJSON *j;
                snprintf(body, sizeof(body),
                         two ? "{\"contests\":[\"city\",\"district\"],\"count\":%zu}" : "{\"count\":%zu}",
                         chunk);
                if (call(&fx, "POST", path, fx.admin, body, out, sizeof(out)) != 201 ||
                    !(j = cJSON_Parse(out)))
                        return -1;
                for (cJSON *c = cJSON_GetObjectItem(j, "codes")->child; c; c = c->next, have++)
                        snprintf(codes[n_codes++], sizeof(codes[0]), "%s", c->valuestring);
                cJSON_Delete(j);
        }
        return 0;
}

struct worker {
        const char *id;
        const char *kiosk;
        double interval; /* seconds between requests (0: as fast as possible) */
        double deadline;
        size_t ok, failed;
        double *lat; /* latencies, seconds */
        size_t n_lat, cap_lat;
};

static void *work(void *arg)
{
        struct worker *w = arg;
        int fd = http_connect(fx.port);
        double t_next = now();
        unsigned k = 0;

        while (fd >= 0 && now() < w->deadline) {
                char req[1024], body[512], out[4096];
                size_t c;
                int st, n;
                double t0;

                pthread_mutex_lock(&lock);
                c = next < n_codes ? next++ : n_codes;
                pthread_mutex_unlock(&lock);
                if (c == n_codes)
                        break;
                if (w->interval > 0) {
                        double wait = t_next - now();
                        if (wait > 0)
                                usleep((useconds_t)(wait * 1e6));
                        t_next += w->interval;
                }
                ballot_body(body, sizeof(body), k, codes[c], c, k);
                n = snprintf(
                        req, sizeof(req),
                        "POST /v1/elections/%s/ballots HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                        w->id, w->kiosk, strlen(body), body);
                t0 = now();
                if (http_send(fd, req, (size_t)n) < 0 ||
                    (st = http_read_response(fd, 30000, out, sizeof(out))) <= 0) {
                        close(fd);
                        fd = http_connect(fx.port);
                        w->failed++;
                        continue;
                }
                if (st == 201) {
                        w->ok++;
                        if (w->n_lat == w->cap_lat) {
                                w->cap_lat = w->cap_lat ? 2 * w->cap_lat : 4096;
                                w->lat = realloc(w->lat, w->cap_lat * sizeof(*w->lat));
                        }
                        w->lat[w->n_lat++] = now() - t0;
                } else {
                        if (!w->failed)
                                fprintf(stderr, "%s: status %d: %.200s\n", w->id, st, out);
                        w->failed++;
                }
                k++;
        }
        if (fd >= 0)
                close(fd);
        return NULL;
}

/* ---- the epoll client: every connection a small state machine, one thread ---------------------- */

struct econn {
        int fd;
        bool busy; /* a request is in flight */
        char req[1024];
        size_t req_len, sent;
        char in[8192];
        size_t in_len;
        double t0, due; /* when the request went out; when the next one may (paced) */
        unsigned k;
};

static bool econn_open(struct econn *c, int ep, size_t i)
{
        struct epoll_event ev;

        c->fd = http_connect(fx.port);
        if (c->fd < 0)
                return false;
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == 0;
}

static void econn_want_out(struct econn *c, int ep, size_t i, bool out)
{
        struct epoll_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what is left of the request; false when the connection failed. */
static bool econn_send(struct econn *c, int ep, size_t i)
{
        while (c->sent < c->req_len) {
                ssize_t n = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
                if (n < 0 && errno == EAGAIN) {
                        econn_want_out(c, ep, i, true);
                        return true;
                }
                if (n <= 0)
                        return false;
                c->sent += (size_t)n;
        }
        return true;
}

/* A complete response in c->in: its status (and c->in_len reset); 0 while incomplete. */
static int econn_response(struct econn *c)
{
        char *end;
        const char *cl;
        size_t need;
        int status;

        c->in[c->in_len] = '\0';
        end = strstr(c->in, "\r\n\r\n");
        if (!end)
                return 0;
        cl = strstr(c->in, "Content-Length: ");
        need = (size_t)(end + 4 - c->in) + (cl && cl < end ? (size_t)atol(cl + 16) : 0);
        if (c->in_len < need)
                return 0;
        status = strncmp(c->in, "HTTP/1.", 7) ? -1 : atoi(c->in + 9);
        c->in_len = 0;
        return status;
}

static void run_epoll(struct worker *w, int clients)
{
        struct econn *cs = calloc((size_t)clients, sizeof(*cs));
        struct epoll_event evs[256];
        int ep = epoll_create1(EPOLL_CLOEXEC), in_flight = 0;
        bool out_of_codes = false;

        for (int i = 0; cs && i < clients; i++) {
                cs[i].due = now() + (w->interval > 0 ? w->interval * i / clients : 0);
                if (!econn_open(&cs[i], ep, (size_t)i))
                        cs[i].fd = -1;
        }
        while (cs && now() < w->deadline && (!out_of_codes || in_flight)) {
                double t = now(), wake = t + 0.1;
                int n;

                for (int i = 0; i < clients && !out_of_codes; i++) {
                        struct econn *c = &cs[i];
                        char body[512];

                        if (c->busy || c->fd < 0)
                                continue;
                        if (c->due > t) {
                                wake = c->due < wake ? c->due : wake;
                                continue;
                        }
                        if (next >= n_codes) {
                                out_of_codes = true;
                                break;
                        }
                        ballot_body(body, sizeof(body), c->k, codes[next], next, (unsigned)i);
                        c->req_len = (size_t)snprintf(
                                c->req, sizeof(c->req),
                                "POST /v1/elections/%s/ballots HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer "
                                "%s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                w->id, w->kiosk, strlen(body), body);
                        next++;
                        c->sent = 0;
                        c->busy = true;
                        c->t0 = now();
                        c->due = w->interval > 0 ? c->due + w->interval : 0;
                        in_flight++;
                        if (!econn_send(c, ep, (size_t)i)) {
                                w->failed++;
                                c->busy = false;
                                in_flight--;
                                close(c->fd);
                                if (!econn_open(c, ep, (size_t)i))
                                        c->fd = -1;
                        }
                }
                n = epoll_wait(ep, evs, 256, (int)((wake - now()) * 1000) + 1);
                for (int e = 0; e < n; e++) {
                        size_t i = (size_t)evs[e].data.u64;
                        struct econn *c = &cs[i];
                        ssize_t got;
                        int st;

                        if (evs[e].events & EPOLLOUT) {
                                econn_want_out(c, ep, i, false);
                                if (!econn_send(c, ep, i))
                                        goto broken;
                        }
                        if (!(evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                                continue;
                        got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
                        if (got < 0 && errno == EAGAIN)
                                continue;
                        if (got <= 0 || c->in_len + (size_t)got >= sizeof(c->in) - 1)
                                goto broken;
                        c->in_len += (size_t)got;
                        st = econn_response(c);
                        if (st == 0)
                                continue;
                        c->busy = false;
                        in_flight--;
                        c->k++;
                        if (st == 201) {
                                w->ok++;
                                if (w->n_lat == w->cap_lat) {
                                        w->cap_lat = w->cap_lat ? 2 * w->cap_lat : 4096;
                                        w->lat = realloc(w->lat, w->cap_lat * sizeof(*w->lat));
                                }
                                w->lat[w->n_lat++] = now() - c->t0;
                        } else {
                                if (!w->failed)
                                        fprintf(stderr, "%s: status %d\n", w->id, st);
                                w->failed++;
                        }
                        continue;
                broken:
                        w->failed++;
                        if (c->busy)
                                in_flight--;
                        c->busy = false;
                        c->in_len = 0;
                        close(c->fd);
                        if (!econn_open(c, ep, i))
                                c->fd = -1;
                }
        }
        for (int i = 0; cs && i < clients; i++)
                if (cs[i].fd >= 0)
                        close(cs[i].fd);
        close(ep);
        free(cs);
}

static int cmp_d(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void run(const char *label, const char *id, const char *kiosk, int clients, double seconds,
                double rate, bool threads)
{
        int workers = threads ? clients : 1;
        struct worker *w = calloc((size_t)workers, sizeof(*w));
        pthread_t *th = calloc((size_t)workers, sizeof(*th));
        double t0 = now(), el, *all, cpu0 = cpu_seconds();
        size_t ok = 0, failed = 0, n = 0;

        for (int i = 0; i < workers; i++) {
                w[i].id = id;
                w[i].kiosk = kiosk;
                w[i].deadline = t0 + seconds;
                w[i].interval = rate > 0 ? clients / rate : 0;
                if (threads)
                        pthread_create(&th[i], NULL, work, &w[i]);
        }
        if (!threads)
                run_epoll(&w[0], clients);
        for (int i = 0; i < workers; i++) {
                if (threads)
                        pthread_join(th[i], NULL);
                ok += w[i].ok;
                failed += w[i].failed;
                n += w[i].n_lat;
        }
        el = now() - t0;
        cpu0 = cpu_seconds() - cpu0;
        all = malloc((n ? n : 1) * sizeof(*all));
        n = 0;
        for (int i = 0; i < workers; i++) {
                memcpy(all + n, w[i].lat, w[i].n_lat * sizeof(*all));
                n += w[i].n_lat;
                free(w[i].lat);
        }
        qsort(all, n, sizeof(*all), cmp_d);
        printf("%s: %d clients (%s), %.1f s, %zu durable ballots (%.0f/s), %zu failed; latency ms p50 %.2f "
               "p90 "
               "%.2f "
               "p99 %.2f p99.9 %.2f max %.2f\n",
               label, clients, threads ? "a thread each" : "epoll", el, ok, (double)ok / el, failed,
               n ? all[n / 2] * 1e3 : 0, n ? all[n * 9 / 10] * 1e3 : 0, n ? all[n * 99 / 100] * 1e3 : 0,
               n ? all[n * 999 / 1000] * 1e3 : 0, n ? all[n - 1] * 1e3 : 0);
        /* the CPU the whole process (server and client) spent per ballot: on a shared machine the
         * wall clock measures the neighbours too, this much less so */
        printf("%s: CPU %.2f s (user + system), %.1f us per durable ballot\n", label, cpu0,
               ok ? cpu0 * 1e6 / (double)ok : 0);
        fflush(stdout);
        free(all);
        free(w);
        free(th);
}

/* The ballot box alone: the same kind of ballots, 1,024 per transaction, no HTTP. */
struct collect {
        struct pb_code *cs;
        size_t n, cap;
};

static pb_err keep_code(void *ctx, const struct pb_code *code)
{
        struct collect *c = ctx;

        if (c->n < c->cap)
                c->cs[c->n++] = *code;
        return PB_OK;
}

static void raw_box(size_t total)
{
        char manifest[2048], path[400];
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_submission *subs = calloc(1024, sizeof(*subs));
        struct pb_cast_outcome *outs = calloc(1024, sizeof(*outs));
        struct collect col = { calloc(total, sizeof(struct pb_code)), 0, total };
        size_t ok = 0;
        uint32_t item = 0;
        double t0;

        snprintf(manifest, sizeof(manifest), fixture_manifest, "raw", "raw");
        snprintf(path, sizeof(path), "%s/raw-box.sqlite", fx.dir);
        if (!col.cs || !subs || !outs || pb_manifest_parse(manifest, strlen(manifest), &m, NULL) < 0 ||
            pb_box_create(path, m, &b, NULL) < 0 || pb_box_set_engine_key(b, &fx.engine, NULL) < 0 ||
            pb_box_election_open(b, &fx.office, NULL) < 0 ||
            pb_box_codes_issue(b, total, keep_code, &col, NULL) < 0) {
                printf("raw box: setup failed\n");
                goto out;
        }
        t0 = now();
        for (size_t i = 0; i < col.n; i += 1024) {
                size_t n = col.n - i < 1024 ? col.n - i : 1024;
                for (size_t k = 0; k < n; k++) {
                        memset(&subs[k], 0, sizeof(subs[k]));
                        subs[k].code = col.cs[i + k].text;
                        subs[k].code_len = strlen(col.cs[i + k].text);
                        subs[k].items = &item;
                        subs[k].n = 1;
                        subs[k].channel = PB_CHANNEL_ELECTRONIC;
                }
                if (pb_box_cast(b, subs, n, outs, NULL) < 0)
                        break;
                for (size_t k = 0; k < n; k++)
                        ok += outs[k].status == PB_OK;
        }
        printf("raw ballot box (no HTTP), 1,024 ballots per transaction: %zu durable ballots in %.2f s "
               "(%.0f/s)\n",
               ok, now() - t0, (double)ok / (now() - t0));
out:
        pb_box_free(b);
        pb_manifest_free(m);
        free(col.cs);
        free(subs);
        free(outs);
}

int main(int argc, char **argv)
{
        size_t total = argc > 1 ? (size_t)atol(argv[1]) : 40000;
        int clients = argc > 2 ? atoi(argv[2]) : 64;
        bool all = argc <= 3 || strcmp(argv[3], "sat") != 0;
        bool threads = argc > 4 && !strcmp(argv[4], "threads");

        two = argc > 5 && !strcmp(argv[5], "2");
        if (fixture_start(&fx, true) < 0 || setup("sat", total, kiosk_sat) < 0 ||
            (all && setup("paced", 20000, kiosk_paced) < 0)) {
                fprintf(stderr, "setup failed\n");
                return 1;
        }
        next = 0;
        n_codes = total;
        run("saturation", "sat", kiosk_sat, clients, 60.0, 0, threads);
        if (!all) {
                fixture_stop(&fx);
                return 0;
        }
        next = total;
        n_codes = total + 20000;
        run("paced 1000/s", "paced", kiosk_paced, 16, 10.0, 1000.0, threads);
        raw_box(total);
        fixture_stop(&fx);
        return 0;
}
