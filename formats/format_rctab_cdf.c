/**
 * @file JSON CVRs: NIST SP 1500-103 CDF (CommonDataFormatReader) and Dominion CvrExport
 * folders (DominionCvrReader), as RCTab reads them.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "formats/format_rctab_int.h"

static pb_err jfail(struct pb_diag *reterr, pb_err code, unsigned record, const char *path,
                    const char *reason)
{
        return pb_diag_at(reterr, code, record, 0, path, reason);
}

/* A whole number from a JSON number or numeric string. */
static bool json_long(const cJSON *v, long *ret)
{
        if (cJSON_IsNumber(v)) {
                double d = v->valuedouble;
                if (d != d || d < -1e15 || d > 1e15 || d != (double)(long)d)
                        return false;
                *ret = (long)d;
                return true;
        }
        if (cJSON_IsString(v))
                return rk_parse_long(v->valuestring, strlen(v->valuestring), ret);
        return false;
}

/* "true"/"yes" strings or a JSON true. */
static bool json_is(const cJSON *v, const char *word)
{
        if (cJSON_IsBool(v))
                return cJSON_IsTrue(v) == !strcmp(word, "true");
        return cJSON_IsString(v) && !strcmp(v->valuestring, word);
}

static const cJSON *item(const cJSON *o, const char *k)
{
        return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
        const cJSON *v = item(o, k);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Name -> mark: the overvote label, the write-in placeholder, or a configured name/alias. */
static pb_err cdf_mark(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const char *name,
                       bool uwi, long rank, unsigned record, unsigned *max_rank, struct pb_diag *reterr)
{
        long cand;
        pb_err r;

        if (rank < 1 || rank > (long)PB_RANKED_MAX_RANK)
                return jfail(reterr, PB_ERR_INVALID, record, "CVR.Rank", "rankings must start at 1");
        if (uwi) {
                if (cfg->uwi < 0)
                        return jfail(reterr, PB_ERR_INVALID, record, "CVR.CVRWriteIn",
                                     "a write-in, but the config has no undeclaredWriteInLabel");
                cand = cfg->uwi;
        } else if (src->overvote_label[0] && !strcmp(name, src->overvote_label)) {
                cand = PB_RANKED_OVERVOTE;
        } else {
                cand = pb_rctab_lookup(cfg, name, strlen(name));
                if (cand < 0) {
                        r = jfail(reterr, PB_ERR_INVALID, record, "Candidate.Name", "unrecognized candidate");
                        pb_diag_subject(reterr, name, strlen(name));
                        return r;
                }
        }
        r = rk_mark(cfg, (unsigned)rank, (uint32_t)cand, record, reterr);
        if (r < 0)
                return r;
        if ((unsigned)rank > *max_rank)
                *max_rank = (unsigned)rank;
        return PB_OK;
}

/* The CVRContest of @cvr's current snapshot for contest @@id, or NULL. */
static pb_err cdf_cvr_contest(const cJSON *cvr, const char *contest_id, unsigned record, const cJSON **ret,
                              struct pb_diag *reterr)
{
        const char *cur = str(cvr, "CurrentSnapshotId");
        const cJSON *snap = NULL, *s, *cc;

        cJSON_ArrayForEach(s, item(cvr, "CVRSnapshot"))
        {
                const char *id = str(s, "@id");
                if (cur && id && !strcmp(id, cur)) {
                        snap = s;
                        break;
                }
        }
        if (!snap)
                return jfail(reterr, PB_ERR_INVALID, record, "CVR.CurrentSnapshotId",
                             "no CVRSnapshot has this id");
        if (!cJSON_IsArray(item(snap, "CVRContest")))
                return jfail(reterr, PB_ERR_INVALID, record, "CVR.CVRSnapshot.CVRContest",
                             "the current snapshot has no CVRContest");
        *ret = NULL;
        cJSON_ArrayForEach(cc, item(snap, "CVRContest"))
        {
                const char *id = str(cc, "ContestId");
                if (id && !strcmp(id, contest_id)) {
                        *ret = cc;
                        break;
                }
        }
        return PB_OK;
}

static pb_err cdf_selection(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                            const cJSON *cands, const cJSON *sels, const cJSON *cs, unsigned record,
                            unsigned *max_rank, struct pb_diag *reterr)
{
        const char *sel_id = str(cs, "ContestSelectionId"), *name = NULL;
        const cJSON *sel = NULL, *x, *pos;
        bool uwi = false;
        long rank;
        pb_err r;

        cJSON_ArrayForEach(x, sels)
        {
                const char *id = str(x, "@id");
                if (sel_id && id && !strcmp(id, sel_id)) {
                        sel = x;
                        break;
                }
        }
        if (!sel)
                return jfail(reterr, PB_ERR_INVALID, record, "CVRContestSelection.ContestSelectionId",
                             "ContestSelection not found in the contest");
        if (json_is(item(sel, "IsWriteIn"), "true")) {
                uwi = true;
        } else {
                const cJSON *ids = item(sel, "CandidateIds");
                if (!cJSON_IsArray(ids) || !cJSON_IsString(ids->child))
                        return jfail(reterr, PB_ERR_INVALID, record, "ContestSelection.CandidateIds",
                                     "a selection without CandidateIds");
                cJSON_ArrayForEach(x, cands)
                {
                        const char *id = str(x, "@id");
                        if (id && !strcmp(id, ids->child->valuestring)) {
                                name = str(x, "Name");
                                break;
                        }
                }
                if (!name)
                        return jfail(reterr, PB_ERR_INVALID, record, "ContestSelection.CandidateIds",
                                     "a CandidateId is not in the candidate list");
        }
        if (item(cs, "Rank")) {
                if (!json_long(item(cs, "Rank"), &rank))
                        return jfail(reterr, PB_ERR_PARSE, record, "CVRContestSelection.Rank",
                                     "not a whole number");
                return cdf_mark(cfg, src, name, uwi, rank, record, max_rank, reterr);
        }
        cJSON_ArrayForEach(pos, item(cs, "SelectionPosition"))
        {
                if (item(pos, "CVRWriteIn")) /* the write-in holds for this and later positions */
                        uwi = true;
                if (json_is(item(pos, "HasIndication"), "no") || json_is(item(pos, "IsAllocable"), "no"))
                        continue;
                if (!json_long(item(pos, "Rank"), &rank))
                        return jfail(reterr, PB_ERR_PARSE, record, "SelectionPosition.Rank",
                                     "not a whole number");
                r = cdf_mark(cfg, src, name, uwi, rank, record, max_rank, reterr);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

static pb_err cdf_tree(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const cJSON *root,
                       struct pb_diag *reterr)
{
        const cJSON *el, *contest = NULL, *cands = NULL, *cvr, *x;
        const char *contest_id;
        unsigned record = 0;
        pb_err r;

        if (!cJSON_IsArray(item(root, "Election")) || !cJSON_IsArray(item(root, "CVR")))
                return jfail(reterr, PB_ERR_PARSE, 0, "$", "a CDF report needs Election and CVR arrays");
        cJSON_ArrayForEach(el, item(root, "Election"))
        {
                cJSON_ArrayForEach(x, item(el, "Contest"))
                {
                        const char *name = str(x, "Name");
                        if (name && !strcmp(name, src->contest_id)) {
                                contest = x;
                                cands = item(el, "Candidate");
                                break;
                        }
                }
                if (contest)
                        break;
        }
        if (!contest)
                return jfail(reterr, PB_ERR_INVALID, 0, "Election.Contest.Name",
                             "the config's contestId is not here");
        contest_id = str(contest, "@id");
        if (!contest_id)
                return jfail(reterr, PB_ERR_PARSE, 0, "Election.Contest.@id", "the contest has no @id");
        cJSON_ArrayForEach(cvr, item(root, "CVR"))
        {
                const cJSON *cc = NULL, *cs;
                unsigned max_rank = 0;

                record++;
                r = cdf_cvr_contest(cvr, contest_id, record, &cc, reterr);
                if (r < 0)
                        return r;
                if (!cc)
                        continue; /* this CVR does not hold the contest */
                cJSON_ArrayForEach(cs, item(cc, "CVRContestSelection"))
                {
                        r = cdf_selection(cfg, src, cands, item(contest, "ContestSelection"), cs, record,
                                          &max_rank, reterr);
                        if (r < 0)
                                return r;
                }
                r = rk_commit(cfg, max_rank, record, reterr);
                if (r < 0)
                        return r;
        }
        return PB_OK;
}

pb_err pb_rctab_read_cdf(struct pb_rctab_config *cfg, const struct pb_rctab_source *src, const char *buf,
                         size_t len, struct pb_diag *reterr)
{
        cJSON *root = cJSON_ParseWithLength(buf, len);
        pb_err r;

        if (!root)
                return jfail(reterr, PB_ERR_PARSE, 0, "$", "not valid JSON");
        r = cdf_tree(cfg, src, root, reterr);
        pb_ranked_ballot_discard(&cfg->contest);
        cJSON_Delete(root);
        return r;
}

pb_err pb_rctab_read_dominion_contests(const struct pb_rctab_source *src, const char *buf, size_t len,
                                       struct pb_rctab_dominion *ret, struct pb_diag *reterr)
{
        cJSON *root = cJSON_ParseWithLength(buf, len);
        const cJSON *c;
        long want, id, ranks;
        pb_err r = PB_OK;

        if (!root)
                return jfail(reterr, PB_ERR_PARSE, 0, "$", "not valid JSON");
        if (!rk_parse_long(src->contest_id, strlen(src->contest_id), &want)) {
                r = jfail(reterr, PB_ERR_INVALID, 0, "cvrFileSources.contestId",
                          "a Dominion contestId is a number");
                goto out;
        }
        ret->found = false;
        ret->num_ranks = 0;
        cJSON_ArrayForEach(c, item(root, "List"))
        {
                if (json_long(item(c, "Id"), &id) && id == want) {
                        ret->found = true;
                        if (json_long(item(c, "NumOfRanks"), &ranks))
                                ret->num_ranks = ranks;
                }
        }
        if (!cJSON_IsArray(item(root, "List")))
                r = jfail(reterr, PB_ERR_PARSE, 0, "List", "a manifest needs a List array");
out:
        cJSON_Delete(root);
        return r;
}

static bool has_condition(const cJSON *arr, long cond)
{
        const cJSON *x;
        long v;

        cJSON_ArrayForEach(x, arr)
        {
                if (json_long(x, &v) && v == cond)
                        return true;
        }
        return false;
}

static pb_err dominion_contest(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                               const cJSON *ct, unsigned record, struct pb_diag *reterr)
{
        const cJSON *m;
        unsigned max_rank = 0;
        long cand, rank;
        pb_err r;

        cJSON_ArrayForEach(m, item(ct, "Marks"))
        {
                const cJSON *cid = item(m, "CandidateId");
                char num[24];
                const char *key;
                long idv;

                if (cJSON_IsTrue(item(m, "IsAmbiguous")))
                        continue;
                if (!json_long(cid, &idv) || !json_long(item(m, "Rank"), &rank))
                        return jfail(reterr, PB_ERR_PARSE, record, "Marks",
                                     "a mark needs CandidateId and Rank");
                if (rank < 1 || rank > (long)PB_RANKED_MAX_RANK)
                        return jfail(reterr, PB_ERR_INVALID, record, "Marks.Rank",
                                     "rankings must start at 1");
                /* candidates are named by their Dominion id through the config's aliases */
                snprintf(num, sizeof(num), "%ld", idv);
                key = num;
                if (src->uwi_label[0] && !strcmp(key, src->uwi_label))
                        cand = cfg->uwi;
                else
                        cand = pb_rctab_lookup(cfg, key, strlen(key));
                if (cand < 0) {
                        r = jfail(reterr, PB_ERR_INVALID, record, "Marks.CandidateId",
                                  "unrecognized candidate id");
                        pb_diag_subject(reterr, key, strlen(key));
                        return r;
                }
                r = rk_mark(cfg, (unsigned)rank, (uint32_t)cand, record, reterr);
                if (r < 0)
                        return r;
                if ((unsigned)rank > max_rank)
                        max_rank = (unsigned)rank;
        }
        /* Dominion replaces RCTab's maxRankingsAllowed check with its own contest checks */
        (void)max_rank;
        r = pb_ranked_ballot_commit(&cfg->contest, 1);
        if (r < 0)
                return jfail(reterr, r, record, NULL, "cannot store the ballot");
        return PB_OK;
}

static pb_err dominion_tree(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                            const struct pb_rctab_dominion *dm, const cJSON *root, struct pb_diag *reterr)
{
        const cJSON *s;
        unsigned record = 0;
        pb_err r;

        if (!cJSON_IsArray(item(root, "Sessions")))
                return jfail(reterr, PB_ERR_PARSE, 0, "Sessions", "a CvrExport file needs a Sessions array");
        cJSON_ArrayForEach(s, item(root, "Sessions"))
        {
                const cJSON *data = item(s, "Original"), *cards, *card, *ct;
                const cJSON *one[1];

                record++;
                if (!cJSON_IsObject(data))
                        return jfail(reterr, PB_ERR_PARSE, record, "Sessions.Original",
                                     "a session needs Original");
                if (!cJSON_IsTrue(item(data, "IsCurrent"))) {
                        /* adjudicated: the Modified record counts; without one the session is skipped */
                        data = item(s, "Modified");
                        if (!cJSON_IsObject(data))
                                continue;
                }
                cards = item(data, "Cards");
                one[0] = data;
                if (cards && !cJSON_IsArray(cards))
                        return jfail(reterr, PB_ERR_PARSE, record, "Cards", "expected an array");
                for (card = cards ? cards->child : one[0]; card; card = cards ? card->next : NULL) {
                        cJSON_ArrayForEach(ct, item(card, "Contests"))
                        {
                                long id;
                                if (!json_long(item(ct, "Id"), &id))
                                        return jfail(reterr, PB_ERR_PARSE, record, "Contests.Id",
                                                     "a contest needs an Id");
                                if (strlen(src->contest_id) == 0)
                                        continue;
                                {
                                        long want;
                                        if (!rk_parse_long(src->contest_id, strlen(src->contest_id), &want) ||
                                            want != id)
                                                continue;
                                }
                                if (!dm->found)
                                        return jfail(reterr, PB_ERR_INVALID, record, "Contests.Id",
                                                     "contest id not in ContestManifest.json");
                                /* outstack condition 7 marks a partially read card: not counted */
                                if (has_condition(item(ct, "OutstackConditionIds"), 7))
                                        continue;
                                r = dominion_contest(cfg, src, ct, record, reterr);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return PB_OK;
}

pb_err pb_rctab_read_dominion_cvrs(struct pb_rctab_config *cfg, const struct pb_rctab_source *src,
                                   const struct pb_rctab_dominion *dm, const char *buf, size_t len,
                                   struct pb_diag *reterr)
{
        cJSON *root = cJSON_ParseWithLength(buf, len);
        pb_err r;

        if (!root)
                return jfail(reterr, PB_ERR_PARSE, 0, "$", "not valid JSON");
        r = dominion_tree(cfg, src, dm, root, reterr);
        pb_ranked_ballot_discard(&cfg->contest);
        cJSON_Delete(root);
        return r;
}
