#!/bin/sh
# Activity evidence end to end against a real daemon: an employer pushes a
# year of payslips with payroll facts; the person computes periods and
# accrual over the safe (the same as offline on the same facts), runs a
# configured hook over the payslips, publishes a statement to an account
# service, which pulls it and finds the same accrual; after revocation the
# service gets nothing; statements with altered facts, an altered
# accrual, facts signed for another vault or made out to another service
# are flagged with exit code 5, and what they say reaches the service's
# terminal without control characters; payroll facts whose signature the
# server swapped are warnings and left out of the periods and of new
# statements.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need python3 sqlite3 sha256sum
start_daemon --open-registration
PY=$(python3 -c 'import sys; print(sys.executable)'); export PY

export COFFRE_PASSPHRASE="une phrase de passe"
SIRET=73282932000074
E="$T/employer"
P="$T/person"
S="$T/service"
W="$T/w"
mkdir -p "$W"
cd "$W"
emp() { COFFRE_HOME="$E" "$C" "$@"; }
me() { COFFRE_HOME="$P" "$C" "$@"; }
svc() { COFFRE_HOME="$S" "$C" "$@"; }
# jget FILE EXPR: evaluate EXPR on the JSON in FILE (bound to j).
cat >"$W/jget" <<EOF
#!$PY
import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
EOF
chmod +x "$W/jget"
PATH="$W:$PATH"

me init --server "$URL" >"$T/p.init" 2>&1
vault=$(sed -n 's/^Your vault address: //p' "$T/p.init")
check "person's safe" test -n "$vault"
emp init --server "$URL" --kind employer --siret "$SIRET" --name "Acme SA" \
    >/dev/null 2>&1
svc init --server "$URL" --kind service --name cnav >/dev/null 2>&1
check "operator approves the employer" "$D" account approve "$SIRET" --data "$T/data"
check "operator approves the service" "$D" account approve cnav --data "$T/data"
sleep 1

# A year of payslips, each with its payroll facts: 80 % of full time in
# 2016, so 20 h of training rights.
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/slips" 12 4096
mkdir -p facts
{
    echo "vault,payslip,payroll facts,period"
    for m in 1 2 3 4 5 6 7 8 9 10 11 12; do
        per=$(printf '2016-%02d' $m)
        cat >"facts/$per.json" <<EOF
{"schema": "coffre.payroll-facts/1",
 "employer": {"siret": "$SIRET", "name": "Acme SA"},
 "contract": {"start": "2015-01-01", "nature": "01", "unit": "10",
              "reference_quota": 151.67},
 "period": {"start": "$per-01", "end": "$per-28"}, "paid": 121.34}
EOF
        echo "$vault,slips/payslip-$m.pdf,facts/$per.json,$per"
    done
} >m.csv
check "employer pushes 12 payslips with payroll facts" emp push --manifest m.csv --report r.csv

# Online periods and accrual read the safe; offline on the same files
# gives the same result.
check "offline accrual" sh -c '"$C" accrual --from facts/*.json --until 2020 --json >off.json'
t0=$(date +%s%N)
check "online accrual" sh -c 'COFFRE_HOME="$1" "$C" accrual --until 2020 --json >on.json' _ "$P"
t1=$(date +%s%N)
echo "     (24 documents read and checked in $(( (t1 - t0) / 1000000 )) ms)"
check "online accrual = offline accrual" cmp off.json on.json
check "balance 300.00 EUR (20 h converted)" test "$(jget on.json 'j["balance"]["amount"]')" = 300.0
check "2016: ratio 0.8, 20 h" test "$(jget on.json '[(y["ratio"], y["credit"]) for y in j["years"] if y["year"] == 2016][0]')" = "(0.8, 20)"
check "offline periods" sh -c '"$C" periods --from facts/*.json --json >poff.json'
check "online periods" sh -c 'COFFRE_HOME="$1" "$C" periods --json >pon.json' _ "$P"
check "online periods = offline periods" cmp poff.json pon.json
check "12 months" test "$(jget pon.json 'len(j["periods"])')" = 12

