#!/usr/bin/env bash
# run.sh runs bulkassign's reliability suite and prints its figures (the FIGURES lines).
#
#   scripts/reliability/run.sh                 # crash, faults and output, one after another
#   scripts/reliability/run.sh crash           # 5,000 rows, 20 SIGKILLs, resumed after each
#   scripts/reliability/run.sh faults          # 5xx, dropped connections, 429s, latency spikes
#   scripts/reliability/run.sh output          # output unwritable: file size limit, full disk (root)
#   scripts/reliability/run.sh fuzz [10m]      # each fuzz target in turn, one worker each
#   scripts/reliability/run.sh crash -kills 5 -rows 1000 -seed 42 -keep
#
# Arguments after the scenario go to the suite (go test ... -args): -rows, -kills,
# -seed, -rate, -burst, -concurrency, -latency, -fail-rate, -drop-rate, -spike-rate,
# -spike, -fake-rate, -fsize-blocks, -tmpfs-size, -keep (keep the work directory:
# inputs, outputs, logs, the fake's stats.json and requests.json), -bin (test a built
# binary instead of building one). See scripts/reliability/doc.go.
#
# The suite runs real processes on loopback (the built bulkassign and its fake-server);
# the runs take a few minutes. The machine's load average is printed: other work on the
# machine slows the runs and changes the timings, not the checks.
set -euo pipefail

cd "$(dirname "$0")/../.."
what=${1:-all}
[ $# -gt 0 ] && shift

case $what in
crash) tests='TestCrashResume' ;;
faults) tests='TestFaults' ;;
output) tests='TestOutputSafety' ;;
all) tests='TestFakeServerInspectIsOptIn|TestCrashResume|TestFaults|TestOutputSafety' ;;
fuzz)
	fuzztime=${1:-10m}
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); go: $(go version)"
	for target in 'FuzzBuild ./pkg/planner/' 'FuzzDecodeAPIAnswers ./pkg/client/'; do
		set -- $target
		echo "== go test -run '^\$' -fuzz '^$1\$' -fuzztime $fuzztime -parallel 1 $2"
		go test -run '^$' -fuzz "^$1\$" -fuzztime "$fuzztime" -parallel 1 "$2" 2>&1 | grep -vE '^fuzz: elapsed: .*\(0/sec\)'
	done
	exit 0
	;;
*)
	sed -n '2,17p' "$0" >&2
	exit 2
	;;
esac

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); go: $(go version)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
go test -tags reliability -run "^($tests)\$" -count=1 -v -timeout 60m ./scripts/reliability/ -args "$@" | tee "$log" || status=$?
echo
echo "== figures"
grep -h 'FIGURES' "$log" | sed 's/^ *[a-z_]*_test.go:[0-9]*: //' || true
exit $status
