package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// The scopes DeviceLogin asks for, to obtain a refresh token for Partner Center or for
// Microsoft Graph. offline_access is what makes the answer carry a refresh token.
const (
	PartnerCenterLoginScopes = "https://api.partnercenter.microsoft.com/user_impersonation offline_access"
	GraphLoginScopes         = "https://graph.microsoft.com/.default offline_access"
)

// DefaultDeviceAuthURL is the Microsoft identity platform device authorization
// endpoint; {tenant} stands for DeviceConfig.TenantID.
const DefaultDeviceAuthURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"

// DeviceConfig is what DeviceLogin needs.
type DeviceConfig struct {
	// TenantID is the partner's tenant; required unless both URLs are given.
	TenantID string
	ClientID string
	// ClientSecret is for a confidential client app; a public client app (one that
	// allows public client flows) needs none.
	ClientSecret Secret
	// Scopes default to PartnerCenterLoginScopes. An element may hold several scopes
	// separated by spaces; offline_access is added when missing.
	Scopes []string
	// DeviceAuthURL and TokenURL replace DefaultDeviceAuthURL and DefaultTokenURL.
	DeviceAuthURL, TokenURL string
	// HTTPClient's transport and timeout send the requests; redirects are never followed.
	HTTPClient *http.Client
	// Retry bounds the retries of transient failures; zero is client.DefaultRetryPolicy().
	Retry client.RetryPolicy
}

// DeviceCode is what the user needs to complete a device login: open VerificationURI
// in a browser on any device and enter UserCode before Expiry.
type DeviceCode struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // the URI with the code in it, when the endpoint gives one
	Expiry                  time.Time
	Interval                time.Duration // how often the endpoint is asked whether the user is done
}

// DeviceLogin signs a partner admin in with the device authorization grant and returns
// the refresh token it yields, for WriteRefreshTokenFile. It asks the device
// authorization endpoint for a code, hands it to prompt, then polls the token endpoint
// at the interval the endpoint sets (slower when told slow_down) until the user has
// signed in, declined, or the code expired. Transient failures are retried; ctx ends
// the wait.
//
// See https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
func DeviceLogin(ctx context.Context, cfg DeviceConfig, prompt func(DeviceCode)) (Secret, error) {
	if prompt == nil {
		return "", errors.New("device login: prompt must not be nil")
	}
	conf, err := cfg.oauth2Config()
	if err != nil {
		return "", err
	}
	policy := cfg.Retry
	if policy == (client.RetryPolicy{}) {
		policy = client.DefaultRetryPolicy()
	}
	known := &knownSecrets{fixed: []string{cfg.ClientSecret.Reveal()}}
	t := target{tenant: strings.TrimSpace(cfg.TenantID), scrub: known.scrub}
	octx := context.WithValue(ctx, oauth2.HTTPClient, httpClient(cfg.HTTPClient))

	var da *oauth2.DeviceAuthResponse
	o, err := retry(ctx, policy, rand.Int64N, func() outcome {
		var err error
		da, err = conf.DeviceAuth(octx)
		o := oauthOutcome(err, t)
		if o.err != nil && o.err.Setting == SettingTokenURL {
			o.err.Setting = SettingDeviceAuthURL
			o.err.Advice = strings.ReplaceAll(o.err.Advice, "token URL", SettingDeviceAuthURL)
			o.err.Advice = strings.ReplaceAll(o.err.Advice, "token endpoint", "device authorization endpoint")
		}
		return o
	})
	if err != nil {
		return "", fmt.Errorf("device login: %w", err)
	}
	if o.err != nil {
		return "", o.err
	}
	known.add(da.DeviceCode)
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second // RFC 8628 section 3.2
	}
	prompt(DeviceCode{UserCode: da.UserCode, VerificationURI: da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete, Expiry: da.Expiry, Interval: interval})

	var tok *oauth2.Token
	o, err = retry(ctx, policy, rand.Int64N, func() outcome {
		var err error
		tok, err = conf.DeviceAccessToken(octx, da)
		if err != nil && ctx.Err() == nil && !da.Expiry.IsZero() && !time.Now().Before(da.Expiry) {
			return outcome{err: deviceError(t, "expired_token")}
		}
		return oauthOutcome(err, t)
	})
	if err != nil {
		return "", fmt.Errorf("device login: %w", err)
	}
	if o.err != nil {
		return "", o.err
	}
	if tok.RefreshToken == "" {
		return "", &Error{Tenant: t.tenant, Setting: SettingScope,
			Description: "the sign-in succeeded but gave no refresh token",
			Advice:      "ask for the offline_access scope"}
	}
	return Secret(tok.RefreshToken), nil
}

