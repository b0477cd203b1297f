// Package pcfake is a local Partner Center for tests and demos: an http.Handler that
// serves the calls bulkassign makes, for one or more customers, from a ledger of who
// holds which license, and that can throttle, slow down, fail and drop calls the way
// the real service does, and play either side of what its documentation leaves open.
//
// The calls, as the Partner Center documentation describes them:
//
//	GET   /v1/customers/{customer-id}/subscribedskus?licenseGroupIds=Group1&licenseGroupIds=Group2
//	POST  /v1/customers/{customer-id}/users/{user-id}/licenseupdates
//	GET   /v1/customers/{customer-id}/users?size=N[&filter=...]        (then links.next)
//	GET   /v1/customers/{customer-id}/users/{user-id}
//	PATCH /v1/customers/{customer-id}/users/{user-id}
//	GET   /v1/customers/{customer-id}/users/{user-id}/licenses?licenseGroupIds=Group1&licenseGroupIds=Group2
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group,
// https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-deleted-users-for-a-customer,
// https://learn.microsoft.com/partner-center/developer/get-a-user-account-by-id,
// https://learn.microsoft.com/partner-center/developer/update-user-accounts-for-a-customer
// and https://learn.microsoft.com/partner-center/developer/check-which-licenses-are-assigned-to-a-user.
//
// # Use
//
//	skus, err := pcfake.LoadCatalogueFile("samples/subscribedskus.json")
//	...
//	users := pcfake.GenerateUsers(5000, "contoso.onmicrosoft.com", 1)
//	users[7].UsageLocation = "" // some users unfit for an assignment
//	users[9].State = "inactive" // deleted
//	fake, err := pcfake.New(
//		pcfake.WithCustomer(pcfake.DefaultCustomerID, skus),
//		pcfake.WithUsers(pcfake.DefaultCustomerID, users), // or later: fake.AddUsers
//		pcfake.WithHolding(pcfake.DefaultCustomerID, users[0].ID, skus[0].ProductSku.ID, nil),
//		pcfake.WithToken("test-token"),
//		pcfake.WithRateLimit(10, 5),
//	)
//	if err != nil { ... } // names every option's problem
//	srv := httptest.NewServer(fake)          // over loopback, or
//	hc := &http.Client{Transport: fake.Transport()} // in process, e.g. in a synctest bubble
//
// After a run, Holdings, Units, Users, Stats and (WithRequestLog) Requests show what
// happened; Stats.UserListings counts listings of users (first pages), so that a test
// can check that a run lists each customer's users once.
//
// # Seed files
//
// ReadUsersCSV reads a user list for WithUsers and ReadHoldingsCSV starting holdings
// for WithHoldings (MakeUser makes the user an input file names). Both take CSV with a header row, header names in any
// case (underscores and spaces ignored: user_principal_name and userPrincipalName
// meet), unknown columns ignored, a UTF-8 byte-order mark tolerated, and errors naming
// the line:
//
//	users:    user_principal_name,id,usage_location,state,display_name
//	          ann@contoso.com,554526aa-cf5e-46fa-95df-98dbc55d8a1e,US,active,Ann
//	          bob@contoso.com,,,inactive,Bob        (no ID: made up as MakeUser does)
//	holdings: customer,user,sku,excluded_plans
//	          ,ann@contoso.com,6fd2c87f-...,7547a3fe-...;a23b959c-...
//	input:    user,sku,...                          (only user is read)
//
// In the user list, user_principal_name or id is required, usage_location is two
// letters or empty, state is active, inactive or empty, and no user may appear twice.
// In the holdings, user and sku (a product SKU ID) are required; an empty customer is
// WithHoldings' default customer; excluded_plans are service plan IDs separated by ';'.
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
// user and checks none: for a user GET it makes one up (MakeUser): active, usage
// location US, the ID the path segment when it is a GUID, else a version 5 UUID of the
// lower-cased segment (namespace: the version 5 UUID of the URL
// https://github.com/bulkassign/bulkassign/pkg/client/pcfake#users in the URL
// namespace), the user principal name the segment when it holds an "@" (else empty),
// the display name the segment. The ledger knows such a user by that ID, so a name and
// the ID a user GET gave for it are one holder.
//
// A users GET pages through the list in the order given, leaving deleted (inactive)
// users out: size (default 100, at most 500; larger sizes are cut to 500) users a
// page, answered as
//
//	{"totalCount": <items on this page>,
//	 "items": [{"id", "userPrincipalName", "displayName", "usageLocation", "state",
//	            "attributes": {"objectType": "CustomerUser"}}, ...],
//	 "links": {"self": {"uri": "/customers/{id}/users?size=N", "method": "GET", "headers": []},
//	           "next": {"uri": "/customers/{id}/users?size=N&seekOperation=Next", "method": "GET",
//	                    "headers": [{"key": "MS-ContinuationToken", "value": "<opaque>"}]}},
//	 "attributes": {"objectType": "Collection"}}
//
// with next left out on the last page (never an empty page after a full one). The next
// page is GET {base}/v1 + next.uri with the headers next lists. A user without a state
// is listed as "active". A customer without a list answers an empty collection. With
// filter={"Field":"UserState","Value":"Inactive","Operator":"equals"} (URL-encoded;
// names and values in any case) the listing holds the deleted users only, and its
// links carry the filter.
//
// A user GET answers one user as the listing shows it. A user PATCH with a body such
// as {"usageLocation": "US", "attributes": {"objectType": "CustomerUser"}} sets the
// usage location (kept in upper case; displayName may change too; other fields are
// accepted and ignored) and answers 200 with the user: from then on an assignment to
// the user is not refused for its usage location.
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
//   - 401, 900421: WithMFACheck: a token without multi-factor authentication,
//     description "Multi-factor authentication is required: ...". Nothing applied; the
//     token never appears in the answer.
//   - 404, 60003: an unknown customer.
//   - 404, 60002: a user missing from the customer's user list (licenseupdates POST,
//     user GET, PATCH and licenses GET); for the user GET and PATCH also a deleted
//     user, and WithObjectIDLookupsOnly a user principal name.
//   - 400, 60012: an assignment for which no unit is left, with the docs' body word for
//     word (description "We&#39;re sorry, ..." with the HTML entity as sent, data naming
//     the customer and the SKU).
//   - 400, 800002: a malformed body, a body with nothing to assign or remove, an unknown
//     SKU, an excluded plan that is not a service plan of its SKU, a request mixing
//     license groups (the docs say such a request fails but give no code), an invalid
//     licenseGroupIds value; also 404, 800002 for a path or method the fake does not
//     serve.
//   - 400, 800002, description "License assignment cannot be done for user with
//     invalid usage location.", data naming the user: an assignment to a listed user
//     without a usage location. Nothing in the request is applied.
//   - 400, 800002, description "License assignment cannot be done for an inactive
//     user: restore the user first.", data naming the user: an assignment to a listed
//     user whose state is inactive (any case). Nothing in the request is applied.
//   - 400, 800002, description "User does not have a corresponding license", data
//     naming the user and the SKU: WithStrictRemovals, a removal of a SKU the user does
//     not hold. Nothing in the request is applied.
//   - 400, 800002 for a user PATCH: an empty or malformed body, one naming nothing to
//     change, a usageLocation that is not two ASCII letters, an empty displayName.
//   - 400, 800002 for a users GET: a size that is not a whole number from 1;
//     seekOperation other than Next; a filter other than the UserState one above, or
//     given twice; seekOperation=Next without an MS-ContinuationToken header, or with
//     one this Server did not issue for this customer's listing with the same filter.
//     The token never appears in an answer.
//   - 429: over a rate limit, with Retry-After in whole seconds (at least 1) and the
//     throttling body {"statusCode": 429, "message": "Rate limit is exceeded. Try again
//     in N seconds."}.
//   - 500 or 503, 800003: a failure injected by WithFailureRate.
//
// Every answer carries MS-RequestId and MS-CorrelationId (echoed, or made up when the
// request had none) and Content-Type application/json.
//
// # Assumptions, and the options that play the other side
//
// The documentation leaves these open; the fake decides them as follows by default,
// and an option plays the other possibility where the tool must cope with both.
//
//   - A user GET or PATCH finds a user by object ID or by user principal name (the
//     docs name only the ID). WithObjectIDLookupsOnly: by object ID only, a name is
//     404, 60002. The licenseupdates POST takes both either way (its REST reference
//     says so).
//   - The users listing leaves deleted users out and lists them only with the
//     UserState filter, as the deleted users page says. WithDeletedUsersInListing:
//     they are listed among the others, with their state (the filter still lists
//     only them).
//   - A user GET or PATCH does not find a deleted user: 404, 60002.
//     WithDeletedUsersFoundByID: it is answered with state "inactive" (and a PATCH
//     applies).
//   - Removing a SKU the user does not hold is harmless: 201, no unit freed. With the
//     next rule this keeps a resumed run idempotent. WithStrictRemovals: refused as
//     the directory behind the API is reported to refuse it (see Errors). The ledger
//     knows only holders it saw assigned (or seeded); the units a catalogue lists as
//     consumed belong to no one it knows, so removing from an unknown holder frees
//     nothing (and WithStrictRemovals refuses it).
//   - No MFA check by default; WithMFACheck enforces it, as Partner Center does for
//     App+User tokens from April 2026.
//   - One budget for every call by default (WithRateLimit); the real service limits
//     reads and writes apart, played by WithReadRateLimit (GET) and
//     WithWriteRateLimit (POST, PATCH, any other method). A call must pass the limit
//     of every call and that of its kind; a refused call takes a token from neither,
//     and its Retry-After is the longer wait.
//   - Assigning a SKU the user already holds is harmless: it replaces the excluded
//     plans and consumes no unit.
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
//     case) is a user, known by the ID MakeUser gives it.
//   - A licenseupdates POST is processed once per MS-RequestId: a repeat (matched
//     case-insensitively, whatever its path or body) gets the first answer's status and
//     body without being applied again, and a repeat that arrives while the first is
//     still being processed waits for it. Only answers the ledger decided are kept:
//     a 429, 401 or injected 5xx leaves the ID free, so a retry with the same ID is
//     processed. The latest maxReplays (131072) answered IDs are remembered. GETs and
//     PATCHes are not replayed; they are safe to repeat.
//   - A request without MS-RequestId gets a new one, so it is never a repeat.
//   - The code of the usage location refusal is not documented (users report only its
//     description); the fake answers 800002. The checks of a licenseupdates POST come
//     in this order: customer (60003), user (60002), body and SKUs (800002), license
//     groups (800002), inactive user, usage location, removals not held
//     (WithStrictRemovals), units (60012); those of a user PATCH: customer, user,
//     body. A blank usage location counts as none. WithHolder, WithHolding and
//     AddHolding seed the ledger unchecked but for the customer, the user list, the
//     SKU, its plans and its units.
//   - State "inactive" marks a deleted user in Partner Center. The fake refuses
//     assignments to such a user with 400, 800002 (the real service may answer
//     otherwise, for example 404) and allows removals.
//   - A continuation token is opaque and bound to the Server, the customer and the
//     filter: it points at a place in the list, which only grows (AddUsers appends, or
//     replaces a user in place), so a token stays valid. The page size comes from each
//     request's size; seekOperation is matched in any case, and without it the header
//     is ignored (the first page).
//
// # Order of events and faults
//
// A request meets, in order: the token check (401, 800001), the MFA check (401,
// 900421) and the rate limits (429; a throttled request takes no token), all decided
// on arrival; for a POST, the request ID (a repeat of an answered call replays it, a
// repeat of a call in progress waits for it and replays it at once); the latency
// (WithLatency, WithLatencySpikes), which every answer waits, 401 and 429 included,
// cut short when the request's context ends (no answer then, and nothing applied); the
// injected failures (WithFailureRate: 500 or 503, not applied); the ledger; and for an
// applied POST the dropped connection (WithDropRate: applied, its answer kept for
// replay, the connection closed with panic(http.ErrAbortHandler), which Transport
// reports as ErrConnectionDropped). Randomness comes from a math/rand/v2 generator
// behind a mutex, seeded by WithSeed.
//
// The fake uses only time.Now, time.Sleep-like timers and the request's goroutine: no
// goroutine outlives a request, so it runs inside a testing/synctest bubble, where
// latency and rate limits pass in fake time. Build the Server inside the bubble.
package pcfake
