/**
 * @file Campaign 5 of docs/reliability.md (issue 16): ballot positions cast through the HTTP API,
 * exported and counted, against an independent count of exactly what was sent.
 *
 * An approval vote of 20 projects where every ballot picks 10 of them (chosen from its code's
 * index by a fixed generator, sent in a shuffled order), so BALLOTS ballots are 10 x BALLOTS
 * positions.  CLIENTS threads cast over keep-alive connections; a submission whose answer was lost
 * (a broken connection, 503) is sent again with the same code and submission_id until it is
 * acknowledged (201, or 200 for a retry that had been stored), and only then counted: per project,
 * and per set of picks (a 20-bit mask, so the multiset of ballots is compared, not only the sums).
 * The vote is closed and tallied over HTTP, and three counts must agree exactly:
 *   - the client's own counts of the acknowledged ballots;
 *   - the signed result's per-project votes (and its voters);
 *   - a count of the CVRs in the exported audit bundle (GET .../export), read with this file's own
 *     ustar and JSON reading, not pbvote's.
 * Every difference is a discrepancy; the program exits 1 on any.
 *
 * usage: positions [BALLOTS] [CLIENTS]   (default 10000 16)
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

#include "../api/api_fixture.h"
#include "ballots/pb_box.h"

#define PROJECTS 20
#define PICKS 10
#define ID "positions"

static struct fixture fx;
static char kiosk[PB_TOKEN_TEXT_LEN + 1];
static char (*codes)[32];
static size_t n_codes;
static atomic_size_t next_code;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The client's independent count: per project, per set of picks, and in all (under @lock). */
static uint64_t sent_votes[PROJECTS];
static uint32_t *sent_sets; /* 2^PROJECTS counters */
static uint64_t sent_ballots, resent, failed;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* The picks of the ballot for code @c: PICKS distinct projects, in a shuffled order. */
static void picks_of(size_t c, unsigned picks[PICKS])
{
        unsigned all[PROJECTS];
        uint64_t s = (uint64_t)c * 2654435761ULL + 20261208;

        for (unsigned i = 0; i < PROJECTS; i++)
                all[i] = i;
        for (unsigned i = 0; i < PICKS; i++) {
                unsigned j = i + (unsigned)(splitmix(&s) % (PROJECTS - i)), t = all[i];
                all[i] = all[j];
                all[j] = t;
                picks[i] = all[i];
        }
}

static int setup(size_t count)
{
        char manifest[4096], path[400];
        static char out[65536];
        struct pb_box *b = NULL;
        size_t n = 0;

        n += (size_t)snprintf(manifest, sizeof(manifest),
                              "{\"ballot\":{\"max_length\":%d,\"min_length\":1,\"type\":\"approval\"},"
                              "\"batch_min\":20,\"budget\":100000000,\"currency\":\"EUR\",\"id\":\"" ID
                              "\",\"projects\":[",
                              PICKS);
        for (int p = 0; p < PROJECTS; p++)
                n += (size_t)snprintf(manifest + n, sizeof(manifest) - n,
                                      "%s{\"cost\":%d,\"id\":\"p%02d\",\"name\":\"Project %d\"}",
                                      p ? "," : "", 1000000 * (p + 1), p, p);
        snprintf(manifest + n, sizeof(manifest) - n,
                 "],\"rule\":{\"name\":\"greedy\",\"score\":\"votes\",\"tie_break\":\"lexico\"},\"scale\":2,"
                 "\"title\":\"Positions\",\"type\":\"pbvote.manifest/v1\"}");
        if (call(&fx, "POST", "/v1/elections", fx.admin, manifest, out, sizeof(out)) != 201) {
                fprintf(stderr, "create: %s\n", out);
                return -1;
        }
        snprintf(path, sizeof(path), "%s/" ID ".db", fx.dir);
        if (pb_box_open(path, &b, NULL) < 0 ||
            pb_box_token_create(b, PB_ROLE_KIOSK, "", kiosk, NULL, NULL) < 0)
                return -1;
        pb_box_free(b);
        if (call(&fx, "POST", "/v1/elections/" ID "/open", fx.admin, NULL, out, sizeof(out)) != 200)
                return -1;
        codes = calloc(count, sizeof(*codes));
        while (codes && n_codes < count) {
                /* in chunks that fit the test client's 64 KiB response buffer */
                size_t chunk = count - n_codes < 1500 ? count - n_codes : 1500;
                char body[64];
                cJSON *j;

                snprintf(body, sizeof(body), "{\"count\":%zu}", chunk);
                if (call(&fx, "POST", "/v1/elections/" ID "/codes", fx.admin, body, out, sizeof(out)) !=
                            201 ||
                    !(j = cJSON_Parse(out)))
                        return -1;
                for (cJSON *c = cJSON_GetObjectItem(j, "codes")->child; c && n_codes < count; c = c->next)
                        snprintf(codes[n_codes++], sizeof(codes[0]), "%s", c->valuestring);
                cJSON_Delete(j);
        }
        return codes ? 0 : -1;
}

