/** @file The election manifest: strict JSON parsing and the canonical form. */
#include "formats/pb_manifest.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "formats/pb_json.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_money.h"
#include "engine/pb_utc.h"

struct pb_manifest *pb_manifest_new(void)
{
        struct pb_manifest *m = pb_calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->election = pb_election_new();
        if (!m->election) {
                pb_free(m);
                return NULL;
        }
        pb_rule_init(&m->rule);
        m->batch_min = PB_MANIFEST_BATCH_MIN;
        return m;
}

static void text_release(struct pb_text *t)
{
        pb_free(t->lang);
        pb_free(t->value);
        memset(t, 0, sizeof(*t));
}

void pb_manifest_free(struct pb_manifest *m)
{
        if (!m)
                return;
        text_release(&m->title);
        for (size_t i = 0; m->names && i < m->election->n_projects; i++)
                text_release(&m->names[i]);
        for (size_t i = 0; m->descriptions && i < m->election->n_projects; i++)
                text_release(&m->descriptions[i]);
        for (size_t i = 0; m->images && i < m->election->n_projects; i++)
                text_release(&m->images[i]);
        for (size_t i = 0; m->urls && i < m->election->n_projects; i++)
                text_release(&m->urls[i]);
        pb_free(m->names);
        pb_free(m->descriptions);
        pb_free(m->images);
        pb_free(m->urls);
        pb_election_free(m->election);
        pb_free(m);
}

bool pb_manifest_id_is_valid(const char *s, size_t len)
{
        if (len == 0 || len > PB_ID_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == ',' || c == ';')
                        return false;
        }
        return true;
}

void pb_manifest_seed_commitment(uint64_t seed, uint8_t ret[PB_SHA256_BYTES])
{
        static const char tag[] = PB_TIE_SEED_TAG;
        crypto_hash_sha256_state st;
        char dec[24];
        int n = snprintf(dec, sizeof(dec), "%llu", (unsigned long long)seed);

        if (n < 0)
                n = 0;

        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag));
        crypto_hash_sha256_update(&st, (const uint8_t *)dec, (unsigned long long)n);
        crypto_hash_sha256_final(&st, ret);
}

/* ---- parsing ---------------------------------------------------------------------------------- */

struct parser {
        struct pb_manifest *m;
        struct pb_diag *d;
        char path[PB_DIAG_PATH_MAX];
};

static pb_err fail(struct parser *p, pb_err code, const char *path, const char *why)
{
        return pb_diag_set(p->d, code, path, why);
}

/* "@base@suffix" into @out, truncated (diagnostic paths). */
static void path_join(char *out, size_t cap, const char *base, const char *suffix)
{
        size_t a = strlen(base), b = strlen(suffix);

        if (a >= cap)
                a = cap - 1;
        memcpy(out, base, a);
        if (b >= cap - a)
                b = cap - a - 1;
        memcpy(out + a, suffix, b);
        out[a + b] = '\0';
}

static const char *str_copy(struct parser *p, const char *s)
{
        return pb_election_str(p->m->election, s, strlen(s));
}

/* A language tag: a letter, then letters, digits and '-', at most 35 bytes (BCP 47's longest). */
static bool lang_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 35 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
                        return false;
        }
        return true;
}

/* A display text: a string, or an object of language tag -> string. */
static pb_err parse_text(struct parser *p, const cJSON *v, const char *path, bool allow_empty,
                         struct pb_text *ret)
{
        struct pb_text t;
        size_t n = 0, k = 0;

