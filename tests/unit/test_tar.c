/**
 * @file The tar reader (formats/tar.c) against archives written by pb_tar_dir and built by hand
 * here, header by header: ustar, its prefix field, pax and GNU headers, base-256 sizes, and every
 * refusal (checksum, magic, numbers, pax records, truncation, a missing end, data after it).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "formats/pb_file.h"
#include "formats/pb_tar.h"
#include "engine/pb_alloc.h"

static void octal(char *field, size_t width, uint64_t v)
{
        field[width - 1] = '\0';
        for (size_t i = width - 1; i-- > 0;) {
                field[i] = (char)('0' + (v & 7));
                v >>= 3;
        }
}

static void seal(char *h)
{
        unsigned sum = 0;

        memset(h + 148, ' ', 8);
        for (size_t i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        octal(h + 148, 7, sum);
        h[155] = ' ';
}

/* A header for @name (in the name field) of @type and @size, POSIX ustar magic, checksummed. */
static void header(char h[512], const char *name, char type, uint64_t size)
{
        memset(h, 0, 512);
        memcpy(h, name, strlen(name));
        octal(h + 100, 8, 0644);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, size);
        octal(h + 136, 12, 0);
        h[156] = type;
        memcpy(h + 257,
               "ustar\0"
               "00",
               8);
        seal(h);
}

static void add(struct pb_buf *b, const char *h, const char *data, size_t len)
{
        static const char zeros[512];

        CHECK(pb_buf_add(b, h, 512) == PB_OK);
        if (len)
                CHECK(pb_buf_add(b, data, len) == PB_OK);
        if (len % 512)
                CHECK(pb_buf_add(b, zeros, 512 - len % 512) == PB_OK);
}

static void end(struct pb_buf *b)
{
        static const char zeros[1024];
        CHECK(pb_buf_add(b, zeros, sizeof(zeros)) == PB_OK);
}

struct got {
        struct pb_tar_entry e[8];
        size_t n;
        pb_err r;
        struct pb_diag d;
};

/* Read every member of the archive @b into @g; stop at the end or the first error. */
static void read_all(const struct pb_buf *b, struct got *g)
{
        FILE *f = fmemopen(b->data, b->len, "rb");
        struct pb_tar_reader t;

        memset(g, 0, sizeof(*g));
        if (!f) {
                CHECK(f != NULL);
                return;
        }
        pb_tar_reader_init(&t, f, b->len);
        for (;;) {
                struct pb_tar_entry e;
                bool at_end = false;

                g->r = pb_tar_next(&t, &e, &at_end, &g->d);
                if (g->r < 0 || at_end)
                        break;
                if (g->n < 8)
                        g->e[g->n++] = e;
        }
        fclose(f);
}

static void test_roundtrip(void)
{
        char dir[] = "/tmp/pbvote-tar-XXXXXX", path[64];
        struct pb_buf b;
        struct got g;

        pb_buf_init(&b, 0);
        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/b.txt", dir);
        CHECK(pb_file_write_atomic(path, "bee\n", 4, NULL) == PB_OK);
        snprintf(path, sizeof(path), "%s/a.txt", dir);
        CHECK(pb_file_write_atomic(path, "", 0, NULL) == PB_OK);
        CHECK(pb_tar_dir(dir, "e1", &b, NULL) == PB_OK);
        read_all(&b, &g);
        CHECK_INT(g.r, PB_OK);
        CHECK_INT(g.n, 2);
        CHECK_STR(g.e[0].name, "e1/a.txt");
        CHECK_INT(g.e[0].size, 0);
        CHECK_INT(g.e[0].type, '0');
        CHECK_STR(g.e[1].name, "e1/b.txt");
        CHECK_INT(g.e[1].size, 4);
        CHECK_INT(g.e[1].offset, 2 * 512); /* a.txt's header (no data), b.txt's header, then its data */
        CHECK(!memcmp(b.data + g.e[1].offset, "bee\n", 4));
        CHECK(pb_tar_remove_dir(dir) == PB_OK);
        pb_buf_release(&b);
}

/* The bundle's members are the owner's only once extracted (CVRs and nonces), as in the folder. */
static void test_member_mode(void)
{
        char h[PB_TAR_BLOCK];

        CHECK_INT(pb_tar_header("bundle/ballots.jsonl", 10, h), PB_OK);
        CHECK(!memcmp(h + 100, "0000600", 8));
}

