/**
 * @file The server with many and damaged ballot boxes (issue 11), as a real `pbvote serve` process:
 * - under `ulimit -n 1024`, 400 creates: the server raises its soft limit to the hard one, says how
 *   many elections it can serve, creates that many and refuses the rest with 503 and a reason,
 *   leaving no file behind; it starts again afterwards, and with a lower limit it serves what fits
 *   and lists the rest as unavailable;
 * - a data folder with damaged boxes (zeroes, an empty file, a text file, a box under another
 *   name): the server starts, lists each as unavailable with its reason, answers its routes 503
 *   with that reason, and serves the others.
 * usage: test-api-store PBVOTE
 */
#include <limits.h>
#include <sodium.h>

#include "check.h"
#include "serve_proc.h"

static const char *pbvote;
static char top[256];

static const char manifest_fmt[] =
        "{\"ballot\":{\"max_length\":1,\"min_length\":1,\"type\":\"approval\"},\"budget\":100,\"currency\":"
        "\"EUR\",\"id\":\"%s\",\"projects\":[{\"cost\":60,\"id\":\"a\",\"name\":\"A\"},{\"cost\":50,\"id\":"
        "\"b\","
        "\"name\":\"B\"}],\"rule\":{\"name\":\"greedy\",\"tie_break\":\"file-order\"},\"scale\":0,\"title\":"
        "\"Store\",\"type\":\"pbvote.manifest/v1\"}";

/* A data folder @name under the test's folder, with an engine key and an admin token. */
static int data_folder(struct serve_proc *s, const char *name, char *admin, size_t cap)
{
        memset(s, 0, sizeof(*s));
        s->pbvote = pbvote;
        snprintf(s->data, sizeof(s->data), "%s/%s", top, name);
        if (mkdir(s->data, 0700) < 0 ||
            sh("'%s' keygen --role engine --out '%s/engine.key' --no-passphrase > /dev/null 2>&1", pbvote,
               s->data))
                return -1;
        return sh_line(admin, cap, "'%s' token create --data '%s' --role admin 2>/dev/null", pbvote, s->data);
}

static int create(const struct serve_proc *s, const char *admin, const char *id, char *out, size_t cap)
{
        char body[1024];

        snprintf(body, sizeof(body), manifest_fmt, id);
        return serve_call(s, "POST", "/v1/elections", admin, body, out, cap);
}

/* Files DATA/<id>.db, -wal, -shm: how many exist. */
static int files_of(const struct serve_proc *s, const char *id)
{
        static const char *const suffix[] = { ".db", ".db-wal", ".db-shm", ".db-journal" };
        char path[800];
        struct stat st;
        int n = 0;

        for (int i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/%s%s", s->data, id, suffix[i]);
                n += lstat(path, &st) == 0;
        }
        return n;
}

/* "room for N elections" in the server's output (printed before it serves, so it is there once
 * /v1/health answered); -1 when absent. */
static long room(const struct serve_proc *s)
{
        static char buf[1 << 16];
        FILE *f = fopen(s->out, "r");
        const char *p;
        size_t n;

        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strstr(buf, "room for ");
        return p ? atol(p + 9) : -1;
}

/* How many elections the listing shows, and how many of them unavailable. */
static void listing(const struct serve_proc *s, int *ret_all, int *ret_unavailable)
{
        static char out[1 << 20];
        const char *p = out;

        *ret_all = *ret_unavailable = 0;
        CHECK_INT(serve_call(s, "GET", "/v1/elections", NULL, NULL, out, sizeof(out)), 200);
        while ((p = strstr(p, "{\"id\":"))) {
                const char *end = strchr(p, '}');
                (*ret_all)++;
                if (end && strstr(p, "\"state\":\"unavailable\"") &&
                    strstr(p, "\"state\":\"unavailable\"") < end)
                        (*ret_unavailable)++;
                p++;
        }
}

