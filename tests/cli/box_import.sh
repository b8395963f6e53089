#!/bin/sh
# Every shared pabulib election imported into a ballot box, tallied, certified, exported and
# verified offline: `pbvote tally --db` gives the winners `pbvote tally FILE.pb` gives, and every
# honest bundle passes `pbvote verify --trust`.  A file whose own rule this build cannot count
# (META rule "unknown", or a rule not built yet) is counted with --rule greedy on both sides.
# Usage: box_import.sh PBVOTE PABULIB_DIR
set -u
pbvote=${1:?usage: box_import.sh PBVOTE PABULIB_DIR}
data=${2:?usage: box_import.sh PBVOTE PABULIB_DIR}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $data in /*) ;; *) data=$(pwd)/$data ;; esac
[ -d "$data" ] || { echo "no shared data at $data"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbvote-import.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$pbvote" keygen --role engine --out engine.key --name pb.test/engine --no-passphrase >/dev/null 2>&1 || exit 1
"$pbvote" keygen --role office --out office.key --name pb.test/office --no-passphrase >/dev/null 2>&1 || exit 1
{ printf 'engine '; cat engine.key.pub; printf 'office '; cat office.key.pub; } > trust
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -f err ] && sed 's/^/#   /' err | head -5; }
winners() { grep -o '"winners":\[[^]]*\]' "$1"; }

for f in "$data"/*.pb; do
        name=$(basename "$f" .pb)
        rule=""
        "$pbvote" tally "$f" --format json > want.json 2>err
        case $? in
        0) ;;
        2) rule="--rule greedy"
           "$pbvote" tally "$f" --format json $rule > want.json 2>err || { not_ok "$name: tally FILE.pb"; continue; } ;;
        *) not_ok "$name: tally FILE.pb"; continue ;;
        esac
        rm -rf "$name.db" "$name.db-wal" "$name.db-shm" "$name.bundle"
        # shellcheck disable=SC2086
        if ! "$pbvote" import "$f" --db "$name.db" --key engine.key --office-key office.key $rule \
                --at 2026-06-01T20:00:00Z 2>err; then
                not_ok "$name: import"; continue
        fi
        if ! "$pbvote" tally --db "$name.db" --key engine.key --out result.json > got.json 2>err; then
                not_ok "$name: tally --db"; continue
        fi
        if [ "$(winners got.json)" = "$(winners want.json)" ] && [ -n "$(winners want.json)" ]; then
                ok "$name: tally --db gives the winners of tally FILE.pb ${rule:+($rule)}"
        else
                not_ok "$name: winners differ: $(winners got.json) vs $(winners want.json)"
        fi
        # more than the winners: the whole tally document (votes, scores, steps, ties, money)
        if cmp -s got.json want.json; then
                ok "$name: the same tally document, byte for byte"
        else
                not_ok "$name: the tally documents differ"
        fi
        "$pbvote" certify result.json --key office.key --db "$name.db" --at 2026-06-02T10:00:00Z \
                --out cert.json 2>err || { not_ok "$name: certify"; continue; }
        "$pbvote" export --db "$name.db" --out "$name.bundle" 2>err || { not_ok "$name: export"; continue; }
        if "$pbvote" verify "$name.bundle" --trust trust > verify.out 2>err && grep -q '^VALID' verify.out; then
                ok "$name: the honest bundle verifies ($(grep -c '^PASS' verify.out) checks)"
        else
                not_ok "$name: verify"; sed 's/^/#   /' verify.out | grep FAIL
        fi
        rm -rf "$name.db" "$name.db-wal" "$name.db-shm" "$name.bundle"
done
[ "$n" -ge 75 ] || { echo "only $n checks ran"; failed=$((failed + 1)); }
echo "1..$n"
[ "$failed" = 0 ] || { echo "# $failed failed"; exit 1; }
