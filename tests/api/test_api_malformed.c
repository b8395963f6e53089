/**
 * @file 10,000+ malformed requests against a real server on loopback: broken and deep JSON, wrong
 * types and methods, huge bodies and headers, bad UTF-8, NUL bytes, wrong content types, missing
 * and forged tokens, path tricks, bad versions, binary junk, and slow clients on the side.  Every
 * request must get a 4xx or a closed connection, the server must keep answering, and (once the
 * ballot box serves elections) nothing may change.  argv[1] = number of requests (default 10000).
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "unit/xorshift.h"

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1];
static char code[32];       /* issued, never used: a valid ballot with it would be stored */
static char spent_code[32]; /* already used: whatever a mutated body becomes, it cannot be stored */

/* Bodies a real kiosk token sends to a real open election: each must be refused, none stored. */
static const char *const bad_ballots[] = {
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\"}",
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":\"xyz\"}",
        "{\"ballot\":{\"approvals\":\"p1\"},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000001\"}",
        "{\"ballot\":{\"ranking\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000002\"}",
        "{\"ballot\":{\"approvals\":[\"p1\",\"p1\"]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000003\"}",
        "{\"ballot\":{\"approvals\":[]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000004\"}",
        "{\"ballot\":{\"approvals\":[\"p1\",\"p2\",\"p3\"]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000005\"}",
        "{\"ballot\":{\"approvals\":[1]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000006\"}",
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000007\",\"x\":1}",
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"code\":\"x\",\"submission_id\":"
        "\"00000000000000000000000000000008\"}",
        "{\"ballot\":{\"approvals\":[\"p1\"],\"points\":{}},\"code\":\"%s\",\"submission_id\":"
        "\"00000000000000000000000000000009\"}",
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%sZ\",\"submission_id\":"
        "\"0000000000000000000000000000000a\"}",
        "{\"ballot\":{\"approvals\":[\"p1\"]},\"code\":\"%s\",\"submission_id\":"
        "\"0000000000000000000000000000000B\"}",
        "{\"ballot\":{\"approvals\":[\"p\\u00001\"]},\"code\":\"%s\",\"submission_id\":"
        "\"0000000000000000000000000000000c\"}",
        "[\"%s\"]",
        "{\"ballot\":null,\"code\":\"%s\",\"submission_id\":\"0000000000000000000000000000000d\"}",
};
#define N_BAD_BALLOTS (sizeof(bad_ballots) / sizeof(bad_ballots[0]))

static int setup_election(void)
{
        char manifest[2048], path[400], out[65536];
        struct pb_box *b = NULL;
        cJSON *j;

        snprintf(manifest, sizeof(manifest), fixture_manifest, "demo", "demo");
        if (call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)) != 201)
                return -1;
        snprintf(path, sizeof(path), "%s/demo.db", fx.dir);
        if (pb_box_open(path, &b, NULL) < 0)
                return -1;
        if (pb_box_token_create(b, PB_ROLE_KIOSK, "", kiosk, NULL, NULL) < 0) {
                pb_box_free(b);
                return -1;
        }
        pb_box_free(b);
        if (call(&fx, "POST", "/v1/elections/demo/open", fx.admin, NULL, out, sizeof(out)) != 200 ||
            call(&fx, "POST", "/v1/elections/demo/codes", fx.admin, "{\"count\":5}", out, sizeof(out)) != 201)
                return -1;
        j = cJSON_Parse(out);
        snprintf(code, sizeof(code), "%s", j ? cJSON_GetObjectItem(j, "codes")->child->valuestring : "");
        cJSON_Delete(j);
        /* two accepted ballots, so that the log is not empty */
        for (int i = 0; i < 2; i++) {
                char body[512];
                cJSON *c;
                j = NULL;
                if (call(&fx, "POST", "/v1/elections/demo/codes", fx.admin, "{\"count\":1}", out,
                         sizeof(out)) != 201 ||
                    !(j = cJSON_Parse(out)))
                        return -1;
                c = cJSON_GetObjectItem(j, "codes")->child;
                snprintf(spent_code, sizeof(spent_code), "%s", c->valuestring);
                snprintf(body, sizeof(body),
                         "{\"ballot\":{\"approvals\":[\"p2\"]},\"code\":\"%s\",\"submission_id\":\"%032x\"}",
                         c->valuestring, 0x7000 + i);
                cJSON_Delete(j);
                if (call(&fx, "POST", "/v1/elections/demo/ballots", kiosk, body, out, sizeof(out)) != 201)
                        return -1;
        }
        return code[0] ? 0 : -1;
}