        memset(&t, 0, sizeof(t));
        if (cJSON_IsString(v)) {
                size_t len = strlen(v->valuestring);
                if (len == 0 && !allow_empty)
                        return fail(p, PB_ERR_INVALID, path, "must not be empty");
                if (len > PB_MANIFEST_TEXT_MAX)
                        return fail(p, PB_ERR_LIMIT, path,
                                    "text longer than " PB_STRINGIFY(PB_MANIFEST_TEXT_MAX) " bytes");
                t.plain = str_copy(p, v->valuestring);
                if (!t.plain)
                        return PB_ERR_NOMEM;
                *ret = t;
                return PB_OK;
        }
        if (!cJSON_IsObject(v))
                return fail(p, PB_ERR_PARSE, path, "expected a string or an object of language -> text");
        for (const cJSON *c = v->child; c; c = c->next)
                n++;
        if (n == 0)
                return fail(p, PB_ERR_INVALID, path, "no language");
        if (n > PB_MANIFEST_LANG_MAX)
                return fail(p, PB_ERR_LIMIT, path,
                            "more than " PB_STRINGIFY(PB_MANIFEST_LANG_MAX) " languages");
        t.lang = pb_calloc(n, sizeof(*t.lang));
        t.value = pb_calloc(n, sizeof(*t.value));
        if (!t.lang || !t.value)
                goto nomem;
        for (const cJSON *c = v->child; c; c = c->next) {
                size_t pos;

                if (!lang_is_valid(c->string)) {
                        text_release(&t);
                        return fail(p, PB_ERR_INVALID, path, "bad language tag");
                }
                if (!cJSON_IsString(c) || !c->valuestring[0]) {
                        text_release(&t);
                        return fail(p, PB_ERR_PARSE, path, "each language needs a non-empty string");
                }
                if (strlen(c->valuestring) > PB_MANIFEST_TEXT_MAX) {
                        text_release(&t);
                        return fail(p, PB_ERR_LIMIT, path,
                                    "text longer than " PB_STRINGIFY(PB_MANIFEST_TEXT_MAX) " bytes");
                }
                /* insert in byte order of the tag (the canonical order) */
                for (pos = k; pos > 0 && strcmp(t.lang[pos - 1], c->string) > 0; pos--) {
                        t.lang[pos] = t.lang[pos - 1];
                        t.value[pos] = t.value[pos - 1];
                }
                t.lang[pos] = str_copy(p, c->string);
                t.value[pos] = str_copy(p, c->valuestring);
                if (!t.lang[pos] || !t.value[pos])
                        goto nomem;
                k++;
        }
        t.n = k;
        *ret = t;
        return PB_OK;
nomem:
        text_release(&t);
        return PB_ERR_NOMEM;
}

/* The one string shown where only one fits: the plain text, else English, else the first language. */
static const char *text_display(const struct pb_text *t)
{
        if (t->plain)
                return t->plain;
        for (size_t i = 0; i < t->n; i++)
                if (!strcmp(t->lang[i], "en"))
                        return t->value[i];
        return t->n ? t->value[0] : "";
}

static pb_err get_int(struct parser *p, const cJSON *obj, const char *key, const char *path, int64_t lo,
                      int64_t hi, int64_t *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        int64_t x;

        if (!v)
                return PB_ERR_NOT_FOUND;
        x = pb_json_int(v);
        if (x < lo || x > hi)
                return fail(p, PB_ERR_INVALID, path, "out of range");
        *ret = x;
        return PB_OK;
}

static const struct pb_json_field ballot_fields[] = {
        { "type", PB_JSON_STRING, true },
        { "min_length", PB_JSON_INT, false },
        { "max_length", PB_JSON_INT, false },
        { "min_sum_cost", PB_JSON_INT, false },
        { "max_sum_cost", PB_JSON_INT, false },
        { "min_points", PB_JSON_INT, false },
        { "max_points", PB_JSON_INT, false },
        { "min_sum_points", PB_JSON_INT, false },
        { "max_sum_points", PB_JSON_INT, false },
        { "default_score", PB_JSON_INT, false },
        { NULL, PB_JSON_ANY, false },
};

static pb_err parse_ballot(struct parser *p, const cJSON *b)
{
        struct pb_election *e = p->m->election;
        pb_err r = pb_json_check_object(b, ballot_fields, "$.ballot", p->d);

        if (r < 0)
                return r;
        if (pb_vote_type_parse(cJSON_GetObjectItemCaseSensitive(b, "type")->valuestring, &e->vote_type) < 0)
                return fail(p, PB_ERR_INVALID, "$.ballot.type",
                            "expected approval, choose-1, ordinal, cumulative or scoring");
        for (int k = 0; k < PB_LIM_COUNT; k++) {
                char path[PB_DIAG_PATH_MAX];
                int64_t v = 0;

                snprintf(path, sizeof(path), "$.ballot.%s", pb_limit_name((enum pb_limit)k));
                r = get_int(p, b, pb_limit_name((enum pb_limit)k), path, -PB_JW_INT_MAX, PB_JW_INT_MAX, &v);
                if (r == PB_ERR_NOT_FOUND)
                        continue;
                if (r < 0)
                        return r;
                e->limits.has[k] = true;
                e->limits.v[k] = v;
        }
        return PB_OK;
}

static const struct pb_json_field rule_fields[] = {
        { "name", PB_JSON_STRING, true },         { "tie_break", PB_JSON_STRING, true },
        { "score", PB_JSON_STRING, false },       { "threshold", PB_JSON_INT, false },
        { "seed_sha256", PB_JSON_STRING, false }, { "utility", PB_JSON_STRING, false },
        { "completion", PB_JSON_STRING, false },  { "utilitarian_completion", PB_JSON_BOOL, false },
        { "comparison", PB_JSON_BOOL, false },    { NULL, PB_JSON_ANY, false },
};

