# Shell helpers shared by bench/run.sh and bench/instructions.sh (sourced
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

# read_seed_terms: the admin key and search terms from bench_seed's output ($META).
read_seed_terms() {
    KEY="$(json_field admin_key)"
    RARE="$(json_field rare_term)"
    MID="$(json_field mid_term)"; MID="${MID:-smith}"
    COMMON="$(json_field common_term)"
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
