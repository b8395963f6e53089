/** @file Payloads of the close statement, the result and the certification. */
#include "ballots/pb_docs.h"

#include <sodium.h>
#include <string.h>

#include "formats/pb_json.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_utc.h"

/* ---- writing ----------------------------------------------------------------------------------- */

static void write_log(struct pb_jw *w, const struct pb_doc_log *l, const uint8_t *close_sha256)
{
        pb_jw_object_begin(w);
        if (close_sha256) {
                pb_jw_key(w, "close_sha256");
                pb_jw_hex(w, close_sha256, PB_SHA256_BYTES);
        }
        pb_jw_kv_string(w, "origin", l->origin);
        pb_jw_key(w, "root");
        pb_jw_hex(w, l->root, sizeof(l->root));
        pb_jw_kv_int(w, "size", (int64_t)l->size);
        pb_jw_object_end(w);
}

/* The contests of counts.by_contest in the canonical (byte) order of their ids: id[i] names
 * by_contest[idx[i]].  From the manifest, or, reading a document without it, from the document. */
struct contest_names {
        size_t n;
        const char *id[PB_MANIFEST_MAX_CONTESTS];
        uint32_t idx[PB_MANIFEST_MAX_CONTESTS];
};

/* @ret from @m for counts @t: false when @t has counts by contest that @m does not name. */
static bool names_of(const struct pb_turnout *t, const struct pb_manifest *m, struct contest_names *ret)
{
        ret->n = t->n_contests;
        if (t->n_contests == 0)
                return true;
        if (!m || !m->has_contests || m->n_contests != t->n_contests)
                return false;
        for (size_t i = 0; i < m->n_contests; i++) {
                ret->idx[i] = m->by_id[i];
                ret->id[i] = m->contests[m->by_id[i]].election->id;
        }
        return true;
}

void pb_docs_write_by_channel(struct pb_jw *w, const struct pb_turnout *t, bool web_always)
{
        pb_jw_object_begin(w);
        pb_jw_kv_int(w, "electronic", (int64_t)t->by_channel[PB_CHANNEL_ELECTRONIC]);
        pb_jw_kv_int(w, "imported", (int64_t)t->by_channel[PB_CHANNEL_IMPORTED]);
        pb_jw_kv_int(w, "paper", (int64_t)t->by_channel[PB_CHANNEL_PAPER]);
        if (web_always || t->by_channel[PB_CHANNEL_WEB])
                pb_jw_kv_int(w, "web", (int64_t)t->by_channel[PB_CHANNEL_WEB]);
        pb_jw_object_end(w);
}

void pb_docs_write_rejected(struct pb_jw *w, const struct pb_turnout *t)
{
        pb_jw_object_begin(w);
        pb_jw_kv_int(w, "code_spent", (int64_t)t->rejected[PB_REJECT_CODE_SPENT]);
        pb_jw_kv_int(w, "code_unknown", (int64_t)t->rejected[PB_REJECT_CODE_UNKNOWN]);
        pb_jw_kv_int(w, "invalid_ballot", (int64_t)t->rejected[PB_REJECT_INVALID_BALLOT]);
        pb_jw_kv_int(w, "malformed_code", (int64_t)t->rejected[PB_REJECT_MALFORMED_CODE]);
        pb_jw_kv_int(w, "submission_reused", (int64_t)t->rejected[PB_REJECT_SUBMISSION_REUSED]);
        pb_jw_object_end(w);
}

static void write_counts(struct pb_jw *w, const struct pb_turnout *t, const struct contest_names *names)
{
        pb_jw_object_begin(w);
        pb_jw_kv_int(w, "ballots", (int64_t)t->ballots);
        pb_jw_key(w, "by_channel");
        pb_docs_write_by_channel(w, t, false);
        if (names->n) {
                pb_jw_key(w, "by_contest");
                pb_jw_object_begin(w);
                for (size_t i = 0; i < names->n; i++)
                        pb_jw_kv_int(w, names->id[i], (int64_t)t->by_contest[names->idx[i]]);
                pb_jw_object_end(w);
        }
        pb_jw_kv_int(w, "codes_issued", (int64_t)t->codes_issued);
        pb_jw_kv_int(w, "codes_spent", (int64_t)t->codes_spent);
        pb_jw_key(w, "rejected");
        pb_docs_write_rejected(w, t);
        pb_jw_object_end(w);
}

static pb_err finish(struct pb_jw *w, struct pb_buf *out, size_t old_len)
{
        pb_err r = pb_jw_finish(w);

        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}

