package runner

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestRunEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 200, rate: 10, burst: 2,
			fake: []pcfake.Option{pcfake.WithLatency(300*time.Millisecond, 200*time.Millisecond)}})
		before := consumedUnits(rg.fake)
		sink := &memSink{}
		var progress []Progress
		start := time.Now()
		stats, err := Run(t.Context(), rg.plan, rg.be, sink,
			rg.config(Config{Concurrency: 4, CorrelationID: "corr-run", OnProgress: func(p Progress) { progress = append(progress, p) }}))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		elapsed := time.Since(start)
		results := sink.all()
		byLine := checkEveryRowOnce(t, rg.plan, results)

		planned := 0
		for i := range rg.plan.NumRows() {
			row := rg.plan.Row(i)
			if row.Status != planner.StatusPlanned {
				continue
			}
			planned++
			r := byLine[row.Line]
			if r.Status != report.StatusSucceeded || r.HTTPStatus/100 != 2 || r.Attempts != 1 || r.RequestID == "" ||
				r.CorrelationID != "corr-run" || r.FinishedAt.IsZero() || r.FinishedAt.Location() != time.UTC {
				t.Errorf("line %d: result %+v, want succeeded 2xx, 1 attempt, request ID, corr-run, finished_at UTC", row.Line, r)
			}
		}
		if planned == rg.plan.NumRows() {
			t.Fatal("the plan has no planned skipped row: the test input lost its shortfall")
		}
		checkLedger(t, rg.fake, before, results)
		reqs := rg.fake.Requests()
		checkGroups(t, reqs)
		checkRate(t, reqs, 10+2)

		fs := rg.fake.Stats()
		if fs.Posts != rg.plan.NumChanges() || stats.Requests != rg.plan.NumChanges() || stats.Attempts != rg.plan.NumChanges() {
			t.Errorf("fake saw %d POSTs, stats %d requests %d attempts, want %d each", fs.Posts, stats.Requests, stats.Attempts, rg.plan.NumChanges())
		}
		if fs.MaxInFlight > 4 {
			t.Errorf("%d requests in flight at once, want at most Concurrency 4", fs.MaxInFlight)
		}
		if fs.MaxInFlight < 2 {
			t.Errorf("at most %d request in flight: the pool did not work in parallel", fs.MaxInFlight)
		}
		wantCounts := countStatus(results)
		for st, n := range wantCounts {
			if stats.Counts[st] != n {
				t.Errorf("stats.Counts[%s] = %d, want %d", st, stats.Counts[st], n)
			}
		}
		if stats.Interrupted || stats.Throttled != 0 || stats.Retries != 0 || stats.Elapsed != elapsed {
			t.Errorf("stats %+v: want not interrupted, no 429, no retry, elapsed %v", stats, elapsed)
		}
		if stats.RequestsPerSecond > 10 || stats.RequestsPerSecond < 8 {
			t.Errorf("%.2f requests per second, want just under the rate of 10", stats.RequestsPerSecond)
		}

		if len(progress) != rg.plan.NumRows() {
			t.Fatalf("%d progress reports, want one per result: %d", len(progress), rg.plan.NumRows())
		}
		for i, p := range progress {
			if p.Done != i+1 || p.Total != rg.plan.NumRows() || p.Succeeded+p.Failed+p.Skipped != p.Done {
				t.Fatalf("progress %d: %+v", i, p)
			}
		}
		if last := progress[len(progress)-1]; last.Succeeded != wantCounts[report.StatusSucceeded] ||
			last.Skipped != wantCounts[report.StatusSkipped] || last.RequestsPerSecond <= 0 {
			t.Errorf("last progress %+v, want the final counts %v", last, wantCounts)
		}
	})
}

