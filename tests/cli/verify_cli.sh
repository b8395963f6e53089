#!/bin/sh
# pbvote verify from the command line (issue 11): it says what it verified (election, title,
# hashes, ballots, winners, money), pins one election with --expect-*, reads the bundle as a tar
# archive as it comes, and names the offending file in every failure (an extra file, a link,
# CRLF damage, a line longer than any valid one).  Two elections share one pair of keys, as every
# election of a city does.  Usage: verify_cli.sh PBVOTE
set -u
pbvote=${1:?usage: verify_cli.sh PBVOTE}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir verify
tmp=$lib_tmp

"$pbvote" keygen --role engine --out engine.key --name pb.test/engine --no-passphrase >/dev/null 2>&1 || exit 1
"$pbvote" keygen --role office --out office.key --name pb.test/office --no-passphrase >/dev/null 2>&1 || exit 1
{ printf 'engine '; cat engine.key.pub; printf 'office '; cat office.key.pub; } > trust

# election ID, its title JSON, then ballots (approvals as JSON arrays)
election() {
        id=$1 title=$2
        shift 2
        cat > "$id.json" <<JSON
{"type": "pbvote.manifest/v1", "id": "$id", "title": $title, "currency": "EUR", "scale": 2,
 "budget": 10000000, "batch_min": 2,
 "projects": [{"id": "p1", "name": {"en": "Trees", "fr": "Arbres"}, "cost": 6000000},
              {"id": "p2", "name": "Bench", "cost": 2000000}, {"id": "p3", "name": "Pond", "cost": 5000000}],
 "ballot": {"type": "approval", "min_length": 1, "max_length": 2},
 "rule": {"name": "greedy", "tie_break": "file-order"}}
JSON
        "$pbvote" election create --db "$id.db" --manifest "$id.json" >/dev/null 2>&1 &&
                "$pbvote" election open --db "$id.db" --key engine.key --office-key office.key >/dev/null 2>&1 &&
                "$pbvote" codes issue --db "$id.db" --key engine.key --count $# --csv "$id.codes" >/dev/null 2>&1 ||
                return 1
        i=2
        for b in "$@"; do
                "$pbvote" cast --db "$id.db" --key engine.key --code "$(sed -n ${i}p "$id.codes")" \
                        --ballot "{\"approvals\":$b}" >/dev/null 2>&1 || return 1
                i=$((i + 1))
        done
        "$pbvote" election close --db "$id.db" --key engine.key --at 2026-06-01T20:00:00Z >/dev/null 2>&1 &&
                "$pbvote" tally --db "$id.db" --key engine.key --out "$id.result" >/dev/null 2>"$id.tally.err" &&
                "$pbvote" certify "$id.result" --db "$id.db" --key office.key --at 2026-06-02T10:00:00Z \
                        --out "$id.cert" >/dev/null 2>&1 &&
                "$pbvote" export --db "$id.db" --out "$id" >/dev/null 2>"$id.export.err"
}
election park '{"en": "Our park", "fr": "Notre parc"}' '["p1","p2"]' '["p1"]' '["p3"]' '["p2","p3"]' '["p1","p3"]' ||
        { echo "Bail out! cannot make the park election"; exit 1; }
election pool '"The pool"' '["p3"]' '["p3","p2"]' || { echo "Bail out! cannot make the pool election"; exit 1; }

