/**
 * @file SIGTERM of `pbvote serve` under concurrent load, as systemd stops the service (issue 17):
 * clients cast ballots over HTTP while the server is sent SIGTERM at a random moment.  Each round:
 *  - the server exits by itself with status 0 within STOP_LIMIT_S seconds (a clean stop, no crash);
 *  - after a restart, every ballot whose receipt reached a client is in the log;
 *  - a request that was sent and heard no answer (the connection closed under it) is retried with
 *    the same submission: a 201 says it was never stored.  A 200 (a replay) would be a ballot the
 *    server committed during its stop without telling its voter: queued ballots are committed AND
 *    answered before the server exits;
 * and at the end the closed box passes its full check.
 * usage: test-api-sigterm PBVOTE ROUNDS
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "http_client.h"

#define CLIENTS 6
#define MAX_REQ 40000
#define STOP_LIMIT_S 20
#define ELECTION "warszawa-rembertow-2023"

static char pbvote[4096], dir[256], admin[80], kiosk[80];
static unsigned short port;
static char (*codes)[32];
static size_t n_codes, next_code;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop_clients;

/* A request and what came of it. */
struct sent {
        char body[512];
        char commitment[65]; /* when acknowledged */
        int status;          /* 201/200 acknowledged; 0 closed without an answer; else refused */
};
static struct sent *sent;
static size_t n_sent;

static int req(const char *method, const char *path, const char *token, const char *json, char *out,
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
        return http_exchange(port, r, n, 30000, out, cap);
}

