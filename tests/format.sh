#!/bin/sh
# Every C file is formatted as .clang-format says (STYLE.md §8).  Exit 1 lists the files that differ.
top=${1:-$(dirname "$0")/..}
cd "$top" || exit 2
cf=$(command -v clang-format-14 || command -v clang-format) || { echo "clang-format is not installed"; exit 1; }
status=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find engine ballots api cli tests -name '*.[ch]'); do
        if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
                echo "not formatted: $f (run: $cf -i $f)"
                status=1
        fi
done
[ $status = 0 ] && echo "format: ok"
exit $status
