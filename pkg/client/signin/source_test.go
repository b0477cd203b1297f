package signin

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

func TestRefreshSendsTheSecureAppModelForm(t *testing.T) {
	e := newEndpoint(time.Hour)
	s := testSettings(e)
	s.Scope = GraphScope
	if got := mustToken(t, newSource(t, s), "customer-a.onmicrosoft.com"); got != "access-customer-a.onmicrosoft.com-1" {
		t.Fatalf("access token %q", got)
	}
	want := map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": testRefresh,
		"client_id":     "app-id",
		"client_secret": testSecret,
		"scope":         GraphScope,
	}
	for k, v := range want {
		if got := e.forms[0].Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if e.tenants[0] != "customer-a.onmicrosoft.com" {
		t.Errorf("request went to tenant %q, want the customer's", e.tenants[0])
	}
}

func TestTokensAreCachedPerTenant(t *testing.T) {
	e := newEndpoint(time.Hour)
	e.noRot = true
	ts := newSource(t, testSettings(e))
	own := mustToken(t, ts, "")
	a := mustToken(t, ts, "tenant-a")
	b := mustToken(t, ts, "tenant-b")
	if own == a || a == b {
		t.Fatalf("tenants share tokens: %q %q %q", own, a, b)
	}
	// "" is the configured tenant; tenants compare without case.
	for tenant, want := range map[string]string{testTenant: own, "CONTOSO.onmicrosoft.com": own, "Tenant-A": a, "tenant-b": b} {
		if got := mustToken(t, ts, tenant); got != want {
			t.Errorf("Token(%q) = %q, want the cached %q", tenant, got, want)
		}
	}
	if got, want := strings.Join(e.tenants, ","), testTenant+",tenant-a,tenant-b"; got != want {
		t.Errorf("requests for %s, want %s", got, want)
	}
	if ts.Refreshes() != 3 || ts.TenantRefreshes("TENANT-A") != 1 || ts.TenantRefreshes("") != 1 {
		t.Errorf("Refreshes %d, tenant-a %d, own %d", ts.Refreshes(), ts.TenantRefreshes("tenant-a"), ts.TenantRefreshes(""))
	}
}

func TestConcurrentCallersShareOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(time.Hour)
		e.block = make(chan struct{})
		ts := newSource(t, testSettings(e))
		const callers = 40
		got := make([]string, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { got[i] = tryToken(t, ts, "tenant-a") })
		}
		synctest.Wait() // every caller waits for the one request
		if n := e.requests(); n != 1 {
			t.Fatalf("%d requests while %d callers wait, want 1", n, callers)
		}
		close(e.block)
		wg.Wait()
		for i, tok := range got {
			if tok != got[0] {
				t.Fatalf("caller %d got %q, caller 0 %q", i, tok, got[0])
			}
		}
		if n := e.requests(); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
	})
}

func TestCallerContextEndsItsWaitAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(time.Hour)
		e.block = make(chan struct{})
		var abandoned atomic.Int32
		ts := newSource(t, testSettings(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.ServeHTTP(w, r)
			if r.Context().Err() != nil {
				abandoned.Add(1)
			}
		})))

		// Two callers share a request; the first gives up, the second still gets the token.
		ctx, cancel := context.WithCancel(context.Background())
		var first error
		start := time.Now()
		var waited time.Duration
		done := make(chan struct{})
		go func() {
			_, first = ts.Token(ctx, "tenant-a")
			waited = time.Since(start)
			close(done)
		}()
		var second string
		var wg sync.WaitGroup
		wg.Go(func() { second = tryToken(t, ts, "tenant-a") })
		synctest.Wait()
		cancel()
		<-done
		if !errors.Is(first, context.Canceled) || waited != 0 {
			t.Fatalf("canceled caller: %v after %v, want context.Canceled at once", first, waited)
		}
		close(e.block)
		wg.Wait()
		if second != "access-tenant-a-1" {
			t.Fatalf("the remaining caller got %q", second)
		}

		// A lone caller that gives up abandons the request: the endpoint sees it end.
		e.mu.Lock()
		e.block = make(chan struct{})
		e.mu.Unlock()
		ctx, cancel = context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { _, err := ts.Token(ctx, "tenant-b"); errc <- err }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("lone caller: %v", err)
		}
		synctest.Wait() // the abandoned request ends
		if abandoned.Load() != 1 {
			t.Fatalf("%d requests saw their context end, want the abandoned one", abandoned.Load())
		}
		close(e.block)

		// A caller that comes while an abandoned request is still winding down starts
		// afresh rather than joining it.
		e.mu.Lock()
		e.block, e.deaf = make(chan struct{}), true // requests end only when block closes
		e.mu.Unlock()
		ctx, cancel = context.WithCancel(context.Background())
		go func() { _, err := ts.Token(ctx, "tenant-c"); errc <- err }()
		synctest.Wait()
		cancel()
		<-errc
		var third string
		wg.Go(func() { third = tryToken(t, ts, "tenant-c") })
		synctest.Wait()
		close(e.block)
		wg.Wait()
		if third != "access-tenant-c-4" {
			t.Fatalf("after an abandoned request got %q, want a token of a new request", third)
		}
	})
}