static void test_layouts(void)
{
        char h[512], rec[128];
        struct pb_buf b;
        struct got g;

        pb_buf_init(&b, 0);
        /* the prefix field: prefix "/" name */
        header(h, "file.txt", '0', 3);
        memcpy(h + 345, "a/long/folder", 13);
        seal(h);
        add(&b, h, "abc", 3);
        /* a pax header names the next member and sets its size; other keywords are ignored */
        snprintf(rec, sizeof(rec), "%s%s%s", "30 mtime=1700000000.123456789\n", "22 path=pax/real.name\n",
                 "10 size=2\n");
        header(h, "PaxHeaders/x", 'x', strlen(rec));
        add(&b, h, rec, strlen(rec));
        header(h, "short", '0', 999); /* the pax size wins */
        add(&b, h, "hi", 2);
        /* GNU tar's header ("ustar  \0"): its bytes 345.. are times, never a prefix */
        header(h, "gnu.txt", '0', 1);
        memcpy(h + 257, "ustar  \0", 8);
        memcpy(h + 345, "junk", 4);
        seal(h);
        add(&b, h, "g", 1);
        /* a base-256 size (GNU, star) and an octal one with leading spaces */
        header(h, "b256", '0', 0);
        memset(h + 124, 0, 12);
        h[124] = (char)0x80;
        h[135] = 5;
        seal(h);
        add(&b, h, "12345", 5);
        header(h, "spaces", '0', 0);
        memcpy(h + 124, "          7 ", 12);
        seal(h);
        add(&b, h, "1234567", 7);
        header(h, "dir/", '5', 0);
        add(&b, h, NULL, 0);
        end(&b);
        read_all(&b, &g);
        CHECK_INT(g.r, PB_OK);
        CHECK_INT(g.n, 6);
        CHECK_STR(g.e[0].name, "a/long/folder/file.txt");
        CHECK_STR(g.e[1].name, "pax/real.name");
        CHECK_INT(g.e[1].size, 2);
        CHECK(!memcmp(b.data + g.e[1].offset, "hi", 2));
        CHECK_STR(g.e[2].name, "gnu.txt");
        CHECK_STR(g.e[3].name, "b256");
        CHECK_INT(g.e[3].size, 5);
        CHECK_INT(g.e[4].size, 7);
        CHECK_STR(g.e[5].name, "dir/");
        CHECK_INT(g.e[5].type, '5');
        /* a record (tar pads to 10240 bytes): zeros after the end are fine */
        while (b.len % 10240)
                CHECK(pb_buf_addc(&b, '\0') == PB_OK);
        read_all(&b, &g);
        CHECK_INT(g.r, PB_OK);
        CHECK_INT(g.n, 6);
        pb_buf_release(&b);
}

/* One member (header @h, @len bytes of data) then the end: pb_tar_next must fail with @want. */
static void refused(const char *what, const char *h, const char *data, size_t len, bool with_end, pb_err want,
                    const char *subject)
{
        struct pb_buf b;
        struct got g;

        pb_buf_init(&b, 0);
        add(&b, h, data, len);
        if (with_end)
                end(&b);
        read_all(&b, &g);
        if (g.r != want)
                fprintf(stderr, "tar case %s: got %s (%s)\n", what, pb_err_name(g.r),
                        g.d.reason ? g.d.reason : "");
        CHECK_INT(g.r, want);
        CHECK(g.d.reason != NULL);
        if (subject)
                CHECK_STR(g.d.subject, subject);
        pb_buf_release(&b);
}

