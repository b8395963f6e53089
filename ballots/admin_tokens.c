/** @file DATA_DIR/admin.tokens: server administrators' token hashes. */
#include "ballots/pb_admin_tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pb_err pb_admin_token_create(const char *data_dir, const char *label, char ret_token[PB_TOKEN_TEXT_LEN + 1],
                             struct pb_diag *reterr)
{
        uint8_t raw[PB_TOKEN_BYTES], h[PB_SHA256_BYTES];
        char path[4096], line[256], hex[PB_SHA256_HEX_LEN + 1];
        int fd, n;
        ssize_t w;

        if (!label)
                label = "";
        if (strlen(label) > PB_TOKEN_LABEL_MAX || strpbrk(label, "\r\n"))
                return pb_diag_set(reterr, PB_ERR_INVALID, "label",
                                   "at most " PB_STRINGIFY(PB_TOKEN_LABEL_MAX) " bytes on one line");
        snprintf(path, sizeof(path), "%s/%s", data_dir, PB_ADMIN_TOKENS_FILE);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return pb_diag_set(reterr, PB_ERR_IO, "data", "cannot write admin.tokens in the data folder");
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(ret_token, PB_TOKEN_TEXT_LEN + 1, raw, sizeof(raw));
        crypto_hash_sha256(h, (const uint8_t *)ret_token, PB_TOKEN_TEXT_LEN);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        n = snprintf(line, sizeof(line), "%s %s\n", hex, label);
        do
                w = write(fd, line, (size_t)n);
        while (w < 0 && errno == EINTR);
        sodium_memzero(raw, sizeof(raw));
        if (w != n || fsync(fd) < 0) {
                close(fd);
                sodium_memzero(ret_token, PB_TOKEN_TEXT_LEN + 1);
                return pb_diag_set(reterr, PB_ERR_IO, "data", "cannot write admin.tokens");
        }
        close(fd);
        return PB_OK;
}

bool pb_admin_token_check(const char *data_dir, const char *token, size_t len)
{
        uint8_t h[PB_SHA256_BYTES], want[PB_SHA256_BYTES];
        char path[4096], line[256];
        bool ok = false;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", data_dir, PB_ADMIN_TOKENS_FILE);
        f = fopen(path, "re");
        if (!f)
                return false;
        crypto_hash_sha256(h, (const uint8_t *)token, len);
        while (fgets(line, sizeof(line), f)) {
                size_t bin_len = 0;
                if (line[0] == '#' || strlen(line) < PB_SHA256_HEX_LEN)
                        continue;
                if (sodium_hex2bin(want, sizeof(want), line, PB_SHA256_HEX_LEN, NULL, &bin_len, NULL) == 0 &&
                    bin_len == sizeof(want) && sodium_memcmp(want, h, sizeof(h)) == 0)
                        ok = true; /* read on: the time taken does not depend on where it is */
        }
        fclose(f);
        sodium_memzero(h, sizeof(h));
        return ok;
}
