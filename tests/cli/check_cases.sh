#!/bin/sh
# pbvote check on tests/data/pb/*.pb: each file's exit status and its expected finding
# (tests/data/pb/cases.tsv).  Also fails when a data file is missing from the table.
# usage: check_cases.sh PBVOTE DATA_DIR
set -u
pbvote=$1
dir=$2
. "$(dirname "$0")/lib.sh"
for f in "$dir"/*.pb; do
        b=$(basename "$f")
        grep -q "^$b	" "$dir/cases.tsv" || not_ok "$b is listed in cases.tsv"
done
cases=0
while IFS='	' read -r file code line type; do
        case "$file" in '#'*|'') continue ;; esac
        cases=$((cases + 1))
        out=$("$pbvote" check "$dir/$file" 2>&1)
        st=$?
        if [ "$st" != "$code" ]; then
                not_ok "$file: exit $st, expected $code"; echo "$out" | sed 's/^/#   /'; continue
        fi
        if [ "$type" = "-" ]; then
                if echo "$out" | grep -q ': 0 errors'; then ok "$file: no errors"; else
                        not_ok "$file: expected no errors"; echo "$out" | sed 's/^/#   /'; fi
                continue
        fi
        if [ "$line" = 0 ]; then pat="^$dir/$file: [a-z]*: $type"; else pat="^$dir/$file:$line: [a-z]*: $type"; fi
        if echo "$out" | grep -q -- "$pat"; then ok "$file: '$type' at line $line (exit $code)"; else
                not_ok "$file: no '$type' finding at line $line"; echo "$out" | sed 's/^/#   /'; fi
done < "$dir/cases.tsv"
echo "# $cases check cases"
[ "$cases" -gt 0 ] || not_ok "cases.tsv lists cases"
finish
