/**
 * @file Unit tests for DSSE envelopes: the spec's PAE example, the DSSE test vectors
 * (secure-systems-lab/dsse testvectors/vectors.json, Ed25519 keys of RFC 8032 §7.1), signing and
 * verification, a signature moved to another payload type, and the strict envelope parser.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>

#include "formats/pb_envelope.h"
#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_seal.h"

static void unhex(const char *s, uint8_t *out, size_t n)
{
        size_t len;

        CHECK(sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) == 0 && len == n);
}

/* The key @name from the seed @seed_hex: its public key must be @pk_hex. */
static void rfc_key(struct pb_key_secret *k, const char *name, const char *seed_hex, const char *pk_hex)
{
        uint8_t seed[32], pk[32];

        unhex(seed_hex, seed, 32);
        CHECK_INT(pb_key_secret_from_seed(k, name, seed, NULL), PB_OK);
        unhex(pk_hex, pk, 32);
        CHECK(!memcmp(k->pub.pk, pk, 32));
}

/* RFC 8032 §7.1 TEST 1 and TEST 2: the DSSE vectors' keys A and B. */
static void key_a(struct pb_key_secret *k, const char *name)
{
        rfc_key(k, name, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

static void key_b(struct pb_key_secret *k, const char *name)
{
        rfc_key(k, name, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
}

static void test_pae(void)
{
        struct pb_buf b;
        const char *want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";

        pb_buf_init(&b, 0);
        CHECK_INT(pb_seal_pae("http://example.com/HelloWorld", 29, (const uint8_t *)"hello world", 11, &b),
                  PB_OK);
        CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len));
        pb_buf_reset(&b);
        /* an empty body is signed as "... 0 " with a trailing space */
        CHECK_INT(pb_seal_pae("application/vnd.in-toto+json", 28, (const uint8_t *)"", 0, &b), PB_OK);
        CHECK_STR(b.data, "DSSEv1 28 application/vnd.in-toto+json 0 ");
        pb_buf_release(&b);
}

/* A vector: the type, the payload (base64), key A's signature (base64), the PAE (hex). */
struct dsse_vec {
        const char *type, *payload_b64, *sig_b64, *pae_hex;
};

static const char intoto_payload[] = "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==";
static const char intoto_pae[] =
        "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e20343320"
        "7b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f763122"
        "7d";
static const char sig_a[] =
        "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA==";
static const char sig_b[] =
        "c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw==";

static const struct dsse_vec vecs[] = {
        { "application/vnd.in-toto+json", intoto_payload, sig_a, intoto_pae },
        { "application/vnd.ex\xc3\xa4mple+json", intoto_payload,
          "xmSk/ug66ysT7ayhkCIjhAq42zgZXSsEWuzUaNL7w2eGAdF/NU6/fRXPtmfN+5DNSAs5/i2lUnHjbbjPsu0tAw==",
          "445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f747970"
          "65223a22"
          "68747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d" },
        { "application/vnd.in-toto+json", "",
          "gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg==",
          "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020" },
};

/* Build an envelope in memory (owned pieces) from a vector's parts. */
static void build_env(struct pb_seal_envelope *env, const char *type, const uint8_t *payload, size_t plen,
                      const uint8_t *sig, const char *keyid)
{
        pb_seal_envelope_init(env);
        env->payload_type = pb_strndup(type, strlen(type));
        env->payload_type_len = strlen(type);
        env->payload = pb_malloc(plen);
        memcpy(env->payload, payload, plen);
        env->payload_len = plen;
        env->sigs = pb_calloc(1, sizeof(*env->sigs));
        env->nsigs = 1;
        memcpy(env->sigs[0].sig, sig, 64);
        env->sigs[0].keyid = keyid ? pb_strndup(keyid, strlen(keyid)) : NULL;
}

static void test_dsse_vectors(void)
{
        struct pb_key_secret a, b;
        struct pb_seal_envelope env;
        struct pb_buf pae;
        uint8_t payload[64], sig[64], want_pae[256], mine[64];
        size_t plen, pae_len;

        key_a(&a, "A");
        key_b(&b, "B");
        pb_buf_init(&pae, 0);
        for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
                const struct dsse_vec *v = &vecs[i];

                CHECK_INT(pb_b64_decode(v->payload_b64, strlen(v->payload_b64), payload, sizeof(payload),
                                        &plen),
                          PB_OK);
                CHECK_INT(pb_b64_decode_exact(v->sig_b64, strlen(v->sig_b64), sig, 64), PB_OK);
                CHECK(sodium_hex2bin(want_pae, sizeof(want_pae), v->pae_hex, strlen(v->pae_hex), NULL,
                                     &pae_len, NULL) == 0);
                pb_buf_reset(&pae);
                CHECK_INT(pb_seal_pae(v->type, strlen(v->type), payload, plen, &pae), PB_OK);
                CHECK(pae.len == pae_len && !memcmp(pae.data, want_pae, pae_len));
                /* Ed25519 is deterministic: our signature is the published one */
                pb_key_sign(&a, (const uint8_t *)pae.data, pae.len, mine);
                CHECK(!memcmp(mine, sig, 64));
                build_env(&env, v->type, payload, plen, sig, NULL);
                CHECK_INT(pb_seal_verify(&env, v->type, &a.pub, 0, NULL), PB_OK);
                CHECK(pb_seal_verify(&env, v->type, &b.pub, 0, NULL) != PB_OK);
                pb_seal_envelope_release(&env);
        }
        /* payload-type-swapped: the in-toto signature under another claimed type */
        CHECK_INT(pb_b64_decode(intoto_payload, strlen(intoto_payload), payload, sizeof(payload), &plen),
                  PB_OK);
        CHECK_INT(pb_b64_decode_exact(sig_a, strlen(sig_a), sig, 64), PB_OK);
        build_env(&env, "application/vnd.example.other+json", payload, plen, sig, NULL);
        CHECK(pb_seal_verify(&env, "application/vnd.example.other+json", &a.pub, 0, NULL) ==
              PB_ERR_SIGNATURE);
        CHECK(pb_seal_verify(&env, "application/vnd.in-toto+json", &a.pub, 0, NULL) == PB_ERR_SIGNATURE);
        pb_seal_envelope_release(&env);
        /* url-safe-base64: the signature is valid (we check it); our parser refuses that alphabet */
        {
                const char *p64 = "-_-_Pj8=", *s64 = "P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_"
                                                     "svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw==";
                size_t sl;

                CHECK(sodium_base642bin(payload, sizeof(payload), p64, strlen(p64), NULL, &plen, NULL,
                                        sodium_base64_VARIANT_URLSAFE) == 0);
                CHECK(sodium_base642bin(sig, 64, s64, strlen(s64), NULL, &sl, NULL,
                                        sodium_base64_VARIANT_URLSAFE) == 0);
                build_env(&env, "application/vnd.in-toto+json", payload, plen, sig, NULL);
                CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &a.pub, 0, NULL), PB_OK);
                pb_seal_envelope_release(&env);
        }
        pb_buf_release(&pae);
        pb_key_secret_wipe(&a);
        pb_key_secret_wipe(&b);
}

