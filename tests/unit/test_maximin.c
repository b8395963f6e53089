/**
 * @file Maximin support (engine/tally_maximin.c, engine/maximin_flow.c) against an independent
 * reference on thousands of random elections of up to 60 distinct voters, 12 projects and
 * repeated ballots: every project's z(W + p) computed from scratch each round, by Newton's
 * method over a plain Edmonds-Karp maximum flow on a dense matrix (no warm start, no lower
 * bounds, no laziness, no rounding of a kept flow).  Winners, every step's max load and every
 * tie must agree.  Small costs make ties frequent; large costs and repeated ballots reach the
 * big values the engine's units produce.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "engine/pb_int128.h"
#include "engine/pb_tally.h"

#define RV 64 /* distinct voters */
#define RP 12 /* projects */
#define RN (RV + RP + 2)

struct relection {
        int n, m;           /* distinct voters, projects */
        int64_t weight[RV]; /* ballots behind each */
        int64_t cost[RP];
        int64_t budget;
        bool sup[RV][RP];
};

static pb_i128 cap[RN][RN];

/* Edmonds-Karp on the dense matrix cap[][] from node 0 to node 1; leaves the residual in cap. */
static pb_i128 ek_maxflow(int nodes, bool *reach)
{
        pb_i128 total = 0;

        for (;;) {
                int prev[RN], queue[RN], qh = 0, qt = 0;
                pb_i128 a = -1;
                for (int i = 0; i < nodes; i++)
                        prev[i] = -1;
                prev[0] = 0;
                queue[qt++] = 0;
                while (qh < qt && prev[1] < 0) {
                        int u = queue[qh++];
                        for (int x = 0; x < nodes; x++)
                                if (prev[x] < 0 && cap[u][x] > 0) {
                                        prev[x] = u;
                                        queue[qt++] = x;
                                }
                }
                if (prev[1] < 0) {
                        for (int i = 0; i < nodes; i++)
                                reach[i] = prev[i] >= 0;
                        return total;
                }
                for (int x = 1; x != 0; x = prev[x])
                        if (a < 0 || cap[prev[x]][x] < a)
                                a = cap[prev[x]][x];
                for (int x = 1; x != 0; x = prev[x]) {
                        cap[prev[x]][x] -= a;
                        cap[x][prev[x]] += a;
                }
                total += a;
        }
}

/* z(set) by Newton's method from cost(set)/|N(set)|; false when some project has no supporter. */
static bool ref_z(const struct relection *r, const bool *set, int64_t *ret_num, int64_t *ret_den)
{
        int64_t a = 0, b = 0;
        bool any[RV] = { false };

        for (int p = 0; p < r->m; p++) {
                bool has = false;
                if (!set[p])
                        continue;
                a += r->cost[p];
                for (int v = 0; v < r->n; v++)
                        if (r->sup[v][p]) {
                                has = true;
                                any[v] = true;
                        }
                if (!has)
                        return false;
        }
        for (int v = 0; v < r->n; v++)
                b += any[v] ? r->weight[v] : 0;
        for (;;) {
                bool reach[RN];
                pb_i128 need = 0;
                int64_t tc = 0, tw = 0, g;
                memset(cap, 0, sizeof(cap));
                for (int p = 0; p < r->m; p++) {
                        if (!set[p])
                                continue;
                        cap[0][2 + p] = (pb_i128)r->cost[p] * b;
                        need += cap[0][2 + p];
                        for (int v = 0; v < r->n; v++)
                                if (r->sup[v][p])
                                        cap[2 + p][2 + RP + v] = (pb_i128)1 << 120;
                }
                for (int v = 0; v < r->n; v++)
                        cap[2 + RP + v][1] = (pb_i128)a * r->weight[v];
                if (ek_maxflow(RN, reach) == need)
                        break;
                for (int p = 0; p < r->m; p++)
                        tc += set[p] && reach[2 + p] ? r->cost[p] : 0;
                for (int v = 0; v < r->n; v++)
                        tw += reach[2 + RP + v] ? r->weight[v] : 0;
                if (!((pb_i128)a * tw < (pb_i128)tc * b))
                        abort(); /* the reference itself is wrong */
                g = (int64_t)pb_i128_gcd(tc, tw);
                a = tc / g;
                b = tw / g;
        }
        *ret_num = a;
        *ret_den = b;
        return true;
}

static void fraction(int64_t num, int64_t den, char *buf, size_t len)
{
        int64_t g = (int64_t)pb_i128_gcd(num, den);
        if (den / g == 1)
                snprintf(buf, len, "%lld", (long long)(num / g));
        else
                snprintf(buf, len, "%lld/%lld", (long long)(num / g), (long long)(den / g));
}

