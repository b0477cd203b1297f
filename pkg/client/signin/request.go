package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// defaultRequestTimeout bounds one request to a token endpoint when the HTTP client
// given has no timeout of its own.
const defaultRequestTimeout = 30 * time.Second

// maxAnswer is the largest token endpoint answer read.
const maxAnswer = 1 << 20

// httpClient returns the client that sends token requests: hc's transport and timeout,
// and never a redirect followed, so that the client secret and the refresh token are
// never posted to another host and no other host's answer is taken for a token.
func httpClient(hc *http.Client) *http.Client {
	t := bufferedTransport{base: http.DefaultTransport, timeout: defaultRequestTimeout}
	if hc != nil {
		if hc.Transport != nil {
			t.base = hc.Transport
		}
		if hc.Timeout > 0 {
			t.timeout = hc.Timeout
		}
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// bufferedTransport bounds each request by timeout and reads the whole answer (at most
// maxAnswer bytes) before returning it, so that the connection and the timer are
// released even when the reader never closes the body (golang.org/x/oauth2's device
// authorization request does not).
type bufferedTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t bufferedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if resp.Request == nil {
			resp.Request = req // for resolving a relative Location
		}
	}
	if err != nil {
		if ctx.Err() != nil && req.Context().Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", t.timeout, err)
		}
		return nil, err
	}
	return resp, nil
}

// tokenAnswer is a token endpoint's JSON answer: a token, or an OAuth error with
// Microsoft's additions (error_codes, suberror).
type tokenAnswer struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	RefreshToken string  `json:"refresh_token"`
	ExpiresIn    seconds `json:"expires_in"`
	Error        string  `json:"error"`
	Description  string  `json:"error_description"`
	ErrorCodes   []int64 `json:"error_codes"`
	SubError     string  `json:"suberror"`
}

// seconds is expires_in, which the v2.0 endpoint sends as a number and the v1 endpoint
// as a string.
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	v := strings.Trim(string(b), `"`)
	if v == "" || v == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("expires_in %q: not a number of seconds", v)
	}
	*s = seconds(n)
	return nil
}

// outcome is the result of one request to a token or device endpoint.
type outcome struct {
	status     int    // the HTTP status; 0 when no answer arrived
	retryAfter string // the Retry-After header
	transport  error  // why no answer arrived
	busy       bool   // the answer said temporarily_unavailable
	err        *Error // nil on success
}

// retryable reports whether the failed request is worth another attempt: a 429, a 5xx
// other than 501, an endpoint that says it is temporarily unavailable, or a transport
// error other than an untrusted certificate (client.ShouldRetry).
func (o outcome) retryable() bool {
	return o.err != nil && (o.busy || client.ShouldRetry(o.status, o.transport))
}

// retry calls do until a request succeeds, fails for good, or p.MaxAttempts requests
// failed in a retryable way; then the outcome's Error is Transient. Between attempts it
// waits the server's Retry-After (429 or 503, capped by p) or an exponential back-off
// with full jitter, racing ctx. It returns ctx's error when ctx ends first.
func retry(ctx context.Context, p client.RetryPolicy, randN func(int64) int64, do func() outcome) (outcome, error) {
	for attempt := 1; ; attempt++ {
		o := do()
		if o.err == nil {
			return o, nil
		}
		o.err.Attempts = attempt
		if err := ctx.Err(); err != nil {
			return o, err
		}
		if !o.retryable() {
			return o, nil
		}
		if attempt >= p.MaxAttempts {
			o.err.transient = true
			return o, nil
		}
		wait := client.Backoff(p, attempt, randN)
		if o.status == http.StatusTooManyRequests || o.status == http.StatusServiceUnavailable && o.retryAfter != "" {
			wait = client.RetryAfterWait(p, o.retryAfter, time.Now())
		}
		if err := client.Sleep(ctx, wait); err != nil {
			return o, err
		}
	}
}

// target is who a token request is for, and how to keep secrets out of its errors.
type target struct {
	tenant   string // as the caller named it, for messages
	customer bool   // a customer tenant rather than the partner's own
	scrub    func(string) string
}

