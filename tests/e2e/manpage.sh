#!/bin/sh
# docs/coffre.1 is generated from the same table as `coffre help`: keep it
# current (regenerate with `make man`).
set -u
. "${COFFRE_SRCDIR:-.}/tests/e2e/_lib.sh"
check "docs/coffre.1 matches 'coffre help --man'" sh -c \
    '"$C" help --man | cmp -s - "$COFFRE_SRCDIR/docs/coffre.1"'
check "every command has --help" sh -c '
    for c in $("$C" help | sed -n "s/^  \([a-z]*\) .*/\1/p"); do
        "$C" "$c" --help | grep -q "Usage: coffre $c" || { echo "$c"; exit 1; }
    done'
check "unknown command exits 2" code 2 "$C" frobnicate
finish manpage
