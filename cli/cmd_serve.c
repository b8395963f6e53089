/** @file `pbvote serve`: run the HTTP API until SIGINT or SIGTERM. */
#include <errno.h>
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

static const char usage_text[] =
        "usage: pbvote serve [--data DIR | --db FILE] [--demo] [--allow-shared-data-dir] [--listen "
        "HOST:PORT]\n"
        "                    [--engine-key FILE] [--office-key FILE] [--passphrase-file FILE]\n"
        "                    [--access-log FILE|-] [--max-connections N] [--max-per-ip N]\n"
        "                    [--timeout S] [--request-timeout S] [--threads N] [--queue N]\n"
        "\n"
        "Serve the JSON HTTP API (docs/api.md) until SIGINT or SIGTERM.  Every DIR/<id>.db is an election\n"
        "(--db FILE serves FILE's folder); new elections are created there.  Put it behind a reverse\n"
        "proxy that terminates TLS; then raise --max-per-ip, since every request comes from the proxy.\n"
        "\n"
        "  --data DIR            the elections, keys and admin.tokens (default: pbvote-data)\n"
        "  --demo                on first start, create the demo election in DIR (see pbvote demo)\n"
        "  --allow-shared-data-dir  serve a DIR that group or others may read, write or enter (refused\n"
        "                        otherwise: the ballot boxes in it hold the votes; DIR is created 0700)\n"
        "  --engine-key FILE     signs receipts, checkpoints, close statements, results (default "
        "DIR/engine.key)\n"
        "  --office-key FILE     lets POST .../open sign the manifest (default DIR/office.key if present;\n"
        "                        without it, open elections with `pbvote election open`)\n"
        "  --passphrase-file F   passphrase of the key files (else PBVOTE_PASSPHRASE or the terminal)\n"
        "  --listen HOST:PORT    IPv4 address and port (default 127.0.0.1:8080; port 0: any free port)\n"
        "  --access-log FILE     one line per request (method, route, status, bytes, time); - for stderr\n"
        "  --max-connections N   all clients together (default 512)\n"
        "  --max-per-ip N        per client address (default 64)\n"
        "  --timeout S           idle connection timeout in seconds (default 15)\n"
        "  --request-timeout S   a whole request must arrive within S seconds (default 10)\n"
        "  --threads N           polling threads (default 2)\n"
        "  --queue N             ballots waiting for the writer before 503 (default 10000)\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
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
                fprintf(stderr, "pbvote serve: cannot create %s\n", data);
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

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || !*s || *s == '-' || v > max)
                return -1;
        *ret = v;
        return 0;
}

