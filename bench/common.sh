# Shell helpers shared by the bench scripts (sourced
# after HERE is set to the bench directory).

# bench_layout N: checks N and sets what the scripts must agree on: the
# target dir, the data dir, the content seed, the server binary and the
# seeder, where the pristine seeded SQLite database for N lives, and the
# load (seconds, connections and wrk threads of a case).
bench_layout() {
    N="$1"
    case "$N" in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
    ROOT="$(dirname "$HERE")"
    # A target dir of its own, so benchmarking never blocks other builds.
    export CARGO_TARGET_DIR="$ROOT/target/bench"
    DATA="${BENCH_DATA_DIR:-$CARGO_TARGET_DIR/data}"
    SEED="${BENCH_SEED:-42}"
    BIN="$CARGO_TARGET_DIR/release/clientele"
    SQLITE_SEEDED="$DATA/seed-$N-$SEED.db"
    SEEDER="$CARGO_TARGET_DIR/release/examples/bench_seed"
    # The load of every wrk case.
    DURATION="${BENCH_DURATION:-10}"
    CONNECTIONS="${BENCH_CONNECTIONS:-64}"
    THREADS="${BENCH_THREADS:-2}"
}

# use_or_build_bin: BIN is $BENCH_BIN (made absolute) when it is set, else
# the release binary, built now. Needs the script's `log`.
use_or_build_bin() {
    if [ -n "${BENCH_BIN:-}" ]; then
        BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
        log "using $BIN (not built here)"
    else
        log "building the release binary"
        cargo build --release --quiet --bin clientele
    fi
}

# read_seed_terms: the admin key and search terms from bench_seed's output ($META).
read_seed_terms() {
    KEY="$(json_field admin_key)"
    RARE="$(json_field rare_term)"
    MID="$(json_field mid_term)"; MID="${MID:-smith}"
    COMMON="$(json_field common_term)"
    # Seeds made before these terms have none; the case is then empty.
    SELECTIVITY_TERMS="$(json_field selectivity_terms)"
}

# copy_sqlite_db FROM TO: replaces TO (and its WAL files) with a copy of FROM.
copy_sqlite_db() {
    rm -f "$2" "$2-wal" "$2-shm" "$2-serve.lock"
    cp "$1" "$2"
    if [ -f "$1-wal" ]; then cp "$1-wal" "$2-wal"; fi
}

# install_if_missing TOOL: installs the Debian package of that name when the
# command is not on PATH.
install_if_missing() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "[bench] $1 not found; installing it (apt-get install $1)" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq "$1" >/dev/null
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port nothing listens on, below the kernel's ephemeral range
# (32768 and up), where wrk's thousands of client sockets would otherwise
# make a bind fail with "address in use".
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))
        if port_free "$port"; then echo "$port"; return; fi
    done
    echo "no free port found" >&2
    return 1
}

# json_field NAME: a top-level field of bench_seed's output ($META).
json_field() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$META" | head -n1; }

# start_store STORE NAME [serve flag…]: a fresh database called NAME on STORE
# (sqlite: a file in $WORK; postgres: a database on $PG_SERVER), a firm in it,
# and `clientele serve` on a free port with the given flags. Sets DB_URL, KEY
# (the firm's admin key), BASE and SERVER_PID.
start_store() {
    local store="$1" name="$2" port
    shift 2
    case "$store" in
        sqlite) DB_URL="sqlite://$WORK/$name.db" ;;
        postgres)
            DB_URL="$PG_SERVER/$name"
            psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
            psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $name"
            ;;
        *) echo "unknown store $store" >&2; return 2 ;;
    esac
    KEY="$("$BIN" firms create --name "Bench" --database-url "$DB_URL" | python3 -c 'import json,sys; print(json.load(sys.stdin)["admin_key"]["secret"])')"
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    "$BIN" serve --database-url "$DB_URL" --bind "127.0.0.1:$port" "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
}

# stop_store STORE NAME: stops the server start_store started and drops its database.
stop_store() {
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    case "$1" in
        sqlite) rm -f "$WORK/$2".db* ;;
        postgres) psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" ;;
    esac
}

# --- seeding (bench_seed, once per N and seed) ---------------------------------
# The caller sets SEEDED (the pristine database, or the stem of a PostgreSQL
# seed's files) and SEEDER; these set META (bench_seed's output, written
# last, so its presence means the seed is complete), IDS (1000 ids spread
# over the firm: hot clients) and IDS_WIDE (up to 100,000: ten times the
# server's client cache).
seed_files() { META="$SEEDED.json"; IDS="$SEEDED.ids"; IDS_WIDE="$SEEDED.ids-wide"; }

# needs_seed: the seed is missing or incomplete, or BENCH_FRESH=1 asks for a new one.
needs_seed() { seed_files; [ "${BENCH_FRESH:-0}" = 1 ] || [ ! -s "$META" ] || [ ! -s "$IDS_WIDE" ]; }

