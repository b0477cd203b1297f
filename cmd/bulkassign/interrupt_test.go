package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestRunResumeAfterRandomStops stops a run at random moments, resumes it each time,
// and checks that every row ends succeeded exactly once and every user holds the SKU.
func TestRunResumeAfterRandomStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rows = 300
		e := newEnv(t, pcfake.WithLatency(40*time.Millisecond, 30*time.Millisecond))
		in := e.file("in.csv", usersCSV(rows, "ENTERPRISEPACK"))
		out := e.path("result.csv")
		rng := rand.New(rand.NewPCG(1, 2))
		stops, sending := 0, 0
		for attempt := 0; ; attempt++ {
			if attempt > 40 {
				t.Fatal("the run never finished")
			}
			ctx, cancel := context.WithCancel(t.Context())
			timer := time.AfterFunc(time.Duration(rng.IntN(5000))*time.Millisecond, cancel)
			args := []string{"run", "--customer", testCustomer, "--input", in, "--output", out, "--rate", "25", "--concurrency", "8",
				"--read-rate", "200"}
			if attempt > 0 {
				args = append(args, "--resume")
			}
			start := time.Now()
			code := e.run(ctx, nil, args...)
			timer.Stop()
			cancel()
			t.Logf("attempt %d: exit %d after %v", attempt, code, time.Since(start))
			if code == ExitOK {
				break
			}
			if code != ExitInterrupted {
				t.Fatalf("attempt %d: exit %d: %s", attempt, code, e.all())
			}
			// A stop while planning sends nothing and says so; a stop while running
			// says how to resume.
			switch {
			case strings.Contains(e.stdout.String(), "--resume"):
				sending++
			case !strings.Contains(e.stderr.String(), "nothing was sent"):
				t.Fatalf("an interrupted run does not say how to resume:\n%s", e.all())
			}
			stops++
		}
		if stops < 3 || sending < 2 {
			t.Fatalf("%d stops, %d while sending: the test did not exercise resume", stops, sending)
		}
		lines := byLine(e.results(out))
		for line := 2; line <= rows+1; line++ {
			if lines[line][report.StatusSucceeded] != 1 {
				t.Fatalf("line %d: %v, want succeeded exactly once", line, lines[line])
			}
		}
		if h := e.ledger(); len(h) != rows {
			t.Fatalf("%d users hold licenses, want %d", len(h), rows)
		}
		if avail, consumed := e.fake.Units(testCustomer, skuE3); consumed != 1200+rows || avail != 4800-rows {
			t.Fatalf("E3 units: %d available, %d consumed: a unit was consumed twice or not at all", avail, consumed)
		}
	})
}

// signalAfterFirstPost cancels (and then aborts, when abort is set) the given time
// after the first update reaches the API; it returns when the cancel came.
func signalAfterFirstPost(e *env, cancelAfter time.Duration, cancel func(), abortAfter time.Duration, abort chan struct{}) *time.Time {
	var once sync.Once
	at := new(time.Time)
	e.hook(func(r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/licenseupdates") {
			return // a read, or a token request
		}
		once.Do(func() {
			time.AfterFunc(cancelAfter, func() { *at = time.Now(); cancel() })
			if abort != nil {
				time.AfterFunc(abortAfter, func() { close(abort) })
			}
		})
	})
	return at
}

func TestRunInterruptFinishesInFlightAndSaysHowToResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(200*time.Millisecond, 0))
		out := e.path("result.csv")
		ctx, cancel := context.WithCancel(t.Context())
		signalAfterFirstPost(e, 2*time.Second, cancel, 0, nil)
		sum := e.path("summary.json")
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(100, "ENTERPRISEPACK")),
			"--output", out, "--rate", "10", "--summary-json", sum)
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
				if !sent[userID(r.User)] {
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
		if succeeded != len(sent) || succeeded == 0 || succeeded == 100 {
			t.Fatalf("%d rows succeeded, %d applied by the fake", succeeded, len(sent))
		}
		contains(t, "stdout", e.stdout.String(), "--resume")
		s := e.summary(sum)
		if s["interrupted"] != true || s["exit_code"] != float64(ExitInterrupted) || !strings.Contains(s["resume_command"].(string), "--resume") {
			t.Fatalf("summary %v", s)
		}
	})
}

