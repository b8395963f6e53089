#!/bin/sh
# Every option docs/cli.md documents for a command is one the command's parser knows, and it parses
# in any position: before the operands (before a group's action word too), after them, and as
# --name=VALUE.  Each command line runs in a new empty folder and must end the same way in the
# three positions (exit status and messages), never refused as an unknown option, an unexpected
# argument or a missing value.  The command's --help (generated from the same table as the parser)
# must list each documented option, and every option it lists must be documented for that command.
# Usage: options.sh PBVOTE DOCS_CLI_MD PB_FILE
set -u
pbvote=${1:?usage: options.sh PBVOTE DOCS_CLI_MD PB_FILE}
docs=${2:?usage: options.sh PBVOTE DOCS_CLI_MD PB_FILE}
pbfile=${3:?usage: options.sh PBVOTE DOCS_CLI_MD PB_FILE}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $docs in /*) ;; *) docs=$(pwd)/$docs ;; esac
case $pbfile in /*) ;; *) pbfile=$(pwd)/$pbfile ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir options
set -f # option values and base arguments are split on spaces, never globbed
export LC_ALL=C

# A ranked contest for `pbvote tally FILE.blt`: 3 candidates, 3 ballots, 1 seat.
printf '3 1\n1 1 2 0\n1 2 0\n1 3 1 0\n0\n"A" "B" "C" "T"\n' > "$PWD/t.blt"
blt=$PWD/t.blt

# --- the documented options: "KEY<TAB>--option<TAB>line" ------------------------------------------
# KEY is the command as a documented `pbvote ...` line names it: "serve", "election open", and for
# tally its form: "tally FILE.pb", "tally FILE.blt|CONFIG.json", "tally --db".  An option belongs to
# the last `pbvote ...` before it on its line, else to the command of its section's heading.
# The introduction (before the first section) describes the syntax of every command: not read.
awk '
function keys_of(s,    cmd, nxt, n, v, i, out) {
        sub(/^pbvote +/, "", s)
        if (!match(s, /^[a-z]+/))
                return ""
        cmd = substr(s, 1, RLENGTH)
        s = substr(s, RLENGTH + 1)
        sub(/^ +/, "", s)
        nxt = match(s, /^[^ `]+/) ? substr(s, 1, RLENGTH) : ""
        if (cmd == "tally") {
                if (nxt ~ /^--db/) return "tally --db"
                if (nxt ~ /\.blt|CONFIG/) return "tally FILE.blt|CONFIG.json"
                if (nxt ~ /\.pb/) return "tally FILE.pb"
                return "tally"
        }
        if (cmd == "election" || cmd == "token" || cmd == "codes") {
                if (nxt == "" || nxt ~ /^-/) return cmd
                n = split(nxt, v, /\\?\|/)
                out = ""
                for (i = 1; i <= n; i++) out = out (i > 1 ? "\n" : "") cmd " " v[i]
                return out
        }
        return cmd
}
function mark(keys,    n, k, i) {
        n = split(keys, k, "\n")
        for (i = 1; i <= n; i++) print k[i] "\t-\t" NR
}
function emit(keys, seg,    n, k, i, opt) {
        while (match(seg, /--[a-z][a-z0-9-]*/)) {
                opt = substr(seg, RSTART, RLENGTH)
                seg = substr(seg, RSTART + RLENGTH)
                if (opt == "--help") continue
                if (keys == "") { print "?\t" opt "\t" NR; continue }
                n = split(keys, k, "\n")
                for (i = 1; i <= n; i++) print k[i] "\t" opt "\t" NR
        }
}
/^## / {
        section = 1
        heading = ""
        if ((p = index($0, "pbvote ")) > 0) heading = keys_of(substr($0, p))
        if (heading != "") mark(heading)
}
!section { next }
{
        line = $0
        keys = heading
        while ((p = index(line, "pbvote ")) > 0) {
                emit(keys, substr(line, 1, p - 1))
                line = substr(line, p)
                keys = keys_of(line)
                if (keys != "") mark(keys)
                line = substr(line, 8)
        }
        emit(keys, line)
}' "$docs" > documented

