package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

const (
	testClientSecret = "client-secret-Vq7~DoNotLeak"
	firstRefresh     = "refresh-token-0-DoNotLeak"
	tokenHost        = "login.test"
)

// identity is an in-process Microsoft identity token endpoint: it issues access tokens
// that live `life` and rotates the refresh token on every answer.
type identity struct {
	mu       sync.Mutex
	life     time.Duration
	refresh  string               // the refresh token it accepts
	issued   map[string]time.Time // access token -> expiry
	secrets  []string             // every secret it handed out or accepted
	requests int
	fail     string // an AADSTS code to refuse every request with
	down     bool   // answer every request 503
	revoked  bool   // access tokens issued so far are refused by the API
	// echo makes a refusal quote what it was sent, as some proxies and error pages do:
	// the refresh token in capitals and a part of the client secret.
	echo bool
}

// echoed is the part of the client secret a refusal quotes when echo is set.
var echoed = testClientSecret[5:20]

func newIdentity(life time.Duration) *identity {
	return &identity{life: life, refresh: firstRefresh, issued: map[string]time.Time{},
		secrets: []string{testClientSecret, firstRefresh}}
}

func (id *identity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.requests++
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	refuse := func(code, desc string) {
		if id.echo {
			desc += " You sent " + strings.ToUpper(r.PostForm.Get("refresh_token")) +
				" with ..." + strings.TrimPrefix(r.PostForm.Get("client_secret"), testClientSecret[:5])[:len(echoed)] + "..."
		}
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant",
			"error_description": code + ": " + desc + "\r\nTrace ID: 0\r\nCorrelation ID: 0", "error_codes": []int{0}})
	}
	switch {
	case id.down:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case id.fail != "":
		refuse(id.fail, "The refresh token has expired due to inactivity.")
		return
	case r.PostForm.Get("client_secret") != testClientSecret:
		refuse("AADSTS7000215", "Invalid client secret provided.")
		return
	case r.PostForm.Get("refresh_token") != id.refresh:
		refuse("AADSTS70000", "The provided grant is invalid or malformed.")
		return
	case r.PostForm.Get("scope") != "https://api.partnercenter.microsoft.com/.default":
		refuse("AADSTS70011", "The provided value for the input parameter 'scope' is not valid.")
		return
	}
	access := fmt.Sprintf("access-%d-DoNotLeak", id.requests)
	id.refresh = fmt.Sprintf("refresh-token-%d-DoNotLeak", id.requests)
	id.issued[access] = time.Now().Add(id.life)
	id.secrets = append(id.secrets, access, id.refresh)
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "access_token": access,
		"expires_in": int(id.life / time.Second), "refresh_token": id.refresh})
}

// valid is pcfake's token check: a token this endpoint issued, not expired, not revoked.
func (id *identity) valid(tok string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	exp, ok := id.issued[tok]
	return ok && time.Now().Before(exp) && !id.revoked
}

func (id *identity) allSecrets() []string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return append([]string(nil), id.secrets...)
}

func (id *identity) set(f func(id *identity)) {
	id.mu.Lock()
	defer id.mu.Unlock()
	f(id)
}

// newSignInEnv is an env whose fake accepts only tokens from id, with the secure
// application model's settings in the environment and the refresh token in a file.
func newSignInEnv(t *testing.T, id *identity, opts ...pcfake.Option) (*env, string) {
	e := newEnv(t, append([]pcfake.Option{pcfake.WithTokenCheck(id.valid)}, opts...)...)
	e.transport = router{"pc.test": e.fake.Transport(), tokenHost: clienttest.Handler(id)}
	tokenFile := e.file("refresh-token", firstRefresh+"\n")
	if err := os.Chmod(tokenFile, 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars = map[string]string{
		EnvBaseURL:      "https://pc.test/",
		EnvClientID:     "11111111-2222-4333-8444-555555555555",
		EnvClientSecret: testClientSecret,
		EnvTenantID:     "contoso.onmicrosoft.com",
		EnvTokenURL:     "https://" + tokenHost + "/contoso.onmicrosoft.com/oauth2/v2.0/token",
	}
	return e, tokenFile
}

// TestLongRunRefreshesTokensBeforeTheyExpire runs for 30 minutes (fake time) with
// access tokens that live 10: no request is refused, and the token is refreshed
// each time it nears expiry, not on every request.
func TestLongRunRefreshesTokensBeforeTheyExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(10 * time.Minute)
		e, tokenFile := newSignInEnv(t, id)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(360, "ENTERPRISEPACK")),
			"--output", out, "--rate", "0.2", "--refresh-token-file", tokenFile)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if st := e.fake.Stats(); st.Unauthorized != 0 || st.Posts != 360 {
			t.Fatalf("%d requests refused with 401, %d POSTs", st.Unauthorized, st.Posts)
		}
		// 30 minutes with a refresh 1 minute before each 10-minute expiry: one sign-in
		// and three refreshes; never one per request.
		id.mu.Lock()
		requests, current := id.requests, id.refresh
		id.mu.Unlock()
		if requests < 3 || requests > 6 {
			t.Fatalf("%d token requests for a 30-minute run of 10-minute tokens", requests)
		}
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(b)) != current {
			t.Fatal("the refresh token file does not hold the latest rotated token")
		}
		if st, _ := os.Stat(tokenFile); st.Mode().Perm() != 0o600 {
			t.Fatalf("refresh token file mode %v, want 0600", st.Mode().Perm())
		}
		contains(t, "log", e.stderr.String(), "secure application model", "https://pc.test/", "stored the rotated refresh token")
		for _, l := range strings.Split(e.stderr.String(), "\n") {
			if strings.Contains(l, `"level":"warn"`) {
				t.Fatalf("a warning in a run that went well:\n%s", l)
			}
		}
	})
}

