/** @file Canonical CVR bytes, commitments and ballot-log leaves. */
#include "engine/pb_cvr.h"

#include <sodium.h>
#include <string.h>

#include "engine/pb_alloc.h"
#include "engine/pb_canon.h"
#include "engine/pb_merkle.h"

_Static_assert(PB_CVR_ID_HEX_LEN == 2 * PB_CVR_ID_BYTES, "a cvr_id's hex is two digits a byte");

static const char *const channel_names[PB_CHANNEL_COUNT] = { "electronic", "paper", "imported", "web" };

const char *pb_channel_name(enum pb_channel c)
{
        return (unsigned)c < PB_CHANNEL_COUNT ? channel_names[c] : "?";
}

pb_err pb_channel_parse(const char *s, size_t len, enum pb_channel *ret)
{
        for (int i = 0; i < PB_CHANNEL_COUNT; i++)
                if (strlen(channel_names[i]) == len && !memcmp(channel_names[i], s, len)) {
                        *ret = (enum pb_channel)i;
                        return PB_OK;
                }
        return PB_ERR_NOT_FOUND;
}

/* Positions 0..n-1 of @items sorted by project id (byte order); insertion sort: ballots are short. */
static void sort_by_id(const struct pb_election *e, const uint32_t *items, size_t *order, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t j = i;
                order[i] = i;
                while (j > 0 &&
                       strcmp(e->projects[items[order[j - 1]]].id, e->projects[items[order[j]]].id) > 0) {
                        size_t t = order[j];
                        order[j] = order[j - 1];
                        order[j - 1] = t;
                        j--;
                }
        }
}

/* Check one ballot of @e as pb_cvr_format() takes it. */
static pb_err ballot_is_writable(const struct pb_election *e, const uint32_t *items, const int64_t *points,
                                 size_t n)
{
        const bool with_points = pb_vote_type_has_points(e->vote_type);

        if ((with_points && n && !points) || (!with_points && points))
                return PB_ERR_INVALID;
        for (size_t i = 0; i < n; i++) {
                if (items[i] >= e->n_projects)
                        return PB_ERR_INVALID;
                for (size_t j = 0; j < i; j++)
                        if (items[j] == items[i])
                                return PB_ERR_INVALID;
        }
        return PB_OK;
}

/* The ballot object B of one ballot of @e (checked by ballot_is_writable). */
static pb_err write_ballot(struct pb_jw *w, const struct pb_election *e, const uint32_t *items,
                           const int64_t *points, size_t n)
{
        size_t *order = pb_reallocarray(NULL, n, sizeof(*order));

        if (!order)
                return PB_ERR_NOMEM;
        if (e->vote_type == PB_VOTE_ORDINAL)
                for (size_t i = 0; i < n; i++)
                        order[i] = i;
        else
                sort_by_id(e, items, order, n);
        pb_jw_object_begin(w);
        if (pb_vote_type_has_points(e->vote_type)) {
                pb_jw_key(w, "points");
                pb_jw_object_begin(w);
                for (size_t i = 0; i < n; i++) {
                        pb_jw_key(w, e->projects[items[order[i]]].id);
                        pb_jw_int(w, points[order[i]]);
                }
                pb_jw_object_end(w);
        } else {
                pb_jw_key(w, pb_ballot_member(e->vote_type));
                pb_jw_array_begin(w);
                for (size_t i = 0; i < n; i++)
                        pb_jw_string(w, e->projects[items[order[i]]].id);
                pb_jw_array_end(w);
        }
        pb_jw_object_end(w);
        pb_free(order);
        return PB_OK;
}

static const char *const mark_names[PB_MARK_COUNT] = { NULL, "blank", "spoiled" };

const char *pb_mark_name(enum pb_mark m)
{
        return (unsigned)m < PB_MARK_COUNT ? mark_names[m] : NULL;
}

/* A batch or officer label: 1..PB_CVR_BATCH_MAX printable ASCII bytes without '"' and '\\'. */
static bool label_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > PB_CVR_BATCH_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
                        return false;
        return true;
}

/* A part's ballot object B: its picks, or its mark ({"blank":true}). */
static pb_err write_part(struct pb_jw *w, const struct pb_cvr_part *p)
{
        if (p->mark == PB_MARK_NONE)
                return write_ballot(w, p->contest, p->items, p->points, p->n);
        pb_jw_object_begin(w);
        pb_jw_kv_bool(w, pb_mark_name(p->mark), true);
        pb_jw_object_end(w);
        return PB_OK;
}

/* Can the parts be written on @channel with @paper? */
static pb_err parts_are_writable(const struct pb_cvr_part *parts, size_t n, enum pb_channel channel,
                                 const struct pb_cvr_paper *paper)
{
        if ((unsigned)channel >= PB_CHANNEL_COUNT || n == 0)
                return PB_ERR_INVALID;
        if (paper && (channel != PB_CHANNEL_PAPER || (paper->batch && !label_ok(paper->batch)) ||
                      (paper->officer && !label_ok(paper->officer))))
                return PB_ERR_INVALID;
        for (size_t i = 0; i < n; i++) {
                const struct pb_cvr_part *p = &parts[i];
                if ((unsigned)p->mark >= PB_MARK_COUNT)
                        return PB_ERR_INVALID;
                if (p->mark != PB_MARK_NONE ? channel != PB_CHANNEL_PAPER || p->n
                                            : ballot_is_writable(p->contest, p->items, p->points, p->n) < 0)
                        return PB_ERR_INVALID;
        }
        return PB_OK;
}

