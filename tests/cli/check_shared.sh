#!/bin/sh
# pbvote check on every shared pabulib file agrees with pabulib's checker (shared/data/pabulib/INDEX.md):
# no errors, except the three Mechanical Turk files, rejected only for whitespace around list commas.
# usage: check_shared.sh PBVOTE PABULIB_DIR
set -u
pbvote=$1
dir=$2
fail=0
n=0
for f in "$dir"/*.pb; do
        [ -e "$f" ] || { echo "FAIL no .pb files in $dir"; exit 1; }
        n=$((n + 1))
        out=$("$pbvote" check "$f" 2>&1)
        st=$?
        case "$(basename "$f")" in
        Worldwide_Mechanical_Turk_*)
                others=$(echo "$out" | grep ': error: ' | grep -v ': error: whitespace around list separator:')
                if [ "$st" != 1 ] || ! echo "$out" | grep -q ': error: whitespace around list separator:' || [ -n "$others" ]; then
                        echo "FAIL $f: expected only 'whitespace around list separator' errors (exit $st)"; echo "$out"; fail=1
                fi ;;
        *)
                if [ "$st" != 0 ]; then
                        echo "FAIL $f: exit $st, expected 0"; echo "$out"; fail=1
                fi ;;
        esac
done
echo "$n shared files checked"
[ "$n" -ge 26 ] || { echo "FAIL expected the 26 shared files"; fail=1; }
exit $fail
