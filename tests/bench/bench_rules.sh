#!/bin/sh
# Issue 15's benchmark: the whole `pbvote tally` process, every proportional rule and completion,
# on the large pabulib files and on generated stand-ins of the elections the issue names.
#
#   bench_rules.sh PBVOTE GEN_PB OUTDIR PERF_DIR PABULIB_DIR [RUNS]
#
# Generates the stand-ins into OUTDIR (once), then runs each (file, rule) RUNS times (default 3;
# once when a run takes 30 s or more) with /usr/bin/time -f '%e %M %U %S' and prints one line
# each: file, rule, runs, min and median wall seconds, peak RSS (KiB), and the least CPU time
# (user + system: less sensitive than wall time to other jobs on a shared machine).
# docs/performance.md ("Every rule under a second") has the table and the commands.  Not a test:
# nothing here asserts a time.
set -u
pbvote=$1 gen=$2 out=$3 perf=$4 pabulib=$5 runs=${6:-3}
mkdir -p "$out" || exit 2

# name voters projects seed options: stand-ins calibrated so that the build before issue 15
# takes about as long on them as the issue reports for the real elections
while read -r name voters projects seed opts; do
        [ -s "$out/$name.pb" ] || "$gen" "$out/$name.pb" "$voters" "$projects" "$seed" $opts || exit 1
done <<EOF
warsaw2026 61668 83 2026 budget=25000000 cost=50000-2000000 picks=7
budapest2024 28943 175 2024 budget=1000000000 cost=5000000-120000000 picks=10 skew=10
mokotow2023 11067 81 2023 budget=8700000 cost=5000-1000000 picks=15 skew=30
generated1e9 100000 200 9 budget=1000000000 cost=1000000-100000000 picks=5
EOF

measure() { # file rule args...
        file=$1 rule=$2
        shift 2
        times="" cpus="" rss=0
        i=0
        while [ $i -lt "$runs" ]; do
                r=$( { /usr/bin/time -f '%e %M %U %S' "$pbvote" tally "$file" "$@" --format json >/dev/null; } 2>&1 | tail -1)
                e=${r%% *} rest=${r#* }
                m=${rest%% *} rest=${rest#* }
                times="$times $e"
                cpus="$cpus $(echo "$rest" | awk '{ printf "%.2f", $1 + $2 }')"
                [ "$m" -gt "$rss" ] && rss=$m
                i=$((i + 1))
                [ "${e%%.*}" -ge 30 ] && break
        done
        runs_done=$i
        sorted=$(printf '%s\n' $times | sort -n)
        min=$(printf '%s\n' "$sorted" | head -1)
        med=$(printf '%s\n' "$sorted" | sed -n "$(((runs_done + 1) / 2))p")
        cpu=$(printf '%s\n' $cpus | sort -n | head -1)
        printf '%-44s %-28s %s runs  min %6ss  median %6ss  %7s KiB  cpu %6ss\n' "$(basename "$file")" "$rule" \
                "$runs_done" "$min" "$med" "$rss" "$cpu"
}

for f in "$perf"/Hungary_Budapest_2023_VIII_Jozsefvaros.pb "$perf"/Netherlands_Amsterdam_621.pb \
         "$perf"/Poland_Lodz_2024.pb "$pabulib"/Poland_Lodz_2022.pb "$out"/warsaw2026.pb \
         "$out"/budapest2024.pb "$out"/mokotow2023.pb "$out"/generated1e9.pb; do
        measure "$f" equalshares --rule equalshares --completion none
        measure "$f" equalshares/add1 --rule equalshares --completion add1
        measure "$f" add1-unfloored --rule equalshares --completion add1-unfloored
        measure "$f" add1-exhaustive --rule equalshares --completion add1-exhaustive
        measure "$f" add1-exhaustive+utilitarian --rule equalshares --completion add1-exhaustive --utilitarian-completion
        measure "$f" add1+comparison --rule equalshares --completion add1 --comparison
        measure "$f" phragmen --rule phragmen
        measure "$f" maximin-support --rule maximin-support
done
