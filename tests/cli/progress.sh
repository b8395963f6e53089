#!/bin/sh
# The progress line of `pbvote verify`, `import` (one file, a city's folder) and `export` (issue 17):
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
