/**
 * @file Fuzz target: the key file parser, and unlocking when the file's Argon2 limits are cheap.
 */
#include <sodium.h>
#include <stdlib.h>

#include "formats/pb_keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_keyfile_info info;
        struct pb_key_secret k;
        const char *text = (const char *)data;

        if (sodium_init() < 0)
                abort();
        if (pb_keyfile_parse(text, size, &info, NULL) != PB_OK)
                return 0;
        /* Argon2 with the file's own limits: only when they are tiny, so the fuzzer stays fast. */
        if (!info.encrypted || (info.kdf.opslimit <= 2 && info.kdf.memlimit <= 65536)) {
                if (pb_keyfile_unlock(text, size, "fuzz passphrase", 15, NULL, &k, NULL) == PB_OK &&
                    !pb_key_equal(&k.pub, &info.pub))
                        abort();
                pb_key_secret_wipe(&k);
        }
        return 0;
}
