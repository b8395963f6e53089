/**
 * @file Unit tests for C2SP signed notes, verifier keys, checkpoints and ballot promises: the
 * C2SP signed-note example, the golang.org/x/mod/sumdb/note test vectors (signing, opening,
 * malformed notes, mangled keys), the tlog-checkpoint example, and pbvote's promise text.
 */
#include <sodium.h>
#include <stdlib.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_note.h"

#define EM "\xe2\x80\x94" /* U+2014 */

static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"; /* 0x01 || seed */
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char peter_text[] = "If you think cryptography is the answer to your problem,\n"
                                 "then you don't know what your problem is.\n";
static const char peter_sig[] =
        EM " PeterNeumann "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
        EM " EnochRoot "
           "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static void peter_secret(struct pb_key_secret *k)
{
        uint8_t typed[33];

        CHECK_INT(pb_b64_decode_exact(peter_skey_b64, strlen(peter_skey_b64), typed, 33), PB_OK);
        CHECK_INT(typed[0], 1);
        CHECK_INT(pb_key_secret_from_seed(k, "PeterNeumann", typed + 1, NULL), PB_OK);
        sodium_memzero(typed, sizeof(typed));
}

static void vkey(const char *s, struct pb_key_public *k)
{
        CHECK_INT(pb_key_vkey_parse(s, strlen(s), k, NULL), PB_OK);
}

/* A note assembled from pieces, in a heap buffer the caller frees. */
static char *cat(const char *a, const char *b, const char *c, const char *d, size_t *len)
{
        size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d);
        char *p = malloc(n + 1);

        snprintf(p, n + 1, "%s%s%s%s", a, b, c, d);
        *len = n;
        return p;
}

static void test_c2sp_example(void)
{
        static const char note[] = "This is an example message.\n\n" EM " example.com/foo "
                                   "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmR"
                                   "KuwHjG1Yu72IneyaQM=\n";
        struct pb_key_public k;
        struct pb_buf b;
        size_t text_len = 0;

        vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &k);
        CHECK_STR(k.name, "example.com/foo");
        CHECK(k.id == 0x530d903a);
        CHECK_INT(pb_note_open(note, strlen(note), &k, 1, &text_len, NULL, NULL), PB_OK);
        CHECK_INT(text_len, strlen("This is an example message.\n"));
        /* the vkey prints back byte for byte */
        pb_buf_init(&b, 0);
        CHECK_INT(pb_key_vkey_format(&k, &b), PB_OK);
        CHECK_STR(b.data, "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        pb_buf_release(&b);
}

