package main

import (
	"context"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestRunOnboardingEveryRowHasItsOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(50*time.Millisecond, 30*time.Millisecond))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, e.stdout.String(), e.stderr.String())
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
		if perUser["chloe.nguyen@contoso.onmicrosoft.com"] != 2 || perUser["amelia.hart@contoso.onmicrosoft.com"] != 1 {
			t.Fatalf("requests per user %v", perUser)
		}
		if got := len(e.posts()); got != 11 {
			t.Fatalf("%d POSTs, want 11", got)
		}
		h := e.fake.Holdings(testCustomer)
		if _, ok := h["chloe.nguyen@contoso.onmicrosoft.com"][skuMinecraft]; !ok {
			t.Fatalf("chloe holds %v", h["chloe.nguyen@contoso.onmicrosoft.com"])
		}
		if ex := h["bruno.costa@contoso.onmicrosoft.com"][skuE3]; len(ex) != 2 {
			t.Fatalf("bruno's excluded plans %v, want 2 (YAMMER_ENTERPRISE;SWAY)", ex)
		}
		for _, want := range []string{"12 succeeded", "Correlation ID", out} {
			if !strings.Contains(e.stdout.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, e.stdout.String())
			}
		}
	})
}

func TestRunSimulateNeedsNoAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.vars = map[string]string{} // no token, no base URL
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--simulate", "--input", "../../samples/migration.csv", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, e.stdout.String(), e.stderr.String())
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
		if !strings.Contains(e.stderr.String(), "simulate") {
			t.Errorf("the run does not say it is simulated: %s", e.stderr.String())
		}
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
			says: []string{EnvAccessToken, "--simulate"}},
		{name: "plain http to a remote host", input: "../../samples/onboarding.csv",
			vars: map[string]string{EnvAccessToken: testToken, EnvBaseURL: "http://pc.example.com/"}, want: ExitUsage,
			says: []string{"https"}},
		{name: "bad flag value", input: "../../samples/onboarding.csv", args: []string{"--rate", "0"}, want: ExitUsage,
			says: []string{"--rate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				if c.vars != nil {
					e.vars = c.vars
				}
				out := e.path("result.csv")
				args := append([]string{"run", "--customer", testCustomer, "--input", c.input, "--output", out}, c.args...)
				code := e.run(t.Context(), nil, args...)
				all := e.stdout.String() + e.stderr.String()
				if code != c.want {
					t.Fatalf("exit %d, want %d\n%s", code, c.want, all)
				}
				if n := len(e.posts()); (n > 0) != c.posts {
					t.Fatalf("%d POSTs sent", n)
				}
				if _, err := os.Stat(out); (err == nil) != c.outExists {
					t.Fatalf("output exists: %v, want %v", err == nil, c.outExists)
				}
				for _, s := range c.says {
					if !strings.Contains(all, s) {
						t.Errorf("output lacks %q:\n%s", s, all)
					}
				}
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

func TestRunHeaderOnlyInputIsNothingToDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", "user,sku\r\n"), "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		b, _ := os.ReadFile(out)
		if string(b) != strings.Join(report.Header, ",")+"\n" {
			t.Fatalf("output %q, want the header only", b)
		}
		if !strings.Contains(e.stdout.String(), "Nothing to do") {
			t.Fatalf("stdout %q", e.stdout.String())
		}
		if len(e.posts()) != 0 {
			t.Fatal("POSTs sent for an empty input")
		}
	})
}

func TestRunRefusesAnExistingOutputWithoutResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.file("result.csv", "precious\n")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitUsage || !strings.Contains(e.stderr.String(), "--resume") {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if b, _ := os.ReadFile(out); string(b) != "precious\n" {
			t.Fatalf("existing output changed: %q", b)
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent before refusing the output")
		}
	})
}

