package signin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultScope is the scope of Partner Center access tokens.
const DefaultScope = "https://api.partnercenter.microsoft.com/.default"

// DefaultEarlyRefresh is how long before its expiry an access token is replaced.
const DefaultEarlyRefresh = 5 * time.Minute

// DefaultTokenURL is the Microsoft identity platform token endpoint of tenant.
func DefaultTokenURL(tenant string) string {
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// Config is what the secure application model needs.
type Config struct {
	TenantID     string
	ClientID     string
	ClientSecret Secret
	// RefreshToken is the refresh token; when empty it is read from RefreshTokenFile.
	RefreshToken Secret
	// RefreshTokenFile, when set, receives every rotated refresh token (atomically,
	// mode 0600) as soon as it arrives.
	RefreshTokenFile string
	// TokenURL replaces DefaultTokenURL(TenantID), for tests and sovereign clouds.
	TokenURL string
	// Scope defaults to DefaultScope.
	Scope string
	// HTTPClient sends the token requests; nil means http.DefaultClient's transport.
	HTTPClient *http.Client
	// EarlyRefresh defaults to DefaultEarlyRefresh.
	EarlyRefresh time.Duration
	// OnRotate, when set, is told each time a rotated refresh token was stored, or
	// could not be (err non-nil; the new token is still used for this run).
	OnRotate func(err error)
}

// TokenSource is an oauth2.TokenSource of App+User access tokens from a refresh
// token. It caches the access token, replaces it EarlyRefresh before it expires, and
// can be told that the service rejected a token (Invalidate) so that the next Token
// call refreshes. It is safe for concurrent use.
type TokenSource struct {
	conf    oauth2.Config
	ctx     context.Context
	early   time.Duration
	file    string
	secret  Secret
	onRot   func(error)
	mu      sync.Mutex
	refresh Secret
	tok     *oauth2.Token
	count   int
}

// New checks cfg and returns its TokenSource. It makes no request: the first Token
// call signs in.
func New(ctx context.Context, cfg Config) (*TokenSource, error) {
	var missing []string
	if cfg.ClientID == "" {
		missing = append(missing, "client ID")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if cfg.TenantID == "" && cfg.TokenURL == "" {
		missing = append(missing, "tenant ID")
	}
	refresh := cfg.RefreshToken
	if refresh == "" && cfg.RefreshTokenFile != "" {
		b, err := os.ReadFile(cfg.RefreshTokenFile)
		if err != nil {
			return nil, fmt.Errorf("read refresh token file: %w", err)
		}
		refresh = Secret(strings.TrimSpace(string(b)))
		if refresh == "" {
			return nil, fmt.Errorf("read refresh token file %s: the file is empty", cfg.RefreshTokenFile)
		}
	}
	if refresh == "" {
		missing = append(missing, "refresh token")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sign-in settings missing: %s", strings.Join(missing, ", "))
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = DefaultTokenURL(cfg.TenantID)
	}
	scope := cfg.Scope
	if scope == "" {
		scope = DefaultScope
	}
	early := cfg.EarlyRefresh
	if early <= 0 {
		early = DefaultEarlyRefresh
	}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	hc := &http.Client{Transport: scopeTransport{base: base, scope: scope}}
	if cfg.HTTPClient != nil {
		hc.Timeout = cfg.HTTPClient.Timeout
	}
	if hc.Timeout == 0 {
		hc.Timeout = time.Minute
	}
	return &TokenSource{
		conf: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret.Reveal(),
			Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
			Scopes:       []string{scope},
		},
		ctx:     context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc),
		early:   early,
		file:    cfg.RefreshTokenFile,
		secret:  cfg.ClientSecret,
		onRot:   cfg.OnRotate,
		refresh: refresh,
	}, nil
}

// Token returns a valid access token, refreshing it when it expires within
// EarlyRefresh or was invalidated.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > s.early) {
		return s.tok, nil
	}
	// A ReuseTokenSource holding only the refresh token refreshes at once, through
	// oauth2's own token request and error parsing.
	tok, err := s.conf.TokenSource(s.ctx, &oauth2.Token{RefreshToken: s.refresh.Reveal()}).Token()
	if err != nil {
		return nil, s.signInError(err)
	}
	s.count++
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh.Reveal() {
		s.refresh = Secret(tok.RefreshToken)
		if s.file != "" {
			werr := writeFileAtomic(s.file, []byte(tok.RefreshToken+"\n"))
			if s.onRot != nil {
				s.onRot(werr)
			}
		}
	}
	s.tok = tok
	return tok, nil
}

