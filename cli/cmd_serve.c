/** @file `pbvote serve`: run the HTTP API until SIGINT or SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/pb_api.h"
#include "api/pb_http.h"
#include "cli/cli.h"
#include "pb_config.h"

static const char usage_text[] =
        "usage: pbvote serve [--listen HOST:PORT] [--access-log FILE|-]\n"
        "                    [--max-connections N] [--max-per-ip N] [--timeout S] [--threads N]\n"
        "\n"
        "Serve the JSON HTTP API (docs/api.md) until SIGINT or SIGTERM.  Put it behind a reverse proxy\n"
        "that terminates TLS; then raise --max-per-ip, since every request comes from the proxy.\n"
        "\n"
        "  --listen HOST:PORT    IPv4 address and port (default 127.0.0.1:8080; port 0: any free port)\n"
        "  --access-log FILE     one line per request (method, route, status, bytes, time); - for stderr\n"
        "  --max-connections N   all clients together (default 512)\n"
        "  --max-per-ip N        per client address (default 64)\n"
        "  --timeout S           idle connection timeout in seconds (default 15)\n"
        "  --threads N           polling threads (default 2)\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
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
        unsigned long v;
        int rc = PB_EXIT_OK;
        pb_err err;

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
        hc.host = host;
        hc.access_log = log;
        pb_diag_clear(&d);
        err = pb_api_new(&ac, &api, &d);
        if (err == PB_OK)
                err = pb_http_start(api, &hc, &http, &d);
        if (err < 0) {
                cli_report(NULL, &d);
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
        if (log && log != stderr)
                fclose(log);
        return rc;
}
