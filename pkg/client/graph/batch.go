package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// maxBatch is the most requests one $batch carries.
//
// See https://learn.microsoft.com/graph/json-batching
const maxBatch = 20

// lingerConfig is when a tenant's waiting writes go out as a $batch: wait after the
// first one arrives, or at once when size are waiting.
type lingerConfig struct {
	wait time.Duration
	size int
}

// defaultLinger gathers the writes that arrive within 5 ms of the first, up to 20.
var defaultLinger = lingerConfig{wait: 5 * time.Millisecond, size: maxBatch}

// item is one write waiting for, or carried by, a $batch.
type item struct {
	ctx    context.Context
	method string // POST or PATCH
	url    string // relative to the version: /users/{id}/assignLicense
	body   []byte
	call   *client.Call // Kind Write, the tenant, the item's client-request-id and attempts
	done   chan itemAnswer
}

// itemAnswer is what one attempt of an item came to.
type itemAnswer struct {
	status     int         // the item's own status; 0 when none came
	header     http.Header // the item's own headers
	body       []byte
	retryAfter time.Duration // on a 429: the longest Retry-After of its batch
	elapsed    time.Duration // the round trip of its $batch
	sent       bool          // the $batch went out at least once
	err        error         // the $batch's failure, when the item has no answer
	doubt      bool          // no answer, and the item may have been applied
}

// queue is one tenant's writes waiting for a $batch.
type queue struct {
	tenant  string
	pending []*item
	taken   chan struct{} // closed when pending goes out, ending the linger under way
}

// submit hands it to its tenant's next $batch and waits for its answer. When ctx ends
// first, an item still waiting is withdrawn (sent false); one already sent is left to
// its $batch.
func (b *Backend) submit(ctx context.Context, it *item) itemAnswer {
	it.ctx = ctx
	it.done = make(chan itemAnswer, 1)
	b.enqueue(it)
	select {
	case ans := <-it.done:
		return ans
	case <-ctx.Done():
		if b.withdraw(it) {
			return itemAnswer{err: context.Cause(ctx)}
		}
		return itemAnswer{err: context.Cause(ctx), sent: true, doubt: true}
	}
}

// enqueue adds it to its tenant's queue: the queue goes out when full, else a linger
// started by its first item sends it.
func (b *Backend) enqueue(it *item) {
	key := strings.ToLower(it.call.Tenant)
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[key]
	if q == nil {
		q = &queue{tenant: it.call.Tenant}
		b.queues[key] = q
	}
	q.pending = append(q.pending, it)
	switch {
	case len(q.pending) >= b.linger.size:
		batch := b.take(key, q)
		go b.send(q.tenant, batch)
	case len(q.pending) == 1:
		q.taken = make(chan struct{})
		go b.lingerThenSend(key, q, q.taken)
	}
}

// lingerThenSend sends what q holds after the linger, unless it went out meanwhile
// (taken closed).
func (b *Backend) lingerThenSend(key string, q *queue, taken chan struct{}) {
	t := time.NewTimer(b.linger.wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-taken:
		return
	}
	b.mu.Lock()
	if q.taken != taken {
		b.mu.Unlock()
		return
	}
	batch := b.take(key, q)
	b.mu.Unlock()
	b.send(q.tenant, batch)
}

// take empties q, retiring it and its linger. The caller holds b.mu.
func (b *Backend) take(key string, q *queue) []*item {
	batch := q.pending
	q.pending = nil
	if q.taken != nil {
		close(q.taken)
		q.taken = nil
	}
	if b.queues[key] == q {
		delete(b.queues, key)
	}
	return batch
}

// withdraw takes it out of its queue if it is still waiting there.
func (b *Backend) withdraw(it *item) bool {
	key := strings.ToLower(it.call.Tenant)
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[key]
	if q == nil {
		return false
	}
	i := slices.Index(q.pending, it)
	if i < 0 {
		return false
	}
	q.pending = slices.Delete(q.pending, i, i+1)
	if len(q.pending) == 0 {
		b.take(key, q)
	}
	return true
}

