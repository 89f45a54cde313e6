#!/usr/bin/env bash
# The five requests of the side-by-side benchmark (../shared/bench/compare.sh:
# static, one, list50, list1000, post; its wrk script and measuring helpers)
# against Mortar alone, on SQLite and on PostgreSQL, with the same
# 100 x 1,000 demo dataset in each. Server CPU on PostgreSQL counts the
# database's processes too (the whole cluster, which serves only this run);
# PostgreSQL is measured after a VACUUM (ANALYZE) of the loaded database.
#
#   bench/stores.sh                      # both stores, 64 connections, 15 s each
#   STORES=postgres bench/stores.sh      # one store
#
# Needs wrk, curl, a release build (made here) and PostgreSQL at
# 127.0.0.1:5432 (trust auth). Results: bench/results/<date>-stores/.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/bench
export BENCH_WORK=${BENCH_WORK:-target/bench-work}
export BENCH_LUA=$SHARED/bench.lua
export BENCH_CONNS=64 BENCH_DURATION=${BENCH_DURATION:-15} BENCH_WARMUP=${BENCH_WARMUP:-3}
export RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-stores}
# shellcheck source=/dev/null
source "$SHARED/lib.sh"
STORES=${STORES:-"sqlite postgres"}
ORGS=100 ROWS=100000
PG_DB=mortar_bench_stores
PORT=3931

# shellcheck source=bench/lib.sh
source bench/lib.sh
build_release || exit 1
mkdir -p "$RESULTS_DIR"

for store in $STORES; do
    data="$BENCH_WORK/stores-$store"
    store_args "$store" "$data" $PG_DB
    demo_dataset "$store" "$data" $PG_DB $ORGS $(( ROWS / ORGS )) || exit 1
    if [ "$store" = postgres ]; then
        # Measure a settled database, as autovacuum leaves it some minutes
        # after a load (visibility map and statistics written), rather
        # than autovacuum's work on the load under way.
        psql "${PG_ADMIN%/*}/$PG_DB" -qc "VACUUM (ANALYZE)" || exit 1
    fi
    key=$(cat "$data/.bench-key")
    start_server $PORT "$BENCH_WORK/stores-$store.log" || exit 1
    server_pids "$store"
    measure_requests "mortar-$store" 1 $PORT "$key" static one list50 list1000 post
    stop_server
done
