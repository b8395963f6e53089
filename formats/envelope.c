/** @file Strict DSSE envelope parsing with cJSON (the pitfalls of reference/verifiability.md §5.3). */
#include "formats/pb_envelope.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_b64.h"
#include "engine/pb_canon.h"

/* cJSON silently truncates strings at an escaped NUL; refuse any text that spells one. */
static bool has_escaped_nul(const char *s, size_t len)
{
        size_t i;

        for (i = 0; i + 6 <= len; i++)
                if (s[i] == '\\' && s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' &&
                    s[i + 4] == '0' && s[i + 5] == '0')
                        return true;
        return false;
}

/* A string member: valid UTF-8, at most @max bytes (0 = no limit). */
static pb_err get_string(const cJSON *item, const char *path, size_t max, const char **ret, size_t *ret_len,
                         struct pb_diag *reterr)
{
        size_t n;

        if (!cJSON_IsString(item) || !item->valuestring)
                return pb_diag_set(reterr, PB_ERR_PARSE, path, "must be a string");
        n = strlen(item->valuestring);
        if (max && n > max)
                return pb_diag_set(reterr, PB_ERR_PARSE, path, "string too long");
        if (!pb_utf8_valid(item->valuestring, n))
                return pb_diag_set(reterr, PB_ERR_PARSE, path, "not valid UTF-8");
        *ret = item->valuestring;
        *ret_len = n;
        return PB_OK;
}

/* Members of @obj, each name from @names at most once and no other; @ret_found[i] per name. */
static pb_err check_members(const cJSON *obj, const char *path, const char *const *names, size_t nnames,
                            const cJSON **ret_found, struct pb_diag *reterr)
{
        const cJSON *c;
        size_t i;

        if (!cJSON_IsObject(obj))
                return pb_diag_set(reterr, PB_ERR_PARSE, path, "must be an object");
        for (i = 0; i < nnames; i++)
                ret_found[i] = NULL;
        for (c = obj->child; c; c = c->next) {
                for (i = 0; i < nnames; i++)
                        if (c->string && !strcmp(c->string, names[i]))
                                break;
                if (i == nnames) {
                        pb_diag_set(reterr, PB_ERR_PARSE, path, "unknown member");
                        pb_diag_subject(reterr, c->string ? c->string : "",
                                        c->string ? strlen(c->string) : 0);
                        return PB_ERR_PARSE;
                }
                if (ret_found[i]) {
                        pb_diag_set(reterr, PB_ERR_PARSE, path, "duplicate member");
                        pb_diag_subject(reterr, names[i], strlen(names[i]));
                        return PB_ERR_PARSE;
                }
                ret_found[i] = c;
        }
        return PB_OK;
}

static pb_err parse_sig(const cJSON *obj, struct pb_seal_sig *ret, struct pb_diag *reterr)
{
        static const char *const names[] = { "keyid", "sig" };
        const cJSON *m[2];
        const char *s;
        size_t n;
        pb_err r;

        r = check_members(obj, "signatures[]", names, 2, m, reterr);
        if (r < 0)
                return r;
        if (!m[1])
                return pb_diag_set(reterr, PB_ERR_PARSE, "signatures[].sig", "missing");
        r = get_string(m[1], "signatures[].sig", 0, &s, &n, reterr);
        if (r < 0)
                return r;
        if (pb_b64_decode_exact(s, n, ret->sig, PB_KEY_SIG_BYTES) < 0)
                return pb_diag_set(reterr, PB_ERR_PARSE, "signatures[].sig",
                                   "must be standard base64 of a " PB_STRINGIFY(
                                           PB_KEY_SIG_BYTES) "-byte Ed25519 signature");
        if (m[0]) {
                r = get_string(m[0], "signatures[].keyid", PB_SEAL_KEYID_MAX, &s, &n, reterr);
                if (r < 0)
                        return r;
                ret->keyid = pb_strndup(s, n);
                if (!ret->keyid)
                        return PB_ERR_NOMEM;
        }
        return PB_OK;
}