static void test_go_sign(void)
{
        struct pb_key_secret s;
        struct pb_key_public v;
        const struct pb_key_secret *one[1] = { &s };
        struct pb_buf b;
        size_t n;
        char *want = cat(peter_text, "\n", peter_sig, "", &n);

        peter_secret(&s);
        vkey(peter_vkey, &v);
        CHECK(pb_key_equal(&s.pub, &v));
        CHECK(s.pub.id == 0xc74f20a3);
        pb_buf_init(&b, 0);
        CHECK_INT(pb_note_sign(peter_text, strlen(peter_text), one, 1, &b, NULL), PB_OK);
        CHECK(b.len == n && !memcmp(b.data, want, n));
        /* refused texts (Go: "malformed note") leave the buffer alone */
        pb_buf_reset(&b);
        CHECK_INT(pb_note_sign("abc", 3, one, 1, &b, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_note_sign("", 0, one, 1, &b, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_note_sign("a\tb\n", 4, one, 1, &b, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_note_sign("\xff\n", 2, one, 1, &b, NULL), PB_ERR_INVALID);
        CHECK_INT(pb_note_sign("ok\n", 3, one, 0, &b, NULL), PB_ERR_INVALID);
        CHECK_INT(b.len, 0);
        pb_buf_release(&b);
        free(want);
        pb_key_secret_wipe(&s);
}

static void test_go_open(void)
{
        struct pb_key_public keys[3];
        struct pb_diag d;
        bool ok[3];
        size_t n, tl;
        char *msg;

        vkey(peter_vkey, &keys[0]);
        vkey(enoch_vkey, &keys[1]);
        keys[2] = keys[1];
        /* one known signer, one unknown: fine, and only Peter counts */
        msg = cat(peter_text, "\n", peter_sig, enoch_sig, &n);
        CHECK_INT(pb_note_open(msg, n, keys, 1, &tl, ok, &d), PB_OK);
        CHECK_INT(tl, strlen(peter_text));
        CHECK(ok[0]);
        /* both known */
        CHECK_INT(pb_note_open(msg, n, keys, 2, &tl, ok, &d), PB_OK);
        CHECK(ok[0] && ok[1]);
        /* nobody known */
        CHECK_INT(pb_note_open(msg, n, keys, 0, &tl, NULL, &d), PB_ERR_SIGNATURE);
        /* a name match with another key ID, or an ID match with another name, is just unknown */
        {
                struct pb_key_public renamed = keys[0];
                snprintf(renamed.name, sizeof(renamed.name), "PeterNeuman");
                CHECK_INT(pb_note_open(msg, n, &renamed, 1, &tl, NULL, &d), PB_ERR_SIGNATURE);
                renamed = keys[0];
                renamed.id ^= 1;
                CHECK_INT(pb_note_open(msg, n, &renamed, 1, &tl, NULL, &d), PB_ERR_SIGNATURE);
        }
        free(msg);
        /* an ambiguous trusted list fails only when the ambiguous key signed */
        msg = cat(peter_text, "\n", enoch_sig, "", &n);
        CHECK_INT(pb_note_open(msg, n, keys + 1, 2, &tl, NULL, &d), PB_ERR_INVALID);
        free(msg);
        msg = cat(peter_text, "\n", peter_sig, "", &n);
        {
                struct pb_key_public list[3] = { keys[1], keys[0], keys[1] };
                CHECK_INT(pb_note_open(msg, n, list, 3, &tl, NULL, &d), PB_OK);
        }
        free(msg);
        /* 100 signatures are fine, 101 are not */
        {
                struct pb_buf b;
                pb_buf_init(&b, 0);
                CHECK_INT(pb_buf_adds(&b, peter_text), PB_OK);
                CHECK_INT(pb_buf_addc(&b, '\n'), PB_OK);
                for (int i = 0; i < 100; i++)
                        CHECK_INT(pb_buf_adds(&b, peter_sig), PB_OK);
                CHECK_INT(pb_note_open(b.data, b.len, keys, 1, &tl, NULL, &d), PB_OK);
                CHECK_INT(pb_buf_adds(&b, peter_sig), PB_OK);
                CHECK_INT(pb_note_open(b.data, b.len, keys, 1, &tl, NULL, &d), PB_ERR_PARSE);
                pb_buf_release(&b);
        }
        /* a known key's bad signature rejects the note; repeats and unknown junk are ignored */
        {
                char bad[256], enoch_bad[256];
                size_t pl = strlen(peter_sig), el = strlen(enoch_sig);

                memcpy(bad, peter_sig, 60);
                memcpy(bad + 60, "ABCD", 4);
                memcpy(bad + 64, peter_sig + 60, pl - 60 + 1);
                msg = cat(peter_text, "\n", bad, "", &n);
                CHECK_INT(pb_note_open(msg, n, keys, 1, &tl, NULL, &d), PB_ERR_SIGNATURE);
                CHECK_STR(d.subject, "PeterNeumann");
                free(msg);
                memcpy(enoch_bad, enoch_sig, 60);
                memcpy(enoch_bad + 60, "ABCD", 4);
                memcpy(enoch_bad + 64, enoch_sig + 60, el - 60 + 1);
                {
                        struct pb_buf b;
                        pb_buf_init(&b, 0);
                        CHECK_INT(pb_buf_adds(&b, peter_text), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, "\n"), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, peter_sig), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, peter_sig), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, enoch_sig), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, enoch_sig), PB_OK);
                        CHECK_INT(pb_buf_adds(&b, enoch_bad), PB_OK);
                        CHECK_INT(pb_note_open(b.data, b.len, keys, 1, &tl, NULL, &d), PB_OK);
                        pb_buf_release(&b);
                }
        }
        /* Go's malformed messages, and a few more */
        {
                const char *tail_cut = "";
                char cut[256];
                size_t pl = strlen(peter_sig);
                const char *bad_name_line =
                        EM " Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
                           "vqfqdngotpRZb6KE6RyyBwJnAM=";
                struct {
                        const char *a, *b, *c, *dd;
                } bad[] = {
                        { peter_text, "", "", "" },
                        { peter_text, "\n", "", "" },
                        { peter_text, "\n", cut, "" },
                        { "\x01", peter_text, "\n", peter_sig },
                        { "\xff", peter_text, "\n", peter_sig },
                        { peter_text, "\n", bad_name_line, "" },
                        { peter_text, "\n", peter_sig, "Unexpected line.\n" },
                        { peter_text, "\n", peter_sig, "\n" },
                        { peter_text, "\n- PeterNeumann AAAA\n", "", "" },
                        { peter_text, "\n" EM " PeterNeumann\n", "", "" },
                        { peter_text, "\n" EM " PeterNeumann \n", "", "" },
                        { peter_text, "\n" EM " PeterNeumann AAA=\n", "", "" },       /* 2 bytes < 5 */
                        { peter_text, "\n" EM " PeterNeumann AAAAAA==\n", "", "" },   /* 4 bytes < 5 */
                        { peter_text, "\n" EM " Peter+Neumann AAAAAAA=\n", "", "" },  /* '+' in name */
                        { peter_text, "\n" EM " PeterNeumann AAAAAAA\n", "", "" },    /* unpadded */
                        { peter_text, "\n" EM " PeterNeumann AAAAAAA=\r\n", "", "" }, /* CR */
                        { "", "", "", "" },
                        { "\n\n", "", "", "" },
                };
                (void)tail_cut;
                memcpy(cut, peter_sig, pl - 1); /* no final newline */
                cut[pl - 1] = '\0';
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        pb_err r;
                        msg = cat(bad[i].a, bad[i].b, bad[i].c, bad[i].dd, &n);
                        r = pb_note_open(msg, n, keys, 1, &tl, NULL, &d);
                        if (r != PB_ERR_PARSE)
                                fprintf(stderr, "malformed note %zu: %d\n", i, (int)r);
                        CHECK_INT(r, PB_ERR_PARSE);
                        free(msg);
                }
        }
}