static const char *member_string(const cJSON *obj, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        return v ? v->valuestring : NULL;
}

/* A SHA-256 digest as lowercase hex. */
static pb_err parse_sha256_hex(const char *s, uint8_t out[PB_SHA256_BYTES])
{
        size_t bin_len = 0;

        if (strlen(s) != PB_SHA256_HEX_LEN)
                return PB_ERR_PARSE;
        for (size_t i = 0; i < PB_SHA256_HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return PB_ERR_PARSE;
        if (sodium_hex2bin(out, PB_SHA256_BYTES, s, PB_SHA256_HEX_LEN, NULL, &bin_len, NULL) != 0 ||
            bin_len != PB_SHA256_BYTES)
                return PB_ERR_PARSE;
        return PB_OK;
}

static pb_err parse_rule(struct parser *p, const cJSON *obj)
{
        struct pb_manifest *m = p->m;
        struct pb_rule *ru = &m->rule;
        const char *s;
        const cJSON *v;
        pb_err r = pb_json_check_object(obj, rule_fields, "$.rule", p->d);

        if (r < 0)
                return r;
        pb_rule_init(ru);
        r = pb_rule_set_name(ru, member_string(obj, "name"));
        if (r < 0)
                return fail(p, PB_ERR_INVALID, "$.rule.name", "unknown rule");
        ru->tie_break = PB_TIE_FILE_ORDER;
        if (pb_tie_break_parse(member_string(obj, "tie_break"), &ru->tie_break) < 0)
                return fail(p, PB_ERR_INVALID, "$.rule.tie_break",
                            "expected file-order, lexico, cost-then-votes or seeded");
        if ((s = member_string(obj, "score")) && pb_score_parse(s, &ru->score) < 0)
                return fail(p, PB_ERR_INVALID, "$.rule.score",
                            "expected auto, votes, points, borda or borda0");
        if ((s = member_string(obj, "utility")) && pb_utility_parse(s, &ru->utility) < 0)
                return fail(p, PB_ERR_INVALID, "$.rule.utility", "expected cost, approval, points or borda");
        if ((s = member_string(obj, "completion")) && pb_completion_parse(s, &ru->completion) < 0)
                return fail(p, PB_ERR_INVALID, "$.rule.completion", "expected none, add1 or add1-exhaustive");
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "utilitarian_completion")))
                ru->utilitarian_completion = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "comparison")))
                ru->comparison = cJSON_IsTrue(v);
        r = get_int(p, obj, "threshold", "$.rule.threshold", -PB_JW_INT_MAX, PB_JW_INT_MAX, &ru->threshold);
        if (r == PB_OK)
                ru->has_threshold = true;
        else if (r != PB_ERR_NOT_FOUND)
                return r;
        s = member_string(obj, "seed_sha256");
        if (ru->tie_break == PB_TIE_SEEDED) {
                if (!s)
                        return fail(p, PB_ERR_INVALID, "$.rule.seed_sha256",
                                    "a seeded tie-break needs the commitment to its seed");
                if (parse_sha256_hex(s, m->seed_sha256) < 0)
                        return fail(p, PB_ERR_PARSE, "$.rule.seed_sha256",
                                    "expected " PB_STRINGIFY(PB_SHA256_HEX_LEN) " lowercase hex digits");
                m->has_seed_commitment = true;
        } else if (s) {
                return fail(p, PB_ERR_INVALID, "$.rule.seed_sha256", "only with tie_break seeded");
        }
        if (ru->kind != PB_RULE_EQUAL_SHARES &&
            (cJSON_GetObjectItemCaseSensitive(obj, "utility") ||
             cJSON_GetObjectItemCaseSensitive(obj, "completion") ||
             cJSON_GetObjectItemCaseSensitive(obj, "utilitarian_completion") ||
             cJSON_GetObjectItemCaseSensitive(obj, "comparison")))
                return fail(p, PB_ERR_INVALID, "$.rule",
                            "utility and completion are equal-shares parameters");
        return PB_OK;
}

static const struct pb_json_field project_fields[] = {
        { "id", PB_JSON_STRING, true },        { "name", PB_JSON_ANY, true },
        { "cost", PB_JSON_INT, true },         { "category", PB_JSON_STRING, false },
        { "description", PB_JSON_ANY, false }, { "withdrawn", PB_JSON_BOOL, false },
        { "image", PB_JSON_ANY, false },       { "url", PB_JSON_ANY, false },
        { NULL, PB_JSON_ANY, false },
};

