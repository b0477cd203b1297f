// Package client is bulkassign's client for the Partner Center REST calls (subscribed SKUs, license updates, and the users listing and per-user licenses that checks before a run use) it needs:
// GetSubscribedSkus lists a customer's products and their available license units, and
// UpdateLicenses assigns and removes licenses of one user.
//
//	c, err := client.New(
//		client.WithTokenSource(ts), // required; oauth2.StaticTokenSource for a fixed token
//		client.WithLimiter(rate.NewLimiter(5, 1)),
//	)
//	skus, resp, err := c.GetSubscribedSkus(ctx, customerID, client.Group1)
//	upd, resp, err := c.UpdateLicenses(ctx, customerID, "ada@contoso.com", client.LicenseUpdate{
//		LicensesToAssign: []client.LicenseAssignment{{SkuID: skuID}},
//	})
//
// # Requests
//
// Every request carries Authorization (a token asked from the token source before each
// attempt), Accept, X-Locale, User-Agent and MS-PartnerCenter-Client naming bulkassign
// and its Version, MS-CorrelationId (one per Client, so one per run: print
// Client.CorrelationID for support) and MS-RequestId (one per call, the same on every
// retry of that call, which makes a retried POST idempotent). Bodies hold only what the
// call needs, in the API's camelCase names; answers decode whatever case the server uses.
//
// # Errors
//
// A non-2xx answer is an *APIError (status, the API's code and description, request and
// correlation IDs, attempt count); a 429 that outlasted the retries is a *ThrottleError,
// which errors.As also finds as an *APIError. A call that got no answer is a
// *TransportError naming the call and the attempt count, a token source failure an
// *AuthError, and a cancelled call wraps ctx.Err(). Test them with errors.As and
// errors.Is, never by text. Error texts never hold a token or a secret, and URLs in them
// are scrubbed. Every call also returns a non-nil *Response with the attempt count.
//
// # Retries
//
// A call is retried, at most RetryPolicy.MaxAttempts attempts in all, after a 429, a
// 5xx other than 501, or a transport error or timeout; any other status is final. A 429
// pauses every call of the Client until its Retry-After (seconds or an HTTP date,
// capped) has passed; other failures back off exponentially with full jitter. Waits end
// early when the context ends. A Limiter set with WithLimiter paces every attempt, and
// an observer set with WithObserver sees every attempt.
//
// See https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
// and https://learn.microsoft.com/partner-center/developer/api-throttling-guidance.
package client
