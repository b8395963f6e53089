#!/bin/sh
# pbvote tally from the outside: exit statuses, messages naming file and line, output formats.
# usage: tally_cli.sh PBVOTE PABULIB_DIR
set -u
pbvote=$1
data=$2
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $data in /*) ;; *) data=$(pwd)/$data ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir tally-cli
rembertow=$data/Poland_Warszawa_2023_Rembertow.pb

expect_msg 0 'funded: 9 of 38 projects' "$pbvote" tally "$rembertow"
expect_msg 0 '"winners":\["1639"' "$pbvote" tally "$rembertow" --format json
expect_msg 2 "unknown option '--frobnicate'" "$pbvote" tally "$rembertow" --frobnicate
expect_msg 2 "--format 'xml': expected one of: text, json" "$pbvote" tally "$rembertow" --format xml
# the refusal of a rule lists the rules (issue 11: it said "unknown rule" and nothing more)
expect_msg 2 "--rule 'mes': expected one of: greedy, greedy-no-skip, .*, equalshares, phragmen, maximin-support" \
        "$pbvote" tally "$rembertow" --rule mes
expect_msg 2 'needs --seed' "$pbvote" tally "$rembertow" --tie-break seeded
expect_msg 2 'only with --tie-break seeded' "$pbvote" tally "$rembertow" --seed 5
expect_msg 2 'missing input file' "$pbvote" tally
expect_msg 2 "rule is 'unknown'" "$pbvote" tally "$data/Switzerland_Zurich_S5.pb"
expect_msg 0 '"name":"greedy"' "$pbvote" tally "$data/Switzerland_Zurich_S5.pb" --rule greedy --format json
expect_msg 2 'points need cumulative or scoring' "$pbvote" tally "$rembertow" --score points
expect_msg 3 'no such file' "$pbvote" tally absent.pb
expect_msg 2 'unknown command' "$pbvote" frobnicate

# malformed copies of a real file: the message names the file and the line
sed '40s/;[0-9]*;/;12x4;/' "$rembertow" > bad_cost.pb
expect_msg 3 "bad_cost.pb:40:2: cost: not a decimal number" "$pbvote" tally bad_cost.pb
head -c 40000 "$rembertow" > truncated.pb
expect_msg 3 "truncated.pb:" "$pbvote" tally truncated.pb
printf '\177ELF\002\001\001\000\000\000' > junk.pb
expect_msg 3 "junk.pb:1: NUL byte" "$pbvote" tally junk.pb
# seeded draws are reproducible and recorded
a=$("$pbvote" tally "$rembertow" --tie-break seeded --seed 42 --format json)
b=$("$pbvote" tally "$rembertow" --tie-break seeded --seed 42 --format json)
check "a seeded tally is reproducible" [ "$a" = "$b" ]
echo "$a" > seeded.json
has seeded.json '"seed":"42"' "the seed is recorded"
# the text table and the JSON agree on the winners
"$pbvote" tally "$rembertow" --format json | grep -o '"winners":\[[^]]*\]' | tr -d '"[]' | sed 's/winners://' | tr ',' '\n' > json_winners
"$pbvote" tally "$rembertow" | awk '$5 == "funded" || $6 == "funded" {print $2}' > text_winners
check "text and JSON winners agree" cmp -s json_winners text_winners
check "there are winners" [ -s json_winners ]
finish
