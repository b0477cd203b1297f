package pcfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// want429 checks a throttled answer: Retry-After and the throttling body agree on secs.
func want429(t *testing.T, r reply, secs int) {
	t.Helper()
	wantStatus(t, r, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != fmt.Sprint(secs) {
		t.Errorf("Retry-After = %q, want %d", got, secs)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"statusCode": float64(429), "message": fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs)}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("429 body = %s, want %v", r.body, want)
	}
}

func TestThrottling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithRateLimit(1, 2))
		wantStatus(t, postUpdate(t, hc, "u1", "", assign(skuE3)), http.StatusCreated)
		wantStatus(t, postUpdate(t, hc, "u2", "", assign(skuE3)), http.StatusCreated)
		r := postUpdate(t, hc, "u3", "req-3", assign(skuE3))
		want429(t, r, 1)
		wantUnits(t, s, skuE3, 4798, 1202) // the throttled one is not applied

		time.Sleep(time.Second)
		// The retry, with the same request ID, is processed: a 429 is not replayed.
		wantStatus(t, postUpdate(t, hc, "u3", "req-3", assign(skuE3)), http.StatusCreated)
		wantUnits(t, s, skuE3, 4797, 1203)
		if st := s.Stats(); st.Throttled != 1 || st.ByStatus[429] != 1 || st.Applied != 3 || st.Replayed != 0 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestRetryAfterIsTheWaitForAToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc := newFake(t, pcfake.WithRateLimit(0.25, 1)) // one token every 4 s
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 4)
		time.Sleep(2500 * time.Millisecond)
		want429(t, getSkus(t, hc, ""), 2) // 1.5 s left, rounded up
		time.Sleep(1500 * time.Millisecond)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
	})
}

func TestThrottledRequestsTakeNoToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithRateLimit(1, 1))
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		for range 20 {
			want429(t, getSkus(t, hc, ""), 1)
		}
		time.Sleep(time.Second)
		// Had the 20 throttled calls taken tokens, this one would wait 20 s more.
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 1)
		if st := s.Stats(); st.Throttled != 21 || st.Gets != 23 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestRateLimitIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc := newFake(t, pcfake.WithRateLimit(5, 3))
		ok := 0
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			if r := getSkus(t, hc, ""); r.status == http.StatusOK {
				ok++
			} else {
				wantStatus(t, r, http.StatusTooManyRequests)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A burst of 3 plus 5 a second for 10 s.
		if ok < 52 || ok > 53 {
			t.Fatalf("%d requests passed in 10 s, want 3 + 5*10", ok)
		}
	})
}

func TestSetRateLimitMidRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc := newFake(t)
		for range 50 {
			wantStatus(t, getSkus(t, hc, ""), http.StatusOK) // unlimited by default
		}
		s, hc := newFake(t)
		s.SetRateLimit(2, 1)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 1)
		time.Sleep(500 * time.Millisecond)
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		s.SetRateLimit(0.1, 1) // lowered: the next token is 10 s away
		want429(t, getSkus(t, hc, ""), 10)
		s.SetRateLimit(0, 0) // lifted
		for range 10 {
			wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		}
	})
}

func TestInjectedFailuresAreNotApplied(t *testing.T) {
	s, hc := newFake(t, pcfake.WithFailureRate(1), pcfake.WithSeed(1))
	seen := map[int]bool{}
	for i := range 20 {
		r := postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3))
		if r.status != http.StatusInternalServerError && r.status != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 500 or 503", r.status)
		}
		wantError(t, r, r.status, "800003")
		seen[r.status] = true
	}
	if r := getSkus(t, hc, ""); r.status < 500 {
		t.Fatalf("GET got %d, want a 5xx", r.status)
	} else {
		wantError(t, r, r.status, "800003")
	}
	if !seen[500] || !seen[503] {
		t.Errorf("statuses seen = %v, want both 500 and 503", seen)
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	if st := s.Stats(); st.Failed != 21 || st.Applied != 0 || len(s.Holdings(cust)) != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestFailureShareAndRetryWithSameID(t *testing.T) {
	s, hc := newFake(t, pcfake.WithFailureRate(0.3), pcfake.WithSeed(7))
	created := 0
	for i := range 300 {
		r := postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3))
		if r.status == http.StatusCreated {
			created++
		}
	}
	failed := 300 - created
	if failed < 60 || failed > 120 {
		t.Fatalf("%d of 300 failed at a 0.3 failure rate", failed)
	}
	wantUnits(t, s, skuE3, 4800-created, 1200+created)

	// A failed call retried with the same ID is processed (a 5xx is not replayed),
	// and only once.
	var statuses []int
	for len(statuses) < 50 {
		r := postUpdate(t, hc, "retrier", "retry-id", assign(skuE5))
		statuses = append(statuses, r.status)
		if r.status == http.StatusCreated {
			break
		}
	}
	if statuses[len(statuses)-1] != http.StatusCreated {
		t.Fatalf("never succeeded: %v", statuses)
	}
	wantUnits(t, s, skuE5, 5499, 501)
}

