/**
 * @file Fuzz target: voter code input, today's reader and the legacy (mod-37) one.  Invariant: an
 * accepted code prints and reads back unchanged by the same reader.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pb_code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef pb_err (*code_reader)(const char *s, size_t len, size_t nbytes, struct pb_code *ret,
                              struct pb_diag *reterr);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t lengths[] = { 10, 15, 40 };
        static const code_reader readers[] = { pb_code_parse, pb_code_parse_mod37 };
        char printed[PB_CODE_PRINT_MAX];
        struct pb_code c, again;

        for (size_t k = 0; k < sizeof(readers) / sizeof(readers[0]); k++)
                for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                        if (readers[k]((const char *)data, size, lengths[i], &c, NULL) != PB_OK)
                                continue;
                        if (pb_code_print(&c, printed, sizeof(printed)) == 0 ||
                            readers[k](printed, strlen(printed), lengths[i], &again, NULL) != PB_OK ||
                            strcmp(c.text, again.text) != 0)
                                abort();
                }
        return 0;
}
