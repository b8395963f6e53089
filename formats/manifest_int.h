/** @file What the manifest's reader, writer and the pabulib conversion share (not a public header). */
#ifndef PB_MANIFEST_INT_H
#define PB_MANIFEST_INT_H

#include "formats/pb_manifest.h"

/** Free @t's arrays (its strings belong to an election's pool) and zero it. */
void manifest_text_release(struct pb_text *t);
/** The one string shown where only one fits: the plain text, else English, else the first language. */
const char *manifest_text_display(const struct pb_text *t);
/** Room in @c's names[] and descriptions[] for one more project.  PB_ERR_NOMEM. */
PB_NODISCARD pb_err manifest_grow_texts(struct pb_contest *c);

/** Insert contest @i into the sorted index by_id[0..i) of @m. */
void manifest_index_contest(struct pb_manifest *m, size_t i);

#endif
