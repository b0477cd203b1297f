package signin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// DefaultTokenURL is the Microsoft identity platform token endpoint; {tenant} stands
// for the tenant a token is for.
const DefaultTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"

// The scopes of the refresh token grant: Partner Center's (the default) and Microsoft
// Graph's.
const (
	PartnerCenterScope = "https://api.partnercenter.microsoft.com/.default"
	GraphScope         = "https://graph.microsoft.com/.default"
	DefaultScope       = PartnerCenterScope
)

// Settings are what a sign-in can be made of: the secure application model (client
// ID, client secret, tenant ID and refresh token), or a ready access token.
type Settings struct {
	// AccessToken is a ready access token, used as it is when no setting of the secure
	// application model is given.
	AccessToken Secret
	// StaticTenant is the tenant AccessToken is for. A Token call for another tenant is
	// an error; with StaticTenant empty only tenant "" is answered.
	StaticTenant string

	ClientID     string
	ClientSecret Secret
	// ClientSecretFile is a file holding the client secret (read once, trimmed); give
	// it or ClientSecret.
	ClientSecretFile string
	// TenantID is the partner's own tenant, the one of Token(ctx, "").
	TenantID     string
	RefreshToken Secret
	// RefreshTokenFile is a file holding the refresh token (read once, trimmed); give
	// it or RefreshToken. Every rotated refresh token is written back to it
	// (atomically, mode 0600) as soon as it arrives.
	RefreshTokenFile string
	// TokenURL replaces DefaultTokenURL, for sovereign clouds and tests; {tenant} in it
	// stands for the tenant. Without {tenant} only TenantID can be signed in to. It
	// must be https, or http to a loopback host.
	TokenURL string
	// Scope defaults to PartnerCenterScope; GraphScope for Microsoft Graph.
	Scope string
	// HTTPClient's transport and timeout send the token requests (default:
	// http.DefaultTransport, 30 seconds per request). Redirects are never followed.
	HTTPClient *http.Client
	// Retry bounds the retries of transient failures; zero is client.DefaultRetryPolicy().
	Retry client.RetryPolicy
	// OnRotate, when set, is told each time a rotated refresh token was stored in
	// RefreshTokenFile (nil), or could not be (the error, scrubbed; the new token is
	// still used for this run).
	OnRotate func(err error)
}

// Credentials picks the sign-in that s describes and returns its token source and a
// one-line description of where the credentials came from, without any secret:
//
//   - the secure application model when a client ID, a client secret (or its file) or
//     a refresh token (or its file) is given: every one of them and the tenant ID must
//     be; the source is a *TokenSource;
//   - else the access token, bound to StaticTenant;
//   - else an *Error wrapping ErrNoCredentials.
//
// Every problem is an *Error whose Setting (and Missing) name the settings to fix.
// Credentials makes no request: call Token(ctx, "") once to find a refused sign-in
// before starting work.
func Credentials(ctx context.Context, s Settings) (client.TokenSource, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("sign in: %w", err)
	}
	if s.ClientID != "" || s.ClientSecret != "" || s.ClientSecretFile != "" || s.RefreshToken != "" || s.RefreshTokenFile != "" {
		ts, err := newTokenSource(s)
		if err != nil {
			return nil, "", err
		}
		desc := ts.describe(s)
		if s.AccessToken != "" {
			desc += "; the access token given is not used"
		}
		return ts, desc, nil
	}
	tok := strings.TrimSpace(s.AccessToken.Reveal())
	if tok == "" {
		return nil, "", &Error{Err: ErrNoCredentials,
			Missing: []string{SettingClientID, SettingClientSecret, SettingTenantID, SettingRefreshToken}}
	}
	st := staticSource{tok: &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, tenant: strings.TrimSpace(s.StaticTenant)}
	if st.tenant != "" {
		return st, "access token given as a setting, for the tenant " + st.tenant, nil
	}
	return st, "access token given as a setting", nil
}