/* 400 creates under `ulimit -n 1024`, as in the issue. */
static void many_elections(void)
{
        struct serve_proc s;
        char admin[80], out[4096], id[32];
        int made = 0, refused = 0, left = 0, all, unavailable;
        long n;

        CHECK_INT(data_folder(&s, "many", admin, sizeof(admin)), 0);
        CHECK_INT(serve_start(&s, 1024, 1024, NULL), 0);
        n = room(&s);
        /* 1024 - 512 connections - 2 x 2 polling threads - 64 spare, 3 descriptors per election */
        CHECK_INT(n, (1024 - 512 - 4 - 64) / 3);
        for (int i = 0; i < 400; i++) {
                int st;

                snprintf(id, sizeof(id), "e%03d", i);
                st = create(&s, admin, id, out, sizeof(out));
                if (st == 201) {
                        made++;
                        continue;
                }
                refused++;
                if (st != 503 || !strstr(out, "open-file limit")) {
                        if (refused < 3)
                                fprintf(stderr, "create %s: %d %s\n", id, st, out);
                        CHECK_INT(st, 503);
                }
                left += files_of(&s, id);
        }
        CHECK_INT(made, n);
        CHECK_INT(refused, 400 - n);
        CHECK_INT(left, 0);
        /* every election created works */
        snprintf(id, sizeof(id), "/v1/elections/e%03d/codes", made - 1);
        CHECK_INT(serve_call(&s, "POST", id, admin, "{\"count\":3}", out, sizeof(out)), 201);
        serve_stop(&s);
        /* it starts again, and a soft limit below the hard one is raised to it */
        CHECK_INT(serve_start(&s, 256, 1024, NULL), 0);
        CHECK(file_has(s.out, "open-file limit 1024 (was 256)"));
        listing(&s, &all, &unavailable);
        CHECK_INT(all, made);
        CHECK_INT(unavailable, 0);
        serve_stop(&s);
        /* with a lower limit: what fits is served, the rest is unavailable and says why */
        CHECK_INT(serve_start(&s, 700, 700, NULL), 0);
        n = room(&s);
        CHECK_INT(n, (700 - 512 - 4 - 64) / 3);
        listing(&s, &all, &unavailable);
        CHECK_INT(all, made);
        CHECK_INT(unavailable, made - n);
        snprintf(id, sizeof(id), "/v1/elections/e%03d", made - 1);
        CHECK_INT(serve_call(&s, "GET", id, NULL, NULL, out, sizeof(out)), 503);
        CHECK(strstr(out, "open-file limit") != NULL);
        CHECK_INT(serve_call(&s, "GET", "/v1/elections/e000", NULL, NULL, out, sizeof(out)), 200);
        CHECK_INT(create(&s, admin, "more", out, sizeof(out)), 503);
        CHECK_INT(files_of(&s, "more"), 0);
        serve_stop(&s);
}

/* Damaged boxes beside good ones. */
static void damaged_boxes(void)
{
        struct serve_proc s;
        char admin[80], out[65536];
        int all, unavailable;

        CHECK_INT(data_folder(&s, "damaged", admin, sizeof(admin)), 0);
        CHECK_INT(serve_start(&s, 0, 0, NULL), 0);
        CHECK_INT(create(&s, admin, "good", out, sizeof(out)), 201);
        CHECK_INT(create(&s, admin, "moved", out, sizeof(out)), 201);
        serve_stop(&s);
        CHECK_INT(sh("cd '%s' && head -c 4096 /dev/zero > zeroes.db && : > empty.db && echo 'not a box' > "
                     "text.db && "
                     "mv moved.db renamed.db && rm -f moved.db-wal moved.db-shm",
                     s.data),
                  0);
        CHECK_INT(serve_start(&s, 0, 0, NULL), 0);
        listing(&s, &all, &unavailable);
        CHECK_INT(all, 5);
        CHECK_INT(unavailable, 4);
        CHECK_INT(serve_call(&s, "GET", "/v1/elections", NULL, NULL, out, sizeof(out)), 200);
        CHECK(strstr(out,
                     "{\"id\":\"empty\",\"reason\":\"not a pbvote ballot box\",\"state\":\"unavailable\"") !=
              NULL);
        CHECK(strstr(out, "{\"id\":\"good\",\"state\":\"draft\",\"title\":\"Store\"}") != NULL);
        /* each unavailable election's routes say why, to anyone, before any credential is asked */
        CHECK_INT(serve_call(&s, "GET", "/v1/elections/renamed", NULL, NULL, out, sizeof(out)), 503);
        CHECK(strstr(out, "\"detail\":\"file name differs from the election id\"") != NULL);
        CHECK(strstr(out, "error/unavailable") != NULL); /* the registry's 503; the detail says why */
        CHECK_INT(serve_call(&s, "POST", "/v1/elections/zeroes/codes", admin, "{\"count\":1}", out,
                             sizeof(out)),
                  503);
        CHECK(strstr(out, "\"detail\":\"the database file is damaged\"") != NULL);
        CHECK_INT(serve_call(&s, "GET", "/v1/elections/text/turnout", NULL, NULL, out, sizeof(out)), 503);
        /* the good one serves; an unavailable id is not created over */
        CHECK_INT(
                serve_call(&s, "POST", "/v1/elections/good/codes", admin, "{\"count\":2}", out, sizeof(out)),
                201);
        CHECK_INT(create(&s, admin, "empty", out, sizeof(out)), 409);
        CHECK(file_has(s.out, "election renamed unavailable: file name differs from the election id"));
        serve_stop(&s);
}

int main(int argc, char **argv)
{
        static char bin[PATH_MAX];

        if (argc < 2 || !realpath(argv[1], bin) || sodium_init() < 0) {
                fprintf(stderr, "usage: test-api-store PBVOTE\n");
                return 2;
        }
        pbvote = bin;
        snprintf(top, sizeof(top), "%s/pbvote-api-store-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(top))
                return 1;
        RUN(damaged_boxes);
        RUN(many_elections);
        if (!check_failures)
                sh("rm -rf '%s'", top);
        else
                fprintf(stderr, "kept %s\n", top);
        return check_summary("api-store");
}