/* golang.org/x/mod/sumdb/note TestNewVerifier: every substring and every incremented byte fails. */
static void test_vkey_mangling(void)
{
        struct pb_key_public k;
        char b[128];
        size_t len = strlen(peter_vkey);

        for (size_t i = 0; i <= len; i++)
                for (size_t j = i + 1; j <= len; j++)
                        if (i != 0 || j != len)
                                CHECK(pb_key_vkey_parse(peter_vkey + i, j - i, &k, NULL) != PB_OK);
        memcpy(b, peter_vkey, len + 1);
        for (size_t i = 0; i < len; i++) {
                b[i]++;
                CHECK(pb_key_vkey_parse(b, len, &k, NULL) != PB_OK);
                b[i]--;
        }
        /* wrong key length and unknown algorithm, each with a matching key ID */
        {
                const char *wl = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
                const char *ua = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
                CHECK(pb_key_vkey_parse(wl, strlen(wl), &k, NULL) != PB_OK);
                CHECK(pb_key_vkey_parse(ua, strlen(ua), &k, NULL) == PB_ERR_UNSUPPORTED);
        }
        /* upper-case hex is another spelling: refused */
        CHECK(pb_key_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", len, &k,
                                NULL) != PB_OK);
}

static void test_key_names(void)
{
        const char *good[] = { "example.com/foo", "PeterNeumann", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "a" };
        const char *bad[] = { "",
                              "a b",
                              "a+b",
                              "a\tb",
                              "a\nb",
                              "a\xc2\xa0"
                              "b",
                              "a\xe3\x80\x80"
                              "b",
                              "\xff",
                              "a\xe2\x80\xa8"
                              "b",
                              "a\xc2\x85"
                              "b" };

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                CHECK(pb_key_name_is_valid(good[i], strlen(good[i])));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(!pb_key_name_is_valid(bad[i], strlen(bad[i])));
        CHECK(!pb_key_name_is_valid("a\0b", 3));
        {
                struct pb_key_secret k;
                uint8_t seed[32] = { 0 };
                char longname[PB_KEY_NAME_MAX + 2];
                memset(longname, 'x', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = '\0';
                CHECK_INT(pb_key_secret_from_seed(&k, longname, seed, NULL), PB_ERR_INVALID);
                CHECK_INT(pb_key_secret_from_seed(&k, "has space", seed, NULL), PB_ERR_INVALID);
                longname[PB_KEY_NAME_MAX] = '\0';
                CHECK_INT(pb_key_secret_from_seed(&k, longname, seed, NULL), PB_OK);
                pb_key_secret_wipe(&k);
        }
}

static void test_checkpoint(void)
{
        static const char text[] =
                "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        struct pb_checkpoint c, c2;
        struct pb_key_secret k, w;
        struct pb_key_public kp[2];
        struct pb_diag d;
        struct pb_buf b, note;
        uint8_t seed[32];

        CHECK_INT(pb_checkpoint_parse(text, strlen(text), &c, &d), PB_OK);
        CHECK_STR(c.origin, "example.com/behind-the-sofa");
        CHECK(c.size == 20852163);
        CHECK(c.root[0] == 0x0a && c.root[31] == 0x62);
        pb_buf_init(&b, 0);
        CHECK_INT(pb_checkpoint_format(&c, &b, &d), PB_OK);
        CHECK_STR(b.data, text);
        /* the zero checkpoint */
        memset(&c2, 0, sizeof(c2));
        snprintf(c2.origin, sizeof(c2.origin), "pb.city.example/pb/2026-d3/ballots");
        pb_merkle_empty_root(c2.root);
        pb_buf_reset(&b);
        CHECK_INT(pb_checkpoint_format(&c2, &b, &d), PB_OK);
        CHECK_STR(b.data,
                  "pb.city.example/pb/2026-d3/ballots\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
        /* signed by the log, cosigned by a witness the reader does not know */
        memset(seed, 1, 32);
        CHECK_INT(pb_key_secret_from_seed(&k, "pb.city.example/pb/2026-d3/ballots", seed, &d), PB_OK);
        memset(seed, 2, 32);
        CHECK_INT(pb_key_secret_from_seed(&w, "witness.example/w1", seed, &d), PB_OK);
        pb_buf_init(&note, 0);
        {
                const struct pb_key_secret *both[2] = { &k, &w };
                CHECK_INT(pb_note_sign(b.data, b.len, both, 2, &note, &d), PB_OK);
        }
        CHECK_INT(pb_checkpoint_open(note.data, note.len, &k.pub, &c, &d), PB_OK);
        CHECK_STR(c.origin, c2.origin);
        CHECK(c.size == 0 && !memcmp(c.root, c2.root, 32));
        kp[0] = k.pub;
        kp[1] = w.pub;
        {
                bool ok[2];
                size_t tl;
                CHECK_INT(pb_note_open(note.data, note.len, kp, 2, &tl, ok, &d), PB_OK);
                CHECK(ok[0] && ok[1]);
        }
        CHECK_INT(pb_checkpoint_open(note.data, note.len, &w.pub, &c, &d), PB_OK); /* w alone also signed */
        /* a forged size: signature fails */
        note.data[strlen(c2.origin) + 1] = '1';
        CHECK_INT(pb_checkpoint_open(note.data, note.len, &k.pub, &c, &d), PB_ERR_SIGNATURE);
        /* pb_checkpoint_sign */
        pb_buf_reset(&note);
        c2.size = 12345;
        CHECK_INT(pb_checkpoint_sign(&c2, &k, &note, &d), PB_OK);
        CHECK_INT(pb_checkpoint_open(note.data, note.len, &k.pub, &c, &d), PB_OK);
        CHECK(c.size == 12345);
        /* malformed bodies */
        {
                const char *bad[] = {
                        "o\n",
                        "o\n1\n",
                        "o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n9223372036854775808\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
                        "o\n1\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n",
                        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        "o o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                        ("pbv-promise/v1\npb.city.example/x\n47DEQpj8HBSa+/"
                         "TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nby-close\n"),
                };
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        pb_err r = pb_checkpoint_parse(bad[i], strlen(bad[i]), &c, &d);
                        if (r != PB_ERR_PARSE)
                                fprintf(stderr, "bad checkpoint %zu: %d\n", i, (int)r);
                        CHECK_INT(r, PB_ERR_PARSE);
                        CHECK(d.line >= 1 && d.line <= 3);
                }
                const char *ext = "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n";
                const char *max = "o\n9223372036854775807\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
                CHECK_INT(pb_checkpoint_parse(ext, strlen(ext), &c, &d), PB_ERR_UNSUPPORTED);
                CHECK_INT(pb_checkpoint_parse(max, strlen(max), &c, &d), PB_OK);
                CHECK(c.size == 9223372036854775807ULL);
        }
        /* unformattable */
        snprintf(c2.origin, sizeof(c2.origin), "has space");
        CHECK_INT(pb_checkpoint_format(&c2, &b, &d), PB_ERR_INVALID);
        pb_buf_release(&b);
        pb_buf_release(&note);
        pb_key_secret_wipe(&k);
        pb_key_secret_wipe(&w);
}