static pb_err close_format(const struct pb_doc_close *c, const struct contest_names *names,
                           struct pb_buf *out)
{
        size_t old_len = out->len;
        struct pb_jw w;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "ballot_log");
        write_log(&w, &c->log, NULL);
        pb_jw_kv_string(&w, "closed_at", c->closed_at);
        pb_jw_key(&w, "counts");
        write_counts(&w, &c->counts, names);
        pb_jw_kv_string(&w, "election", c->election);
        pb_jw_key(&w, "manifest_sha256");
        pb_jw_hex(&w, c->manifest_sha256, sizeof(c->manifest_sha256));
        pb_jw_kv_string(&w, "type", PB_DOC_CLOSE_TYPE);
        pb_jw_object_end(&w);
        return finish(&w, out, old_len);
}

/* One writer for the whole document, so its keys are checked in order like every other document's;
 * the tally is inserted as it is: pb_result_format_json already wrote it as canonical JSON.
 * @ret_tally_off receives where the tally starts in @out. */
static pb_err result_format(const struct pb_doc_result *d, const struct contest_names *names,
                            struct pb_buf *out, size_t *ret_tally_off)
{
        size_t old_len = out->len;
        struct pb_jw w;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "ballot_log");
        write_log(&w, &d->log, d->close_sha256);
        pb_jw_key(&w, "counts");
        write_counts(&w, &d->counts, names);
        pb_jw_kv_string(&w, "election", d->election);
        pb_jw_kv_string(&w, "engine", d->engine);
        pb_jw_key(&w, "manifest_sha256");
        pb_jw_hex(&w, d->manifest_sha256, sizeof(d->manifest_sha256));
        pb_jw_key(&w, "tally");
        if (ret_tally_off)
                *ret_tally_off = out->len;
        pb_jw_raw(&w, d->tally, d->tally_len);
        pb_jw_kv_string(&w, "type", PB_DOC_RESULT_TYPE);
        pb_jw_object_end(&w);
        return finish(&w, out, old_len);
}

pb_err pb_doc_close_format(const struct pb_doc_close *c, struct pb_buf *out)
{
        struct contest_names names;

        if (!names_of(&c->counts, c->manifest, &names))
                return PB_ERR_INVALID;
        return close_format(c, &names, out);
}

pb_err pb_doc_result_format(const struct pb_doc_result *r, struct pb_buf *out)
{
        struct contest_names names;

        if (!r->tally || !r->tally_len || r->tally[0] != '{' || !names_of(&r->counts, r->manifest, &names))
                return PB_ERR_INVALID;
        return result_format(r, &names, out, NULL);
}

pb_err pb_doc_certification_format(const struct pb_doc_certification *c, struct pb_buf *out)
{
        size_t old_len = out->len;
        struct pb_jw w;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_kv_string(&w, "certified_at", c->certified_at);
        pb_jw_kv_string(&w, "decision", "certified");
        pb_jw_kv_string(&w, "election", c->election);
        pb_jw_key(&w, "result_sha256");
        pb_jw_hex(&w, c->result_sha256, sizeof(c->result_sha256));
        pb_jw_kv_string(&w, "type", PB_DOC_CERTIFICATION_TYPE);
        pb_jw_object_end(&w);
        return finish(&w, out, old_len);
}

/* ---- reading ----------------------------------------------------------------------------------- */

static pb_err bad(struct pb_diag *d, const char *path, const char *why)
{
        return pb_diag_set(d, PB_ERR_PARSE, path, why);
}

static const cJSON *member(const cJSON *o, const char *k)
{
        return cJSON_GetObjectItemCaseSensitive(o, k);
}

static pb_err get_str(const cJSON *o, const char *k, char *out, size_t cap, const char *path,
                      struct pb_diag *d)
{
        const cJSON *v = member(o, k);
        size_t n;

        if (!cJSON_IsString(v))
                return bad(d, path, "expected a string");
        n = strlen(v->valuestring);
        if (n + 1 > cap)
                return bad(d, path, "too long");
        memcpy(out, v->valuestring, n + 1);
        return PB_OK;
}

static pb_err get_u64(const cJSON *o, const char *k, uint64_t *out, const char *path, struct pb_diag *d)
{
        const cJSON *v = member(o, k);

        if (!cJSON_IsNumber(v) || pb_json_int(v) < 0)
                return bad(d, path, "expected a non-negative integer");
        *out = (uint64_t)pb_json_int(v);
        return PB_OK;
}

