/** @file pb_report: a bounded list of findings. */
#include "formats/pb_report.h"

#include <string.h>

#include "engine/pb_alloc.h"

void pb_report_init(struct pb_report *r, size_t max)
{
        memset(r, 0, sizeof(*r));
        r->max = max ? max : 1000;
}

void pb_report_release(struct pb_report *r)
{
        if (!r)
                return;
        pb_free(r->v);
        r->v = NULL;
        r->n = r->cap = 0;
        r->n_errors = r->n_warnings = 0;
}

pb_err pb_report_add(struct pb_report *r, enum pb_issue_level level, const char *type,
                     const struct pb_diag *d)
{
        if (level == PB_ISSUE_ERROR)
                r->n_errors++;
        else
                r->n_warnings++;
        if (r->n >= r->max)
                return PB_OK;
        {
                struct pb_issue *nv = pb_grow(r->v, &r->cap, r->n + 1, sizeof(*nv), 16);
                if (!nv)
                        return PB_ERR_NOMEM;
                r->v = nv;
        }
        r->v[r->n].level = level;
        r->v[r->n].type = type;
        r->v[r->n].diag = *d;
        r->n++;
        return PB_OK;
}

pb_err pb_report_addf(struct pb_report *r, enum pb_issue_level level, const char *type, unsigned line,
                      unsigned col, const char *path, const char *reason, const char *subject,
                      size_t subject_len)
{
        struct pb_diag d;

        pb_diag_clear(&d);
        pb_diag_at(&d, level == PB_ISSUE_ERROR ? PB_ERR_INVALID : PB_OK, line, col, path, reason);
        if (subject)
                pb_diag_subject(&d, subject, subject_len);
        return pb_report_add(r, level, type, &d);
}
