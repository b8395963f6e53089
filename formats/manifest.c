/** @file The election manifest: its lifetime and strict JSON parsing (the canonical form: manifest_write.c). */
#include "formats/pb_manifest.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "formats/manifest_int.h"
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
        m->contests = pb_calloc(1, sizeof(*m->contests));
        m->by_id = pb_calloc(1, sizeof(*m->by_id));
        if (!m->election || !m->contests || !m->by_id) {
                pb_manifest_free(m);
                return NULL;
        }
        /* the one-contest form: the vote is its own contest */
        m->n_contests = 1;
        m->contests[0].election = m->election;
        pb_rule_init(&m->contests[0].rule);
        m->batch_min = PB_MANIFEST_BATCH_MIN;
        return m;
}

void manifest_text_release(struct pb_text *t)
{
        pb_free(t->lang);
        pb_free(t->value);
        memset(t, 0, sizeof(*t));
}

/* Free what @c owns; @vote is the manifest's own election (not the contest's to free). */
static void contest_release(struct pb_contest *c, const struct pb_election *vote)
{
        size_t n = c->election ? c->election->n_projects : 0;

        manifest_text_release(&c->title);
        for (size_t i = 0; c->names && i < n; i++)
                manifest_text_release(&c->names[i]);
        for (size_t i = 0; c->descriptions && i < n; i++)
                manifest_text_release(&c->descriptions[i]);
        for (size_t i = 0; c->images && i < n; i++)
                manifest_text_release(&c->images[i]);
        for (size_t i = 0; c->urls && i < n; i++)
                manifest_text_release(&c->urls[i]);
        pb_free(c->names);
        pb_free(c->descriptions);
        pb_free(c->images);
        pb_free(c->urls);
        if (c->election != vote)
                pb_election_free(c->election);
        memset(c, 0, sizeof(*c));
}

