/**
 * @file The power-loss and fault VFS of powerloss_vfs.h (tests only).
 *
 * SQLite's own crash tests (src/test6.c, the "crash" VFS) keep every write in memory until xSync
 * and, at the crash, write some of them, whole or in part.  This shim writes through at once and
 * keeps an undo of each unsynced write instead (what the write overwrote), so that reads need no
 * overlay: at the crash it walks the unsynced writes from the last to the first and puts back what
 * each lost sector held.  A sector that a later write kept is settled: an earlier write to it is
 * then part of what the disk holds, whatever its own fate.
 */
#include "powerloss_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One unsynced write (or truncation): what it overwrote, to put back if it is lost. */
struct plv_rec {
        int path;          /* index in g.paths */
        sqlite3_int64 off; /* first byte the write changed */
        size_t len;
        unsigned char *old; /* the bytes before the write (zeros past the old end of the file) */
};

/* A file opened through the shim; the real file's object follows it in the same allocation. */
struct plv_file {
        sqlite3_file base;
        sqlite3_file *real;
        int path; /* index in g.paths, or -1 (a temporary file without a name: nothing to keep) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
        sqlite3_vfs *real;
        char **paths;
        size_t n_paths;
        struct plv_rec *recs;
        size_t n_recs, cap_recs;
        struct plv_stats st;
        uint64_t crash_at, rng;
        bool fault_armed;
        enum plv_fault fault;
        uint64_t fault_at;
} g;

static uint64_t rng_next(void)
{
        /* splitmix64: seeded, the same losses for the same seed */
        uint64_t z = (g.rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int path_index(const char *name)
{
        char **p;

        for (size_t i = 0; i < g.n_paths; i++)
                if (!strcmp(g.paths[i], name))
                        return (int)i;
        p = realloc(g.paths, (g.n_paths + 1) * sizeof(*p));
        if (!p)
                return -1;
        g.paths = p;
        g.paths[g.n_paths] = strdup(name);
        return g.paths[g.n_paths] ? (int)g.n_paths++ : -1;
}

/* ---- the settled sectors of a power loss: an open-addressing set of (path, sector) ---- */

struct sector_set {
        uint64_t *keys; /* key + 1; 0 is empty */
        size_t cap, n;
};

static uint64_t sector_key(int path, sqlite3_int64 sector)
{
        return ((uint64_t)(unsigned)path << 40 | (uint64_t)sector) + 1;
}

static size_t sector_slot(const struct sector_set *s, uint64_t k)
{
        size_t i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 7) & (s->cap - 1);

        while (s->keys[i] && s->keys[i] != k)
                i = (i + 1) & (s->cap - 1);
        return i;
}

static bool sector_has(const struct sector_set *s, uint64_t k)
{
        return s->cap && s->keys[sector_slot(s, k)] == k;
}

static bool sector_add(struct sector_set *s, uint64_t k)
{
        if (2 * (s->n + 1) > s->cap) {
                struct sector_set t = { calloc(s->cap ? 2 * s->cap : 1024, sizeof(uint64_t)),
                                        s->cap ? 2 * s->cap : 1024, 0 };
                if (!t.keys)
                        return false;
                for (size_t i = 0; i < s->cap; i++)
                        if (s->keys[i]) {
                                t.keys[sector_slot(&t, s->keys[i])] = s->keys[i];
                                t.n++;
                        }
                free(s->keys);
                *s = t;
        }
        if (!s->keys[sector_slot(s, k)]) {
                s->keys[sector_slot(s, k)] = k;
                s->n++;
        }
        return true;
}

/* ---- records ---- */

static void recs_drop_path(int path)
{
        size_t j = 0;

        for (size_t i = 0; i < g.n_recs; i++) {
                if (g.recs[i].path == path)
                        free(g.recs[i].old);
                else
                        g.recs[j++] = g.recs[i];
        }
        g.n_recs = j;
}

/* Remember what [off, off+len) of @f holds before it is written (zeros past its end). */
static int rec_add(struct plv_file *f, sqlite3_int64 off, size_t len)
{
        struct plv_rec *r;
        int rc;

        if (f->path < 0 || len == 0)
                return SQLITE_OK;
        if (g.n_recs == g.cap_recs) {
                size_t cap = g.cap_recs ? 2 * g.cap_recs : 256;
                r = realloc(g.recs, cap * sizeof(*r));
                if (!r)
                        return SQLITE_NOMEM;
                g.recs = r;
                g.cap_recs = cap;
        }
        r = &g.recs[g.n_recs];
        r->path = f->path;
        r->off = off;
        r->len = len;
        r->old = malloc(len);
        if (!r->old)
                return SQLITE_NOMEM;
        rc = f->real->pMethods->xRead(f->real, r->old, (int)len, off);
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) { /* a short read zero-fills */
                free(r->old);
                return rc;
        }
        g.n_recs++;
        return SQLITE_OK;
}

