#!/bin/sh
# Employers end to end against a real daemon: an employer account, a push
# of 300 payslips (some with payroll facts) into six safes, what each
# employee sees, what the employer cannot see, re-runs, a run killed with
# SIGKILL and resumed, an opposition, receipts, and payslips checked with
# the real minisign alone.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need curl flock minisign python3 script sqlite3
start_daemon --open-registration
# The interpreter itself, not a version manager's shim: it runs often.
PY=$(python3 -c 'import sys; print(sys.executable)'); export PY

export COFFRE_PASSPHRASE="une phrase de passe"
SIRET=73282932000074
E="$T/employer"
W="$T/w"
mkdir -p "$W"
cd "$W"
emp() { COFFRE_HOME="$E" "$C" "$@"; }
person() { _p=$1; shift; COFFRE_HOME="$T/p$_p" "$C" "$@"; }
ndocs() { sqlite3 "$T/data/index.sqlite" "SELECT count(*) FROM documents"; }
# csvcol FILE COLUMN: one value per report row (python reads RFC 4180).
cat >"$W/csvcol" <<EOF
#!$PY
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    print(r[sys.argv[2]])
EOF
chmod +x "$W/csvcol"
PATH="$W:$PATH"
# api HOME PATH: GET with that account's cached token; prints the status.
api() {
    _tok=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$1/session.json")
    curl -s -o "$W/api.out" -w '%{http_code}' -H "Authorization: Bearer $_tok" "$URL$2"
}

# Six employees and one employer.
for i in 1 2 3 4 5 6; do
    COFFRE_HOME="$T/p$i" "$C" init --server "$URL" >"$T/p$i.init" 2>&1
    sed -n 's/^Your vault address: //p' "$T/p$i.init" >"$T/v$i"
done
check "six safes" sh -c 'for i in 1 2 3 4 5 6; do test -s "$1/v$i" || exit 1; done' _ "$T"
v1=$(cat "$T/v1")

check "employer init: bad SIRET refused (exit 2)" code 2 env COFFRE_HOME="$T/bad" \
    "$C" init --server "$URL" --kind employer --siret 73282932000075 --name X
check "employer init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" \
    --kind employer --siret "$2" --name "Acme SA" >"$1.init"' _ "$E" "$SIRET"
check "request pending in account list" sh -c \
    '"$D" account list --data "$1/data" | grep "$2" | grep -q pending' _ "$T" "$SIRET"
check "a second request for the same SIRET is refused" not env COFFRE_HOME="$T/dup" \
    "$C" init --server "$URL" --kind employer --siret "$SIRET" --name Other
check "pending employer cannot push (exit 3)" code 3 emp push --manifest /dev/null
check "operator approves" "$D" account approve "$SIRET" --data "$T/data"
check "employer is active" sh -c '"$D" account list --data "$1/data" |
    grep "$2" | grep -q active' _ "$T" "$SIRET"
ekey=$(emp whoami --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["minisign_key"])')
check "employer's minisign key" test -n "$ekey"

# 300 payslips: six vaults x fifty months; payroll facts on three rows.
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/oct" 300 8192
facts() { # facts FILE SIRET YYYY-MM
    cat >"$1" <<EOF
{"schema": "coffre.payroll-facts/1",
 "employer": {"siret": "$2", "name": "Acme SA"},
 "contract": {"start": "2015-01-01", "nature": "01", "unit": "10",
              "reference_quota": 151.67},
 "period": {"start": "$3-01", "end": "$3-28"}, "paid": 151.67}
EOF
}
facts "$W/oct/f1.json" "$SIRET" 2022-01
facts "$W/oct/f2.json" "$SIRET" 2022-02
facts "$W/oct/f3.json" "$SIRET" 2022-03
{
    echo "vault,payslip,payroll facts,period"
    n=1
    for m in $(seq 0 49); do
        per=$(printf '%04d-%02d' $((2022 + m / 12)) $((m % 12 + 1)))
        for i in 1 2 3 4 5 6; do
            f=""
            [ "$i" = 1 ] && [ $m -lt 3 ] && f="oct/f$((m + 1)).json"
            # Lower case and no dashes: push normalises vault addresses.
            v=$(cat "$T/v$i")
            [ "$i" = 2 ] && v=$(echo "$v" | tr -d - | tr 'A-Z' 'a-z')
            echo "$v,oct/payslip-$n.pdf,$f,$per"
            n=$((n + 1))
        done
    done
} >m1.csv
t0=$(date +%s)
check "push 300 rows (exit 0)" emp push --manifest m1.csv --jobs 4 --report r1.csv
t1=$(date +%s)
echo "     (300 rows in $((t1 - t0)) s)"
check "report: 300 ok rows" sh -c 'test "$(csvcol r1.csv status | grep -c "^ok$")" -eq 300'
check "303 documents on the server" test "$(ndocs)" -eq 303
check "payroll facts linked to their payslip" sh -c '
    test "$(csvcol r1.csv facts_document | grep -c .)" -eq 3'
