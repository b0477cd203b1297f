// Package reliability holds bulkassign's reliability suite: end-to-end runs of the
// built bulkassign binary against `bulkassign fake-server --inspect` (a local Partner
// Center in another process) that check, through the fake's inspection endpoints and
// the result CSV, that a run either cannot start or ends with every row accounted for,
// and that running it again never hurts.
//
//   - TestCrashResume: a 5,000-row job killed with SIGKILL at 20 random moments and
//     resumed after each; then every row succeeded exactly once in the output, every
//     user holds exactly the licenses the input asked for, no unit was consumed twice,
//     and the repeated posts (updates whose answer the kill lost) are at most
//     kills × --concurrency.
//   - TestFaults: the same job against a fake that fails 5% of calls with a 5xx, drops
//     3% of connections after applying the update, throttles below the tool's rate and
//     adds latency spikes; every row succeeds and every retry reuses its MS-RequestId.
//   - TestOutputSafety: an output that cannot be written (a file size limit, a full
//     disk) stops the run with exit code 1; what was written reads back and resumes.
//
// The end-to-end tests are behind the build tag "reliability", since they take
// minutes and run real processes:
//
//	scripts/reliability/run.sh               # all three, with their figures
//	go test -tags reliability -run Crash -v ./scripts/reliability/ -args -kills 20 -rows 5000
//
// Without the tag, `go test` runs only the unit tests of the suite's own checks
// (job_checks_test.go), which show that each check catches the loss or duplication it
// looks for. TestFakeServerInspectIsOptIn (tagged) checks that fake-server serves the
// inspection endpoints only with --inspect.
package reliability
