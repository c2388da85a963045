#!/bin/sh
# Fail when a module includes what its layer must not know (STYLE.md §2).
set -u
bad=0
check() { # folder, forbidden include pattern, reason
    hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" \
        "$1"/*.c "$1"/*.h 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "layering: $1 must not include $3:"; echo "$hits"; bad=1
    fi
}
check crypto   'sqlite3|archive|microhttpd|curl|jansson|storage/|daemon/|client/|activity/' \
    "SQLite, libarchive, HTTP, JSON or other modules"
check storage  'microhttpd|curl|jansson|daemon/|client/|activity/' \
    "HTTP, JSON or the daemon/client"
check daemon   'sqlite3|curl|client/|activity/' "SQLite (use storage/) or the client"
check client   'sqlite3|microhttpd|storage/|daemon/' "SQLite, microhttpd, storage or daemon"
check activity 'sodium|sqlite3|archive|microhttpd|curl|crypto/|storage/|daemon/|client/' \
    "anything of ours or crypto"
# libcrypto backs SHA-256 (blob ids) only, in crypto/digest.c.
hits=$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<openssl/' \
    crypto/*.c crypto/*.h storage/*.c daemon/*.c client/*.c activity/*.c \
    2>/dev/null | grep -v '^crypto/digest.c$')
if [ -n "$hits" ]; then
    echo "layering: only crypto/digest.c may use OpenSSL (SHA-256):"
    echo "$hits"; bad=1
fi
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
