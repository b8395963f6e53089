/**
 * @file `pbvote serve` under a service manager's readiness protocol (Type=notify, issue 17): with
 * NOTIFY_SOCKET naming a datagram socket (a path, then an abstract '@' name), the server sends
 * READY=1 once it answers HTTP, and STOPPING=1 on SIGTERM before it exits with status 0.  Without
 * NOTIFY_SOCKET it serves as before.
 * usage: test-api-notify PBVOTE
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "serve_proc.h"

static int failures;

#define CHECK(cond, ...)                                                                                     \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                 \
                        fprintf(stderr, __VA_ARGS__);                                                        \
                        fputc('\n', stderr);                                                                 \
                        failures++;                                                                          \
                }                                                                                            \
        } while (0)

/* A datagram socket bound to @name ("/path" or "@abstract"); -1 on failure. */
static int listen_notify(const char *name)
{
        struct sockaddr_un sa;
        size_t len = strlen(name);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, name, len);
        if (name[0] == '@')
                sa.sun_path[0] = '\0';
        if (fd < 0 ||
            bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
                return -1;
        return fd;
}

/* The next datagram within @ms into @buf (NUL-terminated); its length, or -1 when none came. */
static int receive(int fd, int ms, char *buf, size_t cap)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, ms) != 1)
                return -1;
        n = recv(fd, buf, cap - 1, 0);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return (int)n;
}

static int health(unsigned short port)
{
        const char *r = "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        char out[512];

        return http_exchange(port, r, strlen(r), 5000, out, sizeof(out));
}

/* One run of the server with NOTIFY_SOCKET=@name (NULL: unset). */
static void run(const char *pbvote, const char *dir, const char *name)
{
        char listen[32], buf[512];
        unsigned short port = serve_free_port();
        int fd = name ? listen_notify(name) : -1, status = 0;
        pid_t pid;

        CHECK(!name || fd >= 0, "cannot bind the notify socket %s", name);
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                if (name)
                        setenv("NOTIFY_SOCKET", name, 1);
                else
                        unsetenv("NOTIFY_SOCKET");
                execl(pbvote, pbvote, "serve", "--demo", "--data", dir, "--listen", listen, (char *)NULL);
                _exit(127);
        }
        if (name) {
                int n = receive(fd, 30000, buf, sizeof(buf));
                CHECK(n > 0 && strstr(buf, "READY=1"), "%s: no READY=1 (got %s)", name,
                      n > 0 ? buf : "nothing");
                CHECK(strstr(buf, "STATUS=serving http://127.0.0.1:"),
                      "%s: READY=1 without the STATUS line: %s", name, buf);
                /* ready means it answers: no waiting, no retrying */
                CHECK(health(port) == 200, "%s: READY=1 before the server answers", name);
        } else {
                for (int i = 0; i < 400 && health(port) != 200; i++)
                        usleep(25000);
                CHECK(health(port) == 200, "without NOTIFY_SOCKET the server does not serve");
        }
        kill(pid, SIGTERM);
        if (name) {
                int n = receive(fd, 30000, buf, sizeof(buf));
                CHECK(n > 0 && strstr(buf, "STOPPING=1"), "%s: no STOPPING=1 on SIGTERM (got %s)", name,
                      n > 0 ? buf : "nothing");
        }
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: SIGTERM: not a clean exit (status %d)",
              name ? name : "no NOTIFY_SOCKET", status);
        if (fd >= 0)
                close(fd);
}

int main(int argc, char **argv)
{
        char dir[256], path[300], abstract[300], cmd[400];

        if (argc < 2)
                return 2;
        snprintf(dir, sizeof(dir), "%s/pbvote-notify-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/notify.sock", dir);
        snprintf(abstract, sizeof(abstract), "@pbvote-test-notify-%ld", (long)getpid());
        run(argv[1], dir, path);
        run(argv[1], dir, abstract);
        run(argv[1], dir, NULL);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        fprintf(stderr, "%s\n", failures ? "FAIL" : "ok");
        return failures ? 1 : 0;
}
