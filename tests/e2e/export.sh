#!/bin/sh
# coffre export end to end: a safe of 200 documents exported as tar,
# tar.gz and zip, checked with standard tools only (bsdtar, unzip,
# sha256sum, minisign); the manifest lists exactly what `coffre ls` lists;
# a document or an audit entry altered on the server stops the export
# (exit 5) and leaves no archive; --raw gives standard age files that
# import --raw takes back.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need bsdtar unzip sha256sum minisign python3 sqlite3
start_daemon --open-registration

export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
mkdir -p "$A" "$T/w/in/a" "$T/w/in/b"
cd "$T/w"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >init.out' _ "$A"

# 200 documents: 150 payslips, 48 others (one with accents in its name),
# and two with the same name.
python3 - <<'EOF'
import os
for i in range(197):
    with open("in/a/doc%03d.txt" % i, "wb") as f:
        f.write(os.urandom(i * 37) + b"doc %d\n" % i)
open("in/a/relevé été 2019.txt", "wb").write(b"accents\n")
open("in/a/same.pdf", "wb").write(b"first same\n")
open("in/b/same.pdf", "wb").write(b"second same\n")
EOF
check "put 150 payslips" sh -c 'COFFRE_HOME="$1" "$C" put --class payslip \
    in/a/doc0*.txt in/a/doc1[0-4]*.txt >/dev/null' _ "$A"
check "put the others" sh -c 'COFFRE_HOME="$1" "$C" put \
    in/a/doc1[5-9]*.txt in/a/relev*.txt in/a/same.pdf in/b/same.pdf \
    >/dev/null' _ "$A"
check "200 documents listed" sh -c '
    test "$(COFFRE_HOME="$1" "$C" ls | wc -l)" -eq 200' _ "$A"
alice ls --json >ls.json

for fmt in tar tar.gz zip; do
    out="safe.$fmt"
    check "export $fmt" alice export -o "$out"
    case $fmt in
        zip) check "unzip -t $fmt" unzip -tq "$out" ;;
        *) check "bsdtar -tf $fmt" sh -c 'bsdtar -tf "$1" >list.txt &&
               test "$(grep -c "\.minisig$" list.txt)" -eq 200' _ "$out" ;;
    esac
    rm -rf "x.$fmt" && mkdir "x.$fmt"
    check "extract $fmt" bsdtar -xf "$out" -C "x.$fmt"
    check "sha256sum -c $fmt" sh -c 'cd "$1" &&
        sha256sum -c --quiet SHA256SUMS && test "$(wc -l <SHA256SUMS)" -eq 200' \
        _ "x.$fmt"
done

# Every signed document verifies with minisign and the exported key.
check "minisign -V on every document" python3 - x.tar <<'EOF'
import json, subprocess, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
assert len(m["documents"]) == 200, len(m["documents"])
for e in m["documents"]:
    subprocess.run(["minisign", "-Vq", "-p", d + "/" + e["signer"], "-m",
                    d + "/" + e["path"], "-x", d + "/" + e["signature_file"]],
                   check=True)
EOF

check "manifest lists exactly what ls lists" python3 - x.zip ls.json <<'EOF'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))["documents"]
ls = json.load(open(sys.argv[2]))
a = sorted((e["id"], e["name"], e["size"], e["class"], e["blob"]) for e in m)
b = sorted((e["id"], e["name"], e["size"], e["class"], e["blob"]) for e in ls)
assert a == b, (len(a), len(b))
EOF

check "bytes and layout are the originals" python3 - x.tar.gz <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))["documents"]
same = set()
for e in m:
    body = open(d + "/" + e["path"], "rb").read()
    if e["name"] == "same.pdf":
        same.add(body)
    else:
        assert body == open("in/a/" + e["name"], "rb").read(), e["path"]
    assert hashlib.sha256(body).hexdigest() == e["sha256"]
    assert e["path"].startswith(e["class"] + "/20"), e["path"]
assert same == {b"first same\n", b"second same\n"}, same
y = m[0]["created_at"][:4]
paths = set(e["path"] for e in m)
assert {"other/%s/same.pdf" % y, "other/%s/same (2).pdf" % y} <= paths
EOF
check "README tells how to check" grep -q "sha256sum -c SHA256SUMS" x.tar/README.txt
check "audit.jsonl ends with the signed head" sh -c '
    tail -n 1 x.tar/audit.jsonl | grep -q "\"verified\":true" &&
    grep -c "document.deposit" x.tar/audit.jsonl | grep -qx 200'
check "format from --format" sh -c 'COFFRE_HOME="$1" "$C" export --format zip \
    -o safe.bin && unzip -tq safe.bin' _ "$A"
check "unknown format refused (exit 2)" code 2 alice export -o safe.rar
check "existing file never overwritten" not alice export -o safe.tar

# --raw: standard age files; coffre's own key file opens them.
check "export --raw" alice export --raw -o raw.tar
check "raw holds 200 age files" sh -c '
    test "$(bsdtar -tf raw.tar | grep -c "^raw/.*\.age$")" -eq 200'
mkdir -p xr && bsdtar -xf raw.tar -C xr
one=$(python3 -c 'import json;e=json.load(open("x.tar/manifest.json"))["documents"][5];print(e["id"], e["sha256"])')
check "a raw document decrypts with coffre decrypt" sh -c '
    "$C" decrypt -i "$1/key" -o raw.out "xr/raw/$2.age" &&
    test "$(sha256sum <raw.out | cut -c1-64)" = "$3"' _ "$A" $one
check "import --raw" sh -c 'COFFRE_HOME="$1" "$C" import --raw raw.tar \
    >imp1.out 2>&1 && test "$(wc -l <imp1.out)" -ge 200' _ "$A"
check "import --raw again adds nothing" sh -c '
    COFFRE_HOME="$1" "$C" import --raw raw.tar >/dev/null 2>&1 &&
    test "$(COFFRE_HOME="$1" "$C" ls | wc -l)" -eq 400' _ "$A"

# A blob altered on the server: exit 5 and no archive at all.
blob=$(python3 -c 'import json;print(json.load(open("x.tar/manifest.json"))["documents"][42]["blob"][7:])')
obj=$(find "$T/data/objects" -name "$blob" | head -1)
check "blob found on disk" test -f "$obj"
chmod u+w "$obj"
printf '\001' | dd of="$obj" bs=1 seek=20 conv=notrunc 2>/dev/null
check "altered blob: export exits 5" code 5 alice export -o bad.tar
check "altered blob: no archive left" sh -c '! ls -a | grep -q "bad\.tar"'

# An audit entry altered in the server's index: exit 5, no archive.
check "alter an audit entry in the index" sqlite3 "$T/data/index.sqlite" \
    "UPDATE audit SET detail = detail || 'x' WHERE seq = 3"
check "altered audit log: export exits 5" code 5 alice export --format zip \
    -o badlog.zip
check "altered audit log: the log is blamed" sh -c '
    COFFRE_HOME="$1" "$C" export -o badlog.tar >badlog.err 2>&1;
    grep -q "audit entry 3 was altered" badlog.err' _ "$A"
check "altered audit log: no archive left" sh -c '! ls -a | grep -q "badlog\.[tz]"'

finish export
