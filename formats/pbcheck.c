/** @file pbvote check: pabulib's checker rules over a parsed election. */
#include "formats/pb_pbcheck.h"

#include <string.h>

#include "formats/pb_format_pb.h"
#include "engine/pb_alloc.h"
#include "engine/pb_tally.h"
#include "engine/pb_validate.h"

/* The checker's field tables (pabulib_helpers/fields.py): known keys and the obligatory ones. */
static const char *const meta_required[] = { "description",  "country",    "unit",     "instance",
                                             "num_projects", "num_votes",  "budget",   "vote_type",
                                             "rule",         "date_begin", "date_end", NULL };
static const char *const meta_optional[] = { "district",
                                             "subunit",
                                             "min_length",
                                             "max_length",
                                             "min_sum_cost",
                                             "max_sum_cost",
                                             "min_points",
                                             "max_points",
                                             "min_sum_points",
                                             "max_sum_points",
                                             "default_score",
                                             "min_project_cost",
                                             "max_project_cost",
                                             "min_project_score_threshold",
                                             "neighborhoods",
                                             "subdistricts",
                                             "categories",
                                             "edition",
                                             "language",
                                             "currency",
                                             "fully_funded",
                                             "experimental",
                                             "comment",
                                             "acknowledgments",
                                             "leftover_budget",
                                             "budget_per_category",
                                             "budget_per_neighborhood",
                                             "min_length_per_category",
                                             "max_length_per_category",
                                             "min_sum_cost_per_category",
                                             "max_sum_cost_per_category",
                                             NULL };
static const char *const project_known[] = {
        "beneficiaries", "neighborhood", "subunit",  "district",  "description",
        "proposer",      "public_id",    "latitude", "longitude", NULL
};
static const char *const vote_known[] = { "age",
                                          "sex",
                                          "voting_method",
                                          "district",
                                          "neighborhood",
                                          "education",
                                          "topic_preference_transport",
                                          "topic_preference_culture",
                                          "topic_preference_nature",
                                          "district_preference",
                                          "time_taken_seconds",
                                          "format_easiness",
                                          "format_expressiveness",
                                          "format_rank",
                                          NULL };
static const char *const known_rules[] = { "greedy",
                                           "greedy-no-skip",
                                           "greedy-threshold",
                                           "greedy-exclusive",
                                           "greedy-custom",
                                           "equalshares",
                                           "equalshares-comparison",
                                           "equalshares/add1",
                                           "equalshares/add1-comparison",
                                           "unknown",
                                           NULL };

static bool in_list(const char *const *list, const char *s)
{
        for (; *list; list++)
                if (!strcmp(*list, s))
                        return true;
        return false;
}

struct ctx {
        struct pb_report *rep;
        const struct pb_election *e;
        pb_err err; /* first NOMEM */
};

static void add(struct ctx *c, enum pb_issue_level level, const char *type, unsigned line, const char *path,
                const char *reason, const char *subject)
{
        pb_err r = pb_report_addf(c->rep, level, type, line, 0, path, reason, subject,
                                  subject ? strlen(subject) : 0);

        if (r < 0 && c->err == PB_OK)
                c->err = r;
}

static const struct pb_meta *meta(const struct pb_election *e, const char *key)
{
        for (size_t i = 0; i < e->n_meta; i++)
                if (!strcmp(e->meta[i].key, key))
                        return &e->meta[i];
        return NULL;
}

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* "YYYY" or "DD.MM.YYYY" naming a real calendar day; returns a sortable yyyymmdd or -1. */
static long parse_date(const char *s)
{
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        size_t n = strlen(s);
        long d, m, y;

        if (n == 4 && digits(s, 4))
                return (s[0] - '0') * 10000000L + (s[1] - '0') * 1000000L + (s[2] - '0') * 100000L +
                       (s[3] - '0') * 10000L;
        if (n != 10 || s[2] != '.' || s[5] != '.' || !digits(s, 2) || !digits(s + 3, 2) || !digits(s + 6, 4))
                return -1;
        d = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
        y = (s[6] - '0') * 1000L + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
        if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
                return -1;
        if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return -1;
        return y * 10000 + m * 100 + d;
}