# The hook from the configuration runs over every payslip.
cat >"$W/hook" <<EOF
#!/bin/sh
cat >/dev/null
echo "\$COFFRE_DOC_CLASS" >>"$W/hook.log"
echo '{"periods":[]}'
EOF
chmod +x "$W/hook"
"$PY" -c 'import json,sys
c = json.load(open(sys.argv[1])); c["hook"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))' "$P/config.json" "$W/hook"
check "accrual with the configured hook" sh -c 'COFFRE_HOME="$1" "$C" accrual --until 2020 --json >hook.json' _ "$P"
check "the hook saw 12 payslips" test "$(grep -c '^payslip$' "$W/hook.log")" -eq 12
check "same accrual with the hook" cmp off.json hook.json
check "--hook overrides the configuration" sh -c 'COFFRE_HOME="$1" "$C" periods --hook /nonexistent >/dev/null 2>err.txt && grep -q "nonexistent" err.txt' _ "$P"

# Facts the person stores themselves count online (the person signed
# them) but are not evidence: no employer signed them.
sed 's/2016-03/2017-03/g' facts/2016-03.json >own-2017-03.json
check "person stores facts of their own" me put --class payroll-facts own-2017-03.json
check "online periods: 13 months" sh -c 'COFFRE_HOME="$1" "$C" periods --json >p13.json 2>p13.err &&
    test "$(jget p13.json "len(j[\"periods\"])")" = 13' _ "$P"

# Evidence: publish to the service; the service pulls and agrees.
check "publish: bad service name (exit 2)" code 2 me evidence publish --to NotAName
check "publish: unknown service (exit 4)" code 4 me evidence publish --to nobody
check "publish: an employer cannot be the target (exit 2)" code 2 me evidence publish --to "$SIRET"
check "publish" sh -c 'COFFRE_HOME="$1" "$C" evidence publish --to cnav --years 2016-2020 >doc.txt' _ "$P"
doc=$(cat doc.txt)
check "a document id" test -n "$doc"
check "the statement is an evidence document" sh -c 'COFFRE_HOME="$1" "$C" ls --class evidence | grep -q "^$(echo "$2" | cut -c1-16) "' _ "$P" "$doc"
check "the person gets the statement back" me get "$doc" -o statement.json
check "statement schema" test "$(jget statement.json 'j["schema"]')" = coffre.activity-statement/1
check "statement: 12 employer facts, none of the person's" test "$(jget statement.json 'len(j["facts"])')" = 12
check "statement: the accrual as accrual --json prints it" sh -c '
    "$PY" -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"accrual\"], indent=2))" statement.json >st-acc.json &&
    "$PY" -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=2))" off.json >off-acc.json &&
    cmp st-acc.json off-acc.json'
t0=$(date +%s%N)
check "pull (exit 0)" sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull1.txt' _ "$S"
t1=$(date +%s%N)
echo "     (a statement of 12 facts pulled and checked in $(( (t1 - t0) / 1000000 )) ms)"
check "pull: OK with the balance" grep -q "$doc  $vault  2016-2020  300.00 EUR  OK" pull1.txt
check "pull --json" sh -c 'COFFRE_HOME="$1" "$C" evidence pull --json >pull1.json' _ "$S"
check "pull --json: ok, same accrual" test "$(jget pull1.json '(len(j["statements"]), j["statements"][0]["ok"], j["statements"][0]["recomputed_balance"]["amount"])')" = "(1, True, 300.0)"
check "the read is in the person's audit log" sh -c 'COFFRE_HOME="$1" "$C" audit | grep "document.read" | grep -q "$2"' _ "$P" "$doc"
check "a person cannot pull (exit 2)" code 2 me evidence pull
check "a service cannot publish (exit 2)" code 2 svc evidence publish --to cnav

# Revocation: nothing left to pull.
check "revoke" sh -c 'COFFRE_HOME="$1" "$C" evidence revoke --to cnav >rev.txt && grep -q "$2	cnav	revoked" rev.txt' _ "$P" "$doc"
check "pull after revoke: nothing" sh -c 'COFFRE_HOME="$1" "$C" evidence pull --json >pull2.json' _ "$S"
check "no statements" test "$(jget pull2.json 'len(j["statements"])')" = 0
check "the service cannot read the revoked statement" sh -c '! COFFRE_HOME="$1" "$C" get "$2" -o x.json 2>/dev/null' _ "$S" "$doc"