static void test_promise(void)
{
        struct pb_promise p, q;
        struct pb_checkpoint c;
        struct pb_key_secret k, other;
        struct pb_buf b;
        struct pb_diag d;
        uint8_t seed[32];

        memset(&p, 0, sizeof(p));
        snprintf(p.origin, sizeof(p.origin), "pb.city.example/pb/2026-d3/ballots");
        snprintf(p.election, sizeof(p.election), "2026 d3");
        p.size = 3;
        crypto_hash_sha256(p.root, (const uint8_t *)"abc", 3);
        pb_buf_init(&b, 0);
        CHECK_INT(pb_promise_format(&p, &b, &d), PB_OK);
        CHECK_STR(b.data, "pbv-promise/v3\npb.city.example/pb/2026-d3/ballots\n2026 d3\n3\n"
                          "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n");
        CHECK_INT(pb_promise_parse(b.data, b.len, &q, &d), PB_OK);
        CHECK(!strcmp(q.origin, p.origin) && !strcmp(q.election, "2026 d3") && q.size == 3 &&
              !memcmp(q.root, p.root, 32));
        /* the election id is one line of printable ASCII: nothing else is formatted */
        snprintf(p.election, sizeof(p.election), "a\nb");
        CHECK_INT(pb_promise_format(&p, &b, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "election");
        p.election[0] = '\0';
        CHECK_INT(pb_promise_format(&p, &b, &d), PB_ERR_INVALID);
        snprintf(p.election, sizeof(p.election), "2026 d3");
        /* a promise is never a checkpoint */
        CHECK_INT(pb_checkpoint_parse(b.data, b.len, &c, &d), PB_ERR_PARSE);
        CHECK_INT(d.line, 2);
        /* sizes outside 1..4096 are not formatted */
        p.size = 0;
        CHECK_INT(pb_promise_format(&p, &b, &d), PB_ERR_INVALID);
        p.size = PB_PROMISE_BATCH_MAX + 1;
        CHECK_INT(pb_promise_format(&p, &b, &d), PB_ERR_INVALID);
        p.size = 3;
        /* signed, opened, forged */
        memset(seed, 3, 32);
        CHECK_INT(pb_key_secret_from_seed(&k, "pb.city.example/pb/2026-d3/promise", seed, &d), PB_OK);
        memset(seed, 4, 32);
        CHECK_INT(pb_key_secret_from_seed(&other, "pb.city.example/pb/2026-d3/promise", seed, &d), PB_OK);
        pb_buf_reset(&b);
        CHECK_INT(pb_promise_sign(&p, &k, &b, &d), PB_OK);
        {
                struct pb_buf again;
                pb_buf_init(&again, 0);
                CHECK_INT(pb_promise_sign(&p, &k, &again, &d),
                          PB_OK); /* deterministic: a retry is identical */
                CHECK(again.len == b.len && !memcmp(again.data, b.data, b.len));
                pb_buf_release(&again);
        }
        CHECK_INT(pb_promise_open(b.data, b.len, &k.pub, &q, &d), PB_OK);
        CHECK(!memcmp(q.root, p.root, 32) && q.size == 3);
        CHECK_INT(pb_promise_open(b.data, b.len, &other.pub, &q, &d), PB_ERR_SIGNATURE);
        CHECK_INT(pb_checkpoint_open(b.data, b.len, &k.pub, &c, &d), PB_ERR_PARSE);
        b.data[72] ^= 1; /* inside the root line */
        CHECK_INT(pb_promise_open(b.data, b.len, &k.pub, &q, &d), PB_ERR_SIGNATURE);
        {
                static const struct {
                        const char *text;
                        int line;
                } bad[] = {
                        { "pbv-promise/v1\no\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n", 1 },
                        /* v2, the batch promise without the election id, is no longer read */
                        { "pbv-promise/v2\no\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n",
                          1 },
                        { "pbv-promise/v3\no\ne\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-size "
                          "5\n",
                          6 },
                        { "pbv-promise/v3\no\ne\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\nmore\n",
                          7 },
                        { "pbv-promise/v3\no\ne\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0\nby-close\n",
                          5 },
                        { "pbv-promise/v3\n\ne\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n",
                          2 },
                        { "pbv-promise/v3\no\n\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n",
                          3 },
                        { "pbv-promise/v3\no\ne\te\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\n",
                          3 },
                        { "pbv-promise/v3\no\n\xc3\xa9\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\n",
                          3 },
                        { "pbv-promise/v3\no\n"
                          "01234567890123456789012345678901234567890123456789012345678901234"
                          "\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n",
                          3 },
                        { "pbv-promise/v3\no\ne\n3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close",
                          6 },
                        { "pbv-promise/v3\no\ne\n0\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\nby-close\n",
                          4 },
                        { "pbv-promise/v3\no\ne\n4097\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\n",
                          4 },
                        { "pbv-promise/v3\no\ne\n03\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\n",
                          4 },
                        { "pbv-promise/v3\no\ne\n+3\nungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/"
                          "YfIAFa0=\nby-close\n",
                          4 },
                };
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        CHECK_INT(pb_promise_parse(bad[i].text, strlen(bad[i].text), &q, &d), PB_ERR_PARSE);
                        CHECK_INT(d.line, bad[i].line);
                }
        }
        pb_buf_release(&b);
        pb_key_secret_wipe(&k);
        pb_key_secret_wipe(&other);
}

