/** @file `pbvote serve`: run the HTTP API until SIGINT or SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libgen.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "api/pb_api.h"
#include "api/pb_http.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "pb_config.h"

struct serve_opts {
        const char *data, *db, *engine_key, *office_key, *pass_file, *listen, *access_log;
        bool demo, allow_shared;
        int64_t max_connections, max_per_ip, timeout, request_timeout, threads, queue;
        struct cli_list cors; /* --cors-origin, repeatable */
};

#define S struct serve_opts
static const struct cli_option serve_options[] = {
        CLI_PATH("data", S, data, "DIR",
                 "the elections (DIR/<id>.db), keys and admin.tokens\n(default: pbvote-data)"),
        CLI_PATH("db", S, db, "FILE", "serve FILE's folder (FILE is DIR/<id>.db)"),
        CLI_FLAG("demo", S, demo, "on first start, create the demo election in DIR\n(see pbvote demo)"),
        CLI_FLAG("allow-shared-data-dir", S, allow_shared,
                 "serve a DIR that group or others may read, write\nor enter (refused otherwise: the ballot "
                 "boxes in\nit hold the votes; DIR is created 0700)"),
        CLI_STRING("listen", S, listen, "HOST:PORT",
                   "IPv4 address and port (default 127.0.0.1:8080;\nport 0: any free port)"),
        CLI_PATH("engine-key", S, engine_key, "FILE",
                 "signs receipts, checkpoints, close statements and\nresults (default DIR/engine.key)"),
        CLI_PATH(
                "office-key", S, office_key, "FILE",
                "lets POST .../open sign the manifest (default\nDIR/office.key if present; without it, open\n"
                "elections with `pbvote election open`)"),
        CLI_PATH("passphrase-file", S, pass_file, "FILE",
                 "passphrase of the key files (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_PATH("access-log", S, access_log, "FILE|-",
                 "one line per request (method, route, status,\nbytes, time); - for stderr"),
        CLI_INT("max-connections", S, max_connections, "N", 1, 100000, "all clients together (default 512)"),
        CLI_INT("max-per-ip", S, max_per_ip, "N", 1, 100000, "per client address (default 64)"),
        CLI_INT("timeout", S, timeout, "S", 1, 3600, "idle connection timeout in seconds (default 15)"),
        CLI_INT("request-timeout", S, request_timeout, "S", 1, 3600,
                "a whole request must arrive within S seconds\n(default 10)"),
        CLI_INT("threads", S, threads, "N", 1, 64, "polling threads (default 2)"),
        CLI_INT("queue", S, queue, "N", 1, 10000000,
                "ballots waiting for the writer before 503\n(default 10000)"),
        CLI_LIST("cors-origin", S, cors, "ORIGIN",
                 "let pages of ORIGIN (https://city.example) call\nthe API from a browser (CORS); "
                 "repeatable;\nnone by default"),
        CLI_END,
};
#undef S

const struct cli_command cli_cmd_serve = {
        .name = "serve",
        .synopsis = "serve [--data DIR | --db FILE] [--demo] [--allow-shared-data-dir] [--listen HOST:PORT] "
                    "[options]",
        .about =
                "Serves the JSON HTTP API (docs/api.md) until SIGINT or SIGTERM.  Every DIR/<id>.db is an\n"
                "election (--db FILE serves FILE's folder); new elections are created there.  Put it behind\n"
                "a reverse proxy that terminates TLS; then raise --max-per-ip, since every request comes\n"
                "from the proxy.\n",
        .options = serve_options,
};

/* What the server runs with, built from the options. */
struct serve {
        struct pb_http_config hc;
        struct pb_api_config ac;
        char host[64];
        FILE *log;
        const char *data;
        char data_buf[4096], engine_buf[4200], office_buf[4200];
        struct pb_key_secret *engine, *office;
};

