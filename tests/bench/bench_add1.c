/**
 * @file Benchmark: what the Add1 search does on a .pb file, with and without the bounded engine.
 *
 *   bench-add1 FILE.pb [add1|add1-unfloored|add1-exhaustive] [exact]
 *
 * Prints the grid points run (and how many by the exact engine), the certificates tried (and how
 * many by the exact engine), the reported grid index and the time of the search (cost
 * utilities, the file's tie-break for equal shares: cost-then-votes).  `exact` forces the exact
 * engine alone, as before issue 15.  Figures in docs/performance.md; nothing here asserts a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mes_int.h"
#include "engine/pb_alloc.h"
#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        struct pb_election *e = NULL;
        struct pb_rule rule;
        struct pb_diag d;
        struct mes_model mm;
        struct mes_work w;
        struct mes_run run;
        struct pb_rat beta;
        struct mes_add1_stats st;
        struct pb_pb_tolerance tol;
        char *buf;
        size_t len;
        double t0;
        bool exact = argc > 3 && !strcmp(argv[3], "exact");

        if (argc < 2) {
                fprintf(stderr, "usage: bench-add1 FILE.pb [add1|add1-unfloored|add1-exhaustive] [exact]\n");
                return 2;
        }
        if (pb_file_read(argv[1], (size_t)1 << 31, &buf, &len, &d) < 0 ||
            pb_format_pb_parse_lenient(buf, len, &e, &tol, &d) < 0) {
                fprintf(stderr, "bench-add1: cannot read %s\n", argv[1]);
                return 1;
        }
        pb_rule_init(&rule);
        rule.kind = PB_RULE_EQUAL_SHARES;
        rule.utility = PB_UTIL_COST;
        rule.tie_break = PB_TIE_COST_THEN_VOTES;
        rule.completion = argc > 2 && !strcmp(argv[2], "add1-unfloored")    ? PB_COMPLETE_ADD1_UNFLOORED
                          : argc > 2 && !strcmp(argv[2], "add1-exhaustive") ? PB_COMPLETE_ADD1_EXHAUSTIVE
                                                                            : PB_COMPLETE_ADD1;
        if (mes_model_build(&mm, e, &rule, &d) < 0)
                return 1;
        mes_work_init(&w);
        mes_run_init(&run);
        pb_rat_init(&beta);
        t0 = now();
        if (mes_add1(&w, &mm, rule.completion, exact, &run, &beta, &st) < 0)
                return 1;
        printf("%s %s%s: %.3f s, %llu grid steps, %llu runs (%llu exact), %llu certificates (%llu exact), "
               "%zu "
               "selected; %llu prices of %llu groups\n",
               argv[1], argc > 2 ? argv[2] : "add1", exact ? " exact" : "", now() - t0,
               (unsigned long long)st.final_k, (unsigned long long)st.runs, (unsigned long long)st.exact_runs,
               (unsigned long long)st.probes, (unsigned long long)st.exact_probes, run.n_picks,
               (unsigned long long)st.evaluations, (unsigned long long)st.groups);
        pb_rat_release(&beta);
        mes_run_release(&run);
        mes_work_release(&w);
        mes_model_release(&mm);
        pb_election_free(e);
        pb_free(buf);
        return 0;
}
