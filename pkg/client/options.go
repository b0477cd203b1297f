package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// Option configures a Client in New. Every option checks the value it is given and
// makes New fail with a message naming the option when the value is unusable.
type Option func(*Client) error

// RetryPolicy bounds the client's retries.
//
// A call makes at most MaxAttempts attempts. After a 5xx answer (other than 501) or a
// transport error it waits a random time between 0 and MinWait*2^(n-1), at most
// MaxWait, before attempt n+1 (exponential back-off with full jitter). After a 429 it
// waits the server's Retry-After, DefaultRetryAfter when the server sent none, at most
// MaxRetryAfter, and so does every other call of the same Client.
type RetryPolicy struct {
	MaxAttempts       int
	MinWait, MaxWait  time.Duration
	DefaultRetryAfter time.Duration
	MaxRetryAfter     time.Duration
}

// DefaultRetryPolicy is 5 attempts, back-off from 500ms up to 30s, a 5s wait for a 429
// without Retry-After, and Retry-After capped at 120s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:       5,
		MinWait:           500 * time.Millisecond,
		MaxWait:           30 * time.Second,
		DefaultRetryAfter: 5 * time.Second,
		MaxRetryAfter:     120 * time.Second,
	}
}

// maxAttemptsLimit keeps a mistyped policy from retrying for hours.
const maxAttemptsLimit = 100

// validate reports the first unusable field of p.
func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 1 || p.MaxAttempts > maxAttemptsLimit:
		return fmt.Errorf("MaxAttempts %d: must be between 1 and %d", p.MaxAttempts, maxAttemptsLimit)
	case p.MinWait < 0:
		return fmt.Errorf("MinWait %v: must not be negative", p.MinWait)
	case p.MaxWait < p.MinWait:
		return fmt.Errorf("MaxWait %v: must not be less than MinWait %v", p.MaxWait, p.MinWait)
	case p.DefaultRetryAfter < 0:
		return fmt.Errorf("DefaultRetryAfter %v: must not be negative", p.DefaultRetryAfter)
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("MaxRetryAfter %v: must not be negative", p.MaxRetryAfter)
	case p.DefaultRetryAfter > p.MaxRetryAfter:
		return fmt.Errorf("DefaultRetryAfter %v: must not exceed MaxRetryAfter %v", p.DefaultRetryAfter, p.MaxRetryAfter)
	}
	return nil
}

// WithBaseURL sets the Partner Center endpoint, DefaultBaseURL by default. It must be an
// absolute http or https URL with a host, without user information, query or fragment;
// it may carry a path prefix, and a trailing slash is added when missing.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := parseBaseURL(raw)
		if err != nil {
			return fmt.Errorf("base URL: %w", err)
		}
		c.base = u
		return nil
	}
}

func parseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) != raw || raw == "" {
		return nil, errors.New("must be an absolute http or https URL without surrounding spaces")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The url.Error repeats the URL, which may hold a password: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("does not parse: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s: scheme must be http or https", scrubURL(u))
	case u.Opaque != "" || u.Host == "":
		return nil, fmt.Errorf("%s: must be an absolute URL with a host", scrubURL(u))
	case u.User != nil:
		return nil, fmt.Errorf("%s: must not carry user information; use WithTokenSource", scrubURL(u))
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%s: must not carry a query", scrubURL(u))
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%s: must not carry a fragment", scrubURL(u))
	}
	if err := CheckEndpoint(u.String()); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// WithHTTPClient sets the HTTP client that sends the requests; it must not be nil. Its
// Timeout bounds one attempt: an attempt that times out is retried. By default the
// client uses its own *http.Client with a 60s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("HTTP client: must not be nil")
		}
		c.hc = hc
		return nil
	}
}

// WithTokenSource sets where access tokens come from, for an API that takes one token
// for every customer; WithTokens or WithTokenSource is required, and ts must not be
// nil. The client asks it for a token before every attempt, so it should cache tokens
// (oauth2.ReuseTokenSource); a fixed bearer token is oauth2.StaticTokenSource. A source
// that also has Invalidate(accessToken string) is told of a token the API rejected.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *Client) error {
		if ts == nil {
			return errors.New("token source: must not be nil")
		}
		if inv, ok := ts.(interface{ Invalidate(string) }); ok {
			c.ts = invalidatingOAuth2Tokens{oauth2Tokens{ts}, inv}
		} else {
			c.ts = oauth2Tokens{ts}
		}
		return nil
	}
}

