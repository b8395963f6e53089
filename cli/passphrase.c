/** @file Passphrases for key files: from a file, PBVOTE_PASSPHRASE, or the terminal without echo. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "formats/pb_file.h"
#include "formats/pb_keyfile.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"

/* Strip one trailing "\n" or "\r\n". */
static size_t chomp(char *s, size_t n)
{
        if (n && s[n - 1] == '\n')
                n--;
        if (n && s[n - 1] == '\r')
                n--;
        s[n] = '\0';
        return n;
}

/* Prompt on the terminal and read one line with echo off. */
static int read_tty(const char *prompt, char *buf, size_t cap, size_t *ret_len)
{
        struct termios old, quiet;
        size_t n = 0;
        int fd, ok = -1;

        fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        if (tcgetattr(fd, &old) < 0)
                goto out;
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
                goto out;
        for (;;) {
                char c;
                ssize_t r = read(fd, &c, 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 || c == '\n')
                        break;
                if (n + 1 < cap)
                        buf[n++] = c;
        }
        tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
                /* nothing to do: the newline is cosmetic */
        }
        buf[n] = '\0';
        *ret_len = n;
        ok = 0;
out:
        close(fd);
        return ok;
}

/* The passphrase into @buf (sodium_malloc'd by the caller).  0 on success, else an exit status. */
int cli_passphrase(const char *file, bool twice, char *buf, size_t *ret_len)
{
        const char *env = getenv("PBVOTE_PASSPHRASE");
        struct pb_diag d;
        size_t n;

        pb_diag_clear(&d);
        if (file) {
                char *data = NULL;
                size_t len = 0;
                pb_err r = pb_file_read(file, CLI_PASS_CAP, &data, &len, &d);

                if (r < 0) {
                        cli_report(file, &d);
                        return cli_exit_for(r);
                }
                n = 0;
                while (n < len && data[n] != '\n')
                        n++;
                if (n < len)
                        n++; /* keep the newline for chomp */
                memcpy(buf, data, n);
                sodium_memzero(data, len);
                pb_free(data);
                *ret_len = chomp(buf, n);
        } else if (env) {
                n = strlen(env);
                if (n >= CLI_PASS_CAP) {
                        fprintf(stderr, "pbvote: PBVOTE_PASSPHRASE is longer than %d bytes\n",
                                PB_KEYFILE_PASS_MAX);
                        return PB_EXIT_USAGE;
                }
                memcpy(buf, env, n + 1);
                *ret_len = n;
        } else {
                char *again;
                size_t n2 = 0;
                int bad;

                if (read_tty("Passphrase: ", buf, CLI_PASS_CAP, ret_len) < 0) {
                        fprintf(stderr, "pbvote: no passphrase: no terminal; use --passphrase-file or "
                                        "PBVOTE_PASSPHRASE\n");
                        return PB_EXIT_USAGE;
                }
                if (!twice)
                        return 0;
                again = sodium_malloc(CLI_PASS_CAP);
                if (!again)
                        return PB_EXIT_SOFTWARE;
                bad = read_tty("Passphrase again: ", again, CLI_PASS_CAP, &n2) < 0 || n2 != *ret_len ||
                      sodium_memcmp(again, buf, n2) != 0;
                sodium_free(again);
                if (bad) {
                        fprintf(stderr, "pbvote: the two passphrases differ\n");
                        return PB_EXIT_USAGE;
                }
        }
        if (*ret_len > PB_KEYFILE_PASS_MAX) {
                fprintf(stderr, "pbvote: passphrase longer than %d bytes\n", PB_KEYFILE_PASS_MAX);
                return PB_EXIT_USAGE;
        }
        return 0;
}
