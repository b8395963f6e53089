/** @file Line formats of the audit bundle. */
#include "ballots/pb_bundle.h"

#include "engine/pb_canon.h"

pb_err pb_bundle_keys_format(const struct pb_key_public *engine, const struct pb_key_public *office,
                             struct pb_buf *out)
{
        size_t old_len = out->len;
        pb_err r = pb_buf_adds(out, "engine ");

        if (r == PB_OK)
                r = pb_key_vkey_format(engine, out);
        if (r == PB_OK)
                r = pb_buf_adds(out, "\noffice ");
        if (r == PB_OK)
                r = pb_key_vkey_format(office, out);
        if (r == PB_OK)
                r = pb_buf_addc(out, '\n');
        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}

static pb_err end_line(struct pb_jw *w, struct pb_buf *out, size_t old_len)
{
        pb_err r = pb_jw_finish(w);

        if (r == PB_OK)
                r = pb_buf_addc(out, '\n');
        if (r < 0)
                pb_buf_truncate(out, old_len); /* @out unchanged on failure */
        return r;
}

pb_err pb_bundle_checkpoint_line(const char *note, size_t len, struct pb_buf *out)
{
        size_t old_len = out->len;
        struct pb_jw w;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "note");
        pb_jw_stringn(&w, note, len);
        pb_jw_object_end(&w);
        return end_line(&w, out, old_len);
}

pb_err pb_bundle_ballot_line(const uint8_t commitment[PB_CVR_HASH_BYTES],
                             const uint8_t nonce[PB_CVR_NONCE_BYTES], const char *cvr, size_t cvr_len,
                             struct pb_buf *out)
{
        size_t old_len = out->len;
        struct pb_jw w;

        pb_jw_init(&w, out);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "commitment");
        pb_jw_hex(&w, commitment, PB_CVR_HASH_BYTES);
        pb_jw_key(&w, "cvr");
        pb_jw_stringn(&w, cvr, cvr_len);
        pb_jw_key(&w, "nonce");
        pb_jw_hex(&w, nonce, PB_CVR_NONCE_BYTES);
        pb_jw_object_end(&w);
        return end_line(&w, out, old_len);
}
