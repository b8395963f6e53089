#!/bin/sh
# `pbvote backup` (issue 17): a backup taken while the server takes ballots from three kiosks at
# once opens and passes the full check; restored and served, it holds every ballot acknowledged
# before the backup began; folder 0700, files 0600, no -wal or -shm; an existing destination is
# refused; a backup killed (SIGKILL) at a random moment leaves the original byte for byte as it was
# and no destination, only its temporary folder; a backup during which the server is killed
# (SIGKILL) completes, and both the copy and the original pass the full check.
# Usage: backup.sh PBVOTE PB_FILE (a large .pb file: its box takes long enough to copy to be killed)
set -u
pbvote=${1:?usage: backup.sh PBVOTE PB_FILE}
big=${2:?usage: backup.sh PBVOTE PB_FILE}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $big in /*) ;; *) big=$(pwd)/$big ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir backup
pids=""
trap 'for p in $pids; do kill -9 "$p" 2> /dev/null; done; cd /; rm -rf "$lib_tmp"' EXIT
e=warszawa-rembertow-2023

# serve DIR LOG: start `pbvote serve` on DIR, set $port and $server
serve() {
        "$pbvote" serve ${3:-} --data "$1" --listen 127.0.0.1:0 > "$2" 2>&1 &
        server=$!
        pids="$pids $server"
        i=0
        while [ $i -lt 600 ] && ! grep -q '^pbvote: serving http' "$2" && kill -0 "$server" 2> /dev/null; do
                sleep 0.05
                i=$((i + 1))
        done
        port=$(sed -n 's|^pbvote: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$2")
}

# kiosk N CODES: cast one ballot per code of the file CODES; "CODE COMMITMENT" per receipt to acked.N
kiosk() {
        k=0
        while read -r code; do
                [ -f stop ] && break
                k=$((k + 1))
                r=$(curl -s -H "Authorization: Bearer $kiosk" -H 'Content-Type: application/json' \
                        -d "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"$code\",\"submission_id\":\"$(printf '%08x%024x' "$1" "$k")\"}" \
                        "http://127.0.0.1:$port/v1/elections/$e/ballots")
                c=$(echo "$r" | sed -n 's/.*"commitment":"\([0-9a-f]\{64\}\)".*/\1/p')
                [ -n "$c" ] && echo "$code $c" >> "acked.$1"
        done < "$2"
}

