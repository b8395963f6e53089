/**
 * @file .blt conformance: the parser's accept/reject cases, official Edinburgh 2017 results,
 * Droop's Scottish and Meek reference reports and stv-rs's Meek transcripts (elected sets and
 * round tables), and textbook winners.  Expected values always come from the shared data.
 *
 * usage: conformance-blt parse-ok FILE
 *        conformance-blt parse-fail FILE
 *        conformance-blt edinburgh DIR WARD.blt          (DIR/expected_winners.json)
 *        conformance-blt droop-scottish FILE.blt REPORT  (Droop report or dump text)
 *        conformance-blt droop-meek FILE.blt REPORT prf|fixed9
 *        conformance-blt winners irv|scottish-stv|meek-stv FILE.blt NAME...
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_blt.h"
#include "engine/pb_alloc.h"

static int failures;

#define FAIL(...)                                                                                            \
        do {                                                                                                 \
                fprintf(stderr, __VA_ARGS__);                                                                \
                fputc('\n', stderr);                                                                         \
                failures++;                                                                                  \
        } while (0)

/* Collapse whitespace runs to one space and trim (Droop re-joins names from tokens). */
static void norm(const char *s, size_t len, char *out, size_t cap)
{
        size_t n = 0, i;
        bool space = false;

        for (i = 0; i < len && n + 1 < cap; i++) {
                if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
                        space = n > 0;
                        continue;
                }
                if (space && n + 2 < cap)
                        out[n++] = ' ';
                space = false;
                out[n++] = s[i];
        }
        out[n] = '\0';
}

static long find_cand(const struct pb_ranked_contest *c, const char *name)
{
        char buf[256];
        size_t i;

        for (i = 0; i < c->n_cand; i++) {
                norm(c->cand[i].name, strlen(c->cand[i].name), buf, sizeof(buf));
                if (!strcmp(buf, name))
                        return (long)i;
        }
        return -1;
}

static int load(const char *path, struct pb_blt *b, struct pb_diag *d)
{
        char *data = NULL;
        size_t len;
        pb_err r;

        pb_blt_init(b);
        pb_diag_clear(d);
        r = pb_file_read(path, PB_BLT_MAX_FILE, &data, &len, d);
        if (r >= 0)
                r = pb_blt_parse(data, len, b, d);
        pb_free(data);
        return r;
}

/* Compare the winners of @o with @names[@n] (whitespace-normalised), as sets. */
static void check_winners(const struct pb_ranked_contest *c, const struct pb_ranked_outcome *o, char **names,
                          size_t n, const char *what)
{
        size_t i, j;

        if (o->n_winners != n)
                FAIL("%s: %zu winners, expected %zu", what, o->n_winners, n);
        for (i = 0; i < n; i++) {
                long k = find_cand(c, names[i]);
                for (j = 0; j < o->n_winners && (long)o->winners[j] != k; j++)
                        ;
                if (k < 0 || j == o->n_winners)
                        FAIL("%s: expected winner \"%s\" not elected", what, names[i]);
        }
        if (!failures)
                fprintf(stderr, "%s: winners match (%zu)\n", what, n);
}

/* ---------------------------------------------------------------------------------------- */
/* Droop / stv-rs report text                                                               */

struct state {
        char name[64][128];
        char value[64][32];
        size_t n;
        char quota[32];
};

struct report {
        struct state *st;
        size_t n, cap;
};

static char *next_line(char **p)
{
        char *s = *p, *e;

        if (!s || !*s)
                return NULL;
        e = strchr(s, '\n');
        if (e) {
                *e = '\0';
                *p = e + 1;
        } else {
                *p = s + strlen(s);
        }
        if (e && e > s && e[-1] == '\r')
                e[-1] = '\0';
        return s;
}

