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

# json_field NAME: a top-level field of bench_seed's output ($META).
json_field() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$META" | head -n1; }
