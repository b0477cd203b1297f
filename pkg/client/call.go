package client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Kind says which budget paces a call: the APIs limit reads and writes separately.
type Kind uint8

const (
	// Read is a call that changes nothing: a catalogue, a user listing, a lookup.
	Read Kind = iota
	// Write is a call that changes licenses or users.
	Write
	// Envelope is a call that carries calls paced on their own (Graph's $batch): it
	// is not paced itself.
	Envelope
)

func (k Kind) String() string {
	switch k {
	case Write:
		return "write"
	case Envelope:
		return "envelope"
	}
	return "read"
}

// Response is how one logical call went: the last HTTP answer (if any) and how many
// attempts the call took. Calls fill it in also when they fail, so that callers can
// always report the attempt count and the request ID.
type Response struct {
	// StatusCode is the status of the last attempt's answer, 0 if none arrived.
	StatusCode int
	// Header is the last answer's header, nil if none arrived.
	Header http.Header
	// RequestID is the request ID the call sent on every attempt.
	RequestID string
	// CorrelationID is the client's correlation ID.
	CorrelationID string
	// Attempts is how many HTTP attempts the call made: 0 when nothing was sent.
	Attempts int
}

// Call is one logical call as the caller and the limiter see it. The caller sets Kind,
// Tenant and Stop (backends set Kind and Tenant for their calls); the client fills in
// the Response. A Call is used by one goroutine at a time.
type Call struct {
	// Kind is the budget that paces the call.
	Kind Kind
	// Tenant is the customer tenant the call is for: its token and its budget when the
	// API limits per tenant. "" when the API takes one token for every customer.
	Tenant string
	// Stop, when not nil and closed before the first attempt is let through, keeps the
	// call from being sent: the call returns an error wrapping ErrNotSent. Retries of a
	// call already sent are not stopped by it.
	Stop <-chan struct{}
	Response
	// notBefore holds the call's next attempt back (a Retry-After its own 429 asked
	// for, while other calls go on).
	notBefore time.Time
}

// Sent reports whether at least one attempt of the call went out.
func (c *Call) Sent() bool { return c.Attempts > 0 }

// ErrNotSent is wrapped by the error of a call that sent nothing because its Stop
// closed first.
var ErrNotSent = errors.New("not sent: stopped before the first attempt")

// Limiter paces HTTP attempts: the client calls Wait before every attempt, retries
// included, telling it which call the attempt belongs to, and Observe after it. Wait
// must return an error wrapping ErrNotSent when call.Stop closes while it waits for a
// call's first attempt (call.Attempts == 0), and ctx's error when ctx ends. *Pacer
// and *Pacing are Limiters.
type Limiter interface {
	Wait(ctx context.Context, call *Call) error
	Observe(call *Call, a Attempt)
}

// Attempt describes one HTTP attempt; the limiter and an observer set with
// WithObserver receive one per attempt, after the answer (or the transport error).
type Attempt struct {
	Op         string // the call, e.g. "update licenses"
	Kind       Kind
	Tenant     string
	RequestID  string // equal on every attempt of one call
	Number     int    // 1 for the first attempt
	StatusCode int    // 0 when no answer arrived
	Err        error  // the transport error (scrubbed), nil when an answer arrived
	// RetryAfter is, on a 429, how long the server asked callers to wait: its
	// Retry-After, the policy's default when absent, at most the policy's cap; else 0.
	RetryAfter time.Duration
	// Elapsed is how long the attempt took.
	Elapsed time.Duration
}