/* A SHA-256 digest (a document's, or the log's root) as hex. */
static pb_err get_sha256_hex(const cJSON *o, const char *k, uint8_t out[PB_SHA256_BYTES], const char *path,
                             struct pb_diag *d)
{
        const cJSON *v = member(o, k);
        size_t n = 0;

        if (!cJSON_IsString(v) || strlen(v->valuestring) != PB_SHA256_HEX_LEN ||
            sodium_hex2bin(out, PB_SHA256_BYTES, v->valuestring, PB_SHA256_HEX_LEN, NULL, &n, NULL) != 0 ||
            n != PB_SHA256_BYTES)
                return bad(d, path, "expected " PB_STRINGIFY(PB_SHA256_HEX_LEN) " hex digits");
        return PB_OK;
}

static pb_err get_log(const cJSON *o, struct pb_doc_log *l, uint8_t *close_sha256, struct pb_diag *d)
{
        const cJSON *v = member(o, "ballot_log");
        pb_err r;

        if (!cJSON_IsObject(v))
                return bad(d, "$.ballot_log", "expected an object");
        r = get_str(v, "origin", l->origin, sizeof(l->origin), "$.ballot_log.origin", d);
        if (r == PB_OK)
                r = get_sha256_hex(v, "root", l->root, "$.ballot_log.root", d);
        if (r == PB_OK)
                r = get_u64(v, "size", &l->size, "$.ballot_log.size", d);
        if (r == PB_OK && close_sha256)
                r = get_sha256_hex(v, "close_sha256", close_sha256, "$.ballot_log.close_sha256", d);
        return r;
}

/* counts.by_contest: one count per contest of @m, or without @m whatever the document names (its
 * keys then name the counts, in the document's order: the canonical comparison checks it). */
static pb_err get_by_contest(const cJSON *c, const struct pb_manifest *m, struct pb_turnout *t,
                             struct contest_names *names, struct pb_diag *d)
{
        const cJSON *bc = member(c, "by_contest");
        pb_err r = PB_OK;

        names->n = 0;
        if (m && !m->has_contests)
                return PB_OK; /* a by_contest here fails the canonical comparison */
        if (!bc && !m)
                return PB_OK;
        if (!cJSON_IsObject(bc))
                return bad(d, "$.counts.by_contest", "expected an object of contest id -> ballots");
        if (m) {
                t->n_contests = (uint32_t)m->n_contests;
                for (size_t i = 0; r == PB_OK && i < m->n_contests; i++)
                        r = get_u64(bc, m->contests[i].election->id, &t->by_contest[i], "$.counts.by_contest",
                                    d);
                return r == PB_OK && !names_of(t, m, names) ? bad(d, "$.counts.by_contest", "bad contests")
                                                            : r;
        }
        for (const cJSON *x = bc->child; r == PB_OK && x; x = x->next) {
                if (t->n_contests >= PB_MANIFEST_MAX_CONTESTS)
                        return bad(d, "$.counts.by_contest", "too many contests");
                names->id[t->n_contests] = x->string;
                names->idx[t->n_contests] = t->n_contests;
                r = get_u64(bc, x->string, &t->by_contest[t->n_contests++], "$.counts.by_contest", d);
        }
        names->n = t->n_contests;
        return r;
}

static pb_err get_counts(const cJSON *o, const struct pb_manifest *m, struct pb_turnout *t,
                         struct contest_names *names, struct pb_diag *d)
{
        const cJSON *c = member(o, "counts"), *ch, *rj;
        pb_err r;

        memset(t, 0, sizeof(*t));
        if (!cJSON_IsObject(c))
                return bad(d, "$.counts", "expected an object");
        ch = member(c, "by_channel");
        rj = member(c, "rejected");
        if (!cJSON_IsObject(ch) || !cJSON_IsObject(rj))
                return bad(d, "$.counts", "expected by_channel and rejected objects");
        r = get_u64(c, "ballots", &t->ballots, "$.counts.ballots", d);
        if (r == PB_OK)
                r = get_u64(c, "codes_issued", &t->codes_issued, "$.counts.codes_issued", d);
        if (r == PB_OK)
                r = get_u64(c, "codes_spent", &t->codes_spent, "$.counts.codes_spent", d);
        for (int i = 0; r == PB_OK && i < PB_CHANNEL_COUNT; i++)
                if (i != PB_CHANNEL_WEB || member(ch, "web")) /* absent: none (write_counts) */
                        r = get_u64(ch, pb_channel_name((enum pb_channel)i), &t->by_channel[i],
                                    "$.counts.by_channel", d);
        for (int i = 0; r == PB_OK && i < PB_REJECT_COUNT; i++)
                r = get_u64(rj, pb_reject_name((enum pb_reject)i), &t->rejected[i], "$.counts.rejected", d);
        if (r == PB_OK)
                r = get_by_contest(c, m, t, names, d);
        return r;
}

