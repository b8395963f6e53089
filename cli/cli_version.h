/** @file The version of pbvote and the git commit it was built from (cli/version.c.in, meson's vcs_tag). */
#ifndef PB_CLI_VERSION_H
#define PB_CLI_VERSION_H

/** The release, as meson.build's project() names it ("0.1.0"). */
extern const char cli_version[];
/** `git describe --always --dirty --abbrev=12` of the source tree at build time (a commit, with
 *  "-dirty" when files differed from it), or "unknown" when it was not built from a git checkout. */
extern const char cli_commit[];

#endif
