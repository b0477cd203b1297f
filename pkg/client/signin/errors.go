package signin

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The names of the settings an Error can point at. A library message names these;
// only the command turns one into its flag or environment variable.
const (
	SettingAccessToken       = "access token"
	SettingAccessTokenTenant = "access token tenant"
	SettingClientID          = "client ID"
	SettingClientSecret      = "client secret"
	SettingClientSecretFile  = "client secret file"
	SettingTenantID          = "tenant ID"
	SettingRefreshToken      = "refresh token"
	SettingRefreshTokenFile  = "refresh token file"
	SettingTokenURL          = "token URL"
	SettingScope             = "scope"
	SettingDeviceAuthURL     = "device authorization URL"
)

// ErrNoCredentials is wrapped by the Error that Credentials returns when no sign-in
// setting at all is given, so that the command can list its own ways of giving one.
var ErrNoCredentials = errors.New("no credentials: give an access token, or a client ID, client secret, tenant ID and refresh token for the secure application model")

// Error is a sign-in that failed: settings that are missing or unusable, an answer of
// the token endpoint that refused the credentials, or an endpoint that stayed
// unavailable. Its text and every field hold no secret.
//
// Transient tells a refused sign-in (false: fix Setting, or what Advice says, then run
// again) from an outage that outlasted the retries (true: run again later). Setting
// names the setting to fix, one of the Setting* constants, or is empty when the fix is
// outside the tool's settings (a customer's consent, a GDAP relationship, an outage).
type Error struct {
	Tenant      string   // the tenant the token was for; empty for a settings problem
	Status      int      // the token endpoint's HTTP status; 0 when none arrived
	Code        string   // an AADSTS code such as AADSTS700082, else the OAuth error code
	Description string   // the endpoint's description (first line) or the problem found
	Advice      string   // what to renew, check or do
	Setting     string   // the setting to fix; empty when none is wrong
	Missing     []string // every missing setting, when settings are missing
	Attempts    int      // how many requests were made; 0 when none
	Err         error    // the underlying error, its text scrubbed of secrets
	transient   bool
}

// Transient reports whether the sign-in failed because the token endpoint stayed
// unavailable or unreachable through every attempt (an outage: try again later), as
// opposed to refusing the credentials or the settings being wrong.
func (e *Error) Transient() bool { return e.transient }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sign in")
	if e.Tenant != "" {
		b.WriteString(" to tenant ")
		b.WriteString(e.Tenant)
	}
	b.WriteString(": ")
	// Entra's descriptions start with their code ("AADSTS70000: ..."): it is written once.
	if e.Code != "" && !strings.HasPrefix(e.Description, e.Code) {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	switch {
	case e.Description != "":
		b.WriteString(e.Description)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("failed")
	}
	if e.Advice != "" {
		b.WriteString("; ")
		b.WriteString(e.Advice)
	}
	if e.transient {
		fmt.Fprintf(&b, " (a temporary failure that lasted through %d attempts: try again later)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// settingsError is an Error about settings, made before any request.
func settingsError(setting, format string, args ...any) *Error {
	return &Error{Setting: setting, Description: fmt.Sprintf(format, args...)}
}

// scrubbedError is an error whose text had secrets removed; it unwraps to the original
// so that errors.Is and errors.As still work.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

// Advice texts shared by several codes.
const (
	renewRefresh  = "get a new refresh token with the one-time consent (an interactive sign-in of a partner admin with MFA) and store it as the refresh token"
	checkSecret   = "check the client secret (the secret's value, not its ID)"
	checkClientID = "check the client ID and the tenant ID"
)

// consentAdvice is what to do when a customer tenant does not let the app in.
func consentAdvice(tenant string) string {
	return "the customer " + tenant + " has not consented to the app (or the partner has no GDAP relationship with it): " +
		"grant the app consent in the customer tenant (Partner Center application consents) and check that an active GDAP " +
		"relationship gives the signed-in partner user a role that covers license assignment (License Administrator or User Administrator)"
}

// advise returns the setting to fix and what to do for an AADSTS code or OAuth error
// code; customer is true when the token was for a customer tenant rather than the
// partner's own.
func advise(code, oauthCode, subError, tenant string, customer bool) (setting, advice string) {
	switch code {
	case "AADSTS700082":
		return SettingRefreshToken, "the refresh token expired after 90 days unused: " + renewRefresh
	case "AADSTS70008", "AADSTS70043":
		return SettingRefreshToken, "the refresh token has expired (or a sign-in frequency policy ended it): " + renewRefresh
	case "AADSTS50173":
		return SettingRefreshToken, "the refresh token was revoked (a password change or an admin's action): " + renewRefresh
	case "AADSTS70000":
		return SettingRefreshToken, "the refresh token is not valid for this app: " + renewRefresh
	case "AADSTS9002313":
		return SettingRefreshToken, "the refresh token is malformed: check that the refresh token was copied whole, without quotes or line breaks"
	case "AADSTS50076", "AADSTS50079":
		return SettingRefreshToken, "multi-factor authentication is required (or the user must register for it): " + renewRefresh
	case "AADSTS7000215":
		return SettingClientSecret, "the client secret is wrong: " + checkSecret
	case "AADSTS7000222":
		return SettingClientSecret, "the client secret has expired: create a new one in the app registration and set it as the client secret"
	case "AADSTS7000218":
		return SettingClientSecret, "the app is a confidential client: give its client secret, or allow public client flows in the app registration"
	case "AADSTS53003":
		return "", "a Conditional Access policy of the tenant blocked the sign-in: ask the tenant's admin to allow it"
	}
	if customer {
		switch code {
		case "AADSTS65001", "AADSTS700016", "AADSTS500011":
			return "", consentAdvice(tenant)
		case "AADSTS50020":
			return "", "the signed-in partner user has no access to the customer " + tenant +
				": check that its GDAP relationship is active and that the user is in a security group with an access assignment on it"
		case "AADSTS90002", "AADSTS900023":
			return "", "the customer tenant " + tenant + " was not found: check the customer's tenant ID"
		}
		if oauthCode == "consent_required" || subError == "consent_required" {
			return "", consentAdvice(tenant)
		}
	} else {
		switch code {
		case "AADSTS65001":
			return SettingRefreshToken, "the app lacks consent in the partner tenant: redo the one-time consent for the API of the scope, then store the new refresh token"
		case "AADSTS700016":
			return SettingClientID, "the app was not found in the tenant: " + checkClientID
		case "AADSTS500011":
			return SettingScope, "the API of the scope is not known in the tenant: check the scope"
		case "AADSTS50020":
			return SettingTenantID, "the refresh token's user is not a member of the tenant: check the tenant ID, or " + renewRefresh
		case "AADSTS90002", "AADSTS900023":
			return SettingTenantID, "the tenant was not found: check the tenant ID"
		}
		if oauthCode == "consent_required" || subError == "consent_required" {
			return SettingRefreshToken, "the app lacks consent: redo the one-time consent, then store the new refresh token"
		}
	}
	switch oauthCode {
	case "invalid_grant":
		return SettingRefreshToken, "the refresh token was refused: " + renewRefresh
	case "interaction_required":
		return SettingRefreshToken, "an interactive sign-in is required: " + renewRefresh
	case "invalid_client", "unauthorized_client":
		return SettingClientSecret, "the app's credentials were refused: check the client ID and the client secret"
	case "invalid_scope":
		return SettingScope, "the scope was refused: check the scope"
	case "invalid_request":
		return SettingTokenURL, "the token endpoint refused the request: check the token URL"
	}
	return "", ""
}

// firstLine returns the first line of s, trimmed.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
