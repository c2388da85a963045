#!/bin/sh
# Starting on a bad day.  A data directory held by a live daemon refuses a
# second daemon and a reindex, naming the holder; a lock left by a daemon
# killed with SIGKILL (or a lock file naming a dead pid, or garbage) does
# not prevent a start; a missing tmp/ is recreated; a read-only data
# directory, tmp/ or index file stops the start with a clear error and
# exit status 1 before anything listens.  The read-only cases use bind
# mounts (root); without them they are skipped, not passed.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
start_daemon --open-registration
# Restarts keep the port: the client remembers the server's URL.
PORT=${URL##*:}
restart() { start_daemon --open-registration --listen "127.0.0.1:$PORT"; }
export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
L="$T/data/coffred.lock"
ndocs() { COFFRE_HOME="$A" "$C" ls | wc -l; }
check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >/dev/null' _ "$A"
echo one >"$T/f1"
echo two >"$T/f2"
check "a deposit" env COFFRE_HOME="$A" "$C" put "$T/f1"

# serve2 NAME: another coffred on the same data (output in $T/NAME.out).
serve2() {
    "$D" serve --listen 127.0.0.1:0 --data "$T/data" \
        --port-file "$T/$1.port" >"$T/$1.out" 2>&1
}
check "a second daemon on the same data is refused (exit 1)" code 1 serve2 second
check "... naming the live one" grep -q \
    "is in use by another coffred (pid $DPID); stop it first" "$T/second.out"
check "... before it listens" test ! -e "$T/second.port"
check "reindex refused while the daemon runs (exit 1)" code 1 \
    "$D" reindex --data "$T/data"
check "the first daemon still serves" test "$(ndocs)" -eq 1

# SIGKILL: the lock file keeps the dead pid; the next start takes over.
old=$DPID
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
check "the lock file names the killed daemon" grep -qx "$old" "$L"
restart
check "start after SIGKILL" test "$(ndocs)" -eq 1
check "... says the last stop was not clean" grep -q \
    "the previous coffred (pid $old) did not stop cleanly" "$T/daemon.log"
check "the lock file names the new daemon" grep -qx "$DPID" "$L"
stop_daemon
check "a clean stop empties the lock file" test ! -s "$L"
restart
check "after a clean stop, no warning" not grep -q "did not stop cleanly" "$T/daemon.log"
stop_daemon

# A lock file naming a process that is gone, or holding garbage.
gone=$(sh -c 'echo $$')
echo "$gone" >"$L"
restart
check "a lock naming a dead pid ($gone) does not prevent start" test "$(ndocs)" -eq 1
stop_daemon
printf 'not a pid\n\001' >"$L"
restart
check "a lock file holding garbage does not prevent start" test "$(ndocs)" -eq 1
stop_daemon

# A missing tmp/ is made again.
rm -rf "$T/data/tmp"
restart
check "tmp/ recreated at start" test -d "$T/data/tmp"
check "deposits work without the old tmp/" env COFFRE_HOME="$A" "$C" put "$T/f2"
check "both documents listed" test "$(ndocs)" -eq 2
stop_daemon

# Read-only: bind-mount PATH onto itself, read-only.  0 if done.
ro_mount() {
    mount --bind "$1" "$1" 2>/dev/null || return 1
    mount -o remount,ro,bind "$1" 2>/dev/null || { umount "$1"; return 1; }
}
# ro_case NAME PATH WANT: start on a read-only PATH; refused, WANT said.
ro_case() {
    if ! ro_mount "$2"; then
        skip "read-only $1" "cannot bind-mount read-only here (needs root)"
        return
    fi
    check "read-only $1: start refused (exit 1)" code 1 serve2 "ro-$1"
    check "read-only $1: a clear error" grep -q "$3" "$T/ro-$1.out"
    check "read-only $1: never listened" test ! -e "$T/ro-$1.port"
    umount "$2"
}
ro_case "data directory" "$T/data" \
    "cannot create the lock file: Read-only file system (the data directory must be writable)"
ro_case "tmp" "$T/data/tmp" "data/tmp: not writable: Read-only file system"
ro_case "index" "$T/data/index.sqlite" \
    "data/index.sqlite: not writable: Read-only file system"

restart
check "writable again: the daemon serves both documents" test "$(ndocs)" -eq 2
stop_daemon
finish faults_restart
