#!/bin/sh
# The Debian package tried as a city's IT would (issue 17), on this machine, as root: build it from
# the committed tree with dpkg-buildpackage, install it with dpkg, start the service (with
# systemctl when systemd runs; else its ExecStart by hand, as the unit's user, with the unit's
# environment file), vote with curl, take a backup, stop it with SIGTERM, purge the package.
# It installs and removes a package and a system user: run it on a test machine only.
# Needs: build-essential debhelper devscripts curl (apt-get install), and no pbvote installed.
# Usage: scripts/deb-test.sh [WORKDIR]   (default: a new folder under /tmp)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/pbvote-deb-XXXXXX)}
[ "$(id -u)" = 0 ] || { echo "deb-test: run as root (it installs the package)" >&2; exit 2; }
if dpkg-query -W -f='${Status}' pbvote 2> /dev/null | grep -q 'install ok'; then
        echo "deb-test: pbvote is installed already: dpkg --purge pbvote first" >&2
        exit 2
fi
fail() {
        echo "deb-test: FAIL: $*" >&2
        exit 1
}
step() { echo "deb-test: $*"; }

step "building in $work (a clone of the committed tree: git describe names its commit)"
git clone -q "$src" "$work/pbvote"
(cd "$work/pbvote" && dpkg-buildpackage -us -uc -b > "$work/build.log" 2>&1) || fail "dpkg-buildpackage: $work/build.log"
deb=$(ls "$work"/pbvote_*_*.deb)
step "installing $(basename "$deb")"
dpkg -i "$deb" > "$work/install.log" 2>&1 || fail "dpkg -i: $work/install.log"
for f in /usr/bin/pbvote /lib/systemd/system/pbvote.service /etc/default/pbvote \
        /usr/share/man/man1/pbvote-serve.1.gz /usr/share/bash-completion/completions/pbvote \
        /usr/share/doc/pbvote/operations.md.gz; do
        [ -e "$f" ] || fail "$f is not installed"
done
getent passwd pbvote > /dev/null || fail "no pbvote user after install"
pbvote --version | grep -q 'commit [0-9a-f]' || fail "pbvote --version names no commit: $(pbvote --version)"
man -l /usr/share/man/man1/pbvote-backup.1.gz > /dev/null 2>&1 || fail "man pbvote-backup"

# The data folder, made by the package as StateDirectory=pbvote, StateDirectoryMode=0700 makes it
# at the first start; a demo election in it.
[ "$(stat -c '%a %U' /var/lib/pbvote 2> /dev/null)" = "700 pbvote" ] ||
        fail "the package did not make /var/lib/pbvote (0700, owned by pbvote)"
! grep -i warning "$work/install.log" || fail "dpkg -i warns: $work/install.log"
runuser -u pbvote -- pbvote demo --db /var/lib/pbvote/demo.db > /dev/null 2>&1 || fail "pbvote demo as pbvote"
. /etc/default/pbvote
port=${PBVOTE_LISTEN##*:}
if [ -d /run/systemd/system ]; then
        step "systemd runs: systemctl start pbvote"
        systemctl start pbvote || fail "systemctl start pbvote"
        pid=""
else
        # ExecStart as the unit writes it, %S = /var/lib, run as User=pbvote with UMask=0077
        cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/pbvote.service |
                sed "s|%S|/var/lib|g; s|\${PBVOTE_LISTEN}|$PBVOTE_LISTEN|; s|\$PBVOTE_OPTIONS|$PBVOTE_OPTIONS|")
        step "systemd does not run here (PID 1 is $(ps -p 1 -o comm=)): ExecStart by hand: $cmd"
        (cd /var/lib/pbvote && umask 077 && exec runuser -u pbvote -- $cmd) > "$work/serve.log" 2>&1 &
        pid=$!
fi
i=0
until curl -sf "http://$PBVOTE_LISTEN/v1/health" > /dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "the service does not answer on $PBVOTE_LISTEN: $work/serve.log"
        sleep 0.1
done
step "serving on port $port"

kiosk=$(sed -n 's/.*"kiosk":"\([0-9a-f]*\)".*/\1/p' /var/lib/pbvote/demo.json)
code=$(sed -n 's/.*"codes":\["\([^"]*\)".*/\1/p' /var/lib/pbvote/demo.json)
r=$(curl -s -H "Authorization: Bearer $kiosk" -H 'Content-Type: application/json' \
        -d "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"$code\",\"submission_id\":\"00112233445566778899aabbccddeeff\"}" \
        "http://$PBVOTE_LISTEN/v1/elections/demo/ballots")
c=$(echo "$r" | sed -n 's/.*"commitment":"\([0-9a-f]\{64\}\)".*/\1/p')
[ -n "$c" ] || fail "a vote with curl: $r"
step "voted with curl: receipt $c"

pbvote backup --data /var/lib/pbvote --out /var/lib/pbvote-backup.$$ > "$work/backup.log" 2>&1 ||
        fail "pbvote backup: $work/backup.log"
[ "$(stat -c %a /var/lib/pbvote-backup.$$)" = 700 ] || fail "the backup folder is not 0700"
step "backup taken while serving: $(tail -n 1 "$work/backup.log")"

if [ -n "$pid" ]; then
        server=$(pgrep -P $pid) || fail "no server under runuser"
        kill -TERM $server
        wait $pid || fail "the server's exit status after SIGTERM is not 0: $work/serve.log"
else
        systemctl stop pbvote || fail "systemctl stop pbvote"
fi
step "stopped with SIGTERM: $(tail -n 1 "$work/serve.log" 2> /dev/null)"
pbvote election check --db /var/lib/pbvote-backup.$$/demo.db > /dev/null || fail "the backup does not check"
curl -s "http://$PBVOTE_LISTEN/v1/health" > /dev/null && fail "still answering after the stop"

dpkg --remove pbvote > "$work/remove.log" 2>&1 || fail "dpkg --remove: $work/remove.log"
[ -f /var/lib/pbvote/demo.db ] || fail "removing the package removed the ballot boxes"
[ -f /etc/default/pbvote ] || fail "removing the package removed its settings (a conffile)"
dpkg --purge pbvote > "$work/purge.log" 2>&1 || fail "dpkg --purge: $work/purge.log"
grep -q 'is kept' "$work/purge.log" || fail "purge does not say that it keeps /var/lib/pbvote"
[ -f /var/lib/pbvote/demo.db ] || fail "purge removed the ballot boxes"
step "removed, then purged: /var/lib/pbvote kept ($(grep 'is kept' "$work/purge.log"))"
# the vote archived: the folder removed by hand; a purge then also removes the user
rm -rf /var/lib/pbvote /var/lib/pbvote-backup.$$
dpkg -i "$deb" > /dev/null 2>&1 && dpkg --purge pbvote > "$work/purge2.log" 2>&1 || fail "install and purge again"
for f in /usr/bin/pbvote /lib/systemd/system/pbvote.service /etc/default/pbvote /var/lib/pbvote; do
        [ ! -e "$f" ] || fail "$f is left after purge"
done
getent passwd pbvote > /dev/null && fail "the pbvote user is left after a purge with no data"
step "installed and purged again without data: no file, folder or user left"
step "ok"
