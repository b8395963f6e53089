/**
 * @file Fuzz target: signed-note opening, checkpoint and promise bodies, verifier keys.
 * Invariants: whatever parses formats back to the same bytes.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pb_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct pb_key_public keys[3];
        static bool ready;
        const char *text = (const char *)data;
        struct pb_checkpoint c;
        struct pb_promise p;
        struct pb_key_public k;
        struct pb_buf out;
        bool verified[3];
        size_t tl;

        if (!ready) {
                static const char *const vkeys[] = {
                        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                        "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
                };
                if (sodium_init() < 0)
                        abort();
                for (int i = 0; i < 3; i++)
                        if (pb_key_vkey_parse(vkeys[i], strlen(vkeys[i]), &keys[i], NULL) != PB_OK)
                                abort();
                ready = true;
        }
        pb_buf_init(&out, 0);
        if (pb_note_open(text, size, keys, 3, &tl, verified, NULL) == PB_OK && tl >= size)
                abort();
        if (pb_checkpoint_parse(text, size, &c, NULL) == PB_OK) {
                if (pb_checkpoint_format(&c, &out, NULL) != PB_OK || out.len != size ||
                    memcmp(out.data, data, size))
                        abort();
                pb_buf_reset(&out);
        }
        if (pb_promise_parse(text, size, &p, NULL) == PB_OK) {
                if (pb_promise_format(&p, &out, NULL) != PB_OK || out.len != size ||
                    memcmp(out.data, data, size))
                        abort();
                pb_buf_reset(&out);
        }
        if (pb_key_vkey_parse(text, size, &k, NULL) == PB_OK) {
                if (pb_key_vkey_format(&k, &out) != PB_OK || out.len != size || memcmp(out.data, data, size))
                        abort();
        }
        pb_buf_release(&out);
        return 0;
}
