#!/bin/sh
# (needs systemd's systemd-analyze and strace: scripts/deps.sh installs them; systemd need not run)
# pbvote.service (issue 17), checked offline: `systemd-analyze verify` accepts it (its ExecStart
# pointed at the built binary, its man pages found), `systemd-analyze security` rates its
# exposure at most MAX_EXPOSURE, and every system call `pbvote serve` makes under strace (the
# demo made, a ballot cast, a page, the turnout, an export, a SIGTERM) is one its
# SystemCallFilter= allows, so the filter cannot kill the service at run time.
# Usage: unit.sh PBVOTE UNIT MANDIR
set -u
pbvote=${1:?usage: unit.sh PBVOTE UNIT MANDIR}
unit=$2
mandir=$3
MAX_EXPOSURE=2.0
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $unit in /*) ;; *) unit=$(pwd)/$unit ;; esac
case $mandir in /*) ;; *) mandir=$(pwd)/$mandir ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir unit
pid=""
server=""
trap '[ -n "$pid" ] && kill -9 $server "$pid" 2>/dev/null; cd /; rm -rf "$lib_tmp"' EXIT
export LC_ALL=C

# the unit as installed, but running the built binary (verify checks that ExecStart exists)
sed "s|^ExecStart=[^ ]*/pbvote |ExecStart=$pbvote |" "$unit" > pbvote.service
has pbvote.service "ExecStart=$pbvote serve" "the unit runs pbvote serve"
mkdir -p man/man1 && cp "$mandir"/*.1 man/man1/
expect 0 "systemd-analyze verify pbvote.service" env MANPATH="$(pwd)/man" systemd-analyze verify ./pbvote.service
check "verify says nothing (out: $(head -c 300 out) err: $(head -c 300 err))" [ ! -s out ] && [ ! -s err ]

expect 0 "systemd-analyze security --offline=true pbvote.service" systemd-analyze security --offline=true ./pbvote.service
score=$(sed -n 's/.*Overall exposure level for pbvote.service: \([0-9.]*\).*/\1/p' out)
echo "# systemd-analyze security: exposure $score (0 best, 10 worst)"
check "exposure $score is at most $MAX_EXPOSURE" awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s != "" && s <= m) }'
for d in "ProtectSystem=strict" "NoNewPrivileges=yes" "MemoryDenyWriteExecute=yes" "StateDirectory=pbvote" \
        "StateDirectoryMode=0700" "SystemCallFilter=@system-service" "Type=notify" "EnvironmentFile=" "User=pbvote"; do
        has pbvote.service "$d" "the unit sets $d"
done

# expand @GROUP: its system calls, nested groups expanded
expand() {
        for w in $(systemd-analyze syscall-filter "$1" < /dev/null 2> /dev/null | sed -n 's/^    \([-@a-z0-9_]*\)$/\1/p'); do
                case $w in @*) expand "$w" ;; *) echo "$w" ;; esac
        done
}
allow=""
deny=""
while read -r line; do
        case $line in "~"*) deny="$deny ${line#"~"}" ;; *) allow="$allow $line" ;; esac
done << EOF
$(sed -n 's/^SystemCallFilter=//p' pbvote.service)
EOF
for g in $allow; do expand "$g"; done | sort -u > allowed
for g in $deny; do expand "$g"; done | sort -u > denied
check "the filter's groups expand ($(wc -l < allowed) allowed, $(wc -l < denied) denied)" [ -s allowed ] && [ -s denied ]

mkdir -m 700 data
# LeakSanitizer cannot run under ptrace (an ASan build aborts at exit): no leak check here
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o trace "$pbvote" serve --demo --data data --listen 127.0.0.1:0 > serve.out 2> serve.err &
pid=$!
i=0
while [ $i -lt 1200 ] && ! grep -q '^pbvote: serving http' serve.out && kill -0 "$pid" 2> /dev/null; do
        sleep 0.05
        i=$((i + 1))
done
port=$(sed -n 's|^pbvote: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
check "pbvote serve runs under strace" [ -n "$port" ]
kiosk=$(sed -n 's/.*"kiosk":"\([0-9a-f]*\)".*/\1/p' data/demo.json)
admin=$(sed -n 's/.*"admin":"\([0-9a-f]*\)".*/\1/p' data/demo.json)
code=$(sed -n 's/.*"codes":\["\([^"]*\)".*/\1/p' data/demo.json)
e=warszawa-rembertow-2023
u=http://127.0.0.1:$port
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $kiosk" -H 'Content-Type: application/json' \
        -d "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"$code\",\"submission_id\":\"00112233445566778899aabbccddeeff\"}" \
        "$u/v1/elections/$e/ballots")
check "a ballot is cast (got $st)" [ "$st" = 201 ]
curl -s -o /dev/null "$u/"
curl -s -o /dev/null "$u/v1/elections/$e/turnout"
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $admin" "$u/v1/elections/$e/close")
check "the election closes (got $st)" [ "$st" = 200 ]
curl -s -o /dev/null -X POST -H "Authorization: Bearer $admin" "$u/v1/elections/$e/tally"
curl -s -o /dev/null -H "Authorization: Bearer $admin" "$u/v1/elections/$e/export"
# SIGTERM to the server itself: strace (with -o FILE) blocks fatal signals, and exits with the
# status of the command it runs
server=$(ps -o pid= --ppid "$pid" | tr -d ' ')
check "the server runs under strace (pid $server)" [ -n "$server" ]
kill "$server"
wait "$pid"
st=$?
pid=""
check "and stops on SIGTERM (exit $st)" [ $st = 0 ]
sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' trace | sort -u > used
# SQLite gives its WAL and journal files to the database's owner (fchown) only when it runs as
# root; the service runs as the pbvote user, so that call never comes there.
[ "$(id -u)" = 0 ] && sed -i '/^fchown$/d' used
check "strace saw the server's system calls ($(wc -l < used))" [ "$(wc -l < used)" -gt 20 ]
outside=$(comm -23 used allowed | tr '\n' ' ')
check "every system call is allowed by the filter${outside:+ (not: $outside)}" [ -z "$outside" ]
refused=$(comm -12 used denied | tr '\n' ' ')
check "none is in a denied group${refused:+ (denied: $refused)}" [ -z "$refused" ]
finish
