/**
 * @file Replays fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer (systemd's
 * fuzz-main): each argument is a file or a folder of files.  Normal builds run every parser's
 * seed corpus this way, so a crash found once stays fixed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/pb_file.h"
#include "engine/pb_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        char *data;
        size_t len;
        struct pb_diag d;

        if (pb_file_read(path, (size_t)1 << 26, &data, &len, &d) < 0) {
                fprintf(stderr, "cannot read %s\n", path);
                return -1;
        }
        {
                /* an exact-size copy, as libFuzzer passes it: ASan then sees any read past the end */
                uint8_t *exact = pb_malloc(len);
                if (!exact) {
                        pb_free(data);
                        return -1;
                }
                memcpy(exact, data, len);
                pb_free(data);
                LLVMFuzzerTestOneInput(exact, len);
                pb_free(exact);
        }
        return 0;
}

int main(int argc, char **argv)
{
        int n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *dir;
                struct dirent *de;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "missing corpus %s\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        n++;
                        continue;
                }
                dir = opendir(argv[i]);
                if (!dir)
                        return 1;
                while ((de = readdir(dir))) {
                        char path[4096];

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        if (run_file(path) < 0) {
                                closedir(dir);
                                return 1;
                        }
                        n++;
                }
                closedir(dir);
        }
        fprintf(stderr, "replayed %d inputs\n", n);
        return n ? 0 : 1;
}