/* Room for one more project's texts (names, descriptions, images, links: parallel arrays). */
static pb_err grow_texts(struct pb_manifest *m)
{
        struct pb_text **arrays[] = { &m->names, &m->descriptions, &m->images, &m->urls };
        size_t n = m->election->n_projects, cap = m->projects_cap;

        if (n < m->projects_cap)
                return PB_OK;
        /* the four arrays are parallel: each grows from projects_cap to the same capacity */
        for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
                size_t c = m->projects_cap;
                struct pb_text *grown = pb_grow(*arrays[k], &c, n + 1, sizeof(*grown), 16);

                if (!grown)
                        return PB_ERR_NOMEM; /* the arrays grown so far keep their entries */
                memset(grown + n, 0, (c - n) * sizeof(*grown));
                *arrays[k] = grown;
                cap = c;
        }
        m->projects_cap = cap;
        return PB_OK;
}

/* Every text of @t passes @ok (a picture's path, a link). */
static bool text_all(const struct pb_text *t, bool (*ok)(const char *))
{
        if (t->plain)
                return ok(t->plain);
        for (size_t i = 0; i < t->n; i++)
                if (!ok(t->value[i]))
                        return false;
        return true;
}

/* A picture is a path on the server of the pages ("/media/p1.jpg"): the pages load nothing from
 * another site (Content-Security-Policy: default-src 'self'), so a resident's browser tells no
 * third party that it votes.  No "//" (another host), no quote, space or backslash. */
static bool image_ok(const char *s)
{
        return s[0] == '/' && s[1] != '/' && !strpbrk(s, " \"'<>\\");
}

/* A link to more about a project: http or https, no space, quote or backslash. */
static bool url_ok(const char *s)
{
        return (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)) && !strpbrk(s, " \"'<>\\");
}

/* The optional text @key (".image") of project @obj at @path into @ret, each value passing @ok. */
static pb_err project_link(struct parser *p, const cJSON *obj, const char *key, const char *path,
                           bool (*ok)(const char *), const char *why, struct pb_text *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key + 1);
        char sub[64];
        pb_err r;

        if (!v)
                return PB_OK;
        path_join(sub, sizeof(sub), path, key);
        r = parse_text(p, v, sub, false, ret);
        if (r == PB_OK && !text_all(ret, ok)) {
                text_release(ret);
                r = fail(p, PB_ERR_INVALID, sub, why);
        }
        return r;
}

static pb_err parse_project(struct parser *p, const cJSON *obj, int i)
{
        struct pb_manifest *m = p->m;
        struct pb_election *e = m->election;
        struct pb_text name, desc;
        struct pb_project *pr;
        char path[PB_DIAG_PATH_MAX], sub[PB_DIAG_PATH_MAX];
        const char *id, *cat;
        const cJSON *v;
        size_t idx;
        int64_t cost = 0;
        pb_err r;

        snprintf(path, sizeof(path), "$.projects[%d]", i);
        r = pb_json_check_object(obj, project_fields, path, p->d);
        if (r < 0)
                return r;
        id = member_string(obj, "id");
        path_join(sub, sizeof(sub), path, ".id");
        if (!pb_manifest_id_is_valid(id, strlen(id)))
                return fail(p, PB_ERR_INVALID, sub, PB_MANIFEST_ID_RULE);
        path_join(sub, sizeof(sub), path, ".cost");
        r = get_int(p, obj, "cost", sub, 1, PB_JW_INT_MAX, &cost);
        if (r < 0)
                return r == PB_ERR_INVALID ? fail(p, r, sub, "cost must be a positive integer (minor units)")
                                           : r;
        r = grow_texts(m);
        if (r < 0)
                return r;
        r = pb_election_add_project(e, id, strlen(id), cost, &idx, p->d);
        if (r < 0) {
                if (r != PB_ERR_NOMEM)
                        pb_diag_set(p->d, r, sub,
                                    r == PB_ERR_CONFLICT ? "duplicate project id" : "bad project");
                if (p->d)
                        path_join(p->d->path, sizeof(p->d->path), path, ".id");
                return r;
        }
        pr = &e->projects[idx];
        path_join(sub, sizeof(sub), path, ".name");
        r = parse_text(p, cJSON_GetObjectItemCaseSensitive(obj, "name"), sub, true, &name);
        if (r < 0)
                return r;
        m->names[idx] = name;
        pr->name = text_display(&m->names[idx]);
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "description"))) {
                path_join(sub, sizeof(sub), path, ".description");
                r = parse_text(p, v, sub, false, &desc);
                if (r < 0)
                        return r;
                m->descriptions[idx] = desc;
        }
        r = project_link(p, obj, ".image", path, image_ok,
                         "a picture is a path on this server, such as /media/p1.jpg (the pages load "
                         "nothing from another site)",
                         &m->images[idx]);
        if (r == PB_OK)
                r = project_link(p, obj, ".url", path, url_ok, "a link starts with https:// or http://",
                                 &m->urls[idx]);
        if (r < 0)
                return r;
        if ((cat = member_string(obj, "category"))) {
                if (strlen(cat) > PB_MANIFEST_TEXT_MAX) {
                        path_join(sub, sizeof(sub), path, ".category");
                        return fail(p, PB_ERR_LIMIT, sub,
                                    "text longer than " PB_STRINGIFY(PB_MANIFEST_TEXT_MAX) " bytes");
                }
                pr->category = str_copy(p, cat);
                if (!pr->category)
                        return PB_ERR_NOMEM;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "withdrawn")))
                pr->withdrawn = cJSON_IsTrue(v);
        return PB_OK;
}

