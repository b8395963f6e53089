#!/bin/sh
# pbvote tally from the outside: exit statuses, messages naming file and line, output formats.
# usage: tally_cli.sh PBVOTE PABULIB_DIR TMPDIR
set -u
pbvote=$1
data=$2
tmp=$3/tally_cli.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect STATUS PATTERN -- command...: exit status and a stderr/stdout pattern
        want=$1 pat=$2
        shift 3
        out=$("$@" 2>&1)
        st=$?
        if [ "$st" != "$want" ]; then
                echo "FAIL ($*): exit $st, expected $want"; echo "$out" | head -5; fail=1; return
        fi
        if [ -n "$pat" ] && ! echo "$out" | grep -q -- "$pat"; then
                echo "FAIL ($*): output lacks '$pat'"; echo "$out" | head -5; fail=1
        fi
}
rembertow=$data/Poland_Warszawa_2023_Rembertow.pb

expect 0 'funded: 9 of 38 projects' -- "$pbvote" tally "$rembertow"
expect 0 '"winners":\["1639"' -- "$pbvote" tally "$rembertow" --format json
expect 2 'unknown option' -- "$pbvote" tally "$rembertow" --frobnicate
expect 2 'expected json or text' -- "$pbvote" tally "$rembertow" --format xml
expect 2 'unknown rule' -- "$pbvote" tally "$rembertow" --rule best
expect 2 'needs --seed' -- "$pbvote" tally "$rembertow" --tie-break seeded
expect 2 'only with --tie-break seeded' -- "$pbvote" tally "$rembertow" --seed 5
expect 2 'missing input file' -- "$pbvote" tally
expect 2 "rule is 'unknown'" -- "$pbvote" tally "$data/Switzerland_Zurich_S5.pb"
expect 0 '"name":"greedy"' -- "$pbvote" tally "$data/Switzerland_Zurich_S5.pb" --rule greedy --format json
expect 2 'points need cumulative or scoring' -- "$pbvote" tally "$rembertow" --score points
expect 3 'no such file' -- "$pbvote" tally "$tmp/absent.pb"
expect 2 'unknown command' -- "$pbvote" frobnicate

# malformed copies of a real file: the message names the file and the line
sed '40s/;[0-9]*;/;12x4;/' "$rembertow" > "$tmp/bad_cost.pb"
expect 3 "bad_cost.pb:40:2: cost: not a decimal number" -- "$pbvote" tally "$tmp/bad_cost.pb"
head -c 40000 "$rembertow" > "$tmp/truncated.pb"
expect 3 "truncated.pb:" -- "$pbvote" tally "$tmp/truncated.pb"
printf '\177ELF\002\001\001\000\000\000' > "$tmp/junk.pb"
expect 3 "junk.pb:1: NUL byte" -- "$pbvote" tally "$tmp/junk.pb"
# seeded draws are reproducible and recorded
a=$("$pbvote" tally "$rembertow" --tie-break seeded --seed 42 --format json)
b=$("$pbvote" tally "$rembertow" --tie-break seeded --seed 42 --format json)
[ "$a" = "$b" ] || { echo "FAIL seeded tally not reproducible"; fail=1; }
echo "$a" | grep -q '"seed":"42"' || { echo "FAIL seed not recorded"; fail=1; }
# the text table and the JSON agree on the winners
"$pbvote" tally "$rembertow" --format json | grep -o '"winners":\[[^]]*\]' | tr -d '"[]' | sed 's/winners://' | tr ',' '\n' > "$tmp/json_winners"
"$pbvote" tally "$rembertow" | awk '$5 == "funded" || $6 == "funded" {print $2}' > "$tmp/text_winners"
cmp -s "$tmp/json_winners" "$tmp/text_winners" || { echo "FAIL text and JSON winners differ"; fail=1; }
[ -s "$tmp/json_winners" ] || { echo "FAIL no winners"; fail=1; }
[ $fail = 0 ] && echo "tally cli: ok"
exit $fail
