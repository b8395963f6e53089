/**
 * @file The codes a ballot box issues, kept in the order it issued them, for the programs that
 * cast them afterwards (box/kill9.c, bench/bench_box.c): the array (allocated and sized by the
 * program) and pb_box_codes_issue()'s callback that fills it, with the engine and office keys.
 */
#ifndef PB_TEST_KEPT_CODES_H
#define PB_TEST_KEPT_CODES_H

#include <string.h>

#include "ballots/pb_box.h"

static struct pb_key_secret engine, office;
static char (*codes)[PB_CODE_COMPACT_MAX + 1]; /* room for every code the program issues */
static size_t n_codes;

/* pb_box_codes_issue()'s callback: keep @c (@ctx unused). */
static inline pb_err keep(void *ctx, const struct pb_code *c)
{
        (void)ctx;
        memcpy(codes[n_codes++], c->text, c->len + 1);
        return PB_OK;
}

#endif
