/** @file Checking receipts and inclusion proofs offline (pb_receipt.h). */
#include <sodium.h>
#include <string.h>

#include "formats/pb_json.h"
#include "ballots/pb_receipt.h"
#include "engine/pb_code.h"
#include "engine/pb_cvr.h"
#include "engine/pb_merkle.h"

static const struct pb_json_field receipt_fields[] = {
        { "commitment", PB_JSON_STRING, true },
        { "election", PB_JSON_STRING, true },
        { "promise", PB_JSON_STRING, true },
        { "promise_index", PB_JSON_INT, true },
        { "promise_path", PB_JSON_ARRAY, true },
        { "short_code", PB_JSON_STRING, true },
        { "replayed", PB_JSON_BOOL, false }, /* `pbvote cast` */
        { NULL, PB_JSON_ANY, false },
};

static const struct pb_json_field proof_fields[] = {
        { "pending", PB_JSON_BOOL, true }, { "checkpoint", PB_JSON_STRING, false },
        { "index", PB_JSON_INT, false },   { "size", PB_JSON_INT, false },
        { "proof", PB_JSON_ARRAY, false }, { NULL, PB_JSON_ANY, false },
};

/* A SHA-256 (a commitment or a tree hash): PB_SHA256_HEX_LEN lowercase hex digits into @out. */
static bool sha256_hex(const cJSON *s, uint8_t out[PB_SHA256_BYTES])
{
        const char *v = cJSON_GetStringValue(s);

        return v && strlen(v) == PB_SHA256_HEX_LEN && strspn(v, "0123456789abcdef") == PB_SHA256_HEX_LEN &&
               sodium_hex2bin(out, PB_SHA256_BYTES, v, PB_SHA256_HEX_LEN, NULL, NULL, NULL) == 0;
}

/* An array of at most @max hashes (hex) into @out; *ret_n is their number. */
static pb_err hashes(const cJSON *arr, const char *path, uint8_t *out, size_t max, size_t *ret_n,
                     struct pb_diag *d)
{
        size_t n = 0;

        for (const cJSON *h = arr->child; h; h = h->next) {
                if (n == max)
                        return pb_diag_set(d, PB_ERR_INVALID, path, "longer than any proof can be");
                if (!sha256_hex(h, out + PB_MERKLE_HASH_BYTES * n))
                        return pb_diag_set(
                                d, PB_ERR_PARSE, path,
                                "each hash must be " PB_STRINGIFY(PB_SHA256_HEX_LEN) " lowercase hex digits");
                n++;
        }
        *ret_n = n;
        return PB_OK;
}

/*
 * What the signed promise says against what the receipt and the caller say: the receipt's
 * election is the signed one, the promise's log is the one derived from that election (so a
 * server cannot promise one election's ballots into another's log), and both are what the
 * caller expects.
 */
static pb_err check_binding(const struct pb_receipt_info *info, const char *election, const char *origin,
                            struct pb_diag *reterr)
{
        char derived[PB_CHECKPOINT_ORIGIN_MAX + 1];

        if (strcmp(info->election, info->promise.election))
                return pb_diag_set(reterr, PB_ERR_INVALID, "election",
                                   "not the election the promise is signed for");
        if (pb_origin_derive(info->promise.election, derived) < 0 || strcmp(derived, info->promise.origin))
                return pb_diag_set(reterr, PB_ERR_INVALID, "promise",
                                   "the promise names a ballot log that is not its election's "
                                   "(pbvote/<election>/ballots)");
        if (election && strcmp(election, info->promise.election))
                return pb_diag_set(reterr, PB_ERR_INVALID, "election", "the receipt is of another election");
        if (origin && strcmp(origin, info->promise.origin))
                return pb_diag_set(reterr, PB_ERR_INVALID, "promise",
                                   "the promise is for another ballot log");
        return PB_OK;
}

pb_err pb_receipt_check(const char *json, size_t len, const struct pb_key_public *engine,
                        const char *election, const char *origin, struct pb_receipt_info *ret,
                        struct pb_diag *reterr)
{
        struct pb_promise_proof proof;
        struct pb_receipt_info info;
        const cJSON *r, *note;
        char want_short[PB_CODE_SHORT_LEN + 1];
        cJSON *root = NULL;
        const char *s;
        pb_err e;

