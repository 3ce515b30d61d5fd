#!/usr/bin/env bash
# Webhook dispatcher benchmark: builds examples/webhook_bench.rs in release
# and runs it on SQLite and on PostgreSQL, then prints one summary table.
# Each run prints its own tables too (throughput of a queued backlog; commit
# to receipt delay at a fixed write rate); see bench/README.md, "Webhooks".
#
#   bench/webhooks.sh                      both stores, the server's defaults
#                                          (8 per subscription, 64 in all)
#
# Environment knobs (all optional):
#   BENCH_STORES="sqlite postgres"         stores to run, in order
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432
#                                          the cluster; each phase makes (and
#                                          drops) a database clientele_t_whbench_…
#   BENCH_WEBHOOK_SWEEP="16/64 32/96"      after the defaults, throughput runs at
#                                          these per_subscription/concurrency pairs
#   BENCH_WEBHOOK_SWEEP_PHASE=throughput   or latency, or both
#   BENCH_WEBHOOK_RATES="250 500"          after the defaults, latency runs at these
#                                          write rates (creates/s), default settings
#   BENCH_WEBHOOK_ARGS="--count 10000"     extra flags for every run (see
#                                          `webhook_bench --help`: --count, --rate,
#                                          --seconds, --poll-ms, --subscriptions, …)
#
# Outputs go to target/bench/data/webhooks-*.txt as well as the terminal.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
# A target dir of its own, so benchmarking never blocks other builds.
export CARGO_TARGET_DIR="$ROOT/target/bench"
DATA="${BENCH_DATA_DIR:-$CARGO_TARGET_DIR/data}"
STORES="${BENCH_STORES:-sqlite postgres}"
PG_SERVER="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
SWEEP="${BENCH_WEBHOOK_SWEEP:-}"
SWEEP_PHASE="${BENCH_WEBHOOK_SWEEP_PHASE:-throughput}"
RATES="${BENCH_WEBHOOK_RATES:-}"
read -r -a EXTRA <<<"${BENCH_WEBHOOK_ARGS:-}"
BENCH="$CARGO_TARGET_DIR/release/examples/webhook_bench"

log() { echo "[webhooks] $*" >&2; }

log "building release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release --quiet --example webhook_bench)
mkdir -p "$DATA"

RESULTS=()
# run STORE PHASE PER_SUBSCRIPTION CONCURRENCY [FLAG…]
run() {
    local store="$1" phase="$2" per="$3" conc="$4" out tag
    shift 4
    tag="$(printf '%s' "$*" | tr -cs 'A-Za-z0-9' '-')"
    out="$DATA/webhooks-$store-$phase-$per-$conc${tag:+-$tag}.txt"
    log "$store: $phase, per_subscription $per, concurrency $conc${1:+, $*}"
    "$BENCH" --store "$store" --postgres "$PG_SERVER" --phase "$phase" \
        --per-subscription "$per" --concurrency "$conc" "${EXTRA[@]}" "$@" | tee "$out"
    RESULTS+=("$(grep '^RESULT ' "$out" | tail -n1)")
}

for store in $STORES; do
    case "$store" in
        sqlite) ;;
        postgres)
            if ! pg_isready -d "$PG_SERVER/postgres" -q 2>/dev/null; then
                log "PostgreSQL is not answering at $PG_SERVER; skipping it"
                continue
            fi ;;
        *) echo "unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
    esac
    run "$store" both 8 64
    for pair in $SWEEP; do
        run "$store" "$SWEEP_PHASE" "${pair%/*}" "${pair#*/}"
    done
    for rate in $RATES; do
        run "$store" latency 8 64 --rate "$rate"
    done
done

# --- summary -----------------------------------------------------------------
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# f RESULT KEY: the value, or - when the run had no such phase.
f() { local v; v="$(field "$1" "$2")"; echo "${v:--}"; }
echo
echo "Webhooks: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ changed since)')"
FORMAT='%-9s %7s %6s %20s %6s %9s %7s %9s %9s %9s\n'
printf "$FORMAT" store per_sub total deliveries/s "rate" "writes/s" failed "p50 ms" "p99 ms" "max ms"
printf "$FORMAT" ----- ------- ----- ------------ ---- -------- ------ ------ ------ ------
for r in "${RESULTS[@]}"; do
    dps="$(field "$r" deliveries_per_s)"
    [ "$(field "$r" throughput_complete)" = false ] && dps="$dps (incomplete)"
    printf "$FORMAT" "$(f "$r" store)" "$(f "$r" per_subscription)" "$(f "$r" concurrency)" \
        "${dps:--}" "$(f "$r" rate)" "$(f "$r" write_rate)" "$(f "$r" write_failed)" "$(f "$r" p50_ms)" "$(f "$r" p99_ms)" "$(f "$r" max_ms)"
done
echo
echo "deliveries/s: a backlog of count x subscriptions deliveries, queued before the dispatcher starts,"
echo "from its start to the last arrival. rate: creates/s asked for; writes/s: creates/s committed;"
echo "failed: creates that failed (the store refused or timed out);"
echo "p50/p99/max: the delay from each create's commit to each receiver's receipt of it."
