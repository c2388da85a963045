#!/bin/sh
# Names chosen by others reach the person's terminal without control
# characters: an employer whose display name holds a C1 CSI pushes a
# payslip whose file name holds ESC[8m (hidden text), a tab, a newline
# followed by a forged `coffre ls` row, and a C1 CSI.  `coffre ls`,
# `coffre employers`, `coffre get` (messages and the file name it
# chooses), a service's listing of what was shared with it and the push
# report messages print '?' for each control character and no forged
# line; --json keeps the exact name.  A document named "-" is written as
# "_", never to standard output.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need python3
start_daemon --open-registration
PY=$(python3 -c 'import sys; print(sys.executable)'); export PY

export COFFRE_PASSPHRASE="une phrase de passe"
SIRET=73282932000074
E="$T/employer"; P="$T/person"; S="$T/service"; W="$T/w"
mkdir -p "$W/slips"
cd "$W"
emp() { COFFRE_HOME="$E" "$C" "$@"; }
me() { COFFRE_HOME="$P" "$C" "$@"; }
svc() { COFFRE_HOME="$S" "$C" "$@"; }
# noctl FILE...: fails, showing the offending lines, if a file holds a C0
# control other than the newline ending each line (a tab too), DEL, or a
# C1 control encoded in UTF-8.
cat >"$W/noctl" <<EOF
#!$PY
import re, sys
bad = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
ok = True
for f in sys.argv[1:]:
    for n, line in enumerate(open(f, "rb").read().split(b"\n"), 1):
        if bad.search(line):
            print("%s:%d: %r" % (f, n, line))
            ok = False
sys.exit(0 if ok else 1)
EOF
# jname FILE ID: the "name" of document ID in a `coffre ls --json` output.
cat >"$W/jname" <<EOF
#!$PY
import json, sys
for d in json.load(open(sys.argv[1])):
    if d["id"] == sys.argv[2]:
        sys.stdout.buffer.write(d["name"].encode())
EOF
chmod +x "$W/noctl" "$W/jname"
PATH="$W:$PATH"

# The hostile pieces, as bytes.
ESC=$(printf '\033'); TAB=$(printf '\t'); CSI=$(printf '\302\233')
FORGED="0123456789abcdef  2026-11-28  payslip          1024  ok   FORGED.pdf"
NAME="fiche${ESC}[8m cach$(printf '\303\251')e${TAB}x
${FORGED}${CSI}2K.pdf"
printf '%s' "$NAME" >"$W/name.raw"
check "the name holds ESC, a tab, a newline and a C1 CSI" sh -c '
    test "$(od -An -tx1 "$1" | tr -d " \n" | grep -c "1b5b386d.*09.*0a.*c29b")" = 1
' _ "$W/name.raw"

me init --server "$URL" >"$T/p.init" 2>&1
vault=$(sed -n 's/^Your vault address: //p' "$T/p.init")
check "person's safe" test -n "$vault"
check "employer init (display name with a C1 CSI)" sh -c '
    COFFRE_HOME="$1" "$C" init --server "$URL" --kind employer --siret "$2" \
        --name "Acme$3"2J" SA" >/dev/null 2>&1' _ "$E" "$SIRET" "$CSI"
svc init --server "$URL" --kind service --name cnav >/dev/null 2>&1
check "operator approves the employer" "$D" account approve "$SIRET" --data "$T/data"
check "operator approves the service" "$D" account approve cnav --data "$T/data"
sleep 1

# The payslip under the hostile name; the manifest quotes it (RFC 4180).
printf '%%PDF-1.4\n%% a payslip\n' >"slips/$NAME"
{
    echo "vault,payslip,period"
    printf '%s,"slips/%s",2026-10\n' "$vault" "$NAME"
} >m.csv
check "employer pushes it" sh -c '
    COFFRE_HOME="$1" "$C" push --manifest m.csv --report r.csv \
        >push.out 2>push.err' _ "$E"
check "push output: no control characters" noctl push.out push.err

