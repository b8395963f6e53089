/** @file API tokens per role: 256 random bits, stored as SHA-256, compared in constant time. */
#include <sodium.h>
#include <string.h>

#include "ballots/box_int.h"

_Static_assert(PB_TOKEN_TEXT_LEN == 2 * PB_TOKEN_BYTES, "a token's text is its bytes in hex");
_Static_assert(PB_TOKEN_ID_LEN / 2 <= PB_SHA256_BYTES, "a token's id is a prefix of its hash");

static bool label_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n > PB_TOKEN_LABEL_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
                        return false;
        return true;
}

/* The public id of a token: the first 8 bytes of its hash, as hex. */
static void token_id(const uint8_t hash[PB_SHA256_BYTES], char out[PB_TOKEN_ID_LEN + 1])
{
        sodium_bin2hex(out, PB_TOKEN_ID_LEN + 1, hash, PB_TOKEN_ID_LEN / 2);
}

pb_err pb_box_token_create(struct pb_box *b, enum pb_role role, const char *label,
                           char ret_token[PB_TOKEN_TEXT_LEN + 1], char ret_id[PB_TOKEN_ID_LEN + 1],
                           struct pb_diag *reterr)
{
        return pb_box_token_create_flags(b, role, label, 0, ret_token, ret_id, reterr);
}

pb_err pb_box_token_create_flags(struct pb_box *b, enum pb_role role, const char *label, unsigned flags,
                                 char ret_token[PB_TOKEN_TEXT_LEN + 1], char ret_id[PB_TOKEN_ID_LEN + 1],
                                 struct pb_diag *reterr)
{
        return pb_box_token_create_for(b, role, label, flags, NULL, 0, ret_token, ret_id, reterr);
}

/* A set of @len bytes (0: every contest) from a column: restricted when it is not NULL. */
static void contests_of(sqlite3_stmt *st, int col, bool *ret_restricted, struct pb_contest_set *ret)
{
        int n = sqlite3_column_bytes(st, col);

        memset(ret, 0, sizeof(*ret));
        *ret_restricted = sqlite3_column_type(st, col) != SQLITE_NULL;
        if (*ret_restricted && n > 0)
                memcpy(ret->bits, sqlite3_column_blob(st, col),
                       (size_t)n < sizeof(ret->bits) ? (size_t)n : sizeof(ret->bits));
}

pb_err pb_box_token_create_for(struct pb_box *b, enum pb_role role, const char *label, unsigned flags,
                               const char *const *contests, size_t n, char ret_token[PB_TOKEN_TEXT_LEN + 1],
                               char ret_id[PB_TOKEN_ID_LEN + 1], struct pb_diag *reterr)
{
        uint8_t raw[PB_TOKEN_BYTES], hash[PB_SHA256_BYTES];
        char text[PB_TOKEN_TEXT_LEN + 1];
        struct pb_contest_set set;
        size_t set_len = 0;
        sqlite3_stmt *st;
        pb_err r;

        if ((unsigned)role >= PB_ROLE_COUNT)
                return pb_diag_set(reterr, PB_ERR_INVALID, "role",
                                   "expected admin, kiosk, auditor or officer");
        if (!label)
                label = "";
        if (!label_is_valid(label))
                return pb_diag_set(reterr, PB_ERR_INVALID, "label",
                                   "at most " PB_STRINGIFY(PB_TOKEN_LABEL_MAX) " printable ASCII characters");
        if ((flags & ~PB_TOKEN_DEVICE) || ((flags & PB_TOKEN_DEVICE) && role != PB_ROLE_KIOSK))
                return pb_diag_set(reterr, PB_ERR_INVALID, "device", "only a kiosk token can be a device's");
        if (n && role != PB_ROLE_KIOSK && role != PB_ROLE_OFFICER)
                return pb_diag_set(reterr, PB_ERR_INVALID, "$.contests",
                                   "only a kiosk or an officer token can be restricted to contests");
        randombytes_buf(raw, sizeof(raw));
        crypto_hash_sha256(hash, raw, sizeof(raw));
        sodium_bin2hex(text, sizeof(text), raw, sizeof(raw));
        sodium_memzero(raw, sizeof(raw));
        r = box_begin(b, reterr);
        if (r < 0)
                goto out;
        /* the contests of the manifest of this transaction; a kiosk of the one contest of a vote is
         * stored as every contest */
        r = pb_box_contest_set(b->manifest, contests, n, false, &set, &set_len, reterr);
        st = r == PB_OK ? box_stmt(b, ST_TOKEN_INSERT) : NULL;
        if (st) {
                sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
                sqlite3_bind_text(st, 2, pb_role_name(role), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 4, (flags & PB_TOKEN_DEVICE) != 0);
                if (set_len)
                        sqlite3_bind_blob(st, 5, set.bits, (int)set_len, SQLITE_STATIC);
        }
        if (r == PB_OK)
                r = box_exec_stmt(b, st, reterr);
        if (r == PB_OK)
                r = box_commit(b, reterr);
        else
                box_rollback(b);
        if (r == PB_OK) {
                memcpy(ret_token, text, sizeof(text));
                if (ret_id)
                        token_id(hash, ret_id);
        }
out:
        sodium_memzero(text, sizeof(text));
        return r;
}