/* The DSSE vectors' envelope JSON (pretty-printed, "sig" before "keyid"): other tools' layout. */
static void test_parse_foreign(void)
{
        struct pb_key_secret a, b;
        struct pb_seal_envelope env;
        struct pb_diag d;
        char text[1024];
        int n;

        key_a(&a, "A");
        key_b(&b, "B");
        n = snprintf(text, sizeof(text),
                     "{\n  \"payload\": \"%s\",\n  \"payloadType\": \"application/vnd.in-toto+json\",\n"
                     "  \"signatures\": [\n    {\"sig\": \"%s\", \"keyid\": \"A\"},\n    {\"sig\": \"%s\"}\n "
                     " ]\n}\n",
                     intoto_payload, sig_a, sig_b);
        pb_seal_envelope_init(&env);
        CHECK_INT(pb_envelope_parse(text, (size_t)n, 0, &env, &d), PB_ERR_PARSE); /* not canonical */
        CHECK_INT(pb_envelope_parse(text, (size_t)n, PB_ENVELOPE_ANY_LAYOUT, &env, &d), PB_OK);
        CHECK_INT(env.nsigs, 2);
        CHECK_STR(env.sigs[0].keyid, "A");
        CHECK(env.sigs[1].keyid == NULL);
        /* two distinct keys: a 2-of-2 threshold is two pb_seal_verify calls */
        CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &a.pub, 0, NULL), PB_OK);
        CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &b.pub, 0, NULL), PB_OK);
        CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &a.pub, PB_SEAL_SOLE_SIGNATURE, NULL),
                  PB_ERR_SIGNATURE);
        /* our key A is named "A", so its own hint is "A+<id>": the vector's "A" is not, and B has none */
        CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &a.pub, PB_SEAL_MATCH_KEYID, &d),
                  PB_ERR_SIGNATURE);
        CHECK_STR(d.reason, "keyid names another key");
        CHECK_INT(pb_seal_verify(&env, "application/vnd.in-toto+json", &b.pub, PB_SEAL_MATCH_KEYID, &d),
                  PB_ERR_SIGNATURE);
        pb_seal_envelope_release(&env);
        /* an empty payload type parses nowhere and verifies as nothing */
        n = snprintf(
                text, sizeof(text),
                "{\"payload\":\"%s\",\"payloadType\":\"\",\"signatures\":[{\"sig\":\"%s\"}]}", intoto_payload,
                "iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg==");
        CHECK_INT(pb_envelope_parse(text, (size_t)n, PB_ENVELOPE_ANY_LAYOUT, &env, &d), PB_ERR_PARSE);
        CHECK_STR(d.path, "payloadType");
        pb_key_secret_wipe(&a);
        pb_key_secret_wipe(&b);
}

