# Helpers for the end-to-end scripts: check NAME CMD..., then finish NAME.
# Prints one line per check and a closing "NAME: N passed, N failed".
export C="${COFFRE_BINDIR:?}/coffre"
export D="${COFFRE_BINDIR:?}/coffred"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
_pass=0
_fail=0

check() {
    _name=$1; shift
    if "$@" >"$T/.out" 2>&1; then
        _pass=$((_pass + 1)); echo "ok   $_name"
    else
        _fail=$((_fail + 1)); echo "FAIL $_name"; sed 's/^/     /' "$T/.out" | tail -n 15
    fi
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
    echo "$1: $_pass passed, $_fail failed"
    [ $_fail -eq 0 ]
}
