package signin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

const (
	testSecret   = "s3cr3t-client-value-Qx7"
	testTenant   = "contoso.onmicrosoft.com"
	testTokenURL = "https://login.example.test/{tenant}/oauth2/v2.0/token"
)

// refreshToken is the n-th refresh token the fake endpoint issues: 44 characters, no
// long run shared with another, so that scrubbing one does not hide another by luck.
func refreshToken(n int) string {
	return fmt.Sprintf("rt%d.%x", n, sha256.Sum256([]byte{byte(n)}))[:44]
}

// testRefresh is the refresh token a test starts with.
var testRefresh = refreshToken(0)

// tokenEndpoint is an in-process Microsoft identity token endpoint: it issues access
// tokens that live `life` for the tenant named in the path, rotates the refresh token
// on every answer, and records the requests it received. Like the real one it accepts
// every refresh token it issued (CIPP redeems one stored refresh token for many
// tenants at once); strict, it accepts only the latest.
type tokenEndpoint struct {
	mu      sync.Mutex
	life    time.Duration
	forms   []url.Values
	tenants []string        // the tenant of each request, from the path
	current string          // the latest refresh token issued
	issued  map[string]bool // every refresh token issued
	strict  bool            // accept only the latest refresh token
	noRot   bool            // answer without a new refresh token

	// answer, when set, answers a request instead (n counts from 1); ok false lets
	// the normal answer through.
	answer func(w http.ResponseWriter, r *http.Request, n int) (ok bool)
	// block, when set, holds every request until it is closed or the request ends;
	// with deaf, until it is closed.
	block chan struct{}
	deaf  bool
}

func newEndpoint(life time.Duration) *tokenEndpoint {
	return &tokenEndpoint{life: life, current: testRefresh, issued: map[string]bool{testRefresh: true}}
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	e.mu.Lock()
	e.forms = append(e.forms, r.PostForm)
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	e.tenants = append(e.tenants, tenant)
	n, block, answer, deaf := len(e.forms), e.block, e.answer, e.deaf
	e.mu.Unlock()
	if block != nil && deaf {
		<-block
	}
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if answer != nil && answer(w, r, n) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if rt := r.PostForm.Get("refresh_token"); rt != e.current && (e.strict || !e.issued[rt]) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70000: The provided grant is invalid or malformed.\r\nTrace ID: 1")
		return
	}
	ans := map[string]any{
		"token_type":   "Bearer",
		"access_token": fmt.Sprintf("access-%s-%d", tenant, n),
		"expires_in":   int(e.life / time.Second),
	}
	if !e.noRot {
		e.current = refreshToken(n)
		e.issued[e.current] = true
		ans["refresh_token"] = e.current
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

// requests returns how many requests the endpoint received.
func (e *tokenEndpoint) requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.forms)
}

// writeOAuthError answers an OAuth error as the Microsoft identity platform does,
// with the AADSTS number of description in error_codes.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]any{"error": code, "error_description": description}
	if m := aadstsCode.FindString(description); m != "" {
		var n int64
		fmt.Sscan(strings.TrimPrefix(m, "AADSTS"), &n)
		body["error_codes"] = []int64{n}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// testSettings are secure application model settings that reach e in-process.
func testSettings(e http.Handler) Settings {
	return Settings{
		TenantID:     testTenant,
		ClientID:     "app-id",
		ClientSecret: testSecret,
		RefreshToken: Secret(testRefresh),
		TokenURL:     testTokenURL,
		HTTPClient:   &http.Client{Transport: clienttest.Handler(e)},
	}
}

// newSource returns the *TokenSource of s, failing the test on an error.
func newSource(t *testing.T, s Settings) *TokenSource {
	t.Helper()
	ts, _, err := Credentials(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	src, ok := ts.(*TokenSource)
	if !ok {
		t.Fatalf("Credentials returned %T, want *TokenSource", ts)
	}
	return src
}

// mustToken asks ts for a token of tenant, failing the test on an error.
func mustToken(t *testing.T, ts client.TokenSource, tenant string) string {
	t.Helper()
	tok, err := ts.Token(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Token(%q): %v", tenant, err)
	}
	return tok.AccessToken
}

// tryToken is mustToken for another goroutine than the test's: it reports an error
// without stopping the test.
func tryToken(t *testing.T, ts client.TokenSource, tenant string) string {
	t.Helper()
	tok, err := ts.Token(context.Background(), tenant)
	if err != nil {
		t.Errorf("Token(%q): %v", tenant, err)
		return ""
	}
	return tok.AccessToken
}
