package signin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

// flaky is a transport that fails the first `fails` requests with fail and then hands
// the request to e.
func flaky(e http.Handler, fails int, fail func(r *http.Request) (*http.Response, error)) http.RoundTripper {
	var n atomic.Int32
	return clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		if int(n.Add(1)) <= fails {
			return fail(r)
		}
		return clienttest.Handler(e).RoundTrip(r)
	})
}

func status(code int, header ...string) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		for i := 0; i+1 < len(header); i += 2 {
			rec.Header().Set(header[i], header[i+1])
		}
		rec.WriteHeader(code)
		res := rec.Result()
		res.Request = r
		return res, nil
	}
}

func failWith(err error) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, err }
}

func TestTransientFailuresAreRetried(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	dns := &net.DNSError{Err: "no such host", Name: "login.example.test", IsNotFound: true}
	hang := func(r *http.Request) (*http.Response, error) { <-r.Context().Done(); return nil, r.Context().Err() }
	cases := []struct {
		name  string
		fail  func(*http.Request) (*http.Response, error)
		waits time.Duration // the exact wait, when the server sets it
	}{
		{"503", status(http.StatusServiceUnavailable), -1},
		{"503 with Retry-After", status(http.StatusServiceUnavailable, "Retry-After", "11"), 11 * time.Second},
		{"429 with Retry-After", status(http.StatusTooManyRequests, "Retry-After", "7"), 7 * time.Second},
		{"timeout", hang, -1},
		{"connection refused", failWith(refused), -1},
		{"DNS failure", failWith(dns), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEndpoint(time.Hour)
				s := testSettings(e)
				s.HTTPClient = &http.Client{Transport: flaky(e, 1, c.fail), Timeout: 10 * time.Second}
				start := time.Now()
				if got := mustToken(t, newSource(t, s), "tenant-a"); got != "access-tenant-a-1" {
					t.Fatalf("got %q", got)
				}
				if took := time.Since(start); c.waits >= 0 && took != c.waits {
					t.Fatalf("retried after %v, want the server's %v", took, c.waits)
				}
			})
		})
	}
}

func TestPersistentOutageIsTransientAndRefusalIsNot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			name    string
			fail    func(*http.Request) (*http.Response, error)
			setting string
		}{
			{"503", status(http.StatusServiceUnavailable), ""},
			{"connection refused", failWith(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), SettingTokenURL},
		} {
			e := newEndpoint(time.Hour)
			s := testSettings(e)
			s.HTTPClient = &http.Client{Transport: flaky(e, 1000, c.fail)}
			_, err := newSource(t, s).Token(context.Background(), "")
			var se *Error
			if !errors.As(err, &se) || !se.Transient() || se.Attempts != 5 || se.Setting != c.setting {
				t.Fatalf("%s: %v (%+v), want a transient *Error after 5 attempts", c.name, err, se)
			}
			if !strings.Contains(err.Error(), "5 attempts: try again later") {
				t.Errorf("%s: %q does not say the failure is temporary", c.name, err)
			}
		}
		for _, c := range []struct {
			status        int
			code, setting string
		}{
			{http.StatusBadRequest, "invalid_client", SettingClientSecret},
			{http.StatusUnauthorized, "invalid_client", SettingClientSecret},
			{http.StatusNotFound, "", SettingTokenURL}, // not an OAuth answer: a wrong URL
		} {
			e := newEndpoint(time.Hour)
			e.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if c.code == "" {
					http.NotFound(w, r)
				} else {
					writeOAuthError(w, c.status, c.code, "AADSTS7000215: Invalid client secret provided.")
				}
				return true
			}
			_, err := newSource(t, testSettings(e)).Token(context.Background(), "")
			var se *Error
			if !errors.As(err, &se) || se.Transient() || se.Attempts != 1 || e.requests() != 1 || se.Setting != c.setting || se.Status != c.status {
				t.Fatalf("refused %d: %v (%+v), want a refusal after one request", c.status, err, se)
			}
		}
	})
}

func TestCancelDuringRetryWaitReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEndpoint(time.Hour)
		s := testSettings(e)
		s.HTTPClient = &http.Client{Transport: flaky(e, 1000, status(http.StatusTooManyRequests, "Retry-After", "120"))}
		ts := newSource(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		_, err := ts.Token(ctx, "")
		if !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Fatalf("%v after %v, want context.Canceled after 1s", err, time.Since(start))
		}
		synctest.Wait() // the abandoned request's wait ends too: nothing is left running
	})
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"stolen","expires_in":3600,"refresh_token":"refresh-from-elsewhere-0123456789"}`))
	}))
	defer other.Close()
	var posts atomic.Int32
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Header().Set("Location", other.URL+"/steal?code=AAAAsecret-looking-value-0123456789")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte(`{"access_token":"x","expires_in":3600,"refresh_token":"refresh-in-redirect-0123456789"}`))
	}))
	defer login.Close()
	file := filepath.Join(t.TempDir(), "refresh-token")
	if err := os.WriteFile(file, []byte(testRefresh+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rotated := 0
	ts, _, err := Credentials(context.Background(), Settings{
		TenantID: testTenant, ClientID: "app-id", ClientSecret: testSecret, RefreshTokenFile: file,
		TokenURL: login.URL + "/{tenant}/oauth2/v2.0/token", OnRotate: func(error) { rotated++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token(context.Background(), "")
	var se *Error
	if !errors.As(err, &se) || se.Status != http.StatusTemporaryRedirect || se.Setting != SettingTokenURL || se.Transient() {
		t.Fatalf("got %v (%+v), want a refused sign-in naming the token URL", err, se)
	}
	msg := err.Error()
	for _, want := range []string{"307", "redirected to " + other.URL + "/steal?code=REDACTED"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret-looking") {
		t.Errorf("the Location's query shows: %q", msg)
	}
	if elsewhere.Load() != 0 || posts.Load() != 1 {
		t.Fatalf("the other server got %d requests, the token endpoint %d", elsewhere.Load(), posts.Load())
	}
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != testRefresh || rotated != 0 {
		t.Fatalf("the file holds %q after %d rotations: a redirect's refresh token was stored", b, rotated)
	}
}

func TestErrorsAndRotationMessagesHoldNoSecret(t *testing.T) {
	// The refresh token file sits in a directory named after part of the client
	// secret, which then disappears, so that the rotation's write error names it.
	dir := filepath.Join(t.TempDir(), "x"+testSecret[3:17])
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "refresh-token")
	os.WriteFile(file, []byte(testRefresh), 0o600)
	e := newEndpoint(time.Hour)
	var rotateErr error
	s := testSettings(e)
	s.RefreshToken, s.RefreshTokenFile = "", file
	s.OnRotate = func(err error) { rotateErr = err }
	ts := newSource(t, s)
	os.RemoveAll(dir)
	access := mustToken(t, ts, "")
	if rotateErr == nil || !strings.Contains(rotateErr.Error(), "REDACTED") {
		t.Fatalf("OnRotate got %v, want a scrubbed write error", rotateErr)
	}
	// Now the endpoint echoes the client secret upper-cased, 20 characters of the
	// original and of the rotated refresh token, and the access token.
	e.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
		desc := "AADSTS700082: bad " + strings.ToUpper(r.PostForm.Get("client_secret")) +
			" grant " + testRefresh[10:30] + " now " + refreshToken(1)[5:25] + " token " + access
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", desc)
		return true
	}
	_, err := ts.Token(context.Background(), "tenant-b")
	var se *Error
	if !errors.As(err, &se) || se.Code != "AADSTS700082" {
		t.Fatalf("got %v", err)
	}
	for _, text := range []string{err.Error(), se.Description, rotateErr.Error()} {
		for _, secret := range []string{testSecret[:12], strings.ToUpper(testSecret[:12]), testSecret[3:17],
			testRefresh[10:30], refreshToken(1)[5:25], access} {
			if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
				t.Errorf("%q shows the secret %q", text, secret)
			}
		}
	}
}
