package client

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

func TestDecrease(t *testing.T) {
	tests := []struct{ limit, floor, want float64 }{
		{10, 0.1, 5},
		{5, 0.1, 2.5},
		{0.15, 0.1, 0.1},
		{0.1, 0.1, 0.1},
	}
	for _, tt := range tests {
		if got := decrease(tt.limit, tt.floor); got != tt.want {
			t.Errorf("decrease(%v, %v) = %v, want %v", tt.limit, tt.floor, got, tt.want)
		}
	}
}

func TestBackOffTo(t *testing.T) {
	tests := []struct{ limit, accepted, floor, next, ceiling float64 }{
		{200, 0, 0.1, 100, 200},   // nothing to tell: halve
		{200, 20, 0.1, 100, 20},   // never below half the pace in one step
		{30, 20, 0.1, 19, 20},     // 0.95 of what the server accepted
		{16, 40, 0.1, 15.2, 16},   // below the pace it was throttled at, whatever passed before
		{0.15, 0, 0.1, 0.1, 0.15}, // not below the floor
		{25, 22.5, 0.1, 21.375, 22.5},
	}
	for _, tt := range tests {
		next, ceiling := backOffTo(tt.limit, tt.accepted, tt.floor, hardFactor)
		if math.Abs(next-tt.next) > 1e-9 || math.Abs(ceiling-tt.ceiling) > 1e-9 {
			t.Errorf("backOffTo(%v, %v, %v) = %v, %v; want %v, %v", tt.limit, tt.accepted, tt.floor, next, ceiling, tt.next, tt.ceiling)
		}
	}
}

// TestPacerBacksOffToWhatTheServerAccepted feeds a pacer answers at a known rate, then
// a 429: the pace drops just under that rate, not to a restart.
func TestPacerBacksOffToWhatTheServerAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(50, 1)
		for range 40 { // 20 answers a second for two seconds
			time.Sleep(50 * time.Millisecond)
			p.Observe(nil, ok)
		}
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		if got := p.Limit(); math.Abs(got-25) > 1e-9 {
			// 0.95 x 20 = 19 is below half of 50: the pace halves first, to 25.
			t.Fatalf("pace after a 429 = %v, want 25", got)
		}
		time.Sleep(time.Second) // the gate opens
		for range 44 {          // 22 answers a second for two seconds
			time.Sleep(time.Second / 22)
			p.Observe(nil, ok)
		}
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		if got := p.Limit(); got < 0.95*22*0.97 || got > 0.95*22*1.03 {
			t.Fatalf("pace after the second 429 = %v, want about 0.95 x 22 = 20.9", got)
		}
	})
}

func TestIncrease(t *testing.T) {
	tests := []struct{ limit, step, max, want float64 }{
		{5, 1, 10, 6},
		{9.5, 1, 10, 10},
		{10, 1, 10, 10},
	}
	for _, tt := range tests {
		if got := increase(tt.limit, tt.step, tt.max); got != tt.want {
			t.Errorf("increase(%v, %v, %v) = %v, want %v", tt.limit, tt.step, tt.max, got, tt.want)
		}
	}
}

func TestStep(t *testing.T) {
	if got := step(10); got != 0.5 {
		t.Errorf("step(10) = %v, want 0.5 (a twentieth)", got)
	}
	if got := step(0.01); got != minRate*stepFraction {
		t.Errorf("step(0.01) = %v, want the minimum %v", got, minRate*stepFraction)
	}
}

func TestSuccessesPerStep(t *testing.T) {
	tests := []struct {
		limit float64
		want  int
	}{{0.5, minSuccesses}, {10, 10}, {25.2, 26}, {100, 100}}
	for _, tt := range tests {
		if got := successesPerStep(tt.limit); got != tt.want {
			t.Errorf("successesPerStep(%v) = %d, want %d", tt.limit, got, tt.want)
		}
	}
}

func TestBurstAt(t *testing.T) {
	if got := burstAt(10, 10, 4); got != 4 {
		t.Errorf("burstAt at the configured rate = %d, want the configured burst 4", got)
	}
	if got := burstAt(9.9, 10, 4); got != 1 {
		t.Errorf("burstAt below the configured rate = %d, want 1", got)
	}
}

