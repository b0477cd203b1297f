package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// The pacing measure's job: --rate 100 against 50 ms answers.
const (
	pacingRate    = 100.0
	pacingLatency = 50 * time.Millisecond
)

// measurePacing runs the default `run` (users read in the plan, rollback on) at
// --rate 100 against 50 ms answers: its updates/s over --rate, its plan's reads/s over
// the read budget, and the same job as a sequential loop.
func measurePacing(ctx context.Context, o *options) (*measured, error) {
	n := o.pacingRows
	in := inputCSV(n)
	path, err := writeFile(o.dir, "pacing.csv", in)
	if err != nil {
		return nil, err
	}
	fake, err := startFake(fakeConfig{Latency: pacingLatency, Input: path})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	rec := newRecorder()
	var pace *paceSampler
	t := toolRun{input: in, rate: pacingRate, burst: 1, concurrency: o.concurrency, rec: rec,
		onPlan: func(s *job.Session, _ *planner.Plan) { pace = samplePace(s.Pacing.Pacer(client.Write, "")) }}
	readBudget := t.pacing().Read.Rate
	logf("   tool: %d rows, --rate %g --concurrency %d, reads at %g/s, %v answers", n, pacingRate, o.concurrency, readBudget, pacingLatency)
	res, err := runTool(ctx, fake.URL, o.dir, t)
	paces := pace.stop()
	if err != nil {
		return nil, err
	}
	sum := res.sum
	if sum.Updates != n {
		return nil, fmt.Errorf("the run sent %d updates for %d rows, want one each", sum.Updates, n)
	}
	writes := rec.writes()
	if o.verbose {
		printTimeline(writes, paces, 0, 0)
	}
	upRatio := sum.UpdatesPerSecond / pacingRate
	readRatio := sum.ReadsPerSecond / readBudget
	readTime := time.Duration(float64(sum.Reads) / sum.ReadsPerSecond * float64(time.Second))
	logf("   tool: %d updates in %.2f s = %.2f/s (%d write 429s); plan: %d reads in %.2f s = %.2f/s; whole job %.2f s",
		sum.Updates, sum.Elapsed.Seconds(), sum.UpdatesPerSecond, countStatus(writes, 429), sum.Reads, readTime.Seconds(), sum.ReadsPerSecond, res.total.Seconds())

	seq, err := sequentialLoop(ctx, path, min(o.seqRequests, n))
	if err != nil {
		return nil, err
	}
	seqFull := time.Duration(float64(n) / seq.rate * float64(time.Second))
	how := fmt.Sprintf("projected from %s updates in %.1f s", thousands(seq.n), seq.elapsed.Seconds())
	if seq.n == n {
		how = "measured"
	}
	return &measured{
		rows: []row{
			{
				Measure: fmt.Sprintf("Default `run` (users read in the plan, rollback on): updates/s over --rate (%s rows, --rate 100, 50 ms answers, --concurrency %d)", thousands(n), o.concurrency),
				Value: fmt.Sprintf("**%.3f** (%.2f updates/s: %s updates in %s of sending, %d answered 429)",
					upRatio, sum.UpdatesPerSecond, thousands(sum.Updates), seconds(sum.Elapsed), countStatus(writes, 429)),
				Target: "≥ 0.97",
				Result: atLeast(upRatio, 0.97),
			},
			{
				Measure: fmt.Sprintf("The same run's plan: reads/s over the read budget (%g/s, the default)", readBudget),
				Value: fmt.Sprintf("**%.3f** (%.2f reads/s: %s reads in %s; the whole job took %s)",
					readRatio, sum.ReadsPerSecond, thousands(sum.Reads), seconds(readTime), seconds(res.total)),
				Target: noTarget,
				Result: recorded,
			},
			{
				Measure: "The same job as a sequential loop (UpdateLicenses one update at a time, 50 ms answers, no reads)",
				Value: fmt.Sprintf("%.1f updates/s: %s updates in **%.0f s** (%s): %.1f× the tool's sending (%s), %.1f× its whole job with the plan's reads (%s)",
					seq.rate, thousands(n), seqFull.Seconds(), how, seqFull.Seconds()/sum.Elapsed.Seconds(), seconds(sum.Elapsed),
					seqFull.Seconds()/res.total.Seconds(), seconds(res.total)),
				Target: noTarget,
				Result: comparison,
			},
		},
		notes: []string{"Default run: updates/s is the summary's Updates over the sending time (the runner's elapsed time, from the first update to the last answer); " +
			"reads/s is the summary's Reads (the plan's reads of users and their licenses, the catalogue not counted) over the time the plan spent reading. " +
			"The fake holds exactly the file's users, holding nothing, so every row is one update."},
	}, nil
}

// seqResult is what the sequential loop did.
type seqResult struct {
	n       int
	elapsed time.Duration
	rate    float64
}

// sequentialLoop sends the first n rows of the job as a hand-written script does:
// a plain loop, one UpdateLicenses at a time, no pool, no pacer, no reads, against a
// fresh fake with the same users and latency.
func sequentialLoop(ctx context.Context, usersFrom string, n int) (seqResult, error) {
	fake, err := startFake(fakeConfig{Latency: pacingLatency, Input: usersFrom})
	if err != nil {
		return seqResult{}, err
	}
	defer fake.Close()
	c, err := partnercenter.New(client.WithBaseURL(fake.URL),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: benchToken})))
	if err != nil {
		return seqResult{}, err
	}
	logf("   sequential loop: %d updates, one at a time", n)
	update := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: plannertest.E3ID}}}
	start := time.Now()
	for i := range n {
		user := fmt.Sprintf("bench%07d@contoso.onmicrosoft.com", i+1)
		if _, _, err := c.UpdateLicenses(ctx, pcfake.DefaultCustomerID, user, update); err != nil {
			return seqResult{}, fmt.Errorf("sequential loop, update %d: %w", i+1, err)
		}
	}
	el := time.Since(start)
	r := seqResult{n: n, elapsed: el, rate: float64(n) / el.Seconds()}
	logf("   sequential loop: %d updates in %.2f s = %.2f/s", n, el.Seconds(), r.rate)
	return r, nil
}
