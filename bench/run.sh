#!/usr/bin/env bash
# Clientele HTTP benchmark: build release, seed N clients (once per N), start
# the server on a free 127.0.0.1 port, load it with wrk case by case, print a
# table, stop the server.
#
#   bench/run.sh [N]          N clients (default 100000)
#   BENCH_STORE=postgres bench/run.sh [N]   the same against PostgreSQL
#   bench/all.sh [N]          both stores, then writes BENCHMARKS.md
#
# Environment knobs (all optional):
#   BENCH_DURATION=10      seconds per case
#   BENCH_CONNECTIONS=64   concurrent connections
#   BENCH_THREADS=2        wrk threads
#   BENCH_FRESH=1          re-seed even if a seeded database for N exists
#   BENCH_DATA_DIR=…       where seeded databases live (default target/bench/data)
#   BENCH_LOG=info         the server's --log filter (its output goes to a file)
#   BENCH_LOW_CONNECTIONS=2  connections of the *_low cases: the latency of a
#                          request on an unqueued server (at 64 connections a
#                          request mostly waits behind the 63 others)
#   BENCH_BIN=path         serve with this binary instead of the one built here
#                          (the seed and the yardstick are still built here)
#   BENCH_CASES="get_id list_first …"   run only these cases, in this order; all:
#       baseline get_id get_id_wide list_first list_deep search_rare search_mid search_common
#       search_selectivity (one case per term of known selectivity)
#       totals (include_total=true unfiltered and on the mid and common terms,
#       and include_total=exact on the common term)
#       list_first_low search_rare_low search_mid_low search_common_low create
#   BENCH_ROUNDS=3         rounds of the yardstick and get_id, alternated; the table
#                          keeps the round with the median ratio (one pair of runs
#                          varies by 15-25% on these machines)
#   BENCH_STORE=sqlite     or postgres (BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432)
#   BENCH_SEED=42          content seed for bench_seed
#
# Traffic goes to 127.0.0.1 only; every case runs for a fixed duration.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-100000}"
CASES="${BENCH_CASES:-baseline get_id get_id_wide list_first list_deep search_rare search_mid search_common search_selectivity totals list_first_low search_rare_low search_mid_low search_common_low create}"
LOW="${BENCH_LOW_CONNECTIONS:-2}"
ROUNDS="${BENCH_ROUNDS:-3}"
STORE="${BENCH_STORE:-sqlite}"
PG_SERVER="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
case "$STORE" in sqlite | postgres) ;; *) echo "BENCH_STORE must be sqlite or postgres" >&2; exit 2 ;; esac
BASELINE="$CARGO_TARGET_DIR/release/examples/bench_baseline"

log() { echo "[bench] $*" >&2; }

# --- tools -------------------------------------------------------------------
install_if_missing wrk
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

# --- (a) build ---------------------------------------------------------------
log "building release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release --quiet --bin clientele --example bench_seed --example bench_baseline)
if [ -n "${BENCH_BIN:-}" ]; then
    BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
    log "serving with $BIN"
fi

# --- (b) seed, once per store, N and seed ----------------------------------------
mkdir -p "$DATA"
if [ "$STORE" = sqlite ]; then
    SEEDED="$SQLITE_SEEDED"   # pristine copy, never served
    SEED_URL="sqlite://$SEEDED"
else
    PG_DB="clientele_bench_${N}_${SEED}"
    SEEDED="$DATA/pg-seed-$N-$SEED"   # only names the metadata files
    SEED_URL="$PG_SERVER/$PG_DB"
fi
if needs_seed; then
    if [ "$STORE" = postgres ]; then
        psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -qc "CREATE DATABASE $PG_DB" >/dev/null
    fi
    seed_into "$SEED_URL"
else
    log "reusing $SEED_URL (BENCH_FRESH=1 to re-seed)"
fi
read_seed_terms
log "seeded: $(json_field count) clients in $(json_field seconds) s ($(json_field per_second)/s at concurrency $(json_field concurrency))"

if [ "$STORE" = sqlite ]; then
    # Serve a copy, so the writes of the create case never leak into the next run.
    RUN_DB="$DATA/run.db"
    copy_sqlite_db "$SEEDED" "$RUN_DB"
    RUN_URL="sqlite://$RUN_DB"
else
    # Planner statistics, as autovacuum would have them on a database that
    # grew to N over time; a freshly seeded one has none, and the planner
    # then takes the firm for a handful of rows (a rare search walked all N).
    # The template copy below keeps them.
    psql "$SEED_URL" -qc "VACUUM ANALYZE" >/dev/null
    # A copy from the seeded database as template, for the same reason.
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS clientele_bench_run WITH (FORCE)" \
        -qc "CREATE DATABASE clientele_bench_run TEMPLATE $PG_DB" >/dev/null
    RUN_URL="$PG_SERVER/clientele_bench_run"
fi

