/** @file RCTab contest configs (JSON) into rules, sources and candidates (ContestConfig.java). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/format_rctab_int.h"
#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_hash.h"

void pb_rctab_config_init(struct pb_rctab_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        pb_ranked_contest_init(&cfg->contest);
        pb_rctab_rules_init(&cfg->rules);
        cfg->uwi = -1;
}

static void source_release(struct pb_rctab_source *s)
{
        pb_free(s->path);
        pb_free(s->contest_id);
        pb_free(s->overvote_delimiter);
        pb_free(s->overvote_label);
        pb_free(s->skipped_label);
        pb_free(s->uwi_label);
}

void pb_rctab_config_release(struct pb_rctab_config *cfg)
{
        size_t i;

        if (!cfg)
                return;
        pb_free(cfg->contest_name);
        pb_free(cfg->date);
        pb_free(cfg->jurisdiction);
        pb_free(cfg->office);
        for (i = 0; i < cfg->n_sources; i++)
                source_release(&cfg->sources[i]);
        pb_free(cfg->sources);
        for (i = 0; i < cfg->n_alias; i++)
                pb_free(cfg->alias[i].name);
        pb_free(cfg->alias);
        pb_free(cfg->alias_slots);
        pb_free(cfg->base_dir);
        pb_free(cfg->err_file);
        pb_ranked_contest_release(&cfg->contest);
        memset(cfg, 0, sizeof(*cfg));
        cfg->uwi = -1;
}

static pb_err fail(struct pb_diag *reterr, pb_err code, const char *path, const char *reason)
{
        return pb_diag_set(reterr, code, path, reason);
}

/* A string field: missing or null is "", a number is its integer text (older configs). */
static pb_err get_str(const cJSON *obj, const char *key, const char *path, char **ret, struct pb_diag *reterr)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        char num[32];
        const char *s = "";
        char *copy;

        if (v && cJSON_IsString(v))
                s = v->valuestring;
        else if (v && cJSON_IsNumber(v)) {
                if (v->valuedouble != (double)(long)v->valuedouble)
                        return fail(reterr, PB_ERR_PARSE, path, "expected a whole number");
                snprintf(num, sizeof(num), "%ld", (long)v->valuedouble);
                s = num;
        } else if (v && !cJSON_IsNull(v))
                return fail(reterr, PB_ERR_PARSE, path, "expected a string");
        copy = pb_strndup(s, strlen(s));
        if (!copy)
                return PB_ERR_NOMEM;
        pb_free(*ret);
        *ret = copy;
        return PB_OK;
}

static pb_err get_bool(const cJSON *obj, const char *key, const char *path, bool *ret, struct pb_diag *reterr)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

        if (!v || cJSON_IsNull(v)) {
                *ret = false;
                return PB_OK;
        }
        if (cJSON_IsBool(v)) {
                *ret = cJSON_IsTrue(v);
                return PB_OK;
        }
        if (cJSON_IsString(v) && (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false"))) {
                *ret = !strcmp(v->valuestring, "true");
                return PB_OK;
        }
        return fail(reterr, PB_ERR_PARSE, path, "expected true or false");
}

/* A whole number field written as a string (or a number): blank gives @dflt. */
static pb_err get_long(const cJSON *obj, const char *key, const char *path, long lo, long hi, long dflt,
                       long *ret, struct pb_diag *reterr)
{
        char *s = NULL;
        const char *t;
        size_t n;
        long v;
        pb_err r = get_str(obj, key, path, &s, reterr);

        if (r < 0)
                return r;
        t = s;
        n = strlen(s);
        rk_trim(&t, &n);
        if (n == 0)
                v = dflt;
        else if (!rk_parse_long(t, n, &v) || v < lo || v > hi)
                r = fail(reterr, PB_ERR_INVALID, path, "not a whole number in the allowed range");
        pb_free(s);
        if (r < 0)
                return r;
        *ret = v;
        return PB_OK;
}

struct name_map {
        const char *name;
        int value;
};

static pb_err get_enum(const cJSON *obj, const char *key, const char *path, const struct name_map *map,
                       int dflt, int *ret, struct pb_diag *reterr)
{
        char *s = NULL;
        pb_err r = get_str(obj, key, path, &s, reterr);
        size_t i;

        if (r < 0)
                return r;
        if (!s[0]) {
                *ret = dflt;
                goto out;
        }
        for (i = 0; map[i].name; i++)
                if (!strcmp(map[i].name, s)) {
                        *ret = map[i].value;
                        goto out;
                }
        r = fail(reterr, PB_ERR_INVALID, path, "unknown value");
        pb_diag_subject(reterr, s, strlen(s));
out:
        pb_free(s);
        return r;
}

