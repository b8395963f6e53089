/** @file Allocation-failure torture for unit tests: every allocation failing in turn. */
#ifndef PB_TEST_OOM_H
#define PB_TEST_OOM_H

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_err.h"

/*
 * Run @attempt with its n-th allocation failing, for n = 0, 1, 2, ... until it succeeds (at most
 * @max runs).  Every failed run must end in PB_ERR_NOMEM: never a crash, another error, or (under
 * ASan) a leak; the last run must succeed.  @attempt releases whatever it made, in every case.
 */
static inline void check_oom(pb_err (*attempt)(void), long max)
{
        pb_err r = PB_ERR_NOMEM;

        for (long n = 0; n < max && r == PB_ERR_NOMEM; n++) {
                pb_alloc_fail_after(n);
                r = attempt();
                pb_alloc_fail_after(-1);
        }
        CHECK_INT(r, PB_OK);
}

#endif
