#!/bin/sh
# Benchmark: import a .pb file into a ballot box, tally, certify, export and verify it; prints the
# wall time and peak memory of each step.  Usage: bench_box_verify.sh PBVOTE FILE.pb
set -eu
pbvote=$1 file=$2
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $file in /*) ;; *) file=$(pwd)/$file ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbvote-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$pbvote" keygen --role engine --out e.key --no-passphrase >/dev/null 2>&1
"$pbvote" keygen --role office --out o.key --no-passphrase >/dev/null 2>&1
t() { step=$1; shift; /usr/bin/time -f "$step: %e s, %M KiB peak" "$@" >/dev/null 2>time.err || { cat time.err; exit 1; }; grep -v WARNING time.err | tail -1; }
t import "$pbvote" import "$file" --db b.db --key e.key --office-key o.key
t tally "$pbvote" tally --db b.db --key e.key --out r.json
t certify "$pbvote" certify r.json --db b.db --key o.key --out c.json
t export "$pbvote" export --db b.db --out bundle
t verify "$pbvote" verify bundle
echo "database $(du -k b.db | cut -f1) KiB, bundle $(du -sk bundle | cut -f1) KiB"
