package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const (
	testSecret  = "s3cr3t-client-value"
	testRefresh = "refresh-token-0"
)

// tokenEndpoint is an in-process Microsoft identity token endpoint: it issues
// access tokens that live `life`, rotates the refresh token on every answer, and
// records the forms it received.
type tokenEndpoint struct {
	mu      sync.Mutex
	life    time.Duration
	forms   []url.Values
	current string // the refresh token it accepts
	fail    string // when set, answer this AADSTS error
	echo    bool   // when failing, echo the form's secrets in the description
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = r.ParseForm()
	e.forms = append(e.forms, r.PostForm)
	w.Header().Set("Content-Type", "application/json")
	if e.fail != "" || r.PostForm.Get("refresh_token") != e.current {
		code := e.fail
		if code == "" {
			code = "AADSTS70000"
		}
		desc := code + ": The provided grant is invalid.\r\nTrace ID: 1\r\nCorrelation ID: 2"
		if e.echo {
			desc = code + ": bad " + r.PostForm.Get("client_secret") + " " + r.PostForm.Get("refresh_token")
		}
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant", "error_description": desc})
		return
	}
	n := len(e.forms)
	e.current = fmt.Sprintf("refresh-token-%d", n)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type":    "Bearer",
		"access_token":  fmt.Sprintf("access-token-%d", n),
		"expires_in":    int(e.life / time.Second),
		"refresh_token": e.current,
	})
}

// inProcess serves a handler without a listener, so that synctest's fake clock runs.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func newSource(t *testing.T, e *tokenEndpoint, file string) *TokenSource {
	t.Helper()
	ts, err := New(context.Background(), Config{
		TenantID:         "contoso.onmicrosoft.com",
		ClientID:         "app-id",
		ClientSecret:     testSecret,
		RefreshToken:     Secret(e.current),
		RefreshTokenFile: file,
		TokenURL:         "https://login.example.test/tenant/oauth2/v2.0/token",
		HTTPClient:       &http.Client{Transport: inProcess{e}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestRefreshSendsTheSecureAppModelForm(t *testing.T) {
	e := &tokenEndpoint{life: time.Hour, current: testRefresh}
	tok, err := newSource(t, e, "").Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-token-1" {
		t.Fatalf("access token %q", tok.AccessToken)
	}
	f := e.forms[0]
	want := map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": testRefresh,
		"client_id":     "app-id",
		"client_secret": testSecret,
		"scope":         DefaultScope,
	}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, f.Get(k), v)
		}
	}
}

func TestTokenIsCachedAndRefreshedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &tokenEndpoint{life: 20 * time.Minute, current: testRefresh}
		ts := newSource(t, e, "")
		first, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			tok, _ := ts.Token()
			if tok.AccessToken != first.AccessToken {
				t.Fatalf("token changed on call %d while still fresh", i)
			}
		}
		if got := len(e.forms); got != 1 {
			t.Fatalf("%d token requests for one fresh token, want 1", got)
		}
		// 14 minutes in: more than the 5-minute margin left, still cached.
		time.Sleep(14 * time.Minute)
		if tok, _ := ts.Token(); tok.AccessToken != first.AccessToken {
			t.Fatal("refreshed too early")
		}
		// 16 minutes in: less than 5 minutes left, refreshed before it expires.
		time.Sleep(2 * time.Minute)
		second, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if second.AccessToken == first.AccessToken {
			t.Fatal("token not refreshed within the early-refresh margin")
		}
		if !second.Expiry.After(time.Now().Add(15 * time.Minute)) {
			t.Fatalf("new token expires %v, too soon", second.Expiry)
		}
		if ts.Refreshes() != 2 {
			t.Fatalf("Refreshes = %d, want 2", ts.Refreshes())
		}
	})
}

