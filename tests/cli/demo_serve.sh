#!/bin/sh
# (needs curl: scripts/deps.sh installs it)
# `pbvote demo --db DIR/ID.db` makes an election that `pbvote serve --db DIR/ID.db` serves (issue 11:
# the demo's election was always warszawa-rembertow-2023, and serve refused any other file name);
# serve warns once about each unencrypted key (it warned three times on the first start of
# `serve --demo`); serve's refusals end their line.  Usage: demo_serve.sh PBVOTE
set -u
pbvote=${1:?usage: demo_serve.sh PBVOTE}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir demo-serve
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; cd /; rm -rf "$lib_tmp"' EXIT

# serve NAME ARGS...: `pbvote serve --listen 127.0.0.1:0 ARGS` in the background until it says it
# serves or exits (30 s at most); NAME.out and NAME.err hold what it printed.
serve() {
        name=$1
        shift
        "$pbvote" serve --listen 127.0.0.1:0 "$@" > "$name.out" 2> "$name.err" &
        pid=$!
        i=0
        while [ $i -lt 600 ] && ! grep -q '^pbvote: serving http' "$name.out" && kill -0 "$pid" 2>/dev/null; do
                sleep 0.05
                i=$((i + 1))
        done
}
stop() {
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=""
}
count() { grep -c -- "$2" "$1"; }

expect 0 "demo --db d/my-city.db" "$pbvote" demo --db d/my-city.db
has d/demo.json '"election":"my-city"' "the demo's election is named after its file"
has out "d/demo.json" "demo says where its tokens and codes are"
check "the demo warns once about the engine key" [ "$(count err engine.key)" = 1 ]
check "and once about the office key" [ "$(count err office.key)" = 1 ]

serve s1 --db d/my-city.db
has s1.out "pbvote: serving http://127.0.0.1:" "serve --db d/my-city.db serves the demo"
hasnt s1.err "differs from the election id" "the file name is the election's id"
check "serve warns once about the engine key" [ "$(count s1.err engine.key)" = 1 ]
check "and once about the office key" [ "$(count s1.err office.key)" = 1 ]
stop

serve s2 --demo --data fresh --cors-origin https://city.example --cors-origin http://localhost:5173
has s2.out "pbvote: serving http://127.0.0.1:" "serve --demo serves on its first start"
has fresh/demo.json '"election":"warszawa-rembertow-2023"' "the demo of serve --demo keeps its name"
port=$(sed -n 's|^pbvote: serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' s2.out)
curl -s -D h1 -o /dev/null -H 'Origin: http://localhost:5173' "http://127.0.0.1:$port/v1/health"
has h1 "Access-Control-Allow-Origin: http://localhost:5173" "--cors-origin, repeated: the second origin is allowed"
curl -s -D h2 -o /dev/null -H 'Origin: https://other.example' "http://127.0.0.1:$port/v1/health"
hasnt h2 "Access-Control-Allow-Origin" "another origin is not"
curl -s -o page "http://127.0.0.1:$port/vote/warszawa-rembertow-2023"
has page "<main" "the voting page is served"
curl -s -o list "http://127.0.0.1:$port/v1/elections"
has list '"web_voting":true' "the demo takes votes from home"
has fresh/demo.json '"election":"warszawa-rembertow-2023"' "the demo of serve --demo keeps its name"
# beside it, a vote of several contests: its codes are for the city-wide contest and one district
has s2.out "fresh/demo-city.json" "serve --demo says where the codes of its vote of several contests are"
code=$(sed -n 's/.*"south":\["\([^"]*\)".*/\1/p' fresh/demo-city.json)
curl -s -o contests -H 'Content-Type: application/json' -d "{\"code\":\"$code\"}" \
        "http://127.0.0.1:$port/v1/elections/demo-city-2026/codes/contests"
has contests '{"contests":["city","south"]}' "a south demo code is for the city-wide contest and the south"
has list '"id":"demo-city-2026"' "the vote of several contests is served"
check "serve --demo warns once about the engine key" [ "$(count s2.err fresh/engine.key)" = 1 ]
check "and once about the office key" [ "$(count s2.err fresh/office.key)" = 1 ]
stop

# names serve could not serve are refused before anything is made
expect 2 "a demo file not ending in .db" "$pbvote" demo --db e/my-city.sqlite
has err "must end in .db" "the refusal says why"
expect 2 "a demo file whose name is no election id" "$pbvote" demo --db "e/my city.db"
has err "letters, digits" "the refusal says what an id is"
expect 2 "a demo file whose name starts with a dot" "$pbvote" demo --db e/.hidden.db
check "nothing made for a refused name" [ ! -e e ]

# every refusal of serve ends its line
for args in "--listen x" "--threads 0" "--timeout" "--frobnicate" "--db d/my-city.db --data d" \
        "--access-log d/none/log" "--cors-origin https://city.example/" "--cors-origin city.example" \
        "--cors-origin"; do
        # shellcheck disable=SC2086
        "$pbvote" serve $args > out 2> err
        st=$?
        case $st in 2 | 3) ok "serve $args: refused (exit $st)" ;; *) not_ok "serve $args: refused (exit $st)" ;; esac
        check "serve $args: the message ends its line" [ "$(tail -c 1 err | od -An -c | tr -d ' ')" = '\n' ]
done
finish
