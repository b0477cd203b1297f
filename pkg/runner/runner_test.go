package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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

const customer = pcfake.DefaultCustomerID

// Product SKU IDs of samples/subscribedskus.json.
const (
	e3ID        = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	e5ID        = "c7df2760-2c81-4ef7-b578-5b5392b571df"
	minecraftID = "984df360-9a74-4647-8cf8-696749f6247a"
	axTaskID    = "54b84594-9c77-4499-8d65-5e0d5f410e78"
)

// inputCSV returns an input file of n rows: mostly E3 assignments, E3-to-E5 swaps, E5
// assignments, and every tenth row Minecraft (license group 2) for the user of the row
// before, so that this user needs two requests. Two more rows ask for Dynamics AX Task,
// of which there is one unit: under ShortfallPartial the second is planned skipped.
func inputCSV(n int) string {
	var b strings.Builder
	b.WriteString("user,sku,remove_sku\n")
	user := func(i int) string { return fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i) }
	for i := range n {
		switch i % 10 {
		case 6, 7:
			fmt.Fprintf(&b, "%s,ENTERPRISEPREMIUM,ENTERPRISEPACK\n", user(i))
		case 8:
			fmt.Fprintf(&b, "%s,Minecraft Education Edition Faculty,\n", user(i-1))
		case 9:
			fmt.Fprintf(&b, "%s,Office 365 Enterprise E5,\n", user(i))
		default:
			fmt.Fprintf(&b, "%s,ENTERPRISEPACK,\n", user(i))
		}
	}
	b.WriteString("ax.one@contoso.onmicrosoft.com,AX_TASK_USER,\n")
	b.WriteString("ax.two@contoso.onmicrosoft.com,AX_TASK_USER,\n")
	return b.String()
}

// memSink keeps every result offered to it; from failFrom on (1-based; 0: never) its
// writes fail, all of them or, with failOnce, only that one.
type memSink struct {
	mu       sync.Mutex
	results  []report.Result
	failFrom int
	failOnce bool
	onWrite  func(n int, r report.Result) // called after each offered result with the count so far
}

var errDiskFull = errors.New("write results.csv: no space left on device")

func (s *memSink) Write(r report.Result) error {
	s.mu.Lock()
	s.results = append(s.results, r)
	n := len(s.results)
	s.mu.Unlock()
	if s.onWrite != nil {
		s.onWrite(n, r)
	}
	if s.failFrom > 0 && (n == s.failFrom || !s.failOnce && n > s.failFrom) {
		return errDiskFull
	}
	return nil
}

func (s *memSink) all() []report.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.results)
}

// rig is a pcfake server, a client talking to it in process, a pacer and a plan.
type rig struct {
	fake  *pcfake.Server
	pacer *Pacer
	cl    *client.Client
	plan  *planner.Plan
}

type rigConfig struct {
	rows   int
	rate   float64
	burst  int
	fake   []pcfake.Option
	client []client.Option
}