func TestRunSentRateStaysWithinRateOverEveryWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(50*time.Millisecond, 40*time.Millisecond))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(300, "ENTERPRISEPACK")),
			"--output", out, "--rate", "20", "--burst", "2", "--concurrency", "16")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if n := len(e.posts()); n != 300 {
			t.Fatalf("%d posts", n)
		}
		// Every request is paced: the POSTs and the GETs (the plan's and the rollback's
		// reads of each user's licenses).
		posts := e.fake.Requests()
		if len(posts) != 1+300+300+1 {
			t.Fatalf("%d requests, want the plan's GET, 300 license reads, 300 POSTs and one catalogue GET for the rollback", len(posts))
		}
		for i, p := range posts {
			n := 0
			for _, q := range posts[i:] {
				if q.At.Sub(p.At) < time.Second {
					n++
				}
			}
			if n > 20+2 {
				t.Fatalf("%d requests in the second from %v: above --rate 20 plus --burst 2", n, p.At)
			}
		}
		// And the pool is not the bottleneck: 602 requests at 20/s take about 30 s.
		if d := posts[len(posts)-1].At.Sub(posts[0].At); d > 31*time.Second {
			t.Fatalf("%d requests took %v at --rate 20", len(posts), d)
		}
	})
}

// TestRunResumeAfterRandomStops stops a run at random moments, resumes it each time,
// and checks that every row ends succeeded exactly once and every user holds the SKU.
func TestRunResumeAfterRandomStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rows = 300
		e := newEnv(t, pcfake.WithLatency(40*time.Millisecond, 30*time.Millisecond))
		in := e.file("in.csv", usersCSV(rows, "ENTERPRISEPACK"))
		out := e.path("result.csv")
		rng := rand.New(rand.NewPCG(1, 2))
		stops := 0
		for attempt := 0; ; attempt++ {
			if attempt > 40 {
				t.Fatal("the run never finished")
			}
			ctx, cancel := context.WithCancel(t.Context())
			timer := time.AfterFunc(time.Duration(rng.IntN(3000))*time.Millisecond, cancel)
			args := []string{"run", "--customer", testCustomer, "--input", in, "--output", out, "--rate", "25", "--concurrency", "8"}
			if attempt > 0 {
				args = append(args, "--resume")
			}
			code := e.run(ctx, nil, args...)
			timer.Stop()
			cancel()
			if code == ExitOK {
				break
			}
			if code != ExitInterrupted {
				t.Fatalf("attempt %d: exit %d: %s", attempt, code, e.stderr.String())
			}
			// A stop while planning sends nothing and says so; a stop while running
			// says how to resume.
			if !strings.Contains(e.stdout.String(), "--resume") && !strings.Contains(e.stderr.String(), "nothing was sent") {
				t.Fatalf("an interrupted run does not say how to resume:\n%s\n%s", e.stdout.String(), e.stderr.String())
			}
			stops++
		}
		if stops < 3 {
			t.Fatalf("only %d stops: the test did not exercise resume", stops)
		}
		lines := byLine(e.results(out))
		for line := 2; line <= rows+1; line++ {
			if lines[line][report.StatusSucceeded] != 1 {
				t.Fatalf("line %d: %v, want succeeded exactly once", line, lines[line])
			}
		}
		h := e.fake.Holdings(testCustomer)
		if len(h) != rows {
			t.Fatalf("%d users hold licenses, want %d", len(h), rows)
		}
		if avail, consumed := e.fake.Units(testCustomer, skuE3); consumed != 1200+rows || avail != 4800-rows {
			t.Fatalf("E3 units: %d available, %d consumed: a unit was consumed twice or not at all", avail, consumed)
		}
	})
}

