#!/bin/sh
# A real full disk under the ballot box (issue 16, campaign 2; docs/reliability.md): in a mount
# namespace of its own, a tmpfs of 1 MiB is filled before each step of a vote (box-powerloss
# fullfs).  Needs a private mount namespace (root, or unprivileged user namespaces): without one
# it says so and fails, which is why it is a benchmark and not in the suite.
# usage: fullfs.sh BOX-POWERLOSS
bin=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbvote-fullfs-XXXXXX") || exit 1
unshare -rm sh -c "mount -t tmpfs -o size=1m pbvote-fullfs '$dir' && exec '$bin' fullfs '$dir'"
rc=$?
rmdir "$dir" 2>/dev/null
[ $rc -eq 0 ] || echo "fullfs: failed (exit $rc; a mount namespace needs root or user namespaces)" >&2
exit $rc
