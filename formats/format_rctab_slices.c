/**
 * @file RCTab's slice report files ("tabulate by precinct / batch"): their names, as RCTab's
 * ResultsWriter makes them, and writing them all under one folder.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/pb_file.h"
#include "formats/pb_format_rctab.h"
#include "engine/pb_alloc.h"
#include "engine/pb_hash.h"

static const char *const kind_word[PB_RANKED_SLICE_KINDS] = { "precinct", "batch" };
static const char *const folder[PB_RANKED_SLICE_KINDS] = { "Tabulate by Precinct", "Tabulate by Batch" };

const char *pb_rctab_slice_folder(enum pb_ranked_slice_kind kind)
{
        return (unsigned)kind < PB_RANKED_SLICE_KINDS ? folder[kind] : NULL;
}

/* Length of the UTF-8 sequence starting at @s (1 for a byte that does not start a valid one):
 * Java's regex replaces a whole code point by one '_'. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t need, i;

        if (s[0] < 0xc2 || s[0] > 0xf4)
                return 1;
        need = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
        if (need > n)
                return 1;
        for (i = 1; i < need; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 1;
        return need;
}

/* ResultsWriter.sanitizeStringForOutput, then "_<kind>" */
static pb_err sanitize(const char *id, enum pb_ranked_slice_kind kind, struct pb_buf *out)
{
        const unsigned char *s = (const unsigned char *)id;
        size_t n = strlen(id), i = 0;
        pb_err r = PB_OK;

        while (i < n && r >= 0) {
                unsigned char ch = s[i];
                bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
                r = pb_buf_addc(out, keep ? (char)ch : '_');
                i += keep ? 1 : utf8_len(s + i, n - i);
        }
        if (r >= 0)
                r = pb_buf_addc(out, '_');
        if (r >= 0)
                r = pb_buf_adds(out, kind_word[kind]);
        return r;
}

/* A set of the stems handed out so far (open addressing over indexes + 1). */
struct stem_set {
        char **stems;    /* by slice index; NULL until assigned */
        uint32_t *slots; /* slice index + 1 */
        size_t n_slots;
};

static bool stem_taken(const struct stem_set *ss, const char *s)
{
        size_t k;

        for (k = pb_hash_fnv1a(s, strlen(s)) & (ss->n_slots - 1); ss->slots[k];
             k = (k + 1) & (ss->n_slots - 1))
                if (!strcmp(ss->stems[ss->slots[k] - 1], s))
                        return true;
        return false;
}

static void stem_put(struct stem_set *ss, size_t idx)
{
        const char *s = ss->stems[idx];
        size_t k;

        for (k = pb_hash_fnv1a(s, strlen(s)) & (ss->n_slots - 1); ss->slots[k];
             k = (k + 1) & (ss->n_slots - 1))
                ;
        ss->slots[k] = (uint32_t)idx + 1;
}

struct named {
        const char *name;
        uint32_t idx;
};

