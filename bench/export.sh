#!/usr/bin/env bash
# Times an export of the whole account on the demo dataset: loads it
# (mortar demo) into a fresh data directory, starts the server, requests
# an export and polls until it is done; prints the elapsed time, the zip's
# size and the server's peak memory.
#
#   bench/export.sh                       # 100 organizations x 1,000 configurations, SQLite
#   ORGS=10 PER_ORG=100 bench/export.sh   # a smaller run
#   LOAD=0 BENCH_DIR=/path/to/data bench/export.sh
#                                         # on a dataset loaded before
#
# Needs cargo, curl and GNU time.
set -euo pipefail

ORGS=${ORGS:-100}
PER_ORG=${PER_ORG:-1000}
PORT=${PORT:-3918}
LOAD=${LOAD:-1}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
cd "$(dirname "$0")/.."

cargo build --release --quiet
BIN=target/release/mortar

if [[ "$LOAD" == 1 ]]; then
    echo "== load: mortar demo --organizations $ORGS --configurations-per-organization $PER_ORG"
    /usr/bin/time -f "elapsed %e s, max RSS %M KB" \
        "$BIN" demo --organizations "$ORGS" --configurations-per-organization "$PER_ORG" \
        --data-dir "$BENCH_DIR" | tail -n 1
fi

KEY=$("$BIN" keys create --name export-bench --password-access --data-dir "$BENCH_DIR" | tail -n 1)
/usr/bin/time -f "server max RSS %M KB" -o "$BENCH_DIR/serve.time" \
    "$BIN" serve --data-dir "$BENCH_DIR" --listen "127.0.0.1:$PORT" --job-poll-ms 50 \
    >/dev/null 2>"$BENCH_DIR/serve.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fsS -o /dev/null -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/organizations" 2>/dev/null && break
    sleep 0.2
done

echo "== export of the whole account"
START=$(date +%s.%N)
ID=$(curl -fsS -X POST "http://127.0.0.1:$PORT/exports" -H "x-api-key: $KEY" \
    -H "Content-Type: application/vnd.api+json" \
    -d '{"data": {"type": "exports", "attributes": {}}}' | grep -o '"id":"[0-9]*"' | head -n 1 | tr -dc '0-9')
while true; do
    STATUS=$(curl -fsS -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/exports/$ID" | grep -o '"status":"[a-z]*"' | cut -d'"' -f4)
    [[ "$STATUS" == done || "$STATUS" == failed ]] && break
    sleep 0.1
done
END=$(date +%s.%N)
echo "status $STATUS after $(echo "$END - $START" | bc) s"
curl -fsS -o "$BENCH_DIR/export.zip" -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/exports/$ID/download"
ls -l "$BENCH_DIR/export.zip" | awk '{print "zip size", $5, "bytes"}'
# Stop the server itself (time's child), so time reports its peak memory.
pkill -TERM -P "$SERVER"; wait "$SERVER" 2>/dev/null || true
cat "$BENCH_DIR/serve.time"
