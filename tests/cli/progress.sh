#!/bin/sh
# The progress line of `pbvote verify`, `import` (one file, a city's folder), `export`,
# `codes issue`, `tally FILE.pb` and `backup` (issue 17):
# on a pseudo-terminal (script(1)) it is drawn, with counts, rate and time left, and ends with the
# total (for verify, the one its C1 check reports); in a pipe, and with --quiet on a terminal,
# stderr has none of it; verify's stdout is the same either way.
# Usage: progress.sh PBVOTE PB_FILE (a .pb file large enough for several progress steps)
set -u
pbvote=${1:?usage: progress.sh PBVOTE PB_FILE}
big=${2:?usage: progress.sh PBVOTE PB_FILE}
. "$(dirname "$0")/lib.sh"
pbvote=$(absolute "$pbvote")
big=$(absolute "$big")
in_tmpdir progress
trap 'cd /; rm -rf "$lib_tmp"' EXIT

# Run the command line $2 on a pseudo-terminal: its output in $1.raw and, each rewritten line on
# a line of its own, in $1.out; it must exit 0 ($3: what ran).
on_terminal() {
        script -q -e -c "$2" /dev/null > "$1.raw" < /dev/null
        check "$3 on a terminal passes" [ $? = 0 ]
        tr '\r' '\n' < "$1.raw" | sed 's/\x1b\[K//g' > "$1.out"
}

export LC_ALL=C

mkdir -m 700 k
"$pbvote" keygen --role engine --out k/engine.key --no-passphrase > /dev/null 2>&1
expect 0 "import $(basename "$big")" "$pbvote" import "$big" --db big.db --key k/engine.key
hasnt err "cast in" "import in a pipe draws no progress line"
on_terminal import "'$pbvote' import '$big' --db tty.db --key k/engine.key" "import"
has_re import.out "^pbvote import: ballots: [0-9]* cast in [0-9.]* s ([0-9]*/s)$" "import on a terminal: the total line"
has_re import.out "^pbvote import: ballots: [0-9]* of [0-9]* cast ([0-9]*%), [0-9]*/s, [0-9]*:[0-9][0-9] left$" \
        "import on a terminal: progress lines with the total, the rate and the time left"
script -q -e -c "'$pbvote' import '$big' --db quiet.db --key k/engine.key --quiet" /dev/null > import-quiet.raw < /dev/null
hasnt import-quiet.raw "cast in" "import --quiet draws no progress line"
city=$(dirname "$big")
on_terminal city "'$pbvote' import '$city' --db city.db --key k/engine.key" "import of a city's folder"
has_re city.raw "pbvote import: residents' ballots: [0-9]* cast in " "import of a city's files: the total line"
expect 0 "tally" "$pbvote" tally --db big.db --key k/engine.key --out result.json
expect 0 "export" "$pbvote" export --db big.db --out bundle
hasnt err "written in" "export in a pipe draws no progress line"
on_terminal export "'$pbvote' export --db big.db --out tty-bundle" "export"
has_re export.raw "pbvote export: ballots: [0-9]* written in [0-9.]* s" "export on a terminal: the total line"
check "and the same bundle" diff -r bundle tty-bundle
script -q -e -c "'$pbvote' export --db big.db --out quiet-bundle --quiet" /dev/null > export-quiet.raw < /dev/null
hasnt export-quiet.raw "written in" "export --quiet draws no progress line"

# backup: each box's pages copied, named with the boxes done
expect 0 "backup --db in a pipe" "$pbvote" backup --db big.db --out pipe-bk.db
hasnt err "copied" "backup in a pipe draws no progress line"
mkdir -m 700 bkdata
cp pipe-bk.db bkdata/a.db
cp pipe-bk.db bkdata/b.db
script -q -e -c "'$pbvote' backup --data bkdata --out tty-bk" /dev/null > backup.raw < /dev/null
check "backup --data on a terminal passes" [ $? = 0 ]
tr '\r' '\n' < backup.raw | sed 's/\x1b\[K//g' > backup.out
has_re backup.out "^pbvote backup: box 1 of 2 (a.db): pages: [0-9]* copied in [0-9.]* s ([0-9]*/s)$" \
        "backup --data: the first box's pages copied, box 1 of 2"
has_re backup.out "^pbvote backup: box 2 of 2 (b.db): pages: [0-9]* copied in " "and the second's, box 2 of 2"
has backup.out "2 ballot boxes, each fully checked" "and the backup is complete"
script -q -e -c "'$pbvote' backup --db big.db --out tty-bk.db" /dev/null > backup-db.raw < /dev/null
check "backup --db on a terminal passes" [ $? = 0 ]
has_re backup-db.raw "pbvote backup: pages: [0-9]* copied in " "backup --db: the pages copied"
script -q -e -c "'$pbvote' backup --data bkdata --out quiet-bk --quiet" /dev/null > backup-quiet.raw < /dev/null
check "backup --quiet on a terminal passes" [ $? = 0 ] && [ -e quiet-bk/b.db ]
hasnt backup-quiet.raw "copied in" "backup --quiet draws no progress line"

