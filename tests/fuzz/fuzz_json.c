/** @file libFuzzer target for the strict JSON reader: no crash, and what parses has a canonical form
 *  that parses back to the same canonical form. */
#include <stdint.h>
#include <string.h>

#include "formats/pb_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_diag d;
        struct pb_buf a, b;
        cJSON *v = NULL, *w = NULL;

        if (size > (1 << 16))
                return 0;
        pb_diag_clear(&d);
        if (pb_json_parse((const char *)data, size, 0, &v, &d) != PB_OK) {
                PB_ASSERT(d.reason != NULL);
                return 0;
        }
        pb_buf_init(&a, 0);
        pb_buf_init(&b, 0);
        PB_ASSERT(pb_json_canonical(v, &a) == PB_OK);
        PB_ASSERT(pb_json_parse(a.data, a.len, 0, &w, &d) == PB_OK);
        PB_ASSERT(pb_json_canonical(w, &b) == PB_OK);
        PB_ASSERT(a.len == b.len && !memcmp(a.data, b.data, a.len));
        PB_ASSERT(pb_json_is_canonical(a.data, a.len, w));
        cJSON_Delete(v);
        cJSON_Delete(w);
        pb_buf_release(&a);
        pb_buf_release(&b);
        return 0;
}
