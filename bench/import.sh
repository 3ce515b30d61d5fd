#!/usr/bin/env bash
# Bulk import and export benchmark: a generated CSV of N clients imported
# through a running server with `clientele import` (batch API, events and
# all), then exported with `clientele export` in both formats, on SQLite and
# on PostgreSQL. Prints rows/s, the peak RSS of the server and of the CLI, and
# the server's CPU seconds by thread.
#
#   bench/import.sh [N]                   N rows (default 1000000)
#
# Environment knobs (all optional):
#   BENCH_STORES="sqlite postgres"         stores to run, in order
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432
#                                          the cluster; the run makes (and drops)
#                                          a database clientele_t_importbench
#   BENCH_IMPORT_ARGS="--batch-size 1000"  extra flags for `clientele import`
#   BENCH_BIN=/tmp/clientele-before        a binary to use instead of building
#
# Outputs go to target/bench/data/import-*.txt as well as the terminal.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-1000000}"
STORES="${BENCH_STORES:-sqlite postgres}"
PG_SERVER="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
read -r -a EXTRA <<<"${BENCH_IMPORT_ARGS:-}"
mkdir -p "$DATA"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[import] $*" >&2; }

use_or_build_bin

CSV="$DATA/import-$N.csv"
if [ ! -f "$CSV" ]; then
    log "writing $N rows to $CSV"
    python3 - "$N" "$CSV" <<'PY'
import csv, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus", "Radia", "Tim"]
last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth", "Perlman", "Berners-Lee"]
cities = ["Springfield", "Portland", "Austin", "Boston", "Denver", "Madison"]
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["first_name", "last_name", "email", "phone", "external_id", "address.line1", "address.city", "address.postal_code", "tags"])
    for i in range(n):
        w.writerow([
            rng.choice(first), rng.choice(last), f"client{i}@example.com",
            f"+1212555{i % 10000:04d}", f"crm-{i}", f"{i % 9999 + 1} Main St", rng.choice(cities),
            f"{10000 + i % 89999}", "imported;bench" if i % 3 == 0 else "",
        ])
PY
fi

# peak_rss_kb PID: the high-water mark of a live process's resident set.
peak_rss_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# thread_cpu PID: the CPU seconds a live process's threads have used, summed
# by thread name, busiest first ("sqlite-writer=5.1 tokio-rt-worker=4.7 …").
# Time on a CPU, not wall time: on a VM whose host takes cycles back (steal
# time, up to a third of some hours here) it moves far less than rows/s, so
# it is the figure to compare the writer's cost per row by.
thread_cpu() {
    for t in /proc/"$1"/task/*; do
        printf '%s %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)"
    done | awk '{s[$1] += $2} END {for (c in s) if (s[c] >= 5e7) printf "%s=%.1f\n", c, s[c] / 1e9}' | sort -t= -k2 -rn | tr '\n' ' '
}

# timed CMD…: runs CMD under GNU time, printing "seconds max_rss_kb" on fd 3.
timed() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@"
    cat "$WORK/time" >&3
}

run_store() {
    local store="$1" name=clientele_t_importbench out
    out="$DATA/import-$store-$N.txt"
    # The limit on requests a minute is the server's; an import of 1M rows
    # makes 2,000 batch requests.
    start_store "$store" "$name" --rate-limit-per-minute 1000000
    local base="$BASE"
    export CLIENTELE_API_KEY="$KEY"
    log "$store: importing $N rows"
    # A checkpoint left by an interrupted run would make the import refuse
    # to start (it asks for --resume); every run imports the whole file.
    rm -f "$CSV.clientele-checkpoint"
    local import export_ndjson export_csv
    import="$(timed "$BIN" import clients "$CSV" --server "$base" --rejects "$WORK/rejects.csv" "${EXTRA[@]}" 3>&1 >"$WORK/summary.json" 2>"$WORK/import.log")"
    local server_rss_import; server_rss_import="$(peak_rss_kb "$SERVER_PID")"
    local cpu; cpu="$(thread_cpu "$SERVER_PID")"
    log "$store: exporting (ndjson, then csv)"
    export_ndjson="$(timed "$BIN" export clients --format ndjson --server "$base" 3>&1 >"$WORK/export.ndjson" 2>/dev/null)"
    export_csv="$(timed "$BIN" export clients --format csv --server "$base" 3>&1 >"$WORK/export.csv" 2>/dev/null)"
    local exported; exported="$(wc -l <"$WORK/export.ndjson")"
    local server_rss; server_rss="$(peak_rss_kb "$SERVER_PID")"
    stop_store "$store" "$name"
    python3 - "$store" "$N" "$import" "$export_ndjson" "$export_csv" "$exported" "$server_rss_import" "$server_rss" "$WORK/summary.json" "$cpu" <<'PY' | tee "$out"
import json, sys
store, n, imp, nd, cs, exported, rss_import, rss, summary, cpu = sys.argv[1:]
threads = dict((name, float(s)) for name, s in (t.split("=") for t in cpu.split()))
n, exported = int(n), int(exported)
(ti, mi), (tn, mn), (tc, mc) = [tuple(map(float, x.split())) for x in (imp, nd, cs)]
s = json.load(open(summary))
print(f"{store}: import {n:,} rows in {ti:.1f} s = {n / ti:,.0f} rows/s "
      f"(created {s['created']:,}, rejected {s['rejected']:,}); CLI peak RSS {mi / 1024:.0f} MiB")
print(f"{store}: export ndjson {exported:,} rows in {tn:.1f} s = {exported / tn:,.0f} rows/s (CLI {mn / 1024:.0f} MiB); "
      f"csv {tc:.1f} s = {exported / tc:,.0f} rows/s (CLI {mc / 1024:.0f} MiB)")
print(f"{store}: server peak RSS {float(rss_import) / 1024:.0f} MiB after the import, {float(rss) / 1024:.0f} MiB after the exports")
print(f"{store}: server CPU seconds by thread, to the end of the import: {cpu.strip()}")
writer = threads.get("sqlite-writer")
per_row = f" writer_cpu_us_per_row={writer * 1e6 / n:.0f}" if writer else ""
print(f"RESULT store={store} rows={n} import_s={ti} import_rows_s={n / ti:.0f} export_ndjson_rows_s={exported / tn:.0f} "
      f"export_csv_rows_s={exported / tc:.0f} server_rss_mib={float(rss) / 1024:.0f} cli_rss_mib={max(mi, mn, mc) / 1024:.0f}{per_row}")
PY
    rm -f "$WORK"/export.* "$CSV.clientele-checkpoint"
}

for store in $STORES; do
    run_store "$store"
done
