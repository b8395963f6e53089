/**
 * @file `pbvote serve --demo` as its own process under concurrent casting kiosks, for the tests that
 * stop it under load (test_api_kill9.c: kill -9; test_api_sigterm.c: SIGTERM): the server on a free
 * port in a fresh data folder, its demo tokens, codes issued over HTTP, the kiosks' requests, and
 * the close and full check at the end.  One test program, one server: the state is the file's.
 *
 * A test may define, before it includes this file:
 *  - LOAD_TIMEOUT_MS: how long a request may take (default 30,000 ms);
 *  - LOAD_START_TRIES: how many times, 25 ms apart, a start asks /v1/health (default 400).
 */
#ifndef PB_TEST_LOAD_PROC_H
#define PB_TEST_LOAD_PROC_H

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "serve_proc.h"

#ifndef LOAD_TIMEOUT_MS
#define LOAD_TIMEOUT_MS 30000
#endif
#ifndef LOAD_START_TRIES
#define LOAD_START_TRIES 400
#endif
#define ELECTION "warszawa-rembertow-2023"

static char pbvote[PATH_MAX], dir[256], admin[80], kiosk[80];
static unsigned short port;
static char (*codes)[32]; /* the codes issued; the clients take them from next_code on */
static size_t n_codes, next_code;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop_clients; /* read by the client threads */

/*
 * The binary @arg (made absolute), a free port and a new data folder $TMPDIR/pbvote-@name-XXXXXX
 * (/tmp without TMPDIR).  0, or -1 when one of them cannot be had.
 */