static const struct name_map modes[] = {
        { "singleWinnerMajority", PB_RCTAB_SINGLE },
        { "multiWinnerAllowOnlyOneWinnerPerRound", PB_RCTAB_MULTI_ONE_PER_ROUND },
        { "multiWinnerAllowMultipleWinnersPerRound", PB_RCTAB_MULTI },
        { "bottomsUp", PB_RCTAB_BOTTOMS_UP },
        { "bottomsUpUsingPercentageThreshold", PB_RCTAB_BOTTOMS_UP_PERCENTAGE },
        { "multiPassIrv", PB_RCTAB_MULTI_PASS },
        /* RCTab 1.x names */
        { "standard", PB_RCTAB_SINGLE },
        { "multiSeatAllowOnlyOneWinnerPerRound", PB_RCTAB_MULTI_ONE_PER_ROUND },
        { "multiSeatBottomsUp", PB_RCTAB_BOTTOMS_UP },
        { "multiSeatSequentialWinnerTakesAll", PB_RCTAB_MULTI_PASS },
        { NULL, 0 },
};

static const struct name_map overvotes[] = {
        { "exhaustImmediately", PB_RCTAB_EXHAUST_IMMEDIATELY },
        { "alwaysSkipToNextRank", PB_RCTAB_ALWAYS_SKIP },
        { "exhaustIfMultipleContinuing", PB_RCTAB_EXHAUST_IF_MULTIPLE },
        { NULL, 0 },
};

static const struct name_map tiebreaks[] = {
        { "random", PB_RCTAB_TIE_RANDOM },
        { "stopCountingAndAsk", PB_RCTAB_TIE_ASK },
        { "previousRoundCountsThenRandom", PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM },
        { "previousRoundCountsThenAsk", PB_RCTAB_TIE_PREVIOUS_THEN_ASK },
        { "useCandidateOrder", PB_RCTAB_TIE_CANDIDATE_ORDER },
        { "generatePermutation", PB_RCTAB_TIE_PERMUTATION },
        { NULL, 0 },
};

static const struct name_map providers[] = {
        { "ess", PB_RCTAB_ESS },
        { "genericCsv", PB_RCTAB_GENERIC_CSV },
        { "cdf", PB_RCTAB_CDF },
        { "dominion", PB_RCTAB_DOMINION },
        { "clearBallot", PB_RCTAB_CLEAR_BALLOT },
        { "hart", -1 },
        { NULL, 0 },
};

static char *join_path(const char *dir, const char *file)
{
        size_t a = dir ? strlen(dir) : 0, b = strlen(file);
        char *p;

        if (!a || file[0] == '/')
                return pb_strndup(file, b);
        p = pb_malloc(a + b + 2);
        if (!p)
                return NULL;
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, file, b + 1);
        return p;
}

static pb_err parse_source(const cJSON *js, const cJSON *rules, const char *base_dir,
                           struct pb_rctab_source *s, struct pb_diag *reterr)
{
        char *file = NULL;
        int prov;
        long v;
        pb_err r;

