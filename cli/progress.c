/**
 * @file The progress line of a long job (issue 17): on a terminal only, rewritten in place at most
 * five times a second with the count, the rate and the time left, and a last line with the total
 * and the time it took.  Not on a pipe or a file (logs, scripts, the journal), nor with --quiet.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#define REDRAW_MS 200

static uint64_t now_ms(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void draw(void *ctx, uint64_t done, uint64_t total)
{
        struct cli_progress *cp = ctx;
        uint64_t t = now_ms(), ms = t - cp->t0_ms, rate;

        if (done < total && t - cp->last_ms < REDRAW_MS)
                return;
        cp->last_ms = t;
        rate = ms ? done * 1000u / ms : done;
        if (done >= total && total) {
                fprintf(stderr, "\r%s: %llu %s in %llu.%llu s (%llu/s)\033[K\n", cp->what,
                        (unsigned long long)done, cp->unit, (unsigned long long)(ms / 1000),
                        (unsigned long long)(ms % 1000 / 100), (unsigned long long)rate);
                cp->open = false;
                return;
        }
        if (total && done && rate) {
                uint64_t left = (total - done) / rate;
                fprintf(stderr, "\r%s: %llu of %llu %s (%llu%%), %llu/s, %llu:%02llu left\033[K", cp->what,
                        (unsigned long long)done, (unsigned long long)total, cp->unit,
                        (unsigned long long)(done * 100u / total), (unsigned long long)rate,
                        (unsigned long long)(left / 60), (unsigned long long)(left % 60));
        } else {
                fprintf(stderr, "\r%s: %llu %s, %llu/s\033[K", cp->what, (unsigned long long)done, cp->unit,
                        (unsigned long long)rate);
        }
        cp->open = true;
}

void cli_progress_start(struct cli_progress *cp, const char *what, const char *unit, bool quiet)
{
        cp->what = what;
        cp->unit = unit;
        cp->open = false;
        cp->t0_ms = cp->last_ms = now_ms();
        cp->p.fn = !quiet && isatty(STDERR_FILENO) ? draw : NULL;
        cp->p.ctx = cp;
}

void cli_progress_end(struct cli_progress *cp)
{
        if (cp->open)
                fputc('\n', stderr); /* the job stopped before its total: keep what it reached */
        cp->open = false;
}