static inline int load_setup(const char *arg, const char *name)
{
        if (!realpath(arg, pbvote) || !(port = serve_free_port()))
                return -1;
        snprintf(dir, sizeof(dir), "%s/pbvote-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
        return mkdtemp(dir) ? 0 : -1;
}

/* One request on a new connection, with the bearer @token and the JSON body @json when not NULL:
 * the status (http_exchange's), the body into @out. */
static inline int req(const char *method, const char *path, const char *token, const char *json, char *out,
                      size_t cap)
{
        char r[2048];
        size_t n = (size_t)snprintf(r, sizeof(r), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n",
                                    method, path);

        if (token)
                n += (size_t)snprintf(r + n, sizeof(r) - n, "Authorization: Bearer %s\r\n", token);
        if (json)
                n += (size_t)snprintf(r + n, sizeof(r) - n,
                                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                      strlen(json), json);
        else
                n += (size_t)snprintf(r + n, sizeof(r) - n, "\r\n");
        return http_exchange(port, r, n, LOAD_TIMEOUT_MS, out, cap);
}

/*
 * Start `pbvote serve --demo` on the data folder, its output appended to DIR.out when @log, else
 * thrown away.  Its pid once /v1/health answers; -1 (the server killed) when it never does.
 */
static inline pid_t start_server(bool log)
{
        char listen[32], out_file[400];
        pid_t pid;

        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        snprintf(out_file, sizeof(out_file), "%s.out", dir);
        pid = fork();
        if (pid == 0) {
                int fd = log ? open(out_file, O_WRONLY | O_CREAT | O_APPEND, 0600)
                             : open("/dev/null", O_WRONLY);
                dup2(fd, 1);
                dup2(fd, 2);
                execl(pbvote, pbvote, "serve", "--demo", "--data", dir, "--listen", listen, "--max-per-ip",
                      "1000", (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < LOAD_START_TRIES; i++) {
                char out[256];
                usleep(25000);
                if (req("GET", "/v1/health", NULL, NULL, out, sizeof(out)) == 200)
                        return pid;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

/* The demo's admin and kiosk tokens, from DIR/demo.json.  0, or -1. */
static inline int read_tokens(void)
{
        char path[400], buf[1 << 16];
        FILE *f;
        size_t n;
        cJSON *j;

        snprintf(path, sizeof(path), "%s/demo.json", dir);
        f = fopen(path, "r");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        j = cJSON_Parse(buf);
        if (!j)
                return -1;
        snprintf(admin, sizeof(admin), "%s",
                 cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tokens"), "admin")->valuestring);
        snprintf(kiosk, sizeof(kiosk), "%s",
                 cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tokens"), "kiosk")->valuestring);
        cJSON_Delete(j);
        return 0;
}

/* Issue @more codes (the clients are stopped: the array may move).  0, or -1. */
static inline int issue_codes(size_t more)
{
        static char out[65536];
        size_t count = n_codes + more;
        char(*grown)[32] = realloc(codes, count * sizeof(*codes));

        if (!grown)
                return -1;
        codes = grown;
        while (n_codes < count) {
                /* in chunks that fit the test client's 64 KiB response buffer */
                size_t chunk = count - n_codes < 1500 ? count - n_codes : 1500;
                char body[64];
                cJSON *j;

                snprintf(body, sizeof(body), "{\"count\":%zu}", chunk);
                if (req("POST", "/v1/elections/" ELECTION "/codes", admin, body, out, sizeof(out)) != 201 ||
                    !(j = cJSON_Parse(out)))
                        return -1;
                for (cJSON *c = cJSON_GetObjectItem(j, "codes")->child; c && n_codes < count; c = c->next)
                        snprintf(codes[n_codes++], sizeof(codes[0]), "%s", c->valuestring);
                cJSON_Delete(j);
        }
        return n_codes == count ? 0 : -1;
}

/*
 * The @k-th request of client @id (@k counts up): a ballot for project 1639 with the next unused
 * code and a submission id of the client's own, into @body.  False when every code is used.
 */
static inline bool next_ballot(unsigned id, unsigned *k, char *body, size_t cap)
{
        size_t c;

        pthread_mutex_lock(&lock);
        c = next_code < n_codes ? next_code++ : n_codes;
        pthread_mutex_unlock(&lock);
        if (c == n_codes)
                return false;
        snprintf(body, cap,
                 "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"%s\",\"submission_id\":\"%08x%024x\"}",
                 codes[c], id, (*k)++);
        return true;
}

/* The commitment of the receipt in the answer @out into @commitment (64 hex digits): false when
 * there is none. */
static inline bool receipt_commitment(const char *out, char commitment[65])
{
        const char *p = strstr(out, "\"commitment\":\"");
        const char *e = p ? strchr(p + 14, '"') : NULL;

        if (!p || !e || e - (p + 14) != 64)
                return false;
        snprintf(commitment, 65, "%.64s", p + 14);
        return true;
}

/* Start @n kiosks, each a thread running @client with its number as argument. */
static inline void clients_start(pthread_t *th, int n, void *(*client)(void *))
{
        atomic_store(&stop_clients, 0);
        for (long t = 0; t < n; t++)
                pthread_create(&th[t], NULL, client, (void *)t);
}

/* Tell the @n kiosks to stop and wait for them. */
static inline void clients_stop(pthread_t *th, int n)
{
        atomic_store(&stop_clients, 1);
        for (int t = 0; t < n; t++)
                pthread_join(th[t], NULL);
}

/* Let the load run for @min_us plus up to half a second, drawn from @seed (which moves on). */
static inline void load_for(uint64_t *seed, unsigned min_us)
{
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        usleep((useconds_t)(min_us + (*seed >> 33) % 500000));
}

/* Close the election over HTTP: 0, or -1 (said on stderr). */
static inline int close_election(void)
{
        char out[4096];

        if (req("POST", "/v1/elections/" ELECTION "/close", admin, NULL, out, sizeof(out)) == 200)
                return 0;
        fprintf(stderr, "FAIL close: %s\n", out);
        return -1;
}

/* The box's full check (`pbvote election check`, the server stopped): CVRs recommit, leaves, tree
 * and checkpoints agree.  0, or -1 (said on stderr, after @what). */
static inline int box_full_check(const char *what)
{
        if (sh("'%s' election check --db '%s/" ELECTION ".db' > /dev/null 2>&1", pbvote, dir) == 0)
                return 0;
        fprintf(stderr, "FAIL the box's full check after %s\n", what);
        return -1;
}

#endif
