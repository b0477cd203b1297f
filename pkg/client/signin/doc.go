// Package signin signs bulkassign in to Partner Center with the secure application
// model: an app's client ID and secret plus a refresh token that a partner admin
// obtained once, interactively. It turns them into short-lived App+User access tokens
// through golang.org/x/oauth2, refreshing each token before it expires, and writes a
// rotated refresh token back to its file as soon as it arrives, so that the next
// scheduled run still signs in.
//
// Secrets are held in Secret, whose String, GoString, Format and MarshalJSON all say
// [REDACTED], so that no log line, error or panic can show one by accident.
//
// See https://learn.microsoft.com/partner-center/developer/enable-secure-app-model and
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
package signin
