package client

import (
	"context"
	"time"
)

// Limiter paces HTTP attempts: the client calls Wait before every attempt, retries
// included. *rate.Limiter from golang.org/x/time/rate satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Attempt describes one HTTP attempt; an observer set with WithObserver receives one
// per attempt, after the answer (or the transport error) arrived.
type Attempt struct {
	Op         string // the call, e.g. "update licenses"
	RequestID  string // the MS-RequestId, equal on every attempt of one call
	Number     int    // 1 for the first attempt
	StatusCode int    // 0 when no answer arrived
	Err        error  // the transport error (scrubbed), nil when an answer arrived
	// RetryAfter is, on a 429, how long the client pauses every call: the server's
	// Retry-After, the policy's default when absent, at most the policy's cap; else 0.
	RetryAfter time.Duration
	// Elapsed is how long the attempt took.
	Elapsed time.Duration
}
