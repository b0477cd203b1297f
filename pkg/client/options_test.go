package client

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestNewRequiresTokenSourceAndBaseURL(t *testing.T) {
	c, err := New(WithBaseURL("https://pc.test"))
	if c != nil || err == nil || !strings.HasPrefix(err.Error(), "new client: no token source") {
		t.Errorf("New without token source = %v, %v; want a \"no token source\" error", c, err)
	}
	c, err = New(testOptions()...)
	if c != nil || err == nil || !strings.HasPrefix(err.Error(), "new client: no base URL") {
		t.Errorf("New without base URL = %v, %v; want a \"no base URL\" error", c, err)
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})), WithBaseURL("https://pc.test"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.BaseURL() != "https://pc.test/" {
		t.Errorf("BaseURL() = %q, want %q", c.BaseURL(), "https://pc.test/")
	}
	if !reflect.DeepEqual(c.retry, DefaultRetryPolicy()) {
		t.Errorf("retry policy = %+v, want the default", c.retry)
	}
	want := RetryPolicy{MaxAttempts: 5, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second,
		DefaultRetryAfter: 5 * time.Second, MaxRetryAfter: 120 * time.Second}
	if DefaultRetryPolicy() != want {
		t.Errorf("DefaultRetryPolicy() = %+v, want %+v", DefaultRetryPolicy(), want)
	}
	if c.userAgent != "bulkassign/"+Version || c.requestIDHdr != "X-Request-Id" || c.correlHdr != "" {
		t.Errorf("user agent %q, request ID header %q, correlation header %q", c.userAgent, c.requestIDHdr, c.correlHdr)
	}
	if c.hc == http.DefaultClient || c.hc.Timeout != defaultTimeout {
		t.Errorf("HTTP client = %+v, want an own client with a timeout", c.hc)
	}
	if c.hc.CheckRedirect == nil {
		t.Error("the HTTP client follows redirects: want none followed")
	}
	if _, ok := c.limiter.(*Pacer); !ok {
		t.Errorf("default limiter = %T, want an unlimited *Pacer (the 429 gate)", c.limiter)
	}
}