        memset(&info, 0, sizeof(info));
        memset(&proof, 0, sizeof(proof));
        e = pb_json_parse(json, len, 8, &root, reterr);
        if (e < 0)
                return e;
        r = root;
        if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "receipt") && root->child &&
            !root->child->next)
                r = cJSON_GetObjectItemCaseSensitive(root, "receipt");
        if (!cJSON_IsObject(r)) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, "$", "a receipt is a JSON object");
                goto out;
        }
        e = pb_json_check_object(r, receipt_fields, r == root ? "$" : "$.receipt", reterr);
        if (e < 0)
                goto out;
        if (!sha256_hex(cJSON_GetObjectItemCaseSensitive(r, "commitment"), info.commitment)) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, "commitment",
                                "must be " PB_STRINGIFY(PB_SHA256_HEX_LEN) " lowercase hex digits");
                goto out;
        }
        s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "election"));
        if (strlen(s) >= sizeof(info.election)) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, "election",
                                "longer than " PB_STRINGIFY(PB_ID_MAX) " bytes");
                goto out;
        }
        memcpy(info.election, s, strlen(s) + 1);
        s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "short_code"));
        if (strlen(s) >= sizeof(info.short_code)) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, "short_code", "longer than a short code");
                goto out;
        }
        memcpy(info.short_code, s, strlen(s) + 1);
        if (pb_json_int(cJSON_GetObjectItemCaseSensitive(r, "promise_index")) < 0) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, "promise_index", "must not be negative");
                goto out;
        }
        proof.index = (uint64_t)pb_json_int(cJSON_GetObjectItemCaseSensitive(r, "promise_index"));
        e = hashes(cJSON_GetObjectItemCaseSensitive(r, "promise_path"), "promise_path", &proof.path[0][0],
                   PB_PROMISE_PATH_MAX, &proof.path_len, reterr);
        if (e < 0)
                goto out;
        /* the signature first: nothing else the note says counts before it verifies */
        note = cJSON_GetObjectItemCaseSensitive(r, "promise");
        e = pb_promise_open(note->valuestring, strlen(note->valuestring), engine, &info.promise, reterr);
        if (e < 0) {
                if (reterr) /* the note's own diagnostic says what; the field is the promise */
                        memcpy(reterr->path, "promise", sizeof("promise"));
                goto out;
        }
        e = check_binding(&info, election, origin, reterr);
        if (e < 0)
                goto out;
        e = pb_promise_check(&info.promise, info.commitment, &proof, reterr);
        if (e < 0) {
                if (reterr)
                        memcpy(reterr->path, "promise_path", sizeof("promise_path"));
                goto out;
        }
        pb_code_short(info.commitment, want_short);
        if (strcmp(want_short, info.short_code)) {
                e = pb_diag_set(reterr, PB_ERR_INVALID, "short_code", "not the short code of the commitment");
                goto out;
        }
        info.index = proof.index;
        *ret = info;
out:
        cJSON_Delete(root);
        return e;
}

pb_err pb_receipt_check_inclusion(const char *json, size_t len, const uint8_t commitment[PB_CVR_HASH_BYTES],
                                  const struct pb_key_public *engine, const char *origin,
                                  struct pb_receipt_inclusion *ret, struct pb_diag *reterr)
{
        uint8_t path[PB_MERKLE_MAX_PROOF * PB_MERKLE_HASH_BYTES], leaf[PB_MERKLE_HASH_BYTES];
        struct pb_receipt_inclusion inc;
        struct pb_checkpoint cp;
        const cJSON *note, *idx, *size, *proof;
        cJSON *root = NULL;
        size_t n = 0;
        pb_err e;

        memset(&inc, 0, sizeof(inc));
        e = pb_json_parse(json, len, 8, &root, reterr);
        if (e < 0)
                return e;
        e = pb_json_check_object(root, proof_fields, "$", reterr);
        if (e < 0)
                goto out;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "pending"))) {
                inc.pending = true;
                *ret = inc;
                goto out;
        }
        note = cJSON_GetObjectItemCaseSensitive(root, "checkpoint");
        idx = cJSON_GetObjectItemCaseSensitive(root, "index");
        size = cJSON_GetObjectItemCaseSensitive(root, "size");
        proof = cJSON_GetObjectItemCaseSensitive(root, "proof");
        if (!note || !idx || !size || !proof) {
                e = pb_diag_set(reterr, PB_ERR_PARSE,
                                !note   ? "checkpoint"
                                : !idx  ? "index"
                                : !size ? "size"
                                        : "proof",
                                "a proof of a logged ballot needs checkpoint, index, size and proof");
                goto out;
        }
        if (pb_json_int(idx) < 0 || pb_json_int(size) < 1) {
                e = pb_diag_set(reterr, PB_ERR_PARSE, pb_json_int(idx) < 0 ? "index" : "size",
                                "out of range");
                goto out;
        }
        e = hashes(proof, "proof", path, PB_MERKLE_MAX_PROOF, &n, reterr);
        if (e < 0)
                goto out;
        e = pb_checkpoint_open(note->valuestring, strlen(note->valuestring), engine, &cp, reterr);
        if (e < 0) {
                if (reterr)
                        memcpy(reterr->path, "checkpoint", sizeof("checkpoint"));
                goto out;
        }
        if (origin && strcmp(origin, cp.origin)) {
                e = pb_diag_set(reterr, PB_ERR_INVALID, "checkpoint",
                                "the checkpoint is of another ballot log");
                goto out;
        }
        if (cp.size != (uint64_t)pb_json_int(size)) {
                e = pb_diag_set(reterr, PB_ERR_INVALID, "size", "not the size of the signed checkpoint");
                goto out;
        }
        pb_cvr_leaf_hash(commitment, leaf);
        e = pb_merkle_verify_inclusion((uint64_t)pb_json_int(idx), cp.size, leaf, path, n, cp.root, reterr);
        if (e < 0) {
                if (reterr)
                        memcpy(reterr->path, "proof", sizeof("proof"));
                goto out;
        }
        inc.index = (uint64_t)pb_json_int(idx);
        inc.size = cp.size;
        memcpy(inc.origin, cp.origin, sizeof(inc.origin));
        *ret = inc;
out:
        cJSON_Delete(root);
        return e;
}