/* The parsed document must be exactly the canonical bytes it formats to. */
static pb_err same_bytes(const struct pb_buf *again, const char *buf, size_t len, struct pb_diag *d)
{
        if (again->len != len || memcmp(again->data, buf, len))
                return bad(d, "$", "not in canonical form (unknown members, order, spelling)");
        return PB_OK;
}

static pb_err parse_root(const char *buf, size_t len, const char *type, cJSON **ret, struct pb_diag *d)
{
        cJSON *v = NULL;
        pb_err r = pb_json_parse(buf, len, 8, &v, d);

        if (r < 0)
                return r;
        if (!cJSON_IsObject(v) || !cJSON_IsString(member(v, "type")) ||
            strcmp(member(v, "type")->valuestring, type)) {
                cJSON_Delete(v);
                return bad(d, "$.type", "not this kind of document");
        }
        *ret = v;
        return PB_OK;
}

pb_err pb_doc_close_parse(const char *buf, size_t len, const struct pb_manifest *m, struct pb_doc_close *ret,
                          struct pb_diag *reterr)
{
        struct contest_names *names = pb_calloc(1, sizeof(*names)); /* 4 KiB: not on the stack */
        struct pb_doc_close c;
        struct pb_buf again;
        cJSON *v = NULL;
        pb_err r;

        memset(&c, 0, sizeof(c));
        c.manifest = m;
        pb_buf_init(&again, len + 1);
        if (!names)
                return PB_ERR_NOMEM;
        r = parse_root(buf, len, PB_DOC_CLOSE_TYPE, &v, reterr);
        if (r < 0) {
                pb_free(names);
                return r;
        }
        r = get_log(v, &c.log, NULL, reterr);
        if (r == PB_OK)
                r = get_str(v, "closed_at", c.closed_at, sizeof(c.closed_at), "$.closed_at", reterr);
        if (r == PB_OK && !pb_utc_is_valid(c.closed_at))
                r = pb_diag_set(reterr, PB_ERR_PARSE, "$.closed_at", "not a real UTC time");
        if (r == PB_OK)
                r = get_counts(v, m, &c.counts, names, reterr);
        if (r == PB_OK)
                r = get_str(v, "election", c.election, sizeof(c.election), "$.election", reterr);
        if (r == PB_OK)
                r = get_sha256_hex(v, "manifest_sha256", c.manifest_sha256, "$.manifest_sha256", reterr);
        if (r == PB_OK)
                r = close_format(&c, names, &again);
        if (r == PB_OK)
                r = same_bytes(&again, buf, len, reterr);
        if (r == PB_OK)
                *ret = c;
        cJSON_Delete(v);
        pb_buf_release(&again);
        pb_free(names);
        return r;
}

/* The seed of one tally document @t (its rule.seed), if it has one: *@has, *@value. */
static pb_err tally_seed(const cJSON *t, const char *path, bool *has, uint64_t *value, struct pb_diag *d)
{
        const cJSON *rule = member(t, "rule"), *seed = rule ? member(rule, "seed") : NULL;
        const char *s;
        uint64_t v = 0;
        size_t n;

        *has = false;
        if (!seed)
                return PB_OK;
        s = cJSON_IsString(seed) ? seed->valuestring : "";
        n = strlen(s);
        if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
                return bad(d, path, "expected a decimal 64-bit seed");
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
                        return bad(d, path, "expected a decimal 64-bit seed");
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *has = true;
        *value = v;
        return PB_OK;
}

/* The tally's seed: its own, or in the contests form every contest's, which must be one seed. */
static pb_err result_seed(const cJSON *t, const struct pb_manifest *m, bool *has, uint64_t *value,
                          struct pb_diag *d)
{
        const cJSON *contests = m && m->has_contests ? member(t, "contests") : NULL;
        pb_err r = PB_OK;

