#!/bin/sh
# Install what is missing, build, and run pbvote's main job on a bundled real election:
# the count of Warsaw-Rembertów's 2023 participatory budget, as the city published it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized -Dwerror=true
ninja -C build
exec build/cli/pbvote tally docs/examples/Poland_Warszawa_2023_Rembertow.pb "$@"
