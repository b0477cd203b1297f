package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// The unknown ceiling: the fake limits writes to 20/s with bursts of 5, the tool is
// told --rate 200; reads are not limited by the fake and read at --read-rate 1000, so
// that the plan does not take minutes (the measure is about the writes).
const (
	ceilingRate     = 20.0
	ceilingBurst    = 5
	ceilingToolRate = 200.0
	ceilingReadRate = 1000.0
	ceilingLatency  = 50 * time.Millisecond
	// ceilingSkip is the start left out of the steady figure.
	ceilingSkip = 10 * time.Second
)

// throttledRun is a default run against a fake whose writes are limited to
// ceilingRate: the run's summary, its write attempts from the start of the sending,
// and the pace every 100 ms.
type throttledRun struct {
	sum    *report.Summary
	writes []attempt
	pace   []float64
}

// runThrottled makes a throttledRun of n rows. during, when set, runs beside the
// sending, from the plan's end: done is closed when the run ends, and runThrottled
// waits for during to return before it ends the fake.
func runThrottled(ctx context.Context, o *options, name string, n int, during func(f *fakeProc, rec *recorder, done <-chan struct{})) (*throttledRun, error) {
	in := inputCSV(n)
	path, err := writeFile(o.dir, name+".csv", in)
	if err != nil {
		return nil, err
	}
	fake, err := startFake(fakeConfig{Latency: ceilingLatency, Input: path, Write: limit{RPS: ceilingRate, Burst: ceilingBurst}})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	rec := newRecorder()
	var pace *paceSampler
	var wg sync.WaitGroup
	done := make(chan struct{})
	t := toolRun{input: in, rate: ceilingToolRate, burst: 1, readRate: ceilingReadRate, concurrency: o.concurrency, rec: rec,
		onPlan: func(s *job.Session, _ *planner.Plan) {
			pace = samplePace(s.Pacing.Pacer(client.Write, ""))
			if during != nil {
				wg.Go(func() { during(fake, rec, done) })
			}
		}}
	logf("   fake: writes limited to %g/s, burst %d, %v answers; tool: %d rows at --rate %g --concurrency %d --read-rate %g",
		ceilingRate, ceilingBurst, ceilingLatency, n, ceilingToolRate, o.concurrency, ceilingReadRate)
	res, err := runTool(ctx, fake.URL, o.dir, t)
	close(done)
	wg.Wait()
	paces := pace.stop()
	if err != nil {
		return nil, err
	}
	st, err := fake.Stats()
	if err != nil {
		return nil, err
	}
	logf("   fake: %d POSTs, %d applied, %d writes answered 429, %d reads answered 429", st.Posts, st.Applied, st.WritesThrottled, st.ReadsThrottled)
	if got := res.sum.Counts[report.StatusSucceeded]; got != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", got, n, res.sum.Counts)
	}
	return &throttledRun{sum: res.sum, writes: rec.writes(), pace: paces}, nil
}

// measureCeiling measures how the tool finds and holds a write limit it is not told:
// goodput over the limit for the whole sending and after its first 10 s, and the
// share of write attempts answered 429.
func measureCeiling(ctx context.Context, o *options) (*measured, error) {
	n := o.ceilingRows
	r, err := runThrottled(ctx, o, "ceiling", n, nil)
	if err != nil {
		return nil, err
	}
	if o.verbose {
		printTimeline(r.writes, r.pace, 0, ceilingRate)
	}
	ok := countOK(r.writes)
	goodput := float64(ok) / r.sum.Elapsed.Seconds()
	n429 := countStatus(r.writes, 429)
	share := float64(n429) / float64(max(len(r.writes), 1))
	logf("   tool: %d updates in %.2f s: goodput %.2f/s; %d write attempts, %d answered 429 (%.2f%%)",
		ok, r.sum.Elapsed.Seconds(), goodput, len(r.writes), n429, share*100)
	steadyRow := row{
		Measure: "Unknown ceiling: goodput over the limit after the first 10 s",
		Target:  "≥ 0.98",
	}
	if steady, has := goodputAfter(r.writes, ceilingSkip); has {
		steadyRow.Value = fmt.Sprintf("**%.3f** (%.2f/s of 20/s over the last %.1f s)", steady/ceilingRate, steady, (r.writes[len(r.writes)-1].at - ceilingSkip).Seconds())
		steadyRow.Result = atLeast(steady/ceilingRate, 0.98)
	} else {
		steadyRow.Value = "n/a: the sending ended within 10 s"
		steadyRow.Result = noTarget
	}
	return &measured{
		rows: []row{
			{
				Measure: fmt.Sprintf("Unknown ceiling: goodput over the fake's write limit, whole run (limit 20/s burst 5, tool --rate 200, %s rows, 50 ms answers)", thousands(n)),
				Value:   fmt.Sprintf("**%.3f** (%.2f updates/s: %s in %s)", goodput/ceilingRate, goodput, thousands(ok), seconds(r.sum.Elapsed)),
				Target:  "≥ 0.95",
				Result:  atLeast(goodput/ceilingRate, 0.95),
			},
			steadyRow,
			{
				Measure: "Unknown ceiling: share of write attempts answered 429",
				Value:   fmt.Sprintf("**%.2f%%** (%d of %s attempts)", share*100, n429, thousands(len(r.writes))),
				Target:  "≤ 1%",
				Result:  atMost(share*100, 1),
			},
		},
		notes: []string{"Unknown ceiling: goodput is the updates answered 2xx per second of the sending (from the plan's end to the last answer); " +
			"the steady figure counts those answered after the first 10 s over the time from 10 s to the last answer. " +
			"The fake limits writes only (pcfake.WithWriteRateLimit); the plan's reads run at --read-rate 1000 so that they take seconds, not minutes."},
	}, nil
}