func TestRunThrottlingAndFaultsFinishEveryRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const serverRate, serverBurst = 4, 4
		rg := newRig(t, rigConfig{rows: 200, rate: 100, burst: 5,
			fake: []pcfake.Option{
				pcfake.WithRateLimit(serverRate, serverBurst),
				pcfake.WithLatency(150*time.Millisecond, 100*time.Millisecond),
				pcfake.WithFailureRate(0.05),
				pcfake.WithDropRate(0.05),
			},
			// More attempts than the default 5, so that a row meeting five injected
			// faults in a row (about one run in a thousand) does not fail the test.
			client: []client.Option{client.WithRetryPolicy(retryPolicy(8))}})
		before := consumedUnits(rg.fake)
		sink := &memSink{}
		stats, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 8}))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		results := sink.all()
		byLine := checkEveryRowOnce(t, rg.plan, results)
		for i := range rg.plan.NumRows() {
			if row := rg.plan.Row(i); row.Status == planner.StatusPlanned && byLine[row.Line].Status != report.StatusSucceeded {
				t.Errorf("line %d: %s %q, want succeeded", row.Line, byLine[row.Line].Status, byLine[row.Line].ErrorMessage)
			}
		}
		checkLedger(t, rg.fake, before, results)
		checkGroups(t, rg.fake.Requests())

		fs := rg.fake.Stats()
		t.Logf("fake: %d POSTs, %d throttled, %d failed, %d dropped, %d replayed; pacer ended at %.2f/s; stats %+v",
			fs.Posts, fs.Throttled, fs.Failed, fs.Dropped, fs.Replayed, rg.pacer.Limit(), stats)
		if fs.Failed == 0 || fs.Dropped == 0 || fs.Throttled == 0 {
			t.Fatalf("faults injected: %d 5xx, %d drops, %d 429s: the test needs all three", fs.Failed, fs.Dropped, fs.Throttled)
		}
		if fs.Reapplied != 0 {
			t.Errorf("%d updates applied twice under new request IDs", fs.Reapplied)
		}
		if fs.Throttled*10 >= fs.Posts {
			t.Errorf("%d of %d POSTs answered 429, want under 10%%", fs.Throttled, fs.Posts)
		}
		if stats.Throttled != fs.Throttled || stats.Retries == 0 || stats.Attempts != fs.Posts {
			t.Errorf("stats: %d throttled, %d retries, %d attempts; fake: %d throttled, %d POSTs",
				stats.Throttled, stats.Retries, stats.Attempts, fs.Throttled, fs.Posts)
		}
		if rg.pacer.Limit() > 2*serverRate {
			t.Errorf("pacer ended at %.2f/s, want near the server's %d/s", rg.pacer.Limit(), serverRate)
		}
		checkRate(t, rg.fake.Requests(), 100+5)
	})
}

func retryPolicy(attempts int) client.RetryPolicy {
	p := client.DefaultRetryPolicy()
	p.MaxAttempts = attempts
	return p
}

// flippingTokens accepts tokens until revoked.
type flippingTokens struct{ revoked atomic.Bool }

func (f *flippingTokens) check(string) bool { return !f.revoked.Load() }

func TestRunStopsWhenCredentialsRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tokens := &flippingTokens{}
		rg := newRig(t, rigConfig{rows: 100, rate: 20, burst: 1,
			fake: []pcfake.Option{pcfake.WithTokenCheck(tokens.check), pcfake.WithLatency(100*time.Millisecond, 50*time.Millisecond)}})
		before := consumedUnits(rg.fake)
		var first401 time.Time // when the first row failed 401 was written
		sink := &memSink{onWrite: func(n int, r report.Result) {
			if n == 30 {
				tokens.revoked.Store(true)
			}
			if r.HTTPStatus == http.StatusUnauthorized && first401.IsZero() {
				first401 = time.Now()
			}
		}}
		stats, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 4}))
		if !errors.Is(err, ErrCredentialsRejected) {
			t.Fatalf("Run = %v, want ErrCredentialsRejected", err)
		}
		var se *StopError
		var apiErr *client.APIError
		if !errors.As(err, &se) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
			t.Errorf("Run error %v: want a *StopError with the 401 *client.APIError", err)
		}
		if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "resume with new credentials") {
			t.Errorf("error %q does not name the 401 and what to do", err)
		}
		if stats.Interrupted {
			t.Error("stats.Interrupted after a credentials stop")
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		checkLedger(t, rg.fake, before, results)
		var failed401, notSent int
		for _, r := range results {
			switch {
			case r.Status == report.StatusFailed && r.HTTPStatus == 401:
				failed401++
			case r.Status == report.StatusSkipped && strings.HasPrefix(r.ErrorMessage, "not sent: credentials rejected (401 800001"):
				notSent++
				if !strings.HasSuffix(r.ErrorMessage, "; resume with new credentials") {
					t.Errorf("line %d: %q does not say what to do", r.Line, r.ErrorMessage)
				}
			case r.Status == report.StatusFailed:
				t.Errorf("line %d failed otherwise: %d %q", r.Line, r.HTTPStatus, r.ErrorMessage)
			}
		}
		if failed401 == 0 || notSent == 0 {
			t.Errorf("%d rows failed 401 and %d not sent, want some of each", failed401, notSent)
		}
		// No request arrives once the first 401 was answered: those in flight then may
		// still get theirs, but no new one starts.
		for _, r := range rg.fake.Requests() {
			if r.At.After(first401) {
				t.Errorf("request %s for %s arrived %v after the first 401", r.RequestID, r.User, r.At.Sub(first401))
			}
		}
	})
}

// failingTokens hands out a token until told to fail, then fails as a token endpoint
// that refuses the refresh token.
type failingTokens struct{ fail atomic.Bool }

