#!/bin/sh
# Copy the screenshots README.md shows from the browser tests' output (tests/browser/a11y.test.mjs,
# results.test.mjs and receipt.test.mjs make them in build/tests/browser) into docs/images.  Run
# the browser suite first:
#   meson test -C build --suite browser && scripts/screenshots.sh
set -eu
cd "$(dirname "$0")/.."
src=${1:-build/tests/browser}
for f in voting-en receipt-en voting-ar receipt-ar results-en receipt-check-en; do
        [ -f "$src/$f.png" ] || { echo "no $src/$f.png: run meson test -C build --suite browser first"; exit 1; }
        cp "$src/$f.png" "docs/images/$f.png"
done
echo "copied to docs/images: voting-en, receipt-en, voting-ar, receipt-ar, results-en, receipt-check-en"
