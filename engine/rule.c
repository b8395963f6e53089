/** @file Rule names, parameters and the defaults an election implies. */
#include "engine/pb_rule.h"

#include <string.h>

static const char *const kind_names[PB_RULE_KIND_COUNT] = {
        "greedy",      "greedy-no-skip", "greedy-threshold", "greedy-ratio",
        "equalshares", "phragmen",       "maximin-support",
};
static const char *const score_names[PB_SCORE_COUNT] = { "auto", "votes", "points", "borda", "borda0" };
static const char *const tie_names[PB_TIE_COUNT] = { "file-order", "lexico", "cost-then-votes", "seeded" };
static const char *const utility_names[PB_UTIL_COUNT] = { "cost", "approval", "points", "borda" };
static const char *const completion_names[PB_COMPLETION_COUNT] = { "none", "add1", "add1-exhaustive",
                                                                   "add1-unfloored" };

#define NAME_OF(table, count, v) ((unsigned)(v) < (count) ? (table)[v] : "?")

bool pb_rule_is_greedy(enum pb_rule_kind k)
{
        return k == PB_RULE_GREEDY || k == PB_RULE_GREEDY_NO_SKIP || k == PB_RULE_GREEDY_THRESHOLD ||
               k == PB_RULE_GREEDY_RATIO;
}

const char *pb_rule_kind_name(enum pb_rule_kind k)
{
        return NAME_OF(kind_names, PB_RULE_KIND_COUNT, k);
}

static pb_err lookup(const char *const *table, int count, const char *s, int *ret)
{
        for (int i = 0; i < count; i++)
                if (!strcmp(table[i], s)) {
                        *ret = i;
                        return PB_OK;
                }
        return PB_ERR_NOT_FOUND;
}

/* The name and the parser of one rule parameter's enumeration, both from its table of names
 * (pb_rule.h declares and documents them): one definition instead of a copy per parameter. */
#define NAMED_ENUM(name_fn, parse_fn, type, table, count)                                                    \
        const char *name_fn(type v)                                                                          \
        {                                                                                                    \
                return NAME_OF(table, count, v);                                                             \
        }                                                                                                    \
        pb_err parse_fn(const char *s, type *ret)                                                            \
        {                                                                                                    \
                int v;                                                                                       \
                pb_err e = lookup(table, count, s, &v);                                                      \
                if (e == PB_OK)                                                                              \
                        *ret = (type)v;                                                                      \
                return e;                                                                                    \
        }

NAMED_ENUM(pb_score_name, pb_score_parse, enum pb_score, score_names, PB_SCORE_COUNT)
NAMED_ENUM(pb_tie_break_name, pb_tie_break_parse, enum pb_tie_break, tie_names, PB_TIE_COUNT)
NAMED_ENUM(pb_utility_name, pb_utility_parse, enum pb_utility, utility_names, PB_UTIL_COUNT)
NAMED_ENUM(pb_completion_name, pb_completion_parse, enum pb_completion, completion_names, PB_COMPLETION_COUNT)
#undef NAMED_ENUM

void pb_rule_init(struct pb_rule *r)
{
        memset(r, 0, sizeof(*r));
        r->kind = PB_RULE_GREEDY;
        r->score = PB_SCORE_AUTO;
        r->tie_break = PB_TIE_FILE_ORDER;
        r->utility = PB_UTIL_COST;
        r->completion = PB_COMPLETE_NONE;
}

pb_err pb_rule_set_name(struct pb_rule *r, const char *name)
{
        int v;

        if (lookup(kind_names, PB_RULE_KIND_COUNT, name, &v) == PB_OK) {
                r->kind = (enum pb_rule_kind)v;
                /* our "equalshares" is what equalshares.net and the cities run: MES completed by
                 * Add1 (plain MES spends a third of the budget on real files); pabulib's META
                 * value of the same spelling means plain MES (pb_rule_for_election) */
                if (r->kind == PB_RULE_EQUAL_SHARES)
                        r->completion = PB_COMPLETE_ADD1;
                return PB_OK;
        }
        /* pabulib's META vocabulary */
        if (!strcmp(name, "greedy-exclusive") || !strcmp(name, "greedy-custom")) {
                r->kind = PB_RULE_GREEDY;
                return PB_OK;
        }
        if (!strcmp(name, "equalshares-comparison") || !strcmp(name, "equalshares/add1") ||
            !strcmp(name, "equalshares/add1-comparison")) {
                r->kind = PB_RULE_EQUAL_SHARES;
                r->completion = strstr(name, "/add1") ? PB_COMPLETE_ADD1 : PB_COMPLETE_NONE;
                r->comparison = strstr(name, "-comparison") != NULL;
                return PB_OK;
        }
        if (!strcmp(name, "unknown"))
                return PB_ERR_UNSUPPORTED;
        return PB_ERR_NOT_FOUND;
}

