/**
 * @file The service manager's readiness protocol (sd_notify(3)) without libsystemd: one datagram
 * of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET (a path, or '@' for an abstract
 * name).  systemd sets it for a Type=notify service; elsewhere it is unset and nothing is sent.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "cli/cli.h"

int cli_notify(const char *state)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa;
        size_t len;
        ssize_t sent;
        int fd;

        if (!path || !*path)
                return 0;
        len = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
                return -1;
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, path, len);
        if (path[0] == '@')
                sa.sun_path[0] = '\0'; /* an abstract socket: its name has no NUL at the end */
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        do
                sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
                              (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
        while (sent < 0 && errno == EINTR);
        close(fd);
        return sent == (ssize_t)strlen(state) ? 0 : -1;
}
