package client

import (
	"math"
	"net/http"
	"time"
)

// Observe takes the outcome of one attempt of call; the client calls it.
//
// A 429 shuts the gate for its Retry-After and lowers the pace (backOffTo), once per
// burst of 429s: a 429 to an attempt sent before the last decrease only extends the
// pause (see throttle for a probe refused). A 2xx or a 4xx other than 429 to an attempt sent after the gate
// opened ends the probe, and counts toward the next increase; a 5xx or no answer to the
// probe lets another caller probe.
func (p *Pacer) Observe(call *Call, a Attempt) {
	p.attempts.Add(1)
	if a.Number > 1 {
		p.retries.Add(1)
	}
	now := time.Now()
	sentAt := now.Add(-a.Elapsed)
	p.mu.Lock()
	defer p.mu.Unlock()
	afterGate := p.probing && !sentAt.Before(p.pausedUntil)
	switch {
	case a.StatusCode == http.StatusTooManyRequests:
		p.throttled.Add(1)
		p.successes = 0
		p.throttle(call, now, sentAt, pauseUntil(now, a.RetryAfter))
	case a.Err != nil || a.StatusCode <= 0 || a.StatusCode >= http.StatusInternalServerError:
		// No word on throttling: another caller may probe.
		if afterGate && p.probeOut {
			p.probeOut = false
			p.signalProbe()
		}
	default:
		if afterGate {
			p.probing, p.probeOut = false, false
			p.signalProbe()
		}
		p.okAt = append(p.okAt, now)
		if now.Sub(p.okAt[0]) > acceptedWindow+time.Second {
			i := 0
			for i < len(p.okAt) && now.Sub(p.okAt[i]) > acceptedWindow {
				i++
			}
			p.okAt = append(p.okAt[:0], p.okAt[i:]...)
		}
		p.successes++
		switch {
		case now.Before(p.steadyTo):
			p.successes = 0
		case p.limit < p.max:
			if p.successes >= successesPerStep(p.limit) {
				p.successes = 0
				// Steps sized on the pace (or on the ceiling, when lower): after a drop
				// well under the old ceiling, the climb does not overshoot a new one.
				st := step(math.Min(p.ceiling, p.limit))
				switch {
				case p.limit >= 0.95*p.ceiling:
					st /= 50 // near where the server last throttled: probe gently
				case p.blind:
					st /= 4
				}
				p.setLimit(now, increase(p.limit, st, p.max))
			}
		}
	}
}

// throttle takes a 429 answered at now to an attempt of call sent at sentAt, whose
// Retry-After ends at until. The caller holds p.mu.
//
// A 429 while the pace probes just above a ceiling already learned, or climbs blind
// after a drop it could not size (what the server accepted then sizes it), with the
// gate open and no 429 in the last softGap, is a probe refused: only its call waits out
// the Retry-After, and the pace drops just under what the server accepted; everyone
// else goes on. Any other 429 shuts the gate for everyone until its Retry-After and lowers
// the pace (once per burst of 429s: one to an attempt sent before the last decrease
// only extends the pause, or, after a soft decrease, holds its own call back).
func (p *Pacer) throttle(call *Call, now, sentAt, until time.Time) {
	defer func() { p.lastThr = now }()
	if stale(sentAt, p.decreasedAt) {
		if p.softAt.Equal(p.decreasedAt) && !now.Before(p.pausedUntil) {
			holdCall(call, until) // sent at the pace the probe found too fast
			return
		}
		p.shutGate(until)
		return
	}
	accepted := p.acceptedRate(now)
	if p.known && !now.Before(p.pausedUntil) && now.Sub(p.lastThr) > softGap && (p.limit >= 0.9*p.ceiling || p.blind && accepted > 0 && !now.Before(p.steadyTo)) {
		holdCall(call, until)
		next, ceiling := backOffTo(p.limit, accepted, p.floor, softFactor)
		p.ceiling, p.blind = ceiling, false
		p.setLimit(now, next)
		p.decreasedAt, p.softAt, p.openedAt = now, now, now
		p.okAt = p.okAt[:0]
		return
	}
	p.shutGate(until)
	// The server throttled: what it accepted over the last seconds is its ceiling, as
	// far as can be told.
	next, ceiling := backOffTo(p.limit, accepted, p.floor, hardFactor)
	// Halved blindly: hold the pace a while, to see whether the server takes it, then
	// climb in small steps (the server's answer to a pace too fast can come seconds
	// late, once a token bucket's burst is spent).
	p.blind = accepted <= 0
	if p.blind {
		p.steadyTo = until.Add(steadyHold)
	}
	p.known = p.known || accepted > 0
	p.ceiling = ceiling
	p.setLimit(now, next)
	p.decreasedAt = now
	p.openedAt = p.pausedUntil
	p.okAt = p.okAt[:0]
}

// shutGate holds every caller back until until (or longer, if it already was). The
// caller holds p.mu.
func (p *Pacer) shutGate(until time.Time) {
	if until.After(p.pausedUntil) {
		p.pausedUntil = until
		p.probing, p.probeOut = true, false
		p.signalChange()
		p.signalProbe()
	}
}

// holdCall keeps call from its next attempt until until.
func holdCall(call *Call, until time.Time) {
	if call != nil && until.After(call.notBefore) {
		call.notBefore = until
	}
}

// acceptedRate is the rate of unthrottled answers since the pace last changed, over
// acceptedWindow at most; 0 when there is too little to tell. The caller holds p.mu.
func (p *Pacer) acceptedRate(now time.Time) float64 {
	from := now.Add(-acceptedWindow)
	if p.openedAt.After(from) {
		from = p.openedAt
	}
	span := now.Sub(from)
	k := 0
	for _, t := range p.okAt {
		if t.After(from) {
			k++
		}
	}
	if span < 250*time.Millisecond || k < 5 {
		return 0
	}
	return float64(k) / span.Seconds()
}
