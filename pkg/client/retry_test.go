package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

func TestShouldRetry(t *testing.T) {
	netErr := &url.Error{Op: "Post", URL: "https://pc.test/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	tests := []struct {
		status int
		err    error
		want   bool
	}{
		{429, nil, true},
		{500, nil, true},
		{502, nil, true},
		{503, nil, true},
		{504, nil, true},
		{599, nil, true},
		{501, nil, false},
		{200, nil, false},
		{201, nil, false},
		{204, nil, false},
		{301, nil, false},
		{400, nil, false},
		{401, nil, false},
		{403, nil, false},
		{404, nil, false},
		{409, nil, false},
		{0, netErr, true},
		{0, &net.DNSError{Err: "timeout", IsTimeout: true}, true},
		{0, errors.New("unexpected EOF"), true},
		{0, &url.Error{Op: "Get", URL: "https://pc.test", Err: x509.UnknownAuthorityError{}}, true}, // a value, not the pointer crypto returns
		{0, &url.Error{Op: "Get", URL: "https://pc.test", Err: &x509.UnknownAuthorityError{}}, false},
		{0, &url.Error{Op: "Get", URL: "https://pc.test", Err: x509.HostnameError{Host: "pc.test"}}, false},
		{0, &url.Error{Op: "Get", URL: "https://pc.test", Err: x509.CertificateInvalidError{Reason: x509.Expired}}, false},
		{0, &url.Error{Op: "Get", URL: "https://pc.test", Err: &tls.CertificateVerificationError{Err: errors.New("bad")}}, false},
		{0, fmt.Errorf("read 200 answer: %w", errBodyTooLarge), false},
	}
	for _, tt := range tests {
		if got := ShouldRetry(tt.status, tt.err); got != tt.want {
			t.Errorf("ShouldRetry(%d, %v) = %v, want %v", tt.status, tt.err, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	p := DefaultRetryPolicy() // 500ms..30s
	top := func(n int64) int64 { return n - 1 }
	bottom := func(int64) int64 { return 0 }
	tests := []struct {
		attempt int
		want    time.Duration // with top
	}{
		{0, 500 * time.Millisecond},
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{3, 2 * time.Second},
		{4, 4 * time.Second},
		{6, 16 * time.Second},
		{7, 30 * time.Second},
		{8, 30 * time.Second},
		{70, 30 * time.Second},
		{math.MaxInt, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(p, tt.attempt, top); got != tt.want {
			t.Errorf("Backoff(attempt %d, top) = %v, want %v", tt.attempt, got, tt.want)
		}
		if got := backoffCap(p, tt.attempt); got != tt.want {
			t.Errorf("backoffCap(attempt %d) = %v, want %v", tt.attempt, got, tt.want)
		}
		if got := Backoff(p, tt.attempt, bottom); got != 0 {
			t.Errorf("Backoff(attempt %d, bottom) = %v, want 0", tt.attempt, got)
		}
	}
	if got := Backoff(RetryPolicy{MaxAttempts: 3}, 2, top); got != 0 {
		t.Errorf("backoff with zero waits = %v, want 0", got)
	}
	huge := RetryPolicy{MaxAttempts: 3, MinWait: time.Hour, MaxWait: math.MaxInt64}
	if got := backoffCap(huge, 200); got != math.MaxInt64 {
		t.Errorf("backoffCap without overflow = %v, want the maximum", got)
	}
	if got := Backoff(huge, 200, top); got != math.MaxInt64-1 {
		t.Errorf("backoff without overflow = %v", got)
	}
}

func TestBackoffFullJitterStaysInRange(t *testing.T) {
	p := DefaultRetryPolicy()
	for attempt := 1; attempt <= 10; attempt++ {
		limit := backoffCap(p, attempt)
		var lo, hi time.Duration = limit, 0
		for range 2000 {
			d := Backoff(p, attempt, rand.Int64N)
			if d < 0 || d > limit {
				t.Fatalf("Backoff(attempt %d) = %v, outside [0, %v]", attempt, d, limit)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter spreads over the whole range, not a narrow band near the cap.
		if lo > limit/10 || hi < limit*9/10 {
			t.Errorf("attempt %d: 2000 waits spread over [%v, %v] only, want most of [0, %v]", attempt, lo, hi, limit)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2017, 4, 20, 21, 50, 39, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"57", 57 * time.Second, true},
		{" 57 ", 57 * time.Second, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"57s", 0, false},
		{"soon", 0, false},
		{"99999999999999999999999", math.MaxInt64, true},
		{"9223372036", 9223372036 * time.Second, true},
		{"9223372037", math.MaxInt64, true},
		{"Thu, 20 Apr 2017 21:51:09 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Thursday, 20-Apr-17 21:51:39 GMT", time.Minute, true},   // RFC 850
		{"Thu Apr 20 21:50:49 2017", 10 * time.Second, true},      // ANSI C asctime
		{"Thu, 20 Apr 2017 21:50:00 GMT", 0, true},                // in the past
		{"Thu, 20 Apr 2017 21:51:09", 0, false},                   // no zone
		{now.Add(2 * time.Hour).Format(http.TimeFormat), 2 * time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.value, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRetryAfterWait(t *testing.T) {
	now := time.Date(2017, 4, 20, 21, 50, 39, 0, time.UTC)
	p := DefaultRetryPolicy() // 5s default, 120s cap
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"7", 7 * time.Second},
		{"120", 120 * time.Second},
		{"121", 120 * time.Second},
		{"86400", 120 * time.Second},
		{"99999999999999999999999", 120 * time.Second},
		{"", 5 * time.Second},
		{"garbage", 5 * time.Second},
		{"0", 0},
		{"Thu, 20 Apr 2017 21:50:48 GMT", 9 * time.Second},
		{"Thu, 20 Apr 2017 23:50:39 GMT", 120 * time.Second},
	}
	for _, tt := range tests {
		if got := RetryAfterWait(p, tt.value, now); got != tt.want {
			t.Errorf("RetryAfterWait(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

// TestRetryAfterHonoured runs on fake time: each case answers 429 once, then 201, and
// the retry must come exactly when Retry-After says.
func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name   string
		header func(now time.Time) string // "" sends no Retry-After
		want   time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(9 * time.Second).UTC().Format(http.TimeFormat) }, 9 * time.Second},
		{"capped", func(time.Time) string { return "3600" }, 120 * time.Second},
		{"capped HTTP date", func(now time.Time) string { return now.Add(time.Hour).UTC().Format(http.TimeFormat) }, 120 * time.Second},
		{"absent", func(time.Time) string { return "" }, 5 * time.Second},
		{"malformed", func(time.Time) string { return "later" }, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				seq := &answerSequence{statuses: []int{429, 201}, header: func(n int, h http.Header) {
					if v := tt.header(time.Now()); n == 0 && v != "" {
						h.Set("Retry-After", v)
					}
				}}
				log := &attemptLog{}
				c := setupInProcess(t, seq, WithObserver(log.observe))
				start := time.Now()
				_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
				if err != nil {
					t.Fatalf("UpdateLicenses: %v", err)
				}
				reqs := seq.recorded()
				if len(reqs) != 2 || resp.Attempts != 2 {
					t.Fatalf("%d requests, %d attempts; want 2", len(reqs), resp.Attempts)
				}
				if got := reqs[1].at.Sub(reqs[0].at); got != tt.want {
					t.Errorf("retry came %v after the 429, want %v", got, tt.want)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("call took %v, want %v", got, tt.want)
				}
				attempts := log.all()
				if len(attempts) != 2 || attempts[0].StatusCode != 429 || attempts[0].RetryAfter != tt.want ||
					attempts[1].StatusCode != 201 || attempts[1].RetryAfter != 0 {
					t.Errorf("observed %+v", attempts)
				}
			})
		})
	}
}

func TestThrottleExhaustsAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seq := &answerSequence{statuses: []int{429}, body: func(int) string { return docs429 },
			header: func(_ int, h http.Header) { h.Set("Retry-After", "2") }}
		c := setupInProcess(t, seq)
		start := time.Now()
		_, resp, err := c.GetSubscribedSkus(t.Context(), testCustomer)
		var throttle *ThrottleError
		if !errors.As(err, &throttle) {
			t.Fatalf("err = %v, want a *ThrottleError", err)
		}
		if throttle.RetryAfter != 2*time.Second || throttle.Attempts != 5 || resp.Attempts != 5 || len(seq.recorded()) != 5 {
			t.Errorf("RetryAfter %v, attempts %d/%d, %d requests; want 2s and 5", throttle.RetryAfter,
				throttle.Attempts, resp.Attempts, len(seq.recorded()))
		}
		if got := time.Since(start); got != 8*time.Second {
			t.Errorf("call took %v, want 4 waits of 2s", got)
		}
		if !strings.Contains(err.Error(), "retry after 2s") || !strings.HasPrefix(err.Error(), "get subscribed skus: 429 Too Many Requests") {
			t.Errorf("Error() = %q", err.Error())
		}
		assertNoSecret(t, err)
	})
}

// TestThrottlePausesEveryCall: a 429 to one call holds back the calls that start while
// the pause lasts, until its Retry-After has passed.
func TestThrottlePausesEveryCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu       sync.Mutex
			arrivals = map[string][]time.Time{}
		)
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v1/customers/{customer}/users/{user}/licenseupdates", func(w http.ResponseWriter, r *http.Request) {
			user := r.PathValue("user")
			mu.Lock()
			arrivals[user] = append(arrivals[user], time.Now())
			first := user == "a" && len(arrivals[user]) == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "10")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusCreated)
		})
		log := &attemptLog{}
		c := setupInProcess(t, mux, WithObserver(log.observe)) // the default limiter: the 429 gate
		start := time.Now()

		var wg sync.WaitGroup
		call := func(user string, delay time.Duration) {
			wg.Go(func() {
				time.Sleep(delay)
				if _, _, err := c.UpdateLicenses(t.Context(), testCustomer, user, assignOne()); err != nil {
					t.Errorf("user %s: %v", user, err)
				}
			})
		}
		call("a", 0)
		call("b", time.Second)
		call("c", 9*time.Second)
		wg.Wait()

		want := map[string][]time.Duration{
			"a": {0, 10 * time.Second},
			"b": {10 * time.Second},
			"c": {10 * time.Second},
		}
		for user, ts := range want {
			var got []time.Duration
			for _, at := range arrivals[user] {
				got = append(got, at.Sub(start))
			}
			if fmt.Sprint(got) != fmt.Sprint(ts) {
				t.Errorf("user %s requests at %v, want %v", user, got, ts)
			}
		}
		if n := len(log.all()); n != 4 {
			t.Errorf("%d attempts observed, want 4", n)
		}

		// Once the pause has passed, calls go at once.
		before := time.Now()
		call("d", 0)
		wg.Wait()
		if got := arrivals["d"]; len(got) != 1 || !got[0].Equal(before) {
			t.Errorf("call after the pause went at %v, want %v", got, before)
		}
	})
}