static void test_sign_verify(void)
{
        struct pb_key_secret eng, off;
        const struct pb_key_secret *one[1], *two[2];
        struct pb_seal_envelope env, moved;
        struct pb_buf out, again;
        struct pb_diag d;
        const char *payload = "{\"type\":\"pbvote.result/v1\",\"winners\":[\"p03\"]}";
        size_t plen = strlen(payload);

        key_a(&eng, "pb.city.example/engine");
        key_b(&off, "pb.city.example/office");
        one[0] = &eng;
        two[0] = &eng;
        two[1] = &off;
        pb_buf_init(&out, 0);
        pb_buf_init(&again, 0);
        CHECK_INT(pb_seal_sign(PB_SEAL_TYPE_RESULT, (const uint8_t *)payload, plen, one, 1, &out, &d), PB_OK);
        /* the layout: sorted keys, no whitespace, keyid = name+keyid hex */
        {
                char prefix[256];
                snprintf(prefix, sizeof(prefix),
                         "{\"payload\":\"eyJ0eXBlIjoicGJ2b3RlLnJlc3VsdC92MSIsIndpbm5lcnMiOlsicDAzIl19\","
                         "\"payloadType\":\"application/"
                         "vnd.pbvote.result+json;v=1\",\"signatures\":[{\"keyid\":\"pb."
                         "city.example/engine+%08lx\",\"sig\":\"",
                         (unsigned long)eng.pub.id);
                CHECK(!strncmp(out.data, prefix, strlen(prefix)));
                CHECK(out.len == strlen(prefix) + 88 + 4 && !strcmp(out.data + out.len - 4, "\"}]}"));
        }
        pb_seal_envelope_init(&env);
        CHECK_INT(pb_envelope_parse(out.data, out.len, 0, &env, &d), PB_OK);
        CHECK(env.payload_len == plen && !memcmp(env.payload, payload, plen));
        CHECK_INT(pb_seal_envelope_format(&env, &again), PB_OK);
        CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len));
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &eng.pub, PB_SEAL_STRICT, &d), PB_OK);
        /* wrong key, wrong expected type */
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &off.pub, 0, &d), PB_ERR_SIGNATURE);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_CERTIFICATION, &eng.pub, 0, &d), PB_ERR_SIGNATURE);
        CHECK_INT(pb_seal_verify(&env, "application/vnd.pbvote.result+json", &eng.pub, 0, &d),
                  PB_ERR_SIGNATURE);
        /* the signature moved to another document type fails, whatever type the verifier expects */
        {
                const char *types[] = { PB_SEAL_TYPE_MANIFEST, PB_SEAL_TYPE_CLOSE, PB_SEAL_TYPE_CERTIFICATION,
                                        PB_SEAL_TYPE_KEYS };
                for (size_t i = 0; i < 4; i++) {
                        build_env(&moved, types[i], env.payload, env.payload_len, env.sigs[0].sig,
                                  env.sigs[0].keyid);
                        CHECK_INT(pb_seal_verify(&moved, types[i], &eng.pub, 0, &d), PB_ERR_SIGNATURE);
                        CHECK_INT(pb_seal_verify(&moved, PB_SEAL_TYPE_RESULT, &eng.pub, 0, &d),
                                  PB_ERR_SIGNATURE);
                        pb_seal_envelope_release(&moved);
                }
        }
        /* one flipped bit in the payload or the signature */
        env.payload[3] ^= 1;
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &eng.pub, 0, &d), PB_ERR_SIGNATURE);
        env.payload[3] ^= 1;
        env.sigs[0].sig[17] ^= 0x40;
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &eng.pub, 0, &d), PB_ERR_SIGNATURE);
        env.sigs[0].sig[17] ^= 0x40;
        /* a keyid that names another key is refused in strict mode even though the signature verifies */
        env.sigs[0].keyid[0] = 'x';
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &eng.pub, PB_SEAL_STRICT, &d), PB_ERR_SIGNATURE);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_RESULT, &eng.pub, 0, &d), PB_OK);
        pb_seal_envelope_release(&env);
        /* two signers, in order; each verifies; SOLE refuses */
        pb_buf_reset(&out);
        CHECK_INT(pb_seal_sign(PB_SEAL_TYPE_CERTIFICATION, (const uint8_t *)"{}", 2, two, 2, &out, &d),
                  PB_OK);
        CHECK_INT(pb_envelope_parse(out.data, out.len, 0, &env, &d), PB_OK);
        CHECK_INT(env.nsigs, 2);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_CERTIFICATION, &eng.pub, 0, &d), PB_OK);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_CERTIFICATION, &off.pub, 0, &d), PB_OK);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_CERTIFICATION, &off.pub, PB_SEAL_SOLE_SIGNATURE, &d),
                  PB_ERR_SIGNATURE);
        pb_seal_envelope_release(&env);
        /* refused inputs leave the output untouched */
        pb_buf_reset(&out);
        CHECK_INT(pb_seal_sign("", (const uint8_t *)"x", 1, one, 1, &out, &d), PB_ERR_INVALID);
        CHECK_INT(pb_seal_sign("a\xff", (const uint8_t *)"x", 1, one, 1, &out, &d), PB_ERR_INVALID);
        CHECK_INT(pb_seal_sign(PB_SEAL_TYPE_RESULT, (const uint8_t *)"x", 1, one, 0, &out, &d),
                  PB_ERR_INVALID);
        CHECK_INT(out.len, 0);
        pb_buf_release(&out);
        pb_buf_release(&again);
        pb_key_secret_wipe(&eng);
        pb_key_secret_wipe(&off);
}