// batchRequest is one request of a $batch body.
type batchRequest struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// batchResponse is one response of a $batch answer.
type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// send posts batch as one $batch (an Envelope call: the items were paced one by one)
// and hands each item its answer. Items are numbered 1 to n.
func (b *Backend) send(tenant string, batch []*item) {
	ctx, release := batchContext(batch)
	defer release()
	reqs := make([]batchRequest, len(batch))
	for i, it := range batch {
		reqs[i] = batchRequest{ID: strconv.Itoa(i + 1), Method: it.method, URL: it.url, Body: it.body,
			Headers: map[string]string{"Content-Type": "application/json", RequestIDHeader: it.call.RequestID}}
	}
	body, err := json.Marshal(struct {
		Requests []batchRequest `json:"requests"`
	}{reqs})
	var answers []itemAnswer
	if err != nil {
		answers = sameAnswer(len(batch), itemAnswer{err: fmt.Errorf("send batch: encode: %w", err)})
	} else {
		call := &client.Call{Kind: client.Envelope, Tenant: tenant}
		start := time.Now()
		// One attempt: a $batch that got no answer leaves its items in doubt, and only
		// the items' own retries know whether to send them again.
		ans, err := b.core.Do(ctx, client.Request{Op: "send batch", Method: http.MethodPost,
			URL: b.core.Endpoint("v1.0/$batch"), Body: body, MaxAttempts: 1}, call)
		answers = b.answers(len(batch), ans, err, call.Sent())
		for i := range answers {
			answers[i].elapsed = time.Since(start)
		}
	}
	for i, it := range batch {
		it.done <- answers[i]
	}
}

// batchContext is the context a $batch is sent with: it ends when every item's
// context has ended, and keeps the values of the first.
func batchContext(batch []*item) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	var left atomic.Int64
	left.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, it := range batch {
		stops[i] = context.AfterFunc(it.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// answers splits a $batch answer into its n items' answers. A $batch that failed
// gives every item the same answer: a 429 (not applied) to retry after its
// Retry-After; no answer or a 5xx leaves the items in doubt; any other failure (no
// token, 401, 403, 400) is final.
func (b *Backend) answers(n int, ans *client.Answer, err error, sent bool) []itemAnswer {
	var te *client.ThrottleError
	var ae *client.APIError
	switch {
	case errors.As(err, &te):
		return sameAnswer(n, itemAnswer{status: http.StatusTooManyRequests, retryAfter: te.RetryAfter, sent: true, err: err})
	case errors.As(err, &ae) && ae.StatusCode >= 500:
		return sameAnswer(n, itemAnswer{sent: true, doubt: true, err: err})
	case errors.As(err, &ae):
		classify(err)
		return sameAnswer(n, itemAnswer{sent: true, err: err})
	case err != nil:
		return sameAnswer(n, itemAnswer{sent: sent, doubt: sent, err: err})
	}
	var out struct {
		Responses []batchResponse `json:"responses"`
	}
	if err := json.Unmarshal(ans.Body, &out); err != nil {
		return sameAnswer(n, itemAnswer{sent: true, doubt: true, err: fmt.Errorf("send batch: decode %d answer: %w", ans.Status, err)})
	}
	answers := sameAnswer(n, itemAnswer{sent: true, doubt: true, err: errors.New("send batch: the answer has no response for the item")})
	var longest time.Duration
	for _, r := range out.Responses {
		i, err := strconv.Atoi(r.ID)
		if err != nil || i < 1 || i > n {
			continue
		}
		h := make(http.Header, len(r.Headers))
		for k, v := range r.Headers {
			h.Set(k, v)
		}
		a := itemAnswer{status: r.Status, header: h, body: r.Body, sent: true}
		if r.Status == http.StatusTooManyRequests {
			a.retryAfter = retryAfterOf(b.policy, h, time.Now())
			longest = max(longest, a.retryAfter)
		}
		answers[i-1] = a
	}
	for i := range answers {
		if answers[i].status == http.StatusTooManyRequests {
			answers[i].retryAfter = longest
		}
	}
	return answers
}

// sameAnswer is n copies of a.
func sameAnswer(n int, a itemAnswer) []itemAnswer {
	out := make([]itemAnswer, n)
	for i := range out {
		out[i] = a
	}
	return out
}
