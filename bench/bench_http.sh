#!/bin/sh
# HTTP benchmark of coffred (issue 4), all figures from one run:
#  - requests/s and p50/p99 latency at 32 connections (wrk) of a bare
#    libmicrohttpd server (bench/bare_mhd.c, same threading model), of
#    GET /v1/health, and of an authenticated GET /v1/documents/{id};
#  - deposits/s of 100 KiB documents (PUT blob + POST record) at 32
#    connections, beside the raw durable write of 100 KiB files at 8
#    writers on the same file system.
# usage: bench/bench_http.sh [BUILD_DIR]     env: BENCH_SECONDS (10),
#        BENCH_DEPOSITS (2000), BENCH_THREADS (16, the daemon default)
set -eu
build=${1:-build}
case "$build" in
    build-san) bin=build-san/bin ;;
    *) bin=bin ;;
esac
secs=${BENCH_SECONDS:-10}
ndep=${BENCH_DEPOSITS:-2000}
threads=${BENCH_THREADS:-16}
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

# CPU time (clock ticks) used so far by process $1.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# wrk PID URL [HEADER]: print "req/s p50 p99 non2xx cpu-us/req", the last
# being the server's own CPU time per request (steadier than req/s on a
# shared machine).
run_wrk() {
    pid=$1; url=$2; shift 2
    t0=$(cpu_ticks "$pid")
    if [ $# -gt 0 ]; then
        out=$(wrk -t2 -c32 -d"${secs}s" --latency -H "$1" "$url")
    else
        out=$(wrk -t2 -c32 -d"${secs}s" --latency "$url")
    fi
    t1=$(cpu_ticks "$pid")
    echo "$out" | awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" '
        /^Requests\/sec/ {r=$2} $1 == "50%" {p50=$2}
        $1 == "99%" {p99=$2} /Non-2xx/ {bad=$NF}
        / requests in / {n=$1}
        END {printf "%s %s %s %s %.1f\n", r, p50, p99,
            bad == "" ? 0 : bad, n ? t * 1e6 / hz / n : 0}'
}

# The machine is shared and noisy: three interleaved rounds, median kept.
rounds=${BENCH_ROUNDS:-3}
echo "== HTTP benchmark: $(nproc) CPUs, server threads $threads," \
    "32 connections, ${secs}s x $rounds interleaved rounds"
: >"$tmp/res"
r=1
while [ $r -le "$rounds" ]; do
    echo "bare $(run_wrk "$bpid" "http://127.0.0.1:$bport/")" >>"$tmp/res"
    echo "health $(run_wrk "$dpid" "http://127.0.0.1:$dport/v1/health")" \
        >>"$tmp/res"
    echo "get $(run_wrk "$dpid" "http://127.0.0.1:$dport/v1/documents/$doc" \
        "Authorization: Bearer $token")" >>"$tmp/res"
    r=$((r + 1))
done
cat "$tmp/res" | sed 's/^/  round: /'
# median LABEL: the line with the median req/s of that label
median() {
    grep "^$1 " "$tmp/res" | sort -k2 -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}
for l in bare health get; do
    set -- $(median $l)
    printf "%-8s median %10s req/s  p50 %-8s p99 %-8s non-2xx %s" \
        "$1" "$2" "$3" "$4" "$5"
    printf "  server CPU %s us/req\n" "$(grep "^$l " "$tmp/res" |
        awk '{print $6}' | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')"
done
bare=$(median bare | awk '{print $2}')
health=$(median health | awk '{print $2}')
get=$(median get | awk '{print $2}')
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
cb=$(grep "^bare " "$tmp/res" | awk '{print $6}' | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
ch=$(grep "^health " "$tmp/res" | awk '{print $6}' | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
cg=$(grep "^get " "$tmp/res" | awk '{print $6}' | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
python3 - "$cb" "$ch" "$cg" <<'PY'
import sys
b, h, g = (float(x) for x in sys.argv[1:])
print("by server CPU per request: health %.0f %% of bare's efficiency, "
      "document GET %.0f %%" % (100 * b / h if h else 0, 100 * b / g if g else 0))
PY
