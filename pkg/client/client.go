package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// Version is bulkassign's version, sent in the User-Agent and MS-PartnerCenter-Client
// headers.
const Version = "0.1.0"

// DefaultBaseURL is the Partner Center REST endpoint.
//
// See https://learn.microsoft.com/partner-center/developer/partner-center-rest-urls
const DefaultBaseURL = "https://api.partnercenter.microsoft.com/"

// defaultTimeout bounds one attempt of the default HTTP client.
const defaultTimeout = 60 * time.Second

// maxBodySize bounds how much of an answer the client reads.
const maxBodySize = 32 << 20

// errBodyTooLarge is an answer larger than maxBodySize; it is not retried.
var errBodyTooLarge = fmt.Errorf("body larger than %d bytes", maxBodySize)

// partnerCenterClient is the MS-PartnerCenter-Client header.
const partnerCenterClient = "bulkassign " + Version

// Client calls the Partner Center REST API. It is safe for concurrent use; all calls of
// one Client share one correlation ID and one throttling pause.
type Client struct {
	hc            *http.Client
	base          *url.URL
	ts            TokenSource
	correlationID string
	locale        string
	userAgent     string
	retry         RetryPolicy
	limiter       Limiter
	observer      func(Attempt)
	// randN returns a random number in [0, n); tests replace it.
	randN func(n int64) int64

	mu sync.Mutex
	// pausedUntil is when the last 429's Retry-After runs out; no attempt starts before.
	pausedUntil time.Time
	// lastToken is the last access token sent, scrubbed from every error text.
	lastToken string
}

// New returns a Client configured by opts. WithTokenSource is required; everything else
// has a default: DefaultBaseURL, an *http.Client with a 60s timeout, a new correlation
// ID, locale en-US, user agent "bulkassign/"+Version and DefaultRetryPolicy.
func New(opts ...Option) (*Client, error) {
	base, err := url.Parse(DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	c := &Client{
		hc:            &http.Client{Timeout: defaultTimeout, Transport: defaultTransport()},
		base:          base,
		correlationID: uuid.NewString(),
		locale:        "en-US",
		userAgent:     "bulkassign/" + Version,
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
	if c.ts == nil {
		return nil, errors.New("no token source: pass client.WithTokenSource (oauth2.StaticTokenSource for a fixed bearer token)")
	}
	return c, nil
}

// CorrelationID returns the MS-CorrelationId the client sends on every request; print
// it so that support can find the run.
func (c *Client) CorrelationID() string {
	return c.correlationID
}

// BaseURL returns the endpoint the client calls, scrubbed for display.
func (c *Client) BaseURL() string {
	return scrubURL(c.base)
}

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

// call is one logical call: one request ID, one or more attempts.
type call struct {
	op     string
	method string
	url    *url.URL
	body   []byte // the marshalled request body, re-sent identically on every attempt
	// header holds extra request headers (a next page link's); the client's own
	// headers replace any of the same name.
	header http.Header
}

// answer is one attempt's HTTP answer, its body already read and closed.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do runs a call with retries and returns the successful answer. The returned
// *Response is never nil.
func (c *Client) do(ctx context.Context, cl call) (*answer, *Response, error) {
	resp := &Response{RequestID: uuid.NewString(), CorrelationID: c.correlationID}
	refreshed := false
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			return nil, resp, c.waitError(ctx, cl, resp, err)
		}
		// The token is fetched per attempt: a later refresh after a 401 only has to
		// ask the token source again here.
		token, err := c.token(ctx, "")
		if err != nil {
			return nil, resp, &AuthError{Op: cl.op, Attempts: resp.Attempts, Err: err, known: c.knownSecrets()}
		}
		req, err := c.newRequest(ctx, cl, resp.RequestID, token)
		if err != nil {
			return nil, resp, fmt.Errorf("%s: build request: %w", cl.op, scrubError(err))
		}

		start := time.Now()
		ans, err := c.send(req)
		resp.Attempts = attempt
		at := Attempt{Op: cl.op, RequestID: resp.RequestID, Number: attempt, Elapsed: time.Since(start)}

		if err != nil {
			// No answer this time: the response describes the last attempt, not an
			// earlier one's status.
			resp.StatusCode, resp.Header = 0, nil
			if ctx.Err() != nil {
				at.Err = ctx.Err()
				c.observe(at)
				return nil, resp, c.canceled(ctx, cl, resp)
			}
			err = scrubError(err, token.AccessToken)
			at.Err = err
			c.observe(at)
			if !ShouldRetry(0, err) || attempt >= c.retry.MaxAttempts {
				return nil, resp, &TransportError{Op: cl.op, RequestID: resp.RequestID,
					CorrelationID: c.correlationID, Attempts: attempt, Err: err}
			}
			if err := Sleep(ctx, Backoff(c.retry, attempt, c.randN)); err != nil {
				return nil, resp, c.canceled(ctx, cl, resp)
			}
			continue
		}

		resp.StatusCode, resp.Header = ans.status, ans.header
		at.StatusCode = ans.status
		if ans.status == http.StatusTooManyRequests {
			at.RetryAfter = RetryAfterWait(c.retry, ans.header.Get("Retry-After"), time.Now())
			c.pause(at.RetryAfter)
		}
		c.observe(at)

		// A rejected token is refreshed once where the token source can refresh; a
		// second 401 is final.
		if ans.status == http.StatusUnauthorized && !refreshed {
			if inv, ok := c.ts.(TokenInvalidator); ok {
				refreshed = true
				inv.Invalidate("", token.AccessToken)
				continue
			}
		}
		if ans.status >= 200 && ans.status <= 299 {
			return ans, resp, nil
		}
		if ShouldRetry(ans.status, nil) && attempt < c.retry.MaxAttempts {
			// After a 429 the pause set above holds this call back in waitTurn.
			if ans.status != http.StatusTooManyRequests {
				if err := Sleep(ctx, Backoff(c.retry, attempt, c.randN)); err != nil {
					return nil, resp, c.canceled(ctx, cl, resp)
				}
			}
			continue
		}
		return nil, resp, c.checkResponse(cl.op, resp, ans, at.RetryAfter, token.AccessToken)
	}
}