func TestPauseUntil(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := pauseUntil(now, 57*time.Second); !got.Equal(now.Add(57 * time.Second)) {
		t.Errorf("pauseUntil(now, 57s) = %v, want now+57s", got)
	}
	if got := pauseUntil(now, 0); !got.Equal(now.Add(minPause)) {
		t.Errorf("pauseUntil(now, 0) = %v, want now+%v", got, minPause)
	}
}

func TestStale(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if stale(now, time.Time{}) {
		t.Error("stale with no decrease yet = true")
	}
	if !stale(now.Add(-time.Second), now) {
		t.Error("a 429 to an attempt sent before the decrease is not stale")
	}
	if stale(now.Add(time.Second), now) {
		t.Error("a 429 to an attempt sent after the decrease is stale")
	}
}

func TestNewPacerDefaults(t *testing.T) {
	for _, r := range []float64{0, -1, math.NaN(), math.Inf(-1)} {
		p := NewPacer(r, 0)
		if p.Rate() != DefaultRate || p.Limit() != DefaultRate || p.Burst() != DefaultBurst {
			t.Errorf("NewPacer(%v, 0): rate %v limit %v burst %d, want %v, %v, %d",
				r, p.Rate(), p.Limit(), p.Burst(), DefaultRate, DefaultRate, DefaultBurst)
		}
	}
	if p := NewPacer(Unlimited, 0); !math.IsInf(p.Limit(), 1) || p.lim.Limit() != rate.Inf {
		t.Errorf("NewPacer(Unlimited, 0) paces at %v (limiter %v), want no pace", p.Limit(), p.lim.Limit())
	}
	if p := NewPacer(0.5, 3); p.Limit() != 0.5 || p.lim.Burst() != 3 {
		t.Errorf("NewPacer(0.5, 3) starts at %v with burst %d, want the configured 0.5 and 3", p.Limit(), p.lim.Burst())
	}
}

// ok is an attempt answered 201 right away.
var ok = Attempt{Number: 1, StatusCode: 201}

// observe feeds p n attempts like a.
func observe(p *Pacer, n int, a Attempt) {
	for range n {
		p.Observe(nil, a)
	}
}

// warmUp feeds p successes until its pace reached the configured rate.
func warmUp(t *testing.T, p *Pacer) {
	t.Helper()
	for i := 0; p.Limit() < p.Rate(); i++ {
		if i > 10000 {
			t.Fatalf("pace stuck at %v below the configured %v", p.Limit(), p.Rate())
		}
		p.Observe(nil, ok)
	}
}

func TestPacerStartsAtTheRateAndComesBackToIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(16, 4)
		if p.Limit() != 16 || p.lim.Burst() != 4 {
			t.Fatalf("a new pacer runs at %v with burst %d, want the configured 16 and 4", p.Limit(), p.lim.Burst())
		}
		// A 429 with nothing to tell the server's ceiling halves the pace...
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		if p.Limit() != 8 || p.lim.Burst() != 1 {
			t.Fatalf("after a 429 the pacer runs at %v with burst %d, want 8 and 1", p.Limit(), p.lim.Burst())
		}
		// ...and holds it while the gate is shut and steadyHold after it opens.
		observe(p, 500, ok)
		if p.Limit() != 8 {
			t.Fatalf("pace %v during the hold, want 8", p.Limit())
		}
		time.Sleep(time.Second + steadyHold)
		answerAt(p, 5000, 16)
		if p.Limit() != 16 || p.lim.Burst() != 4 {
			t.Errorf("pace %v with burst %d after many successes, want the configured 16 and 4", p.Limit(), p.lim.Burst())
		}
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429})
		if p.lim.Burst() != 1 {
			t.Errorf("burst %d after a 429, want 1 until the pace is back at the configured rate", p.lim.Burst())
		}
	})
}

// grants records when each Wait returned.
type grants struct {
	mu sync.Mutex
	at []time.Time
}

