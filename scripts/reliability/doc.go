// Package reliability holds bulkassign's reliability suite: end-to-end runs of the
// built bulkassign binary against `bulkassign fake-server --inspect` (a local Partner
// Center in another process) and against HTTP endpoints in the test process (a token
// endpoint, an API front that redirects, a listener elsewhere), that check, through
// the fake's inspection endpoints, the result CSV and the rollback file, that a run
// either cannot start or ends with every line accounted for, and that running it again
// never hurts.
//
// The job (job_test.go) names users of ten kinds, some holding licenses before any run
// (the fake's --users and --holds files): assignments, E3-to-E5 swaps, excluded plans
// added to a license held with every plan, rows already held (unchanged from the
// start), two rows in one request, two license groups. After a scenario every line's
// final outcome is succeeded or unchanged, with exactly one such row per line; every
// user holds exactly what the input asked for (and no other user changed); every SKU's
// units moved by exactly its holders; and the rollback file, read back and then run as
// an input against the fake, restores the ledger of the start.
//
//   - TestCrashResume (crash): the job killed with SIGKILL at -kills random moments,
//     resumed after each; repeated posts counted (near 0: the plan reads what users
//     hold, so an update applied but not recorded is found unchanged).
//   - TestFaults (faults): 5xx, dropped connections after applying, 429s, latency
//     spikes; every retry reuses its MS-RequestId.
//   - TestOutputSafety (output): the output unwritable part way (file size limit, full
//     disk): exit 1, what was written reads back, a writable copy resumes.
//   - TestConcurrentResumes (lock): two resumes started together on one output: one
//     runs, the other exits 2 at once naming the output and the holder's PID, sending
//     nothing; a lock file left by a SIGKILLed run never blocks.
//   - TestRedirects, TestTokenRedirect (redirects): the API's POSTs redirected to
//     another port, another host, and from https to http; the token endpoint
//     redirecting: nothing reaches the other listener, the rows fail and resume.
//   - TestResumeEdits (resume-edits): --resume with an edited input, another file or
//     another customer is refused with exit 2 naming the lines, sending nothing.
//   - TestWideRecords (wide): a record of 10 million fields and 60 MiB of commas are
//     refused with exit 2 and their line, within a peak RSS bound.
//   - TestTokenLifetime (token-lifetime): 75-second tokens over a 5-minute run: about
//     one token request per lifetime, no expired token used.
//   - TestTokenOutage (token-outage): the token endpoint out (503, connection refused):
//     exit 1, temporary; a refused refresh token: exit 2; nothing sent either way.
//
// The end-to-end tests are behind the build tag "reliability", since they take
// minutes and run real processes:
//
//	scripts/reliability/run.sh                      # every scenario, with their figures
//	scripts/reliability/run.sh crash lock -rows 500 -kills 3
//	go test -tags reliability -run Crash -v ./scripts/reliability/ -args -kills 20 -rows 5000
//
// Without the tag, `go test` runs the unit tests of the job and of the suite's own
// checks (job_checks_test.go): the real planner plans the job as the suite expects, and
// each check catches the loss, duplication or wrong state it looks for.
// TestFakeServerInspectIsOptIn (tagged) checks that fake-server serves the inspection
// endpoints only with --inspect.
package reliability