/* --listen HOST:PORT into s->host and s->hc.port. */
static int set_listen(struct serve *s, const char *v)
{
        const char *colon = strrchr(v, ':');
        char *end;
        unsigned long port = 0;

        if (colon && colon[1] >= '0' && colon[1] <= '9') {
                errno = 0;
                port = strtoul(colon + 1, &end, 10);
        }
        if (!colon || colon == v || (size_t)(colon - v) >= sizeof(s->host) ||
            !(colon[1] >= '0' && colon[1] <= '9') || errno || *end || port > 65535)
                return cli_usage_error(
                        &cli_cmd_serve,
                        "--listen '%s': expected HOST:PORT (an IPv4 address, a port from 0 to 65535)", v);
        memcpy(s->host, v, (size_t)(colon - v));
        s->host[colon - v] = '\0';
        s->hc.port = (uint16_t)port;
        return PB_EXIT_OK;
}

static int set_options(struct serve *s, const struct serve_opts *o)
{
        s->hc.max_connections = (unsigned)o->max_connections;
        s->hc.max_per_ip = (unsigned)o->max_per_ip;
        s->hc.timeout_s = (unsigned)o->timeout;
        s->hc.request_timeout_s = (unsigned)o->request_timeout;
        s->hc.threads = (unsigned)o->threads;
        s->ac.limits.writer_queue = (unsigned)o->queue;
        if (o->data && o->db)
                return cli_usage_error(&cli_cmd_serve, "give --data or --db, not both");
        for (size_t i = 0; i < o->cors.n; i++)
                if (!pb_api_origin_is_valid(o->cors.v[i]))
                        return cli_usage_error(&cli_cmd_serve,
                                               "--cors-origin '%s': expected http:// or https://, a host and "
                                               "an optional :port, nothing more (https://city.example)",
                                               o->cors.v[i]);
        s->ac.cors_origins = o->cors.v;
        s->ac.n_cors_origins = o->cors.n;
        if (o->listen && set_listen(s, o->listen))
                return PB_EXIT_USAGE;
        if (o->db) {
                snprintf(s->data_buf, sizeof(s->data_buf), "%s", o->db);
                s->data = dirname(s->data_buf);
        } else {
                s->data = o->data ? o->data : "pbvote-data";
        }
        if (o->access_log) {
                s->log = !strcmp(o->access_log, "-") ? stderr : fopen(o->access_log, "a");
                if (!s->log) {
                        fprintf(stderr, "pbvote serve: %s: cannot open for appending: %s\n", o->access_log,
                                strerror(errno));
                        return PB_EXIT_INPUT;
                }
        }
        return PB_EXIT_OK;
}

/*
 * File descriptors: every election keeps FD_PER_ELECTION open (its database, WAL and shared
 * memory), every connection one, every polling thread two (its epoll and its wake-up pipe), and
 * FD_RESERVE more are left for the listening socket, key and token files, exports and SQLite's
 * passing needs.  At 1024 (a common default) 63 of 400 creates once failed halfway (issue 11).
 */
#define FD_PER_ELECTION 3
#define FD_RESERVE 64

/* Raise the soft open-file limit to the hard one and say how many elections fit; 0 if none do. */
static unsigned file_budget(const struct pb_http_config *hc)
{
        unsigned long long others = (unsigned long long)hc->max_connections + 2ull * hc->threads + FD_RESERVE;
        unsigned long long n;
        struct rlimit rl;
        rlim_t before;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
                fprintf(stderr, "pbvote serve: cannot read the open-file limit (getrlimit)\n");
                return 0;
        }
        before = rl.rlim_cur;
        if (rl.rlim_cur != rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        rl.rlim_cur = before;
        }
        if (rl.rlim_cur == RLIM_INFINITY)
                n = 1000000;
        else
                n = rl.rlim_cur > others ? (rl.rlim_cur - others) / FD_PER_ELECTION : 0;
        if (n > 1000000)
                n = 1000000;
        printf("pbvote: open-file limit %llu (was %llu): room for %llu elections beside %u connections\n",
               (unsigned long long)rl.rlim_cur, (unsigned long long)before, n, hc->max_connections);
        fflush(stdout); /* a log file is fully buffered: the operator sees this at once */
        if (!n)
                fprintf(stderr,
                        "pbvote serve: the open-file limit %llu leaves no room for an election beside %u "
                        "connections: raise `ulimit -n` (hard limit) or lower --max-connections\n",
                        (unsigned long long)rl.rlim_cur, hc->max_connections);
        return (unsigned)n;
}

