#!/usr/bin/env bash
# Campaign 6 of docs/reliability.md: every libFuzzer target for a number of executions each.
# Usage: scripts/fuzz-campaign.sh [-j JOBS] [-t SECONDS] [-n] [-o WORKDIR] [EXECS_PER_TARGET] [TARGET...]
#   EXECS_PER_TARGET  executions of each target (default 10000000); 0: no limit (with -t)
#   -j JOBS      targets run at once, one process each (default: every core, nproc)
#   -t SECONDS   stop each target after SECONDS as well (libFuzzer -max_total_time)
#   -n           do not merge new inputs back into tests/fuzz/corpus
#   -o WORKDIR   where the work corpora, logs and reproducers go (default /tmp/pbvote-fuzz)
#   TARGET...    only these (fuzz-api, fuzz_blt...; default: every target build-fuzz holds)
# Builds build-fuzz (clang, libFuzzer, ASan+UBSan) when it is missing.  Each target reads its seed
# corpus (tests/fuzz/corpus/<name>, read-only) and writes what it finds into WORKDIR/<target>/corpus;
# afterwards `-merge=1` adds to tests/fuzz/corpus/<name> only the inputs of at most 2 KiB that add
# coverage, so the suite replays them from then on.  A crash, leak, timeout or sanitizer report
# keeps its reproducer (WORKDIR/<target>/crash-*, with the log) and makes the script exit 1.
# Prints a table: target, executions, execs/s, wall time, coverage (edges at start -> at the end),
# inputs merged, crashes.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 1)
seconds=0
merge=1
work=/tmp/pbvote-fuzz
while getopts j:t:no: opt; do
        case $opt in
        j) jobs=$OPTARG ;;
        t) seconds=$OPTARG ;;
        n) merge=0 ;;
        o) work=$OPTARG ;;
        *) sed -n '3,9p' "$0" >&2; exit 2 ;;
        esac
done
shift $((OPTIND - 1))
execs=${1:-10000000}
[ $# -gt 0 ] && shift
case "$execs$jobs$seconds" in *[!0-9]*) echo "fuzz-campaign: numbers expected" >&2; exit 2 ;; esac
[ "$execs" -gt 0 ] || [ "$seconds" -gt 0 ] || { echo "fuzz-campaign: no limit (EXECS 0 and no -t)" >&2; exit 2; }

if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz -Dfuzzing=true -Db_lundef=false -Db_sanitize=address,undefined \
                -Dwerror=true --buildtype=debugoptimized >&2
fi
ninja -C build-fuzz >&2 # its progress on stderr: stdout is the table

# every libFuzzer binary: fuzz-<name> (corpus <name>) and the ranked parsers' fuzz_<name> (corpus fuzz_<name>)
if [ $# -gt 0 ]; then targets=$*; else
        targets=$(cd build-fuzz/tests && ls | grep -E '^fuzz[-_][a-z_]+$' | sort)
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$work"

corpus_of() {
        case $1 in fuzz-*) echo "${1#fuzz-}" ;; *) echo "$1" ;; esac
}

# One target: run, then merge; its figures into $work/$t/figures.
run_one() {
        t=$1
        bin=$root/build-fuzz/tests/$t
        seeds=$root/tests/fuzz/corpus/$(corpus_of "$t")
        dir=$work/$t
        mkdir -p "$dir/corpus"
        rm -f "$dir/figures"
        # reproducers of an earlier run are kept aside, not counted again
        if ls "$dir" | grep -qE '^(crash|leak|timeout|oom)-'; then
                mkdir -p "$dir/earlier" && mv "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir/earlier/" 2>/dev/null || true
        fi
        extra=""
        [ "$t" = fuzz-pb ] && extra="$root/tests/data/pb"
        start=$(date +%s.%N)
        status=0
        # -runs counts the executions after the seeds are read; -max_total_time bounds the wall time
        runs=$execs
        [ "$runs" -gt 0 ] || runs=-1
        "$bin" -runs="$runs" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$dir/" \
                -timeout=25 "$dir/corpus" "$seeds" $extra >"$dir/log" 2>&1 || status=$?
        end=$(date +%s.%N)
        merged=0
        if [ "$merge" = 1 ] && [ "$status" = 0 ]; then
                small=$dir/small
                rm -rf "$small" && mkdir -p "$small"
                find "$dir/corpus" -type f -size -2049c -exec cp {} "$small/" \;
                before=$(ls "$seeds" | wc -l)
                "$bin" -merge=1 -artifact_prefix="$dir/" "$seeds" "$small" >"$dir/merge.log" 2>&1 || status=$?
                merged=$(($(ls "$seeds" | wc -l) - before))
        fi
        awk -v t="$t" -v start="$start" -v end="$end" -v status="$status" -v merged="$merged" \
                -v crashes="$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-' || true)" '
                /INITED cov:/ { for (i = 1; i < NF; i++) if ($i == "cov:") c0 = $(i + 1) }
                / cov: / { for (i = 1; i < NF; i++) if ($i == "cov:") c1 = $(i + 1) }
                /stat::number_of_executed_units:/ { n = $2 }
                /stat::average_exec_per_sec:/ { r = $2 }
                END { if (crashes == 0 && status != 0) crashes = "exit " status
                      printf "%s %s %s %.0f %s->%s %s %s\n", t, n ? n : 0, r ? r : 0, end - start, c0 ? c0 : "?",
                             c1 ? c1 : "?", merged, crashes }' "$dir/log" >"$dir/figures"
}

# At most $jobs targets at once.
running=0
for t in $targets; do
        [ -x "build-fuzz/tests/$t" ] || { echo "fuzz-campaign: no target $t" >&2; exit 2; }
        run_one "$t" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
                wait -n
                running=$((running - 1))
        fi
done
wait

failed=0
total=0
printf '| target | executions | execs/s | wall s | coverage (edges) | merged | crashes |\n|---|---|---|---|---|---|---|\n'
for t in $targets; do
        # shellcheck disable=SC2046
        set -- $(cat "$work/$t/figures")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
        total=$((total + $2))
        if [ "$7" != 0 ]; then
                failed=1
                echo "fuzz-campaign: $t: see $work/$t/log; reproducers: $(ls "$work/$t" | grep -E '^(crash|leak|timeout|oom)-' | tr '\n' ' ')" >&2
        fi
done
echo "total executions: $total"
exit $failed
