/**
 * @file Fuzz target: the DSSE envelope parser (both layouts) and verification.  Invariants: a
 * canonical parse re-formats to the input bytes; a lax parse re-formats to bytes that parse
 * canonically to the same envelope.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pb_envelope.h"
#include "engine/pb_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct pb_seal_envelope *a, const struct pb_seal_envelope *b)
{
        if (a->payload_type_len != b->payload_type_len ||
            memcmp(a->payload_type, b->payload_type, a->payload_type_len) ||
            a->payload_len != b->payload_len ||
            (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)) || a->nsigs != b->nsigs)
                return false;
        for (size_t i = 0; i < a->nsigs; i++) {
                if (memcmp(a->sigs[i].sig, b->sigs[i].sig, 64) || !a->sigs[i].keyid != !b->sigs[i].keyid ||
                    (a->sigs[i].keyid && strcmp(a->sigs[i].keyid, b->sigs[i].keyid)))
                        return false;
        }
        return true;
}

static void check_verdict(pb_err r)
{
        if (r != PB_OK && r != PB_ERR_SIGNATURE && r != PB_ERR_NOMEM)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct pb_key_secret key;
        static bool ready;
        struct pb_seal_envelope env, again;
        struct pb_buf out;
        const char *text = (const char *)data;

        if (!ready) {
                uint8_t seed[32] = { 0 };
                if (sodium_init() < 0 || pb_key_secret_from_seed(&key, "fuzz", seed, NULL) < 0)
                        abort();
                ready = true;
        }
        pb_seal_envelope_init(&env);
        pb_seal_envelope_init(&again);
        pb_buf_init(&out, 0);
        if (pb_envelope_parse(text, size, 0, &env, NULL) == PB_OK) {
                if (pb_seal_envelope_format(&env, &out) != PB_OK || out.len != size ||
                    memcmp(out.data, data, size))
                        abort(); /* canonical means: written back byte for byte */
                /* verifying as a result can only succeed for a result */
                if (pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &key.pub, PB_SEAL_STRICT, NULL) == PB_OK &&
                    strcmp(env.payload_type, PB_SEAL_TYPE_RESULT) != 0)
                        abort();
                check_verdict(pb_seal_verify(&env, env.payload_type, &key.pub, 0, NULL));
        }
        pb_seal_envelope_release(&env);
        pb_buf_reset(&out);
        if (pb_envelope_parse(text, size, PB_ENVELOPE_ANY_LAYOUT, &env, NULL) == PB_OK) {
                if (pb_seal_envelope_format(&env, &out) != PB_OK ||
                    pb_envelope_parse(out.data, out.len, 0, &again, NULL) != PB_OK || !same(&env, &again))
                        abort();
                check_verdict(pb_seal_verify(&env, env.payload_type, &key.pub, 0, NULL));
        }
        pb_seal_envelope_release(&env);
        pb_seal_envelope_release(&again);
        pb_buf_release(&out);
        return 0;
}