func (f *failingTokens) Token() (*oauth2.Token, error) {
	if f.fail.Load() {
		return nil, errors.New("oauth2: \"invalid_grant\" \"AADSTS700082: The refresh token has expired\"")
	}
	return &oauth2.Token{AccessToken: "test-access-token"}, nil
}

func TestRunStopsWhenNoTokenCanBeHad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := &failingTokens{}
		rg := newRig(t, rigConfig{rows: 60, rate: 20, burst: 1,
			client: []client.Option{client.WithTokenSource(ts)}})
		sink := &memSink{onWrite: func(n int, _ report.Result) {
			if n == 20 {
				ts.fail.Store(true)
			}
		}}
		postsBefore := 0
		_, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 4}))
		var authErr *client.AuthError
		if !errors.Is(err, ErrCredentialsRejected) || !errors.As(err, &authErr) {
			t.Fatalf("Run = %v, want ErrCredentialsRejected with the *client.AuthError", err)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		counts := countStatus(results)
		for _, r := range results {
			if r.Status == report.StatusSucceeded {
				postsBefore++
			}
			if r.Status == report.StatusSkipped && r.SkuID != axTaskID && !strings.Contains(r.ErrorMessage, "not sent: credentials rejected") {
				t.Errorf("line %d skipped with %q", r.Line, r.ErrorMessage)
			}
		}
		if counts[report.StatusFailed] != 0 || counts[report.StatusSkipped] < 30 {
			t.Errorf("counts %v: want no failure (nothing sent without a token) and the rest skipped", counts)
		}
		if posts := rg.fake.Stats().Posts; posts != postsBefore {
			t.Errorf("fake saw %d POSTs, want only the %d that succeeded", posts, postsBefore)
		}
	})
}

// mfaGate lets the first POSTs through to the fake, then answers every POST as Partner
// Center answers an App+User token without multi-factor authentication: 401, code
// 900421. It records when each POST arrived and when the first 401 went back.
type mfaGate struct {
	next   http.RoundTripper
	after  int
	mu     sync.Mutex
	posts  []time.Time
	first  time.Time
	denied int
}

func (g *mfaGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost {
		return g.next.RoundTrip(req)
	}
	g.mu.Lock()
	g.posts = append(g.posts, time.Now())
	pass := len(g.posts) <= g.after
	g.mu.Unlock()
	if pass {
		return g.next.RoundTrip(req)
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := `{"code":900421,"description":"Multi-factor authentication is required for this operation.","data":[],"source":"PartnerFD"}`
	g.mu.Lock()
	if g.denied++; g.first.IsZero() {
		g.first = time.Now()
	}
	g.mu.Unlock()
	return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}, "Ms-Requestid": {req.Header.Get("MS-RequestId")}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
}

// TestRunStopsWhenTokenLacksMFA: a 401 that says the token lacks multi-factor
// authentication (900421) stops the run as rejected credentials do, and says why.
func TestRunStopsWhenTokenLacksMFA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := &mfaGate{after: 25}
		rg := newRig(t, rigConfig{rows: 100, rate: 20, burst: 1,
			wrap: func(next http.RoundTripper) http.RoundTripper { gate.next = next; return gate }})
		sink := &memSink{}
		_, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 4}))
		var apiErr *client.APIError
		if !errors.Is(err, ErrCredentialsRejected) || !errors.As(err, &apiErr) || apiErr.Reason != client.ReasonMFARequired {
			t.Fatalf("Run = %v, want ErrCredentialsRejected with the 401 of reason %q", err, client.ReasonMFARequired)
		}
		const why = "401 900421: the access token lacks multi-factor authentication; sign in again with MFA to get a new refresh token"
		if !strings.Contains(err.Error(), why) {
			t.Errorf("error %q does not say %q", err, why)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		var failed, notSent int
		for _, r := range results {
			switch {
			case r.Status == report.StatusFailed && r.HTTPStatus == http.StatusUnauthorized && r.ErrorCode == "900421" &&
				strings.HasPrefix(r.ErrorMessage, "token lacks multi-factor authentication: Multi-factor authentication is required"):
				failed++
			case r.Status == report.StatusSkipped && r.ErrorMessage == "not sent: credentials rejected ("+why+"); resume with new credentials":
				notSent++
			case r.Status == report.StatusFailed:
				t.Errorf("line %d failed otherwise: %d %q", r.Line, r.HTTPStatus, r.ErrorMessage)
			}
		}
		if failed == 0 || failed != gate.denied || notSent == 0 {
			t.Errorf("%d rows failed for MFA (%d 401s sent) and %d not sent; want one per 401, and some not sent", failed, gate.denied, notSent)
		}
		for _, at := range gate.posts {
			if at.After(gate.first) {
				t.Errorf("a POST arrived %v after the first 401", at.Sub(gate.first))
			}
		}
	})
}
