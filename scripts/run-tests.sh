#!/bin/sh
# Run every test program of a build, then the end-to-end scripts.
# usage: run-tests.sh BUILD_DIR [VAR=VALUE...]
# Each program prints cmocka's own summary; this prints one closing line
# over all suites and exits non-zero if any failed.
set -u
build=$1; shift
passed=0; failed=0; failures=""
wrap=""
if [ "${VALGRIND:-}" = 1 ]; then
    wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
fi
only=${TESTS:-}

for t in "$build"/tests/test_*; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] || continue
    name=$(basename "$t")
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then continue; fi
    echo "== $name"
    # shellcheck disable=SC2086
    if env "$@" $wrap "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures="$failures $name"
    fi
done

for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    case "$name" in _*) continue ;; esac   # helpers, not tests
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then continue; fi
    echo "== $name"
    if env "$@" sh "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures="$failures $name"
    fi
done

echo "== test suites"
[ -n "$failures" ] && echo "failed suites:$failures"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