func (g *grants) add(t time.Time) {
	g.mu.Lock()
	g.at = append(g.at, t)
	g.mu.Unlock()
}

func (g *grants) all() []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]time.Time(nil), g.at...)
}

// maxInWindow is the most of the times ts (in order) in any window of length w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	best := 0
	for i, start := range ts {
		n := 0
		for _, t := range ts[i:] {
			if t.Sub(start) < w {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// hammer runs workers that call p.Wait until ctx ends, record every grant and report a
// success for it, as a client with instant answers would.
func hammer(ctx context.Context, p *Pacer, workers int, g *grants) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for p.Wait(ctx, nil) == nil {
				g.add(time.Now())
				p.Observe(nil, ok)
			}
		})
	}
	return &wg
}

func TestPacerNeverExceedsRatePlusBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(10, 3)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var g grants
		start := time.Now()
		hammer(ctx, p, 20, &g).Wait()
		at := g.all()
		if n := maxInWindow(at, time.Second); n > 10+3 {
			t.Errorf("%d grants in one second, want at most rate+burst = 13", n)
		}
		// The pacer grants the configured rate.
		last := 0
		for _, a := range at {
			if a.Sub(start) >= 5*time.Second {
				last++
			}
		}
		if p.Limit() != 10 || last < 50 || last > 53 {
			t.Errorf("pace %v, %d grants in the last 5 s, want 10 and 50 to 53", p.Limit(), last)
		}
	})
}

func TestPacerDecreasesOn429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(16, 1)
		warmUp(t, p)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second, Elapsed: 100 * time.Millisecond})
		if got := p.Limit(); got != 8 {
			t.Fatalf("pace after a 429 = %v, want half of 16", got)
		}
		// Another 429 to an attempt sent before the decrease belongs to the same burst.
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second, Elapsed: 100 * time.Millisecond})
		if got := p.Limit(); got != 8 {
			t.Fatalf("pace after a second 429 of the burst = %v, want 8 still", got)
		}
		// After the hold it climbs back additively, in small steps after a drop it could
		// not size: a quarter of a twentieth of the pace per step.
		time.Sleep(time.Second + steadyHold)
		observe(p, 17, ok)
		if got, want := p.Limit(), 8+step(8)/4; got != want {
			t.Fatalf("pace after 17 successes = %v, want one small additive step: %v", got, want)
		}
		time.Sleep(4 * time.Second)
		before := p.Limit()
		p.Observe(nil, Attempt{Number: 2, StatusCode: 429, RetryAfter: time.Second, Elapsed: 100 * time.Millisecond})
		if got, want := p.Limit(), before/2; got != want {
			t.Fatalf("pace after a fresh 429 = %v, want half of %v: too few answers to size the drop", got, before)
		}
		for range 20 {
			time.Sleep(2 * time.Second)
			p.Observe(nil, Attempt{Number: 1, StatusCode: 429, Elapsed: time.Millisecond})
		}
		if got := p.Limit(); got != minRate {
			t.Errorf("pace after many 429s = %v, want the floor %v", got, minRate)
		}
		if got := p.Throttled(); got != 23 {
			t.Errorf("Throttled = %d, want 23", got)
		}
		if got := p.Retries(); got != 1 {
			t.Errorf("Retries = %d, want 1", got)
		}
	})
}

func TestPacerClimbsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(10, 1)
		answerAt(p, 100, 9) // the server accepts 9 a second
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		want := 0.95 * p.Ceiling0()
		if got := p.Limit(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("pace after a 429 = %v, want 0.95 of the %v the server accepted", got, p.Ceiling0())
		}
		time.Sleep(time.Second)
		observe(p, successesPerStep(p.Limit())-1, ok)
		if got := p.Limit(); got != want {
			t.Fatalf("pace before a step's successes = %v, want %v (no step yet)", got, want)
		}
		p.Observe(nil, ok)
		if got := p.Limit(); got <= want {
			t.Fatalf("pace after a step's successes = %v, want above %v", got, want)
		}
		at := p.Limit()
		// 5xx and transport errors do not count toward a step.
		for range 30 {
			p.Observe(nil, Attempt{Number: 1, StatusCode: 503})
			p.Observe(nil, Attempt{Number: 1, Err: errors.New("connection reset")})
		}
		if got := p.Limit(); got != at {
			t.Fatalf("pace after failures = %v, want %v", got, at)
		}
		// A 4xx other than 429 is an answer the server was willing to give.
		observe(p, successesPerStep(at), Attempt{Number: 1, StatusCode: 400})
		if got := p.Limit(); got <= at {
			t.Fatalf("pace after a step of answers 400 = %v, want above %v", got, at)
		}
		observe(p, 100000, ok)
		if got := p.Limit(); got != 10 {
			t.Errorf("pace after many successes = %v, want the configured 10, never more", got)
		}
	})
}

