/**
 * @file `pbvote import FILE.pb FILE.pb... | DIR`: a city's vote of one year from its pabulib files
 * (the city-wide file and its district files), as one vote of several contests (issue 14).
 *
 * Each file is a contest, named by the file's name without ".pb".  A voter id found in several
 * files is one resident: one voter code for those contests (never shown), one submission carrying
 * their ballots, one cast vote record.  Every contest is optional (a resident voted in some of the
 * files).  The ballots are cast through the normal cast path (flagged "imported", checked as
 * pabulib's checker checks them), the vote is closed, and `pbvote tally --db` counts every contest
 * with its file's rule.
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_key.h"
#include "cli/import_int.h"
#include "formats/pb_file.h"
#include "formats/pb_format_pb.h"
#include "engine/pb_alloc.h"

/** One file of the vote: its path, its election (with its ballots) and the map of its projects. */
struct city_file {
        char *path;             /* owned */
        struct pb_election *pb; /* owned: the file as read */
        uint32_t *items;        /* owned: the file's ballot items as the contest's project indexes */
};

/** A city's vote being imported. */
struct city {
        struct city_file *f; /* owned, n files: contest i is file i */
        size_t n;
        struct pb_manifest *m; /* owned: the vote */
        size_t n_res;          /* residents (distinct voter ids over every file) */
        int32_t *ballot;       /* owned, n_res * n: the ballot of resident r in file f, or -1 */
        char (*codes)[PB_CODE_COMPACT_MAX + 1]; /* sodium_allocarray'd: each resident's code */
        size_t next_code;                       /* issuing: the next resident (of @order) to receive a code */
        uint32_t *order; /* owned: residents in order of their contests (one issue per set) */
};

