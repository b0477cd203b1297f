package main

import (
	"bytes"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

func TestRunOnboardingEveryRowHasItsOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(50*time.Millisecond, 30*time.Millisecond))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		rs := e.results(out)
		if len(rs) != 12 {
			t.Fatalf("%d result rows, want 12 (one per input row)", len(rs))
		}
		lines := byLine(rs)
		for line := 2; line <= 13; line++ {
			if lines[line][report.StatusSucceeded] != 1 || len(lines[line]) != 1 {
				t.Errorf("line %d: %v", line, lines[line])
			}
		}
		for _, r := range rs {
			if r.RequestID == "" || r.CorrelationID == "" || r.HTTPStatus != 201 || r.Attempts != 1 || r.FinishedAt.IsZero() {
				t.Errorf("incomplete result %+v", r)
			}
			if r.UserID != userID(r.User) {
				t.Errorf("line %d: user_id %q, want the object ID the plan read for %s", r.Line, r.UserID, r.User)
			}
			if len(r.RowKey) != 16 {
				t.Errorf("line %d: row_key %q", r.Line, r.RowKey)
			}
		}
		// chloe gets E5 (group1) and Minecraft (group2): two requests, one per group;
		// amelia gets E3 and AAD P1 (both group1): one request.
		perUser := map[string]int{}
		for _, p := range e.posts() {
			if len(p.Groups) != 1 {
				t.Errorf("request %s touches groups %v", p.RequestID, p.Groups)
			}
			perUser[strings.ToLower(p.User)]++
		}
		if perUser[userID("chloe.nguyen@contoso.onmicrosoft.com")] != 2 || perUser[userID("amelia.hart@contoso.onmicrosoft.com")] != 1 {
			t.Fatalf("requests per user %v", perUser)
		}
		if got := len(e.posts()); got != 11 {
			t.Fatalf("%d POSTs, want 11", got)
		}
		h := e.ledger()
		if _, ok := h[userID("chloe.nguyen@contoso.onmicrosoft.com")][skuMinecraft]; !ok {
			t.Fatalf("chloe holds %v", h[userID("chloe.nguyen@contoso.onmicrosoft.com")])
		}
		if ex := h[userID("bruno.costa@contoso.onmicrosoft.com")][skuE3]; len(ex) != 2 {
			t.Fatalf("bruno's excluded plans %v, want 2 (YAMMER_ENTERPRISE;SWAY)", ex)
		}
		contains(t, "summary", e.stdout.String(), "12 succeeded", "Correlation ID", out)
	})
}

func TestRunSimulateNeedsNoAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.vars = map[string]string{} // no token, no base URL
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--simulate", "--input", "../../samples/migration.csv", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		rs := e.results(out)
		if len(rs) != 40 {
			t.Fatalf("%d rows, want 40", len(rs))
		}
		for _, r := range rs {
			if r.Status != report.StatusSucceeded || r.SkuID != skuE5 || r.RemoveSku != "ENTERPRISEPACK" {
				t.Fatalf("row %+v", r)
			}
		}
		if !strings.Contains(e.stderr.String(), "simulated") {
			t.Errorf("the run does not say it is simulated: %s", e.stderr.String())
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("a simulated run reached the test's API")
		}
		// The simulated users held E3 (the input removes it): the rollback swaps back.
		e.rollbackSwapsBack(out, 40)
	})
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name      string
		input     string
		args      []string
		vars      map[string]string
		want      int
		posts     bool     // whether any POST may be sent
		outExists bool     // whether the output file exists afterwards
		says      []string // in stdout+stderr
	}{
		{name: "shortfall abort sends nothing", input: "../../samples/shortfall.csv", want: ExitShortfall,
			says: []string{"SHORT", "nothing was sent", "--shortfall partial"}},
		{name: "shortfall partial skips the rest", input: "../../samples/shortfall.csv", args: []string{"--shortfall", "partial"},
			want: ExitRowsFailed, posts: true, outExists: true, says: []string{"insufficient licenses", "--resume"}},
		{name: "input error", input: "testdata/badinput/unknown-sku.csv", want: ExitUsage,
			says: []string{"line 3", "Ofice 365", "did you mean"}},
		{name: "no token", input: "../../samples/onboarding.csv", vars: map[string]string{}, want: ExitUsage,
			says: []string{"no credentials", EnvClientID, EnvRefreshToken + " or --refresh-token-file"}},
		{name: "plain http to a remote host", input: "../../samples/onboarding.csv",
			vars: map[string]string{EnvAccessToken: testToken, EnvBaseURL: "http://pc.example.com/"}, want: ExitUsage,
			says: []string{"https", "--base-url"}},
		{name: "bad flag value", input: "../../samples/onboarding.csv", args: []string{"--rate", "0"}, want: ExitUsage,
			says: []string{"--rate"}},
		{name: "API outage while planning", input: "../../samples/onboarding.csv", vars: map[string]string{EnvAccessToken: testToken,
			EnvBaseURL: "https://down.test/"}, want: ExitRowsFailed, says: []string{"nothing was sent", "503"}},
		{name: "API throttling while planning", input: "../../samples/onboarding.csv", vars: map[string]string{EnvAccessToken: testToken,
			EnvBaseURL: "https://throttled.test/"}, want: ExitRowsFailed, says: []string{"nothing was sent", "429"}},
		{name: "API unreachable", input: "../../samples/onboarding.csv", vars: map[string]string{EnvAccessToken: testToken,
			EnvBaseURL: "https://unreachable.test/"}, want: ExitRowsFailed, says: []string{"nothing was sent", "no test server"}},
		{name: "API refuses the token", input: "../../samples/onboarding.csv", vars: map[string]string{EnvAccessToken: "another-token",
			EnvBaseURL: "https://pc.test/"}, want: ExitUsage, says: []string{"nothing was sent", "401"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				e.transport = router{"pc.test": e.fake.Transport(),
					"down.test": clienttest.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(http.StatusServiceUnavailable)
					})),
					"throttled.test": clienttest.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.Header().Set("Retry-After", "2")
						w.WriteHeader(http.StatusTooManyRequests)
					}))}
				if c.vars != nil {
					e.vars = c.vars
				}
				out, sum := e.path("result.csv"), e.path("summary.json")
				args := append([]string{"run", "--customer", testCustomer, "--input", c.input, "--output", out, "--summary-json", sum}, c.args...)
				code := e.run(t.Context(), nil, args...)
				if code != c.want {
					t.Fatalf("exit %d, want %d\n%s", code, c.want, e.all())
				}
				if n := len(e.posts()); (n > 0) != c.posts {
					t.Fatalf("%d POSTs sent", n)
				}
				if _, err := os.Stat(out); (err == nil) != c.outExists {
					t.Fatalf("output exists: %v, want %v", err == nil, c.outExists)
				}
				// The summary names the result file only when there is one.
				if named := e.summary(sum)["output"] != ""; named != c.outExists {
					t.Errorf("summary output %q with the result file there: %v", e.summary(sum)["output"], c.outExists)
				}
				contains(t, "output", e.all(), c.says...)
			})
		})
	}
}

func TestRunPartialShortfallGrantsInFileOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/shortfall.csv",
			"--output", out, "--shortfall", "partial")
		if code != ExitRowsFailed {
			t.Fatalf("exit %d\n%s", code, e.stderr.String())
		}
		rs := e.results(out)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Line < rs[j].Line })
		// AAD P1 has 15 available: lines 2..16 granted, 17..21 skipped; AX Task has 1:
		// line 22 granted, 23 skipped.
		for _, r := range rs {
			wantSkip := (r.Line >= 17 && r.Line <= 21) || r.Line == 23
			if wantSkip != (r.Status == report.StatusSkipped) {
				t.Errorf("line %d: %s %q", r.Line, r.Status, r.ErrorMessage)
			}
			if wantSkip && !strings.HasPrefix(r.ErrorMessage, "insufficient licenses: ") {
				t.Errorf("line %d reason %q", r.Line, r.ErrorMessage)
			}
		}
		if len(rs) != 22 {
			t.Fatalf("%d rows, want 22", len(rs))
		}
	})
}

func TestRunHeaderOnlyInputSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", "user,sku\r\n"), "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		b, _ := os.ReadFile(out)
		if string(b) != strings.Join(report.Header, ",")+"\n" || !strings.HasSuffix(string(b), ",user_id,excluded_plans,row_key\n") {
			t.Fatalf("output %q, want the header (version 2) only", b)
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent for an empty input")
		}
		if _, err := os.Stat(report.RollbackPath(out)); err == nil {
			t.Fatal("a rollback file for a run that changed nothing")
		}
	})
}

// TestRunHeaderOnlyInputSaysNothingToDo: `plan` says so; `run` used to as well.
func TestRunHeaderOnlyInputSaysNothingToDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", "user,sku\n"),
			"--output", e.path("result.csv")); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		contains(t, "stdout", e.stdout.String(), "Nothing to do")
	})
}

func TestRunRefusesAnExistingOutputWithoutResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.file("result.csv", "precious\n")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitUsage {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		contains(t, "stderr", e.stderr.String(), out+" exists", "resume", "nothing was sent")
		if b, _ := os.ReadFile(out); string(b) != "precious\n" {
			t.Fatalf("existing output changed: %q", b)
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent before refusing the output")
		}
	})
}

