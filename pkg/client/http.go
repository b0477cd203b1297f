package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Version is bulkassign's version, sent in the User-Agent header.
const Version = "0.2.0"

// defaultTimeout bounds one attempt of the default HTTP client.
const defaultTimeout = 60 * time.Second

// maxBodySize bounds how much of an answer the client reads.
const maxBodySize = 32 << 20

// errBodyTooLarge is an answer larger than maxBodySize; it is not retried.
var errBodyTooLarge = fmt.Errorf("body larger than %d bytes", maxBodySize)

// Client is the HTTP machinery every backend shares: it sends one logical call as one
// or more attempts with one request ID, paced by a Limiter, retried by a RetryPolicy,
// with a bearer token per tenant, and turns answers into typed errors with secrets
// scrubbed. It follows no redirect. It is safe for concurrent use; all calls of one
// Client share one correlation ID.
type Client struct {
	hc            *http.Client
	base          *url.URL
	ts            TokenSource
	correlationID string
	userAgent     string
	requestIDHdr  string
	correlHdr     string
	headers       http.Header // static headers of every request
	retry         RetryPolicy
	limiter       Limiter
	observer      func(Attempt)
	// randN returns a random number in [0, n); tests replace it.
	randN func(n int64) int64

	mu sync.Mutex
	// lastToken is the last access token sent, scrubbed from every error text.
	lastToken string
}

// New returns a Client configured by opts. A base URL (WithBaseURL) and a token source
// (WithTokens or WithTokenSource) are required; everything else has a default: an
// *http.Client with a 60s timeout that follows no redirect, a new correlation ID, user
// agent "bulkassign/"+Version, DefaultRetryPolicy, request IDs in the X-Request-Id
// header, and a limiter that only honours the Retry-After of a 429 (an unlimited Pacer).
func New(opts ...Option) (*Client, error) {
	c := &Client{
		hc:            &http.Client{Timeout: defaultTimeout, Transport: defaultTransport()},
		correlationID: uuid.NewString(),
		userAgent:     "bulkassign/" + Version,
		requestIDHdr:  "X-Request-Id",
		headers:       http.Header{},
		retry:         DefaultRetryPolicy(),
		randN:         rand.Int64N,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("new client: nil option")
		}
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("new client: %w", err)
		}
	}
	switch {
	case c.ts == nil:
		return nil, errors.New("new client: no token source (oauth2.StaticTokenSource for a fixed bearer token)")
	case c.base == nil:
		return nil, errors.New("new client: no base URL")
	}
	c.hc = noRedirects(c.hc)
	if c.limiter == nil {
		c.limiter = NewPacer(Unlimited, 1)
	}
	return c, nil
}

// noRedirects returns a copy of hc that answers a redirect with the redirect itself: a
// call that follows one would re-send its bearer token (and, for a POST, turn into a
// GET whose 200 looks like success). The 3xx is then a final answer, an *APIError.
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// CorrelationID returns the correlation ID the client sends on every request; print it
// so that support can find the run.
func (c *Client) CorrelationID() string { return c.correlationID }

// BaseURL returns the endpoint the client calls, scrubbed for display.
func (c *Client) BaseURL() string { return scrubURL(c.base) }

// Limiter returns the limiter that paces the client's attempts.
func (c *Client) Limiter() Limiter { return c.limiter }

// defaultTransport is http.DefaultTransport keeping enough idle connections per host
// for a worker pool: the default two would make most requests of a pool of eight open
// a new connection, a TLS handshake each against the real API.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	return t
}

// maxIdleConnsPerHost covers the largest --concurrency the command accepts.
const maxIdleConnsPerHost = 256

// Request is one logical call a backend makes: sent as is on every attempt.
type Request struct {
	Op     string      // the call, e.g. "update licenses": errors and attempts name it
	Method string      // GET, POST, PATCH...
	URL    *url.URL    // see Endpoint
	Body   []byte      // the marshalled body, re-sent identically on every attempt; nil for none
	Header http.Header // extra headers (a next page link's); the client's own headers win
	// MaxAttempts, when above 0, caps the attempts of this call below the retry
	// policy's (1: never retried here; its caller retries what it carries).
	MaxAttempts int
}

// Answer is the successful answer of a call, its body read and closed.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Endpoint resolves an escaped path (each segment escaped with url.PathEscape) against
// the base URL.
func (c *Client) Endpoint(escapedPath string) *url.URL {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + escapedPath
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		// Cannot happen: the base path is valid and the rest was escaped with PathEscape.
		p = u.RawPath
	}
	u.Path = p
	return &u
}

// Base returns a copy of the base URL.
func (c *Client) Base() *url.URL {
	u := *c.base
	return &u
}

