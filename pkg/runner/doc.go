// Package runner executes a plan: it sends every Change of a planner.Plan through a
// worker pool, at the pace the Applier's limiter allows, writes the rows that undo each
// change to the rollback file before sending it, and writes one report.Result per input
// row, whatever became of it. Rows the plan found unchanged or skipped are written
// without a request. Changes go out taking the customers in turn, so that a run over
// several customers whose limits are per customer keeps every one busy.
//
// The runner only writes: the plan read everything it needed. It paces nothing itself:
// the backend's client does (client.Pacing), told with each call's client.Call which
// request it paces and whether it may still be stopped.
//
// # Failures and stops
//
// A row that fails (out of licenses, user not found, no answer after the client's
// retries) is a result with status failed, never a reason to stop. Run stops early only
// when every further request is pointless:
//
//   - the credentials were rejected (a 401, a token without multi-factor
//     authentication, or no access token could be had): ErrCredentialsRejected;
//   - a result or a rollback row could not be written: ErrOutputUnwritable;
//   - the context was cancelled (SIGINT, SIGTERM) or Config.Abort closed: ErrInterrupted.
//
// Then no new request starts; requests in flight finish on a context detached from the
// run's (bounded by Config.DrainTimeout) and their rows are written; every row never
// sent is written as skipped, "not sent: <reason>"; and Run returns a *StopError. A
// request waiting for its first attempt, or to retry after a 429 (which was not
// applied), is not sent once the run stops. When Config.Abort closes, requests in
// flight are cancelled at once and their rows are written as skipped with an unknown
// outcome: resuming plans them again from what the users then hold, so that nothing is
// sent twice. Either way every row of the plan gets exactly one result.
//
// # Memory
//
// Changes are taken from the plan one at a time, results go through a bounded channel
// to a single collector that writes them as they come, and nothing is kept per row, so
// a run's memory does not grow with the rows already sent.
package runner
