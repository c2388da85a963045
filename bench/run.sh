#!/bin/sh
# Run every benchmark and print its figures; `make bench` calls this.
# Results are copied by hand into docs/BENCHMARKS.md with the date and the
# machine.  usage: bench/run.sh BUILD_DIR
set -u
build=${1:-build}
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) CPUs"
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo; echo "### $(basename "$b")"
    "$b" || echo "($(basename "$b") failed)"
done
for s in bench/*.sh; do
    [ "$s" = bench/run.sh ] && continue
    echo; echo "### $s"
    sh "$s" "$build" || echo "($s failed)"
done