// TestSignInFailures: every sign-in failure ends the job before anything is read;
// refused credentials exit 2, an outage of the token endpoint exits 1.
func TestSignInFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(id *identity, e *env, tokenFile string)
		code  int
		says  []string
	}{
		{"expired refresh token", func(id *identity, e *env, _ string) { id.fail = "AADSTS700082" }, ExitUsage,
			[]string{"AADSTS700082", "get a new refresh token", "--refresh-token-file"}},
		{"refused refresh token", func(id *identity, e *env, tokenFile string) {
			os.WriteFile(tokenFile, []byte("refresh-token-not-the-one-DoNotLeak\n"), 0o600)
		}, ExitUsage, []string{"AADSTS70000", "--refresh-token-file"}},
		{"wrong client secret", func(id *identity, e *env, _ string) { e.vars[EnvClientSecret] = "another-secret-DoNotLeak" },
			ExitUsage, []string{"AADSTS7000215", EnvClientSecret}},
		{"token endpoint down", func(id *identity, e *env, _ string) { id.down = true }, ExitRowsFailed,
			[]string{"503", "try again later"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				id := newIdentity(time.Hour)
				e, tokenFile := newSignInEnv(t, id)
				c.setup(id, e, tokenFile)
				out := e.path("result.csv")
				code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv",
					"--output", out, "--refresh-token-file", tokenFile)
				if code != c.code {
					t.Fatalf("exit %d, want %d: %s", code, c.code, e.all())
				}
				contains(t, "stderr", e.stderr.String(), c.says...)
				if e.fake.Stats().Requests != 0 {
					t.Fatal("requests sent with a failed sign-in")
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatal("an output file was left behind")
				}
				if c.code == ExitRowsFailed && id.requests < 2 {
					t.Fatalf("%d token requests: an outage is retried", id.requests)
				}
			})
		})
	}
}

func TestIncompleteSignInSettingsNameWhatIsMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		e, _ := newSignInEnv(t, id)
		delete(e.vars, EnvClientSecret)
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitUsage {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		contains(t, "stderr", e.stderr.String(), "(set $"+EnvClientSecret+" or --client-secret-file", EnvRefreshToken+" or --refresh-token-file")
		e.vars[EnvClientSecret] = testClientSecret
		e.vars[EnvTokenURL] = "http://login.example.com/token"
		e.vars[EnvRefreshToken] = firstRefresh
		code = e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitUsage {
			t.Fatalf("plain-http token URL: exit %d: %s", code, e.stderr.String())
		}
		contains(t, "stderr", e.stderr.String(), EnvTokenURL, "https")
		if id.requests != 0 {
			t.Fatal("the token endpoint was called with incomplete settings")
		}
	})
}

// TestClientSecretFile: the client secret may come from a file; a file that others
// can read draws a warning, and a missing one names the flag.
func TestClientSecretFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		e, tokenFile := newSignInEnv(t, id)
		delete(e.vars, EnvClientSecret)
		secretFile := e.file("client-secret", testClientSecret+"\n")
		if err := os.Chmod(tokenFile, 0o644); err != nil {
			t.Fatal(err)
		}
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv",
			"--client-secret-file", secretFile, "--refresh-token-file", tokenFile)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		// Both files are readable by others: a warning each, naming the file.
		warnings := 0
		for _, l := range strings.Split(e.stderr.String(), "\n") {
			if strings.Contains(l, `"level":"warn"`) && (strings.Contains(l, secretFile) || strings.Contains(l, tokenFile)) {
				warnings++
			}
		}
		if warnings != 2 {
			t.Fatalf("%d warnings about readable secret files, want 2:\n%s", warnings, e.stderr.String())
		}
		code = e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv",
			"--client-secret-file", e.path("no-such-secret"), "--refresh-token-file", tokenFile)
		if code != ExitUsage {
			t.Fatalf("missing secret file: exit %d: %s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), "no-such-secret", "--client-secret-file")
	})
}

