/**
 * @file Tiny approval elections written as letters, for the tests of the proportional rules
 * (test_mes.c, test_phragmen.c): projects 'a', 'b', ... and each ballot a string of them; the
 * winners come back as a string of letters in the order the rule selected them.
 */
#ifndef PB_TEST_LETTERS_ELECTION_H
#define PB_TEST_LETTERS_ELECTION_H

#include "check.h"
#include "engine/pb_tally.h"

/* Projects 'a'.. (@m of them, costing @costs), budget @budget, and the @n @ballots, each a string
 * of project letters.  Owned by the caller (pb_election_free). */
static inline struct pb_election *letters_election(int64_t budget, const int64_t *costs, int m,
                                                   const char *const *ballots, int n)
{
        struct pb_election *e = pb_election_new();
        struct pb_diag d;

        e->budget = budget;
        e->vote_type = PB_VOTE_APPROVAL;
        for (int p = 0; p < m; p++) {
                char id[2] = { (char)('a' + p), 0 };
                CHECK_INT(pb_election_add_project(e, id, 1, costs[p], NULL, &d), PB_OK);
        }
        for (int v = 0; v < n; v++) {
                for (const char *s = ballots[v]; *s; s++)
                        CHECK_INT(pb_ballots_add_item(e, (uint32_t)(*s - 'a'), 0), PB_OK);
                CHECK_INT(pb_ballots_end(e, NULL), PB_OK);
        }
        return e;
}

/* Run @rule on @e into @res (initialised here; the caller releases it); the winners as a string
 * of letters, in selection order, into @out. */
static inline void letters_tally(const struct pb_election *e, const struct pb_rule *rule, char *out,
                                 struct pb_result *res)
{
        struct pb_diag d;
        size_t k = 0;

        pb_result_init(res);
        CHECK_INT(pb_tally_run(e, rule, res, &d), PB_OK);
        for (size_t i = 0; i < res->n_winners; i++)
                out[k++] = e->projects[res->winners[i]].id[0];
        out[k] = 0;
}

/* xorshift, for reproducible random elections: the next value of the generator @state, reduced
 * below @n. */
static inline uint64_t letters_random(uint64_t *state, uint64_t n)
{
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        return *state % n;
}

#endif
