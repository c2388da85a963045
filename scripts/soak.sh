#!/bin/bash
# Run the long reliability scripts, tests/soak/*.sh, one after another (they
# load the machine on purpose); each prints its figures and a closing
# "NAME: N passed, N failed" line.  Figures belong in docs/RELIABILITY.md.
# usage: soak.sh BUILD_DIR [VAR=VALUE...]
# env: SOAK="name ..." runs only those.
set -u
build=$1; shift
only=${SOAK:-}
passed=0; failed=0; failures=""
for t in tests/soak/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    case "$name" in _*) continue ;; esac
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
        continue
    fi
    echo "== $name"
    start=$(date +%s)
    if env COFFRE_BUILD="$build" "$@" bash "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures="$failures $name"
    fi
    echo "== $name: $(( $(date +%s) - start ))s"
done
echo "== soak"
[ -n "$failures" ] && echo "failed:$failures"
echo "soak: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