void pb_manifest_free(struct pb_manifest *m)
{
        if (!m)
                return;
        manifest_text_release(&m->title);
        for (size_t i = 0; m->contests && i < m->n_contests; i++)
                contest_release(&m->contests[i], m->election);
        pb_free(m->contests);
        pb_free(m->by_id);
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

/* The contest whose id is @id[0..len) among the first @n entries of by_id, or -1. */
static long find_contest(const struct pb_manifest *m, size_t n, const char *id, size_t len)
{
        size_t lo = 0, hi = n;

        /* by_id is sorted by id: a binary search over at most PB_MANIFEST_MAX_CONTESTS */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const char *s = m->contests[m->by_id[mid]].election->id;
                size_t sl = strlen(s);
                int c = memcmp(s, id, sl < len ? sl : len);

                if (c == 0)
                        c = sl < len ? -1 : sl > len ? 1 : 0;
                if (c == 0)
                        return (long)m->by_id[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

long pb_manifest_find_contest(const struct pb_manifest *m, const char *id, size_t len)
{
        return find_contest(m, m->n_contests, id, len);
}

size_t pb_manifest_max_projects(const struct pb_manifest *m)
{
        size_t n = 0;

        for (size_t i = 0; i < m->n_contests; i++)
                if (m->contests[i].election->n_projects > n)
                        n = m->contests[i].election->n_projects;
        return n;
}

/* ---- parsing ---------------------------------------------------------------------------------- */

struct parser {
        struct pb_manifest *m;
        struct pb_election *e; /* the election whose pool the strings being read go to */
        struct pb_diag *d;
        char prefix[PB_DIAG_PATH_MAX]; /* "$" or "$.contests[12]": the path of the contest being read */
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
        memmove(out, base, a);
        if (b >= cap - a)
                b = cap - a - 1;
        memcpy(out + a, suffix, b);
        out[a + b] = '\0';
}

/* The path of @suffix in the contest being read ("$.contests[2].rule.name"). */
static const char *at(struct parser *p, const char *suffix, char out[PB_DIAG_PATH_MAX])
{
        path_join(out, PB_DIAG_PATH_MAX, p->prefix, suffix);
        return out;
}

static pb_err fail_at(struct parser *p, pb_err code, const char *suffix, const char *why)
{
        char path[PB_DIAG_PATH_MAX];
        return fail(p, code, at(p, suffix, path), why);
}

static const char *str_copy(struct parser *p, const char *s)
{
        return pb_election_str(p->e, s, strlen(s));
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

/* One language of a text object into @t at its place in byte order of the tags. */
static pb_err text_add_lang(struct parser *p, const cJSON *c, const char *path, struct pb_text *t)
{
        size_t pos;

        if (!lang_is_valid(c->string))
                return fail(p, PB_ERR_INVALID, path, "bad language tag");
        if (!cJSON_IsString(c) || !c->valuestring[0])
                return fail(p, PB_ERR_PARSE, path, "each language needs a non-empty string");
        if (strlen(c->valuestring) > PB_MANIFEST_TEXT_MAX)
                return fail(p, PB_ERR_LIMIT, path,
                            "text longer than " PB_STRINGIFY(PB_MANIFEST_TEXT_MAX) " bytes");
        for (pos = t->n; pos > 0 && strcmp(t->lang[pos - 1], c->string) > 0; pos--) {
                t->lang[pos] = t->lang[pos - 1];
                t->value[pos] = t->value[pos - 1];
        }
        t->lang[pos] = str_copy(p, c->string);
        t->value[pos] = str_copy(p, c->valuestring);
        if (!t->lang[pos] || !t->value[pos])
                return PB_ERR_NOMEM;
        t->n++;
        return PB_OK;
}

/* A display text: a string, or an object of language tag -> string. */
static pb_err parse_text(struct parser *p, const cJSON *v, const char *path, bool allow_empty,
                         struct pb_text *ret)
{
        struct pb_text t;
        size_t n = 0;
        pb_err r = PB_OK;

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
                r = PB_ERR_NOMEM;
        for (const cJSON *c = v->child; r == PB_OK && c; c = c->next)
                r = text_add_lang(p, c, path, &t);
        if (r < 0) {
                manifest_text_release(&t);
                return r;
        }
        *ret = t;
        return PB_OK;
}

const char *manifest_text_display(const struct pb_text *t)
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

static pb_err parse_ballot(struct parser *p, struct pb_election *e, const cJSON *b)
{
        char path[PB_DIAG_PATH_MAX];
        pb_err r = pb_json_check_object(b, ballot_fields, at(p, ".ballot", path), p->d);

        if (r < 0)
                return r;
        if (pb_vote_type_parse(cJSON_GetObjectItemCaseSensitive(b, "type")->valuestring, &e->vote_type) < 0)
                return fail_at(p, PB_ERR_INVALID, ".ballot.type",
                               "expected approval, choose-1, ordinal, cumulative or scoring");
        for (int k = 0; k < PB_LIM_COUNT; k++) {
                char sub[PB_DIAG_PATH_MAX];
                int64_t v = 0;

                snprintf(sub, sizeof(sub), ".ballot.%s", pb_limit_name((enum pb_limit)k));
                r = get_int(p, b, pb_limit_name((enum pb_limit)k), at(p, sub, path), -PB_JW_INT_MAX,
                            PB_JW_INT_MAX, &v);
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

/* The rule's names: rule, tie-break, score, equal shares' utility and completion. */
static pb_err parse_rule_names(struct parser *p, const cJSON *obj, struct pb_rule *ru)
{
        const char *s;

        if (pb_rule_set_name(ru, member_string(obj, "name")) < 0)
                return fail_at(p, PB_ERR_INVALID, ".rule.name", "unknown rule");
        ru->tie_break = PB_TIE_FILE_ORDER;
        if (pb_tie_break_parse(member_string(obj, "tie_break"), &ru->tie_break) < 0)
                return fail_at(p, PB_ERR_INVALID, ".rule.tie_break",
                               "expected file-order, lexico, cost-then-votes or seeded");
        if ((s = member_string(obj, "score")) && pb_score_parse(s, &ru->score) < 0)
                return fail_at(p, PB_ERR_INVALID, ".rule.score",
                               "expected auto, votes, points, borda or borda0");
        if ((s = member_string(obj, "utility")) && pb_utility_parse(s, &ru->utility) < 0)
                return fail_at(p, PB_ERR_INVALID, ".rule.utility",
                               "expected cost, approval, points or borda");
        if ((s = member_string(obj, "completion")) && pb_completion_parse(s, &ru->completion) < 0)
                return fail_at(p, PB_ERR_INVALID, ".rule.completion",
                               "expected none, add1 or add1-exhaustive");
        return PB_OK;
}

/* The seed commitment: present exactly when the tie-break is seeded. */
static pb_err parse_seed(struct parser *p, const cJSON *obj, struct pb_contest *c)
{
        const char *s = member_string(obj, "seed_sha256");

        if (c->rule.tie_break != PB_TIE_SEEDED)
                return s ? fail_at(p, PB_ERR_INVALID, ".rule.seed_sha256", "only with tie_break seeded")
                         : PB_OK;
        if (!s)
                return fail_at(p, PB_ERR_INVALID, ".rule.seed_sha256",
                               "a seeded tie-break needs the commitment to its seed");
        if (parse_sha256_hex(s, c->seed_sha256) < 0)
                return fail_at(p, PB_ERR_PARSE, ".rule.seed_sha256",
                               "expected " PB_STRINGIFY(PB_SHA256_HEX_LEN) " lowercase hex digits");
        c->has_seed_commitment = true;
        return PB_OK;
}

static pb_err parse_rule(struct parser *p, struct pb_contest *c, const cJSON *obj)
{
        struct pb_rule *ru = &c->rule;
        char path[PB_DIAG_PATH_MAX];
        const cJSON *v;
        pb_err r = pb_json_check_object(obj, rule_fields, at(p, ".rule", path), p->d);

        if (r < 0)
                return r;
        pb_rule_init(ru);
        r = parse_rule_names(p, obj, ru);
        if (r < 0)
                return r;
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "utilitarian_completion")))
                ru->utilitarian_completion = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "comparison")))
                ru->comparison = cJSON_IsTrue(v);
        r = get_int(p, obj, "threshold", at(p, ".rule.threshold", path), -PB_JW_INT_MAX, PB_JW_INT_MAX,
                    &ru->threshold);
        if (r == PB_OK)
                ru->has_threshold = true;
        else if (r != PB_ERR_NOT_FOUND)
                return r;
        r = parse_seed(p, obj, c);
        if (r < 0)
                return r;
        if (ru->kind != PB_RULE_EQUAL_SHARES &&
            (cJSON_GetObjectItemCaseSensitive(obj, "utility") ||
             cJSON_GetObjectItemCaseSensitive(obj, "completion") ||
             cJSON_GetObjectItemCaseSensitive(obj, "utilitarian_completion") ||
             cJSON_GetObjectItemCaseSensitive(obj, "comparison")))
                return fail_at(p, PB_ERR_INVALID, ".rule",
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

pb_err manifest_grow_texts(struct pb_contest *c)
{
        struct pb_text **arrays[] = { &c->names, &c->descriptions, &c->images, &c->urls };
        size_t n = c->election->n_projects, cap = c->projects_cap;

        if (n < c->projects_cap)
                return PB_OK;
        /* the four arrays are parallel: each grows from projects_cap to the same capacity */
        for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
                size_t got = c->projects_cap;
                struct pb_text *grown = pb_grow(*arrays[k], &got, n + 1, sizeof(*grown), 16);

                if (!grown)
                        return PB_ERR_NOMEM; /* the arrays grown so far keep their entries */
                memset(grown + n, 0, (got - n) * sizeof(*grown));
                *arrays[k] = grown;
                cap = got;
        }
        c->projects_cap = cap;
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
        char sub[PB_DIAG_PATH_MAX];
        pb_err r;

        if (!v)
                return PB_OK;
        path_join(sub, sizeof(sub), path, key);
        r = parse_text(p, v, sub, false, ret);
        if (r == PB_OK && !text_all(ret, ok)) {
                manifest_text_release(ret);
                r = fail(p, PB_ERR_INVALID, sub, why);
        }
        return r;
}

/* A project's id and cost, added to the contest's election; *@ret_idx its index. */
static pb_err add_project(struct parser *p, struct pb_contest *c, const cJSON *obj, const char *path,
                          size_t *ret_idx)
{
        const char *id = member_string(obj, "id");
        char sub[PB_DIAG_PATH_MAX];
        int64_t cost = 0;
        pb_err r;

        path_join(sub, sizeof(sub), path, ".id");
        if (!pb_manifest_id_is_valid(id, strlen(id)))
                return fail(p, PB_ERR_INVALID, sub, PB_MANIFEST_ID_RULE);
        path_join(sub, sizeof(sub), path, ".cost");
        r = get_int(p, obj, "cost", sub, 1, PB_JW_INT_MAX, &cost);
        if (r < 0)
                return r == PB_ERR_INVALID ? fail(p, r, sub, "cost must be a positive integer (minor units)")
                                           : r;
        r = manifest_grow_texts(c);
        if (r < 0)
                return r;
        r = pb_election_add_project(c->election, id, strlen(id), cost, ret_idx, p->d);
        if (r < 0 && r != PB_ERR_NOMEM) {
                path_join(sub, sizeof(sub), path, ".id");
                pb_diag_set(p->d, r, sub, r == PB_ERR_CONFLICT ? "duplicate project id" : "bad project");
        }
        return r;
}

static pb_err parse_project(struct parser *p, struct pb_contest *c, const cJSON *obj, size_t i)
{
        char path[PB_DIAG_PATH_MAX], sub[PB_DIAG_PATH_MAX], idx_text[32];
        struct pb_project *pr;
        const char *cat;
        const cJSON *v;
        size_t idx;
        pb_err r;

        snprintf(idx_text, sizeof(idx_text), ".projects[%zu]", i);
        at(p, idx_text, path);
        r = pb_json_check_object(obj, project_fields, path, p->d);
        if (r == PB_OK)
                r = add_project(p, c, obj, path, &idx);
        if (r < 0)
                return r;
        pr = &c->election->projects[idx];
        path_join(sub, sizeof(sub), path, ".name");
        r = parse_text(p, cJSON_GetObjectItemCaseSensitive(obj, "name"), sub, true, &c->names[idx]);
        if (r < 0)
                return r;
        pr->name = manifest_text_display(&c->names[idx]);
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "description"))) {
                path_join(sub, sizeof(sub), path, ".description");
                r = parse_text(p, v, sub, false, &c->descriptions[idx]);
                if (r < 0)
                        return r;
        }
        r = project_link(p, obj, ".image", path, image_ok,
                         "a picture is a path on this server, such as /media/p1.jpg (the pages load "
                         "nothing from another site)",
                         &c->images[idx]);
        if (r == PB_OK)
                r = project_link(p, obj, ".url", path, url_ok, "a link starts with https:// or http://",
                                 &c->urls[idx]);
        if (r < 0)
                return r;
        if ((cat = member_string(obj, "category"))) {
                path_join(sub, sizeof(sub), path, ".category");
                if (strlen(cat) > PB_MANIFEST_TEXT_MAX)
                        return fail(p, PB_ERR_LIMIT, sub,
                                    "text longer than " PB_STRINGIFY(PB_MANIFEST_TEXT_MAX) " bytes");
                if (!(pr->category = str_copy(p, cat)))
                        return PB_ERR_NOMEM;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "withdrawn")))
                pr->withdrawn = cJSON_IsTrue(v);
        return PB_OK;
}

