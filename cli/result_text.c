/** @file The result as a person reads it (result_text.h). */
#include "cli/result_text.h"

#include <sodium.h>
#include <string.h>

#include "engine/pb_bigint.h"
#include "engine/pb_money.h"
#include "formats/pb_envelope.h"
#include "formats/pb_json.h"

#define MONEY_MAX 128     /* a money amount as text, with the sign of rounding */
#define PRICE_DECIMALS 2u /* at least this many decimals for a price per voter (else 363 for 363.36) */

/* A tally document read back (borrowed from the cJSON tree). */
struct view {
        const cJSON *root, *projects, *rule, *steps, *ties, *details, *winners;
        const struct pb_contest *ct; /* the contest of the manifest, or NULL: the document's names */
        const char *lang, *currency;
        unsigned scale;
        int64_t budget, spent, voters;
};

static const cJSON *member(const cJSON *o, const char *k)
{
        return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str_of(const cJSON *o, const char *k)
{
        const cJSON *v = member(o, k);
        return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t int_of(const cJSON *o, const char *k)
{
        const cJSON *v = member(o, k);
        return cJSON_IsNumber(v) ? pb_json_int(v) : 0;
}

/* The text of @t in @lang, else its display text (plain, English, the first language). */
static const char *text_in(const struct pb_text *t, const char *lang)
{
        if (t->plain)
                return t->plain;
        for (size_t i = 0; lang && i < t->n; i++)
                if (!strcmp(t->lang[i], lang))
                        return t->value[i];
        for (size_t i = 0; i < t->n; i++)
                if (!strcmp(t->lang[i], "en"))
                        return t->value[i];
        return t->n ? t->value[0] : NULL;
}

bool cli_result_lang_ok(const struct pb_manifest *m, const char *lang, char *langs, size_t cap)
{
        const struct pb_text *t = &m->title;

        if (cap)
                langs[0] = '\0';
        if (!lang || t->plain || !t->n)
                return true; /* texts without languages read the same in every language */
        for (size_t i = 0; i < t->n; i++) {
                size_t n = strlen(langs);

                if (!strcmp(t->lang[i], lang))
                        return true;
                if (n < cap)
                        snprintf(langs + n, cap - n, "%s%s", i ? ", " : "", t->lang[i]);
        }
        return false;
}

/* A project's name: the manifest's in the language asked for, else the document's. */
static const char *name_of(const struct view *v, const char *id, const char *fallback)
{
        const struct pb_election *e = v->ct ? v->ct->election : NULL;

        for (size_t i = 0; e && i < e->n_projects; i++)
                if (!strcmp(e->projects[i].id, id)) {
                        const char *s = text_in(&v->ct->names[i], v->lang);
                        return s ? s : fallback;
                }
        return fallback;
}

/* The project of the document with id @id, or NULL. */
static const cJSON *project(const struct view *v, const char *id)
{
        const cJSON *p;

        cJSON_ArrayForEach(p, v->projects) if (!strcmp(str_of(p, "id"), id)) return p;
        return NULL;
}

/* @x units of 10^-scale as "1234.50 EUR": always the currency's decimals. */
static const char *money(const struct view *v, int64_t x, char out[MONEY_MAX])
{
        char digits[PB_MONEY_STR_MAX];
        uint64_t mag = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        size_t n;

        n = (size_t)snprintf(digits, sizeof(digits), "%0*llu", (int)v->scale + 1, (unsigned long long)mag);
        if (v->scale)
                snprintf(out, MONEY_MAX, "%s%.*s.%s%s%s", x < 0 ? "-" : "", (int)(n - v->scale), digits,
                         digits + n - v->scale, v->currency[0] ? " " : "", v->currency);
        else
                snprintf(out, MONEY_MAX, "%s%s%s%s", x < 0 ? "-" : "", digits, v->currency[0] ? " " : "",
                         v->currency);
        return out;
}

/* Read the decimal digits @s[0..n) into @a.  PB_ERR_PARSE on anything else. */
static pb_err big_digits(struct pb_big *a, const char *s, size_t n)
{
        struct pb_big t, d;
        pb_err r = n ? pb_big_set_u64(a, 0) : PB_ERR_PARSE;

        pb_big_init(&t);
        pb_big_init(&d);
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        r = PB_ERR_PARSE;
                if (r == PB_OK)
                        r = pb_big_mul_u64(&t, a, 10);
                if (r == PB_OK)
                        r = pb_big_set_u64(&d, (uint64_t)(s[i] - '0'));
                if (r == PB_OK)
                        r = pb_big_add(a, &t, &d);
        }
        pb_big_release(&t);
        pb_big_release(&d);
        return r;
}

/* A measure's text ("7", "1421842/3913", or "~363.3614617940..." already rounded down) as the
 * fraction @num / @den of minor units. */
static pb_err measure_fraction(const char *s, struct pb_big *num, struct pb_big *den)
{
        const char *slash = strchr(s, '/'), *dot;
        pb_err r;

        if (slash) {
                r = big_digits(num, s, (size_t)(slash - s));
                return r == PB_OK ? big_digits(den, slash + 1, strlen(slash + 1)) : r;
        }
        if (*s == '~')
                s++;
        dot = strchr(s, '.');
        if (!dot) {
                r = big_digits(num, s, strlen(s));
                return r == PB_OK ? pb_big_set_u64(den, 1) : r;
        }
        {
                char buf[160];
                size_t ip = (size_t)(dot - s), fp = strlen(dot + 1);

                if (ip + fp >= sizeof(buf))
                        return PB_ERR_PARSE;
                memcpy(buf, s, ip);
                memcpy(buf + ip, dot + 1, fp);
                r = big_digits(num, buf, ip + fp);
                r = r == PB_OK ? pb_big_set_u64(den, 1) : r;
                for (size_t i = 0; r == PB_OK && i < fp; i++)
                        r = pb_big_mul_u64(den, den, 10);
                return r;
        }
}

/*
 * A price (minor units, as a measure's text) as money with the currency's decimals and at least
 * PRICE_DECIMALS, rounded half up and marked "≈" when not exact: never a raw fraction.
 */
static const char *price(const struct view *v, const char *measure, char out[MONEY_MAX])
{
        unsigned dec = v->scale > PRICE_DECIMALS ? v->scale : PRICE_DECIMALS;
        struct pb_big num, den, q, rem, twice;
        char digits[MONEY_MAX];
        bool rounded = *measure == '~';
        pb_err r;

        pb_big_init(&num);
        pb_big_init(&den);
        pb_big_init(&q);
        pb_big_init(&rem);
        pb_big_init(&twice);
        r = measure_fraction(measure, &num, &den);
        for (unsigned i = v->scale; r == PB_OK && i < dec; i++)
                r = pb_big_mul_u64(&num, &num, 10); /* now in 10^-dec currency units */
        if (r == PB_OK && pb_big_is_zero(&den))
                r = PB_ERR_PARSE;
        if (r == PB_OK)
                r = pb_big_divmod(&q, &rem, &num, &den);
        if (r == PB_OK && !pb_big_is_zero(&rem)) {
                rounded = true;
                r = pb_big_add(&twice, &rem, &rem);
                if (r == PB_OK && pb_big_cmp(&twice, &den) >= 0) {
                        r = pb_big_set_u64(&rem, 1);
                        r = r == PB_OK ? pb_big_add(&twice, &q, &rem) : r;
                        if (r == PB_OK)
                                pb_big_swap(&q, &twice);
                }
        }
        if (r == PB_OK)
                r = pb_big_format(&q, digits + 40, sizeof(digits) - 40);
        if (r == PB_OK) {
                char *d = digits + 40;
                size_t n = strlen(d);

                while (n <= dec) { /* at least one digit before the point */
                        *--d = '0';
                        n++;
                }
                snprintf(out, MONEY_MAX, "%s%.*s.%s%s%s", rounded ? "≈ " : "", (int)(n - dec), d, d + n - dec,
                         v->currency[0] ? " " : "", v->currency);
        } else {
                snprintf(out, MONEY_MAX, "%s (in 1/10^%u %s)", measure, v->scale, v->currency);
        }
        pb_big_release(&num);
        pb_big_release(&den);
        pb_big_release(&q);
        pb_big_release(&rem);
        pb_big_release(&twice);
        return out;
}

static bool rule_is(const struct view *v, const char *name)
{
        return !strcmp(str_of(v->rule, "name"), name);
}

static bool rule_greedy(const struct view *v)
{
        return !strncmp(str_of(v->rule, "name"), "greedy", 6);
}

/* The rule in plain words, with the numbers of this election (docs/rules.md). */
static void print_rule(FILE *f, const struct view *v)
{
        const char *score = str_of(v->rule, "score"), *tie = str_of(v->rule, "tie_break");
        const char *by = !strcmp(score, "votes") ? "votes" : !strcmp(score, "points") ? "points" : score;

        if (rule_is(v, "greedy"))
                fprintf(f,
                        "Rule: greedy by %s. Projects are taken in order of %s, most first; a project that "
                        "no longer fits in the money left is skipped and the next one is tried.\n",
                        by, by);
        else if (rule_is(v, "greedy-no-skip"))
                fprintf(f,
                        "Rule: greedy by %s without skipping. Projects are taken in order of %s, most first, "
                        "until the first one that no longer fits in the money left.\n",
                        by, by);
        else if (rule_is(v, "greedy-threshold"))
                fprintf(f,
                        "Rule: greedy by %s above a threshold. Only projects with at least %lld %s are "
                        "eligible; they are taken in order of %s, skipping what no longer fits.\n",
                        by, (long long)int_of(v->rule, "threshold"), by, by);
        else if (rule_is(v, "greedy-ratio"))
                fprintf(f, "Rule: greedy by %s per unit of cost; a project that no longer fits is skipped.\n",
                        by);
        else if (rule_is(v, "equalshares"))
                fprintf(f,
                        "Rule: the Method of Equal Shares. The budget is split equally among the %lld "
                        "voters; "
                        "a project is funded when its supporters can pay for it from their shares, the one "
                        "cheapest per supporter first, each supporter paying the same price or all they "
                        "have left. Completion: %s.\n",
                        (long long)v->voters, str_of(v->rule, "completion"));
        else if (rule_is(v, "phragmen"))
                fprintf(f, "Rule: sequential Phragmén. Supporters share the cost of each funded project; the "
                           "project that keeps the largest load of any voter smallest is funded next.\n");
        else
                fprintf(f, "Rule: %s.\n", str_of(v->rule, "name"));
        fprintf(f, "Ties are broken by: %s", tie);
        if (member(v->rule, "seed"))
                fprintf(f, " (the published seed %s)", str_of(v->rule, "seed"));
        fputs(".\n", f);
}

/* Why a project was not funded, in plain words. */
static const char *why_not(const struct view *v, const cJSON *p)
{
        const char *reason = str_of(p, "reason");

        if (!strcmp(reason, "no_money"))
                return rule_greedy(v) ? "not enough money left when its turn came"
                                      : "not enough money left for it at the end";
        if (!strcmp(reason, "stopped"))
                return "the count stopped at an earlier project that did not fit";
        if (!strcmp(reason, "below_threshold"))
                return "below the threshold";
        if (!strcmp(reason, "withdrawn"))
                return "withdrawn";
        if (!strcmp(reason, "unaffordable"))
                return "its supporters' shares could not pay for it";
        if (!strcmp(reason, "no_support"))
                return "no votes";
        if (!strcmp(reason, "comparison"))
                return "funded only by the outcome the comparison rejected";
        return reason;
}

/* The step (1-based) of the document at which @id was funded, or NULL. */
static const cJSON *step_of(const struct view *v, const char *id)
{
        const cJSON *s;

        cJSON_ArrayForEach(s, v->steps) if (!strcmp(str_of(s, "project"), id)) return s;
        return NULL;
}

/* "1 vote", "12 votes" into @out. */
static const char *votes(int64_t n, char out[MONEY_MAX])
{
        snprintf(out, MONEY_MAX, "%lld %s", (long long)n, n == 1 ? "vote" : "votes");
        return out;
}

static void print_funded(FILE *f, const struct view *v)
{
        bool mes = rule_is(v, "equalshares"), load = rule_is(v, "phragmen") || rule_is(v, "maximin-support");
        char a[MONEY_MAX], b[MONEY_MAX];
        const cJSON *w;
        int k = 0;

        fprintf(f, "\nFunded, in the order chosen (%d):\n", cJSON_GetArraySize(v->winners));
        cJSON_ArrayForEach(w, v->winners)
        {
                const char *id = cJSON_IsString(w) ? w->valuestring : "";
                const cJSON *p = project(v, id), *s = step_of(v, id);

                fprintf(f, "%3d. %s  %s  cost %s, %s", ++k, id, name_of(v, id, str_of(p, "name")),
                        money(v, int_of(p, "cost"), a), votes(int_of(p, "votes"), b));
                if (s && (mes || load))
                        fprintf(f, "; %s %s, %lld %s", mes ? "each supporter paid" : "largest load",
                                price(v, str_of(s, "measure"), b), (long long)int_of(s, "supporters"),
                                mes ? "supporters paid" : "supporters");
                fputs("\n", f);
        }
}

static void print_unfunded(FILE *f, const struct view *v)
{
        char a[MONEY_MAX], b[MONEY_MAX];
        const cJSON *p;
        bool any = false;

        cJSON_ArrayForEach(p, v->projects)
        {
                if (cJSON_IsTrue(member(p, "selected")))
                        continue;
                if (!any)
                        fputs("\nNot funded:\n", f);
                any = true;
                fprintf(f, "     %s  %s  cost %s, %s: %s", str_of(p, "id"),
                        name_of(v, str_of(p, "id"), str_of(p, "name")), money(v, int_of(p, "cost"), a),
                        votes(int_of(p, "votes"), b), why_not(v, p));
                if (*str_of(p, "supporters_left"))
                        fprintf(f, " (they had %s left in all; it costs %s)",
                                price(v, str_of(p, "supporters_left"), b), money(v, int_of(p, "cost"), a));
                fputs("\n", f);
        }
}

/* Each tie, the order the tie-break put the tied projects in, and whether it mattered. */
static void print_ties(FILE *f, const struct view *v)
{
        const char *on, *score = str_of(v->rule, "score");
        const cJSON *t, *id;

        cJSON_ArrayForEach(t, v->ties)
        {
                on = str_of(t, "on");
                fprintf(f, "%sAt step %lld these had the same %s and were taken in this order (%s):",
                        t == v->ties->child ? "\nTies:\n" : "", (long long)int_of(t, "step"),
                        !strcmp(on, "score") && *score ? score : on, str_of(v->rule, "tie_break"));
                cJSON_ArrayForEach(id, member(t, "tied"))
                        fprintf(f, " %s", cJSON_IsString(id) ? id->valuestring : "");
                fputs(cJSON_IsTrue(member(t, "decisive")) ? "; this decided which of them were funded.\n"
                                                          : ".\n",
                      f);
        }
}

/* Equal shares: each voter's share at the start (budget / voters) and, after a completion, the
 * share the outcome was counted with. */
static void print_details(FILE *f, const struct view *v)
{
        char a[MONEY_MAX], frac[64];
        const char *vb = str_of(v->details, "voter_budget"), *completion = str_of(v->rule, "completion");

        if (!rule_is(v, "equalshares") || v->voters <= 0)
                return;
        snprintf(frac, sizeof(frac), "%lld/%lld", (long long)v->budget, (long long)v->voters);
        fprintf(f, "\nEach voter's share at the start: the budget divided by %lld voters, %s\n",
                (long long)v->voters, price(v, frac, a));
        if (*vb && strcmp(completion, "none"))
                fprintf(f,
                        "After the %s completion (the share raised one currency unit at a time while the "
                        "outcome "
                        "still fit the budget), each voter's share was %s\n",
                        completion, price(v, vb, a));
}

/* Read the tally document @node (one contest's) into @v. */
static pb_err view_open(struct view *v, const cJSON *node, const struct pb_contest *ct, const char *lang,
                        struct pb_diag *d)
{
        memset(v, 0, sizeof(*v));
        v->root = node;
        v->projects = member(node, "projects");
        v->rule = member(node, "rule");
        v->steps = member(node, "steps");
        v->ties = member(node, "ties");
        v->details = member(node, "details");
        v->winners = member(node, "winners");
        if (!cJSON_IsArray(v->projects) || !cJSON_IsObject(v->rule) || !cJSON_IsArray(v->steps) ||
            !cJSON_IsArray(v->ties) || !cJSON_IsArray(v->winners) ||
            !cJSON_IsString(member(node, "currency")))
                return pb_diag_set(d, PB_ERR_PARSE, "$.tally", "not a tally document of pbvote");
        v->ct = ct;
        v->lang = lang;
        v->currency = str_of(node, "currency");
        v->scale = (unsigned)int_of(node, "scale");
        if (v->scale > 18)
                return pb_diag_set(d, PB_ERR_PARSE, "$.tally.scale", "out of range");
        v->budget = int_of(node, "budget");
        v->spent = int_of(node, "spent");
        v->voters = int_of(node, "voters");
        return PB_OK;
}

static void print_money_line(FILE *f, const struct view *v)
{
        char a[MONEY_MAX], b[MONEY_MAX], c[MONEY_MAX];

        fprintf(f, "Budget: %s    spent: %s    left: %s\n", money(v, v->budget, a), money(v, v->spent, b),
                money(v, v->budget - v->spent, c));
}

/* The contest of @m whose id is @id, or NULL. */
static const struct pb_contest *contest_of(const struct pb_manifest *m, const char *id)
{
        for (size_t k = 0; m && k < m->n_contests; k++)
                if (!strcmp(m->contests[k].election->id, id))
                        return &m->contests[k];
        return NULL;
}

typedef void (*contest_fn)(FILE *f, const struct view *v);

/*
 * Parse @tally and call @fn for each contest's document: the document itself in the one-contest
 * form, each of {"contests": {"<id>": document, ...}} (issue 14) under a heading otherwise.
 */
static pb_err each_contest(FILE *f, const char *tally, size_t len, const struct pb_manifest *m,
                           const char *lang, contest_fn fn, struct pb_diag *d)
{
        const cJSON *contests, *c;
        cJSON *tree = NULL;
        struct view v;
        pb_err r = pb_json_parse(tally, len, 0, &tree, d);

        if (r < 0)
                return r;
        contests = member(tree, "contests");
        if (!cJSON_IsObject(contests)) {
                r = view_open(&v, tree, m ? &m->contests[0] : NULL, lang, d);
                if (r == PB_OK)
                        fn(f, &v);
                goto out;
        }
        cJSON_ArrayForEach(c, contests)
        {
                const struct pb_contest *ct = contest_of(m, c->string);
                const char *title = ct ? text_in(&ct->title, lang) : NULL;

                r = view_open(&v, c, ct, lang, d);
                if (r < 0)
                        break;
                fprintf(f, "\n== Contest %s%s%s%s ==\n", c->string, title ? " (" : "", title ? title : "",
                        title ? ")" : "");
                fn(f, &v);
        }
out:
        cJSON_Delete(tree);
        return r;
}

static void print_contest(FILE *f, const struct view *v)
{
        print_rule(f, v);
        fprintf(f, "Voters: %lld\n", (long long)v->voters);
        print_money_line(f, v);
        print_funded(f, v);
        print_unfunded(f, v);
        print_details(f, v);
        print_ties(f, v);
}

pb_err cli_result_print(FILE *f, const char *tally, size_t len, const struct pb_manifest *m, const char *lang,
                        struct pb_diag *reterr)
{
        const char *title = m ? text_in(&m->title, lang) : NULL;

        if (title)
                fprintf(f, "%s (election %s)\n", title, m->election->id);
        return each_contest(f, tally, len, m, lang, print_contest, reterr);
}

static void print_winners(FILE *f, const struct view *v)
{
        char a[MONEY_MAX];
        const cJSON *w;

        print_money_line(f, v);
        fprintf(f, "Winners (%d):\n", cJSON_GetArraySize(v->winners));
        cJSON_ArrayForEach(w, v->winners)
        {
                const char *id = cJSON_IsString(w) ? w->valuestring : "";
                const cJSON *p = project(v, id);

                fprintf(f, "  %s  %s  %s\n", id, name_of(v, id, str_of(p, "name")),
                        money(v, int_of(p, "cost"), a));
        }
}

pb_err cli_result_summary(FILE *f, const struct pb_doc_result *doc, const uint8_t result_sha256[32],
                          const struct pb_manifest *m, const char *lang, struct pb_diag *reterr)
{
        char hex[65];

        fprintf(f, "Election: %s", doc->election);
        if (m && text_in(&m->title, lang))
                fprintf(f, " (%s)", text_in(&m->title, lang));
        sodium_bin2hex(hex, sizeof(hex), doc->manifest_sha256, 32);
        fprintf(f, "\nManifest SHA-256: %s\n", hex);
        sodium_bin2hex(hex, sizeof(hex), result_sha256, 32);
        fprintf(f, "Result SHA-256:   %s (%s)\n", hex, doc->engine);
        fprintf(f, "Ballots: %llu (", (unsigned long long)doc->counts.ballots);
        for (int c = 0; c < PB_CHANNEL_COUNT; c++)
                fprintf(f, "%s%s %llu", c ? ", " : "", pb_channel_name((enum pb_channel)c),
                        (unsigned long long)doc->counts.by_channel[c]);
        fprintf(f, "), in a log of %llu\n", (unsigned long long)doc->log.size);
        return each_contest(f, doc->tally, doc->tally_len, m, lang, print_winners, reterr);
}

pb_err cli_result_load(const char *data, size_t len, const struct pb_manifest *m, struct cli_result *ret,
                       struct pb_diag *reterr)
{
        struct pb_buf canon;
        uint8_t h[32];
        pb_err r;

        memset(ret, 0, sizeof(*ret));
        pb_seal_envelope_init(&ret->env);
        pb_buf_init(&canon, 0);
        r = pb_envelope_parse(data, len, PB_ENVELOPE_ANY_LAYOUT, &ret->env, reterr);
        if (r == PB_OK && strcmp(ret->env.payload_type, PB_SEAL_TYPE_RESULT))
                r = pb_diag_set(reterr, PB_ERR_INVALID, "payloadType", "not a signed result");
        /* a vote of several contests is read with its manifest only (its counts are by contest) */
        if (r == PB_OK)
                r = pb_doc_result_parse((const char *)ret->env.payload, ret->env.payload_len, m, &ret->doc,
                                        NULL, NULL, reterr);
        if (r < 0 || !m)
                goto out;
        if (strcmp(ret->doc.election, m->election->id))
                r = pb_diag_set(reterr, PB_ERR_INVALID, "election", "the result of another election");
        if (r == PB_OK && !m->has_keys)
                r = pb_diag_set(reterr, PB_ERR_INVALID, "manifest", "the election was never opened: no keys");
        if (r == PB_OK)
                r = pb_seal_verify(&ret->env, PB_SEAL_TYPE_RESULT, &m->engine_key, 0, reterr);
        if (r == PB_OK)
                r = pb_manifest_format(m, &canon);
        if (r == PB_OK) {
                crypto_hash_sha256(h, (const uint8_t *)canon.data, canon.len);
                if (memcmp(h, ret->doc.manifest_sha256, 32))
                        r = pb_diag_set(reterr, PB_ERR_INVALID, "manifest_sha256",
                                        "the result names another manifest than the ballot box's");
        }
        ret->checked = r == PB_OK;
out:
        if (r == PB_OK)
                crypto_hash_sha256(ret->sha256, ret->env.payload, ret->env.payload_len);
        pb_buf_release(&canon);
        return r;
}

void cli_result_release(struct cli_result *r)
{
        pb_seal_envelope_release(&r->env);
}