// TestShorterRetryAfterKeepsLongerPause: a later 429 with a shorter Retry-After does not
// cut short the pause an earlier one imposed.
func TestShorterRetryAfterKeepsLongerPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(Unlimited, 1)
		start := time.Now()
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 10 * time.Second})
		time.Sleep(time.Second)
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 2 * time.Second})
		if err := p.Wait(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("pause ended after %v, want 10s", got)
		}
		p.Observe(nil, Attempt{Number: 1, StatusCode: 429, RetryAfter: 3 * time.Second}) // a new pause: 13s
		if err := p.Wait(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 13*time.Second {
			t.Errorf("extended pause ended after %v, want 13s", got)
		}
	})
}

func TestServerErrorBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seq := &answerSequence{statuses: []int{503, 500, 502, 504, 201}}
		c := setupInProcess(t, seq)
		c.randN = func(n int64) int64 { return n - 1 } // always the longest wait
		start := time.Now()
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		if err != nil {
			t.Fatalf("UpdateLicenses: %v", err)
		}
		if resp.Attempts != 5 {
			t.Errorf("Attempts = %d, want 5", resp.Attempts)
		}
		reqs := seq.recorded()
		want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond, 7500 * time.Millisecond}
		for i, r := range reqs {
			if got := r.at.Sub(start); got != want[i] {
				t.Errorf("attempt %d at %v, want %v", i+1, got, want[i])
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		seq := &answerSequence{statuses: []int{503}}
		c := setupInProcess(t, seq) // real jitter
		start := time.Now()
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || resp.Attempts != 5 {
			t.Fatalf("err = %v after %d attempts, want a 503 *APIError after 5", err, resp.Attempts)
		}
		if got := time.Since(start); got > 7500*time.Millisecond {
			t.Errorf("4 jittered waits took %v, more than their caps' sum 7.5s", got)
		}
	})
}