/* Cast code @c's ballot on @fd (reconnected as needed) until it is acknowledged; 0, or -1 when
 * the server refused it for good. */
static int cast_one(int *fd, size_t c)
{
        unsigned picks[PICKS];
        char body[512], req[1024], out[4096];
        int n = 0, st = 0;

        picks_of(c, picks);
        n = snprintf(body, sizeof(body), "{\"ballot\":{\"approvals\":[");
        for (int i = 0; i < PICKS; i++)
                n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\"p%02u\"", i ? "," : "", picks[i]);
        snprintf(body + n, sizeof(body) - (size_t)n, "]},\"code\":\"%s\",\"submission_id\":\"%032zx\"}",
                 codes[c], c);
        n = snprintf(req, sizeof(req),
                     "POST /v1/elections/" ID "/ballots HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     kiosk, strlen(body), body);
        for (int attempt = 0; attempt < 100; attempt++) {
                if (*fd < 0 && (*fd = http_connect(fx.port)) < 0) {
                        usleep(10000);
                        continue;
                }
                if (http_send(*fd, req, (size_t)n) < 0 ||
                    (st = http_read_response(*fd, 30000, out, sizeof(out))) <= 0 || st == 503) {
                        /* no answer, or not stored: the same submission again */
                        close(*fd);
                        *fd = -1;
                        if (st == 503)
                                usleep(20000);
                        pthread_mutex_lock(&lock);
                        resent++;
                        pthread_mutex_unlock(&lock);
                        continue;
                }
                break;
        }
        if (st != 201 && st != 200) {
                fprintf(stderr, "FAIL ballot %zu: status %d: %.200s\n", c, st, out);
                return -1;
        }
        pthread_mutex_lock(&lock);
        {
                uint32_t mask = 0;
                for (int i = 0; i < PICKS; i++) {
                        sent_votes[picks[i]]++;
                        mask |= 1u << picks[i];
                }
                sent_sets[mask]++;
                sent_ballots++;
        }
        pthread_mutex_unlock(&lock);
        return 0;
}

static void *client(void *arg)
{
        int fd = -1;

        (void)arg;
        for (;;) {
                size_t c = atomic_fetch_add(&next_code, 1);
                if (c >= n_codes)
                        break;
                if (cast_one(&fd, c) < 0) {
                        pthread_mutex_lock(&lock);
                        failed++;
                        pthread_mutex_unlock(&lock);
                }
        }
        if (fd >= 0)
                close(fd);
        return NULL;
}

/* POST .../@action as the administrator, waiting as long as it takes: the close and the tally of
 * a million ballots take longer than the test client's usual 30 s on a loaded machine. */
static int admin_post(const char *action, char *out, size_t cap)
{
        char req[512];
        int n = snprintf(req, sizeof(req),
                         "POST /v1/elections/" ID "/%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                         "Authorization: Bearer %s\r\n\r\n",
                         action, fx.admin);

        return http_exchange(fx.port, req, (size_t)n, 3600 * 1000, out, cap);
}

