# Helpers for the end-to-end scripts: check NAME CMD..., then finish NAME.
# Prints one line per check and a closing "NAME: N passed, N failed".
export C="${COFFRE_BINDIR:?}/coffre"
export D="${COFFRE_BINDIR:?}/coffred"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
_pass=0
_fail=0
_skip=0

check() {
    _name=$1; shift
    if "$@" >"$T/.out" 2>&1; then
        _pass=$((_pass + 1)); echo "ok   $_name"
    else
        _fail=$((_fail + 1)); echo "FAIL $_name"; sed 's/^/     /' "$T/.out" | tail -n 15
    fi
}

# skip NAME WHY: a check that cannot run here (counted apart, not passed).
skip() {
    _skip=$((_skip + 1)); echo "skip $1: $2"
}

# not CMD...: succeeds when CMD fails.
not() { ! "$@"; }

# code N CMD...: succeeds when CMD exits with status N.
code() { _want=$1; shift; "$@"; [ $? -eq "$_want" ]; }

need() {
    for _t in "$@"; do
        command -v "$_t" >/dev/null 2>&1 || { echo "missing tool: $_t"; exit 1; }
    done
}

finish() {
    if [ $_skip -gt 0 ]; then
        echo "$1: $_pass passed, $_fail failed, $_skip skipped"
    else
        echo "$1: $_pass passed, $_fail failed"
    fi
    [ $_fail -eq 0 ]
}

# start_daemon [ARGS...]: a fresh coffred on a free loopback port with its
# data in $T/data; sets URL and DPID, and stops it when the script exits.
start_daemon() {
    mkdir -p "$T/data" && chmod 700 "$T/data"
    rm -f "$T/port"
    "$D" serve --listen 127.0.0.1:0 --data "$T/data" --port-file "$T/port" \
        "$@" >"$T/daemon.log" 2>&1 &
    DPID=$!
    trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"' EXIT
    _i=0
    while [ ! -s "$T/port" ]; do
        _i=$((_i + 1))
        if [ $_i -gt 200 ] || ! kill -0 $DPID 2>/dev/null; then
            echo "coffred did not start:"; cat "$T/daemon.log"; exit 1
        fi
        sleep 0.05
    done
    URL="http://127.0.0.1:$(cat "$T/port")"
    export URL
}

# stop_daemon: SIGTERM and wait.
stop_daemon() {
    kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
}
