package pcfake_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestRepeatedRequestIDIsAnsweredAsTheFirstTime(t *testing.T) {
	s, hc := newFake(t)
	const id = "a37d3009-665d-4e12-b76e-1aa10cf80140"
	first := postUpdate(t, hc, "u1", id, assign(skuE3))
	wantStatus(t, first, http.StatusCreated)
	// The repeat, in another case, even with another body: the first answer, not applied.
	second := postUpdate(t, hc, "u1", strings.ToUpper(id), assign(skuE5))
	wantStatus(t, second, http.StatusCreated)
	if !bytes.Equal(first.body, second.body) {
		t.Fatalf("repeat answered %s, first %s", second.body, first.body)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	wantUnits(t, s, skuE5, 5500, 500)
	if st := s.Stats(); st.Applied != 1 || st.Replayed != 1 || st.Posts != 2 || st.ByStatus[http.StatusCreated] != 2 {
		t.Fatalf("stats = %+v, want 1 applied, 1 replayed", st)
	}
}

func TestRepeatedRequestIDReplaysAnError(t *testing.T) {
	s, hc := newFake(t, pcfake.WithHolder(cust, "u1", skuAXTask))
	first := postUpdate(t, hc, "u2", "req-1", assign(skuAXTask))
	wantError(t, first, http.StatusBadRequest, "60012")
	// A unit comes free, yet the repeat still gets the first answer.
	wantStatus(t, postUpdate(t, hc, "u1", "req-2", remove(skuAXTask)), http.StatusCreated)
	second := postUpdate(t, hc, "u2", "req-1", assign(skuAXTask))
	if second.status != first.status || !bytes.Equal(second.body, first.body) {
		t.Fatalf("repeat = %d %s, first = %d %s", second.status, second.body, first.status, first.body)
	}
	wantUnits(t, s, skuAXTask, 1, 0)
	// A new request ID is processed afresh.
	wantStatus(t, postUpdate(t, hc, "u2", "req-3", assign(skuAXTask)), http.StatusCreated)
}

func TestRepeatWhileTheFirstIsProcessedWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithLatency(time.Second, 0))
		const id = "f4f3b748-8b22-4d07-a5a1-dceb32824192"
		replies := make([]reply, 2)
		ended := make([]time.Duration, 2)
		start := time.Now()
		done := make(chan struct{})
		for i := range 2 {
			go func() {
				defer func() { done <- struct{}{} }()
				replies[i] = postUpdate(t, hc, "u1", id, assign(skuE3))
				ended[i] = time.Since(start)
			}()
			if i == 0 {
				time.Sleep(300 * time.Millisecond) // the first is in its latency
			}
		}
		synctest.Wait()
		if st := s.Stats(); st.InFlight != 2 || st.Applied != 0 {
			t.Fatalf("while the first is processed: %+v, want 2 in flight, nothing applied", st)
		}
		<-done
		<-done
		for i, r := range replies {
			wantStatus(t, r, http.StatusCreated)
			if ended[i] != time.Second {
				t.Errorf("request %d ended after %v, want 1s (the repeat waits for the first)", i, ended[i])
			}
		}
		if !bytes.Equal(replies[0].body, replies[1].body) {
			t.Fatalf("answers differ: %s vs %s", replies[0].body, replies[1].body)
		}
		wantUnits(t, s, skuE3, 4799, 1201)
		if st := s.Stats(); st.Applied != 1 || st.Replayed != 1 || st.InFlight != 0 || st.MaxInFlight != 2 {
			t.Fatalf("stats = %+v, want 1 applied, 1 replayed", st)
		}
	})
}

func TestRepeatOfACancelledFirstIsProcessed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithLatency(time.Second, 0))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		r := do(t, hc, call{ctx: ctx, method: http.MethodPost, path: updatesPath(cust, "u1"), body: mustJSON(t, assign(skuE3)), requestID: "req-1"})
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", r.err)
		}
		wantUnits(t, s, skuE3, 4800, 1200)
		// The retry with the same ID is processed: the first never answered.
		wantStatus(t, postUpdate(t, hc, "u1", "req-1", assign(skuE3)), http.StatusCreated)
		wantUnits(t, s, skuE3, 4799, 1201)
		if st := s.Stats(); st.Applied != 1 || st.Replayed != 0 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestReappliedCountsRepeatedBodiesUnderNewIDs(t *testing.T) {
	s, hc := newFake(t)
	upd := partnercenter.LicenseUpdate{
		LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE5, ExcludedPlans: []string{planSway, planYammer}}},
		LicensesToRemove: []string{skuE3},
	}
	wantStatus(t, postUpdate(t, hc, "u1", "id-1", upd), http.StatusCreated)
	// The same update in another spelling and order, under a new ID.
	same := partnercenter.LicenseUpdate{
		LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: strings.ToUpper(skuE5), ExcludedPlans: []string{planYammer, planSway}}},
		LicensesToRemove: []string{strings.ToUpper(skuE3)},
	}
	wantStatus(t, postUpdate(t, hc, "U1", "id-2", same), http.StatusCreated)
	if st := s.Stats(); st.Reapplied != 1 {
		t.Fatalf("Reapplied = %d after a repeated body, want 1", st.Reapplied)
	}
	// Another user, another body, or a replay: not re-applications.
	wantStatus(t, postUpdate(t, hc, "u2", "id-3", upd), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "u1", "id-4", assign(skuE5)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "u1", "id-1", upd), http.StatusCreated)
	if st := s.Stats(); st.Reapplied != 1 || st.Applied != 4 || st.Replayed != 1 {
		t.Fatalf("stats = %+v, want 1 reapplied, 4 applied, 1 replayed", st)
	}
	wantUnits(t, s, skuE5, 5498, 502)
}
