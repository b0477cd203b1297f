package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

// tokenFunc is an oauth2.TokenSource made of a function.
type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

func TestAuthError(t *testing.T) {
	errRefresh := errors.New("refresh failed")
	tests := []struct {
		name    string
		err     error
		token   *oauth2.Token
		wantIn  []string
		wantErr error
	}{
		{
			name:    "message holds the token",
			err:     fmt.Errorf("cannot refresh access token %s: %w", testToken, errRefresh),
			wantIn:  []string{"get access token: cannot refresh access token REDACTED: refresh failed"},
			wantErr: errRefresh,
		},
		{
			name: "oauth2 retrieve error with secrets in the body",
			err: &oauth2.RetrieveError{
				Response: &http.Response{StatusCode: 400, Status: "400 Bad Request"},
				Body: []byte(`{"error":"invalid_grant","error_description":"AADSTS70000: grant expired",` +
					`"refresh_token":"0.AXEAlongRefreshTokenValue","client_secret":"abc~DEF.ghi","access_token":"` + testToken + `"}`),
			},
			wantIn: []string{"invalid_grant", "AADSTS70000: grant expired", `"refresh_token":"REDACTED"`, `"client_secret":"REDACTED"`},
		},
		{
			name:   "form-encoded secrets",
			err:    errors.New("POST https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token: refresh_token=short&client_secret=x1 rejected"),
			wantIn: []string{"login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", "refresh_token=REDACTED&client_secret=REDACTED rejected"},
		},
		{
			name:   "empty access token",
			token:  &oauth2.Token{},
			wantIn: []string{"get access token: the token source returned an empty access token"},
		},
		{
			name:   "nil token",
			wantIn: []string{"get access token: the token source returned an empty access token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t, WithTokenSource(tokenFunc(func() (*oauth2.Token, error) { return tt.token, tt.err })))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("request sent without a token: %s", r.URL)
			})
			_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			var authErr *AuthError
			if !errors.As(err, &authErr) {
				t.Fatalf("err = %v (%T), want an *AuthError", err, err)
			}
			if authErr.Op != "update licenses" || authErr.Attempts != 0 || resp.Attempts != 0 {
				t.Errorf("error %+v, %d attempts; want op update licenses, 0 attempts", authErr, resp.Attempts)
			}
			if !strings.HasPrefix(err.Error(), "update licenses: get access token: ") {
				t.Errorf("Error() = %q", err.Error())
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Error() = %q, want %q in it", err.Error(), want)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(err, %v) = false", tt.wantErr)
			}
			for _, secret := range []string{"AXEAlongRefreshTokenValue", "abc~DEF.ghi", "short", "x1 "} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Error() leaks %q: %s", secret, err.Error())
				}
			}
			assertNoSecret(t, err)
		})
	}
}

// TestAuthErrorScrubsLastToken: a token that does not look like one is still scrubbed
// when the client has sent it before.
func TestAuthErrorScrubsLastToken(t *testing.T) {
	const plain = "plainwords"
	var mu sync.Mutex
	calls := 0
	ts := tokenFunc(func() (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return &oauth2.Token{AccessToken: plain}, nil
		}
		return nil, errors.New("token " + plain + " expired")
	})
	c, mux, _ := setup(t, WithTokenSource(ts))
	mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+plain {
			t.Errorf("Authorization = %q", got)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
	var authErr *AuthError
	if !errors.As(err, &authErr) || authErr.Attempts != 1 || resp.Attempts != 1 {
		t.Fatalf("err = %v, %d attempts; want an *AuthError after 1 attempt", err, resp.Attempts)
	}
	if strings.Contains(err.Error(), plain) || !strings.Contains(err.Error(), "token REDACTED expired") {
		t.Errorf("Error() = %q, want the last token scrubbed", err.Error())
	}
}

// TestTokenAskedPerAttempt: every attempt asks the token source, so a refreshed token
// is used by the next retry.
func TestTokenAskedPerAttempt(t *testing.T) {
	var mu sync.Mutex
	n := 0
	ts := tokenFunc(func() (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", n), TokenType: "bearer"}, nil
	})
	c, mux, _ := setup(t, WithTokenSource(ts))
	seq := &answerSequence{statuses: []int{503, 201}}
	mux.Handle(updatePath, seq)
	if _, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne()); err != nil {
		t.Fatal(err)
	}
	reqs := seq.recorded()
	if got := []string{reqs[0].header.Get("Authorization"), reqs[1].header.Get("Authorization")}; got[0] != "Bearer token-1" || got[1] != "Bearer token-2" {
		t.Errorf("Authorization per attempt = %q", got)
	}
}