func TestSeedRepeatsFaults(t *testing.T) {
	run := func() []int {
		_, hc := newFake(t, pcfake.WithFailureRate(0.5), pcfake.WithSeed(42))
		var out []int
		for i := range 40 {
			out = append(out, postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3)).status)
		}
		return out
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 200 requests: the mean of 200 uniform ±50ms jitters has a standard deviation
		// of 2 ms, so ±20 ms is ten of them (with 20 requests it was three, and one run
		// in a few hundred failed). The seed makes the draw the same in every run.
		const n = 200
		_, hc := newFake(t, pcfake.WithLatency(200*time.Millisecond, 50*time.Millisecond), pcfake.WithSeed(3))
		var total time.Duration
		distinct := map[time.Duration]bool{}
		for i := range n {
			start := time.Now()
			wantStatus(t, postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3)), http.StatusCreated)
			d := time.Since(start)
			if d < 150*time.Millisecond || d > 250*time.Millisecond {
				t.Fatalf("request %d took %v, want 200ms ± 50ms", i, d)
			}
			total += d
			distinct[d] = true
		}
		if mean := total / n; mean < 180*time.Millisecond || mean > 220*time.Millisecond {
			t.Errorf("mean latency %v, want about 200ms", mean)
		}
		if len(distinct) < n/2 {
			t.Errorf("only %d distinct latencies in %d requests: no jitter", len(distinct), n)
		}
	})
}

func TestLatencySpikes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc := newFake(t, pcfake.WithLatency(100*time.Millisecond, 0), pcfake.WithLatencySpikes(1, 3*time.Second))
		start := time.Now()
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		if d := time.Since(start); d != 3100*time.Millisecond {
			t.Fatalf("took %v, want 3.1s", d)
		}
	})
}

func TestLatencyHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithLatency(time.Minute, 0))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		r := do(t, hc, call{ctx: ctx, method: http.MethodPost, path: updatesPath(cust, "u1"), body: mustJSON(t, assign(skuE3))})
		if !errors.Is(r.err, context.DeadlineExceeded) || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("err = %v after %v, want the deadline after 100ms", r.err, time.Since(start))
		}
		wantUnits(t, s, skuE3, 4800, 1200)
		if st := s.Stats(); st.InFlight != 0 || len(st.ByStatus) != 0 {
			t.Fatalf("stats = %+v, want nothing answered", st)
		}
	})
}

func TestDroppedConnectionOverTheNetwork(t *testing.T) {
	fake := mustNew(t, pcfake.WithCustomer(cust, sampleSkus(t)), pcfake.WithToken(testToken), pcfake.WithDropRate(1))
	srv := httptest.NewServer(fake)
	defer srv.Close()
	send := func() (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+updatesPath(cust, "u1"), strings.NewReader(mustJSON(t, assign(skuE3))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("MS-RequestId", "dropped-1")
		return srv.Client().Do(req)
	}
	resp, err := send()
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want the connection dropped", resp.StatusCode)
	}
	// The client saw nothing, yet the update was applied.
	if _, ok := fake.Holdings(cust)["u1"][skuE3]; !ok {
		t.Fatal("the dropped update was not applied")
	}
	wantUnits(t, fake, skuE3, 4799, 1201)
	if st := fake.Stats(); st.Dropped != 1 || st.Applied != 1 || st.ByStatus[http.StatusCreated] != 0 {
		t.Fatalf("stats = %+v", st)
	}
	// Retrying with the same request ID tells the client it worked, without a second unit.
	resp, err = send()
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("retry got %d, want the first answer, 201", resp.StatusCode)
	}
	wantUnits(t, fake, skuE3, 4799, 1201)
	if st := fake.Stats(); st.Replayed != 1 || st.Dropped != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDroppedConnectionInProcess(t *testing.T) {
	s, hc := newFake(t, pcfake.WithDropRate(1))
	r := postUpdate(t, hc, "u1", "", assign(skuE3))
	if !errors.Is(r.err, io.ErrUnexpectedEOF) || !errors.Is(r.err, pcfake.ErrConnectionDropped) {
		t.Fatalf("err = %v, want a dropped connection (io.ErrUnexpectedEOF)", r.err)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	// Only applied POSTs are dropped: a refused one and a GET are answered.
	wantError(t, postUpdate(t, hc, "u1", "", assign("nope")), http.StatusBadRequest, "800002")
	wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
	if st := s.Stats(); st.Dropped != 1 || st.InFlight != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDropShare(t *testing.T) {
	s, hc := newFake(t, pcfake.WithDropRate(0.2), pcfake.WithSeed(3))
	dropped := 0
	for i := range 200 {
		if r := postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3)); r.err != nil {
			dropped++
		}
	}
	if dropped < 20 || dropped > 60 {
		t.Fatalf("%d of 200 dropped at 0.2", dropped)
	}
	// Dropped or not, every one was applied.
	wantUnits(t, s, skuE3, 4600, 1400)
	if st := s.Stats(); st.Dropped != dropped || st.Applied != 200 {
		t.Fatalf("stats = %+v, want %d dropped, 200 applied", st, dropped)
	}
}

func TestRefusalsWaitTheLatencyToo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithLatency(300*time.Millisecond, 0), pcfake.WithRateLimit(1, 1))
		start := time.Now()
		wantStatus(t, getSkus(t, hc, ""), http.StatusOK)
		want429(t, getSkus(t, hc, ""), 1) // decided on arrival, 300ms after the first
		wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("")}), http.StatusUnauthorized)
		if d := time.Since(start); d != 900*time.Millisecond {
			t.Fatalf("three answers took %v, want 3 x 300ms", d)
		}
		if st := s.Stats(); st.Throttled != 1 || st.Unauthorized != 1 {
			t.Fatalf("stats = %+v", st)
		}
	})
}