// waitTurn holds an attempt back until any 429 pause has passed and the limiter lets it
// go. A 429 that arrives while the limiter waits extends the hold.
func (c *Client) waitTurn(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.waitPause(ctx); err != nil {
		return err
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("wait for rate limiter: %w", err)
		}
		return c.waitPause(ctx)
	}
	return nil
}

// waitPause sleeps until the shared pause is over.
func (c *Client) waitPause(ctx context.Context) error {
	for {
		c.mu.Lock()
		until := c.pausedUntil
		c.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		if err := Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// pause holds every attempt of the client back for d from now (or longer, if an
// earlier 429 asked for more).
func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(d)
	c.mu.Lock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.mu.Unlock()
}

// waitError turns a failed wait before an attempt into the call's error.
func (c *Client) waitError(ctx context.Context, cl call, resp *Response, err error) error {
	if ctx.Err() != nil {
		return c.canceled(ctx, cl, resp)
	}
	return fmt.Errorf("%s: %w", cl.op, err)
}

// canceled is the call's error when its context ended.
func (c *Client) canceled(ctx context.Context, cl call, resp *Response) error {
	return &canceledError{op: cl.op, requestID: resp.RequestID, correlationID: c.correlationID,
		attempts: resp.Attempts, err: ctx.Err()}
}

// token asks the token source for an access token and remembers it for scrubbing.
func (c *Client) token(ctx context.Context, tenant string) (*oauth2.Token, error) {
	t, err := c.ts.Token(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if t == nil || t.AccessToken == "" {
		return nil, errors.New("the token source returned an empty access token")
	}
	c.mu.Lock()
	c.lastToken = t.AccessToken
	c.mu.Unlock()
	return t, nil
}

// knownSecrets returns the secrets the client knows, for scrubbing.
func (c *Client) knownSecrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastToken == "" {
		return nil
	}
	return []string{c.lastToken}
}

// newRequest builds one attempt's request with every header.
func (c *Client) newRequest(ctx context.Context, cl call, requestID string, token *oauth2.Token) (*http.Request, error) {
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url.String(), body)
	if err != nil {
		return nil, err
	}
	h := req.Header
	for k, vs := range cl.header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	token.SetAuthHeader(req)
	h.Set("Accept", "application/json")
	h.Set("MS-RequestId", requestID)
	h.Set("MS-CorrelationId", c.correlationID)
	h.Set("X-Locale", c.locale)
	h.Set("User-Agent", c.userAgent)
	h.Set("MS-PartnerCenter-Client", partnerCenterClient)
	if cl.body != nil {
		h.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send makes one attempt and reads the whole answer, so that the connection can be
// reused before a retry. A failure to read the body counts as a transport error.
func (c *Client) send(req *http.Request) (*answer, error) {
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("read %d answer: %w", hr.StatusCode, err)
	}
	if len(body) > maxBodySize {
		return nil, fmt.Errorf("read %d answer: %w", hr.StatusCode, errBodyTooLarge)
	}
	return &answer{status: hr.StatusCode, header: hr.Header, body: body}, nil
}

// observe hands an attempt to the observer, if any.
func (c *Client) observe(a Attempt) {
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

// decodeJSON decodes an answer's body into v, naming the call in the error.
func decodeJSON(op string, resp *Response, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: decode %s answer (request ID %s): %w", op, statusText(resp.StatusCode), resp.RequestID, err)
	}
	return nil
}
