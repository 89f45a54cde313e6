#!/usr/bin/env bash
# Per-request cost as the dataset grows: the demo at 100 x 1,000 and at
# 100 x 10,000 configurations (1,000,000) on SQLite, the same requests
# against each (the shared wrk script and measuring helpers of
# ../shared/bench/, 64 connections): show one configuration, a filtered
# page of 50, a filtered page of 1,000, and one organization's first and
# last numbered pages of 50. The server's peak memory (VmHWM) is read at the
# end of each run.
#
#   bench/scale.sh                           # both sizes
#   SIZES=10000 bench/scale.sh               # one size (configurations per organization)
#
# Needs wrk, curl and a release build (made here). The 1,000,000-row
# dataset takes about 1 GB under target/bench-work/ and a few minutes to
# load. Results: bench/results/<date>-scale/ (raw JSON lines and summary.txt).
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/bench
export BENCH_WORK=${BENCH_WORK:-target/bench-work}
export BENCH_LUA=$SHARED/bench.lua
export BENCH_CONNS=64 BENCH_DURATION=${BENCH_DURATION:-10} BENCH_WARMUP=${BENCH_WARMUP:-3}
export RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-scale}
# shellcheck source=/dev/null
source "$SHARED/lib.sh"
SIZES=${SIZES:-"1000 10000"}
ORGS=100
PORT=3934
ORG=51

# shellcheck source=bench/lib.sh
source bench/lib.sh
build_release || exit 1
mkdir -p "$RESULTS_DIR"
summary="$RESULTS_DIR/summary.txt"
: > "$summary"

for per_org in $SIZES; do
    rows=$(( ORGS * per_org ))
    data="$BENCH_WORK/scale-$rows"
    store_args sqlite "$data"
    demo_dataset sqlite "$data" "" $ORGS "$per_org" || exit 1
    key=$(cat "$data/.bench-key")
    start_server $PORT "$BENCH_WORK/scale-$rows.log" || exit 1
    export SERVER_PIDS=$SERVER_PID
    url="http://127.0.0.1:$PORT"
    pages=$(( per_org / 50 ))
    name="mortar-$rows"
    for ep in one list50 list1000; do
        measure "$name" "$ep" 1 64 "$url" "$ep" "ids=1:$rows" "orgs=2:$(( ORGS + 1 ))" \
            "pages=1:$pages" "key=$key"
    done
    list="/configurations?filter%5Borganization_id%5D=$ORG&page%5Bsize%5D=50&page%5Bnumber%5D"
    measure "$name" first-page 1 64 "$url" path "path=$list=1" "key=$key"
    measure "$name" deep-page 1 64 "$url" path "path=$list=$pages" "key=$key"
    peak=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")
    echo "$rows configurations: server peak RSS $(( peak / 1024 )) MB" | tee -a "$summary"
    stop_server
done
python3 - "$RESULTS_DIR" <<'EOF' | tee -a "$summary"
import glob, json, os, sys
rows = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "mortar-*.jsonl"))):
    for line in open(path):
        d = json.loads(line)
        rows[(d["server"], d["endpoint"])] = d
print("| rows | request | req/s | CPU µs/req | p50 ms | p99 ms | failed |")
print("|---|---|---|---|---|---|---|")
for (server, endpoint), d in sorted(rows.items(), key=lambda kv: (int(kv[0][0].split("-")[1]), kv[0][1])):
    failed = sum(d[k] for k in ("err_status", "err_timeout", "err_connect", "err_read", "err_write"))
    cpu = d["server_cpu_s"] * 1e6 / max(d["requests"], 1)
    print(f"| {server.split('-')[1]} | {endpoint} | {d['rps']:,.0f} | {cpu:,.0f} | {d['p50_us']/1000:.1f} | {d['p99_us']/1000:.1f} | {failed} of {d['requests']} |")
EOF