// oauth2Config checks cfg and makes the oauth2.Config of the device flow.
func (cfg DeviceConfig) oauth2Config() (*oauth2.Config, error) {
	tenant := strings.TrimSpace(cfg.TenantID)
	clientID := strings.TrimSpace(cfg.ClientID)
	authURL, tokenURL := strings.TrimSpace(cfg.DeviceAuthURL), strings.TrimSpace(cfg.TokenURL)
	var missing []string
	if clientID == "" {
		missing = append(missing, SettingClientID)
	}
	if tenant == "" && (authURL == "" || tokenURL == "") {
		missing = append(missing, SettingTenantID)
	}
	if len(missing) > 0 {
		e := settingsError(missing[0], "device login needs settings that are missing: %s", strings.Join(missing, ", "))
		e.Missing = missing
		return nil, e
	}
	if authURL == "" {
		authURL = DefaultDeviceAuthURL
	}
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	var err error
	if authURL, err = endpointFor(SettingDeviceAuthURL, authURL, tenant); err != nil {
		return nil, err
	}
	if tokenURL, err = endpointFor(SettingTokenURL, tokenURL, tenant); err != nil {
		return nil, err
	}
	var scopes []string
	for _, s := range cfg.Scopes {
		scopes = append(scopes, strings.Fields(s)...)
	}
	if len(scopes) == 0 {
		scopes = strings.Fields(PartnerCenterLoginScopes)
	}
	if !containsFold(scopes, "offline_access") {
		scopes = append(scopes, "offline_access")
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: strings.TrimSpace(cfg.ClientSecret.Reveal()),
		Endpoint:     oauth2.Endpoint{DeviceAuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       scopes,
	}, nil
}

// endpointFor puts tenant in the URL template raw of setting and checks the result.
func endpointFor(setting, raw, tenant string) (string, error) {
	u := strings.ReplaceAll(raw, "{tenant}", url.PathEscape(tenant))
	if err := client.CheckEndpoint(u); err != nil {
		e := settingsError(setting, "the %s is not usable: %v", setting, err)
		e.Err = err
		return "", e
	}
	return u, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// oauthOutcome turns an error of golang.org/x/oauth2 into an outcome.
func oauthOutcome(err error, t target) outcome {
	if err == nil {
		return outcome{}
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return outcome{transport: err, err: unreachable(t, err)}
		}
		return outcome{err: &Error{Tenant: t.tenant, Err: scrubErr(err, t.scrub)}}
	}
	resp := re.Response
	o := outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		o.err = redirected(t, resp)
		return o
	}
	switch re.ErrorCode {
	case "expired_token", "access_denied", "authorization_declined", "bad_verification_code":
		o.err = deviceError(t, re.ErrorCode)
		o.err.Status = resp.StatusCode
		return o
	}
	var a tokenAnswer
	_ = json.Unmarshal(re.Body, &a) // for error_codes and suberror; the rest oauth2 parsed
	a.Error, a.Description = re.ErrorCode, re.ErrorDescription
	o.busy = a.Error == "temporarily_unavailable"
	o.err = refused(t, resp, a)
	return o
}

// deviceError is the Error of a device login that ended without a token.
func deviceError(t target, code string) *Error {
	e := &Error{Tenant: t.tenant, Code: code, Advice: "run the login again"}
	switch code {
	case "expired_token":
		e.Description = "the code expired before the sign-in was completed"
		e.Advice = "run the login again and complete the sign-in before the code expires"
	case "access_denied", "authorization_declined":
		e.Description = "the sign-in was declined"
		e.Advice = "run the login again and accept the request"
	default:
		e.Description = "the endpoint did not recognize the device code"
	}
	return e
}
