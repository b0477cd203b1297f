package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// The settle measure lowers the fake's write limit from ceilingRate to settleRate
// mid-run.
const (
	settleRate = 10.0

	settleWindow = 2 * time.Second
	settleStep   = 100 * time.Millisecond
	// settleHold is how long every window must stay in the band for the run to count
	// as settled.
	settleHold = 10 * time.Second
)

// settleNote defines the time to settle (see settleTime).
const settleNote = "Time to settle: a sliding 2 s window of write answers, moved in 100 ms steps and judged at its end, is in the band when " +
	"under 5% of its answers are 429 and its successful updates per second are within 10% of the new ceiling (9 to 11/s). " +
	"The time to settle runs from the change to the end of the first window from which every window stays in the band " +
	"for 10 s (so it is at least 2 s); the share of windows in the band from then to the end of the run says whether it stayed there."

// measureSettle lowers the fake's write limit from 20 to 10/s mid-run and measures
// how long the tool takes to settle to the new ceiling.
func measureSettle(ctx context.Context, o *options) (*measured, error) {
	n := o.settleRows
	var change time.Duration
	var changeErr error
	lower := func(fake *fakeProc, rec *recorder, done <-chan struct{}) {
		select {
		case <-time.After(o.settleAt - time.Since(rec.sendStart())):
		case <-done:
			changeErr = errors.New("the run ended before the limit was lowered: give it more rows")
			return
		}
		changeErr = fake.SetLimit("write", settleRate, ceilingBurst)
		change = time.Since(rec.sendStart())
	}
	logf("   the fake's write limit goes from %g/s to %g/s %v into the sending", ceilingRate, settleRate, o.settleAt)
	r, err := runThrottled(ctx, o, "settle", n, lower)
	if err != nil {
		return nil, err
	}
	if changeErr != nil {
		return nil, changeErr
	}
	end := r.writes[len(r.writes)-1].at
	if o.verbose {
		printTimeline(r.writes, r.pace, change, settleRate)
	}
	settledAt, inBand, settled := settleTime(r.writes, change, end, settleRate)
	post := after(r.writes, change)
	afterGood := float64(countOK(post)) / (end - change).Seconds()
	logf("   limit lowered at %.2f s; sending ended at %.2f s; after the change: %d attempts, %d answered 429, goodput %.2f/s",
		change.Seconds(), end.Seconds(), len(post), countStatus(post, 429), afterGood)
	res := row{
		Measure: fmt.Sprintf("Ceiling lowered 20 → 10/s at t = %.0f s of the sending (burst 5, tool --rate 200, %s rows): time to settle", change.Seconds(), thousands(n)),
		Target:  "≤ 10 s",
	}
	if settled {
		tail := after(r.writes, settledAt)
		pg := float64(countOK(tail)) / (end - settledAt).Seconds()
		res.Value = fmt.Sprintf("**%.1f s** (from then to the end, %.1f s: goodput %.2f/s = %.3f of 10/s, %.2f%% 429s, %.0f%% of the 2 s windows in the band)",
			(settledAt - change).Seconds(), (end - settledAt).Seconds(), pg, pg/settleRate,
			100*float64(countStatus(tail, 429))/float64(max(len(tail), 1)), 100*inBand)
		res.Result = atMost((settledAt - change).Seconds(), 10)
		logf("   settled %.1f s after the change", (settledAt - change).Seconds())
	} else {
		res.Value = fmt.Sprintf("**did not settle** (no 10 s in the band) in the %.1f s the sending went on after the change (goodput after it %.2f/s = %.3f of 10/s, %.2f%% 429s)",
			(end - change).Seconds(), afterGood, afterGood/settleRate, 100*float64(countStatus(post, 429))/float64(max(len(post), 1)))
		res.Result = "**missed** (did not settle)"
	}
	return &measured{rows: []row{res}, notes: []string{settleNote}}, nil
}

// settleTime is when the run settled after change (see settleNote): the end of the
// first window from which every window for settleHold passed. inBand is the share of
// the windows from then to the end of the run that passed: below 1 when the run left
// the band again later (a probe that met a 429, say).
func settleTime(att []attempt, change, end time.Duration, ceiling float64) (at time.Duration, inBand float64, settled bool) {
	pass, first, last := settleWindows(att, change, end, ceiling)
	if first > last {
		return 0, 0, false
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

// settleWindows judges every 2 s window ending at step k (first <= k <= last, the
// windows wholly after the change and before the end): pass[k] says whether it was
// in the band.
func settleWindows(att []attempt, change, end time.Duration, ceiling float64) (pass []bool, first, last int) {
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
	first = int((change+settleWindow)/settleStep) + 1 // first window wholly after the change
	last = int(end / settleStep)                      // last window wholly before the end
	if first > last {
		return nil, first, last
	}
	pass = make([]bool, last+1)
	for k := first; k <= last; k++ {
		var na, nt, ng int
		for i := k - per; i < k; i++ {
			na, nt, ng = na+all[i], nt+thr[i], ng+good[i]
		}
		rate := float64(ng) / settleWindow.Seconds()
		pass[k] = na > 0 && float64(nt) < 0.05*float64(na) && math.Abs(rate-ceiling) <= 0.1*ceiling
	}
	return pass, first, last
}
