package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectsAreNotFollowed: an API that answers a redirect, to another port or
// host, to plain http, or for a POST, gets no second request: the credentials never
// travel to the redirect's target and a redirected POST is not taken as done.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("the redirect's target received Authorization %q", got)
		}
		w.WriteHeader(http.StatusOK) // a GET answered 200: what a followed POST would see
	}))
	defer other.Close()
	tests := []struct {
		name     string
		status   int
		location string
		post     bool
	}{
		{"307 to another port", http.StatusTemporaryRedirect, other.URL + "/v1/customers/x/subscribedskus", false},
		{"308 to another host", http.StatusPermanentRedirect, strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/x", false},
		{"302 turning a POST into a GET", http.StatusFound, other.URL + "/done", true},
		{"301 to plain http", http.StatusMovedPermanently, "http://127.0.0.1:1/v1", false},
		{"307 on the same server", http.StatusTemporaryRedirect, "/v1/elsewhere?refresh_token=abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			elsewhere.Store(0)
			var hits atomic.Int32
			c, mux, _ := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Location", tt.location)
				w.WriteHeader(tt.status)
			})
			var resp *Response
			var err error
			if tt.post {
				_, resp, err = c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			} else {
				_, resp, err = c.GetSubscribedSkus(context.Background(), testCustomer)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Reason != ReasonRedirected {
				t.Fatalf("err = %v, want an *APIError %d with ReasonRedirected", err, tt.status)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Errorf("the redirect's target got %d request(s), want none", n)
			}
			if n := hits.Load(); n != 1 || resp.Attempts != 1 {
				t.Errorf("%d requests, %d attempts; want 1: a redirect is final, not retried", n, resp.Attempts)
			}
			if strings.Contains(err.Error(), "refresh_token=abc") {
				t.Errorf("the error shows the redirect's query: %v", err)
			}
			assertNoSecret(t, err)
		})
	}
}

// TestWithHTTPClientFollowsNoRedirects: an HTTP client given with WithHTTPClient gets
// the same rule, whatever its own CheckRedirect.
func TestWithHTTPClientFollowsNoRedirects(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer src.Close()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	c, err := New(append(testOptions(), WithBaseURL(src.URL), WithHTTPClient(hc))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetSubscribedSkus(context.Background(), testCustomer); err == nil || followed.Load() != 0 {
		t.Errorf("err = %v, %d request(s) followed the redirect; want an error and none", err, followed.Load())
	}
}
