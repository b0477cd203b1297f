package partnercenter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

const (
	// testToken is a distinctive access token: no error text may ever contain it.
	testToken         = "eyJ0eXAiOiJKV1Qi.SECRET-Zq81-DO-NOT-LEAK"
	testCorrelationID = "c73c9570-c352-459e-98a3-dafe4bd8c821"
	testCustomer      = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"
	testUser          = "554526aa-cf5e-46fa-95df-98dbc55d8a1e"
	testSku           = "f8a1db68-be16-40ed-86d5-cb42ce701560"
	skusPath          = "/v1/customers/" + testCustomer + "/subscribedskus"
	updatePath        = "/v1/customers/" + testCustomer + "/users/" + testUser + "/licenseupdates"
)

// noWaitPolicy retries like the default policy but never waits, for tests against a
// real loopback server.
var noWaitPolicy = client.RetryPolicy{MaxAttempts: 5}

// testOptions are the options every test client starts with.
func testOptions() []client.Option {
	return []client.Option{
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})),
		client.WithCorrelationID(testCorrelationID),
	}
}

// setup starts an httptest server and returns a client pointed at it (never waiting
// between retries), the server's mux and its URL. opts come after the defaults.
func setup(t *testing.T, opts ...client.Option) (*Client, *http.ServeMux, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	all := append(testOptions(), client.WithBaseURL(srv.URL), client.WithRetryPolicy(noWaitPolicy))
	c, err := New(append(all, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, mux, srv.URL
}

// setupInProcess returns a client whose requests h answers in-process, with the
// default retry policy. Inside a synctest bubble its waits run on fake time.
func setupInProcess(t *testing.T, h http.Handler, opts ...client.Option) *Client {
	t.Helper()
	all := append(testOptions(),
		client.WithBaseURL("https://pc.test/"),
		client.WithHTTPClient(&http.Client{Transport: clienttest.Handler(h)}))
	c, err := New(append(all, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// assertNoSecret fails the test if err's text holds the test token or a piece of it.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range []string{testToken, "SECRET", "DO-NOT-LEAK", "eyJ0eXAi"} {
		if strings.Contains(msg, s) {
			t.Errorf("error text leaks %q: %s", s, msg)
		}
	}
}

// answerSequence returns a handler that answers with statuses in turn (the last one
// repeating), each with body and the headers set by header, and counts requests.
type answerSequence struct {
	mu       sync.Mutex
	statuses []int
	header   func(n int, h http.Header) // n is 0 for the first request
	body     func(n int) string
	requests []recorded
}

type recorded struct {
	at     time.Time
	header http.Header
	body   string
	path   string
}

func (s *answerSequence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, recorded{at: time.Now(), header: r.Header.Clone(), body: body, path: r.URL.EscapedPath()})
	status := s.statuses[min(n, len(s.statuses)-1)]
	s.mu.Unlock()
	if s.header != nil {
		s.header(n, w.Header())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if s.body != nil {
		_, _ = w.Write([]byte(s.body(n)))
	} else if status >= 200 && status <= 299 {
		_, _ = w.Write([]byte(`{"licensesToAssign":[{"skuId":"` + testSku + `"}],"licenseWarnings":[]}`))
	}
}

func (s *answerSequence) recorded() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

func readAll(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// assignOne is a LicenseUpdate that assigns testSku.
func assignOne() LicenseUpdate {
	return LicenseUpdate{LicensesToAssign: []LicenseAssignment{{SkuID: testSku}}}
}

// countingLimiter counts Wait calls and records when they happened.
type countingLimiter struct {
	mu    sync.Mutex
	calls []time.Time
	err   error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, time.Now())
	return l.err
}

func (l *countingLimiter) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.calls...)
}

// attemptLog collects the Attempts an observer receives.
type attemptLog struct {
	mu       sync.Mutex
	attempts []client.Attempt
}

func (l *attemptLog) observe(a client.Attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
}

func (l *attemptLog) all() []client.Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]client.Attempt(nil), l.attempts...)
}