static void city_release(struct city *c)
{
        for (size_t i = 0; c->f && i < c->n; i++) {
                pb_free(c->f[i].path);
                pb_election_free(c->f[i].pb);
                pb_free(c->f[i].items);
        }
        pb_free(c->f);
        pb_manifest_free(c->m);
        pb_free(c->ballot);
        sodium_free(c->codes);
        pb_free(c->order);
        memset(c, 0, sizeof(*c));
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the path @p (copied) to @c's files. */
static int add_file(struct city *c, const char *p)
{
        struct city_file *g = pb_reallocarray(c->f, c->n + 1, sizeof(*g));

        if (!g)
                return PB_EXIT_SOFTWARE;
        c->f = g;
        memset(&g[c->n], 0, sizeof(g[c->n]));
        if (!(g[c->n].path = pb_strndup(p, strlen(p))))
                return PB_EXIT_SOFTWARE;
        c->n++;
        return PB_EXIT_OK;
}

/* The .pb files of folder @dir, in byte order of their names. */
static int add_folder(struct city *c, const char *dir)
{
        DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        int rc = PB_EXIT_OK;

        if (!d) {
                fprintf(stderr, "pbvote: %s: cannot read the folder\n", dir);
                return PB_EXIT_INPUT;
        }
        while (rc == PB_EXIT_OK && (e = readdir(d))) {
                size_t len = strlen(e->d_name);
                char **g;

                if (len < 4 || strcmp(e->d_name + len - 3, ".pb") || e->d_name[0] == '.')
                        continue;
                g = pb_grow(names, &cap, n + 1, sizeof(*names), 32);
                if (!g || !(g[n] = pb_strndup(e->d_name, len))) {
                        rc = PB_EXIT_SOFTWARE;
                        names = g ? g : names;
                        break;
                }
                names = g;
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (rc == PB_EXIT_OK)
                        rc = add_file(c, path);
                pb_free(names[i]);
        }
        pb_free(names);
        if (rc == PB_EXIT_OK && n == 0) {
                fprintf(stderr, "pbvote: %s: no .pb file in the folder\n", dir);
                rc = PB_EXIT_INPUT;
        }
        return rc;
}

/* Read every file and make its contest; then the vote of them all. */
static int read_files(const struct import_opts *o, struct city *c, const char *vote_id)
{
        struct pb_manifest **parts = pb_calloc(c->n, sizeof(*parts));
        const char *rule = o->rule >= 0 ? cli_pb_rule_names[o->rule] : NULL;
        char title[PB_MANIFEST_TEXT_MAX + 1];
        struct pb_diag d;
        int rc = parts ? PB_EXIT_OK : PB_EXIT_SOFTWARE;
        pb_err r;

        pb_diag_clear(&d);
        for (size_t i = 0; rc == PB_EXIT_OK && i < c->n; i++) {
                char *data = NULL;
                size_t len = 0;

                r = pb_file_read(c->f[i].path, PB_PB_MAX_BYTES, &data, &len, &d);
                if (r == PB_OK)
                        r = pb_format_pb_parse(data, len, &c->f[i].pb, NULL, &d);
                pb_free(data);
                rc = r < 0 ? cli_fail(c->f[i].path, r, &d)
                           : cli_manifest_from_pb(c->f[i].pb, c->f[i].path, NULL, rule, &parts[i]);
        }
        if (rc == PB_EXIT_OK) {
                /* "Katowice 2021": the city and the year its files name, else the vote's id */
                const char *unit = pb_election_meta(c->f[0].pb, "unit"),
                           *instance = pb_election_meta(c->f[0].pb, "instance");
                size_t lu = unit ? strlen(unit) : 0, li = instance ? strlen(instance) : 0;
                if (unit && instance && lu + li + 2 <= sizeof(title)) {
                        memcpy(title, unit, lu);
                        title[lu] = ' ';
                        memcpy(title + lu + 1, instance, li + 1);
                } else {
                        memcpy(title, vote_id, strlen(vote_id) + 1);
                }
                r = pb_manifest_join(parts, c->n, vote_id, title, &c->m, &d);
                if (r < 0)
                        rc = cli_fail(c->f[0].path, r, &d);
        }
        for (size_t i = 0; parts && i < c->n; i++)
                pb_manifest_free(parts[i]);
        pb_free(parts);
        return rc;
}

/* @s[0..len) as the vote's id into @out, or a usage error when it cannot be one. */
static int copy_id(const char *s, size_t len, char out[PB_ID_MAX + 1])
{
        if (len == 0 || len > PB_ID_MAX) {
                fprintf(stderr, "pbvote import: the vote's id must be 1 to %d bytes: give it with --id\n",
                        PB_ID_MAX);
                return PB_EXIT_USAGE;
        }
        memcpy(out, s, len);
        out[len] = '\0';
        return PB_EXIT_OK;
}

/* The vote's id: --id, else the folder's name, else what the file names have in common at their
 * start ("Poland_Katowice_2021" of "Poland_Katowice_2021.pb" and "Poland_Katowice_2021_Dab.pb"). */
static int vote_id_of(const struct import_opts *o, char **paths, int n, char out[PB_ID_MAX + 1])
{
        size_t len;

        if (o->id)
                return copy_id(o->id, strlen(o->id), out);
        cli_stem_of(paths[0], out, PB_ID_MAX + 1);
        for (int i = 1; i < n; i++) {
                char stem[PB_ID_MAX + 1];
                size_t k = 0;
                cli_stem_of(paths[i], stem, sizeof(stem));
                while (out[k] && out[k] == stem[k])
                        k++;
                out[k] = '\0';
        }
        len = strlen(out);
        while (len && (out[len - 1] == '_' || out[len - 1] == '-' || out[len - 1] == ' '))
                out[--len] = '\0';
        if (!len) {
                fprintf(stderr,
                        "pbvote import: the files' names share no start: give the vote's id with --id\n");
                return PB_EXIT_USAGE;
        }
        return PB_EXIT_OK;
}

/* The vote's id for a folder: --id, else the folder's name. */
static int folder_id(const struct import_opts *o, const char *dir, char out[PB_ID_MAX + 1])
{
        const char *base = dir, *end = dir + strlen(dir);

        if (o->id)
                return copy_id(o->id, strlen(o->id), out);
        while (end > dir + 1 && end[-1] == '/')
                end--;
        for (const char *p = dir; p < end; p++)
                if (*p == '/' && p + 1 < end)
                        base = p + 1;
        return copy_id(base, (size_t)(end - base), out);
}

/* A table of voter ids -> residents: open addressing over the ids (borrowed from the files). */
struct voters {
        const char **id;
        uint32_t *res;
        size_t cap; /* a power of two */
};

static uint64_t hash_of(const char *s)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a: the ids are public, no adversary picks them */

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211ull;
        return h;
}

