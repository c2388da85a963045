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
    # Under a wrapper, the daemon's own verdict (valgrind's exit status).
    [ -n "${COFFRE_DAEMON_WRAP:-}" ] && stop_daemon
    if [ $_skip -gt 0 ]; then
        echo "$1: $_pass passed, $_fail failed, $_skip skipped"
    else
        echo "$1: $_pass passed, $_fail failed"
    fi
    [ $_fail -eq 0 ]
}

# start_daemon [ARGS...]: a fresh coffred on a free loopback port with its
# data in $T/data; sets URL and DPID, and stops it when the script exits.
# With COFFRE_DAEMON_WRAP set (e.g. "valgrind -q --error-exitcode=99"),
# the daemon runs under that command and finish() checks its exit status.
start_daemon() {
    mkdir -p "$T/data" && chmod 700 "$T/data"
    rm -f "$T/port"
    # shellcheck disable=SC2086 # the wrapper is a list of words
    ${COFFRE_DAEMON_WRAP:-} "$D" serve --listen 127.0.0.1:0 --data "$T/data" \
        --port-file "$T/port" "$@" >"$T/daemon.log" 2>&1 &
    DPID=$!
    trap 'if [ -n "$DPID" ]; then kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; fi; rm -rf "$T"' EXIT
    _i=0
    _max=200
    [ -n "${COFFRE_DAEMON_WRAP:-}" ] && _max=2400
    while [ ! -s "$T/port" ]; do
        _i=$((_i + 1))
        if [ $_i -gt $_max ] || ! kill -0 $DPID 2>/dev/null; then
            echo "coffred did not start:"; cat "$T/daemon.log"; exit 1
        fi
        sleep 0.05
    done
    URL="http://127.0.0.1:$(cat "$T/port")"
    export URL
}

# stop_daemon: SIGTERM and wait; return the daemon's exit status.  Under
# a wrapper that status is the wrapper's verdict (valgrind's), counted as
# a check.
stop_daemon() {
    [ -n "${DPID:-}" ] || return 0
    kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
    _st=$?
    DPID=""
    if [ -n "${COFFRE_DAEMON_WRAP:-}" ]; then
        if [ $_st -eq 0 ]; then
            _pass=$((_pass + 1)); echo "ok   daemon exits cleanly (wrapped)"
        else
            _fail=$((_fail + 1)); echo "FAIL daemon exits cleanly (wrapped): $_st"
            tail -n 40 "$T/daemon.log" | sed 's/^/     /'
        fi
    fi
    return $_st
}
