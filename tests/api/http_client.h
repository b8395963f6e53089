/** @file A deliberately small raw HTTP/1.1 client for API tests: it sends any bytes, however wrong. */
#ifndef PB_TEST_HTTP_CLIENT_H
#define PB_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/** Connect to 127.0.0.1:@port; -1 on failure. */
static inline int http_connect(unsigned short port)
{
        struct sockaddr_in sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

        if (fd < 0)
                return -1;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
}

/** Send all of @buf; -1 if the peer closed. */
static inline int http_send(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/**
 * Read one response (headers, then Content-Length bytes of body) within @timeout_ms.
 * @return the status code, 0 when the server closed the connection without answering, -1 on
 * timeout.  The body (NUL-terminated) goes to @body (cap bytes) when not NULL.
 */
/* The Retry-After of the last response read, in seconds (0: none); for single-threaded tests. */
static unsigned http_last_retry_after;

static inline int http_read_response(int fd, int timeout_ms, char *body, size_t cap)
{
        char buf[65536];
        size_t len = 0, need = 0;
        char *hdr_end = NULL;
        int status = 0;

        for (;;) {
                struct pollfd p = { fd, POLLIN, 0 };
                ssize_t n;

                if (poll(&p, 1, timeout_ms) <= 0)
                        return -1;
                n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return hdr_end ? status : 0;
                len += (size_t)n;
                buf[len] = '\0';
                if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
                        const char *cl = strstr(buf, "Content-Length: ");
                        const char *ra = strstr(buf, "Retry-After: ");
                        status = strncmp(buf, "HTTP/1.", 7) ? 0 : atoi(buf + 9);
                        http_last_retry_after = ra && ra < hdr_end ? (unsigned)atoi(ra + 13) : 0;
                        need = (size_t)(hdr_end + 4 - buf) + (cl && cl < hdr_end ? (size_t)atol(cl + 16) : 0);
                }
                if (hdr_end && len >= need) {
                        if (body && cap) {
                                size_t bl = len - (size_t)(hdr_end + 4 - buf);
                                if (bl >= cap)
                                        bl = cap - 1;
                                memcpy(body, hdr_end + 4, bl);
                                body[bl] = '\0';
                        }
                        return status;
                }
                if (len == sizeof(buf) - 1)
                        return status;
        }
}

/** One request on a new connection: returns the status (0: closed, -1: timeout). */
static inline int http_exchange(unsigned short port, const void *req, size_t len, int timeout_ms, char *body,
                                size_t cap)
{
        int fd = http_connect(port), st;

        if (fd < 0)
                return -2;
        if (http_send(fd, req, len) < 0) {
                /* the server may refuse mid-request and close: read what it said, if anything */
                st = http_read_response(fd, timeout_ms, body, cap);
                close(fd);
                return st < 0 ? 0 : st;
        }
        st = http_read_response(fd, timeout_ms, body, cap);
        close(fd);
        return st;
}

/* One request on a new connection to @port: METHOD PATH with an optional bearer token and JSON body;
 * the status, the body (NUL-terminated) into @out. */
static inline int http_call(unsigned short port, const char *method, const char *path, const char *token,
                            const char *json, char *out, size_t cap)
{
        size_t blen = json ? strlen(json) : 0, n;
        char *req = malloc(blen + 1024);
        int st;

        if (!req)
                return -3;
        n = (size_t)snprintf(req, 1024, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n", method, path);
        if (token)
                n += (size_t)snprintf(req + n, 1024 - n, "Authorization: Bearer %s\r\n", token);
        if (json)
                n += (size_t)snprintf(req + n, 1024 - n,
                                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
        n += (size_t)snprintf(req + n, 1024 - n, "\r\n");
        if (json)
                memcpy(req + n, json, blen);
        st = http_exchange(port, req, n + blen, 30000, out, cap);
        free(req);
        return st;
}

#endif