/* "\tElected:  NAME (VALUE)" -> name, value; false for other lines and for "A, B (0)" lists */
static bool cand_line(const char *l, char *name, size_t ncap, char *value, size_t vcap)
{
        static const char *const tags[] = { "\tElected:", "\tHopeful:", "\tDefeated:", "\tPending:" };
        const char *open, *close;
        size_t i, k;

        for (i = 0; i < 4 && strncmp(l, tags[i], strlen(tags[i])); i++)
                ;
        if (i == 4)
                return false;
        l += strlen(tags[i]);
        open = strrchr(l, '(');
        close = strrchr(l, ')');
        if (!open || !close || close < open)
                return false;
        norm(l, (size_t)(open - l), name, ncap);
        if (i == 2 && strchr(name, ','))
                return false; /* a list of defeated candidates at zero */
        k = (size_t)(close - open - 1);
        if (k >= vcap)
                return false;
        memcpy(value, open + 1, k);
        value[k] = '\0';
        return true;
}

/* Read the candidate lines and quota following an action line. */
static void read_state(char **p, struct state *s)
{
        char *l;

        memset(s, 0, sizeof(*s));
        while (*p && **p == '\t' && (l = next_line(p))) {
                if (s->n < 64 &&
                    cand_line(l, s->name[s->n], sizeof(s->name[0]), s->value[s->n], sizeof(s->value[0])))
                        s->n++;
                else if (!strncmp(l, "\tQuota: ", 8))
                        snprintf(s->quota, sizeof(s->quota), "%s", l + 8);
        }
}

static void push(struct report *r, const struct state *s)
{
        if (r->n == r->cap) {
                r->cap = r->cap ? r->cap * 2 : 32;
                r->st = realloc(r->st, r->cap * sizeof(*r->st));
                if (!r->st)
                        abort();
        }
        r->st[r->n++] = *s;
}

/* Scottish: states after the initial count and after each non-zero transfer (our rounds).
 * Meek: per "Round N:" the state at its first Elect or Defeat action (our round N). */
static int parse_report(const char *path, bool meek, struct report *rep)
{
        struct pb_diag d;
        struct state s;
        char *data = NULL, *p, *l;
        size_t len;
        long round = 0, taken = 0;

        memset(rep, 0, sizeof(*rep));
        if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0) {
                FAIL("cannot read %s", path);
                return -1;
        }
        p = data;
        while ((l = next_line(&p))) {
                if (!strncmp(l, "Round ", 6)) {
                        round = strtol(l + 6, NULL, 10);
                        continue;
                }
                if (strncmp(l, "Action: ", 8))
                        continue;
                l += 8;
                if (!meek && (!strncmp(l, "Begin Count", 11) || !strncmp(l, "Transfer defeated", 17) ||
                              (!strncmp(l, "Surplus transferred", 19) && !strstr(l, "(0.00000)")))) {
                        read_state(&p, &s);
                        push(rep, &s);
                } else if (meek && round > taken &&
                           (!strncmp(l, "Elect:", 6) || !strncmp(l, "Defeat (", 8))) {
                        read_state(&p, &s);
                        while (taken + 1 < round) { /* keep rounds aligned */
                                struct state empty;
                                memset(&empty, 0, sizeof(empty));
                                push(rep, &empty);
                                taken++;
                        }
                        push(rep, &s);
                        taken = round;
                }
        }
        pb_free(data);
        return 0;
}

/* The elected names of the Count Complete block, read separately for clarity. */
static size_t final_elected(const char *path, char names[][128], size_t cap)
{
        struct pb_diag d;
        char *data = NULL, *p, *l, name[128], value[32];
        size_t len, n = 0;
        bool in = false;

        if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0)
                return 0;
        p = data;
        while ((l = next_line(&p))) {
                if (!strncmp(l, "Action: Count Complete", 22)) {
                        in = true;
                        n = 0;
                        continue;
                }
                if (in && l[0] != '\t')
                        in = false;
                if (in && !strncmp(l, "\tElected:", 9) &&
                    cand_line(l, name, sizeof(name), value, sizeof(value)) && n < cap)
                        snprintf(names[n++], 128, "%s", name);
        }
        pb_free(data);
        return n;
}

