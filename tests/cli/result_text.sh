#!/bin/sh
# The result as the finance office reads it (issue 13), for the Method of Equal Shares: the
# bundled Rembertów 2023 election imported into a ballot box and counted with equalshares/add1;
# `pbvote show` and `pbvote tally --db --format text` give each price per supporter and each
# voter's share as money with decimals, never as a raw fraction.  The expected amounts were worked
# out by hand from the tally document's exact fractions (202100/650 = 310.923..., 25000/69 =
# 362.318..., 1011308/1172 = 862.89...).  Usage: result_text.sh PBVOTE FILE.pb
set -u
pbvote=${1:?usage: result_text.sh PBVOTE FILE.pb}
pb=${2:?usage: result_text.sh PBVOTE FILE.pb}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
case $pb in /*) ;; *) pb=$(pwd)/$pb ;; esac
. "$(dirname "$0")/lib.sh"
in_tmpdir result-text

"$pbvote" keygen --role engine --out engine.key --no-passphrase >/dev/null 2>&1 || exit 1
"$pbvote" keygen --role office --out office.key --no-passphrase >/dev/null 2>&1 || exit 1
expect 0 "import with equal shares" "$pbvote" import "$pb" --db r.db --key engine.key --office-key office.key \
        --rule equalshares --at 2026-06-01T20:00:00Z
expect 0 "tally" "$pbvote" tally --db r.db --key engine.key --out result.json
has out '"measure":"4042/13"' "the document keeps the exact price of the first step"
has out '"supporters_left":"29859466440331918960351927337/437796924659901726519600"' "the document keeps the exact sum its supporters had left for 1147"
expect 0 "show" "$pbvote" show result.json --db r.db
has out "Rule: the Method of Equal Shares. The budget is split equally among the 1172 voters" "the rule in words"
has out "Budget: 1011308 PLN    spent: 990915 PLN    left: 20393 PLN" "the money"
has out "  1. 1639  Zagospodarowanie Górki przy ul. Strażackiej  cost 202100 PLN, 650 votes; each supporter paid ≈ 310.92 PLN, 650 supporters paid" \
        "the first funded project and what each supporter paid, in złoty with grosze"
has out "each supporter paid ≈ 362.32 PLN, 483 supporters paid" "the second"
has out "Each voter's share at the start: the budget divided by 1172 voters, ≈ 862.89 PLN" "the share at the start"
has out "each voter's share was 1086.00 PLN" "the share after the Add1 completion (exact: no ≈)"
has out "1147  Bouldering w Rembertowie (skała wspinaczkowa)  cost 202000 PLN, 470 votes: its supporters' shares could not pay for it" \
        "why a project with many votes was not funded"
has out "could not pay for it (they had ≈ 68203.92 PLN left in all; it costs 202000 PLN)" \
        "and how much its supporters had left (the document's supporters_left, 29859466440331918960351927337/437796924659901726519600)"
has_re out "^Not funded:" "the unfunded projects have their own list"
if grep -E '[0-9]/[0-9]' out; then not_ok "a raw fraction in the text"; else ok "no raw fraction in the text"; fi
expect 0 "tally --db --format text" "$pbvote" tally --db r.db --format text
has out "each supporter paid ≈ 310.92 PLN" "the same text from the box"

# a vote of two contests (issue 14): the same file under two names, counted each by its own rule
cp "$pb" north.pb
cp "$pb" south.pb
expect 0 "import a vote of two contests" "$pbvote" import north.pb south.pb --db v.db --id v --key engine.key \
        --office-key office.key --at 2026-06-01T20:00:00Z
expect 0 "tally it" "$pbvote" tally --db v.db --key engine.key --out v-result.json --format text
has out "== Contest north (" "the first contest has its heading"
has out "== Contest south (" "and the second"
[ "$(grep -c '^Budget: 1011308 PLN' out)" = 2 ] && ok "each contest its money" || not_ok "money lines: $(grep -c '^Budget' out)"
expect 0 "certify the vote" "$pbvote" certify v-result.json --db v.db --key office.key --at 2026-06-02T10:00:00Z \
        --out v-cert.json
[ "$(grep -c '^Winners (' err)" = 2 ] && ok "the preview names each contest's winners" || not_ok "winners lines"
finish
