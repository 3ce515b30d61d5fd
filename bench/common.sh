# Shell helpers shared by bench/run.sh and bench/instructions.sh (sourced).

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
