package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
)

// scaleReadRate is the read budget of the scale runs: the command's highest, so that
// the plans of 100,000 users take seconds (the measure is about the sending).
const scaleReadRate = 10000.0

// scaleRun is one size of the scale measure.
type scaleRun struct {
	n        int
	elapsed  time.Duration // the sending
	constant time.Duration // elapsed less rows/rate
	mem      memSamples
}

// measureScale runs the default run at 1,000, 10,000 and 100,000 rows at --rate 2000:
// the sending's time against rows/rate, and the live heap while rows are sent.
func measureScale(ctx context.Context, o *options) (*measured, error) {
	var runs []scaleRun
	for _, n := range o.scaleRows {
		r, err := scaleOne(ctx, o, n)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	var xs, ys []float64
	for _, r := range runs {
		xs = append(xs, float64(r.n)/o.scaleRate)
		ys = append(ys, r.elapsed.Seconds())
	}
	slope, constant := fitLine(xs, ys)
	last := runs[len(runs)-1]
	q := last.mem.quarterMedians()
	drift := float64(q[3]) - float64(q[0])
	m := &measured{}
	for _, r := range runs {
		m.rows = append(m.rows, row{
			Measure: fmt.Sprintf("Scale: %s rows, default run at --rate %g (no latency, --concurrency %d, --read-rate 10000)", thousands(r.n), o.scaleRate, o.concurrency),
			Value: fmt.Sprintf("**%s** of sending (rows/rate %s %s; %.0f updates/s); live heap above the %.2f MB at the plan's end: median by quarter of the sending %s MB, peak %+.2f MB; RSS peak %.1f MB",
				seconds(r.elapsed), seconds(r.elapsed-r.constant), plusSeconds(r.constant.Seconds()), float64(r.n)/r.elapsed.Seconds(),
				mb(r.mem.liveStart), quartersText(r.mem.quarterMedians(), r.mem.liveStart), (float64(r.mem.livePeak)-float64(r.mem.liveStart))/1e6, mb(r.mem.rssPeak)),
			Target: noTarget,
			Result: recorded,
		})
	}
	m.rows = append(m.rows,
		row{
			Measure: fmt.Sprintf("Scale: time = slope × rows/rate + constant, fitted over the %d sizes", len(runs)),
			Value:   fmt.Sprintf("slope **%.3f**, constant %s", slope, plusSeconds(constant)),
			Target:  "slope 1 ± 0.02",
			Result:  within(slope, 1, 0.02),
		},
		row{
			Measure: fmt.Sprintf("Scale: live heap growth from the first to the last quarter of the %s-row sending", thousands(last.n)),
			Value:   fmt.Sprintf("**%+.2f MB** (%.1f bytes per row sent)", drift/1e6, drift/float64(max(last.n*3/4, 1))),
			Target:  "< 1 MB",
			Result:  below(drift/1e6, 1),
		})
	m.notes = append(m.notes, "Scale: the time is the sending's (the runner's elapsed time), fitted as slope × rows/rate + constant by least squares "+
		"over the sizes; a slope of 1 means the tool holds --rate whatever the size. Live heap is runtime/metrics /gc/heap/live:bytes "+
		"(the heap marked live by the last GC), sampled every 20 ms while sending; at the start it holds the plan, which grows with the input, "+
		"so the measure is the growth above it. The growth is the median of the last quarter of the samples less that of the first quarter.")
	return m, nil
}

// scaleOne runs one size.
func scaleOne(ctx context.Context, o *options, n int) (scaleRun, error) {
	in := inputCSV(n)
	path, err := writeFile(o.dir, fmt.Sprintf("scale-%d.csv", n), in)
	if err != nil {
		return scaleRun{}, err
	}
	fake, err := startFake(fakeConfig{Input: path})
	if err != nil {
		return scaleRun{}, err
	}
	defer fake.Close()
	var mem *memSampler
	res, err := runTool(ctx, fake.URL, o.dir, toolRun{input: in, rate: o.scaleRate, burst: 1, readRate: scaleReadRate, concurrency: o.concurrency,
		onPlan: func(*job.Session, *planner.Plan) {
			runtime.GC()
			mem = sampleMemory()
		}})
	var ms memSamples
	if mem != nil {
		ms = mem.stop()
	}
	if err != nil {
		return scaleRun{}, err
	}
	if res.sum.Updates != n {
		return scaleRun{}, fmt.Errorf("%d rows sent %d updates, want one each", n, res.sum.Updates)
	}
	ideal := time.Duration(float64(n) / o.scaleRate * float64(time.Second))
	r := scaleRun{n: n, elapsed: res.sum.Elapsed, constant: res.sum.Elapsed - ideal, mem: ms}
	logf("   %s rows at --rate %g: %.3f s of sending (rows/rate %.3f s %s), plan %s reads at %.0f/s; live heap %.2f MB at the plan's end, peak %+.2f MB (%d samples), median by quarter %s MB; RSS peak %.1f MB",
		thousands(n), o.scaleRate, r.elapsed.Seconds(), ideal.Seconds(), plusSeconds(r.constant.Seconds()), thousands(res.sum.Reads), res.sum.ReadsPerSecond,
		mb(ms.liveStart), (float64(ms.livePeak)-float64(ms.liveStart))/1e6, len(ms.live), quartersText(ms.quarterMedians(), ms.liveStart), mb(ms.rssPeak))
	return r, nil
}

// plusSeconds is "+ 0.26 s" or "− 0.01 s".
func plusSeconds(s float64) string {
	if s < 0 {
		return fmt.Sprintf("− %.2f s", -s)
	}
	return fmt.Sprintf("+ %.2f s", s)
}

// quartersText is the quarters' medians above start, in MB.
func quartersText(q [4]uint64, start uint64) string {
	parts := make([]string, len(q))
	for i, v := range q {
		parts[i] = fmt.Sprintf("%+.2f", (float64(v)-float64(start))/1e6)
	}
	return strings.Join(parts, ", ")
}

// fitLine fits y = a·x + b by least squares; a is NaN with fewer than two distinct x.
func fitLine(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy = sx+xs[i], sy+ys[i]
		sxx, sxy = sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return math.NaN(), math.NaN()
	}
	a = (n*sxy - sx*sy) / d
	b = (sy - a*sx) / n
	return a, b
}
