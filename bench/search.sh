#!/usr/bin/env bash
# Global search latency on the 100 x 1,000 demo dataset: a set of queries an
# engineer types (a hostname, its prefix, an IP address, a serial number, a
# contact's email, a common word that matches thousands of records, two
# words), each sent one at a time, 200 times, on SQLite and on PostgreSQL;
# p50, p95 and max per query from curl's time_total.
#
#   bench/search.sh                      # both stores
#   STORES=sqlite bench/search.sh        # one store
#
# Needs curl, jq, a release build (made here) and PostgreSQL at
# 127.0.0.1:5432 (trust auth). Results: bench/results/<date>-search/.
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-search}
STORES=${STORES:-"sqlite postgres"}
REPEAT=${REPEAT:-200}
ORGS=100 ROWS=100000
PG_DB=mortar_bench_search
PORT=3932

# shellcheck source=bench/lib.sh
source bench/lib.sh
build_release || exit 1
mkdir -p "$RESULTS_DIR" "$BENCH_WORK"

summary="$RESULTS_DIR/summary.txt"
: > "$summary"
for store in $STORES; do
    data="$BENCH_WORK/search-$store"
    store_args "$store" "$data" $PG_DB
    demo_dataset "$store" "$data" $PG_DB $ORGS $(( ROWS / ORGS )) | tee -a "$summary" || exit 1
    key=$(cat "$data/.bench-key")
    start_server $PORT "$BENCH_WORK/search-$store.log" || exit 1
    url="http://127.0.0.1:$PORT"
    get() { curl -fsS -H "x-api-key: $key" "$url$1"; }
    config=$(get "/configurations/5021")
    name=$(jq -r '.data.attributes.name' <<<"$config")
    ip=$(jq -r '.data.attributes["primary-ip"] // empty' <<<"$config")
    serial=$(jq -r '.data.attributes["serial-number"] // empty' <<<"$config")
    email=$(get "/contacts/120" | jq -r '.data.attributes["contact-emails"][0].value // empty')
    queries=(
        "$name"
        "${name:0:6}"
        "$ip"
        "$serial"
        "$email"
        "server"
        "${name:0:4} server"
    )
    echo "== $store" | tee -a "$summary"
    printf '%-32s %8s %8s %8s %8s %8s\n' query hits p50_ms p95_ms max_ms errors | tee -a "$summary"
    for q in "${queries[@]}"; do
        [ -n "$q" ] || continue
        encoded=$(jq -rn --arg q "$q" '$q|@uri')
        hits=$(get "/search?query=$encoded" | jq '.meta["total-count"]')
        times="$RESULTS_DIR/$store-$(tr -c 'A-Za-z0-9' _ <<<"$q").txt"
        errors=0
        : > "$times"
        for _ in $(seq "$REPEAT"); do
            out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "x-api-key: $key" \
                "$url/search?query=$encoded")
            [ "${out%% *}" = 200 ] || errors=$((errors + 1))
            echo "${out#* }" >> "$times"
        done
        sort -g "$times" | awk -v q="$q" -v hits="$hits" -v errors="$errors" '
            { t[NR] = $1 * 1000 }
            END { printf "%-32s %8s %8.1f %8.1f %8.1f %8d\n", q, hits, t[int(NR*0.5)], t[int(NR*0.95)], t[NR], errors }' \
            | tee -a "$summary"
    done
    stop_server
done
