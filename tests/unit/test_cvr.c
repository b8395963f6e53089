/** @file CVR bytes, commitments and leaves against vectors computed independently (Python hashlib). */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "engine/pb_alloc.h"
#include "engine/pb_cvr.h"

static struct pb_election *make(enum pb_vote_type t, const char *id)
{
        struct pb_election *e = pb_election_new();
        const char *ids[] = { "b", "a", "c" };

        CHECK(e != NULL);
        e->vote_type = t;
        e->id = pb_election_str(e, id, strlen(id));
        for (int i = 0; i < 3; i++)
                CHECK_INT(pb_election_add_project(e, ids[i], 1, 10, NULL, NULL), PB_OK);
        return e;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
        sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* Format the CVR of @items (@points) in @e, check its bytes and its commitment under @nonce against
 * the independent vectors; the CVR stays in @out (to release), the commitment in @c. */
static void check_vector(const struct pb_election *e, const uint32_t *items, const int64_t *points, size_t n,
                         enum pb_channel channel, const uint8_t id[16], const uint8_t nonce[32],
                         const char *want_cvr, const char *want_commitment, struct pb_buf *out, uint8_t c[32])
{
        char h[65];

        pb_buf_init(out, 0);
        CHECK_INT(pb_cvr_format(e, items, points, n, channel, id, out), PB_OK);
        CHECK_STR(out->data, want_cvr);
        CHECK_INT(pb_cvr_commitment(e->id, nonce, (const uint8_t *)out->data, out->len, c), PB_OK);
        hex(c, 32, h);
        CHECK_STR(h, want_commitment);
}

static void test_approval_vector(void)
{
        struct pb_election *e = make(PB_VOTE_APPROVAL, "e1");
        uint8_t id[16], nonce[32], c[32], leaf[32];
        uint32_t items[2] = { 0, 1 }; /* b, a: written in id byte order */
        struct pb_buf out;
        char h[65];

        for (int i = 0; i < 16; i++)
                id[i] = (uint8_t)i;
        for (int i = 0; i < 32; i++)
                nonce[i] = (uint8_t)i;
        check_vector(e, items, NULL, 2, PB_CHANNEL_PAPER, id, nonce,
                     "{\"ballot\":{\"approvals\":[\"a\",\"b\"]},\"channel\":\"paper\","
                     "\"cvr_id\":\"000102030405060708090a0b0c0d0e0f\",\"election\":\"e1\"}",
                     "592a5f10fc444256d21828b0f1f6b1b77212a859e17db0054f9bb7b2d4041af5", &out, c);
        pb_cvr_leaf_hash(c, leaf);
        hex(leaf, 32, h);
        CHECK_STR(h, "3730fc6b0595f225da3737c48858fd60ab69a619dc1169d728b8132d5bb8906e");
        /* one changed byte of the CVR, the nonce or the id changes the commitment */
        {
                uint8_t c2[32];
                out.data[12] ^= 1;
                CHECK_INT(pb_cvr_commitment("e1", nonce, (const uint8_t *)out.data, out.len, c2), PB_OK);
                CHECK(memcmp(c, c2, 32) != 0);
                out.data[12] ^= 1;
                nonce[0] ^= 1;
                CHECK_INT(pb_cvr_commitment("e1", nonce, (const uint8_t *)out.data, out.len, c2), PB_OK);
                CHECK(memcmp(c, c2, 32) != 0);
                nonce[0] ^= 1;
                CHECK_INT(pb_cvr_commitment("e2", nonce, (const uint8_t *)out.data, out.len, c2), PB_OK);
                CHECK(memcmp(c, c2, 32) != 0);
        }
        pb_buf_release(&out);
        pb_election_free(e);
}

static void test_points_vector(void)
{
        struct pb_election *e = make(PB_VOTE_CUMULATIVE, "BO.OM.97/24");
        uint8_t id[16], nonce[32] = { 0 }, c[32];
        uint32_t items[2] = { 2, 1 }; /* c, a */
        int64_t points[2] = { 1, 3 };
        struct pb_buf out;

        memset(id, 0xff, sizeof(id));
        check_vector(e, items, points, 2, PB_CHANNEL_ELECTRONIC, id, nonce,
                     "{\"ballot\":{\"points\":{\"a\":3,\"c\":1}},\"channel\":\"electronic\","
                     "\"cvr_id\":\"ffffffffffffffffffffffffffffffff\",\"election\":\"BO.OM.97/24\"}",
                     "2e6dbe46cf02f833756acd3f6a2056322b9be988aa0bb67a46f59ce30cb16180", &out, c);
        pb_buf_release(&out);
        pb_election_free(e);
}

static void test_ranking_keeps_order(void)
{
        struct pb_election *e = make(PB_VOTE_ORDINAL, "x");
        uint8_t id[16] = { 0 };
        uint32_t items[3] = { 2, 0, 1 };
        struct pb_buf out;

        pb_buf_init(&out, 0);
        CHECK_INT(pb_cvr_format(e, items, NULL, 3, PB_CHANNEL_IMPORTED, id, &out), PB_OK);
        CHECK(strstr(out.data, "{\"ballot\":{\"ranking\":[\"c\",\"b\",\"a\"]},\"channel\":\"imported\"") ==
              out.data);
        pb_buf_reset(&out);
        CHECK_INT(pb_cvr_format(e, items, NULL, 0, PB_CHANNEL_IMPORTED, id, &out), PB_OK); /* blank */
        CHECK(strstr(out.data, "{\"ballot\":{\"ranking\":[]}") == out.data);
        pb_buf_release(&out);
        pb_election_free(e);
}

static void test_refusals(void)
{
        struct pb_election *e = make(PB_VOTE_APPROVAL, "x");
        uint8_t id[16] = { 0 }, nonce[32] = { 0 }, c[32];
        uint32_t dup[2] = { 1, 1 }, out_of_range[1] = { 3 };
        int64_t points[1] = { 1 };
        struct pb_buf out;
        char long_id[PB_ID_MAX + 2];

        pb_buf_init(&out, 0);
        CHECK(pb_cvr_format(e, dup, NULL, 2, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        CHECK(pb_cvr_format(e, out_of_range, NULL, 1, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        CHECK(pb_cvr_format(e, dup, points, 1, PB_CHANNEL_PAPER, id, &out) == PB_ERR_INVALID);
        CHECK(pb_cvr_format(e, dup, NULL, 1, PB_CHANNEL_COUNT, id, &out) == PB_ERR_INVALID);
        CHECK_INT(out.len, 0);
        memset(long_id, 'x', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        CHECK(pb_cvr_commitment(long_id, nonce, (const uint8_t *)"{}", 2, c) == PB_ERR_INVALID);
        CHECK(pb_cvr_commitment("", nonce, (const uint8_t *)"{}", 2, c) == PB_ERR_INVALID);
        {
                enum pb_channel ch;
                CHECK(pb_channel_parse("paper", 5, &ch) == PB_OK && ch == PB_CHANNEL_PAPER);
                CHECK(pb_channel_parse("pape", 4, &ch) == PB_ERR_NOT_FOUND);
                CHECK_STR(pb_channel_name(PB_CHANNEL_IMPORTED), "imported");
        }
        pb_buf_release(&out);
        pb_election_free(e);
}

static void test_oom(void)
{
        struct pb_election *e = make(PB_VOTE_APPROVAL, "e1");
        uint8_t id[16] = { 0 };
        uint32_t items[2] = { 0, 1 };
        bool done = false;

        for (long n = 0; n < 100 && !done; n++) {
                struct pb_buf out;
                pb_err r;

                pb_buf_init(&out, 0);
                pb_alloc_fail_after(n);
                r = pb_cvr_format(e, items, NULL, 2, PB_CHANNEL_PAPER, id, &out);
                pb_alloc_fail_after(-1);
                CHECK(r == PB_OK || r == PB_ERR_NOMEM);
                if (r == PB_ERR_NOMEM)
                        CHECK_INT(out.len, 0);
                done = r == PB_OK;
                pb_buf_release(&out);
        }
        CHECK(done);
        pb_election_free(e);
}

int main(void)
{
        if (sodium_init() < 0)
                return 1;
        RUN(test_approval_vector);
        RUN(test_points_vector);
        RUN(test_ranking_keeps_order);
        RUN(test_refusals);
        RUN(test_oom);
        return check_summary("cvr");
}