        r = get_enum(js, "provider", "cvrFileSources.provider", providers, PB_RCTAB_ESS, &prov, reterr);
        if (r < 0)
                return r;
        if (prov < 0)
                return fail(reterr, PB_ERR_UNSUPPORTED, "cvrFileSources.provider",
                            "this build does not read Hart XML CVRs");
        s->provider = (enum pb_rctab_provider)prov;
        r = get_str(js, "filePath", "cvrFileSources.filePath", &file, reterr);
        if (r < 0)
                return r;
        if (!file[0]) {
                pb_free(file);
                return fail(reterr, PB_ERR_INVALID, "cvrFileSources.filePath",
                            "every source needs a filePath");
        }
        s->path = join_path(base_dir, file);
        pb_free(file);
        if (!s->path)
                return PB_ERR_NOMEM;
        if ((r = get_str(js, "contestId", "cvrFileSources.contestId", &s->contest_id, reterr)) < 0 ||
            (r = get_str(js, "overvoteDelimiter", "cvrFileSources.overvoteDelimiter", &s->overvote_delimiter,
                         reterr)) < 0)
                return r;
        /* labels moved from "rules" to each source in RCTab 1.2; read both places */
        if ((r = get_str(rules, "overvoteLabel", "rules.overvoteLabel", &s->overvote_label, reterr)) < 0 ||
            (r = get_str(rules, "undervoteLabel", "rules.undervoteLabel", &s->skipped_label, reterr)) < 0 ||
            (r = get_str(rules, "undeclaredWriteInLabel", "rules.undeclaredWriteInLabel", &s->uwi_label,
                         reterr)) < 0 ||
            (r = get_bool(rules, "treatBlankAsUndeclaredWriteIn", "rules.treatBlankAsUndeclaredWriteIn",
                          &s->blank_is_uwi, reterr)) < 0)
                return r;
        if (cJSON_GetObjectItemCaseSensitive(js, "overvoteLabel") &&
            (r = get_str(js, "overvoteLabel", "cvrFileSources.overvoteLabel", &s->overvote_label, reterr)) <
                    0)
                return r;
        if (cJSON_GetObjectItemCaseSensitive(js, "undervoteLabel") &&
            (r = get_str(js, "undervoteLabel", "cvrFileSources.undervoteLabel", &s->skipped_label, reterr)) <
                    0)
                return r;
        if (cJSON_GetObjectItemCaseSensitive(js, "skippedRankLabel") &&
            (r = get_str(js, "skippedRankLabel", "cvrFileSources.skippedRankLabel", &s->skipped_label,
                         reterr)) < 0)
                return r;
        if (cJSON_GetObjectItemCaseSensitive(js, "undeclaredWriteInLabel") &&
            (r = get_str(js, "undeclaredWriteInLabel", "cvrFileSources.undeclaredWriteInLabel", &s->uwi_label,
                         reterr)) < 0)
                return r;
        if (cJSON_GetObjectItemCaseSensitive(js, "treatBlankAsUndeclaredWriteIn") &&
            (r = get_bool(js, "treatBlankAsUndeclaredWriteIn", "cvrFileSources.treatBlankAsUndeclaredWriteIn",
                          &s->blank_is_uwi, reterr)) < 0)
                return r;
        if (s->blank_is_uwi && !s->uwi_label[0])
                return fail(reterr, PB_ERR_INVALID, "cvrFileSources.treatBlankAsUndeclaredWriteIn",
                            "treatBlankAsUndeclaredWriteIn needs an undeclaredWriteInLabel");
        if ((r = get_long(js, "firstVoteColumnIndex", "cvrFileSources.firstVoteColumnIndex", 1, 1000, 0, &v,
                          reterr)) < 0)
                return r;
        s->first_vote_col = (unsigned)v;
        if ((r = get_long(js, "firstVoteRowIndex", "cvrFileSources.firstVoteRowIndex", 1, 100000, 0, &v,
                          reterr)) < 0)
                return r;
        s->first_vote_row = (unsigned)v;
        if ((r = get_long(js, "idColumnIndex", "cvrFileSources.idColumnIndex", 1, 1000, 0, &v, reterr)) < 0)
                return r;
        s->id_col = (unsigned)v;
        if ((r = get_long(js, "precinctColumnIndex", "cvrFileSources.precinctColumnIndex", 1, 100000, 0, &v,
                          reterr)) < 0)
                return r;
        s->slice_col[PB_RANKED_PRECINCT] = (unsigned)v;
        if ((r = get_long(js, "batchColumnIndex", "cvrFileSources.batchColumnIndex", 1, 100000, 0, &v,
                          reterr)) < 0)
                return r;
        s->slice_col[PB_RANKED_BATCH] = (unsigned)v;
        if (s->overvote_delimiter[0] && s->overvote_label[0])
                return fail(reterr, PB_ERR_INVALID, "cvrFileSources.overvoteDelimiter",
                            "overvoteDelimiter and overvoteLabel cannot both be set");
        return PB_OK;
}

static int cmp_alias(const void *a, const void *b)
{
        return strcmp(((const struct pb_rctab_alias *)a)->name, ((const struct pb_rctab_alias *)b)->name);
}

static pb_err alias_add(struct pb_rctab_config *cfg, const char *name, uint32_t cand)
{
        struct pb_rctab_alias *a = pb_grow(cfg->alias, &cfg->cap_alias, cfg->n_alias + 1, sizeof(*a), 16);

        if (!a)
                return PB_ERR_NOMEM;
        cfg->alias = a;
        a[cfg->n_alias].len = strlen(name);
        a[cfg->n_alias].name = pb_strndup(name, a[cfg->n_alias].len);
        if (!a[cfg->n_alias].name)
                return PB_ERR_NOMEM;
        a[cfg->n_alias].cand = cand;
        cfg->n_alias++;
        return PB_OK;
}

