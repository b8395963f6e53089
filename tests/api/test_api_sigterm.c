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
#include <time.h>

#include "load_proc.h"

#define CLIENTS 6
#define MAX_REQ 40000
#define STOP_LIMIT_S 20

/* A request and what came of it. */
struct sent {
        char body[512];
        char commitment[65]; /* when acknowledged */
        int status;          /* 201/200 acknowledged; 0 closed without an answer; else refused */
};
static struct sent *sent;
static size_t n_sent;

static void record(const char *body, int st, const char *out)
{
        pthread_mutex_lock(&lock);
        if (n_sent < MAX_REQ) {
                struct sent *s = &sent[n_sent++];
                snprintf(s->body, sizeof(s->body), "%s", body);
                s->status = st;
                if (st == 201 || st == 200)
                        receipt_commitment(out, s->commitment); /* "" without one */
        }
        pthread_mutex_unlock(&lock);
}

static void *client(void *arg)
{
        unsigned id = (unsigned)(long)arg, k = 0;

        while (!atomic_load(&stop_clients)) {
                char body[512], out[4096];
                int st;

                if (!next_ballot(id, &k, body, sizeof(body)))
                        break;
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

int main(int argc, char **argv)
{
        int rounds = argc > 2 ? atoi(argv[2]) : 5, fail = 0;
        size_t acked = 0, lost = 0, silent = 0;
        uint64_t seed = (uint64_t)getpid();
        pid_t pid;

        if (argc < 2 || load_setup(argv[1], "sigterm") < 0 || !(sent = calloc(MAX_REQ, sizeof(*sent))))
                return 2;
        pid = start_server(true);
        if (pid < 0 || read_tokens() < 0 || issue_codes((size_t)rounds * 3000) < 0) {
                fprintf(stderr, "cannot start the demo server\n");
                return 1;
        }
        for (int r = 1; r <= rounds && !fail; r++) {
                pthread_t th[CLIENTS];
                size_t from = n_sent;

                clients_start(th, CLIENTS, client);
                load_for(&seed, 200000); /* 0.2 to 0.7 s of load */
                if (term_and_wait(pid, r) < 0)
                        fail = 1;
                clients_stop(th, CLIENTS);
                pid = start_server(true);
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
                char what[64];
                if (close_election() < 0)
                        fail = 1;
                if (term_and_wait(pid, rounds + 1) < 0)
                        fail = 1;
                pid = -1;
                snprintf(what, sizeof(what), "%d stops", rounds);
                if (!fail && box_full_check(what) < 0)
                        fail = 1;
        }
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        fprintf(stderr, "%d stops, %zu acknowledged ballots, %zu lost, %zu stored unanswered: %s\n", rounds,
                acked, lost, silent, fail ? "FAIL" : "ok");
        if (!fail && sh("rm -rf '%s' '%s.out'", dir, dir) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return fail;
}
