#!/bin/sh
# The layers, lowest first (docs/architecture.md): engine/ (pure computation: no I/O, clock,
# randomness, or other layers' libraries; STYLE.md §1), formats/ (files in and out: no SQLite),
# ballots/ (the box and the signed documents; the documents and the verifier without SQLite),
# api/, cli/.  Nothing below cli/ reads argv or the environment, prints or exits.
# Fails (exit 1) listing every offending line.
top=${1:-$(dirname "$0")/..}
cd "$top" || exit 2
[ -d engine ] || { echo "no engine/ folder under $top"; exit 2; }
status=0
hit() {
        # $1 = folder, $2 = extended regex, $3 = why; engine/err.c may print its assertion message.
        found=$(grep -rnE "$2" "$1" --include='*.c' --include='*.h' | grep -v '^engine/err.c:')
        if [ -n "$found" ]; then
                printf '%s\n%s\n\n' "$3" "$found"
                status=1
        fi
}
hit engine '#include <(sqlite3|microhttpd)\.h>|#include <cjson/|#include "(ballots|api|cli)/' \
        "engine/ must not include SQLite, cJSON, libmicrohttpd or a higher layer:"
hit engine '\b(fopen|fread|fwrite|open|read|write|printf|fprintf|puts|fputs|getenv|exit|abort|socket)\(' \
        "engine/ must not do I/O or exit:"
hit engine '\b(time|clock|gettimeofday|clock_gettime|rand|srand|random|randombytes|randombytes_buf|arc4random)\(' \
        "engine/ must not read a clock or a random source:"
hit engine '\b(float|double)\b' "engine/ uses exact arithmetic only (no float/double):"
hit formats '#include <(sqlite3|microhttpd)\.h>|#include "(ballots|api|cli)/' \
        "formats/ must not include SQLite, libmicrohttpd or a higher layer:"
hit ballots '#include <microhttpd\.h>|#include "(api|cli)/' "ballots/ must not include libmicrohttpd, api/ or cli/:"
# The documents, the bundle, the verifier and the receipt check: an auditor's code, no ballot box.
for f in ballots/bundle.c ballots/counts.c ballots/docs.c ballots/receipt.c ballots/verify.c ballots/verify_log.c \
         ballots/verify_src.c ballots/verify_int.h \
         ballots/pb_bundle.h ballots/pb_counts.h ballots/pb_docs.h ballots/pb_receipt.h; do
        hit "$f" '#include <sqlite3\.h>|#include "ballots/(pb_box|box_int)\.h"' \
                "$f (a signed document or the verifier) must not need the ballot box:"
done
for d in formats ballots; do
        hit $d '\b(getenv|exit|printf)\(' "$d/ must not read the environment, print or exit:"
done
for d in engine formats ballots; do
        hit $d '\b(sprintf|strcpy|strcat|strtok|atoi|atol|sscanf|gets)\(' "$d/ uses a banned function:"
done
[ $status = 0 ] && echo "layering: ok"
exit $status