/* What must not change: accepted ballots, spent codes, the log and its signed checkpoint (refusals
 * are counted, by reason, which is what turnout's "rejected" is for). */
/* The fork of issue 11 over HTTP: an administrator creating a second election with the first
 * one's log origin is refused (the origin is derived from the id), and nothing is created. */
static int fork_refused(void)
{
        char manifest[2048], out[4096];
        int st;

        snprintf(manifest, sizeof(manifest), fixture_manifest, "evil", "demo");
        st = call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out));
        if (st != 422 || !strstr(out, "\"field\":\"$.origin\"")) {
                fprintf(stderr, "FAIL a second election with the first one's origin: %d %s\n", st, out);
                return 1;
        }
        st = call(&fx, "GET", "/v1/elections/evil", NULL, NULL, out, sizeof(out));
        if (st != 404) {
                fprintf(stderr, "FAIL the refused election exists: %d\n", st);
                return 1;
        }
        return 0;
}

static void snapshot(char *out, size_t cap)
{
        char t[4096], cp[4096];
        cJSON *j;

        call(&fx, "GET", "/v1/elections/demo/turnout", NULL, NULL, t, sizeof(t));
        call(&fx, "GET", "/v1/elections/demo/checkpoint", NULL, NULL, cp, sizeof(cp));
        j = cJSON_Parse(t);
        snprintf(out, cap, "ballots=%d spent=%d log=%d pending=%d state=%s\n%s",
                 j ? (int)cJSON_GetObjectItem(j, "ballots")->valuedouble : -1,
                 j ? (int)cJSON_GetObjectItem(j, "codes_spent")->valuedouble : -1,
                 j ? (int)cJSON_GetObjectItem(j, "log_size")->valuedouble : -1,
                 j ? (int)cJSON_GetObjectItem(j, "pending")->valuedouble : -1,
                 j ? cJSON_GetObjectItem(j, "state")->valuestring : "?", cp);
        cJSON_Delete(j);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
        return xorshift64star(&rng);
}

static const char *const paths[] = {
        "/v1/health",
        "/v1/elections",
        "/v1/elections/demo",
        "/v1/elections/demo/open",
        "/v1/elections/demo/close",
        "/v1/elections/demo/codes",
        "/v1/elections/demo/ballots",
        "/v1/elections/demo/receipts/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "/v1/elections/demo/receipts/0000000000",
        "/v1/elections/demo/checkpoint",
        "/v1/elections/demo/tally",
        "/v1/elections/demo/result",
        "/v1/elections/demo/export",
        "/v1/elections/demo/turnout",
};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static const char *const bad_paths[] = {
        "/v1/../v1/health",
        "//v1/health",
        "/v1/health/",
        "/v1/%2e%2e/health",
        "/v1/health%00",
        "/v1/elections/..",
        "/v1/elections/a%20b",
        "/v1/elections/%ff",
        "/v2/health",
        "/vote/..", /* "/" is a page (api/h_pages.c) */
        "*",
        "http://evil/v1/health",
        "/v1/elections/demo/receipts/XYZ",
        "/v1/elections/demo/receipts/00000000000", /* 11 symbols: neither a short code nor a commitment */
        "/v1/elections/demo/receipts/00000*0000",
        "/v1/elections/demo/ballots/x",
        "/v1/elections/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static const char *const methods[] = { "PUT", "DELETE", "PATCH",  "OPTIONS", "TRACE",
                                       "get", "FOO",    "POST\t", "GET /" };

__attribute__((format(printf, 4, 0))) static size_t addf(char *buf, size_t cap, size_t at, const char *fmt,
                                                         const char *a, const char *b);
static size_t addf(char *buf, size_t cap, size_t at, const char *fmt, const char *a, const char *b)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        int n = snprintf(buf + at, cap - at, fmt, a, b);
#pragma GCC diagnostic pop
        return n < 0 ? at : at + (size_t)n >= cap ? cap - 1 : at + (size_t)n;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fill_ballot(char *body, size_t cap, const char *fmt, const char *c)
{
        return snprintf(body, cap, fmt, c);
}
#pragma GCC diagnostic pop

