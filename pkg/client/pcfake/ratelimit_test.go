package pcfake_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestReadAndWriteBudgetsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithReadRateLimit(1, 2), pcfake.WithWriteRateLimit(0.5, 1),
			pcfake.WithUsers(cust, pcfake.GenerateUsers(1, "", 1)))
		user := pcfake.GenerateUsers(1, "", 1)[0]
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 1)
		// Reads spent, writes untouched.
		wantStatus(t, postUpdate(t, hc, user.ID, "", assign(skuE3)), http.StatusCreated)
		want429(t, patchUser(t, hc, user.ID, setUS), 2) // a PATCH is a write
		want429(t, postUpdate(t, hc, user.ID, "w2", assign(skuE5)), 2)
		wantUnits(t, s, skuE5, 5500, 500) // a throttled write is not applied

		time.Sleep(time.Second)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, postUpdate(t, hc, user.ID, "w2", assign(skuE5)), 1)
		time.Sleep(time.Second)
		wantStatus(t, postUpdate(t, hc, user.ID, "w2", assign(skuE5)), http.StatusCreated)

		st := s.Stats()
		if st.Reads != 4 || st.Writes != 5 || st.ReadsThrottled != 1 || st.WritesThrottled != 3 || st.Throttled != 4 {
			t.Fatalf("stats = %+v, want 4 reads (1 throttled), 5 writes (3 throttled)", st)
		}
	})
}

func TestEveryCallLimitAndKindLimitTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Three calls a burst in all, one write: a write refused by its own budget takes
		// no token from the budget of every call.
		s, hc := newFake(t, pcfake.WithRateLimit(1, 3), pcfake.WithWriteRateLimit(0.25, 1))
		wantStatus(t, postUpdate(t, hc, "u1", "", assign(skuE3)), http.StatusCreated)
		for range 5 {
			want429(t, postUpdate(t, hc, "u2", "", assign(skuE3)), 4)
		}
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		// Both limits refuse a write now: Retry-After is the longer wait.
		want429(t, postUpdate(t, hc, "u2", "", assign(skuE3)), 4)
		// Reads meet the limit of every call only.
		want429(t, getSkus(t, hc, ""), 1)
		time.Sleep(time.Second)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		if st := s.Stats(); st.ReadsThrottled != 1 || st.WritesThrottled != 6 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestSetReadAndWriteRateLimitsMidRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t)
		for range 20 {
			wantStatus(t, getSkus(t, hc, ""), http.StatusOK) // unlimited by default
		}
		s.SetReadRateLimit(2, 1)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 1)
		wantStatus(t, postUpdate(t, hc, "u1", "", assign(skuE3)), http.StatusCreated)

		s.SetWriteRateLimit(0.1, 1)
		wantStatus(t, postUpdate(t, hc, "u2", "", assign(skuE3)), http.StatusCreated)
		want429(t, postUpdate(t, hc, "u3", "", assign(skuE3)), 10)
		s.SetWriteRateLimit(0.5, 1) // raised: the bucket keeps its tokens
		want429(t, postUpdate(t, hc, "u3", "", assign(skuE3)), 2)

		s.SetReadRateLimit(0, 0) // lifted
		for range 10 {
			wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		}
		s.SetWriteRateLimit(0, 0)
		wantStatus(t, postUpdate(t, hc, "u3", "", assign(skuE3)), http.StatusCreated)
	})
}