static void compare_rounds(const struct pb_ranked_contest *c, const struct pb_ranked_result *res,
                           const struct report *rep, bool with_quota, const char *what)
{
        size_t k, i, bad = 0;

        if (rep->n != res->n_rounds) {
                FAIL("%s: %zu rounds, the reference has %zu", what, res->n_rounds, rep->n);
                return;
        }
        for (k = 0; k < rep->n; k++) {
                const struct state *s = &rep->st[k];
                const struct pb_ranked_round *rd = &res->rounds[k];
                int64_t v;

                if (with_quota && s->quota[0] &&
                    (pb_ranked_parse_value(s->quota, strlen(s->quota), res->scale, false, &v, NULL) < 0 ||
                     v != rd->threshold) &&
                    bad++ < 10)
                        FAIL("%s: round %zu quota differs (reference %s)", what, k + 1, s->quota);
                for (i = 0; i < s->n; i++) {
                        long ci = find_cand(c, s->name[i]);
                        char mine[PB_RANKED_VALUE_STR_MAX];
                        if (ci < 0) {
                                FAIL("%s: unknown candidate %s in the reference", what, s->name[i]);
                                continue;
                        }
                        if (pb_ranked_parse_value(s->value[i], strlen(s->value[i]), res->scale, false, &v,
                                                  NULL) < 0)
                                FAIL("%s: bad reference value %s", what, s->value[i]);
                        else if (v && v != rd->tally[ci] && bad++ < 10)
                                FAIL("%s: round %zu, %s: ours %s, reference %s", what, k + 1, s->name[i],
                                     pb_ranked_format_value(rd->tally[ci], res->scale, mine), s->value[i]);
                }
        }
        if (!bad && !failures)
                fprintf(stderr, "%s: %zu rounds match\n", what, rep->n);
}

static int droop(const char *blt, const char *ref, bool meek, enum pb_meek_variant variant)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_diag d;
        struct report rep;
        char names[64][128], *ptrs[64];
        size_t n, i;
        pb_err r;

        pb_ranked_outcome_init(&o);
        memset(&rep, 0, sizeof(rep));
        if (load(blt, &b, &d) < 0) {
                FAIL("%s: %s", blt, d.reason ? d.reason : "cannot read");
                goto out;
        }
        r = meek ? pb_meek_run(&b.contest, b.tie_order, variant, &o, &d)
                 : pb_scottish_run(&b.contest, b.tie_order, &o, &d);
        if (r < 0) {
                FAIL("%s: count failed: %s", blt, d.reason ? d.reason : pb_err_name(r));
                goto out;
        }
        n = final_elected(ref, names, 64);
        if (!n)
                FAIL("%s: no elected candidates in the reference", ref);
        for (i = 0; i < n; i++)
                ptrs[i] = names[i];
        check_winners(&b.contest, &o, ptrs, n, blt);
        if (parse_report(ref, meek, &rep) == 0)
                compare_rounds(&b.contest, &o.passes[0], &rep, meek, blt);
out:
        free(rep.st);
        pb_ranked_outcome_release(&o);
        pb_blt_release(&b);
        return failures ? 1 : 0;
}

