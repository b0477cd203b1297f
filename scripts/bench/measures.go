package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// ---- pacing ----

func measurePacing(ctx context.Context, o *options) (*measured, error) {
	const (
		n       = 3000
		rate    = 100.0
		latency = 50 * time.Millisecond
	)
	fake, err := startFake(latency, 0, 0)
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	rec := newRecorder()
	t, err := newTool(fake.URL, rate, 1, rec)
	if err != nil {
		return nil, err
	}
	plan, err := t.plan(ctx, n)
	if err != nil {
		return nil, err
	}
	logf("   tool: %d requests at --rate %g --burst 1 --concurrency %d, %v answers", n, rate, o.pacingConc, latency)
	rec.reset()
	limits := samplePace(t.pacer)
	stats, err := t.run(ctx, plan, o.pacingConc, o.dir)
	pace := limits.stop()
	if err != nil {
		return nil, err
	}
	att := rec.attempts()
	if o.verbose {
		printTimeline(att, pace, 0, 0)
	}
	// The pacer starts below --rate (slow start): how long it took to get there, and
	// the rate from then on.
	ramp := time.Duration(-1)
	if i := slices.IndexFunc(pace, func(l float64) bool { return l >= rate }); i >= 0 {
		ramp = time.Duration(i) * 100 * time.Millisecond
	}
	afterRamp := goodputAfter(att, ramp)
	if got := stats.Counts[report.StatusSucceeded]; got != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", got, n, stats.Counts)
	}
	achieved := float64(stats.Requests) / stats.Elapsed.Seconds()
	ratio := achieved / rate
	logf("   tool: %d requests in %.2f s = %.2f/s (%d attempts, %d throttled); the pace reached --rate at %.1f s, %.2f/s from then on",
		stats.Requests, stats.Elapsed.Seconds(), achieved, stats.Attempts, stats.Throttled, ramp.Seconds(), afterRamp)

	// The same job as a hand-written script does it: a plain loop, one request at a
	// time, no pool and no pacer. It runs against a fresh fake so that no user is
	// licensed already.
	seqFake, err := startFake(latency, 0, 0)
	if err != nil {
		return nil, err
	}
	defer seqFake.Close()
	c, err := client.New(
		client.WithBaseURL(seqFake.URL),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})),
	)
	if err != nil {
		return nil, err
	}
	seqN := min(o.seqRequests, n)
	logf("   sequential loop: %d of the %d requests, one at a time", seqN, n)
	start := time.Now()
	for i := range seqN {
		u := plan.Update(i)
		if _, _, err := c.UpdateLicenses(ctx, u.Customer, u.User, u.Body); err != nil {
			return nil, fmt.Errorf("sequential loop, request %d: %w", i+1, err)
		}
	}
	seqEl := time.Since(start)
	seqRate := float64(seqN) / seqEl.Seconds()
	seqFull := float64(n) / seqRate
	how := fmt.Sprintf("projected from %s requests in %.1f s", thousands(seqN), seqEl.Seconds())
	if seqN == n {
		how = "measured"
	}
	logf("   sequential loop: %d requests in %.2f s = %.2f/s", seqN, seqEl.Seconds(), seqRate)

	return &measured{
		rows: []row{
			{
				Measure: "Pacing: requests/s achieved over --rate (3,000 requests, --rate 100, 50 ms answers, --concurrency " + strconv.Itoa(o.pacingConc) + ")",
				Value:   pacingValue(achieved, ratio, stats.Elapsed, ramp, afterRamp/rate),
				Goal:    "≥ 0.97",
				Result:  atLeast(ratio, 0.97),
			},
			{
				Measure: "Same job as a sequential loop (UpdateLicenses one request at a time, no pool)",
				Value:   fmt.Sprintf("%.1f/s: 3,000 requests in **%.0f s** (%s), %.1f× the tool's %.1f s", seqRate, seqFull, how, seqFull/stats.Elapsed.Seconds(), stats.Elapsed.Seconds()),
				Goal:    "— (comparison)",
				Result:  "—",
			},
		},
	}, nil
}

func pacingValue(achieved, ratio float64, elapsed, ramp time.Duration, afterRamp float64) string {
	v := fmt.Sprintf("%.2f/s of 100/s = **%.3f** (3,000 requests in %.1f s", achieved, ratio, elapsed.Seconds())
	switch {
	case ramp < 0:
		v += "; the pace never reached --rate"
	case ramp > 0:
		v += fmt.Sprintf("; the pace reached --rate at %.1f s, %.3f of it from then on", ramp.Seconds(), afterRamp)
	}
	return v + ")"
}