pb_err pb_box_token_lookup(struct pb_box *b, const char *token, size_t len, struct pb_token_info *ret)
{
        uint8_t raw[PB_TOKEN_BYTES], hash[PB_SHA256_BYTES];
        struct pb_token_info info;
        bool ok = false;
        size_t n = 0;
        sqlite3_stmt *st;

        memset(&info, 0, sizeof(info));
        info.role = PB_ROLE_COUNT;
        if (len != PB_TOKEN_TEXT_LEN)
                return PB_ERR_AUTH;
        for (size_t i = 0; i < len; i++)
                if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
                        return PB_ERR_AUTH;
        if (sodium_hex2bin(raw, sizeof(raw), token, len, NULL, &n, NULL) != 0 || n != sizeof(raw))
                return PB_ERR_AUTH;
        crypto_hash_sha256(hash, raw, sizeof(raw));
        sodium_memzero(raw, sizeof(raw));
        st = box_stmt(b, ST_TOKEN_GET);
        if (!st)
                return PB_ERR_STORAGE;
        sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PB_SHA256_BYTES) {
                /* the lookup is by hash; compare the whole hash in constant time all the same */
                ok = sodium_memcmp(sqlite3_column_blob(st, 0), hash, sizeof(hash)) == 0 &&
                     sqlite3_column_int(st, 2) == 0 &&
                     pb_role_parse((const char *)sqlite3_column_text(st, 1), &info.role) == PB_OK;
                info.flags = (sqlite3_column_int(st, 3) ? PB_TOKEN_DEVICE : 0u) |
                             (sqlite3_column_int(st, 4) ? PB_TOKEN_LOCKED : 0u);
                contests_of(st, 5, &info.restricted, &info.contests);
        }
        sqlite3_reset(st);
        if (!ok)
                return PB_ERR_AUTH;
        token_id(hash, info.id);
        *ret = info;
        return PB_OK;
}

pb_err pb_box_token_check(struct pb_box *b, const char *token, size_t len, enum pb_role *ret_role)
{
        struct pb_token_info info;
        pb_err r = pb_box_token_lookup(b, token, len, &info);

        if (r == PB_OK)
                *ret_role = info.role;
        return r;
}

pb_err pb_box_token_list(struct pb_box *b, pb_box_token_fn fn, void *ctx, struct pb_diag *reterr)
{
        sqlite3_stmt *st;
        pb_err r = box_begin_read_stmt(b, ST_TOKEN_LIST, &st, reterr);
        int rc;

        if (r < 0)
                return r;
        while (r == PB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                char id[PB_TOKEN_ID_LEN + 1];
                struct pb_contest_set set;
                bool restricted;
                enum pb_role role;

                if (sqlite3_column_bytes(st, 0) != PB_SHA256_BYTES ||
                    pb_role_parse((const char *)sqlite3_column_text(st, 1), &role) < 0) {
                        r = pb_diag_set(reterr, PB_ERR_INTERNAL, "tokens", "a damaged token row");
                        break;
                }
                token_id(sqlite3_column_blob(st, 0), id);
                contests_of(st, 6, &restricted, &set);
                r = fn(ctx, id, role, (const char *)sqlite3_column_text(st, 2),
                       sqlite3_column_int(st, 3) != 0,
                       (sqlite3_column_int(st, 4) ? PB_TOKEN_DEVICE : 0u) |
                               (sqlite3_column_int(st, 5) ? PB_TOKEN_LOCKED : 0u),
                       restricted ? &set : NULL);
        }
        sqlite3_reset(st);
        box_rollback(b);
        return r;
}

/* Update the token whose public id is @id with statement @s (@value as ?1 when not negative), in
 * its own transaction; PB_ERR_NOT_FOUND, with @missing, when no row matches. */
static pb_err update_token(struct pb_box *b, enum box_stmt s, int value, const char *id, const char *missing,
                           struct pb_diag *reterr)
{
        sqlite3_stmt *st;
        pb_err r;

        if (strlen(id) != PB_TOKEN_ID_LEN)
                return pb_diag_set(reterr, PB_ERR_NOT_FOUND, "id", missing);
        r = box_begin(b, reterr);
        if (r < 0)
                return r;
        st = box_stmt(b, s);
        if (st) {
                if (value >= 0)
                        sqlite3_bind_int(st, 1, value);
                sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        }
        r = box_exec_stmt(b, st, reterr);
        if (r == PB_OK && sqlite3_changes(b->db) == 0)
                r = pb_diag_set(reterr, PB_ERR_NOT_FOUND, "id", missing);
        if (r == PB_OK)
                r = box_commit(b, reterr);
        else
                box_rollback(b);
        return r;
}

pb_err pb_box_token_revoke(struct pb_box *b, const char *id, struct pb_diag *reterr)
{
        return update_token(b, ST_TOKEN_REVOKE, -1, id, "no token has this id", reterr);
}

pb_err pb_box_token_set_locked(struct pb_box *b, const char *id, bool locked, struct pb_diag *reterr)
{
        return update_token(b, ST_TOKEN_LOCK, locked, id, "no device token has this id", reterr);
}