/* Put back the bytes of @r within sector @sec (the sector's part that @r wrote). */
static void rec_undo_sector(const struct plv_rec *r, int fd, sqlite3_int64 sec)
{
        sqlite3_int64 a = sec * PLV_SECTOR, b = a + PLV_SECTOR;

        if (a < r->off)
                a = r->off;
        if (b > r->off + (sqlite3_int64)r->len)
                b = r->off + (sqlite3_int64)r->len;
        if (pwrite(fd, r->old + (a - r->off), (size_t)(b - a), (off_t)a) != (ssize_t)(b - a))
                abort(); /* the test machinery itself failed: no result would mean anything */
}

/* The power goes: each unsynced write is kept, dropped or torn, last to first. */
static void power_loss(void)
{
        struct sector_set settled = { NULL, 0, 0 };
        /* a quarter of the losses keep every unsynced write (the drive's cache emptied in time: the
         * last COMMIT is durable although its fsync never returned), a quarter drop them all, the
         * rest decide write by write */
        unsigned all = (unsigned)(rng_next() % 4);

        g.st.crashed = true;
        for (size_t i = g.n_recs; i-- > 0;) {
                const struct plv_rec *r = &g.recs[i];
                unsigned fate = all < 2 ? all : (unsigned)(rng_next() % 3); /* 0 kept, 1 dropped, 2 torn */
                sqlite3_int64 first = r->off / PLV_SECTOR,
                              last = (r->off + (sqlite3_int64)r->len - 1) / PLV_SECTOR;
                int fd = open(g.paths[r->path], O_WRONLY | O_CLOEXEC);

                if (fd < 0 && errno == ENOENT)
                        continue; /* removed since (a temporary file): what it held is gone anyway */
                if (fd < 0)
                        abort();
                g.st.lost_kept += fate == 0;
                g.st.lost_dropped += fate == 1;
                g.st.lost_torn += fate == 2;
                for (sqlite3_int64 s = first; s <= last; s++) {
                        uint64_t k = sector_key(r->path, s);
                        bool kept = fate == 0 || (fate == 2 && (rng_next() & 1));

                        if (sector_has(&settled, k))
                                continue;
                        if (kept) {
                                if (!sector_add(&settled, k))
                                        abort();
                        } else {
                                rec_undo_sector(r, fd, s);
                        }
                }
                close(fd);
        }
        free(settled.keys);
        for (size_t i = 0; i < g.n_recs; i++)
                free(g.recs[i].old);
        g.n_recs = 0;
}

/* Count a write or a sync; lose power when its number comes (a write first happens). */
static bool event_is_crash(void)
{
        g.st.events++;
        return g.crash_at && g.st.events == g.crash_at;
}

