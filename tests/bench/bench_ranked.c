/**
 * @file Benchmark of a whole RCTab contest: read the config and every CVR, count, write the
 * report; repeated N times, each phase timed, peak RSS reported.
 *
 * usage: bench-ranked CONFIG.json [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "formats/pb_format_rctab.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        int i, n = argc > 2 ? atoi(argv[2]) : 1;
        struct rusage ru;

        if (argc < 2) {
                fprintf(stderr, "usage: %s CONFIG.json [REPEAT]\n", argv[0]);
                return 2;
        }
        for (i = 0; i < n; i++) {
                struct pb_rctab_config cfg;
                struct pb_ranked_outcome o;
                struct pb_rctab_meta meta = { NULL, NULL, NULL, NULL, PB_RANKED_PRECINCT, NULL };
                struct pb_diag d;
                struct pb_buf out;
                const char *file = NULL;
                double t0, t1, t2, t3;
                pb_err r;

                pb_rctab_config_init(&cfg);
                pb_ranked_outcome_init(&o);
                pb_buf_init(&out, 0);
                t0 = now();
                r = pb_rctab_load(argv[1], &cfg, &d, &file);
                t1 = now();
                if (r >= 0)
                        r = pb_rctab_run(&cfg.contest, &cfg.rules, &o, &d);
                t2 = now();
                if (r >= 0)
                        r = pb_rctab_report_write(&cfg.contest, &o, &meta, false, &out);
                t3 = now();
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", file ? file : argv[1],
                                d.reason ? d.reason : pb_err_name(r));
                        return 1;
                }
                printf("run %d: %lld ballots, %zu distinct rankings, %zu rounds: read %.3f s, count %.3f s, "
                       "report %.3f s, total %.3f s\n",
                       i + 1, (long long)cfg.contest.n_total, cfg.contest.n_ballots, o.passes[0].n_rounds,
                       t1 - t0, t2 - t1, t3 - t2, t3 - t0);
                pb_buf_release(&out);
                pb_ranked_outcome_release(&o);
                pb_rctab_config_release(&cfg);
        }
        getrusage(RUSAGE_SELF, &ru);
        printf("peak RSS %ld kB\n", ru.ru_maxrss);
        return 0;
}
