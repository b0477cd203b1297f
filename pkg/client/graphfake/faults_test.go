package graphfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestLatencyJitterAndSpikes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc, _ := newFake(t, 1, graphfake.WithLatency(100*time.Millisecond, 0))
		start := time.Now()
		wantStatus(t, get(t, hc, "/v1.0/subscribedSkus"), http.StatusOK)
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Fatalf("took %v, want 100ms", d)
		}
		start = time.Now()
		wantError(t, get(t, hc, "/v1.0/users?$top=0"), http.StatusBadRequest, "Request_UnsupportedQuery", "page size")
		wantError(t, do(t, hc, call{path: "/v1.0/users", token: ptr("nope")}), http.StatusUnauthorized, "InvalidAuthenticationToken", "validation")
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Fatalf("refusals took %v, want the latency each", d)
		}

		_, hc, _ = newFake(t, 1, graphfake.WithLatency(time.Second, 200*time.Millisecond), graphfake.WithSeed(1))
		var seen []time.Duration
		for range 20 {
			start := time.Now()
			get(t, hc, "/v1.0/subscribedSkus")
			d := time.Since(start)
			if d < 800*time.Millisecond || d > 1200*time.Millisecond {
				t.Fatalf("took %v, want 1s ± 200ms", d)
			}
			if !slices.Contains(seen, d) {
				seen = append(seen, d)
			}
		}
		if len(seen) < 10 {
			t.Fatalf("jitter gave only %d distinct latencies", len(seen))
		}

		_, hc, _ = newFake(t, 1, graphfake.WithLatencySpikes(1, 2*time.Second))
		start = time.Now()
		get(t, hc, "/v1.0/subscribedSkus")
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("spiked request took %v", d)
		}
	})
}

func TestContextEndedDuringLatencyAppliesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 1, graphfake.WithLatency(time.Second, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		r := do(t, hc, call{ctx: ctx, method: http.MethodPost, path: "/v1.0/users/" + users[0].ID + "/assignLicense", body: addBody(skuE3)})
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", r.err)
		}
		wantUnits(t, s, skuE3, 4800, 1200)
		if st := s.Stats(); st.Applied != 0 || len(st.ByStatus) != 0 || st.InFlight != 0 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestInjectedFailuresAreNotApplied(t *testing.T) {
	s, hc, users := newFake(t, 20, graphfake.WithFailureRate(1), graphfake.WithSeed(1))
	seen := map[int]bool{}
	for _, u := range users {
		r := assign(t, hc, u.ID, addBody(skuE3))
		switch r.status {
		case http.StatusServiceUnavailable:
			wantError(t, r, r.status, "serviceNotAvailable", "unavailable")
		case http.StatusInternalServerError:
			wantError(t, r, r.status, "generalException", "exception")
		default:
			t.Fatalf("status %d, want 500 or 503", r.status)
		}
		seen[r.status] = true
	}
	if !seen[500] || !seen[503] {
		t.Errorf("statuses = %v, want both", seen)
	}
	_, got, _ := postBatch(t, hc, []batchReq{assignItem("1", users[0].ID, addBody(skuE3)), assignItem("2", users[1].ID, addBody(skuE3))})
	if got["1"].Status < 500 || got["2"].Status < 500 {
		t.Fatalf("batch items = %+v", got)
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	if st := s.Stats(); st.Failed != 22 || st.Applied != 0 || len(s.Holdings(tenant)) != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestSeedRepeatsFaults(t *testing.T) {
	run := func() []int {
		_, hc, users := newFake(t, 30, graphfake.WithFailureRate(0.5), graphfake.WithSeed(42))
		var statuses []int
		for _, u := range users {
			statuses = append(statuses, assign(t, hc, u.ID, addBody(skuE5)).status)
		}
		return statuses
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("the same seed gave %v and %v", a, b)
	}
	if !slices.Contains(a, 200) || !slices.ContainsFunc(a, func(s int) bool { return s >= 500 }) {
		t.Fatalf("statuses = %v, want both outcomes", a)
	}
}

func TestDroppedConnectionsAreApplied(t *testing.T) {
	s, hc, users := newFake(t, 3, graphfake.WithDropRate(1))
	r := assign(t, hc, users[0].ID, addBody(skuE3))
	if !errors.Is(r.err, graphfake.ErrConnectionDropped) || !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrConnectionDropped", r.err)
	}
	wantUnits(t, s, skuE3, 4799, 1201) // applied all the same
	// Reads and refused writes are not dropped.
	wantStatus(t, get(t, hc, "/v1.0/users"), http.StatusOK)
	wantStatus(t, assign(t, hc, users[1].ID, addBody(skuAbsent)), http.StatusBadRequest)
	// A batch with an applied item is dropped as a whole.
	b, _ := json.Marshal(map[string]any{"requests": []batchReq{assignItem("1", users[2].ID, addBody(skuE3))}})
	if r := do(t, hc, call{method: http.MethodPost, path: "/v1.0/$batch", body: string(b)}); !errors.Is(r.err, graphfake.ErrConnectionDropped) {
		t.Fatalf("batch err = %v", r.err)
	}
	wantUnits(t, s, skuE3, 4798, 1202)
	if st := s.Stats(); st.Dropped != 2 || st.Applied != 2 {
		t.Fatalf("stats = %+v", st)
	}

	// Over a real connection the client sees it closed.
	hts := httptest.NewServer(s)
	defer hts.Close()
	req, _ := http.NewRequest(http.MethodPatch, hts.URL+"/v1.0/users/"+users[0].ID, strings.NewReader(`{"usageLocation":"FR"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := hts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %d over a dropped connection", resp.StatusCode)
	}
	if u, _ := s.User(tenant, users[0].ID); u.UsageLocation != "FR" {
		t.Fatalf("the dropped PATCH was not applied: %+v", u)
	}
}