# --- (c) start the server ----------------------------------------------------
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
SERVER_LOG="$DATA/server.log"
now_ns() { date +%s%N; }
STARTED_NS="$(now_ns)"
"$BIN" serve --database-url "$RUN_URL" --bind "127.0.0.1:$PORT" \
    --purge-interval-secs 0 --log "${BENCH_LOG:-info}" \
    --rate-limit-per-minute 1000000000 --max-concurrent-requests 100000 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap stop_server EXIT
# Start-up to ready: from exec to the first successful /readyz, polled every 2 ms.
for _ in $(seq 1 5000); do
    curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; echo "server exited" >&2; exit 1; }
    sleep 0.002
done
READY_MS=$(( ($(now_ns) - STARTED_NS) / 1000000 ))
curl -fsS -o /dev/null "$BASE/readyz" || { echo "server not ready" >&2; exit 1; }
if [ "$STORE" = postgres ]; then
    # The server applied any migration the seed predates as it started; one
    # may change what ANALYZE gathers (0005 does), so gather it again.
    psql "$RUN_URL" -qc "ANALYZE" >/dev/null
fi
rss_mb() { awk -v f="$1" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
sleep 1
IDLE_RSS="$(rss_mb VmRSS)"
log "ready in ${READY_MS} ms; idle RSS ${IDLE_RSS} MB"
log "server pid $SERVER_PID on $BASE (log: $SERVER_LOG)"

api() { curl -fsS -H "X-Api-Key: $KEY" "$BASE$1"; }
next_cursor() { sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p'; }
total_of() { sed -n 's/.*"total":\([0-9]*\).*/\1/p'; }

# A deep cursor: walk the default order (-created_at) 100 at a time to the
# middle of the firm's clients, at most 1000 pages in.
PAGES=$((N / 2 / 100)); [ "$PAGES" -gt 1000 ] && PAGES=1000; [ "$PAGES" -lt 1 ] && PAGES=1
CURSOR=""
walk_started=$(date +%s.%N)
for _ in $(seq 1 "$PAGES"); do
    CURSOR="$(api "/v1/clients?limit=100${CURSOR:+&cursor=$CURSOR}" | next_cursor)"
    [ -n "$CURSOR" ] || break
done
walk_secs=$(awk -v a="$walk_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
DEPTH=$((PAGES * 100))
log "deep cursor: after $DEPTH clients ($PAGES pages of 100 in ${walk_secs}s)"

RARE_HITS="$(api "/v1/clients?q=$RARE&limit=1&include_total=exact" | total_of)"
MID_HITS="$(api "/v1/clients?q=$MID&limit=1&include_total=exact" | total_of)"
COMMON_HITS="$(api "/v1/clients?q=$COMMON&limit=1&include_total=exact" | total_of)"
log "q=$RARE matches $RARE_HITS clients; q=$MID $MID_HITS; q=$COMMON $COMMON_HITS"

# --- (d) measure -------------------------------------------------------------
LOAD_PID="$SERVER_PID"   # whose CPU time a case charges to its requests

# The yardstick: bare axum answering a real client's JSON from memory.
run_baseline() {
    local body="$DATA/baseline-body.json" port pid
    api "/v1/clients/$(head -n1 "$IDS")" >"$body"
    port="$(free_port)"
    "$BASELINE" --bind "127.0.0.1:$port" --ids "$IDS" --body "$body" &
    pid=$!
    for _ in $(seq 1 500); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/v1/clients/$(head -n1 "$IDS")" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { echo "the yardstick server exited" >&2; exit 1; }
        sleep 0.01
    done
    local saved="$BASE"
    BASE="http://127.0.0.1:$port"
    LOAD_PID="$pid"
    run_case baseline "bare axum, same JSON from memory (yardstick)" ids "$IDS"
    LOAD_PID="$SERVER_PID"
    BASE="$saved"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

run_get_id() { run_case get_id "GET /v1/clients/{id} (random of $(wc -l <"$IDS"))" ids "$IDS"; }

# The yardstick and get_id, alternated ROUNDS times: keeps the pair of rows
# whose ratio is the median, and logs every round's ratio.
run_yardstick_rounds() {
    local start="${#ROWS[@]}" i ratios=() kept
    for i in $(seq 1 "$ROUNDS"); do
        run_baseline
        run_get_id
        local base="${ROWS[$((start + 2 * i - 2))]}" get="${ROWS[$((start + 2 * i - 1))]}"
        ratios+=("$(awk -v g="$(row_rps "$get")" -v b="$(row_rps "$base")" 'BEGIN { printf "%.4f", (b > 0 ? g / b : 0) }') $i")
    done
    kept="$(printf '%s\n' "${ratios[@]}" | sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')"
    log "GET /v1/clients/{id} against the yardstick, by round: $(printf '%s\n' "${ratios[@]}" | awk '{ printf "%s%.0f%%", sep, 100 * $1; sep = ", " }'); keeping round $kept"
    ROUND_RATIOS="$(printf '%s\n' "${ratios[@]}" | awk '{ printf "%s%.0f", sep, 100 * $1; sep = "," }')"
    local pair=("${ROWS[$((start + 2 * kept - 2))]}" "${ROWS[$((start + 2 * kept - 1))]}")
    ROWS=("${ROWS[@]:0:$start}" "${pair[@]}")
}
ROUND_RATIOS=""
YARDSTICK_DONE=0

for c in $CASES; do
    case "$c" in
        baseline)
            # get_id runs with it, round by round, when both are asked for.
            if [[ " $CASES " == *" get_id "* ]]; then run_yardstick_rounds; YARDSTICK_DONE=1; else run_baseline; fi ;;
        get_id) [ "$YARDSTICK_DONE" = 1 ] || run_get_id ;;
        get_id_wide) run_case get_id_wide "GET /v1/clients/{id} (random of $(wc -l <"$IDS_WIDE"))" ids "$IDS_WIDE" ;;
        list_first) run_case list_first "GET /v1/clients (first page)" path "/v1/clients" ;;
        list_deep) run_case list_deep "GET /v1/clients?cursor= (after $DEPTH)" path "/v1/clients?cursor=$CURSOR" ;;
        search_rare) run_case search_rare "GET /v1/clients?q=$RARE ($RARE_HITS hits)" path "/v1/clients?q=$RARE" ;;
        search_mid) run_case search_mid "GET /v1/clients?q=$MID ($MID_HITS hits)" path "/v1/clients?q=$MID" ;;
        search_common) run_case search_common "GET /v1/clients?q=$COMMON ($COMMON_HITS hits)" path "/v1/clients?q=$COMMON" ;;
        search_selectivity)
            # One case per term of bench_seed's `selectivity_terms`, rarest first.
            for term in $SELECTIVITY_TERMS; do
                hits="$(api "/v1/clients?q=$term&limit=1&include_total=exact" | total_of)"
                run_case "search_$term" "GET /v1/clients?q=$term ($hits hits)" path "/v1/clients?q=$term"
            done ;;
        totals)
            # Totals as lists ask for them: exact up to 10,000, then "more than".
            run_case total_all "GET /v1/clients?include_total=true" path "/v1/clients?include_total=true"
            run_case total_mid "GET /v1/clients?q=$MID&include_total=true" path "/v1/clients?q=$MID&include_total=true"
            run_case total_common "GET /v1/clients?q=$COMMON&include_total=true" path "/v1/clients?q=$COMMON&include_total=true"
            run_case total_common_exact "GET /v1/clients?q=$COMMON&include_total=exact" path "/v1/clients?q=$COMMON&include_total=exact"
            ;;
        create) run_case create "POST /v1/clients (unique emails)" post ;;
        list_first_low) CASE_CONNECTIONS="$LOW" run_case "$c" "GET /v1/clients (first page), $LOW conns" path "/v1/clients" ;;
        search_rare_low) CASE_CONNECTIONS="$LOW" run_case "$c" "GET /v1/clients?q=$RARE, $LOW conns" path "/v1/clients?q=$RARE" ;;
        search_mid_low) CASE_CONNECTIONS="$LOW" run_case "$c" "GET /v1/clients?q=$MID, $LOW conns" path "/v1/clients?q=$MID" ;;
        search_common_low) CASE_CONNECTIONS="$LOW" run_case "$c" "GET /v1/clients?q=$COMMON, $LOW conns" path "/v1/clients?q=$COMMON" ;;
        *) echo "unknown case $c" >&2; exit 2 ;;
    esac