/* @tmpl with its one "%s" replaced by @sig (no printf: the templates are data). */
static int fill(char *out, size_t cap, const char *tmpl, const char *sig)
{
        const char *at = strstr(tmpl, "%s");
        size_t a, b = strlen(sig), c;

        if (!at) { /* a template without the signature */
                CHECK(strlen(tmpl) < cap);
                memcpy(out, tmpl, strlen(tmpl) + 1);
                return (int)strlen(tmpl);
        }
        a = (size_t)(at - tmpl);
        c = strlen(at + 2);
        CHECK(a + b + c < cap);
        memcpy(out, tmpl, a);
        memcpy(out + a, sig, b);
        memcpy(out + a + b, at + 2, c + 1);
        return (int)(a + b + c);
}

/* Strict parsing: each line is one malformed envelope, checked in canonical and lax modes. */
static void test_parse_refusals(void)
{
        static const char *const sig64 =
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
        struct {
                const char *fmt; /* %s = a valid 64-byte sig in base64 */
                bool lax_ok;     /* accepted with PB_ENVELOPE_ANY_LAYOUT */
        } cases[] = {
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}",
                  true }, /* valid */
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]} ", true },
                { " {\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}", true },
                { "{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[{\"sig\":\"%s\"}]}", true },
                { "{\"payload\":\"\",\"payloadType\":\"\\u0074\",\"signatures\":[{\"sig\":\"%s\"}]}", true },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}x", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}{}", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}],\"x\":1}",
                  false },
                { "{\"payload\":\"\",\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]"
                  "}",
                  false },
                { "{\"Payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payload\":\"\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\"}%s", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}%s", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":{}}%s", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\",\"sig\":\"\"}]}",
                  false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\",\"kid\":\"\"}]}",
                  false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"k\"}]}%s", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":1,\"sig\":\"%s\"}]}",
                  false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AAAA\"}]}%s", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"},5]}", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[\"%s\"]}", false },
                { "{\"payload\":0,\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payload\":\"\",\"payloadType\":null,\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\\u0000x\",\"signatures\":[{\"sig\":\"%s\"}]}",
                  false },
                { "{\"payload\":\"YQ\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}",
                  false }, /* unpadded */
                { "{\"payload\":\"YR==\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}",
                  false }, /* bits */
                { "{\"payload\":\"-_-_\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}",
                  false }, /* url */
                { "{\"payload\":\"YW Jj\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\xff\",\"signatures\":[{\"sig\":\"%s\"}]}", false },
                { "[\"payload\",\"payloadType\",\"signatures\",\"%s\"]", false },
                { "\"%s\"", false },
                { "", false },
                { "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}]", false },
        };
        struct pb_seal_envelope env;
        struct pb_diag d;
        char text[512];

        pb_seal_envelope_init(&env);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int n = fill(text, sizeof(text), cases[i].fmt, sig64);
                pb_err want0 = i == 0 ? PB_OK : PB_ERR_PARSE, r;

                r = pb_envelope_parse(text, (size_t)n, 0, &env, &d);
                if (r != want0)
                        fprintf(stderr, "case %zu (canonical): got %d\n", i, (int)r);
                CHECK_INT(r, want0);
                pb_seal_envelope_release(&env);
                r = pb_envelope_parse(text, (size_t)n, PB_ENVELOPE_ANY_LAYOUT, &env, &d);
                if ((r == PB_OK) != cases[i].lax_ok)
                        fprintf(stderr, "case %zu (lax): got %d\n", i, (int)r);
                CHECK_INT(r, cases[i].lax_ok ? PB_OK : PB_ERR_PARSE);
                if (r < 0) {
                        CHECK(d.reason != NULL);
                        CHECK(d.path[0] != '\0');
                }
                pb_seal_envelope_release(&env);
        }
        /* a NUL byte, 17 signatures, a 16 MiB + 1 envelope */
        CHECK_INT(pb_envelope_parse("{\0}", 3, PB_ENVELOPE_ANY_LAYOUT, &env, &d), PB_ERR_PARSE);
        {
                struct pb_buf b;
                pb_buf_init(&b, 0);
                CHECK_INT(pb_buf_adds(&b, "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":["), PB_OK);
                for (int i = 0; i < 17; i++)
                        CHECK_INT(pb_buf_addf(&b, "%s{\"sig\":\"%s\"}", i ? "," : "", sig64), PB_OK);
                CHECK_INT(pb_buf_adds(&b, "]}"), PB_OK);
                CHECK_INT(pb_envelope_parse(b.data, b.len, 0, &env, &d), PB_ERR_PARSE);
                pb_buf_release(&b);
        }
        {
                size_t big = PB_ENVELOPE_MAX_BYTES + 1;
                char *p = calloc(1, big);
                CHECK(p != NULL);
                if (p)
                        CHECK_INT(pb_envelope_parse(p, big, 0, &env, &d), PB_ERR_LIMIT);
                free(p);
        }
}

/* Every allocation failing in turn: no crash, no leak, and success once memory is there. */
static void test_parse_oom(void)
{
        struct pb_key_secret k;
        const struct pb_key_secret *one[1];
        struct pb_seal_envelope env;
        struct pb_buf out;
        pb_err r = PB_ERR_NOMEM;

        key_a(&k, "k");
        one[0] = &k;
        pb_buf_init(&out, 0);
        CHECK_INT(pb_seal_sign(PB_SEAL_TYPE_MANIFEST, (const uint8_t *)"{\"a\":1}", 7, one, 1, &out, NULL),
                  PB_OK);
        cJSON_InitHooks(&(cJSON_Hooks){ pb_malloc, pb_free });
        pb_seal_envelope_init(&env);
        for (long i = 0; i < 200; i++) {
                pb_alloc_fail_after(i);
                r = pb_envelope_parse(out.data, out.len, 0, &env, NULL);
                pb_alloc_fail_after(-1);
                if (r == PB_OK)
                        break;
                CHECK(r == PB_ERR_NOMEM || r == PB_ERR_PARSE); /* cJSON reports its OOM as a parse failure */
                CHECK(env.payload == NULL && env.sigs == NULL);
        }
        CHECK_INT(r, PB_OK);
        CHECK_INT(pb_seal_verify(&env, PB_SEAL_TYPE_MANIFEST, &k.pub, 0, NULL), PB_OK);
        pb_seal_envelope_release(&env);
        for (long i = 0; i < 50; i++) { /* signing under OOM leaves @out as it was */
                size_t before = out.len;
                pb_alloc_fail_after(i);
                r = pb_seal_sign(PB_SEAL_TYPE_MANIFEST, (const uint8_t *)"{}", 2, one, 1, &out, NULL);
                pb_alloc_fail_after(-1);
                if (r == PB_OK)
                        break;
                CHECK_INT(r, PB_ERR_NOMEM);
                CHECK_INT(out.len, before);
        }
        CHECK_INT(r, PB_OK);
        cJSON_InitHooks(NULL);
        pb_buf_release(&out);
        pb_key_secret_wipe(&k);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_pae);
        RUN(test_dsse_vectors);
        RUN(test_parse_foreign);
        RUN(test_sign_verify);
        RUN(test_parse_refusals);
        RUN(test_parse_oom);
        return check_summary("seal");
}