// TestNoTokenInErrors: a server or a transport that echoes the token does not get it
// into an error text.
func TestNoTokenInErrors(t *testing.T) {
	t.Run("server echoes the token", func(t *testing.T) {
		c, mux, _ := setup(t)
		mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"code":800001,"description":"Invalid token: %s","data":["%s"]}`,
				r.Header.Get("Authorization"), r.Header.Get("Authorization"))
		})
		_, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "800001" {
			t.Fatalf("err = %v, want a 401 *APIError", err)
		}
		if apiErr.Description != "Invalid token: Bearer REDACTED" || apiErr.Data[0] != "Bearer REDACTED" {
			t.Errorf("description %q, data %q; want the token redacted", apiErr.Description, apiErr.Data)
		}
		assertNoSecret(t, err)
	})
	t.Run("transport error names the token and the URL has secrets", func(t *testing.T) {
		rt := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("proxy refused " + r.Header.Get("Authorization"))
		})
		log := &attemptLog{}
		c, err := New(append(testOptions(), WithBaseURL("https://pc.test"), WithRetryPolicy(noWaitPolicy),
			WithObserver(log.observe), WithHTTPClient(&http.Client{Transport: rt}))...)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.GetSubscribedSkus(context.Background(), testCustomer, "Group1")
		var te *TransportError
		if !errors.As(err, &te) || te.Op != "get subscribed skus" || te.Attempts != 5 {
			t.Fatalf("err = %v, want a *TransportError after 5 attempts", err)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || ue.URL != "https://pc.test"+skusPath+"?licenseGroupIds=Group1" {
			t.Errorf("url.Error = %+v", ue)
		}
		if !strings.Contains(err.Error(), "proxy refused Bearer REDACTED") {
			t.Errorf("Error() = %q", err.Error())
		}
		assertNoSecret(t, err)
		for _, a := range log.all() {
			assertNoSecret(t, a.Err)
		}
	})
}

func TestScrubURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://pc.test/v1/x", "https://pc.test/v1/x"},
		{"https://admin:hunter2@pc.test/v1/x", "https://pc.test/v1/x"},
		{"https://pc.test/v1/x?licenseGroupIds=Group1&licenseGroupIds=Group2", "https://pc.test/v1/x?licenseGroupIds=Group1&licenseGroupIds=Group2"},
		{"https://pc.test/v1/x?client_secret=abc&licenseGroupIds=Group1", "https://pc.test/v1/x?client_secret=REDACTED&licenseGroupIds=Group1"},
		{"https://pc.test/v1/x?code=abc#frag", "https://pc.test/v1/x?code=REDACTED"},
		{"https://pc.test/v1/x?%zz", "https://pc.test/v1/x?REDACTED"},
		{"https://pc.test/users/a%2Fb/x", "https://pc.test/users/a%2Fb/x"},
	}
	for _, tt := range tests {
		if got := scrubRawURL(tt.in); got != tt.want {
			t.Errorf("scrubRawURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := scrubRawURL("https://a b@c/\x7f"); got != "REDACTED" {
		t.Errorf("unparsable URL scrubbed to %q", got)
	}
	if scrubURL(nil) != "" {
		t.Error("scrubURL(nil) is not empty")
	}
}

func TestScrubSecrets(t *testing.T) {
	tests := []struct {
		in    string
		known []string
		want  string
	}{
		{"connection refused", nil, "connection refused"},
		{"token " + testToken + " expired", nil, "token REDACTED expired"},
		{"Authorization: Bearer abc", nil, "Authorization: Bearer REDACTED"},
		{`{"access_token":"short","error":"invalid_grant"}`, nil, `{"access_token":"REDACTED","error":"invalid_grant"}`},
		{"refresh_token=a&b=c", nil, "refresh_token=REDACTED&b=c"},
		{"password: x", nil, "password: REDACTED"},
		{"Password=x;", nil, "Password=REDACTED;"},
		{"after a password change or an admin's action", nil, "after a password change or an admin's action"},
		{"bearer   x", nil, "bearer   REDACTED"},
		{"hex 0123456789abcdef0123456789abcdef", nil, "hex REDACTED"},
		{"tenant 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 not found", nil, "tenant 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 not found"},
		{"AADSTS70000: invalid_grant for LicenseQuotaExceededException", nil, "AADSTS70000: invalid_grant for LicenseQuotaExceededException"},
		{"user plainwords failed", []string{"plainwords"}, "user REDACTED failed"},
		{"nothing", []string{""}, "nothing"},
	}
	for _, tt := range tests {
		if got := scrubSecrets(tt.in, tt.known...); got != tt.want {
			t.Errorf("scrubSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
