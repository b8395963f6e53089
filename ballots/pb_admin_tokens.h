/**
 * @file Server administrators' API tokens: DATA_DIR/admin.tokens, one "SHA-256-hex label" per line.
 * An admin token acts on every election the server holds and can create elections; tokens of one
 * election live in its ballot box (pb_box_token_*).
 */
#ifndef PB_ADMIN_TOKENS_H
#define PB_ADMIN_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "ballots/pb_box.h" /* an administrator's token has the form of an election's (PB_TOKEN_*) */
#include "engine/pb_err.h"

#define PB_ADMIN_TOKENS_FILE "admin.tokens"

/**
 * Create a token (PB_TOKEN_BYTES random bytes as PB_TOKEN_TEXT_LEN hex digits, returned once in
 * @ret_token) and append the SHA-256 of that text to DATA_DIR/admin.tokens (created 0600; the
 * line is written and synced before return).
 * @param label  optional, printable, at most PB_TOKEN_LABEL_MAX bytes (no line breaks)
 * @return PB_OK, PB_ERR_INVALID (label), PB_ERR_IO
 */
PB_NODISCARD pb_err pb_admin_token_create(const char *data_dir, const char *label,
                                          char ret_token[PB_TOKEN_TEXT_LEN + 1], struct pb_diag *reterr);

/** True if @token (@len bytes) is listed in DATA_DIR/admin.tokens (constant-time comparison). */
bool pb_admin_token_check(const char *data_dir, const char *token, size_t len);

#endif