func TestTokenIsCachedAndRefreshedBeforeExpiry(t *testing.T) {
	for _, c := range []struct {
		life, margin time.Duration
	}{
		{time.Hour, 5 * time.Minute},        // long-lived: the 5-minute cap
		{20 * time.Minute, 2 * time.Minute}, // a tenth of the lifetime
	} {
		t.Run(c.life.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEndpoint(c.life)
				ts := newSource(t, testSettings(e))
				first := mustToken(t, ts, "")
				for range 50 {
					if mustToken(t, ts, "") != first {
						t.Fatal("token changed while fresh")
					}
				}
				time.Sleep(c.life - c.margin - time.Second)
				if mustToken(t, ts, "") != first || e.requests() != 1 {
					t.Fatalf("refreshed %v before the margin", time.Second)
				}
				time.Sleep(2 * time.Second)
				second := mustToken(t, ts, "")
				if second == first || e.requests() != 2 {
					t.Fatalf("not refreshed within the margin (%d requests)", e.requests())
				}
				if ts.Refreshes() != 2 {
					t.Fatalf("Refreshes = %d, want 2", ts.Refreshes())
				}
			})
		})
	}
}

// TestShortLivedTokensAreRefreshedOncePerLifetime is the 75-second token of the issue:
// a fixed 5-minute margin refreshed on every call (1,803 requests for 900 updates).
// Refreshed when 7.5 s (a tenth) remain, with one call a second, a token serves 68 s:
// 900 s need ceil(900/68) = 14 tokens.
func TestShortLivedTokensAreRefreshedOncePerLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(75 * time.Second)
		ts := newSource(t, testSettings(e))
		for range 900 {
			mustToken(t, ts, "")
			mustToken(t, ts, "") // two calls per update, as the issue counted
			time.Sleep(time.Second)
		}
		if n := e.requests(); n != 14 {
			t.Fatalf("%d token requests over 15 minutes of 75-second tokens, want 14", n)
		}
	})
}

func TestFailedEarlyRefreshKeepsTheTokenWithoutAskingAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(time.Hour)
		ts := newSource(t, testSettings(e))
		start := time.Now()
		first := mustToken(t, ts, "")
		e.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50173: The provided grant has expired due to it being revoked.")
			return true
		}
		time.Sleep(56 * time.Minute) // inside the 5-minute margin
		for range 20 {
			if got := mustToken(t, ts, ""); got != first {
				t.Fatalf("got %q, want the still-valid token", got)
			}
			time.Sleep(4 * time.Second)
		}
		if n := e.requests(); n != 2 {
			t.Fatalf("%d requests, want the first and one early refresh", n)
		}
		// Half the margin before expiry the kept token is no longer handed out.
		time.Sleep(time.Until(start.Add(57*time.Minute + 31*time.Second)))
		_, err := ts.Token(context.Background(), "")
		var se *Error
		if !errors.As(err, &se) || se.Code != "AADSTS50173" || se.Transient() {
			t.Fatalf("after the margin: %v, want the refusal", err)
		}
		if n := e.requests(); n != 2 {
			t.Fatalf("%d requests: the refusal was asked again", n)
		}
	})
}

