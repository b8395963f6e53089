/**
 * @file Writes a large synthetic approval election in pabulib's format, for benchmarks.
 *
 *   gen-pb OUT.pb VOTERS PROJECTS [SEED]
 *
 * Projects have costs from 50,000 to 2,000,000 and a skewed popularity (project i is about
 * 1/(i+3) as likely as the most popular); each voter approves 1 to 5 distinct projects; the
 * budget is 12% of the total cost.  The same arguments always give the same file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state;

static uint64_t next(void)
{
        /* splitmix64 */
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
        long voters, projects;
        uint64_t *cost, *cum, total = 0, wsum = 0;
        FILE *f;

        if (argc < 4) {
                fprintf(stderr, "usage: gen-pb OUT.pb VOTERS PROJECTS [SEED]\n");
                return 2;
        }
        voters = strtol(argv[2], NULL, 10);
        projects = strtol(argv[3], NULL, 10);
        state = argc > 4 ? strtoull(argv[4], NULL, 10) : 42;
        if (voters < 1 || projects < 5 || projects > 100000)
                return 2;
        cost = calloc((size_t)projects, sizeof(*cost));
        cum = calloc((size_t)projects, sizeof(*cum));
        if (!cost || !cum)
                return 1;
        for (long p = 0; p < projects; p++) {
                cost[p] = 50000 + next() % 39 * 50000;
                total += cost[p];
                wsum += 1000000 / (uint64_t)(p + 3);
                cum[p] = wsum;
        }
        f = fopen(argv[1], "w");
        if (!f)
                return 1;
        fprintf(f,
                "META\nkey;value\ndescription;synthetic benchmark election\ncountry;Worldwide\n"
                "unit;Benchmark\ninstance;%ld\nnum_projects;%ld\nnum_votes;%ld\nbudget;%llu\n"
                "vote_type;approval\nrule;equalshares/add1\ndate_begin;2026\ndate_end;2026\n"
                "min_length;1\nmax_length;5\nPROJECTS\nproject_id;cost;votes\n",
                voters, projects, voters, (unsigned long long)(total * 12 / 100));
        {
                /* the votes column must match the ballots: count them first with the same draws */
                uint64_t saved = state, *votes = calloc((size_t)projects, sizeof(*votes));
                if (!votes)
                        return 1;
                for (int pass = 0; pass < 2; pass++) {
                        state = saved;
                        if (pass == 1) {
                                for (long p = 0; p < projects; p++)
                                        fprintf(f, "%ld;%llu;%llu\n", p + 1, (unsigned long long)cost[p],
                                                (unsigned long long)votes[p]);
                                fprintf(f, "VOTES\nvoter_id;vote\n");
                        }
                        for (long v = 0; v < voters; v++) {
                                long picks[5];
                                int k = 1 + (int)(next() % 5), n = 0;
                                while (n < k) {
                                        uint64_t x = next() % wsum;
                                        long lo = 0, hi = projects - 1;
                                        while (lo < hi) {
                                                long mid = (lo + hi) / 2;
                                                if (cum[mid] > x)
                                                        hi = mid;
                                                else
                                                        lo = mid + 1;
                                        }
                                        int dup = 0;
                                        for (int i = 0; i < n; i++)
                                                dup |= picks[i] == lo;
                                        if (!dup)
                                                picks[n++] = lo;
                                }
                                if (pass == 0) {
                                        for (int i = 0; i < n; i++)
                                                votes[picks[i]]++;
                                        continue;
                                }
                                fprintf(f, "%ld;", v + 1);
                                for (int i = 0; i < n; i++)
                                        fprintf(f, "%s%ld", i ? "," : "", picks[i] + 1);
                                fputc('\n', f);
                        }
                }
                free(votes);
        }
        free(cost);
        free(cum);
        return fclose(f) ? 1 : 0;
}
