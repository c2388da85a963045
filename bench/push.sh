#!/bin/sh
# Employer push benchmark (issue 6), both figures from one run on the same
# files:
#  - `coffre push --jobs 4` of N payslips (generated one-page PDFs padded
#    to SIZE bytes with incompressible bytes) into V vaults: payslips/s end
#    to end (read, encrypt, sign, upload, deposit with a receipt, journal,
#    report), against a local coffred;
#    with the CPU time of the client and of the daemon per payslip;
#  - `restic backup` of the same N files into a fresh local repository (a
#    peer that also encrypts and stores many small files).
# usage: bench/push.sh [BUILD_DIR]
# env: BENCH_PUSH_N (10000), BENCH_PUSH_VAULTS (1000), BENCH_PUSH_JOBS (4),
#      BENCH_PUSH_JOBS2 (16: a second push of the same files for another
#      month, to show how the figure scales with parallelism; 0: skip),
#      BENCH_PUSH_SIZE (102400), BENCH_TMP (a folder for ~N*SIZE*3 bytes),
#      BENCH_BIN (the folder of coffre and coffred; default from BUILD_DIR)
set -eu
build=${1:-build}
case "$build" in
    build-san) bin=$PWD/build-san/bin ;;
    *) bin=$PWD/bin ;;
esac
bin=${BENCH_BIN:-$bin}
n=${BENCH_PUSH_N:-10000}
nv=${BENCH_PUSH_VAULTS:-1000}
jobs=${BENCH_PUSH_JOBS:-4}
jobs2=${BENCH_PUSH_JOBS2:-16}
size=${BENCH_PUSH_SIZE:-102400}
src=$PWD
for p in "$bin/coffred" "$bin/coffre"; do
    [ -x "$p" ] || { echo "push: missing $p (make)"; exit 1; }
done
if ! command -v restic >/dev/null 2>&1; then
    echo "push: installing restic (only this benchmark needs it)"
    (apt-get install -y restic >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 &&
          apt-get install -y restic >/dev/null 2>&1; }) ||
        { echo "push: restic not installed"; exit 1; }
fi

tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/coffre-push-XXXXXX")
chmod 700 "$tmp"
dpid=""
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

mkdir -p "$tmp/data" && chmod 700 "$tmp/data"
"$bin/coffred" serve --listen 127.0.0.1:0 --data "$tmp/data" \
    --port-file "$tmp/port" --log "$tmp/log" --open-registration &
dpid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
url="http://127.0.0.1:$(cat "$tmp/port")"
export COFFRE_PASSPHRASE=bench COFFRE_WORK_FACTOR=${COFFRE_WORK_FACTOR:-10}

# The vaults: one real person, then the same public keys registered V-1
# more times by the operator (the push does one directory look-up per
# vault either way; nobody decrypts here).
COFFRE_HOME="$tmp/person" "$bin/coffre" init --server "$url" >/dev/null
COFFRE_HOME="$tmp/person" "$bin/coffre" whoami --json >"$tmp/me.json"
rcpt=$(sed -n 's/.*"age_recipient": "\(.*\)".*/\1/p' "$tmp/me.json")
mkey=$(sed -n 's/.*"minisign_key": "\(.*\)".*/\1/p' "$tmp/me.json")
sed -n 's/.*"account": "\(.*\)".*/\1/p' "$tmp/me.json" >"$tmp/vaults"
i=1
while [ $i -lt "$nv" ]; do
    "$bin/coffred" account add --kind person --age-recipient "$rcpt" \
        --minisign-key "$mkey" --data "$tmp/data" >>"$tmp/vaults"
    i=$((i + 1))
done
siret=73282932000074
COFFRE_HOME="$tmp/emp" "$bin/coffre" init --server "$url" --kind employer \
    --siret $siret --name Bench >"$tmp/emp.init"
erc=$(sed -n 's/.*--age-recipient \(age1[a-z0-9]*\).*/\1/p' "$tmp/emp.init")
emk=$(sed -n 's/.*--minisign-key \(RW[A-Za-z0-9+/=]*\).*/\1/p' "$tmp/emp.init")
if [ -n "$erc" ]; then
    "$bin/coffred" account add --kind employer --siret $siret --name Bench \
        --age-recipient "$erc" --minisign-key "$emk" --data "$tmp/data" \
        >/dev/null