func TestRotatedRefreshTokenIsStoredAndUsedForEveryTenant(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(file, []byte(testRefresh+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEndpoint(time.Hour)
	var rotations []error
	s := testSettings(e)
	s.RefreshToken, s.RefreshTokenFile = "", file
	s.OnRotate = func(err error) { rotations = append(rotations, err) }
	ts := newSource(t, s)
	mustToken(t, ts, "")
	b, _ := os.ReadFile(file)
	if got := strings.TrimSpace(string(b)); got != refreshToken(1) {
		t.Fatalf("file holds %q, want the rotated token", got)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	if len(rotations) != 1 || rotations[0] != nil {
		t.Fatalf("OnRotate calls %v", rotations)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// Another tenant's request uses the rotated token (the endpoint refuses the old one).
	mustToken(t, ts, "tenant-a")
	if got := e.forms[1].Get("refresh_token"); got != refreshToken(1) {
		t.Fatalf("second request sent %q", got)
	}
	b, _ = os.ReadFile(file)
	if got := strings.TrimSpace(string(b)); got != refreshToken(2) || len(rotations) != 2 {
		t.Fatalf("file holds %q after %d rotations", got, len(rotations))
	}
}

func TestRefusedReplacedRefreshTokenIsRetriedWithTheNewOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(time.Hour)
		e.strict = true // this endpoint revokes a refresh token once it has rotated it
		// Tenant A's request is answered first, but its answer (and the rotation in it)
		// reaches the source only after tenant B's request was refused.
		aServed, releaseA := make(chan struct{}), make(chan struct{})
		s := testSettings(e)
		s.HTTPClient = &http.Client{Transport: clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasPrefix(r.URL.Path, "/tenant-a/") {
				res, err := clienttest.Handler(e).RoundTrip(r)
				close(aServed)
				<-releaseA
				return res, err
			}
			<-aServed
			return clienttest.Handler(e).RoundTrip(r)
		})}
		ts := newSource(t, s)
		var wg sync.WaitGroup
		for _, tenant := range []string{"tenant-a", "tenant-b"} {
			wg.Go(func() { tryToken(t, ts, tenant) })
		}
		synctest.Wait() // B was refused: it sent the token A's answer replaced
		if n := e.requests(); n != 2 || e.forms[1].Get("refresh_token") != testRefresh {
			t.Fatalf("%d requests before A's answer arrived", n)
		}
		close(releaseA)
		wg.Wait()
		if n := e.requests(); n != 3 {
			t.Fatalf("%d requests, want 2 and one more with the rotated token", n)
		}
		if got := e.forms[2].Get("refresh_token"); got != refreshToken(1) {
			t.Fatalf("the repeated request sent %q, want the rotated token", got)
		}
	})
}

func TestInvalidateForcesOneRefresh(t *testing.T) {
	e := newEndpoint(time.Hour)
	ts := newSource(t, testSettings(e))
	a := mustToken(t, ts, "tenant-a")
	ts.Invalidate("tenant-a", "some-other-token") // not the cached one: no effect
	ts.Invalidate("", a)                          // another tenant's: no effect
	if mustToken(t, ts, "tenant-a") != a {
		t.Fatal("invalidating another token dropped the cached one")
	}
	ts.Invalidate("TENANT-A", a)
	if b := mustToken(t, ts, "tenant-a"); b == a {
		t.Fatal("Invalidate did not force a new token")
	}
	if e.requests() != 2 {
		t.Fatalf("%d requests, want 2", e.requests())
	}
}

func TestTokenURLWithoutPlaceholderSignsInToTheOwnTenantOnly(t *testing.T) {
	e := newEndpoint(time.Hour)
	s := testSettings(e)
	s.TokenURL = "https://login.example.test/" + testTenant + "/oauth2/v2.0/token"
	ts := newSource(t, s)
	mustToken(t, ts, "")
	_, err := ts.Token(context.Background(), "customer-b")
	var se *Error
	if !errors.As(err, &se) || se.Setting != SettingTokenURL || !strings.Contains(err.Error(), "customer-b") {
		t.Fatalf("got %v, want an error naming the token URL and the tenant", err)
	}
	if e.requests() != 1 {
		t.Fatalf("%d requests: a customer token was asked of the partner's tenant", e.requests())
	}
}
