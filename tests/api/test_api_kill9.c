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
/* a request may take 20 s; a start, 5 s to answer /v1/health */
#define LOAD_TIMEOUT_MS 20000
#define LOAD_START_TRIES 200
#include "load_proc.h"

#define CLIENTS 6
/* Up to this many acknowledged ballots, every round checks them all (as the suite's 10 rounds do). */
#define FULL_EVERY_ROUND 5000
/* Beyond it, a round checks its new ones and this many of the older ones. */
#define OLD_SAMPLE 500
#define CODES_PER_ROUND 2500

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

static void *client(void *arg)
{
        unsigned id = (unsigned)(long)arg, k = 0;

        while (!atomic_load(&stop_clients)) {
                char body[256], out[4096], commitment[65];
                int st;

                if (!next_ballot(id, &k, body, sizeof(body)))
                        break;
                st = req("POST", "/v1/elections/" ELECTION "/ballots", kiosk, body, out, sizeof(out));
                if (st != 201 && st != 200)
                        continue; /* killed mid-request: not acknowledged, nothing promised */
                if (!receipt_commitment(out, commitment))
                        continue;
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

        if (argc < 2 || load_setup(argv[1], "kill9") < 0)
                return 2;
        t_start = now();
        pid = start_server(false);
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

                clients_start(th, CLIENTS, client);
                load_for(&seed, 100000); /* 0.1 to 0.6 s of load */
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                clients_stop(th, CLIENTS);
                t_kill = now();
                pid = start_server(false);
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
                char what[64];
                /* close, then the box's full check */
                if (close_election() < 0)
                        fail = 1;
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                pid = -1;
                snprintf(what, sizeof(what), "%d kills", rounds);
                if (box_full_check(what) < 0)
                        fail = 1;
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
        if (!fail && sh("rm -rf '%s'", dir) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return fail;
}
