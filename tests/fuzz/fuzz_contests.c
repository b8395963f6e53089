/**
 * @file Fuzz target: the submission of a vote of several contests (issue 16, campaign 6), read as
 * the API reads it (api/h_ballots.c: strict JSON, the body's members, "ballots" per contest; a
 * body with a "batch" is an officer's paper, whose parts may be blank or spoiled) and prepared by
 * the ballot box's own code (box_prepare: the code, each ballot against its contest's rules, the
 * canonical CVR and the commitment), without a database.  A code given as "*" is replaced by a
 * valid one, so that inputs reach the ballot checks behind the code's.
 *
 * Invariants (abort() when broken): a refusal names its reason and field; anything accepted
 * re-serialises canonically: its CVR reads back (pb_vote_cvr_parse) into ballots that write the
 * same bytes again, carries the channel, id and paper record given, matches its commitment, and
 * the ballots read back are accepted again by the same preparation.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ballots/box_int.h"
#include "engine/pb_code.h"
#include "engine/pb_cvr.h"
#include "engine/pb_refusal.h"
#include "formats/pb_json.h"
#include "formats/pb_json_ballot.h"
#include "formats/pb_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Four contests, one of each kind of ballot the box reads differently: approval (optional, at
 * most 2), cumulative, approval with equal shares, ordinal (optional, at most 2 ranked). */
static const char manifest_text[] =
        "{\"type\":\"pbvote.manifest/v1\",\"id\":\"metro\",\"title\":\"Metro\",\"currency\":\"EUR\","
        "\"scale\":2,\"contests\":["
        "{\"id\":\"city\",\"title\":\"City\",\"optional\":true,\"budget\":10000000,\"projects\":["
        "{\"id\":\"c1\",\"name\":\"Tram\",\"cost\":6000000},{\"id\":\"c2\",\"name\":\"Library\",\"cost\":"
        "5000000},{\"id\":\"c3\",\"name\":\"Park\",\"cost\":3000000}],"
        "\"ballot\":{\"type\":\"approval\",\"max_length\":2},\"rule\":{\"name\":\"greedy\",\"tie_break\":"
        "\"lexico\"}},"
        "{\"id\":\"north\",\"title\":\"North\",\"budget\":300000,\"projects\":["
        "{\"id\":\"n1\",\"name\":\"Bench\",\"cost\":200000},{\"id\":\"n2\",\"name\":\"Lamp\",\"cost\":100000}"
        ","
        "{\"id\":\"n3\",\"name\":\"Path\",\"cost\":150000}],"
        "\"ballot\":{\"type\":\"cumulative\",\"max_sum_points\":3},\"rule\":{\"name\":\"greedy\","
        "\"tie_break\":\"file-order\"}},"
        "{\"id\":\"south\",\"title\":\"South\",\"budget\":500000,\"projects\":["
        "{\"id\":\"s1\",\"name\":\"Square\",\"cost\":300000},{\"id\":\"s2\",\"name\":\"Bikes\",\"cost\":"
        "250000}],"
        "\"ballot\":{\"type\":\"approval\"},\"rule\":{\"name\":\"equalshares\",\"tie_break\":\"lexico\"}},"
        "{\"id\":\"east\",\"title\":\"East\",\"optional\":true,\"budget\":400000,\"projects\":["
        "{\"id\":\"e1\",\"name\":\"Pier\",\"cost\":300000},{\"id\":\"e2\",\"name\":\"Kiosk\",\"cost\":100000}"
        ","
        "{\"id\":\"e3\",\"name\":\"Steps\",\"cost\":200000}],"
        "\"ballot\":{\"type\":\"ordinal\",\"max_length\":2},\"rule\":{\"name\":\"greedy\",\"tie_break\":"
        "\"lexico\"}}]}";

static struct pb_manifest *manifest;
static struct box_prep_inputs inputs;
static char valid_code[PB_CODE_PRINT_MAX];

static void setup(void)
{
        static uint8_t pepper[PB_CODE_KEY_BYTES], retry_key[BOX_RETRY_KEY_BYTES];
        uint8_t bytes[PB_CODE_BYTES];
        struct pb_code code;

        if (sodium_init() < 0 ||
            pb_manifest_parse(manifest_text, sizeof(manifest_text) - 1, &manifest, NULL) < 0)
                abort();
        memset(pepper, 3, sizeof(pepper));
        memset(retry_key, 5, sizeof(retry_key));
        memset(bytes, 0x5a, sizeof(bytes));
        if (pb_code_from_bytes(bytes, sizeof(bytes), &code, NULL) < 0 ||
            !pb_code_print(&code, valid_code, sizeof(valid_code)))
                abort();
        inputs = (struct box_prep_inputs){ manifest, pepper, retry_key, false, false, 0 };
}

/* A refused submission says why and where (docs/errors.md): a reason and a field. */
static void check_refusal(const struct pb_box_prepared *p)
{
        if (p->status != PB_OK)
                return; /* out of memory: the cast fails as a whole */
        if ((unsigned)p->reject >= PB_REJECT_COUNT || p->diag.code >= 0 || !p->diag.refusal ||
            p->diag.path[0] != '$')
                abort();
}

/* The ballots of @vb as a submission like @s (code, id, channel, paper record). */
static struct pb_submission again_of(const struct pb_submission *s, const struct pb_vote_ballots *vb)
{
        struct pb_submission t = *s;

