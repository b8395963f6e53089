#!/bin/sh
# Install the Debian packages pbvote needs that are not installed yet (root or sudo), and the
# browser tests' libraries (npm ci in tests/browser, from its committed lockfile) when they are
# missing or older than the lockfile.  Building pbvote itself needs no Node.
set -eu
cd "$(dirname "$0")/.."
pkgs="meson ninja-build pkg-config gcc clang clang-format libclang-rt-14-dev valgrind
      libsodium-dev libsqlite3-dev libcjson-dev libmicrohttpd-dev
      chromium fonts-dejavu-core curl man-db groff-base bash systemd strace"
command -v node >/dev/null || pkgs="$pkgs nodejs"
command -v npm >/dev/null || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "installing:$missing"
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq || true
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The browser tests (tests/browser): playwright-core and axe-core, exactly as locked.
b=tests/browser
if [ ! -f "$b/node_modules/.package-lock.json" ] || [ "$b/package-lock.json" -nt "$b/node_modules/.package-lock.json" ]; then
        echo "installing the browser tests' libraries (npm ci in $b)"
        (cd "$b" && npm ci --no-audit --no-fund --loglevel=error)
fi