// TestMFARequiredStopsTheRun: the API refuses the token for lacking multi-factor
// authentication (401, code 900421) from some moment on: the run stops, exit 1, and
// says why.
func TestMFARequiredStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		mfa := true
		e := newEnv(t, pcfake.WithLatency(100*time.Millisecond, 0), pcfake.WithMFACheck(func(string) bool {
			mu.Lock()
			defer mu.Unlock()
			return mfa
		}))
		out := e.path("result.csv")
		signalAfterFirstPost(e, 2*time.Second, func() { mu.Lock(); mfa = false; mu.Unlock() }, 0, nil)
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(60, "ENTERPRISEPACK")),
			"--output", out)
		if code != ExitRowsFailed {
			t.Fatalf("exit %d, want 1: %s", code, e.all())
		}
		st := e.fake.Stats()
		if st.MFARequired == 0 || st.MFARequired > 16 || st.Applied == 0 || st.Applied == 60 {
			t.Fatalf("stats %+v: want some updates applied, then a few refused for MFA and the run stopped", st)
		}
		contains(t, "output", e.all(), "multi-factor authentication", "--resume")
		skipped := 0
		for _, r := range e.results(out) {
			if r.Status == report.StatusSkipped || r.Status == report.StatusFailed {
				skipped++
			}
		}
		if skipped+st.Applied != 60 {
			t.Fatalf("%d rows not done, %d applied: some row unaccounted for", skipped, st.Applied)
		}
	})
}

// TestMFARequiredBeforeAnything: a token without MFA from the start: the plan's first
// read is refused, nothing is sent, and the message says what to do.
func TestMFARequiredBeforeAnything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithMFACheck(func(string) bool { return false }))
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitUsage { // a refused credential, before anything was read
			t.Fatalf("exit %d, want 2: %s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), "multi-factor authentication", "nothing was sent")
	})
}

// TestRevokedAccessTokenStopsTheRunAndResumeFinishes revokes every token mid-run: the
// client refreshes once, the new token is refused too (the grant was revoked), the
// run stops with the rest skipped, and a resume with new credentials finishes.
func TestRevokedAccessTokenStopsTheRunAndResumeFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		e, tokenFile := newSignInEnv(t, id, pcfake.WithLatency(20*time.Millisecond, 0))
		out := e.path("result.csv")
		in := e.file("in.csv", usersCSV(200, "ENTERPRISEPACK"))
		signalAfterFirstPost(e, 5*time.Second, func() { id.set(func(id *identity) { id.revoked, id.fail = true, "AADSTS50173" }) }, 0, nil)
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out,
			"--rate", "20", "--refresh-token-file", tokenFile)
		if code != ExitRowsFailed {
			t.Fatalf("exit %d, want 1: %s", code, e.stderr.String())
		}
		rs := e.results(out)
		if len(rs) != 200 {
			t.Fatalf("%d rows, want 200", len(rs))
		}
		skipped := 0
		for _, r := range rs {
			if r.Status == report.StatusSkipped {
				skipped++
				if !strings.Contains(r.ErrorMessage, "credentials") {
					t.Fatalf("skipped reason %q", r.ErrorMessage)
				}
			}
		}
		if skipped < 50 {
			t.Fatalf("only %d rows skipped: the run did not stop", skipped)
		}
		contains(t, "summary", e.stdout.String(), "--resume", "credentials")
		// New credentials: a fresh grant.
		e.hook(nil)
		id.set(func(id *identity) { id.revoked, id.fail, id.issued = false, "", map[string]time.Time{} })
		code = e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out,
			"--rate", "20", "--refresh-token-file", tokenFile, "--resume")
		if code != ExitOK {
			t.Fatalf("resume: exit %d: %s", code, e.stderr.String())
		}
		lines := byLine(e.results(out))
		for line := 2; line <= 201; line++ {
			if lines[line][report.StatusSucceeded] != 1 {
				t.Fatalf("line %d: %v", line, lines[line])
			}
		}
	})
}

// TestRevokedRefreshTokenAdviceIsReadable: the advice for a revoked refresh token
// says what revokes one ("a password change or an admin's action").
func TestRevokedRefreshTokenAdviceIsReadable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		e, tokenFile := newSignInEnv(t, id)
		signalAfterFirstPost(e, 0, func() { id.set(func(id *identity) { id.revoked, id.fail = true, "AADSTS50173" }) }, 0, nil)
		e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(20, "ENTERPRISEPACK")),
			"--output", e.path("result.csv"), "--refresh-token-file", tokenFile)
		contains(t, "output", e.all(), "AADSTS50173", "a password change or an admin's action")
	})
}

// TestNoCredentialsNamesEveryWay: with no sign-in setting at all, the message lists
// every way to give one, the ready access token and --simulate included.
func TestNoCredentialsNamesEveryWay(t *testing.T) {
	e := newEnv(t)
	e.vars = map[string]string{}
	if code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv"); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	contains(t, "stderr", e.stderr.String(), "$"+EnvAccessToken, "--simulate", "$"+EnvClientID)
}
