package client

import (
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// decrease is the multiplicative decrease: the new target is half the pace at which
// the server throttled, not below floor.
func decrease(limit, floor float64) float64 {
	return math.Max(floor, limit/2)
}

// backOffTo is the pace after a 429 at pace limit, and the ceiling it tells: factor
// times accepted, the rate of unthrottled answers just before (0: unknown), or times
// the pace when more than the pace passed (a token bucket's burst does: the server
// still throttled at this pace), never below half the pace; half the pace, not below
// floor, when accepted is unknown.
func backOffTo(limit, accepted, floor, factor float64) (next, ceiling float64) {
	next = decrease(limit, floor)
	if accepted <= 0 {
		return next, limit
	}
	return math.Max(next, factor*math.Min(limit, accepted)), math.Min(accepted, limit)
}

// The factors of what the server accepted that the pace drops to: after a burst of
// 429s (hardFactor) and after a probe refused (softFactor), and the quiet time after a
// 429 before the next may count as a probe refused.
const (
	hardFactor = 0.95
	softFactor = 0.97
	softGap    = 3 * time.Second
	steadyHold = 2 * time.Second
	// acceptedWindow is the longest span over which what the server accepted is
	// counted (since the last change of pace): long enough that a burst a token bucket
	// lets through does not pass for its rate.
	acceptedWindow = 10 * time.Second
)

// increase is the additive increase: limit plus step, not above max.
func increase(limit, step, max float64) float64 {
	return math.Min(max, limit+step)
}

// step is how much one additive increase adds: stepFraction of the pace at which the
// server last throttled, so that the pace climbs back to it in about 1/stepFraction
// steps.
func step(ceiling float64) float64 {
	return math.Max(ceiling*stepFraction, minRate*stepFraction)
}

// successesPerStep is how many unthrottled answers earn one additive increase: about
// a second's worth at the current pace, at least minSuccesses.
func successesPerStep(limit float64) int {
	return max(minSuccesses, int(math.Ceil(limit)))
}

// burstAt is the limiter's burst at pace limit: the configured burst at the configured
// rate, else 1, so that a server that throttled meets no burst it may not allow; and
// at least timerSlack's worth of the pace, so that a caller woken late by its timer is
// made up for rather than lost.
func burstAt(limit, max float64, burst int) int {
	if math.IsInf(limit, 1) {
		return burst
	}
	b := 1
	if limit >= max {
		b = burst
	}
	if slack := int(math.Ceil(limit * timerSlack.Seconds())); slack > b {
		b = slack
	}
	return b
}

// limitOf is the rate.Limit of a pace in attempts per second; Unlimited is rate.Inf.
func limitOf(l float64) rate.Limit {
	if math.IsInf(l, 1) {
		return rate.Inf
	}
	return rate.Limit(l)
}

// timerSlack is how late a timer of under a millisecond may fire: the runtime parks in
// the network poller for whole milliseconds. Waiting callers take their turns one at a
// time, so above 1/timerSlack attempts per second (500/s) a bucket of one token would
// lose every late wake-up: at 2,000/s with a burst of 1 the pace achieved was about 70%.
const timerSlack = 2 * time.Millisecond

// pauseUntil is when the gate opens again after a 429 at now asking callers to wait
// retryAfter; a 429 without Retry-After still pauses minPause (never retry at once).
func pauseUntil(now time.Time, retryAfter time.Duration) time.Time {
	return now.Add(max(retryAfter, minPause))
}

// stale reports whether a 429 to an attempt sent at sentAt belongs to a burst that
// already lowered the pace at decreasedAt.
func stale(sentAt, decreasedAt time.Time) bool {
	return !decreasedAt.IsZero() && !sentAt.After(decreasedAt)
}

// unsentStop is the channel that stops call while nothing of it can have been applied:
// before its first attempt, and after an answer of 429 (the service did not process
// it); nil otherwise.
func unsentStop(call *Call) <-chan struct{} {
	if call == nil || call.Attempts > 0 && call.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	return call.Stop
}
