/** @file `pbvote import`'s options, shared by the import of one file and of a city's files. */
#ifndef PB_CLI_IMPORT_INT_H
#define PB_CLI_IMPORT_INT_H

#include "ballots/pb_box.h"
#include "engine/pb_key.h"

struct import_opts {
        const char *db, *key, *office_key, *id, *at, *pass_file, *office_pass_file;
        int rule;
};

/** Ballots cast per transaction (and codes kept in guarded memory per batch). */
#define CLI_IMPORT_BATCH 2048

/**
 * `pbvote import` of several pabulib files, or of a folder of them (import_city.c): one vote whose
 * contests are the files (each under its file name without ".pb"), one resident per voter id (the
 * same id in several files is one resident's ballot for several contests: one code, one CVR).
 * @return an exit status (after printing why)
 */
int cli_import_city(const struct import_opts *o, char **paths, int n, struct pb_key_secret *engine,
                    struct pb_key_secret *office);

#endif