func TestContextCanceledDuringWait(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		header   string
	}{
		{"throttle pause", []int{429}, "60"},
		{"back-off", []int{503}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				seq := &answerSequence{statuses: tt.statuses, header: func(_ int, h http.Header) {
					if tt.header != "" {
						h.Set("Retry-After", tt.header)
					}
				}}
				c := setupInProcess(t, seq, WithRetryPolicy(RetryPolicy{MaxAttempts: 5, MinWait: time.Minute,
					MaxWait: time.Minute, DefaultRetryAfter: time.Second, MaxRetryAfter: time.Hour}))
				c.randN = func(n int64) int64 { return n - 1 }
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(time.Second, cancel)
				start := time.Now()
				_, resp, err := c.UpdateLicenses(ctx, testCustomer, testUser, assignOne())
				if got := time.Since(start); got != time.Second {
					t.Errorf("call returned after %v, want 1s (when cancelled)", got)
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if resp.Attempts != 1 || !strings.Contains(err.Error(), "1 attempt") ||
					!strings.HasPrefix(err.Error(), "update licenses: context canceled") {
					t.Errorf("err = %q, %d attempts; want the op and 1 attempt", err, resp.Attempts)
				}
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					t.Errorf("a cancelled call is an *APIError: %v", apiErr)
				}
			})
		})
	}
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			seq := &answerSequence{statuses: []int{429}, header: func(_ int, h http.Header) { h.Set("Retry-After", "30") }}
			c := setupInProcess(t, seq)
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			_, _, err := c.GetSubscribedSkus(ctx, testCustomer)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want context.DeadlineExceeded", err)
			}
		})
	})
	t.Run("during the request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				cancel()
				<-r.Context().Done()
			})
			log := &attemptLog{}
			c := setupInProcess(t, h, WithObserver(log.observe))
			_, resp, err := c.UpdateLicenses(ctx, testCustomer, testUser, assignOne())
			var transport *TransportError
			if !errors.Is(err, context.Canceled) || errors.As(err, &transport) {
				t.Errorf("err = %v (%T), want a cancellation, not a transport error", err, err)
			}
			if resp.Attempts != 1 || len(log.all()) != 1 || !errors.Is(log.all()[0].Err, context.Canceled) {
				t.Errorf("attempts %d, observed %+v", resp.Attempts, log.all())
			}
		})
	})
}

func TestTransportErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls int
		rt := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		})
		log := &attemptLog{}
		c, err := New(append(testOptions(), WithBaseURL("https://pc.test"), WithObserver(log.observe),
			WithHTTPClient(&http.Client{Transport: rt}))...)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v (%T), want a *TransportError", err, err)
		}
		if te.Op != "update licenses" || te.Attempts != 5 || resp.Attempts != 5 || calls != 5 || resp.StatusCode != 0 {
			t.Errorf("error %+v, response %+v, %d calls; want op update licenses and 5 attempts", te, resp, calls)
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("the *net.OpError is not reachable through %v", err)
		}
		msg := err.Error()
		for _, want := range []string{"update licenses: no answer after 5 attempts", "connection refused", "request ID " + resp.RequestID} {
			if !strings.Contains(msg, want) {
				t.Errorf("Error() = %q, want %q in it", msg, want)
			}
		}
		if got := time.Since(start); got > 7500*time.Millisecond {
			t.Errorf("retries took %v, more than the back-off caps' sum", got)
		}
		for i, a := range log.all() {
			if a.Number != i+1 || a.StatusCode != 0 || a.Err == nil {
				t.Errorf("attempt %d observed as %+v", i+1, a)
			}
		}
		assertNoSecret(t, err)
	})
	t.Run("transient", func(t *testing.T) {
		var calls int
		ok := clienttest.Handler(&answerSequence{statuses: []int{201}})
		rt := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				return nil, errors.New("connection reset by peer")
			}
			return ok.RoundTrip(r)
		})
		c, err := New(append(testOptions(), WithBaseURL("https://pc.test"), WithRetryPolicy(noWaitPolicy),
			WithHTTPClient(&http.Client{Transport: rt}))...)
		if err != nil {
			t.Fatal(err)
		}
		_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
		if err != nil || resp.Attempts != 2 || resp.StatusCode != 201 {
			t.Errorf("err %v, response %+v; want success after 2 attempts", err, resp)
		}
	})
	t.Run("certificate not retried", func(t *testing.T) {
		var calls int
		rt := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			return nil, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
		})
		c, err := New(append(testOptions(), WithBaseURL("https://pc.test"), WithRetryPolicy(noWaitPolicy),
			WithHTTPClient(&http.Client{Transport: rt}))...)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.GetSubscribedSkus(context.Background(), testCustomer)
		var te *TransportError
		if !errors.As(err, &te) || te.Attempts != 1 || calls != 1 {
			t.Errorf("err = %v after %d calls, want a *TransportError after 1", err, calls)
		}
	})
}