/* Build malformed request number @i into @buf; returns its length. */
static size_t build(unsigned i, char *buf, size_t cap)
{
        const char *path = paths[rnd() % N_PATHS];
        char token[80];
        size_t n = 0;

        snprintf(token, sizeof(token), "Bearer %016llx%016llx", (unsigned long long)rnd(),
                 (unsigned long long)rnd());
        switch (i % 17) {
        case 0: /* a method the route does not take */
                n = addf(buf, cap, 0, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", methods[rnd() % 9], path);
                break;
        case 1: /* path tricks */
                n = addf(buf, cap, 0, "GET %s%s HTTP/1.1\r\nHost: x\r\n\r\n", bad_paths[rnd() % 15], "");
                break;
        case 2: { /* oversized header */
                n = addf(buf, cap, 0, "GET %s HTTP/1.1\r\nHost: x\r\nX-Big: %s", path, "");
                while (n < 40000 && n < cap - 8)
                        buf[n++] = 'a';
                n = addf(buf, cap, n, "%s%s\r\n\r\n", "", "");
                break;
        }
        case 3: /* declared body far over any limit */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 99999999999\r\nAuthorization: %s\r\n\r\n{",
                         path, token);
                break;
        case 4: { /* chunked body over the cap */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\nAuthorization: %s\r\n\r\n",
                         path, token);
                for (int k = 0; k < 70 && n < cap - 20000; k++) {
                        n = addf(buf, cap, n, "%s%s", "4000\r\n", "");
                        memset(buf + n, 'x', 0x4000);
                        n += 0x4000;
                        n = addf(buf, cap, n, "%s%s", "\r\n", "");
                }
                n = addf(buf, cap, n, "%s%s", "0\r\n\r\n", "");
                break;
        }
        case 5: /* broken JSON with a forged token */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 9\r\nAuthorization: %s\r\n\r\n{\"code\":[",
                         path, token);
                break;
        case 6: { /* deep JSON */
                char body[5000];
                for (int k = 0; k < 2500; k++) {
                        body[k] = '[';
                        body[2499 + 2500 - k] = ']';
                }
                body[4999] = '\0';
                n = addf(buf, cap, 0, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
                         path, "");
                n = addf(buf, cap, n, "Content-Length: 4999\r\nAuthorization: %s\r\n\r\n%s", token, body);
                break;
        }
        case 7: /* bad UTF-8 and a NUL byte in the body */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 12\r\nAuthorization: %s\r\n\r\n",
                         path, token);
                memcpy(buf + n, "{\"a\":\"\xff\x00\xc3\"}", 12);
                n += 12;
                break;
        case 8: /* NUL byte and control characters in the request line */
                n = addf(buf, cap, 0, "GET /v1/he%s HTTP/1.1\r\nHost: x\r\n\r\n", "", "");
                buf[8] = '\0';
                buf[9] = '\x01';
                break;
        case 9: /* binary junk, ended by a blank line so the server can judge it at once (the slow
                 * clients cover input that never ends) */
                for (n = 0; n < 300; n++)
                        buf[n] = (char)(rnd() & 0xff);
                n = addf(buf, cap, n, "%s%s", "\r\n\r\n", "");
                break;
        case 10: /* HTTP/1.1 without Host, bad versions */
                n = addf(buf, cap, 0,
                         (rnd() & 1) ? "GET %s HTTP/1.1\r\n\r\n" : "GET %s HTTP/9.9\r\nHost: x\r\n\r\n",
                         bad_paths[rnd() % 15], "");
                break;
        case 11: /* forged or malformed credentials on a protected route */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 2\r\nAuthorization: %s\r\n\r\n{}",
                         paths[1 + rnd() % (N_PATHS - 1)],
                         (rnd() & 1)   ? token
                         : (rnd() & 1) ? "Basic YWRtaW46YWRtaW4="
                                       : "Bearer");
                break;
        case 12: /* wrong content type */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 2\r\n\r\n{}",
                         path, (rnd() & 1) ? "text/plain" : "multipart/form-data; boundary=x");
                break;
        case 13: /* contradictory or negative lengths */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\nContent-Length: 5\r\n\r\n{}",
                         path, (rnd() & 1) ? "-1" : "2");
                break;
        case 14: /* a GET with a body */
                n = addf(buf, cap, 0, "GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n%s",
                         "4", "abcd");
                break;
        case 16: { /* a real kiosk token, a malformed or invalid ballot */
                char body[1024];
                /* a body with a changed byte might become a valid ballot: it carries a spent code */
                bool mutate = (rnd() & 3) == 0;
                int bl = fill_ballot(body, sizeof(body), bad_ballots[rnd() % N_BAD_BALLOTS],
                                     mutate ? spent_code : code);

                if (mutate)
                        body[rnd() % (unsigned)bl] = (char)(rnd() & 0xff);
                n = (size_t)snprintf(buf, cap,
                                     "POST /v1/elections/demo/ballots HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                     "application/json\r\n"
                                     "Content-Length: %d\r\nAuthorization: Bearer %s\r\n\r\n",
                                     bl, kiosk);
                memcpy(buf + n, body, (size_t)bl);
                n += (size_t)bl;
                break;
        }
        case 15: /* wrong JSON types with a forged token */
                n = addf(buf, cap, 0,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 28\r\nAuthorization: %s\r\n\r\n{\"count\":\"ten\",\"code\":1.5e3}",
                         path, token);
                break;
        }
        return n;
}

