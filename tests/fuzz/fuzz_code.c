/**
 * @file Fuzz target: voter code input.  Invariant: an accepted code prints and reads back unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pb_code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t lengths[] = { 10, 15, 40 };
        char printed[PB_CODE_PRINT_MAX];
        struct pb_code c, again;

        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                if (pb_code_parse((const char *)data, size, lengths[i], &c, NULL) != PB_OK)
                        continue;
                if (pb_code_print(&c, printed, sizeof(printed)) == 0 ||
                    pb_code_parse(printed, strlen(printed), lengths[i], &again, NULL) != PB_OK ||
                    strcmp(c.text, again.text) != 0)
                        abort();
        }
        return 0;
}
