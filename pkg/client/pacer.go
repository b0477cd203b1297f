package client

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the pacer, used when NewPacer is given a rate or a burst out of range.
const (
	DefaultRate  = 10.0 // requests per second
	DefaultBurst = 1
)

const (
	// minRate is the lowest pace throttling drives the pacer to (one request every
	// ten seconds), unless the configured rate is lower still.
	minRate = 0.1
	// minPause is how long the gate stays shut after a 429 that named no Retry-After.
	minPause = time.Second
	// probeHold is the longest the other callers wait for an answer to the probe.
	probeHold = 5 * time.Second
	// minSuccesses is the fewest unthrottled answers between two additive increases.
	minSuccesses = 10
	// stepFraction of the pace at which the server last throttled is added per
	// additive increase.
	stepFraction = 0.05
)

// Pacer paces every HTTP attempt of a run, retries included, and adapts the pace to
// the server's throttling: additive increase, and a decrease to what the server was
// seen to accept. It satisfies Limiter; the client calls Wait before every attempt and
// Observe after it.
//
//   - The pace starts at the configured rate. A rate set far above what the server
//     allows meets a few 429s: about the requests in flight when the first one comes
//     back, since the gate then holds everyone.
//   - On a 429, a gate that every caller of Wait passes through shuts for the
//     Retry-After the server named (a rate.Limiter alone cannot do this: SetLimit does
//     not slow callers already waiting). The pace drops to hardFactor of the rate of
//     unthrottled answers over the last acceptedWindow the gate was open, as far as
//     that tells the server's ceiling (never below half the pace, never above it), or
//     to half the pace when there is too little to tell; after such a blind halving it
//     holds for steadyHold past the pause, then climbs in small steps. When the gate
//     opens, one attempt goes first as a probe and the others wait for its answer.
//   - Once a ceiling is known, a lone 429 while the pace probes just above it, or
//     while it climbs back after a drop it could not size, is a probe refused: only
//     its call waits out the Retry-After and the pace drops to softFactor of what the
//     server accepted, while every other caller goes on.
//   - After every second's worth of unthrottled answers the pace climbs additively by
//     stepFraction of the rate at which the server last throttled, a fiftieth of that
//     once within 0.95 of it (probing gently where it throttled before), up to the
//     configured rate, never above.
//
// Whatever the pace, the attempts granted in any period of one second never exceed
// the configured rate plus the burst; below the configured rate the burst is 1. Above
// 500 attempts per second the burst is at least 2 ms worth of the pace (timerSlack).
//
// Partner Center does not publish its limits and adjusts them dynamically; its guidance
// is to honour Retry-After, back off and reduce parallelism. See
// https://learn.microsoft.com/partner-center/developer/partner-center-rest-api-throttling.
type Pacer struct {
	lim   *rate.Limiter
	max   float64 // the configured rate
	burst int     // the configured burst
	floor float64

	mu          sync.Mutex
	limit       float64       // the current pace, floor <= limit <= max
	ceiling     float64       // the pace at which the server last throttled (max before any)
	successes   int           // unthrottled answers since the last change of pace
	pausedUntil time.Time     // the gate is shut until then
	changed     chan struct{} // closed, and replaced, whenever the gate shuts, its pause grows or the pace changes
	decreasedAt time.Time     // when the pace was last lowered
	probing     bool          // the gate opened after a pause and no answer to an attempt sent since has come
	probeOut    bool          // the probe is out: the other callers wait for its answer
	probeAt     time.Time     // when the probe was let through
	probeDone   chan struct{} // closed, and replaced, when the probe ends or is released
	turnstile   chan struct{} // holds one token while a caller holds a reservation of lim

	okAt     []time.Time // when recent unthrottled answers came (the last 2 to 3 s)
	openedAt time.Time   // when the gate last opened
	known    bool        // a ceiling was learned from what the server accepted
	softAt   time.Time   // when the pace was last lowered without shutting the gate
	lastThr  time.Time   // when the last 429 came
	steadyTo time.Time   // the pace does not climb before then (after a drop it could not size)
	blind    bool        // the last drop could not be sized: climb in small steps until a 429 sizes it

	attempts  atomic.Int64
	throttled atomic.Int64
	retries   atomic.Int64
}

