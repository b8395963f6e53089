#!/bin/sh
# pbvote check on tests/data/pb/*.pb: each file's exit status and its expected finding
# (tests/data/pb/cases.tsv).  Also fails when a data file is missing from the table.
# usage: check_cases.sh PBVOTE DATA_DIR
set -u
pbvote=$1
dir=$2
fail=0
n=0
for f in "$dir"/*.pb; do
        b=$(basename "$f")
        grep -q "^$b	" "$dir/cases.tsv" || { echo "FAIL $b is not listed in cases.tsv"; fail=1; }
done
while IFS='	' read -r file code line type; do
        case "$file" in '#'*|'') continue ;; esac
        n=$((n + 1))
        out=$("$pbvote" check "$dir/$file" 2>&1)
        st=$?
        if [ "$st" != "$code" ]; then
                echo "FAIL $file: exit $st, expected $code"; echo "$out"; fail=1; continue
        fi
        if [ "$type" = "-" ]; then
                echo "$out" | grep -q ': 0 errors' || { echo "FAIL $file: expected no errors"; echo "$out"; fail=1; }
                continue
        fi
        if [ "$line" = 0 ]; then pat="^$dir/$file: [a-z]*: $type"; else pat="^$dir/$file:$line: [a-z]*: $type"; fi
        if ! echo "$out" | grep -q -- "$pat"; then
                echo "FAIL $file: no '$type' finding at line $line"; echo "$out"; fail=1
        fi
done < "$dir/cases.tsv"
echo "$n check cases"
[ "$n" -gt 0 ] || fail=1
exit $fail