/* The rule, from scratch each round; compares each step and tie with @res. */
static void compare(const struct relection *r, const struct pb_result *res, int trial)
{
        bool w[RP] = { false }, unsupported = false;
        int64_t left = r->budget;
        size_t step = 0, tie = 0;
        bool ok = true;

        for (;;) {
                int64_t zn[RP], zd[RP], bn = 0, bd = 0;
                bool fin[RP], any = false, best_inf = true;
                uint32_t tied[RP];
                uint32_t nt = 0;
                for (int p = 0; p < r->m; p++) {
                        bool set[RP];
                        if (w[p] || r->cost[p] > left)
                                continue;
                        memcpy(set, w, sizeof(set));
                        set[p] = true;
                        fin[p] = !unsupported && ref_z(r, set, &zn[p], &zd[p]);
                        if (fin[p] && (best_inf || (pb_i128)zn[p] * bd < (pb_i128)bn * zd[p])) {
                                bn = zn[p];
                                bd = zd[p];
                                best_inf = false;
                        }
                        any = true;
                }
                if (!any)
                        break;
                for (int p = 0; p < r->m; p++) /* ids are letters in index order: lexico is index order */
                        if (!w[p] && r->cost[p] <= left &&
                            (best_inf ? !fin[p] : fin[p] && (pb_i128)zn[p] * bd == (pb_i128)bn * zd[p]))
                                tied[nt++] = (uint32_t)p;
                ok = ok && step < res->n_steps && res->steps[step].project == tied[0];
                if (ok) {
                        char want[64];
                        if (best_inf)
                                snprintf(want, sizeof(want), "inf");
                        else
                                fraction(bn, bd, want, sizeof(want));
                        ok = !strcmp(res->steps[step].measure, want);
                }
                if (ok && nt > 1) {
                        ok = tie < res->n_ties && res->ties[tie].step == step + 1 && res->ties[tie].n == nt &&
                             !memcmp(res->ties[tie].tied, tied, nt * sizeof(*tied));
                        tie++;
                }
                w[tied[0]] = true;
                left -= r->cost[tied[0]];
                unsupported |= best_inf;
                step++;
        }
        ok = ok && step == res->n_steps && tie == res->n_ties;
        CHECK(ok);
        if (!ok)
                fprintf(stderr, "  maximin trial %d (n=%d m=%d): differs at step %zu\n", trial, r->n, r->m,
                        step);
}

static uint64_t rs = 0x853c49e6748fea9bull;
static uint64_t rnd(uint64_t n)
{
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        return rs % n;
}

/* A random election: @big for large costs and many repeated ballots. */
static struct pb_election *random_election(struct relection *r, bool big)
{
        struct pb_election *e = pb_election_new();
        struct pb_diag d;
        int64_t total = 0;
        uint64_t density = 2 + rnd(6);
        bool built = true;

        memset(r, 0, sizeof(*r));
        r->n = 1 + (int)rnd(big ? 40 : RV);
        r->m = 1 + (int)rnd(RP);
        e->vote_type = PB_VOTE_APPROVAL;
        for (int p = 0; p < r->m; p++) {
                char id[2] = { (char)('a' + p), 0 };
                r->cost[p] = big ? (int64_t)(1 + rnd((uint64_t)1 << 40)) : 1 + (int64_t)rnd(rnd(2) ? 3 : 12);
                total += r->cost[p];
                built &= pb_election_add_project(e, id, 1, r->cost[p], NULL, &d) == PB_OK;
        }
        r->budget = 1 + (int64_t)rnd((uint64_t)total + 3);
        e->budget = r->budget;
        for (int v = 0; v < r->n; v++) {
                int64_t copies = big ? 1 + (int64_t)rnd(1000) : 1 + (int64_t)rnd(rnd(4) ? 1 : 3);
                for (int p = 0; p < r->m; p++)
                        r->sup[v][p] = rnd(density) == 0;
                r->weight[v] = copies;
                for (int64_t c = 0; c < copies; c++) {
                        for (int p = 0; p < r->m; p++)
                                if (r->sup[v][p])
                                        built &= pb_ballots_add_item(e, (uint32_t)p, 0) == PB_OK;
                        built &= pb_ballots_end(e, NULL) == PB_OK;
                }
        }
        CHECK(built);
        return e;
}

/* Distinct voters may repeat in @r (two random rows alike): the reference counts them apart,
 * which gives the same loads, so nothing needs merging here. */
static void test_random_against_reference(void)
{
        for (int trial = 0; trial < 3000; trial++) {
                struct relection r;
                struct pb_election *e = random_election(&r, trial % 4 == 3);
                struct pb_result res;
                struct pb_rule rule;
                struct pb_diag d;

                pb_rule_init(&rule);
                rule.kind = PB_RULE_MAXIMIN_SUPPORT;
                rule.tie_break = PB_TIE_LEXICO;
                pb_result_init(&res);
                CHECK_INT(pb_tally_run(e, &rule, &res, &d), PB_OK);
                compare(&r, &res, trial);
                pb_result_release(&res);
                pb_election_free(e);
        }
}

int main(void)
{
        RUN(test_random_against_reference);
        return check_summary("maximin");
}