static uint32_t hash_name(const char *s, size_t len)
{
        return (uint32_t)pb_hash_fnv1a(s, len);
}

/* Index the sorted names for pb_rctab_lookup(): every CVR cell is looked up. */
static pb_err build_alias_index(struct pb_rctab_config *cfg)
{
        size_t n = 16, i;

        while (n < cfg->n_alias * 2)
                n *= 2;
        cfg->alias_slots = pb_calloc(n, sizeof(*cfg->alias_slots));
        if (!cfg->alias_slots)
                return PB_ERR_NOMEM;
        cfg->n_alias_slots = n;
        for (i = 0; i < cfg->n_alias; i++) {
                size_t k = hash_name(cfg->alias[i].name, cfg->alias[i].len) & (n - 1);
                while (cfg->alias_slots[k])
                        k = (k + 1) & (n - 1);
                cfg->alias_slots[k] = (uint32_t)i + 1;
        }
        return PB_OK;
}

long pb_rctab_lookup(const struct pb_rctab_config *cfg, const char *s, size_t len)
{
        size_t k, mask = cfg->n_alias_slots - 1;

        if (!cfg->n_alias_slots)
                return -1;
        for (k = hash_name(s, len) & mask; cfg->alias_slots[k]; k = (k + 1) & mask) {
                const struct pb_rctab_alias *a = &cfg->alias[cfg->alias_slots[k] - 1];
                if (a->len == len && !memcmp(a->name, s, len))
                        return (long)a->cand;
        }
        return -1;
}

static pb_err parse_candidates(const cJSON *arr, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        const cJSON *js, *a;
        size_t i;
        pb_err r;

        if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr))
                return fail(reterr, PB_ERR_INVALID, "candidates", "the config lists no candidates");
        cJSON_ArrayForEach(js, arr)
        {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "name");
                uint32_t idx;
                bool excl;

                if (!cJSON_IsString(name) || !name->valuestring[0])
                        return fail(reterr, PB_ERR_INVALID, "candidates.name",
                                    "every candidate needs a name");
                if (!pb_utf8_valid(name->valuestring, strlen(name->valuestring)))
                        return fail(reterr, PB_ERR_PARSE, "candidates.name", "a candidate name is not UTF-8");
                r = pb_ranked_candidate_add(&cfg->contest, name->valuestring, strlen(name->valuestring),
                                            &idx);
                if (r < 0)
                        return r == PB_ERR_NOMEM ? r
                                                 : fail(reterr, r, "candidates.name", "bad candidate name");
                if ((r = get_bool(js, "excluded", "candidates.excluded", &excl, reterr)) < 0)
                        return r;
                cfg->contest.cand[idx].excluded = excl;
                if ((r = alias_add(cfg, name->valuestring, idx)) < 0)
                        return r;
                a = cJSON_GetObjectItemCaseSensitive(js, "code"); /* RCTab 1.x */
                if (cJSON_IsString(a) && a->valuestring[0] && (r = alias_add(cfg, a->valuestring, idx)) < 0)
                        return r;
                a = cJSON_GetObjectItemCaseSensitive(js, "aliases");
                if (a && !cJSON_IsArray(a))
                        return fail(reterr, PB_ERR_PARSE, "candidates.aliases",
                                    "expected an array of strings");
                if (a) {
                        const cJSON *al;
                        cJSON_ArrayForEach(al, a)
                        {
                                if (!cJSON_IsString(al))
                                        return fail(reterr, PB_ERR_PARSE, "candidates.aliases",
                                                    "expected an array of strings");
                                if (al->valuestring[0] && (r = alias_add(cfg, al->valuestring, idx)) < 0)
                                        return r;
                        }
                }
        }
        for (i = 0; i < cfg->n_sources; i++)
                if (cfg->sources[i].uwi_label[0] || cfg->sources[i].blank_is_uwi)
                        break;
        if (i < cfg->n_sources) {
                uint32_t idx;
                r = pb_ranked_candidate_add(&cfg->contest, PB_RCTAB_UWI_NAME, strlen(PB_RCTAB_UWI_NAME),
                                            &idx);
                if (r < 0)
                        return r;
                cfg->contest.cand[idx].uwi = true;
                cfg->uwi = (long)idx;
                if ((r = alias_add(cfg, PB_RCTAB_UWI_NAME, idx)) < 0)
                        return r;
        }
        qsort(cfg->alias, cfg->n_alias, sizeof(*cfg->alias), cmp_alias);
        for (i = 1; i < cfg->n_alias; i++)
                if (!strcmp(cfg->alias[i - 1].name, cfg->alias[i].name)) {
                        r = fail(reterr, PB_ERR_INVALID, "candidates", "a name or alias is used twice");
                        pb_diag_subject(reterr, cfg->alias[i].name, strlen(cfg->alias[i].name));
                        return r;
                }
        r = build_alias_index(cfg);
        if (r < 0)
                return r;
        for (i = 0; i < cfg->contest.n_cand && cfg->contest.cand[i].excluded; i++)
                ;
        if (i == cfg->contest.n_cand)
                return fail(reterr, PB_ERR_INVALID, "candidates", "every candidate is excluded");
        return PB_OK;
}