// Do runs req as call: attempts paced by the limiter, retried by the policy, one request
// ID throughout. call must not be nil; Do fills in its Response. It returns the 2xx
// answer, or a typed error: *APIError or *ThrottleError for another status,
// *TransportError when no answer came, *AuthError when no token could be had, an error
// wrapping ErrNotSent when call.Stop closed before the first attempt went out, and one
// wrapping ctx.Err() when ctx ended.
func (c *Client) Do(ctx context.Context, req Request, call *Call) (*Answer, error) {
	if call.RequestID == "" {
		call.RequestID = uuid.NewString()
	}
	call.CorrelationID = c.correlationID
	policy := c.retry
	if req.MaxAttempts > 0 && req.MaxAttempts < policy.MaxAttempts {
		policy.MaxAttempts = req.MaxAttempts
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx, call); err != nil {
			return nil, c.waitError(ctx, req, call, err)
		}
		token, err := c.token(ctx, call.Tenant)
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.canceled(ctx, req, call)
			}
			return nil, &AuthError{Op: req.Op, Tenant: call.Tenant, Attempts: call.Attempts, Err: err, known: c.knownSecrets()}
		}
		hreq, err := c.newRequest(ctx, req, call.RequestID, token)
		if err != nil {
			return nil, fmt.Errorf("%s: build request: %w", req.Op, scrubError(err))
		}
		start := time.Now()
		call.Attempts = attempt
		ans, err := c.send(hreq)
		at := Attempt{Op: req.Op, Kind: call.Kind, Tenant: call.Tenant, RequestID: call.RequestID, Number: attempt, Elapsed: time.Since(start)}
		if err != nil {
			if done, err := c.transportFailed(ctx, req, call, &at, err, token.AccessToken, policy); done {
				return nil, err
			}
			continue
		}
		call.StatusCode, call.Header = ans.Status, ans.Header
		at.StatusCode = ans.Status
		if ans.Status == http.StatusTooManyRequests {
			at.RetryAfter = RetryAfterWait(c.retry, ans.Header.Get("Retry-After"), time.Now())
		}
		c.observe(call, at)
		// A rejected token is refreshed once where the token source can refresh; a
		// second 401 is final.
		if ans.Status == http.StatusUnauthorized && !refreshed {
			if inv, ok := c.ts.(TokenInvalidator); ok {
				refreshed = true
				inv.Invalidate(call.Tenant, token.AccessToken)
				continue
			}
		}
		if ans.Status >= 200 && ans.Status <= 299 {
			return ans, nil
		}
		if ShouldRetry(ans.Status, nil) && attempt < policy.MaxAttempts {
			// After a 429 the limiter holds this call back in waitTurn.
			if ans.Status != http.StatusTooManyRequests {
				if err := Sleep(ctx, Backoff(policy, attempt, c.randN)); err != nil {
					return nil, c.canceled(ctx, req, call)
				}
			}
			continue
		}
		return nil, c.checkResponse(req.Op, &call.Response, ans, at.RetryAfter, token.AccessToken)
	}
}

// transportFailed handles an attempt that got no answer: done is true with the call's
// error when it is final, false after the back-off when it is worth another attempt.
func (c *Client) transportFailed(ctx context.Context, req Request, call *Call, at *Attempt, err error, token string, policy RetryPolicy) (bool, error) {
	// No answer this time: the response describes the last attempt, not an earlier one's.
	call.StatusCode, call.Header = 0, nil
	if ctx.Err() != nil {
		at.Err = ctx.Err()
		c.observe(call, *at)
		return true, c.canceled(ctx, req, call)
	}
	err = scrubError(err, token)
	at.Err = err
	c.observe(call, *at)
	if !ShouldRetry(0, err) || at.Number >= policy.MaxAttempts {
		return true, &TransportError{Op: req.Op, RequestID: call.RequestID,
			CorrelationID: c.correlationID, Attempts: at.Number, Err: err}
	}
	if err := Sleep(ctx, Backoff(policy, at.Number, c.randN)); err != nil {
		return true, c.canceled(ctx, req, call)
	}
	return false, nil
}

// waitTurn holds an attempt back until the limiter lets it go.
func (c *Client) waitTurn(ctx context.Context, call *Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if call.Attempts == 0 && call.Stop != nil {
		select {
		case <-call.Stop:
			return ErrNotSent
		default:
		}
	}
	return c.limiter.Wait(ctx, call)
}

// waitError turns a failed wait before an attempt into the call's error.
func (c *Client) waitError(ctx context.Context, req Request, call *Call, err error) error {
	if errors.Is(err, ErrNotSent) {
		return fmt.Errorf("%s: %w", req.Op, ErrNotSent)
	}
	if ctx.Err() != nil {
		return c.canceled(ctx, req, call)
	}
	return fmt.Errorf("%s: wait for the limiter: %w", req.Op, err)
}

// canceled is the call's error when its context ended.
func (c *Client) canceled(ctx context.Context, req Request, call *Call) error {
	return &canceledError{op: req.Op, requestID: call.RequestID, correlationID: c.correlationID,
		attempts: call.Attempts, err: context.Cause(ctx)}
}

// RetryPolicy returns the client's retry policy, for a backend that retries the calls
// an envelope carries itself.
func (c *Client) RetryPolicy() RetryPolicy { return c.retry }

// Observe hands an attempt that a backend made on its own (an item of an envelope) to
// the limiter and the observer, as the client does for its own attempts.
func (c *Client) Observe(call *Call, a Attempt) { c.observe(call, a) }

// Scrub removes from text the secrets the client knows (the access tokens it sent),
// for a backend's own error texts.
func (c *Client) Scrub(text string) string { return Scrub(text, c.knownSecrets()...) }

// observe hands an attempt to the limiter and the observer, if any.
func (c *Client) observe(call *Call, a Attempt) {
	c.limiter.Observe(call, a)
	if c.observer != nil {
		c.observer(a)
	}
}

// Sleep waits for d or until ctx ends, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
