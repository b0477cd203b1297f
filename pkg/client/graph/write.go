package graph

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// write is one write as a batch item: a PATCH of a user or an assignLicense POST.
type write struct {
	op     string // "set usage location", "assign licenses"
	method string
	url    string // relative to the version
	body   []byte
	// shows reads whether the write is in effect, for an attempt whose answer was
	// lost; nil for a write that may simply be sent again (a PATCH).
	shows func(ctx context.Context) bool
}

// appliedUnanswered is the warning of a write whose answer was lost and whose
// effect a read then showed.
const appliedUnanswered = "the answer to an attempt was lost (no answer to its $batch); reading the user showed the change in effect, so it was not sent again"

// sendWrite sends w as call (Kind Write, Tenant set; the caller's own copy) until it
// has a final answer: each attempt waits on the limiter as a call of its own, goes
// out in the tenant's next $batch and is reported to the limiter. confirmed is set
// when the write was found in effect by a read rather than answered.
func (b *Backend) sendWrite(ctx context.Context, w write, call *client.Call) (confirmed bool, err error) {
	var s sendState
	for {
		if s.recheck && w.shows != nil && w.shows(ctx) {
			return true, nil
		}
		if err := b.waitTurn(ctx, call); err != nil {
			return false, b.waitError(ctx, w.op, call, err)
		}
		ans := b.submit(ctx, &item{method: w.method, url: w.url, body: w.body, call: call})
		if ans.sent {
			call.Attempts++
			call.StatusCode, call.Header = ans.status, ans.header
			b.core.Observe(call, b.attempt(w.op, call, ans))
		}
		if done, confirmed, err := b.afterAttempt(ctx, w, call, ans, &s); done {
			return confirmed, err
		}
	}
}

// sendState is what the attempts of a write so far tell.
type sendState struct {
	recheck bool // the last attempt got no answer: read before sending again
	doubt   bool // some attempt got no answer: the write may be in effect
}

// afterAttempt decides what follows an attempt: done with its outcome, or another
// attempt after the wait it needs. A 429 waits the longest Retry-After of its batch,
// a 5xx a back-off; an attempt with no answer puts the write in doubt: it is no
// longer stopped, and is read before it is sent again.
func (b *Backend) afterAttempt(ctx context.Context, w write, call *client.Call, ans itemAnswer, s *sendState) (done, confirmed bool, err error) {
	switch {
	case ans.status >= 200 && ans.status <= 299:
		return true, false, nil
	case ctx.Err() != nil:
		return true, false, b.canceled(ctx, w.op, call)
	case ans.status == 0 && !ans.doubt:
		return true, false, fmt.Errorf("%s (request ID %s): %w", w.op, call.RequestID, ans.err)
	}
	last := call.Attempts >= b.policy.MaxAttempts
	s.recheck = ans.status == 0
	switch {
	case ans.status == 0 && last:
		if w.shows != nil && w.shows(ctx) {
			return true, true, nil
		}
		return true, false, &client.TransportError{Op: w.op, RequestID: call.RequestID,
			CorrelationID: b.core.CorrelationID(), Attempts: call.Attempts, Err: ans.err}
	case ans.status == 0:
		// It may be in effect: a stop no longer keeps it from being completed.
		s.doubt, call.Stop = true, nil
		if err := client.Sleep(ctx, client.Backoff(b.policy, call.Attempts, rand.Int64N)); err != nil {
			return true, false, b.canceled(ctx, w.op, call)
		}
	case ans.status == http.StatusTooManyRequests && !last:
		// Not applied: a stop while it waits sends nothing more.
		if err := waitOrStop(ctx, ans.retryAfter, call.Stop); err != nil {
			return true, false, b.waitError(ctx, w.op, call, err)
		}
	case client.ShouldRetry(ans.status, nil) && !last:
		if err := client.Sleep(ctx, client.Backoff(b.policy, call.Attempts, rand.Int64N)); err != nil {
			return true, false, b.canceled(ctx, w.op, call)
		}
	default:
		err := b.itemError(w.op, call, ans)
		// Sent again after a lost answer, a write may be refused for what the lost
		// attempt did (a license removed twice): look once more.
		if s.doubt && w.shows != nil && refusedForRepeat(err) && w.shows(ctx) {
			return true, true, nil
		}
		return true, false, err
	}
	return false, false, nil
}

// refusedForRepeat reports whether err is a refusal that repeating an applied
// assignLicense can bring: the license to remove is no longer held, or (where
// re-adding needs a free seat) the seat it took was the last.
func refusedForRepeat(err error) bool {
	var e *client.APIError
	return errors.As(err, &e) && (e.Reason == client.ReasonNotHeld || e.Reason == client.ReasonNoSeats)
}

// attempt describes one attempt of an item for the limiter.
func (b *Backend) attempt(op string, call *client.Call, ans itemAnswer) client.Attempt {
	a := client.Attempt{Op: op, Kind: client.Write, Tenant: call.Tenant, RequestID: call.RequestID,
		Number: call.Attempts, StatusCode: ans.status, Elapsed: ans.elapsed}
	if ans.status == http.StatusTooManyRequests {
		a.RetryAfter = ans.retryAfter
	}
	if ans.status == 0 {
		a.Err = ans.err
	}
	return a
}

// waitTurn holds an attempt back until the limiter lets it go, as the core does: a
// call not sent yet whose Stop is closed is not sent.
func (b *Backend) waitTurn(ctx context.Context, call *client.Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if call.Attempts == 0 && call.Stop != nil {
		select {
		case <-call.Stop:
			return client.ErrNotSent
		default:
		}
	}
	return b.core.Limiter().Wait(ctx, call)
}

// waitError turns a failed wait before an attempt into the call's error.
func (b *Backend) waitError(ctx context.Context, op string, call *client.Call, err error) error {
	switch {
	case errors.Is(err, client.ErrNotSent):
		return fmt.Errorf("%s: %w", op, client.ErrNotSent)
	case ctx.Err() != nil:
		return b.canceled(ctx, op, call)
	}
	return fmt.Errorf("%s: wait for the limiter: %w", op, err)
}

// canceled is the error of a write whose context ended; it wraps the context's cause.
func (b *Backend) canceled(ctx context.Context, op string, call *client.Call) error {
	return fmt.Errorf("%s: %w (request ID %s, correlation ID %s, %d attempts)",
		op, context.Cause(ctx), call.RequestID, b.core.CorrelationID(), call.Attempts)
}

// waitOrStop waits d, or until ctx ends (its error) or stop closes (ErrNotSent).
func waitOrStop(ctx context.Context, d time.Duration, stop <-chan struct{}) error {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return client.ErrNotSent
	}
}