// inWindow returns the most requests of rs that started within any window d.
func inWindow(rs []pcfake.Request, d time.Duration) int {
	most := 0
	for i, p := range rs {
		n := 0
		for _, q := range rs[i:] {
			if !q.At.Before(p.At) && q.At.Sub(p.At) < d {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func TestRunSentRateStaysWithinRateOverEveryWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(50*time.Millisecond, 40*time.Millisecond))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(300, "ENTERPRISEPACK")),
			"--output", out, "--rate", "20", "--burst", "2", "--concurrency", "16", "--read-rate", "40")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		posts := e.posts()
		var gets []pcfake.Request
		for _, r := range e.fake.Requests() {
			if r.Method == http.MethodGet {
				gets = append(gets, r)
			}
		}
		// The plan reads the catalogue, then each user and what it holds (2 reads a
		// user); the run sends one update a user. Nothing is read at run time.
		if len(posts) != 300 || len(gets) != 1+600 {
			t.Fatalf("%d POSTs and %d GETs, want 300 and 601", len(posts), len(gets))
		}
		if n := inWindow(posts, time.Second); n > 20+2 {
			t.Fatalf("%d updates in one second: above --rate 20 plus --burst 2", n)
		}
		if n := inWindow(gets, time.Second); n > 40+5 {
			t.Fatalf("%d reads in one second: above --read-rate 40 plus its burst", n)
		}
		if last := gets[len(gets)-1].At; posts[0].At.Before(last) {
			t.Fatalf("an update went out at %v, before the plan's last read at %v", posts[0].At, last)
		}
		// The pool is not the bottleneck: 300 updates at 20/s take about 15 s.
		if d := posts[len(posts)-1].At.Sub(posts[0].At); d > 16*time.Second {
			t.Fatalf("300 updates took %v at --rate 20", d)
		}
	})
}

// TestRunSurvivesFaults runs against a fake that fails 5% of calls, drops 3% of
// connections after applying, and throttles far below --rate: every row succeeds, no
// license is applied twice and retries reuse their request ID.
func TestRunSurvivesFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rows = 300
		e := newEnv(t,
			pcfake.WithFailureRate(0.05), pcfake.WithDropRate(0.03), pcfake.WithRateLimit(20, 5),
			pcfake.WithLatency(30*time.Millisecond, 20*time.Millisecond), pcfake.WithLatencySpikes(0.01, 2*time.Second),
			pcfake.WithSeed(7))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(rows, "ENTERPRISEPREMIUM")),
			"--output", out, "--rate", "100", "--burst", "5", "--concurrency", "16")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		st := e.fake.Stats()
		if st.Failed == 0 || st.Dropped == 0 || st.WritesThrottled == 0 || st.ReadsThrottled == 0 {
			t.Fatalf("the fault mix did not happen: %+v", st)
		}
		if st.Reapplied != 0 {
			t.Fatalf("%d updates applied twice under new request IDs", st.Reapplied)
		}
		if st.WritesThrottled*5 > st.Posts {
			t.Fatalf("%d of %d POSTs throttled: the pool did not adapt", st.WritesThrottled, st.Posts)
		}
		lines := byLine(e.results(out))
		for line := 2; line <= rows+1; line++ {
			if lines[line][report.StatusSucceeded] != 1 || len(lines[line]) != 1 {
				t.Fatalf("line %d: %v", line, lines[line])
			}
		}
		ids := map[string]map[string]bool{}
		for _, p := range e.posts() {
			u := strings.ToLower(p.User)
			if ids[u] == nil {
				ids[u] = map[string]bool{}
			}
			ids[u][p.RequestID] = true
		}
		for u, set := range ids {
			if len(set) != 1 {
				t.Fatalf("user %s was sent %d request IDs; retries must reuse one", u, len(set))
			}
		}
		if avail, consumed := e.fake.Units(testCustomer, skuE5); consumed != 500+rows || avail != 5500-rows {
			t.Fatalf("E5 units %d available, %d consumed", avail, consumed)
		}
	})
}

// TestRunReadsEachCatalogueOnce: a run over two customers, users read and a rollback
// written, makes one subscribedskus read per customer: the rollback comes from the
// plan's catalogue.
func TestRunReadsEachCatalogueOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const other = "11111111-2222-4333-8444-555555555555"
		skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, pcfake.WithCustomer(other, skus), pcfake.WithUsers(other, []pcfake.User{pcfake.MakeUser("zoe@fabrikam.com")}))
		in := e.file("in.csv", "customer,user,sku\n"+testCustomer+",amelia.hart@contoso.onmicrosoft.com,ENTERPRISEPACK\n"+
			other+",zoe@fabrikam.com,ENTERPRISEPACK\n"+testCustomer+",bob@contoso.com,ENTERPRISEPREMIUM\n")
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--input", in, "--output", out); code != ExitOK && code != ExitRowsFailed {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		reads := map[string]int{}
		for _, r := range e.fake.Requests() {
			if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/subscribedskus") {
				reads[strings.ToLower(r.Customer)]++
			}
		}
		if len(reads) != 2 || reads[testCustomer] != 1 || reads[other] != 1 {
			t.Fatalf("subscribedskus reads per customer %v, want one each", reads)
		}
		if len(e.posts()) == 0 {
			t.Fatal("nothing was sent: the run did not get to its changes")
		}
	})
}