// Unlimited is the rate of a Pacer that sets no pace of its own: it only shuts its gate
// for the Retry-After of a 429.
var Unlimited = math.Inf(1)

// NewPacer returns a pacer that grants at most rate attempts per second with bursts of
// up to burst attempts, starting at rate. Unlimited sets no pace (only the gate after a
// 429); another rate that is not positive and finite means DefaultRate; a burst below 1
// means DefaultBurst.
func NewPacer(r float64, burst int) *Pacer {
	if !(r > 0) || math.IsInf(r, -1) || math.IsNaN(r) {
		r = DefaultRate
	}
	if burst < 1 {
		burst = DefaultBurst
	}
	p := &Pacer{
		max:       r,
		burst:     burst,
		floor:     math.Min(r, minRate),
		ceiling:   r,
		changed:   make(chan struct{}),
		probeDone: make(chan struct{}),
		turnstile: make(chan struct{}, 1),
	}
	// The run starts at the configured rate: the user chose it, and the gate and the
	// probe bound what a rate set too high costs to about the requests in flight
	// when the first 429 comes back.
	p.limit = r
	p.lim = rate.NewLimiter(limitOf(p.limit), burstAt(p.limit, r, burst))
	p.openedAt = time.Now() // what the server accepted is counted from here
	return p
}

// Wait blocks until the gate is open and the pace grants one attempt, or until ctx ends.
// It satisfies client.Limiter.
//
// When a pause ends, one attempt goes first, as a probe, and the others wait for an
// answer to it (at most probeHold): if the server still throttles, only the probe meets
// a 429, not every caller that waited behind the gate.
//
// While call has not reached the service (its first attempt, or a retry after a 429,
// which the service did not apply), Wait gives up with ErrNotSent as soon as call.Stop
// closes (the run stopped: interrupted, credentials rejected, output unwritable), so
// that no new request starts and a long Retry-After does not hold a stop back; retries
// of a request that may have been applied go on.
func (p *Pacer) Wait(ctx context.Context, call *Call) error {
	stop := unsentStop(call)
	refuse := func() error { return ErrNotSent }
	if err := holdBack(ctx, call, stop); err != nil {
		return err
	}
	for {
		t := p.turn(time.Now())
		if t.wait > 0 {
			timer := time.NewTimer(t.wait)
			select {
			case <-timer.C:
			case <-t.change:
			case <-ctx.Done():
				timer.Stop()
				return context.Cause(ctx)
			case <-stop:
				timer.Stop()
				return refuse()
			}
			timer.Stop()
			continue // look again: the pause may have grown, the probe been answered
		}
		// One caller at a time holds a reservation: the limiter then never has a queue
		// of reservations made at an older pace, and a change of pace applies to
		// everyone behind the head at once.
		var again bool
		var err error
		select {
		case p.turnstile <- struct{}{}:
			again, err = p.reserve(ctx, stop, t.changed)
			<-p.turnstile
		case <-t.changed:
			again = true
		case <-ctx.Done():
			err = context.Cause(ctx)
		case <-stop:
			err = ErrNotSent
		}
		if err != nil || again {
			if t.probe {
				p.releaseProbe(t.probeAt)
			}
			if errors.Is(err, ErrNotSent) {
				return refuse()
			}
			if err != nil {
				return err
			}
			continue
		}
		if t.probe {
			p.probeSent(t.probeAt)
		}
		return nil
	}
}

// turn is what a caller of Wait must do at now: wait (up to wait, or until change is
// closed) or go to the limiter, as the probe after a pause if probe is set.
type turn struct {
	wait    time.Duration
	change  <-chan struct{}
	changed <-chan struct{} // closed when a 429 shuts the gate or the pace changes
	probe   bool
	probeAt time.Time
}