// TestAttemptTimeoutRetried: an attempt cut off by the HTTP client's timeout is a
// transport error and is retried.
func TestAttemptTimeoutRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		calls := 0
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				<-r.Context().Done() // hang until the client gives up
				return
			}
			w.WriteHeader(http.StatusCreated)
		})
		log := &attemptLog{}
		c := setupInProcess(t, h, WithHTTPClient(&http.Client{Timeout: 20 * time.Second, Transport: clienttest.Handler(h)}),
			WithObserver(log.observe))
		c.randN = func(int64) int64 { return 0 }
		start := time.Now()
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		if err != nil {
			t.Fatalf("UpdateLicenses: %v", err)
		}
		if resp.Attempts != 2 || time.Since(start) != 20*time.Second {
			t.Errorf("%d attempts in %v; want 2 in 20s", resp.Attempts, time.Since(start))
		}
		attempts := log.all()
		var ne net.Error
		if len(attempts) != 2 || !errors.As(attempts[0].Err, &ne) || !ne.Timeout() || attempts[0].Elapsed != 20*time.Second {
			t.Errorf("observed %+v; want a timeout after 20s first", attempts)
		}
	})
}

func TestLimiterCalledPerAttempt(t *testing.T) {
	c, mux, _ := setup(t)
	limiter := &countingLimiter{}
	c.limiter = limiter
	mux.Handle(updatePath, &answerSequence{statuses: []int{503, 500, 201}})
	if _, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne()); err != nil {
		t.Fatalf("UpdateLicenses: %v", err)
	}
	if n := len(limiter.times()); n != 3 {
		t.Errorf("limiter called %d times for 3 attempts", n)
	}

	limiter.err = errors.New("limiter closed")
	seq := &answerSequence{statuses: []int{201}}
	mux.Handle(skusPath, seq)
	_, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	if !errors.Is(err, limiter.err) || !strings.HasPrefix(err.Error(), "get subscribed skus: wait for the limiter") {
		t.Errorf("err = %v, want the limiter's error wrapped with the op", err)
	}
	if resp.Attempts != 0 || len(seq.recorded()) != 0 {
		t.Errorf("%d attempts, %d requests after the limiter failed; want 0", resp.Attempts, len(seq.recorded()))
	}
}

func TestObserverSeesEveryAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seq := &answerSequence{statuses: []int{503, 429, 201}, header: func(n int, h http.Header) {
			if n == 1 {
				h.Set("Retry-After", "2")
			}
		}}
		log := &attemptLog{}
		c := setupInProcess(t, seq, WithObserver(log.observe))
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		if err != nil {
			t.Fatalf("UpdateLicenses: %v", err)
		}
		got := log.all()
		want := []Attempt{
			{Op: "update licenses", Kind: Write, RequestID: resp.RequestID, Number: 1, StatusCode: 503},
			{Op: "update licenses", Kind: Write, RequestID: resp.RequestID, Number: 2, StatusCode: 429, RetryAfter: 2 * time.Second},
			{Op: "update licenses", Kind: Write, RequestID: resp.RequestID, Number: 3, StatusCode: 201},
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("observed\n%+v\nwant\n%+v", got, want)
		}
	})
}

// A 503 then no answer at all: the response describes the last attempt, which got no
// status, not the 503 before it.
func TestResponseAfterAFinalTransportErrorHasNoStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls int
		rt := clienttest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				return &http.Response{StatusCode: 503, Header: http.Header{"X-Test": {"1"}}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
			}
			return nil, errors.New("connection reset by peer")
		})
		c, err := New(append(testOptions(), WithBaseURL("https://pc.test"), WithRetryPolicy(RetryPolicy{MaxAttempts: 2}),
			WithHTTPClient(&http.Client{Transport: rt}))...)
		if err != nil {
			t.Fatal(err)
		}
		_, resp, err := c.UpdateLicenses(t.Context(), testCustomer, testUser, assignOne())
		var te *TransportError
		if !errors.As(err, &te) || resp.Attempts != 2 {
			t.Fatalf("err %v, %d attempts", err, resp.Attempts)
		}
		if resp.StatusCode != 0 || resp.Header != nil {
			t.Fatalf("response keeps the earlier attempt's answer: %d %v", resp.StatusCode, resp.Header)
		}
	})
}