/* The three required modes: who wins, overvotes, ties. */
static pb_err parse_modes(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        struct pb_rctab_rules *r = &cfg->rules;
        int e;
        pb_err err = PB_OK;

        if ((err = get_enum(ru, "winnerElectionMode", "rules.winnerElectionMode", modes, -1, &e, reterr)) < 0)
                return err;
        if (e < 0)
                return fail(reterr, PB_ERR_INVALID, "rules.winnerElectionMode",
                            "winnerElectionMode is required");
        r->mode = (enum pb_rctab_mode)e;
        if ((err = get_enum(ru, "overvoteRule", "rules.overvoteRule", overvotes, -1, &e, reterr)) < 0)
                return err;
        if (e < 0)
                return fail(reterr, PB_ERR_INVALID, "rules.overvoteRule", "overvoteRule is required");
        r->overvote = (enum pb_rctab_overvote)e;
        if ((err = get_enum(ru, "tiebreakMode", "rules.tiebreakMode", tiebreaks, -1, &e, reterr)) < 0)
                return err;
        if (e < 0)
                return fail(reterr, PB_ERR_INVALID, "rules.tiebreakMode", "tiebreakMode is required");
        r->tiebreak = (enum pb_rctab_tiebreak)e;
        return PB_OK;
}

/* Decimal places, seats and the random seed (required by the random tie-breaks). */
static pb_err parse_counts(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        struct pb_rctab_rules *r = &cfg->rules;
        char *s = NULL;
        long v;
        pb_err err = PB_OK;

        if ((err = get_long(ru, "decimalPlacesForVoteArithmetic", "rules.decimalPlacesForVoteArithmetic", 1,
                            20, 4, &v, reterr)) < 0)
                return err;
        if (v > (long)PB_RANKED_MAX_SCALE)
                return fail(reterr, PB_ERR_UNSUPPORTED, "rules.decimalPlacesForVoteArithmetic",
                            "this build counts with at most " PB_STRINGIFY(
                                    PB_RANKED_MAX_DECIMALS) " decimal places");
        r->scale = (unsigned)v;
        if ((err = get_long(ru, "numberOfWinners", "rules.numberOfWinners", 0, 4000, 1, &v, reterr)) < 0)
                return err;
        r->seats = (unsigned)v;
        if (r->seats == 0 && r->mode != PB_RCTAB_BOTTOMS_UP_PERCENTAGE)
                return fail(reterr, PB_ERR_INVALID, "rules.numberOfWinners",
                            "zero winners needs bottomsUpUsingPercentageThreshold");
        if (r->seats > 1 && r->mode == PB_RCTAB_SINGLE)
                return fail(reterr, PB_ERR_INVALID, "rules.winnerElectionMode",
                            "singleWinnerMajority cannot fill several seats");
        if ((err = get_long(ru, "randomSeed", "rules.randomSeed", -140737488355328L, 140737488355327L, 0, &v,
                            reterr)) < 0)
                return err;
        r->seed = v;
        if ((r->tiebreak == PB_RCTAB_TIE_RANDOM || r->tiebreak == PB_RCTAB_TIE_PREVIOUS_THEN_RANDOM ||
             r->tiebreak == PB_RCTAB_TIE_PERMUTATION)) {
                if ((err = get_str(ru, "randomSeed", "rules.randomSeed", &s, reterr)) < 0)
                        return err;
                v = s[0];
                pb_free(s);
                s = NULL;
                if (!v)
                        return fail(reterr, PB_ERR_INVALID, "rules.randomSeed",
                                    "this tiebreakMode needs a randomSeed");
        }
        return PB_OK;
}

