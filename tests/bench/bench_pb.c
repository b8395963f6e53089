/**
 * @file Benchmark: parse and tally .pb elections, reporting wall time, throughput and peak RSS.
 *
 *   bench-pb FILE.pb [RULE...]        parse FILE (best of 3), then tally it with each rule
 *   bench-pb --generate N [RULE...]   the same on a generated approval election of N voters
 *                                     (200 projects, 1-10 picks each, popularity skewed)
 * RULE is a `pbvote tally --rule` name (default: greedy).  Figures go to stdout, one per line;
 * docs/performance.md records them.  Not a test: nothing here asserts a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "unit/xorshift.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss;
}

/* xorshift64*: a fixed, seeded generator so every run benchmarks the same election */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
        return xorshift64star(&rng_state);
}

static char *generate(long voters, size_t *ret_len)
{
        enum { PROJECTS = 200 };
        struct pb_buf b;
        int64_t total = 0;

        pb_buf_init(&b, 0);
        if (pb_buf_addf(
                    &b,
                    "META\nkey;value\ndescription;generated benchmark election\ncountry;Worldwide\n"
                    "unit;Bench\ninstance;1\nnum_projects;%d\nnum_votes;%ld\nbudget;%d\nvote_type;approval\n"
                    "rule;greedy\ndate_begin;2026\ndate_end;2026\nmax_length;10\nPROJECTS\n"
                    "project_id;cost;name\n",
                    PROJECTS, voters, 20000000) < 0)
                abort();
        for (int p = 0; p < PROJECTS; p++) {
                int64_t cost = 50000 + (int64_t)(rnd() % 950000);
                total += cost;
                if (pb_buf_addf(&b, "P%03d;%lld;Generated project %d\n", p, (long long)cost, p) < 0)
                        abort();
        }
        if (pb_buf_adds(&b, "VOTES\nvoter_id;vote\n") < 0)
                abort();
        for (long v = 0; v < voters; v++) {
                int picks = 1 + (int)(rnd() % 10), chosen[10], n = 0;

                if (pb_buf_addf(&b, "%ld;", 100000000L + v) < 0)
                        abort();
                while (n < picks) {
                        /* skew: the square of a uniform draw favours low project numbers */
                        uint64_t u = rnd() % 1000;
                        int p = (int)(u * u / 5000), dup = 0;
                        for (int k = 0; k < n; k++)
                                dup |= chosen[k] == p;
                        if (dup)
                                continue;
                        chosen[n] = p;
                        if (pb_buf_addf(&b, "%sP%03d", n ? "," : "", p) < 0)
                                abort();
                        n++;
                }
                if (pb_buf_addc(&b, '\n') < 0)
                        abort();
        }
        (void)total;
        return pb_buf_steal(&b, ret_len);
}

int main(int argc, char **argv)
{
        struct pb_election *e = NULL;
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0;
        double best = 1e9;
        int first_rule = 2;
        const char *label;

        if (argc < 2) {
                fprintf(stderr, "usage: bench-pb FILE.pb|--generate N [RULE...]\n");
                return 2;
        }
        pb_diag_clear(&d);
        if (!strcmp(argv[1], "--generate") && argc > 2) {
                double t0 = now();
                data = generate(atol(argv[2]), &len);
                printf("generate: %.3f s for %ld voters (%.1f MB)\n", now() - t0, atol(argv[2]),
                       (double)len / 1e6);
                label = "generated";
                first_rule = 3;
        } else if (pb_file_read(argv[1], PB_FILE_MAX, &data, &len, &d) < 0) {
                fprintf(stderr, "cannot read %s\n", argv[1]);
                return 1;
        } else {
                label = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
        }
        for (int i = 0; i < 3; i++) {
                double t0 = now(), t;
                pb_election_free(e);
                e = NULL;
                if (pb_format_pb_parse(data, len, &e, NULL, &d) < 0) {
                        fprintf(stderr, "parse failed: line %u: %s\n", d.line, d.reason);
                        return 1;
                }
                t = now() - t0;
                best = t < best ? t : best;
        }
        printf("%s: %zu voters, %zu projects, %.1f MB\n", label, e->ballots.n, e->n_projects,
               (double)len / 1e6);
        printf("parse: %.3f s (best of 3), %.0f MB/s\n", best, (double)len / 1e6 / best);
        for (int i = first_rule; i <= argc; i++) {
                const char *name = i < argc ? argv[i] : "greedy";
                struct pb_rule rule;
                struct pb_result res;
                double t0, t;

                if (i == argc && argc > first_rule)
                        break;
                pb_rule_init(&rule);
                if (pb_rule_set_name(&rule, name) < 0) {
                        fprintf(stderr, "unknown rule %s\n", name);
                        return 2;
                }
                if (rule.kind == PB_RULE_GREEDY_THRESHOLD) {
                        rule.has_threshold = e->has_threshold;
                        rule.threshold = e->threshold;
                }
                pb_result_init(&res);
                t0 = now();
                if (pb_tally_run(e, &rule, &res, &d) < 0) {
                        printf("tally %s: %s\n", name, d.reason ? d.reason : "failed");
                        pb_result_release(&res);
                        continue;
                }
                t = now() - t0;
                printf("tally %s: %.3f s, %zu funded, spent %lld of %lld\n", name, t, res.n_winners,
                       (long long)res.spent, (long long)res.budget);
                pb_result_release(&res);
        }
        printf("peak RSS: %.1f MiB (input text %.1f MiB held during the run)\n",
               (double)peak_rss_kib() / 1024.0, (double)len / 1048576.0);
        pb_election_free(e);
        pb_free(data);
        return 0;
}