else
    "$bin/coffred" account approve $siret --data "$tmp/data"
fi

# The payslips and the manifest.
python3 "$src/tests/e2e/push_pdf.py" "$tmp/pdf" "$n" "$size"
bytes=$(du -sb "$tmp/pdf" | cut -f1)
awk -v n="$n" 'NR == FNR { v[NR - 1] = $0; nv = NR; next }
    END { for (i = 1; i <= n; i++)
              printf "%s,pdf/payslip-%d.pdf,,2026-10\n", v[(i - 1) % nv], i }' \
    "$tmp/vaults" /dev/null >"$tmp/manifest.csv"
sync

# CPU seconds (user + system) of the daemon so far, from /proc.
dcpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' \
        "/proc/$dpid/stat"
}
# The children's CPU seconds in the output of `times` (its second line).
ccpu() {
    sed -n '2s/[ms]/ /gp' "$1" |
        awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }'
}

d0=$(dcpu)
t0=$(now)
(COFFRE_HOME="$tmp/emp" "$bin/coffre" push --manifest "$tmp/manifest.csv" \
    --jobs "$jobs" --report "$tmp/report.csv" --no-progress \
    2>"$tmp/push.err" && times >"$tmp/push.times")
t1=$(now)
d1=$(dcpu)
tail -1 "$tmp/push.err"
ok=$(grep -c ',ok,' "$tmp/report.csv" || true)
ndoc=$(sqlite3 "$tmp/data/index.sqlite" "SELECT count(*) FROM documents")
cs=$(secs "$t0" "$t1")

export RESTIC_PASSWORD=bench
restic init --repo "$tmp/restic" >/dev/null 2>&1
sync
t2=$(now)
restic backup --repo "$tmp/restic" -q "$tmp/pdf" >/dev/null
t3=$(now)
rs=$(secs "$t2" "$t3")

t4=$(now)
COFFRE_HOME="$tmp/emp" "$bin/coffre" push --manifest "$tmp/manifest.csv" \
    --jobs "$jobs" --report "$tmp/report.csv" --no-progress 2>/dev/null
t5=$(now)

echo "files:              $n payslips of $size bytes ($bytes bytes) into $nv vaults"
echo "machine:            $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'coffre push -j%s:    %.1f s, %.1f payslips/s, %.1f MB/s (%s rows ok, %s documents)\n' \
    "$jobs" "$cs" "$(echo "$n / $cs" | bc -l)" \
    "$(echo "$bytes / $cs / 1000000" | bc -l)" "$ok" "$ndoc"
printf 'cpu per payslip:    client %.2f ms, daemon %.2f ms (user + system)\n' \
    "$(echo "$(ccpu "$tmp/push.times") * 1000 / $n" | bc -l)" \
    "$(echo "($d1 - $d0) * 1000 / $n" | bc -l)"
printf 'restic backup:      %.1f s, %.1f files/s, %.1f MB/s (%s)\n' "$rs" \
    "$(echo "$n / $rs" | bc -l)" "$(echo "$bytes / $rs / 1000000" | bc -l)" \
    "$(restic version | cut -d' ' -f1-2)"
printf 'push re-run:        %.1f s (journal: nothing redone)\n' \
    "$(secs "$t4" "$t5")"
printf 'ratio:              coffre push is %.2fx restic backup\n' \
    "$(echo "$rs / $cs" | bc -l)"
if [ "$jobs2" -gt 0 ]; then
    sed 's/,2026-10$/,2026-11/' "$tmp/manifest.csv" >"$tmp/manifest2.csv"
    t6=$(now)
    COFFRE_HOME="$tmp/emp" "$bin/coffre" push --manifest "$tmp/manifest2.csv" \
        --jobs "$jobs2" --report "$tmp/report2.csv" --no-progress 2>/dev/null ||
        true
    t7=$(now)
    cs2=$(secs "$t6" "$t7")
    printf 'coffre push -j%s:   %.1f s, %.1f payslips/s (%s rows ok)\n' "$jobs2" \
        "$cs2" "$(echo "$n / $cs2" | bc -l)" \
        "$(grep -c ',ok,' "$tmp/report2.csv" || true)"
fi