/* What every contest has, in either form: budget, ballot, projects, rule (@obj holds them). */
static pb_err parse_contest_body(struct parser *p, struct pb_contest *c, const cJSON *obj)
{
        char path[PB_DIAG_PATH_MAX];
        size_t i = 0;
        pb_err r;

        r = get_int(p, obj, "budget", at(p, ".budget", path), 1, PB_JW_INT_MAX, &c->election->budget);
        if (r == PB_OK)
                r = parse_ballot(p, c->election, cJSON_GetObjectItemCaseSensitive(obj, "ballot"));
        for (const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, "projects")->child; r == PB_OK && x;
             x = x->next, i++) {
                if (i >= PB_MANIFEST_MAX_PROJECTS)
                        return fail_at(p, PB_ERR_LIMIT, ".projects",
                                       "more than " PB_STRINGIFY(PB_MANIFEST_MAX_PROJECTS) " projects");
                r = parse_project(p, c, x, i);
        }
        if (r == PB_OK)
                r = parse_rule(p, c, cJSON_GetObjectItemCaseSensitive(obj, "rule"));
        return r;
}

static const struct pb_json_field contest_fields[] = {
        { "id", PB_JSON_STRING, true },      { "title", PB_JSON_ANY, true },
        { "budget", PB_JSON_INT, true },     { "projects", PB_JSON_ARRAY, true },
        { "ballot", PB_JSON_OBJECT, true },  { "rule", PB_JSON_OBJECT, true },
        { "optional", PB_JSON_BOOL, false }, { NULL, PB_JSON_ANY, false },
};