// answerAt feeds p n successes at rate a second.
func answerAt(p *Pacer, n int, rate float64) {
	for range n {
		time.Sleep(time.Duration(float64(time.Second) / rate))
		p.Observe(nil, ok)
	}
}

// Ceiling0 is the ceiling the pacer learned, for tests.
func (p *Pacer) Ceiling0() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ceiling
}

func TestPacerGateHoldsWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1, 1)
		ctx := t.Context()
		if err := p.Wait(ctx, nil); err != nil { // spends the burst
			t.Fatal(err)
		}
		start := time.Now()
		var g grants
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if err := p.Wait(ctx, nil); err != nil {
					t.Error(err)
					return
				}
				g.add(time.Now())
				p.Observe(nil, Attempt{Number: 1, StatusCode: 201})
			})
		}
		// One waiter holds a reservation due at +1s; the 429 arrives before it.
		time.Sleep(500 * time.Millisecond)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second, Elapsed: time.Millisecond})
		wg.Wait()
		gateOpens := start.Add(3500 * time.Millisecond)
		at := g.all()
		for _, a := range at {
			if a.Before(gateOpens) {
				t.Errorf("granted at +%v, before the gate opened at +3.5s", a.Sub(start))
			}
		}
		// After the pause the three go at the lowered pace (0.5/s), not in a burst.
		if n := maxInWindow(at, 2*time.Second); n > 1 {
			t.Errorf("%d grants within 2 s after the pause, want 1 at 0.5/s", n)
		}
	})
}

// A late 429 to an attempt sent before the last decrease lowers nothing, but its
// Retry-After still holds back a caller already waiting for its token.
func TestPacerStale429ExtendsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1, 1)
		start := time.Now()
		if err := p.Wait(t.Context(), nil); err != nil { // spends the burst
			t.Fatal(err)
		}
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		granted := make(chan time.Time, 1)
		go func() {
			if p.Wait(t.Context(), nil) == nil {
				granted <- time.Now()
			}
		}()
		time.Sleep(1500 * time.Millisecond) // the gate opened; the caller waits for a token due at +2s
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second, Elapsed: 2 * time.Second})
		if got := p.Limit(); got != 0.5 {
			t.Errorf("pace after a stale 429 = %v, want 0.5, lowered once", got)
		}
		if d := (<-granted).Sub(start); d < 4500*time.Millisecond {
			t.Errorf("granted at +%v, inside the pause the stale 429 asked for (until +4.5s)", d)
		}
	})
}

func TestPacerProbesAfterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(10, 1)
		warmUp(t, p)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		var granted atomic.Int32
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if p.Wait(t.Context(), nil) == nil {
					granted.Add(1)
				}
			})
		}
		time.Sleep(4 * time.Second) // the gate opened 3 s ago; the pace would allow 3
		synctest.Wait()
		if n := granted.Load(); n != 1 {
			t.Fatalf("%d granted before the probe was answered, want the probe only", n)
		}
		// A 5xx says nothing about throttling: another caller may probe.
		p.Observe(nil, Attempt{Number: 1, StatusCode: 503, Elapsed: time.Second})
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if n := granted.Load(); n != 2 {
			t.Fatalf("%d granted after a 5xx to the probe, want a second probe", n)
		}
		// An answer ends the probe: everyone goes, at the pace.
		p.Observe(nil, Attempt{Number: 1, StatusCode: 201, Elapsed: time.Second})
		wg.Wait()
		if n := granted.Load(); n != 4 {
			t.Errorf("%d granted after the probe was answered, want all 4", n)
		}
	})
}

func TestPacerProbeHoldEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(10, 1)
		warmUp(t, p)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second})
		var g grants
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if p.Wait(t.Context(), nil) == nil {
					g.add(time.Now())
				}
			})
		}
		wg.Wait() // no answer ever comes: the second goes once probeHold ran out
		at := g.all()
		if len(at) != 2 || at[1].Sub(at[0]) != probeHold {
			t.Errorf("grants at %v after the 429, want two, %v apart", at, probeHold)
		}
	})
}

func TestPacerGateHoldsUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const r, burst = 20, 4
		p := NewPacer(r, burst)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		var g grants
		wg := hammer(ctx, p, 16, &g)
		type pause struct{ from, to time.Time }
		var pauses []pause
		for i := range 4 {
			time.Sleep(time.Duration(4+i) * time.Second)
			// Bursts of two 429s (the second, to an attempt sent after the first, within
			// softGap of it): a burst is no probe refused, it shuts the gate for everyone.
			p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 2 * time.Second})
			time.Sleep(100 * time.Millisecond)
			from := time.Now()
			p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 2 * time.Second})
			pauses = append(pauses, pause{from, from.Add(2 * time.Second)})
		}
		wg.Wait()
		at := g.all()
		for _, ps := range pauses {
			for _, a := range at {
				if a.After(ps.from) && a.Before(ps.to) {
					t.Errorf("granted at %v, inside a pause %v..%v", a, ps.from, ps.to)
				}
			}
		}
		if n := maxInWindow(at, time.Second); n > r+burst {
			t.Errorf("%d grants in one second, want at most %d", n, r+burst)
		}
	})
}

// TestPacerProbeRefusedHoldsOnlyItsCall: once the server's ceiling is known, a 429 to
// a probe just above it holds back only the call it answered, for its Retry-After,
// while the others go on just under what the server accepted.
func TestPacerProbeRefusedHoldsOnlyItsCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(20, 1)
		answerAt(p, 100, 20)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second}) // learns the ceiling: a burst shuts the gate
		time.Sleep(time.Second)
		answerAt(p, 100, 19)
		before := p.Limit()
		probe := &Call{Response: Response{Attempts: 1, StatusCode: 429}}
		p.Observe(probe, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second})
		if got := p.Limit(); got >= before || got < 0.9*before {
			t.Errorf("pace after a probe refused = %v, want just under %v", got, before)
		}
		start := time.Now()
		if err := p.Wait(t.Context(), &Call{}); err != nil || time.Since(start) > 100*time.Millisecond {
			t.Errorf("another call waited %v (%v): the gate shut for everyone", time.Since(start), err)
		}
		start = time.Now()
		if err := p.Wait(t.Context(), probe); err != nil || time.Since(start) < 3*time.Second-100*time.Millisecond {
			t.Errorf("the refused call waited %v (%v), want its Retry-After, 3s", time.Since(start), err)
		}
	})
}

// A change of pace applies to the caller already waiting for its token: when the pace
// goes up, it goes sooner, and the one after it still waits its turn.
func TestPacerPaceChangeReschedulesWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(10, 1)
		// Climbing back at 1/s (as after 429s), toward 10/s.
		p.mu.Lock()
		p.setLimit(time.Now(), 1)
		p.mu.Unlock()
		start := time.Now()
		var g grants
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if p.Wait(t.Context(), nil) == nil {
					g.add(time.Now())
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		observe(p, 10, ok) // one additive step, 1/s -> 2/s, while the second caller waits for a token due at +1s
		wg.Wait()
		at := g.all()
		if len(at) != 3 {
			t.Fatalf("%d grants, want 3", len(at))
		}
		if d := at[1].Sub(start); d >= time.Second {
			t.Errorf("second grant at +%v, want before +1s: the faster pace applies", d)
		}
		if d := at[2].Sub(at[1]); d < 450*time.Millisecond {
			t.Errorf("third grant %v after the second, want about 500ms at 2/s", d)
		}
	})
}