// WithTokens sets where access tokens come from, per tenant; it must not be nil. A
// source that is also a TokenInvalidator is told of a token the API rejected (401) and
// asked once more.
func WithTokens(ts TokenSource) Option {
	return func(c *Client) error {
		if ts == nil {
			return errors.New("token source: must not be nil")
		}
		c.ts = ts
		return nil
	}
}

// oauth2Tokens adapts an oauth2.TokenSource, which knows one token, to TokenSource.
type oauth2Tokens struct{ ts oauth2.TokenSource }

func (o oauth2Tokens) Token(_ context.Context, _ string) (*oauth2.Token, error) { return o.ts.Token() }

// invalidatingOAuth2Tokens is an oauth2Tokens whose source can be told of a rejected
// token.
type invalidatingOAuth2Tokens struct {
	oauth2Tokens
	inv interface{ Invalidate(string) }
}

func (o invalidatingOAuth2Tokens) Invalidate(_, accessToken string) { o.inv.Invalidate(accessToken) }

// WithCorrelationID sets the MS-CorrelationId sent on every request of the client. It
// must be a GUID; it is sent in canonical lower-case form. By default each client makes
// a new one, so a run that uses one client has one correlation ID.
func WithCorrelationID(id string) Option {
	return func(c *Client) error {
		u, err := uuid.Parse(id)
		if err != nil || len(id) != 36 {
			return fmt.Errorf("correlation ID %q: must be a GUID such as 0c39d6d5-c70d-4c55-bc02-f620844f3fd1", id)
		}
		c.correlationID = u.String()
		return nil
	}
}

// WithHeader adds a header every request of the client carries (a backend's own, such
// as Partner Center's X-Locale). name must be a valid header name; value must not hold
// control characters. The client's own headers (Authorization, the request and
// correlation IDs, Accept, User-Agent, Content-Type) cannot be set this way.
func WithHeader(name, value string) Option {
	return func(c *Client) error {
		if !ValidHeaderName(name) {
			return fmt.Errorf("header %q: not a valid header name", name)
		}
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Accept", "User-Agent", "Content-Type", "Content-Length":
			return fmt.Errorf("header %s: set by the client itself", name)
		}
		if !ValidHeaderValue(value) {
			return fmt.Errorf("header %s: the value holds control characters", name)
		}
		c.headers.Set(name, value)
		return nil
	}
}

// WithRequestIDHeader names the header that carries each call's request ID, the same on
// every retry of the call (X-Request-Id by default; Partner Center's MS-RequestId,
// Graph's client-request-id).
func WithRequestIDHeader(name string) Option {
	return func(c *Client) error {
		if !ValidHeaderName(name) {
			return fmt.Errorf("request ID header %q: not a valid header name", name)
		}
		c.requestIDHdr = name
		return nil
	}
}

// WithCorrelationIDHeader names the header that carries the client's correlation ID
// on every request (none by default; Partner Center's MS-CorrelationId).
func WithCorrelationIDHeader(name string) Option {
	return func(c *Client) error {
		if !ValidHeaderName(name) {
			return fmt.Errorf("correlation ID header %q: not a valid header name", name)
		}
		c.correlHdr = name
		return nil
	}
}

// ValidHeaderName reports whether s is an HTTP field name (an RFC 9110 token).
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether s can be sent as a header value: no control
// characters other than tab.
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// WithUserAgent sets the User-Agent header, "bulkassign/" + Version by default. It must
// not be empty nor contain control characters.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("user agent: must not be empty")
		}
		for _, r := range ua {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("user agent %q: must not contain control characters", ua)
			}
		}
		c.userAgent = ua
		return nil
	}
}

// WithRetryPolicy sets the retry limits, DefaultRetryPolicy by default. MaxAttempts must
// be between 1 and 100, the waits must not be negative, MinWait must not exceed MaxWait
// nor DefaultRetryAfter MaxRetryAfter.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		if err := p.validate(); err != nil {
			return fmt.Errorf("retry policy: %w", err)
		}
		c.retry = p
		return nil
	}
}

// WithLimiter paces the client's attempts: Wait is called before every attempt, retries
// included, and Observe after it (a *Pacer or a *Pacing). It must not be nil. Without
// one the client honours a 429's Retry-After and sets no pace.
func WithLimiter(l Limiter) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("limiter: must not be nil")
		}
		c.limiter = l
		return nil
	}
}

// WithObserver sets a function that receives one Attempt after every attempt, for logs
// and adaptive throttling. It is called on the calling goroutine, by concurrent calls at
// once, so it must be safe for concurrent use and quick. It must not be nil.
func WithObserver(f func(Attempt)) Option {
	return func(c *Client) error {
		if f == nil {
			return errors.New("observer: must not be nil")
		}
		c.observer = f
		return nil
	}
}
