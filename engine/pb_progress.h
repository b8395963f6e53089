/**
 * @file Progress of a long job (issue 17), reported by the layers that never print (formats/,
 * ballots/) to a caller that may (cli/ prints a progress line when stderr is a terminal).
 */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/** How often a job reports, in items: often enough for a line per 0.2 s, rare enough to cost nothing. */
#define PB_PROGRESS_EVERY 4096u

/**
 * A progress callback and its context (borrowed).  @fn receives the items done so far and the
 * total (0 when unknown); it is called every PB_PROGRESS_EVERY items and once at the end, and
 * must not fail the job.
 */
struct pb_progress {
        void (*fn)(void *ctx, uint64_t done, uint64_t total);
        void *ctx;
};

/** Report @done of @total to @p (NULL, or a NULL fn: nothing) when @done is a multiple of
 *  PB_PROGRESS_EVERY, or always when @last. */
static inline void pb_progress_report(const struct pb_progress *p, uint64_t done, uint64_t total, int last)
{
        if (p && p->fn && (last || done % PB_PROGRESS_EVERY == 0))
                p->fn(p->ctx, done, total);
}

#endif