        *has = false;
        if (!contests)
                return tally_seed(t, "$.tally.rule.seed", has, value, d);
        for (const cJSON *c = contests->child; r == PB_OK && c; c = c->next) {
                bool one = false;
                uint64_t v = 0;

                r = tally_seed(c, "$.tally.contests.rule.seed", &one, &v, d);
                if (r == PB_OK && one && *has && v != *value)
                        r = bad(d, "$.tally.contests.rule.seed", "the contests name different seeds");
                if (r == PB_OK && one) {
                        *has = true;
                        *value = v;
                }
        }
        return r;
}

/* The result's members but the tally, into @d. */
static pb_err result_members(const cJSON *v, const struct pb_manifest *m, struct pb_doc_result *d,
                             struct contest_names *names, struct pb_diag *reterr)
{
        pb_err r = get_log(v, &d->log, d->close_sha256, reterr);

        if (r == PB_OK)
                r = get_counts(v, m, &d->counts, names, reterr);
        if (r == PB_OK)
                r = get_str(v, "election", d->election, sizeof(d->election), "$.election", reterr);
        if (r == PB_OK)
                r = get_str(v, "engine", d->engine, sizeof(d->engine), "$.engine", reterr);
        if (r == PB_OK)
                r = get_sha256_hex(v, "manifest_sha256", d->manifest_sha256, "$.manifest_sha256", reterr);
        return r;
}

pb_err pb_doc_result_parse(const char *buf, size_t len, const struct pb_manifest *m,
                           struct pb_doc_result *ret, uint64_t *ret_seed, bool *ret_has_seed,
                           struct pb_diag *reterr)
{
        struct contest_names *names = pb_calloc(1, sizeof(*names)); /* 4 KiB: not on the stack */
        struct pb_doc_result d;
        struct pb_buf again, tally;
        const cJSON *t;
        size_t off = 0;
        bool has_seed = false;
        uint64_t seed_v = 0;
        cJSON *v = NULL;
        pb_err r;

        memset(&d, 0, sizeof(d));
        d.manifest = m;
        pb_buf_init(&again, len + 1);
        pb_buf_init(&tally, len + 1);
        if (!names)
                return PB_ERR_NOMEM;
        r = parse_root(buf, len, PB_DOC_RESULT_TYPE, &v, reterr);
        if (r < 0) {
                pb_free(names);
                return r;
        }
        r = result_members(v, m, &d, names, reterr);
        t = member(v, "tally");
        if (r == PB_OK && !cJSON_IsObject(t))
                r = bad(reterr, "$.tally", "expected an object");
        if (r == PB_OK)
                r = pb_json_canonical(t, &tally);
        if (r == PB_OK) {
                d.tally = tally.data;
                d.tally_len = tally.len;
                r = result_format(&d, names, &again, &off);
        }
        if (r == PB_OK)
                r = same_bytes(&again, buf, len, reterr);
        if (r == PB_OK)
                r = result_seed(t, m, &has_seed, &seed_v, reterr);
        if (r == PB_OK) {
                d.tally = buf + off;
                d.tally_len = tally.len;
                *ret = d;
                if (ret_seed)
                        *ret_seed = seed_v;
                if (ret_has_seed)
                        *ret_has_seed = has_seed;
        }
        cJSON_Delete(v);
        pb_buf_release(&again);
        pb_buf_release(&tally);
        pb_free(names);
        return r;
}

pb_err pb_doc_certification_parse(const char *buf, size_t len, struct pb_doc_certification *ret,
                                  struct pb_diag *reterr)
{
        struct pb_doc_certification c;
        struct pb_buf again;
        cJSON *v = NULL;
        pb_err r;

        memset(&c, 0, sizeof(c));
        pb_buf_init(&again, len + 1);
        r = parse_root(buf, len, PB_DOC_CERTIFICATION_TYPE, &v, reterr);
        if (r < 0)
                return r;
        r = get_str(v, "certified_at", c.certified_at, sizeof(c.certified_at), "$.certified_at", reterr);
        if (r == PB_OK && !pb_utc_is_valid(c.certified_at))
                r = pb_diag_set(reterr, PB_ERR_PARSE, "$.certified_at", "not a real UTC time");
        if (r == PB_OK)
                r = get_str(v, "election", c.election, sizeof(c.election), "$.election", reterr);
        if (r == PB_OK)
                r = get_sha256_hex(v, "result_sha256", c.result_sha256, "$.result_sha256", reterr);
        if (r == PB_OK)
                r = pb_doc_certification_format(&c, &again);
        if (r == PB_OK)
                r = same_bytes(&again, buf, len, reterr);
        if (r == PB_OK)
                *ret = c;
        cJSON_Delete(v);
        pb_buf_release(&again);
        return r;
}