func newRig(t *testing.T, rc rigConfig) *rig {
	t.Helper()
	skus, err := pcfake.LoadCatalogueFile("../../samples/subscribedskus.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := pcfake.New(append([]pcfake.Option{pcfake.WithCustomer(customer, skus), pcfake.WithRequestLog(), pcfake.WithSeed(7)}, rc.fake...)...)
	pacer := NewPacer(rc.rate, rc.burst)
	opts := append([]client.Option{
		client.WithBaseURL("https://pc.example.test/"),
		client.WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-access-token"})),
		client.WithLimiter(pacer),
		client.WithObserver(pacer.Observe),
	}, rc.client...)
	cl, err := client.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.Build(t.Context(), strings.NewReader(inputCSV(rc.rows)), cl,
		planner.Options{DefaultCustomer: customer, Shortfall: planner.ShortfallPartial})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{fake: fake, pacer: pacer, cl: cl, plan: plan}
}

// checkEveryRowOnce asserts one result per plan row, each line once, with the row's
// own fields.
func checkEveryRowOnce(t *testing.T, plan *planner.Plan, results []report.Result) map[int]report.Result {
	t.Helper()
	byLine := make(map[int]report.Result, len(results))
	for _, r := range results {
		if _, dup := byLine[r.Line]; dup {
			t.Errorf("line %d has more than one result", r.Line)
		}
		byLine[r.Line] = r
	}
	if len(results) != plan.NumRows() {
		t.Errorf("%d results, want one per plan row: %d", len(results), plan.NumRows())
	}
	for i := range plan.NumRows() {
		row := plan.Row(i)
		r, ok := byLine[row.Line]
		if !ok {
			t.Errorf("line %d has no result", row.Line)
			continue
		}
		if r.User != row.User || r.Customer != row.Customer || r.Sku != row.Sku || r.SkuID != row.SkuID ||
			r.RemoveSku != row.RemoveSku || r.LicenseGroup != row.LicenseGroup {
			t.Errorf("line %d: result %+v does not carry the row %+v", row.Line, r, row)
		}
		if row.Status == planner.StatusSkipped && (r.Status != report.StatusSkipped || r.ErrorMessage != row.Reason) {
			t.Errorf("line %d planned skipped (%q): result %s %q", row.Line, row.Reason, r.Status, r.ErrorMessage)
		}
	}
	return byLine
}

// checkLedger asserts that the fake's ledger holds exactly what the succeeded rows
// assigned (each SKU once per user) and that the consumed units grew by as much.
func checkLedger(t *testing.T, fake *pcfake.Server, before map[string]int, results []report.Result) {
	t.Helper()
	holdings := fake.Holdings(customer)
	want := map[string]int{}
	for _, r := range results {
		if r.Status != report.StatusSucceeded || r.SkuID == "" {
			continue
		}
		want[r.SkuID]++
		if _, ok := holdings[r.User][r.SkuID]; !ok {
			t.Errorf("line %d succeeded but %s does not hold %s", r.Line, r.User, r.SkuID)
		}
	}
	held := map[string]int{}
	for _, skus := range holdings {
		for id := range skus {
			held[id]++
		}
	}
	for _, id := range []string{e3ID, e5ID, minecraftID, axTaskID} {
		_, consumed := fake.Units(customer, id)
		if got := consumed - before[id]; got != want[id] || held[id] != want[id] {
			t.Errorf("SKU %s: %d units consumed and %d holders, want %d (succeeded rows)", id, got, held[id], want[id])
		}
	}
}

func consumedUnits(fake *pcfake.Server) map[string]int {
	m := map[string]int{}
	for _, id := range []string{e3ID, e5ID, minecraftID, axTaskID} {
		_, m[id] = fake.Units(customer, id)
	}
	return m
}

// checkRate asserts that no window of one second holds more than limit requests.
func checkRate(t *testing.T, reqs []pcfake.Request, limit int) {
	t.Helper()
	at := make([]time.Time, len(reqs))
	for i, r := range reqs {
		at[i] = r.At
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if n := maxInWindow(at, time.Second); n > limit {
		t.Errorf("%d requests within one second, want at most %d (rate plus burst)", n, limit)
	}
}

// checkGroups asserts that no POST carried licenses of two license groups.
func checkGroups(t *testing.T, reqs []pcfake.Request) {
	t.Helper()
	for _, r := range reqs {
		if r.Method == http.MethodPost && len(r.Groups) > 1 {
			t.Errorf("request %s for %s mixes license groups %v", r.RequestID, r.User, r.Groups)
		}
	}
}

func countStatus(results []report.Result) map[report.Status]int {
	m := map[report.Status]int{}
	for _, r := range results {
		m[r.Status]++
	}
	return m
}

func TestRunEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 200, rate: 10, burst: 2,
			fake: []pcfake.Option{pcfake.WithLatency(300*time.Millisecond, 200*time.Millisecond)}})
		before := consumedUnits(rg.fake)
		sink := &memSink{}
		var progress []Progress
		start := time.Now()
		stats, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink,
			Config{Concurrency: 4, CorrelationID: "corr-run", OnProgress: func(p Progress) { progress = append(progress, p) }})
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
		if fs.Posts != rg.plan.NumUpdates() || stats.Requests != rg.plan.NumUpdates() || stats.Attempts != rg.plan.NumUpdates() {
			t.Errorf("fake saw %d POSTs, stats %d requests %d attempts, want %d each", fs.Posts, stats.Requests, stats.Attempts, rg.plan.NumUpdates())
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
		stats, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 8})
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
		stats, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 4})
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
		_, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 4})
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