# Another person's facts, signed for their vault.
COFFRE_HOME="$T/p2" "$C" init --server "$URL" >"$T/p2.init" 2>&1
vault2=$(sed -n 's/^Your vault address: //p' "$T/p2.init")
sed 's/2016-03/2016-02/g; s/121.34/140.00/' facts/2016-03.json >facts/other.json
"$PY" "$COFFRE_SRCDIR/tests/e2e/push_pdf.py" "$W/slips3" 1 4096
printf 'vault,payslip,payroll facts,period\n%s,slips3/payslip-1.pdf,facts/other.json,2016-02\n' \
    "$vault2" >m3.csv
check "employer pushes another person's month" emp push --manifest m3.csv --report r3.csv
other=$(COFFRE_HOME="$T/p2" "$C" ls --class payroll-facts | awk 'NR == 1 { print $1 }')
check "the other person gets their signed facts" env COFFRE_HOME="$T/p2" "$C" get "$other" -o other.json --sig

# Altered statements, each signed by the person (so that only the
# employer signatures and the figures give them away).
"$PY" - statement.json <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
a = json.loads(json.dumps(st))
f = a["facts"][0]["facts"].replace('"paid": 121.34', '"paid": 151.67')
assert f != a["facts"][0]["facts"]
a["facts"][0]["facts"] = f
json.dump(a, open("altered-facts.json", "w"), indent=2)
b = json.loads(json.dumps(st))
b["accrual"]["balance"]["amount"] = 900.0
json.dump(b, open("altered-accrual.json", "w"), indent=2)
# Facts signed for another vault, put in place of February's.
c = json.loads(json.dumps(st))
i = [k for k, f in enumerate(c["facts"]) if f["period"] == "2016-02"][0]
c["facts"][i]["facts"] = open("other.json").read()
c["facts"][i]["signature"] = open("other.json.minisig").read()
json.dump(c, open("altered-vault.json", "w"), indent=2)
# A statement made out to another service.
e = json.loads(json.dumps(st))
e["service"] = "other-service"
json.dump(e, open("altered-service.json", "w"), indent=2)
EOF
alt1=$(me put --class evidence altered-facts.json | cut -f1)
alt2=$(me put --class evidence altered-accrual.json | cut -f1)
check "altered statements stored" test -n "$alt1" -a -n "$alt2"
check "share them with the service" sh -c 'COFFRE_HOME="$1" "$C" share "$2" --with cnav && COFFRE_HOME="$1" "$C" share "$3" --with cnav' _ "$P" "$alt1" "$alt2"
check "publish a sound one again" sh -c 'COFFRE_HOME="$1" "$C" evidence publish --to cnav --years 2016-2020 >doc2.txt' _ "$P"
doc2=$(cat doc2.txt)
check "pull flags them (exit 5)" code 5 sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull3.txt' _ "$S"
check "altered facts: FLAGGED" grep -q "$alt1  $vault  2016-2020  300.00 EUR  FLAGGED" pull3.txt
check "altered facts: the employer signature fails" grep -q "facts\[0\] (SIRET $SIRET, 2016-..): the employer signature does not verify" pull3.txt
check "altered facts: one month missing, named" sh -c 'test "$(grep -c "periods\[2016-..*recomputed nothing" pull3.txt)" -eq 1' 
check "altered accrual: FLAGGED" grep -q "$alt2  $vault  2016-2020  900.00 EUR  FLAGGED" pull3.txt
check "altered accrual: the difference is named" grep -q "accrual.balance.amount: stated 900.0, recomputed 300.0" pull3.txt
check "the sound one: OK" grep -q "$doc2  $vault  2016-2020  300.00 EUR  OK" pull3.txt
check "pull --json flags them (exit 5)" code 5 sh -c 'COFFRE_HOME="$1" "$C" evidence pull --json >pull3.json' _ "$S"
check "pull --json: 2 flagged, 1 ok" test "$(jget pull3.json 'sorted(s["ok"] for s in j["statements"])')" = "[False, False, True]"
alt3=$(me put --class evidence altered-vault.json | cut -f1)
alt4=$(me put --class evidence altered-service.json | cut -f1)
alt5=$(me put --class evidence slips/payslip-1.pdf | cut -f1)
check "share three more" sh -c 'for d in "$2" "$3" "$4"; do COFFRE_HOME="$1" "$C" share "$d" --with cnav || exit 1; done' _ "$P" "$alt3" "$alt4" "$alt5"
check "pull flags them too (exit 5)" code 5 sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull5.txt' _ "$S"
check "facts signed for another vault: FLAGGED" grep -q "$alt3  $vault  2016-2020  300.00 EUR  FLAGGED" pull5.txt
check "facts signed for another vault: named" grep -q "(SIRET $SIRET, 2016-02): signed for another vault" pull5.txt
check "made out to another service: FLAGGED" grep -q "the statement is for service other-service" pull5.txt
check "not a statement: FLAGGED" grep -q "not a valid statement: not an activity statement" pull5.txt
# Text the person wrote into a statement reaches the service's terminal
# as one plain line per difference: no line end that forges a line, no
# escape that hides "FLAGGED" (ESC[8m conceals what follows).
"$PY" - statement.json <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
st["accrual"]["balance"]["unit"] = "\u001b[8m"
st["periods"][0]["month"] = "\nFORGED"
st["periods"][1]["siret"] = "\u001b[8m\u009b8m"
json.dump(st, open("altered-text.json", "w"), indent=2)
EOF
alt6=$(me put --class evidence altered-text.json | cut -f1)
check "share a statement with control characters" me share "$alt6" --with cnav
check "pull flags it (exit 5)" code 5 sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull7.txt' _ "$S"
check "its line: FLAGGED" grep -q "^$alt6  $vault  2016-2020  .*FLAGGED$" pull7.txt
check "no control character in the output" sh -c '! LC_ALL=C grep -q "[[:cntrl:]]" pull7.txt'
check "no C1 control in the output" sh -c '! grep -q "$(printf "\302\233")" pull7.txt'
check "no line forged" sh -c '! grep -q "^FORGED" pull7.txt'
check "revoke it" sh -c 'COFFRE_HOME="$1" "$C" evidence revoke "$2" >/dev/null' _ "$P" "$alt6"

