#!/bin/bash
# The daemon under 32 depositing and reading clients, killed with SIGKILL
# at 50 random moments (0.3 to 3 s apart) and restarted; after each kill
# scrub is clean and every acknowledged deposit is present with the right
# bytes (tests/test_daemon_crash.c; `make check` runs it with 3 kills).
# env: CRASH_KILLS, CRASH_CLIENTS, CRASH_MAX_MS override the defaults.
set -u
prog="${COFFRE_BUILD:?}/tests/test_daemon_crash"
[ -x "$prog" ] || { echo "missing $prog (make soak builds it)"; echo "crash: 0 passed, 1 failed"; exit 1; }
start=$(date +%s)
if COFFRE_CRASH_KILLS=${CRASH_KILLS:-50} COFFRE_CRASH_CLIENTS=${CRASH_CLIENTS:-32} \
    COFFRE_CRASH_MAX_MS=${CRASH_MAX_MS:-3000} "$prog" 2>&1 |
    grep -v "did not stop cleanly; its lock is taken over"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    ok=1
else
    ok=0
fi
echo "crash: $(( $(date +%s) - start )) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "crash: $ok passed, $((1 - ok)) failed"
[ "$ok" -eq 1 ]
