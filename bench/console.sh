#!/usr/bin/env bash
# Console search benchmark: how long a person waits, in a real browser, from
# the last keystroke in the clients screen's search box to matching rows on
# screen, against the release server on the seeded N-client SQLite database
# (issue 21: ≤ 300 ms at 1,000,000 clients). Also the first load of the list.
#
#   bench/console.sh [N]      N clients (default 1000000)
#
# Builds the release binary and bench_seed (CARGO_TARGET_DIR=target/bench),
# seeds N clients once (the same files as bench/run.sh, so either script's seed
# serves the other), serves a copy of the seed, creates an admin user with a
# password through the API, and runs bench/console_search.mjs (Playwright's
# playwright-core from tests/browser/node_modules, Debian's /usr/bin/chromium).
#
# Environment knobs (all optional):
#   BENCH_CONSOLE_REPS=20         searches per term (20, so p95 is not just the max)
#   BENCH_CONSOLE_KEY_DELAY_MS=60 delay between keystrokes
#   BENCH_CONSOLE_RELOADS=5       reloads of #/clients timed after sign-in
#   BENCH_CONSOLE_ASSETS=auto     embedded | disk (CLIENTELE_ASSETS_DIR=assets) |
#                                 auto (embedded unless the binary lacks clients.js)
#   BENCH_CONSOLE_TERMS=1         pick the search terms again (else the seed's
#                                 .console-terms.json from an earlier run is reused)
#   BENCH_FRESH, BENCH_DATA_DIR, BENCH_SEED, BENCH_LOG as for bench/run.sh
#
# Output: the table on stdout, target/bench/data/console-N.json (and .png, the
# last screen), the server's log in target/bench/data/console-server-N.log.
# Traffic goes to 127.0.0.1 only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-1000000}"
BROWSER_DIR="$ROOT/tests/browser"

log() { echo "[console] $*" >&2; }

# --- tools -------------------------------------------------------------------
command -v node >/dev/null || { echo "node is required" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
[ -x /usr/bin/chromium ] || install_if_missing chromium
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
    log "installing the browser tests' node modules (npm ci in tests/browser)"
    (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund >/dev/null)
fi

# --- build -------------------------------------------------------------------
log "building release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release --quiet --bin clientele --example bench_seed)

# --- seed, once per N and seed (the layout of bench/run.sh) ----------------------
mkdir -p "$DATA"
SEEDED="$SQLITE_SEEDED"
TERMS="$SEEDED.console-terms.json"
if needs_seed; then
    seed_into "sqlite://$SEEDED" "$TERMS"
else
    log "reusing $SEEDED (BENCH_FRESH=1 to re-seed)"
fi
read_seed_terms
FIRM="$(json_field firm_id)"

# --- serve a copy ----------------------------------------------------------------
RUN_DB="$DATA/console.db"
copy_sqlite_db "$SEEDED" "$RUN_DB"
SERVER_LOG="$DATA/console-server-$N.log"
SERVER_PID=""
ASSETS="${BENCH_CONSOLE_ASSETS:-auto}"
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
# start_server: the release server on $RUN_DB, a free port, its JSON log in
# $SERVER_LOG; sets BASE and SERVER_PID. Assets from disk when ASSETS=disk.
start_server() {
    local port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    local envs=()
    [ "$ASSETS" = disk ] && envs=(CLIENTELE_ASSETS_DIR="$ROOT/assets")
    env "${envs[@]}" "$BIN" serve --database-url "sqlite://$RUN_DB" --bind "127.0.0.1:$port" \
        --purge-interval-secs 0 --log "${BENCH_LOG:-info}" --deliver-webhooks false \
        --rate-limit-per-minute 1000000000 >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 1000); do
        curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && return
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; echo "server exited" >&2; exit 1; }
        sleep 0.01
    done
    echo "server not ready" >&2; exit 1
}

if [ "$ASSETS" = auto ]; then
    ASSETS=embedded
    start_server
    # Only the files listed in src/api/assets.rs are in the binary.
    if ! curl -fsS -o /dev/null "$BASE/assets/console/clients.js"; then
        log "this binary has no embedded assets/console/clients.js: serving assets/ from disk (CLIENTELE_ASSETS_DIR)"
        ASSETS=disk
        stop_server
        start_server
    fi
else
    start_server
fi
log "server pid $SERVER_PID on $BASE (assets: $ASSETS; log: $SERVER_LOG)"

export CONSOLE_BASE="$BASE" CONSOLE_KEY="$KEY" CONSOLE_FIRM="$FIRM" CONSOLE_N="$N" CONSOLE_TERMS="$TERMS" \
    CONSOLE_OUT="$DATA/console-$N.json" CONSOLE_SERVER_LOG="$SERVER_LOG" \
    CONSOLE_REPS="${BENCH_CONSOLE_REPS:-20}" CONSOLE_KEY_DELAY_MS="${BENCH_CONSOLE_KEY_DELAY_MS:-60}" \
    CONSOLE_RELOADS="${BENCH_CONSOLE_RELOADS:-5}"

# --- terms: once per seed, then a fresh server (its hit-count memory and caches empty) ---
if [ "${BENCH_CONSOLE_TERMS:-0}" = 1 ] || [ ! -s "$TERMS" ]; then
    log "picking search terms of ~10, 100, 1,000, 10,000 and 100,000 hits"
    node "$HERE/console_search.mjs" terms
    stop_server   # the counts only read: the same copy serves on
    start_server
    export CONSOLE_BASE="$BASE"
    log "restarted: pid $SERVER_PID on $BASE"
fi

# --- measure -------------------------------------------------------------------
node "$HERE/console_search.mjs" measure | tee "$DATA/console-$N.txt"
echo "JSON: $DATA/console-$N.json"