# Revoking one statement by id leaves the others.
check "revoke one by id" sh -c 'COFFRE_HOME="$1" "$C" evidence revoke "$2" >/dev/null' _ "$P" "$alt1"
check "pull: five left" sh -c 'COFFRE_HOME="$1" "$C" evidence pull --json >pull4.json; test "$(jget pull4.json "len(j[\"statements\"])")" = 5' _ "$S"
check "revoke: not a statement (exit 2)" code 2 me evidence revoke "$(me ls --class payslip | awk 'NR == 1 { print $1 }')"
# The server swaps signatures under the person's payroll facts.  A valid
# employer signature whose trusted comment names another vault, and a
# signature of other bytes, are warnings; those months are not used.
me ls --json >ls.json
fid() { jget ls.json "[d['id'] for d in j if d['name'] == '$1'][0]"; }
f05=$(fid 2016-05.json); f06=$(fid 2016-06.json); f07=$(fid 2016-07.json)
ekeyfile=$(jget "$E/config.json" 'j["key_file"]')
tc=$(printf 'coffre-payroll-facts-v1\tsiret:%s\tvault:%s\tperiod:2016-05\tclass:payroll-facts\tsha256:%s' \
    "$SIRET" "$vault2" "$(sha256sum facts/2016-05.json | cut -d' ' -f1)")
check "a valid employer signature for another vault" "$C" sign -k "$ekeyfile" -t "$tc" \
    -x wrong-vault.minisig facts/2016-05.json