func TestOptionsAccept(t *testing.T) {
	hc := &http.Client{Timeout: 42 * time.Second}
	lim := NewPacer(10, 1)
	p := RetryPolicy{MaxAttempts: 1}
	c, err := New(append(testOptions(),
		WithBaseURL("HTTP://127.0.0.1:8080"),
		WithHTTPClient(hc),
		WithCorrelationID("C73C9570-C352-459E-98A3-DAFE4BD8C821"),
		WithHeader("X-Locale", "pt-BR"),
		WithRequestIDHeader("client-request-id"),
		WithUserAgent("acme-onboarding/2.1 (bulkassign)"),
		WithRetryPolicy(p),
		WithLimiter(lim),
		WithObserver(func(Attempt) {}),
	)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.BaseURL() != "http://127.0.0.1:8080/" || c.hc.Timeout != hc.Timeout || hc.CheckRedirect != nil || c.CorrelationID() != testCorrelationID ||
		c.headers.Get("X-Locale") != "pt-BR" || c.requestIDHdr != "client-request-id" ||
		c.userAgent != "acme-onboarding/2.1 (bulkassign)" || c.retry != p || c.limiter != lim || c.observer == nil {
		t.Errorf("options not applied: base %q, correlation ID %q, headers %v, user agent %q, policy %+v",
			c.BaseURL(), c.CorrelationID(), c.headers, c.userAgent, c.retry)
	}
}

func TestOptionsReject(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"base URL empty", WithBaseURL(""), "base URL"},
		{"base URL relative", WithBaseURL("/v1"), "scheme must be http or https"},
		{"base URL no scheme", WithBaseURL("api.partnercenter.microsoft.com"), "scheme must be http or https"},
		{"base URL ftp", WithBaseURL("ftp://pc.test/"), "scheme must be http or https"},
		{"base URL plain http to another host", WithBaseURL("http://pc.test/"), "plain http is refused"},
		{"base URL no host", WithBaseURL("https:///v1"), "with a host"},
		{"base URL opaque", WithBaseURL("https:pc.test"), "with a host"},
		{"base URL userinfo", WithBaseURL("https://admin:hunter2-pass@pc.test/"), "must not carry user information"},
		{"base URL query", WithBaseURL("https://pc.test/?client_secret=abc"), "must not carry a query"},
		{"base URL empty query", WithBaseURL("https://pc.test/?"), "must not carry a query"},
		{"base URL fragment", WithBaseURL("https://pc.test/#x"), "must not carry a fragment"},
		{"base URL spaces", WithBaseURL(" https://pc.test/"), "surrounding spaces"},
		{"base URL bad escape", WithBaseURL("https://pc.test/%zz"), "does not parse"},
		{"HTTP client nil", WithHTTPClient(nil), "HTTP client: must not be nil"},
		{"token source nil", WithTokenSource(nil), "token source: must not be nil"},
		{"correlation ID empty", WithCorrelationID(""), "must be a GUID"},
		{"correlation ID not a GUID", WithCorrelationID("run-42"), "must be a GUID"},
		{"correlation ID braces", WithCorrelationID("{c73c9570-c352-459e-98a3-dafe4bd8c821}"), "must be a GUID"},
		{"correlation ID no hyphens", WithCorrelationID("c73c9570c352459e98a3dafe4bd8c821"), "must be a GUID"},
		{"header name empty", WithHeader("", "x"), "not a valid header name"},
		{"header injection", WithHeader("X-Locale", "en-US\r\nX-Evil: 1"), "control characters"},
		{"header of the client", WithHeader("Authorization", "Bearer x"), "set by the client itself"},
		{"request ID header", WithRequestIDHeader("bad header"), "not a valid header name"},
		{"user agent empty", WithUserAgent(""), "user agent: must not be empty"},
		{"user agent blank", WithUserAgent("   "), "must not be empty"},
		{"user agent newline", WithUserAgent("bulkassign\r\nX-Evil: 1"), "control characters"},
		{"user agent DEL", WithUserAgent("bulk\x7fassign"), "control characters"},
		{"attempts zero", WithRetryPolicy(RetryPolicy{}), "MaxAttempts 0"},
		{"attempts too many", WithRetryPolicy(RetryPolicy{MaxAttempts: 101}), "MaxAttempts 101"},
		{"min wait negative", WithRetryPolicy(RetryPolicy{MaxAttempts: 1, MinWait: -1}), "MinWait"},
		{"max below min", WithRetryPolicy(RetryPolicy{MaxAttempts: 1, MinWait: time.Second, MaxWait: time.Millisecond}), "MaxWait"},
		{"default retry-after negative", WithRetryPolicy(RetryPolicy{MaxAttempts: 1, DefaultRetryAfter: -1}), "DefaultRetryAfter"},
		{"max retry-after negative", WithRetryPolicy(RetryPolicy{MaxAttempts: 1, MaxRetryAfter: -1}), "MaxRetryAfter"},
		{"default above cap", WithRetryPolicy(RetryPolicy{MaxAttempts: 1, DefaultRetryAfter: time.Minute, MaxRetryAfter: time.Second}), "must not exceed MaxRetryAfter"},
		{"limiter nil", WithLimiter(nil), "limiter: must not be nil"},
		{"observer nil", WithObserver(nil), "observer: must not be nil"},
		{"nil option", nil, "nil option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(append(testOptions(), tt.opt)...)
			if c != nil || err == nil {
				t.Fatalf("New accepted the option: %v", c)
			}
			if !strings.HasPrefix(err.Error(), "new client: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to start with \"new client: \" and contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "client_secret=abc") {
				t.Errorf("err leaks a secret of the URL: %q", err)
			}
		})
	}
}

func TestDefaultTransportKeepsAPoolsConnections(t *testing.T) {
	c, err := New(append(testOptions(), WithBaseURL("https://pc.test/"))...)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T", c.hc.Transport)
	}
	if tr.MaxIdleConnsPerHost < 8 {
		t.Fatalf("default transport keeps %d idle connections per host, want at least a pool's 8", tr.MaxIdleConnsPerHost)
	}
}
