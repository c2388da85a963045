#!/bin/sh
# Client runs cut short.  A `coffre export` killed with SIGKILL half-way
# leaves nothing at its output path, and run again makes a complete
# archive that standard tools verify.  An employer's `coffre push` whose
# server is killed with SIGKILL half-way (then restarted) ends, once run
# again, with exactly one document per row.  (A push killed itself is in
# push.sh.)
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need bsdtar sha256sum python3 sqlite3
start_daemon --open-registration
PORT=${URL##*:}
restart() { start_daemon --open-registration --listen "127.0.0.1:$PORT"; }
export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
E="$T/employer"
W="$T/w"
mkdir -p "$W"
cd "$W"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
emp() { COFFRE_HOME="$E" "$C" "$@"; }
ndocs() { sqlite3 "$T/data/index.sqlite" "SELECT count(*) FROM documents"; }
# wait_for CMD...: poll CMD every 10 ms, at most 30 s.
wait_for() {
    _n=0
    until "$@"; do
        _n=$((_n + 1)); [ $_n -gt 3000 ] && return 1; sleep 0.01
    done
}

check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >"$1.init"' _ "$A"
va=$(sed -n 's/^Your vault address: //p' "$A.init")
python3 "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/in" 80 131072
check "alice puts 80 documents" sh -c 'COFFRE_HOME="$1" "$C" put in/*.pdf >/dev/null' _ "$A"

# Export killed once its temp file (beside the output) has grown.
started() { ls -a | grep -q '^\.safe\.tar\.'; }
grown() { test "$(find . -maxdepth 1 -name '.safe.tar.*' -size +256k | wc -l)" -gt 0; }
COFFRE_HOME="$A" "$C" export -o safe.tar 2>/dev/null &
xp=$!
wait_for started && wait_for grown
kill -9 $xp 2>/dev/null
wait $xp; st=$?
check "export killed with SIGKILL mid-way" test $st -eq 137
check "nothing at the output path" test ! -e safe.tar
left=$(ls -a | grep -c '^\.safe\.tar\.')
echo "     ($left temp file left beside it, named .safe.tar.XXXXXX)"
check "export again (exit 0)" alice export -o safe.tar
mkdir x && bsdtar -xf safe.tar -C x
check "the archive is complete: 80 documents, sha256sum -c" sh -c '
    cd x && sha256sum -c --quiet SHA256SUMS && test "$(wc -l <SHA256SUMS)" -eq 80'
check "the archive's manifest lists them all" python3 -c 'import json
assert len(json.load(open("x/manifest.json"))["documents"]) == 80'

# An employer pushes 150 payslips; the daemon is killed under it.
SIRET=73282932000074
check "employer init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" \
    --kind employer --siret "$2" --name "Acme SA" >/dev/null' _ "$E" "$SIRET"
check "operator approves" "$D" account approve "$SIRET" --data "$T/data"
python3 "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/pay" 150 16384
{
    echo "vault,payslip,payroll facts,period"
    for n in $(seq 1 150); do
        echo "$va,pay/payslip-$n.pdf,,$(printf '%04d-%02d' $((2000 + n / 12)) $((n % 12 + 1)))"
    done
} >m.csv
before=$(ndocs)
COFFRE_HOME="$E" "$C" push --manifest m.csv --jobs 3 --report r.csv \
    >push1.out 2>&1 &
pp=$!
journaled() { test "$(cat r.csv.journal 2>/dev/null | wc -l)" -ge 40; }
wait_for journaled
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
mid=$(ndocs)
sleep 0.5
restart
wait $pp; st=$?
echo "     ($((mid - before)) of 150 deposited before the kill)"
check "the run carried on through the restart (exit 0; retries rewind uploads)" test $st -eq 0
check "the push run again (exit 0)" sh -c 'COFFRE_HOME="$1" "$C" push \
    --manifest m.csv --jobs 3 --report r.csv 2>push2.err' _ "$E"
check "exactly one document per row" test "$(ndocs)" -eq $((before + 150))
check "the report: 150 ok rows, 150 distinct documents" python3 -c 'import csv
rows = list(csv.DictReader(open("r.csv", newline="")))
assert len(rows) == 150 and all(r["status"] == "ok" for r in rows), rows[:3]
assert len(set(r["document"] for r in rows)) == 150'
check "alice sees 80 + 150 documents" test "$(alice ls | wc -l)" -eq 230
check "scrub clean" "$D" scrub --data "$T/data"
finish faults_client