// ---- unknown ceiling ----

// startThrottled starts a fake that throttles at fakeRate (burst fakeBurst) with latency,
// and a tool at toolRate that has planned n requests against it; it then waits a second
// so that the fake's bucket refills after the plan's subscribedskus GET. The caller
// closes the fake.
func startThrottled(ctx context.Context, latency time.Duration, fakeRate float64, fakeBurst int, toolRate float64, n int) (*fakeProc, *tool, *recorder, *planner.Plan, error) {
	fake, err := startFake(latency, fakeRate, fakeBurst)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rec := newRecorder()
	t, err := newTool(fake.URL, toolRate, 1, rec)
	if err != nil {
		fake.Close()
		return nil, nil, nil, nil, err
	}
	plan, err := t.plan(ctx, n)
	if err != nil {
		fake.Close()
		return nil, nil, nil, nil, err
	}
	time.Sleep(time.Second)
	return fake, t, rec, plan, nil
}

func measureCeiling(ctx context.Context, o *options) (*measured, error) {
	const (
		fakeRate  = 20.0
		fakeBurst = 5
		toolRate  = 200.0
		latency   = 50 * time.Millisecond
		conc      = 8
	)
	n := o.ceilingReqs
	fake, t, rec, plan, err := startThrottled(ctx, latency, fakeRate, fakeBurst, toolRate, n)
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	before, err := fake.Stats()
	if err != nil {
		return nil, err
	}
	rec.reset()
	limits := samplePace(t.pacer)
	logf("   fake: %g requests/s, burst %d, %v answers; tool: %d requests at --rate %g --concurrency %d", fakeRate, fakeBurst, latency, n, toolRate, conc)
	stats, err := t.run(ctx, plan, conc, o.dir)
	pace := limits.stop()
	if err != nil {
		return nil, err
	}
	after, err := fake.Stats()
	if err != nil {
		return nil, err
	}
	att := rec.attempts()
	ok := stats.Counts[report.StatusSucceeded]
	goodput := float64(ok) / stats.Elapsed.Seconds()
	n429 := countStatus(att, 429)
	share := float64(n429) / float64(len(att))
	logf("   tool: %d rows succeeded, %d failed in %.2f s: goodput %.2f/s; %d attempts, %d answered 429 (%.2f%%), %d retries",
		ok, stats.Counts[report.StatusFailed], stats.Elapsed.Seconds(), goodput, len(att), n429, share*100, stats.Retries)
	logf("   fake: %d POSTs, %d applied, %d answered 429", after.Posts-before.Posts, after.Applied-before.Applied, after.Throttled-before.Throttled)
	if o.verbose {
		printTimeline(att, pace, 0, fakeRate)
	}
	if ok != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", ok, n, stats.Counts)
	}
	steady := goodputAfter(att, 10*time.Second)
	return &measured{
		rows: []row{
			{
				Measure: fmt.Sprintf("Unknown ceiling: goodput over the fake's limit (fake 20/s burst 5, tool --rate 200, %s requests)", thousands(n)),
				Value:   fmt.Sprintf("%.2f/s of 20/s = **%.3f** (%.1f s; after the first 10 s: %.2f/s = %.3f)", goodput, goodput/fakeRate, stats.Elapsed.Seconds(), steady, steady/fakeRate),
				Goal:    "≥ 0.90",
				Result:  atLeast(goodput/fakeRate, 0.90),
			},
			{
				Measure: "Unknown ceiling: share of answers that were 429",
				Value:   fmt.Sprintf("**%.2f%%** (%d of %s attempts)", share*100, n429, thousands(len(att))),
				Goal:    "≤ 5%",
				Result:  atMost(share*100, 5),
			},
		},
	}, nil
}

// ---- ceiling lowered mid-run ----

const (
	settleWindow = 2 * time.Second
	settleStep   = 100 * time.Millisecond
	// settleHold is how long every window must stay in the band for the run to count
	// as settled.
	settleHold = 10 * time.Second
)

