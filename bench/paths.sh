#!/usr/bin/env bash
# Any GET requests, builds side by side: for each build, a server on
# bench/stores.sh's dataset (a fresh copy on SQLite), then `wrk -t1 -c4
# -d5s` on each path; requests a second, p50 and p99 per path.
#
#   bench/paths.sh sqlite "before=<binary> after=<binary>" /configuration_types/2 ...
#   bench/paths.sh postgres "before=<binary>" /configuration_types
#
# On PostgreSQL a build refuses a database a newer build has migrated: run
# the older build first, one call each. Results are appended to
# bench/results/<date>-paths/paths.txt (RESULTS_DIR names another).
set -uo pipefail
cd "$(dirname "$0")/.."
STORE=${1:?sqlite or postgres}
BUILDS=${2:?name the builds: \"label=binary ...\"}
shift 2
[ $# -gt 0 ] || { echo "name the paths to request" >&2; exit 2; }
BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-paths}
PG_DB=mortar_bench_stores
PORT=3936

# shellcheck source=bench/lib.sh
source bench/lib.sh
mkdir -p "$RESULTS_DIR"
data="$BENCH_WORK/stores-$STORE"
first=${BUILDS%% *}; BIN=${first#*=} # the first build loads the dataset if needed
demo_dataset "$STORE" "$data" $PG_DB 100 1000 || exit 1
key=$(cat "$data/.bench-key")

for build in $BUILDS; do
    label=${build%%=*}; BIN=${build#*=}
    run_store_args "$STORE" "$data" $PG_DB "$BENCH_WORK/paths-data"
    start_server $PORT "$BENCH_WORK/paths-$label.log" || exit 1
    for path in "$@"; do
        out=$(wrk -t1 -c4 -d5s --latency -H "x-api-key: $key" "http://127.0.0.1:$PORT$path")
        echo "$out" | grep -q 'Non-2xx' && { echo "$path: not all answered 200" >&2; exit 1; }
        printf '%-8s %-8s %-50s %10s req/s  p50 %8s  p99 %8s\n' "$STORE" "$label" "$path" \
            "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
            "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
            "$(awk '$1 == "99%" {print $2}' <<<"$out")" | tee -a "$RESULTS_DIR/paths.txt"
    done
    stop_server
done
