// Package pcfake is a local Partner Center for tests and demos: an http.Handler that
// serves the calls bulkassign makes, for one or more customers, from a ledger of who
// holds which license, and that can throttle, slow down, fail and drop calls the way
// the real service does.
//
// The calls, as the Partner Center documentation describes them:
//
//	GET  /v1/customers/{customer-id}/subscribedskus?licenseGroupIds=Group1&licenseGroupIds=Group2
//	POST /v1/customers/{customer-id}/users/{user-id}/licenseupdates
//	GET  /v1/customers/{customer-id}/users?size=N                 (then links.next)
//	GET  /v1/customers/{customer-id}/users/{user-id}/licenses?licenseGroupIds=Group1&licenseGroupIds=Group2
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group,
// https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
// and https://learn.microsoft.com/partner-center/developer/check-which-licenses-are-assigned-to-a-user.
//
// # Use
//
//	skus, err := pcfake.LoadCatalogueFile("samples/subscribedskus.json")
//	...
//	users := pcfake.GenerateUsers(5000, "contoso.onmicrosoft.com", 1)
//	users[7].UsageLocation = "" // some users unfit for an assignment
//	users[9].State = "inactive"
//	fake := pcfake.New(
//		pcfake.WithCustomer(pcfake.DefaultCustomerID, skus),
//		pcfake.WithUsers(pcfake.DefaultCustomerID, users), // or later: fake.AddUsers
//		pcfake.WithToken("test-token"),
//		pcfake.WithRateLimit(10, 5),
//	)
//	srv := httptest.NewServer(fake)          // over loopback, or
//	hc := &http.Client{Transport: fake.Transport()} // in process, e.g. in a synctest bubble
//
// After a run, Holdings, Units, Stats and (WithRequestLog) Requests show what happened;
// Stats.UserListings counts listings of users (first pages), so that a test can check
// that a run lists each customer's users once.
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
// # Users
//
// A customer given a user list (WithUsers, AddUsers) knows only those users, by ID or
// user principal name, and refuses an assignment (not a removal) to one without a
// usage location or whose state is inactive. A customer without a list knows every
// user and checks none.
//
// A users GET pages through the list in the order given: size (default 100, at most
// 500; larger sizes are cut to 500) users a page, answered as
//
//	{"totalCount": <items on this page>,
//	 "items": [{"id", "userPrincipalName", "displayName", "usageLocation", "state",
//	            "attributes": {"objectType": "CustomerUser"}}, ...],
//	 "links": {"self": {"uri": "/customers/{id}/users?size=N", "method": "GET", "headers": []},
//	           "next": {"uri": "/customers/{id}/users?size=N&seekOperation=Next", "method": "GET",
//	                    "headers": [{"key": "MS-ContinuationToken", "value": "<opaque>"}]}},
//	 "attributes": {"objectType": "Collection"}}
//
// with next left out on the last page. The next page is GET {base}/v1 + next.uri with
// the headers next lists. A user without a state is listed as "active". A customer
// without a list answers an empty collection.
//
// A user licenses GET lists, in catalogue order, the SKUs the user holds in the ledger
// of the license groups asked for: {"totalCount": N, "items": [{"productSku": {...},
// "servicePlans": [the SKU's plans less the excluded ones], "attributes":
// {"objectType": "License"}}], "attributes": {"objectType": "Collection"}}. Without
// licenseGroupIds it lists group1 only, as the service does.
//
// # Errors
//
// Error answers have the body {"code": N, "description": "...", "data": [...],
// "source": "PartnerFD"}, with code a JSON number:
//
//   - 401, 800001: no Authorization: Bearer token, or one that WithToken or
//     WithTokenCheck rejects. The token never appears in an answer.
//   - 404, 60003: an unknown customer.
//   - 404, 60002: a user missing from the customer's user list (licenseupdates POST,
//     user licenses GET).
//   - 400, 60012: an assignment for which no unit is left, with the docs' body word for
//     word (description "We&#39;re sorry, ..." with the HTML entity as sent, data naming
//     the customer and the SKU).
//   - 400, 800002: a malformed body, a body with nothing to assign or remove, an unknown
//     SKU, an excluded plan that is not a service plan of its SKU, a request mixing
//     license groups (the docs say such a request fails but give no code), an invalid
//     licenseGroupIds value; also 404, 800002 for a path the fake does not serve.
//   - 400, 800002, description "License assignment cannot be done for user with
//     invalid usage location.", data naming the user: an assignment to a listed user
//     without a usage location. Nothing in the request is applied.
//   - 400, 800002, description "License assignment cannot be done for an inactive
//     user: restore the user first.", data naming the user: an assignment to a listed
//     user whose state is inactive (any case). Nothing in the request is applied.
//   - 400, 800002 for a users GET: a size that is not a whole number from 1;
//     seekOperation other than Next; seekOperation=Next without an MS-ContinuationToken
//     header, or with one this Server did not issue for this customer's list. The
//     token never appears in an answer.
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
//   - The code of the usage location refusal is not documented (users report only its
//     description); the fake answers 800002. The checks of a licenseupdates POST come
//     in this order: customer (60003), user (60002), body and SKUs (800002), license
//     groups (800002), inactive user, usage location, units (60012). A blank usage
//     location counts as none. WithHolder and AddHolder seed the ledger unchecked.
//   - State "inactive" marks a deleted user in Partner Center. The fake refuses
//     assignments to such a user with 400, 800002 (the real service may answer
//     otherwise, for example 404), allows removals, and lists the user, with its
//     state, among the others (the real service may list deleted users only on
//     request), so that a check before a run sees it.
//   - A continuation token is opaque and bound to the Server and the customer: it
//     points at a place in the list, which only grows (AddUsers appends, or replaces a
//     user in place), so a token stays valid. The page size comes from each request's
//     size; seekOperation is matched in any case, and without it the header is
//     ignored (the first page).
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