/* How many ranks may be skipped, and how many a ballot may rank. */
static pb_err parse_ranks(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        struct pb_rctab_rules *r = &cfg->rules;
        char *s = NULL;
        long v;
        pb_err err = PB_OK;

        if ((err = get_str(ru, "maxSkippedRanksAllowed", "rules.maxSkippedRanksAllowed", &s, reterr)) < 0)
                return err;
        if (!s[0])
                r->max_skipped = 1; /* RCTab's suggested default */
        else if (!strcasecmp(s, "unlimited"))
                r->max_skipped = -1;
        else if (!rk_parse_long(s, strlen(s), &v) || v < 0)
                err = fail(reterr, PB_ERR_INVALID, "rules.maxSkippedRanksAllowed",
                           "expected a number of ranks or \"unlimited\"");
        else
                r->max_skipped = v;
        pb_free(s);
        s = NULL;
        if (err < 0)
                return err;
        if ((err = get_str(ru, "maxRankingsAllowed", "rules.maxRankingsAllowed", &s, reterr)) < 0)
                return err;
        if (!s[0] || !strcasecmp(s, "max"))
                cfg->max_rankings = 0; /* resolved once the candidates are known */
        else if (!rk_parse_long(s, strlen(s), &v) || v < 1 || v > (long)PB_RANKED_MAX_RANK)
                err = fail(reterr, PB_ERR_INVALID, "rules.maxRankingsAllowed",
                           "expected a number of ranks or \"max\"");
        else
                cfg->max_rankings = (unsigned)v;
        pb_free(s);
        s = NULL;
        if (err < 0)
                return err;
        return PB_OK;
}

/* When the count stops early, and the vote thresholds. */
static pb_err parse_thresholds(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        struct pb_rctab_rules *r = &cfg->rules;
        char *s = NULL;
        long v;
        pb_err err = PB_OK;

        if ((err = get_long(ru, "stopTabulationEarlyAfterRound", "rules.stopTabulationEarlyAfterRound", 1,
                            1000000, 0, &v, reterr)) < 0)
                return err;
        r->stop_after_round = (unsigned)v;
        if ((err = get_str(ru, "minimumVoteThreshold", "rules.minimumVoteThreshold", &s, reterr)) < 0)
                return err;
        r->minimum_vote_threshold = 0;
        if (s[0])
                err = pb_ranked_parse_value(s, strlen(s), r->scale, true, &r->minimum_vote_threshold, reterr);
        pb_free(s);
        s = NULL;
        if (err < 0)
                return pb_diag_set(reterr, err, "rules.minimumVoteThreshold", "not a number");
        if ((err = get_str(ru, "multiSeatBottomsUpPercentageThreshold",
                           "rules.multiSeatBottomsUpPercentageThreshold", &s, reterr)) < 0)
                return err;
        if (s[0]) {
                /* percent / 100, truncated at the arithmetic's decimal places (ContestConfig.divide) */
                int64_t pct;
                err = pb_ranked_parse_value(s, strlen(s), r->scale + 2, true, &pct, reterr);
                if (err >= 0 && (pct < 0 || pct > 100 * (int64_t)1000000000000))
                        err = PB_ERR_INVALID;
                r->bottoms_up_fraction = pct / 10000; /* (percent at scale + 2) / 100, at scale */
        } else if (r->mode == PB_RCTAB_BOTTOMS_UP_PERCENTAGE) {
                err = PB_ERR_INVALID;
        }
        pb_free(s);
        s = NULL;
        if (err < 0)
                return pb_diag_set(reterr, err, "rules.multiSeatBottomsUpPercentageThreshold",
                                   "expected a percentage (required by bottomsUpUsingPercentageThreshold)");
        return PB_OK;
}