static pb_err parse_tree(const cJSON *root, struct pb_seal_envelope *env, struct pb_diag *reterr)
{
        static const char *const names[] = { "payload", "payloadType", "signatures" };
        const cJSON *m[3], *c;
        const char *s;
        size_t n, cap, i;
        pb_err r;

        r = check_members(root, "$", names, 3, m, reterr);
        if (r < 0)
                return r;
        for (i = 0; i < 3; i++)
                if (!m[i])
                        return pb_diag_set(reterr, PB_ERR_PARSE, names[i], "missing");
        r = get_string(m[1], "payloadType", PB_SEAL_TYPE_MAX, &s, &n, reterr);
        if (r < 0)
                return r;
        if (n == 0)
                return pb_diag_set(reterr, PB_ERR_PARSE, "payloadType", "must not be empty");
        env->payload_type = pb_strndup(s, n);
        if (!env->payload_type)
                return PB_ERR_NOMEM;
        env->payload_type_len = n;

        r = get_string(m[0], "payload", 0, &s, &n, reterr);
        if (r < 0)
                return r;
        cap = n / 4 * 3;
        env->payload = pb_malloc(cap);
        if (!env->payload)
                return PB_ERR_NOMEM;
        if (pb_b64_decode(s, n, env->payload, cap, &env->payload_len) < 0)
                return pb_diag_set(reterr, PB_ERR_PARSE, "payload", "must be standard padded base64");

        if (!cJSON_IsArray(m[2]))
                return pb_diag_set(reterr, PB_ERR_PARSE, "signatures", "must be an array");
        n = (size_t)cJSON_GetArraySize(m[2]);
        if (n == 0 || n > PB_SEAL_MAX_SIGS)
                return pb_diag_set(reterr, PB_ERR_PARSE, "signatures",
                                   "must hold 1 to " PB_STRINGIFY(PB_SEAL_MAX_SIGS) " signatures");
        env->sigs = pb_calloc(n, sizeof(*env->sigs));
        if (!env->sigs)
                return PB_ERR_NOMEM;
        for (c = m[2]->child; c; c = c->next) {
                r = parse_sig(c, &env->sigs[env->nsigs], reterr);
                env->nsigs++; /* counted even on failure, so release() frees a partial keyid */
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

pb_err pb_envelope_parse(const char *buf, size_t len, unsigned flags, struct pb_seal_envelope *ret,
                         struct pb_diag *reterr)
{
        struct pb_seal_envelope env;
        struct pb_buf again;
        cJSON *root = NULL;
        const char *end = NULL;
        char *copy = NULL;
        size_t i;
        pb_err r;

        pb_seal_envelope_init(&env);
        pb_buf_init(&again, PB_ENVELOPE_MAX_BYTES);
        if (len > PB_ENVELOPE_MAX_BYTES)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "$",
                                   "envelope larger than " PB_STRINGIFY(PB_ENVELOPE_MAX_MIB) " MiB");
        if (memchr(buf, '\0', len) || has_escaped_nul(buf, len)) {
                r = pb_diag_set(reterr, PB_ERR_PARSE, "$", "NUL character in the envelope");
                goto out;
        }
        /* A NUL-terminated private copy: cJSON has read past unterminated input before (#800). */
        copy = pb_strndup(buf, len);
        if (!copy) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
        if (!root) {
                /* cJSON does not tell a syntax error from a failed allocation */
                r = pb_diag_set(reterr, PB_ERR_PARSE, "$", "not valid JSON");
                goto out;
        }
        for (i = (size_t)(end - copy); i < len; i++)
                if (copy[i] != ' ' && copy[i] != '\t' && copy[i] != '\n' && copy[i] != '\r') {
                        r = pb_diag_set(reterr, PB_ERR_PARSE, "$", "text after the JSON value");
                        goto out;
                }
        r = parse_tree(root, &env, reterr);
        if (r < 0)
                goto out;
        if (!(flags & PB_ENVELOPE_ANY_LAYOUT)) {
                r = pb_seal_envelope_format(&env, &again);
                if (r < 0)
                        goto out;
                if (again.len != len || memcmp(again.data, buf, len) != 0) {
                        r = pb_diag_set(reterr, PB_ERR_PARSE, "$",
                                        "not in canonical form (member order, spacing or escapes differ)");
                        goto out;
                }
        }
        *ret = env;
        pb_seal_envelope_init(&env);
        r = PB_OK;
out:
        pb_seal_envelope_release(&env);
        pb_buf_release(&again);
        cJSON_Delete(root);
        pb_free(copy);
        return r;
}
