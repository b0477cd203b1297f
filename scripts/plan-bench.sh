#!/usr/bin/env bash
# plan-bench.sh measures planning a large input file: it generates the file with
# scripts/geninput, then plans it with the planner's test binary (TestPlanLargeFile,
# an in-memory catalogue with enough units) under /usr/bin/time -v, and prints the
# planning time, the process's wall time and its peak resident set size.
#
#   scripts/plan-bench.sh [rows]      # default 1000000
#
# The machine's load average is printed too: other work on the machine slows the run.
set -euo pipefail

rows=${1:-1000000}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go run ./scripts/geninput -rows "$rows" -customers 2 -out "$tmp/in.csv"
go test -c -o "$tmp/planner.test" ./pkg/planner
echo "input: $rows rows, $(wc -c <"$tmp/in.csv") bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "$tmp/planner.test" -test.run '^TestPlanLargeFile$' -test.v -planfile "$tmp/in.csv" \
	2>"$tmp/time.txt" | grep -E 'planned|^(PASS|FAIL)|^---' || { cat "$tmp/time.txt"; exit 1; }
grep -E 'Elapsed \(wall clock\)|Maximum resident set size|User time|System time' "$tmp/time.txt"