func measureSettle(ctx context.Context, o *options) (*measured, error) {
	const (
		fakeRate  = 20.0
		newRate   = 10.0
		fakeBurst = 5
		toolRate  = 200.0
		latency   = 50 * time.Millisecond
		conc      = 8
	)
	n := o.settleReqs
	fake, t, rec, plan, err := startThrottled(ctx, latency, fakeRate, fakeBurst, toolRate, n)
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	rec.reset()
	limits := samplePace(t.pacer)
	logf("   fake: %g requests/s, burst %d, lowered to %g/s at %v; tool: %d requests at --rate %g --concurrency %d", fakeRate, fakeBurst, newRate, o.settleAfter, n, toolRate, conc)

	changed := make(chan time.Duration, 1)
	changeErr := make(chan error, 1)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-time.After(o.settleAfter - time.Since(rec.start)):
		case <-runCtx.Done():
			changeErr <- fmt.Errorf("the run ended before the limit was lowered: raise -settle-requests")
			return
		}
		err := fake.SetRateLimit(newRate, fakeBurst)
		changed <- time.Since(rec.start)
		changeErr <- err
	}()
	stats, err := t.run(ctx, plan, conc, o.dir)
	cancel()
	pace := limits.stop()
	if err != nil {
		return nil, err
	}
	if err := <-changeErr; err != nil {
		return nil, err
	}
	change := <-changed
	att := rec.attempts()
	if ok := stats.Counts[report.StatusSucceeded]; ok != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", ok, n, stats.Counts)
	}
	end := att[len(att)-1].at
	if o.verbose {
		printTimeline(att, pace, change, newRate)
	}
	settledAt, inBand, settled := settleTime(att, change, end, newRate)
	var after []attempt
	for _, a := range att {
		if a.at > change {
			after = append(after, a)
		}
	}
	n429 := countStatus(after, 429)
	ok := countStatus(after, 201) + countStatus(after, 200)
	afterGood := float64(ok) / (end - change).Seconds()
	logf("   limit lowered at %.2f s; run ended at %.2f s; after the change: %d attempts, %d answered 429, goodput %.2f/s", change.Seconds(), end.Seconds(), len(after), n429, afterGood)
	value := ""
	result := "—"
	if settled {
		var post []attempt
		for _, a := range att {
			if a.at > settledAt {
				post = append(post, a)
			}
		}
		pg := float64(countStatus(post, 201)+countStatus(post, 200)) / (end - settledAt).Seconds()
		value = fmt.Sprintf("**%.1f s** (from then to the end, %.1f s: goodput %.2f/s = %.3f of 10/s, %.2f%% 429s, %.0f%% of the 2 s windows in the band)",
			(settledAt - change).Seconds(), (end - settledAt).Seconds(), pg, pg/newRate, 100*float64(countStatus(post, 429))/float64(max(len(post), 1)), 100*inBand)
		logf("   settled %.1f s after the change", (settledAt - change).Seconds())
	} else {
		value = fmt.Sprintf("**did not settle** (no 10 s in the band) in the %.1f s the run went on after the change (goodput after it %.2f/s = %.3f of 10/s, %.2f%% 429s)",
			(end - change).Seconds(), afterGood, afterGood/newRate, 100*float64(n429)/float64(max(len(after), 1)))
		result = "—"
	}
	return &measured{
		rows: []row{{
			Measure: fmt.Sprintf("Ceiling lowered 20 → 10/s at t = %.0f s (burst 5, tool --rate 200): time to settle", change.Seconds()),
			Value:   value,
			Goal:    "— (none set)",
			Result:  result,
		}},
		notes: []string{
			"Time to settle: a sliding 2 s window of answers, moved in 100 ms steps and judged at its end, is in the band when " +
				"under 5% of its answers are 429 and its successful requests per second are within 10% of the new ceiling (9 to 11/s). " +
				"The time to settle runs from the change to the end of the first window from which every window stays in the band " +
				"for 10 s (so it is at least 2 s); the share of windows in the band from then to the end of the run says whether it stayed there.",
		},
	}, nil
}