/* RFC 6962 §2.1 MTH, written out recursively here rather than taken from engine/merkle.c. */
static void naive_mth(const uint8_t (*leaves)[32], size_t n, uint8_t ret[32])
{
        size_t k = 1;
        uint8_t l[32], r[32], buf[65];

        if (n == 1) {
                memcpy(ret, leaves[0], 32);
                return;
        }
        while (k * 2 < n)
                k *= 2;
        naive_mth(leaves, k, l);
        naive_mth(leaves + k, n - k, r);
        buf[0] = 1;
        memcpy(buf + 1, l, 32);
        memcpy(buf + 33, r, 32);
        crypto_hash_sha256(ret, buf, sizeof(buf));
}

/* The log's leaf hash: SHA-256(0x00 || "pbv/leaf/v1\0" || commitment), written out here. */
static void naive_leaf(const uint8_t c[32], uint8_t ret[32])
{
        uint8_t buf[1 + 12 + 32];

        buf[0] = 0;
        memcpy(buf + 1, "pbv/leaf/v1", 12);
        memcpy(buf + 13, c, 32);
        crypto_hash_sha256(ret, buf, sizeof(buf));
}

static int cmp32(const void *a, const void *b)
{
        return memcmp(a, b, 32);
}

/* Batch promises: the root is the RFC 6962 root of the sorted commitments' log leaves, whatever the
 * input order; every proof checks, and no proof checks for anything else. */
