/**
 * @file Replay main for fuzz targets in normal builds (systemd's fuzz-main): every file named on
 * the command line, or found in a folder named there, is passed once to LLVMFuzzerTestOneInput.
 * Fails when it finds no input at all, so a missing corpus is an error, not a silent pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;

        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                return -1;
        }
        for (;;) {
                size_t n;

                if (len == cap) {
                        uint8_t *p;
                        cap = cap ? cap * 2 : 4096;
                        p = realloc(buf, cap);
                        if (!p) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = p;
                }
                n = fread(buf + len, 1, cap - len, f);
                if (n == 0)
                        break;
                len += n;
        }
        fclose(f);
        /* an exact-size copy, so that ASan sees reads past the end of the input */
        {
                uint8_t *exact = malloc(len ? len : 1);
                if (!exact) {
                        free(buf);
                        return -1;
                }
                memcpy(exact, buf, len);
                free(buf);
                LLVMFuzzerTestOneInput(exact, len);
                free(exact);
        }
        return 0;
}

int main(int argc, char **argv)
{
        int count = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                struct dirent **names;
                int n;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "no such corpus: %s\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        count++;
                        continue;
                }
                n = scandir(argv[i], &names, NULL, alphasort);
                if (n < 0) {
                        fprintf(stderr, "cannot list %s\n", argv[i]);
                        return 1;
                }
                for (int j = 0; j < n; j++) {
                        char path[4096];

                        if (names[j]->d_name[0] != '.') {
                                snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
                                if (run_file(path) < 0)
                                        return 1;
                                count++;
                        }
                        free(names[j]);
                }
                free(names);
        }
        if (count == 0) {
                fprintf(stderr, "no corpus inputs\n");
                return 1;
        }
        printf("%d inputs replayed\n", count);
        return 0;
}
