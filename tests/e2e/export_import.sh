#!/bin/sh
# coffre import end to end: hand-made archives with every kind of bad
# entry (absolute path, '..', symbolic and hard links, devices, a fifo,
# a name that is not UTF-8, a file over 64 MiB, encrypted zip entries)
# beside good ones, and compression bombs.  Nothing bad lands, the good
# entries do, each refusal is reported, a bomb stops its archive, and a
# second import of the same archive deposits nothing.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need bsdtar python3
start_daemon --open-registration

export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"
mkdir -p "$A" "$T/w"
cd "$T/w"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >init.out' _ "$A"

python3 - <<'EOF'
import io, tarfile, zipfile

def add(t, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)

class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k

with tarfile.open("bad.tar", "w", format=tarfile.GNU_FORMAT,
                  encoding="utf-8", errors="surrogateescape") as t:
    add(t, "good/one.txt", b"good one\n")
    add(t, "/etc/evil", b"absolute\n")
    add(t, "good/../../evil", b"dotdot\n")
    add(t, "link", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    add(t, "hard", type=tarfile.LNKTYPE, linkname="good/one.txt")
    add(t, "dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    add(t, "blk", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
    add(t, "fifo", type=tarfile.FIFOTYPE)
    add(t, "bad\udcff\udcfename.txt", b"not utf-8\n")
    add(t, "ctl\x01name.txt", b"control\n")
    ti = tarfile.TarInfo("huge.bin")
    ti.size = 64 * 1024 * 1024 + 1
    t.addfile(ti, Zeros(ti.size))
    add(t, "good/dir/two.txt", b"good two\n")
    add(t, "./good/three ünïcode.txt", b"good three\n")

# A zip with a UTF-8 name (flagged as such).
with zipfile.ZipFile("utf8.zip", "w") as z:
    z.writestr("dossier/relevé été.txt", b"utf-8 zip\n")

# A zip bomb: 300 MiB of zeros deflates to about 300 KiB.
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("zeros.bin", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(300):
            f.write(chunk)
    z.writestr("after-bomb.txt", b"never imported\n")

# A tar.gz bomb: the same in a compressed tar.
with tarfile.open("bomb.tar.gz", "w:gz") as t:
    ti = tarfile.TarInfo("zeros.bin")
    ti.size = 60 * 1024 * 1024
    t.addfile(ti, Zeros(ti.size))
    add(t, "after-gz-bomb.txt", b"never imported\n")
EOF
check "archives made" test -s bad.tar -a -s bomb.zip -a -s bomb.tar.gz
printf 'plain zip\n' >plain.txt
printf 'secret\n' >secret.txt
check "encrypted zip made" sh -c '
    bsdtar --format zip --options zip:encryption=zipcrypt --passphrase pw \
        -cf enc.zip secret.txt &&
    bsdtar --format zip -cf mixed.zip plain.txt'

check "import of the bad tar exits 1" code 1 alice import --class payslip bad.tar
alice import --class payslip bad.tar >imp.out 2>imp.err
for why in "absolute path" "'..' in path" "symbolic link" "hard link" \
    "device" "named pipe" "name is not valid UTF-8" "control character" \
    "over the size limit"; do
    check "refused: $why" grep -q "$why" imp.err
done
check "refusals never echo raw bytes" sh -c '! grep -q "$(printf "\377")" imp.err'
check "only the good entries landed" python3 - "$A" "$C" <<'EOF'
import json, os, subprocess, sys
env = dict(os.environ, COFFRE_HOME=sys.argv[1])
ls = json.loads(subprocess.run([sys.argv[2], "ls", "--json"], env=env,
                               check=True, capture_output=True).stdout)
names = sorted(e["name"] for e in ls)
assert names == ["good/dir/two.txt", "good/one.txt",
                 "good/three ünïcode.txt"], names
assert all(e["class"] == "payslip" for e in ls)
EOF
check "second import deposits nothing" sh -c '
    COFFRE_HOME="$1" "$C" import --class payslip bad.tar >/dev/null 2>err2;
    grep -q "0 imported, 3 already there" err2 &&
    test "$(COFFRE_HOME="$1" "$C" ls | wc -l)" -eq 3' _ "$A"
id=$(alice ls --json | python3 -c 'import json,sys;print([e["id"] for e in json.load(sys.stdin) if e["name"]=="good/one.txt"][0])')
check "a good entry reads back" sh -c '
    COFFRE_HOME="$1" "$C" get "$2" -o one.out && test "$(cat one.out)" = "good one"' \
    _ "$A" "$id"

check "encrypted zip entry refused (exit 1)" code 1 alice import enc.zip
check "encrypted zip: reason given" sh -c '
    COFFRE_HOME="$1" "$C" import enc.zip 2>&1 | grep -q "encrypted"' _ "$A"
check "plain zip imported" alice import mixed.zip
check "zip with a UTF-8 name imported under that name" sh -c '
    COFFRE_HOME="$1" "$C" import utf8.zip &&
    COFFRE_HOME="$1" "$C" ls | grep -q "dossier/relevé été.txt"' _ "$A"

check "zip bomb stops the archive (exit 1)" code 1 alice import bomb.zip
check "zip bomb: told why" sh -c '
    COFFRE_HOME="$1" "$C" import bomb.zip 2>&1 | grep -q "expands past"' _ "$A"
check "tar.gz bomb stops the archive (exit 1)" code 1 alice import bomb.tar.gz
check "nothing of the bombs landed" sh -c '
    ! COFFRE_HOME="$1" "$C" ls | grep -q -e zeros -e after-' _ "$A"
check "5 documents in all" sh -c '
    test "$(COFFRE_HOME="$1" "$C" ls | wc -l)" -eq 5' _ "$A"
check "not an archive (exit 1)" code 1 alice import init.out
check "nothing extracted into the folder" sh -c '
    ! test -e evil -o -e link -o -e good -o -e ../evil'

finish export_import