/* The true/false rules, and the one pair of them that cannot be true together. */
static pb_err parse_flags(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        struct pb_rctab_rules *r = &cfg->rules;
        pb_err err = PB_OK;

        if ((err = get_bool(ru, "nonIntegerWinningThreshold", "rules.nonIntegerWinningThreshold",
                            &r->non_integer_threshold, reterr)) < 0 ||
            (err = get_bool(ru, "doesFirstRoundDetermineThreshold", "rules.doesFirstRoundDetermineThreshold",
                            &r->first_round_threshold, reterr)) < 0 ||
            (err = get_bool(ru, "hareQuota", "rules.hareQuota", &r->hare_quota, reterr)) < 0 ||
            (err = get_bool(ru, "batchElimination", "rules.batchElimination", &r->batch_elimination,
                            reterr)) < 0 ||
            (err = get_bool(ru, "cutoffElimination", "rules.cutoffElimination", &r->cutoff_elimination,
                            reterr)) < 0 ||
            (err = get_bool(ru, "continueUntilTwoCandidatesRemain", "rules.continueUntilTwoCandidatesRemain",
                            &r->continue_until_two, reterr)) < 0 ||
            (err = get_bool(ru, "exhaustOnDuplicateCandidate", "rules.exhaustOnDuplicateCandidate",
                            &r->exhaust_on_duplicate, reterr)) < 0)
                return err;
        if (r->non_integer_threshold && r->hare_quota)
                return fail(reterr, PB_ERR_INVALID, "rules.hareQuota",
                            "nonIntegerWinningThreshold and hareQuota cannot both be true");
        return PB_OK;
}

static pb_err parse_rules(const cJSON *ru, struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        pb_err err;

        if (!cJSON_IsObject(ru))
                return fail(reterr, PB_ERR_PARSE, "rules", "expected an object");
        if ((err = parse_modes(ru, cfg, reterr)) < 0 || (err = parse_counts(ru, cfg, reterr)) < 0 ||
            (err = parse_ranks(ru, cfg, reterr)) < 0 || (err = parse_thresholds(ru, cfg, reterr)) < 0)
                return err;
        return parse_flags(ru, cfg, reterr);
}

/* Tabulating by precinct or batch needs every ballot's slice: the column of each CSV-shaped
 * source.  The other providers' slice fields are not read by this build. */
static pb_err check_slices(const struct pb_rctab_config *cfg, struct pb_diag *reterr)
{
        static const char *const setting[PB_RANKED_SLICE_KINDS] = { "outputSettings.tabulateByPrecinct",
                                                                    "outputSettings.tabulateByBatch" };
        static const char *const column[PB_RANKED_SLICE_KINDS] = { "cvrFileSources.precinctColumnIndex",
                                                                   "cvrFileSources.batchColumnIndex" };
        static const char *const need[PB_RANKED_SLICE_KINDS] = {
                "tabulateByPrecinct needs the precinct column of every ES&S and generic CSV source",
                "tabulateByBatch needs the batch column of every ES&S and generic CSV source",
        };
        size_t i;
        unsigned k;

        for (k = 0; k < PB_RANKED_SLICE_KINDS; k++) {
                if (!cfg->tabulate_by[k])
                        continue;
                for (i = 0; i < cfg->n_sources; i++) {
                        const struct pb_rctab_source *src = &cfg->sources[i];
                        if (src->provider != PB_RCTAB_ESS && src->provider != PB_RCTAB_GENERIC_CSV)
                                return fail(reterr, PB_ERR_UNSUPPORTED, setting[k],
                                            "this build reads precincts and batches from ES&S and generic "
                                            "CSV sources only");
                        if (!src->slice_col[k])
                                return fail(reterr, PB_ERR_INVALID, column[k], need[k]);
                }
        }
        return PB_OK;
}

static pb_err parse_tree(const cJSON *root, const char *base_dir, struct pb_rctab_config *cfg,
                         struct pb_diag *reterr)
{
        const cJSON *out, *srcs, *rules, *js;
        size_t i;
        pb_err r;