// settleTime is when the run settled after change (see the note of measureSettle):
// the end of the first window from which every window for settleHold passed. inBand is
// the share of the windows from then to the end of the run that passed: below 1 when
// the run left the band again later (a probe that met a 429, say).
func settleTime(att []attempt, change, end time.Duration, ceiling float64) (at time.Duration, inBand float64, settled bool) {
	buckets := int(end/settleStep) + 1
	all := make([]int, buckets)
	thr := make([]int, buckets)
	good := make([]int, buckets)
	for _, a := range att {
		i := int(a.at / settleStep)
		if i >= buckets {
			continue
		}
		all[i]++
		switch {
		case a.status == 429:
			thr[i]++
		case a.status >= 200 && a.status < 300:
			good[i]++
		}
	}
	per := int(settleWindow / settleStep)
	first := int((change+settleWindow)/settleStep) + 1 // first window wholly after the change
	last := int(end / settleStep)                      // last window wholly before the end
	if first > last {
		return 0, 0, false
	}
	pass := make([]bool, last+1)
	for k := first; k <= last; k++ {
		var na, nt, ng int
		for i := k - per; i < k; i++ {
			na, nt, ng = na+all[i], nt+thr[i], ng+good[i]
		}
		rate := float64(ng) / settleWindow.Seconds()
		pass[k] = na > 0 && float64(nt) < 0.05*float64(na) && math.Abs(rate-ceiling) <= 0.1*ceiling
	}
	hold := int(settleHold / settleStep)
	run := 0 // windows in a row that passed, ending at k
	for k := first; k <= last; k++ {
		if !pass[k] {
			run = 0
			continue
		}
		if run++; run <= hold {
			continue
		}
		from := k - hold
		n := 0
		for j := from; j <= last; j++ {
			if pass[j] {
				n++
			}
		}
		return time.Duration(from) * settleStep, float64(n) / float64(last-from+1), true
	}
	return 0, 0, false
}

func countStatus(att []attempt, status int) int {
	n := 0
	for _, a := range att {
		if a.status == status {
			n++
		}
	}
	return n
}

// goodputAfter is the successful requests per second from skip to the last answer.
func goodputAfter(att []attempt, skip time.Duration) float64 {
	if len(att) == 0 || att[len(att)-1].at <= skip {
		return 0
	}
	n := 0
	for _, a := range att {
		if a.at > skip && a.status >= 200 && a.status < 300 {
			n++
		}
	}
	return float64(n) / (att[len(att)-1].at - skip).Seconds()
}

// paceSampler reads the pacer's pace every 100 ms.
type paceSampler struct {
	p    *runner.Pacer
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	at   []float64
}