check "the server swaps two signatures" sh -c '
    sqlite3 "$1" "UPDATE documents SET signature = readfile(\"$2\") WHERE id = \"$3\";
        UPDATE documents SET signature = (SELECT signature FROM documents WHERE id = \"$5\")
        WHERE id = \"$4\";"' _ "$T/data/index.sqlite" "$W/wrong-vault.minisig" "$f05" "$f06" "$f07"
check "online periods: two months left out" sh -c 'COFFRE_HOME="$1" "$C" periods --json >p11.json 2>p11.err &&
    test "$(jget p11.json "len(j[\"periods\"])")" = 11' _ "$P"
check "warning: signed for another vault, not used" grep -q \
    "warning: $f05 (2016-05.json): employer signature: signed for another vault; not used" p11.err
check "warning: the signature does not verify, not used" grep -q \
    "warning: $f06 (2016-06.json): the signature does not verify; not used" p11.err
check "a statement leaves them out too" sh -c 'COFFRE_HOME="$1" "$C" evidence publish --to cnav --years 2016-2020 >doc3.txt 2>/dev/null' _ "$P"
check "the service agrees with the smaller statement" sh -c 'COFFRE_HOME="$1" "$C" evidence revoke "$2" "$3" "$4" "$6" "$7" >/dev/null &&
    COFFRE_HOME="$5" "$C" evidence pull --json >pull6.json &&
    test "$(jget pull6.json "[(s[\"ok\"], len(s[\"differences\"])) for s in j[\"statements\"]]")" = "[(True, 0)]"' \
    _ "$P" "$alt2" "$alt3" "$alt4" "$S" "$doc2" "$alt5"
check "10 facts in it" sh -c 'COFFRE_HOME="$1" "$C" get "$(cat doc3.txt)" -o st3.json && test "$(jget st3.json "len(j[\"facts\"])")" = 10' _ "$P"
# A directory that fails to answer is not a directory that does not know
# the vault or the employer: the pull stops with an error, and flags
# nothing.  A proxy answers 503 for the paths listed in $W/fail.
cat >"$W/proxy" <<EOF
#!$PY
import http.client, http.server, os, sys, threading, urllib.parse
up = urllib.parse.urlsplit(sys.argv[1])
threading.Timer(300, lambda: os._exit(1)).start()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        for p in open(sys.argv[2]).read().split():
            if self.path.startswith(p):
                return self.reply(503, [("Content-Type", "application/json")],
                    b'{"error":{"code":"unavailable","message":"busy"}}')
        c = http.client.HTTPConnection(up.hostname, up.port)
        c.request(self.command, self.path, body, {k: v for k, v in
            self.headers.items() if k.lower() not in ("host", "connection")})
        r = c.getresponse()
        data = r.read()
        self.reply(r.status, [(k, v) for k, v in r.getheaders() if k.lower()
            not in ("transfer-encoding", "connection", "content-length")], data)
    do_GET = do_POST = do_PUT = do_DELETE = do_any
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[3] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
s.serve_forever()
EOF
chmod +x "$W/proxy"
: >"$W/fail"
"$W/proxy" "$URL" "$W/fail" "$W/proxy.port" &
proxy=$!
_i=0
while [ ! -s "$W/proxy.port" ] && [ $_i -lt 200 ]; do _i=$((_i + 1)); sleep 0.05; done
cp -R "$S" "$T/s2"
"$PY" -c 'import json,sys
c = json.load(open(sys.argv[1])); c["server"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))' "$T/s2/config.json" "http://127.0.0.1:$(cat "$W/proxy.port")"
check "pull through the proxy: OK" sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull8.txt && grep -q "  OK$" pull8.txt' _ "$T/s2"
echo /v1/directory/employers/ >"$W/fail"
check "employer directory unavailable: an error (exit 1), not a flag" code 1 sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull9.txt 2>pull9.err' _ "$T/s2"
check "employer directory unavailable: not said to be absent" sh -c '! grep -q "not in the directory" pull9.txt && ! grep -q FLAGGED pull9.txt && grep -q "HTTP 503" pull9.err'
echo /v1/directory/vaults/ >"$W/fail"
check "vault directory unavailable: an error (exit 1), not a flag" code 1 sh -c 'COFFRE_HOME="$1" "$C" evidence pull >pull10.txt 2>pull10.err' _ "$T/s2"
check "vault directory unavailable: not said to be absent" sh -c '! grep -q "not in the directory" pull10.txt && ! grep -q FLAGGED pull10.txt && grep -q "HTTP 503" pull10.err'
kill "$proxy" 2>/dev/null
wait "$proxy" 2>/dev/null
finish evidence