static const struct pb_json_field top_fields[] = {
        { "type", PB_JSON_STRING, true },    { "id", PB_JSON_STRING, true },
        { "title", PB_JSON_ANY, true },      { "currency", PB_JSON_STRING, true },
        { "scale", PB_JSON_INT, true },      { "budget", PB_JSON_INT, true },
        { "projects", PB_JSON_ARRAY, true }, { "ballot", PB_JSON_OBJECT, true },
        { "rule", PB_JSON_OBJECT, true },    { "origin", PB_JSON_STRING, false },
        { "period", PB_JSON_OBJECT, false }, { "batch_min", PB_JSON_INT, false },
        { "keys", PB_JSON_OBJECT, false },   { "web_voting", PB_JSON_BOOL, false },
        { "order", PB_JSON_OBJECT, false },  { NULL, PB_JSON_ANY, false },
};

static const struct pb_json_field order_fields[] = {
        { "policy", PB_JSON_STRING, true },
        { "seed", PB_JSON_STRING, false },
        { NULL, PB_JSON_ANY, false },
};

/* "order": {"policy": "file"} (the default) or {"policy": "shuffled", "seed": "<64 hex>"}: the
 * order in which the pages show the projects (docs/pages.md, "Project order"). */
static pb_err parse_order(struct parser *p, const cJSON *v)
{
        struct pb_manifest *m = p->m;
        const char *policy, *seed;
        pb_err r = pb_json_check_object(v, order_fields, "$.order", p->d);

        if (r < 0)
                return r;
        policy = member_string(v, "policy");
        seed = member_string(v, "seed");
        if (!strcmp(policy, "file")) {
                if (seed)
                        return fail(p, PB_ERR_INVALID, "$.order.seed", "file order has no seed");
                return PB_OK;
        }
        if (strcmp(policy, "shuffled"))
                return fail(p, PB_ERR_INVALID, "$.order.policy", "expected \"file\" or \"shuffled\"");
        if (!seed || strlen(seed) != 64 || strspn(seed, "0123456789abcdef") != 64)
                return fail(p, PB_ERR_INVALID, "$.order.seed",
                            "a shuffled order needs its published seed: 64 lowercase hex digits");
        m->shuffled = true;
        memcpy(m->order_seed, seed, 65);
        return PB_OK;
}