done

# --- report ------------------------------------------------------------------
echo
PEAK_RSS="$(rss_mb VmHWM)"
echo "Clientele benchmark ($STORE): N=$N clients, ${DURATION}s per case, $CONNECTIONS connections, wrk -t$THREADS, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf "$ROW_FORMAT\n" "case" "req/s" "p50 ms" "p99 ms" "max ms" "CPU us/req" "err/non2xx"
printf "$ROW_FORMAT\n" "----" "-----" "------" "------" "------" "----------" "----------"
for row in "${ROWS[@]}"; do echo "$row"; done
echo
echo "CPU us/req = the server's CPU time (all threads) during the case / requests answered."
echo "err = socket errors and timeouts (10 s); non2xx = responses with status >= 400."
echo "start-up to ready: ${READY_MS} ms; RSS idle ${IDLE_RSS} MB, peak under load ${PEAK_RSS} MB"
[ -z "$ROUND_RATIOS" ] || echo "GET /v1/clients/{id} / yardstick req/s by round (%): $ROUND_RATIOS; the table shows the median round"
# For bench/all.sh.
{
    echo "store=$STORE n=$N ready_ms=$READY_MS idle_rss_mb=$IDLE_RSS peak_rss_mb=$PEAK_RSS get_id_rounds_pct=${ROUND_RATIOS:--}"
    for row in "${ROWS[@]}"; do echo "$row"; done
} >"$DATA/result-$STORE-$N.txt"
