// Package signin signs bulkassign in to Partner Center and to Microsoft Graph with the
// secure application model: an app's client ID and client secret plus a refresh token
// that a partner admin obtained once, interactively and with MFA. It turns them into
// short-lived App+User access tokens, and it obtains that refresh token in the first
// place with the device code flow (DeviceLogin).
//
// # Settings
//
// Credentials takes Settings and returns a client.TokenSource with a one-line
// description of where the credentials came from. When any of the client ID, the
// client secret (or its file) or the refresh token (or its file) is given, all of them
// and the tenant ID must be, and the source is a *TokenSource; otherwise a ready access
// token is used as it is, bound to one tenant for Microsoft Graph. Credentials makes no
// request: the caller asks Token(ctx, "") once to learn of a refused sign-in before it
// starts work. A refresh token or client secret read from a file is trimmed;
// CheckFileMode warns about such a file that other users can read.
//
// # Per-tenant tokens
//
// Token(ctx, tenant) returns a token for tenant; "" is the configured tenant ID, the
// partner's own, whose token Partner Center takes for every customer. Microsoft Graph
// under GDAP takes a token per customer tenant, obtained with the partner's refresh
// token from the token endpoint of that tenant: {tenant} in the token URL stands for
// it, and a token URL without {tenant} signs in to the configured tenant only. The
// form is client_id, client_secret, grant_type=refresh_token, refresh_token and scope
// (PartnerCenterScope or GraphScope). Tokens are cached per tenant; callers that ask
// for one tenant at the same time share one request, and each returns as soon as its
// own context ends (the request is abandoned when no caller is left).
//
// Refresh tokens rotate: an answer may carry a new one, which replaces the old for
// every tenant and is written at once to the refresh token file (a temporary file,
// mode 0600, renamed over it), with OnRotate told the outcome. Should an endpoint
// refuse a refresh token that another answer replaced meanwhile, the request is made
// once more with the new one.
//
// # Refresh rule
//
// A token that lives L is replaced once less than min(MaxEarlyRefresh, L/10) remains:
// 5 minutes for the usual hour-long token, 7.5 seconds for a 75-second one, so that a
// token is refreshed at most once whatever its lifetime. If that early refresh fails
// while the token still lives, the token is handed out, without another request, until
// half of that margin remains; then the failure is returned. A sign-in the endpoint
// refused is answered again without a new request. A token the API rejected is
// dropped with Invalidate.
//
// # Retries and errors
//
// A token request that gets a 429, a 5xx other than 501, temporarily_unavailable, a
// timeout, a refused connection or a failed name lookup is retried like an API call:
// at most Settings.Retry.MaxAttempts attempts (client.DefaultRetryPolicy), waiting the
// server's Retry-After or an exponential back-off with full jitter, each wait ending
// early with the context. Every failure is an *Error: Transient reports an outage that
// outlasted the retries (run again later) as opposed to refused credentials or wrong
// settings; Setting names the setting to fix (a Setting* constant, or "" when the fix
// lies elsewhere: a customer's consent, a GDAP relationship); AADSTS codes are turned
// into advice in terms of settings, and an error for a customer tenant names it.
//
// The token endpoint is never followed through a redirect: a 3xx answer is a refused
// sign-in naming the status and where it pointed (its query left out), so the client
// secret and refresh token are never posted to another host and no refresh token from
// one is stored. Every error text and OnRotate error passes through client.Scrub with
// the client secret, the refresh tokens (first and rotated) and the access tokens, so
// that a secret echoed in another case or in part does not show. Secrets are held in
// Secret, which prints as [REDACTED] in every format.
//
// # Device login
//
// DeviceLogin runs the device authorization grant through golang.org/x/oauth2: it
// hands the user code and verification URI to a prompt, polls the token endpoint at
// the interval the endpoint sets until the admin has signed in, and returns the
// refresh token for WriteRefreshTokenFile. Its scopes are PartnerCenterLoginScopes
// (https://api.partnercenter.microsoft.com/user_impersonation offline_access) or
// GraphLoginScopes (https://graph.microsoft.com/.default offline_access). The app
// registration needs:
//
//   - "Allow public client flows" set to Yes when no client secret is given (a public
//     client); a confidential app gives its client secret instead;
//   - delegated API permissions, consented: Partner Center's user_impersonation, or for
//     Microsoft Graph User.ReadWrite.All and LicenseAssignment.ReadWrite.All (or
//     Directory.ReadWrite.All); under GDAP the rights that take effect are those
//     permissions intersected with the signed-in user's GDAP roles in each customer
//     (User Administrator, or License Administrator with Directory Readers);
//   - no redirect URI: the device code flow uses none.
//
// See https://learn.microsoft.com/partner-center/developer/enable-secure-app-model,
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code and
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
package signin
