#!/usr/bin/env bash
# Runs bench/run.sh on SQLite and then on PostgreSQL with the same N, and
# writes BENCHMARKS.md: the machine, the versions, the commands and both
# tables side by side, with the ratios the targets are stated in.
#
#   bench/all.sh [N] [PG_N] N clients (default 1000000); PG_N for PostgreSQL
#                           (default N: seeding PostgreSQL runs at a few hundred
#                           creates a second, see BENCHMARKS.md)
#
# Every knob of run.sh (BENCH_DURATION, BENCH_CONNECTIONS, …) applies.
# BENCH_REPORT_ONLY=1 only rewrites BENCHMARKS.md from the last results.
set -euo pipefail

N="${1:-1000000}"
PG_N="${2:-$N}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
DATA="${BENCH_DATA_DIR:-$ROOT/target/bench/data}"
OUT="$ROOT/BENCHMARKS.md"

# BENCH_REPORT_ONLY=1 rewrites BENCHMARKS.md from the last results of each store.
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
    BENCH_STORE=sqlite "$HERE/run.sh" "$N"
    BENCH_STORE=postgres "$HERE/run.sh" "$PG_N"
    # Instruction counts (callgrind) on SQLite; BENCH_INSTRUCTIONS=0 skips them.
    if [ "${BENCH_INSTRUCTIONS:-1}" != 0 ]; then "$HERE/instructions.sh" "$N"; fi
fi

field() { sed -n "1s/.*$1=\([^ ]*\).*/\1/p" "$2"; }
rps() { awk -v c="$1" 'index($0, c) == 1 { n = split($0, a, /  +/); print a[2] + 0; exit }' "$2"; }

SQLITE="$DATA/result-sqlite-$N.txt"
POSTGRES="$DATA/result-postgres-$PG_N.txt"
cpu() { awk -v c="$1" 'index($0, c) == 1 { n = split($0, a, /  +/); print a[6] + 0; exit }' "$2"; }
cpu_ratio() {
    awk -v a="$(cpu "$1" "$3")" -v b="$(cpu "$2" "$3")" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }'
}
ratio() {
    awk -v a="$(rps "$1" "$3")" -v b="$(rps "$2" "$3")" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'
}

# The sections below this line in BENCHMARKS.md come from other scripts (webhooks,
# import, the peer, …) and are kept as they are.
KEPT_MARK='<!-- Sections below this line are not written by bench/all.sh, which keeps them. -->'
KEPT=""
if [ -f "$OUT" ] && grep -qF "$KEPT_MARK" "$OUT"; then
    KEPT="$(awk -v mark="$KEPT_MARK" '$0 == mark { on = 1 } on' "$OUT")"
fi

{
    echo "# Benchmarks"
    echo
    echo "Written by \`bench/all.sh $N\` on $(date -u +%Y-%m-%d). Load generator (wrk) and server on the"
    echo "same machine; every figure in a table comes from one run, so compare within a"
    echo "table (ratios), not across machines or days."
    echo
    echo "## Machine and versions"
    echo
    echo "- CPU: $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n1), $(nproc) cores; memory $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "- Kernel: $(uname -r)"
    echo "- $(rustc --version)"
    echo "- SQLite bundled by libsqlite3-sys $(grep -A1 'name = "libsqlite3-sys"' "$ROOT/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p'); PostgreSQL server $(psql "${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}/postgres" -Atc 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)"
    echo "- $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
    echo "- Settings: ${BENCH_DURATION:-10} s per case, ${BENCH_CONNECTIONS:-64} connections, wrk -t${BENCH_THREADS:-2}; release build"
    echo
    echo "## Results"
    for file in "$SQLITE" "$POSTGRES"; do
        echo
        echo "### $(field store "$file"), N = $(field n "$file") clients in one firm"
        echo
        echo "Start-up to ready: $(field ready_ms "$file") ms. RSS: $(field idle_rss_mb "$file") MB idle, $(field peak_rss_mb "$file") MB peak under the loads below."
        echo "\`GET /v1/clients/{id}\` runs at $(ratio "GET /v1/clients/{id}" "bare axum" "$file") of the bare-axum yardstick's requests/s in the same run,"
        echo "and costs $(cpu_ratio "GET /v1/clients/{id}" "bare axum" "$file") its CPU time per request."
        rounds="$(field get_id_rounds_pct "$file")"
        if [ -n "$rounds" ] && [ "$rounds" != - ]; then
            echo "The two ran alternately, round by round, at $(printf '%s' "$rounds" | sed 's/,/%, /g')% of the yardstick;"
            echo "the table shows the median round."
        fi
        echo
        echo '```'
        printf '%-44s %10s %9s %9s %9s %10s %10s\n' "case" "req/s" "p50 ms" "p99 ms" "max ms" "CPU us/req" "err/non2xx"
        tail -n +2 "$file"
        echo '```'
    done
    INSTRUCTIONS="$DATA/instructions-sqlite-$N.txt"
    if [ -s "$INSTRUCTIONS" ]; then
        echo
        echo "### Instructions per request (sqlite, N = $N)"
        echo
        echo "User-space instructions of all server threads per request, under valgrind's callgrind,"
        echo "one request at a time after 20 warm-up ones (\`bench/instructions.sh\`). They repeat to"
        echo "within 0.1% between runs, so they show changes too small for the req/s above to show;"
        echo "they leave out the kernel's share (TCP, fsync) and all waiting."
        echo
        echo '```'
        printf '%-44s %14s\n' "case" "instr/request"
        tail -n +2 "$INSTRUCTIONS"
        echo '```'
    fi
    echo
    echo "## How to reproduce"
    echo
    echo '```sh'
    echo "bench/all.sh $N $PG_N      # both stores, rewrites this file"
    echo "bench/run.sh $N            # SQLite only, prints the table"
    echo "bench/instructions.sh $N   # instructions per request (callgrind), SQLite"
    echo "BENCH_STORE=postgres bench/run.sh $N"
    echo '```'
    echo
    echo "What each case does, how the data is generated, the targets of issue 7 against these"
    echo "figures, and what was profiled: bench/README.md."
    echo
    if [ -n "$KEPT" ]; then printf '%s\n' "$KEPT"; else echo "$KEPT_MARK"; fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT"