static const struct pb_json_field keys_fields[] = {
        { "engine", PB_JSON_STRING, true },
        { "office", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static const struct pb_json_field period_fields[] = {
        { "start", PB_JSON_STRING, true },
        { "end", PB_JSON_STRING, true },
        { NULL, PB_JSON_ANY, false },
};

static pb_err parse_key(struct parser *p, const cJSON *keys, const char *role, struct pb_key_public *ret)
{
        const char *s = member_string(keys, role);
        char path[32];

        snprintf(path, sizeof(path), "$.keys.%s", role);
        if (pb_key_vkey_parse(s, strlen(s), ret, NULL) < 0)
                return fail(p, PB_ERR_PARSE, path, "expected a C2SP verifier key (name+id+base64)");
        return PB_OK;
}

static pb_err parse_root(struct parser *p, const cJSON *root)
{
        struct pb_manifest *m = p->m;
        struct pb_election *e = m->election;
        const cJSON *v;
        const char *s;
        int64_t x = 0;
        int i = 0;
        pb_err r;

        r = pb_json_check_object(root, top_fields, "$", p->d);
        if (r < 0)
                return r;
        if (strcmp(member_string(root, "type"), PB_MANIFEST_TYPE))
                return fail(p, PB_ERR_UNSUPPORTED, "$.type", "expected \"pbvote.manifest/v1\"");
        s = member_string(root, "id");
        if (!pb_manifest_id_is_valid(s, strlen(s)))
                return fail(p, PB_ERR_INVALID, "$.id", PB_MANIFEST_ID_RULE);
        if (!(e->id = str_copy(p, s)))
                return PB_ERR_NOMEM;
        r = parse_text(p, cJSON_GetObjectItemCaseSensitive(root, "title"), "$.title", false, &m->title);
        if (r < 0)
                return r;
        e->title = text_display(&m->title);
        s = member_string(root, "currency");
        if (!(s[0] == '\0' || (strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
                               s[2] >= 'A' && s[2] <= 'Z')))
                return fail(p, PB_ERR_INVALID, "$.currency", "expected an ISO 4217 code (\"EUR\") or \"\"");
        if (!(e->currency = str_copy(p, s)))
                return PB_ERR_NOMEM;
        r = get_int(p, root, "scale", "$.scale", 0, PB_MONEY_MAX_SCALE, &x);
        if (r < 0)
                return r;
        e->scale = (unsigned)x;
        r = get_int(p, root, "budget", "$.budget", 1, PB_JW_INT_MAX, &e->budget);
        if (r < 0)
                return r;
        r = parse_ballot(p, cJSON_GetObjectItemCaseSensitive(root, "ballot"));
        if (r < 0)
                return r;
        for (const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "projects")->child; c;
             c = c->next, i++) {
                if (i >= PB_MANIFEST_MAX_PROJECTS)
                        return fail(p, PB_ERR_LIMIT, "$.projects",
                                    "more than " PB_STRINGIFY(PB_MANIFEST_MAX_PROJECTS) " projects");
                r = parse_project(p, c, i);
                if (r < 0)
                        return r;
        }
        r = parse_rule(p, cJSON_GetObjectItemCaseSensitive(root, "rule"));
        if (r < 0)
                return r;
        /* the log's origin is derived from the id, never chosen: two elections of a server (one
         * engine key) can then never sign checkpoints or promises for one log (integrity.md §3.1) */
        if (pb_origin_derive(e->id, m->origin) < 0)
                return fail(p, PB_ERR_INVALID, "$.id", "the id cannot name a ballot log");
        if ((s = member_string(root, "origin")) && strcmp(s, m->origin))
                return fail(p, PB_ERR_INVALID, "$.origin",
                            "the ballot log's origin is derived from the id (pbvote/<id>/ballots) and "
                            "cannot be chosen");
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "period"))) {
                r = pb_json_check_object(v, period_fields, "$.period", p->d);
                if (r < 0)
                        return r;
                if (!pb_utc_is_valid(member_string(v, "start")))
                        return fail(p, PB_ERR_PARSE, "$.period.start", "expected YYYY-MM-DDTHH:MM:SSZ");
                if (!pb_utc_is_valid(member_string(v, "end")))
                        return fail(p, PB_ERR_PARSE, "$.period.end", "expected YYYY-MM-DDTHH:MM:SSZ");
                if (strcmp(member_string(v, "start"), member_string(v, "end")) > 0)
                        return fail(p, PB_ERR_INVALID, "$.period", "the period ends before it starts");
                m->period_start = str_copy(p, member_string(v, "start"));
                m->period_end = str_copy(p, member_string(v, "end"));
                if (!m->period_start || !m->period_end)
                        return PB_ERR_NOMEM;
        }
        r = get_int(p, root, "batch_min", "$.batch_min", 1, PB_MANIFEST_BATCH_MAX, &x);
        if (r == PB_OK)
                m->batch_min = (uint32_t)x;
        else if (r != PB_ERR_NOT_FOUND)
                return r;
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "web_voting")))
                m->web_voting = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "order")) && (r = parse_order(p, v)) < 0)
                return r;
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "keys"))) {
                r = pb_json_check_object(v, keys_fields, "$.keys", p->d);
                if (r == PB_OK)
                        r = parse_key(p, v, "engine", &m->engine_key);
                if (r == PB_OK)
                        r = parse_key(p, v, "office", &m->office_key);
                if (r < 0)
                        return r;
                m->has_keys = true;
        }
        return PB_OK;
}