/*
 * The data folder holds the ballot boxes, the keys and admin.tokens: it is created 0700 when
 * missing, and one that group or others may read, write or enter is refused unless @allow_shared
 * (issue 11: boxes made 0644 in a 0755 folder let any local user read the votes of an open
 * election).  Files the server makes are 0600 (the umask), but older files or a copied folder
 * may not be: the folder's mode is what protects them.
 */
static int data_folder_check(const char *data, bool allow_shared)
{
        struct stat st;

        if (mkdir(data, 0700) < 0 && errno != EEXIST) {
                fprintf(stderr, "pbvote serve: cannot create %s: %s\n", data, strerror(errno));
                return PB_EXIT_INPUT;
        }
        if (stat(data, &st) < 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "pbvote serve: %s is not a folder\n", data);
                return PB_EXIT_INPUT;
        }
        if ((st.st_mode & 077) && !allow_shared) {
                fprintf(stderr,
                        "pbvote serve: %s is open to group or others (mode %04o), and so would be the ballot "
                        "boxes in it: chmod 700 %s, or pass --allow-shared-data-dir\n",
                        data, (unsigned)(st.st_mode & 07777), data);
                return PB_EXIT_INPUT;
        }
        return 0;
}

/* --demo: the demo election, made once (demo.json says it exists). */
static int make_demo(const struct serve *s, const struct serve_opts *o)
{
        char box[4200], json_path[4200];

        snprintf(box, sizeof(box), "%s/%s", s->data, "warszawa-rembertow-2023.db");
        snprintf(json_path, sizeof(json_path), "%s/demo.json", s->data);
        if (access(json_path, F_OK) != 0) {
                int rc = cli_demo_create(o->db ? o->db : box, json_path, sizeof(json_path));
                if (rc)
                        return rc;
                /* and a vote of several contests beside it, when the whole folder is served */
                if (!o->db && (rc = cli_demo_city_create(s->data, box, sizeof(box))))
                        return rc;
        }
        printf("pbvote: demo election: tokens and voter codes in %s\n", json_path);
        snprintf(box, sizeof(box), "%s/demo-city.json", s->data);
        if (!o->db && access(box, F_OK) == 0)
                printf("pbvote: demo vote of several contests: voter codes per district in %s\n", box);
        return PB_EXIT_OK;
}

static int load_keys(struct serve *s, const struct serve_opts *o)
{
        const char *engine = o->engine_key, *office = o->office_key;
        int rc;

        if (!engine) {
                snprintf(s->engine_buf, sizeof(s->engine_buf), "%s/engine.key", s->data);
                engine = s->engine_buf;
        }
        if (!office) {
                snprintf(s->office_buf, sizeof(s->office_buf), "%s/office.key", s->data);
                if (access(s->office_buf, F_OK) == 0)
                        office = s->office_buf;
        }
        if (access(engine, F_OK) == 0) {
                if ((rc = cli_key_load(engine, PB_KEY_ROLE_ENGINE, o->pass_file, &s->engine)))
                        return rc;
        } else {
                fprintf(stderr, "pbvote serve: no engine key (%s): elections are read-only\n", engine);
        }
        if (office && (rc = cli_key_load(office, PB_KEY_ROLE_OFFICE, o->pass_file, &s->office)))
                return rc;
        return PB_EXIT_OK;
}

static int setup(struct serve *s, const struct serve_opts *o)
{
        int rc = set_options(s, o);

        if (rc == PB_EXIT_OK)
                rc = data_folder_check(s->data, o->allow_shared);
        if (rc == PB_EXIT_OK && o->demo)
                rc = make_demo(s, o);
        return rc ? rc : load_keys(s, o);
}

/* Seconds a clean stop waits for the requests in progress, before and after the writer's queue. */
#define STOP_DRAIN_MS 10000
#define STOP_ANSWER_MS 5000

/*
 * SIGTERM (systemd's stop) or SIGINT: no new connection; the requests in progress finish; the
 * writer commits every queued ballot and answers it; those answers are sent; then the connections
 * close.  A ballot stored during the stop therefore reaches its client, and one that arrives after
 * the writer stopped is answered 503 with Retry-After (nothing stored).  Stopping the daemon while
 * the writer still held requests aborted the process (libmicrohttpd refuses to stop with suspended
 * connections) and left stored ballots unanswered (tests/api/test_api_sigterm.c).
 */
