/**
 * @file A SQLite VFS for tests only (issue 16): power loss and I/O faults at a chosen write or sync.
 *
 * `plv_register()` registers the VFS "pbv-powerloss" over the default (unix) VFS.  Every file
 * opened through it writes straight through to the real file, but the shim remembers, per file
 * path, what each write since that file's last xSync overwrote (its undo).  It counts the events
 * it sees: each xWrite and xTruncate is a write, each xSync a sync; event numbers run from 1 since
 * the last plv_reset().
 *
 * **Power loss** (plv_arm_crash): at the chosen event the machine "loses power".  A write at that
 * event happens and is then subject to loss like every unsynced write; a sync at that event does not
 * happen.  A quarter of the losses keep every unsynced write, a quarter drop them all; otherwise
 * each unsynced write is kept whole, dropped, or torn (a seeded random subset of its
 * 512-byte sectors reaches the disk, the others keep what they held, or zeros past the old end of
 * the file); later writes to a sector win over earlier ones only if they were kept.  From then on
 * every read, write, sync, truncate, size and open through the shim fails (SQLITE_IOERR) until
 * plv_reset(): the caller closes its connections ("the machine is off"), resets, and opens the
 * files again ("reboot"), through the real VFS or this one.
 *
 * **Faults** (plv_arm_fault): from the chosen write (or sync) on, every write (or sync) fails with
 * SQLITE_FULL (ENOSPC), SQLITE_IOERR_WRITE or SQLITE_IOERR_FSYNC (EIO) and changes nothing, until
 * plv_disarm(): a disk that is full until space is freed, a device that errs until it is replaced.
 *
 * Single-threaded: the state is global.  The box opens its connections with it after
 * box_test_set_vfs(PLV_NAME) (ballots/box_int.h).
 */
#ifndef PB_TEST_POWERLOSS_VFS_H
#define PB_TEST_POWERLOSS_VFS_H

#include <stdbool.h>
#include <stdint.h>

#define PLV_NAME "pbv-powerloss"
#define PLV_SECTOR 512

/** What a fault returns. */
enum plv_fault {
        PLV_FAULT_FULL,      /* writes: SQLITE_FULL (ENOSPC) */
        PLV_FAULT_EIO_WRITE, /* writes: SQLITE_IOERR_WRITE (EIO) */
        PLV_FAULT_EIO_FSYNC, /* syncs: SQLITE_IOERR_FSYNC (EIO) */
};

/** Counters since the last plv_reset(). */
struct plv_stats {
        uint64_t events; /* writes + syncs */
        uint64_t writes; /* xWrite and xTruncate */
        uint64_t syncs;  /* xSync */
        bool crashed;    /* power was lost: every I/O fails until plv_reset() */
        uint64_t faults; /* I/O calls failed by an armed fault */
        /* what the power loss did to the unsynced writes */
        uint64_t lost_kept, lost_dropped, lost_torn;
};

/** Register the VFS (once; later calls do nothing).  SQLITE_OK or SQLite's error. */
int plv_register(void);
/** Forget every record and counter, disarm, and power on again (the "reboot"). */
void plv_reset(void);
/** Lose power at event @event (1-based, counted since plv_reset), with tearing seeded by @seed. */
void plv_arm_crash(uint64_t event, uint64_t seed);
/** Fail from the @index-th write (PLV_FAULT_FULL, _EIO_WRITE) or sync (_EIO_FSYNC) on, counted from
 *  plv_reset(), until plv_disarm(). */
void plv_arm_fault(enum plv_fault kind, uint64_t index);
/** Stop failing (a disk with space again); the counters go on. */
void plv_disarm(void);
/** The counters. */
struct plv_stats plv_stats(void);

#endif
