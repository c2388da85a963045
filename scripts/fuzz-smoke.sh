#!/bin/sh
# Run each libFuzzer target for a bounded time on its seed corpus and print
# its coverage at the end (libFuzzer's cov: edges, ft: features, corp:
# corpus size).
# usage: fuzz-smoke.sh FUZZ_BUILD SECONDS [KEEP_DIR]
#   Without KEEP_DIR (make fuzz-smoke) each run starts from the seeds in
#   fuzz/corpus/<target> and what it finds is thrown away.  With KEEP_DIR
#   (make fuzz FUZZ_SECONDS=N) the corpus grows in KEEP_DIR/<target>,
#   seeded from fuzz/corpus, so that successive runs go deeper.
set -u
dir=$1; secs=$2; keep=${3:-}; failed=0; passed=0
for f in "$dir"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=fuzz/corpus/${name#fuzz_}
    if [ -n "$keep" ]; then
        work=$keep/${name#fuzz_}
        mkdir -p "$work"
    else
        work=$(mktemp -d)
    fi
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    log=$(mktemp)
    echo "== $name (${secs}s)"
    if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
            -print_final_stats=0 "$work" >"$log" 2>&1; then
        passed=$((passed + 1))
        grep -E 'INITED|DONE' "$log" | tail -n 2
        tail -n 1 "$log"
    else
        failed=$((failed + 1)); tail -n 40 "$log"
    fi
    [ -z "$keep" ] && rm -rf "$work"
    rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