static void test_refusals(void)
{
        char h[512], big[PB_TAR_PAX_MAX + 600];
        struct pb_buf b;
        struct got g;

        header(h, "ok", '0', 1);
        h[0] = 'O'; /* the checksum no longer matches */
        refused("checksum", h, "x", 1, true, PB_ERR_PARSE, NULL);
        header(h, "ok", '0', 1);
        memcpy(h + 257,
               "USTAR\0"
               "00",
               8);
        seal(h);
        refused("magic", h, "x", 1, true, PB_ERR_PARSE, NULL);
        header(h, "ok", '0', 1);
        memcpy(h + 124, "0000000000x\0", 12);
        seal(h);
        refused("size digits", h, "x", 1, true, PB_ERR_PARSE, "ok");
        header(h, "ok", '0', 1);
        memset(h + 124, 0, 12);
        seal(h);
        refused("empty size", h, "x", 1, true, PB_ERR_PARSE, "ok");
        header(h, "neg", '0', 0);
        h[124] = (char)0xff;
        seal(h);
        refused("negative base-256", h, NULL, 0, true, PB_ERR_PARSE, "neg");
        header(h, "long", 'L', 5);
        refused("GNU long name", h, "name", 5, true, PB_ERR_UNSUPPORTED, "long");
        header(h, "sparse", 'S', 0);
        refused("sparse", h, NULL, 0, true, PB_ERR_UNSUPPORTED, "sparse");
        header(h, "cut", '0', 4096);
        refused("truncated member", h, "abc", 3, false, PB_ERR_IO, "cut");
        header(h, "noend", '0', 3);
        refused("no end marker", h, "abc", 3, false, PB_ERR_PARSE, NULL);
        header(h, "huge", '0', (uint64_t)1 << 32);
        refused("a size beyond the file", h, NULL, 0, true, PB_ERR_IO, "huge");
        header(h, "PaxHeaders/x", 'x', 12);
        refused("pax record without its length", h, "path=a/b/c\n\n", 12, true, PB_ERR_PARSE, NULL);
        header(h, "PaxHeaders/x", 'x', 11);
        refused("pax record length past the end", h, "99 path=a\n\n", 11, true, PB_ERR_PARSE, NULL);
        header(h, "PaxHeaders/x", 'x', 10);
        refused("pax record without '='", h, "10 pathab\n", 10, true, PB_ERR_PARSE, NULL);
        header(h, "PaxHeaders/x", 'x', 13);
        refused("pax size not a number", h, "13 size=1x2\n\n", 13, true, PB_ERR_PARSE, NULL);
        header(h, "PaxHeaders/x", 'x', 18);
        refused("pax header not followed by a member", h, "18 path=a/b/c.txt\n", 18, true, PB_ERR_PARSE,
                NULL);
        header(h, "PaxHeaders/g", 'g', 18);
        refused("a global path", h, "18 path=a/b/c.txt\n", 18, true, PB_ERR_UNSUPPORTED, NULL);
        header(h, "PaxHeaders/x", 'x', 27);
        refused("sparse in pax", h, "27 GNU.sparse.major=1\n\n\n\n\n\n", 27, true, PB_ERR_UNSUPPORTED, NULL);
        memset(big, 'a', sizeof(big));
        header(h, "PaxHeaders/x", 'x', PB_TAR_PAX_MAX + 1);
        refused("a pax header over 64 KiB", h, big, PB_TAR_PAX_MAX + 1, true, PB_ERR_LIMIT, NULL);
        {
                char rec[300];
                memset(rec, 0, sizeof(rec));
                memcpy(rec, "266 path=", 9);
                memset(rec + 9, 'n', 256);
                rec[265] = '\n';
                header(h, "PaxHeaders/x", 'x', 266);
                refused("a pax path over 255 bytes", h, rec, 266, true, PB_ERR_LIMIT, NULL);
        }

        /* data after the end marker; an empty file; a file shorter than a header */
        pb_buf_init(&b, 0);
        header(h, "a", '0', 1);
        add(&b, h, "x", 1);
        end(&b);
        add(&b, h, "x", 1); /* a second archive appended */
        read_all(&b, &g);
        CHECK_INT(g.r, PB_ERR_PARSE);
        CHECK_INT(g.n, 1);
        pb_buf_reset(&b);
        CHECK(pb_buf_addc(&b, 'x') == PB_OK);
        b.len = 0;
        read_all(&b, &g);
        CHECK_INT(g.r, PB_ERR_PARSE);
        CHECK(pb_buf_adds(&b, "hello\n") == PB_OK);
        read_all(&b, &g);
        CHECK_INT(g.r, PB_ERR_IO);
        pb_buf_release(&b);
}

int main(void)
{
        RUN(test_member_mode);
        RUN(test_roundtrip);
        RUN(test_layouts);
        RUN(test_refusals);
        return check_summary("tar");
}
