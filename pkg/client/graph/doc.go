// Package graph is Microsoft Graph (v1.0) as a client.Backend, for a partner that
// assigns licenses in its customers' tenants under GDAP. A customer is its tenant ID;
// every call of a customer carries call.Tenant = that tenant, so that the core asks
// the token source (client.TokenSource) for that tenant's token, and a per-tenant
// limiter (client.Pacing with PerTenant) paces it on that tenant's budgets.
//
//	be, err := graph.NewBackend(
//		client.WithTokens(ts), // per tenant: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token, scope graph.Scope
//		client.WithLimiter(client.NewPacing(client.PacingConfig{
//			Read:      client.Budget{Rate: 50, Burst: 10},
//			Write:     client.Budget{Rate: 20, Burst: 20},            // 3,000 per 150 s per app and tenant
//			AppWrite:  client.Budget{Rate: 35000.0 / 300, Burst: 20}, // 35,000 per 5 min per app
//			PerTenant: true,
//		})),
//	)
//	skus, err := be.Catalogue(ctx, tenantID)
//	applied, err := be.Apply(ctx, client.Change{Customer: tenantID, User: userID,
//		Assign: []client.Assignment{{SkuID: e5}}, Remove: []string{e3}}, call)
//
// # Calls
//
// Catalogue is GET v1.0/subscribedSkus; LookupUsers GET v1.0/users with $filter "id
// in (...)" or "userPrincipalName in (...)" (15 values at most, one request per kind
// of name); ListUsers GET v1.0/users?$select=...&$top=999 following @odata.nextLink
// as given (never to another scheme, host or port, never in a loop), or the deleted
// users of GET v1.0/directory/deletedItems/microsoft.graph.user; UserLicenses GET
// v1.0/users/{id} with assignedLicenses and licenseAssignmentStates. Every request
// carries client-request-id (the same on every retry of a call) and
// return-client-request-id: true.
//
// Apply sends a change as POST /users/{id}/assignLicense with addLicenses and
// removeLicenses always present ([] when empty) and disabledPlans always a list,
// after PATCH /users/{id} {"usageLocation": "XX"} when the change sets a usage
// location. It sends exactly what the change says: the planner leaves out what a
// user already holds (Graph's re-add replaces the disabled plans).
//
// # Batching
//
// Writes go out as items of POST v1.0/$batch, one tenant per $batch (its token is the
// tenant's). Each write first waits on the limiter as a Write call of its own (so
// the pacer paces writes per tenant, and the $batch itself, a client.Envelope call,
// is not paced), then joins its tenant's queue. A queue goes out 5 ms after its first
// write arrived, or at once when 20 are waiting: concurrent Apply calls of one tenant
// share a $batch. Items carry ids 1 to n, Content-Type and their own
// client-request-id, kept across retries. A PATCH and the assignment after it are two
// items of two successive batches (no dependsOn).
//
// # Retries
//
// Each item is retried on its own, at most client.DefaultRetryPolicy's 5 attempts;
// items that succeeded are not sent again. Every attempt is reported to the limiter
// (Observe) with the item's status, so that a per-item 429 slows its tenant only.
//
//   - 429 (an item, or the whole $batch): not applied; sent again in a later $batch
//     after the longest Retry-After of its batch (seconds or a date, the policy's
//     default when absent, capped). A Stop while it waits ends it as not sent.
//   - 5xx of an item: sent again after an exponential back-off with full jitter.
//   - No answer (the connection dropped, a 5xx of the whole $batch, an item missing
//     from the answer): the item is in doubt, for Graph's assignLicense is not
//     idempotent. After the back-off the user is read (GET users/{id}); if every
//     assigned SKU is held directly with exactly the disabled plans asked and no
//     removed SKU is held directly, the write is done (Applied.Warnings says so) and
//     nothing is sent again; otherwise it is sent again. A repeat refused as "license
//     not held" or "no free seat" (what repeating an applied write brings) is looked
//     up once more before it counts. A PATCH in doubt is simply sent again. Under
//     Entra ID's eventual consistency a read may not show a write yet: an assignment
//     sent again is an update (no second seat), a removal sent again fails as not
//     held; the ledger is right, the row reports the failure, and a resumed run's
//     planner sends nothing for it.
//   - Any other status of an item is final; so is a $batch refused as a whole with a
//     4xx (401 after the core's one token refresh, 403, 400) or without a token.
//
// call.Stop closed before an item's first attempt: nothing is sent and the error
// wraps client.ErrNotSent. Once the usage location was set, the assignment goes on.
//
// # Errors
//
// A refused item is a *client.APIError (a *client.ThrottleError for a 429 that
// outlasted its retries) with Graph's code and message, the item's client-request-id
// as RequestID, its attempts, and a Reason from Graph's words (Microsoft documents
// few of them; most come from partners' code and issues, so matching is by substring):
//
//	"...invalid usage location."                          ReasonNoUsageLocation
//	"...does not have any available licenses."            ReasonNoSeats
//	"License {sku} does not correspond to a valid..."     ReasonUnknownSku
//	"User does not have a corresponding license."         ReasonNotHeld
//	"...inherited from a group membership..."             ReasonInherited
//	"...service plans {a},{b} are mutually exclusive."    ReasonConflictingPlans
//	"...depends on the service plan(s)..."                ReasonMissingPrerequisite
//	404 Request_ResourceNotFound                          ReasonUserNotFound
//	403 Authorization_RequestDenied                       ReasonMissingRole (the message names RolesNeeded)
//	401, 429, 5xx                                         ReasonUnauthorized, ReasonThrottled, ReasonService
//
// No error text holds a token: the core scrubs the tokens it sent, and item texts,
// decoded here, lose anything shaped like one.
//
// # Names
//
// Graph lists SKUs without display names. Catalogue names them from a Names table
// (WithNames; DefaultNames is Microsoft's published table, pkg/client/productnames),
// matching on the SKU and plan GUIDs.
//
// See https://learn.microsoft.com/graph/api/user-assignlicense,
// https://learn.microsoft.com/graph/json-batching,
// https://learn.microsoft.com/graph/throttling-limits and
// https://learn.microsoft.com/partner-center/dap-api-impact.
package graph