check "receipts verify" emp receipts verify r1.csv
check "receipts verify with the key given" sh -c '
    "$C" receipts verify --key "$(COFFRE_HOME="$1" "$C" info --json |
        "$PY" -c "import json,sys; print(json.load(sys.stdin)[\"signing_key\"])")" r1.csv >/dev/null' _ "$E"

# A receipt checks with minisign alone.
"$PY" -c 'import csv,sys
r = next(csv.DictReader(open("r1.csv", newline="")))
open("receipt.json", "w").write(r["receipt"])
open("receipt.json.minisig", "w").write(r["receipt_signature"])'
skey=$(emp info --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["signing_key"])')
check "minisign verifies a receipt" minisign -Vm receipt.json -P "$skey"

# A tampered receipt fails.
sed 's/""class"":""payslip""/""class"":""other""/' r1.csv >tampered.csv
check "tampered receipt fails (exit 5)" code 5 emp receipts verify tampered.csv
"$PY" -c 'import csv,sys
rows = list(csv.reader(open("r1.csv", newline="")))
h = rows[0]; i = h.index("receipt_signature")
s = rows[5][i].split("\n"); s[3] = s[3][:10] + ("A" if s[3][10] != "A" else "B") + s[3][11:]
rows[5][i] = "\n".join(s)
csv.writer(open("tampered2.csv", "w", newline=""), lineterminator="\n").writerows(rows)'
check "altered receipt signature fails (exit 5)" code 5 emp receipts verify tampered2.csv

# Every employee reads their payslips, signed by the employer.
for i in 1 2 3 4 5 6; do
    want=50; [ $i = 1 ] && want=53
    check "employee $i lists $want documents from $SIRET, signatures ok" sh -c '
        COFFRE_HOME="$1" "$C" ls --json >ls$2.json &&
        "$PY" -c "import json,sys