func samplePace(p *runner.Pacer) *paceSampler {
	s := &paceSampler{p: p, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			s.mu.Lock()
			s.at = append(s.at, p.Limit())
			s.mu.Unlock()
			select {
			case <-tk.C:
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *paceSampler) stop() []float64 {
	close(s.done)
	s.wg.Wait()
	return s.at
}

// printTimeline prints, per second, the answers by kind and the pacer's pace at the
// start of the second.
func printTimeline(att []attempt, pace []float64, change time.Duration, ceiling float64) {
	if len(att) == 0 {
		return
	}
	secs := int(att[len(att)-1].at/time.Second) + 1
	ok := make([]int, secs)
	thr := make([]int, secs)
	for _, a := range att {
		i := int(a.at / time.Second)
		if a.status == 429 {
			thr[i]++
		} else if a.status >= 200 && a.status < 300 {
			ok[i]++
		}
	}
	logf("   second  2xx  429  pace(/s)")
	for i := range secs {
		p := math.NaN()
		if j := i * 10; j < len(pace) {
			p = pace[j]
		}
		mark := ""
		if change > 0 && int(change/time.Second) == i {
			mark = fmt.Sprintf("  <- limit lowered to %g/s", ceiling)
		}
		logf("   %6d %4d %4d  %8.1f%s", i, ok[i], thr[i], p, mark)
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.start = time.Now()
	r.all = r.all[:0]
	r.mu.Unlock()
}

// ---- overhead ----

func measureOverhead(ctx context.Context, o *options) (*measured, error) {
	const (
		rate  = 1e6
		burst = 1000
	)
	n := o.overheadReqs
	fake, err := startFake(0, 0, 0)
	if err != nil {
		return nil, err
	}
	rec := newRecorder()
	t, err := newTool(fake.URL, rate, burst, rec)
	if err != nil {
		fake.Close()
		return nil, err
	}
	plan, err := t.plan(ctx, n)
	if err != nil {
		fake.Close()
		return nil, err
	}
	logf("   tool: %d requests at rate %g burst %d --concurrency %d, no latency", n, rate, burst, o.overheadConc)
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rec.reset()
	limits := samplePace(t.pacer)
	cpu0 := selfCPU()
	stats, err := t.run(ctx, plan, o.overheadConc, o.dir)
	cpu1 := selfCPU()
	pace := limits.stop()
	runtime.ReadMemStats(&ms1)
	fakeStats, _ := fake.Stats()
	conns, _ := fake.Conns()
	fake.Close()
	if err != nil {
		return nil, err
	}
	if ok := stats.Counts[report.StatusSucceeded]; ok != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", ok, n, stats.Counts)
	}
	rps := float64(stats.Requests) / stats.Elapsed.Seconds()
	cpuPer := (cpu1 - cpu0).Seconds() * 1e6 / float64(stats.Requests)
	allocPer := float64(ms1.Mallocs-ms0.Mallocs) / float64(stats.Requests)
	bytesPer := float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(stats.Requests)
	fakeCPU := childCPU(fake)
	logf("   tool: %d requests in %.2f s = %.0f/s; tool process CPU %.1f µs/request, %.0f allocs and %.0f B/request; fake process CPU (whole life) %.1f µs/request; fake saw at most %d requests at once over %d TCP connections",
		stats.Requests, stats.Elapsed.Seconds(), rps, cpuPer, allocPer, bytesPer, fakeCPU.Seconds()*1e6/float64(stats.Requests), fakeStats.MaxInFlight, conns)

	// The pacer starts slowly (one request per second, doubling): the tool's own
	// ceiling shows once its pace is well above the rate achieved.
	att := rec.attempts()
	if o.verbose {
		printTimeline(att, pace, 0, 0)
	}
	steady, from, ok := steadyRate(att, pace)
	if !ok {
		return nil, fmt.Errorf("the pacer's slow start did not get past what the tool drives in %s requests: raise -overhead-requests", thousands(n))
	}
	rampAt := 0.0
	if i := slices.IndexFunc(pace, func(l float64) bool { return l >= 5000 }); i >= 0 {
		rampAt = float64(i) / 10
	}
	logf("   steady state (from %.1f s, pace at least twice the rate achieved): %.0f requests/s; the pace reached 5,000/s at %.1f s", from.Seconds(), steady, rampAt)

	driven := steady // the rate judged: past any slow start of the pacer
	if from == 0 {
		driven = rps
	}
	bench, err := runRequestPathBenchmark(ctx, o)
	if err != nil {
		return nil, err
	}
	rows := []row{
		{
			Measure: fmt.Sprintf("Overhead: requests/s the tool drives, rate unlimited (1e6), no latency (%s requests, --concurrency %d, fake in another process on the same 2 cores)", thousands(n), o.overheadConc),
			Value: overheadValue(steady, rps, from, rampAt, stats.Elapsed) + fmt.Sprintf("; tool process: %.0f µs CPU, %.0f allocs, %.1f KB allocated per request; %s TCP connections opened",
				cpuPer, allocPer, bytesPer/1000, thousands(conns)),
			Goal:   "≥ 5,000/s",
			Result: atLeast(driven, 5000),
		},
	}
	for _, b := range bench {
		rows = append(rows, row{
			Measure: "BenchmarkRequestPath/" + b.name + ": " + benchDescriptions[b.name],
			Value:   fmt.Sprintf("%s ns/op (op = 1 request), **%.1f µs CPU/request**, %s allocs/op, %s B/op", thousands(int(b.nsPerOp)), b.cpuUs, thousands(int(b.allocs)), thousands(int(b.bytes))),
			Goal:    "— (informs the line above)",
			Result:  "—",
		})
	}
	return &measured{
		rows: rows,
		notes: []string{
			"BenchmarkRequestPath: `go test -run '^$' -bench '^BenchmarkRequestPath$' -benchmem -benchtime " + o.benchtime + " ./pkg/runner`; " +
				"CPU µs/request is the process's user+system time (getrusage) over the timed run divided by the requests.",
		},
	}, nil
}

var benchDescriptions = map[string]string{
	"transport=pcfake": "runner + pacer + client + CSV writer against pcfake's in-process Transport (the fake's handler and ledger included)",
	"transport=fixed":  "the same with a transport that returns a canned 201 (the tool's own cost)",
}

type benchResult struct {
	name                          string
	nsPerOp, cpuUs, allocs, bytes float64
}

// runRequestPathBenchmark runs BenchmarkRequestPath in pkg/runner and reads its lines.
func runRequestPathBenchmark(ctx context.Context, o *options) ([]benchResult, error) {
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkRequestPath$", "-benchmem", "-benchtime", o.benchtime, "-count", "1", "./pkg/runner"}
	logf("   go %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.moduleRoot
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkRequestPath: %w\n%s", err, out.String())
	}
	var res []benchResult
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkRequestPath/") {
			continue
		}
		logf("   %s", line)
		name := strings.TrimPrefix(f[0], "BenchmarkRequestPath/")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		b := benchResult{name: name}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.nsPerOp = v
			case "cpu-us/req":
				b.cpuUs = v
			case "allocs/op":
				b.allocs = v
			case "B/op":
				b.bytes = v
			}
		}
		res = append(res, b)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench BenchmarkRequestPath printed no results:\n%s", out.String())
	}
	return res, nil
}

