/**
 * @file `pbvote serve` as its own process, for tests that run the server and the command line side
 * by side on one data folder (as an operator does on the server host): start it on a free port
 * with an optional open-file limit, talk HTTP to it, run `pbvote` commands, stop it.
 */
#ifndef PB_TEST_SERVE_PROC_H
#define PB_TEST_SERVE_PROC_H

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "http_client.h"

struct serve_proc {
        const char *pbvote; /* the binary */
        char data[512];     /* --data */
        char out[600];      /* its stdout and stderr, for the test to read */
        unsigned short port;
        pid_t pid;
};

/* A free loopback port: bind to 0, read it, let it go. */
static inline unsigned short serve_free_port(void)
{
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        unsigned short port = 0;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
                port = ntohs(sa.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

/*
 * Start `pbvote serve --data DATA` with @extra arguments (NULL-terminated, may be NULL), under the
 * open-file limits @soft and @hard (0: unchanged), as `ulimit -n` would set them.  Its output goes
 * to s->out.  0 once /v1/health answers; -1 if the server exited or never answered.
 */
static inline int serve_start(struct serve_proc *s, rlim_t soft, rlim_t hard, const char *const *extra)
{
        char listen[32];
        const char *argv[32];
        int n = 0;

        s->port = serve_free_port();
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", s->port);
        snprintf(s->out, sizeof(s->out), "%s.serve.out", s->data);
        argv[n++] = s->pbvote;
        argv[n++] = "serve";
        argv[n++] = "--data";
        argv[n++] = s->data;
        argv[n++] = "--listen";
        argv[n++] = listen;
        for (int i = 0; extra && extra[i] && n < 30; i++)
                argv[n++] = extra[i];
        argv[n] = NULL;
        s->pid = fork();
        if (s->pid == 0) {
                int fd = open(s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                if (soft || hard) {
                        struct rlimit rl = { soft, hard };
                        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                                _exit(126);
                }
                execv(s->pbvote, (char *const *)argv);
                _exit(127);
        }
        for (int i = 0; s->pid > 0 && i < 400; i++) {
                char req[128], body[256];
                int status;

                usleep(25000);
                if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
                        s->pid = -1;
                        return -1;
                }
                snprintf(req, sizeof(req), "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                if (http_exchange(s->port, req, strlen(req), 2000, body, sizeof(body)) == 200)
                        return 0;
        }
        if (s->pid > 0) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, NULL, 0);
        }
        s->pid = -1;
        return -1;
}

/* Stop the server as an operator does (SIGTERM) and wait for it. */
static inline void serve_stop(struct serve_proc *s)
{
        if (s->pid > 0) {
                kill(s->pid, SIGTERM);
                waitpid(s->pid, NULL, 0);
        }
        s->pid = -1;
}

/* One request on a new connection: the status, the body (NUL-terminated) into @out. */
static inline int serve_call(const struct serve_proc *s, const char *method, const char *path,
                             const char *token, const char *json, char *out, size_t cap)
{
        return http_call(s->port, method, path, token, json, out, cap);
}

/* GET @path's raw body (a tar archive: it may hold NUL bytes) into the file @file.  The status. */
static inline int serve_download(const struct serve_proc *s, const char *path, const char *token,
                                 const char *file)
{
        static char buf[4 << 20];
        char req[512];
        int fd = http_connect(s->port), status = 0;
        size_t len = 0;
        ssize_t n;
        char *body;
        FILE *f;

        if (fd < 0)
                return -2;
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer %s\r\n\r\n", path,
                 token);
        if (http_send(fd, req, strlen(req)) == 0)
                while (len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
                        len += (size_t)n;
        close(fd);
        buf[len] = '\0';
        if (len < 12 || strncmp(buf, "HTTP/1.1 ", 9))
                return 0;
        status = atoi(buf + 9);
        body = strstr(buf, "\r\n\r\n");
        f = body ? fopen(file, "wb") : NULL;
        if (!f)
                return -1;
        fwrite(body + 4, 1, len - (size_t)(body + 4 - buf), f);
        fclose(f);
        return status;
}

/* Run a shell command built from @fmt; its exit status (-1 when it did not exit normally). */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
        char cmd[8192];
        va_list ap;
        int st;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        st = system(cmd);
        return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line a command prints on stdout (a token), without its newline.  0 on success. */
static inline int sh_line(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int sh_line(char *out, size_t cap, const char *fmt, ...)
{
        char cmd[8192];
        va_list ap;
        FILE *p;
        int ok;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        p = popen(cmd, "r");
        if (!p)
                return -1;
        ok = fgets(out, (int)cap, p) != NULL;
        if (pclose(p) != 0 || !ok)
                return -1;
        out[strcspn(out, "\n")] = '\0';
        return 0;
}

/* Does file @path hold @needle? */
static inline bool file_has(const char *path, const char *needle)
{
        static char buf[1 << 16];
        FILE *f = fopen(path, "r");
        size_t n;

        if (!f)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strstr(buf, needle) != NULL;
}

#endif
