#!/bin/bash
# Load and hostile clients against the real daemon (tests/test_api_load.c
# at full size): 200 clients mixing deposits, listings and downloads for
# 60 s, every acknowledged deposit then listed and read back, the daemon's
# peak RSS; then 8 normal clients for 30 s alone and 30 s beside
# slow-header, unfinished-upload and one-address flood connections.
# env: LOAD_CLIENTS (200), LOAD_SECONDS (60), ATTACK_SECONDS (30),
#      ATTACK_CLIENTS (8), LOAD_RSS_MIB (512)
set -u
build=${COFFRE_BUILD:-build}
prog=$build/tests/test_api_load
if [ ! -x "$prog" ]; then
    echo "load: missing $prog (make soak builds it)"
    echo "load: 0 passed, 1 failed"
    exit 1
fi
echo "load: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
COFFRE_LOAD_CLIENTS=${LOAD_CLIENTS:-200} \
COFFRE_LOAD_SECONDS=${LOAD_SECONDS:-60} \
COFFRE_LOAD_RSS_MIB=${LOAD_RSS_MIB:-512} \
COFFRE_ATTACK_SECONDS=${ATTACK_SECONDS:-30} \
COFFRE_ATTACK_CLIENTS=${ATTACK_CLIENTS:-8} \
    "$prog"
rc=$?
echo "load: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$rc" -eq 0 ]; then
    echo "load: 1 passed, 0 failed"
else
    echo "load: 0 passed, 1 failed"
fi
exit "$rc"
