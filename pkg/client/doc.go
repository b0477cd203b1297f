// Package client is the vocabulary every licensing API speaks in bulkassign, and the
// HTTP machinery the backends share.
//
// # The vocabulary
//
// A Sku is a product a customer subscribes to (its seats and service plans), a User a
// customer's user with what it holds (License), a Change everything one request does to
// one user, and Applied what the service answered. A Backend is one API: Catalogue
// (one read per customer), a Directory of users (LookupUsers, ListUsers, UserLicenses,
// with ReadCosts to choose between them) and Apply. Refusals are typed errors that
// callers test with errors.As: *APIError (its Reason says what the refusal means for
// the row: no free seat, no usage location, user not found, missing role...),
// *ThrottleError, *TransportError (no answer), *AuthError (no token); a call stopped
// before it was sent wraps ErrNotSent.
//
// # The machinery
//
// Client sends a backend's Request as a Call: attempts paced by a Limiter (Pacer, or
// Pacing with budgets per kind of call and per tenant), retried by a RetryPolicy
// (ShouldRetry, Backoff and RetryAfterWait are the pure decisions), one request ID on
// every attempt of a call, a bearer token per tenant from a TokenSource, no redirect
// ever followed, and every error text scrubbed of the tokens it sent (Scrub) and of
// URL queries. A 429 holds callers back for its Retry-After: everyone when the server
// throttles a burst, only the refused call when it refuses a probe just above the
// ceiling the pacer learned.
//
// # The packages
//
//	cmd/bulkassign        flags, help, printing, exit codes
//	    │
//	pkg/job               plan and run wired once, for the command and the benchmark
//	    │        ╲
//	pkg/planner ─→ pkg/runner ─→ pkg/report   (CSV in → plan → changes → result and rollback CSVs)
//	    │              │
//	pkg/client  ←──────┘   the vocabulary above and the HTTP machinery
//	    │
//	pkg/client/partnercenter   Partner Center (licenseupdates, subscribedskus, users)
//	pkg/client/graph           Microsoft Graph (assignLicense in $batch, per-tenant tokens)
//	pkg/client/signin          tokens: secure application model, GDAP per tenant, device login
//	pkg/client/pcfake, graphfake   faithful local copies of the two APIs
//	pkg/client/productnames    Microsoft's table of product and service plan names
//
// Data flows one way. The planner, runner and report import only this package (and
// report, which imports none of them); they never import a backend. A backend is one
// package under pkg/client implementing Backend on Client; adding one is that package
// and one line where pkg/job chooses backends.
package client