// postForm sends one form to a token endpoint and reads the answer; a token comes back
// in the answer, anything else in o.err.
func postForm(ctx context.Context, hc *http.Client, endpoint string, form url.Values, t target) (tokenAnswer, outcome) {
	var a tokenAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return a, outcome{err: &Error{Tenant: t.tenant, Setting: SettingTokenURL, Err: scrubErr(err, t.scrub),
			Advice: "check the token URL"}}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return a, outcome{transport: err, err: unreachable(t, err)}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		o.err = redirected(t, resp)
		return a, o
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		o.transport = err
		o.err = unreachable(t, err)
		return a, o
	}
	jerr := json.Unmarshal(body, &a)
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	switch {
	case !ok || a.Error != "":
		o.busy = a.Error == "temporarily_unavailable"
		o.err = refused(t, resp, a)
	case jerr != nil:
		o.err = &Error{Tenant: t.tenant, Status: resp.StatusCode, Setting: SettingTokenURL,
			Description: "the token endpoint's answer is not a token (" + scrubErr(jerr, t.scrub).Error() + ")",
			Advice:      "check the token URL"}
	case a.AccessToken == "":
		o.err = &Error{Tenant: t.tenant, Status: resp.StatusCode, Setting: SettingTokenURL,
			Description: "the token endpoint's answer holds no access token", Advice: "check the token URL"}
	}
	return a, o
}

// unreachable is the Error of a request that got no answer.
func unreachable(t target, err error) *Error {
	e := &Error{Tenant: t.tenant, Err: scrubErr(err, t.scrub), Setting: SettingTokenURL,
		Advice: "the token endpoint could not be reached: check the network and the token URL"}
	if !client.ShouldRetry(0, err) {
		e.Advice = "the token endpoint's certificate is not trusted: check the token URL"
	}
	return e
}

// redirected is the Error of a token endpoint that answered with a redirect, which is
// never followed: the form holds the client secret and the refresh token.
func redirected(t target, resp *http.Response) *Error {
	desc := "the token endpoint answered " + resp.Status + ", a redirect"
	if loc := resp.Header.Get("Location"); loc != "" {
		desc = "the token endpoint answered " + resp.Status + " and redirected to " + redactedURL(resp.Request.URL, loc, t.scrub)
	}
	return &Error{Tenant: t.tenant, Status: resp.StatusCode, Setting: SettingTokenURL, Description: desc,
		Advice: "a token endpoint that redirects is refused (the client secret and refresh token are never sent on): check the token URL"}
}

// refused is the Error of an answer that is an error rather than a token.
func refused(t target, resp *http.Response, a tokenAnswer) *Error {
	e := &Error{Tenant: t.tenant, Status: resp.StatusCode, Description: t.scrub(firstLine(a.Description))}
	aad := aadstsCode.FindString(a.Description)
	if aad == "" && len(a.ErrorCodes) > 0 {
		aad = "AADSTS" + strconv.FormatInt(a.ErrorCodes[0], 10)
	}
	e.Code = aad
	if e.Code == "" {
		e.Code = t.scrub(a.Error)
	}
	if e.Description == "" {
		e.Description = "the token endpoint answered " + resp.Status
	}
	e.Setting, e.Advice = advise(aad, a.Error, a.SubError, t.tenant, t.customer)
	switch {
	case e.Advice != "":
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || a.Error == "temporarily_unavailable":
		e.Advice = "the sign-in service is busy or unavailable"
	case a.Error == "":
		e.Setting, e.Advice = SettingTokenURL, "the answer is not an OAuth error: check the token URL"
	}
	return e
}

// redactedURL is raw, resolved against base, fit for a message: no user information,
// every query value and the fragment left out, and known secrets scrubbed.
func redactedURL(base *url.URL, raw string, scrub func(string) string) string {
	u, err := base.Parse(raw)
	if err != nil {
		return "an unreadable location"
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for _, vs := range q {
			for i := range vs {
				vs[i] = "REDACTED"
			}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	return scrub(u.String())
}

// scrubErr returns err with its text scrubbed; it unwraps to err.
func scrubErr(err error, scrub func(string) string) error {
	return &scrubbedError{msg: scrub(err.Error()), err: err}
}

// knownSecrets holds the secrets a source's messages must not show: the client secret
// and the first refresh token for good, and the latest rotated refresh tokens and
// access tokens.
type knownSecrets struct {
	mu     sync.Mutex
	fixed  []string
	recent []string // a ring of the last maxRecent
	next   int
}

const maxRecent = 64

func (k *knownSecrets) add(s string) {
	if s == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.recent) < maxRecent {
		k.recent = append(k.recent, s)
		return
	}
	k.recent[k.next] = s
	k.next = (k.next + 1) % maxRecent
}

// scrub returns text with every known secret, in any case or in part, replaced.
func (k *knownSecrets) scrub(text string) string {
	k.mu.Lock()
	all := append(append(make([]string, 0, len(k.fixed)+len(k.recent)), k.fixed...), k.recent...)
	k.mu.Unlock()
	text = client.Scrub(text, all...)
	// A secret echoed with its form encoding (a '+' or '%2F' in it) is caught too.
	for _, s := range all {
		if enc := url.QueryEscape(s); enc != s {
			text = client.Scrub(text, enc)
		}
	}
	return text
}