/* The signed result's per-project votes and voters, from GET .../result (the DSSE payload). */
static int result_votes(uint64_t votes[PROJECTS], uint64_t *voters)
{
        static char out[1 << 20], payload[1 << 20];
        cJSON *j = NULL, *doc = NULL;
        const cJSON *p64, *tally, *projects;
        size_t n = 0;
        int rc = -1, seen = 0;

        if (call(&fx, "GET", "/v1/elections/" ID "/result", NULL, NULL, out, sizeof(out)) != 200 ||
            !(j = cJSON_Parse(out)))
                goto out;
        p64 = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "payload");
        if (!cJSON_IsString(p64) ||
            sodium_base642bin((unsigned char *)payload, sizeof(payload) - 1, p64->valuestring,
                              strlen(p64->valuestring), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
                goto out;
        payload[n] = '\0';
        doc = cJSON_Parse(payload);
        tally = cJSON_GetObjectItem(doc, "tally");
        projects = cJSON_GetObjectItem(tally, "projects");
        if (!cJSON_IsNumber(cJSON_GetObjectItem(tally, "voters")) || !cJSON_IsArray(projects)) {
                fprintf(stderr, "the result has no tally.voters or tally.projects: %.300s\n", payload);
                goto out;
        }
        *voters = (uint64_t)cJSON_GetObjectItem(tally, "voters")->valuedouble;
        for (const cJSON *p = projects->child; p; p = p->next) {
                const cJSON *id = cJSON_GetObjectItem(p, "id"), *v = cJSON_GetObjectItem(p, "votes");
                unsigned k;
                if (!cJSON_IsString(id) || !cJSON_IsNumber(v) || sscanf(id->valuestring, "p%u", &k) != 1 ||
                    k >= PROJECTS)
                        goto out;
                votes[k] = (uint64_t)v->valuedouble;
                seen++;
        }
        rc = seen == PROJECTS ? 0 : -1;
out:
        cJSON_Delete(doc);
        cJSON_Delete(j);
        return rc;
}

/* GET .../export into @path (the body only); 0 when whole (its Content-Length). */
static int export_to(const char *path)
{
        static char buf[1 << 16];
        char req[512];
        int fd = http_connect(fx.port), rc = -1;
        FILE *f = fopen(path, "wb");
        size_t len = 0, need = 0, got = 0;
        char *end = NULL;
        ssize_t n;

        snprintf(req, sizeof(req),
                 "GET /v1/elections/" ID "/export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                 "Authorization: Bearer %s\r\n\r\n",
                 fx.admin);
        if (fd < 0 || !f || http_send(fd, req, strlen(req)) < 0)
                goto out;
        while (!end && len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
                const char *cl;
                len += (size_t)n;
                buf[len] = '\0';
                if (!(end = strstr(buf, "\r\n\r\n")))
                        continue;
                cl = strstr(buf, "Content-Length: ");
                if (strncmp(buf, "HTTP/1.1 200", 12) || !cl || cl > end)
                        goto out;
                need = (size_t)atoll(cl + 16);
                got = len - (size_t)(end + 4 - buf);
                if (fwrite(end + 4, 1, got, f) != got)
                        goto out;
        }
        while (end && got < need && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
                if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
                        goto out;
                got += (size_t)n;
        }
        rc = end && got == need ? 0 : -1;
out:
        if (fd >= 0)
                close(fd);
        if (f && fclose(f) != 0)
                rc = -1;
        return rc;
}

/* Count one ballots.jsonl line's CVR into @votes and @sets; -1 if it is not one of ours. */
static int count_line(const char *line, uint64_t votes[PROJECTS], uint32_t *sets)
{
        cJSON *j = cJSON_Parse(line), *cvr = NULL;
        const cJSON *text = cJSON_GetObjectItem(j, "cvr"), *approvals;
        uint32_t mask = 0;
        int rc = -1, n = 0;

        if (!cJSON_IsString(text) || !(cvr = cJSON_Parse(text->valuestring)))
                goto out;
        approvals = cJSON_GetObjectItem(cJSON_GetObjectItem(cvr, "ballot"), "approvals");
        for (const cJSON *a = approvals ? approvals->child : NULL; a; a = a->next) {
                unsigned k;
                if (!cJSON_IsString(a) || sscanf(a->valuestring, "p%u", &k) != 1 || k >= PROJECTS ||
                    (mask & (1u << k)))
                        goto out;
                mask |= 1u << k;
                votes[k]++;
                n++;
        }
        sets[mask]++;
        rc = n == PICKS ? 0 : -1;
out:
        cJSON_Delete(cvr);
        cJSON_Delete(j);
        return rc;
}

/* The CVRs of the ustar archive @path (its member named .../ballots.jsonl), counted: the number of
 * CVRs, or -1.  ustar: 512-byte headers, the name at 0 (100 bytes) with its prefix at 345 (155),
 * the size in octal at 124, the body padded to 512. */
static long long count_export(const char *path, uint64_t votes[PROJECTS], uint32_t *sets, uint64_t *bad)
{
        FILE *f = fopen(path, "rb");
        char hdr[512], *line = NULL;
        size_t cap = 0;
        long long cvrs = -1;

        while (f && fread(hdr, 1, 512, f) == 512 && hdr[0]) {
                char name[260], size_text[13];
                unsigned long long size;
                size_t nl;

                memcpy(size_text, hdr + 124, 12);
                size_text[12] = '\0';
                size = strtoull(size_text, NULL, 8);
                snprintf(name, sizeof(name), "%.155s/%.100s", hdr + 345, hdr);
                nl = strlen(name);
                if (nl < 13 || strcmp(name + nl - 13, "ballots.jsonl")) {
                        if (fseeko(f, (off_t)((size + 511) / 512 * 512), SEEK_CUR) != 0)
                                break;
                        continue;
                }
                cvrs = 0;
                for (unsigned long long left = size; left > 0;) {
                        ssize_t n = getline(&line, &cap, f);
                        if (n <= 0 || (unsigned long long)n > left)
                                break;
                        left -= (unsigned long long)n;
                        if (line[n - 1] == '\n')
                                line[n - 1] = '\0';
                        if (count_line(line, votes, sets) < 0)
                                (*bad)++;
                        cvrs++;
                }
                break;
        }
        free(line);
        if (f)
                fclose(f);
        return cvrs;
}

/* Compare the client's counts with the result's and the export's: the number of discrepancies. */
static uint64_t compare(const uint64_t result[PROJECTS], uint64_t voters, const uint64_t cvr[PROJECTS],
                        const uint32_t *cvr_sets, long long cvrs, uint64_t bad)
{
        uint64_t d = bad, sets_differ = 0, positions = 0;

        if (voters != sent_ballots || cvrs < 0 || (uint64_t)cvrs != sent_ballots) {
                fprintf(stderr, "FAIL ballots: %llu acknowledged, %llu voters in the result, %lld CVRs\n",
                        (unsigned long long)sent_ballots, (unsigned long long)voters, cvrs);
                d++;
        }
        for (int p = 0; p < PROJECTS; p++) {
                positions += sent_votes[p];
                printf("p%02d: sent %llu, result %llu, CVRs %llu\n", p, (unsigned long long)sent_votes[p],
                       (unsigned long long)result[p], (unsigned long long)cvr[p]);
                if (result[p] != sent_votes[p] || cvr[p] != sent_votes[p]) {
                        fprintf(stderr, "FAIL p%02d: sent %llu, result %llu, CVRs %llu\n", p,
                                (unsigned long long)sent_votes[p], (unsigned long long)result[p],
                                (unsigned long long)cvr[p]);
                        d++;
                }
        }
        for (uint32_t m = 0; m < (1u << PROJECTS); m++)
                sets_differ += sent_sets[m] != cvr_sets[m];
        if (sets_differ) {
                fprintf(stderr, "FAIL %llu sets of picks counted differently in the CVRs\n",
                        (unsigned long long)sets_differ);
                d += sets_differ;
        }
        if (bad)
                fprintf(stderr, "FAIL %llu exported lines are not a CVR of %d picks\n",
                        (unsigned long long)bad, PICKS);
        printf("positions: %llu acknowledged ballots, %llu positions; %llu discrepancies\n",
               (unsigned long long)sent_ballots, (unsigned long long)positions, (unsigned long long)d);
        return d;
}

int main(int argc, char **argv)
{
        size_t total = argc > 1 ? (size_t)atol(argv[1]) : 10000;
        int clients = argc > 2 ? atoi(argv[2]) : 16;
        pthread_t *th = calloc((size_t)(clients > 0 ? clients : 1), sizeof(*th));
        static char out[65536];
        uint64_t result[PROJECTS] = { 0 }, cvr[PROJECTS] = { 0 }, voters = 0, bad = 0, d;
        uint32_t *cvr_sets = calloc(1u << PROJECTS, sizeof(*cvr_sets));
        char tar[400];
        long long cvrs;
        double t0 = now(), t1, t2, t3;

        sent_sets = calloc(1u << PROJECTS, sizeof(*sent_sets));
        if (total == 0 || clients < 1 || !th || !sent_sets || !cvr_sets || fixture_start(&fx, true) < 0 ||
            setup(total) < 0) {
                fprintf(stderr, "setup failed\n");
                return 1;
        }
        t1 = now();
        printf("positions: %zu codes issued over HTTP in %.1f s\n", total, t1 - t0);
        for (int i = 0; i < clients; i++)
                pthread_create(&th[i], NULL, client, NULL);
        for (int i = 0; i < clients; i++)
                pthread_join(th[i], NULL);
        t2 = now();
        printf("positions: %llu ballots acknowledged in %.1f s (%.0f/s) by %d clients, %llu sent again, %llu "
               "refused\n",
               (unsigned long long)sent_ballots, t2 - t1, (double)sent_ballots / (t2 - t1), clients,
               (unsigned long long)resent, (unsigned long long)failed);
        if (admin_post("close", out, sizeof(out)) != 200 || admin_post("tally", out, sizeof(out)) != 200) {
                fprintf(stderr, "FAIL close or tally: %.300s\n", out);
                return 1;
        }
        if (result_votes(result, &voters) < 0) {
                fprintf(stderr, "FAIL the signed result cannot be read\n");
                return 1;
        }
        snprintf(tar, sizeof(tar), "%s/export.tar", fx.dir);
        if (export_to(tar) < 0) {
                fprintf(stderr, "FAIL the export did not arrive whole\n");
                return 1;
        }
        cvrs = count_export(tar, cvr, cvr_sets, &bad);
        t3 = now();
        printf("positions: closed, tallied, exported and counted in %.1f s; %.1f s in all\n", t3 - t2,
               t3 - t0);
        d = compare(result, voters, cvr, cvr_sets, cvrs, bad) + failed;
        fixture_stop(&fx);
        free(th);
        free(codes);
        free(sent_sets);
        free(cvr_sets);
        return d ? 1 : 0;
}