func overheadValue(steady, whole float64, from time.Duration, rampAt float64, elapsed time.Duration) string {
	if from == 0 {
		return fmt.Sprintf("**%s/s** (%.1f s)", thousands(int(whole)), elapsed.Seconds())
	}
	return fmt.Sprintf("**%s/s** once the pace was twice that (from %.1f s: the pacer starts slowly and reached 5,000/s at %.1f s; whole run %s/s over %.1f s)",
		thousands(int(steady)), from.Seconds(), rampAt, thousands(int(whole)), elapsed.Seconds())
}

// steadyRate is the rate of answers from the first moment the pacer's pace (sampled
// every 100 ms) was at least twice the rate of the run's last quarter, to the end.
func steadyRate(att []attempt, pace []float64) (rate float64, from time.Duration, ok bool) {
	if len(att) < 100 {
		return 0, 0, false
	}
	end := att[len(att)-1].at
	q := end * 3 / 4
	nq := 0
	for _, a := range att {
		if a.at > q {
			nq++
		}
	}
	last := float64(nq) / (end - q).Seconds()
	i := slices.IndexFunc(pace, func(l float64) bool { return l >= 2*last })
	if i < 0 {
		return 0, 0, false
	}
	from = time.Duration(i) * 100 * time.Millisecond
	if from >= q {
		return 0, 0, false
	}
	n := 0
	for _, a := range att {
		if a.at > from {
			n++
		}
	}
	return float64(n) / (end - from).Seconds(), from, true
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func childCPU(f *fakeProc) time.Duration {
	if f.cmd.ProcessState == nil {
		return 0
	}
	return f.cmd.ProcessState.UserTime() + f.cmd.ProcessState.SystemTime()
}

// ---- planning ----

func measurePlanning(ctx context.Context, o *options) (*measured, error) {
	bin := filepath.Join(o.dir, "bulkassign")
	logf("   go build -o %s ./cmd/bulkassign", bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bulkassign")
	build.Dir = o.moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build bulkassign: %w\n%s", err, out)
	}
	m := &measured{}
	for _, n := range o.planRows {
		in := filepath.Join(o.dir, fmt.Sprintf("in-%d.csv", n))
		if err := writeInput(in, n); err != nil {
			return nil, err
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		// The fake serves the catalogue (enough units for every row) and a user for
		// every user of the file, from its own process.
		fake, err := startFakeArgs("-serve-users", in)
		if err != nil {
			return nil, err
		}
		for _, check := range []bool{false, true} {
			args := []string{"plan", "--base-url", fake.URL, "--input", in, "--check-users=" + strconv.FormatBool(check)}
			var walls, cpu []time.Duration
			var rss []int64
			for r := range o.planRuns {
				cmd := exec.CommandContext(ctx, bin, args...)
				cmd.Env = append(planEnv(), "PARTNER_CENTER_ACCESS_TOKEN=bench-token")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				start := time.Now()
				err := cmd.Run()
				wall := time.Since(start)
				if err != nil {
					fake.Close()
					return nil, fmt.Errorf("bulkassign %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), tail(stderr.String(), 2000))
				}
				if !strings.Contains(stdout.String(), "The plan can run in full.") {
					fake.Close()
					return nil, fmt.Errorf("bulkassign %s did not plan in full:\n%s", strings.Join(args, " "), stdout.String())
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				walls = append(walls, wall)
				rss = append(rss, ru.Maxrss*1024) // Linux reports KiB
				cpu = append(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
				logf("   plan %s rows (%.0f MB), --check-users=%v, run %d: %.2f s wall, %.2f s CPU, peak RSS %.0f MB; %s", thousands(n), float64(fi.Size())/1e6, check, r+1,
					wall.Seconds(), cpu[len(cpu)-1].Seconds(), float64(rss[len(rss)-1])/1e6, lastLine(stdout.String(), "Plan:"))
			}
			wall := median(walls)
			peak := slices.Max(rss)
			what := "--check-users=false: planning alone"
			if check {
				what = "default --check-users: also lists the customer's users and checks every row's user"
			}
			r := row{
				Measure: fmt.Sprintf("Planning %s rows (`bulkassign plan`, %s)", thousands(n), what),
				Value: fmt.Sprintf("**%.2f s**, **%.0f MB** peak RSS (median of %d runs: %.2f–%.2f s; CPU %.2f s)",
					wall.Seconds(), float64(peak)/1e6, len(walls), slices.Min(walls).Seconds(), slices.Max(walls).Seconds(), median(cpu).Seconds()),
				Goal:   "—",
				Result: "—",
			}
			if n == 1_000_000 {
				r.Goal = "≤ 2 s and ≤ 300 MB"
				r.Result = "time " + atMost(wall.Seconds(), 2) + "; RSS " + atMost(float64(peak)/1e6, 300)
			}
			m.rows = append(m.rows, r)
		}
		fake.Close()
		os.Remove(in)
	}
	m.notes = append(m.notes, "Planning: the built binary runs `bulkassign plan --base-url <fake> --input in.csv` as its own process against "+
		"the fake in another process, which serves the catalogue (10^8 units of every SKU, so that the plan is valid) and a user for every user of the file. "+
		"Inputs come from plannertest.WriteCSV, the generator of `go run ./scripts/geninput -rows N -customers 1 -seed 1` "+
		"(E3 assignments, E3→E5 swaps, E5 with excluded plans, removals, Minecraft rows). "+
		"Time is the process's wall time from start to exit; RSS is its peak resident set size (getrusage maxrss); MB = 10^6 bytes.")
	return m, nil
}

// planEnv is the environment without Partner Center settings, so that only the
// bench's access token and base URL count.
func planEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARTNER_CENTER_") {
			env = append(env, kv)
		}
	}
	return env
}

func writeInput(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := plannertest.WriteCSV(f, plannertest.GenConfig{Rows: n, Customers: []string{pcfake.DefaultCustomerID}, Seed: 1}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func lastLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// ---- scale ----

func measureScale(ctx context.Context, o *options) (*measured, error) {
	type result struct {
		n                   int
		elapsed, constant   time.Duration
		liveStart, livePeak uint64
		rssStart, rssPeak   uint64
		quarters            [4]uint64
	}
	var res []result
	for _, n := range o.scaleRows {
		fake, err := startFake(0, 0, 0)
		if err != nil {
			return nil, err
		}
		t, err := newTool(fake.URL, o.scaleRate, 1, nil)
		if err != nil {
			fake.Close()
			return nil, err
		}
		plan, err := t.plan(ctx, n)
		if err != nil {
			fake.Close()
			return nil, err
		}
		runtime.GC()
		mem := sampleMemory()
		stats, err := t.run(ctx, plan, 8, o.dir)
		ms := mem.stop()
		fake.Close()
		if err != nil {
			return nil, err
		}
		if ok := stats.Counts[report.StatusSucceeded]; ok != n {
			return nil, fmt.Errorf("%d of %d rows succeeded: %v", ok, n, stats.Counts)
		}
		ideal := time.Duration(float64(n) / o.scaleRate * float64(time.Second))
		r := result{n: n, elapsed: stats.Elapsed, constant: stats.Elapsed - ideal,
			liveStart: ms.liveStart, livePeak: ms.livePeak, rssStart: ms.rssStart, rssPeak: ms.rssPeak, quarters: ms.quarterMedians()}
		res = append(res, r)
		logf("   %s rows at --rate %g: %.3f s (rows/rate %.3f s %s); live heap %.2f MB at start, peak %.2f MB (+%.2f MB, %d samples), median by quarter of the run %s MB; RSS %.1f MB at start, peak %.1f MB",
			thousands(n), o.scaleRate, r.elapsed.Seconds(), ideal.Seconds(), plusSeconds(r.constant.Seconds()),
			mb(r.liveStart), mb(r.livePeak), mb(r.livePeak-r.liveStart), ms.samples, quartersText(r.quarters, r.liveStart), mb(r.rssStart), mb(r.rssPeak))
		runtime.KeepAlive(plan)
	}
	// elapsed = slope × rows/rate + constant, fitted by least squares over the sizes.
	var xs, ys []float64
	for _, r := range res {
		xs = append(xs, float64(r.n)/o.scaleRate)
		ys = append(ys, r.elapsed.Seconds())
	}
	slope, constant := fitLine(xs, ys)
	last := res[len(res)-1]
	// Flat: in the largest run, the live heap late in the run is where it was early on.
	drift := float64(last.quarters[3]) - float64(last.quarters[0])
	m := &measured{}
	for i, r := range res {
		row := row{
			Measure: fmt.Sprintf("Scale: %s rows at --rate %g (no latency, --burst 1, --concurrency 8)", thousands(r.n), o.scaleRate),
			Value: fmt.Sprintf("**%.2f s** (rows/rate %.2f s %s; %.0f requests/s); live heap above the %.2f MB at start (the plan): median by quarter of the run %s MB, peak +%.2f MB; RSS peak %.1f MB",
				r.elapsed.Seconds(), (r.elapsed - r.constant).Seconds(), plusSeconds(r.constant.Seconds()), float64(r.n)/r.elapsed.Seconds(), mb(r.liveStart), quartersText(r.quarters, r.liveStart), mb(r.livePeak-r.liveStart), mb(r.rssPeak)),
			Goal:   "—",
			Result: "—",
		}
		if i == len(res)-1 {
			row.Goal = "time = rows/rate + a constant (fitted slope 1 ± 0.02); memory flat"
			tr := fmt.Sprintf("fit: time = %.3f × rows/rate %s: ", slope, plusSeconds(constant))
			if math.Abs(slope-1) <= 0.02 {
				tr += "met"
			} else {
				tr += fmt.Sprintf("**missed** (the tool holds %.1f%% of --rate)", 100/slope)
			}
			mr := fmt.Sprintf("; memory: live heap in the last quarter of the %s-row run %+.2f MB from the first quarter (%.1f bytes per row sent): ", thousands(last.n), drift/1e6, drift/float64(last.n*3/4))
			if drift <= 1e6 {
				mr += "met"
			} else {
				mr += "**missed**"
			}
			row.Result = tr + mr
		}
		m.rows = append(m.rows, row)
	}
	m.notes = append(m.notes, "Scale: time is fitted as slope × rows/rate + constant by least squares over the three sizes; a slope of 1 means "+
		"the tool holds --rate whatever the size. Live heap is runtime/metrics /gc/heap/live:bytes "+
		"(the heap marked live by the last GC), sampled every 20 ms during the run; at start it holds the plan, which is the input "+
		"and grows with it, so the measure is the growth above it. \"Flat\": in the largest run, the median live heap of the last quarter of the samples is within 1 MB of that of the first quarter.")
	return m, nil
}

// plusSeconds is "+ 0.26 s" or "− 0.01 s".
func plusSeconds(s float64) string {
	if s < 0 {
		return fmt.Sprintf("− %.2f s", -s)
	}
	return fmt.Sprintf("+ %.2f s", s)
}

func quartersText(q [4]uint64, start uint64) string {
	parts := make([]string, len(q))
	for i, v := range q {
		parts[i] = fmt.Sprintf("%+.2f", (float64(v)-float64(start))/1e6)
	}
	return strings.Join(parts, ", ")
}

// fitLine fits y = a·x + b by least squares.
func fitLine(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy = sx+xs[i], sy+ys[i]
		sxx, sxy = sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	a = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	b = (sy - a*sx) / n
	return a, b
}

type memSamples struct {
	liveStart, livePeak uint64
	rssStart, rssPeak   uint64
	samples             int
	live                []uint64 // every sample of the live heap, in order
}

// quarterMedians is the median live heap in each quarter of the run's samples.
func (m memSamples) quarterMedians() [4]uint64 {
	var q [4]uint64
	n := len(m.live)
	for i := range q {
		part := slices.Clone(m.live[i*n/4 : (i+1)*n/4])
		if len(part) == 0 {
			continue
		}
		slices.Sort(part)
		q[i] = part[len(part)/2]
	}
	return q
}

type memSampler struct {
	done chan struct{}
	res  chan memSamples
}

func sampleMemory() *memSampler {
	s := &memSampler{done: make(chan struct{}), res: make(chan memSamples, 1)}
	live := func() uint64 {
		sm := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sm)
		return sm[0].Value.Uint64()
	}
	r := memSamples{liveStart: live(), rssStart: rss()}
	r.livePeak, r.rssPeak = r.liveStart, r.rssStart
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
			case <-s.done:
				s.res <- r
				return
			}
			r.samples++
			l := live()
			r.live = append(r.live, l)
			r.livePeak = max(r.livePeak, l)
			r.rssPeak = max(r.rssPeak, rss())
		}
	}()
	return s
}

func (s *memSampler) stop() memSamples {
	close(s.done)
	return <-s.res
}

// rss is the process's resident set size, from /proc/self/statm.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func mb(b uint64) float64 { return float64(b) / 1e6 }
