#!/bin/sh
# Every file of web/ that the pages serve is listed in web/meson.build (so it is built into the
# binary), and every file listed there exists.  Not served, so not listed: the generator
# (web/embed.c), meson.build, and the vendored code's licence and notes.
top=${1:-$(dirname "$0")/..}
cd "$top/web" || exit 2
status=0
listed=$(sed -n "s/^  '\(.*\)',\$/\1/p" meson.build | sort)
present=$(find . -type f ! -name meson.build ! -name embed.c ! -name 'LICENSE*' ! -name README.md | sed 's|^\./||' | sort)
for f in $present; do
        echo "$listed" | grep -qx "$f" || { echo "web/$f is not listed in web/meson.build"; status=1; }
done
for f in $listed; do
        [ -f "$f" ] || { echo "web/meson.build lists web/$f, which does not exist"; status=1; }
done
[ $status = 0 ] && echo "web files: ok"
exit $status