/* Checks that need the whole manifest: the election's definition and the rule against it. */
static pb_err check_all(struct pb_manifest *m, struct pb_diag *d)
{
        pb_err r = pb_election_check(m->election, d);

        if (r < 0) {
                if (d) {
                        char path[PB_DIAG_PATH_MAX];
                        bool in_ballot = !strcmp(d->path, "vote_type");

                        for (int k = 0; k < PB_LIM_COUNT; k++)
                                in_ballot |= !strcmp(d->path, pb_limit_name((enum pb_limit)k));
                        if (!strcmp(d->path, "vote_type"))
                                memcpy(d->path, "type", sizeof("type"));
                        path_join(path, sizeof(path), in_ballot ? "$.ballot." : "$.", d->path);
                        memcpy(d->path, path, sizeof(d->path));
                }
                return r;
        }
        m->rule.score = pb_rule_score(&m->rule, m->election);
        r = pb_rule_check(&m->rule, m->election, d);
        if (r < 0 && d) {
                char path[PB_DIAG_PATH_MAX];
                path_join(path, sizeof(path), "$.rule.", d->path);
                memcpy(d->path, path, sizeof(d->path));
        }
        return r;
}

pb_err pb_manifest_parse(const char *buf, size_t len, struct pb_manifest **ret, struct pb_diag *reterr)
{
        struct parser p;
        cJSON *root = NULL;
        pb_err r;

        if (len > PB_MANIFEST_MAX_BYTES)
                return pb_diag_set(reterr, PB_ERR_LIMIT, "$",
                                   "manifest larger than " PB_STRINGIFY(PB_MANIFEST_MAX_MIB) " MiB");
        r = pb_json_parse(buf, len, 8, &root, reterr);
        if (r < 0)
                return r;
        memset(&p, 0, sizeof(p));
        p.d = reterr;
        p.m = pb_manifest_new();
        if (!p.m) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        if (!cJSON_IsObject(root)) {
                r = pb_diag_set(reterr, PB_ERR_PARSE, "$", "expected an object");
                goto out;
        }
        r = parse_root(&p, root);
        if (r == PB_OK)
                r = check_all(p.m, reterr);
        if (r == PB_OK) {
                *ret = p.m;
                p.m = NULL;
        }
out:
        if (r == PB_ERR_NOMEM)
                pb_diag_set(reterr, r, "$", "out of memory");
        pb_manifest_free(p.m);
        cJSON_Delete(root);
        return r;
}

/* ---- the canonical form ----------------------------------------------------------------------- */

static void write_text(struct pb_jw *w, const struct pb_text *t)
{
        if (t->plain || !t->n) {
                pb_jw_string(w, t->plain ? t->plain : "");
                return;
        }
        pb_jw_object_begin(w);
        for (size_t i = 0; i < t->n; i++)
                pb_jw_kv_string(w, t->lang[i], t->value[i]);
        pb_jw_object_end(w);
}

static void write_ballot(struct pb_jw *w, const struct pb_election *e)
{
        const char *keys[PB_LIM_COUNT + 1];
        int64_t vals[PB_LIM_COUNT + 1];
        size_t n = 0;

        for (int k = 0; k < PB_LIM_COUNT; k++)
                if (e->limits.has[k]) {
                        keys[n] = pb_limit_name((enum pb_limit)k);
                        vals[n++] = e->limits.v[k];
                }
        keys[n++] = "type";
        /* sort the member names (at most 10): the writer insists on byte order */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                        const char *tk = keys[j];
                        int64_t tv = vals[j];
                        keys[j] = keys[j - 1];
                        vals[j] = vals[j - 1];
                        keys[j - 1] = tk;
                        vals[j - 1] = tv;
                }
        pb_jw_object_begin(w);
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(keys[i], "type"))
                        pb_jw_kv_string(w, "type", pb_vote_type_name(e->vote_type));
                else
                        pb_jw_kv_int(w, keys[i], vals[i]);
        }
        pb_jw_object_end(w);
}

static void write_rule(struct pb_jw *w, const struct pb_manifest *m)
{
        const struct pb_rule *ru = &m->rule;
        bool mes = ru->kind == PB_RULE_EQUAL_SHARES;
        bool scored = !mes && ru->kind != PB_RULE_PHRAGMEN && ru->kind != PB_RULE_MAXIMIN_SUPPORT;

        pb_jw_object_begin(w);
        if (mes) {
                pb_jw_kv_bool(w, "comparison", ru->comparison);
                pb_jw_kv_string(w, "completion", pb_completion_name(ru->completion));
        }
        pb_jw_kv_string(w, "name", pb_rule_kind_name(ru->kind));
        if (scored)
                pb_jw_kv_string(w, "score", pb_score_name(ru->score));
        if (m->has_seed_commitment) {
                pb_jw_key(w, "seed_sha256");
                pb_jw_hex(w, m->seed_sha256, sizeof(m->seed_sha256));
        }
        if (ru->has_threshold)
                pb_jw_kv_int(w, "threshold", ru->threshold);
        pb_jw_kv_string(w, "tie_break", pb_tie_break_name(ru->tie_break));
        if (mes) {
                pb_jw_kv_bool(w, "utilitarian_completion", ru->utilitarian_completion);
                pb_jw_kv_string(w, "utility", pb_utility_name(ru->utility));
        }
        pb_jw_object_end(w);
}