static int fault_for(bool sync)
{
        if (!g.fault_armed)
                return SQLITE_OK;
        if (sync) {
                if (g.fault != PLV_FAULT_EIO_FSYNC || g.st.syncs < g.fault_at)
                        return SQLITE_OK;
                g.st.faults++;
                return SQLITE_IOERR_FSYNC;
        }
        if (g.fault == PLV_FAULT_EIO_FSYNC || g.st.writes < g.fault_at)
                return SQLITE_OK;
        g.st.faults++;
        return g.fault == PLV_FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

/* ---- io methods ---- */

static struct plv_file *pf(sqlite3_file *f)
{
        return (struct plv_file *)f;
}

static int x_close(sqlite3_file *f)
{
        int rc = pf(f)->real->pMethods ? pf(f)->real->pMethods->xClose(pf(f)->real) : SQLITE_OK;
        return rc;
}

static int x_read_locked(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
        if (g.st.crashed)
                return SQLITE_IOERR_READ;
        return pf(f)->real->pMethods->xRead(pf(f)->real, p, n, off);
}

static int x_write_locked(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
        int rc;

        if (g.st.crashed)
                return SQLITE_IOERR_WRITE;
        g.st.writes++;
        rc = fault_for(false);
        if (rc != SQLITE_OK) {
                g.st.events++;
                return rc;
        }
        rc = rec_add(pf(f), off, (size_t)n);
        if (rc == SQLITE_OK)
                rc = pf(f)->real->pMethods->xWrite(pf(f)->real, p, n, off);
        if (event_is_crash()) {
                power_loss();
                return SQLITE_IOERR_WRITE;
        }
        return rc;
}

static int x_truncate_locked(sqlite3_file *f, sqlite3_int64 size)
{
        sqlite3_int64 old = 0;
        int rc;

        if (g.st.crashed)
                return SQLITE_IOERR_TRUNCATE;
        g.st.writes++;
        rc = fault_for(false);
        if (rc != SQLITE_OK) {
                g.st.events++;
                return rc == SQLITE_FULL ? rc : SQLITE_IOERR_TRUNCATE;
        }
        rc = pf(f)->real->pMethods->xFileSize(pf(f)->real, &old);
        if (rc == SQLITE_OK && old > size)
                rc = rec_add(pf(f), size, (size_t)(old - size)); /* a lost truncation keeps the tail */
        if (rc == SQLITE_OK)
                rc = pf(f)->real->pMethods->xTruncate(pf(f)->real, size);
        if (event_is_crash()) {
                power_loss();
                return SQLITE_IOERR_TRUNCATE;
        }
        return rc;
}

static int x_sync_locked(sqlite3_file *f, int flags)
{
        int rc;

        if (g.st.crashed)
                return SQLITE_IOERR_FSYNC;
        g.st.syncs++;
        rc = fault_for(true);
        if (rc != SQLITE_OK) {
                g.st.events++;
                return rc;
        }
        if (event_is_crash()) { /* the sync never happens */
                power_loss();
                return SQLITE_IOERR_FSYNC;
        }
        rc = pf(f)->real->pMethods->xSync(pf(f)->real, flags);
        if (rc == SQLITE_OK && pf(f)->path >= 0)
                recs_drop_path(pf(f)->path);
        return rc;
}

static int x_file_size_locked(sqlite3_file *f, sqlite3_int64 *size)
{
        if (g.st.crashed)
                return SQLITE_IOERR_FSTAT;
        return pf(f)->real->pMethods->xFileSize(pf(f)->real, size);
}

static int x_lock(sqlite3_file *f, int l)
{
        return pf(f)->real->pMethods->xLock(pf(f)->real, l);
}

static int x_unlock(sqlite3_file *f, int l)
{
        return pf(f)->real->pMethods->xUnlock(pf(f)->real, l);
}

static int x_check_reserved(sqlite3_file *f, int *out)
{
        return pf(f)->real->pMethods->xCheckReservedLock(pf(f)->real, out);
}

static int x_file_control(sqlite3_file *f, int op, void *arg)
{
        return pf(f)->real->pMethods->xFileControl(pf(f)->real, op, arg);
}

static int x_sector_size(sqlite3_file *f)
{
        return pf(f)->real->pMethods->xSectorSize(pf(f)->real);
}

static int x_device_chars(sqlite3_file *f)
{
        return pf(f)->real->pMethods->xDeviceCharacteristics(pf(f)->real);
}

/* The wal-index (-shm) is shared memory: a reboot clears it (SQLite rebuilds it from the WAL when
 * the first connection opens), so its writes are not recorded; after the crash it cannot be mapped. */
static int x_shm_map_locked(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
        if (g.st.crashed)
                return SQLITE_IOERR_SHMMAP;
        return pf(f)->real->pMethods->xShmMap(pf(f)->real, pg, sz, extend, pp);
}

static int x_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
        return pf(f)->real->pMethods->xShmLock(pf(f)->real, off, n, flags);
}

static void x_shm_barrier(sqlite3_file *f)
{
        pf(f)->real->pMethods->xShmBarrier(pf(f)->real);
}

static int x_shm_unmap(sqlite3_file *f, int del)
{
        return pf(f)->real->pMethods->xShmUnmap(pf(f)->real, del);
}

/* One lock over the shim's state: a server's writer thread writes while the test's thread arms
 * faults and reads the counters. */
static int x_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_read_locked(f, p, n, off);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int x_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_write_locked(f, p, n, off);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_truncate_locked(f, size);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int x_sync(sqlite3_file *f, int flags)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_sync_locked(f, flags);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_file_size_locked(f, size);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int x_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = x_shm_map_locked(f, pg, sz, extend, pp);
        pthread_mutex_unlock(&lock);
        return rc;
}

/* version 2: no xFetch, so SQLite never memory-maps the database and every read comes here */
static const sqlite3_io_methods io_methods = {
        2,
        x_close,
        x_read,
        x_write,
        x_truncate,
        x_sync,
        x_file_size,
        x_lock,
        x_unlock,
        x_check_reserved,
        x_file_control,
        x_sector_size,
        x_device_chars,
        x_shm_map,
        x_shm_lock,
        x_shm_barrier,
        x_shm_unmap,
        NULL,
        NULL,
};