static void test_promise_batch(void)
{
        static const size_t sizes[] = { 1, 2, 3, 5, 8, 20, 33, 256, 1000, PB_PROMISE_BATCH_MAX };
        uint8_t(*cs)[32] = malloc(PB_PROMISE_BATCH_MAX * 32);
        uint8_t(*sorted)[32] = malloc(PB_PROMISE_BATCH_MAX * 32);
        struct pb_promise_proof *proofs = malloc((PB_PROMISE_BATCH_MAX + 1) * sizeof(*proofs));
        struct pb_promise p, again;
        struct pb_diag d;

        if (!cs || !sorted || !proofs) {
                CHECK_FAIL("no memory");
                goto out;
        }
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
                size_t n = sizes[si];
                uint8_t want[32];

                for (size_t i = 0; i < n; i++) {
                        uint8_t in[16] = { 0 };
                        memcpy(in, &i, sizeof(i));
                        in[15] = (uint8_t)n;
                        crypto_hash_sha256(cs[i], in, sizeof(in));
                }
                memset(&p, 0, sizeof(p));
                CHECK_INT(pb_promise_batch(&cs[0][0], n, &p, proofs, &d), PB_OK);
                CHECK(p.size == n);
                memcpy(sorted, cs, n * 32);
                qsort(sorted, n, 32, cmp32);
                for (size_t i = 0; i < n; i++)
                        naive_leaf(sorted[i], sorted[i]);
                naive_mth((const uint8_t(*)[32])sorted, n, want);
                CHECK(!memcmp(p.root, want, 32));
                for (size_t i = 0; i < n; i++) {
                        struct pb_promise_proof bad = proofs[i];
                        CHECK_INT(pb_promise_check(&p, cs[i], &proofs[i], &d), PB_OK);
                        if (n == 1)
                                continue;
                        /* another commitment, another leaf, a changed path: refused */
                        CHECK(pb_promise_check(&p, cs[(i + 1) % n], &proofs[i], &d) < 0);
                        bad.index = (bad.index + 1) % n;
                        CHECK(pb_promise_check(&p, cs[i], &bad, &d) < 0);
                        bad = proofs[i];
                        bad.path[0][5] ^= 0x40;
                        CHECK_INT(pb_promise_check(&p, cs[i], &bad, &d), PB_ERR_SIGNATURE);
                }
                CHECK_INT(proofs[0].path_len,
                          n == 1 ? 0 : (size_t)(64 - __builtin_clzll((unsigned long long)n - 1)));
                /* reversed input: the same promise, each commitment at the same leaf */
                for (size_t i = 0; i < n / 2; i++) {
                        uint8_t t[32];
                        memcpy(t, cs[i], 32);
                        memcpy(cs[i], cs[n - 1 - i], 32);
                        memcpy(cs[n - 1 - i], t, 32);
                }
                {
                        uint64_t first = proofs[n - 1].index;
                        memset(&again, 0, sizeof(again));
                        CHECK_INT(pb_promise_batch(&cs[0][0], n, &again, proofs, &d), PB_OK);
                        CHECK(again.size == n && !memcmp(again.root, p.root, 32));
                        CHECK(proofs[0].index == first);
                }
        }
        /* a batch of one: the root is the commitment's leaf hash, the path empty */
        {
                uint8_t leaf[32];
                CHECK_INT(pb_promise_batch(&cs[0][0], 1, &p, proofs, &d), PB_OK);
                naive_leaf(cs[0], leaf);
                CHECK(p.size == 1 && !memcmp(p.root, leaf, 32) && proofs[0].index == 0 &&
                      proofs[0].path_len == 0);
        }
        CHECK_INT(pb_promise_batch(&cs[0][0], 0, &p, proofs, &d), PB_ERR_LIMIT);
        CHECK_INT(pb_promise_batch(&cs[0][0], PB_PROMISE_BATCH_MAX + 1, &p, proofs, &d), PB_ERR_LIMIT);
        memcpy(cs[2], cs[0], 32);
        CHECK_INT(pb_promise_batch(&cs[0][0], 3, &p, proofs, &d), PB_ERR_INVALID);
        CHECK_STR(d.path, "batch");
        /* a path longer than any batch's is refused before hashing */
        proofs[0].path_len = PB_PROMISE_PATH_MAX + 1;
        CHECK_INT(pb_promise_check(&p, cs[0], &proofs[0], &d), PB_ERR_INVALID);