static int cmp_named(const void *a, const void *b)
{
        return pb_ranked_java_strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

void pb_rctab_slice_stems_free(char **stems, size_t n)
{
        size_t i;

        if (!stems)
                return;
        for (i = 0; i < n; i++)
                pb_free(stems[i]);
        pb_free(stems);
}

pb_err pb_rctab_slice_stems(const struct pb_ranked_contest *c, enum pb_ranked_slice_kind kind, char ***ret)
{
        const struct pb_ranked_slices *sl;
        struct stem_set ss = { NULL, NULL, 0 };
        struct pb_buf b;
        struct named *order = NULL;
        size_t n, i, base;
        pb_err r = PB_ERR_NOMEM;

        if ((unsigned)kind >= PB_RANKED_SLICE_KINDS)
                return PB_ERR_INVALID;
        sl = &c->slices[kind];
        n = sl->n;
        pb_buf_init(&b, 0);
        ss.stems = pb_calloc(n, sizeof(*ss.stems));
        order = pb_calloc(n, sizeof(*order));
        ss.n_slots = 16;
        while (ss.n_slots < n * 2)
                ss.n_slots *= 2;
        ss.slots = pb_calloc(ss.n_slots, sizeof(*ss.slots));
        if (!ss.stems || !order || !ss.slots)
                goto out;
        for (i = 0; i < n; i++) {
                order[i].name = sl->names[i];
                order[i].idx = (uint32_t)i;
        }
        qsort(order, n, sizeof(*order), cmp_named);
        for (i = 0; i < n; i++) {
                uint32_t idx = order[i].idx;
                unsigned suffix = 2;

                pb_buf_reset(&b);
                r = sanitize(sl->names[idx], kind, &b);
                if (r < 0)
                        goto out;
                /* getFileStringForSlice: append _2, _3, ... until the name is unused */
                base = b.len;
                while (stem_taken(&ss, b.data)) {
                        b.len = base;
                        r = pb_buf_addf(&b, "_%u", suffix++);
                        if (r < 0)
                                goto out;
                }
                ss.stems[idx] = pb_strndup(b.data, b.len);
                if (!ss.stems[idx]) {
                        r = PB_ERR_NOMEM;
                        goto out;
                }
                stem_put(&ss, idx);
        }
        *ret = ss.stems;
        ss.stems = NULL;
        r = PB_OK;
out:
        pb_rctab_slice_stems_free(ss.stems, n);
        pb_free(ss.slots);
        pb_free(order);
        pb_buf_release(&b);
        return r;
}

/* "<dir>/<folder>[/<stem>_detailed_report.json]" into @b (reset first). */
static pb_err path_of(struct pb_buf *b, const char *dir, enum pb_ranked_slice_kind kind, const char *stem)
{
        pb_err r;

        pb_buf_reset(b);
        r = pb_buf_addf(b, "%s/%s", dir, folder[kind]);
        if (r >= 0 && stem)
                r = pb_buf_addf(b, "/%s_detailed_report.json", stem);
        return r;
}

pb_err pb_rctab_slices_write(const char *dir, const struct pb_ranked_contest *c,
                             const struct pb_ranked_outcome *o, const struct pb_rctab_meta *meta,
                             bool multi_pass, size_t *ret_count, struct pb_buf *ret_errpath,
                             struct pb_diag *reterr)
{
        struct pb_buf path, json;
        char **stems = NULL;
        size_t count = 0, s;
        unsigned k;
        bool made = false;
        pb_err r = PB_OK;

        pb_buf_init(&path, 0);
        pb_buf_init(&json, 0);
        for (k = 0; k < PB_RANKED_SLICE_KINDS && r >= 0; k++) {
                size_t n = c->slices[k].n;

                if (!n)
                        continue;
                if (!made) {
                        r = pb_file_mkdir(dir, reterr);
                        if (r < 0) {
                                if (ret_errpath && pb_buf_adds(ret_errpath, dir) < 0)
                                        r = PB_ERR_NOMEM;
                                break;
                        }
                        made = true;
                }
                r = path_of(&path, dir, (enum pb_ranked_slice_kind)k, NULL);
                if (r >= 0) {
                        r = pb_file_mkdir(path.data, reterr);
                        if (r == PB_ERR_IO)
                                goto io_error;
                }
                if (r >= 0)
                        r = pb_rctab_slice_stems(c, (enum pb_ranked_slice_kind)k, &stems);
                for (s = 0; r >= 0 && s < n; s++) {
                        pb_buf_reset(&json);
                        r = pb_rctab_slice_report_write(c, o, meta, multi_pass, (enum pb_ranked_slice_kind)k,
                                                        s, &json);
                        if (r >= 0)
                                r = path_of(&path, dir, (enum pb_ranked_slice_kind)k, stems[s]);
                        if (r >= 0) {
                                r = pb_file_write_atomic(path.data, json.data, json.len, reterr);
                                if (r == PB_ERR_IO)
                                        goto io_error;
                        }
                        count++;
                }
                pb_rctab_slice_stems_free(stems, n);
                stems = NULL;
        }
        if (r >= 0 && ret_count)
                *ret_count = count;
        goto out;
io_error:
        if (ret_errpath && pb_buf_add(ret_errpath, path.data, path.len) < 0)
                r = PB_ERR_NOMEM;
        pb_rctab_slice_stems_free(stems, c->slices[k].n);
out:
        pb_buf_release(&path);
        pb_buf_release(&json);
        return r;
}