func TestRunInterruptFinishesInFlightAndSaysHowToResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(200*time.Millisecond, 0))
		out := e.path("result.csv")
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(2*time.Second, cancel)
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(100, "ENTERPRISEPACK")),
			"--output", out, "--rate", "10")
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130: %s", code, e.stderr.String())
		}
		rs := e.results(out)
		if len(rs) != 100 {
			t.Fatalf("%d rows, want every row accounted for", len(rs))
		}
		sent := map[string]bool{}
		for _, p := range e.posts() {
			if p.Status == 201 {
				sent[strings.ToLower(p.User)] = true
			}
		}
		succeeded := 0
		for _, r := range rs {
			switch r.Status {
			case report.StatusSucceeded:
				succeeded++
				if !sent[r.User] {
					t.Errorf("%s succeeded but the fake never applied it", r.User)
				}
			case report.StatusSkipped:
				if !strings.Contains(r.ErrorMessage, "interrupted") {
					t.Errorf("skipped reason %q", r.ErrorMessage)
				}
			default:
				t.Errorf("row %+v", r)
			}
		}
		// Every request that reached the fake finished and was recorded.
		if succeeded != len(sent) || succeeded == 0 {
			t.Fatalf("%d rows succeeded, %d applied by the fake", succeeded, len(sent))
		}
		if !strings.Contains(e.stdout.String(), "--resume") {
			t.Fatalf("no resume hint:\n%s", e.stdout.String())
		}
	})
}

func TestRunSecondSignalExitsAtOnceWithoutLosingARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Every answer takes a minute: the plan's GET is answered at 1m, then 8 POSTs
		// go out and hang. The first signal comes while they hang, the second a
		// second later.
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		out := e.path("result.csv")
		ctx, cancel := context.WithCancel(t.Context())
		abort := make(chan struct{})
		time.AfterFunc(62*time.Second, cancel)
		time.AfterFunc(63*time.Second, func() { close(abort) })
		start := time.Now().Add(63 * time.Second)
		code := e.run(ctx, abort, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(20, "ENTERPRISEPACK")),
			"--output", out, "--rollback=false")
		if code != ExitInterrupted {
			t.Fatalf("exit %d", code)
		}
		if waited := time.Since(start); waited > time.Second {
			t.Fatalf("took %v after the second signal; want at once", waited)
		}
		rs := e.results(out)
		if len(rs) != 20 {
			t.Fatalf("%d rows written, want 20", len(rs))
		}
		unknown := 0
		for _, r := range rs {
			if r.Status != report.StatusSkipped {
				t.Fatalf("row %+v: nothing can have succeeded", r)
			}
			if strings.Contains(r.ErrorMessage, "unknown") {
				unknown++
			}
		}
		if unknown == 0 {
			t.Fatal("no row says its outcome is unknown, yet requests were in flight")
		}
	})
}

// TestRunSurvivesFaults runs against a fake that fails 5% of calls, drops 3% of
// connections after applying, and throttles far below --rate: every row succeeds, no
// license is applied twice and retries reuse their request ID.
func TestRunSurvivesFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rows = 400
		e := newEnv(t,
			pcfake.WithFailureRate(0.05), pcfake.WithDropRate(0.03), pcfake.WithRateLimit(20, 5),
			pcfake.WithLatency(30*time.Millisecond, 20*time.Millisecond), pcfake.WithLatencySpikes(0.01, 2*time.Second),
			pcfake.WithSeed(7))
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(rows, "ENTERPRISEPREMIUM")),
			"--output", out, "--rate", "100", "--burst", "5", "--concurrency", "16")
		if code != ExitOK {
			t.Fatalf("exit %d: %s\n%s", code, e.stdout.String(), e.stderr.String())
		}
		st := e.fake.Stats()
		if st.Failed == 0 || st.Dropped == 0 || st.Throttled == 0 {
			t.Fatalf("the fault mix did not happen: %+v", st)
		}
		if st.Reapplied != 0 {
			t.Fatalf("%d updates applied twice under new request IDs", st.Reapplied)
		}
		if st.Throttled*5 > st.Posts {
			t.Fatalf("%d of %d POSTs throttled: the pool did not adapt", st.Throttled, st.Posts)
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

func TestRunInterruptedWhilePlanningSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		out := e.path("result.csv")
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitInterrupted || !strings.Contains(e.stderr.String(), "nothing was sent") {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if len(e.posts()) != 0 {
			t.Fatal("POSTs sent")
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output file was left behind")
		}
	})
}
