/** @file Counting every contest of a vote into one tally document. */
#include "ballots/pb_vote.h"

#include <sodium.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_tally.h"

void pb_vote_count_release(struct pb_vote_count *c)
{
        for (size_t i = 0; c->res && i < c->n; i++)
                pb_result_release(&c->res[i]);
        pb_free(c->res);
        memset(c, 0, sizeof(*c));
}

pb_err pb_vote_add_ballots(struct pb_manifest *m, const struct pb_vote_ballots *vb, const char *voter_id)
{
        pb_err r = PB_OK;

        for (size_t i = 0; r == PB_OK && i < vb->n; i++) {
                const struct pb_contest_ballot *b = &vb->part[i];
                struct pb_election *e = m->contests[b->contest].election;
                const char *id;

                if (b->mark != PB_MARK_NONE)
                        continue; /* a paper's blank or spoiled part: recorded, never counted */
                id = voter_id ? pb_election_str(e, voter_id, strlen(voter_id)) : NULL;
                if (voter_id && !id)
                        return PB_ERR_NOMEM;
                for (size_t k = 0; r == PB_OK && k < b->n; k++)
                        r = pb_ballots_add_item(e, b->items[k], b->points ? b->points[k] : 0);
                if (r == PB_OK)
                        r = pb_ballots_end(e, id);
        }
        return r;
}

bool pb_vote_is_seeded(const struct pb_manifest *m)
{
        for (size_t i = 0; i < m->n_contests; i++)
                if (m->contests[i].has_seed_commitment)
                        return true;
        return false;
}

pb_err pb_vote_seed_check(const struct pb_manifest *m, const uint64_t *seed, struct pb_diag *reterr)
{
        uint8_t c[PB_SHA256_BYTES];

        if (!pb_vote_is_seeded(m))
                return seed ? pb_diag_set(reterr, PB_ERR_INVALID, "seed",
                                          "this election's rule takes no seed")
                            : PB_OK;
        if (!seed)
                return pb_diag_set(reterr, PB_ERR_INVALID, "seed",
                                   "this rule breaks ties with a seed: give it");
        pb_manifest_seed_commitment(*seed, c);
        for (size_t i = 0; i < m->n_contests; i++)
                if (m->contests[i].has_seed_commitment &&
                    sodium_memcmp(c, m->contests[i].seed_sha256, sizeof(c)))
                        return pb_diag_set(reterr, PB_ERR_INVALID, "seed",
                                           "the seed does not match the manifest's commitment");
        return PB_OK;
}

/* Contest @c counted into @res, its tally document into @doc. */
static pb_err count_one(const struct pb_contest *c, const uint64_t *seed, const char *engine_version,
                        struct pb_result *res, struct pb_buf *doc, struct pb_diag *d)
{
        struct pb_rule rule = c->rule;
        pb_err r;

        if (c->has_seed_commitment)
                rule.seed = *seed;
        r = pb_tally_run(c->election, &rule, res, d);
        if (r == PB_OK)
                r = pb_result_format_json(res, c->election, engine_version, doc);
        return r;
}

/* {"contests":{"<id>":doc,...}} from the documents @docs (manifest order), keys in id order. */
static pb_err write_contests(const struct pb_manifest *m, const struct pb_buf *docs, struct pb_buf *out)
{
        const size_t old_len = out->len;
        struct pb_jw w;
        pb_err r;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "contests");
        pb_jw_object_begin(&w);
        for (size_t i = 0; i < m->n_contests; i++) {
                uint32_t k = m->by_id[i];
                pb_jw_key(&w, m->contests[k].election->id);
                pb_jw_raw(&w, docs[k].data, docs[k].len);
        }
        pb_jw_object_end(&w);
        pb_jw_object_end(&w);
        r = pb_jw_finish(&w);
        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}

pb_err pb_vote_tally(const struct pb_manifest *m, const uint64_t *seed, const char *engine_version,
                     struct pb_vote_count *ret, struct pb_buf *out, struct pb_diag *reterr)
{
        struct pb_vote_count c = { m->n_contests, NULL };
        struct pb_buf *docs = NULL;
        pb_err r = pb_vote_seed_check(m, seed, reterr);

        if (r < 0)
                return r;
        c.res = pb_calloc(m->n_contests, sizeof(*c.res));
        docs = pb_calloc(m->n_contests, sizeof(*docs));
        if (!c.res || !docs) {
                r = PB_ERR_NOMEM;
                goto out;
        }
        for (size_t i = 0; i < m->n_contests; i++) {
                pb_result_init(&c.res[i]);
                pb_buf_init(&docs[i], 0);
        }
        for (size_t i = 0; r == PB_OK && i < m->n_contests; i++)
                r = count_one(&m->contests[i], seed, engine_version, &c.res[i], &docs[i], reterr);
        if (r == PB_OK)
                r = m->has_contests ? write_contests(m, docs, out)
                                    : pb_buf_add(out, docs[0].data, docs[0].len);
        if (r == PB_OK && ret) {
                pb_vote_count_release(ret);
                *ret = c;
                c.res = NULL;
        }
out:
        for (size_t i = 0; docs && i < m->n_contests; i++)
                pb_buf_release(&docs[i]);
        pb_free(docs);
        pb_vote_count_release(&c);
        return r;
}
