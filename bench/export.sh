#!/bin/sh
# Export benchmark (issue 8): a safe of 100, then 1,000 documents of
# 100 KiB, exported by `coffre export` against a local coffred, in tar,
# tar.gz and zip; then another person's safe of 100 documents of 1 MiB
# (the same bytes in ten times fewer documents).  Prints plaintext MB/s
# (wall clock, download + checks + archive) and the peak resident set size
# of the client (GNU time): memory does not depend on the documents'
# sizes, only a little on their number (records, manifest).
# usage: bench/export.sh [BUILD_DIR]     env: BENCH_EXPORT_DOCS (1000)
set -eu
build=${1:-build}
case "$build" in
    build-san) bin=build-san/bin ;;
    *) bin=bin ;;
esac
ndocs=${BENCH_EXPORT_DOCS:-1000}
small=$((ndocs / 10))
for p in "$bin/coffred" "$bin/coffre"; do
    [ -x "$p" ] || { echo "export bench: missing $p (make)"; exit 1; }
done
if [ ! -x /usr/bin/time ]; then
    echo "export bench: installing GNU time"
    apt-get install -y time >/dev/null 2>&1 || {
        echo "export bench: /usr/bin/time missing"; exit 1; }
fi
bin=$(cd "$bin" && pwd)

tmp=$(mktemp -d /tmp/coffre-bench-export-XXXXXX)
chmod 700 "$tmp"
dpid=""
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -m 700 "$tmp/data"
"$bin/coffred" serve --listen 127.0.0.1:0 --data "$tmp/data" \
    --port-file "$tmp/port" --open-registration >"$tmp/daemon.log" 2>&1 &
dpid=$!
i=0
while [ ! -s "$tmp/port" ]; do
    i=$((i + 1)); [ $i -gt 200 ] && { cat "$tmp/daemon.log"; exit 1; }
    sleep 0.05
done
url="http://127.0.0.1:$(cat "$tmp/port")"

export COFFRE_HOME="$tmp/home" COFFRE_PASSPHRASE="bench passphrase"
export COFFRE_WORK_FACTOR=10
mkdir -p "$COFFRE_HOME" "$tmp/in"
"$bin/coffre" init --server "$url" >/dev/null
cd "$tmp"

# Documents of 100 KiB of random bytes (incompressible: the worst case
# for tar.gz and zip).
put_range() { # first last [bytes]
    n=$1
    while [ "$n" -le "$2" ]; do
        head -c "${3:-102400}" /dev/urandom >"in/doc$n.bin"
        n=$((n + 1))
    done
    ( cd in && "$bin/coffre" put --class payslip doc*.bin >/dev/null )
    rm -f in/doc*.bin
}

# export FORMAT DOCS: one line of figures.
run_export() { # format docs [bytes]
    rm -f "out.$1"
    /usr/bin/time -f "%e %M" -o time.out "$bin/coffre" export -o "out.$1" \
        2>/dev/null
    read -r secs rss <time.out
    size=$(stat -c %s "out.$1")
    awk -v f="$1" -v n="$2" -v b="${3:-102400}" -v s="$secs" -v r="$rss" \
        -v z="$size" 'BEGIN {
        mb = n * b / 1e6;
        if (s <= 0) s = 0.01;
        printf "| %-6s | %5d | %4d KiB | %8.1f | %6.2f | %7.1f | %7.1f |\n",
            f, n, b / 1024, mb, s, mb / s, r / 1024 }'
}

echo "MB = 10^6 bytes of plaintext; RSS of the coffre client"
echo "| format | docs | each | MB | seconds | MB/s | peak RSS (MiB) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
put_range 1 "$small"
for f in tar tar.gz zip; do run_export "$f" "$small"; done
put_range $((small + 1)) "$ndocs"
for f in tar tar.gz zip; do run_export "$f" "$ndocs"; done

# Another person, ten times fewer documents of ten times the size.
export COFFRE_HOME="$tmp/home2"
mkdir -p "$COFFRE_HOME"
"$bin/coffre" init --server "$url" >/dev/null
put_range 1 "$small" 1048576
run_export tar "$small" 1048576
