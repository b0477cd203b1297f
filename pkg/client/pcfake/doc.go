// Package pcfake is a local Partner Center for tests and demos: an http.Handler that
// serves the two calls bulkassign makes, for one or more customers, from a ledger of
// who holds which license, and that can throttle, slow down, fail and drop calls the
// way the real service does.
//
// The calls, as the Partner Center documentation describes them:
//
//	GET  /v1/customers/{customer-id}/subscribedskus?licenseGroupIds=Group1&licenseGroupIds=Group2
//	POST /v1/customers/{customer-id}/users/{user-id}/licenseupdates
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
// and https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user.
//
// # Use
//
//	skus, err := pcfake.LoadCatalogueFile("samples/subscribedskus.json")
//	...
//	fake := pcfake.New(
//		pcfake.WithCustomer(pcfake.DefaultCustomerID, skus),
//		pcfake.WithToken("test-token"),
//		pcfake.WithRateLimit(10, 5),
//	)
//	srv := httptest.NewServer(fake)          // over loopback, or
//	hc := &http.Client{Transport: fake.Transport()} // in process, e.g. in a synctest bubble
//
// After a run, Holdings, Units, Stats and (WithRequestLog) Requests show what happened.
//
// # The ledger
//
// Each customer has the subscribed SKUs of its catalogue, whose availableUnits and
// consumedUnits move with every assignment and removal, and a ledger of which user
// holds which SKU with which excluded service plans. A subscribedskus GET answers
// from the ledger, filtered by licenseGroupIds (Group1, Group2, any case; none: all),
// spelling the groups group1 and group2, with totalCount the number of items.
//
// A successful licenseupdates POST answers 201 with the LicenseUpdate: the
// licensesToAssign as sent, licensesToRemove as sent (when any), licenseWarnings as an
// empty array and attributes.objectType "LicenseUpdate".
//
// # Errors
//
// Error answers have the body {"code": N, "description": "...", "data": [...],
// "source": "PartnerFD"}, with code a JSON number:
//
//   - 401, 800001: no Authorization: Bearer token, or one that WithToken or
//     WithTokenCheck rejects. The token never appears in an answer.
//   - 404, 60003: an unknown customer.
//   - 404, 60002: a user missing from the customer's WithUsers list.
//   - 400, 60012: an assignment for which no unit is left, with the docs' body word for
//     word (description "We&#39;re sorry, ..." with the HTML entity as sent, data naming
//     the customer and the SKU).
//   - 400, 800002: a malformed body, a body with nothing to assign or remove, an unknown
//     SKU, an excluded plan that is not a service plan of its SKU, a request mixing
//     license groups (the docs say such a request fails but give no code), an invalid
//     licenseGroupIds value; also 404, 800002 for a path the fake does not serve.
//   - 429: over the rate limit, with Retry-After in whole seconds (at least 1) and the
//     throttling body {"statusCode": 429, "message": "Rate limit is exceeded. Try again
//     in N seconds."}.
//   - 500 or 503, 800003: a failure injected by WithFailureRate.
//
// Every answer carries MS-RequestId and MS-CorrelationId (echoed, or made up when the
// request had none) and Content-Type application/json.
//
// # Assumptions
//
// The documentation leaves these open; the fake decides them as follows.
//
//   - Assigning a SKU the user already holds is harmless: it replaces the excluded
//     plans and consumes no unit.
//   - Removing a SKU the user does not hold is harmless: 201, no unit freed. With the
//     previous rule this keeps a resumed run idempotent. The ledger knows only holders
//     it saw assigned (or WithHolder); the units a catalogue lists as consumed belong to
//     no one it knows, so removing from an unknown holder frees nothing.
//   - Within one request removals are applied before assignments, so a swap (remove E3,
//     assign E5) is one request, and removing and assigning the same SKU needs no spare
//     unit.
//   - A request is all or nothing: when any assignment lacks units, nothing in it is
//     applied and the answer is 60012 naming the first such SKU.
//   - Request bodies may be PascalCase or camelCase. SKU, service plan, customer and
//     user identifiers compare case-insensitively; the user path segment is an object
//     ID or a user principal name, escaped or not.
//   - With a WithUsers list a user addressed by ID and by user principal name is one
//     holder; without one, every user exists and each distinct path segment (ignoring
//     case) is a user.
//   - A licenseupdates POST is processed once per MS-RequestId: a repeat (matched
//     case-insensitively, whatever its path or body) gets the first answer's status and
//     body without being applied again, and a repeat that arrives while the first is
//     still being processed waits for it. Only answers the ledger decided are kept:
//     a 429, 401 or injected 5xx leaves the ID free, so a retry with the same ID is
//     processed. The latest maxReplays (131072) answered IDs are remembered. GETs are
//     not replayed; they are safe to repeat.
//   - A request without MS-RequestId gets a new one, so it is never a repeat.
//
// # Order of events and faults
//
// A request meets, in order: the token check (401) and the rate limit (429; a
// throttled request takes no token), both decided on arrival; for a POST, the request
// ID (a repeat of an answered call replays it, a repeat of a call in progress waits
// for it and replays it at once); the latency (WithLatency, WithLatencySpikes), which
// every answer waits, 401 and 429 included, cut short when the request's context ends
// (no answer then, and nothing applied); the injected failures (WithFailureRate: 500
// or 503, not applied); the ledger; and for an applied POST the dropped connection
// (WithDropRate: applied, its answer kept for replay, the connection closed with
// panic(http.ErrAbortHandler), which Transport reports as ErrConnectionDropped).
// Randomness comes from a math/rand/v2 generator behind a mutex, seeded by WithSeed.
//
// The fake uses only time.Now, time.Sleep-like timers and the request's goroutine: no
// goroutine outlives a request, so it runs inside a testing/synctest bubble, where
// latency and rate limits pass in fake time. Build the Server inside the bubble.
package pcfake