int cmd_serve(int argc, char **argv)
{
        struct pb_http_config hc;
        struct pb_api_config ac;
        struct pb_api *api = NULL;
        struct pb_http *http = NULL;
        struct pb_diag d;
        char host[64] = "127.0.0.1";
        FILE *log = NULL;
        const char *data = NULL, *db = NULL, *engine_path = NULL, *office_path = NULL, *pass_file = NULL;
        char data_buf[4096], path_buf[4200], office_buf[4200];
        struct pb_key_secret *engine = NULL, *office = NULL;
        bool demo = false, allow_shared = false;
        unsigned long v;
        int rc = PB_EXIT_OK;
        pb_err err;

        umask(077); /* every file the server makes: boxes, admin.tokens, the demo, the access log */
        pb_http_config_default(&hc);
        memset(&ac, 0, sizeof(ac));
        pb_api_limits_default(&ac.limits);
        ac.version = "pbvote " PBVOTE_VERSION;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        fputs(usage_text, stdout);
                        return PB_EXIT_OK;
                }
                if (!strcmp(a, "--demo")) {
                        demo = true;
                        continue;
                }
                if (!strcmp(a, "--allow-shared-data-dir")) {
                        allow_shared = true;
                        continue;
                }
                if (!val) {
                        fprintf(stderr, "pbvote serve: %s: unknown option or missing value\n%s", a,
                                usage_text);
                        return PB_EXIT_USAGE;
                }
                i++;
                if (!strcmp(a, "--listen")) {
                        const char *colon = strrchr(val, ':');
                        if (!colon || (size_t)(colon - val) >= sizeof(host) ||
                            parse_uint(colon + 1, 65535, &v) < 0) {
                                fprintf(stderr, "pbvote serve: --listen %s: expected HOST:PORT\n", val);
                                return PB_EXIT_USAGE;
                        }
                        memcpy(host, val, (size_t)(colon - val));
                        host[colon - val] = '\0';
                        hc.port = (uint16_t)v;
                } else if (!strcmp(a, "--access-log")) {
                        log = !strcmp(val, "-") ? stderr : fopen(val, "a");
                        if (!log) {
                                fprintf(stderr, "pbvote serve: cannot open %s for appending\n", val);
                                return PB_EXIT_INPUT;
                        }
                } else if (!strcmp(a, "--data")) {
                        data = val;
                } else if (!strcmp(a, "--db")) {
                        db = val;
                } else if (!strcmp(a, "--engine-key")) {
                        engine_path = val;
                } else if (!strcmp(a, "--office-key")) {
                        office_path = val;
                } else if (!strcmp(a, "--passphrase-file")) {
                        pass_file = val;
                } else if (!strcmp(a, "--request-timeout") && parse_uint(val, 3600, &v) == 0 && v) {
                        hc.request_timeout_s = (unsigned)v;
                } else if (!strcmp(a, "--queue") && parse_uint(val, 10000000, &v) == 0 && v) {
                        ac.limits.writer_queue = (unsigned)v;
                } else if (!strcmp(a, "--max-connections") && parse_uint(val, 100000, &v) == 0 && v) {
                        hc.max_connections = (unsigned)v;
                } else if (!strcmp(a, "--max-per-ip") && parse_uint(val, 100000, &v) == 0 && v) {
                        hc.max_per_ip = (unsigned)v;
                } else if (!strcmp(a, "--timeout") && parse_uint(val, 3600, &v) == 0 && v) {
                        hc.timeout_s = (unsigned)v;
                } else if (!strcmp(a, "--threads") && parse_uint(val, 64, &v) == 0 && v) {
                        hc.threads = (unsigned)v;
                } else {
                        fprintf(stderr, "pbvote serve: %s %s: unknown option or bad value\n%s", a, val,
                                usage_text);
                        rc = PB_EXIT_USAGE;
                        goto out;
                }
        }
        if (data && db) {
                fprintf(stderr, "pbvote serve: give --data or --db, not both\n");
                rc = PB_EXIT_USAGE;
                goto out;
        }
        if (db) {
                snprintf(data_buf, sizeof(data_buf), "%s", db);
                data = dirname(data_buf);
        } else if (!data) {
                data = "pbvote-data";
        }
        if ((rc = data_folder_check(data, allow_shared)))
                goto out;
        if (demo) {
                char json_path[4096];
                snprintf(path_buf, sizeof(path_buf), "%s/%s", data, "warszawa-rembertow-2023.db");
                snprintf(json_path, sizeof(json_path), "%s/demo.json", data);
                if (access(json_path, F_OK) != 0) {
                        rc = cli_demo_create(db ? db : path_buf, json_path, sizeof(json_path));
                        if (rc)
                                goto out;
                }
                printf("pbvote: demo election: tokens and voter codes in %s\n", json_path);
        }
        if (!engine_path) {
                snprintf(path_buf, sizeof(path_buf), "%s/engine.key", data);
                engine_path = path_buf;
        }
        if (!office_path) {
                snprintf(office_buf, sizeof(office_buf), "%s/office.key", data);
                if (access(office_buf, F_OK) == 0)
                        office_path = office_buf;
        }
        if (access(engine_path, F_OK) == 0) {
                if ((rc = cli_key_load(engine_path, PB_KEY_ROLE_ENGINE, pass_file, &engine)))
                        goto out;
        } else {
                fprintf(stderr, "pbvote serve: no engine key (%s): elections are read-only\n", engine_path);
        }
        if (office_path && (rc = cli_key_load(office_path, PB_KEY_ROLE_OFFICE, pass_file, &office)))
                goto out;
        ac.data_dir = data;
        ac.engine = engine;
        ac.office = office;
        ac.max_elections = file_budget(&hc);
        if (!ac.max_elections) {
                rc = PB_EXIT_INPUT;
                goto out;
        }
        hc.host = host;
        hc.access_log = log;
        pb_diag_clear(&d);
        err = pb_api_new(&ac, &api, &d);
        if (err == PB_OK)
                err = pb_http_start(api, &hc, &http, &d);
        if (err < 0) {
                cli_report(data, &d);
                rc = cli_exit_for(err);
                goto out;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        printf("pbvote: serving http://%s:%u/v1/ (Ctrl-C to stop)\n", host, (unsigned)pb_http_port(http));
        fflush(stdout);
        while (!stop)
                pause();
        fprintf(stderr, "pbvote: stopping\n");
out:
        pb_http_stop(http);
        pb_api_free(api);
        cli_key_free(engine);
        cli_key_free(office);
        if (log && log != stderr)
                fclose(log);
        return rc;
}
