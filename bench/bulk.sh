#!/usr/bin/env bash
# Bulk PATCHes of 100 configurations (their notes, then their names) on
# SQLite, with bench/stores.sh's 100 x 1,000 dataset (made here if absent),
# a fresh copy of it for each build and round, builds alternated.
#
#   bench/bulk.sh "before=<binary> after=<binary>" [rounds]
#
# Needs curl, python3 and the binaries (release builds of the commits to
# compare). Results: bench/results/<date>-bulk/bulk-patch.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-bulk}
BUILDS=${1:?name the builds: \"label=binary ...\"}
ROUNDS=${2:-3}
COUNT=${COUNT:-30}
PORT=3934

# shellcheck source=bench/lib.sh
source bench/lib.sh
data="$BENCH_WORK/stores-sqlite"
first=${BUILDS%% *}; BIN=${first#*=} # the first build loads the dataset if needed
demo_dataset sqlite "$data" unused 100 1000 || exit 1
key=$(cat "$data/.bench-key")
mkdir -p "$RESULTS_DIR"
out="$RESULTS_DIR/bulk-patch.txt"
echo "# bulk PATCH of 100 configurations, SQLite, $COUNT timed a build and round: $BUILDS" > "$out"
for round in $(seq "$ROUNDS"); do
    for build in $BUILDS; do
        label=${build%%=*}; BIN=${build#*=}
        rm -rf "$BENCH_WORK/bulk-data"; cp -r "$data" "$BENCH_WORK/bulk-data"
        args=(--data-dir "$BENCH_WORK/bulk-data")
        start_server $PORT "$BENCH_WORK/bulk-$label.log" || exit 1
        for what in notes name; do
            echo "r$round $label $(python3 bench/bulk_patch.py $PORT "$key" $what "$COUNT")" | tee -a "$out"
        done
        stop_server
    done
done