// Invalidate tells the source that the service rejected accessToken; the next Token
// call refreshes unless a newer token is already cached.
func (s *TokenSource) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == accessToken {
		s.tok = nil
	}
}

// Refreshes reports how many access tokens the source has fetched.
func (s *TokenSource) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Error is a sign-in the token endpoint refused, or could not be reached for. Renew
// names the setting to fix. Its text never holds a secret.
type Error struct {
	Code        string // an AADSTS code such as AADSTS700082, or the OAuth error code
	Description string // the first line of the endpoint's description
	Renew       string // what to renew or check
	Err         error  // the underlying error, already scrubbed of secrets
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sign in to Partner Center: ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	if e.Description != "" {
		b.WriteString(e.Description)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Renew != "" {
		b.WriteString("; ")
		b.WriteString(e.Renew)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

// renewal maps AADSTS codes to what the admin must renew.
var renewal = map[string]string{
	"AADSTS700082":  "the refresh token expired after 90 days unused: renew it with the one-time consent and store it in PARTNER_CENTER_REFRESH_TOKEN or --refresh-token-file",
	"AADSTS70008":   "the refresh token has expired: renew it with the one-time consent",
	"AADSTS50173":   "the refresh token was revoked (password change or admin action): renew it with the one-time consent",
	"AADSTS70000":   "the refresh token is not valid for this app: renew it with the one-time consent",
	"AADSTS9002313": "the refresh token is malformed: check PARTNER_CENTER_REFRESH_TOKEN or --refresh-token-file",
	"AADSTS7000215": "the client secret is wrong: check PARTNER_CENTER_CLIENT_SECRET",
	"AADSTS7000222": "the client secret has expired: create a new one in the app registration and set PARTNER_CENTER_CLIENT_SECRET",
	"AADSTS700016":  "the app was not found in the tenant: check PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_TENANT_ID",
	"AADSTS90002":   "the tenant was not found: check PARTNER_CENTER_TENANT_ID",
	"AADSTS900023":  "the tenant ID is not valid: check PARTNER_CENTER_TENANT_ID",
	"AADSTS65001":   "the app lacks consent: redo the one-time consent for the Partner Center API",
	"AADSTS50076":   "multi-factor authentication is required: redo the one-time consent with MFA",
}

func (s *TokenSource) signInError(err error) error {
	e := &Error{Err: scrubbedError{msg: s.scrub(err.Error())}}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		desc := re.ErrorDescription
		if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
			desc = desc[:i]
		}
		e.Description = s.scrub(strings.TrimSpace(desc))
		e.Code = aadstsCode.FindString(desc)
		if e.Code == "" {
			e.Code = aadstsCode.FindString(string(re.Body))
		}
		if e.Code == "" {
			e.Code = re.ErrorCode
		}
		if e.Description == "" && re.Response != nil {
			e.Description = "the token endpoint answered " + re.Response.Status
		}
		e.Renew = renewal[e.Code]
		if e.Renew == "" {
			switch re.ErrorCode {
			case "invalid_grant":
				e.Renew = "the refresh token was refused: renew it with the one-time consent"
			case "invalid_client", "unauthorized_client":
				e.Renew = "the app's credentials were refused: check PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET"
			}
		}
		return e
	}
	e.Renew = "the token endpoint could not be reached: check the network and --token-url"
	return e
}

// scrub removes the secrets this source knows from text.
func (s *TokenSource) scrub(text string) string {
	for _, v := range []string{s.secret.Reveal(), s.refresh.Reveal()} {
		if v != "" {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

type scrubbedError struct{ msg string }

func (e scrubbedError) Error() string { return e.msg }

// scopeTransport adds the scope to refresh-token requests: the Microsoft identity
// platform v2 endpoint expects it, and oauth2's refresher does not send one.
type scopeTransport struct {
	base  http.RoundTripper
	scope string
}

func (t scopeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("grant_type") == "refresh_token" && form.Get("scope") == "" {
		form.Set("scope", t.scope)
		body = []byte(form.Encode())
	}
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.base.RoundTrip(r2)
}

// writeFileAtomic replaces path with data: a temporary file in the same directory,
// mode 0600, synced, then renamed over path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".bulkassign-refresh-*")
	if err != nil {
		return fmt.Errorf("store rotated refresh token: %w", err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("store rotated refresh token in %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("store rotated refresh token in %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("store rotated refresh token in %s: %w", path, err)
	}
	return nil
}
