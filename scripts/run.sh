#!/bin/sh
# Install what is missing, build, and start the server with a demo election: the 2023 participatory
# budget of Warsaw-Rembertow (38 projects), open for voting, on an embedded SQLite file in ./demo,
# with the voting pages at http://127.0.0.1:8080/ (docs/pages.md).
# demo/demo.json lists the election id, one API token per role and unused voter codes.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized -Dwerror=true
ninja -C build
cat <<'MSG'

Vote in a browser: open http://127.0.0.1:8080/ and vote with any of the codes in demo/demo.json
(the demo takes votes from home: the code is all it takes).  A kiosk: open
http://127.0.0.1:8080/kiosk and enrol it with the "kiosk" token of demo/demo.json.

Or vote from another terminal (jq is optional):
  E=warszawa-rembertow-2023; K=$(sed -n 's/.*"kiosk":"\([0-9a-f]*\)".*/\1/p' demo/demo.json)
  C=$(sed -n 's/.*"codes":\["\([^"]*\)".*/\1/p' demo/demo.json)
  curl -s -H "Authorization: Bearer $K" -H 'Content-Type: application/json' \
       -d "{\"ballot\":{\"approvals\":[\"1639\"]},\"code\":\"$C\",\"submission_id\":\"$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')\"}" \
       http://127.0.0.1:8080/v1/elections/$E/ballots | tee demo/receipt.json
  curl -s http://127.0.0.1:8080/v1/elections/$E/turnout
  # the receipt, checked offline against the election's engine key:
  curl -s http://127.0.0.1:8080/v1/elections/$E | sed -n 's/.*"engine":"\([^"]*\)".*/\1/p' > demo/engine.pub
  build/cli/pbvote receipt demo/receipt.json --engine-key demo/engine.pub
The API is described in docs/api.md and docs/openapi.yaml.

MSG
exec build/cli/pbvote serve --demo --data demo --listen 127.0.0.1:8080 --access-log - "$@"
