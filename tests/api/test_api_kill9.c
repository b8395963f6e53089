/**
 * @file kill -9 of `pbvote serve` under concurrent load, repeatedly: clients cast ballots over
 * HTTP while the server is killed at a random moment; after each restart every ballot whose receipt
 * reached a client must be found in the log (its receipt's inclusion proof, or pending), a retry
 * of its submission must give a receipt of the same commitment, and at the end the closed box passes its full check.
 * usage: test-api-kill9 PBVOTE ROUNDS
 *
 * The same program is the 1,000-kill campaign (docs/reliability.md, campaign 3): codes are issued
 * 2,500 before each round rather than all at the start, the acknowledged ballots are kept in a
 * growing array, and once there are more than FULL_EVERY_ROUND of them a round checks its new ones
 * and a rotating sample of the older ones (every one of them is checked again after the last kill),
 * so that 1,000 rounds cost time linear in the rounds.
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "http_client.h"

#define CLIENTS 6
/* Up to this many acknowledged ballots, every round checks them all (as the suite's 10 rounds do). */
#define FULL_EVERY_ROUND 5000
/* Beyond it, a round checks its new ones and this many of the older ones. */
#define OLD_SAMPLE 500
#define CODES_PER_ROUND 2500
#define ELECTION "warszawa-rembertow-2023"

static char pbvote[4096], dir[256], admin[80], kiosk[80];
static unsigned short port;
static char (*codes)[32];
static size_t n_codes, next_code;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop_clients; /* read by the client threads */

struct ack {
        char commitment[65]; /* the receipt's commitment, to compare with a retry's */
        char body[256];      /* the request, to retry it */
};
static struct ack *acks;
static size_t n_acks, cap_acks, n_replayed;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
        return http_exchange(port, r, n, 20000, out, cap);
}

static pid_t start_server(void)
{
        char listen[32];
        pid_t pid;

        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execl(pbvote, pbvote, "serve", "--demo", "--data", dir, "--listen", listen, "--max-per-ip",
                      "1000", (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                char out[256];
                usleep(25000);
                if (req("GET", "/v1/health", NULL, NULL, out, sizeof(out)) == 200)
                        return pid;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

static void *client(void *arg)
{
        unsigned id = (unsigned)(long)arg, k = 0;

        while (!atomic_load(&stop_clients)) {
                char body[256], out[4096], commitment[65];
                const char *p, *e;
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
                st = req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, body, out, sizeof(out));
                if (st != 201 && st != 200)
                        continue; /* killed mid-request: not acknowledged, nothing promised */
                p = strstr(out, "\"commitment\":\"");
                e = p ? strchr(p + 14, '"') : NULL;
                if (!p || !e || e - (p + 14) != 64)
                        continue;
                memcpy(commitment, p + 14, 64);
                commitment[64] = '\0';
                pthread_mutex_lock(&lock);
                if (n_acks == cap_acks) {
                        size_t cap = cap_acks ? 2 * cap_acks : 4096;
                        struct ack *grown = realloc(acks, cap * sizeof(*acks));
                        if (!grown) {
                                fprintf(stderr, "FAIL out of memory for the acknowledged ballots\n");
                                exit(1);
                        }
                        acks = grown;
                        cap_acks = cap;
                }
                snprintf(acks[n_acks].commitment, 65, "%s", commitment);
                snprintf(acks[n_acks].body, sizeof(acks[0].body), "%s", body);
                n_acks++;
                pthread_mutex_unlock(&lock);
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

/* Issue @more codes (the clients are stopped: the array may move). */
static int issue_codes(size_t more)
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

/* Does a receipt body carry @commitment? */
static bool has_commitment(const char *body, const char *commitment)
{
        cJSON *j = cJSON_Parse(body);
        const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "receipt"), "commitment");
        bool same = cJSON_IsString(c) && !strcmp(c->valuestring, commitment);

        cJSON_Delete(j);
        return same;
}

/* Should acknowledged ballot @i be checked in this round?  All of them while they are few or
 * when @all; else the ones acknowledged since the last check and a sample of the older ones that
 * moves with the round. */
static bool to_check(size_t i, size_t checked, bool all, unsigned round)
{
        size_t stride = checked / OLD_SAMPLE + 1;

        return all || n_acks <= FULL_EVERY_ROUND || i >= checked || (i + round) % stride == 0;
}

/* Every acknowledged ballot is in the box; a retry of its submission gives the same receipt. */
static int check_acks(size_t *ret_lost, bool all, unsigned round)
{
        static size_t checked; /* the acknowledged ballots checked after an earlier kill */
        size_t lost = 0;

        for (size_t i = 0; i < n_acks; i++) {
                char path[160], out[8192], again[8192];
                int st;

                if (!to_check(i, checked, all, round))
                        continue;
                snprintf(path, sizeof(path), "/v1/elections/" ELECTION "/receipts/%.64s", acks[i].commitment);
                st = req("GET", path, NULL, NULL, out, sizeof(out));
                if (st != 200) {
                        if (lost++ < 5)
                                fprintf(stderr, "FAIL acknowledged ballot %s not found (%d)\n",
                                        acks[i].commitment, st);
                        continue;
                }
                if (i % 7 == 0) {
                        st = req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, acks[i].body, out,
                                 sizeof(out));
                        /* the same commitment (its promise is its own: the batch it came with is
                         * not kept), and the same bytes as any other retry */
                        n_replayed++;
                        if (st != 200 || !has_commitment(out, acks[i].commitment) ||
                            req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, acks[i].body, again,
                                sizeof(again)) != 200 ||
                            strcmp(out, again)) {
                                if (lost++ < 5)
                                        fprintf(stderr, "FAIL retry of an acknowledged submission: %d\n", st);
                        }
                }
        }
        checked = n_acks;
        *ret_lost = lost;
        return lost ? -1 : 0;
}

