# What the benchmark scripts of bench/ share (sourced, not run): the release
# build, the demo datasets they measure, the server they start and stop.
# Run from the project root; each script sets BENCH_WORK before sourcing.

# MORTAR_BIN measures a given build instead (an earlier commit's, for a
# before-and-after comparison); the scripts then build nothing.
BIN=${MORTAR_BIN:-target/release/mortar}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}

# The release build (made or brought up to date here).
build_release() {
    [ -n "${MORTAR_BIN:-}" ] || cargo build --release --quiet
}

# store_args STORE DATA_DIR PG_DB: sets the array `args` to the flags that
# open STORE (sqlite or postgres) with its data directory DATA_DIR and, on
# PostgreSQL, the database PG_DB at 127.0.0.1:5432.
store_args() {
    args=(--data-dir "$2")
    if [ "$1" = postgres ]; then
        args+=(--database-url "postgres://postgres@127.0.0.1:5432/$3")
    fi
}

# run_store_args STORE DATA_DIR PG_DB COPY_DIR: `store_args` for one
# build's run on a dataset: on SQLite a fresh copy of DATA_DIR at COPY_DIR,
# so that one run's writes do not reach the next; on PostgreSQL the
# database itself.
run_store_args() {
    if [ "$1" = sqlite ]; then
        rm -rf "$4"; cp -r "$2" "$4"
        store_args sqlite "$4" "$3"
    else
        store_args postgres "$2" "$3"
    fi
}

# demo_dataset STORE DATA_DIR PG_DB ORGS PER_ORG: loads `mortar demo` (ORGS
# organizations of PER_ORG configurations) into the store `store_args`
# names for the same STORE DATA_DIR PG_DB, with an API key in
# DATA_DIR/.bench-key, unless an earlier run left it there
# (DATA_DIR/.bench-ready). Prints the load's last line and its time.
demo_dataset() {
    local store=$1 data=$2 pg_db=$3 orgs=$4 per_org=$5 start
    local -a args
    store_args "$store" "$data" "$pg_db"
    [ -f "$data/.bench-ready" ] && return 0
    rm -rf "$data"
    if [ "$store" = postgres ]; then
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db" || return 1
    fi
    echo "== $store: mortar demo --organizations $orgs --configurations-per-organization $per_org"
    start=$(date +%s)
    "$BIN" demo --organizations "$orgs" --configurations-per-organization "$per_org" "${args[@]}" | tail -1
    echo "demo load ($store, $(( orgs * per_org )) configurations): $(( $(date +%s) - start )) s"
    "$BIN" keys create --name bench "${args[@]}" | tail -1 > "$data/.bench-key"
    touch "$data/.bench-ready"
}

# start_server PORT LOG: `mortar serve` with the flags in `args` on
# 127.0.0.1:PORT (no rate limit), its output in LOG; waits until it answers.
SERVER_PID=
start_server() {
    "$BIN" serve "${args[@]}" --listen "127.0.0.1:$1" --rate-limit-requests 1000000000 > "$2" 2>&1 &
    SERVER_PID=$!
    local _
    for _ in $(seq 240); do
        curl -fs -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.5
    done
    echo "the server on port $1 did not start; see $2" >&2
    return 1
}

# Stops the server start_server started (also when the script exits).
stop_server() {
    if [ -n "${SERVER_PID}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

# server_pids STORE: exports SERVER_PIDS, the processes whose CPU counts as
# the server's: the server start_server started and, on PostgreSQL, the
# database's postmaster (with its backends, which `measure` adds).
server_pids() {
    SERVER_PIDS=$SERVER_PID
    if [ "$1" = postgres ]; then
        SERVER_PIDS="$SERVER_PID $(head -1 "$(psql "$PG_ADMIN" -Atc 'SHOW data_directory')/postmaster.pid")"
    fi
    export SERVER_PIDS
}

# measure_requests LABEL ROUND PORT KEY ENDPOINTS...: the side-by-side
# benchmark's requests (static, one, list50, list1000, post) against the
# server on PORT, with the 100 x 1,000 dataset's ids, organizations and
# pages, results under LABEL (the shared `measure`, 64 connections).
measure_requests() {
    local label=$1 round=$2 url="http://127.0.0.1:$3" key=$4 ep
    shift 4
    for ep in "$@"; do
        case $ep in
            static) measure "$label" static "$round" 64 "$url" path "path=/countries/1" "key=$key" ;;
            *) measure "$label" "$ep" "$round" 64 "$url" "$ep" "ids=1:100000" "orgs=2:101" \
                   "pages=1:20" "key=$key" ;;
        esac
    done
}