if grep -q '^?' documented; then
        not_ok "every documented option belongs to a command"
        sed -n 's/^?\t\(.*\)\t\(.*\)/#   docs\/cli.md:\2: \1 follows no `pbvote COMMAND`/p' documented
fi
if grep -q '^tally	--' documented || grep -qE '^(election|token|codes)	--' documented; then
        not_ok "every documented option names its form of tally or its action"
        grep -E '^(tally|election|token|codes)	--' documented | sed 's/^/#   /'
fi
# a bare `pbvote tally` (or a group without its action) names no one table: not a command to check
cut -f 1 documented | grep -vx -e '?' -e tally -e election -e token -e codes | sort -u > keys
check "docs/cli.md documents commands" [ -s keys ]

# --- how to run each command -------------------------------------------------------------------
# The command line that asks for the help of KEY.
help_of() {
        case $1 in
        "tally FILE.pb") "$pbvote" tally x.pb --help ;;
        "tally FILE.blt|CONFIG.json") "$pbvote" tally x.blt --help ;;
        "tally --db") "$pbvote" tally --db x.db --help ;;
        *) set +f; "$pbvote" $1 --help; set -f ;;
        esac
}
# The command words and operands of KEY (after the words: operands), and base options that make a
# whole command line: in "--name=value" form, dropped when they are the option under test.  Every
# file they name is under "datafile", a plain file each run makes, so nothing is ever created or
# served: each command fails on its inputs, after its options were read.
cmd_of() {
        case $1 in
        "tally FILE.pb") echo "tally" ;;
        "tally FILE.blt|CONFIG.json") echo "tally" ;;
        "tally --db") echo "tally" ;;
        *) echo "$1" ;;
        esac
}
operands_of() {
        case $1 in
        "tally FILE.pb" | check | import) echo "$pbfile" ;;
        "tally FILE.blt|CONFIG.json") echo "$blt" ;;
        certify | verify | receipt | show) echo "datafile/x" ;;
        "token revoke" | "token unlock") echo "0000000000000000" ;;
        *) echo "" ;;
        esac
}
base_of() {
        case $1 in
        "tally --db") echo "--db=datafile/x --key=datafile/x --out=result.json" ;;
        serve) echo "--data=datafile/x --listen=127.0.0.1:0" ;;
        demo) echo "--db=datafile/x/demo.db" ;;
        keygen) echo "--role=engine --out=k.key --no-passphrase" ;;
        cast) echo "--db=datafile/x --key=datafile/x --code=X --ballot={}" ;;
        certify) echo "--key=datafile/x" ;;
        receipt) echo "--engine-key=datafile/x" ;;
        import) echo "--db=datafile/x --key=datafile/x" ;;
        export) echo "--db=datafile/x --out=bundle" ;;
        "codes issue") echo "--db=datafile/x --key=datafile/x --count=1" ;;
        "election create") echo "--db=datafile/x --manifest=datafile/x" ;;
        "election open") echo "--db=datafile/x --key=datafile/x --office-key=datafile/x" ;;
        "election close" | "election flush") echo "--db=datafile/x --key=datafile/x" ;;
        "token create") echo "--db=datafile/x --role=kiosk" ;;
        election* | token*) echo "--db=datafile/x" ;;
        *) echo "" ;;
        esac
}
# BASE without the option $2.
base_without() {
        out=""
        for w in $1; do
                case $w in "$2" | "$2="*) ;; *) out="$out $w" ;; esac
        done
        echo "$out"
}
# run DIR ARGS...: pbvote ARGS in a new folder DIR; DIR/status, and DIR/msg: stderr without the
# random ids a run prints.
run() {
        d=$1
        shift
        rm -rf "$d"
        mkdir "$d"
        : > "$d/datafile"
        (cd "$d" && timeout 30 "$pbvote" "$@" > out 2> err; echo $? > status)
        sed -E 's/[0-9a-f]{8,}/HEX/g' "$d/err" > "$d/msg"
}

