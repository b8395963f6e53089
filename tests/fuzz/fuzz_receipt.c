/**
 * @file Fuzz target: the offline receipt checker (ballots/receipt.c), both of its inputs: a
 * receipt, and the log's answer with an inclusion proof.  The key is the fuzz key (seed of zero
 * bytes, name "fuzz") that signed the seed corpus.  Invariants: only the documented errors; a
 * receipt that checks has a short code of its commitment and a promise that opens and covers it.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/pb_receipt.h"
#include "engine/pb_code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_verdict(pb_err r)
{
        if (r != PB_OK && r != PB_ERR_PARSE && r != PB_ERR_LIMIT && r != PB_ERR_SIGNATURE &&
            r != PB_ERR_INVALID && r != PB_ERR_NOMEM && r != PB_ERR_UNSUPPORTED)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct pb_key_secret key;
        static bool ready;
        const char *text = (const char *)data;
        struct pb_receipt_inclusion inc;
        struct pb_receipt_info info;
        uint8_t c[32];
        pb_err r;

        if (!ready) {
                uint8_t seed[32] = { 0 };
                if (sodium_init() < 0 || pb_key_secret_from_seed(&key, "fuzz", seed, NULL) < 0)
                        abort();
                ready = true;
        }
        r = pb_receipt_check(text, size, &key.pub, NULL, NULL, &info, NULL);
        check_verdict(r);
        if (r == PB_OK) {
                char s[PB_CODE_SHORT_LEN + 1];
                pb_code_short(info.commitment, s);
                if (strcmp(s, info.short_code) || info.index >= info.promise.size)
                        abort();
        }
        /* the same bytes as the log's answer, for the commitment the seed proofs are about */
        memset(c, 0x5a, sizeof(c));
        check_verdict(pb_receipt_check_inclusion(text, size, c, &key.pub, NULL, &inc, NULL));
        return 0;
}
