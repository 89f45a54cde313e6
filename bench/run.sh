#!/usr/bin/env bash
# Loads the benchmark dataset (mortar demo) into a fresh data directory,
# starts the server on it and times a few list requests with curl.
#
#   bench/run.sh                       # 100 organizations x 10,000 configurations, SQLite
#   ORGS=10 PER_ORG=1000 bench/run.sh  # a smaller run
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/mortar_bench bench/run.sh
#                                      # load only, on an existing empty PostgreSQL database
#   LOAD=0 BENCH_DIR=/path/to/data bench/run.sh
#                                      # time the requests on a dataset loaded before
#
# The dataset is written under $BENCH_DIR (default: a new temporary
# directory) and never committed. Needs cargo, curl and GNU time.
set -euo pipefail

ORGS=${ORGS:-100}
PER_ORG=${PER_ORG:-10000}
PORT=${PORT:-3917}
RUNS=${RUNS:-5}
LOAD=${LOAD:-1}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
cd "$(dirname "$0")/.."

cargo build --release --quiet
BIN=target/release/mortar

if [[ "$LOAD" == 1 ]]; then echo "== load: mortar demo --organizations $ORGS --configurations-per-organization $PER_ORG"; fi
if [[ -n "${DATABASE_URL:-}" ]]; then
    /usr/bin/time -f "elapsed %e s, max RSS %M KB" \
        "$BIN" demo --organizations "$ORGS" --configurations-per-organization "$PER_ORG" \
        --database-url "$DATABASE_URL" | tail -n 1
    exit 0
fi
if [[ "$LOAD" == 1 ]]; then
    /usr/bin/time -f "elapsed %e s, max RSS %M KB" \
        "$BIN" demo --organizations "$ORGS" --configurations-per-organization "$PER_ORG" \
        --data-dir "$BENCH_DIR" | tail -n 1
fi
du -sh "$BENCH_DIR"

KEY=$("$BIN" keys create --name bench --data-dir "$BENCH_DIR" | tail -n 1)
"$BIN" serve --data-dir "$BENCH_DIR" --listen "127.0.0.1:$PORT" \
    --rate-limit-requests 1000000 >/dev/null 2>"$BENCH_DIR/serve.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fsS -o /dev/null -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/organizations" 2>/dev/null && break
    sleep 0.2
done
# The first record's id in a list (relationships carry ids too, further on).
first_id() {
    curl -fsS -g -H "x-api-key: $KEY" "http://127.0.0.1:$PORT$1" | grep -o '"id":"[0-9]*"' | head -n 1 | tr -dc '0-9'
}
ORG=$(first_id "/organizations?page[size]=1&sort=-id")

time_request() {
    local label=$1 path=$2
    local times=()
    for _ in $(seq "$RUNS"); do
        times+=("$(curl -fsS -g -o /dev/null -w '%{time_total}' -H "x-api-key: $KEY" \
            "http://127.0.0.1:$PORT$path")")
    done
    local size
    size=$(curl -fsS -g -o /dev/null -w '%{size_download}' -H "x-api-key: $KEY" "http://127.0.0.1:$PORT$path")
    printf '%-58s %s bytes; seconds: %s\n' "$label" "$size" "${times[*]}"
}

echo "== requests (curl time_total, $RUNS runs each)"
time_request "page 1, size 1000" "/configurations?page[size]=1000"
time_request "page 900, size 1000" "/configurations?page[number]=900&page[size]=1000"
time_request "organization $ORG, sort=name, size 1000" \
    "/configurations?filter[organization_id]=$ORG&sort=name&page[size]=1000"
time_request "page 1, size 1000, include=configuration_interfaces" \
    "/configurations?page[size]=1000&include=configuration_interfaces"
time_request "sort=-name, size 50" "/configurations?sort=-name"
time_request "contacts, size 1000" "/contacts?page[size]=1000"
PRINTERS=$(first_id "/flexible_asset_types?filter[name]=Printer")
ASSET=$(first_id "/flexible_assets?filter[flexible_asset_type_id]=$PRINTERS&page[size]=1&sort=-id")
CONFIGURATION=$(first_id "/configurations?page[size]=1&sort=-id")
time_request "flexible assets (Printer), size 1000, traits and tags" \
    "/flexible_assets?filter[flexible_asset_type_id]=$PRINTERS&page[size]=1000"
time_request "flexible assets (Printer), page 3, size 1000, sort=name" \
    "/flexible_assets?filter[flexible_asset_type_id]=$PRINTERS&page[number]=3&page[size]=1000&sort=name"
time_request "flexible asset $ASSET, include=related_items,passwords" \
    "/flexible_assets/$ASSET?include=related_items,passwords"
time_request "configuration $CONFIGURATION, include=related_items,passwords" \
    "/configurations/$CONFIGURATION?include=related_items,passwords"
# The cursor (page[after]) of page $2 of list $1 (size 50), walked page by page.
cursor_of_page() {
    local path=$1 page=$2 cursor=""
    for _ in $(seq $((page - 1))); do
        cursor=$(curl -fsS -g -H "x-api-key: $KEY" \
            "http://127.0.0.1:$PORT$path&page[size]=50&page[after]=$cursor" |
            grep -o '"next-cursor":"[^"]*"' | cut -d'"' -f4)
    done
    printf '%s' "$cursor"
}
DEEP=$(cursor_of_page "/configurations?sort=name" 1000)
time_request "cursor page 1, sort=name, size 50" "/configurations?sort=name&page[size]=50&page[after]="
time_request "cursor page 1000, sort=name, size 50" "/configurations?sort=name&page[size]=50&page[after]=$DEEP"
time_request "numbered page 1000, sort=name, size 50" "/configurations?sort=name&page[size]=50&page[number]=1000"
echo "dataset kept in $BENCH_DIR (delete it when done)"