/* The resident of voter id @id (a new one when unseen); UINT32_MAX when out of memory. */
static uint32_t resident_of(struct city *c, struct voters *v, const char *id)
{
        size_t k = (size_t)hash_of(id) & (v->cap - 1);

        while (v->id[k] && strcmp(v->id[k], id))
                k = (k + 1) & (v->cap - 1);
        if (v->id[k])
                return v->res[k];
        v->id[k] = id;
        v->res[k] = (uint32_t)c->n_res++;
        return v->res[k];
}

/* Residents: each file's ballots by voter id; one without an id is a resident of its own. */
static int find_residents(struct city *c)
{
        size_t total = 0;
        struct voters v = { NULL, NULL, 64 };
        int rc = PB_EXIT_OK;

        for (size_t f = 0; f < c->n; f++)
                total += c->f[f].pb->ballots.n;
        while (v.cap < 2 * total)
                v.cap *= 2;
        v.id = pb_calloc(v.cap, sizeof(*v.id));
        v.res = pb_calloc(v.cap, sizeof(*v.res));
        c->ballot = pb_reallocarray(NULL, total ? total * c->n : 1, sizeof(*c->ballot));
        if (!v.id || !v.res || !c->ballot || total > INT32_MAX) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        for (size_t i = 0; i < total * c->n; i++)
                c->ballot[i] = -1;
        for (size_t f = 0; f < c->n; f++) {
                const struct pb_ballots *b = &c->f[f].pb->ballots;
                for (size_t i = 0; i < b->n; i++) {
                        uint32_t r = b->voter_id && b->voter_id[i] ? resident_of(c, &v, b->voter_id[i])
                                                                   : (uint32_t)c->n_res++;
                        c->ballot[(size_t)r * c->n + f] = (int32_t)i;
                }
        }
out:
        pb_free(v.id);
        pb_free(v.res);
        return rc;
}

/* Each file's items as its contest's project indexes (the manifest keeps the file's projects in
 * order; mapped by id all the same). */
static int map_items(struct city *c)
{
        for (size_t f = 0; f < c->n; f++) {
                const struct pb_election *pb = c->f[f].pb, *e = c->m->contests[f].election;
                uint32_t *map = pb_calloc(pb->n_projects ? pb->n_projects : 1, sizeof(*map));

                c->f[f].items =
                        pb_calloc(pb->ballots.n_items ? pb->ballots.n_items : 1, sizeof(*c->f[f].items));
                if (!map || !c->f[f].items) {
                        pb_free(map);
                        return PB_EXIT_SOFTWARE;
                }
                for (size_t p = 0; p < pb->n_projects; p++)
                        map[p] = (uint32_t)pb_election_find_project(e, pb->projects[p].id,
                                                                    strlen(pb->projects[p].id));
                for (size_t i = 0; i < pb->ballots.n_items; i++)
                        c->f[f].items[i] = map[pb->ballots.item[i]];
                pb_free(map);
        }
        return PB_EXIT_OK;
}

/* Whether residents @r and @s voted in different contests. */
static bool by_set_differs(const struct city *c, uint32_t r, uint32_t s)
{
        for (size_t f = 0; f < c->n; f++)
                if ((c->ballot[(size_t)r * c->n + f] >= 0) != (c->ballot[(size_t)s * c->n + f] >= 0))
                        return true;
        return false;
}

/* Residents ordered by the contests they voted in (qsort has no context: the city being sorted). */
static struct city *sorting;