func (p *Pacer) turn(now time.Time) turn {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := turn{changed: p.changed}
	switch {
	case now.Before(p.pausedUntil):
		t.wait, t.change = p.pausedUntil.Sub(now), p.changed
	case p.probing && p.probeOut && now.Sub(p.probeAt) < probeHold:
		t.wait, t.change = probeHold-now.Sub(p.probeAt), p.probeDone
	case p.probing:
		p.probeOut, p.probeAt = true, now
		t.probe, t.probeAt = true, now
	}
	return t
}

// reserve takes one token from the limiter and waits until it is due. again is set
// when a 429 shut the gate meanwhile: the token is given back and the caller must wait
// behind the gate. err is ctx's cause, or ErrNotSent when stop closed first.
func (p *Pacer) reserve(ctx context.Context, stop, changed <-chan struct{}) (again bool, err error) {
	r := p.lim.Reserve()
	if d := r.Delay(); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			r.Cancel()
			return false, context.Cause(ctx)
		case <-stop:
			r.Cancel()
			return false, ErrNotSent
		case <-changed:
			// A 429 shut the gate, or the pace changed, while this caller waited: give
			// the token back and reserve again at the new pace, after any pause. A
			// reservation made at the old pace would let the next caller through too
			// soon after it when the pace went up.
			r.Cancel()
			return true, nil
		}
	}
	// Never grant past a stop that came while the token was due.
	select {
	case <-ctx.Done():
		r.Cancel()
		return false, context.Cause(ctx)
	case <-stop:
		r.Cancel()
		return false, ErrNotSent
	default:
	}
	return false, nil
}

// releaseProbe lets another caller probe when the one that took the probe at probeAt
// sent nothing.
func (p *Pacer) releaseProbe(probeAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.probeOut && p.probeAt.Equal(probeAt) {
		p.probeOut = false
		p.signalProbe()
	}
}

// probeSent starts the probe's hold when the probe that took its turn at probeAt is
// let through.
func (p *Pacer) probeSent(probeAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.probeOut && p.probeAt.Equal(probeAt) {
		p.probeAt = time.Now()
	}
}

// signalProbe wakes the callers that wait for the probe. The caller holds p.mu.
func (p *Pacer) signalProbe() {
	close(p.probeDone)
	p.probeDone = make(chan struct{})
}

// holdBack waits until call may be attempted again (its own 429's Retry-After), or
// until ctx ends or stop closes.
func holdBack(ctx context.Context, call *Call, stop <-chan struct{}) error {
	if call == nil {
		return nil
	}
	d := time.Until(call.notBefore)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-stop:
		return ErrNotSent
	}
}

// signalChange wakes the callers that wait behind the gate or for a token. The caller
// holds p.mu.
func (p *Pacer) signalChange() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// setLimit sets the pace and the burst that goes with it. The caller holds p.mu.
func (p *Pacer) setLimit(now time.Time, l float64) {
	p.signalChange()
	p.limit = l
	p.lim.SetLimitAt(now, limitOf(l))
	if b := burstAt(l, p.max, p.burst); b != p.lim.Burst() {
		p.lim.SetBurstAt(now, b)
	}
}

// Limit reports the current pace in attempts per second.
func (p *Pacer) Limit() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// Rate reports the configured pace, the most the pacer ever grants per second.
func (p *Pacer) Rate() float64 { return p.max }

// Burst reports the configured burst.
func (p *Pacer) Burst() int { return p.burst }

// Attempts reports how many attempts Observe has seen.
func (p *Pacer) Attempts() int { return int(p.attempts.Load()) }

// Throttled reports how many attempts were answered 429.
func (p *Pacer) Throttled() int { return int(p.throttled.Load()) }

// Retries reports how many attempts were retries (attempt number above 1).
func (p *Pacer) Retries() int { return int(p.retries.Load()) }
