package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestConcurrentWritesOfATenantShareBatchesOf20(t *testing.T) {
	for _, c := range []struct{ n, batches, last int }{{1, 1, 1}, {20, 1, 20}, {25, 2, 5}, {41, 3, 1}} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, c.n, nil)
			var changes []client.Change
			for _, u := range e.users {
				changes = append(changes, assign(tenantA, u.ID, skuE5))
			}
			start := time.Now()
			for i, err := range applyAll(e.be, changes) {
				if err != nil {
					t.Fatalf("change %d: %v", i, err)
				}
			}
			b := e.rec.batches(t)
			if len(b) != c.batches || len(b[len(b)-1]) != c.last {
				t.Fatalf("%d writes: %d batches, the last of %d; want %d, %d", c.n, len(b), len(b[len(b)-1]), c.batches, c.last)
			}
			for i, items := range b {
				for j, it := range items {
					if it.ID != strconv.Itoa(j+1) {
						t.Errorf("batch %d item %d has id %q", i, j, it.ID)
					}
				}
			}
			// Full batches leave at once; the rest after the 5 ms linger.
			if d := time.Since(start); c.n%20 != 0 && d != 5*time.Millisecond || c.n%20 == 0 && d != 0 {
				t.Errorf("%d writes took %v", c.n, d)
			}
		})
	}
}

// TestAThrottledItemIsRetriedAloneWithItsRequestID: a $batch of 5 writes meets a
// budget of 3; the 2 throttled items go again, only they, after the Retry-After,
// with the client-request-ids they had; nothing is applied twice.
func TestAThrottledItemIsRetriedAloneWithItsRequestID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 5, []graphfake.Option{graphfake.WithWriteLimit(3, 30*time.Second)})
		var changes []client.Change
		for _, u := range e.users {
			changes = append(changes, assign(tenantA, u.ID, skuE5))
		}
		start := time.Now()
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		b := e.rec.batches(t)
		if len(b) < 2 || len(b[0]) != 5 {
			t.Fatalf("batches %v", b)
		}
		throttled := map[string]bool{}
		for _, r := range e.fake.Requests() {
			if r.BatchItemID != "" && r.Status == http.StatusTooManyRequests {
				throttled[r.ClientRequestID] = true
			}
		}
		retried := 0
		for _, items := range b[1:] {
			for _, it := range items {
				retried++
				if !throttled[it.Headers["client-request-id"]] {
					t.Errorf("item %s sent again though it was not throttled", it.Headers["client-request-id"])
				}
			}
		}
		if len(throttled) != 2 || retried < 2 {
			t.Fatalf("%d throttled, %d re-sent; want 2, at least 2", len(throttled), retried)
		}
		// The retries waited the Retry-After of the 429 (one write in 10 s).
		for _, r := range e.fake.Requests() {
			if r.Status == http.StatusOK && throttled[r.ClientRequestID] && r.At.Sub(start) < 10*time.Second {
				t.Errorf("throttled item %s applied %v after the start, before its Retry-After", r.ClientRequestID, r.At.Sub(start))
			}
		}
		if st := e.fake.Stats(); st.Applied != 5 || st.Reapplied != 0 || len(e.fake.Holdings(tenantA)) != 5 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestAFailedBatchRetriesItsItems: a $batch answered 429 as a whole goes again after
// its Retry-After; one answered 503 leaves its items in doubt, so each is looked up
// before it is sent again.
func TestAFailedBatchRetriesItsItems(t *testing.T) {
	for _, c := range []struct {
		status int
		header http.Header
		wait   time.Duration
	}{
		{http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.StatusServiceUnavailable, nil, 0},
	} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, 2, nil)
			failed := false
			e.rec.hook = func(r *http.Request, _ []byte) (*http.Response, error, bool) {
				if failed || r.Method != http.MethodPost {
					return nil, nil, false
				}
				failed = true
				return answer(r, c.status, c.header, `{"error":{"code":"x","message":"y"}}`), nil, true
			}
			start := time.Now()
			call := &client.Call{}
			if _, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE5), call); err != nil {
				t.Fatalf("status %d: %v", c.status, err)
			}
			b := e.rec.batches(t)
			if len(b) != 2 || b[0][0].Headers["client-request-id"] != b[1][0].Headers["client-request-id"] || call.Attempts != 2 {
				t.Fatalf("status %d: batches %v, call %+v", c.status, b, call)
			}
			reads := len(e.rec.sent()) - 2
			if c.status == http.StatusTooManyRequests && (reads != 0 || time.Since(start) < c.wait) {
				t.Errorf("429: %d reads, retried after %v", reads, time.Since(start))
			}
			if c.status == http.StatusServiceUnavailable && reads != 1 {
				t.Errorf("503: %d reads before the retry, want 1", reads)
			}
			if st := e.fake.Stats(); st.Applied != 1 {
				t.Errorf("status %d: stats %+v", c.status, st)
			}
		})
	}
}

// TestAFailedItemIsRetriedAfterABackOff: the first $batch's odd items fail (503,
// not applied); they alone go again, with their client-request-ids, after a
// back-off; none is applied twice.
func TestAFailedItemIsRetriedAfterABackOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 6, nil)
		failOddItemsOfFirstBatch(t, e)
		var changes []client.Change
		for _, u := range e.users {
			changes = append(changes, assign(tenantA, u.ID, skuE5))
		}
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		b := e.rec.batches(t)
		failed := map[string]bool{}
		for _, it := range b[0] {
			if n, _ := strconv.Atoi(it.ID); n%2 == 1 {
				failed[it.Headers["client-request-id"]] = true
			}
		}
		resent := 0
		for _, items := range b[1:] {
			for _, it := range items {
				resent++
				if !failed[it.Headers["client-request-id"]] {
					t.Errorf("item %s sent again though it succeeded", it.Headers["client-request-id"])
				}
			}
		}
		if resent != 3 || len(e.rec.sent()) != len(b) {
			t.Errorf("%d items sent again, %d requests in all; want 3, no read", resent, len(e.rec.sent()))
		}
		if st := e.fake.Stats(); st.Applied != 6 || st.Reapplied != 0 || len(e.fake.Holdings(tenantA)) != 6 {
			t.Errorf("stats %+v", st)
		}
	})
}

