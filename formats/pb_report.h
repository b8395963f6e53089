/** @file A list of findings (errors and warnings) about an input file, for `pbvote check`. */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <stddef.h>

#include "engine/pb_err.h"

enum pb_issue_level { PB_ISSUE_ERROR, PB_ISSUE_WARNING };

/** One finding.  @type is a static string naming the class of problem; for .pb files it is the
 *  pabulib checker's error type ("vote length exceeded"), so reports can be compared. */
struct pb_issue {
        enum pb_issue_level level;
        const char *type;
        struct pb_diag diag; /* line, column, field, reason and offending token */
};

/**
 * Findings in the order found.  Caller storage: pb_report_init() / pb_report_release().
 * At most @max findings are stored (the counters keep counting), so a file with a million bad
 * ballots cannot exhaust memory.
 */
struct pb_report {
        struct pb_issue *v;
        size_t n, cap, max;
        size_t n_errors, n_warnings; /* all findings, stored or not */
};

void pb_report_init(struct pb_report *r, size_t max);
void pb_report_release(struct pb_report *r);
/** Record a finding (copied).  Returns PB_ERR_NOMEM only when storing fails. */
PB_NODISCARD pb_err pb_report_add(struct pb_report *r, enum pb_issue_level level, const char *type,
                                  const struct pb_diag *d);
/** Record a finding built from parts; @path copied, @reason static, @subject may be NULL. */
PB_NODISCARD pb_err pb_report_addf(struct pb_report *r, enum pb_issue_level level, const char *type,
                                   unsigned line, unsigned col, const char *path, const char *reason,
                                   const char *subject, size_t subject_len);

#endif
