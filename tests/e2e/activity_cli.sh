#!/bin/sh
# End to end: `coffre periods` and `coffre accrual` on DSN files and payroll
# facts written here.  Prints "activity_cli: N passed, N failed" and exits
# non-zero on any failure; skips while coffre has no accrual command.
set -u
bin=${COFFRE_BINDIR:-bin}/coffre
passed=0
failed=0

if ! "$bin" accrual --help >/dev/null 2>&1; then
    echo "activity_cli: 0 passed, 0 failed (coffre has no accrual command yet)"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "activity_cli: FAIL: $1"; }

# gen FILE FIRST_YEAR LAST_YEAR HOURS: one declaration a month, full time.
gen() {
    python3 - "$@" <<'EOF'
import sys
path, first, last, hours = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = ["S10.G00.00.006,'P24V01'"]
for y in range(first, last + 1):
    for m in range(1, 13):
        out += ["S20.G00.05.001,'01'", "S20.G00.05.002,'01'",
                "S20.G00.05.005,'01%02d%d'" % (m, y),
                "S21.G00.06.001,'732829320'", "S21.G00.11.001,'00074'",
                "S21.G00.30.001,'1800175123456'", "S21.G00.30.002,'MARTIN'",
                "S21.G00.40.001,'01012015'", "S21.G00.40.007,'01'",
                "S21.G00.40.009,'C0001'", "S21.G00.40.011,'10'",
                "S21.G00.40.012,'151.67'",
                "S21.G00.50.001,'28%02d%d'" % (m, y),
                "S21.G00.51.001,'01%02d%d'" % (m, y),
                "S21.G00.51.002,'28%02d%d'" % (m, y),
                "S21.G00.51.010,'C0001'", "S21.G00.51.011,'002'",
                "S21.G00.53.001,'01'", "S21.G00.53.002,'%s'" % hours,
                "S21.G00.53.003,'10'"]
open(path, "w").write("\n".join(out) + "\n")
EOF
}

# check NAME JSONFILE PYTHON-EXPRESSION-ON-j
check() {
    if python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then
        ok
    else
        ko "$1"
    fi
}

gen "$work/a.dsn" 2015 2018 151.67
gen "$work/b.dsn" 2019 2019 151.67

# 1. The documented shape and figures: 96 h -> 1,440 EUR, then 1,940 EUR.
if "$bin" accrual --from "$work/a.dsn" "$work/b.dsn" --until 2019 --json \
        >"$work/acc.json" 2>"$work/err"; then ok; else ko "accrual exit"; fi
check "five years" "$work/acc.json" 'len(j["years"]) == 5'
check "2016 in hours" "$work/acc.json" \
    'j["years"][1] == dict(j["years"][1], year=2016, era="hours", ratio=1, credit=24, unit="h", balance=48)'
check "2019 in euros" "$work/acc.json" \
    'j["years"][4] == dict(j["years"][4], year=2019, era="euros", ratio=1, credit=500, unit="EUR", balance=1940)'
check "conversion" "$work/acc.json" \
    'j["conversion"]["hours"] == 96 and j["conversion"]["dif_hours"] == 0 and j["conversion"]["euros"] == 1440'
check "balance" "$work/acc.json" \
    'j["balance"] == {"amount": 1940, "unit": "EUR"}'
check "explanation" "$work/acc.json" \
    'j["years"][0]["explanation"].startswith("2015: 1,820.0 paid hours of 1,820.0")'

# 2. DIF hours join the conversion: 216 h -> 3,240 EUR.
"$bin" accrual --from "$work/a.dsn" --until 2019 --dif-hours 120 --json \
    >"$work/dif.json" 2>/dev/null
check "DIF conversion" "$work/dif.json" \
    'j["conversion"]["euros"] == 3240 and j["years"][4]["ratio"] == 0'

# 3. Periods: one per month, no month twice when a file is given twice.
"$bin" periods --from "$work/a.dsn" "$work/a.dsn" --json >"$work/p.json" \
    2>/dev/null
check "48 periods" "$work/p.json" 'len(j["periods"]) == 48'

# 3b. Payroll facts that contradict the DSN: one period, one conflict.
cat >"$work/facts.json" <<'EOF'
{"schema":"coffre.payroll-facts/1",
 "employer":{"siret":"73282932000074","name":"Acme SA"},
 "contract":{"number":"C0001","start":"2015-01-01","nature":"01","unit":"10",
             "reference_quota":151.67},
 "period":{"start":"2016-03-01","end":"2016-03-31"},"paid":100}
EOF
"$bin" periods --from "$work/a.dsn" "$work/facts.json" --json \
    >"$work/pf.json" 2>/dev/null
check "facts conflict" "$work/pf.json" \
    'len(j["periods"]) == 48 and len(j["conflicts"]) == 1 and [p for p in j["periods"] if p["month"] == "2016-03"][0]["sources"] == ["facts", "dsn"]'

# 3c. A failing hook is a warning; the other files are still read.
printf '#!/bin/sh\nexit 3\n' >"$work/hook"
chmod +x "$work/hook"
printf 'not a payslip' >"$work/note.txt"
if "$bin" periods --from "$work/note.txt" "$work/b.dsn" --hook "$work/hook" \
        --json >"$work/ph.json" 2>"$work/err" &&
        grep -q "warning" "$work/err"; then
    check "hook failure skipped" "$work/ph.json" 'len(j["periods"]) == 12'
else
    ko "failing hook stopped the command"
fi

# 4. A damaged DSN is an error naming its line.
sed 's/^S21.G00.40.001,.01012015.$/S21.G00.40.001,'"'"'31022017'"'"'/' \
    "$work/b.dsn" >"$work/bad.dsn"
if "$bin" accrual --from "$work/bad.dsn" --until 2019 >/dev/null \
        2>"$work/err"; then
    ko "damaged DSN accepted"
elif grep -q "line 9:" "$work/err"; then
    ok
else
    ko "damaged DSN message: $(cat "$work/err")"
fi

# 5. Usage errors exit 2.
"$bin" accrual --from "$work/a.dsn" --dif-hours 500 >/dev/null 2>&1
if [ $? -eq 2 ]; then ok; else ko "--dif-hours 500 not a usage error"; fi
"$bin" accrual --from "$work/a.dsn" --cec knitting:2018 >/dev/null 2>&1
if [ $? -eq 2 ]; then ok; else ko "--cec knitting not a usage error"; fi

echo "activity_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
