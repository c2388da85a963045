#!/bin/sh
# Client benchmark (issue 5), all figures from one run on one daemon:
#  - `coffre put` of N files of 100 KiB (one process, sequential) and
#    `coffre get` of the same N documents (one process): documents/s,
#    beside the daemon-only sequential deposit rate (bench/http_load:
#    PUT blob + POST record of 100 KiB, no client cryptography);
#  - peak RSS of `coffre put` and `coffre get` of a 1 GiB file.
# usage: bench/client.sh [BUILD_DIR]    env: BENCH_DOCS (1000), BENCH_BIG_MB (1024)
set -eu
build=${1:-build}
case "$build" in build-san) bin=build-san/bin ;; *) bin=bin ;; esac
n=${BENCH_DOCS:-1000}
bigmb=${BENCH_BIG_MB:-1024}
for p in "$bin/coffred" "$bin/coffre" "$build/bench/http_load"; do
    [ -x "$p" ] || { echo "bench_client: missing $p (make bench)"; exit 1; }
done
C=$(cd "$(dirname "$bin/coffre")" && pwd)/coffre
tmp=$(mktemp -d /tmp/coffre-bench-XXXXXX)
chmod 700 "$tmp"
dpid=""
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# Blobs up to 2 GiB, for the 1 GiB memory measurement.
echo "max_blob_bytes = 2147483648" >"$tmp/coffred.conf"
"$bin/coffred" serve --listen 127.0.0.1:0 --data "$tmp/data" \
    --config "$tmp/coffred.conf" \
    --port-file "$tmp/port" --log "$tmp/log" --open-registration &
dpid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
url="http://127.0.0.1:$(cat "$tmp/port")"

export COFFRE_HOME="$tmp/home" COFFRE_PASSPHRASE=bench COFFRE_WORK_FACTOR=10
mkdir -p "$tmp/files" "$tmp/out"
"$C" --quiet init --server "$url" >/dev/null
i=0
while [ $i -lt "$n" ]; do
    head -c 102400 /dev/urandom >"$tmp/files/f$i"
    i=$((i + 1))
done

# elapsed CMD...: seconds taken by CMD
elapsed() {
    python3 - "$@" <<'PY'
import subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print("%.3f" % (time.monotonic() - t))
PY
}
# peakrss CMD...: peak resident set of CMD in KiB
peakrss() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

echo "== client benchmark: $(nproc) CPUs, $n documents of 100 KiB"
d=$("$build/bench/http_load" deposit "$url" "$n" 1)
echo "daemon only (sequential): $d"
dep=$(echo "$d" | sed 's/.*: \([0-9.]*\)\/s.*/\1/')
tput=$(cd "$tmp/files" && elapsed "$C" --quiet put $(ls))
"$C" ls --json | python3 -c '
import json, sys
print("\n".join(d["id"] for d in json.load(sys.stdin)))' >"$tmp/ids"
tget=$(elapsed "$C" --quiet get -d "$tmp/out" $(cat "$tmp/ids"))
python3 - "$n" "$tput" "$tget" "$dep" <<'PY'
import sys
n, tput, tget, dep = int(sys.argv[1]), *map(float, sys.argv[2:])
put, get = n / tput, n / tget
print("coffre put: %7.1f documents/s (%.1f MB/s)" % (put, put * 0.1024))
print("coffre get: %7.1f documents/s (%.1f MB/s)" % (get, get * 0.1024))
for name, v in (("put", put), ("get", get)):
    r = 100 * v / dep
    print("%s / daemon-only deposits: %5.1f %% (target >= 70 %%: %s)" %
          (name, r, "met" if r >= 70 else "NOT met"))
PY
ok=$(cd "$tmp/files" && for f in *; do cmp -s "$f" "$tmp/out/$f" || echo bad; done | wc -l)
echo "round trip mismatches: $ok"

head -c $((bigmb * 1024 * 1024)) /dev/urandom >"$tmp/big"
rput=$(cd "$tmp" && peakrss "$C" --quiet put big)
bid=$("$C" ls --json | python3 -c '
import json, sys
print([d["id"] for d in json.load(sys.stdin) if d.get("name") == "big"][0])')
rget=$(peakrss "$C" --quiet get "$bid" -o "$tmp/big.out")
cmp -s "$tmp/big" "$tmp/big.out" && same=yes || same=NO
echo "peak RSS, coffre put of ${bigmb} MiB: $((rput / 1024)) MiB (target < 32 MiB)"
echo "peak RSS, coffre get of ${bigmb} MiB: $((rget / 1024)) MiB (target < 32 MiB), identical: $same"
