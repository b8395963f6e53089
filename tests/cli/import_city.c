/**
 * @file A whole city's vote from its pabulib files (issue 14): `pbvote import DIR` of the city-wide
 * file and its district files makes one vote of one contest per file, one CVR per resident (a
 * voter id in several files); `pbvote tally --db` then gives every contest the same winners as
 * `pbvote tally FILE.pb` of its file; the audit bundle verifies, re-counting every contest;
 * `pbvote export --pb` writes one pabulib file per contest that `pbvote check` passes, and
 * importing those gives the same vote again.
 *
 * usage: test-import-city PBVOTE CITY_DIR
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"

static char pbvote[PATH_MAX], dir[] = "/tmp/pbvote-import-city-XXXXXX";

/* Run @cmd (in the scratch folder); its exit status. */
static int run(const char *cmd)
{
        char full[5 * PATH_MAX];
        int st;

        snprintf(full, sizeof(full), "cd '%s' && %s", dir, cmd);
        st = system(full);
        return st == -1 ? -1 : WEXITSTATUS(st);
}

/* The whole file @name of the scratch folder, parsed as JSON (NULL when it is not). */
static cJSON *json_file(const char *name)
{
        char path[PATH_MAX];
        FILE *f;
        static char buf[64 << 20];
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "rb");
        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return cJSON_Parse(buf);
}

/* Whether two JSON arrays of strings are equal. */
static bool same_list(const cJSON *a, const cJSON *b)
{
        const cJSON *x = a ? a->child : NULL, *y = b ? b->child : NULL;

        if (!cJSON_IsArray(a) || !cJSON_IsArray(b))
                return false;
        for (; x && y; x = x->next, y = y->next)
                if (!cJSON_IsString(x) || !cJSON_IsString(y) || strcmp(x->valuestring, y->valuestring))
                        return false;
        return !x && !y;
}

/* The .pb files of @city, in name order, into @names (their count). */
static int list_files(const char *city, char names[64][256])
{
        DIR *d = opendir(city);
        struct dirent *e;
        int n = 0;

        while (d && (e = readdir(d)) && n < 64) {
                size_t len = strlen(e->d_name);
                if (len > 3 && !strcmp(e->d_name + len - 3, ".pb"))
                        snprintf(names[n++], 256, "%s", e->d_name);
        }
        if (d)
                closedir(d);
        qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
        return n;
}

/* Every contest of the signed tally @tally (the document of the vote) against its own file. */
static void check_contests(const cJSON *tally, const char *city, char names[64][256], int n)
{
        const cJSON *contests = cJSON_GetObjectItem(tally, "contests");
        int same = 0, count = 0;

        for (const cJSON *c = contests ? contests->child : NULL; c; c = c->next)
                count++;
        CHECK_INT(count, n);
        for (int i = 0; i < n; i++) {
                char cmd[3 * PATH_MAX], stem[256];
                cJSON *one;

                snprintf(stem, sizeof(stem), "%.*s", (int)strlen(names[i]) - 3, names[i]);
                snprintf(cmd, sizeof(cmd), "'%s' tally '%s/%s' --format json > one.json", pbvote, city,
                         names[i]);
                CHECK_INT(run(cmd), 0);
                one = json_file("one.json");
                if (same_list(cJSON_GetObjectItem(cJSON_GetObjectItem(contests, stem), "winners"),
                              cJSON_GetObjectItem(one, "winners")))
                        same++;
                else
                        fprintf(stderr, "import-city: %s: not the winners of its file\n", stem);
                cJSON_Delete(one);
        }
        CHECK_INT(same, n);
        fprintf(stderr, "import-city: %d of %d contests have their file's winners\n", same, n);
}

int main(int argc, char **argv)
{
        char names[64][256], cmd[4 * PATH_MAX], city[PATH_MAX];
        cJSON *tally, *again;
        int n;

        if (argc < 3 || !realpath(argv[1], pbvote) || !realpath(argv[2], city) || !mkdtemp(dir)) {
                fprintf(stderr, "usage: test-import-city PBVOTE CITY_DIR\n");
                return 1;
        }
        n = list_files(city, names);
        CHECK(n > 1);
        snprintf(cmd, sizeof(cmd), "'%s' keygen --role engine --out e.key --no-passphrase 2>/dev/null >&2",
                 pbvote);
        CHECK_INT(run(cmd), 0);
        snprintf(cmd, sizeof(cmd), "'%s' import '%s' --db city.db --key e.key 2> import.err", pbvote, city);
        CHECK_INT(run(cmd), 0);
        CHECK_INT(run("grep -q 'residents from' import.err"), 0);
        snprintf(cmd, sizeof(cmd),
                 "'%s' tally --db city.db --key e.key --out result.json > tally.json 2>/dev/null", pbvote);
        CHECK_INT(run(cmd), 0);
        tally = json_file("tally.json");
        CHECK(tally != NULL);
        check_contests(tally, city, names, n);
        /* the audit bundle re-counts every contest */
        snprintf(
                cmd, sizeof(cmd),
                "'%s' export --db city.db --out bundle 2>/dev/null && '%s' verify bundle --allow-uncertified "
                "> verify.out && test \"$(grep -c '^contest: ' verify.out)\" = %d",
                pbvote, pbvote, n);
        CHECK_INT(run(cmd), 0);
        /* pabulib files back, each passing pabulib's checker without a warning (as the city's files
         * do), and the same vote when imported again */
        snprintf(cmd, sizeof(cmd),
                 "'%s' export --db city.db --pb pb --country Poland --unit City --instance 2021 2>/dev/null "
                 "&& "
                 "for f in pb/*.pb; do '%s' check \"$f\" | grep -q ': 0 errors, 0 warnings$' || exit 1; done "
                 "&& "
                 "test $(ls pb | wc "
                 "-l) = %d",
                 pbvote, pbvote, n);
        CHECK_INT(run(cmd), 0);
        snprintf(
                cmd, sizeof(cmd),
                "'%s' import pb --db again.db --key e.key --id again 2>/dev/null && '%s' tally --db again.db "
                "--key e.key --out again.result > again.json 2>/dev/null",
                pbvote, pbvote);
        CHECK_INT(run(cmd), 0);
        again = json_file("again.json");
        CHECK(again != NULL);
        if (tally && again) {
                const cJSON *a = cJSON_GetObjectItem(tally, "contests"),
                            *b = cJSON_GetObjectItem(again, "contests");
                for (const cJSON *c = a ? a->child : NULL; c; c = c->next)
                        CHECK(same_list(cJSON_GetObjectItem(c, "winners"),
                                        cJSON_GetObjectItem(cJSON_GetObjectItem(b, c->string), "winners")));
        }
        cJSON_Delete(tally);
        cJSON_Delete(again);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return check_summary("import-city");
}
