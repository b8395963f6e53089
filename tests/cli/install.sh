#!/bin/sh
# (needs man-db, groff-base, bash and curl: scripts/deps.sh installs them)
# `meson install` into a temporary DESTDIR (issue 17), then the installed files as a user meets
# them: `pbvote --version` names the version and the commit; every man page renders without a
# warning under `man -l`, there is one per subcommand of `pbvote --help`, and each names every
# option the command's `--help` lists; the bash completion offers every subcommand, every verb
# and every option of each; the installed binary makes the demo, serves it and takes a ballot
# over HTTP, and stops on SIGTERM.
# Usage: install.sh MESON BUILD_ROOT PREFIX BINDIR MANDIR DATADIR
set -u
meson=${1:?usage: install.sh MESON BUILD_ROOT PREFIX BINDIR MANDIR DATADIR}
build=$2
prefix=$3
bindir=$4
mandir=$5
datadir=$6
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir install
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; cd /; rm -rf "$lib_tmp"' EXIT

# meson's own paths may be relative to the prefix
under() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
dest=$(pwd)/dest
expect 0 "meson install --destdir" "$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest"
bin=$dest$(under "$bindir")/pbvote
man1=$dest$(under "$mandir")/man1
completion=$dest$(under "$datadir")/bash-completion/completions/pbvote
check "the binary is installed ($bin)" [ -x "$bin" ]

expect 0 "pbvote --version" "$bin" --version
has_re out '^pbvote [0-9][0-9.]* (commit [0-9a-f]\{12\}\(-dirty\)\{0,1\}\|commit unknown)$' \
        "--version names the version and the commit"

# the subcommands, as `pbvote --help` lists them (a printer of its own, not the generator's)
"$bin" --help > help
cmds=$(sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' help)
check "pbvote --help lists subcommands" [ -n "$cmds" ]
# options CMD [VERB]: every --option of the command's help
options() { "$bin" "$@" --help | sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p' | sort -u; }
# verbs CMD: the actions of a group (its --help prints one usage line per action)
verbs() { "$bin" "$1" --help | sed -n "s/^\(usage:\|      \) pbvote $1 \([a-z][a-z]*\).*/\2/p" | sort -u; }

# ---- man pages
pages=$(ls "$man1" 2>/dev/null | wc -l)
ncmds=$(echo "$cmds" | wc -l)
check "one man page per subcommand and pbvote(1) ($pages pages, $ncmds commands)" [ "$pages" = $((ncmds + 1)) ]
for p in "$man1"/*.1; do
        LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -E UTF-8 -l "$p" > page 2> warnings
        st=$?
        check "man -l $(basename "$p") renders (exit $st), without a warning" [ $st = 0 ] && [ -s page ] && [ ! -s warnings ]
        [ -s warnings ] && head -5 warnings
done
LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$man1/pbvote.1" > main_page 2> /dev/null
for c in $cmds; do
        has main_page "pbvote-$c(1)" "pbvote(1) names pbvote-$c(1)"
        LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$man1/pbvote-$c.1" > page 2> /dev/null
        v=$(verbs "$c")
        missing=""
        for o in $(if [ -n "$v" ]; then for w in $v; do options "$c" "$w"; done; else options "$c"; fi); do
                grep -q -- "$o" page || missing="$missing $o"
        done
        check "pbvote-$c(1) names every option of its --help${missing:+ (missing:$missing)}" [ -z "$missing" ]
done

# ---- bash completion: complete WORD... prints what the completion offers for the last word
complete_words() {
        bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pbvote; printf "%s\n" "${COMPREPLY[@]}"' \
                complete "$completion" "$@"
}
check "the completion script is installed" [ -f "$completion" ]
complete_words pbvote "" > offered
missing=""
for c in $cmds; do grep -qx -- "$c" offered || missing="$missing $c"; done
check "the completion offers every subcommand${missing:+ (missing:$missing)}" [ -z "$missing" ]
for c in $cmds; do
        v=$(verbs "$c")
        missing=""
        if [ -n "$v" ]; then
                complete_words pbvote "$c" "" > offered
                for w in $v; do grep -qx -- "$w" offered || missing="$missing $w"; done
                for w in $v; do
                        complete_words pbvote "$c" "$w" -- > offered
                        for o in $(options "$c" "$w"); do grep -qx -- "$o" offered || missing="$missing $w:$o"; done
                done
        else
                complete_words pbvote "$c" -- > offered
                for o in $(options "$c"); do grep -qx -- "$o" offered || missing="$missing $o"; done
        fi
        check "the completion offers every option of $c${missing:+ (missing:$missing)}" [ -z "$missing" ]
done
complete_words pbvote tally --format "" > offered
check "the completion offers the words of a choice (tally --format)" grep -qx json offered

# ---- the installed binary: the demo, served, a ballot over HTTP, a clean stop
expect 0 "the installed pbvote makes the demo" "$bin" demo --db d/demo.db
"$bin" serve --db d/demo.db --listen 127.0.0.1:0 > serve.out 2> serve.err &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^pbvote: serving http' serve.out && kill -0 "$pid" 2> /dev/null; do
        sleep 0.05
        i=$((i + 1))
done
port=$(sed -n 's|^pbvote: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
check "the installed pbvote serves the demo" [ -n "$port" ]
kiosk=$(sed -n 's/.*"kiosk":"\([0-9a-f]*\)".*/\1/p' d/demo.json)
code=$(sed -n 's/.*"codes":\["\([^"]*\)".*/\1/p' d/demo.json)
election=$(sed -n 's/.*"election":"\([^"]*\)".*/\1/p' d/demo.json)
status=$(curl -s -o receipt -w '%{http_code}' -H "Authorization: Bearer $kiosk" -H 'Content-Type: application/json' \
        -d "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"$code\",\"submission_id\":\"00112233445566778899aabbccddeeff\"}" \
        "http://127.0.0.1:$port/v1/elections/$election/ballots")
check "a ballot cast over HTTP is answered 201 (got $status)" [ "$status" = 201 ]
has receipt '"commitment":"' "with a receipt"
kill "$pid"
wait "$pid"
st=$?
pid=""
check "SIGTERM stops it cleanly (exit $st)" [ $st = 0 ]
expect 0 "the installed pbvote checks the box" "$bin" election check --db d/demo.db
finish