struct slow {
        unsigned short port;
        int closed;
};

/* A client that trickles a request a byte a second: the server must drop it, not wait forever. */
static void *slow_client(void *arg)
{
        struct slow *s = arg;
        const char req[] = "POST /v1/elections HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
        int fd = http_connect(s->port);

        if (fd < 0)
                return NULL;
        for (size_t i = 0; i < sizeof(req) - 1; i++) {
                if (http_send(fd, req + i, 1) < 0) {
                        s->closed = 1;
                        break;
                }
                {
                        struct pollfd p = { fd, POLLIN, 0 };
                        if (poll(&p, 1, 1000) > 0) {
                                char c;
                                if (recv(fd, &c, 1, 0) <= 0) {
                                        s->closed = 1;
                                        break;
                                }
                        }
                }
        }
        close(fd);
        return NULL;
}

int main(int argc, char **argv)
{
        struct slow slows[8];
        pthread_t th[8];
        unsigned total = argc > 1 ? (unsigned)atoi(argv[1]) : 10000, bad = 0, closed = 0, counts[600] = { 0 };
        static char buf[1 << 21], body[4096], before[8192], after[8192];
        int fail = 0;

        if (sodium_init() < 0 || fixture_start(&fx, true) < 0 || setup_election() < 0) {
                fprintf(stderr, "cannot start the server and its election\n");
                return 1;
        }
        fail = fork_refused();
        snapshot(before, sizeof(before));
        for (int k = 0; k < 8; k++) {
                slows[k].port = fx.port;
                slows[k].closed = 0;
                pthread_create(&th[k], NULL, slow_client, &slows[k]);
        }
        for (unsigned i = 0; i < total; i++) {
                size_t n = build(i, buf, sizeof(buf));
                int st = http_exchange(fx.port, buf, n, 5000, body, sizeof(body));

                if (st == 0) {
                        closed++;
                } else if ((st >= 400 && st < 500) || (st == 505 && strstr(buf, "HTTP/9.9"))) {
                        /* 505 is HTTP's own answer to an unknown protocol version (libmicrohttpd
                         * sends it before any handler runs); nothing is read or changed */
                        counts[st < 500 ? st : 599]++;
                } else {
                        if (bad++ < 10)
                                fprintf(stderr, "FAIL request %u (kind %u): status %d\n%.*s\n", i, i % 17, st,
                                        (int)(n > 400 ? 400 : n), buf);
                        fail = 1;
                }
                if (i % 1000 == 999) {
                        const char ok[] = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
                        if (http_exchange(fx.port, ok, sizeof(ok) - 1, 5000, body, sizeof(body)) != 200) {
                                fprintf(stderr, "FAIL the server stopped answering after %u requests\n",
                                        i + 1);
                                fail = 1;
                                break;
                        }
                }
        }
        for (int k = 0; k < 8; k++) {
                pthread_join(th[k], NULL);
                if (!slows[k].closed) {
                        fprintf(stderr, "FAIL slow client %d was not dropped\n", k);
                        fail = 1;
                }
        }
        snapshot(after, sizeof(after));
        if (strcmp(before, after)) {
                fprintf(stderr, "FAIL the election changed:\nbefore: %s\nafter:  %s\n", before, after);
                fail = 1;
        }
        fprintf(stderr, "%u malformed requests: %u closed", total, closed);
        for (int s = 400; s < 600; s++)
                if (counts[s])
                        fprintf(stderr, ", %u x %d", counts[s], s == 599 ? 505 : s);
        fprintf(stderr, "; %u wrong answers; 8 slow clients dropped: %s; election unchanged: %s\n", bad,
                fail ? "see above" : "yes", strcmp(before, after) ? "no" : "yes");
        fixture_stop(&fx);
        return fail;
}
