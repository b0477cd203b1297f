//go:build reliability

package reliability

import (
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var (
	flagTokenLifetime = flag.Duration("token-lifetime", 75*time.Second, "TestTokenLifetime: the lifetime of the access tokens the token endpoint issues")
	flagTokenRun      = flag.Duration("token-run", 5*time.Minute, "TestTokenLifetime: how long the run should last (its --rate is set from it)")
)

// checkedAPI passes the API through to the fake once the bearer token is one the token
// endpoint issued and still alive; otherwise it answers 401 as Partner Center does.
type checkedAPI struct {
	ts      *tokenServer
	proxy   *httputil.ReverseProxy
	ok      atomic.Int64
	refused atomic.Int64
	first   atomic.Pointer[string] // why the first refused request was refused
}

func (a *checkedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := a.ts.check(tok); err != nil {
		a.refused.Add(1)
		why := err.Error()
		a.first.CompareAndSwap(nil, &why)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":800001,"description":"Unauthorized: the access token has expired or is invalid.","source":"PartnerFD"}`)
		return
	}
	a.ok.Add(1)
	a.proxy.ServeHTTP(w, r)
}

// TestTokenLifetime signs in with the secure application model against a token
// endpoint that issues access tokens living -token-lifetime (75s), and runs the job at
// a rate that makes it last -token-run (5 minutes), through an API that refuses an
// expired or unknown token with 401. The tokens requested must be about the run's
// length over the lifetime (at most that over 90% of the lifetime, the early-refresh
// margin being a tenth of it, plus the sign-in and one spare), not one per update; no
// request may carry an expired token; the job must end exact.
func TestTokenLifetime(t *testing.T) {
	s := newSetup(t)
	f := s.startFake(t, s.dir, latencyFlags()...)
	ts := newTokenServer(*flagTokenLifetime, "ok")
	tokenBase := serve(t, "127.0.0.1:0", ts)
	u, err := url.Parse(f.base)
	if err != nil {
		t.Fatal(err)
	}
	api := &checkedAPI{ts: ts, proxy: httputil.NewSingleHostReverseProxy(u)}
	apiBase := serve(t, "127.0.0.1:0", api)
	changes := s.job.changes(licenseGroups(s.skus))
	rate := float64(changes) / flagTokenRun.Seconds()
	output := filepath.Join(s.dir, "result.csv")
	logPath := filepath.Join(s.dir, "run.log")
	rtFile := writeRefreshToken(t, s.dir)
	start := time.Now()
	r := startToolEnv(t, signInEnv(apiBase), logPath, s.bin, s.runArgs(output, false,
		"--rate", fmt.Sprint(rate), "--burst", "1", "--refresh-token-file", rtFile, "--token-url", tokenBase+tokenPath)...)
	code := r.wait(t, *flagTokenRun*3+5*time.Minute)
	elapsed := time.Since(start)
	if code != 0 {
		t.Errorf("the run exited with %d; log:\n%s", code, tail(logPath, 20))
	}
	o := s.checkFinalState(t, f, output)
	tokens := ts.count()
	lifetimes := elapsed.Seconds() / flagTokenLifetime.Seconds()
	most := int(math.Ceil(elapsed.Seconds()/(0.9*flagTokenLifetime.Seconds()))) + 1
	least := int(math.Floor(lifetimes))
	if tokens > most || tokens < least {
		t.Errorf("%d token requests in a %s run of %d updates with %s tokens; want %d to %d (about one per lifetime)",
			tokens, elapsed.Round(time.Second), changes, *flagTokenLifetime, least, most)
	}
	if n := api.refused.Load(); n > 0 {
		t.Errorf("the API refused %d requests, the first for %s", n, *api.first.Load())
	}
	if ts.wrong > 0 {
		t.Errorf("%d token requests lacked the client ID, the client secret or the refresh token", ts.wrong)
	}
	checkNoSecret(t, secrets, logPath, output, report.RollbackPath(output))
	t.Logf("FIGURES token-lifetime: rows=%d updates=%d token_lifetime=%s run=%s (rate %.2f/s) token_requests=%d run_over_lifetime=%.1f bound=%d..%d "+
		"requests_with_an_expired_or_unknown_token=%d api_requests=%d exit=%d lines_succeeded=%d lines_unchanged=%d lines_lost=%d",
		len(s.job.Rows), changes, *flagTokenLifetime, elapsed.Round(time.Second), rate, tokens, lifetimes, least, most,
		api.refused.Load(), api.ok.Load(), code, o.Succeeded, o.Unchanged, o.Lost)
}

// TestTokenOutage: the token endpoint is out, three ways. A 503 on every request and a
// refused connection are outages: the run must retry, then exit 1 with a message that
// says the failure is temporary, having sent the API nothing. A refused refresh token
// (400 invalid_grant, AADSTS70000) is credentials to fix: exit 2, nothing sent.
func TestTokenOutage(t *testing.T) {
	s := newSetup(t)
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String() + "/"
		ln.Close()
		return base
	}
	for _, v := range []struct {
		name, mode string
		exit       int
		says       []string
	}{
		{"503", "503", 1, []string{"temporary", "try again later"}},
		{"connection refused", "", 1, []string{"temporary", "try again later"}},
		{"refused refresh token", "refuse", 2, []string{"AADSTS70000", "refresh token"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			dir := filepath.Join(s.dir, strings.ReplaceAll(v.name, " ", "-"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			ts := newTokenServer(time.Hour, v.mode)
			tokenBase := closed()
			if v.mode != "" {
				tokenBase = serve(t, "127.0.0.1:0", ts)
			}
			api := &counter{}
			apiBase := serve(t, "127.0.0.1:0", api)
			output := filepath.Join(dir, "result.csv")
			logPath := filepath.Join(dir, "run.log")
			start := time.Now()
			r := startToolEnv(t, signInEnv(apiBase), logPath, s.bin, s.runArgs(output, false,
				"--refresh-token-file", writeRefreshToken(t, dir), "--token-url", tokenBase+tokenPath)...)
			code := r.wait(t, 5*time.Minute)
			elapsed := time.Since(start)
			msg := strings.TrimSpace(tail(logPath, 3))
			if code != v.exit {
				t.Errorf("exit %d, want %d; it printed:\n%s", code, v.exit, msg)
			}
			for _, w := range v.says {
				if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
					t.Errorf("the message does not say %q:\n%s", w, msg)
				}
			}
			if n := api.n.Load(); n != 0 {
				t.Errorf("the API got %d requests", n)
			}
			if v.mode == "503" && ts.count() < 2 {
				t.Errorf("%d token request(s): a 503 was not retried", ts.count())
			}
			if _, err := os.Stat(output); err == nil {
				t.Errorf("the output %s was created", output)
			}
			checkNoSecret(t, secrets, logPath)
			t.Logf("FIGURES token-outage (%s): exit=%d token_requests=%d api_requests=%d elapsed=%s message=%q",
				v.name, code, ts.count(), api.n.Load(), elapsed.Round(100*time.Millisecond), msg)
		})
	}
}
