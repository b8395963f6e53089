#!/bin/sh
# Every shared pabulib election imported into a ballot box, tallied, certified, exported and
# verified offline: `pbvote tally --db` gives the winners `pbvote tally FILE.pb` gives, and every
# honest bundle passes `pbvote verify --trust`.  A file whose own rule this build cannot count
# (META rule "unknown", or a rule not built yet) is counted with --rule greedy on both sides.
# Usage: box_import.sh PBVOTE PABULIB_DIR
set -u
pbvote=${1:?usage: box_import.sh PBVOTE PABULIB_DIR}
data=${2:?usage: box_import.sh PBVOTE PABULIB_DIR}
. "$(dirname "$0")/lib.sh"
pbvote=$(absolute "$pbvote")
data=$(absolute "$data")
[ -d "$data" ] || { echo "no shared data at $data"; exit 1; }
in_tmpdir import
"$pbvote" keygen --role engine --out engine.key --name pb.test/engine --no-passphrase >/dev/null 2>&1 || exit 1
"$pbvote" keygen --role office --out office.key --name pb.test/office --no-passphrase >/dev/null 2>&1 || exit 1
{ printf 'engine '; cat engine.key.pub; printf 'office '; cat office.key.pub; } > trust
# a failed step shows the first lines of its stderr
failed_step() { not_ok "$1"; [ -f err ] && sed 's/^/#   /' err | head -5; }
winners() { grep -o '"winners":\[[^]]*\]' "$1"; }

for f in "$data"/*.pb; do
        name=$(basename "$f" .pb)
        rule=""
        "$pbvote" tally "$f" --format json > want.json 2>err
        case $? in
        0) ;;
        2) rule="--rule greedy"
           "$pbvote" tally "$f" --format json $rule > want.json 2>err || { failed_step "$name: tally FILE.pb"; continue; } ;;
        *) failed_step "$name: tally FILE.pb"; continue ;;
        esac
        rm -rf "$name.db" "$name.db-wal" "$name.db-shm" "$name.bundle"
        # shellcheck disable=SC2086
        if ! "$pbvote" import "$f" --db "$name.db" --key engine.key --office-key office.key $rule \
                --at 2026-06-01T20:00:00Z 2>err; then
                failed_step "$name: import"; continue
        fi
        if ! "$pbvote" tally --db "$name.db" --key engine.key --out result.json > got.json 2>err; then
                failed_step "$name: tally --db"; continue
        fi
        if [ "$(winners got.json)" = "$(winners want.json)" ] && [ -n "$(winners want.json)" ]; then
                ok "$name: tally --db gives the winners of tally FILE.pb ${rule:+($rule)}"
        else
                failed_step "$name: winners differ: $(winners got.json) vs $(winners want.json)"
        fi
        # more than the winners: the whole tally document (votes, scores, steps, ties, money)
        if cmp -s got.json want.json; then
                ok "$name: the same tally document, byte for byte"
        else
                failed_step "$name: the tally documents differ"
        fi
        "$pbvote" certify result.json --key office.key --db "$name.db" --at 2026-06-02T10:00:00Z \
                --out cert.json 2>err || { failed_step "$name: certify"; continue; }
        "$pbvote" export --db "$name.db" --out "$name.bundle" 2>err || { failed_step "$name: export"; continue; }
        if "$pbvote" verify "$name.bundle" --trust trust > verify.out 2>err && grep -q '^VALID' verify.out; then
                ok "$name: the honest bundle verifies ($(grep -c '^PASS' verify.out) checks)"
        else
                failed_step "$name: verify"; sed 's/^/#   /' verify.out | grep FAIL
        fi
        rm -rf "$name.db" "$name.db-wal" "$name.db-shm" "$name.bundle"
done
[ "$n" -ge 75 ] || { echo "# only $n checks ran"; failed=$((failed + 1)); }
finish
