/**
 * @file Voter codes: caller-provided random bytes as Crockford base32 with a check symbol of the
 * same 32 letters and digits, printed in groups of four ("7Q2M-K9XD-3RTB-H8VW-2"), read
 * forgivingly, stored as keyed hashes.
 *
 * Alphabet (value 0-31): 0123456789ABCDEFGHJKMNPQRSTVWXYZ.  The bytes are read as one big-endian
 * number, 5 bits per symbol; the check symbol is the symbols as a polynomial over GF(32)
 * evaluated at its generator (DESIGN.md §5.4, docs/integrity.md §5), which catches every
 * single-symbol error and every transposition of two adjacent symbols.  Codes issued before
 * issue 13 carry Crockford's mod-37 check symbol (which may be one of *~$=U):
 * pb_code_parse_mod37() reads them, for a ballot box that issued them (docs/integrity.md,
 * departure 14).  The engine never generates randomness: the bytes are an argument (the caller
 * draws them from libsodium).  Codes are secrets: no function here copies a code into a
 * diagnostic.
 */
#ifndef PB_CODE_H
#define PB_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pb_cvr.h"
#include "engine/pb_err.h"

#define PB_CODE_BYTES 10                                    /* the default: 80 bits, 16 symbols + check */
#define PB_CODE_MIN_BYTES 10                                /* at least 80 bits */
#define PB_CODE_MAX_BYTES 40                                /* 320 bits */
#define PB_CODE_COMPACT_MAX (PB_CODE_MAX_BYTES * 8 / 5 + 1) /* symbols + check */
#define PB_CODE_PRINT_MAX (PB_CODE_COMPACT_MAX + PB_CODE_COMPACT_MAX / 4 + 1) /* with dashes */
#define PB_CODE_HASH_BYTES 32 /* keyed BLAKE2b-256 of a code: what the box stores */
#define PB_CODE_KEY_BYTES 32  /* the per-election secret (pepper) */
/** BLAKE2b personalisation (16 bytes, NUL-padded): domain separation of code hashes. */
#define PB_CODE_HASH_PERSONAL "pbv-code-hash01"
#define PB_CODE_SHORT_LEN 10 /* short code: 50 bits of a commitment */

/**
 * A code in compact canonical form: upper-case symbols then the check symbol, no separators
 * ("7Q2MK9XD3RTBH8VW2").  Caller storage; it holds a secret, so wipe it with pb_code_wipe().
 */
struct pb_code {
        char text[PB_CODE_COMPACT_MAX + 1]; /* NUL-terminated */
        size_t len;                         /* symbols including the check symbol */
};

/**
 * Encode @nbytes random bytes as a code.
 * @param nbytes  a multiple of 5 from PB_CODE_MIN_BYTES to PB_CODE_MAX_BYTES (so that every
 *                symbol carries 5 bits); anything else gives PB_ERR_INVALID
 * @return PB_OK or PB_ERR_INVALID; @ret is written only on PB_OK
 */
PB_NODISCARD pb_err pb_code_from_bytes(const uint8_t *bytes, size_t nbytes, struct pb_code *ret,
                                       struct pb_diag *reterr);

/**
 * Read a code as a person typed it: case is ignored, I and L read as 1, O as 0, dashes and spaces
 * are skipped.  The result must have exactly the symbol count of an @nbytes code, and its last
 * symbol the GF(32) check symbol pb_code_from_bytes() writes.
 * @param s, len  the typed text (any bytes)
 * @return PB_OK;
 *         PB_ERR_PARSE for a character that cannot be in a code (reterr->col is its 1-based
 *         position in @s) or the wrong number of symbols;
 *         PB_ERR_INVALID when the check symbol does not match ("a character was mistyped");
 *         @ret is written only on PB_OK.  The diagnostic never contains the code.
 */
PB_NODISCARD pb_err pb_code_parse(const char *s, size_t len, size_t nbytes, struct pb_code *ret,
                                  struct pb_diag *reterr);

/**
 * Read a code issued before issue 13, whose check symbol is the number modulo 37 in the alphabet
 * extended by *~$=U (32-36), which may stand only last.  As pb_code_parse() otherwise: the same
 * forgiving reading, errors and compact form (with the legacy check symbol, as it was hashed when
 * issued).  Only a ballot box that issued such codes reads them (ballots/box_prepare.c).
 */
PB_NODISCARD pb_err pb_code_parse_mod37(const char *s, size_t len, size_t nbytes, struct pb_code *ret,
                                        struct pb_diag *reterr);

/**
 * Write @c for printing, groups of four symbols and the check symbol last, joined by dashes
 * ("7Q2M-K9XD-3RTB-H8VW-2"), NUL-terminated, into @out of @cap bytes.
 * @return the length written (without the NUL), or 0 if @cap is too small (PB_CODE_PRINT_MAX is
 *         always enough)
 */
size_t pb_code_print(const struct pb_code *c, char *out, size_t cap);

/**
 * The stored form: BLAKE2b-256(key = @key, personal = PB_CODE_HASH_PERSONAL, message = the
 * compact text of @c).  @key is the per-election secret, kept outside the database.
 */
void pb_code_hash(const struct pb_code *c, const uint8_t key[PB_CODE_KEY_BYTES],
                  uint8_t ret_hash[PB_CODE_HASH_BYTES]);

/** Zero @c (sodium_memzero).  Accepts NULL. */
void pb_code_wipe(struct pb_code *c);

/**
 * The short code of a commitment for receipts: its first 50 bits as 10 Crockford symbols,
 * NUL-terminated in @out.  Not a secret and not a voter code: it only helps a person find a
 * receipt.
 */
void pb_code_short(const uint8_t commitment[PB_CVR_HASH_BYTES], char out[PB_CODE_SHORT_LEN + 1]);

/** Bytes that hold the 50 bits of a short code (the last one's low 6 bits are zero). */
#define PB_CODE_SHORT_PREFIX_BYTES 7

/**
 * Read a short code as a person typed it (case, spaces and dashes, O/0 and I/L/1 forgiven, as
 * pb_code_parse()): @ret its 10 symbols as pb_code_short() writes them, @ret_prefix the 50 bits
 * of the commitment it names, the rest zero.  Both set only on PB_OK.
 * @return PB_OK, PB_ERR_PARSE (a character that cannot be in it, reterr->col its 1-based place;
 *         too few or too many symbols)
 */
PB_NODISCARD pb_err pb_code_short_parse(const char *s, size_t len, char ret[PB_CODE_SHORT_LEN + 1],
                                        uint8_t ret_prefix[PB_CODE_SHORT_PREFIX_BYTES],
                                        struct pb_diag *reterr);

#endif
