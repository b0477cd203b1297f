// Package runner executes a plan: it posts every LicenseUpdate of a planner.Plan through
// a worker pool at a pace the server accepts, and writes one report.Result per input
// row, whatever became of it.
//
// The call it makes is "Assign licenses to a user"
// (https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user);
// /work/shared/api/api-notes.md has what that page leaves out.
//
// # Pace
//
// A Pacer is given to the client (client.WithLimiter and client.WithObserver), which
// waits on it before every attempt, retries included, and reports every attempt back.
// It holds the attempts of any one second at or below the configured rate plus the
// burst (above 500 attempts per second, a burst of at least 2 ms worth of the pace).
// It starts at the configured rate; a rate set far above what the server allows costs
// about the requests in flight when the first 429 comes back, since the gate then holds
// everyone. On a 429 it shuts a gate in front of every caller for the Retry-After the
// server named and drops the pace to just under what the server was seen to accept
// (half the pace when that cannot be told), one probe first when the gate opens; then it
// climbs back additively toward the configured rate, gently near where the server
// throttled before. Partner Center does not publish its limits, so a rate set far too
// high still finishes every row, with few 429s.
//
// # Failures and stops
//
// A row that fails (out of licenses, user not found, no answer after the client's
// retries) is a result with status failed, never a reason to stop. Run stops early only
// when every further request is pointless:
//
//   - the credentials were rejected (a 401, or no access token could be had):
//     ErrCredentialsRejected;
//   - a result could not be written: ErrOutputUnwritable;
//   - the context was cancelled (SIGINT, SIGTERM) or Config.Abort closed: ErrInterrupted.
//
// Then no new request starts; requests in flight finish on a context detached from the
// run's (bounded by Config.DrainTimeout) and their rows are written; every row never
// sent is written as skipped, "not sent: <reason>"; and Run returns a *StopError. When
// Config.Abort closes, requests in flight are cancelled at once and their rows are
// written as skipped with an unknown outcome: resuming sends them again, which is
// harmless, since assigning a license a user already holds is an update. Either way
// every row of the plan gets exactly one result.
//
// # Memory
//
// Updates are taken from the plan one at a time, results go through a bounded channel
// to a single collector that writes them as they come, and nothing is kept per row, so
// a run's memory does not grow with the rows already sent.
package runner
