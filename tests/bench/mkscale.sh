#!/bin/sh
# Set up RCTab's 1,041,313-ballot scale case: its config lists 13 copies of the 2013 Minneapolis
# mayor CVR (2013_minneapolis_mayor_cvr_1..13.xlsx); we read each as the .xlsx.csv rendering of
# the one saved CVR.  Usage: mkscale.sh RCTAB_DATA_DIR OUT_DIR
set -eu
data=$1
out=$2
mkdir -p "$out"
cp -f "$data/2013_minneapolis_mayor_scale/2013_minneapolis_mayor_scale_config.json" "$out/"
cp -f "$data/2013_minneapolis_mayor_scale/2013_minneapolis_mayor_scale_expected_detailed_report.json" "$out/"
i=1
while [ $i -le 13 ]; do
        ln -sf "$data/2013_minneapolis_mayor/2013_minneapolis_mayor_cvr.xlsx.csv" \
                "$out/2013_minneapolis_mayor_cvr_$i.xlsx.csv"
        i=$((i + 1))
done