// newTokenSource checks the secure application model's settings and reads its files.
func newTokenSource(s Settings) (*TokenSource, error) {
	ts := &TokenSource{
		clientID: strings.TrimSpace(s.ClientID),
		tenantID: strings.TrimSpace(s.TenantID),
		secret:   Secret(strings.TrimSpace(s.ClientSecret.Reveal())),
		refresh:  Secret(strings.TrimSpace(s.RefreshToken.Reveal())),
		tokenURL: strings.TrimSpace(s.TokenURL),
		scope:    strings.TrimSpace(s.Scope),
		onRotate: s.OnRotate,
		hc:       httpClient(s.HTTPClient),
		policy:   s.Retry,
		randN:    rand.Int64N,
		tenants:  make(map[string]*tenantState),
		settled:  make(chan struct{}),
	}
	switch {
	case ts.secret != "" && s.ClientSecretFile != "":
		return nil, settingsError(SettingClientSecretFile, "both a client secret and a client secret file are given: give one")
	case ts.refresh != "" && s.RefreshTokenFile != "":
		return nil, settingsError(SettingRefreshTokenFile, "both a refresh token and a refresh token file are given: give one")
	}
	var missing []string
	if ts.clientID == "" {
		missing = append(missing, SettingClientID)
	}
	if ts.secret == "" && s.ClientSecretFile == "" {
		missing = append(missing, SettingClientSecret)
	}
	if ts.tenantID == "" {
		missing = append(missing, SettingTenantID)
	}
	if ts.refresh == "" && s.RefreshTokenFile == "" {
		missing = append(missing, SettingRefreshToken)
	}
	if len(missing) > 0 {
		e := settingsError(missing[0], "the secure application model needs settings that are missing: %s", strings.Join(missing, ", "))
		e.Missing = missing
		return nil, e
	}
	if ts.tokenURL == "" {
		ts.tokenURL = DefaultTokenURL
	}
	if err := client.CheckEndpoint(strings.ReplaceAll(ts.tokenURL, "{tenant}", "tenant")); err != nil {
		e := settingsError(SettingTokenURL, "the token URL is not usable: %v", err)
		e.Err = err
		return nil, e
	}
	if ts.scope == "" {
		ts.scope = DefaultScope
	}
	if ts.policy == (client.RetryPolicy{}) {
		ts.policy = client.DefaultRetryPolicy()
	}
	if p := ts.policy; p.MaxAttempts < 1 || p.MaxAttempts > 100 || p.MinWait < 0 || p.MaxWait < p.MinWait {
		return nil, fmt.Errorf("sign in: retry policy %+v: needs 1 to 100 attempts and 0 <= MinWait <= MaxWait", p)
	}
	var err error
	if s.ClientSecretFile != "" {
		if ts.secret, err = readSecretFile(SettingClientSecretFile, s.ClientSecretFile); err != nil {
			return nil, err
		}
		ts.fromFile.secret = true
	}
	if s.RefreshTokenFile != "" {
		if ts.refresh, err = readSecretFile(SettingRefreshTokenFile, s.RefreshTokenFile); err != nil {
			return nil, err
		}
		ts.file, ts.fromFile.refresh = s.RefreshTokenFile, true
		ts.stored = ts.refresh
	}
	ts.ownKey = strings.ToLower(ts.tenantID)
	ts.known.fixed = []string{ts.secret.Reveal(), ts.refresh.Reveal()}
	return ts, nil
}

// describe says where the source's credentials come from, without a secret.
func (ts *TokenSource) describe(s Settings) string {
	from := func(file string) string {
		if file != "" {
			return "from the file " + file
		}
		return "given as a setting"
	}
	d := fmt.Sprintf("secure application model: app %s, tenant %s, refresh token %s, client secret %s",
		ts.clientID, ts.tenantID, from(s.RefreshTokenFile), from(s.ClientSecretFile))
	if ts.scope != DefaultScope {
		d += ", scope " + ts.scope
	}
	if ts.tokenURL != DefaultTokenURL {
		d += ", token URL " + plainURL(ts.tokenURL, ts.known.scrub)
	}
	return d
}

// plainURL is raw as given when it has no user information, query or fragment, else
// with those redacted.
func plainURL(raw string, scrub func(string) string) string {
	u, err := url.Parse(raw)
	if err == nil && u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return scrub(raw)
	}
	return redactedURL(&url.URL{}, raw, scrub)
}

// staticSource hands out a ready access token, for the tenant it is bound to.
type staticSource struct {
	tok    *oauth2.Token
	tenant string
}

// Token returns the access token for tenant "" or the tenant it is bound to; for any
// other tenant an *Error naming both.
func (s staticSource) Token(ctx context.Context, tenant string) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	t := strings.TrimSpace(tenant)
	switch {
	case t == "" || strings.EqualFold(t, s.tenant):
		return s.tok, nil
	case s.tenant == "":
		return nil, &Error{Tenant: t, Setting: SettingAccessTokenTenant,
			Description: "the access token is not bound to a tenant, so it is not used for the tenant " + t,
			Advice:      "name the tenant the access token is for, or sign in with the secure application model"}
	}
	return nil, &Error{Tenant: t, Setting: SettingAccessToken,
		Description: "the access token is for the tenant " + s.tenant + ", not for the tenant " + t,
		Advice:      "give an access token for " + t + ", or sign in with the secure application model to reach several tenants"}
}
