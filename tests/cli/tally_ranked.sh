#!/bin/sh
# `pbvote tally` on ranked inputs: exit statuses, the three output formats, error messages.
# Usage: tally_ranked.sh PBVOTE SHARED_DATA_DIR
set -u
pbvote=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, command status, expected status
        if [ "$2" != "$3" ]; then
                echo "FAIL: $1 (exit $2, expected $3)"
                fail=1
        else
                echo "ok: $1"
        fi
}
contains() { # description, file, text
        if grep -q -- "$3" "$2"; then echo "ok: $1"; else echo "FAIL: $1: no '$3' in:"; cat "$2"; fail=1; fi
}

blt=$data/stv/droop/blt/42.blt
"$pbvote" tally "$blt" --format json >"$tmp/out" 2>"$tmp/err"
check "blt json" $? 0
contains "blt json winners (Droop: Castor, Helen)" "$tmp/out" '"winners":\["Castor","Helen"\]'
contains "blt json rule" "$tmp/out" '"rule":"scottish-stv"'
"$pbvote" tally "$blt" --rule meek-stv >"$tmp/out" 2>&1
check "blt meek text" $? 0
contains "blt meek text winners" "$tmp/out" 'winners: Castor, Helen'
"$pbvote" tally "$blt" --rule irv --format rctab >"$tmp/out" 2>&1
check "blt irv rctab" $? 0
contains "blt irv rctab report" "$tmp/out" '"jsonFormatVersion"'

cfg=$data/rctab/sequential_with_batch/sequential_with_batch_config.json
"$pbvote" tally "$cfg" --format rctab >"$tmp/out" 2>&1
check "multi-pass rctab" $? 0
if [ "$(head -c 1 "$tmp/out")" = "[" ]; then echo "ok: multi-pass report is an array"; else echo "FAIL: multi-pass report is not an array"; fail=1; fi
"$pbvote" tally "$cfg" --format json >"$tmp/out" 2>&1
check "rctab json" $? 0
contains "rctab json winners" "$tmp/out" '"winners":\["A","B","C"\]'

"$pbvote" tally "$data/rctab/max_ranking_enforcement/max_ranking_enforcement_config.json" >"$tmp/out" 2>"$tmp/err"
check "max ranking enforcement is rejected" $? 3
contains "the error names the CVR file and line" "$tmp/err" 'max_ranking_enforcement_cvr.csv:2: maxRankingsAllowed'

printf '3 1\n1 1 2 1 0\n0\n"A" "B" "C" "T"\n' >"$tmp/bad.blt"
"$pbvote" tally "$tmp/bad.blt" >"$tmp/out" 2>"$tmp/err"
check "bad blt is rejected" $? 3
contains "the error names line and column" "$tmp/err" 'bad.blt:2:7: candidate ranked twice on one ballot'

printf '3 1\n1 1 2 0\n1 2 0\n1 3 0\n0\n"A" "B" "C" "T"\n' >"$tmp/tie.blt"
"$pbvote" tally "$tmp/tie.blt" --rule irv --tiebreak stopCountingAndAsk >"$tmp/out" 2>"$tmp/err"
check "an operator tie without an answer stops the count" $? 3
"$pbvote" tally "$tmp/tie.blt" --rule irv --tiebreak stopCountingAndAsk --tie-answer C --tie-answer A >"$tmp/out" 2>"$tmp/err"
check "an operator tie with answers" $? 0
contains "the answers decide (C out, then A wins the final tie)" "$tmp/out" 'winners: A'

# --slices: one RCTab report per precinct / batch, in RCTab's folders and file names
cfg=$data/rctab/generic_csv_test/generic_csv_test_config.json
"$pbvote" tally "$cfg" --format rctab --slices "$tmp/slices" >"$tmp/out" 2>"$tmp/err"
check "tally --slices" $? 0
contains "the contest-wide report still goes to stdout" "$tmp/out" '"jsonFormatVersion"'
contains "the slice files are counted" "$tmp/err" '6 slice report(s) written'
for f in "Tabulate by Precinct/p1_precinct" "Tabulate by Precinct/p2_precinct" \
        "Tabulate by Precinct/no_precinct_id_precinct" "Tabulate by Batch/b1_batch" \
        "Tabulate by Batch/b2_batch" "Tabulate by Batch/no_batch_id_batch"; do
        if [ -f "$tmp/slices/${f}_detailed_report.json" ]; then echo "ok: $f"; else echo "FAIL: no $f"; fail=1; fi
done
contains "a slice report names its batch" "$tmp/slices/Tabulate by Batch/no_batch_id_batch_detailed_report.json" \
        '"batch":.*"no batch id"'
contains "a slice report counts its own ballots" "$tmp/slices/Tabulate by Precinct/p2_precinct_detailed_report.json" \
        '"totalNumBallots":.*"10"'
"$pbvote" tally "$data/rctab/2013_minneapolis_mayor/2013_minneapolis_mayor_config.json" --slices "$tmp/mayor" \
        >"$tmp/out" 2>"$tmp/err"
check "tally --slices, 117 precincts" $? 0
contains "a precinct id made a file name" "$tmp/err" '117 slice report(s)'
if [ -f "$tmp/mayor/Tabulate by Precinct/MINNEAPOLIS_W-1_P-01_precinct_detailed_report.json" ]; then
        echo "ok: MINNEAPOLIS W-1 P-01"
else
        echo "FAIL: no MINNEAPOLIS_W-1_P-01_precinct_detailed_report.json"; fail=1
fi
"$pbvote" tally "$data/rctab/sequential_with_batch/sequential_with_batch_config.json" --slices "$tmp/x" \
        >/dev/null 2>"$tmp/err"
check "--slices on a config without tabulateBy" $? 2
contains "the error names the settings" "$tmp/err" 'tabulateByPrecinct'
"$pbvote" tally "$blt" --slices "$tmp/x" >/dev/null 2>&1
check "--slices on a .blt file" $? 2
: >"$tmp/file"
"$pbvote" tally "$cfg" --slices "$tmp/file" >/dev/null 2>"$tmp/err"
check "--slices into a file that is not a folder" $? 3
contains "the error names the folder" "$tmp/err" "$tmp/file: exists and is not a folder"

"$pbvote" tally "$blt" --format xml >/dev/null 2>&1
check "unknown format" $? 2
"$pbvote" tally "$blt" --bogus 1 >/dev/null 2>&1
check "unknown option" $? 2
"$pbvote" tally "$tmp/missing.blt" >/dev/null 2>&1
check "missing file" $? 3
exit $fail
