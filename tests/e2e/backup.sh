#!/bin/sh
# Operator backup end to end: a backup taken while a person deposits
# without pause, restored into an empty folder, is complete up to its
# snapshot: every document acknowledged before it is there, nothing that
# was never acknowledged is, scrub is clean, and a daemon serving the
# restored folder gives the person every document back.  Altered,
# missing or extra members make the restore fail without an index.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need bsdtar sha256sum python3
start_daemon --open-registration

export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
mkdir -p "$A" "$T/w"
cd "$T/w"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >init.out' _ "$A"

for i in $(seq 1 20); do echo "before $i" >"b$i.txt"; done
check "20 documents before the backup" sh -c '
    COFFRE_HOME="$1" "$C" put b*.txt | cut -f1 >before.ids &&
    test "$(wc -l <before.ids)" -eq 20' _ "$A"

# A stream of deposits, one at a time, until told to stop.
(
    i=0
    while [ ! -e stop ]; do
        i=$((i + 1))
        echo "during $i" >"d$i.txt"
        COFFRE_HOME="$A" "$C" put "d$i.txt" 2>/dev/null | cut -f1 >>during.ids
    done
) &
spid=$!
# wait_ids N: until the stream has acknowledged at least N documents.
wait_ids() {
    _w=0
    while [ "$(cat during.ids 2>/dev/null | wc -l)" -lt "$1" ] && [ $_w -lt 600 ]; do
        sleep 0.1; _w=$((_w + 1))
    done
}
wait_ids 1
check "backup while deposits go on" sh -c '
    "$D" backup -o "$1/b.tar" --data "$1/data" --with-key >backup.out &&
    cat backup.out' _ "$T"
wait_ids $(($(wc -l <during.ids) + 1))
touch stop
wait $spid
n=$(sed -n 's/^backup: \([0-9]*\) documents.*/\1/p' backup.out)
check "deposits went on around the backup" sh -c '
    test "$(wc -l <during.ids)" -ge 2 && test "$1" -gt 20' _ "${n:-0}"

check "backup holds no stray member" sh -c '
    bsdtar -tf "$1/b.tar" | grep -v -E "^(coffre-backup.txt|index.sqlite|coffred.key|MANIFEST.sha256|(objects|records)/sha256/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64})$" |
    wc -l | grep -qx 0' _ "$T"
check "sha256sum -c on the extracted backup" sh -c '
    mkdir x && bsdtar -xf "$1/b.tar" -C x && cd x &&
    sha256sum -c --quiet MANIFEST.sha256' _ "$T"
check "backup refuses to overwrite" not "$D" backup -o "$T/b.tar" --data "$T/data"
check "without --with-key, no signing key" sh -c '
    "$D" backup -o "$1/nokey.tar" --data "$1/data" >/dev/null &&
    ! bsdtar -tf "$1/nokey.tar" | grep -q coffred.key' _ "$T"

check "restore into an empty folder" "$D" restore "$T/b.tar" --data "$T/r"
check "restore refuses a folder that is not empty" not "$D" restore \
    "$T/b.tar" --data "$T/r"
check "scrub of the restored folder is clean" "$D" scrub --data "$T/r"

# Altered, missing and extra members: the restore fails, no index.
python3 - "$T/b.tar" <<'EOF'
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
members = [(m, src.extractfile(m).read()) for m in src.getmembers()]
def write(name, ms):
    with tarfile.open(name, "w", format=tarfile.PAX_FORMAT) as t:
        for m, data in ms:
            m = tarfile.TarInfo(m.name); m.size = len(data)
            t.addfile(m, io.BytesIO(data))
obj = next(i for i, (m, _) in enumerate(members) if m.name.startswith("objects/"))
flipped = list(members)
d = bytearray(flipped[obj][1]); d[len(d) // 2] ^= 1
flipped[obj] = (flipped[obj][0], bytes(d))
write("flipped.tar", flipped)
write("missing.tar", members[:obj] + members[obj + 1:])
idx = next(i for i, (m, _) in enumerate(members) if m.name == "index.sqlite")
alt = list(members)
d = bytearray(alt[idx][1]); d[100] ^= 1
alt[idx] = (alt[idx][0], bytes(d))
write("index.tar", alt)
extra = list(members)
extra.insert(2, (tarfile.TarInfo("../evil"), b"x"))
write("extra.tar", extra)
EOF
for bad in flipped missing index extra; do
    check "restore of $bad.tar fails" not "$D" restore "$bad.tar" --data "$T/r.$bad"
    check "no index after a failed restore ($bad)" test ! -e "$T/r.$bad/index.sqlite"
done
check "nothing written outside the folder" test ! -e "$T/evil"

# Serve the restored folder: the person gets every document back.
stop_daemon
mv "$T/data" "$T/orig" && mv "$T/r" "$T/data"
start_daemon --open-registration
python3 - "$A/config.json" "$URL" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["server"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
EOF
alice ls --json >restored.json
check "as many documents as the snapshot" python3 - "${n:-0}" <<'EOF'
import json, sys
ls = json.load(open("restored.json"))
assert len(ls) == int(sys.argv[1]), (len(ls), sys.argv[1])
got = set(e["id"] for e in ls)
before = set(open("before.ids").read().split())
during = set(open("during.ids").read().split())
assert before <= got, "a document acknowledged before the backup is missing"
assert got <= before | during, "a document nobody deposited"
EOF
check "every document reads back" sh -c '
    for id in $(python3 -c "import json;[print(e[\"id\"]) for e in json.load(open(\"restored.json\"))]"); do
        COFFRE_HOME="$1" "$C" get "$id" -o - >/dev/null 2>&1 || exit 1
    done' _ "$A"
check "audit log verifies against the pinned key" alice audit --verify

finish backup