func TestRunSecondSignalExitsAtOnceWithoutLosingARow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Every answer takes a minute: the plan's reads take minutes, then 8 POSTs go
		// out and hang. The first signal comes while they hang, the second a second
		// later.
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		out := e.path("result.csv")
		ctx, cancel := context.WithCancel(t.Context())
		abort := make(chan struct{})
		cancelled := signalAfterFirstPost(e, 2*time.Second, cancel, 3*time.Second, abort)
		code := e.run(ctx, abort, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(20, "ENTERPRISEPACK")),
			"--output", out)
		if code != ExitInterrupted {
			t.Fatalf("exit %d", code)
		}
		if cancelled.IsZero() {
			t.Fatal("no update went out: the test did not interrupt a run")
		}
		if waited := time.Since(cancelled.Add(time.Second)); waited > time.Second {
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

func TestRunInterruptedWhilePlanningSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(90*time.Second, cancel) // the catalogue is read; users are being read
		out := e.path("result.csv")
		sum := e.path("summary.json")
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out,
			"--summary-json", sum)
		if code != ExitInterrupted || !strings.Contains(e.stderr.String(), "nothing was sent") {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if st := e.fake.Stats(); st.Posts != 0 || st.Gets < 2 {
			t.Fatalf("stats %+v: POSTs sent, or the stop did not come while users were read", st)
		}
		for _, p := range []string{out, report.LockPath(out), report.ManifestPath(out), report.RollbackPath(out)} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s was left behind", p)
			}
		}
		if s := e.summary(sum); s["interrupted"] != true || s["exit_code"] != float64(ExitInterrupted) {
			t.Fatalf("summary %v", s)
		}
	})
}

// TestInterruptDuringA429PauseEndsAtOnce: the API takes three updates, then asks for
// a wait of over a minute (a write budget of one update in 100 s); a signal during
// that pause ends the run at once, not after the drain timeout nor the pause: the
// waiting updates were not sent (a 429 applies nothing), so their rows are skipped as
// interrupted, never failed or unknown, and the summary says so.
func TestInterruptDuringA429PauseEndsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithWriteRateLimit(0.01, 3))
		out, sum := e.path("result.csv"), e.path("summary.json")
		ctx, cancel := context.WithCancel(t.Context())
		var signalled time.Time
		time.AfterFunc(20*time.Second, func() { signalled = time.Now(); cancel() })
		start := time.Now()
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(20, "ENTERPRISEPACK")),
			"--output", out, "--rate", "5", "--drain-timeout", "60s", "--summary-json", sum)
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130: %s", code, e.all())
		}
		if signalled.IsZero() || e.fake.Stats().Throttled == 0 {
			t.Fatalf("the run ended after %v, %d answers 429: no signal during a pause, the test proves nothing",
				time.Since(start), e.fake.Stats().Throttled)
		}
		if d := time.Since(signalled); d > time.Second {
			t.Fatalf("the run ended %v after the signal, want at once (the pause is over a minute, the drain timeout 60 s)", d)
		}
		succeeded, skipped := 0, 0
		for _, r := range e.results(out) {
			switch {
			case r.Status == report.StatusSucceeded:
				succeeded++
			case r.Status == report.StatusSkipped && strings.Contains(r.ErrorMessage, "interrupted"):
				skipped++
			default:
				t.Errorf("line %d: %s %q, want succeeded or skipped as interrupted", r.Line, r.Status, r.ErrorMessage)
			}
		}
		if succeeded != 3 || skipped != 17 {
			t.Fatalf("%d succeeded, %d skipped, want the 3 the API took and 17 skipped", succeeded, skipped)
		}
		if s := e.summary(sum); s["interrupted"] != true {
			t.Fatalf("summary %v", s)
		}
	})
}