/* Contest @i of the contests form, into its own election (sharing the vote's currency and scale). */
static pb_err parse_contest(struct parser *p, struct pb_contest *c, const cJSON *obj, size_t i)
{
        const struct pb_election *vote = p->m->election;
        char path[PB_DIAG_PATH_MAX];
        const char *id;
        const cJSON *v;
        pb_err r;

        snprintf(p->prefix, sizeof(p->prefix), "$.contests[%zu]", i);
        r = pb_json_check_object(obj, contest_fields, p->prefix, p->d);
        if (r < 0)
                return r;
        pb_rule_init(&c->rule);
        if (!(c->election = pb_election_new()))
                return PB_ERR_NOMEM;
        p->e = c->election;
        id = member_string(obj, "id");
        if (!pb_manifest_id_is_valid(id, strlen(id)))
                return fail_at(p, PB_ERR_INVALID, ".id", PB_MANIFEST_ID_RULE);
        if (find_contest(p->m, i, id, strlen(id)) >= 0) /* by_id holds the contests before this one */
                return fail_at(p, PB_ERR_INVALID, ".id", "two contests with this id");
        c->election->id = str_copy(p, id);
        c->election->currency = str_copy(p, vote->currency);
        if (!c->election->id || !c->election->currency)
                return PB_ERR_NOMEM;
        c->election->scale = vote->scale;
        r = parse_text(p, cJSON_GetObjectItemCaseSensitive(obj, "title"), at(p, ".title", path), false,
                       &c->title);
        if (r < 0)
                return r;
        c->election->title = manifest_text_display(&c->title);
        if ((v = cJSON_GetObjectItemCaseSensitive(obj, "optional")))
                c->optional = cJSON_IsTrue(v);
        return parse_contest_body(p, c, obj);
}

