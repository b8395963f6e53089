/** @file libFuzzer target for the manifest parser: no crash, every refusal says why, and what parses
 *  has a canonical form that parses back to the same bytes (and the same election). */
#include <stdint.h>
#include <string.h>

#include "formats/pb_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_manifest *m = NULL, *m2 = NULL;
        struct pb_diag d;
        struct pb_buf a, b;

        if (size > (1 << 18))
                return 0;
        pb_diag_clear(&d);
        if (pb_manifest_parse((const char *)data, size, &m, &d) != PB_OK) {
                PB_ASSERT(d.reason != NULL);
                PB_ASSERT(m == NULL);
                return 0;
        }
        pb_buf_init(&a, 0);
        pb_buf_init(&b, 0);
        PB_ASSERT(pb_manifest_format(m, &a) == PB_OK);
        PB_ASSERT(pb_manifest_parse(a.data, a.len, &m2, &d) == PB_OK);
        PB_ASSERT(pb_manifest_format(m2, &b) == PB_OK);
        PB_ASSERT(a.len == b.len && !memcmp(a.data, b.data, a.len));
        PB_ASSERT(m2->election->n_projects == m->election->n_projects);
        PB_ASSERT(m2->election->budget == m->election->budget);
        PB_ASSERT(m2->contests[0].rule.kind == m->contests[0].rule.kind &&
                  m2->contests[0].rule.score == m->contests[0].rule.score);
        pb_manifest_free(m);
        pb_manifest_free(m2);
        pb_buf_release(&a);
        pb_buf_release(&b);
        return 0;
}