static void write_vkey(struct pb_jw *w, const char *role, const struct pb_key_public *k, struct pb_buf *tmp)
{
        pb_buf_reset(tmp);
        if (pb_key_vkey_format(k, tmp) < 0) {
                pb_jw_key(w, role);
                pb_jw_int(w, INT64_MAX); /* makes the writer fail (overflow): out of memory */
                return;
        }
        pb_jw_kv_string(w, role, tmp->data);
}

pb_err pb_manifest_format(const struct pb_manifest *m, struct pb_buf *out)
{
        const struct pb_election *e = m->election;
        const size_t old_len = out->len;
        struct pb_buf tmp;
        struct pb_jw w;
        pb_err r;

        pb_buf_init(&tmp, 4096);
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "ballot");
        write_ballot(&w, e);
        pb_jw_kv_int(&w, "batch_min", m->batch_min);
        pb_jw_kv_int(&w, "budget", e->budget);
        pb_jw_kv_string(&w, "currency", e->currency);
        pb_jw_kv_string(&w, "id", e->id);
        if (m->has_keys) {
                pb_jw_key(&w, "keys");
                pb_jw_object_begin(&w);
                write_vkey(&w, "engine", &m->engine_key, &tmp);
                write_vkey(&w, "office", &m->office_key, &tmp);
                pb_jw_object_end(&w);
        }
        if (m->shuffled) { /* file order, the default, is written as no "order" */
                pb_jw_key(&w, "order");
                pb_jw_object_begin(&w);
                pb_jw_kv_string(&w, "policy", "shuffled");
                pb_jw_kv_string(&w, "seed", m->order_seed);
                pb_jw_object_end(&w);
        }
        pb_jw_kv_string(&w, "origin", m->origin);
        if (m->period_start) {
                pb_jw_key(&w, "period");
                pb_jw_object_begin(&w);
                pb_jw_kv_string(&w, "end", m->period_end);
                pb_jw_kv_string(&w, "start", m->period_start);
                pb_jw_object_end(&w);
        }
        pb_jw_key(&w, "projects");
        pb_jw_array_begin(&w);
        for (size_t i = 0; i < e->n_projects; i++) {
                const struct pb_project *p = &e->projects[i];

                pb_jw_object_begin(&w);
                if (p->category && p->category[0])
                        pb_jw_kv_string(&w, "category", p->category);
                pb_jw_kv_int(&w, "cost", p->cost);
                if (m->descriptions && (m->descriptions[i].plain || m->descriptions[i].n)) {
                        pb_jw_key(&w, "description");
                        write_text(&w, &m->descriptions[i]);
                }
                pb_jw_kv_string(&w, "id", p->id);
                if (m->images && (m->images[i].plain || m->images[i].n)) {
                        pb_jw_key(&w, "image");
                        write_text(&w, &m->images[i]);
                }
                pb_jw_key(&w, "name");
                if (m->names)
                        write_text(&w, &m->names[i]);
                else
                        pb_jw_string(&w, p->name);
                if (m->urls && (m->urls[i].plain || m->urls[i].n)) {
                        pb_jw_key(&w, "url");
                        write_text(&w, &m->urls[i]);
                }
                if (p->withdrawn)
                        pb_jw_kv_bool(&w, "withdrawn", true);
                pb_jw_object_end(&w);
        }
        pb_jw_array_end(&w);
        pb_jw_key(&w, "rule");
        write_rule(&w, m);
        pb_jw_kv_int(&w, "scale", e->scale);
        pb_jw_key(&w, "title");
        write_text(&w, &m->title);
        pb_jw_kv_string(&w, "type", PB_MANIFEST_TYPE);
        if (m->web_voting) /* written only when allowed, so older manifests keep their bytes */
                pb_jw_kv_bool(&w, "web_voting", true);
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
        pb_buf_release(&tmp);
        if (r < 0) {
                out->len = old_len;
                if (out->data)
                        out->data[old_len] = '\0';
        }
        return r;
}