void manifest_index_contest(struct pb_manifest *m, size_t i)
{
        size_t pos = i;
        const char *id = m->contests[i].election->id;

        while (pos > 0 && strcmp(m->contests[m->by_id[pos - 1]].election->id, id) > 0) {
                m->by_id[pos] = m->by_id[pos - 1];
                pos--;
        }
        m->by_id[pos] = (uint32_t)i;
}

static pb_err parse_contests(struct parser *p, const cJSON *arr)
{
        struct pb_manifest *m = p->m;
        size_t n = 0;
        pb_err r = PB_OK;

        for (const cJSON *c = arr->child; c; c = c->next)
                n++;
        if (n == 0)
                return fail(p, PB_ERR_INVALID, "$.contests", "a vote holds at least one contest");
        if (n > PB_MANIFEST_MAX_CONTESTS)
                return fail(p, PB_ERR_LIMIT, "$.contests",
                            "more than " PB_STRINGIFY(PB_MANIFEST_MAX_CONTESTS) " contests");
        pb_free(m->contests);
        pb_free(m->by_id);
        m->n_contests = 0;
        m->contests = pb_calloc(n, sizeof(*m->contests));
        m->by_id = pb_calloc(n, sizeof(*m->by_id));
        if (!m->contests || !m->by_id)
                return PB_ERR_NOMEM;
        m->has_contests = true;
        for (const cJSON *c = arr->child; r == PB_OK && c; c = c->next) {
                /* counted first, so that a failure frees what this contest holds */
                size_t i = m->n_contests++;
                r = parse_contest(p, &m->contests[i], c, i);
                if (r == PB_OK)
                        manifest_index_contest(m, i);
        }
        p->e = m->election;
        return r;
}

