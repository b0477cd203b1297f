// Package partnercenter is the Partner Center REST API as bulkassign uses it, on the
// HTTP machinery of pkg/client: its wire types (SubscribedSku, LicenseUpdate, User,
// License...), its calls (GetSubscribedSkus, UpdateLicenses, ListUsersPages,
// UserLicenses, GetUser) and Backend, which is Partner Center as a client.Backend.
//
//	b, err := partnercenter.NewBackend(
//		client.WithTokenSource(ts), // required; an App+User token
//		client.WithLimiter(client.NewPacing(cfg)),
//	)
//	skus, err := b.Catalogue(ctx, customerID)         // license groups 1 and 2
//	applied, err := b.Apply(ctx, change, &client.Call{}) // one licenseupdates POST
//
// # Requests
//
// Every request carries MS-RequestId (one per call, the same on every retry of it,
// which makes a retried POST idempotent), MS-CorrelationId (one per client: print
// CorrelationID so that support can find the run), X-Locale (WithLocale) and
// MS-PartnerCenter-Client naming bulkassign. A licenseupdates POST carries licenses of
// one license group only; Backend.Apply sets a user's usage location first (a PATCH of
// the user) when the change asks for it.
//
// # Users
//
// A user is read by object ID (GET .../users/{id}, and its licenses); whether the API
// takes a user principal name there is not documented, so ReadCosts says such lookups
// are uncertain and the planner looks for names not found in a listing. The users
// listing pages 500 users at a time, without their licenses, and leaves deleted users
// out unless asked (ListUsers with deleted). The next page is requested as soon as
// this page's link to it is read.
//
// # Errors
//
// Refusals are the typed errors of pkg/client; classify gives them a Reason from
// Partner Center's codes (60012 out of licenses, 60002 user not found, 900421 a token
// without multi-factor authentication...) and from the descriptions users report for
// refusals without a code (an invalid usage location).
//
// See https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
// and https://learn.microsoft.com/partner-center/developer/api-throttling-guidance.
package partnercenter
