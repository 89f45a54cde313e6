#!/usr/bin/env bash
# `mortar import` of the 100 x 1,000 demo: a `mortar serve` over the demo
# dataset of bench/search.sh (PostgreSQL by default) is the source, a fresh
# data directory the target (SQLite, then PostgreSQL); the import's time,
# its requests and its report per store. Run twice per target: the second
# run finds everything unchanged.
#
#   bench/import.sh
#   TARGETS=sqlite bench/import.sh
#
# Needs curl, a release build (made here) and PostgreSQL at 127.0.0.1:5432
# (trust auth). Results: bench/results/<date>-import/.
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-import}
SOURCE_STORE=${SOURCE_STORE:-postgres}
TARGETS=${TARGETS:-"sqlite postgres"}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
PG_SOURCE=mortar_bench_search
PG_TARGET=mortar_bench_import
PORT=3933

cargo build --release --quiet || exit 1
BIN=target/release/mortar
mkdir -p "$RESULTS_DIR" "$BENCH_WORK"
source_dir="$BENCH_WORK/search-$SOURCE_STORE"
[ -f "$source_dir/.bench-ready" ] || STORES=$SOURCE_STORE REPEAT=1 bench/search.sh >/dev/null
source_args=(--data-dir "$source_dir")
if [ "$SOURCE_STORE" = postgres ]; then
    source_args+=(--database-url "postgres://postgres@127.0.0.1:5432/$PG_SOURCE")
fi
[ -f "$source_dir/.import-key" ] ||
    "$BIN" keys create --name importer --password-access "${source_args[@]}" | tail -1 > "$source_dir/.import-key"
key=$(cat "$source_dir/.import-key")

"$BIN" serve "${source_args[@]}" --listen "127.0.0.1:$PORT" --rate-limit-requests 1000000000 \
    > "$BENCH_WORK/import-source.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null' EXIT
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

summary="$RESULTS_DIR/summary.txt"
: > "$summary"
for target in $TARGETS; do
    dir="$BENCH_WORK/import-$target"
    rm -rf "$dir"
    args=(--data-dir "$dir")
    if [ "$target" = postgres ]; then
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_TARGET WITH (FORCE)" -c "CREATE DATABASE $PG_TARGET"
        args+=(--database-url "postgres://postgres@127.0.0.1:5432/$PG_TARGET")
    fi
    for run in first second; do
        start=$(date +%s.%N)
        "$BIN" import --from "http://127.0.0.1:$PORT" --key "$key" --rate 100000 "${args[@]}" \
            > "$RESULTS_DIR/$target-$run.txt" 2> "$RESULTS_DIR/$target-$run.log"
        status=$?
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        printf '%-10s %-7s exit %d, %.1f s, %s\n' "$target" "$run" "$status" "$seconds" \
            "$(grep 'requests to the source' "$RESULTS_DIR/$target-$run.txt")" | tee -a "$summary"
    done
done