static const struct pb_json_field top_fields[] = {
        { "type", PB_JSON_STRING, true },        { "id", PB_JSON_STRING, true },
        { "title", PB_JSON_ANY, true },          { "currency", PB_JSON_STRING, true },
        { "scale", PB_JSON_INT, true },          { "budget", PB_JSON_INT, false },
        { "projects", PB_JSON_ARRAY, false },    { "ballot", PB_JSON_OBJECT, false },
        { "rule", PB_JSON_OBJECT, false },       { "contests", PB_JSON_ARRAY, false },
        { "origin", PB_JSON_STRING, false },     { "period", PB_JSON_OBJECT, false },
        { "batch_min", PB_JSON_INT, false },     { "keys", PB_JSON_OBJECT, false },
        { "web_voting", PB_JSON_BOOL, false },   { "order", PB_JSON_OBJECT, false },
        { "double_entry", PB_JSON_BOOL, false }, { NULL, PB_JSON_ANY, false },
};

static const struct pb_json_field order_fields[] = {
        { "policy", PB_JSON_STRING, true },
        { "seed", PB_JSON_STRING, false },
        { NULL, PB_JSON_ANY, false },
};

/* The members of a contest at the top are all there (one-contest form) or none is (contests form). */
static pb_err check_form(struct parser *p, const cJSON *root)
{
        static const char *const body[] = { "budget", "projects", "ballot", "rule" };
        bool contests = cJSON_GetObjectItemCaseSensitive(root, "contests") != NULL;

        for (size_t i = 0; i < sizeof(body) / sizeof(body[0]); i++) {
                char path[32];
                bool has = cJSON_GetObjectItemCaseSensitive(root, body[i]) != NULL;

                snprintf(path, sizeof(path), "$.%s", body[i]);
                if (contests && has)
                        return fail(p, PB_ERR_PARSE, path, "with contests, each contest has its own");
                if (!contests && !has)
                        return fail(p, PB_ERR_PARSE, path, "missing");
        }
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

static pb_err parse_key(struct parser *p, const cJSON *keys, const char *role, struct pb_key_public *ret)
{
        const char *s = member_string(keys, role);
        char path[32];

        snprintf(path, sizeof(path), "$.keys.%s", role);
        if (pb_key_vkey_parse(s, strlen(s), ret, NULL) < 0)
                return fail(p, PB_ERR_PARSE, path, "expected a C2SP verifier key (name+id+base64)");
        return PB_OK;
}

/* The vote's identity: id, title, currency, scale. */
static pb_err parse_identity(struct parser *p, const cJSON *root)
{
        struct pb_manifest *m = p->m;
        struct pb_election *e = m->election;
        const char *s;
        int64_t x = 0;
        pb_err r;

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
        e->title = manifest_text_display(&m->title);
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
        return PB_OK;
}

static pb_err parse_period(struct parser *p, const cJSON *v)
{
        struct pb_manifest *m = p->m;
        pb_err r = pb_json_check_object(v, period_fields, "$.period", p->d);

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
        return m->period_start && m->period_end ? PB_OK : PB_ERR_NOMEM;
}

/* What the log and the keys need: origin, period, batch_min, keys. */
static pb_err parse_log(struct parser *p, const cJSON *root)
{
        struct pb_manifest *m = p->m;
        const cJSON *v;
        const char *s;
        int64_t x = 0;
        pb_err r;

        /* the log's origin is derived from the id, never chosen: two elections of a server (one
         * engine key) can then never sign checkpoints or promises for one log (integrity.md §3.1) */
        if (pb_origin_derive(m->election->id, m->origin) < 0)
                return fail(p, PB_ERR_INVALID, "$.id", "the id cannot name a ballot log");
        if ((s = member_string(root, "origin")) && strcmp(s, m->origin))
                return fail(p, PB_ERR_INVALID, "$.origin",
                            "the ballot log's origin is derived from the id (pbvote/<id>/ballots) and "
                            "cannot be chosen");
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "period")) && (r = parse_period(p, v)) < 0)
                return r;
        r = get_int(p, root, "batch_min", "$.batch_min", 1, PB_MANIFEST_BATCH_MAX, &x);
        if (r == PB_OK)
                m->batch_min = (uint32_t)x;
        else if (r != PB_ERR_NOT_FOUND)
                return r;
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "web_voting")))
                m->web_voting = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(root, "double_entry")))
                m->double_entry = cJSON_IsTrue(v);
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