int main(int argc, char **argv)
{
        int rounds = argc > 2 ? atoi(argv[2]) : 8, fail = 0;
        pid_t pid;
        size_t lost = 0;
        uint64_t seed = (uint64_t)getpid();
        int restarts = 0;
        double restart_sum = 0, restart_max = 0, t_start;

        if (argc < 2 || !realpath(argv[1], pbvote))
                return 2;
        {
                /* a free port: bind to 0, read it, let it go */
                struct sockaddr_in sa;
                socklen_t sl = sizeof(sa);
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                memset(&sa, 0, sizeof(sa));
                sa.sin_family = AF_INET;
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
                        return 1;
                port = ntohs(sa.sin_port);
                close(fd);
        }
        snprintf(dir, sizeof(dir), "%s/pbvote-kill9-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        t_start = now();
        pid = start_server();
        if (pid < 0 || read_tokens() < 0) {
                fprintf(stderr, "cannot start the demo server\n");
                return 1;
        }
        for (int r = 0; r < rounds && !fail; r++) {
                pthread_t th[CLIENTS];
                double t_kill;

                if (n_codes - next_code < CODES_PER_ROUND && issue_codes(CODES_PER_ROUND) < 0) {
                        fprintf(stderr, "FAIL cannot issue codes (round %d)\n", r + 1);
                        fail = 1;
                        break;
                }

                atomic_store(&stop_clients, 0);
                for (long t = 0; t < CLIENTS; t++)
                        pthread_create(&th[t], NULL, client, (void *)t);
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                usleep((useconds_t)(100000 + (seed >> 33) % 500000)); /* 0.1 to 0.6 s of load */
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                atomic_store(&stop_clients, 1);
                for (int t = 0; t < CLIENTS; t++)
                        pthread_join(th[t], NULL);
                t_kill = now();
                pid = start_server();
                if (pid >= 0) {
                        double t = now() - t_kill;
                        restarts++;
                        restart_sum += t;
                        restart_max = t > restart_max ? t : restart_max;
                }
                if (pid < 0) {
                        fprintf(stderr, "FAIL the server does not come back after kill -9 (round %d)\n",
                                r + 1);
                        fail = 1;
                        break;
                }
                if (check_acks(&lost, false, (unsigned)r) < 0)
                        fail = 1;
                fprintf(stderr, "round %d: %zu acknowledged ballots so far, %zu lost\n", r + 1, n_acks, lost);
        }
        if (!fail && n_acks > FULL_EVERY_ROUND && check_acks(&lost, true, 0) < 0)
                fail = 1; /* the rounds checked samples of the older ones: now every one */
        if (!fail) {
                char out[4096], cmd[8192];
                /* close, then the box's full check: CVRs recommit, leaves, tree and checkpoints agree */
                if (req("POST", "/v1/elections/" ELECTION "/close", admin, NULL, out, sizeof(out)) != 200) {
                        fprintf(stderr, "FAIL close: %s\n", out);
                        fail = 1;
                }
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                pid = -1;
                snprintf(cmd, sizeof(cmd), "'%s' election check --db '%s/" ELECTION ".db' > /dev/null 2>&1",
                         pbvote, dir);
                if (system(cmd) != 0) {
                        fprintf(stderr, "FAIL the box's full check after %d kills\n", rounds);
                        fail = 1;
                }
        }
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        fprintf(stderr,
                "%d kills, %zu acknowledged ballots, %zu lost, %zu replayed submissions; %d restarts "
                "(%.2f s mean, %.2f s max to answer /v1/health); %.0f s in all: %s\n",
                rounds, n_acks, lost, n_replayed, restarts, restarts ? restart_sum / restarts : 0.0,
                restart_max, now() - t_start, fail ? "FAIL" : "ok");
        {
                char cmd[400];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                if (!fail && system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", dir);
        }
        return fail;
}
