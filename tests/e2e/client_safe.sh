#!/bin/sh
# A person's safe end to end against a real daemon: two persons, files at
# chunk boundaries, tampering on the server's disk, isolation, sharing,
# links (also opened with curl and age alone), expiry.
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
need age curl
start_daemon --open-registration

export COFFRE_PASSPHRASE="une phrase de passe"
A="$T/alice"; B="$T/bob"
mkdir -p "$A" "$B" "$T/w"
cd "$T/w"
alice() { COFFRE_HOME="$A" "$C" "$@"; }
bob()   { COFFRE_HOME="$B" "$C" "$@"; }

check "alice init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >"$1.init"' _ "$A"
check "bob init" sh -c 'COFFRE_HOME="$1" "$C" init --server "$URL" >"$1.init"' _ "$B"
avault=$(sed -n 's/^Your vault address: //p' "$A.init")
bvault=$(sed -n 's/^Your vault address: //p' "$B.init")
check "init prints a vault address" test -n "$avault" -a -n "$bvault"
check "init prints a recovery code" grep -q "RECOVERY CODE" "$A.init"
check "config and token are private" sh -c '
    test "$(stat -c %a "$1/config.json")" = 600 &&
    test "$(stat -c %a "$1/key")" = 600' _ "$A"

# put and get back byte-identical files at chunk boundaries
for n in 0 1 65535 65536 65537 102400 10485760; do
    head -c $n /dev/urandom >f$n
    check "put/get $n bytes" sh -c '
        id=$(COFFRE_HOME="$1" "$C" put f$2 | cut -f1) && test -n "$id" &&
        echo "$id" >id$2 &&
        COFFRE_HOME="$1" "$C" get "$id" -o g$2 && cmp -s f$2 g$2' _ "$A" $n
done
id1=$(cat id1); id64=$(cat id65536); idbig=$(cat id102400)

check "ls lists names and signature status" sh -c '
    COFFRE_HOME="$1" "$C" ls >ls.out && grep -q "f102400" ls.out &&
    test "$(grep -c " ok " ls.out)" -eq 7' _ "$A"
check "ls --json" sh -c '
    COFFRE_HOME="$1" "$C" ls --json | grep -q "\"name\": \"f65537\""' _ "$A"
check "get by unique prefix" sh -c '
    COFFRE_HOME="$1" "$C" get "$(echo $2 | cut -c1-10)" -o prefix.out &&
    cmp -s prefix.out f1' _ "$A" "$id1"
check "get refuses to overwrite" not alice get "$id1" -o f1

# isolation: bob sees nothing of alice's
check "bob lists nothing" sh -c 'test -z "$(COFFRE_HOME="$1" "$C" ls)"' _ "$B"
check "bob cannot read alice's document (exit 4)" code 4 bob get "$id1" -o b.out
check "nothing written for bob" test ! -e b.out

# share, then unshare
check "alice shares with bob" alice share "$id64" --with "$bvault"
check "bob reads the shared document" sh -c '
    COFFRE_HOME="$1" "$C" get "$2" -o shared.out && cmp -s shared.out f65536' \
    _ "$B" "$id64"
check "alice unshares" alice unshare "$id64" --with "$bvault"
check "bob refused after unshare (exit 4)" code 4 bob get "$id64" -o s2.out

# a blob altered on the server's disk: exit 5, nothing written
blob=$(alice ls --json | tr -d ' \n' | sed 's/},{/}\n{/g' | grep "\"name\":\"f102400\"" |
       sed 's/.*"blob":"sha256:\([0-9a-f]*\)".*/\1/')
obj=$(find "$T/data/objects" -name "$blob" | head -1)
check "blob found on disk" test -n "$obj" -a -f "$obj"
check "sha256sum of the stored blob is its id" sh -c '
    test "$(sha256sum "$1" | cut -d" " -f1)" = "$2"' _ "$obj" "$blob"
chmod u+w "$obj" 2>/dev/null
printf '\001' | dd of="$obj" bs=1 seek=5000 conv=notrunc 2>/dev/null
check "altered blob: exit 5" code 5 alice get "$idbig" -o tampered.out
check "altered blob: nothing written" test ! -e tampered.out