        if (!cJSON_IsObject(root))
                return fail(reterr, PB_ERR_PARSE, "$", "a contest config is a JSON object");
        out = cJSON_GetObjectItemCaseSensitive(root, "outputSettings");
        if (out && !cJSON_IsObject(out))
                return fail(reterr, PB_ERR_PARSE, "outputSettings", "expected an object");
        if ((r = get_str(out, "contestName", "outputSettings.contestName", &cfg->contest_name, reterr)) < 0 ||
            (r = get_str(out, "contestDate", "outputSettings.contestDate", &cfg->date, reterr)) < 0 ||
            (r = get_str(out, "contestJurisdiction", "outputSettings.contestJurisdiction", &cfg->jurisdiction,
                         reterr)) < 0 ||
            (r = get_str(out, "contestOffice", "outputSettings.contestOffice", &cfg->office, reterr)) < 0 ||
            (r = get_bool(out, "tabulateByPrecinct", "outputSettings.tabulateByPrecinct",
                          &cfg->tabulate_by[PB_RANKED_PRECINCT], reterr)) < 0 ||
            (r = get_bool(out, "tabulateByBatch", "outputSettings.tabulateByBatch",
                          &cfg->tabulate_by[PB_RANKED_BATCH], reterr)) < 0)
                return r;
        rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
        r = parse_rules(rules, cfg, reterr);
        if (r < 0)
                return r;
        srcs = cJSON_GetObjectItemCaseSensitive(root, "cvrFileSources");
        if (!cJSON_IsArray(srcs) || !cJSON_GetArraySize(srcs))
                return fail(reterr, PB_ERR_INVALID, "cvrFileSources", "the config lists no CVR files");
        cfg->sources = pb_calloc((size_t)cJSON_GetArraySize(srcs), sizeof(*cfg->sources));
        if (!cfg->sources)
                return PB_ERR_NOMEM;
        cJSON_ArrayForEach(js, srcs)
        {
                if (!cJSON_IsObject(js))
                        return fail(reterr, PB_ERR_PARSE, "cvrFileSources", "expected objects");
                r = parse_source(js, rules, base_dir, &cfg->sources[cfg->n_sources++], reterr);
                if (r < 0)
                        return r;
        }
        for (i = 0; i + 1 < cfg->n_sources; i++) {
                size_t j;
                for (j = i + 1; j < cfg->n_sources; j++)
                        if (!strcmp(cfg->sources[i].path, cfg->sources[j].path))
                                return fail(reterr, PB_ERR_INVALID, "cvrFileSources.filePath",
                                            "the same CVR file is listed twice");
        }
        r = check_slices(cfg, reterr);
        if (r < 0)
                return r;
        r = parse_candidates(cJSON_GetObjectItemCaseSensitive(root, "candidates"), cfg, reterr);
        if (r < 0)
                return r;
        if (!cfg->max_rankings) /* "max": the number of declared candidates */
                cfg->max_rankings = (unsigned)(cfg->contest.n_cand - (cfg->uwi >= 0 ? 1 : 0));
        cfg->rules.max_rankings = cfg->max_rankings;
        cfg->contest.seats = cfg->rules.seats;
        return PB_OK;
}

/* cJSON keeps duplicate keys and lookups return the first: a config saying a rule twice is
 * ambiguous, so it is refused.  @path accumulates "a.b.c" for the message. */
static bool duplicate_key(const cJSON *node, char *path, size_t cap, unsigned depth)
{
        const cJSON *x, *y;
        size_t len = strlen(path);

        if (depth > 64)
                return false; /* cJSON limits nesting far below this anyway */
        for (x = node ? node->child : NULL; x; x = x->next) {
                if (cJSON_IsObject(node) && x->string) {
                        for (y = x->next; y; y = y->next)
                                if (y->string && !strcmp(x->string, y->string)) {
                                        snprintf(path + len, cap - len, "%s%s", len ? "." : "", x->string);
                                        return true;
                                }
                        snprintf(path + len, cap - len, "%s%s", len ? "." : "", x->string);
                }
                if ((cJSON_IsObject(x) || cJSON_IsArray(x)) && duplicate_key(x, path, cap, depth + 1))
                        return true;
                path[len] = '\0';
        }
        return false;
}

pb_err pb_rctab_config_parse(const char *buf, size_t len, const char *base_dir, struct pb_rctab_config *cfg,
                             struct pb_diag *reterr)
{
        char path[PB_DIAG_PATH_MAX] = "";
        cJSON *root;
        pb_err r;

        root = cJSON_ParseWithLength(buf, len);
        if (!root)
                return fail(reterr, PB_ERR_PARSE, "$", "not valid JSON");
        if (duplicate_key(root, path, sizeof(path), 0)) {
                cJSON_Delete(root);
                return fail(reterr, PB_ERR_PARSE, path, "a key appears twice");
        }
        if (base_dir) {
                cfg->base_dir = pb_strndup(base_dir, strlen(base_dir));
                if (!cfg->base_dir) {
                        cJSON_Delete(root);
                        return PB_ERR_NOMEM;
                }
        }
        r = parse_tree(root, base_dir, cfg, reterr);
        cJSON_Delete(root);
        return r;
}