func TestPacerRefusesUnsentRequestsWhenRunStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1, 1)
		stop := make(chan struct{})
		if err := p.Wait(t.Context(), nil); err != nil { // spends the burst
			t.Fatal(err)
		}
		fresh := &Call{Stop: stop}
		throttled := &Call{Stop: stop, Response: Response{Attempts: 1, StatusCode: 429}} // not applied: stoppable
		retry := &Call{Stop: stop, Response: Response{Attempts: 1, StatusCode: 503}}     // may have been applied
		errs := make(chan error, 3)
		go func() { errs <- p.Wait(context.Background(), fresh) }()
		go func() { errs <- p.Wait(context.Background(), throttled) }()
		go func() { errs <- p.Wait(context.Background(), retry) }()
		synctest.Wait()
		close(stop)
		synctest.Wait()
		for range 2 {
			select {
			case err := <-errs:
				if !errors.Is(err, ErrNotSent) {
					t.Fatalf("Wait of a request not applied = %v, want ErrNotSent", err)
				}
			default:
				t.Fatal("Wait of a request not applied still blocked after the run stopped")
			}
		}
		if err := <-errs; err != nil {
			t.Errorf("Wait of the retry = %v, want nil: retries of a request that may have been applied go on", err)
		}
	})
}

func TestPacerWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1, 1)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if err := p.Wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait behind a closed gate = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Wait returned after %v, want 1s (the context's deadline)", d)
		}
	})
}

// The pacer is a Limiter.
var _ Limiter = (*Pacer)(nil)

// After a drop it could not size (a blind halving), the pace climbs in small steps; the
// lone 429 that meets the server's new ceiling on the way up is a probe refused too: it
// sizes the ceiling from what the server accepted and holds only its own call, rather
// than shutting the gate for everyone again.
func TestPacerBlindClimbMeetsTheCeilingSoftly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(20, 1)
		answerAt(p, 100, 20)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second}) // learns the ceiling, 20
		time.Sleep(time.Second)
		answerAt(p, 2, 19)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second}) // the server drops: too little to size it
		blind := p.Limit()
		if blind > 10 {
			t.Fatalf("pace after an unsized drop = %v, want half of 19", blind)
		}
		time.Sleep(time.Second + steadyHold)
		answerAt(p, 200, 10) // the server takes 10/s; the pace climbs above it
		if p.Limit() <= blind {
			t.Fatalf("pace %v did not climb from %v", p.Limit(), blind)
		}
		probe := &Call{Response: Response{Attempts: 1, StatusCode: 429}}
		p.Observe(probe, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second})
		if got := p.Limit(); got < 0.9*10 || got > 10 {
			t.Errorf("pace after the climb met the ceiling = %v, want just under the 10/s accepted", got)
		}
		start := time.Now()
		if err := p.Wait(t.Context(), &Call{}); err != nil || time.Since(start) > 200*time.Millisecond {
			t.Errorf("another call waited %v (%v): the gate shut for everyone", time.Since(start), err)
		}
	})
}

// During the hold after a blind halving the pace does not climb: a 429 then says the
// halved pace is still too fast, and shuts the gate for everyone as any burst does.
func TestPacerBlindHoldIsNotAClimb(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(20, 1)
		answerAt(p, 100, 20)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: time.Second}) // learns the ceiling
		time.Sleep(time.Second)
		answerAt(p, 2, 19)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second}) // blind halving
		blind := p.Limit()
		time.Sleep(3 * time.Second) // the pause is over; the hold goes on
		answerAt(p, 8, blind)
		if p.Limit() != blind {
			t.Fatalf("pace climbed during the hold: %v -> %v", blind, p.Limit())
		}
		probe := &Call{Response: Response{Attempts: 1, StatusCode: 429}}
		p.Observe(probe, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second})
		start := time.Now()
		if err := p.Wait(t.Context(), &Call{}); err != nil || time.Since(start) < time.Second {
			t.Errorf("the gate stayed open (another call waited %v, %v); pace %v -> %v", time.Since(start), err, blind, p.Limit())
		}
	})
}