out:
        free(cs);
        free(sorted);
        free(proofs);
}

static void test_oom(void)
{
        struct pb_key_secret k;
        struct pb_checkpoint c;
        struct pb_buf b;
        uint8_t seed[32] = { 9 };
        pb_err r = PB_ERR_NOMEM;

        CHECK_INT(pb_key_secret_from_seed(&k, "log", seed, NULL), PB_OK);
        memset(&c, 0, sizeof(c));
        snprintf(c.origin, sizeof(c.origin), "log");
        c.size = 7;
        pb_buf_init(&b, 0);
        for (long i = 0; i < 50; i++) {
                pb_alloc_fail_after(i);
                r = pb_checkpoint_sign(&c, &k, &b, NULL);
                pb_alloc_fail_after(-1);
                if (r == PB_OK)
                        break;
                CHECK_INT(r, PB_ERR_NOMEM);
                CHECK_INT(b.len, 0);
        }
        CHECK_INT(r, PB_OK);
        pb_buf_release(&b);
        pb_key_secret_wipe(&k);
}

/* The derived log origin (integrity.md §3.1): written out by hand here, one-to-one, every id. */
static void test_origin(void)
{
        static const struct {
                const char *id, *origin;
        } good[] = {
                { "city-2026", "pbvote/city-2026/ballots" },
                { "BO.OM.97/24", "pbvote/BO.OM.97/24/ballots" },
                { "a b", "pbvote/a%20b/ballots" },
                { "a%20b", "pbvote/a%2520b/ballots" }, /* not the origin of "a b" */
                { "x+y", "pbvote/x%2By/ballots" },
                { "~!#$&'()*:<=>?@[]^_`{|}", "pbvote/~!#$&'()*:<=>?@[]^_`{|}/ballots" },
        };
        static const char *const bad[] = {
                "", "a\nb", "tab\there", "\xc3\xa9t\xc3\xa9",
                "0123456789012345678901234567890123456789012345678901234567890123x"
        };
        char o[PB_CHECKPOINT_ORIGIN_MAX + 1], id[PB_ID_MAX + 1];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                memset(o, 0, sizeof(o));
                CHECK_INT(pb_origin_derive(good[i].id, o), PB_OK);
                CHECK_STR(o, good[i].origin);
                CHECK(pb_key_name_is_valid(o, strlen(o)));
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(o, sizeof(o), "untouched");
                CHECK_INT(pb_origin_derive(bad[i], o), PB_ERR_INVALID);
                CHECK_STR(o, "untouched");
        }
        /* the longest: 64 escaped bytes still make an origin of at most 255 bytes */
        memset(id, '%', PB_ID_MAX);
        id[PB_ID_MAX] = '\0';
        CHECK_INT(pb_origin_derive(id, o), PB_OK);
        CHECK_INT(strlen(o), 7 + 3 * PB_ID_MAX + 8);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_c2sp_example);
        RUN(test_go_sign);
        RUN(test_go_open);
        RUN(test_vkey_mangling);
        RUN(test_key_names);
        RUN(test_checkpoint);
        RUN(test_origin);
        RUN(test_promise);
        RUN(test_promise_batch);
        RUN(test_oom);
        return check_summary("note");
}
