#!/bin/sh
# Run each libFuzzer target for a bounded time on its seed corpus.
# usage: fuzz-smoke.sh FUZZ_BUILD SECONDS
set -u
dir=$1; secs=$2; failed=0; passed=0
for f in "$dir"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    echo "== $name (${secs}s)"
    if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
            -print_final_stats=0 "$work" >"$work.log" 2>&1; then
        passed=$((passed + 1)); tail -n 1 "$work.log"
    else
        failed=$((failed + 1)); tail -n 40 "$work.log"
    fi
    rm -rf "$work" "$work.log"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
