#!/bin/sh
# Install the Debian packages pbvote needs that are not installed yet (root or sudo).
set -eu
pkgs="meson ninja-build pkg-config gcc clang clang-format libclang-rt-14-dev valgrind
      libsodium-dev libsqlite3-dev libcjson-dev libmicrohttpd-dev"
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
