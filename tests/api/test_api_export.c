/**
 * @file GET .../export streamed (issue 11): the archive a server sends is byte for byte the ustar
 * archive of the folder `pbvote export` writes, with its Content-Length; and at most 4 exports run
 * at once: with 4 clients that do not read, a fifth gets 503 with Retry-After (problem+json), and
 * once they are gone exports work again.  The bundle (20,000 ballots, about 4 MB) is larger than
 * what the socket buffers of a client that does not read can hold, so those exports stay open.
 */
#include <cjson/cJSON.h>
#include <sys/socket.h>

#include "api_fixture.h"
#include "ballots/pb_box.h"
#include "check.h"
#include "formats/pb_tar.h"

#define N_BALLOTS 20000

static struct fixture fx;
static char auditor[PB_TOKEN_TEXT_LEN + 1];

struct codes {
        struct pb_code *c;
        size_t n;
};

static pb_err collect(void *ctx, const struct pb_code *code)
{
        struct codes *cs = ctx;
        cs->c[cs->n++] = *code;
        return PB_OK;
}

/* Election "exp" with N_BALLOTS ballots, closed and tallied, made on the box file directly. */
static int make_box(void)
{
        static const char manifest[] =
                "{\"ballot\":{\"max_length\":2,\"min_length\":1,\"type\":\"approval\"},\"batch_min\":20,"
                "\"budget\":45000000,\"currency\":\"EUR\",\"id\":\"exp\",\"origin\":\"pbvote/exp/ballots\","
                "\"projects\":[{\"cost\":20000000,\"id\":\"p1\",\"name\":\"Trees\"},{\"cost\":15000000,"
                "\"id\":\"p2\",\"name\":\"Bikes\"},{\"cost\":30000000,\"id\":\"p3\",\"name\":\"Pool\"}],"
                "\"rule\":{\"name\":\"greedy\",\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,"
                "\"title\":\"Export\",\"type\":\"pbvote.manifest/v1\"}";
        static const uint32_t picks[3][2] = { { 0, 1 }, { 1, 0 }, { 2, 0 } };
        static struct pb_submission subs[PB_BOX_BATCH_MAX];
        static struct pb_cast_outcome out[PB_BOX_BATCH_MAX];
        struct codes cs = { calloc(N_BALLOTS, sizeof(struct pb_code)), 0 };
        struct pb_manifest *m = NULL;
        struct pb_box *b = NULL;
        struct pb_buf result;
        char path[400];
        int ok = 0;

        pb_buf_init(&result, 0);
        snprintf(path, sizeof(path), "%s/exp.db", fx.dir);
        if (!cs.c || pb_manifest_parse(manifest, strlen(manifest), &m, NULL) < 0 ||
            pb_box_create(path, m, &b, NULL) < 0 || pb_box_set_engine_key(b, &fx.engine, NULL) < 0 ||
            pb_box_election_open(b, &fx.office, NULL) < 0 ||
            pb_box_codes_issue(b, N_BALLOTS, collect, &cs, NULL) < 0)
                goto out;
        for (size_t k = 0; k < cs.n;) {
                size_t n = cs.n - k < PB_BOX_BATCH_MAX ? cs.n - k : PB_BOX_BATCH_MAX;
                for (size_t i = 0; i < n; i++) {
                        memset(&subs[i], 0, sizeof(subs[i]));
                        subs[i].code = cs.c[k + i].text;
                        subs[i].code_len = strlen(cs.c[k + i].text);
                        subs[i].items = picks[(k + i) % 3];
                        subs[i].n = (k + i) % 3 ? 1 : 2;
                        subs[i].channel = PB_CHANNEL_ELECTRONIC;
                }
                if (pb_box_cast(b, subs, n, out, NULL) < 0)
                        goto out;
                k += n;
        }
        ok = pb_box_election_close(b, "2026-06-01T20:00:00Z", NULL) == PB_OK &&
             pb_box_tally(b, NULL, "pbvote test", &result, NULL) == PB_OK &&
             pb_box_token_create(b, PB_ROLE_AUDITOR, "a", auditor, NULL, NULL) == PB_OK;
out:
        pb_buf_release(&result);
        pb_box_free(b);
        pb_manifest_free(m);
        free(cs.c);
        return ok;
}

/* The server again, on the same folder (fixture_start's settings): it opens exp.db. */
static int restart(void)
{
        fixture_halt(&fx);
        if (!make_box())
                return -1;
        return fixture_serve(&fx, 30, 3);
}

/* Send GET .../export on a new connection; @small_rcvbuf: a client that reads nothing, with a
 * receive buffer of 4 KiB.  The socket, or -1. */
