#!/bin/bash
# Run every test program of a build, then the end-to-end scripts.
# usage: run-tests.sh BUILD_DIR [VAR=VALUE...]
# env: TESTS="name ..." runs only those; TEST_JOBS=N suites at once
#      (default: number of CPUs + 1; most suites wait on fsync or a server);
#      VALGRIND=1 runs the programs under memcheck, and the daemons they
#      and the end-to-end scripts start (COFFRE_DAEMON_WRAP) too;
#      VALGRIND=daemon runs only those daemons under memcheck.
# Each suite's output is printed whole when it ends (cmocka's own summary
# lines included); a closing line counts the suites and the exit status
# is non-zero if any failed.
set -u
build=$1; shift
only=${TESTS:-}
jobs=${TEST_JOBS:-$(( $(nproc) + 1 ))}
wrap=""
memcheck="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
case "${VALGRIND:-}" in
    1) wrap=$memcheck; export COFFRE_DAEMON_WRAP="${COFFRE_DAEMON_WRAP-$memcheck}" ;;
    daemon) export COFFRE_DAEMON_WRAP="${COFFRE_DAEMON_WRAP-$memcheck}" ;;
esac
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

suites=()
for t in "$build"/tests/test_*; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] && suites+=("prog:$t")
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    case "$(basename "$t")" in _*) continue ;; esac   # helpers, not tests
    suites+=("e2e:$t")
done

# run_suite KIND:PATH: run one suite, output to its log, status to .rc
run_suite() {
    local kind=${1%%:*} path=${1#*:} name start
    shift
    name=$(basename "$path" .sh)
    start=$(date +%s)
    if [ "$kind" = prog ]; then
        env "$@" $wrap "$path" >"$logs/$name.log" 2>&1
    else
        env "$@" sh "$path" >"$logs/$name.log" 2>&1
    fi
    echo "$? $(( $(date +%s) - start ))" >"$logs/$name.rc"
}

pending=()
for s in "${suites[@]}"; do
    name=$(basename "${s#*:}" .sh)
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
        continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n
    done
    run_suite "$s" "$@" &
    pending+=("$name")
done
wait

passed=0; failed=0; failures=""
for name in "${pending[@]}"; do
    read -r rc secs <"$logs/$name.rc"
    echo "== $name (${secs}s)"
    cat "$logs/$name.log"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures="$failures $name"
    fi
done

echo "== test suites"
[ -n "$failures" ] && echo "failed suites:$failures"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
