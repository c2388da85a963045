#!/bin/sh
# Peak memory of `coffre encrypt` and `coffre decrypt` of a large file
# (issue 2: decrypt of 1 GiB under 16 MiB), and their throughput.
# usage: bench/decrypt_rss.sh [BUILD_DIR]    env: BENCH_BIG_MB (1024)
set -eu
build=${1:-build}
case "$build" in build-san) bin=build-san/bin ;; *) bin=bin ;; esac
mb=${BENCH_BIG_MB:-1024}
C=$bin/coffre
[ -x "$C" ] || { echo "decrypt_rss: missing $C (make)"; exit 1; }
tmp=$(mktemp -d /tmp/coffre-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
export COFFRE_PASSPHRASE=bench COFFRE_WORK_FACTOR=10
"$C" --quiet keygen -o "$tmp/k" >"$tmp/pub"
rcpt=$(sed -n 's/^age recipient: //p' "$tmp/pub")
head -c $((mb * 1024 * 1024)) /dev/urandom >"$tmp/big"

# run LABEL CMD...: peak RSS (KiB) and seconds of CMD
run() {
    label=$1; shift
    python3 - "$label" "$mb" "$@" <<'PY'
import resource, subprocess, sys, time
label, mb, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t = time.monotonic()
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("%-8s %5d MiB: peak RSS %6.1f MiB, %6.1f MB/s" %
      (label, mb, rss / 1024, mb * 1.048576 / dt))
PY
}
echo "== coffre encrypt/decrypt of ${mb} MiB (target: decrypt peak RSS < 16 MiB)"
run encrypt "$C" encrypt -r "$rcpt" -o "$tmp/big.age" "$tmp/big"
run decrypt "$C" decrypt -i "$tmp/k" -o "$tmp/big.out" "$tmp/big.age"
cmp -s "$tmp/big" "$tmp/big.out" && echo "round trip identical" || echo "ROUND TRIP DIFFERS"