        t.ballots = vb->part;
        t.n_ballots = vb->n;
        t.as_ballot = false;
        t.refused = NULL;
        return t;
}

/* The accepted submission @s, prepared as @p: its CVR is canonical and accepted again. */
static void check_accepted(const struct pb_submission *s, const struct pb_box_prepared *p)
{
        struct pb_vote_ballots vb = { 0 };
        struct pb_cvr_meta meta;
        struct pb_box_prepared q;
        struct pb_submission t;
        struct pb_buf out;
        uint8_t commitment[PB_CVR_HASH_BYTES];

        if (pb_vote_ballots_init(&vb, manifest) < 0)
                abort();
        if (pb_vote_cvr_parse(manifest, (const char *)p->cvr, p->cvr_len, &vb, &meta, NULL) != PB_OK)
                abort(); /* the box wrote a CVR its own reader refuses */
        if (meta.channel != s->channel || memcmp(meta.cvr_id, p->cvr_id, PB_CVR_ID_BYTES) ||
            strcmp(meta.batch, s->paper ? s->paper->batch : "") ||
            strcmp(meta.officer, s->paper ? s->paper->officer : ""))
                abort();
        if (pb_cvr_commitment(manifest->election->id, p->nonce, p->cvr, p->cvr_len, commitment) != PB_OK ||
            memcmp(commitment, p->commitment, sizeof(commitment)))
                abort();
        pb_buf_init(&out, 0);
        if (pb_vote_cvr_write(manifest, vb.part, vb.n, s->channel, s->paper, p->cvr_id, &out) != PB_OK ||
            out.len != p->cvr_len || memcmp(out.data, p->cvr, out.len))
                abort(); /* canonical: the bytes read back write the same bytes */
        t = again_of(s, &vb);
        box_prepare(&inputs, &t, &q);
        if (q.status == PB_OK && !q.ok)
                abort(); /* what was accepted once is accepted again */
        if (q.ok && memcmp(q.fit, p->fit, sizeof(q.fit)))
                abort(); /* the same contests, the same ones required */
        pb_box_prepared_release(&q);
        pb_buf_release(&out);
        pb_vote_ballots_release(&vb);
}

/* The body's ballots into @vb and @s as the API reads them; false when the API refuses the body
 * before the box (a malformed body, or both or neither of "ballot" and "ballots"). */
static bool read_body(const cJSON *json, bool paper, struct pb_vote_ballots *vb, struct pb_submission *s,
                      struct pb_diag *refused)
{
        const cJSON *one = cJSON_GetObjectItemCaseSensitive(json, "ballot");
        const cJSON *many = cJSON_GetObjectItemCaseSensitive(json, "ballots");
        pb_err r;

        if (!one == !many)
                return false;
        if (one) {
                /* a vote of several contests refuses the one-contest form, as the API does */
                pb_diag_refuse(refused, PB_REFUSAL_BALLOT_MALFORMED, "$.ballot");
                s->refused = refused;
                return true;
        }
        r = paper ? pb_vote_paper_read(manifest, many, "$.ballots", false, vb, refused)
                  : pb_vote_ballots_read(manifest, many, "$.ballots", vb, refused);
        if (r < 0) {
                if (!refused->refusal)
                        return false; /* the API answers it (a malformed body) */
                s->refused = refused;
                return true;
        }
        s->ballots = vb->part;
        s->n_ballots = vb->n;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pb_vote_ballots vb = { 0 };
        struct pb_submission s;
        struct pb_box_prepared p;
        struct pb_cvr_paper paper_rec = { NULL, "officer-1" };
        struct pb_diag d, refused;
        cJSON *json = NULL;
        const char *code;
        bool paper;

        if (!manifest)
                setup();
        pb_diag_clear(&d);
        pb_diag_clear(&refused);
        memset(&s, 0, sizeof(s));
        if (pb_json_parse((const char *)data, size, 0, &json, &d) < 0)
                return 0;
        paper = cJSON_GetObjectItemCaseSensitive(json, "batch") != NULL;
        if (pb_json_check_object(json, paper ? pb_paper_submission_fields : pb_submission_fields, "$", &d) <
                    0 ||
            pb_vote_ballots_init(&vb, manifest) < 0)
                goto out;
        code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "code"));
        s.code = strcmp(code, "*") ? code : valid_code;
        s.code_len = strlen(s.code);
        s.has_submission_id = true;
        memset(s.submission_id, 0x11, sizeof(s.submission_id));
        s.channel = paper ? PB_CHANNEL_PAPER : PB_CHANNEL_ELECTRONIC;
        if (paper) {
                const char *batch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "batch"));
                /* the API takes 1 to PB_CVR_BATCH_MAX printable bytes without '"' or '\\' */
                size_t n = strlen(batch);
                if (n == 0 || n > PB_CVR_BATCH_MAX || strpbrk(batch, "\"\\"))
                        goto out;
                for (size_t i = 0; i < n; i++)
                        if (batch[i] < 0x20 || batch[i] > 0x7e)
                                goto out;
                paper_rec.batch = batch;
                s.paper = &paper_rec;
        }
        if (!read_body(json, paper, &vb, &s, &refused))
                goto out;
        box_prepare(&inputs, &s, &p);
        if (p.ok)
                check_accepted(&s, &p);
        else
                check_refusal(&p);
        pb_box_prepared_release(&p);
out:
        pb_vote_ballots_release(&vb);
        cJSON_Delete(json);
        return 0;
}
