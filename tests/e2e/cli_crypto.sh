#!/bin/sh
# The offline commands against the reference tools: coffre <-> age,
# coffre <-> minisign; errors leave nothing behind.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need age age-keygen minisign

export COFFRE_PASSPHRASE="correct horse battery staple"
cd "$T"

# keygen
check "keygen writes a key file and prints both public keys" \
    sh -c '"$C" keygen -o me.key >keygen.out 2>/dev/null &&
           grep -q "^age recipient: age1" keygen.out &&
           grep -q "^minisign public key: RW" keygen.out'
rcpt=$(sed -n 's/^age recipient: //p' keygen.out)
check "key file is mode 0600" test "$(stat -c %a me.key)" = 600
check "keygen refuses to overwrite" not "$C" keygen -o me.key
check "keygen refuses a work factor below 10" \
    not "$C" keygen -o low.key --work-factor 9

# encrypt/decrypt round trips at chunk boundaries
for n in 0 1 65535 65536 65537 200000; do
    head -c $n /dev/urandom >p$n
    check "round trip $n bytes" sh -c '
        "$C" encrypt -r "$1" -o c$2 p$2 &&
        "$C" decrypt -i me.key -o d$2 c$2 && cmp -s p$2 d$2' _ "$rcpt" $n
done

# interop: our file, their decryptor; their file, our decryptor
age-keygen -o ageid.txt 2>/dev/null
agercpt=$(age-keygen -y ageid.txt)
check "coffre encrypt -> age -d" sh -c '
    "$C" encrypt -r "$1" -o x.age p65537 && age -d -i ageid.txt x.age >x.out &&
    cmp -s x.out p65537' _ "$agercpt"
check "age -r -> coffre decrypt" sh -c '
    age -r "$1" -o y.age p200000 && "$C" decrypt -i ageid.txt -o y.out y.age &&
    cmp -s y.out p200000' _ "$agercpt"
check "encrypt to two recipients, both decrypt" sh -c '
    "$C" encrypt -r "$1" -r "$2" -o two.age p1 &&
    age -d -i ageid.txt two.age | cmp -s - p1 &&
    "$C" decrypt -i me.key two.age | cmp -s - p1' _ "$agercpt" "$rcpt"

# failures: nothing left at -o, distinct exit code
head -c 100000 c200000 >trunc.age
check "truncated file: exit 5" code 5 "$C" decrypt -i me.key -o t.out trunc.age
check "truncated file: nothing written" test ! -e t.out
check "wrong identity: refused" not "$C" decrypt -i ageid.txt -o w.out c1
check "wrong identity: nothing written" test ! -e w.out
check "wrong passphrase: exit 3" sh -c '
    COFFRE_PASSPHRASE=nope "$C" decrypt -i me.key c1 >/dev/null 2>&1;
    test $? -eq 3'
check "not an age file: refused" not "$C" decrypt -i me.key -o z.out me.key.pub

# signatures: ours verify with minisign, minisign's with ours
echo "bulletin de paie octobre" >doc.txt
check "coffre sign" "$C" sign -k me.key -t "period:2026-10" doc.txt
check "minisign -V verifies our signature" sh -c '
    minisign -Vm doc.txt -p me.key.pub | grep -q "period:2026-10"'
check "coffre verify our signature" sh -c '
    "$C" verify -p me.key.pub doc.txt | grep -q "Trusted comment: period:2026-10"'
echo "altered" >>doc.txt
check "altered file: exit 5" code 5 "$C" verify -p me.key.pub doc.txt
minisign -G -W -p ms.pub -s ms.key >/dev/null 2>&1
echo "attestation employeur" >att.txt
minisign -S -s ms.key -m att.txt -t "from minisign" >/dev/null 2>&1 </dev/null
check "coffre verify of a minisign signature" sh -c '
    "$C" verify -p ms.pub att.txt | grep -q "from minisign"'
check "wrong key: exit 5" code 5 "$C" verify -p me.key.pub att.txt

finish cli_crypto