# The option's line of the help: "--name PLACEHOLDER", and the words of a choice ("one of: ...").
help_label() { # HELPFILE OPTION
        awk -v opt="$2" '
                $1 == opt && /^  --/ { sub(/^  /, ""); sub(/  .*/, ""); print; exit }' "$1"
}
sample_value() { # HELPFILE OPTION: a value for the option, "" for a flag
        label=$(help_label "$1" "$2")
        ph=${label#"$2"}
        ph=${ph# }
        case $ph in
        "") echo "" ;;
        [a-z]*"|"*) echo "${ph%%|*}" ;;
        N | S) echo 1 ;;
        *)
                w=$(awk -v opt="$2" '
                        /^  --/ { inside = ($1 == opt) }
                        inside && /one of:/ { sub(/.*one of: */, ""); sub(/,.*/, ""); print; exit }' "$1")
                echo "${w:-datafile/x}" ;;
        esac
}

# --- each documented command, each documented option -------------------------------------------
while IFS= read -r key; do
        help_of "$key" > help.txt 2> help.err
        check "$key: has a --help" [ -s help.txt ]
        grep '^  --' help.txt | awk '{ print $1 }' | grep -v '^--help$' | sort -u > known
        grep "^$key	--" documented | cut -f 2 | sort -u > opts
        # every option the table has is documented for this command
        for o in $(comm -23 known opts); do
                not_ok "$key: $o (in its --help) is documented in docs/cli.md"
        done
        cmd=$(cmd_of "$key")
        operands=$(operands_of "$key")
        base=$(base_of "$key")
        group=""
        case $key in election\ * | token\ * | codes\ *) group=${key%% *} verb=${key#* } ;; esac
        for o in $(cat opts); do
                line=$(grep "^$key	$o	" documented | head -n 1 | cut -f 3)
                if ! grep -qx -- "$o" known; then
                        not_ok "$key: $o (docs/cli.md:$line) is an option of the command (its --help)"
                        continue
                fi
                v=$(sample_value help.txt "$o")
                b=$(base_without "$base" "$o")
                if [ -n "$group" ]; then
                        before="$group $o $v $verb $b $operands"
                        after="$group $verb $b $operands $o $v"
                        eq="$group $verb $operands $o${v:+=$v} $b"
                else
                        before="$cmd $o $v $b $operands"
                        after="$cmd $b $operands $o $v"
                        eq="$cmd $operands $o${v:+=$v} $b"
                fi
                # shellcheck disable=SC2086
                run r1 $before
                # shellcheck disable=SC2086
                run r2 $after
                # shellcheck disable=SC2086
                run r3 $eq
                refused=$(cat r1/msg r2/msg r3/msg |
                        grep -E "unknown option|unexpected argument|needs a value|takes no value|given twice|missing input file")
                if [ -n "$refused" ]; then
                        not_ok "$key: $o (docs/cli.md:$line) parses: $refused"
                        echo "#   pbvote $before"
                elif cmp -s r1/status r2/status && cmp -s r1/msg r2/msg && cmp -s r1/status r3/status &&
                        cmp -s r1/msg r3/msg; then
                        ok "$key: $o parses before and after the operands and as $o${v:+=VALUE} (exit $(cat r1/status))"
                else
                        not_ok "$key: $o ends differently by its position"
                        for r in r1 r2 r3; do echo "#   $r: exit $(cat $r/status): $(head -n 1 $r/msg)"; done
                        echo "#   r1: pbvote $before"
                        echo "#   r2: pbvote $after"
                        echo "#   r3: pbvote $eq"
                fi
        done
done < keys

# every command of `pbvote --help` is documented
"$pbvote" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' > commands
check "pbvote --help lists commands" [ -s commands ]
for c in $(cat commands); do
        if cut -f 1 keys | grep -q "^$c\( \|$\)"; then ok "$c is documented"; else not_ok "$c is documented"; fi
done
finish
