package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

const (
	deviceRefresh = "device-flow-refresh-token-Kx9DoNotLeak"
	deviceHost    = "127.0.0.1:8443" // loopback-looking, served in process
	deviceAuthURL = "https://" + deviceHost + "/{tenant}/oauth2/v2.0/devicecode"
	deviceTokURL  = "https://" + deviceHost + "/{tenant}/oauth2/v2.0/token"
)

// deviceIdentity is an in-process device authorization endpoint and token endpoint:
// each poll of the token endpoint takes the next of answers (the last repeats):
// "pending", "ok", "503" or an OAuth error code.
type deviceIdentity struct {
	mu        sync.Mutex
	answers   []string
	authDown  bool
	authForms []url.Values
	authPaths []string
	polls     []time.Time
}

func (d *deviceIdentity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	d.mu.Lock()
	defer d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/devicecode") {
		d.authForms = append(d.authForms, r.PostForm)
		d.authPaths = append(d.authPaths, r.URL.Path)
		if d.authDown {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"device_code": "device-code-DoNotLeak-0123456789", "user_code": "WXYZ-1234",
			"verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 5})
		return
	}
	d.polls = append(d.polls, time.Now())
	switch a := d.answers[min(len(d.polls), len(d.answers))-1]; a {
	case "ok":
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "access_token": "device-access-DoNotLeak",
			"expires_in": 3600, "refresh_token": deviceRefresh})
	case "503":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		if a == "pending" {
			a = "authorization_pending"
		}
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": a, "error_description": "AADSTS70016: " + a})
	}
}

func newLoginEnv(t *testing.T, d *deviceIdentity) *env {
	e := newEnv(t)
	e.transport = router{deviceHost: clienttest.Handler(d)}
	e.vars = map[string]string{EnvClientID: "11111111-2222-4333-8444-555555555555", EnvTenantID: "contoso.onmicrosoft.com"}
	return e
}

func TestLoginSavesTheRefreshToken(t *testing.T) {
	for _, api := range []string{"partnercenter", "graph"} {
		t.Run(api, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := &deviceIdentity{answers: []string{"pending", "pending", "ok"}}
				e := newLoginEnv(t, d)
				file := e.path("refresh-token")
				start := time.Now()
				code := e.run(t.Context(), nil, "login", "--api", api, "--refresh-token-file", file,
					"--device-auth-url", deviceAuthURL, "--token-url", deviceTokURL)
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, e.all())
				}
				b, err := os.ReadFile(file)
				if err != nil || strings.TrimSpace(string(b)) != deviceRefresh {
					t.Fatalf("refresh token file %q, %v", b, err)
				}
				if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
					t.Fatalf("mode %v, want 0600", st.Mode().Perm())
				}
				contains(t, "prompt", e.stderr.String(), "https://microsoft.com/devicelogin", "WXYZ-1234")
				contains(t, "stdout", e.stdout.String(), "Signed in", file, "--refresh-token-file")
				if strings.Contains(e.all(), deviceRefresh) || strings.Contains(e.all(), "DoNotLeak") {
					t.Fatalf("a secret was printed:\n%s", e.all())
				}
				// Three polls 5 s apart, as the endpoint asked.
				if len(d.polls) != 3 || d.polls[2].Sub(start) < 10*time.Second {
					t.Fatalf("%d polls at %v", len(d.polls), d.polls)
				}
				scope := d.authForms[0].Get("scope")
				want := "https://api.partnercenter.microsoft.com/user_impersonation"
				if api == "graph" {
					want = "https://graph.microsoft.com/.default"
				}
				if !strings.Contains(scope, want) || !strings.Contains(scope, "offline_access") ||
					d.authForms[0].Get("client_id") != e.vars[EnvClientID] || !strings.Contains(d.authPaths[0], "/contoso.onmicrosoft.com/") {
					t.Fatalf("device authorization request %v to %s", d.authForms[0], d.authPaths[0])
				}
			})
		})
	}
}

func TestLoginReplacesAReadableTokenFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newLoginEnv(t, &deviceIdentity{answers: []string{"ok"}})
		file := e.file("refresh-token", "old-token\n")
		if code := e.run(t.Context(), nil, "login", "--refresh-token-file", file, "--tenant", "fabrikam.onmicrosoft.com",
			"--device-auth-url", deviceAuthURL, "--token-url", deviceTokURL); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		b, _ := os.ReadFile(file)
		if st, _ := os.Stat(file); strings.TrimSpace(string(b)) != deviceRefresh || st.Mode().Perm() != 0o600 {
			t.Fatalf("file %q mode %v", b, st.Mode().Perm())
		}
	})
}

func TestLoginFailures(t *testing.T) {
	cases := []struct {
		name string
		d    *deviceIdentity
		vars map[string]string
		code int
		says string
	}{
		{"declined", &deviceIdentity{answers: []string{"pending", "authorization_declined"}}, nil, ExitUsage, "declined"},
		{"expired", &deviceIdentity{answers: []string{"expired_token"}}, nil, ExitUsage, "expired"},
		{"no client ID", &deviceIdentity{answers: []string{"ok"}}, map[string]string{EnvTenantID: "contoso.onmicrosoft.com"}, ExitUsage, "$" + EnvClientID},
		{"device endpoint down", &deviceIdentity{authDown: true, answers: []string{"ok"}}, nil, ExitRowsFailed, "503"},
		{"token endpoint down", &deviceIdentity{answers: []string{"503"}}, nil, ExitRowsFailed, "503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newLoginEnv(t, c.d)
				if c.vars != nil {
					e.vars = c.vars
				}
				file := e.path("refresh-token")
				code := e.run(t.Context(), nil, "login", "--refresh-token-file", file, "--device-auth-url", deviceAuthURL, "--token-url", deviceTokURL)
				if code != c.code {
					t.Fatalf("exit %d, want %d\n%s", code, c.code, e.all())
				}
				contains(t, "stderr", e.stderr.String(), c.says)
				if _, err := os.Stat(file); err == nil {
					t.Fatal("a refresh token file was written")
				}
			})
		})
	}
}
