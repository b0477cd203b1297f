package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

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
	revoked  bool   // access tokens issued so far are refused by the API
}

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
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant",
			"error_description": code + ": " + desc + "\r\nTrace ID: 0\r\nCorrelation ID: 0", "error_codes": []int{0}})
	}
	switch {
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

// router sends each request to the in-process server of its host.
type router map[string]http.RoundTripper

func (rt router) RoundTrip(r *http.Request) (*http.Response, error) {
	if t, ok := rt[r.URL.Host]; ok {
		return t.RoundTrip(r)
	}
	return nil, errors.New("no test server for host " + r.URL.Host)
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// newSignInEnv is an env whose fake accepts only tokens from id, with the secure
// application model's settings in the environment and the refresh token in a file.
func newSignInEnv(t *testing.T, id *identity, opts ...pcfake.Option) (*env, string) {
	e := newEnv(t, append([]pcfake.Option{pcfake.WithTokenCheck(id.valid)}, opts...)...)
	e.transport = router{"pc.test": e.fake.Transport(), tokenHost: handlerTransport{id}}
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
			"--output", out, "--rate", "0.2", "--refresh-token-file", tokenFile, "--rollback=false")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if st := e.fake.Stats(); st.Unauthorized != 0 || st.Posts != 360 {
			t.Fatalf("%d requests refused with 401, %d POSTs", st.Unauthorized, st.Posts)
		}
		// 30 minutes with a refresh 5 minutes before each 10-minute expiry: one
		// sign-in and about six refreshes; never one per request.
		if id.requests < 6 || id.requests > 9 {
			t.Fatalf("%d token requests for a 30-minute run of 10-minute tokens", id.requests)
		}
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			t.Fatal(err)
		}
		id.mu.Lock()
		current := id.refresh
		id.mu.Unlock()
		if strings.TrimSpace(string(b)) != current {
			t.Fatal("the refresh token file does not hold the latest rotated token")
		}
		if st, _ := os.Stat(tokenFile); st.Mode().Perm() != 0o600 {
			t.Fatalf("refresh token file mode %v, want 0600", st.Mode().Perm())
		}
		if !strings.Contains(e.stderr.String(), "secure application model") || !strings.Contains(e.stderr.String(), "https://pc.test/") {
			t.Fatalf("the run does not say which credentials and endpoint it uses:\n%s", e.stderr.String())
		}
	})
}

func TestExpiredRefreshTokenIsOneClearMessageAndSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		id.fail = "AADSTS700082"
		e, tokenFile := newSignInEnv(t, id)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv",
			"--output", out, "--refresh-token-file", tokenFile)
		if code != ExitUsage {
			t.Fatalf("exit %d, want 2: %s", code, e.stderr.String())
		}
		for _, want := range []string{"AADSTS700082", "refresh token", "renew"} {
			if !strings.Contains(e.stderr.String(), want) {
				t.Errorf("message lacks %q: %s", want, e.stderr.String())
			}
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent with a refused sign-in")
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output file was left behind")
		}
	})
}

func TestIncompleteSignInSettingsNameWhatIsMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(time.Hour)
		e, _ := newSignInEnv(t, id)
		delete(e.vars, EnvClientSecret)
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitUsage || !strings.Contains(e.stderr.String(), EnvClientSecret) || !strings.Contains(e.stderr.String(), EnvRefreshToken) {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		e.vars[EnvClientSecret] = testClientSecret
		e.vars[EnvTokenURL] = "http://login.example.com/token"
		e.vars[EnvRefreshToken] = firstRefresh
		code = e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitUsage || !strings.Contains(e.stderr.String(), EnvTokenURL) || !strings.Contains(e.stderr.String(), "https") {
			t.Fatalf("plain-http token URL: exit %d: %s", code, e.stderr.String())
		}
		if id.requests != 0 {
			t.Fatal("the token endpoint was called with incomplete settings")
		}
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
		time.AfterFunc(5*time.Second, func() {
			id.mu.Lock()
			id.revoked = true
			id.fail = "AADSTS50173"
			id.mu.Unlock()
		})
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
		stdout := e.stdout.String()
		if !strings.Contains(stdout, "--resume") || !strings.Contains(stdout, "credentials") {
			t.Fatalf("the summary does not say how to resume with new credentials:\n%s", stdout)
		}
		// New credentials: a fresh grant.
		id.mu.Lock()
		id.revoked, id.fail = false, ""
		id.issued = map[string]time.Time{}
		id.mu.Unlock()
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

// TestNoSecretInAnyOutput runs plan and a whole run at debug level, with token
// refreshes, rotations, a refused token and failing rows, and looks for every secret
// in stdout, stderr and every file written (the refresh token file aside, whose job
// is to hold one).
func TestNoSecretInAnyOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(6 * time.Minute)
		e, tokenFile := newSignInEnv(t, id, pcfake.WithFailureRate(0.1), pcfake.WithSeed(3))
		var seen strings.Builder
		in := e.file("in.csv", usersCSV(150, "ENTERPRISEPACK")+"user99999@contoso.com,Minecraft Education Edition Faculty\n")
		e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", in, "--log-level", "debug",
			"--refresh-token-file", tokenFile, "--out", e.path("plan.csv"))
		seen.WriteString(e.stdout.String() + e.stderr.String())
		// Invalidate the current token once mid-run: a 401 and a refresh.
		time.AfterFunc(30*time.Second, func() {
			id.mu.Lock()
			for k := range id.issued {
				id.issued[k] = time.Now()
			}
			id.mu.Unlock()
		})
		e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", e.path("result.csv"),
			"--log-level", "debug", "--rate", "1", "--refresh-token-file", tokenFile, "--summary-json", e.path("summary.json"))
		seen.WriteString(e.stdout.String() + e.stderr.String())
		// A refused sign-in, at debug level too.
		id.fail = "AADSTS7000222"
		e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", e.path("result2.csv"),
			"--log-level", "debug", "--refresh-token-file", tokenFile)
		seen.WriteString(e.stdout.String() + e.stderr.String())
		if e.fake.Stats().Unauthorized == 0 {
			t.Fatal("the run never had a token refused: the test does not cover that path")
		}
		if !strings.Contains(seen.String(), `"level":"debug"`) {
			t.Fatal("no debug line was logged")
		}
		err := filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == tokenFile {
				return err
			}
			b, err := os.ReadFile(p)
			seen.WriteString("\n--- " + p + "\n" + string(b))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		all := seen.String()
		secrets := id.allSecrets()
		if len(secrets) < 6 {
			t.Fatalf("only %d secrets issued: the test covers too little", len(secrets))
		}
		for _, s := range secrets {
			if strings.Contains(all, s) {
				i := strings.Index(all, s)
				t.Fatalf("secret %q... appears in the output: %q", s[:8], all[max(0, i-200):i])
			}
		}
	})
}
