#!/usr/bin/env bash
# Server-render time of the web interface's pages on the 100 x 1,000 demo
# dataset: a signed-in Lite user (no second factor) requests each page one
# at a time, 200 times; p50, p95 and max per page from curl's time_total.
# Reuses the demo data directories of bench/search.sh (or makes them).
#
#   bench/pages.sh                       # both stores
#   STORES=sqlite bench/pages.sh         # one store
#
# Needs curl, a release build (made here) and PostgreSQL at 127.0.0.1:5432
# (trust auth). Results: bench/results/<date>-pages/.
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-target/bench-work}
RESULTS_DIR=${RESULTS_DIR:-bench/results/$(date -u +%F)-pages}
STORES=${STORES:-"sqlite postgres"}
REPEAT=${REPEAT:-200}
PG_DB=mortar_bench_search
PORT=3933
EMAIL=bench-pages@mortar.local
PASSWORD=bench-pages-password-1

# shellcheck source=bench/lib.sh
source bench/lib.sh
build_release || exit 1
mkdir -p "$RESULTS_DIR"

summary="$RESULTS_DIR/summary.txt"
: > "$summary"
for store in $STORES; do
    # The dataset of bench/search.sh.
    data="$BENCH_WORK/search-$store"
    store_args "$store" "$data" $PG_DB
    demo_dataset "$store" "$data" $PG_DB 100 1000 || exit 1
    echo "$PASSWORD" | "$BIN" users create --email "$EMAIL" --first-name Bench --last-name Pages --role lite --password-stdin "${args[@]}" \
        >/dev/null 2>&1 || true
    start_server $PORT "$BENCH_WORK/pages-$store.log" || exit 1
    url="http://127.0.0.1:$PORT"
    jar="$BENCH_WORK/pages-$store.cookies"
    rm -f "$jar"
    csrf=$(curl -s -c "$jar" "$url/ui/sign_in" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
    signed=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' -X POST "$url/ui/sign_in" \
        --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$csrf")
    case $signed in
        */ui/organizations) ;;
        *) echo "signing in as $EMAIL failed (redirected to '$signed')" >&2; exit 1 ;;
    esac
    pages=(
        "/ui/organizations"
        "/ui/organizations?q=dental"
        "/ui/organizations/50"
        "/ui/organizations/50/configurations"
        "/ui/organizations/50/configurations?page=10"
        "/ui/organizations/50/passwords"
        "/ui/records/configurations/5021"
        "/ui/search?q=server"
        "/ui/expirations?window=90"
    )
    echo "== $store" | tee -a "$summary"
    printf '%-46s %6s %8s %8s %8s\n' page status p50_ms p95_ms max_ms | tee -a "$summary"
    for page in "${pages[@]}"; do
        times="$RESULTS_DIR/$store-$(tr -c 'A-Za-z0-9' _ <<<"$page").txt"
        : > "$times"
        status=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$url$page")
        for _ in $(seq "$REPEAT"); do
            curl -s -o /dev/null -w '%{time_total}\n' -b "$jar" "$url$page" >> "$times"
        done
        sort -g "$times" | awk -v p="$page" -v s="$status" '
            { t[NR] = $1 * 1000 }
            END { printf "%-46s %6s %8.1f %8.1f %8.1f\n", p, s, t[int(NR*0.5)], t[int(NR*0.95)], t[NR] }' \
            | tee -a "$summary"
    done
    stop_server
done
