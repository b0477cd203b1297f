#!/usr/bin/env bash
# run.sh runs bulkassign's reliability suite and prints its figures (the FIGURES lines).
#
#   scripts/reliability/run.sh [SCENARIO...] [--] [SUITE FLAGS]
#   scripts/reliability/run.sh                       # all: every scenario below but fuzz
#   scripts/reliability/run.sh crash                 # 5,000 rows, 20 SIGKILLs, resumed after each
#   scripts/reliability/run.sh faults                # 5xx, dropped connections, 429s, latency spikes
#   scripts/reliability/run.sh output                # output unwritable: file size limit, full disk (root)
#   scripts/reliability/run.sh lock                  # two resumes started together on one output
#   scripts/reliability/run.sh redirects             # API and token endpoint redirecting elsewhere
#   scripts/reliability/run.sh resume-edits          # --resume with an edited input, another file, customer
#   scripts/reliability/run.sh wide                  # one record of 10 M fields, 60 MiB of commas
#   scripts/reliability/run.sh token-lifetime        # 75 s access tokens over a 5 minute run
#   scripts/reliability/run.sh token-outage          # token endpoint 503, refused connection, refused token
#   scripts/reliability/run.sh fuzz [10m]            # each fuzz target in turn, one worker each
#   scripts/reliability/run.sh crash lock -rows 500 -kills 3 -seed 42 -keep
#
# Flags after the scenarios go to the suite (go test ... -args): -rows, -kills, -seed, -rate, -burst,
# -concurrency, -read-rate, -latency, -fail-rate, -drop-rate, -spike-rate, -spike,
# -fake-rate, -fsize-blocks, -tmpfs-size, -races, -race-rate, -token-lifetime,
# -token-run, -wide-rss-mb, -keep (keep the work directory: inputs, outputs, logs, the
# fake's stats.json and requests.json), -bin (test a built binary instead of building
# one). See scripts/reliability/doc.go.
#
# The suite runs real processes on loopback (the built bulkassign, its fake-server, and
# HTTP endpoints in the test process); `all` takes about twenty minutes. The machine's
# load average is printed: other work on the machine slows the runs and changes the
# timings, not the checks.
set -euo pipefail

self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."

usage() {
	awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$self" >&2
	exit 2
}

# testsOf maps a scenario to its tests.
testsOf() {
	case $1 in
	crash) echo 'TestCrashResume' ;;
	faults) echo 'TestFaults' ;;
	output) echo 'TestOutputSafety' ;;
	lock) echo 'TestConcurrentResumes' ;;
	redirects) echo 'TestRedirects|TestTokenRedirect' ;;
	resume-edits) echo 'TestResumeEdits' ;;
	wide) echo 'TestWideRecords' ;;
	token-lifetime) echo 'TestTokenLifetime' ;;
	token-outage) echo 'TestTokenOutage' ;;
	*) return 1 ;;
	esac
}

all=(crash faults output lock redirects resume-edits wide token-lifetime token-outage)

if [ "${1:-}" = fuzz ]; then
	fuzztime=${2:-10m}
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); go: $(go version)"
	for target in 'FuzzBuild ./pkg/planner/' 'FuzzRecordReader ./pkg/planner/' 'FuzzDecodeAPIAnswers ./pkg/client/partnercenter/' 'FuzzPageParts ./pkg/client/partnercenter/' 'FuzzListedUsers ./pkg/client/partnercenter/' 'FuzzRoundTrip ./pkg/report/' 'FuzzScan ./pkg/client/productnames/' 'FuzzAppendJSONString ./pkg/client/pcfake/'; do
		set -- $target
		echo "== go test -run '^\$' -fuzz '^$1\$' -fuzztime $fuzztime -parallel 1 $2"
		go test -run '^$' -fuzz "^$1\$" -fuzztime "$fuzztime" -parallel 1 "$2" 2>&1 | grep -vE '^fuzz: elapsed: .*\(0/sec\)'
	done
	exit 0
fi

scenarios=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case $1 in
	all) scenarios+=("${all[@]}") ;;
	-h | --help | help) usage ;;
	-*) break ;; # the suite's flags
	*)
		testsOf "$1" >/dev/null || {
			echo "run.sh: unknown scenario $1" >&2
			usage
		}
		scenarios+=("$1")
		;;
	esac
	shift
done
[ "${1:-}" = -- ] && shift
[ ${#scenarios[@]} -eq 0 ] && scenarios=("${all[@]}")

tests='TestFakeServerInspectIsOptIn'
for s in "${scenarios[@]}"; do
	tests="$tests|$(testsOf "$s")"
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); go: $(go version); scenarios: ${scenarios[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
go test -tags reliability -run "^($tests)\$" -count=1 -v -timeout 120m ./scripts/reliability/ -args "$@" | tee "$log" || status=$?
echo
echo "== figures"
grep -h 'FIGURES' "$log" | sed 's/^ *[a-z_]*_test.go:[0-9]*: //' || true
exit $status