# seed_into URL [FILE…]: seeds N clients into URL (an empty database), after
# removing the old seed's files and the given FILEs made from it.
seed_into() {
    local url="$1"
    shift
    seed_files
    rm -f "$SEEDED" "$SEEDED-wal" "$SEEDED-shm" "$META" "$IDS" "$IDS_WIDE" "$@"
    echo "[bench] seeding $N clients into $url" >&2
    "$SEEDER" --database-url "$url" --count "$N" --seed "$SEED" --ids-file "$IDS_WIDE" --sample 100000 >"$META.tmp"
    awk -v step="$(( $(wc -l <"$IDS_WIDE") / 1000 > 1 ? $(wc -l <"$IDS_WIDE") / 1000 : 1 ))" 'NR % step == 1 || step == 1' "$IDS_WIDE" | head -n 1000 >"$IDS"
    mv "$META.tmp" "$META"
}

# --- load (wrk with bench/clientele.lua) ----------------------------------------
# utime + stime of a process, in clock ticks (fields after the parenthesised name).
# 0 once the process is gone (its case then shows wrk's errors).
pid_ticks() { { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null || echo; } | awk '{ print $12 + $13 }'; }

# wait_idle PID: slow requests go on running in a server after wrk stops; waits
# until PID is idle (under 5% of a core over 0.5 s, at most 30 s) so they don't
# spill into the next case.
wait_idle() {
    [ -r "/proc/$1/stat" ] || { sleep 2; return; }
    local hz before after
    hz="$(getconf CLK_TCK)"
    for _ in $(seq 1 60); do
        before="$(pid_ticks "$1")"; sleep 0.5; after="$(pid_ticks "$1")"
        [ $(((after - before) * 100)) -le $((hz * 5 / 2)) ] && return
    done
    echo "[bench] process $1 still busy after 30 s" >&2
}

ROW_FORMAT='%-44s %10s %9s %9s %9s %10s %10s'
declare -a ROWS=()

# run_case NAME LABEL MODE [ARG]: one wrk run against BASE with the header
# AUTH (default `X-Api-Key: $KEY`), after the processes in IDLE_PIDS (default
# SERVER_PID) are idle; appends a table row to ROWS, with the CPU time of
# LOAD_PID (default SERVER_PID) per request. CASE_CONNECTIONS=n overrides the
# connection count for this case. Needs DURATION, CONNECTIONS and THREADS.
run_case() {
    local name="$1" label="$2"
    shift 2
    local conns="${CASE_CONNECTIONS:-$CONNECTIONS}" load="${LOAD_PID:-$SERVER_PID}" pid
    for pid in ${IDLE_PIDS:-$SERVER_PID}; do wait_idle "$pid"; done
    echo "[bench] case $name: $label (${DURATION}s, $conns connections)" >&2
    local out ticks_before ticks_after
    ticks_before="$(pid_ticks "$load")"
    out="$(BENCH_NONCE="$$-$(date +%s%N)" wrk -t "$THREADS" -c "$conns" -d "${DURATION}s" --timeout 10s \
        -H "${AUTH:-X-Api-Key: $KEY}" -s "$HERE/clientele.lua" "$BASE" -- "$@" 2>&1)" || true
    ticks_after="$(pid_ticks "$load")"
    local line
    line="$(printf '%s\n' "$out" | grep '^RESULT ' | tail -n1)"
    if [ -z "$line" ]; then
        printf '%s\n' "$out" >&2
        ROWS+=("$(printf "$ROW_FORMAT" "$label" "-" "-" "-" "-" "-" "wrk failed")")
        return
    fi
    local -A r=()
    local kv
    for kv in ${line#RESULT }; do r[${kv%%=*}]="${kv#*=}"; done
    local errors=$((r[connect] + r[read] + r[write] + r[timeout]))
    # The server's CPU time (user + system, all threads) over the case, per
    # request answered: what a request costs, whatever wrk took of the cores.
    ROWS+=("$(awk -v l="$label" -v rps="${r[rps]}" -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" \
        -v max="${r[max_us]}" -v e="$errors/${r[status]}" -v n="${r[requests]}" \
        -v ticks="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v fmt="$ROW_FORMAT" \
        'BEGIN { cpu = n > 0 ? ticks / hz * 1e6 / n : 0
                 printf fmt, l, sprintf("%.0f", rps), sprintf("%.2f", p50 / 1000), sprintf("%.2f", p99 / 1000),
                        sprintf("%.2f", max / 1000), sprintf("%.0f", cpu), e }')")
}

# req/s and p99 of a table row (after the 44-character label).
row_rps() { printf '%s\n' "$1" | awk '{ print substr($0, 45, 11) + 0 }'; }
row_p99() { printf '%s\n' "$1" | awk '{ print substr($0, 66, 10) + 0 }'; }