static int edinburgh(const char *dir, const char *ward)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_diag d;
        char path[1024], *data = NULL, *names[64], buf[64][128];
        size_t len, n = 0;
        cJSON *root = NULL, *list, *x;

        pb_ranked_outcome_init(&o);
        snprintf(path, sizeof(path), "%s/expected_winners.json", dir);
        if (pb_file_read(path, PB_FILE_MAX, &data, &len, &d) < 0 ||
            !(root = cJSON_ParseWithLength(data, len))) {
                FAIL("cannot read %s", path);
                goto out;
        }
        list = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "wards"), ward),
                "elected_official");
        cJSON_ArrayForEach(x, list)
        {
                if (cJSON_IsString(x) && n < 64) {
                        norm(x->valuestring, strlen(x->valuestring), buf[n], sizeof(buf[n]));
                        names[n] = buf[n];
                        n++;
                }
        }
        if (!n) {
                FAIL("no official result for %s", ward);
                goto out;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, ward);
        if (load(path, &b, &d) < 0) {
                FAIL("%s: %s", path, d.reason ? d.reason : "cannot read");
                goto out;
        }
        if (pb_scottish_run(&b.contest, b.tie_order, &o, &d) < 0)
                FAIL("%s: count failed", path);
        else
                check_winners(&b.contest, &o, names, n, ward);
        pb_blt_release(&b);
out:
        cJSON_Delete(root);
        pb_free(data);
        pb_ranked_outcome_release(&o);
        return failures ? 1 : 0;
}

static int winners(const char *rule, const char *blt, char **names, size_t n)
{
        struct pb_blt b;
        struct pb_ranked_outcome o;
        struct pb_rctab_rules ru;
        struct pb_diag d;
        pb_err r;

        pb_ranked_outcome_init(&o);
        if (load(blt, &b, &d) < 0) {
                FAIL("%s: %s", blt, d.reason ? d.reason : "cannot read");
                return 1;
        }
        if (!strcmp(rule, "irv")) {
                pb_rctab_rules_init(&ru);
                ru.overvote = PB_RCTAB_ALWAYS_SKIP;
                ru.max_skipped = -1;
                r = pb_rctab_run(&b.contest, &ru, &o, &d);
        } else if (!strcmp(rule, "meek-stv")) {
                r = pb_meek_run(&b.contest, b.tie_order, PB_MEEK_PRF, &o, &d);
        } else {
                r = pb_scottish_run(&b.contest, b.tie_order, &o, &d);
        }
        if (r < 0)
                FAIL("%s: count failed: %s", blt, d.reason ? d.reason : pb_err_name(r));
        else
                check_winners(&b.contest, &o, names, n, blt);
        pb_ranked_outcome_release(&o);
        pb_blt_release(&b);
        return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
        struct pb_blt b;
        struct pb_diag d;
        char line[512];
        int r;

        if (argc >= 3 && (!strcmp(argv[1], "parse-ok") || !strcmp(argv[1], "parse-fail"))) {
                bool ok = !strcmp(argv[1], "parse-ok");
                r = load(argv[2], &b, &d);
                pb_diag_format(&d, argv[2], line, sizeof(line));
                pb_blt_release(&b);
                if (ok && r < 0)
                        FAIL("should parse: %s", line);
                else if (!ok && r >= 0)
                        FAIL("%s: should be rejected", argv[2]);
                else if (!ok && (!d.reason || !d.line || r == PB_ERR_IO))
                        FAIL("rejected without a line and reason: %s", line);
                else
                        fprintf(stderr, "%s\n", ok ? "parses" : line);
                return failures ? 1 : 0;
        }
        if (argc == 4 && !strcmp(argv[1], "edinburgh"))
                return edinburgh(argv[2], argv[3]);
        if (argc == 4 && !strcmp(argv[1], "droop-scottish"))
                return droop(argv[2], argv[3], false, PB_MEEK_PRF);
        if (argc == 5 && !strcmp(argv[1], "droop-meek"))
                return droop(argv[2], argv[3], true,
                             !strcmp(argv[4], "fixed9") ? PB_MEEK_FIXED9 : PB_MEEK_PRF);
        if (argc >= 5 && !strcmp(argv[1], "winners"))
                return winners(argv[2], argv[3], argv + 4, (size_t)(argc - 4));
        fprintf(stderr, "usage: see the comment at the top of blt_case.c\n");
        return 2;
}
