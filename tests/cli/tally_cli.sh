#!/bin/sh
# pbvote tally from the outside: exit statuses, messages naming file and line, output formats.
# usage: tally_cli.sh PBVOTE PABULIB_DIR
set -u
. "$(dirname "$0")/lib.sh"
pbvote=$(absolute "$1")
data=$(absolute "$2")
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
expect_msg 2 "input file's name is empty" "$pbvote" tally ""
# equal shares' options with another rule would change nothing: refused, not ignored
expect_msg 2 '--utility applies to equal shares only, and this count uses greedy' \
        "$pbvote" tally "$rembertow" --utility approval
expect_msg 2 '--completion applies to equal shares only' "$pbvote" tally "$rembertow" --rule phragmen --completion add1
expect_msg 2 '--comparison applies to equal shares only' "$pbvote" tally "$rembertow" --comparison
expect_msg 0 'utility approval, completion none' "$pbvote" tally "$rembertow" --rule equalshares --utility approval \
        --completion none
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

# Real files the city counted (../pabulib-regressions, see its INDEX.md): `pbvote tally FILE` with
# no options must fund exactly the projects whose `selected` column is 1.  The expected set comes
# from the file, never from our own output.  (None of these files quotes a cell.)
regressions=$data/../pabulib-regressions
nreg=0
for f in "$regressions"/*.pb; do
        [ -f "$f" ] || continue
        nreg=$((nreg + 1))
        b=$(basename "$f")
        awk -F';' '
                { sub(/\r$/, "") }
                /^PROJECTS$/ { sec = 1; head = 1; next }
                /^VOTES$/ { sec = 0 }
                sec && head { for (i = 1; i <= NF; i++) if ($i == "selected") col = i; head = 0; next }
                sec && col && $col == 1 { print $1 }' "$f" | sort > "$b.want"
        "$pbvote" tally "$f" --format json 2> "$b.err" | grep -o '"winners":\[[^]]*\]' |
                sed 's/"winners"://' | tr -d '"[]' | tr ',' '\n' | sed '/^$/d' | sort > "$b.got"
        check "$b: selected projects read from the file" [ -s "$b.want" ]
        if cmp -s "$b.want" "$b.got"; then
                ok "$b: funds what the city funded"
        else
                not_ok "$b: funded $(tr '\n' ' ' < "$b.got"), the city funded $(tr '\n' ' ' < "$b.want")"
                head -3 "$b.err" | sed 's/^/#   /'
        fi
done
check "at least 2 regression files in $regressions (found $nreg)" [ "$nreg" -ge 2 ]
# pbvote check reports those files as pabulib's checker does: the repeated project and nothing
# else (the checker's votes count includes the repeat, as the file's votes column does)
warsaw=$regressions/Poland_Warszawa_2026_Miedzylesie_Radosc.pb
expect_msg 1 ':118: error: vote with duplicated projects' "$pbvote" check "$warsaw"
expect_msg 1 ': 1 error, 0 warnings' "$pbvote" check "$warsaw"
expect_msg 0 ': 0 errors, 0 warnings' "$pbvote" check "$regressions/Poland_Gdynia_2020_Orlowo__small.pb"
# the tally warns once per kind, with a count; --strict refuses, naming the line
expect_msg 0 ":118:2: warning: vote with duplicated projects: .*('1232'): counted once (1 time in the file" \
        "$pbvote" tally "$warsaw"
expect_msg 3 ":118:2: vote: project listed twice in one vote ('1232')" "$pbvote" tally "$warsaw" --strict

# A file with the problems real files have: repeated approvals (counted once), a cell with
# surrounding spaces (Wrocław 2025), whitespace after a comma.  Expected outcome by hand: budget 100,
# votes p1 3 (v1 lists it twice), p2 2, p3 1; greedy funds p1 (60) and p2 (30), p3 (50) no longer fits.
cat > lenient.pb <<'EOF_PB'
META
key;value
description;lenient
country;Poland
unit;Testville
instance;2025
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
date_begin;2025
date_end;2025
PROJECTS
project_id;cost;votes;name;selected
p1;60;3;One;1
p2; 30 ;2;Two;1
p3;50;1;Three;0
VOTES
voter_id;vote
v1;p1,p1,p2
v2;p1, p2,p1
v3;p1,p3
EOF_PB
expect_msg 0 'lenient.pb:21:2: warning: vote with duplicated projects: .*counted once (2 times in the file' \
        "$pbvote" tally lenient.pb
expect_msg 0 "lenient.pb:17:2: warning: leading or trailing whitespace: .*('30'): ignored (1 time" \
        "$pbvote" tally lenient.pb
expect_msg 0 "lenient.pb:22:2: warning: whitespace around list separator: .*('p2'): ignored (1 time" \
        "$pbvote" tally lenient.pb
expect 0 "the lenient file counts" "$pbvote" tally lenient.pb --format json
has_re out '"winners":\["p1","p2"\]' "lenient winners"
has out '"id":"p1","name":"One","reason":"selected","score":3,"selected":true,"step":1,"votes":3' \
        "a repeated approval counts once (p1: 3 votes)"
check "one warning line per kind" [ "$(grep -c warning err)" = 3 ]
expect_msg 3 'lenient.pb:17:2: PROJECTS: cell contains leading or trailing whitespace' \
        "$pbvote" tally lenient.pb --strict
# a repeat on a ballot whose rank or points it would carry is ambiguous: refused even leniently
sed 's/^vote_type;approval$/vote_type;ordinal/' lenient.pb > ordinal.pb
expect_msg 3 'ordinal.pb:21:2: vote: project listed twice in one vote (its rank or points are ambiguous)' \
        "$pbvote" tally ordinal.pb
finish
