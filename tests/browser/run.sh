#!/bin/sh
# Run browser test files with Node's test runner against a real `pbvote serve` in Debian's
# Chromium (docs/pages.md, "Tests").  Fails, never skips, when Node, Chromium or the test
# libraries (npm ci) are missing.
# usage: run.sh PBVOTE OUTDIR FILE.test.mjs...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 3 ] || { echo "usage: run.sh PBVOTE OUTDIR FILE..."; exit 2; }
pbvote=$1
out=$2
shift 2
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/deps.sh installs it)"; exit 1; }
chromium=${PBVOTE_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "FAIL: no Chromium at $chromium (scripts/deps.sh installs Debian's chromium)"; exit 1; }
for m in playwright-core axe-core; do
        [ -f "$here/node_modules/$m/package.json" ] ||
                { echo "FAIL: $here/node_modules/$m is missing: run scripts/deps.sh (npm ci in tests/browser)"; exit 1; }
done
if [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
        echo "FAIL: tests/browser/node_modules is older than package-lock.json: run scripts/deps.sh"
        exit 1
fi
mkdir -p "$out"
PBVOTE=$pbvote PBVOTE_BROWSER_OUT=$out PBVOTE_CHROMIUM=$chromium exec node --test --test-concurrency=1 "$@"
