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
                sec && col && $col == 1 { print $1 }' "$f" | sort > "$tmp/$b.want"
        "$pbvote" tally "$f" --format json 2> "$tmp/$b.err" | grep -o '"winners":\[[^]]*\]' |
                sed 's/"winners"://' | tr -d '"[]' | tr ',' '\n' | sed '/^$/d' | sort > "$tmp/$b.got"
        [ -s "$tmp/$b.want" ] || { echo "FAIL $b: no selected projects read from the file"; fail=1; }
        cmp -s "$tmp/$b.want" "$tmp/$b.got" || {
                echo "FAIL $b: funded $(tr '\n' ' ' < "$tmp/$b.got"), the city funded $(tr '\n' ' ' < "$tmp/$b.want")"
                head -3 "$tmp/$b.err"; fail=1; }
done
[ "$nreg" -ge 2 ] || { echo "FAIL only $nreg regression files in $regressions"; fail=1; }
# pbvote check reports those files as pabulib's checker does: the repeated project and nothing
# else (the checker's votes count includes the repeat, as the file's votes column does)
warsaw=$regressions/Poland_Warszawa_2026_Miedzylesie_Radosc.pb
expect 1 ':118: error: vote with duplicated projects' -- "$pbvote" check "$warsaw"
expect 1 ': 1 error, 0 warnings' -- "$pbvote" check "$warsaw"
expect 0 ': 0 errors, 0 warnings' -- "$pbvote" check "$regressions/Poland_Gdynia_2020_Orlowo__small.pb"
# the tally warns once per kind, with a count; --strict refuses, naming the line
expect 0 ":118:2: warning: vote with duplicated projects: .*('1232'): counted once (1 time in the file" -- \
        "$pbvote" tally "$warsaw"
expect 3 ":118:2: vote: project listed twice in one vote ('1232')" -- "$pbvote" tally "$warsaw" --strict

# A file with the problems real files have: repeated approvals (counted once), a cell with
# surrounding spaces (Wrocław 2025), whitespace after a comma.  Expected outcome by hand: budget 100,
# votes p1 3 (v1 lists it twice), p2 2, p3 1; greedy funds p1 (60) and p2 (30), p3 (50) no longer fits.
cat > "$tmp/lenient.pb" <<'EOF_PB'
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
expect 0 'lenient.pb:21:2: warning: vote with duplicated projects: .*counted once (2 times in the file' -- \
        "$pbvote" tally "$tmp/lenient.pb"
expect 0 "lenient.pb:17:2: warning: leading or trailing whitespace: .*('30'): ignored (1 time" -- \
        "$pbvote" tally "$tmp/lenient.pb"
expect 0 "lenient.pb:22:2: warning: whitespace around list separator: .*('p2'): ignored (1 time" -- \
        "$pbvote" tally "$tmp/lenient.pb"
"$pbvote" tally "$tmp/lenient.pb" --format json 2> "$tmp/lenient.err" > "$tmp/lenient.json"
grep -q '"winners":\["p1","p2"\]' "$tmp/lenient.json" || { echo "FAIL lenient winners"; cat "$tmp/lenient.json"; fail=1; }
grep -q '"id":"p1","name":"One","reason":"selected","score":3,"selected":true,"step":1,"votes":3' "$tmp/lenient.json" ||
        { echo "FAIL a repeated approval must count once (p1: 3 votes)"; fail=1; }
[ "$(grep -c warning "$tmp/lenient.err")" = 3 ] || { echo "FAIL one warning line per kind expected"; cat "$tmp/lenient.err"; fail=1; }
expect 3 'lenient.pb:17:2: PROJECTS: cell contains leading or trailing whitespace' -- \
        "$pbvote" tally "$tmp/lenient.pb" --strict
# a repeat on a ballot whose rank or points it would carry is ambiguous: refused even leniently
sed 's/^vote_type;approval$/vote_type;ordinal/' "$tmp/lenient.pb" > "$tmp/ordinal.pb"
expect 3 'ordinal.pb:21:2: vote: project listed twice in one vote (its rank or points are ambiguous)' -- \
        "$pbvote" tally "$tmp/ordinal.pb"
[ $fail = 0 ] && echo "tally cli: ok"
exit $fail
