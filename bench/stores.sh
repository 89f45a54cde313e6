#!/usr/bin/env bash
# The five requests of the side-by-side benchmark (../shared/bench/compare.sh:
# static, one, list50, list1000, post; its wrk script and measuring helpers)
# against Mortar alone, on SQLite and on PostgreSQL, with the same
# 100 x 1,000 demo dataset in each. Server CPU on PostgreSQL counts the
# database's processes too (the whole cluster, which serves only this run).
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
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=mortar_bench_stores
PORT=3931

cargo build --release --quiet || exit 1
BIN=target/release/mortar
mkdir -p "$RESULTS_DIR"

SERVER_PID=
stop_server() {
    if [ -n "${SERVER_PID}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

for store in $STORES; do
    data="$BENCH_WORK/stores-$store"
    args=(--data-dir "$data")
    if [ "$store" = postgres ]; then
        args+=(--database-url "postgres://postgres@127.0.0.1:5432/$PG_DB")
    fi
    if [ ! -f "$data/.bench-ready" ]; then
        rm -rf "$data"
        if [ "$store" = postgres ]; then
            psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
        fi
        echo "== $store: mortar demo --organizations $ORGS --configurations-per-organization $(( ROWS / ORGS ))"
        "$BIN" demo --organizations $ORGS --configurations-per-organization $(( ROWS / ORGS )) "${args[@]}" | tail -1
        "$BIN" keys create --name bench "${args[@]}" | tail -1 > "$data/.bench-key"
        touch "$data/.bench-ready"
    fi
    key=$(cat "$data/.bench-key")
    "$BIN" serve "${args[@]}" --listen "127.0.0.1:$PORT" --rate-limit-requests 1000000000 \
        > "$BENCH_WORK/stores-$store.log" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS=$SERVER_PID
    if [ "$store" = postgres ]; then
        SERVER_PIDS="$SERVER_PID $(head -1 "$(psql "$PG_ADMIN" -Atc 'SHOW data_directory')/postmaster.pid")"
    fi
    export SERVER_PIDS
    wait_http "http://127.0.0.1:$PORT/healthz" 60
    url="http://127.0.0.1:$PORT"
    for ep in static one list50 list1000 post; do
        case $ep in
            static) measure "mortar-$store" static 1 64 "$url" path "path=/countries/1" "key=$key" ;;
            *) measure "mortar-$store" "$ep" 1 64 "$url" "$ep" "ids=1:$ROWS" "orgs=2:$(( ORGS + 1 ))" \
                   "pages=1:$(( ROWS / ORGS / 50 ))" "key=$key" ;;
        esac
    done
    stop_server
done
