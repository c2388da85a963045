#!/bin/sh
# HTTP benchmark of coffred (issue 4), all figures from one run:
#  - requests/s and p50/p99 latency at 32 connections (wrk) of a bare
#    libmicrohttpd server (bench/bare_mhd.c, same threading model), of
#    GET /v1/health, and of an authenticated GET /v1/documents/{id};
#  - deposits/s of 100 KiB documents (PUT blob + POST record) at 32
#    connections, beside the raw durable write of 100 KiB files at 8
#    writers on the same file system.
# usage: bench/bench_http.sh [BUILD_DIR]     env: BENCH_SECONDS (10),
#        BENCH_DEPOSITS (2000), BENCH_THREADS (nproc)
set -eu
build=${1:-build}
case "$build" in
    build-san) bin=build-san/bin ;;
    *) bin=bin ;;
esac
secs=${BENCH_SECONDS:-10}
ndep=${BENCH_DEPOSITS:-2000}
threads=${BENCH_THREADS:-$(nproc)}
for p in "$bin/coffred" "$build/bench/bare_mhd" "$build/bench/http_load"; do
    [ -x "$p" ] || { echo "bench_http: missing $p (make bench)"; exit 1; }
done
command -v wrk >/dev/null || { echo "bench_http: wrk not installed"; exit 1; }

tmp=$(mktemp -d /tmp/coffre-bench-XXXXXX)
chmod 700 "$tmp"
dpid=""; bpid=""
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$bin/coffred" serve --listen 127.0.0.1:0 --data "$tmp/data" \
    --port-file "$tmp/port" --log "$tmp/log" --threads "$threads" \
    --open-registration &
dpid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
dport=$(cat "$tmp/port")
bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/bench/bare_mhd" "$bport" "$threads" &
bpid=$!
sleep 0.3

set -- $("$build/bench/http_load" setup "http://127.0.0.1:$dport")
token=$1; doc=$2

# wrk LABEL URL [HEADER]: one line "LABEL req/s p50 p99"
run_wrk() {
    label=$1; url=$2; shift 2
    if [ $# -gt 0 ]; then
        out=$(wrk -t2 -c32 -d"${secs}s" --latency -H "$1" "$url")
    else
        out=$(wrk -t2 -c32 -d"${secs}s" --latency "$url")
    fi
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf "%-28s %10s req/s  p50 %-8s p99 %-8s%s\n" "$label" "$rps" \
        "$p50" "$p99" "${non2xx:+  NON-2XX: $non2xx}"
}

echo "== HTTP benchmark: $(nproc) CPUs, server threads $threads," \
    "32 connections, ${secs}s each"
b=$(run_wrk "bare libmicrohttpd" "http://127.0.0.1:$bport/")
echo "$b"
h=$(run_wrk "coffred GET /v1/health" "http://127.0.0.1:$dport/v1/health")
echo "$h"
g=$(run_wrk "coffred GET /v1/documents/ID" \
    "http://127.0.0.1:$dport/v1/documents/$doc" \
    "Authorization: Bearer $token")
echo "$g"
bare=$(echo "$b" | awk '{print $(NF-5)}')
health=$(echo "$h" | awk '{print $(NF-5)}')
get=$(echo "$g" | awk '{print $(NF-5)}')
d=$("$build/bench/http_load" deposit "http://127.0.0.1:$dport" "$ndep" 32)
echo "$d"
mkdir "$tmp/raw"
r=$("$build/bench/http_load" raw "$tmp/raw" "$ndep" 8)
echo "$r"
dep=$(echo "$d" | sed 's/.*: \([0-9]*\)\/s.*/\1/')
raw=$(echo "$r" | sed 's/.*: \([0-9]*\)\/s.*/\1/')
python3 - "$bare" "$health" "$get" "$dep" "$raw" <<'PY'
import sys
bare, health, get, dep, raw = (float(x) for x in sys.argv[1:])
def line(name, a, b, target):
    r = 100.0 * a / b if b else 0.0
    print("%-40s %5.1f %%  (target >= %d %%: %s)" %
          (name, r, target, "met" if r >= target else "NOT met"))
line("health / bare", health, bare, 80)
line("document GET / bare", get, bare, 50)
line("deposits (32 conn) / raw write (8 writers)", dep, raw, 50)
PY
