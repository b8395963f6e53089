/** @file What pabulib's checker reports about a .pb file (reference/pabulib.md §1.6). */
#ifndef PB_PBCHECK_H
#define PB_PBCHECK_H

#include <stddef.h>

#include "formats/pb_report.h"
#include "engine/pb_err.h"

/**
 * Check the .pb text @buf[0..len) as pabulib's checker does and record every error and
 * warning in @report (the checker's error types, with line numbers): syntax and structure,
 * META fields (obligatory, known, values, dates), PROJECTS and VOTES fields, ballots against
 * the limits, the votes and score columns against the ballots, the budget (project above the
 * budget, all projects funded, money left unused), and, when the file has a `selected` column,
 * whether the rule it names selects exactly those projects.
 * @return PB_OK when the check ran (see report->n_errors), PB_ERR_NOMEM.
 */
PB_NODISCARD pb_err pb_pbcheck_run(const char *buf, size_t len, struct pb_report *report);

#endif