// failOddItemsOfFirstBatch answers the odd items of the first $batch 503 without
// sending them; the fake runs the others.
func failOddItemsOfFirstBatch(t *testing.T, e *env) {
	first := true
	e.rec.hook = func(r *http.Request, body []byte) (*http.Response, error, bool) {
		if !first || !strings.HasSuffix(r.URL.Path, "/$batch") {
			return nil, nil, false
		}
		first = false
		var in struct{ Requests []json.RawMessage }
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatal(err)
		}
		var keep []json.RawMessage
		var failed []string
		for i, it := range in.Requests {
			if i%2 == 0 {
				failed = append(failed, `{"id":"`+strconv.Itoa(i+1)+`","status":503,"headers":{},"body":{"error":{"code":"serviceNotAvailable","message":"x"}}}`)
			} else {
				keep = append(keep, it)
			}
		}
		fwd, _ := json.Marshal(map[string]any{"requests": keep})
		req := r.Clone(r.Context())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(fwd)), int64(len(fwd))
		resp, err := e.fake.Transport().RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Responses []json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		for _, f := range failed {
			out.Responses = append(out.Responses, json.RawMessage(f))
		}
		merged, _ := json.Marshal(map[string]any{"responses": out.Responses})
		return answer(r, http.StatusOK, nil, string(merged)), nil, true
	}
}

func TestAStoppedCallSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		stop := make(chan struct{})
		close(stop)
		call := &client.Call{Stop: stop}
		ch := assign(tenantA, e.users[0].ID, skuE5)
		ch.UsageLocation = "US"
		applied, err := e.be.Apply(context.Background(), ch, call)
		if !errors.Is(err, client.ErrNotSent) || call.Sent() || applied.UsageLocationSet {
			t.Fatalf("Apply = %+v, %v; call %+v", applied, err, call)
		}
		if n := len(e.rec.sent()); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})
}

// TestAStopDuringARetryAfterSendsNothingMore: a throttled item was not applied, so a
// stop while it waits ends it as not sent.
func TestAStopDuringARetryAfterSendsNothingMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, []graphfake.Option{graphfake.WithWriteLimit(1, 60*time.Second)})
		if _, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE5), nil); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		call := &client.Call{Stop: stop}
		time.AfterFunc(time.Second, func() { close(stop) })
		_, err := e.be.Apply(context.Background(), assign(tenantA, e.users[1].ID, skuE5), call)
		if !errors.Is(err, client.ErrNotSent) || call.Attempts != 1 || call.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("Apply = %v; call %+v", err, call)
		}
		if len(e.rec.batches(t)) != 2 {
			t.Errorf("batches %v", e.rec.batches(t))
		}
	})
}

func TestACanceledWriteLeavesItsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := e.be.Apply(ctx, assign(tenantA, e.users[0].ID, skuE5), nil)
			done <- err
		}()
		synctest.Wait() // queued, lingering
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply = %v", err)
		}
		if _, err := e.be.Apply(context.Background(), assign(tenantA, e.users[1].ID, skuE5), nil); err != nil {
			t.Fatal(err)
		}
		b := e.rec.batches(t)
		if len(b) != 1 || len(b[0]) != 1 {
			t.Fatalf("batches %v: the canceled write must not be sent", b)
		}
	})
}

// TestAnItemThrottledToTheEndIsAThrottleError: five 429s are the most an item takes.
func TestAnItemThrottledToTheEndIsAThrottleError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, []graphfake.Option{graphfake.WithWriteLimit(1, time.Hour)})
		if _, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE5), nil); err != nil {
			t.Fatal(err)
		}
		call := &client.Call{}
		_, err := e.be.Apply(context.Background(), assign(tenantA, e.users[1].ID, skuE5), call)
		var te *client.ThrottleError
		if !errors.As(err, &te) || te.Attempts != 5 || te.RetryAfter != 120*time.Second || te.RequestID != call.RequestID || te.Code != "TooManyRequests" {
			t.Fatalf("Apply = %v (%+v)", err, te)
		}
		wantReason(t, err, http.StatusTooManyRequests, client.ReasonThrottled)
		if call.Attempts != 5 || len(e.rec.batches(t)) != 6 {
			t.Errorf("call %+v, %d batches", call, len(e.rec.batches(t)))
		}
	})
}

// TestAnItemNeverAnsweredIsATransportError: every $batch is lost before it reaches
// Graph; each retry first looks the user up (the change never shows), and after the
// last attempt the write fails with no answer.
func TestAnItemNeverAnsweredIsATransportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		e.rec.hook = func(r *http.Request, _ []byte) (*http.Response, error, bool) {
			if strings.HasSuffix(r.URL.Path, "/$batch") {
				return nil, io.ErrUnexpectedEOF, true
			}
			return nil, nil, false
		}
		call := &client.Call{}
		_, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE5), call)
		var te *client.TransportError
		if !errors.As(err, &te) || te.Attempts != 5 || te.RequestID != call.RequestID || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Apply = %v", err)
		}
		noSecret(t, err.Error())
		// 5 attempts, a read before each retry and one after the last.
		if n, b := len(e.rec.sent()), len(e.rec.batches(t)); b != 5 || n != 10 {
			t.Errorf("%d requests, %d batches; want 10, 5", n, b)
		}
	})
}