d = json.load(open(sys.argv[1]))
assert len(d) == int(sys.argv[2]), len(d)
assert all(x[\"depositor\"] == sys.argv[3] and x[\"depositor_kind\"] == \"employer\" and x[\"signature\"] == \"ok\" for x in d)
" ls$2.json "$3" "$4"' _ "$T/p$i" $i $want "$SIRET"
done
"$PY" -c 'import csv
for r in csv.DictReader(open("r1.csv", newline="")):
    print(r["vault"], r["document"], r["payslip"], r["period"])' >docs.txt
# Ten payslips of each employee, downloaded, decrypted and checked.
for i in 1 2 3 4 5 6; do grep "^$(cat "$T/v$i") " docs.txt | head -10; done >get.txt
check "employees get their payslips back, signed by the employer" sh -c '
    while read -r vault doc file per; do
        i=$(grep -l "^$vault\$" "$1"/v? | sed "s/.*v//")
        COFFRE_HOME="$1/p$i" "$C" get "$doc" -o "got-$doc" 2>get.err || exit 1
        cmp -s "got-$doc" "$file" || { echo "$doc differs"; exit 1; }
        grep -q "signed by $2: coffre-payslip-v1?siret:$2?vault:$vault?period:$per?class:payslip?sha256:" get.err ||
            { cat get.err; exit 1; }
    done <get.txt' _ "$T" "$SIRET"
check "an employee cannot read another's payslip (exit 4)" sh -c '
    doc=$(grep "^$2 " docs.txt | head -1 | cut -d" " -f2)
    COFFRE_HOME="$1/p2" "$C" get "$doc" -o nope.pdf; test $? -eq 4' _ "$T" "$v1"

# The employer can neither list nor read what it deposited.
doc1=$(grep "^$v1 " docs.txt | head -1 | cut -d" " -f2)
blob1=$("$PY" -c 'import json,sys
print([x["blob"] for x in json.load(open("ls1.json")) if x["id"] == sys.argv[1]][0])' "$doc1")
check "employer cannot list a vault (404)" test "$(api "$E" "/v1/vaults/$v1/documents")" = 404
check "employer cannot read a document (404)" test "$(api "$E" "/v1/documents/$doc1")" = 404
check "employer cannot read a blob (404)" test "$(api "$E" "/v1/blobs/$blob1")" = 404
check "employer's coffre get fails, nothing written" sh -c '
    ! COFFRE_HOME="$1" "$C" get "$2" -o nope.pdf && test ! -e nope.pdf' _ "$E" "$doc1"

# The payslip verifies with minisign alone, and says whom and when.
check "employee 1 gets a payslip and its signature (get --sig)" \
    person 1 get --sig "$doc1" -o "sig-$doc1.pdf"
check "minisign -Vm payslip with the employer's key" sh -c '
    minisign -Vm "sig-$1.pdf" -P "$2" >mv.out &&
    grep -q "Trusted comment: coffre-payslip-v1	siret:$3	vault:$4	period:2022-01	class:payslip	sha256:" mv.out' \
    _ "$doc1" "$ekey" "$SIRET" "$v1"
# The payroll facts of the first row: signed the same way, linked.
set -- $("$PY" -c 'import csv
r = [x for x in csv.DictReader(open("r1.csv", newline="")) if x["facts_document"]][0]
print(r["document"], r["facts_document"])')
check "payroll facts: got back, signed, linked to their payslip" sh -c '
    COFFRE_HOME="$1" "$C" get --sig "$2" -o facts.json && cmp -s facts.json oct/f1.json &&
    minisign -Vm facts.json -P "$3" | grep -q "class:payroll-facts	payslip:$4	sha256:"' \
    _ "$T/p1" "$2" "$ekey" "$1"
check "minisign refuses it with another key" not minisign -Vm "sig-$doc1.pdf" \
    -P "$skey"

# Re-runs deposit nothing new, with the journal and without it.
check "re-run (exit 0)" sh -c 'COFFRE_HOME="$1" "$C" push --manifest m1.csv --report r1.csv 2>rerun.err' _ "$E"
check "re-run: all rows from the journal" grep -q "0 deposited now, 300 done before" rerun.err
check "re-run: still 303 documents" test "$(ndocs)" -eq 303
check "re-run without journal (exit 0)" sh -c 'COFFRE_HOME="$1" "$C" push --manifest m1.csv --report r1b.csv 2>rerun2.err' _ "$E"
check "re-run without journal: the server knew every row" grep -q "0 deposited now, 0 done before (journal), 300 already on the server" rerun2.err
check "re-run without journal: still 303 documents" test "$(ndocs)" -eq 303
check "same documents in both reports" sh -c 'test "$(csvcol r1.csv document)" = "$(csvcol r1b.csv document)"'

check "a second run on a journal in use is refused" sh -c '
    flock r1.csv.journal sh -c "COFFRE_HOME=\"\$1\" \"\$C\" push --manifest m1.csv \
        --report r1.csv 2>lock.err; test \$? -eq 1" _ "$1" &&
    grep -q "another push is using this journal" lock.err' _ "$E"

# A run killed with SIGKILL in the middle, then resumed.
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/nov" 240 65536
{
    n=1
    for m in $(seq 0 39); do
        for i in 1 2 3 4 5 6; do
            echo "$(cat "$T/v$i"),nov/payslip-$n.pdf,,$(printf '2019-%02d' $((m % 12 + 1)))"
            n=$((n + 1))
        done
    done
} >m2.csv
before=$(ndocs)
COFFRE_HOME="$E" "$C" push --manifest m2.csv --jobs 2 --report r2.csv 2>/dev/null &
ppid_=$!
i=0
while [ "$(cat r2.csv.journal 2>/dev/null | wc -l)" -lt 30 ] && [ $i -lt 3000 ]; do
    sleep 0.01; i=$((i + 1))
done
kill -9 $ppid_ 2>/dev/null
wait $ppid_; st=$?
check "push killed with SIGKILL mid-way" test $st -eq 137
check "the killed push is gone" not kill -0 $ppid_
jl=$(wc -l <r2.csv.journal)
check "journal holds part of the run ($jl of 240)" test "$jl" -ge 30 -a "$jl" -lt 240
check "no report from the killed run" test ! -e r2.csv
check "resumed run (exit 0)" sh -c 'COFFRE_HOME="$1" "$C" push --manifest m2.csv --jobs 3 --report r2.csv 2>resume.err' _ "$E"
check "resumed run: rows from the journal were not redone" grep -q "done before (journal)" resume.err
check "exactly one document per row" test "$(ndocs)" -eq $((before + 240))
check "resumed report: 240 ok rows, 240 distinct documents" sh -c '
    test "$(csvcol r2.csv status | grep -c "^ok$")" -eq 240 &&
    test "$(csvcol r2.csv document | sort -u | grep -c .)" -eq 240'
check "resumed receipts verify" emp receipts verify r2.csv

# Opposition: employee 3 refuses; their row fails, the others pass.
v3=$(cat "$T/v3")
check "employee 3 sees the employer" sh -c 'COFFRE_HOME="$1" "$C" employers |
    grep "$2" | grep -q "Acme"' _ "$T/p3" "$SIRET"
check "oppose: bad SIRET refused (exit 2)" code 2 person 3 employers oppose 12345678901234
check "employee 3 opposes" person 3 employers oppose "$SIRET"
check "employers shows the opposition" sh -c 'COFFRE_HOME="$1" "$C" employers |
    grep "$2" | grep -q OPPOSED' _ "$T/p3" "$SIRET"
check "an opposition to an employer that never deposited is listed" sh -c '
    COFFRE_HOME="$1" "$C" employers oppose 44306184100047 &&
    COFFRE_HOME="$1" "$C" employers --json | "$PY" -c "import json,sys
e = {x[\"siret\"]: x for x in json.load(sys.stdin)}
assert e[\"44306184100047\"][\"documents\"] == 0 and e[\"44306184100047\"][\"opposed_since\"], e
assert e[sys.argv[1]][\"documents\"] == 90 and e[sys.argv[1]][\"name\"] == \"Acme SA\", e
" "$2"' _ "$T/p4" "$SIRET"
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/dec" 6 4096
{
    for i in 1 2 3 4 5 6; do echo "$(cat "$T/v$i"),dec/payslip-$i.pdf,,2026-12"; done
} >m3.csv
before=$(ndocs)
check "push with an opposed vault exits 1" code 1 emp push --manifest m3.csv --report r3.csv
check "the opposed row fails with its own code" sh -c '
    "$PY" -c "import csv,sys
rows = list(csv.DictReader(open(\"r3.csv\", newline=\"\")))
bad = [r for r in rows if r[\"status\"] != \"ok\"]
assert len(rows) == 6 and len(bad) == 1, rows
assert bad[0][\"vault\"] == sys.argv[1] and bad[0][\"error_code\"] == \"opposition\", bad
" "$1"' _ "$v3"
check "the five others were deposited" test "$(ndocs)" -eq $((before + 5))
check "employee 3 allows again" person 3 employers allow "$SIRET"
check "re-run after allow (exit 0)" emp push --manifest m3.csv --report r3.csv
check "one more document, no duplicate" test "$(ndocs)" -eq $((before + 6))

check "progress bar on a terminal only" sh -c '
    COFFRE_HOME="$1" script -qec "\"$C\" push --manifest m3.csv --report r3.csv" \
        /dev/null >tty.out && grep -q "push \[#*\] 6/6 rows" tty.out &&
    COFFRE_HOME="$1" "$C" push --manifest m3.csv --report r3.csv 2>notty.out &&
    ! grep -q "push \[" notty.out' _ "$E"

# A receipt is proof of delivery only under the server key pinned at init:
# with another key pinned, no row counts as delivered.
cp -R "$E" "$T/eimp"
"$PY" -c 'import json,sys
p = sys.argv[1] + "/config.json"; c = json.load(open(p))
c["server_key"] = sys.argv[2]; json.dump(c, open(p, "w"))' "$T/eimp" "$ekey"
check "receipts under another server key: exit 1" code 1 \
    env COFFRE_HOME="$T/eimp" "$C" push --manifest m3.csv --report r7.csv
check "receipts under another server key: bad_receipt on every row" sh -c '
    test "$(csvcol r7.csv error_code | grep -c "^bad_receipt$")" -eq 6'
check "a journal whose receipts fail the pinned key is not trusted" sh -c '
    cp r3.csv.journal r8.csv.journal &&
    ! COFFRE_HOME="$1" "$C" push --manifest m3.csv --report r8.csv &&
    test "$(csvcol r8.csv error_code | grep -c "^bad_receipt$")" -eq 6' _ "$T/eimp"

# A journal line torn by a kill: the run after it resumes, and the entry it
# appends next is not glued to the torn bytes and lost.
{ head -n 1 r3.csv.journal; sed -n 2p r3.csv.journal | head -c 40; } >r9.csv.journal
check "after a torn journal line: resumed, the rest asked again" sh -c '
    COFFRE_HOME="$1" "$C" push --manifest m3.csv --report r9.csv 2>&1 |
        grep -q "0 deposited now, 1 done before (journal), 5 already on the server"' _ "$E"
check "after a torn journal line: every deposit in the journal" sh -c '
    COFFRE_HOME="$1" "$C" push --manifest m3.csv --report r9.csv 2>&1 |
        grep -q "0 deposited now, 6 done before (journal), 0 already"' _ "$E"

# Bad rows: each fails alone, with its line number.
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/bad" 4 4096
echo '{"schema": "coffre.payroll-facts/1"}' >bad/facts.json
facts bad/other.json 12345678200010 2026-09
facts bad/month.json "$SIRET" 2026-08
# CRLF line ends, and a quoted file name holding a comma and a quote.
cp bad/payslip-1.pdf 'bad/pay,"1".pdf'
sed 's/$/\r/' >m4.csv <<EOF
$v1,"bad/pay,""1"".pdf",,2026-09
$v1,bad/missing.pdf,,2026-09
$v1,bad/payslip-2.pdf,,2026-13
ABCD-EFGH-JKMN,bad/payslip-2.pdf,,2026-09
$v1,bad/payslip-2.pdf
"$v1","bad/payslip-3.pdf,,2026-09
EOF
printf '%s\n' "$v1,bad/payslip-3.pdf,bad/facts.json,2026-09" \
    "$v1,bad/payslip-4.pdf,bad/other.json,2026-09" \
    "$v1,bad/payslip-4.pdf,bad/month.json,2026-09" >m5.csv
check "bad rows: exit 1" code 1 emp push --manifest m4.csv --report r4.csv
check "bad rows: codes per line" sh -c '
    "$PY" -c "import csv
got = [(r[\"line\"], r[\"status\"], r[\"error_code\"]) for r in csv.DictReader(open(\"r4.csv\", newline=\"\"))]
want = [(\"1\", \"ok\", \"\"), (\"2\", \"failed\", \"unreadable\"), (\"3\", \"failed\", \"bad_row\"),
        (\"4\", \"failed\", \"bad_row\"), (\"5\", \"failed\", \"bad_row\"), (\"6\", \"failed\", \"bad_row\")]
assert got == want, got
"'
check "report quotes a file name with a comma and a quote" sh -c '
    test "$(csvcol r4.csv payslip | head -1)" = "bad/pay,\"1\".pdf"'
check "bad payroll facts: exit 1" code 1 emp push --manifest m5.csv --report r5.csv
check "bad payroll facts: bad_facts on every row" sh -c '
    test "$(csvcol r5.csv error_code | grep -c "^bad_facts$")" -eq 3'
# A quoted field over the size limit is one bad row, newlines and all: no
# line inside it is taken for a row, and the row after it is not lost.
"$PY" -c 'import sys
v = sys.argv[1]
open("m10.csv", "w").write(v + ",\"" + "x" * 70000 + "\n" + v + ",bad/payslip-4.pdf,,2026-07\n\",,2026-07\n"
    + v + ",bad/payslip-4.pdf,,2026-06\n")' "$v1"
check "an oversized quoted field: exit 1" code 1 emp push --manifest m10.csv --report r10.csv
check "an oversized quoted field: one bad row, the next row pushed" sh -c '
    "$PY" -c "import csv
got = [(r[\"line\"], r[\"period\"], r[\"status\"], r[\"error_code\"]) for r in csv.DictReader(open(\"r10.csv\", newline=\"\"))]
assert got == [(\"1\", \"\", \"failed\", \"bad_row\"), (\"4\", \"2026-06\", \"ok\", \"\")], got
"'
check "a person cannot push (exit 2)" code 2 person 1 push --manifest m3.csv --report r6.csv

# A server closed to registration: init keeps the keys and prints the
# operator's command, which registers the employer from its public keys.
mkdir -p "$T/data2" && chmod 700 "$T/data2"
"$D" serve --listen 127.0.0.1:0 --data "$T/data2" --port-file "$T/port2" \
    --registration closed >"$T/daemon2.log" 2>&1 &
d2=$!
i=0
while [ ! -s "$T/port2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "closed server: init prints the operator's command" sh -c '
    COFFRE_HOME="$1/e2" "$C" init --server "http://127.0.0.1:$(cat "$1/port2")" \
        --kind employer --siret 73282932000074 --name "Acme SA" >"$1/e2.init" &&
    grep -q "coffred account add --kind employer --siret 73282932000074" "$1/e2.init"' _ "$T"
check "closed server: the operator's command registers it" sh -c '
    line=$(grep "coffred account add" "$1/e2.init" | sed "s/^ *coffred//")
    eval "\"\$D\" $line --data \"\$1/data2\"" >/dev/null &&
    "$D" account list --data "$1/data2" | grep 73282932000074 |
        grep active | grep -q " Acme SA$"' _ "$T"
check "closed server: the employer logs in" env COFFRE_HOME="$T/e2" "$C" whoami
kill $d2; wait $d2 2>/dev/null

finish push