mkdir -m 700 data
serve data serve.log --demo
check "the demo server starts" [ -n "$port" ]
kiosk=$(sed -n 's/.*"kiosk":"\([0-9a-f]*\)".*/\1/p' data/demo.json)
admin=$(sed -n 's/.*"admin":"\([0-9a-f]*\)".*/\1/p' data/demo.json)
curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"count":1500}' \
        "http://127.0.0.1:$port/v1/elections/$e/codes" | tr '[],' '\n\n\n' | sed -n 's/^"\([^"]*-[^"]*\)"$/\1/p' > codes
check "1500 voter codes issued ($(wc -l < codes))" [ "$(wc -l < codes)" = 1500 ]
sed -n '1,500p' codes > codes.1
sed -n '501,1000p' codes > codes.2
sed -n '1001,1500p' codes > codes.3
kiosks=""
for k in 1 2 3; do
        kiosk $k codes.$k &
        kiosks="$kiosks $!"
done
pids="$pids $kiosks"
sleep 2.5
cat acked.* 2> /dev/null | grep -E '^[^ ]+ [0-9a-f]{64}$' > before
expect 0 "backup --data during the load" "$pbvote" backup --data data --out bk
# the demo serves two elections (Rembertów, and demo-city-2026 of several contests)
has out "2 ballot boxes, each fully checked" "it says what it copied"
has out "demo-city-2026.db: copied and fully checked" "and names each box"
expect 0 "backup --db during the load" "$pbvote" backup --db data/$e.db --out one.db
sleep 0.5
touch stop
for p in $kiosks; do wait "$p"; done
pids="$server"
check "ballots were acknowledged before the backup ($(wc -l < before)), and after" \
        [ "$(wc -l < before)" -gt 10 ] && [ "$(cat acked.* | wc -l)" -gt "$(wc -l < before)" ]

check "the backup folder is 0700" [ "$(stat -c %a bk)" = 700 ]
check "every file in it is 0600 ($(stat -c '%n %a' bk/* | tr '\n' ' '))" \
        [ -z "$(stat -c %a bk/* one.db | grep -v '^600$')" ]
check "the box is one file: no -wal, -shm or temporary folder left" \
        [ -z "$(ls -a bk . | grep -E -- '-wal$|-shm$|pbvote-backup')" ]
check "the keys and tokens are copied" cmp data/engine.key bk/engine.key && cmp data/admin.tokens bk/admin.tokens
for f in bk/$e.db one.db; do
        expect 0 "election check $f" "$pbvote" election check --db "$f"
done

expect_msg 3 "exists already" "$pbvote" backup --data data --out bk
expect_msg 3 "exists already" "$pbvote" backup --db data/$e.db --out one.db
expect_msg 2 "either --data DIR or --db FILE" "$pbvote" backup --data data --db one.db --out x
expect_msg 3 "not a pbvote ballot box" "$pbvote" backup --db data/demo.json --out x.db
check "a refused backup leaves nothing" [ ! -e x.db ] && [ -z "$(ls -a | grep pbvote-backup)" ]

# restored: a copy of the backup served; every receipt acknowledged before the backup is in it
kill "$server"
wait "$server"
cp -a bk restored
serve restored restored.log
check "the restored folder serves" [ -n "$port" ]
missing=0
while read -r code c; do
        st=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/elections/$e/receipts/$c")
        [ "$st" = 200 ] || missing=$((missing + 1))
done < before
check "every ballot acknowledged before the backup is in it ($(wc -l < before) receipts, $missing missing)" \
        [ $missing = 0 ]
kill "$server"
wait "$server"
pids=""

# SIGKILL at a random moment of a backup of a large box: the original is untouched
mkdir -m 700 large
"$pbvote" keygen --role engine --out large/engine.key --no-passphrase > /dev/null 2>&1
expect 0 "import $(basename "$big")" "$pbvote" import "$big" --db large/big.db --key large/engine.key --id big
# not -shm: the shared-memory index every connection (a reader too) writes
sha256sum large/engine.key large/big.db large/big.db-wal > sums
midway=0
for delay in 0.05 0.1 0.2 0.3 0.4 0.15 0.25 0.5; do
        "$pbvote" backup --data large --out killed > /dev/null 2>&1 &
        b=$!
        sleep $delay
        kill -9 $b 2> /dev/null
        wait $b 2> /dev/null
        if [ ! -e killed ] && ls -a | grep -q '^\.pbvote-backup-'; then
                midway=$((midway + 1))
        fi
        rm -rf killed .pbvote-backup-*
done
check "backups were killed half-way ($midway of 8)" [ $midway -gt 0 ]
check "the original is byte for byte as before" sha256sum -c --quiet sums
expect 0 "and passes its full check" "$pbvote" election check --db large/big.db

# SIGKILL of the server serving the box in the middle of a backup: the backup completes and checks
serve large large.log
check "the server serves the large box" [ -n "$port" ]
"$pbvote" backup --data large --out during-kill > during.out 2>&1 &
b=$!
sleep 0.2
kill -9 "$server"
wait "$server" 2> /dev/null
wait $b
check "a backup during which the server is killed completes (exit $?)" [ -e during-kill/big.db ]
expect 0 "its copy passes the full check" "$pbvote" election check --db during-kill/big.db
expect 0 "the original passes its full check after the kill" "$pbvote" election check --db large/big.db
pids=""
finish
