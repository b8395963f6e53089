/**
 * @file Unit tests for key files: the exact layout, unlocking, every byte of a file covered (any
 * change, truncation or extension fails), the unencrypted variant, presets, file permissions.
 */
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/pb_keyfile.h"
#include "check.h"
#include "engine/pb_alloc.h"

/* The cheapest limits libsodium allows: these tests are about the format, not about Argon2. */
static const struct pb_keyfile_kdf tiny = { 1, 8192 };
static const char pass[] = "correct horse battery staple";

static void fixed(uint8_t seed[32], uint8_t salt[16], uint8_t nonce[24])
{
        for (int i = 0; i < 32; i++)
                seed[i] = (uint8_t)(0x40 + i);
        for (int i = 0; i < 16; i++)
                salt[i] = (uint8_t)i;
        for (int i = 0; i < 24; i++)
                nonce[i] = (uint8_t)(0xa0 + i);
}

static void test_layout_and_unlock(void)
{
        uint8_t seed[32], salt[16], nonce[24];
        struct pb_key_secret want, got;
        struct pb_keyfile_info info;
        struct pb_buf b, vk;
        struct pb_diag d;
        char expect[1024];

        fixed(seed, salt, nonce);
        CHECK_INT(pb_key_secret_from_seed(&want, "pb.city.example/engine", seed, NULL), PB_OK);
        pb_buf_init(&b, 0);
        pb_buf_init(&vk, 0);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "pb.city.example/engine", seed, pass, strlen(pass),
                                    &tiny, salt, nonce, 0, &b, &d),
                  PB_OK);
        CHECK_INT(pb_key_vkey_format(&want.pub, &vk), PB_OK);
        snprintf(expect, sizeof(expect),
                 "pbvote-secret-key/v1\nrole: engine\npublic: %s\nkdf: argon2id13 ops=1 mem=8192\n"
                 "salt: AAECAwQFBgcICQoLDA0ODw==\nnonce: oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3\nsealed-seed: ",
                 vk.data);
        CHECK(!strncmp(b.data, expect, strlen(expect)));
        CHECK_INT(b.len, strlen(expect) + 64 + 1);
        CHECK(b.data[b.len - 1] == '\n');
        CHECK(strstr(b.data, "QEFCQ0RF") == NULL); /* the seed's base64 is nowhere in the file */
        /* header readable without the passphrase */
        CHECK_INT(pb_keyfile_parse(b.data, b.len, &info, &d), PB_OK);
        CHECK(info.encrypted && info.role == PB_KEY_ROLE_ENGINE && info.kdf.opslimit == 1 &&
              info.kdf.memlimit == 8192);
        CHECK(pb_key_equal(&info.pub, &want.pub));
        /* unlock */
        memset(&info, 0, sizeof(info));
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, pass, strlen(pass), &info, &got, &d), PB_OK);
        CHECK(!memcmp(got.sk, want.sk, 64) && pb_key_equal(&got.pub, &want.pub));
        CHECK(info.role == PB_KEY_ROLE_ENGINE);
        pb_key_secret_wipe(&got);
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, "correct horse battery stapler", strlen(pass) + 1, NULL,
                                    &got, &d),
                  PB_ERR_AUTH);
        CHECK_STR(d.reason, "wrong passphrase, or the key file was altered");
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, pass, strlen(pass) - 1, NULL, &got, &d), PB_ERR_AUTH);
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, NULL, 0, NULL, &got, &d), PB_ERR_AUTH);
        /* deterministic for fixed salt and nonce */
        {
                struct pb_buf again;
                pb_buf_init(&again, 0);
                CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "pb.city.example/engine", seed, pass,
                                            strlen(pass), &tiny, salt, nonce, 0, &again, &d),
                          PB_OK);
                CHECK(again.len == b.len && !memcmp(again.data, b.data, b.len));
                pb_buf_release(&again);
        }
        pb_buf_release(&b);
        pb_buf_release(&vk);
        pb_key_secret_wipe(&want);
}

/* Every single-byte change, every truncation and an extension: unlocking fails, nothing crashes. */
static void tamper_all(const char *text, size_t len, const char *p)
{
        struct pb_key_secret k;
        char *t = malloc(len + 2);
        size_t fails = 0, tries = 0;

        memcpy(t, text, len);
        for (size_t i = 0; i < len; i++) {
                for (int bit = 0; bit < 8; bit += 3) {
                        t[i] = (char)(text[i] ^ (1 << bit));
                        tries++;
                        fails += pb_keyfile_unlock(t, len, p, p ? strlen(p) : 0, NULL, &k, NULL) != PB_OK;
                }
                t[i] = text[i];
        }
        for (size_t n = 0; n < len; n++) {
                tries++;
                fails += pb_keyfile_unlock(t, n, p, p ? strlen(p) : 0, NULL, &k, NULL) != PB_OK;
        }
        t[len] = '\n';
        tries++;
        fails += pb_keyfile_unlock(t, len + 1, p, p ? strlen(p) : 0, NULL, &k, NULL) != PB_OK;
        CHECK_INT(fails, tries);
        CHECK_INT(pb_keyfile_unlock(text, len, p, p ? strlen(p) : 0, NULL, &k, NULL),
                  PB_OK); /* the original */
        pb_key_secret_wipe(&k);
        free(t);
}