func TestRunStopsWhenOutputUnwritable(t *testing.T) {
	for _, once := range []bool{false, true} {
		t.Run(fmt.Sprintf("failOnce=%v", once), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rg := newRig(t, rigConfig{rows: 100, rate: 20, burst: 1,
					fake: []pcfake.Option{pcfake.WithLatency(100*time.Millisecond, 0)}})
				sink := &memSink{failFrom: 25, failOnce: once}
				_, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 4})
				if !errors.Is(err, ErrOutputUnwritable) || !errors.Is(err, errDiskFull) {
					t.Fatalf("Run = %v, want ErrOutputUnwritable wrapping the write error", err)
				}
				if !strings.Contains(err.Error(), "no space left on device") {
					t.Errorf("error %q does not say why", err)
				}
				results := sink.all()
				checkEveryRowOnce(t, rg.plan, results)
				// Rows of the requests in flight when the write failed are offered too;
				// nothing else is sent.
				sent := 0
				for _, r := range results[25:] {
					switch {
					case r.Status == report.StatusSkipped && strings.HasPrefix(r.ErrorMessage, "not sent: output unwritable (write results.csv: no space left on device)"):
					case r.Status == report.StatusSucceeded:
						sent++
					case r.Status == report.StatusSkipped && r.SkuID == axTaskID:
					default:
						t.Errorf("line %d after the failed write: %s %q", r.Line, r.Status, r.ErrorMessage)
					}
				}
				if sent > 4 {
					t.Errorf("%d requests finished after the failed write, want at most the 4 in flight", sent)
				}
				if posts, ok := rg.fake.Stats().Posts, countStatus(results)[report.StatusSucceeded]; posts != ok {
					t.Errorf("fake saw %d POSTs, want %d (one per succeeded row)", posts, ok)
				}
			})
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 100, rate: 50, burst: 1,
			fake: []pcfake.Option{pcfake.WithLatency(500*time.Millisecond, 200*time.Millisecond)}})
		before := consumedUnits(rg.fake)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var cancelAt time.Time
		sink := &memSink{onWrite: func(n int, _ report.Result) {
			if n == 30 {
				cancelAt = time.Now()
				cancel()
			}
		}}
		stats, err := Run(ctx, rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 8})
		if !errors.Is(err, ErrInterrupted) || !stats.Interrupted {
			t.Fatalf("Run = %v (interrupted %v), want ErrInterrupted", err, stats.Interrupted)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		checkLedger(t, rg.fake, before, results) // every applied update has its row succeeded
		finishedAfter, notSent := 0, 0
		for _, r := range results {
			switch {
			case r.Status == report.StatusSucceeded && r.FinishedAt.After(cancelAt):
				finishedAfter++
			case r.Status == report.StatusSkipped && r.ErrorMessage == "not sent: run interrupted":
				notSent++
			case r.Status == report.StatusFailed || r.Status == report.StatusSkipped && r.SkuID != axTaskID:
				t.Errorf("line %d: %s %q", r.Line, r.Status, r.ErrorMessage)
			}
		}
		if finishedAfter == 0 {
			t.Error("no request in flight finished after the interruption")
		}
		if notSent == 0 {
			t.Error("no row written as not sent")
		}
		for _, r := range rg.fake.Requests() {
			if r.At.After(cancelAt) {
				t.Errorf("request %s arrived %v after the interruption", r.RequestID, r.At.Sub(cancelAt))
			}
		}
	})
}

func TestRunCancelledBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 20, rate: 10, burst: 1})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		sink := &memSink{}
		stats, err := Run(ctx, rg.plan, rg.cl, rg.pacer, sink, Config{})
		if !errors.Is(err, ErrInterrupted) || !stats.Interrupted {
			t.Fatalf("Run = %v, want ErrInterrupted", err)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		if n := countStatus(results)[report.StatusSkipped]; n != rg.plan.NumRows() {
			t.Errorf("%d rows skipped, want all %d", n, rg.plan.NumRows())
		}
		if posts := rg.fake.Stats().Posts; posts != 0 || stats.Requests != 0 {
			t.Errorf("%d POSTs, %d requests counted, want none", posts, stats.Requests)
		}
	})
}

func TestRunAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 100, rate: 50, burst: 1,
			fake: []pcfake.Option{pcfake.WithLatency(5*time.Second, time.Second)}})
		before := consumedUnits(rg.fake)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		abort := make(chan struct{})
		var abortAt time.Time
		sink := &memSink{onWrite: func(n int, _ report.Result) {
			if n == 20 {
				cancel() // first signal: drain
				go func() {
					time.Sleep(time.Second)
					abortAt = time.Now()
					close(abort) // second signal: abort
				}()
			}
		}}
		stats, err := Run(ctx, rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 8, Abort: abort})
		if !errors.Is(err, ErrInterrupted) || !stats.Interrupted {
			t.Fatalf("Run = %v, want ErrInterrupted", err)
		}
		if d := time.Since(abortAt); d != 0 {
			t.Errorf("Run returned %v after the abort, want at once", d)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		checkLedger(t, rg.fake, before, results)
		unknown := 0
		for _, r := range results {
			if r.Status == report.StatusSkipped && strings.HasPrefix(r.ErrorMessage, "outcome unknown: request cancelled by abort") {
				unknown++
				if r.RequestID == "" || r.Attempts != 1 {
					t.Errorf("line %d: unknown outcome without its request ID or attempt: %+v", r.Line, r)
				}
			}
		}
		if unknown == 0 {
			t.Error("no row written with an unknown outcome: no request was in flight at the abort")
		}
	})
}

func TestRunDrainTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 40, rate: 50, burst: 1,
			fake: []pcfake.Option{pcfake.WithLatency(10*time.Second, 0)}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var cancelAt time.Time
		go func() {
			time.Sleep(25 * time.Second) // some rows done, eight requests in flight
			cancelAt = time.Now()
			cancel()
		}()
		sink := &memSink{}
		_, err := Run(ctx, rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 8, DrainTimeout: 2 * time.Second})
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("Run = %v, want ErrInterrupted", err)
		}
		if d := time.Since(cancelAt); d != 2*time.Second {
			t.Errorf("Run returned %v after the interruption, want the drain timeout 2s", d)
		}
		results := sink.all()
		checkEveryRowOnce(t, rg.plan, results)
		unknown := 0
		for _, r := range results {
			if strings.Contains(r.ErrorMessage, "drain timeout (2s)") {
				unknown++
			}
		}
		if unknown != 8 {
			t.Errorf("%d rows cut by the drain timeout, want the 8 in flight", unknown)
		}
	})
}

// The pool writes results from one goroutine: a sink that is not safe for concurrent
// use sees no overlapping calls.
type exclusiveSink struct {
	busy    atomic.Bool
	overlap atomic.Bool
	n       atomic.Int64
}

func (s *exclusiveSink) Write(report.Result) error {
	if !s.busy.CompareAndSwap(false, true) {
		s.overlap.Store(true)
	}
	time.Sleep(time.Millisecond)
	s.n.Add(1)
	s.busy.Store(false)
	return nil
}

func TestRunWritesFromOneGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 60, rate: 1000, burst: 10})
		sink := &exclusiveSink{}
		if _, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, sink, Config{Concurrency: 8}); err != nil {
			t.Fatal(err)
		}
		if sink.overlap.Load() {
			t.Error("two Write calls overlapped")
		}
		if int(sink.n.Load()) != rg.plan.NumRows() {
			t.Errorf("%d writes, want %d", sink.n.Load(), rg.plan.NumRows())
		}
	})
}

// Run writes a real result CSV through report.Writer.
func TestRunWithReportWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rg := newRig(t, rigConfig{rows: 20, rate: 100, burst: 1})
		var buf strings.Builder
		w, err := report.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(t.Context(), rg.plan, rg.cl, rg.pacer, w, Config{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != rg.plan.NumRows()+1 {
			t.Errorf("%d CSV lines, want a header and %d rows", len(lines), rg.plan.NumRows())
		}
	})
}

func TestRunRequiresItsArguments(t *testing.T) {
	if _, err := Run(t.Context(), nil, nil, nil, nil, Config{}); err == nil {
		t.Error("Run without a plan, a poster and a sink returned no error")
	}
}