pb_err pb_rule_for_election(const struct pb_election *e, struct pb_rule *ret, struct pb_diag *reterr)
{
        struct pb_rule r;
        pb_err err;

        pb_rule_init(&r);
        if (!e->rule[0])
                return pb_diag_set(reterr, PB_ERR_UNSUPPORTED, "rule",
                                   "the election names no rule; choose one");
        err = pb_rule_set_name(&r, e->rule);
        if (err == PB_ERR_UNSUPPORTED)
                return pb_diag_set(reterr, err, "rule", "the file's rule is 'unknown'; choose one");
        if (err < 0) {
                pb_diag_set(reterr, err, "rule", "unknown rule name");
                pb_diag_subject(reterr, e->rule, strlen(e->rule));
                return err;
        }
        if (r.kind == PB_RULE_EQUAL_SHARES)
                r.tie_break = PB_TIE_COST_THEN_VOTES; /* pabulib's checker, equalshares.net */
        if (!strcmp(e->rule, "equalshares"))
                r.completion = PB_COMPLETE_NONE; /* pabulib: plain MES; Add1 is "equalshares/add1" */
        if (r.kind == PB_RULE_GREEDY_THRESHOLD && !e->has_threshold)
                return pb_diag_set(reterr, PB_ERR_INVALID, "min_project_score_threshold",
                                   "greedy-threshold needs min_project_score_threshold");
        if (pb_rule_is_greedy(r.kind) && e->has_threshold) {
                /* the checker applies the file's threshold under every greedy rule, and so did the
                 * cities: Gdynia's greedy-no-skip files name 50 and fund nothing below it */
                r.has_threshold = true;
                r.threshold = e->threshold;
        }
        *ret = r;
        return PB_OK;
}

enum pb_score pb_rule_score(const struct pb_rule *r, const struct pb_election *e)
{
        if (r->score != PB_SCORE_AUTO)
                return r->score;
        if (e->vote_type == PB_VOTE_APPROVAL || e->vote_type == PB_VOTE_CHOOSE1)
                return PB_SCORE_VOTES;
        if (e->n_meta && !e->has_score_column)
                return PB_SCORE_VOTES; /* a .pb file without a score column: the checker ranks by votes */
        return e->vote_type == PB_VOTE_ORDINAL ? PB_SCORE_BORDA : PB_SCORE_POINTS;
}

pb_err pb_rule_check(const struct pb_rule *r, const struct pb_election *e, struct pb_diag *reterr)
{
        enum pb_score s = pb_rule_score(r, e);

        if ((unsigned)r->kind >= PB_RULE_KIND_COUNT || (unsigned)r->tie_break >= PB_TIE_COUNT ||
            (unsigned)r->score >= PB_SCORE_COUNT || (unsigned)r->utility >= PB_UTIL_COUNT ||
            (unsigned)r->completion >= PB_COMPLETION_COUNT)
                return pb_diag_set(reterr, PB_ERR_INVALID, "rule", "parameter out of range");
        if (s == PB_SCORE_POINTS && !pb_vote_type_has_points(e->vote_type))
                return pb_diag_set(reterr, PB_ERR_INVALID, "score",
                                   "points need cumulative or scoring ballots");
        if ((s == PB_SCORE_BORDA || s == PB_SCORE_BORDA0) && e->vote_type != PB_VOTE_ORDINAL)
                return pb_diag_set(reterr, PB_ERR_INVALID, "score", "Borda scores need ordinal ballots");
        if (r->kind == PB_RULE_GREEDY_THRESHOLD && !r->has_threshold)
                return pb_diag_set(reterr, PB_ERR_INVALID, "threshold", "greedy-threshold needs a threshold");
        if (r->kind == PB_RULE_EQUAL_SHARES) {
                if (r->utility == PB_UTIL_POINTS && !pb_vote_type_has_points(e->vote_type))
                        return pb_diag_set(reterr, PB_ERR_INVALID, "utility",
                                           "points need cumulative or scoring ballots");
                if (r->utility == PB_UTIL_BORDA && e->vote_type != PB_VOTE_ORDINAL)
                        return pb_diag_set(reterr, PB_ERR_INVALID, "utility",
                                           "Borda utilities need ordinal ballots");
                /* refused here, at create, rather than by the count of a closed election */
                if (r->utility == PB_UTIL_POINTS && e->vote_type == PB_VOTE_SCORING &&
                    e->limits.has[PB_LIM_DEFAULT_SCORE] && e->limits.v[PB_LIM_DEFAULT_SCORE] > 0)
                        return pb_diag_set(reterr, PB_ERR_INVALID, "utility",
                                           "equal shares with points needs default_score 0 or less (every "
                                           "voter would support every project)");
        }
        if ((r->kind == PB_RULE_PHRAGMEN || r->kind == PB_RULE_MAXIMIN_SUPPORT) &&
            e->vote_type != PB_VOTE_APPROVAL && e->vote_type != PB_VOTE_CHOOSE1)
                return pb_diag_set(reterr, PB_ERR_INVALID, "rule", "this rule needs approval ballots");
        return PB_OK;
}