static void test_every_byte_covered(void)
{
        uint8_t seed[32], salt[16], nonce[24];
        struct pb_buf b;

        fixed(seed, salt, nonce);
        pb_buf_init(&b, 0);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_OFFICE, "office", seed, pass, strlen(pass), &tiny, salt,
                                    nonce, 0, &b, NULL),
                  PB_OK);
        tamper_all(b.data, b.len, pass);
        /* a header rewritten to other KDF limits (a downgrade) with the same sealed seed fails */
        {
                char *t = pb_strndup(b.data, b.len);
                char *ops = strstr(t, "ops=1");
                struct pb_key_secret k;
                CHECK(ops != NULL);
                ops[4] = '2';
                CHECK_INT(pb_keyfile_unlock(t, b.len, pass, strlen(pass), NULL, &k, NULL), PB_ERR_AUTH);
                pb_free(t);
        }
        pb_buf_reset(&b);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "engine", seed, NULL, 0, NULL, NULL, NULL,
                                    PB_KEYFILE_UNENCRYPTED, &b, NULL),
                  PB_OK);
        tamper_all(b.data, b.len, NULL);
        pb_buf_release(&b);
}

static void test_unencrypted(void)
{
        uint8_t seed[32], salt[16], nonce[24];
        struct pb_key_secret want, got;
        struct pb_keyfile_info info;
        struct pb_buf b;
        struct pb_diag d;

        fixed(seed, salt, nonce);
        CHECK_INT(pb_key_secret_from_seed(&want, "demo", seed, NULL), PB_OK);
        pb_buf_init(&b, 0);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_OFFICE, "demo", seed, NULL, 0, NULL, NULL, NULL,
                                    PB_KEYFILE_UNENCRYPTED, &b, &d),
                  PB_OK);
        CHECK(strstr(b.data, "\nkdf: none\nwarning: UNENCRYPTED: anyone who can read this file can sign as "
                             "this key;") != NULL);
        CHECK(strstr(b.data, "\nseed: QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=\ncheck: ") != NULL);
        CHECK_INT(pb_keyfile_parse(b.data, b.len, &info, &d), PB_OK);
        CHECK(!info.encrypted && info.role == PB_KEY_ROLE_OFFICE && info.kdf.opslimit == 0);
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, NULL, 0, NULL, &got, &d), PB_OK);
        CHECK(!memcmp(got.sk, want.sk, 64));
        CHECK_INT(pb_keyfile_unlock(b.data, b.len, "ignored", 7, NULL, &got, &d), PB_OK);
        pb_key_secret_wipe(&got);
        pb_key_secret_wipe(&want);
        pb_buf_release(&b);
}

static void test_refusals(void)
{
        uint8_t seed[32], salt[16], nonce[24];
        struct pb_keyfile_kdf k;
        struct pb_buf b;
        struct pb_diag d;
        enum pb_key_role role;

        fixed(seed, salt, nonce);
        pb_buf_init(&b, 0);
        /* the unencrypted variant only with its flag, and never with a passphrase */
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "e", seed, NULL, 0, &tiny, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "e", seed, pass, 4, &tiny, salt, nonce,
                                    PB_KEYFILE_UNENCRYPTED, &b, &d),
                  PB_ERR_INVALID);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "e", seed, "", 0, &tiny, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_COUNT, "e", seed, pass, 4, &tiny, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "a b", seed, pass, 4, &tiny, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        k = tiny;
        k.opslimit = 17;
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "e", seed, pass, 4, &k, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        k = tiny;
        k.memlimit = 8193;
        CHECK_INT(pb_keyfile_format(PB_KEY_ROLE_ENGINE, "e", seed, pass, 4, &k, salt, nonce, 0, &b, &d),
                  PB_ERR_INVALID);
        CHECK_INT(b.len, 0);
        /* presets are libsodium's */
        CHECK_INT(pb_keyfile_kdf_preset("moderate", &k), PB_OK);
        CHECK(k.opslimit == 3 && k.memlimit == 268435456);
        CHECK_INT(pb_keyfile_kdf_preset("interactive", &k), PB_OK);
        CHECK(k.opslimit == 2 && k.memlimit == 67108864);
        CHECK_INT(pb_keyfile_kdf_preset("sensitive", &k), PB_OK);
        CHECK(k.opslimit == 4 && k.memlimit == 1073741824);
        CHECK_INT(pb_keyfile_kdf_preset("fast", &k), PB_ERR_INVALID);
        CHECK_INT(pb_key_role_parse("office", &role), PB_OK);
        CHECK(role == PB_KEY_ROLE_OFFICE);
        CHECK_INT(pb_key_role_parse("Engine", &role), PB_ERR_INVALID);
        CHECK_STR(pb_key_role_name(PB_KEY_ROLE_ENGINE), "engine");
        CHECK(pb_key_role_name(PB_KEY_ROLE_COUNT) == NULL);
        /* malformed headers, each naming its line */
        {
                const char *bad[] = {
                        "",
                        "pbvote-secret-key/v2\n",
                        "pbvote-secret-key/v1\nrole: witness\n",
                        "pbvote-secret-key/v1\nrole: engine\npublic: x+00000000+AA==\n",
                };
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        struct pb_keyfile_info info;
                        CHECK_INT(pb_keyfile_parse(bad[i], strlen(bad[i]), &info, &d), PB_ERR_PARSE);
                        CHECK_INT(d.line, i < 2 ? 1 : (unsigned)i);
                }
        }
        pb_buf_release(&b);
}