static pid_t start_server(void)
{
        char listen[32], log[400];
        pid_t pid;

        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        snprintf(log, sizeof(log), "%s.out", dir);
        pid = fork();
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
                dup2(fd, 1);
                dup2(fd, 2);
                execl(pbvote, pbvote, "serve", "--demo", "--data", dir, "--listen", listen, "--max-per-ip",
                      "1000", (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 400; i++) {
                char out[256];
                usleep(25000);
                if (req("GET", "/v1/health", NULL, NULL, out, sizeof(out)) == 200)
                        return pid;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

static void record(const char *body, int st, const char *out)
{
        const char *p = strstr(out, "\"commitment\":\"");
        const char *e = p ? strchr(p + 14, '"') : NULL;

        pthread_mutex_lock(&lock);
        if (n_sent < MAX_REQ) {
                struct sent *s = &sent[n_sent++];
                snprintf(s->body, sizeof(s->body), "%s", body);
                s->status = st;
                if ((st == 201 || st == 200) && p && e && e - (p + 14) == 64)
                        snprintf(s->commitment, sizeof(s->commitment), "%.64s", p + 14);
        }
        pthread_mutex_unlock(&lock);
}

static void *client(void *arg)
{
        unsigned id = (unsigned)(long)arg, k = 0;

        while (!atomic_load(&stop_clients)) {
                char body[512], out[4096];
                size_t c;
                int st;

                pthread_mutex_lock(&lock);
                c = next_code < n_codes ? next_code++ : n_codes;
                pthread_mutex_unlock(&lock);
                if (c == n_codes)
                        break;
                snprintf(body, sizeof(body),
                         "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"%s\",\"submission_id\":\"%08x%"
                         "024x\"}",
                         codes[c], id, k++);
                out[0] = '\0';
                st = req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, body, out, sizeof(out));
                if (st == -2) { /* refused: the server is stopping; this code was never sent */
                        usleep(20000);
                        continue;
                }
                record(body, st, out);
        }
        return NULL;
}

static int read_tokens(void)
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

static int issue_codes(size_t count)
{
        static char out[65536];

        codes = calloc(count, sizeof(*codes));
        while (codes && n_codes < count) {
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
        return codes && n_codes == count ? 0 : -1;
}

/* SIGTERM, then wait up to STOP_LIMIT_S for the server to exit: 0 if it exited with status 0. */
static int term_and_wait(pid_t pid, int round)
{
        struct timespec t0, t1;
        int status = 0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        kill(pid, SIGTERM);
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if (w == pid)
                        break;
                if (t1.tv_sec - t0.tv_sec > STOP_LIMIT_S) {
                        fprintf(stderr, "FAIL round %d: no exit %d s after SIGTERM\n", round, STOP_LIMIT_S);
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        return -1;
                }
                usleep(10000);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "FAIL round %d: after SIGTERM the server %s %d (its output: %s.out)\n", round,
                        WIFEXITED(status) ? "exited with status" : "died of signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), dir);
                return -1;
        }
        fprintf(stderr, "round %d: stopped in %ld ms\n", round,
                (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        return 0;
}

/* Requests of this round [from, n_sent): acknowledged ones are in the log; unanswered ones were
 * not stored (their retry is new, 201).  Counts into *ret_lost and *ret_silent. */
static void check_round(size_t from, size_t *ret_acked, size_t *ret_lost, size_t *ret_silent)
{
        for (size_t i = from; i < n_sent; i++) {
                char path[160], out[8192];
                int st;

                if (sent[i].commitment[0]) {
                        (*ret_acked)++;
                        snprintf(path, sizeof(path), "/v1/elections/" ELECTION "/receipts/%.64s",
                                 sent[i].commitment);
                        st = req("GET", path, NULL, NULL, out, sizeof(out));
                        if (st != 200 && (*ret_lost)++ < 5)
                                fprintf(stderr, "FAIL acknowledged ballot %s not found (%d)\n",
                                        sent[i].commitment, st);
                } else if (sent[i].status == 0 || sent[i].status == -1) {
                        st = req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, sent[i].body, out,
                                 sizeof(out));
                        if (st == 200 && (*ret_silent)++ < 5)
                                fprintf(stderr,
                                        "FAIL a ballot stored during the stop never reached its client "
                                        "(the retry of its submission is a replay)\n");
                }
        }
}

static int setup(int rounds)
{
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
                return -1;
        port = ntohs(sa.sin_port);
        close(fd);
        snprintf(dir, sizeof(dir), "%s/pbvote-sigterm-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return -1;
        sent = calloc(MAX_REQ, sizeof(*sent));
        return sent ? 0 : -1;
        (void)rounds;
}

int main(int argc, char **argv)
{
        int rounds = argc > 2 ? atoi(argv[2]) : 5, fail = 0;
        size_t acked = 0, lost = 0, silent = 0;
        uint64_t seed = (uint64_t)getpid();
        pid_t pid;

        if (argc < 2 || !realpath(argv[1], pbvote) || setup(rounds) < 0)
                return 2;
        pid = start_server();
        if (pid < 0 || read_tokens() < 0 || issue_codes((size_t)rounds * 3000) < 0) {
                fprintf(stderr, "cannot start the demo server\n");
                return 1;
        }
        for (int r = 1; r <= rounds && !fail; r++) {
                pthread_t th[CLIENTS];
                size_t from = n_sent;

                atomic_store(&stop_clients, 0);
                for (long t = 0; t < CLIENTS; t++)
                        pthread_create(&th[t], NULL, client, (void *)t);
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                usleep((useconds_t)(200000 + (seed >> 33) % 500000)); /* 0.2 to 0.7 s of load */
                if (term_and_wait(pid, r) < 0)
                        fail = 1;
                atomic_store(&stop_clients, 1);
                for (int t = 0; t < CLIENTS; t++)
                        pthread_join(th[t], NULL);
                pid = start_server();
                if (pid < 0) {
                        fprintf(stderr, "FAIL the server does not start again after SIGTERM (round %d)\n", r);
                        fail = 1;
                        break;
                }
                check_round(from, &acked, &lost, &silent);
                if (lost || silent)
                        fail = 1;
                fprintf(stderr,
                        "round %d: %zu acknowledged ballots so far, %zu lost, %zu stored unanswered\n", r,
                        acked, lost, silent);
        }
        if (!fail && acked == 0) {
                fprintf(stderr, "FAIL no ballot was acknowledged: the load never reached the server\n");
                fail = 1;
        }
        if (!fail) {
                char out[4096], cmd[8192];
                if (req("POST", "/v1/elections/" ELECTION "/close", admin, NULL, out, sizeof(out)) != 200) {
                        fprintf(stderr, "FAIL close: %s\n", out);
                        fail = 1;
                }
                if (term_and_wait(pid, rounds + 1) < 0)
                        fail = 1;
                pid = -1;
                snprintf(cmd, sizeof(cmd), "'%s' election check --db '%s/" ELECTION ".db' > /dev/null 2>&1",
                         pbvote, dir);
                if (!fail && system(cmd) != 0) {
                        fprintf(stderr, "FAIL the box's full check after %d stops\n", rounds);
                        fail = 1;
                }
        }
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        fprintf(stderr, "%d stops, %zu acknowledged ballots, %zu lost, %zu stored unanswered: %s\n", rounds,
                acked, lost, silent, fail ? "FAIL" : "ok");
        if (!fail) {
                char cmd[800];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.out'", dir, dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", dir);
        }
        return fail;
}