/* ---- the vfs ---- */

static int v_open_locked(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
        struct plv_file *p = pf(f);
        int rc;

        (void)v;
        memset(p, 0, sizeof(*p));
        if (g.st.crashed)
                return SQLITE_CANTOPEN;
        p->real = (sqlite3_file *)(p + 1);
        p->path = name ? path_index(name) : -1;
        if (name && p->path < 0)
                return SQLITE_NOMEM;
        rc = g.real->xOpen(g.real, name, p->real, flags, out);
        if (rc == SQLITE_OK)
                p->base.pMethods = &io_methods;
        else
                p->real->pMethods = NULL;
        return rc;
}

static int v_delete_locked(sqlite3_vfs *v, const char *name, int sync_dir)
{
        (void)v;
        if (g.st.crashed)
                return SQLITE_IOERR_DELETE;
        return g.real->xDelete(g.real, name, sync_dir);
}

static int v_access_locked(sqlite3_vfs *v, const char *name, int flags, int *out)
{
        (void)v;
        if (g.st.crashed)
                return SQLITE_IOERR_ACCESS;
        return g.real->xAccess(g.real, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
        (void)v;
        return g.real->xFullPathname(g.real, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *v, const char *name)
{
        (void)v;
        return g.real->xDlOpen(g.real, name);
}

static void v_dl_error(sqlite3_vfs *v, int n, char *msg)
{
        (void)v;
        g.real->xDlError(g.real, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
        (void)v;
        return g.real->xDlSym(g.real, h, sym);
}

static void v_dl_close(sqlite3_vfs *v, void *h)
{
        (void)v;
        g.real->xDlClose(g.real, h);
}

static int v_randomness(sqlite3_vfs *v, int n, char *out)
{
        (void)v;
        return g.real->xRandomness(g.real, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
        (void)v;
        return g.real->xSleep(g.real, us);
}

static int v_current_time(sqlite3_vfs *v, double *t)
{
        (void)v;
        return g.real->xCurrentTime(g.real, t);
}

static int v_last_error(sqlite3_vfs *v, int n, char *msg)
{
        (void)v;
        return g.real->xGetLastError(g.real, n, msg);
}

static int v_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
        (void)v;
        return g.real->xCurrentTimeInt64(g.real, t);
}

static int v_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = v_open_locked(v, name, f, flags, out);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = v_delete_locked(v, name, sync_dir);
        pthread_mutex_unlock(&lock);
        return rc;
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
        int rc;

        pthread_mutex_lock(&lock);
        rc = v_access_locked(v, name, flags, out);
        pthread_mutex_unlock(&lock);
        return rc;
}

static sqlite3_vfs vfs = {
        .iVersion = 2,
        .zName = PLV_NAME,
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xDlOpen = v_dl_open,
        .xDlError = v_dl_error,
        .xDlSym = v_dl_sym,
        .xDlClose = v_dl_close,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_last_error,
        .xCurrentTimeInt64 = v_current_time64,
};

int plv_register(void)
{
        if (g.real)
                return SQLITE_OK;
        g.real = sqlite3_vfs_find(NULL);
        if (!g.real || g.real->iVersion < 2)
                return SQLITE_ERROR;
        vfs.szOsFile = (int)sizeof(struct plv_file) + g.real->szOsFile;
        vfs.mxPathname = g.real->mxPathname;
        return sqlite3_vfs_register(&vfs, 0);
}

void plv_reset(void)
{
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < g.n_recs; i++)
                free(g.recs[i].old);
        g.n_recs = 0;
        memset(&g.st, 0, sizeof(g.st));
        g.crash_at = 0;
        g.fault_armed = false;
        pthread_mutex_unlock(&lock);
}

void plv_arm_crash(uint64_t event, uint64_t seed)
{
        pthread_mutex_lock(&lock);
        g.crash_at = event;
        g.rng = seed;
        pthread_mutex_unlock(&lock);
}

void plv_arm_fault(enum plv_fault kind, uint64_t index)
{
        pthread_mutex_lock(&lock);
        g.fault_armed = true;
        g.fault = kind;
        g.fault_at = index;
        pthread_mutex_unlock(&lock);
}

void plv_disarm(void)
{
        pthread_mutex_lock(&lock);
        g.fault_armed = false;
        pthread_mutex_unlock(&lock);
}

struct plv_stats plv_stats(void)
{
        struct plv_stats st;

        pthread_mutex_lock(&lock);
        st = g.st;
        pthread_mutex_unlock(&lock);
        return st;
}
