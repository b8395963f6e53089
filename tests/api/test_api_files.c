/**
 * @file Private files (issue 11): `pbvote serve` creates a missing data folder 0700 and every
 * file in it (ballot box, -wal, -shm, keys, demo.json, admin.tokens) without group or other
 * bits; it refuses a data folder that group or others may read, write or enter, creating nothing
 * in it, unless --allow-shared-data-dir; `pbvote demo` writes its files 0600 in any folder.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "http_client.h"

static char pbvote[4096], tmp[256];
static unsigned short port;

/* A free port: bind to 0, read it, let it go. */
static unsigned short free_port(void)
{
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        unsigned short p = 0;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
                p = ntohs(sa.sin_port);
        if (fd >= 0)
                close(fd);
        return p;
}

/* Run `pbvote serve --demo --data DIR [extra]` under umask 022.  If it starts serving, stop it.
 * Returns 0 when it served, else its exit status; stderr goes to @err. */
static int serve(const char *dir, const char *extra, const char *err)
{
        static const char health[] = "GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        char listen[32];
        pid_t pid;
        int status = -1;

        port = free_port();
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        pid = fork();
        if (pid == 0) {
                int out = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_WRONLY);
                umask(022);
                dup2(null, 1);
                dup2(out, 2);
                execl(pbvote, pbvote, "serve", "--demo", "--data", dir, "--listen", listen, extra,
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 400; i++) {
                char body[256];
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
                usleep(25000);
                if (http_exchange(port, health, strlen(health), 2000, body, sizeof(body)) == 200) {
                        kill(pid, SIGTERM);
                        waitpid(pid, &status, 0);
                        return 0;
                }
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

static unsigned mode_of(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

/* Files in @dir (not . and ..); those with a group or other bit counted in *@open. */
static int count_files(const char *dir, int *open_ones)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        *open_ones = 0;
        while (d && (de = readdir(d))) {
                char path[600];
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                n++;
                if (mode_of(path) & 077) {
                        fprintf(stderr, "open to group or others: %s (%04o)\n", path, mode_of(path));
                        (*open_ones)++;
                }
        }
        if (d)
                closedir(d);
        return n;
}

static int contains(const char *path, const char *what)
{
        char buf[4096];
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

        if (f)
                fclose(f);
        buf[n] = '\0';
        return strstr(buf, what) != NULL;
}

int main(int argc, char **argv)
{
        char dir[400], err[400], cmd[9000], file[600];
        int open_ones = 0;

        if (argc < 2 || !realpath(argv[1], pbvote))
                return 2;
        snprintf(tmp, sizeof(tmp), "%s/pbvote-files-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmp))
                return 1;
        snprintf(err, sizeof(err), "%s/serve.err", tmp);

        /* a missing folder: made 0700, and every file in it private */
        snprintf(dir, sizeof(dir), "%s/fresh", tmp);
        CHECK_INT(serve(dir, NULL, err), 0);
        CHECK_INT(mode_of(dir), 0700);
        CHECK(count_files(dir, &open_ones) >=
              7); /* box, -wal, -shm, 2 keys and .pub, demo.json, admin.tokens */
        CHECK_INT(open_ones, 0);
        snprintf(file, sizeof(file), "%s/warszawa-rembertow-2023.db-wal", dir);
        CHECK_INT(mode_of(file), 0600);

        /* a folder others may read (or write, or enter): refused, nothing made in it */
        static const unsigned shared[3] = { 0755, 0770, 0711 };
        for (int i = 0; i < 3; i++) {
                snprintf(dir, sizeof(dir), "%s/shared-%o", tmp, shared[i]);
                CHECK(mkdir(dir, 0700) == 0 && chmod(dir, shared[i]) == 0);
                CHECK_INT(serve(dir, NULL, err), 3);
                CHECK(contains(err, "chmod 700"));
                CHECK(contains(err, "--allow-shared-data-dir"));
                CHECK_INT(count_files(dir, &open_ones), 0);
        }
        /* unless told: then it serves, its own files still private */
        snprintf(dir, sizeof(dir), "%s/shared-755", tmp);
        CHECK_INT(serve(dir, "--allow-shared-data-dir", err), 0);
        CHECK(count_files(dir, &open_ones) >= 7);
        CHECK_INT(open_ones, 0);

        /* pbvote demo in a folder others may read: its files are private all the same */
        snprintf(dir, sizeof(dir), "%s/demo", tmp);
        CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0755) == 0);
        snprintf(cmd, sizeof(cmd), "umask 022 && '%s' demo --db '%s/d.db' >/dev/null 2>&1", pbvote, dir);
        CHECK_INT(system(cmd), 0);
        CHECK(count_files(dir, &open_ones) >= 6);
        CHECK_INT(open_ones, 0);
        snprintf(file, sizeof(file), "%s/demo.json", dir);
        CHECK_INT(mode_of(file), 0600);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        CHECK_INT(system(cmd), 0);
        return check_summary("api-files");
}
