#!/bin/sh
# The whole test suite: a normal build and an AddressSanitizer + UBSan build, every test in both;
# a release build with its unit tests; then, with clang, the multithreaded server's tests (suite
# api) under ThreadSanitizer.
# Usage: scripts/test.sh [extra `meson test` arguments, e.g. --suite unit]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized -Dwerror=true
# The sanitizer build uses clang when it is there: its UBSan also catches pointer arithmetic on NULL.
if [ ! -f build-asan/build.ninja ]; then
        if command -v clang >/dev/null; then asan_cc=clang; else asan_cc=cc; fi
        CC=$asan_cc meson setup build-asan --buildtype=debug -Dwerror=true -Db_lundef=false \
                -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all
fi
# Every buildtype must build: the release build (-O3, NDEBUG) meets warnings the others do not
# (gcc 12's -Wmaybe-uninitialized after inlining), so CI builds it too and runs its unit tests.
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release -Dwerror=true
ninja -C build
ninja -C build-asan
ninja -C build-release
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
meson test -C build --print-errorlogs "$@"
meson test -C build-asan --print-errorlogs --timeout-multiplier 4 "$@"
meson test -C build-release --print-errorlogs --suite unit
if [ $# -eq 0 ] && command -v clang >/dev/null; then
        [ -f build-tsan/build.ninja ] || CC=clang meson setup build-tsan --buildtype=debugoptimized \
                -Dwerror=true -Db_lundef=false -Db_sanitize=thread
        ninja -C build-tsan
        TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --print-errorlogs --timeout-multiplier 4 \
                --suite api
        echo "all tests passed (normal and ASan+UBSan builds, release unit tests; the API under ThreadSanitizer)"
else
        echo "all tests passed (normal and ASan+UBSan builds, release unit tests)"
fi