static void check_meta(struct ctx *c)
{
        const struct pb_election *e = c->e;
        const struct pb_meta *m, *b, *en;
        long db = -1, de = -1;

        for (const char *const *k = meta_required; *k; k++)
                if (!meta(e, *k))
                        add(c, PB_ISSUE_ERROR, "missing meta obligatory field", 0, "META",
                            "obligatory META key missing", *k);
        for (size_t i = 0; i < e->n_meta; i++) {
                const struct pb_meta *x = &e->meta[i];
                if (!in_list(meta_required, x->key) && !in_list(meta_optional, x->key))
                        add(c, PB_ISSUE_ERROR, "not known meta fields", x->line, "META", "unknown META key",
                            x->key);
        }
        if ((m = meta(e, "rule")) && !in_list(known_rules, m->value))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "rule", "unknown rule", m->value);
        if ((m = meta(e, "fully_funded")) && strcmp(m->value, "1"))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "fully_funded",
                    "fully_funded can only be 1", m->value);
        if ((m = meta(e, "experimental")) && strcmp(m->value, "1"))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "experimental",
                    "experimental can only be 1", m->value);
        if ((m = meta(e, "comment")) && strncmp(m->value, "#1: ", 4))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "comment",
                    "comment should start with '#1: '", NULL);
        if ((m = meta(e, "currency")) &&
            (strlen(m->value) != 3 || strspn(m->value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "currency", "not an ISO 4217 code",
                    m->value);
        if ((m = meta(e, "language")) &&
            (strlen(m->value) != 2 || strspn(m->value, "abcdefghijklmnopqrstuvwxyz") != 2))
                add(c, PB_ISSUE_ERROR, "incorrect field value", m->line, "language", "not an ISO 639-1 code",
                    m->value);
        if ((b = meta(e, "date_begin")) && (db = parse_date(b->value)) < 0)
                add(c, PB_ISSUE_ERROR, "incorrect field value", b->line, "date_begin",
                    "not a date (YYYY or DD.MM.YYYY)", b->value);
        if ((en = meta(e, "date_end")) && (de = parse_date(en->value)) < 0)
                add(c, PB_ISSUE_ERROR, "incorrect field value", en->line, "date_end",
                    "not a date (YYYY or DD.MM.YYYY)", en->value);
        if (db >= 0 && de >= 0 && db > de)
                add(c, PB_ISSUE_ERROR, "incorrect field value", en->line, "date_end",
                    "date_end is before date_begin", NULL);
        if (e->budget <= 0)
                add(c, PB_ISSUE_ERROR, "incorrect field value", 0, "budget", "budget must be positive", NULL);
        if (e->limits.has[PB_LIM_MAX_LENGTH] && e->limits.v[PB_LIM_MAX_LENGTH] == 1 &&
            e->vote_type != PB_VOTE_CHOOSE1)
                add(c, PB_ISSUE_WARNING, "max_length 1 without choose-1", 0, "max_length",
                    "max_length is 1 but the vote type is not choose-1", NULL);
        if (!pb_vote_type_has_points(e->vote_type))
                for (int k = PB_LIM_MIN_POINTS; k <= PB_LIM_DEFAULT_SCORE; k++)
                        if (e->limits.has[k])
                                add(c, PB_ISSUE_WARNING, "points field for a vote type without points", 0,
                                    pb_limit_name((enum pb_limit)k),
                                    "points limits apply to cumulative and scoring", NULL);
}

/* List-valued cells (category, beneficiaries): the checker refuses "a, b" (whitespace at a comma). */
static void check_list(struct ctx *c, const char *v, unsigned line, const char *field, const char *project)
{
        for (const char *comma = strchr(v, ','); comma; comma = strchr(comma + 1, ','))
                if ((comma > v && (comma[-1] == ' ' || comma[-1] == '\t')) || comma[1] == ' ' ||
                    comma[1] == '\t') {
                        add(c, PB_ISSUE_ERROR, "whitespace around list separator", line, field,
                            "whitespace around a comma in a list", project);
                        return;
                }
}

static void check_columns(struct ctx *c)
{
        const struct pb_election *e = c->e;
        long benef = -1;

        for (size_t k = 0; k < e->n_project_extra; k++)
                if (!strcmp(e->project_extra_cols[k], "beneficiaries"))
                        benef = (long)k;
        for (size_t p = 0; p < e->n_projects; p++) {
                const struct pb_project *pr = &e->projects[p];
                check_list(c, pr->category, pr->line, "category", pr->id);
                if (benef >= 0 && pr->extra[benef])
                        check_list(c, pr->extra[benef], pr->line, "beneficiaries", pr->id);
        }

        for (size_t k = 0; k < e->n_project_extra; k++) {
                const char *col = e->project_extra_cols[k];
                if (!strcmp(col, "target"))
                        add(c, PB_ISSUE_ERROR, "not known projects fields", 0, "PROJECTS",
                            "'target' was renamed 'beneficiaries'", col);
                else if (!in_list(project_known, col))
                        add(c, PB_ISSUE_ERROR, "not known projects fields", 0, "PROJECTS",
                            "unknown PROJECTS column", col);
        }
        for (size_t k = 0; k < e->ballots.n_extra; k++)
                if (!in_list(vote_known, e->ballots.extra_cols[k]))
                        add(c, PB_ISSUE_ERROR, "not known votes fields", 0, "VOTES", "unknown VOTES column",
                            e->ballots.extra_cols[k]);
        if (!e->has_selected_column)
                add(c, PB_ISSUE_WARNING, "no selected field", 0, "PROJECTS",
                    "no selected column: the outcome cannot be checked", NULL);
}

static long extra_col(const struct pb_election *e, const char *name)
{
        for (size_t k = 0; k < e->ballots.n_extra; k++)
                if (!strcmp(e->ballots.extra_cols[k], name))
                        return (long)k;
        return -1;
}

/* age: an integer or a bucket "40-59" */
static bool age_ok(const char *s)
{
        const char *dash = strchr(s, '-');
        size_t n = strlen(s);

        if (!dash)
                return n && n <= 3 && digits(s, n);
        return dash > s && digits(s, (size_t)(dash - s)) && dash[1] && digits(dash + 1, strlen(dash + 1));
}

static const char *vote_error_type(const char *reason)
{
        if (strstr(reason, "max_length"))
                return "vote length exceeded";
        if (strstr(reason, "min_length"))
                return "vote length too short";
        if (strstr(reason, "choose-1"))
                return "choose-1 vote length";
        if (strstr(reason, "twice"))
                return "vote with duplicated projects";
        return "incorrect points";
}

static void check_votes(struct ctx *c)
{
        const struct pb_election *e = c->e;
        const struct pb_ballots *b = &e->ballots;
        long sex = extra_col(e, "sex"), method = extra_col(e, "voting_method"), age = extra_col(e, "age");
        unsigned warned = 0;
        bool all_one = b->n > 0, full = false;

        for (size_t i = 0; i < b->n; i++) {
                unsigned line = b->line ? b->line[i] : 0, warn = 0;
                const char *voter = b->voter_id ? b->voter_id[i] : NULL;
                struct pb_diag d;
                size_t len = pb_ballot_len(b, i);

                pb_diag_clear(&d);
                /* item is NULL when no ballot names a project: no pointer arithmetic on it then */
                if (pb_ballot_check(e, len ? b->item + b->start[i] : NULL,
                                    len && b->points ? b->points + b->start[i] : NULL, len, PB_CHECK_PABULIB,
                                    &warn, &d) < 0)
                        add(c, PB_ISSUE_ERROR, vote_error_type(d.reason), line, d.path, d.reason, voter);
                /* soft limits: one warning per kind, not one per ballot */
                if ((warn & PB_WARN_MAX_SUM_COST) && !(warned & PB_WARN_MAX_SUM_COST))
                        add(c, PB_ISSUE_WARNING, "max_sum_cost exceeded", line, "vote",
                            "picks cost more than max_sum_cost (first such vote)", voter);
                if ((warn & PB_WARN_MIN_SUM_COST) && !(warned & PB_WARN_MIN_SUM_COST))
                        add(c, PB_ISSUE_WARNING, "min_sum_cost not reached", line, "vote",
                            "picks cost less than min_sum_cost (first such vote)", voter);
                if ((warn & PB_WARN_MAX_SUM_POINTS) && !(warned & PB_WARN_MAX_SUM_POINTS))
                        add(c, PB_ISSUE_WARNING, "max_sum_points exceeded", line, "points",
                            "more points than max_sum_points (first such vote)", voter);
                if ((warn & PB_WARN_MIN_SUM_POINTS) && !(warned & PB_WARN_MIN_SUM_POINTS))
                        add(c, PB_ISSUE_WARNING, "min_sum_points not reached", line, "points",
                            "fewer points than min_sum_points (first such vote)", voter);
                if ((warn & PB_WARN_POINTS_ORDER) && !(warned & PB_WARN_POINTS_ORDER))
                        add(c, PB_ISSUE_WARNING, "points not in order", line, "points",
                            "points not listed from highest to lowest (first such vote)", voter);
                warned |= warn;
                all_one &= len == 1;
                full |= e->limits.has[PB_LIM_MAX_LENGTH] && (int64_t)len == e->limits.v[PB_LIM_MAX_LENGTH];
                if (sex >= 0 && b->extra[i * b->n_extra + (size_t)sex]) {
                        const char *v = b->extra[i * b->n_extra + (size_t)sex];
                        if (strcmp(v, "M") && strcmp(v, "F") && strcmp(v, "O"))
                                add(c, PB_ISSUE_ERROR, "incorrect field value", line, "sex",
                                    "sex must be M, F or O", v);
                }
                if (method >= 0 && b->extra[i * b->n_extra + (size_t)method]) {
                        const char *v = b->extra[i * b->n_extra + (size_t)method];
                        if (strcmp(v, "internet") && strcmp(v, "paper"))
                                add(c, PB_ISSUE_ERROR, "incorrect field value", line, "voting_method",
                                    "voting_method must be internet or paper", v);
                }
                if (age >= 0 && b->extra[i * b->n_extra + (size_t)age] &&
                    !age_ok(b->extra[i * b->n_extra + (size_t)age]))
                        add(c, PB_ISSUE_ERROR, "incorrect field value", line, "age",
                            "age must be a number or a range like 40-59",
                            b->extra[i * b->n_extra + (size_t)age]);
        }
        if (e->limits.has[PB_LIM_MAX_LENGTH] && e->limits.v[PB_LIM_MAX_LENGTH] > 1 && b->n && !full)
                add(c, PB_ISSUE_WARNING, "max_length never used", 0, "max_length",
                    "no vote uses the full max_length", NULL);
        if (all_one && e->vote_type != PB_VOTE_CHOOSE1 && e->limits.has[PB_LIM_MAX_LENGTH] &&
            e->limits.v[PB_LIM_MAX_LENGTH] != 1)
                add(c, PB_ISSUE_WARNING, "all votes of length 1", 0, "vote",
                    "every vote names one project but max_length is not 1", NULL);
}

/* The votes and score columns against the ballots (score of ordinal ballots: L, L-1, ..., 1). */
static void check_counts(struct ctx *c)
{
        const struct pb_election *e = c->e;
        int64_t *votes = pb_calloc(e->n_projects, sizeof(*votes));
        pb_i128 *score = pb_calloc(e->n_projects, sizeof(*score));
        enum pb_score s = pb_vote_type_has_points(e->vote_type) ? PB_SCORE_POINTS
                          : e->vote_type == PB_VOTE_ORDINAL     ? PB_SCORE_BORDA
                                                                : PB_SCORE_VOTES;
        bool any_votes = false, any_score = false;

        if (!votes || !score) {
                c->err = PB_ERR_NOMEM;
                goto out;
        }
        if (pb_tally_count(e, s, votes, score) < 0) {
                add(c, PB_ISSUE_ERROR, "too many votes", 0, "VOTES", "more votes than the engine counts",
                    NULL);
                goto out;
        }
        for (size_t p = 0; p < e->n_projects; p++) {
                const struct pb_project *pr = &e->projects[p];

                /* the checker counts every listed item, a project repeated in one vote included
                 * (it reports the repeat apart, as "vote with duplicated projects") */
                votes[p] += pr->repeats;
                if (s == PB_SCORE_POINTS)
                        score[p] += pr->repeat_points;
                else if (s == PB_SCORE_VOTES)
                        score[p] += pr->repeats;
                any_votes |= pr->has_votes;
                any_score |= pr->has_score;
                if (pr->has_votes && pr->declared_votes != votes[p])
                        add(c, PB_ISSUE_ERROR, "different values in votes", pr->line, "votes",
                            "votes column differs from the votes counted in VOTES", pr->id);
                if (pr->has_score && pr->declared_score != score[p])
                        add(c, PB_ISSUE_ERROR, "different values in scores", pr->line, "score",
                            "score column differs from the points counted in VOTES", pr->id);
                if (votes[p] == 0)
                        add(c, PB_ISSUE_WARNING, "project with no votes", pr->line, "votes",
                            "nobody voted for this project (was it on the ballot?)", pr->id);
        }
        if (!any_votes && !any_score)
                add(c, PB_ISSUE_ERROR, "No votes or score counted in PROJECTS section", 0, "PROJECTS",
                    "PROJECTS needs a votes or a score column", NULL);
out:
        pb_free(votes);
        pb_free(score);
}

static void check_budget(struct ctx *c)
{
        const struct pb_election *e = c->e;
        const struct pb_meta *ff = meta(e, "fully_funded");
        int64_t total = 0, spent = 0;
        /* the checker looks for unused money under the greedy rules that skip what does not fit;
         * greedy-no-skip leaves money unused by design */
        bool greedy = !strncmp(e->rule, "greedy", 6) && strcmp(e->rule, "greedy-no-skip");

        for (size_t p = 0; p < e->n_projects; p++) {
                const struct pb_project *pr = &e->projects[p];

                /* the checker's "all projects funded" test counts the withdrawn marker cost too */
                if (__builtin_add_overflow(total, pr->cost, &total))
                        total = INT64_MAX;
                if (pr->withdrawn) {
                        add(c, PB_ISSUE_WARNING, "withdrawn project", pr->line, "cost",
                            "cost 999999999: withdrawn after the vote, never selected", pr->id);
                        continue;
                }
                if (pr->cost > e->budget)
                        add(c, PB_ISSUE_ERROR, "single project exceeded whole budget", pr->line, "cost",
                            "project costs more than the whole budget", pr->id);
                if (pr->selected == 1 && __builtin_add_overflow(spent, pr->cost, &spent))
                        spent = INT64_MAX;
        }
        if (e->has_selected_column && spent > e->budget)
                add(c, PB_ISSUE_ERROR, "budget exceeded", 0, "selected",
                    "selected projects cost more than the budget", NULL);
        if (!(ff && !strcmp(ff->value, "1")) && e->budget > total)
                add(c, PB_ISSUE_ERROR, "all projects funded", 0, "budget",
                    "the budget covers every project (set fully_funded;1 if that is so)", NULL);
        if (e->has_selected_column && greedy)
                for (size_t p = 0; p < e->n_projects; p++) {
                        const struct pb_project *pr = &e->projects[p];
                        if (pr->selected != 0 || pr->withdrawn || pr->cost > e->budget - spent)
                                continue;
                        /* as the checker: a project whose file score (or votes) is at or below a
                         * positive threshold is not eligible */
                        if (e->has_threshold && e->threshold > 0 &&
                            (e->has_score_column ? pr->declared_score : pr->declared_votes) <= e->threshold)
                                continue;
                        add(c, PB_ISSUE_ERROR, "unused budget", pr->line, "selected",
                            "not selected although it fits the money left", pr->id);
                }
}

/* Does the rule the file names select exactly its `selected` = 1 projects? */
static void check_rule(struct ctx *c)
{
        const struct pb_election *e = c->e;
        struct pb_rule rule;
        struct pb_result res;
        struct pb_diag d;
        pb_err r;

        if (!e->has_selected_column || !strcmp(e->rule, "unknown"))
                return;
        pb_diag_clear(&d);
        pb_result_init(&res);
        if (pb_rule_for_election(e, &rule, &d) < 0)
                return;
        r = pb_tally_run(e, &rule, &res, &d);
        if (r == PB_ERR_NOMEM) {
                c->err = r;
        } else if (r < 0) {
                add(c, PB_ISSUE_WARNING, "rule not checked", 0, "rule", d.reason, e->rule);
        } else {
                bool custom = !strcmp(e->rule, "greedy-exclusive") || !strcmp(e->rule, "greedy-custom");
                for (size_t p = 0; p < e->n_projects; p++) {
                        const struct pb_project *pr = &e->projects[p];
                        bool got = res.projects[p].reason == PB_REASON_SELECTED, want = pr->selected == 1;

                        if (got == want)
                                continue;
                        /* the checker reports custom greedy variants as warnings only */
                        add(c, custom ? PB_ISSUE_WARNING : PB_ISSUE_ERROR, "rule not followed", pr->line,
                            "selected",
                            want ? "selected, but the rule does not select it"
                                 : "not selected, but the rule selects it",
                            pr->id);
                }
        }
        pb_result_release(&res);
}

pb_err pb_pbcheck_run(const char *buf, size_t len, struct pb_report *report)
{
        struct pb_election *e = NULL;
        struct pb_diag d;
        struct ctx c;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_format_pb_parse(buf, len, &e, report, &d);
        if (r == PB_ERR_NOMEM)
                return r;
        if (r < 0 || !e)
                return PB_OK; /* the parser recorded why the file is unreadable */
        memset(&c, 0, sizeof(c));
        c.rep = report;
        c.e = e;
        check_meta(&c);
        check_columns(&c);
        check_votes(&c);
        check_counts(&c);
        check_budget(&c);
        if (report->n_errors == 0)
                check_rule(&c); /* a rule check on an inconsistent file would only add noise */
        pb_election_free(e);
        return c.err;
}
