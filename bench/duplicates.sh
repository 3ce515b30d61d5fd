#!/usr/bin/env bash
# Duplicates benchmark: N clients, a share of them planted duplicates of
# earlier ones (same email in another field, same phone, same name and date
# of birth, a misspelt name at the same company domain), imported through a
# running server with `clientele import` (so the match keys are written as
# every client write writes them), then the time of the first page of
# `GET /v1/clients/duplicates` (target: <= 2 s on SQLite at 1,000,000) and
# of a walk of the first pages.
#
#   bench/duplicates.sh [N]                N rows (default 1000000)
#
# Environment knobs (all optional):
#   BENCH_STORES="sqlite"                  stores to run, in order (or "sqlite postgres")
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432
#                                          the cluster; the run makes (and drops)
#                                          a database clientele_t_dupbench
#   BENCH_DUP_RATE=0.03                    share of rows planted as duplicates
#                                          (0: none, the worst case for a first page)
#   BENCH_PAGES=10                         pages walked after the first
#   BENCH_BIN=target/debug/clientele       a binary to use instead of building
#                                          the release one (for a quick try at
#                                          small N; the figures are not release ones)
#
# Outputs go to target/bench/data/duplicates-*.txt as well as the terminal.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/common.sh
source "$HERE/common.sh"
bench_layout "${1:-1000000}"
STORES="${BENCH_STORES:-sqlite}"
PG_SERVER="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
RATE="${BENCH_DUP_RATE:-0.03}"
PAGES="${BENCH_PAGES:-10}"
mkdir -p "$DATA"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[duplicates] $*" >&2; }

use_or_build_bin

CSV="$DATA/duplicates-$N-$RATE.csv"
if [ ! -f "$CSV" ]; then
    log "writing $N rows to $CSV (planted duplicates: $RATE)"
    python3 - "$N" "$CSV" "$RATE" <<'PY'
import csv, random, sys
n, path, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
rng = random.Random(42)
first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus", "Radia", "Tim",
         "John", "Mary", "James", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Nancy", "Maria", "José"]
syll = ["ba", "ko", "ri", "sta", "mel", "dor", "vin", "th", "al", "ne", "gur", "pa", "son", "ley", "ford", "man", "berg", "li"]
def surname():
    return "".join(rng.choice(syll) for _ in range(rng.randint(2, 3))).capitalize()
public = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com"]
def domain():
    return rng.choice(public) if rng.random() < 0.7 else f"firm{rng.randrange(20000)}.com"
def phone():
    return f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randrange(10000):04d}"
def dob():
    return f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.6 else ""
def typo(name):
    i = rng.randrange(1, len(name))
    return name[:i] + name[i + 1:] if len(name) > 3 else name + "e"
rows = []
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["first_name", "last_name", "email", "other_emails", "phone", "other_phones", "date_of_birth"])
    for i in range(n):
        row = [rng.choice(first), surname(), f"c{i}@{domain()}", "", phone(), "", dob()]
        if rows and rng.random() < rate:
            old = rows[rng.randrange(len(rows))]
            kind = rng.randrange(4)
            if kind == 0:
                row[3] = old[2].upper()  # the same address, in another field
            elif kind == 1:
                row[5] = old[4]  # the same phone, in another field
            elif kind == 2:
                row[0], row[1], row[6] = old[0], old[1], old[6] or "1970-01-01"
            else:
                row[0], row[1] = old[0], typo(old[1])
                row[2] = f"c{i}@{old[2].split('@')[1]}"
        if len(rows) < 200_000:
            rows.append(row)
        w.writerow(row)
PY
fi

# first_page PATH: seconds for one GET (curl's total time).
get_time() { curl -fs -o "$WORK/page.json" -w '%{time_total}' -H "X-Api-Key: $KEY" "$1"; }

run_store() {
    local store="$1" name=clientele_t_dupbench out
    out="$DATA/duplicates-$store-$N.txt"
    start_store "$store" "$name" --rate-limit-per-minute 1000000 --purge-interval-secs 0
    local base="$BASE"
    export CLIENTELE_API_KEY="$KEY"
    log "$store: importing $N rows"
    local t0 t1; t0=$(date +%s.%N)
    "$BIN" import clients "$CSV" --server "$base" --rejects "$WORK/rejects.csv" >"$WORK/summary.json" 2>"$WORK/import.log"
    t1=$(date +%s.%N)
    log "$store: first pages of /v1/clients/duplicates"
    local cold warm=() walk=() cursor="" t groups=0
    cold="$(get_time "$base/v1/clients/duplicates")"
    for _ in 1 2 3 4 5; do warm+=("$(get_time "$base/v1/clients/duplicates")"); done
    for _ in $(seq 1 "$PAGES"); do
        t="$(get_time "$base/v1/clients/duplicates?limit=100${cursor:+&cursor=$cursor}")"
        walk+=("$t")
        groups=$((groups + $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]))' "$WORK/page.json")))
        cursor="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pagination"]["next_cursor"] or "")' "$WORK/page.json")"
        [ -z "$cursor" ] && break
    done
    stop_store "$store" "$name"
    python3 - "$store" "$N" "$RATE" "$BIN" "$t0" "$t1" "$cold" "${warm[*]}" "${walk[*]}" "$groups" "$WORK/summary.json" <<'PY' | tee "$out"
import json, statistics, sys
store, n, rate, binary, t0, t1, cold, warm, walk, groups, summary = sys.argv[1:]
n, cold, groups = int(n), float(cold), int(groups)
warm = [float(x) for x in warm.split()]
walk = [float(x) for x in walk.split()]
s = json.load(open(summary))
print(f"{store}: {n:,} clients ({s['created']:,} created, {s['rejected']:,} rejected; planted duplicates {rate}) "
      f"imported in {float(t1) - float(t0):.1f} s with {binary}")
print(f"{store}: first page (25 groups): {cold * 1000:.0f} ms cold, median {statistics.median(warm) * 1000:.0f} ms of {len(warm)} more")
print(f"{store}: walk of {len(walk)} pages of 100: {groups:,} groups, slowest page {max(walk) * 1000:.0f} ms, "
      f"median {statistics.median(walk) * 1000:.0f} ms")
print(f"RESULT store={store} rows={n} rate={rate} first_page_cold_ms={cold * 1000:.0f} "
      f"first_page_median_ms={statistics.median(warm) * 1000:.0f} walk_max_ms={max(walk) * 1000:.0f} target_met={cold <= 2.0}")
PY
}

for store in $STORES; do
    run_store "$store"
done
