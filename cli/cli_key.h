/** @file Shared helpers of the ballot-box subcommands: passphrases, key files, the box. */
#ifndef PB_CLI_KEY_H
#define PB_CLI_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ballots/pb_box.h"
#include "formats/pb_keyfile.h"
#include "engine/pb_key.h"

struct cli_command;

#define CLI_PASS_CAP (PB_KEYFILE_PASS_MAX + 2)

/**
 * The passphrase into @buf (CLI_PASS_CAP bytes, sodium_malloc'd by the caller): the first line of
 * @file, else PBVOTE_PASSPHRASE, else the terminal without echo (asked twice when @twice).
 * @return 0, or an exit status after printing why
 */
int cli_passphrase(const char *file, bool twice, char *buf, size_t *ret_len);

/**
 * Load the key file @path (its role must be @role), asking for the passphrase when it is encrypted
 * and warning on stderr when it is not.
 * @param ret  [out] sodium_malloc'd; free with cli_key_free()
 * @return 0, or an exit status after printing why
 */
int cli_key_load(const char *path, enum pb_key_role role, const char *pass_file, struct pb_key_secret **ret);
/**
 * Whether this process has not yet warned that the key file @path is not encrypted; records it.
 * `serve --demo` creates the demo keys, loads them to open the demo election and loads them again
 * to serve: one warning per key file says it.
 */
bool cli_key_first_warning(const char *path);
/** Wipe and free a key from cli_key_load().  Accepts NULL. */
void cli_key_free(struct pb_key_secret *k);

/** Open the ballot box @db of command @cmd (printing why not; a missing --db is a usage error of
 *  @cmd).  @return 0 or an exit status. */
int cli_box_open(const struct cli_command *cmd, const char *db, struct pb_box **ret);
/** Load the engine key @path and attach it to @b.  @ret owns it (cli_key_free).  @return 0 or a status. */
int cli_box_engine(struct pb_box *b, const char *path, const char *pass_file, struct pb_key_secret **ret);
/** Report @d about @what (the database or a file) and return the exit status for @r. */
int cli_fail(const char *what, pb_err r, const struct pb_diag *d);
/**
 * A manifest for the pabulib file @path: @id (NULL: the file name without ".pb") and the rule
 * named @rule_name (NULL: the file's own).  @return 0 or an exit status (after printing why).
 */
int cli_manifest_from_pb_file(const char *path, const char *id, const char *rule_name,
                              struct pb_manifest **ret);

/** cli_manifest_from_pb_file() of the file @path already read into @e (borrowed). */
int cli_manifest_from_pb(const struct pb_election *e, const char *path, const char *id, const char *rule_name,
                         struct pb_manifest **ret);

/** The id of an election made from FILE.pb: the file's name without folders and ".pb", into @out. */
void cli_stem_of(const char *path, char *out, size_t cap);

/** The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void cli_now(char out[21]);

#endif