/* Positions of @parts sorted by contest id (insertion sort: a vote has few contests); PB_ERR_INVALID
 * when a contest comes twice. */
static pb_err sort_parts(const struct pb_cvr_part *parts, size_t n, size_t *order)
{
        for (size_t i = 0; i < n; i++) {
                size_t j = i;
                order[i] = i;
                while (j > 0 && strcmp(parts[order[j - 1]].contest->id, parts[order[j]].contest->id) > 0) {
                        size_t t = order[j];
                        order[j] = order[j - 1];
                        order[j - 1] = t;
                        j--;
                }
        }
        for (size_t i = 1; i < n; i++)
                if (!strcmp(parts[order[i - 1]].contest->id, parts[order[i]].contest->id))
                        return PB_ERR_INVALID;
        return PB_OK;
}

/* "ballots": every part under its contest id, in byte order of the ids. */
static pb_err write_parts(struct pb_jw *w, const struct pb_cvr_part *parts, size_t n)
{
        size_t *order = pb_reallocarray(NULL, n, sizeof(*order));
        pb_err r = order ? sort_parts(parts, n, order) : PB_ERR_NOMEM;

        pb_jw_key(w, "ballots");
        pb_jw_object_begin(w);
        for (size_t i = 0; r == PB_OK && i < n; i++) {
                pb_jw_key(w, parts[order[i]].contest->id);
                r = write_part(w, &parts[order[i]]);
        }
        pb_jw_object_end(w);
        pb_free(order);
        return r;
}

pb_err pb_cvr_write(const char *vote_id, bool several, const struct pb_cvr_part *parts, size_t n_parts,
                    enum pb_channel channel, const struct pb_cvr_paper *paper,
                    const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out)
{
        const size_t old_len = out->len;
        struct pb_jw w;
        pb_err r;

        if (parts_are_writable(parts, n_parts, channel, paper) < 0 || (!several && n_parts != 1))
                return PB_ERR_INVALID;
        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        if (several) {
                r = write_parts(&w, parts, n_parts);
        } else {
                pb_jw_key(&w, "ballot");
                r = write_part(&w, &parts[0]);
        }
        if (paper && paper->batch)
                pb_jw_kv_string(&w, "batch", paper->batch);
        pb_jw_kv_string(&w, "channel", pb_channel_name(channel));
        pb_jw_key(&w, "cvr_id");
        pb_jw_hex(&w, cvr_id, PB_CVR_ID_BYTES);
        pb_jw_kv_string(&w, "election", vote_id);
        if (paper && paper->officer)
                pb_jw_kv_string(&w, "officer", paper->officer);
        pb_jw_object_end(&w);
        if (r == PB_OK)
                r = pb_jw_finish(&w);
        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}

pb_err pb_cvr_format(const struct pb_election *e, const uint32_t *items, const int64_t *points, size_t n,
                     enum pb_channel channel, const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out)
{
        const struct pb_cvr_part part = { e, items, points, n, PB_MARK_NONE };

        return pb_cvr_write(e->id, false, &part, 1, channel, NULL, cvr_id, out);
}

pb_err pb_cvr_format_vote(const char *vote_id, const struct pb_cvr_part *parts, size_t n_parts,
                          enum pb_channel channel, const uint8_t cvr_id[PB_CVR_ID_BYTES], struct pb_buf *out)
{
        return pb_cvr_write(vote_id, true, parts, n_parts, channel, NULL, cvr_id, out);
}

pb_err pb_cvr_commitment(const char *election_id, const uint8_t nonce[PB_CVR_NONCE_BYTES], const uint8_t *cvr,
                         size_t len, uint8_t ret_commitment[PB_CVR_HASH_BYTES])
{
        static const char tag[] = PB_CVR_COMMIT_TAG; /* sizeof includes the NUL */
        crypto_hash_sha256_state st;
        size_t id_len = strlen(election_id);
        uint8_t id_len8;

        if (id_len == 0 || id_len > PB_ID_MAX)
                return PB_ERR_INVALID;
        id_len8 = (uint8_t)id_len;
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof(tag));
        crypto_hash_sha256_update(&st, &id_len8, 1);
        crypto_hash_sha256_update(&st, (const uint8_t *)election_id, id_len);
        crypto_hash_sha256_update(&st, nonce, PB_CVR_NONCE_BYTES);
        crypto_hash_sha256_update(&st, cvr, len);
        crypto_hash_sha256_final(&st, ret_commitment);
        return PB_OK;
}

void pb_cvr_leaf_input(const uint8_t commitment[PB_CVR_HASH_BYTES], uint8_t ret[PB_CVR_LEAF_INPUT_BYTES])
{
        static const char tag[] = PB_CVR_LEAF_TAG;

        memcpy(ret, tag, sizeof(tag));
        memcpy(ret + sizeof(tag), commitment, PB_CVR_HASH_BYTES);
}

void pb_cvr_leaf_hash(const uint8_t commitment[PB_CVR_HASH_BYTES], uint8_t ret_hash[PB_MERKLE_HASH_BYTES])
{
        uint8_t in[PB_CVR_LEAF_INPUT_BYTES];

        pb_cvr_leaf_input(commitment, in);
        pb_merkle_leaf_hash(in, sizeof(in), ret_hash);
}