# coffre ls: one row, '?' for each control, no forged row.
check "ls" sh -c 'COFFRE_HOME="$1" "$C" ls >ls.out 2>ls.err' _ "$P"
check "ls: no control characters" noctl ls.out ls.err
check "ls: exactly one row" test "$(wc -l <ls.out)" -eq 1
check "ls: no forged row" not grep -q "^0123456789abcdef" ls.out
check "ls: the name with '?' for ESC, tab, newline and CSI" grep -qF \
    "fiche?[8m cach$(printf '\303\251')e?x?${FORGED}??2K.pdf  from Acme??2J SA" ls.out
check "ls --json" sh -c 'COFFRE_HOME="$1" "$C" ls --json >ls.json' _ "$P"
check "ls --json: C0, DEL and C1 escaped, none raw" noctl ls.json
did=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' ls.json)
check "ls --json: the CSI as \\u009B" grep -qF 'FORGED.pdf\u009B2K.pdf' ls.json
check "ls --json: the name byte for byte" sh -c '
    jname ls.json "$1" >name.json && cmp -s name.json name.raw' _ "$did"

# coffre employers: the display name with '?' for the CSI.
check "employers" sh -c 'COFFRE_HOME="$1" "$C" employers >emp.out 2>&1' _ "$P"
check "employers: no control characters" noctl emp.out
check "employers: Acme??2J SA" grep -q "Acme??2J SA" emp.out

# coffre get: a file name without controls, messages without them.
mkdir -p got
check "get into a folder" sh -c '
    cd got && COFFRE_HOME="$1" "$C" get "$2" >../get.out 2>../get.err' _ "$P" "$did"
check "get: no control characters in its messages" noctl get.out get.err
check "get: one file, its name made safe" sh -c '
    ls got >got.lst && test "$(wc -l <got.lst)" -eq 1 && noctl got.lst &&
    grep -qF "fiche_[8m cach$(printf "\303\251")e_x_${1}_2K.pdf" got.lst' _ "$FORGED"
check "get: the payslip's bytes" sh -c 'cmp -s got/* "slips/$1"' _ "$NAME"
check "get: the trusted comment's tabs shown as '?'" grep -q \
    "signed by $SIRET: coffre-payslip-v1?siret:$SIRET?vault:$vault?" get.err

# Shared with a service: what the service lists and reads.
printf '%s' '{"not": "a statement"}' >"ev${ESC}[8m${CSI}
${FORGED}.json"
evid=$(me put --class evidence "ev${ESC}[8m${CSI}
${FORGED}.json" 2>put.err | cut -f1)
check "put and ls --class evidence: no control characters" sh -c '
    COFFRE_HOME="$1" "$C" ls --class evidence >lsev.out &&
    noctl lsev.out put.err' _ "$P"
check "the person shares it with the service" me share "$evid" --with cnav
check "service pulls what was shared with it (flagged, exit 5)" code 5 sh -c '
    COFFRE_HOME="$1" "$C" evidence pull >pull.out 2>pull.err' _ "$S"
check "pull: no control characters" noctl pull.out pull.err
check "pull: no forged line" not grep -q "^0123456789abcdef" pull.out pull.err
mkdir -p sgot
check "service gets the shared document" sh -c '
    cd sgot && COFFRE_HOME="$1" "$C" get "$2" >../sget.out 2>../sget.err' _ "$S" "$evid"
check "service get: safe file name, no control characters" sh -c '
    ls sgot >sgot.lst && test "$(wc -l <sgot.lst)" -eq 1 &&
    noctl sgot.lst sget.out sget.err' _

# A document named "-": written under a safe name.
printf 'dash' >"$W/-"
mkdir -p sub
dash=$(cd "$W" && me put ./- | cut -f1)
check "a document named '-'" test -n "$dash"
check "get writes it to '_', not to standard output" sh -c '
    cd sub && COFFRE_HOME="$1" "$C" get "$2" >../dash.out 2>/dev/null &&
    test ! -s ../dash.out && test "$(cat _)" = dash' _ "$P" "$dash"
check "the stored name is exactly '-'" sh -c '
    COFFRE_HOME="$1" "$C" ls --json >all.json &&
    test "$(jname all.json "$2")" = "-"' _ "$P" "$dash"

finish hostile_names