# links: coffre fetch, and curl | age with the fragment's key alone
link=$(alice link "$id1" --uses 2)
check "link printed" sh -c 'echo "$1" | grep -q "/s/.*#AGE-SECRET-KEY-1"' _ "$link"
check "fetch the link" sh -c '"$C" fetch "$1" -o fetched && cmp -s fetched f1' _ "$link"
echo "${link#*#}" >linkkey.txt
check "curl | age -d opens the link" sh -c '
    curl -sf "${1%%#*}" | age -d -i linkkey.txt >agefetched &&
    cmp -s agefetched f1' _ "$link"
check "used-up link refused (exit 4)" code 4 "$C" fetch "$link" -o used.out

# bad input
check "put of a missing file fails" not alice put /nonexistent
check "unknown class refused (exit 2)" code 2 alice put --class secret f1
check "rm" alice rm "$id1"
check "rm'd document is gone (exit 4)" code 4 alice get "$id1" -o gone.out

# the audit log: verified, then altered in the index
check "audit --verify passes" sh -c '
    COFFRE_HOME="$1" "$C" audit --verify | grep -q "audit log verified"' _ "$A"
check "audit lists deposits and reads" sh -c '
    COFFRE_HOME="$1" "$C" audit >audit.out && grep -q deposit audit.out &&
    grep -q blob.read audit.out' _ "$A"
check "alter an audit entry in the index" sqlite3 "$T/data/index.sqlite" \
    "UPDATE audit SET detail = detail || 'x' WHERE seq = 3"
check "audit --verify fails after the change (exit 5)" code 5 alice audit --verify

# passwd: the new passphrase opens the key file, the old one no longer;
# the recovery kit opens with the recovery code alone
echo "nouvelle phrase" >newpass
check "passwd" alice passwd --new-passphrase-file newpass
check "old passphrase refused (exit 3)" code 3 alice get "$id64" -o p1.out
check "new passphrase works" sh -c '
    COFFRE_PASSPHRASE="nouvelle phrase" COFFRE_HOME="$1" "$C" whoami' _ "$A"
# keep using the new one from here on for alice
alice() { COFFRE_PASSPHRASE="nouvelle phrase" COFFRE_HOME="$A" "$C" "$@"; }
sed -n 's/^    \([0-9A-Z]\{5\}-[0-9A-Z-]*\)$/\1/p' "$A.init" >recovery.code
check "recovery code printed" test -s recovery.code
arcpt=$(COFFRE_PASSPHRASE="nouvelle phrase" alice whoami | sed -n 's/^age_recipient *//p')
check "whoami shows the age recipient" test -n "$arcpt"
echo "to alice" >r.txt
check "recovery kit opens with the recovery code alone" sh -c '
    "$C" encrypt -r "$2" -o r.age r.txt &&
    env -u COFFRE_PASSPHRASE "$C" decrypt -i "$1/recovery.key" \
        --passphrase-file recovery.code -o r.plain r.age &&
    cmp -s r.plain r.txt' _ "$A" "$arcpt"
export COFFRE_PASSPHRASE="une phrase de passe"

# what a stolen disk or backup shows: neither the text nor the name
for i in $(seq 1 200); do echo "MARQUEUR-CONFIDENTIEL ligne $i"; done >bulletin-confidentiel.txt
check "put a recognisable document" alice put bulletin-confidentiel.txt
check "the server's files hold neither its text nor its name" sh -c '
    ! grep -rqa -e MARQUEUR-CONFIDENTIEL -e bulletin-confidentiel "$1"' _ "$T/data"

# expiry: the shortest a link may live is 60 s
elink=$(alice link "$id64" --expires 60s --uses 5)
check "fresh link works" sh -c '"$C" fetch "$1" -o e1 && cmp -s e1 f65536' _ "$elink"
sleep 62
check "expired link refused (exit 4)" code 4 "$C" fetch "$elink" -o e2.out

finish client_safe
