#!/bin/sh
# `pbvote tally` on ranked inputs: exit statuses, the three output formats, error messages.
# Usage: tally_ranked.sh PBVOTE SHARED_DATA_DIR
set -u
. "$(dirname "$0")/lib.sh"
pbvote=$(absolute "$1")
data=$(absolute "$2")
in_tmpdir tally-ranked

blt=$data/stv/droop/blt/42.blt
expect 0 "blt json" "$pbvote" tally "$blt" --format json
has_re out '"winners":\["Castor","Helen"\]' "blt json winners (Droop: Castor, Helen)"
has out '"rule":"scottish-stv"' "blt json rule"
expect 0 "blt meek text" "$pbvote" tally "$blt" --rule meek-stv
has out 'winners: Castor, Helen' "blt meek text winners"
expect 0 "blt irv rctab" "$pbvote" tally "$blt" --rule irv --format rctab
has out '"jsonFormatVersion"' "blt irv rctab report"

cfg=$data/rctab/sequential_with_batch/sequential_with_batch_config.json
expect 0 "multi-pass rctab" "$pbvote" tally "$cfg" --format rctab
check "multi-pass report is an array" [ "$(head -c 1 out)" = "[" ]
expect 0 "rctab json" "$pbvote" tally "$cfg" --format json
has out '"winners":["A","B","C"]' "rctab json winners"

expect 3 "max ranking enforcement is rejected" \
        "$pbvote" tally "$data/rctab/max_ranking_enforcement/max_ranking_enforcement_config.json"
has err 'max_ranking_enforcement_cvr.csv:2: maxRankingsAllowed' "the error names the CVR file and line"

printf '3 1\n1 1 2 1 0\n0\n"A" "B" "C" "T"\n' >bad.blt
expect 3 "bad blt is rejected" "$pbvote" tally bad.blt
has err 'bad.blt:2:7: candidate ranked twice on one ballot' "the error names line and column"

printf '3 1\n1 1 2 0\n1 2 0\n1 3 0\n0\n"A" "B" "C" "T"\n' >tie.blt
expect 3 "an operator tie without an answer stops the count" \
        "$pbvote" tally tie.blt --rule irv --tiebreak stopCountingAndAsk
expect 0 "an operator tie with answers" \
        "$pbvote" tally tie.blt --rule irv --tiebreak stopCountingAndAsk --tie-answer C --tie-answer A
has out 'winners: A' "the answers decide (C out, then A wins the final tie)"

# --slices: one RCTab report per precinct / batch, in RCTab's folders and file names
cfg=$data/rctab/generic_csv_test/generic_csv_test_config.json
expect 0 "tally --slices" "$pbvote" tally "$cfg" --format rctab --slices slices
has out '"jsonFormatVersion"' "the contest-wide report still goes to stdout"
has err '6 slice report(s) written' "the slice files are counted"
for f in "Tabulate by Precinct/p1_precinct" "Tabulate by Precinct/p2_precinct" \
        "Tabulate by Precinct/no_precinct_id_precinct" "Tabulate by Batch/b1_batch" \
        "Tabulate by Batch/b2_batch" "Tabulate by Batch/no_batch_id_batch"; do
        check "$f" [ -f "slices/${f}_detailed_report.json" ]
done
has_re "slices/Tabulate by Batch/no_batch_id_batch_detailed_report.json" '"batch":.*"no batch id"' \
        "a slice report names its batch"
has_re "slices/Tabulate by Precinct/p2_precinct_detailed_report.json" '"totalNumBallots":.*"10"' \
        "a slice report counts its own ballots"
# --slices before the operand: `tally` must know --slices takes a value (issue 10)
expect 0 "tally --slices DIR CONFIG" "$pbvote" tally --slices slices-first --format rctab "$cfg"
has err '6 slice report(s) written' "the slice files are counted"
expect 0 "tally --slices, 117 precincts" \
        "$pbvote" tally "$data/rctab/2013_minneapolis_mayor/2013_minneapolis_mayor_config.json" --slices mayor
has err '117 slice report(s)' "a precinct id made a file name"
check "MINNEAPOLIS W-1 P-01" [ -f "mayor/Tabulate by Precinct/MINNEAPOLIS_W-1_P-01_precinct_detailed_report.json" ]
expect 2 "--slices on a config without tabulateBy" \
        "$pbvote" tally "$data/rctab/sequential_with_batch/sequential_with_batch_config.json" --slices x
has err 'tabulateByPrecinct' "the error names the settings"
expect 2 "--slices on a .blt file" "$pbvote" tally "$blt" --slices x
: >file
expect 3 "--slices into a file that is not a folder" "$pbvote" tally "$cfg" --slices file
has err "pbvote: file: exists and is not a folder" "the error names the folder"

expect 2 "unknown format" "$pbvote" tally "$blt" --format xml
has err "--format 'xml': expected one of: text, json, rctab" "the refusal lists the formats"
expect 2 "unknown option" "$pbvote" tally "$blt" --bogus 1
has err "unknown option '--bogus'" "the refusal names the option"
expect 3 "missing file" "$pbvote" tally missing.blt
finish