static int export_request(bool small_rcvbuf)
{
        char req[512];
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rcv = 4096;
        struct sockaddr_in sa;

        if (fd < 0)
                return -1;
        if (small_rcvbuf)
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons(fx.port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        snprintf(req, sizeof(req),
                 "GET /v1/elections/exp/export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                 "Authorization: Bearer %s\r\n\r\n",
                 auditor);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || http_send(fd, req, strlen(req)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* The whole answer on @fd (the server closes after it), into @all (malloc'd). */
static size_t read_all(int fd, char **all)
{
        size_t len = 0, cap = 1 << 20;
        char *p = malloc(cap);
        ssize_t n;

        while (p && (n = recv(fd, p + len, cap - len, 0)) > 0) {
                len += (size_t)n;
                if (len == cap) {
                        char *q = realloc(p, cap * 2);
                        if (!q)
                                break;
                        p = q;
                        cap *= 2;
                }
        }
        *all = p;
        return p ? len : 0;
}

/* The end of the headers in @p[0..len), or NULL. */
static char *headers_end(char *p, size_t len)
{
        for (size_t i = 0; i + 4 <= len; i++)
                if (!memcmp(p + i, "\r\n\r\n", 4))
                        return p + i;
        return NULL;
}

/* One export, read whole: the status, the body into @body (malloc'd) and its length. */
static int export_whole(char **body, size_t *body_len, char *headers, size_t cap)
{
        int fd = export_request(false), status = 0;
        char *all = NULL, *end;
        size_t len;

        *body = NULL;
        *body_len = 0;
        if (fd < 0)
                return -1;
        len = read_all(fd, &all);
        close(fd);
        end = all ? headers_end(all, len) : NULL;
        if (end) {
                size_t hl = (size_t)(end - all);
                snprintf(headers, cap, "%.*s", (int)(hl < cap ? hl : cap - 1), all);
                status = atoi(all + 9);
                *body_len = len - hl - 4;
                *body = malloc(*body_len ? *body_len : 1);
                if (*body)
                        memcpy(*body, end + 4, *body_len);
        }
        free(all);
        return status;
}

int main(int argc, char **argv)
{
        static char pbvote[4096], cmd[9000], headers[4096], out[65536], want_cl[64];
        struct pb_buf want;
        char *body = NULL;
        size_t body_len = 0;
        int slow[4];

        pb_buf_init(&want, 0);
        if (argc < 2 || !realpath(argv[1], pbvote) || fixture_start(&fx, true) < 0 || restart() < 0) {
                fprintf(stderr, "usage: test-api-export PBVOTE (and a working server)\n");
                return 1;
        }
        /* the reference: `pbvote export`'s folder, as a ustar archive */
        snprintf(cmd, sizeof(cmd), "'%s' export --db '%s/exp.db' --out '%s/bundle' >/dev/null", pbvote,
                 fx.dir, fx.dir);
        CHECK_INT(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s/bundle", fx.dir);
        CHECK(pb_tar_dir(cmd, "exp", &want, NULL) == PB_OK);
        CHECK(want.len > 3000000);

        /* the streamed archive: the same bytes, announced by Content-Length */
        CHECK_INT(export_whole(&body, &body_len, headers, sizeof(headers)), 200);
        CHECK(body_len == want.len && body && !memcmp(body, want.data, want.len));
        snprintf(want_cl, sizeof(want_cl), "Content-Length: %zu", want.len);
        CHECK(strstr(headers, want_cl) != NULL);
        CHECK(strstr(headers, "Content-Type: application/x-tar") != NULL);
        free(body);

        /* four clients that do not read hold the four export slots: a fifth is refused */
        for (int i = 0; i < 4; i++) {
                /* its status line: the server has taken its slot and started the transfer */
                char status[13] = "";
                struct pollfd p;
                CHECK((slow[i] = export_request(true)) >= 0);
                p.fd = slow[i];
                p.events = POLLIN;
                CHECK(slow[i] >= 0 && poll(&p, 1, 30000) == 1 &&
                      recv(slow[i], status, 12, MSG_WAITALL) == 12);
                CHECK_STR(status, "HTTP/1.1 200");
        }
        CHECK_INT(call(&fx, "GET", "/v1/elections/exp/export", auditor, NULL, out, sizeof(out)), 503);
        CHECK(http_last_retry_after > 0);
        CHECK(strstr(out, "\"type\":\"tag:pbvote.org,2026:error/busy\"") != NULL);
        CHECK(strstr(out, "too many exports") != NULL);
        /* other requests go on meanwhile */
        CHECK_INT(call(&fx, "GET", "/v1/elections/exp/result", NULL, NULL, out, sizeof(out)), 200);
        for (int i = 0; i < 4; i++)
                if (slow[i] >= 0)
                        close(slow[i]);
        /* the slots come back when their transfers end (here: the clients went away) */
        {
                int st = 0;
                for (int tries = 0; tries < 100; tries++) {
                        st = export_whole(&body, &body_len, headers, sizeof(headers));
                        if (st == 200)
                                break;
                        free(body);
                        body = NULL;
                        usleep(100 * 1000);
                }
                CHECK_INT(st, 200);
                CHECK(body_len == want.len && body && !memcmp(body, want.data, want.len));
                free(body);
        }
        pb_buf_release(&want);
        fixture_stop(&fx);
        return check_summary("api-export");
}
