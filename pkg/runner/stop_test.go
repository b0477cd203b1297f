package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// Runs that stop before the end: output unwritable, interrupted, aborted, cut by the
// drain timeout; and what every run keeps: one writer of results.

func TestRunStopsWhenOutputUnwritable(t *testing.T) {
	for _, once := range []bool{false, true} {
		t.Run(fmt.Sprintf("failOnce=%v", once), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rg := newRig(t, rigConfig{rows: 100, rate: 20, burst: 1,
					fake: []pcfake.Option{pcfake.WithLatency(100*time.Millisecond, 0)}})
				sink := &memSink{failFrom: 25, failOnce: once}
				_, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 4}))
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
		stats, err := Run(ctx, rg.plan, rg.be, sink, rg.config(Config{Concurrency: 8}))
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
		stats, err := Run(ctx, rg.plan, rg.be, sink, rg.config(Config{}))
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
		stats, err := Run(ctx, rg.plan, rg.be, sink, rg.config(Config{Concurrency: 8, Abort: abort}))
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
		_, err := Run(ctx, rg.plan, rg.be, sink, rg.config(Config{Concurrency: 8, DrainTimeout: 2 * time.Second}))
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
		if _, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 8})); err != nil {
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
		if _, err := Run(t.Context(), rg.plan, rg.be, w, rg.config(Config{})); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != rg.plan.NumRows()+1 {
			t.Errorf("%d CSV lines, want a header and %d rows", len(lines), rg.plan.NumRows())
		}
	})
}

func TestRunRequiresItsArguments(t *testing.T) {
	if _, err := Run(t.Context(), nil, nil, nil, Config{}); err == nil {
		t.Error("Run without a plan, an applier and a sink returned no error")
	}
}

// A run that ends by itself logs no stop: its end cancels its own context too, which
// the watcher of stops must not take for an interruption (it did, at random, when the
// run had ended before the watcher first ran, as a run with nothing to send can).
func TestRunThatEndsLogsNoStop(t *testing.T) {
	var log strings.Builder // watch runs here, on the test's goroutine
	for range 100 {
		r := &run{cfg: Config{DrainTimeout: time.Minute}, log: zerolog.New(&log)}
		var stop context.CancelCauseFunc
		r.runCtx, stop = context.WithCancelCause(t.Context())
		finished := make(chan struct{})
		close(finished) // the run ended, then its deferred stop cancelled runCtx
		stop(nil)
		r.watch(func(error) {}, finished)
	}
	if s := log.String(); s != "" {
		t.Errorf("runs that ended by themselves logged a stop:\n%s", s)
	}
}