# codes issue: 100,000 codes, the count stored inside the transaction, the total once committed
expect 0 "a draft for codes" "$pbvote" election create --db codes.db --pb "$big"
# (20,000 in a pipe and with --quiet, where no line is drawn: under ASan 100,000 take seconds)
expect 0 "codes issue in a pipe" "$pbvote" codes issue --db codes.db --key k/engine.key --count 20000 --csv pipe.csv
hasnt err "stored" "codes issue in a pipe draws no progress line"
script -q -e -c "'$pbvote' codes issue --db codes.db --key k/engine.key --count 100000 --csv tty.csv" /dev/null \
        > codes.raw < /dev/null
check "codes issue on a terminal passes" [ $? = 0 ]
tr '\r' '\n' < codes.raw | sed 's/\x1b\[K//g' > codes.out
has_re codes.out "^pbvote codes issue: codes: 100000 stored in [0-9.]* s ([0-9]*/s)$" "codes issue: the total line"
has_re codes.out "^pbvote codes issue: codes: [0-9]* of 100000 stored ([0-9]*%), [0-9]*/s, [0-9]*:[0-9][0-9] left$" \
        "codes issue: progress lines with the total, the rate and the time left"
check "and every code in the CSV" [ "$(wc -l < tty.csv)" = 100001 ]
script -q -e -c "'$pbvote' codes issue --db codes.db --key k/engine.key --count 20000 --csv quiet.csv --quiet" \
        /dev/null > codes-quiet.raw < /dev/null
check "codes issue --quiet on a terminal passes" [ $? = 0 ]
hasnt codes-quiet.raw "stored" "codes issue --quiet draws no progress line"

# tally of a big .pb file: the file's ballots ten times over (new voter ids, num_votes times ten),
# 363,700 ballots, read with a progress line of the ballots of num_votes
awk -F';' 'BEGIN { OFS = ";" }
        /^VOTES/ { print; sec = 1; next }
        sec == 0 && /^num_votes;/ { print "num_votes", $2 * 10; next }
        sec == 0 { print; next }
        sec == 1 { print; sec = 2; next }
        { rows[++n] = $0 }
        END { for (c = 0; c < 10; c++) for (i = 1; i <= n; i++) { r = rows[i]; sub(/;/, "-" c ";", r); print r } }' \
        "$big" > big10.pb
total=$(sed -n 's/^num_votes;//p' big10.pb | tr -d '\r')
check "a file of $total ballots" [ "$total" -gt 300000 ]
expect 0 "tally of the big file in a pipe" "$pbvote" tally big10.pb
cp out tally-pipe.out
hasnt err "read" "tally in a pipe draws no progress line"
script -q -e -c "'$pbvote' tally big10.pb" /dev/null > tally.raw < /dev/null
check "tally on a terminal passes" [ $? = 0 ]
tr '\r' '\n' < tally.raw | sed 's/\x1b\[K//g' > tally.out
has_re tally.out "^pbvote tally: ballots: $total read in [0-9.]* s ([0-9]*/s)$" "tally: the total line"
has_re tally.out "^pbvote tally: ballots: [0-9]* of $total read ([0-9]*%), [0-9]*/s, [0-9]*:[0-9][0-9] left$" \
        "tally: progress lines with the total, the rate and the time left"
grep -v '^pbvote tally: ballots' tally.out | grep -v '^$' > tally.rest
grep -v '^$' tally-pipe.out > tally-pipe.lines
check "tally: stdout is the same on a terminal" cmp -s tally-pipe.lines tally.rest
script -q -e -c "'$pbvote' tally big10.pb --quiet" /dev/null > tally-quiet.raw < /dev/null
check "tally --quiet on a terminal passes" [ $? = 0 ]
hasnt tally-quiet.raw " read" "tally --quiet draws no progress line"

# a pipe: no progress
"$pbvote" verify bundle --allow-uncertified > pipe.out 2> pipe.err
check "verify in a pipe passes" [ $? = 0 ]
count=$(sed -n 's/^PASS C1 *ballots *(\([0-9]*\)).*/\1/p' pipe.out)
check "C1 counted the ballots ($count)" [ -n "$count" ] && [ "$count" -gt 8192 ]
hasnt pipe.err "checked" "no progress on stderr in a pipe"
check "nothing at all on stderr in a pipe" [ ! -s pipe.err ]

# a terminal: the line, rewritten in place, then the total
on_terminal tty "'$pbvote' verify bundle --allow-uncertified" "verify"
has tty.out "pbvote verify: ballots: $count checked in " "the last line states the total ($count) and the time"
has_re tty.out "^pbvote verify: ballots: [0-9]* of $count checked ([0-9]*%), [0-9]*/s, [0-9]*:[0-9][0-9] left$" \
        "the lines before it state the count, the total, the rate and the time left"
grep -v '^pbvote verify: ballots' tty.out | grep -v '^$' > tty.rest
tr -d '\r' < pipe.out > pipe.lines
check "stdout is the same on a terminal" cmp -s pipe.lines tty.rest

# --quiet on a terminal: none
on_terminal quiet "'$pbvote' verify bundle --allow-uncertified --quiet" "verify --quiet"
hasnt quiet.raw "checked in" "--quiet draws no progress line"
finish
