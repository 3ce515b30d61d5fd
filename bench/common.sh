# Shell helpers shared by the bench scripts (sourced
# after HERE is set to the bench directory).

# bench_layout N: checks N and sets what both scripts must agree on: the
# target dir, the data dir, the content seed, the server binary and where
# the pristine seeded SQLite database for N lives.
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
