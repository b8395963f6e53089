#!/bin/sh
# pbvote check on every shared pabulib file agrees with pabulib's checker (shared/data/pabulib/INDEX.md):
# no errors, except the three Mechanical Turk files, rejected only for whitespace around list commas.
# usage: check_shared.sh PBVOTE PABULIB_DIR
set -u
pbvote=$1
dir=$2
. "$(dirname "$0")/lib.sh"
files=0
for f in "$dir"/*.pb; do
        [ -e "$f" ] || { not_ok "no .pb files in $dir"; finish; }
        files=$((files + 1))
        out=$("$pbvote" check "$f" 2>&1)
        st=$?
        case "$(basename "$f")" in
        Worldwide_Mechanical_Turk_*)
                others=$(echo "$out" | grep ': error: ' | grep -v ': error: whitespace around list separator:')
                if [ "$st" != 1 ] || ! echo "$out" | grep -q ': error: whitespace around list separator:' || [ -n "$others" ]; then
                        not_ok "$f: expected only 'whitespace around list separator' errors (exit $st)"
                        echo "$out" | sed 's/^/#   /'
                else
                        ok "$f: only 'whitespace around list separator' errors"
                fi ;;
        *)
                if [ "$st" != 0 ]; then
                        not_ok "$f: exit $st, expected 0"; echo "$out" | sed 's/^/#   /'
                else
                        ok "$f: no errors"
                fi ;;
        esac
done
echo "# $files shared files checked"
[ "$files" -ge 26 ] || not_ok "expected the 26 shared files"
finish