static void test_files(void)
{
        char dir[] = "/tmp/pbvote-keyfile-XXXXXX", path[256], link_path[256];
        struct pb_keyfile_info info, info2;
        struct pb_key_secret k;
        struct pb_diag d;
        struct stat st;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/engine.key", dir);
        snprintf(link_path, sizeof(link_path), "%s/link.key", dir);
        CHECK_INT(pb_keyfile_create(path, PB_KEY_ROLE_ENGINE, "pb.city.example/engine", pass, strlen(pass),
                                    &tiny, 0, &info, &d),
                  PB_OK);
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        CHECK_INT(pb_keyfile_create(path, PB_KEY_ROLE_ENGINE, "x", pass, strlen(pass), &tiny, 0, NULL, &d),
                  PB_ERR_CONFLICT);
        CHECK_INT(pb_keyfile_read_info(path, &info2, &d), PB_OK);
        CHECK(pb_key_equal(&info.pub, &info2.pub) && info2.encrypted);
        CHECK_INT(pb_keyfile_load(path, pass, strlen(pass), NULL, &k, &d), PB_OK);
        CHECK(!memcmp(k.pub.pk, info.pub.pk, 32));
        pb_key_secret_wipe(&k);
        CHECK_INT(pb_keyfile_load(path, "wrong", 5, NULL, &k, &d), PB_ERR_AUTH);
        /* two keys made the same way differ (fresh seed, salt, nonce) */
        {
                char p2[256];
                struct pb_keyfile_info other;
                snprintf(p2, sizeof(p2), "%s/engine2.key", dir);
                CHECK_INT(pb_keyfile_create(p2, PB_KEY_ROLE_ENGINE, "pb.city.example/engine", pass,
                                            strlen(pass), &tiny, 0, &other, &d),
                          PB_OK);
                CHECK(memcmp(other.pub.pk, info.pub.pk, 32) != 0);
                unlink(p2);
        }
        /* refused: readable by others, a symbolic link, missing */
        CHECK(chmod(path, 0640) == 0);
        CHECK_INT(pb_keyfile_load(path, pass, strlen(pass), NULL, &k, &d), PB_ERR_FORBIDDEN);
        CHECK_INT(pb_keyfile_read_info(path, &info2, &d), PB_ERR_FORBIDDEN);
        CHECK(chmod(path, 0600) == 0);
        CHECK(symlink(path, link_path) == 0);
        CHECK_INT(pb_keyfile_load(link_path, pass, strlen(pass), NULL, &k, &d), PB_ERR_IO);
        CHECK_STR(d.reason, "key file is a symbolic link (refused)");
        unlink(link_path);
        CHECK_INT(pb_keyfile_load(link_path, pass, strlen(pass), NULL, &k, &d), PB_ERR_IO);
        CHECK_STR(d.reason, "no such file");
        /* an unencrypted one */
        unlink(path);
        CHECK_INT(pb_keyfile_create(path, PB_KEY_ROLE_OFFICE, "office", NULL, 0, NULL, PB_KEYFILE_UNENCRYPTED,
                                    &info, &d),
                  PB_OK);
        CHECK(!info.encrypted);
        CHECK_INT(pb_keyfile_load(path, NULL, 0, &info2, &k, &d), PB_OK);
        CHECK(info2.role == PB_KEY_ROLE_OFFICE);
        pb_key_secret_wipe(&k);
        unlink(path);
        CHECK(rmdir(dir) == 0);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_layout_and_unlock);
        RUN(test_every_byte_covered);
        RUN(test_unencrypted);
        RUN(test_refusals);
        RUN(test_files);
        return check_summary("keyfile");
}
