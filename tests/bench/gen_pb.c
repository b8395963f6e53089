/**
 * @file Writes a large synthetic approval election in pabulib's format, for benchmarks.
 *
 *   gen-pb OUT.pb VOTERS PROJECTS [SEED [OPTION=VALUE...]]
 *
 * Defaults (the 1,000,000-voter benchmark): costs from 50,000 to 1,950,000 in steps of 50,000, a
 * skewed popularity (project i is about 1/(i+3) as likely as the most popular), each voter
 * approves 1 to 5 distinct projects (uniformly), the budget is 12% of the total cost.  Options,
 * for stand-ins of real elections of other shapes (docs/performance.md lists the ones used):
 *
 *   budget=N      the budget (instead of 12% of the total cost)
 *   cost=LO-HI    costs from LO to HI, in 39 equal steps (LO + k (HI - LO) / 38)
 *   picks=K       each voter approves K projects with probability 1/2, else 1 to K uniformly
 *                 (real ballots mostly use every pick they have)
 *   skew=S        project i is about 1/(i+S) as likely as the most popular (default 3; larger
 *                 is flatter)
 *
 * The same arguments always give the same file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t next(void)
{
        /* splitmix64 */
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

struct shape {
        uint64_t budget; /* 0: 12% of the total cost */
        uint64_t cost_lo, cost_hi;
        long picks; /* 0: 1 to 5 uniformly (the original benchmark) */
        uint64_t skew;
};

static int parse_option(struct shape *s, const char *arg)
{
        unsigned long long a, b;

        if (sscanf(arg, "budget=%llu", &a) == 1 && a > 0) {
                s->budget = a;
                return 0;
        }
        if (sscanf(arg, "cost=%llu-%llu", &a, &b) == 2 && a > 0 && a <= b) {
                s->cost_lo = a;
                s->cost_hi = b;
                return 0;
        }
        if (sscanf(arg, "picks=%llu", &a) == 1 && a >= 1 && a <= 64) {
                s->picks = (long)a;
                return 0;
        }
        if (sscanf(arg, "skew=%llu", &a) == 1 && a >= 1) {
                s->skew = a;
                return 0;
        }
        fprintf(stderr, "gen-pb: bad option %s\n", arg);
        return -1;
}

/* How many projects this voter approves. */
static int draw_length(const struct shape *s, long projects)
{
        long k;

        if (!s->picks)
                k = 1 + (long)(next() % 5);
        else if (next() % 2)
                k = s->picks;
        else
                k = 1 + (long)(next() % (uint64_t)s->picks);
        return (int)(k < projects ? k : projects);
}

int main(int argc, char **argv)
{
        struct shape sh = { 0, 50000, 1950000, 0, 3 };
        long voters, projects, maxlen;
        uint64_t *cost, *cum, total = 0, wsum = 0;
        long *picks;
        FILE *f;

        if (argc < 4) {
                fprintf(stderr, "usage: gen-pb OUT.pb VOTERS PROJECTS [SEED [budget=N] [cost=LO-HI] "
                                "[picks=K] [skew=S]]\n");
                return 2;
        }
        voters = strtol(argv[2], NULL, 10);
        projects = strtol(argv[3], NULL, 10);
        state = argc > 4 ? strtoull(argv[4], NULL, 10) : 42;
        for (int i = 5; i < argc; i++)
                if (parse_option(&sh, argv[i]) < 0)
                        return 2;
        if (voters < 1 || projects < 5 || projects > 100000)
                return 2;
        maxlen = sh.picks ? sh.picks : 5;
        cost = calloc((size_t)projects, sizeof(*cost));
        cum = calloc((size_t)projects, sizeof(*cum));
        picks = calloc((size_t)maxlen, sizeof(*picks));
        if (!cost || !cum || !picks)
                return 1;
        for (long p = 0; p < projects; p++) {
                cost[p] = sh.cost_lo + next() % 39 * ((sh.cost_hi - sh.cost_lo) / 38);
                total += cost[p];
                wsum += 1000000 / (uint64_t)(p + (long)sh.skew);
                cum[p] = wsum;
        }
        f = fopen(argv[1], "w");
        if (!f)
                return 1;
        fprintf(f,
                "META\nkey;value\ndescription;synthetic benchmark election\ncountry;Worldwide\n"
                "unit;Benchmark\ninstance;%ld\nnum_projects;%ld\nnum_votes;%ld\nbudget;%llu\n"
                "vote_type;approval\nrule;equalshares/add1\ndate_begin;2026\ndate_end;2026\n"
                "min_length;1\nmax_length;%ld\nPROJECTS\nproject_id;cost;votes\n",
                voters, projects, voters, (unsigned long long)(sh.budget ? sh.budget : total * 12 / 100),
                maxlen);
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
                                int k = draw_length(&sh, projects), n = 0;
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
        free(picks);
        return fclose(f) ? 1 : 0;
}
