/** @file After the close: count and sign, the signed result, the audit bundle as a tar archive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "formats/pb_tar.h"
#include "engine/pb_canon.h"
#include "engine/pb_money.h"

void pb_h_tally(struct pb_api_ctx *c)
{
        static const struct pb_json_field fields[] = { { "seed", PB_JSON_STRING, false },
                                                       { NULL, PB_JSON_ANY, false } };
        struct pb_buf out;
        struct pb_diag d;
        uint64_t seed = 0;
        bool has_seed = false;
        pb_err r;

        pb_diag_clear(&d);
        if (c->json) {
                const char *s;
                if (pb_json_check_object(c->json, fields, "$", &d) < 0) {
                        pb_api_fail(c, 400, PB_ERR_PARSE, &d);
                        return;
                }
                /* the seed is text: a 64-bit value does not fit JSON's exact integers */
                s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "seed"));
                if (s) {
                        char *end;
                        errno = 0;
                        seed = strtoull(s, &end, 10);
                        if (!*s || *s == '-' || *end || errno) {
                                pb_diag_set(&d, PB_ERR_PARSE, "$.seed",
                                            "expected a decimal integer from 0 to 2^64-1");
                                pb_api_fail(c, 400, PB_ERR_PARSE, &d);
                                return;
                        }
                        has_seed = true;
                }
        }
        pb_buf_init(&out, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_tally(c->el->box, has_seed ? &seed : NULL, c->api->version, &out, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r < 0)
                pb_api_fail(c, 0, r, &d);
        else
                pb_api_reply_json(c, 200, &out);
        pb_buf_release(&out);
}

void pb_h_result(struct pb_api_ctx *c)
{
        struct pb_buf result, cert, b;
        struct pb_diag d;
        struct pb_jw w;
        pb_err r, rc;

        pb_diag_clear(&d);
        pb_buf_init(&result, 0);
        pb_buf_init(&cert, 0);
        pb_buf_init(&b, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_document(c->el->box, PB_BOX_DOC_RESULT, &result, &d);
        rc = r == PB_OK ? pb_box_document(c->el->box, PB_BOX_DOC_CERTIFICATION, &cert, NULL) : r;
        pthread_mutex_unlock(&c->el->lock);
        if (r == PB_ERR_NOT_FOUND) {
                pb_diag_set(&d, PB_ERR_NOT_FOUND, "result",
                            "no result yet: the election is counted after it closes");
                pb_api_fail(c, 404, PB_ERR_NOT_FOUND, &d);
                goto out;
        }
        if (r < 0 || (rc < 0 && rc != PB_ERR_NOT_FOUND)) {
                pb_api_fail(c, 0, r < 0 ? r : rc, &d);
                goto out;
        }
        pb_jw_init(&w, &b);
        pb_jw_object_begin(&w);
        pb_jw_key(&w, "certification");
        if (rc == PB_OK)
                pb_jw_raw(&w, cert.data, cert.len);
        else
                pb_jw_null(&w);
        pb_jw_key(&w, "result");
        pb_jw_raw(&w, result.data, result.len);
        pb_jw_object_end(&w);
        if (pb_jw_finish(&w) < 0)
                pb_api_fail(c, 503, PB_ERR_NOMEM, NULL);
        else
                pb_api_reply_json(c, 200, &b);
out:
        pb_buf_release(&result);
        pb_buf_release(&cert);
        pb_buf_release(&b);
}

void pb_h_export(struct pb_api_ctx *c)
{
        char tmp[4096], dir[4200];
        struct pb_buf tar;
        struct pb_diag d;
        pb_err r;

        pb_diag_clear(&d);
        /* pb_box_export writes a folder; it is archived from a private scratch folder, then removed */
        snprintf(tmp, sizeof(tmp), "%s/.export-XXXXXX", c->api->data_dir);
        if (!mkdtemp(tmp)) {
                pb_api_fail(c, 500, PB_ERR_IO, NULL);
                return;
        }
        snprintf(dir, sizeof(dir), "%s/bundle", tmp);
        pb_buf_init(&tar, 0);
        pthread_mutex_lock(&c->el->lock);
        r = pb_box_export(c->el->box, dir, &d);
        pthread_mutex_unlock(&c->el->lock);
        if (r == PB_OK)
                r = pb_tar_dir(dir, c->el->id, &tar, &d);
        if (pb_tar_remove_dir(dir) < 0 && r == PB_OK)
                r = PB_ERR_IO;
        rmdir(tmp);
        if (r < 0) {
                pb_api_fail(c, 0, r, &d);
        } else {
                pb_api_reply_json(c, 200, &tar);
                c->resp->content_type = "application/x-tar";
                snprintf(c->resp->content_disposition, sizeof(c->resp->content_disposition),
                         "attachment; filename=\"%s-bundle.tar\"", c->el->id);
        }
        pb_buf_release(&tar);
}
