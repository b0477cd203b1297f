// Package graphfake is a local Microsoft Graph (v1.0) for license assignment under
// GDAP, for tests, `bulkassign run --simulate --api graph` and `bulkassign
// fake-server --api graph`: an http.Handler that serves the calls a license tool makes,
// for one or more customer tenants, from a ledger of who holds which license, with a
// token endpoint, GDAP roles, Graph's throttling budgets and injected faults. It
// speaks Graph's wire format with its own types and imports nothing of bulkassign.
//
// # Use
//
//	skus, err := graphfake.LoadSubscribedSkus(file) // samples/graph-subscribedskus.json
//	users := graphfake.GenerateUsers(5000, "contoso.onmicrosoft.com", 1)
//	users[7].UsageLocation = "" // some users unfit for an assignment
//	fake, err := graphfake.New(
//		graphfake.WithTenant(graphfake.DefaultTenantID, skus),
//		graphfake.WithUsers(graphfake.DefaultTenantID, users),
//		graphfake.WithStaticToken("test-token", graphfake.DefaultTenantID), // or sign in
//		graphfake.WithRoles(graphfake.DefaultTenantID, graphfake.RoleUserAdministrator),
//	)
//	srv := httptest.NewServer(fake)                 // over loopback, or
//	hc := &http.Client{Transport: fake.Transport()} // in process, e.g. in a synctest bubble
//
// Afterwards Holdings, Units, LicenseStates, Stats, Repeats and (WithRequestLog)
// Requests show what happened; WithInspection serves them over HTTP too.
//
// # Model
//
// A tenant (WithTenant) has subscribed SKUs: skuId, skuPartNumber, appliesTo (User or
// Company), capabilityStatus, prepaidUnits {enabled, suspended, warning, lockedOut},
// consumedUnits and servicePlans [{servicePlanId, servicePlanName,
// provisioningStatus, appliesTo}]. It has users (WithUsers, AddUsers): object ID
// (a GUID), userPrincipalName, displayName, usageLocation, accountEnabled; only those
// exist (deleted users, WithDeletedUsers, only in their own listing). Each user
// holds SKUs by one or more paths: directly (assignLicense, WithHolder) or through
// a group (WithGroupHolder), each path with its disabled plans. assignedLicenses
// lists each SKU held once, a plan disabled only if every path disables it;
// licenseAssignmentStates lists one entry per path (assignedByGroup null for the
// direct one). consumedUnits moves with every assignment and removal: a user
// holding a SKU by any path takes one unit. The units a catalogue lists as consumed
// belong to no user the fake knows.
//
// Graph has no tenant in its URLs: the bearer token selects the tenant. A token is
// bound to the tenant it was issued for (or WithStaticToken's), so a token of another
// tenant reads its own tenant and cannot reach this one's data. The partner's GDAP
// roles are set per tenant (WithRoles; without it, every role):
//
//	assignLicense                      Directory Writers, User Administrator, License Administrator
//	GET subscribedSkus                 Directory Readers, Global Reader, User Administrator, License Administrator
//	GET users, users/{id}, $count,     Directory Readers, Global Reader, User Administrator
//	    users/{id}/licenseDetails,     (and License Administrator WithLicenseAdminCanListUsers)
//	    deleted users
//	PATCH users/{id}                   User Administrator, License Administrator
//
// Global Administrator may do everything. See
// https://learn.microsoft.com/partner-center/dap-api-impact and
// https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference.
//
// # Endpoints
//
// Paths are below /v1.0, matched in any case; {user} is an object ID or a user
// principal name (any case, escaped or not).
//
// GET /v1.0/subscribedSkus answers {"@odata.context": ".../$metadata#subscribedSkus",
// "value": [subscribedSku...]} in catalogue order, Company SKUs included, each with id
// "{tenantId}_{skuId}" and accountId. $select, $top and $search are ignored there, as
// Graph ignores them; $filter is refused (400 Request_UnsupportedQuery). See
// https://learn.microsoft.com/graph/api/resources/subscribedsku and
// https://learn.microsoft.com/graph/known-issues.
//
// GET /v1.0/users answers {"@odata.context", ["@odata.count",] ["@odata.nextLink",]
// "value": [user...]} in the order users were added. Without $select a user has
// Graph's default properties (businessPhones, displayName, givenName, jobTitle, mail,
// mobilePhone, officeLocation, preferredLanguage, surname, userPrincipalName, id);
// with $select exactly the properties named (any case, in the order named), which
// may also be accountEnabled, usageLocation, assignedLicenses and
// licenseAssignmentStates: assignedLicenses appears only when selected. $top is 1 to
// 999 (default 100). $filter may be "id eq 'x'", "userPrincipalName eq 'x'", "id in
// ('a','b',...)" or "userPrincipalName in (...)": at most 15 values, unless the request
// carries ConsistencyLevel: eventual and $count=true (advanced query parameters), when
// the limit is a URL of 2,048 characters (measured as https://graph.microsoft.com plus
// the path and query sent). $count=true needs ConsistencyLevel: eventual and adds
// @odata.count. @odata.nextLink repeats the request's query as sent with an opaque
// $skiptoken bound to the Server, the tenant and the query: follow it verbatim (on
// the host the request named, or WithBaseURL's). See
// https://learn.microsoft.com/graph/paging and
// https://learn.microsoft.com/graph/aad-advanced-queries.
//
// GET /v1.0/directory/deletedItems/microsoft.graph.user answers the tenant's deleted
// users (WithDeletedUsers) as GET /users answers its users: the same $select (with
// deletedDateTime too), $top, $filter and @odata.nextLink, @odata.context
// ".../$metadata#directory/deletedItems/microsoft.graph.user", the same roles and
// cost. A deleted user holds no license and no other path finds it. See
// https://learn.microsoft.com/graph/api/directory-deleteditems-list.
//
// GET /v1.0/users/$count (ConsistencyLevel: eventual required; $filter allowed)
// answers the number as text/plain. GET /v1.0/users/{user} answers one user
// ($select as above, @odata.context ".../$metadata#users/$entity"). GET
// /v1.0/users/{user}/licenseDetails answers [{id, skuId, skuPartNumber,
// servicePlans}] with provisioningStatus Disabled for disabled plans.
//
// PATCH /v1.0/users/{user} with {"usageLocation": "US"} (an ISO 3166-1 alpha-2 code,
// any case, stored upper-case; null clears it) answers 204; displayName and
// accountEnabled are kept too, other user properties accepted and not kept. See
// https://learn.microsoft.com/graph/api/user-update.
//
// POST /v1.0/users/{user}/assignLicense with
//
//	{"addLicenses": [{"skuId": "<guid>", "disabledPlans": ["<guid>"]}], "removeLicenses": ["<guid>"]}
//
// (both keys required, even empty; disabledPlans may be left out; Content-Type
// application/json) applies removals, then additions, all or nothing, and answers
// 200 with the user's default properties. Re-adding a held SKU replaces its
// disabledPlans (so [] enables every plan again) and takes no unit; removing a
// direct assignment of a SKU also held through a group keeps the group's path and
// the unit. See https://learn.microsoft.com/graph/api/user-assignlicense.
//
// POST /v1.0/$batch with {"requests": [{"id", "method", "url" (relative to /v1.0,
// such as /users/{id}/assignLicense), "headers", "body", "dependsOn"}]} (1 to 20)
// answers 200 {"responses": [{"id", "status", "headers", "body"}]} in a shuffled
// order (WithSeed repeats it). Each item runs like a direct call (same ledger, errors,
// budgets, roles and failure draw, its own request-id, its client-request-id header
// echoed), with the $batch's token. An item with a body needs a Content-Type header.
// dependsOn may be parallel (none), serial (each on the one before) or all on the same
// request; an item whose prerequisite failed gets 424 and does not run. A text body
// ($count) is base64 in the answer. See https://learn.microsoft.com/graph/json-batching.
//
// POST /{tenant}/oauth2/v2.0/token is the Microsoft identity platform's token
// endpoint for the secure application model: form fields grant_type=refresh_token,
// client_id, client_secret (or HTTP Basic), refresh_token and
// scope=https://graph.microsoft.com/.default (required; golang.org/x/oauth2 leaves it
// out of refreshes, so a client adds it). It answers {"token_type": "Bearer",
// "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token"}; the
// access token (opaque) is bound to the tenant and the client ID, lasts
// WithTokenLifetime (an hour), and is, with WithStaticToken's, the only kind Graph
// accepts. Refresh tokens: WithRefreshToken's (or any, without it) and those it
// issued (bound to their client ID), valid for every tenant; rotated on every
// answer (WithRefreshTokenRotation). See
// https://learn.microsoft.com/partner-center/developer/secure-sample-application and
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token.
//
// # Errors
//
// Graph errors have the body {"error": {"code", "message", "innerError": {"date",
// "request-id", "client-request-id"}}}; every answer carries request-id and
// client-request-id headers (the one sent, else the request-id). See
// https://learn.microsoft.com/graph/errors.
//
//   - 401 InvalidAuthenticationToken, with WWW-Authenticate: no bearer token ("Access
//     token is empty."), an unknown one ("Access token validation failure. Invalid
//     audience."), an expired one ("Lifetime validation failed, the token is
//     expired."). The token is never quoted.
//   - 403 Authorization_RequestDenied "Insufficient privileges to complete the
//     operation.": the partner's roles in the tenant do not allow the call.
//   - 404 Request_ResourceNotFound "Resource '{user}' does not exist or one of its
//     queried reference-property objects are not present.": an unknown user.
//   - 400 Request_BadRequest from assignLicense (match substrings):
//     "One or more parameters of the operation 'assignLicense' are missing from the
//     request payload. The missing parameters are: addLicenses." (or removeLicenses,
//     or both, ", "-separated); "License assignment cannot be done for user with
//     invalid usage location."; "Subscription with SKU {skuId} does not have any
//     available licenses."; "License {skuId} does not correspond to a valid company
//     License." (an SKU not in the tenant, added or removed); "User does not have a
//     corresponding license." (removing a SKU not held); "User license is inherited
//     from a group membership and it cannot be removed directly from the user.";
//     "License assignment failed because service plans {a},{b} are mutually
//     exclusive." (WithConflictingPlans); "License assignment failed because service
//     plan {x} depends on the service plan(s) {y1},{y2}." (WithPlanDependency).
//   - 400 BadRequest: a body that is not JSON or lacks Content-Type ("Unable to read
//     JSON request payload. ..."), an unknown assignLicense parameter, an ID that is
//     not a GUID ("Cannot convert the literal '{v}' to the expected type
//     'Edm.Guid'."), an unknown PATCH property, a path Graph does not serve
//     ("Resource not found for the segment '{segment}'."), a version other than v1.0
//     ("Invalid version: {v}"), a malformed $batch.
//   - 400 Request_UnsupportedQuery: $top outside 1..999 ("Invalid page size
//     specified: '{v}'. Must be between 1 and 999 inclusive."), more than 15 in-values
//     ("Too many child clauses specified in search filter expression containing 'OR'
//     operators: {n}. Max allowed: 15."), /users/$count without the header ("Raw count
//     (/$count) is not supported because the 'ConsistencyLevel:eventual' header is
//     missing. ..."), $count=true without it, a $filter property or query option the
//     fake does not serve.
//   - 400 Request_BadRequest: an unknown $select property ("Could not find a property
//     named '{p}' on type 'microsoft.graph.user'."), an invalid usageLocation
//     ("Invalid value specified for property 'usageLocation' of resource 'User'."), a
//     $skiptoken not issued for this query and tenant, an advanced query URL over
//     2,048 characters.
//   - 405 Request_BadRequest "Specified HTTP method is not allowed for the request
//     target.".
//   - 424 FailedDependency: a batch item whose prerequisite failed.
//   - 429 TooManyRequests "Please retry again later." with Retry-After (whole
//     seconds, at least 1; left out of a share of them WithoutRetryAfter) and, for Graph's budgets, x-ms-throttle-scope
//     ({scope}/{limit}/{app}/{tenant}) and x-ms-throttle-information
//     (WriteLimitExceeded or ResourceUnitLimitExceeded); see Limits.
//   - 503 serviceNotAvailable, 500 generalException: WithFailureRate.
//
// The token endpoint answers {"error", "error_description" ("AADSTS{n}: ..." with
// trace and correlation IDs), "error_codes", "timestamp", "trace_id",
// "correlation_id", "error_uri"}: 400 invalid_grant AADSTS65001 "The user or
// administrator has not consented to use the application ..." (WithConsentRefused,
// suberror consent_required); 400 invalid_grant for an unknown refresh token
// (AADSTS9002313), one revoked by rotation (AADSTS70008) or another app's
// (AADSTS70000); 401 invalid_client for a missing (AADSTS7000218) or wrong
// (AADSTS7000215) secret; 400 unauthorized_client AADSTS700016 for an app not
// registered (WithApp); 400 for an unknown tenant (AADSTS90002), a missing scope
// (AADSTS90014), another scope (invalid_scope, AADSTS70011), another grant type
// (unsupported_grant_type, AADSTS70003) or a missing field (AADSTS900144). No
// answer and no log entry holds a secret or a token.
//
// # Throttling
//
// Limits are token buckets (as Graph's are) with the identity and access limits of
// https://learn.microsoft.com/graph/throttling-limits by default (DefaultLimits):
// writes (assignLicense, PATCH: 1 resource unit and 1 write each) 3,000 per 150 s per
// app and tenant, 35,000 per 5 min per app across tenants, 18,000 per 5 min per
// tenant across apps; reads in resource units per app and tenant per 10 s: 3,500 for
// a tenant under 50 users, 5,000 up to 500, 8,000 above; 150,000 per 20 s per app.
// Costs: GET users 2, GET subscribedSkus 3, GET users/{id} 1, licenseDetails 2,
// $count 1; $select, and $top below 20, each lower a cost by 1, to at least 1. Every
// answer to an admitted request carries x-ms-resource-unit, and
// x-ms-throttle-limit-percentage once a budget is more than 80% spent. A throttled
// request is not applied and takes nothing from any budget. WithRateLimit adds a plain ceiling (an "unknown ceiling"
// for benches); SetLimits and SetRateLimit change budgets mid-run.
//
// # Assumptions
//
// Where the notes leave a fact open, the fake takes the likelier side by default and
// an option plays the other:
//
//   - The exact text of the no-seats error is not known, only its "does not have any
//     available licenses" part: the fake says "Subscription with SKU {skuId} does not
//     have any available licenses."; match the part.
//   - null for addLicenses or removeLicenses is refused as missing
//     (WithNullLicenseLists accepts it as empty).
//   - Re-adding a held SKU with no free seat is allowed, as it takes no unit
//     (WithReaddNeedsFreeSeat refuses it).
//   - prepaidUnits.warning is not assignable: free = enabled - consumed
//     (WithWarningUnitsAssignable adds warning).
//   - License Administrator alone cannot list users (WithLicenseAdminCanListUsers).
//   - CSP apps sign in at the v2.0 token endpoint (WithTokenEndpoint("v1") or "both"
//     serves /{tenant}/oauth2/token with resource=https://graph.microsoft.com, whose
//     answer spells expires_in as a string).
//   - A used refresh token stays valid after rotation, as in Entra ID
//     (WithRefreshTokenRotation(true, true) revokes it).
//   - Changes show at once on reads (WithReadLag shows them late, as eventual
//     consistency may: CIPP reports 2 to 5 minutes).
//   - No license-specific throttling limit exists beyond the identity ones.
//
// The fake also decides, where Graph's answer is not documented: an assignment of a
// Company SKU, of a disabled plan not in the SKU, or of the same SKU twice in a
// request is refused with 400 Request_BadRequest in its own words; checks come in the
// order body, user (404), SKUs known, usage location (additions only), removals,
// Company SKU and plans, seats, plan rules; a $skiptoken stays valid while users are
// only added; an unknown first path segment is a version; the outer $batch needs no
// Content-Type; throttling, then roles, are checked before the body.
//
// # Order of events and faults
//
// A request meets, in order: the token check (401); for $batch, the batch's shape
// (400), then once the latency, then each item; otherwise the path (400, 405), the
// budgets (429) and the roles (403), all decided on arrival; the latency
// (WithLatency, WithLatencySpikes), which every answer waits, cut short with no
// answer and nothing applied when the request's context ends; an injected failure
// (WithFailureRate, drawn per request and per batch item, not applied); the request
// itself; and for an applied write (or a $batch with one) the dropped connection
// (WithDropRate: applied, then panic(http.ErrAbortHandler), which Transport reports as
// ErrConnectionDropped).
//
// Graph's assignLicense is not idempotent: a request repeated with the same
// client-request-id is applied again, as the real service would. Stats counts writes
// that repeat a client-request-id (RepeatedClientRequestIDs) and applied ones
// (Reapplied); Repeats lists them and the request log keeps every client-request-id.
//
// The fake uses only time.Now, timers and the request's goroutine: no goroutine
// outlives a request, so it runs inside a testing/synctest bubble, where latency,
// budgets and token lifetimes pass in fake time. Build the Server inside the bubble.
// Randomness comes from a math/rand/v2 generator behind a mutex, seeded by WithSeed.
package graphfake