# the hashes the city publishes: pbvote tally and pbvote export print them
m_park=$(sed -n 's/.*manifest SHA-256 \([0-9a-f]\{64\}\).*/\1/p' park.tally.err)
r_park=$(sed -n 's/.*result SHA-256 \([0-9a-f]\{64\}\).*/\1/p' park.tally.err)
[ ${#m_park} = 64 ] && [ ${#r_park} = 64 ] && ok "pbvote tally prints the result's and the manifest's SHA-256" ||
        not_ok "tally hashes: '$m_park' '$r_park'"
has park.export.err "manifest SHA-256 $m_park, result SHA-256 $r_park" "pbvote export prints the same hashes"

# what it verified
expect 0 "verify the park election" "$pbvote" verify park --trust trust
has out 'election:  "park"' "names the election"
has out 'title:     en: "Our park", fr: "Notre parc"' "gives the title in each language as stored"
has out "manifest:  SHA-256 $m_park" "the manifest's SHA-256, as tally printed it"
has out "result:    SHA-256 $r_park" "the result's SHA-256, as tally printed it"
has out "ballots:   5" "the ballots"
# greedy by votes: p1 3, p3 3 (p1 first in file order), p2 2; p1 + p3 = 110000 > 100000, so p1, p2
has out '  "p1" en: "Trees", fr: "Arbres"' "the first winner with its names"
has out '  "p2" "Bench"' "the second winner"
hasnt out '"p3" "Pond"' "no other winner"
has out "spent:     80000 of 100000 EUR" "money spent of the budget, with the currency"
has out "election not pinned: use --expect-result, or at least --expect-manifest" "an unpinned election is said"
has out "PASS B1P  expected election    NOT PINNED" "and has its check line"

# pinned: a valid bundle of another election with the same keys no longer passes
expect 0 "verify park pinned by manifest, election and result" "$pbvote" verify park --trust trust \
        --expect-manifest "$m_park" --expect-election park --expect-result "$r_park"
has out "PASS B1P" "the expected election passes"
has out "PASS B4P" "the expected result passes"
hasnt out "not pinned" "nothing unpinned is reported"
expect 0 "verify park pinned by its manifest only" "$pbvote" verify park --trust trust --expect-manifest "$m_park"
has out "result not pinned: use --expect-result" "a manifest pin alone says the result is not pinned"
expect 0 "the pool bundle alone is valid" "$pbvote" verify pool --trust trust
expect 1 "the pool bundle is not the park election (--expect-manifest)" "$pbvote" verify pool --trust trust \
        --expect-manifest "$m_park"
has out 'FAIL B1P  expected election    (1) "manifest.dsse.json": the bundle'"'"'s manifest is not the expected one' \
        "the failed check names the manifest"
has out 'election:  "pool"' "and the output says which election it is"
expect 1 "--expect-election" "$pbvote" verify pool --trust trust --expect-election park
has out '"manifest.dsse.json" $.id: the bundle is of another election' "names the field"
expect 1 "--expect-result" "$pbvote" verify pool --trust trust --expect-result "$r_park"
has out 'FAIL B4P' "the result pin fails"
expect 2 "a pin that is not a SHA-256" "$pbvote" verify park --expect-manifest 1234
has err "64 hex digits" "says what a pin is"

# as a tar archive, as it comes
tar -cf park-gnu.tar park && expect 0 "a tar of the folder (GNU tar's default)" "$pbvote" verify park-gnu.tar --trust trust
has out 'election:  "park"' "the summary from the archive"
tar --format=pax -cf park-pax.tar park && expect 0 "a pax archive" "$pbvote" verify park-pax.tar --trust trust
tar --format=ustar -C park -cf park-flat.tar . && expect 0 "an archive of the folder's content (./names)" \
        "$pbvote" verify park-flat.tar --trust trust

# every failure names the file
cp -r park p1 && printf 'x' > p1/.DS_Store
expect 1 "an extra .DS_Store" "$pbvote" verify p1 --trust trust
has out 'FAIL A1   files                (7) ".DS_Store": a file that belongs to no bundle' "is named"
tar -cf p1.tar p1 && expect 1 "an extra .DS_Store in a tar" "$pbvote" verify p1.tar --trust trust
has out '"p1/.DS_Store": a file that belongs to no bundle' "is named with its folder"
cp -r park p2 && mv p2/keys.txt keys.copy && ln -s "$tmp/keys.copy" p2/keys.txt
expect 1 "keys.txt as a symbolic link" "$pbvote" verify p2 --trust trust
has out '"keys.txt": a symbolic link' "is named"
tar -cf p2.tar p2 && expect 1 "a symbolic link in a tar" "$pbvote" verify p2.tar --trust trust
has out '"p2/keys.txt": a symbolic link' "is named in the archive"
cp -r park p3 && sed 's/$/\r/' park/keys.txt > p3/keys.txt
expect 1 "keys.txt with CRLF line endings" "$pbvote" verify p3 --trust trust
has out '"keys.txt": CRLF line endings (the file was altered in transit' "is reported as CRLF damage"
hasnt out "is not the keys the signed manifest names" "not as other keys"
cp -r park p4 && sed 's/$/\r/' park/ballots.jsonl > p4/ballots.jsonl
expect 1 "ballots.jsonl with CRLF line endings" "$pbvote" verify p4 --trust trust
has out '"ballots.jsonl" line 1: CRLF line endings' "names the file and line"
cp -r park p5 && head -c 5000000 /dev/zero | tr '\0' '{' >> p5/ballots.jsonl
expect 1 "a 5 MB line without a newline" "$pbvote" verify p5 --trust trust
has out '"ballots.jsonl" line 6: a line longer than any valid line' "is refused, named with its line"
# a name from the bundle cannot write to the terminal: control bytes are escaped
cp -r park p6 && printf 'x' > "p6/$(printf 'a\033[2Jb')" && tar -cf p6.tar p6
expect 1 "a member name with an escape sequence" "$pbvote" verify p6.tar --trust trust
has out '"p6/a\x1b[2Jb"' "is printed escaped"
if grep -q "$(printf '\033')" out; then not_ok "no raw escape byte in the output"; else ok "no raw escape byte in the output"; fi
printf 'not a tar\n' > junk.tar
expect 1 "not a tar archive" "$pbvote" verify junk.tar --trust trust
has out '"junk.tar": ' "names the archive"
# a mistyped path is unreadable input (exit 3), not a failed audit
expect 3 "no such bundle" "$pbvote" verify nothing-here --trust trust
has err "nothing-here: No such file or directory" "names the path and why"
hasnt out "INVALID" "no verdict is printed"

finish