static pb_err parse_root(struct parser *p, const cJSON *root)
{
        const cJSON *contests = cJSON_GetObjectItemCaseSensitive(root, "contests");
        pb_err r;

        r = pb_json_check_object(root, top_fields, "$", p->d);
        if (r == PB_OK)
                r = check_form(p, root);
        if (r == PB_OK)
                r = parse_identity(p, root);
        if (r == PB_OK)
                r = contests ? parse_contests(p, contests) : parse_contest_body(p, &p->m->contests[0], root);
        if (r == PB_OK)
                r = parse_log(p, root);
        return r;
}

/* The contest at @prefix: its election's definition, then its rule against it.  The engine's
 * field names (projects[3].cost, max_length, vote_type) become the manifest's JSON paths. */
static pb_err check_contest(struct pb_contest *c, const char *prefix, struct pb_diag *d)
{
        char path[PB_DIAG_PATH_MAX], base[PB_DIAG_PATH_MAX];
        pb_err r = pb_election_check(c->election, d);

        if (r < 0) {
                if (d) {
                        bool in_ballot = !strcmp(d->path, "vote_type");

                        for (int k = 0; k < PB_LIM_COUNT; k++)
                                in_ballot |= !strcmp(d->path, pb_limit_name((enum pb_limit)k));
                        if (!strcmp(d->path, "vote_type"))
                                memcpy(d->path, "type", sizeof("type"));
                        snprintf(base, sizeof(base), "%s%s", prefix, in_ballot ? ".ballot." : ".");
                        path_join(path, sizeof(path), base, d->path);
                        memcpy(d->path, path, sizeof(d->path));
                }
                return r;
        }
        c->rule.score = pb_rule_score(&c->rule, c->election);
        r = pb_rule_check(&c->rule, c->election, d);
        if (r < 0 && d) {
                snprintf(base, sizeof(base), "%s.rule.", prefix);
                path_join(path, sizeof(path), base, d->path);
                memcpy(d->path, path, sizeof(d->path));
        }
        return r;
}

static pb_err check_all(struct pb_manifest *m, struct pb_diag *d)
{
        pb_err r = PB_OK;

        for (size_t i = 0; r == PB_OK && i < m->n_contests; i++) {
                char prefix[PB_DIAG_PATH_MAX] = "$";
                if (m->has_contests)
                        snprintf(prefix, sizeof(prefix), "$.contests[%zu]", i);
                r = check_contest(&m->contests[i], prefix, d);
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
        memcpy(p.prefix, "$", 2);
        if (!p.m) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        p.e = p.m->election;
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
