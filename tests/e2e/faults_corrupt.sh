#!/bin/sh
# Corruption on the server's disk, found by `coffred scrub` and repaired
# by `coffred reindex`.  Bytes flipped in a payload object, in the record
# object of a document and in that of a grant are each reported with the
# document they belong to; an object deleted, an audit entry altered (on a
# copy of the data) are reported too.  Then pages of index.sqlite are
# overwritten: scrub says the index is damaged, reindex rebuilds it from
# the records, and every document, grant and deletion is as before.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need python3 sqlite3
start_daemon --open-registration
PORT=${URL##*:}
restart() { start_daemon --open-registration --listen "127.0.0.1:$PORT"; }
export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
B="$T/bob"
W="$T/w"
mkdir -p "$W"
cd "$W"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
bob() { COFFRE_HOME="$B" "$C" "$@"; }
q() { sqlite3 "$1" "$2"; }
# flip FILE OFFSET: invert the bits of one byte (twice restores it).
flip() {
    python3 -c 'import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o)
b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
# obj NS HEX: path of an object in namespace objects or records.
obj() { echo "$T/data/$1/sha256/$(echo "$2" | cut -c1-2)/$(echo "$2" | cut -c3-4)/$2"; }

check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >/dev/null' _ "$A"
check "bob init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >"$1.init"' _ "$B"
bv=$(sed -n 's/^Your vault address: //p' "$B.init")
for i in $(seq 1 12); do head -c $((i * 1000)) /dev/urandom >"f$i"; done
check "twelve deposits" alice put f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12
alice ls --json >ls0.json
id() { python3 -c 'import json,sys
print([d["id"] for d in json.load(open("ls0.json")) if d["name"] == sys.argv[1]][0])' "$1"; }
d1=$(id f1); d2=$(id f2); d3=$(id f3); d4=$(id f4); d5=$(id f5); d6=$(id f6)
check "a grant to bob" alice share "$d3" --with "$bv"
check "bob reads it" sh -c 'COFFRE_HOME="$1" "$C" get "$2" -o g3 && cmp -s g3 f3' _ "$B" "$d3"
check "a deletion" alice rm "$d5"
check "a share link" sh -c 'COFFRE_HOME="$1" "$C" link "$2" --uses 5 >link.txt' _ "$A" "$d4"
check "alice's audit verifies" alice audit --verify
alice ls --json >ls1.json
stop_daemon
IDX="$T/data/index.sqlite"
check "scrub clean to begin with" "$D" scrub --data "$T/data"

# One byte flipped in a payload, in a document record, in a grant record.
b1=$(q "$IDX" "SELECT lower(hex(blob)) FROM documents WHERE id = '$d1'")
r2=$(q "$IDX" "SELECT lower(hex(record)) FROM documents WHERE id = '$d2'")
g3=$(q "$IDX" "SELECT lower(hex(g.record)) || ' ' || g.reader FROM grants g
    JOIN documents d ON d.id = g.document WHERE g.document = '$d3'
    AND g.reader != d.vault")
set -- $g3; g3rec=$1; g3reader=$2
flip "$(obj objects "$b1")" 100
flip "$(obj records "$r2")" 30
flip "$(obj records "$g3rec")" 30
check "scrub finds them (exit 1)" code 1 sh -c '"$D" scrub --data "$1/data" >scrub1.out' _ "$T"
check "corrupt payload, with its document" sh -c "
    grep -A1 '^corrupt object sha256:$b1' scrub1.out | grep -q 'used by document $d1'"
check "corrupt document record, with its document" sh -c "
    grep -A1 '^corrupt record sha256:$r2' scrub1.out | grep -q 'record of document $d2'"
check "corrupt grant record, with its document and reader" sh -c "
    grep -A1 '^corrupt record sha256:$g3rec' scrub1.out |
    grep -q 'record of the grant of document $d3 to $g3reader'"
check "three corrupt, nothing else" grep -q "objects [0-9]* corrupt 3 missing 0 quarantined 0 chains [0-9]* broken 0 index ok" scrub1.out
flip "$(obj objects "$b1")" 100
flip "$(obj records "$r2")" 30
flip "$(obj records "$g3rec")" 30
check "bytes restored: scrub clean" "$D" scrub --data "$T/data"

# On a copy: a payload and a record deleted, an audit entry altered.
cp -a "$T/data" "$T/copy"
b6=$(q "$IDX" "SELECT lower(hex(blob)) FROM documents WHERE id = '$d6'")
rm -f "$(obj objects "$b6" | sed "s|/data/|/copy/|")" \
    "$(obj records "$r2" | sed "s|/data/|/copy/|")"
chain=$(q "$IDX" "SELECT vault FROM documents WHERE id = '$d1'")
q "$T/copy/index.sqlite" "UPDATE audit SET detail = detail || 'x'
    WHERE chain = '$chain' AND seq = 2"
check "scrub of the copy (exit 1)" code 1 sh -c '"$D" scrub --data "$1/copy" >scrub2.out' _ "$T"
check "missing payload, with its document" sh -c "
    grep -A1 '^missing object sha256:$b6' scrub2.out | grep -q 'used by document $d6'"
check "missing record, with its document" sh -c "
    grep -A1 '^missing record sha256:$r2' scrub2.out | grep -q 'record of document $d2'"
check "altered audit entry: its chain and entry" grep -q \
    "^broken audit chain $chain at entry 2" scrub2.out

# Pages of the index overwritten: damaged; reindex rebuilds it.
ndoc=$(q "$IDX" "SELECT count(*) FROM documents")
ngr=$(q "$IDX" "SELECT count(*) FROM grants")
python3 -c 'import os, sys
f = open(sys.argv[1], "r+b")
for page in (2, 3, 5):
    f.seek(4096 * (page - 1) + 8); f.write(os.urandom(200))' "$IDX"
check "scrub: the index is damaged (exit 1)" code 1 sh -c \
    '"$D" scrub --data "$1/data" >scrub3.out 2>&1' _ "$T"
check "scrub says to reindex" grep -qi "reindex\|corrupt\|malformed" scrub3.out
check "reindex (exit 0)" sh -c '"$D" reindex --data "$1/data" >reindex.out' _ "$T"
check "reindex: as many documents and grants" sh -c "
    test \"\$(sqlite3 '$IDX' 'SELECT count(*) FROM documents')\" -eq $ndoc &&
    test \"\$(sqlite3 '$IDX' 'SELECT count(*) FROM grants')\" -eq $ngr"
check "scrub clean after reindex" "$D" scrub --data "$T/data"
restart
check "alice lists the same documents" sh -c '
    COFFRE_HOME="$1" "$C" ls --json >ls2.json && python3 -c "import json
k = lambda f: sorted((d[\"id\"], d[\"blob\"], d[\"size\"], d[\"name\"]) for d in json.load(open(f)))
assert k(\"ls1.json\") == k(\"ls2.json\"), (len(k(\"ls1.json\")), len(k(\"ls2.json\")))"' _ "$A"
check "documents read back (the corrupted ones among them)" sh -c '
    for i in 1 2 6 12; do
        d=$(python3 -c "import json,sys
print([d[\"id\"] for d in json.load(open(\"ls0.json\")) if d[\"name\"] == sys.argv[1]][0])" f$i)
        COFFRE_HOME="$1" "$C" get "$d" -o "r$i" 2>/dev/null && cmp -s "r$i" "f$i" || exit 1
    done' _ "$A"
check "the deleted document stays deleted" not alice get "$d5" -o r5
check "bob still reads the document granted to him" sh -c '
    COFFRE_HOME="$1" "$C" get "$2" -o g3b && cmp -s g3b f3' _ "$B" "$d3"
check "share links are not restored (only their hash was kept)" \
    not "$C" fetch "$(cat link.txt | grep -o 'http[^ ]*' | head -1)" -o l4
check "alice's audit chain was kept and still verifies" alice audit --verify
finish faults_corrupt
