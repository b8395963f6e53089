# The shell library of tests/cli/*.sh: checks that print TAP lines ("ok 3 - ...", "not ok 4 - ..."),
# count failures, and end with the plan and the exit status.  Source it as
#         . "$(dirname "$0")/lib.sh"
# Functions:
#   ok DESC, not_ok DESC        record a passed or failed check
#   check DESC COMMAND...       passes when COMMAND exits 0 (a test: [ ... ], cmp, grep)
#   expect STATUS DESC CMD...   runs CMD with stdout in ./out and stderr in ./err; passes when it exits
#                               STATUS (on failure the first lines of err are shown); $got is its status.
#                               With EXPECT_LOG set to a folder, out and err are kept there as N.out,
#                               N.err (for scans of every output)
#   expect_msg STATUS REGEX CMD...  expect STATUS, and stdout or stderr matches the grep REGEX
#   has FILE TEXT DESC          FILE holds TEXT (a fixed string)
#   hasnt FILE TEXT DESC        FILE does not hold TEXT
#   has_re FILE REGEX DESC      FILE matches the grep regex REGEX
#   absolute PATH               print PATH made absolute (against the current folder)
#   in_tmpdir NAME              cd into a new temporary folder, removed on exit
#   finish                      print the plan "1..N" and exit 1 if a check failed (or none ran)
# shellcheck shell=sh

n=0
failed=0
expect_step=0

ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}

not_ok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
}

check() {
        what=$1
        shift
        if "$@"; then ok "$what"; else not_ok "$what"; fi
}

expect() {
        want=$1 what=$2
        shift 2
        "$@" >out 2>err
        got=$?
        if [ -n "${EXPECT_LOG:-}" ]; then
                expect_step=$((expect_step + 1))
                cp out "$EXPECT_LOG/$expect_step.out"
                cp err "$EXPECT_LOG/$expect_step.err"
        fi
        if [ "$got" = "$want" ]; then
                ok "$what"
        else
                not_ok "$what (exit $got, want $want)"
                head -n 20 err | sed 's/^/#   /'
        fi
}

expect_msg() {
        want=$1 pat=$2
        shift 2
        what="pbvote"
        for a in "$@"; do [ "$a" = "$1" ] || what="$what ${a##*/}"; done
        expect "$want" "$what: exit $want" "$@"
        if cat out err | grep -q -- "$pat"; then
                ok "$what: says '$pat'"
        else
                not_ok "$what: says '$pat'"
                cat out err | head -n 10 | sed 's/^/#   /'
        fi
}

has() {
        if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; sed 's/^/#   /' "$1" | head -n 10; fi
}

hasnt() {
        if grep -qF -- "$2" "$1"; then not_ok "$3"; sed 's/^/#   /' "$1" | head -n 10; else ok "$3"; fi
}

has_re() {
        if grep -q -- "$2" "$1"; then ok "$3"; else not_ok "$3"; sed 's/^/#   /' "$1" | head -n 10; fi
}

absolute() {
        case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac
}

in_tmpdir() {
        lib_tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbvote-$1.XXXXXX") || exit 1
        trap 'rm -rf "$lib_tmp"' EXIT
        cd "$lib_tmp" || exit 1
}

finish() {
        echo "1..$n"
        if [ "$n" = 0 ]; then
                echo "# no check ran"
                exit 1
        fi
        if [ "$failed" != 0 ]; then
                echo "# $failed of $n failed"
                exit 1
        fi
        exit 0
}
