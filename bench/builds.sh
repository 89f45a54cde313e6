#!/usr/bin/env bash
# Builds side by side: the requests of bench/stores.sh against two or more
# release builds on one store, alternated build by build within each round,
# so that a change is measured against the same machine and dataset
# minutes apart rather than against another day's figures.
#
#   bench/builds.sh "before=<binary> after=<binary>" [rounds] [endpoints]
#   STORE=postgres bench/builds.sh "before=... after=..." 3 "one list50 post"
#
# STORE is sqlite (the default) or postgres; the dataset is bench/stores.sh's
# (made here if absent, by the first build). PG_DB and BENCH_WORK name
# another: a build refuses a database a newer build has migrated, so builds
# whose migrations differ are measured on PostgreSQL one run each. SQLite runs on a fresh copy of
# it each time, so POSTs do not pile up; PostgreSQL is vacuumed before each
# round. Server CPU on PostgreSQL counts the database's processes too.
# Each run: 4 s warm-up, 8 s measured, 64 connections (BENCH_DURATION,
# BENCH_WARMUP change that). Results: bench/results/<date>-builds/.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/bench
export BENCH_WORK=${BENCH_WORK:-target/bench-work}
export BENCH_LUA=$SHARED/bench.lua
export BENCH_CONNS=64 BENCH_DURATION=${BENCH_DURATION:-8} BENCH_WARMUP=${BENCH_WARMUP:-4}
export BENCH_MAX_S=${BENCH_MAX_S:-7200}
export RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-builds}
BUILDS=${1:?name the builds: \"label=binary ...\"}
ROUNDS=${2:-3}
ENDPOINTS=${3:-"static one list50 list1000 post"}
STORE=${STORE:-sqlite}
ORGS=100 ROWS=100000
PG_DB=${PG_DB:-mortar_bench_stores}
PORT=3935

# shellcheck source=/dev/null
source "$SHARED/lib.sh"
# shellcheck source=bench/lib.sh
source bench/lib.sh
mkdir -p "$RESULTS_DIR"
data="$BENCH_WORK/stores-$STORE"
first=${BUILDS%% *}; BIN=${first#*=} # the first build loads the dataset if needed
demo_dataset "$STORE" "$data" $PG_DB $ORGS $(( ROWS / ORGS )) || exit 1
key=$(cat "$data/.bench-key")
echo "# $STORE, $ROUNDS rounds of: $BUILDS" | tee -a "$RESULTS_DIR/builds.txt"

for round in $(seq "$ROUNDS"); do
    if [ "$STORE" = postgres ]; then
        psql "${PG_ADMIN%/*}/$PG_DB" -qc "VACUUM (ANALYZE)" || exit 1
    fi
    for build in $BUILDS; do
        label=${build%%=*}; BIN=${build#*=}
        run_store_args "$STORE" "$data" $PG_DB "$BENCH_WORK/builds-data"
        start_server $PORT "$BENCH_WORK/builds-$label.log" || exit 1
        server_pids "$STORE"
        # shellcheck disable=SC2086 # ENDPOINTS is a list
        measure_requests "$label" "$round" $PORT "$key" $ENDPOINTS | tee -a "$RESULTS_DIR/builds.txt"
        stop_server
    done
done