static void stop_cleanly(struct pb_api *api, struct pb_http *http)
{
        bool drained;

        (void)cli_notify("STOPPING=1\nSTATUS=stopping: committing the queued ballots");
        fprintf(stderr, "pbvote: stopping: no new connections; committing the queued ballots\n");
        pb_http_quiesce(http);
        drained = pb_http_drain(http, STOP_DRAIN_MS);
        pb_api_drain(api);
        drained = pb_http_drain(http, STOP_ANSWER_MS) && drained;
        if (!drained)
                fprintf(stderr,
                        "pbvote: stopping: requests still in progress after %d s are cut off "
                        "(none of them was a queued ballot: those were all answered)\n",
                        (STOP_DRAIN_MS + STOP_ANSWER_MS) / 1000);
        pb_http_stop(http);
        fprintf(stderr, "pbvote: stopped\n");
}

static int run(struct serve *s)
{
        struct pb_api *api = NULL;
        struct pb_http *http = NULL;
        char status[160];
        sigset_t stop_signals;
        struct pb_diag d;
        pb_err err;
        int sig;

        s->ac.data_dir = s->data;
        s->ac.engine = s->engine;
        s->ac.office = s->office;
        s->ac.max_elections = file_budget(&s->hc);
        if (!s->ac.max_elections)
                return PB_EXIT_INPUT;
        s->hc.host = s->host;
        s->hc.access_log = s->log;
        pb_diag_clear(&d);
        /*
         * SIGINT and SIGTERM are blocked before any thread starts (the writer's, libmicrohttpd's),
         * so every thread inherits the mask and the main thread alone takes them, in sigwait().  A
         * handler plus pause() lost the signal whenever the kernel gave it to another thread: the
         * main thread slept on and the server never stopped (api-notify hung under ASan).
         */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
        signal(SIGPIPE, SIG_IGN);
        err = pb_api_new(&s->ac, &api, &d);
        if (err == PB_OK)
                err = pb_http_start(api, &s->hc, &http, &d);
        if (err < 0) {
                cli_report(s->data, &d);
                pb_api_free(api);
                return cli_exit_for(err);
        }
        /* the address a person opens: the voting pages; the API is under /v1/ */
        printf("pbvote: serving http://%s:%u/ (the voting pages; the API under /v1/; Ctrl-C to stop)\n",
               s->host, (unsigned)pb_http_port(http));
        fflush(stdout);
        snprintf(status, sizeof(status), "READY=1\nSTATUS=serving http://%s:%u/", s->host,
                 (unsigned)pb_http_port(http));
        if (cli_notify(status) < 0)
                fprintf(stderr, "pbvote: cannot tell the service manager that the server is ready "
                                "(NOTIFY_SOCKET)\n");
        while (sigwait(&stop_signals, &sig) != 0)
                ;
        stop_cleanly(api, http);
        pb_api_free(api);
        return PB_EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
        struct serve_opts o;
        struct cli_args args;
        struct serve s;
        int rc;

        umask(077); /* every file the server makes: boxes, admin.tokens, the demo, the access log */
        memset(&s, 0, sizeof(s));
        memset(&o, 0, sizeof(o));
        pb_http_config_default(&s.hc);
        pb_api_limits_default(&s.ac.limits);
        s.ac.version = "pbvote " PBVOTE_VERSION;
        snprintf(s.host, sizeof(s.host), "127.0.0.1");
        /* the defaults are the API's: an option not given keeps them */
        o.max_connections = s.hc.max_connections;
        o.max_per_ip = s.hc.max_per_ip;
        o.timeout = s.hc.timeout_s;
        o.request_timeout = s.hc.request_timeout_s;
        o.threads = s.hc.threads;
        o.queue = s.ac.limits.writer_queue;
        rc = cli_parse(&cli_cmd_serve, argc, argv, &o, &args);
        if (rc != CLI_PARSED) {
                cli_list_release(&o.cors); /* half-read */
                return rc;
        }
        rc = setup(&s, &o);
        if (rc == PB_EXIT_OK)
                rc = run(&s);
        cli_key_free(s.engine);
        cli_key_free(s.office);
        cli_list_release(&o.cors);
        if (s.log && s.log != stderr)
                fclose(s.log);
        return rc;
}