static int by_set(const void *a, const void *b)
{
        const int32_t *x = sorting->ballot + (size_t) * (const uint32_t *)a * sorting->n,
                      *y = sorting->ballot + (size_t) * (const uint32_t *)b * sorting->n;

        for (size_t f = 0; f < sorting->n; f++)
                if ((x[f] >= 0) != (y[f] >= 0))
                        return x[f] >= 0 ? -1 : 1;
        return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static pb_err keep_code(void *ctx, const struct pb_code *code)
{
        struct city *c = ctx;

        memcpy(c->codes[c->order[c->next_code++]], code->text, code->len + 1);
        return PB_OK;
}

/* One code per resident, for the contests it voted in: one issue per set of contests. */
static int issue_codes(struct city *c, struct pb_box *b)
{
        const char **ids = pb_calloc(c->n, sizeof(*ids));
        struct pb_diag d;
        int rc = PB_EXIT_OK;

        c->order = pb_calloc(c->n_res ? c->n_res : 1, sizeof(*c->order));
        c->codes = sodium_allocarray(c->n_res ? c->n_res : 1, sizeof(*c->codes));
        if (!ids || !c->order || !c->codes) {
                pb_free(ids);
                return PB_EXIT_SOFTWARE;
        }
        for (size_t r = 0; r < c->n_res; r++)
                c->order[r] = (uint32_t)r;
        sorting = c;
        qsort(c->order, c->n_res, sizeof(*c->order), by_set);
        pb_diag_clear(&d);
        for (size_t start = 0, end; rc == PB_EXIT_OK && start < c->n_res; start = end) {
                const int32_t *first = c->ballot + (size_t)c->order[start] * c->n;
                size_t k = 0;
                pb_err r;

                for (end = start + 1; end < c->n_res && !by_set_differs(c, c->order[start], c->order[end]);
                     end++)
                        ;
                for (size_t f = 0; f < c->n; f++)
                        if (first[f] >= 0)
                                ids[k++] = c->m->contests[f].election->id;
                r = pb_box_codes_issue_for(b, end - start, ids, k, keep_code, c, &d);
                if (r < 0)
                        rc = cli_fail("database", r, &d);
        }
        pb_free(ids);
        return rc;
}

/* Resident @r's submission: a ballot per file it is in, each as its contest's project indexes. */
static void submission_of(const struct city *c, uint32_t r, struct pb_contest_ballot *parts,
                          struct pb_submission *s)
{
        size_t k = 0;

        memset(s, 0, sizeof(*s));
        for (size_t f = 0; f < c->n; f++) {
                const struct pb_ballots *b = &c->f[f].pb->ballots;
                int32_t i = c->ballot[(size_t)r * c->n + f];
                size_t from;

                if (i < 0)
                        continue;
                from = b->start[i];
                parts[k++] = (struct pb_contest_ballot){ (uint32_t)f, c->f[f].items + from,
                                                         b->points ? b->points + from : NULL,
                                                         pb_ballot_len(b, (size_t)i), PB_MARK_NONE };
        }
        s->code = c->codes[r];
        s->code_len = strlen(c->codes[r]);
        s->ballots = parts;
        s->n_ballots = k;
        s->channel = PB_CHANNEL_IMPORTED;
}

/* A refused resident: the file and line of its first ballot, and why (the path names the contest). */
static void report(const struct city *c, uint32_t r, struct pb_diag *d)
{
        for (size_t f = 0; f < c->n; f++) {
                int32_t i = c->ballot[(size_t)r * c->n + f];
                if (i < 0)
                        continue;
                d->line = c->f[f].pb->ballots.line ? c->f[f].pb->ballots.line[i] : 0;
                cli_report(c->f[f].path, d);
                return;
        }
}

/* Every resident's submission, CLI_IMPORT_BATCH per transaction. */
static int cast_residents(const struct city *c, struct pb_box *b)
{
        struct pb_submission *subs = pb_calloc(CLI_IMPORT_BATCH, sizeof(*subs));
        struct pb_cast_outcome *out = pb_calloc(CLI_IMPORT_BATCH, sizeof(*out));
        struct pb_contest_ballot *parts = pb_calloc((size_t)CLI_IMPORT_BATCH * c->n, sizeof(*parts));
        struct pb_diag d;
        int rc = subs && out && parts ? PB_EXIT_OK : PB_EXIT_SOFTWARE;

        pb_diag_clear(&d);
        for (size_t start = 0; rc == PB_EXIT_OK && start < c->n_res; start += CLI_IMPORT_BATCH) {
                size_t n = c->n_res - start < CLI_IMPORT_BATCH ? c->n_res - start : CLI_IMPORT_BATCH;
                pb_err r;

                for (size_t k = 0; k < n; k++)
                        submission_of(c, (uint32_t)(start + k), parts + k * c->n, &subs[k]);
                r = pb_box_cast(b, subs, n, out, &d);
                if (r < 0) {
                        rc = cli_fail("database", r, &d);
                        break;
                }
                for (size_t k = 0; k < n; k++)
                        if (out[k].status != PB_OK) {
                                report(c, (uint32_t)(start + k), &out[k].diag);
                                rc = PB_EXIT_INPUT;
                        }
        }
        pb_free(subs);
        pb_free(out);
        pb_free(parts);
        return rc;
}

/* The box: created, opened, every resident's code issued, every ballot cast, closed. */
static int fill_box(const struct import_opts *o, struct city *c, struct pb_key_secret *engine,
                    struct pb_key_secret *office)
{
        struct pb_box *b = NULL;
        struct pb_diag d;
        char now[21];
        int rc = PB_EXIT_OK;
        pb_err r;

        pb_diag_clear(&d);
        cli_now(now);
        /* a historic vote: batches are for hiding the order of arrival, which files do not have */
        c->m->batch_min = 1000;
        r = pb_box_create(o->db, c->m, &b, &d);
        if (r == PB_OK)
                r = pb_box_set_engine_key(b, engine, &d);
        if (r == PB_OK)
                r = pb_box_election_open(b, office ? office : engine, &d);
        if (r < 0)
                rc = cli_fail(o->db, r, &d);
        if (rc == PB_EXIT_OK && c->n_res)
                rc = issue_codes(c, b);
        if (rc == PB_EXIT_OK && c->n_res)
                rc = cast_residents(c, b);
        if (rc == PB_EXIT_OK && (r = pb_box_election_close(b, o->at ? o->at : now, &d)) < 0)
                rc = cli_fail(o->db, r, &d);
        pb_box_free(b);
        return rc;
}

int cli_import_city(const struct import_opts *o, char **paths, int n, struct pb_key_secret *engine,
                    struct pb_key_secret *office)
{
        struct city c;
        char id[PB_ID_MAX + 1];
        size_t ballots = 0;
        int rc;

        memset(&c, 0, sizeof(c));
        if (n == 1) {
                rc = folder_id(o, paths[0], id);
                if (rc == PB_EXIT_OK)
                        rc = add_folder(&c, paths[0]);
        } else {
                rc = vote_id_of(o, paths, n, id);
                for (int i = 0; rc == PB_EXIT_OK && i < n; i++)
                        rc = add_file(&c, paths[i]);
        }
        if (rc == PB_EXIT_OK)
                rc = read_files(o, &c, id);
        if (rc == PB_EXIT_OK)
                rc = find_residents(&c);
        if (rc == PB_EXIT_OK)
                rc = map_items(&c);
        if (rc == PB_EXIT_OK)
                rc = fill_box(o, &c, engine, office);
        for (size_t f = 0; rc == PB_EXIT_OK && f < c.n; f++)
                ballots += c.f[f].pb->ballots.n;
        if (rc == PB_EXIT_OK)
                fprintf(stderr,
                        "pbvote: imported %zu ballots of %zu residents from %zu files into %s (vote %s, %zu "
                        "contests, closed)\n",
                        ballots, c.n_res, c.n, o->db, c.m->election->id, c.m->n_contests);
        city_release(&c);
        return rc;
}
