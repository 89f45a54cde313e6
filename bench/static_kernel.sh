#!/usr/bin/env bash
# Where a tiny request's CPU goes, Mortar beside the ceiling: the static
# request of ../shared/bench/compare.sh (Mortar's authenticated show of
# /countries/1, the ceiling's constant body), each server measured alone
# for ROUNDS rounds, alternating. Per request: server CPU, system calls by
# kind (`perf stat` tracepoints), and the context switches of the server's
# threads (voluntary and involuntary, from /proc), with the share of its CPU
# in the kernel (utime against stime).
#
#   bench/static_kernel.sh [rounds]
#
# Needs wrk, perf (Debian's linux-perf), the release build (made here, or
# MORTAR_BIN) and the ceiling (built here as compare.sh builds it). SQLite,
# the 100 x 1,000 demo of bench/stores.sh. Results:
# bench/results/<date>-static-kernel/.
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/bench
export BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-static-kernel}
ROUNDS=${1:-2}
SECS=${SECS:-8}
MPORT=3937 CPORT=3938
# shellcheck source=bench/lib.sh
source bench/lib.sh
command -v perf >/dev/null || { echo "perf not found: apt-get install -y linux-perf" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
build_release || exit 1
CARGO_TARGET_DIR="$BENCH_WORK/ceiling-target" cargo build --release --quiet \
    --manifest-path "$SHARED/ceiling/Cargo.toml" || exit 1
CBIN="$BENCH_WORK/ceiling-target/release/ceiling"
mkdir -p "$RESULTS_DIR"
data="$BENCH_WORK/stores-sqlite"
store_args sqlite "$data" -
demo_dataset sqlite "$data" - 100 1000 || exit 1
[ -f "$BENCH_WORK/ceiling.db" ] || "$CBIN" seed "$BENCH_WORK/ceiling.db" 100000 100 || exit 1
key=$(cat "$data/.bench-key")
TICK=$(getconf CLK_TCK)

# threads PID: "utime stime voluntary involuntary" summed over PID's threads.
threads() {
    local t u s v i
    for t in /proc/"$1"/task/*; do
        read -r u s < <(sed 's/^.*) //' "$t/stat" | awk '{print $12, $13}')
        v=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")
        i=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status")
        echo "$u $s $v $i"
    done | awk '{u += $1; s += $2; v += $3; i += $4} END {print u, s, v, i}'
}

# run LABEL PID URL WRK_ARGS...: one measured run against the server PID.
run() {
    local label=$1 pid=$2 url=$3 before after requests counts
    shift 3
    wrk -t2 -c64 -d3s -s "$SHARED/bench.lua" "$url" -- "$@" > /dev/null
    before=$(threads "$pid")
    perf stat -x, -e 'syscalls:sys_enter_recvfrom,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex' \
        -p "$pid" -o "$RESULTS_DIR/perf-stat.tmp" -- sleep "$SECS" &
    local stat=$!
    requests=$(wrk -t2 -c64 -d"${SECS}s" -s "$SHARED/bench.lua" "$url" -- "$@" \
        | sed -n 's/^RESULT .*"requests":\([0-9]*\).*/\1/p')
    wait $stat
    after=$(threads "$pid")
    counts=$(awk -F, '/syscalls:/ {split($3, n, ":"); printf "%s=%s ", n[2], $1}' "$RESULTS_DIR/perf-stat.tmp")
    # Per request: CPU (µs, user and kernel), system calls, context switches.
    echo "$label $requests $before $after $counts" | awk -v tick="$TICK" -v secs="$SECS" '{
        r = $2; u = ($7 - $3) / tick * 1e6 / r; s = ($8 - $4) / tick * 1e6 / r
        printf "%-8s %8.0f req/s  cpu %5.1f us/req (user %5.1f, kernel %5.1f: %2.0f%%)  switches/req voluntary %.3f involuntary %.3f ",
            $1, r / secs, u + s, u, s, 100 * s / (u + s), ($9 - $5) / r, ($10 - $6) / r
        for (i = 11; i <= NF; i++) { split($i, kv, "="); sub("sys_enter_", "", kv[1]); printf " %s/req %.3f", kv[1], kv[2] / r }
        printf "\n"
    }' | tee -a "$RESULTS_DIR/static-kernel.txt"
}

for round in $(seq "$ROUNDS"); do
    env CEILING_PAGINATION=deferred "$CBIN" serve "$BENCH_WORK/ceiling.db" "127.0.0.1:$CPORT" > "$BENCH_WORK/static-kernel-ceiling.log" 2>&1 &
    cpid=$!
    sleep 1
    run "ceiling" $cpid "http://127.0.0.1:$CPORT" static
    kill $cpid; wait $cpid 2>/dev/null
    start_server $MPORT "$BENCH_WORK/static-kernel-mortar.log" || exit 1
    run "mortar" "$SERVER_PID" "http://127.0.0.1:$MPORT" path path=/countries/1 "key=$key"
    stop_server
done
rm -f "$RESULTS_DIR/perf-stat.tmp"