func TestRotatedRefreshTokenIsStoredAtomicallyWithMode0600(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(file, []byte(testRefresh+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &tokenEndpoint{life: time.Hour, current: testRefresh}
	var rotations []error
	ts, err := New(context.Background(), Config{
		TenantID: "t", ClientID: "app-id", ClientSecret: testSecret,
		RefreshTokenFile: file, // the refresh token is read from the file
		TokenURL:         "https://login.example.test/t/oauth2/v2.0/token",
		HTTPClient:       &http.Client{Transport: inProcess{e}},
		OnRotate:         func(err error) { rotations = append(rotations, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	if got := strings.TrimSpace(string(b)); got != "refresh-token-1" {
		t.Fatalf("file holds %q, want the rotated token", got)
	}
	st, _ := os.Stat(file)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	if len(rotations) != 1 || rotations[0] != nil {
		t.Fatalf("OnRotate calls %v", rotations)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// The next refresh must use the rotated token (the endpoint refuses the old one).
	ts.Invalidate("access-token-1")
	if _, err := ts.Token(); err != nil {
		t.Fatalf("refresh with the rotated token: %v", err)
	}
	if got := e.forms[1].Get("refresh_token"); got != "refresh-token-1" {
		t.Fatalf("second refresh sent %q", got)
	}
}

func TestInvalidateForcesOneRefresh(t *testing.T) {
	e := &tokenEndpoint{life: time.Hour, current: testRefresh}
	ts := newSource(t, e, "")
	a, _ := ts.Token()
	ts.Invalidate("some-other-token") // not the cached one: no effect
	if b, _ := ts.Token(); b.AccessToken != a.AccessToken {
		t.Fatal("invalidating another token dropped the cached one")
	}
	ts.Invalidate(a.AccessToken)
	b, err := ts.Token()
	if err != nil || b.AccessToken == a.AccessToken {
		t.Fatalf("after Invalidate got %v, %v", b, err)
	}
}

func TestEndpointErrorsNameWhatToRenewAndHoldNoSecret(t *testing.T) {
	cases := []struct {
		code, renew string
	}{
		{"AADSTS700082", "refresh token expired"},
		{"AADSTS7000215", "PARTNER_CENTER_CLIENT_SECRET"},
		{"AADSTS7000222", "client secret has expired"},
		{"AADSTS700016", "PARTNER_CENTER_CLIENT_ID"},
		{"AADSTS90002", "PARTNER_CENTER_TENANT_ID"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			e := &tokenEndpoint{life: time.Hour, current: testRefresh, fail: c.code, echo: true}
			_, err := newSource(t, e, "").Token()
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *signin.Error", err, err)
			}
			if se.Code != c.code {
				t.Errorf("Code %q, want %q", se.Code, c.code)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.renew) {
				t.Errorf("message %q does not say %q", msg, c.renew)
			}
			for _, secret := range []string{testSecret, testRefresh} {
				if strings.Contains(msg, secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
					t.Errorf("error shows a secret: %q", msg)
				}
			}
		})
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens any more
	ts, err := New(context.Background(), Config{TenantID: "t", ClientID: "c", ClientSecret: testSecret,
		RefreshToken: testRefresh, TokenURL: addr + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token()
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "could not be reached") {
		t.Fatalf("got %v", err)
	}
}

func TestNewReportsMissingSettings(t *testing.T) {
	_, err := New(context.Background(), Config{})
	if err == nil {
		t.Fatal("no error for empty config")
	}
	for _, want := range []string{"client ID", "client secret", "tenant ID", "refresh token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	_, err = New(context.Background(), Config{TenantID: "t", ClientID: "c", ClientSecret: "s", RefreshTokenFile: empty})
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty refresh token file: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-value")
	type holder struct {
		Token Secret
		Ptr   *Secret
	}
	h := holder{Token: s, Ptr: &s}
	j, _ := json.Marshal(h)
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %d %#v %+v", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", h, h, h), string(j),
	}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Fatalf("secret printed: %s", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Fatalf("no redaction marker in %s", o)
		}
	}
	if s.Reveal() != "hunter2-value" {
		t.Fatal("Reveal lost the value")
	}
}
