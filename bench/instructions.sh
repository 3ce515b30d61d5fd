#!/usr/bin/env bash
# Instructions per request: the release server under valgrind's callgrind,
# driven one request at a time by curl, counting the user-space instructions
# of every server thread per request, after a warm-up. Unlike requests/s on
# this noisy machine (±15% between identical runs), the count repeats to
# within 0.1%, so it shows a 2% change in what a request costs. It leaves out
# the kernel (TCP, fsync) and waiting, so it complements run.sh, not replaces it.
#
#   bench/instructions.sh [N]    N as for run.sh (default 100000); SQLite;
#                                reuses run.sh's seeded database (run it first)
#
# Knobs: BENCH_REQUESTS=200 (measured requests per case, after 20 warm-up),
#        BENCH_CASES as below, BENCH_DATA_DIR, BENCH_SEED,
#        BENCH_PROFILE_DIR (keeps each case's profile there as callgrind.CASE,
#        for callgrind_annotate --inclusive=yes).
#   cases: get_id get_id_uncached list_first search_rare search_mid search_common create
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-100000}"
REQUESTS="${BENCH_REQUESTS:-200}"
CASES="${BENCH_CASES:-get_id get_id_uncached list_first search_rare search_mid search_common create}"
SEEDED="$SQLITE_SEEDED"
META="$SEEDED.json"

log() { echo "[instructions] $*" >&2; }

install_if_missing valgrind
[ -s "$META" ] || { echo "no seeded database for N=$N: run bench/run.sh $N first" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet --bin clientele)

read_seed_terms
ID="$(head -n1 "$SEEDED.ids")"

# A copy of its own, so creates never reach the seed or run.sh's copy.
RUN_DB="$DATA/instructions.db"
WORK="$(mktemp -d)"
cleanup() {
    [ -n "${VG_PID:-}" ] && kill "$VG_PID" 2>/dev/null && wait "$VG_PID" 2>/dev/null
    rm -rf "$WORK" "$RUN_DB" "$RUN_DB-wal" "$RUN_DB-shm" "$RUN_DB-serve.lock"
}
trap cleanup EXIT


# post_body I: a new person with a unique email, like bench/clientele.lua's.
post_body() {
    printf '{"first_name":"Load","last_name":"Tester%d","email":"load.%s.%d@bench.example","phone":"(212) 555-%04d","status":"active","tags":["bench"],"address":{"line1":"%d Main St","city":"New York","region":"NY","postal_code":"10001","country":"US"},"custom_fields":{"client_number":"L-%d"}}' \
        "$(($1 % 1000))" "$NONCE" "$1" "$(($1 % 10000))" "$(($1 % 9999 + 1))" "$1"
}

# request I METHOD PATH: one request; fails the run on anything but 2xx.
request() {
    if [ "$2" = POST ]; then
        curl -fsS -o /dev/null -H "X-Api-Key: $KEY" -H "Content-Type: application/json" \
            --data "$(post_body "$1")" "$BASE$3"
    else
        curl -fsS -o /dev/null -H "X-Api-Key: $KEY" "$BASE$3"
    fi
}

# measure NAME METHOD PATH: instructions per request for one case, in a
# server of its own (so one case's caches don't help the next).
measure() {
    local name="$1" method="$2" path="$3" port out
    copy_sqlite_db "$SEEDED" "$RUN_DB"
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    out="$WORK/$name"
    valgrind --tool=callgrind --callgrind-out-file="$out.%p" "$BIN" serve --database-url "sqlite://$RUN_DB" \
        --bind "127.0.0.1:$port" --purge-interval-secs 0 --log "${BENCH_LOG:-info}" \
        --rate-limit-per-minute 1000000000 --max-concurrent-requests 100000 ${SERVER_ARGS:-} >"$WORK/$name.log" 2>&1 &
    VG_PID=$!
    for _ in $(seq 1 1200); do
        curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && break
        kill -0 "$VG_PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
        sleep 0.1
    done
    local i
    for i in $(seq 1 20); do request "$i" "$method" "$path"; done
    callgrind_control --zero "$VG_PID" >/dev/null 2>&1
    for i in $(seq 21 $((20 + REQUESTS))); do request "$i" "$method" "$path"; done
    callgrind_control --dump "$VG_PID" >/dev/null 2>&1
    kill "$VG_PID"; wait "$VG_PID" 2>/dev/null || true
    VG_PID=""
    # The dump after zeroing is part 1: totals of the measured requests only.
    local total
    total="$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$out".*.1 | head -n1)"
    [ -n "$total" ] || { echo "no callgrind totals for $name" >&2; exit 1; }
    if [ -n "${BENCH_PROFILE_DIR:-}" ]; then
        mkdir -p "$BENCH_PROFILE_DIR"
        cp "$out".*.1 "$BENCH_PROFILE_DIR/callgrind.$name"
    fi
    printf '%-44s %14d\n' "$method $4" "$((total / REQUESTS))" >>"$WORK/rows"
}

NONCE="$$$(date +%s)"
log "callgrind, $REQUESTS requests per case after 20 warm-up, N=$N"
for c in $CASES; do
    log "case $c"
    case "$c" in
        get_id) measure "$c" GET "/v1/clients/$ID" "/v1/clients/{id}" ;;
        # The same read with the client cache off: what every cache miss costs.
        get_id_uncached) SERVER_ARGS="--sqlite-client-cache 0" measure "$c" GET "/v1/clients/$ID" "/v1/clients/{id} (no client cache)" ;;
        list_first) measure "$c" GET "/v1/clients" "/v1/clients (first page)" ;;
        search_rare) measure "$c" GET "/v1/clients?q=$RARE" "/v1/clients?q=$RARE" ;;
        search_mid) measure "$c" GET "/v1/clients?q=$MID" "/v1/clients?q=$MID" ;;
        search_common) measure "$c" GET "/v1/clients?q=$COMMON" "/v1/clients?q=$COMMON" ;;
        create) measure "$c" POST "/v1/clients" "/v1/clients (unique emails)" ;;
        *) echo "unknown case $c" >&2; exit 2 ;;
    esac
done

echo
echo "Clientele instructions per request (sqlite): N=$N, $REQUESTS requests per case, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-44s %14s\n' "case" "instr/request"
printf '%-44s %14s\n' "----" "-------------"
cat "$WORK/rows"
{
    echo "n=$N requests=$REQUESTS"
    cat "$WORK/rows"
} >"$DATA/instructions-sqlite-$N.txt"
